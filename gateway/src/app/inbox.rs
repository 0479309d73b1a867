//! Payments acknowledged from the durable inbox (`storage/src/inbox.rs`: the redb file's,
//! or in Kafka mode the log's), the use cases: receiving a verified notification, applying what waits —
//! by the applier in the background, and by a candidate's own request before it reads or
//! changes their record — and what is still being recorded.
//!
//! Why: a provider needs a fast, durable "received" and never reads the record back. So a
//! notification the shard would apply (asked of the stored record with the engine's own
//! decision, `engine::candidate::check_payment`: a refusal is still answered at once, with
//! the provider's failure answer) is made durable in the inbox — one small record in the
//! next group commit — and acknowledged; the shard applies it afterwards, exactly once per
//! provider transaction (the engine's idempotency: a second application yields nothing),
//! in arrival order per candidate. Nothing acknowledged is lost on kill -9: the inbox is
//! durable before the answer, and an entry leaves it only after its application is.
//!
//! In Kafka mode the entry is a state-only record on the candidate's own partition,
//! answered once Kafka has it with `acks=all` — by whichever node the provider reached — and
//! applied by the node owning the partition. `store = scylla` keeps the synchronous path.

use crate::app::AppError;
use crate::app::payments::{PaymentOutcome, record_payment, record_payment_with};
use crate::state::AppState;
use engine::candidate::PaymentNotice;
use engine::key::CandidateKey;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;
use std::time::Instant;
use storage::embedded::{Callback, InboxEntry, Lookup, Pending};

/// Entries the applier takes at a time: bounded memory, and a round's leftover removals
/// (of entries whose application committed nothing) are one commit.
pub const APPLY_BATCH_ENTRIES: usize = 512;
/// Candidates applied at once within a round (each one's entries in order).
pub const APPLY_CONCURRENT_CANDIDATES: usize = 64;
/// How long the applier waits for a wake-up before looking again (entries left by a
/// failed round are retried then).
pub const APPLY_IDLE_INTERVAL: Duration = Duration::from_millis(250);

/// Receives a verified payment notification: [`PaymentOutcome::Received`] once it is
/// durable in the inbox, `Duplicate` when the record has it already; refused (the shard's
/// own refusal) before anything is stored. Without an inbox (`store = scylla`) or for an
/// adult-exam order, applied now, as before.
pub async fn receive_payment(
    state: &AppState,
    notice: PaymentNotice,
) -> Result<PaymentOutcome, AppError> {
    let (Some(inbox), Some(crate::orders::Owner::Gaokao(key))) = (
        state.store.inbox(),
        crate::orders::owner_of(&notice.order_id),
    ) else {
        // No inbox, or an adult-exam order (its own engine module): applied now.
        return record_payment(state, notice).await;
    };
    // A provider's retry of a notification still waiting: the first copy is durable, so
    // this one is answered without a commit.
    let stored = match inbox.lookup(&notice.idempotency_key(), key)? {
        Lookup::Pending => return Ok(PaymentOutcome::Received),
        Lookup::Record(stored) => stored,
    };
    match engine::candidate::check_payment(stored.as_deref(), &notice) {
        Ok(true) => {}
        Ok(false) => return Ok(PaymentOutcome::Duplicate),
        // A Kafka-mode node reads a projection that may not yet have the order the
        // candidate created a moment ago on the node owning them: the owner decides (the
        // synchronous path, which sends the provider there).
        Err(_) if matches!(inbox, storage::Inbox::Kafka(_)) => {
            return record_payment(state, notice).await;
        }
        Err(rejection) => return Err(rejection.into()),
    }
    let entry = InboxEntry {
        key,
        received_at_ms: u64::try_from(state.now().0).unwrap_or(0),
        callback: Callback::Payment(notice),
    };
    if let Some(offset) = inbox.put(entry, partition_of(state, key)).await? {
        state.inbox_unseen.remember(key, offset);
    }
    Ok(PaymentOutcome::Received)
}

