//! The photo check: any bytes are measured or refused, never a panic; stripping metadata
//! (in the upload's own buffer) keeps the result a JPEG the check reads the same way, and
//! stripping again changes nothing.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rules = engine::photo::PhotoRules::default();
    let _ = rules.inspect(data);
    let stripped = engine::photo::strip_metadata(data.to_vec());
    assert!(stripped.len() <= data.len());
    let _ = rules.inspect(&stripped);
    assert_eq!(engine::photo::strip_metadata(stripped.clone()), stripped);
});
