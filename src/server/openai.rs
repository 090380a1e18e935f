//! `POST /v1/chat/completions`, OpenAI-compatible (streaming and not), so existing chat clients
//! and SDKs can talk to the shop. The last user message is the customer's turn; the session is
//! the `X-Session-Id` header or the request's `user` field (created on first use), otherwise a
//! new one per request. Products and suggestions ride along in a `shopclerk` extension field.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
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

/// The session the request continues, or a new one.
async fn session_for(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&str>,
) -> Result<Session, ApiError> {
    let named = headers
        .get("x-session-id")
        .and_then(|v| v.to_str().ok())
        .or(user)
        .map(str::to_string);
    let Some(id) = named else {
        return create(state, None).await;
    };
    check_id("invalid_session_id", &id)?;
    match load(state, &id).await {
        Err(e) if e.code == "session_not_found" => create(state, Some(id)).await,
        found => found,
    }
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
    let session = session_for(&state, &headers, request.user.as_deref()).await?;
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
    Ok(Sse::new(stream).into_response())
}
