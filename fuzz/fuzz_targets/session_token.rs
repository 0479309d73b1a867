//! Session tokens: any text resolves to a session only with a valid signature, else to
//! nothing, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static SESSIONS: LazyLock<gateway::sessions::Sessions> = LazyLock::new(|| {
    gateway::sessions::Sessions::new(
        3600,
        storage::keys::KeyRing::single("s1", vec![9; 32]).expect("a key ring"),
    )
});

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = std::str::from_utf8(data) {
        assert!(
            SESSIONS
                .resolve(token, engine::time::Timestamp(0))
                .is_none(),
            "a forged token resolved"
        );
    }
});
