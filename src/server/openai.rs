//! `POST /v1/chat/completions`, OpenAI-compatible (streaming and not), so existing chat clients
//! and SDKs can talk to the shop. The last user message is the customer's turn. The
//! conversation it continues is the session the `X-Session-Id` header names (created on first
//! use); without the header, a new session per request, into which the request's earlier user
//! messages are replayed, so "the second one" points into what the client was shown. The
//! `user` field keys no session (one customer may hold many conversations); when the shop sets
//! `openai_user_is_customer`, it names the returning customer whose purchase history joins
//! cross-sell. Products and suggestions ride along in a `shopclerk` extension field.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_stream::wrappers::ReceiverStream;

use super::AppState;
use super::chat::{Frame, create, load, start_turn};
use super::error::{ApiError, ApiJson, check_id};
use super::views::{SuggestionCards, now_ms};
use crate::dialogue::Session;
use crate::understand::Intent;

/// The model name this endpoint answers as.
const MODEL: &str = "shopclerk";

/// The request fields we read; the others (temperature, max_tokens...) are accepted and
/// ignored, since the assistant decides how it answers.
#[derive(Debug, Deserialize)]
pub(super) struct CompletionRequest {
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    /// The end user; a returning customer's id when the shop says so
    /// (`openai_user_is_customer`).
    #[serde(default)]
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    role: String,
    #[serde(default)]
    content: Content,
}

/// Message content: a string, or a list of parts of which the text ones count.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
    #[default]
    Missing,
}

#[derive(Debug, Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
}

impl Content {
    fn text(&self) -> String {
        match self {
            Content::Text(t) => t.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| p.text.as_deref())
                .collect::<Vec<_>>()
                .join(" "),
            Content::Missing => String::new(),
        }
    }
}

/// What the response adds to OpenAI's format.
#[derive(Debug, Default)]
struct Extension {
    session_id: String,
    intent: Option<Intent>,
    products: Vec<crate::catalog::ProductView>,
    suggestions: SuggestionCards,
}

impl Extension {
    fn json(&self) -> Value {
        json!({
            "session_id": self.session_id,
            "intent": self.intent,
            "products": self.products,
            "cross_sell": self.suggestions.cross_sell,
            "upsell": self.suggestions.upsell,
        })
    }

    /// Takes a structured frame; false for text and the end.
    fn absorb(&mut self, frame: &Frame) -> bool {
        match frame {
            Frame::Understood { intent, .. } => self.intent = Some(*intent),
            Frame::Products(p) => self.products = p.clone(),
            Frame::Suggestions(s) => self.suggestions = s.clone(),
            _ => return false,
        }
        true
    }
}

/// Most earlier user messages of a request replayed into a new session.
const REPLAYED_MESSAGES: usize = 8;

/// The session the request continues: the one `X-Session-Id` names, or a new one holding the
/// request's earlier user messages (`history`, oldest first).
async fn session_for(
    state: &AppState,
    headers: &HeaderMap,
    history: Vec<String>,
    customer: Option<String>,
) -> Result<Session, ApiError> {
    let named = headers
        .get("x-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(id) = named {
        check_id("invalid_session_id", &id)?;
        let mut session = match load(state, &id).await {
            Err(e) if e.code == "session_not_found" => {
                create(state, Some(id), customer.clone()).await
            }
            found => found,
        }?;
        if session.customer_id.is_none() {
            session.customer_id = customer;
        }
        return Ok(session);
    }
    let mut session = create(state, None, customer).await?;
    if history.is_empty() {
        return Ok(session);
    }
    let assistant = state.assistant()?.clone();
    let max = crate::understand::MAX_MESSAGE_CHARS;
    session = tokio::task::spawn_blocking(move || {
        let skip = history.len().saturating_sub(REPLAYED_MESSAGES);
        for text in history.iter().skip(skip) {
            let text: String = text.chars().take(max).collect();
            assistant.replay(&mut session, &text)?;
        }
        Ok::<_, crate::dialogue::Error>(session)
    })
    .await
    .map_err(|e| ApiError::internal("replaying the conversation", e))?
    .map_err(|e| ApiError::internal("replaying the conversation", e))?;
    Ok(session)
}

/// `POST /v1/chat/completions`.
pub(super) async fn completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CompletionRequest>,
) -> Result<Response, ApiError> {
    let text = match request.messages.last() {
        Some(m) if m.role == "user" => m.content.text(),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "messages must end with a user message",
            ));
        }
    };
    state.assistant()?;
    let earlier: Vec<String> = request.messages[..request.messages.len() - 1]
        .iter()
        .filter(|m| m.role == "user")
        .map(|m| m.content.text())
        .filter(|t| !t.trim().is_empty())
        .collect();
    let customer = request
        .user
        .clone()
        .filter(|u| state.config().openai_user_is_customer && !u.trim().is_empty());
    let session = session_for(&state, &headers, earlier, customer).await?;
    let id = format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32);
    let created = now_ms() / 1000;
    let mut extension = Extension {
        session_id: session.id.clone(),
        ..Extension::default()
    };
    let mut running = start_turn(&state, session, text)?;
    if !request.stream {
        let mut reply = String::new();
        while let Some(frame) = running.rx.recv().await {
            if extension.absorb(&frame) {
                continue;
            }
            match frame {
                Frame::Token(t) => reply.push_str(&t),
                Frame::Done(done) => reply = done.reply,
                Frame::Failed(e) => return Err(e),
                _ => {}
            }
        }
        return Ok(Json(json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": "stop",
            }],
            "shopclerk": extension.json(),
        }))
        .into_response());
    }
    let chunk = move |delta: Value, finish: Option<&str>, extra: Option<Value>| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        if let Some(extra) = extra {
            c["shopclerk"] = extra;
        }
        Ok::<_, Infallible>(Event::default().data(c.to_string()))
    };
    // Structured frames come first: they are gathered into the first chunk, with the role.
    let mut started = false;
    let stream = ReceiverStream::new(running.rx)
        .filter_map(move |frame| {
            let out = if extension.absorb(&frame) {
                Vec::new()
            } else {
                let mut out = Vec::new();
                if !started {
                    started = true;
                    out.push(chunk(
                        json!({"role": "assistant"}),
                        None,
                        Some(extension.json()),
                    ));
                }
                match frame {
                    Frame::Token(t) => out.push(chunk(json!({ "content": t }), None, None)),
                    Frame::Done(_) => {
                        out.push(chunk(json!({}), Some("stop"), None));
                        out.push(Ok(Event::default().data("[DONE]")));
                    }
                    Frame::Failed(e) => {
                        out.push(Ok(
                            Event::default().data(json!({ "error": e.detail() }).to_string())
                        ));
                        out.push(Ok(Event::default().data("[DONE]")));
                    }
                    _ => {}
                }
                out
            };
            std::future::ready(Some(futures_util::stream::iter(out)))
        })
        .flatten();
    Ok(super::event_stream(stream))
}
