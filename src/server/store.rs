//! Where sessions, their turns and feedback events live: the [`SessionStore`] trait, and
//! [`SqliteStore`], an embedded SQLite database in WAL mode with `synchronous = FULL`, so a write
//! that returned is on disk and survives a `kill -9` (or a power cut). A PostgreSQL
//! implementation of the same trait lets several chat servers share state.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::views::StoredTurn;
use crate::dialogue::Session;
use crate::recommend::feedback::FeedbackEvent;

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed.
    #[error("session database {path}: {source}")]
    Sqlite {
        /// Database file.
        path: PathBuf,
        /// Underlying error.
        source: rusqlite::Error,
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
    #[error("session database {path}: {what} does not decode: {reason}")]
    Corrupt {
        /// Database file.
        path: PathBuf,
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

/// Persistent sessions, turns and feedback events. Every method is atomic, and once it returns
/// `Ok` its write survives a crash of the process.
pub trait SessionStore: Send + Sync {
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
        change: &mut dyn FnMut(&mut Session),
    ) -> Result<bool>;
    /// A session's turns, oldest first.
    fn turns(&self, id: &str) -> Result<Vec<StoredTurn>>;
    /// Appends feedback events, all or none.
    fn record_events(&self, events: &[FeedbackEvent]) -> Result<()>;
    /// A session's feedback events, oldest first.
    fn events(&self, session: &str) -> Result<Vec<FeedbackEvent>>;
    /// Every stored event, oldest first (to replay into the recommender at start-up).
    fn each_event(&self, visit: &mut dyn FnMut(FeedbackEvent)) -> Result<usize>;
    /// Sessions changed at or after `since_ms`, newest first.
    fn recent(&self, since_ms: u64, limit: usize) -> Result<Vec<SessionInfo>>;
    /// Erases a session with its turns and events. False when there was none.
    fn delete(&self, id: &str) -> Result<bool>;
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
}

/// The embedded default: one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    last_message TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_updated ON sessions (updated_ms);
CREATE TABLE IF NOT EXISTS turns (
    session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session, turn)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_session ON events (session);
CREATE TABLE IF NOT EXISTS purchases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    session TEXT NOT NULL,
    item TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS purchases_customer ON purchases (customer);
CREATE TABLE IF NOT EXISTS erased_customers (
    customer TEXT PRIMARY KEY,
    at_ms INTEGER NOT NULL
);
";

impl SqliteStore {
    /// Opens (creating when missing) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let sql = |source| Error::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        // WAL: readers never block the writer; FULL: a commit is fsynced before it returns.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A SQLite failure on this store's file.
    fn sql(&self, source: rusqlite::Error) -> Error {
        Error::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        // A panic while holding the lock leaves no half-done write: each call is one statement
        // or one transaction, which SQLite rolls back if it did not commit.
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn).map_err(|e| self.sql(e))
    }

    /// Runs `f` in one write transaction (taken at once, so a read inside it sees the last
    /// committed state and no other writer can interleave), committing when it returns `Ok`.
    fn in_transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql(e))?;
        let out = f(&tx)?;
        tx.commit().map_err(|e| self.sql(e))?;
        Ok(out)
    }

    /// The stored state of session `id` inside a transaction, or `None` when there is none.
    fn state_in(&self, tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Option<Session>> {
        let state: Option<String> = tx
            .query_row(
                "SELECT state FROM sessions WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        state
            .map(|text| self.decode(format!("session {id}"), &text))
            .transpose()
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, what: String, text: &str) -> Result<T> {
        serde_json::from_str(text).map_err(|e| Error::Corrupt {
            path: self.path.clone(),
            what,
            reason: e.to_string(),
        })
    }
}

fn json(value: &impl Serialize) -> String {
    // Sessions, turns and events are plain data: serialising them cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn info(row: &rusqlite::Row<'_>) -> rusqlite::Result<SessionInfo> {
    Ok(SessionInfo {
        session_id: row.get(0)?,
        created_ms: row.get::<_, i64>(1)? as u64,
        updated_ms: row.get::<_, i64>(2)? as u64,
        turns: row.get::<_, i64>(3)? as u32,
        last_message: row.get(4)?,
    })
}

impl SessionStore for SqliteStore {
    fn create(&self, session: &Session, now_ms: u64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO sessions (id, created_ms, updated_ms, state) VALUES (?1, ?2, ?2, ?3)",
                params![session.id, now_ms as i64, json(session)],
            )
            .map(drop)
        })
    }

    fn session(&self, id: &str) -> Result<Option<(SessionInfo, Session)>> {
        let row = self.with(|c| {
            c.query_row(
                "SELECT id, created_ms, updated_ms, turns, last_message, state FROM sessions WHERE id = ?1",
                params![id],
                |row| Ok((info(row)?, row.get::<_, String>(5)?)),
            )
            .optional()
        })?;
        match row {
            Some((info, state)) => {
                let session = self.decode(format!("session {id}"), &state)?;
                Ok(Some((info, session)))
            }
            None => Ok(None),
        }
    }

    fn save_turn(&self, base: &Session, session: &Session, turn: &StoredTurn) -> Result<bool> {
        self.in_transaction(|tx| {
            let Some(current) = self.state_in(tx, &session.id)? else {
                return Ok(false);
            };
            let mut merged = session.clone();
            merged.merge_concurrent(base, &current);
            let sql = |e| self.sql(e);
            tx.execute(
                "UPDATE sessions SET updated_ms = ?2, turns = ?3, last_message = ?4, state = ?5 WHERE id = ?1",
                params![merged.id, turn.at_ms as i64, turn.turn, turn.user, json(&merged)],
            )
            .map_err(sql)?;
            tx.execute(
                "INSERT OR REPLACE INTO turns (session, turn, at_ms, data) VALUES (?1, ?2, ?3, ?4)",
                params![merged.id, turn.turn, turn.at_ms as i64, json(turn)],
            )
            .map_err(sql)?;
            Ok(true)
        })
    }

    fn update_state(
        &self,
        id: &str,
        now_ms: u64,
        change: &mut dyn FnMut(&mut Session),
    ) -> Result<bool> {
        self.in_transaction(|tx| {
            let Some(mut session) = self.state_in(tx, id)? else {
                return Ok(false);
            };
            change(&mut session);
            tx.execute(
                "UPDATE sessions SET updated_ms = ?2, state = ?3 WHERE id = ?1",
                params![id, now_ms as i64, json(&session)],
            )
            .map_err(|e| self.sql(e))?;
            Ok(true)
        })
    }

    fn turns(&self, id: &str) -> Result<Vec<StoredTurn>> {
        let rows: Vec<(u32, String)> = self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT turn, data FROM turns WHERE session = ?1 ORDER BY turn")?;
            stmt.query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })?;
        rows.into_iter()
            .map(|(n, data)| self.decode(format!("turn {n} of session {id}"), &data))
            .collect()
    }

    fn record_events(&self, events: &[FeedbackEvent]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO events (session, at_ms, data) VALUES (?1, ?2, ?3)",
                )?;
                for event in events {
                    insert.execute(params![event.session, event.at_ms as i64, json(event)])?;
                }
            }
            tx.commit()
        })
    }

    fn events(&self, session: &str) -> Result<Vec<FeedbackEvent>> {
        let rows: Vec<(i64, String)> = self.with(|c| {
            let mut stmt =
                c.prepare_cached("SELECT id, data FROM events WHERE session = ?1 ORDER BY id")?;
            stmt.query_map(params![session], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })?;
        rows.into_iter()
            .map(|(id, data)| self.decode(format!("event {id}"), &data))
            .collect()
    }

    fn each_event(&self, visit: &mut dyn FnMut(FeedbackEvent)) -> Result<usize> {
        let mut count = 0;
        let mut bad = 0;
        self.with(|c| {
            let mut stmt = c.prepare("SELECT data FROM events ORDER BY id")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let data: String = row.get(0)?;
                match serde_json::from_str(&data) {
                    Ok(event) => {
                        visit(event);
                        count += 1;
                    }
                    Err(_) => bad += 1,
                }
            }
            Ok(())
        })?;
        if bad > 0 {
            tracing::warn!(
                "{}: {bad} stored events do not decode and were skipped",
                self.path.display()
            );
        }
        Ok(count)
    }

    fn recent(&self, since_ms: u64, limit: usize) -> Result<Vec<SessionInfo>> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, created_ms, updated_ms, turns, last_message FROM sessions
                 WHERE updated_ms >= ?1 ORDER BY updated_ms DESC LIMIT ?2",
            )?;
            stmt.query_map(params![since_ms as i64, limit as i64], info)?
                .collect()
        })
    }

    fn delete(&self, id: &str) -> Result<bool> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM events WHERE session = ?1", params![id])?;
            tx.execute("DELETE FROM turns WHERE session = ?1", params![id])?;
            let n = tx.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    fn record_purchases(
        &self,
        customer: &str,
        session: &str,
        items: &[String],
        at_ms: u64,
    ) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for item in items {
                tx.execute(
                    "INSERT INTO purchases (customer, session, item, at_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![customer, session, item, at_ms as i64],
                )?;
            }
            tx.commit()
        })
    }

    fn customer_orders(&self) -> Result<(Vec<String>, Vec<crate::catalog::Order>)> {
        self.with(|c| {
            let erased = c
                .prepare_cached("SELECT customer FROM erased_customers ORDER BY customer")?
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let mut stmt =
                c.prepare_cached("SELECT customer, session, item FROM purchases ORDER BY id")?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?;
            let mut orders: Vec<crate::catalog::Order> = Vec::new();
            let mut at: std::collections::HashMap<(String, String), usize> = Default::default();
            for row in rows {
                let (customer, session, item) = row?;
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
            Ok((erased, orders))
        })
    }

    fn erase_customer(&self, customer: &str, now_ms: u64) -> Result<bool> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "DELETE FROM purchases WHERE customer = ?1",
                params![customer],
            )?;
            // Their sessions no longer name them: nothing they do there joins a history.
            tx.execute(
                "UPDATE sessions SET state = json_remove(state, '$.customer_id')
                 WHERE json_extract(state, '$.customer_id') = ?1",
                params![customer],
            )?;
            tx.execute(
                "INSERT INTO erased_customers (customer, at_ms) VALUES (?1, ?2)
                 ON CONFLICT (customer) DO UPDATE SET at_ms = excluded.at_ms",
                params![customer, now_ms as i64],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::feedback::EventKind;
    use crate::server::views::SuggestionCards;
    use crate::understand::Intent;

    fn turn(n: u32, user: &str) -> StoredTurn {
        StoredTurn {
            turn: n,
            at_ms: 1_000 + u64::from(n),
            user: user.into(),
            reply: format!("reply {n}"),
            intent: Intent::Search,
            products: Vec::new(),
            suggestions: SuggestionCards::default(),
        }
    }

    fn event(session: &str, item: &str) -> FeedbackEvent {
        FeedbackEvent {
            session: session.into(),
            kind: EventKind::Click,
            item: item.into(),
            anchor: None,
            suggestion: None,
            arm: None,
            at_ms: 5,
        }
    }

    #[test]
    fn turns_state_and_events_survive_reopening_and_delete_erases_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db/sessions.sqlite");
        {
            let store = SqliteStore::open(&path).unwrap();
            let mut s = Session::new("s1");
            store.create(&s, 10).unwrap();
            store.create(&Session::new("s2"), 20).unwrap();
            s.add_to_cart("B01");
            s.turns = 1;
            assert!(
                store
                    .save_turn(&Session::new("s1"), &s, &turn(1, "usb cable"))
                    .unwrap()
            );
            store
                .record_events(&[event("s1", "B02"), event("s2", "B03")])
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let (info, state) = store.session("s1").unwrap().unwrap();
        assert_eq!((info.turns, info.last_message.as_str()), (1, "usb cable"));
        assert_eq!(state.cart, vec!["B01".to_string()]);
        assert_eq!(store.turns("s1").unwrap(), vec![turn(1, "usb cable")]);
        assert_eq!(store.events("s1").unwrap(), vec![event("s1", "B02")]);
        let recent: Vec<String> = store
            .recent(0, 10)
            .unwrap()
            .into_iter()
            .map(|i| i.session_id)
            .collect();
        // s1's turn (at 1001) is its latest change, after s2 was created (at 20).
        assert_eq!(recent, ["s1", "s2"].map(String::from));

        assert!(store.delete("s1").unwrap());
        assert!(store.session("s1").unwrap().is_none());
        assert!(store.turns("s1").unwrap().is_empty());
        assert!(store.events("s1").unwrap().is_empty());
        assert_eq!(store.events("s2").unwrap().len(), 1);
        assert!(!store.delete("s1").unwrap());
        // A turn finishing after its session was erased does not bring it back.
        let gone = Session::new("s1");
        assert!(!store.save_turn(&gone, &gone, &turn(2, "x")).unwrap());
        assert!(store.turns("s1").unwrap().is_empty());
    }

    #[test]
    fn a_cart_event_during_a_turn_is_not_lost_when_the_turn_saves() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        let mut base = Session::new("race");
        base.add_to_cart("kept");
        store.create(&base, 1).unwrap();
        // The turn starts from `base` and adds its own item...
        let mut after_turn = base.clone();
        after_turn.add_to_cart("from-the-turn");
        after_turn.turns = 1;
        // ...while a click on "Add to cart" lands, and another item is bought.
        assert!(
            store
                .update_state("race", 2, &mut |s| {
                    s.add_to_cart("clicked");
                    s.bought("kept");
                })
                .unwrap()
        );
        assert!(store.save_turn(&base, &after_turn, &turn(1, "x")).unwrap());
        let (_, stored) = store.session("race").unwrap().unwrap();
        assert!(
            stored.cart.contains(&"clicked".to_string()),
            "{:?}",
            stored.cart
        );
        assert!(stored.cart.contains(&"from-the-turn".to_string()));
        assert!(
            !stored.cart.contains(&"kept".to_string()),
            "bought leaves the cart"
        );
        assert_eq!(stored.bought, vec!["kept".to_string()]);
        assert_eq!(stored.turns, 1);
        assert!(!store.update_state("nobody", 3, &mut |_| {}).unwrap());
    }

    #[test]
    fn concurrent_cart_events_and_turns_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SqliteStore::open(&dir.path().join("s.sqlite")).unwrap());
        store.create(&Session::new("busy"), 1).unwrap();
        let clicks = std::thread::spawn({
            let store = store.clone();
            move || {
                for i in 0..12 {
                    store
                        .update_state("busy", 2, &mut |s| s.add_to_cart(&format!("click-{i}")))
                        .unwrap();
                }
            }
        });
        // 24 items: fewer than a cart keeps (`PRODUCTS_KEPT`).
        for n in 1..=12u32 {
            let (_, base) = store.session("busy").unwrap().unwrap();
            let mut after = base.clone();
            after.add_to_cart(&format!("turn-{n}"));
            after.turns = n;
            std::thread::yield_now();
            assert!(store.save_turn(&base, &after, &turn(n, "x")).unwrap());
        }
        clicks.join().unwrap();
        let (_, stored) = store.session("busy").unwrap().unwrap();
        for i in 0..12 {
            assert!(
                stored.cart.contains(&format!("click-{i}")),
                "click {i} lost"
            );
            assert!(
                stored.cart.contains(&format!("turn-{}", i + 1)),
                "turn {} lost",
                i + 1
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.sqlite");
        std::fs::write(&path, b"this is not sqlite, just text that is long enough to matter....................................................................................").unwrap();
        let err = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(err.contains("broken.sqlite"), "{err}");
    }
}
