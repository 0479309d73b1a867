//! ID numbers: any text parses or is refused with its code; a parsed one round-trips up to
//! its check character's case (`x` is read as `X`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(id) = engine::id_number::IdNumber::parse(text)
    {
        let mut normalised = text.to_owned();
        normalised.make_ascii_uppercase();
        assert_eq!(id.expose(), normalised);
        let again = engine::id_number::IdNumber::parse(id.expose()).expect("re-parses");
        assert_eq!(again.expose(), id.expose());
        let _ = id.masked();
        let _ = id.birth_date();
    }
});
