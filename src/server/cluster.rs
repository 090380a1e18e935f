//! Several servers on one store, and keeping the store bounded: "what did the other servers
//! do, and what may start-up skip?"
//!
//! - **Following**: each server applies the [`Change`]s other servers store (PostgreSQL): a
//!   turn reaches the consoles watching its session here, feedback events and purchases reach
//!   this server's recommender, an erasure its customer histories. It reads the feed when the
//!   store signals (`NOTIFY`, milliseconds after the commit) and every [`FOLLOW_POLL`] in any
//!   case, so a change is applied within about a second even when a notification is lost.
//! - **Snapshot**: every `snapshot_secs` the stored feedback events are folded into the
//!   online-learning snapshot ([`ONLINE_SNAPSHOT`]); start-up restores it and replays only the
//!   events after it.
//! - **Retention**: sessions untouched for `retention_days` are erased with their turns and
//!   events, hourly.

use std::collections::BTreeSet;
use std::time::Duration;

use super::AppState;
use super::store::{self, Change, SessionStore, Snapshot, StoredChange};
use super::views::now_ms;
use crate::recommend::{OnlineSnapshot, Recommender};

/// The snapshot's name in the store.
pub(super) const ONLINE_SNAPSHOT: &str = "online";

/// Longest wait between two reads of the change feed.
const FOLLOW_POLL: Duration = Duration::from_secs(1);

/// A change or event begun this long ago has committed (store transactions take
/// milliseconds): feed entries and events up to it are settled, and never arrive late.
const SETTLE_MS: u64 = 30_000;

/// Between two retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Restores the stored online-learning snapshot into `recommender`. Returns the last event
/// it holds (0 without one, or when it does not decode: then every event is replayed).
pub(super) fn restore_snapshot(
    store: &dyn SessionStore,
    recommender: &Recommender,
) -> store::Result<i64> {
    let Some(saved) = store.snapshot(ONLINE_SNAPSHOT)? else {
        return Ok(0);
    };
    match OnlineSnapshot::from_json(&saved.data) {
        Ok(snapshot) => {
            let missing = recommender.restore_online(&snapshot);
            tracing::info!(
                "online learning restored from the snapshot at event {} ({} baskets; {missing} products no longer in the catalog)",
                saved.cursor,
                snapshot.baskets()
            );
            Ok(saved.cursor)
        }
        Err(e) => {
            tracing::warn!(
                "{}: the online-learning snapshot does not decode ({e}); replaying every event",
                store.describe()
            );
            Ok(0)
        }
    }
}

/// Folds the settled events stored after the snapshot into it and saves it (unless another
/// server saved one meanwhile). Returns the new cursor when it saved one.
pub(super) fn fold_snapshot(store: &dyn SessionStore) -> store::Result<Option<i64>> {
    let saved = store.snapshot(ONLINE_SNAPSHOT)?;
    let previous = saved.as_ref().map_or(0, |s| s.cursor);
    let settled = store.settled_event_id(SETTLE_MS)?;
    if settled <= previous {
        return Ok(None);
    }
    // A snapshot that does not decode is rebuilt from the first event.
    let (mut snapshot, from) = match saved.map(|s| OnlineSnapshot::from_json(&s.data)) {
        Some(Ok(snapshot)) => (snapshot, previous),
        Some(Err(e)) => {
            tracing::warn!(
                "the stored online-learning snapshot does not decode ({e}); rebuilding it"
            );
            (OnlineSnapshot::default(), 0)
        }
        None => (OnlineSnapshot::default(), 0),
    };
    store.events_after(from, &mut |id, event| {
        if id <= settled {
            snapshot.apply(&event);
        }
    })?;
    let saved = store.save_snapshot(
        ONLINE_SNAPSHOT,
        previous,
        &Snapshot {
            cursor: settled,
            at_ms: now_ms(),
            data: snapshot.to_json(),
        },
    )?;
    Ok(saved.then_some(settled))
}

/// Where a server is in the change feed: every entry above `floor` it has applied is in
/// `seen`, and every entry at or below `floor` is settled, so none can still arrive there.
#[derive(Debug, Default)]
struct Cursor {
    floor: i64,
    seen: BTreeSet<i64>,
}

impl Cursor {
    /// The entries of `read` (everything above `floor`) not applied yet; advances the floor
    /// past the settled ones.
    fn fresh(&mut self, read: Vec<StoredChange>) -> Vec<Change> {
        let mut fresh = Vec::new();
        let mut settled = self.floor;
        for entry in read {
            if entry.age_ms >= SETTLE_MS {
                settled = settled.max(entry.id);
            }
            if self.seen.insert(entry.id) {
                fresh.push(entry.change);
            }
        }
        self.floor = settled;
        self.seen = self.seen.split_off(&(settled + 1));
        fresh
    }
}

