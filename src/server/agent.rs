//! The agent API, for human support agents (`Authorization: Bearer <key>`): live sessions, a
//! session's transcript with its current suggestions, and an SSE stream of its updates.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use super::AppState;
use super::error::{ApiError, ApiPath, check_id};
use super::views::{SuggestionCards, TranscriptLine, now_ms};

/// A change an agent watching a session should see.
#[derive(Debug, Clone)]
pub(super) enum Update {
    /// A turn finished.
    Turn {
        turn: TranscriptLine,
        suggestions: SuggestionCards,
    },
}

/// Per-session broadcast channels to the consoles watching them.
#[derive(Debug, Default)]
pub(super) struct Hub {
    channels: Mutex<HashMap<String, broadcast::Sender<Update>>>,
}

impl Hub {
    fn subscribe(&self, session: &str) -> broadcast::Receiver<Update> {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .entry(session.to_string())
            .or_insert_with(|| broadcast::channel(64).0)
            .subscribe()
    }

    fn forget_unwatched(&self, session: &str) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if channels
            .get(session)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            channels.remove(session);
        }
    }

    /// Whether a console here watches `session`.
    pub(super) fn is_watched(&self, session: &str) -> bool {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        channels
            .get(session)
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// Sends a stored turn (made here or on another server) to the consoles watching its
    /// session.
    pub(super) fn publish_turn(&self, session: &str, turn: &super::views::StoredTurn) {
        self.publish(
            session,
            Update::Turn {
                turn: turn.into(),
                suggestions: turn.suggestions.clone(),
            },
        );
    }

    /// Sends to the consoles watching `session`, if any; forgets channels nobody watches.
    fn publish(&self, session: &str, update: Update) {
        let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = channels.get(session)
            && tx.send(update).is_err()
        {
            channels.remove(session);
        }
    }
}

/// Middleware: 401 unless the request carries one of the configured agent keys.
pub(super) async fn require_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let accepted = given.is_some_and(|key| {
        state
            .config()
            .agent_keys
            .iter()
            .any(|k| !k.is_empty() && constant_time_eq(k.as_bytes(), key.as_bytes()))
    });
    if !accepted {
        let mut response = ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the agent API needs Authorization: Bearer <agent key>",
        )
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return response;
    }
    next.run(request).await
}

/// Compares without stopping at the first difference, so timing does not reveal a key.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Routes that answer at once.
pub(super) fn quick_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/agent/sessions", get(live_sessions))
        .route("/v1/agent/sessions/{id}", get(session))
        .route("/v1/customers/{id}", delete(super::customers::erase))
        .layer(axum::middleware::from_fn_with_state(state, require_key))
}

/// The stream of a session's updates.
pub(super) fn stream_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/agent/sessions/{id}/stream", get(stream))
        .layer(axum::middleware::from_fn_with_state(state, require_key))
}

/// `GET /v1/agent/sessions`: sessions changed within the live window, newest first.
async fn live_sessions(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let window = Duration::from_secs(state.config().live_session_minutes * 60);
    let since = now_ms().saturating_sub(window.as_millis() as u64);
    let sessions = state
        .blocking(move |store| store.recent(since, 200))
        .await?;
    Ok(Json(json!({ "sessions": sessions })))
}

#[derive(Serialize)]
struct Snapshot {
    session_id: String,
    transcript: Vec<TranscriptLine>,
    suggestions: SuggestionCards,
    cart: Vec<crate::catalog::ProductView>,
}

async fn snapshot(state: &AppState, id: &str) -> Result<Snapshot, ApiError> {
    check_id("invalid_session_id", id)?;
    let key = id.to_string();
    let found = state
        .blocking(move |store| {
            Ok(match store.session(&key)? {
                Some((_, session)) => Some((session, store.turns(&key)?)),
                None => None,
            })
        })
        .await?;
    let Some((session, turns)) = found else {
        return Err(ApiError::not_found(
            "session_not_found",
            format!("no session {id}"),
        ));
    };
    Ok(Snapshot {
        session_id: id.to_string(),
        suggestions: turns
            .last()
            .map(|t| t.suggestions.clone())
            .unwrap_or_default(),
        transcript: turns.iter().map(TranscriptLine::from).collect(),
        cart: state.cards(&session.cart),
    })
}

/// `GET /v1/agent/sessions/{id}`: transcript, current suggestions and cart.
async fn session(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Snapshot>, ApiError> {
    Ok(Json(snapshot(&state, &id).await?))
}

fn event(name: &str, data: &impl Serialize) -> Result<Event, Infallible> {
    Ok(Event::default()
        .event(name)
        .data(serde_json::to_string(data).unwrap_or_default()))
}

/// `GET /v1/agent/sessions/{id}/stream`: a `snapshot` event, then `turn` and `suggestions`
/// events as the conversation goes on; it ends when the server shuts down.
async fn stream(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    // Subscribe before the snapshot, so no turn falls between the two.
    let updates = state.inner.agents.subscribe(&id);
    let snap = match snapshot(&state, &id).await {
        Ok(snap) => snap,
        Err(e) => {
            drop(updates);
            state.inner.agents.forget_unwatched(&id);
            return Err(e);
        }
    };
    let first = futures_util::stream::iter([event("snapshot", &snap)]);
    let updates = BroadcastStream::new(updates)
        .map(|update| match update {
            Ok(Update::Turn { turn, suggestions }) => {
                vec![event("turn", &turn), event("suggestions", &suggestions)]
            }
            // A console that fell behind is told to reload its snapshot.
            Err(_) => vec![event("lagged", &json!({}))],
        })
        .flat_map(futures_util::stream::iter);
    let mut shutdown = state.shutdown_watch();
    let stop = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    let stream = first.chain(updates).take_until(stop);
    Ok(super::event_stream(stream))
}
