//! The offline import's CSV: any file is read into rows or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gateway::routes::imports::read_rows(data);
});
