//! Each payment provider's notification (headers and body as received): verified and read,
//! or refused with the provider's failure answer, never a panic. The input is
//! `provider byte, header lines, 0x00, body`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static PROVIDERS: LazyLock<Vec<Box<dyn gateway::providers::PaymentGateway>>> =
    LazyLock::new(|| gateway::providers::config::sandbox("http://127.0.0.1:8080").0);

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Some(provider) = PROVIDERS.get(usize::from(choice) % PROVIDERS.len().max(1)) else {
        return;
    };
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let (head, body) = rest.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let head = String::from_utf8_lossy(head).into_owned();
    let headers = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let now = engine::time::Timestamp(1_790_000_000_000);
    if let Err(refusal) = provider.read_notification(&headers, body, now) {
        let _ = provider.refused(&refusal);
    }
});
