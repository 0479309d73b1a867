//! The province's live settings: the last committed value wins and survives reopening.

mod support;

use storage::{Commit, EmbeddedConfig, EmbeddedStore, Partition, StateStore, StateUpdate};
use support::block_on;

fn set(store: &EmbeddedStore, name: &str, value: &[u8]) {
    store
        .submit(Commit {
            partition: Partition::Organisation,
            records: Vec::new(),
            updates: vec![StateUpdate::Setting {
                name: name.to_owned(),
                value: value.to_vec(),
            }],
        })
        .wait()
        .expect("durable");
}

#[test]
fn the_last_committed_setting_survives_reopening() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = EmbeddedConfig::new(directory.path().join("settings.redb"));
    {
        let (store, _) = EmbeddedStore::open(&config).expect("opens");
        assert_eq!(block_on(store.setting("admission")).expect("reads"), None);
        set(&store, "admission", b"{\"paused\":false}");
        set(&store, "admission", b"{\"paused\":true}");
        set(&store, "schedule", b"{}");
        assert_eq!(
            block_on(store.setting("admission"))
                .expect("reads")
                .as_deref(),
            Some(&b"{\"paused\":true}"[..])
        );
    }
    let (store, _) = EmbeddedStore::open(&config).expect("reopens");
    assert_eq!(
        block_on(store.setting("admission"))
            .expect("reads")
            .as_deref(),
        Some(&b"{\"paused\":true}"[..])
    );
    assert_eq!(
        block_on(store.setting("schedule"))
            .expect("reads")
            .as_deref(),
        Some(&b"{}"[..])
    );
}
