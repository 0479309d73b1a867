//! County export packages (tar, signed manifest; sealed with AES-GCM): any bytes are opened
//! or refused — paths, sizes, links and bombs included — never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static KEYS: LazyLock<storage::keys::KeyRing> =
    LazyLock::new(|| storage::keys::KeyRing::single("k1", vec![7; 32]).expect("a key ring"));

fuzz_target!(|data: &[u8]| {
    let _ = gateway::packages::scan(&KEYS, data);
    if let Ok(verified) = gateway::packages::verify_sealed(&KEYS, data)
        && let Ok(mut pages) = verified.pages()
    {
        while let Ok(page) = pages.next_page(16) {
            if page.is_empty() {
                break;
            }
        }
    }
});
