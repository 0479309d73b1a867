//! The photo check: any bytes are measured or refused, never a panic; stripping metadata
//! keeps the result a JPEG the check reads the same way.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rules = engine::photo::PhotoRules::default();
    let _ = rules.inspect(data);
    let stripped = engine::photo::strip_metadata(data.to_vec());
    let _ = rules.inspect(&stripped);
});
