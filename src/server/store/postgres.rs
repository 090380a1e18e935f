//! [`PostgresStore`]: sessions, turns, events and customers in a PostgreSQL database that
//! several chat servers share.
//!
//! - Driver: `tokio-postgres` with a `deadpool-postgres` connection pool, on a small runtime
//!   of the store's own, so the blocking [`SessionStore`] methods can be called from any
//!   thread (the server calls them off its async workers, as for SQLite).
//! - Migrations: [`MIGRATIONS`] run at start, in order, each in its own transaction, under an
//!   advisory lock so servers starting together do not race; `schema_migrations` records them.
//! - Transactions: the same boundaries as SQLite. A turn and its session state commit
//!   together (the stored state read `FOR UPDATE` and merged); events commit all or none.
//!   PostgreSQL's default `synchronous_commit = on` makes a commit durable before it returns.
//! - The change feed: writes other servers must learn of also insert a [`Change`] into
//!   `changes`, in the same transaction, and `NOTIFY shopclerk_changes`; a dedicated
//!   connection `LISTEN`s and wakes [`SessionStore::change_signal`]. The feed table (not the
//!   notification payload) is the record, so a server whose listening connection dropped
//!   catches up by reading it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{
    Change, Error, Result, SessionInfo, SessionStore, Snapshot, StoredChange, decode, json,
    numbered, orders_of,
};
use crate::dialogue::Session;
use crate::recommend::feedback::FeedbackEvent;
use crate::server::views::StoredTurn;

/// The notification channel of the change feed.
const CHANNEL: &str = "shopclerk_changes";

/// Connections in the pool: as many as turns and events a server writes at once, well under
/// PostgreSQL's default `max_connections` (100) for a few servers.
const POOL_SIZE: usize = 16;

/// How long a statement may wait for a pooled connection or the server.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Versioned schema changes, applied in order once each.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    last_message TEXT NOT NULL DEFAULT '',
    state JSONB NOT NULL
);
CREATE INDEX sessions_updated ON sessions (updated_ms);
CREATE TABLE turns (
    session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    at_ms BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session, turn)
);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    session TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    data TEXT NOT NULL
);
CREATE INDEX events_session ON events (session);
CREATE TABLE purchases (
    id BIGSERIAL PRIMARY KEY,
    customer TEXT NOT NULL,
    session TEXT NOT NULL,
    item TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX purchases_customer ON purchases (customer);
CREATE TABLE erased_customers (
    customer TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL
);
CREATE TABLE snapshots (
    name TEXT PRIMARY KEY,
    cursor BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE changes (
    id BIGSERIAL PRIMARY KEY,
    origin TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    data TEXT NOT NULL
);
",
)];

/// Runs `$body` (which uses `$tx` and fails with `tokio_postgres::Error`) in one transaction
/// on a pooled connection of `$store`, committing when it returns `Ok`.
macro_rules! transaction {
    ($store:expr, $what:expr, |$tx:ident| $body:block) => {{
        let what: &str = $what;
        let pool = &$store.pool;
        $store.block(async {
            let mut client = pool.get().await.map_err(|e| failed(e, "connecting"))?;
            let $tx = client.transaction().await.map_err(|e| failed(e, what))?;
            let out = async { $body }
                .await
                .map_err(|e: tokio_postgres::Error| failed(e, what))?;
            $tx.commit().await.map_err(|e| failed(e, what))?;
            Ok(out)
        })
    }};
}

