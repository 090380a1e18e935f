//! [`SqliteStore`]: the embedded default, one SQLite file used by one server process.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Error, Result, SessionInfo, SessionStore, Snapshot, decode, json, numbered, orders_of,
};
use crate::dialogue::Session;
use crate::recommend::feedback::FeedbackEvent;
use crate::server::views::StoredTurn;

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
CREATE TABLE IF NOT EXISTS snapshots (
    name TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    data TEXT NOT NULL
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
        decode(&self.path.display().to_string(), what, text)
    }
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
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

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
            let turn = &numbered(&current, &mut merged, turn);
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
        change: &mut (dyn FnMut(&mut Session) + Send),
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

    fn events_after(&self, after: i64, visit: &mut dyn FnMut(i64, FeedbackEvent)) -> Result<i64> {
        let mut last = after;
        let mut bad = 0;
        self.with(|c| {
            let mut stmt = c.prepare("SELECT id, data FROM events WHERE id > ?1 ORDER BY id")?;
            let mut rows = stmt.query(params![after])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let data: String = row.get(1)?;
                last = id;
                match serde_json::from_str(&data) {
                    Ok(event) => visit(id, event),
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
        Ok(last)
    }

    fn settled_event_id(&self, _older_than_ms: u64) -> Result<i64> {
        // One process writes, one transaction at a time: every id handed out has committed.
        self.with(|c| c.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0)))
    }

    fn snapshot(&self, name: &str) -> Result<Option<Snapshot>> {
        self.with(|c| {
            c.query_row(
                "SELECT cursor, at_ms, data FROM snapshots WHERE name = ?1",
                params![name],
                |r| {
                    Ok(Snapshot {
                        cursor: r.get(0)?,
                        at_ms: r.get::<_, i64>(1)? as u64,
                        data: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    fn save_snapshot(&self, name: &str, previous: i64, snapshot: &Snapshot) -> Result<bool> {
        self.in_transaction(|tx| {
            let sql = |e| self.sql(e);
            let stored: i64 = tx
                .query_row(
                    "SELECT cursor FROM snapshots WHERE name = ?1",
                    params![name],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql)?
                .unwrap_or(0);
            if stored != previous {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO snapshots (name, cursor, at_ms, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor,
                     at_ms = excluded.at_ms, data = excluded.data",
                params![name, snapshot.cursor, snapshot.at_ms as i64, snapshot.data],
            )
            .map_err(sql)?;
            Ok(true)
        })
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

    fn expire(&self, before_ms: u64) -> Result<usize> {
        self.with(|c| {
            let tx = c.transaction()?;
            let old = "SELECT id FROM sessions WHERE updated_ms < ?1";
            tx.execute(
                &format!("DELETE FROM events WHERE session IN ({old})"),
                params![before_ms as i64],
            )?;
            tx.execute(
                &format!("DELETE FROM turns WHERE session IN ({old})"),
                params![before_ms as i64],
            )?;
            let n = tx.execute(
                "DELETE FROM sessions WHERE updated_ms < ?1",
                params![before_ms as i64],
            )?;
            tx.commit()?;
            Ok(n)
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
            let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            let orders = orders_of(rows);
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
