//! Group commit throughput: durable writes per second when 1, 64 or 1024 writes share one
//! transaction (one fsync). Each write is a realistic registration write: one log record,
//! the candidate's snapshot with its index and counter updates, and an idempotency record.
//!
//! Run: `cargo bench -p storage --bench group_commit`

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use engine::candidate::Status;
use std::time::Duration;
use storage::{EmbeddedConfig, EmbeddedStore};
use support::{candidate, commit_for, point};

fn group_commit(c: &mut Criterion) {
    let directory = tempfile::tempdir().expect("temp dir");
    let (store, _) = EmbeddedStore::open(&EmbeddedConfig::new(directory.path().join("bench.redb")))
        .expect("opens");
    let mut group = c.benchmark_group("group_commit");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    let mut next_key: u64 = 0;
    for batch in [1usize, 64, 1024] {
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(
            BenchmarkId::new("durable_writes", batch),
            &batch,
            |b, &batch| {
                b.iter(|| {
                    let commits: Vec<_> = (0..batch)
                        .map(|_| {
                            next_key += 1;
                            let mut key = [0u8; 16];
                            key[..8].copy_from_slice(&next_key.to_be_bytes());
                            let sequence = 1 + (next_key % 9000) as u16;
                            let candidate =
                                candidate(key, point(430102, 1), sequence, Status::Paid);
                            commit_for(
                                &candidate,
                                (next_key % 16) as u32,
                                &format!("bench-{next_key}"),
                            )
                        })
                        .collect();
                    for pending in store.submit_many(commits) {
                        pending.wait().expect("durable");
                    }
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, group_commit);
criterion_main!(benches);