/// Candidates whose notification this node answered before its projection had it (Kafka
/// mode), with the offset to wait for (on their own partition) before their next request
/// looks at the inbox: read-your-writes for the one who paid, without making anyone else's
/// request wait.
#[derive(Default)]
pub struct Unseen(std::sync::Mutex<HashMap<CandidateKey, (u64, Instant)>>);

/// Most candidates remembered at once (~48 bytes each). Past it, entries older than
/// [`UNSEEN_FORGET_AFTER`] are forgotten (their entries are applied by then, or the wait
/// would time out anyway); if none is, the new one is not remembered.
pub const UNSEEN_CAPACITY: usize = 65_536;
/// See [`UNSEEN_CAPACITY`].
pub const UNSEEN_FORGET_AFTER: Duration = Duration::from_secs(5);

impl Unseen {
    fn remember(&self, key: CandidateKey, offset: u64) {
        let Ok(mut unseen) = self.0.lock() else {
            return;
        };
        if unseen.len() >= UNSEEN_CAPACITY {
            unseen.retain(|_, (_, at)| at.elapsed() < UNSEEN_FORGET_AFTER);
        }
        let now = Instant::now();
        let room = unseen.len() < UNSEEN_CAPACITY;
        match unseen.entry(key) {
            // Offsets on one partition only grow, but two answers may finish out of order.
            Entry::Occupied(mut slot) => {
                let offset = slot.get().0.max(offset);
                slot.insert((offset, now));
            }
            Entry::Vacant(slot) if room => {
                slot.insert((offset, now));
            }
            Entry::Vacant(_) => {}
        }
    }

    fn take(&self, key: CandidateKey) -> Option<u64> {
        Some(self.0.lock().ok()?.remove(&key)?.0)
    }
}

/// The candidate's own partition: where their inbox entries are, in Kafka mode.
fn partition_of(state: &AppState, key: CandidateKey) -> storage::Partition {
    storage::Partition::Candidates(key.shard(state.registry.shard_count()))
}

/// Applies every payment waiting for `key`, in arrival order, before the candidate's own
/// request reads or changes their record (read-your-writes for the one who paid). Returns
/// how many still wait — shown as "已收到付款，正在入账" (an application that failed, the
/// shard overloaded or the store unavailable, is left for the applier; an inbox that cannot
/// be read shows none).
pub async fn settle(state: &AppState, key: CandidateKey) -> usize {
    let Some(inbox) = state.store.inbox() else {
        return 0;
    };
    // Kafka mode: a notification of theirs this node answered may not be in its projection
    // yet; wait for it (embedded: nothing remembered, readable at once).
    if let Some(offset) = state.inbox_unseen.take(key)
        && let Err(error) = inbox.applied_here(partition_of(state, key), offset).await
    {
        tracing::warn!(%error, "a received payment is not in this node's store yet");
    }
    match inbox.of(key) {
        Ok(pending) if pending.is_empty() => 0,
        Ok(pending) => {
            let total = pending.len();
            let settled = apply_in_order(state, pending).await;
            let left = total - settled.count;
            remove(state, settled.to_remove).await;
            left
        }
        Err(error) => {
            tracing::warn!(%error, "reading the callback inbox failed");
            0
        }
    }
}

/// How many payments of `key` are received and not yet recorded, without applying them
/// (an operator's view: only the candidate's own requests apply their payments first).
pub fn being_recorded(state: &AppState, key: CandidateKey) -> usize {
    state
        .store
        .inbox()
        .and_then(|inbox| inbox.of(key).ok())
        .map_or(0, |pending| pending.len())
}

/// Runs the applier until the process ends: takes the oldest entries this node applies,
/// applies each candidate's in order (candidates concurrently), removes what was applied,
/// and measures the backlog. Woken whenever an entry becomes durable here (received by this
/// node, or in Kafka mode applied from the log); looks again every [`APPLY_IDLE_INTERVAL`].
pub fn spawn(state: actix_web::web::Data<AppState>) {
    if state.store.inbox().is_none() {
        return;
    }
    actix_web::rt::spawn(async move {
        loop {
            let progressed = apply_round(&state).await;
            if !progressed {
                let Some(inbox) = state.store.inbox() else {
                    return;
                };
                let _ =
                    tokio::time::timeout(APPLY_IDLE_INTERVAL, inbox.arrivals().notified()).await;
            }
        }
    });
}

