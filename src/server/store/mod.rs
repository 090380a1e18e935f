//! Where sessions, their turns and feedback events live: the [`SessionStore`] trait and its two
//! implementations.
//!
//! - [`SqliteStore`] (`sqlite.rs`), the embedded default: one SQLite file in WAL mode with
//!   `synchronous = FULL`, so a write that returned is on disk and survives a `kill -9` (or a
//!   power cut). One server process.
//! - [`PostgresStore`] (`postgres.rs`): a PostgreSQL database that several chat servers share,
//!   with versioned migrations, a connection pool, and a feed of [`Change`]s (a table plus
//!   `LISTEN`/`NOTIFY`) through which each server learns what the others did.
//!
//! [`open`] picks one from the `--database` value: a `postgres://` URL or a SQLite path.

mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::views::StoredTurn;
use crate::dialogue::Session;
use crate::recommend::feedback::FeedbackEvent;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQLite database failed.
    #[error("session database {path}: {source}")]
    Sqlite {
        /// Database file.
        path: PathBuf,
        /// Underlying error.
        source: rusqlite::Error,
    },
    /// The PostgreSQL database failed (or could not be reached).
    #[error("session database {url}: {reason}")]
    Postgres {
        /// The database URL, without its password.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Creating the database's directory failed.
    #[error("creating {path}: {source}")]
    Io {
        /// Directory.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A stored row does not decode.
    #[error("session database {place}: {what} does not decode: {reason}")]
    Corrupt {
        /// Database file or URL.
        place: String,
        /// Which row.
        what: String,
        /// Why.
        reason: String,
    },
}

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, Error>;

/// A session's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// Session id.
    pub session_id: String,
    /// Created, milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// Last changed.
    pub updated_ms: u64,
    /// Turns so far.
    pub turns: u32,
    /// The customer's last message.
    pub last_message: String,
}

/// What one server did that the other servers sharing the store must learn: written in the
/// same transaction as the change itself, so a change is in the feed exactly when it is
/// stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A turn of `session` was stored (consoles elsewhere follow it).
    Turn {
        /// Session id.
        session: String,
        /// The turn's number.
        turn: u32,
    },
    /// Feedback events were stored (online learning elsewhere learns them).
    Events {
        /// The events, as stored.
        events: Vec<FeedbackEvent>,
    },
    /// A returning customer bought these items in `session`.
    Purchases {
        /// Customer id.
        customer: String,
        /// Session (the order) id.
        session: String,
        /// Product ids.
        items: Vec<String>,
    },
    /// A customer's history was erased.
    CustomerErased {
        /// Customer id.
        customer: String,
    },
}

/// A [`Change`] as the feed holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChange {
    /// Position in the feed: increasing in the order changes were begun (not always the
    /// order they committed in).
    pub id: i64,
    /// Milliseconds since the change was begun, by the database's clock.
    pub age_ms: u64,
    /// The change.
    pub change: Change,
}

/// Online learning's counts folded up to an event, kept so start-up replays only the events
/// after it ([`SessionStore::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The last event id folded in.
    pub cursor: i64,
    /// When it was written, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The counts, as JSON.
    pub data: String,
}