/// A PostgreSQL database shared by several servers.
pub struct PostgresStore {
    /// The URL without its password, for messages.
    url: String,
    pool: Pool,
    /// This process's name in the change feed: its own changes are not fed back to it.
    origin: String,
    signal: Arc<tokio::sync::Notify>,
    /// The runtime the driver runs on; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.url)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which an async caller may not do.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `url` with any password replaced by `***`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    // A password may itself hold '@': the host follows the last one.
    match rest.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A failure as text (a database error with its detail, not only "db error").
fn failed(e: impl std::fmt::Display + std::fmt::Debug, what: &str) -> String {
    let text = e.to_string();
    if text == "db error" {
        format!("{what}: {e:?}")
    } else {
        format!("{what}: {text}")
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`),
    /// runs the migrations it lacks and starts listening for other servers' changes.
    ///
    /// # Errors
    /// The URL does not parse, the server cannot be reached within 10 s, or a migration fails;
    /// each message names the URL (without its password).
    pub fn connect(url: &str) -> Result<PostgresStore> {
        let shown = redacted(url);
        let error = |reason: String| Error::Postgres {
            url: shown.clone(),
            reason,
        };
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| error(failed(e, "not a PostgreSQL URL")))?;
        let mut config = config;
        config.connect_timeout(TIMEOUT);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("shopclerk-postgres")
            .enable_all()
            .build()
            .map_err(|e| error(failed(e, "starting the database runtime")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(TIMEOUT))
            .create_timeout(Some(TIMEOUT))
            .build()
            .map_err(|e| error(failed(e, "building the connection pool")))?;
        let store = PostgresStore {
            url: shown.clone(),
            pool,
            origin: format!("{:016x}", rand::random::<u64>()),
            signal: Arc::new(tokio::sync::Notify::new()),
            runtime: Some(runtime),
        };
        store.migrate()?;
        let listener = listen(config, store.signal.clone(), shown);
        store.runtime().spawn(listener);
        Ok(store)
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the store")
    }

    /// Runs `work` on the store's runtime and waits for it, from any thread: on a thread of
    /// its own when the caller is inside an async runtime (where blocking on another would
    /// panic).
    fn block<T: Send>(
        &self,
        work: impl Future<Output = std::result::Result<T, String>> + Send,
    ) -> Result<T> {
        let runtime = self.runtime();
        let out = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| {
                scope
                    .spawn(|| runtime.block_on(work))
                    .join()
                    .unwrap_or_else(|_| Err("the database call panicked".into()))
            })
        } else {
            runtime.block_on(work)
        };
        out.map_err(|reason| Error::Postgres {
            url: self.url.clone(),
            reason,
        })
    }

    fn migrate(&self) -> Result<()> {
        let pool = self.pool.clone();
        self.block(async move {
            let mut client = pool.get().await.map_err(|e| failed(e, "connecting"))?;
            let tx = client
                .transaction()
                .await
                .map_err(|e| failed(e, "migrating"))?;
            // One server migrates at a time; the lock ends with the transaction.
            tx.batch_execute(
                "SELECT pg_advisory_xact_lock(7361626);
                 CREATE TABLE IF NOT EXISTS schema_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 );",
            )
            .await
            .map_err(|e| failed(e, "migrating"))?;
            let applied: Vec<i32> = tx
                .query("SELECT version FROM schema_migrations", &[])
                .await
                .map_err(|e| failed(e, "reading schema_migrations"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for (version, sql) in MIGRATIONS {
                if applied.contains(version) {
                    continue;
                }
                tx.batch_execute(sql)
                    .await
                    .map_err(|e| failed(e, &format!("migration {version}")))?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await
                .map_err(|e| failed(e, &format!("migration {version}")))?;
                tracing::info!("session database: applied migration {version}");
            }
            tx.commit().await.map_err(|e| failed(e, "migrating"))
        })
    }

    /// Runs one query on a pooled connection and returns its rows.
    fn query(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>> {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(|e| failed(e, "connecting"))?;
            client.query(sql, params).await.map_err(|e| failed(e, what))
        })
    }
}

/// Appends `change` to the feed and wakes the listening servers, inside the caller's
/// transaction (PostgreSQL delivers the notification at commit, never before).
async fn feed(
    tx: &deadpool_postgres::Transaction<'_>,
    origin: &str,
    change: &Change,
) -> std::result::Result<(), tokio_postgres::Error> {
    tx.execute(
        "INSERT INTO changes (origin, data) VALUES ($1, $2)",
        &[&origin, &json(change)],
    )
    .await?;
    tx.batch_execute(&format!("NOTIFY {CHANNEL}")).await
}

/// Listens on the feed's channel for as long as the runtime lives, waking `signal` on every
/// notification and after every reconnection (when notifications may have been missed).
async fn listen(config: tokio_postgres::Config, signal: Arc<tokio::sync::Notify>, url: String) {
    use futures_util::StreamExt;
    let mut delay = Duration::from_millis(200);
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                let _ = tx.send(());
                            }
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                });
                if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    tracing::warn!("session database {url}: LISTEN failed: {e}");
                } else {
                    delay = Duration::from_millis(200);
                    signal.notify_one();
                    while rx.recv().await.is_some() {
                        signal.notify_one();
                    }
                }
                driver.abort();
                tracing::warn!("session database {url}: the listening connection closed");
            }
            Err(e) => tracing::warn!("session database {url}: cannot listen: {e}"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

fn info(row: &tokio_postgres::Row) -> SessionInfo {
    SessionInfo {
        session_id: row.get(0),
        created_ms: row.get::<_, i64>(1) as u64,
        updated_ms: row.get::<_, i64>(2) as u64,
        turns: row.get::<_, i32>(3) as u32,
        last_message: row.get(4),
    }
}

impl SessionStore for PostgresStore {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn create(&self, session: &Session, now_ms: u64) -> Result<()> {
        let (id, now, state) = (session.id.clone(), now_ms as i64, json(session));
        transaction!(self, "creating a session", |tx| {
            tx.execute(
                "INSERT INTO sessions (id, created_ms, updated_ms, state)
                 VALUES ($1, $2, $2, $3::text::jsonb)",
                &[&id, &now, &state],
            )
            .await
            .map(drop)
        })
    }

    fn session(&self, id: &str) -> Result<Option<(SessionInfo, Session)>> {
        let rows = self.query(
            "reading a session",
            "SELECT id, created_ms, updated_ms, turns, last_message, state::text
             FROM sessions WHERE id = $1",
            &[&id],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let session = decode(&self.url, format!("session {id}"), row.get(5))?;
        Ok(Some((info(row), session)))
    }

    fn save_turn(&self, base: &Session, session: &Session, turn: &StoredTurn) -> Result<bool> {
        let url = self.url.clone();
        let origin = self.origin.clone();
        let mut corrupt = None;
        let saved = transaction!(self, "storing a turn", |tx| {
            let rows = tx
                .query(
                    "SELECT state::text FROM sessions WHERE id = $1 FOR UPDATE",
                    &[&session.id],
                )
                .await?;
            let Some(row) = rows.first() else {
                return Ok(false);
            };
            let current: Session = match decode(&url, format!("session {}", session.id), row.get(0))
            {
                Ok(current) => current,
                Err(e) => {
                    corrupt = Some(e);
                    return Ok(false);
                }
            };
            let mut merged = session.clone();
            merged.merge_concurrent(base, &current);
            let turn = &numbered(&current, &mut merged, turn);
            let (at, number) = (turn.at_ms as i64, turn.turn as i32);
            tx.execute(
                "UPDATE sessions SET updated_ms = $2, turns = $3, last_message = $4,
                     state = $5::text::jsonb WHERE id = $1",
                &[&merged.id, &at, &number, &turn.user, &json(&merged)],
            )
            .await?;
            tx.execute(
                "INSERT INTO turns (session, turn, at_ms, data) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (session, turn) DO UPDATE SET at_ms = excluded.at_ms,
                     data = excluded.data",
                &[&merged.id, &number, &at, &json(turn)],
            )
            .await?;
            let change = Change::Turn {
                session: merged.id.clone(),
                turn: turn.turn,
            };
            feed(&tx, &origin, &change).await?;
            Ok(true)
        })?;
        match corrupt {
            Some(e) => Err(e),
            None => Ok(saved),
        }
    }

    fn update_state(
        &self,
        id: &str,
        now_ms: u64,
        change: &mut (dyn FnMut(&mut Session) + Send),
    ) -> Result<bool> {
        let url = self.url.clone();
        let mut corrupt = None;
        let updated = transaction!(self, "changing a session", |tx| {
            let rows = tx
                .query(
                    "SELECT state::text FROM sessions WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .await?;
            let Some(row) = rows.first() else {
                return Ok(false);
            };
            let mut session: Session = match decode(&url, format!("session {id}"), row.get(0)) {
                Ok(session) => session,
                Err(e) => {
                    corrupt = Some(e);
                    return Ok(false);
                }
            };
            change(&mut session);
            tx.execute(
                "UPDATE sessions SET updated_ms = $2, state = $3::text::jsonb WHERE id = $1",
                &[&id, &(now_ms as i64), &json(&session)],
            )
            .await?;
            Ok(true)
        })?;
        match corrupt {
            Some(e) => Err(e),
            None => Ok(updated),
        }
    }

    fn turns(&self, id: &str) -> Result<Vec<StoredTurn>> {
        let rows = self.query(
            "reading turns",
            "SELECT turn, data FROM turns WHERE session = $1 ORDER BY turn",
            &[&id],
        )?;
        rows.iter()
            .map(|r| {
                let n: i32 = r.get(0);
                decode(&self.url, format!("turn {n} of session {id}"), r.get(1))
            })
            .collect()
    }

    fn record_events(&self, events: &[FeedbackEvent]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let origin = self.origin.clone();
        transaction!(self, "storing events", |tx| {
            let insert = tx
                .prepare("INSERT INTO events (session, at_ms, data) VALUES ($1, $2, $3)")
                .await?;
            for event in events {
                tx.execute(
                    &insert,
                    &[&event.session, &(event.at_ms as i64), &json(event)],
                )
                .await?;
            }
            let change = Change::Events {
                events: events.to_vec(),
            };
            feed(&tx, &origin, &change).await
        })
    }

    fn events(&self, session: &str) -> Result<Vec<FeedbackEvent>> {
        let rows = self.query(
            "reading events",
            "SELECT id, data FROM events WHERE session = $1 ORDER BY id",
            &[&session],
        )?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.get(0);
                decode(&self.url, format!("event {id}"), r.get(1))
            })
            .collect()
    }

    fn events_after(&self, after: i64, visit: &mut dyn FnMut(i64, FeedbackEvent)) -> Result<i64> {
        // In pages, so a long history never sits in memory at once.
        const PAGE: i64 = 10_000;
        let mut last = after;
        let mut bad = 0;
        loop {
            let rows = self.query(
                "reading events",
                "SELECT id, data FROM events WHERE id > $1 ORDER BY id LIMIT $2",
                &[&last, &PAGE],
            )?;
            for row in &rows {
                last = row.get(0);
                match serde_json::from_str(row.get(1)) {
                    Ok(event) => visit(last, event),
                    Err(_) => bad += 1,
                }
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        if bad > 0 {
            tracing::warn!(
                "{}: {bad} stored events do not decode and were skipped",
                self.url
            );
        }
        Ok(last)
    }

    fn settled_event_id(&self, older_than_ms: u64) -> Result<i64> {
        let seconds = older_than_ms as f64 / 1000.0;
        let rows = self.query(
            "reading events",
            "SELECT coalesce(max(id), 0) FROM events
             WHERE stored_at < now() - make_interval(secs => $1)",
            &[&seconds],
        )?;
        Ok(rows.first().map_or(0, |r| r.get(0)))
    }

    fn snapshot(&self, name: &str) -> Result<Option<Snapshot>> {
        let rows = self.query(
            "reading a snapshot",
            "SELECT cursor, at_ms, data FROM snapshots WHERE name = $1",
            &[&name],
        )?;
        Ok(rows.first().map(|r| Snapshot {
            cursor: r.get(0),
            at_ms: r.get::<_, i64>(1) as u64,
            data: r.get(2),
        }))
    }

    fn save_snapshot(&self, name: &str, previous: i64, snapshot: &Snapshot) -> Result<bool> {
        transaction!(self, "saving a snapshot", |tx| {
            // Lock the name (the row may not exist yet) so two savers take turns.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&name])
                .await?;
            let stored = tx
                .query("SELECT cursor FROM snapshots WHERE name = $1", &[&name])
                .await?
                .first()
                .map_or(0, |r| r.get::<_, i64>(0));
            if stored != previous {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO snapshots (name, cursor, at_ms, data) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor,
                     at_ms = excluded.at_ms, data = excluded.data",
                &[
                    &name,
                    &snapshot.cursor,
                    &(snapshot.at_ms as i64),
                    &snapshot.data,
                ],
            )
            .await?;
            Ok(true)
        })
    }

    fn recent(&self, since_ms: u64, limit: usize) -> Result<Vec<SessionInfo>> {
        let rows = self.query(
            "listing sessions",
            "SELECT id, created_ms, updated_ms, turns, last_message FROM sessions
             WHERE updated_ms >= $1 ORDER BY updated_ms DESC LIMIT $2",
            &[&(since_ms as i64), &(limit as i64)],
        )?;
        Ok(rows.iter().map(info).collect())
    }

    fn delete(&self, id: &str) -> Result<bool> {
        transaction!(self, "deleting a session", |tx| {
            tx.execute("DELETE FROM events WHERE session = $1", &[&id])
                .await?;
            tx.execute("DELETE FROM turns WHERE session = $1", &[&id])
                .await?;
            let n = tx
                .execute("DELETE FROM sessions WHERE id = $1", &[&id])
                .await?;
            Ok(n > 0)
        })
    }

    fn expire(&self, before_ms: u64) -> Result<usize> {
        let before = before_ms as i64;
        transaction!(self, "expiring sessions", |tx| {
            let old = "SELECT id FROM sessions WHERE updated_ms < $1";
            tx.execute(
                &format!("DELETE FROM events WHERE session IN ({old})"),
                &[&before],
            )
            .await?;
            tx.execute(
                &format!("DELETE FROM turns WHERE session IN ({old})"),
                &[&before],
            )
            .await?;
            let n = tx
                .execute("DELETE FROM sessions WHERE updated_ms < $1", &[&before])
                .await?;
            tx.execute(
                "DELETE FROM changes WHERE at < now() - interval '1 hour'",
                &[],
            )
            .await?;
            Ok(n as usize)
        })
    }

    fn record_purchases(
        &self,
        customer: &str,
        session: &str,
        items: &[String],
        at_ms: u64,
    ) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let origin = self.origin.clone();
        transaction!(self, "storing purchases", |tx| {
            for item in items {
                tx.execute(
                    "INSERT INTO purchases (customer, session, item, at_ms)
                     VALUES ($1, $2, $3, $4)",
                    &[&customer, &session, item, &(at_ms as i64)],
                )
                .await?;
            }
            let change = Change::Purchases {
                customer: customer.to_string(),
                session: session.to_string(),
                items: items.to_vec(),
            };
            feed(&tx, &origin, &change).await
        })
    }

    fn customer_orders(&self) -> Result<(Vec<String>, Vec<crate::catalog::Order>)> {
        let erased = self
            .query(
                "reading erased customers",
                "SELECT customer FROM erased_customers ORDER BY customer",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let rows = self.query(
            "reading purchases",
            "SELECT customer, session, item FROM purchases ORDER BY id",
            &[],
        )?;
        let orders = orders_of(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))));
        Ok((erased, orders))
    }

    fn erase_customer(&self, customer: &str, now_ms: u64) -> Result<bool> {
        let origin = self.origin.clone();
        transaction!(self, "erasing a customer", |tx| {
            let n = tx
                .execute("DELETE FROM purchases WHERE customer = $1", &[&customer])
                .await?;
            // Their sessions no longer name them: nothing they do there joins a history.
            tx.execute(
                "UPDATE sessions SET state = state - 'customer_id'
                 WHERE state ->> 'customer_id' = $1",
                &[&customer],
            )
            .await?;
            tx.execute(
                "INSERT INTO erased_customers (customer, at_ms) VALUES ($1, $2)
                 ON CONFLICT (customer) DO UPDATE SET at_ms = excluded.at_ms",
                &[&customer, &(now_ms as i64)],
            )
            .await?;
            let change = Change::CustomerErased {
                customer: customer.to_string(),
            };
            feed(&tx, &origin, &change).await?;
            Ok(n > 0)
        })
    }

    fn changes_after(&self, after: i64) -> Result<Vec<StoredChange>> {
        let rows = self.query(
            "reading the change feed",
            "SELECT id, (extract(epoch FROM now() - at) * 1000)::bigint, data FROM changes
             WHERE id > $1 AND origin <> $2 ORDER BY id LIMIT 10000",
            &[&after, &self.origin],
        )?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.get(0);
            match serde_json::from_str(row.get(2)) {
                Ok(change) => changes.push(StoredChange {
                    id,
                    age_ms: row.get::<_, i64>(1).max(0) as u64,
                    change,
                }),
                Err(e) => tracing::warn!("{}: change {id} does not decode: {e}", self.url),
            }
        }
        Ok(changes)
    }

    fn last_change(&self) -> Result<i64> {
        let rows = self.query(
            "reading the change feed",
            "SELECT coalesce(max(id), 0) FROM changes",
            &[],
        )?;
        Ok(rows.first().map_or(0, |r| r.get(0)))
    }

    fn change_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.signal.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redacted("postgres://shop:s3cret@db.internal:5432/shop"),
            "postgres://shop:***@db.internal:5432/shop"
        );
        assert_eq!(
            redacted("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
