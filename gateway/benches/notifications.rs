//! What verifying a payment notification costs, per provider, on one core: WeChat Pay API
//! v3 (RSA-SHA256 over the signed message, then AES-256-GCM of the resource, then the JSON),
//! Alipay (RSA2 over the sorted form) and UnionPay (the certificate in the message parsed and
//! compared with the pinned one, then RSA over the SHA-256 digest). The notifications are the
//! sandbox's — the same verification code as a live merchant's, with the sandbox's keys.
//!
//! Run: `cargo bench -p gateway --bench notifications`

use criterion::{Criterion, criterion_group, criterion_main};
use engine::time::Timestamp;
use gateway::providers::Paid;
use std::time::Duration;

fn notifications(c: &mut Criterion) {
    let (gateways, sandbox) = gateway::providers::config::sandbox("http://127.0.0.1:8080");
    let now = Timestamp(1_795_915_800_000);
    let mut group = c.benchmark_group("read_notification");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for gateway in &gateways {
        let provider = gateway.provider();
        let paid: Paid = sandbox.pay(provider, "GK0123456789ABCDEFGHJKMNPQRS01", 2000, now);
        let sent = gateway
            .sandbox_notification(&paid, now)
            .expect("the sandbox signs");
        group.bench_function(provider.name(), |b| {
            b.iter(|| {
                gateway
                    .read_notification(&|name| sent.header(name), &sent.body, now)
                    .expect("verifies")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, notifications);
criterion_main!(benches);