/// Persistent sessions, turns and feedback events. Every method is atomic, and once it returns
/// `Ok` its write survives a crash of the process. Methods block: call them off the async
/// workers.
pub trait SessionStore: Send + Sync {
    /// Where the store is, for messages: a file path or a URL without its password.
    fn describe(&self) -> String;
    /// Stores a new session.
    fn create(&self, session: &Session, now_ms: u64) -> Result<()>;
    /// A session's bookkeeping and state.
    fn session(&self, id: &str) -> Result<Option<(SessionInfo, Session)>>;
    /// Stores a finished turn and the session state after it, together. `base` is the state
    /// the turn started from: what changed in the stored state since (a cart event while the
    /// reply streamed) is merged in, never overwritten ([`Session::merge_concurrent`]). Returns
    /// false (and stores nothing) when the session was deleted meanwhile.
    fn save_turn(&self, base: &Session, session: &Session, turn: &StoredTurn) -> Result<bool>;
    /// Changes the stored state of session `id` with `change`, read and written in one
    /// transaction so no concurrent change is lost. False when there is no session.
    fn update_state(
        &self,
        id: &str,
        now_ms: u64,
        change: &mut (dyn FnMut(&mut Session) + Send),
    ) -> Result<bool>;
    /// A session's turns, oldest first.
    fn turns(&self, id: &str) -> Result<Vec<StoredTurn>>;
    /// Appends feedback events, all or none.
    fn record_events(&self, events: &[FeedbackEvent]) -> Result<()>;
    /// A session's feedback events, oldest first.
    fn events(&self, session: &str) -> Result<Vec<FeedbackEvent>>;
    /// Every stored event with an id above `after`, in id order (rows that do not decode are
    /// skipped with a warning). Returns the last id visited, or `after` when none.
    fn events_after(&self, after: i64, visit: &mut dyn FnMut(i64, FeedbackEvent)) -> Result<i64>;
    /// The highest event id stored at least `older_than_ms` ago (0 when none): every event
    /// up to it has committed, so a snapshot may fold up to it.
    fn settled_event_id(&self, older_than_ms: u64) -> Result<i64>;
    /// The snapshot called `name`, if one was saved.
    fn snapshot(&self, name: &str) -> Result<Option<Snapshot>>;
    /// Saves `snapshot` as `name` when the stored one still has cursor `previous` (0: none
    /// stored): two servers folding at once never overwrite a newer snapshot with an older
    /// one. False when another server saved first.
    fn save_snapshot(&self, name: &str, previous: i64, snapshot: &Snapshot) -> Result<bool>;
    /// Sessions changed at or after `since_ms`, newest first.
    fn recent(&self, since_ms: u64, limit: usize) -> Result<Vec<SessionInfo>>;
    /// Erases a session with its turns and events. False when there was none.
    fn delete(&self, id: &str) -> Result<bool>;
    /// Erases the sessions not changed since `before_ms`, with their turns and events (and
    /// feed entries older than an hour). Returns the sessions erased.
    fn expire(&self, before_ms: u64) -> Result<usize>;
    /// Adds products `customer` bought in `session` to their purchase history (one order per
    /// customer and session).
    fn record_purchases(
        &self,
        customer: &str,
        session: &str,
        items: &[String],
        at_ms: u64,
    ) -> Result<()>;
    /// The customers erased (to be forgotten in the shop's orders file too), then every
    /// stored purchase as orders: one per customer and session, items in purchase order,
    /// oldest first.
    fn customer_orders(&self) -> Result<(Vec<String>, Vec<crate::catalog::Order>)>;
    /// Erases `customer`'s purchase history, unlinks their sessions from them and remembers
    /// the erasure. True when they had stored purchases.
    fn erase_customer(&self, customer: &str, now_ms: u64) -> Result<bool>;
    /// Changes other servers stored with a feed id above `after`, in id order. A store only
    /// one process uses has none.
    fn changes_after(&self, after: i64) -> Result<Vec<StoredChange>> {
        let _ = after;
        Ok(Vec::new())
    }
    /// The feed's last id now (0 when empty): where a server that just loaded everything
    /// starts following.
    fn last_change(&self) -> Result<i64> {
        Ok(0)
    }
    /// Woken when another server may have stored a change (PostgreSQL `NOTIFY`); `None` for a
    /// store only one process uses.
    fn change_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}

/// Whether `database` is a PostgreSQL URL (`postgres://` or `postgresql://`) rather than a
/// SQLite path.
pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// Opens the store `database` names: a `postgres://` (or `postgresql://`) URL, or else the
/// path of a SQLite file (created when missing).
///
/// # Errors
/// The database cannot be reached or opened, or its migrations fail.
pub fn open(database: &str) -> Result<Arc<dyn SessionStore>> {
    if is_postgres_url(database) {
        Ok(Arc::new(PostgresStore::connect(database)?))
    } else {
        Ok(Arc::new(SqliteStore::open(Path::new(database))?))
    }
}

/// The turn as it is stored over `current` (the stored state), with `merged` (the state to
/// store) numbered to match: when another turn of the session was stored meanwhile (answered
/// by another server at the same time), this one takes the next number instead of replacing
/// it, so both are kept.
fn numbered(current: &Session, merged: &mut Session, turn: &StoredTurn) -> StoredTurn {
    let mut turn = turn.clone();
    if current.turns >= turn.turn {
        turn.turn = current.turns + 1;
    }
    merged.turns = merged.turns.max(turn.turn);
    turn
}

/// JSON text of plain data (sessions, turns, events): serialising them cannot fail.
fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Decodes a stored row, naming it and where it is when it does not decode.
fn decode<T: serde::de::DeserializeOwned>(place: &str, what: String, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt {
        place: place.to_string(),
        what,
        reason: e.to_string(),
    })
}

/// Purchase rows `(customer, session, item)` in the order stored, as one order per customer
/// and session (items once each, in purchase order).
fn orders_of(
    rows: impl IntoIterator<Item = (String, String, String)>,
) -> Vec<crate::catalog::Order> {
    let mut orders: Vec<crate::catalog::Order> = Vec::new();
    let mut at: std::collections::HashMap<(String, String), usize> = Default::default();
    for (customer, session, item) in rows {
        let i = *at
            .entry((customer.clone(), session.clone()))
            .or_insert_with(|| {
                orders.push(crate::catalog::Order {
                    order_id: session,
                    customer_id: Some(customer),
                    items: Vec::new(),
                    sequence: None,
                });
                orders.len() - 1
            });
        if !orders[i].items.contains(&item) {
            orders[i].items.push(item);
        }
    }
    orders
}
