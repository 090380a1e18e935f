//! Customer sessions and turns: `POST /v1/sessions`, `GET|DELETE /v1/sessions/{id}` and
//! `POST /v1/sessions/{id}/messages`, which streams the turn as Server-Sent Events.

use std::convert::Infallible;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::AppState;
use super::error::{ApiError, ApiJson, ApiPath, check_id};
use super::views::{StoredTurn, SuggestionCard, SuggestionCards, now_ms};
use crate::dialogue::{Assistant, Delivery, Session, Timings, TurnEvent, TurnRecord};
use crate::recommend::feedback::{EventKind, FeedbackEvent, SuggestionKind};
use crate::understand::{Intent, Slots};

/// What a running turn reports, in order: understood, products, suggestions, text, then done
/// (after the turn is stored) or an error.
#[derive(Debug, Clone)]
pub(super) enum Frame {
    Understood {
        intent: Intent,
        slots: Box<Slots>,
    },
    Products(Vec<crate::catalog::ProductView>),
    Suggestions(SuggestionCards),
    Token(String),
    /// The reply so far is replaced (grounding took back streamed text).
    Replace(String),
    Done(Box<Finished>),
    Failed(ApiError),
}

/// The end of a turn.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Finished {
    pub turn: u32,
    pub reply: String,
    pub intent: Intent,
    pub timings_ms: Timings,
}

/// A new session id: `s_` and 128 random bits.
fn new_session_id() -> String {
    format!("s_{:032x}", rand::random::<u128>())
}

/// Stores a new session with this id (a fresh one when `None`), for a returning `customer`
/// when one is named.
pub(super) async fn create(
    state: &AppState,
    id: Option<String>,
    customer: Option<String>,
) -> Result<Session, ApiError> {
    if let Some(c) = &customer {
        check_id("invalid_customer_id", c)?;
    }
    let mut session = Session::new(id.unwrap_or_else(new_session_id));
    session.customer_id = customer;
    let stored = session.clone();
    state
        .blocking(move |store| store.create(&stored, now_ms()))
        .await?;
    Ok(session)
}

/// Body of `POST /v1/sessions` (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSession {
    /// The shop's id of a returning (signed-in) customer.
    #[serde(default)]
    customer_id: Option<String>,
}

/// `POST /v1/sessions`, with an optional JSON body `{"customer_id": "..."}`.
pub(super) async fn create_session(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: NewSession = if body.iter().all(u8::is_ascii_whitespace) {
        NewSession::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_json", format!("request body: {e}")))?
    };
    let session = create(&state, None, body.customer_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "session_id": session.id })),
    )
        .into_response())
}

/// A stored session, or 404 `session_not_found`.
pub(super) async fn load(state: &AppState, id: &str) -> Result<Session, ApiError> {
    check_id("invalid_session_id", id)?;
    let key = id.to_string();
    state
        .blocking(move |store| store.session(&key))
        .await?
        .map(|(_, session)| session)
        .ok_or_else(|| session_not_found(id))
}

fn session_not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "session_not_found",
        format!("no session {id}: it ended or was deleted; start a new one"),
    )
}

#[derive(Serialize)]
pub(super) struct SessionView {
    session_id: String,
    created_ms: u64,
    updated_ms: u64,
    turns: Vec<StoredTurn>,
    cart: Vec<crate::catalog::ProductView>,
    events: Vec<FeedbackEvent>,
}