impl AppState {
    /// Starts the background work of a running server: following other servers' changes,
    /// folding the online-learning snapshot, retention, and watching the index for new
    /// generations. Tasks end when the server shuts down.
    pub(super) fn start_background(&self) {
        if let Some(signal) = self.store().change_signal() {
            tokio::spawn(self.clone().follow(signal));
        }
        tokio::spawn(self.clone().fold_periodically());
        tokio::spawn(self.clone().expire_periodically());
        tokio::spawn(self.clone().watch_index());
    }

    /// Waits `period`; true when the server began shutting down meanwhile.
    pub(super) async fn pause(&self, period: Duration) -> bool {
        let mut shutdown = self.shutdown_watch();
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return true,
        }
        *shutdown.borrow()
    }

    async fn follow(self, signal: std::sync::Arc<tokio::sync::Notify>) {
        // Start after what exists now: the assistant loads everything stored before it.
        let mut cursor = Cursor {
            floor: self
                .blocking(|store| store.last_change())
                .await
                .unwrap_or(0),
            seen: BTreeSet::new(),
        };
        let mut shutdown = self.shutdown_watch();
        loop {
            tokio::select! {
                _ = signal.notified() => {}
                _ = tokio::time::sleep(FOLLOW_POLL) => {}
                _ = shutdown.wait_for(|stopping| *stopping) => return,
            }
            let floor = cursor.floor;
            let read = match self.blocking(move |store| store.changes_after(floor)).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!("reading other servers' changes: {}", e.message);
                    continue;
                }
            };
            let fresh = cursor.fresh(read);
            if !fresh.is_empty() {
                let state = self.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    for change in fresh {
                        state.apply(change);
                    }
                })
                .await;
            }
        }
    }

    /// Applies another server's change here (blocking).
    fn apply(&self, change: Change) {
        let kind = match &change {
            Change::Turn { .. } => "turn",
            Change::Events { .. } => "events",
            Change::Purchases { .. } => "purchases",
            Change::CustomerErased { .. } => "customer_erased",
        };
        self.metrics()
            .changes_applied
            .with_label_values(&[kind])
            .inc();
        match change {
            Change::Turn { session, turn } => {
                if !self.inner.agents.is_watched(&session) {
                    return;
                }
                match self.store().turns(&session) {
                    Ok(turns) => {
                        if let Some(stored) = turns.iter().find(|t| t.turn == turn) {
                            self.inner.agents.publish_turn(&session, stored);
                        }
                    }
                    Err(e) => tracing::warn!("reading a turn another server stored: {e}"),
                }
            }
            Change::Events { events } => {
                if let Some(assistant) = self.current() {
                    for event in &events {
                        let _ = assistant.recommender().record(event);
                    }
                }
            }
            Change::Purchases {
                customer,
                session,
                items,
            } => {
                if let Some(assistant) = self.current() {
                    assistant
                        .recommender()
                        .record_order(&customer, &session, &items);
                }
            }
            Change::CustomerErased { customer } => {
                if let Some(assistant) = self.current() {
                    assistant.recommender().forget_customer(&customer);
                }
            }
        }
    }

    async fn fold_periodically(self) {
        let period = Duration::from_secs(self.config().snapshot_secs.max(1));
        // The first fold waits a period: start-up's own loading comes first.
        while !self.pause(period).await {
            let started = std::time::Instant::now();
            match self.blocking(|store| fold_snapshot(store)).await {
                Ok(Some(cursor)) => tracing::info!(
                    "online-learning snapshot saved at event {cursor} in {:.2} s",
                    started.elapsed().as_secs_f64()
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!("saving the online-learning snapshot: {}", e.message),
            }
        }
    }

    async fn expire_periodically(self) {
        let days = self.config().retention_days;
        if days == 0 {
            return;
        }
        loop {
            let before = now_ms().saturating_sub(days * 24 * 3600 * 1000);
            match self.blocking(move |store| store.expire(before)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("retention: erased {n} sessions untouched for {days} days"),
                Err(e) => tracing::warn!("retention: {}", e.message),
            }
            if self.pause(RETENTION_EVERY).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, age_ms: u64) -> StoredChange {
        StoredChange {
            id,
            age_ms,
            change: Change::CustomerErased {
                customer: format!("c{id}"),
            },
        }
    }

    #[test]
    fn a_change_that_commits_late_with_a_lower_id_is_still_applied_once() {
        let mut cursor = Cursor::default();
        // 2 began before 3 but has not committed: the first read sees 1 and 3.
        assert_eq!(cursor.fresh(vec![entry(1, 40_000), entry(3, 10)]).len(), 2);
        assert_eq!(cursor.floor, 1, "only settled entries move the floor");
        // Then 2 commits: it is read (above the floor), 3 is not applied twice.
        let again = cursor.fresh(vec![entry(2, 20), entry(3, 20)]);
        assert_eq!(
            again,
            vec![Change::CustomerErased {
                customer: "c2".into()
            }]
        );
        // Once settled, the floor passes them and `seen` forgets them.
        assert!(
            cursor
                .fresh(vec![entry(2, 31_000), entry(3, 31_000)])
                .is_empty()
        );
        assert_eq!(cursor.floor, 3);
        assert!(cursor.seen.is_empty());
    }
}