/// One round; whether it applied anything (then the next round starts at once).
async fn apply_round(state: &AppState) -> bool {
    let Some(inbox) = state.store.inbox() else {
        return false;
    };
    if let Ok(backlog) = inbox.backlog() {
        let now_ms = u64::try_from(state.now().0).unwrap_or(0);
        crate::metrics::inbox_backlog(
            backlog.pending,
            backlog
                .oldest_received_at_ms
                .map_or(0.0, |oldest| now_ms.saturating_sub(oldest) as f64 / 1000.0),
        );
    }
    let pending = match inbox.oldest(APPLY_BATCH_ENTRIES) {
        Ok(pending) => pending,
        Err(error) => {
            tracing::warn!(%error, "reading the callback inbox failed");
            return false;
        }
    };
    if pending.is_empty() {
        return false;
    }
    let mut by_candidate: BTreeMap<CandidateKey, Vec<Pending>> = BTreeMap::new();
    for entry in pending {
        by_candidate.entry(entry.entry.key).or_default().push(entry);
    }
    use futures::StreamExt as _;
    let settled: Vec<Settled> = futures::stream::iter(by_candidate.into_values())
        .map(|entries| apply_in_order(state, entries))
        .buffer_unordered(APPLY_CONCURRENT_CANDIDATES)
        .collect()
        .await;
    let progressed = settled.iter().any(|settled| settled.count > 0);
    remove(
        state,
        settled
            .into_iter()
            .flat_map(|settled| settled.to_remove)
            .collect(),
    )
    .await;
    progressed
}

/// What applying one candidate's entries settled.
#[derive(Default)]
struct Settled {
    /// Entries applied (or settled for good: refused).
    count: usize,
    /// Those of them still in the inbox: the ones whose application changed nothing (a
    /// duplicate, a refusal), so no commit carried their removal.
    to_remove: Vec<u64>,
}

/// Applies one candidate's entries in order, stopping at the first that could not be
/// applied now (so a later one never overtakes it). An entry leaves the inbox in the commit
/// that applies it (one commit per payment, not two: in Kafka mode one record fewer); one
/// whose application commits nothing is removed afterwards with the round's others.
async fn apply_in_order(state: &AppState, entries: Vec<Pending>) -> Settled {
    let mut settled = Settled::default();
    for pending in entries {
        let Callback::Payment(notice) = pending.entry.callback;
        let provider = notice.provider.name();
        let removal = storage::StateUpdate::InboxRemove {
            sequences: vec![pending.sequence],
        };
        match record_payment_with(state, notice, vec![removal]).await {
            Ok((outcome, removed)) => {
                crate::metrics::inbox_applied(provider, outcome.label());
                settled.count += 1;
                if !removed {
                    settled.to_remove.push(pending.sequence);
                }
            }
            Err(error) if transient(&error) => break,
            Err(error) => {
                // Checked before it was acknowledged, so this should not happen; the
                // provider's transaction stays for the reconciliation to find, and the
                // alert on this counter for a person.
                tracing::error!(%error, "an acknowledged payment was refused when applied");
                crate::metrics::inbox_applied(provider, "refused");
                settled.count += 1;
                settled.to_remove.push(pending.sequence);
            }
        }
    }
    settled
}

/// Failures worth retrying: nothing was decided.
fn transient(error: &AppError) -> bool {
    matches!(
        error,
        AppError::Actor(
            actors::ActorError::Overloaded(_)
                | actors::ActorError::Storage(_)
                | actors::ActorError::Internal
                | actors::ActorError::Unavailable
        ) | AppError::Busy { .. }
    )
}

async fn remove(state: &AppState, sequences: Vec<u64>) {
    let Some(inbox) = state.store.inbox() else {
        return;
    };
    if sequences.is_empty() {
        return;
    }
    // A removal lost to a failed commit is harmless: the entries are applied again, as
    // duplicates.
    if let Err(error) = inbox.remove(sequences).await {
        tracing::warn!(%error, "removing applied callbacks from the inbox failed");
    }
}