/// `GET /v1/sessions/{id}`: the turns as shown, the cart and the session's events.
pub(super) async fn get_session(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SessionView>, ApiError> {
    check_id("invalid_session_id", &id)?;
    let key = id.clone();
    let found = state
        .blocking(move |store| {
            let Some((info, session)) = store.session(&key)? else {
                return Ok(None);
            };
            Ok(Some((
                info,
                session,
                store.turns(&key)?,
                store.events(&key)?,
            )))
        })
        .await?;
    let Some((info, session, turns, events)) = found else {
        return Err(session_not_found(&id));
    };
    let view = SessionView {
        session_id: info.session_id,
        created_ms: info.created_ms,
        updated_ms: info.updated_ms,
        turns,
        cart: state.cards(&session.cart),
        events,
    };
    Ok(Json(view))
}

/// `DELETE /v1/sessions/{id}`: erases the session, its turns and its events.
pub(super) async fn delete_session(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    check_id("invalid_session_id", &id)?;
    let key = id.clone();
    if state.blocking(move |store| store.delete(&key)).await? {
        tracing::info!(session = %id, "session erased on request");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(session_not_found(&id))
    }
}

/// Body of `POST /v1/sessions/{id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MessageBody {
    text: String,
}

/// `POST /v1/sessions/{id}/messages`: runs a turn and streams it as SSE.
pub(super) async fn post_message(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let session = load(&state, &id).await?;
    let frames = start_turn(&state, session, body.text, Delivery::Tokens)?;
    let events = ReceiverStream::new(frames.rx);
    let stream = futures_util::StreamExt::map(events, |frame| Ok::<_, Infallible>(sse(&frame)));
    Ok(super::event_stream(stream))
}

/// The SSE event of a frame.
fn sse(frame: &Frame) -> Event {
    let (name, data) = match frame {
        Frame::Understood { intent, slots } => {
            ("understood", json!({ "intent": intent, "slots": slots }))
        }
        Frame::Products(cards) => ("products", json!({ "products": cards })),
        Frame::Suggestions(s) => ("suggestions", json!(s)),
        Frame::Token(text) => ("token", json!({ "text": text })),
        Frame::Replace(text) => ("replace", json!({ "text": text })),
        Frame::Done(done) => ("done", json!(done)),
        Frame::Failed(e) => ("error", json!({ "error": e.detail() })),
    };
    Event::default().event(name).data(data.to_string())
}

/// A running turn's frames.
pub(super) struct Running {
    pub rx: mpsc::Receiver<Frame>,
}

/// Marks a session as having a turn running; cleared when dropped.
struct Busy {
    state: AppState,
    id: String,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.state
            .inner
            .busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// Checks and admits a turn, then runs it on a blocking thread; its frames arrive on the
/// returned channel, delivered as `delivery` says (only [`Delivery::Tokens`] sends
/// [`Frame::Replace`]). Refuses with 503 `not_ready` while loading, 503 `overloaded` when too
/// many turns run, 409 `session_busy` when this session already has one, 400/413 for bad text.
pub(super) fn start_turn(
    state: &AppState,
    session: Session,
    text: String,
    delivery: Delivery,
) -> Result<Running, ApiError> {
    let assistant = state.assistant()?.clone();
    let max = crate::understand::MAX_MESSAGE_CHARS;
    let chars = text.chars().count();
    if chars > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
            format!("the message has {chars} characters; at most {max} are accepted"),
        ));
    }
    let permit: OwnedSemaphorePermit =
        state.inner.turns.clone().try_acquire_owned().map_err(|_| {
            state.metrics().overloaded.inc();
            ApiError::unavailable(
                "overloaded",
                "the assistant is answering many customers right now; try again shortly",
                Duration::from_secs(2),
            )
        })?;
    let busy = {
        let mut busy = state
            .inner
            .busy
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !busy.insert(session.id.clone()) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "session_busy",
                "this session is still answering its previous message",
            ));
        }
        Busy {
            state: state.clone(),
            id: session.id.clone(),
        }
    };
    let (tx, rx) = mpsc::channel(256);
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let _busy = busy;
        state.metrics().turns_in_flight.inc();
        let last = match run_turn(&state, &assistant, session, &text, delivery, &tx) {
            Ok(done) => Frame::Done(Box::new(done)),
            Err(e) => Frame::Failed(e),
        };
        state.metrics().turns_in_flight.dec();
        // The client may have gone; the turn is stored either way.
        let _ = tx.blocking_send(last);
    });
    Ok(Running { rx })
}

