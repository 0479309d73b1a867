//! ID numbers: any text parses or is refused with its code; a parsed one round-trips.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(id) = engine::id_number::IdNumber::parse(text)
    {
        assert_eq!(id.expose(), text);
        let _ = id.masked();
        let _ = id.birth_date();
    }
});