/// Runs one turn, sending its frames, then stores it, records the impressions of its
/// suggestions and tells the agent console.
fn run_turn(
    state: &AppState,
    assistant: &Assistant,
    mut session: Session,
    text: &str,
    delivery: Delivery,
    tx: &mpsc::Sender<Frame>,
) -> Result<Finished, ApiError> {
    let started = Instant::now();
    let mut products = Vec::new();
    let mut suggestions = SuggestionCards::default();
    let base = session.clone();
    let record: TurnRecord = assistant
        .turn_with(&mut session, text, delivery, &mut |event| {
            let frame = match event {
                TurnEvent::Understood { intent, slots } => Frame::Understood { intent, slots },
                TurnEvent::Products { products: found } => {
                    products = found;
                    Frame::Products(products.clone())
                }
                TurnEvent::Suggestions { cross_sell, upsell } => {
                    suggestions = SuggestionCards {
                        cross_sell: SuggestionCard::all(&cross_sell, SuggestionKind::CrossSell),
                        upsell: SuggestionCard::all(&upsell, SuggestionKind::Upsell),
                    };
                    Frame::Suggestions(suggestions.clone())
                }
                TurnEvent::Token { text } => Frame::Token(text),
                TurnEvent::Replace { text } => Frame::Replace(text),
            };
            let _ = tx.blocking_send(frame);
        })
        .map_err(|e| ApiError::internal("chat turn", e))?;
    let stored = StoredTurn {
        turn: record.turn,
        at_ms: now_ms(),
        user: record.user.clone(),
        reply: record.reply.clone(),
        intent: record.intent,
        products: products.clone(),
        suggestions: suggestions.clone(),
    };
    if !state
        .inner
        .store
        .save_turn(&base, &session, &stored)
        .map_err(ApiError::from)?
    {
        return Err(session_not_found(&session.id));
    }
    observe(state, &record, started);
    if let Some(customer) = &session.customer_id {
        let bought: Vec<String> = session
            .bought
            .iter()
            .filter(|id| !base.bought.contains(id))
            .cloned()
            .collect();
        if let Err(e) =
            super::customers::record_purchases(state, assistant, customer, &session.id, &bought)
        {
            tracing::warn!("recording purchases: {}", e.message);
        }
    }
    let impressions = suggestions
        .cross_sell
        .iter()
        .chain(&suggestions.upsell)
        .map(|s| FeedbackEvent {
            session: session.id.clone(),
            kind: EventKind::Impression,
            item: s.product.id.clone(),
            anchor: s.anchor.clone(),
            suggestion: Some(s.kind),
            arm: None,
            at_ms: stored.at_ms,
        })
        .collect::<Vec<_>>();
    if !impressions.is_empty()
        && let Err(e) = super::events::record(state, assistant, impressions)
    {
        tracing::warn!("recording impressions: {}", e.message);
    }
    state.inner.agents.publish_turn(&session.id, &stored);
    Ok(Finished {
        turn: record.turn,
        reply: record.reply,
        intent: record.intent,
        timings_ms: record.timings_ms,
    })
}

fn observe(state: &AppState, record: &TurnRecord, started: Instant) {
    let m = state.metrics();
    m.turns.with_label_values(&[record.intent.name()]).inc();
    m.ready.observe(record.timings_ms.ready / 1000.0);
    m.first_token
        .observe(record.timings_ms.first_token / 1000.0);
    if let Some(usage) = &record.usage {
        let speed = usage.generation_tokens_per_second();
        if speed.is_finite() && speed > 0.0 {
            m.tokens_per_second.observe(speed);
        }
    }
    tracing::info!(
        turn = record.turn,
        intent = record.intent.name(),
        ready_ms = record.timings_ms.ready,
        first_token_ms = record.timings_ms.first_token,
        total_ms = started.elapsed().as_secs_f64() * 1000.0,
        "turn"
    );
}
