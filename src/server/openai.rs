//! `POST /v1/chat/completions`, OpenAI-compatible (streaming and not), so existing chat clients
//! and SDKs can talk to the shop. The last user message is the customer's turn. The
//! conversation it continues is the session the `X-Session-Id` header names (created on first
//! use); without the header, a new session per request, into which the request's earlier user
//! messages are replayed, so "the second one" points into what the client was shown. The
//! `user` field keys no session (one customer may hold many conversations); when the shop sets
//! `openai_user_is_customer`, it names the returning customer whose purchase history joins
//! cross-sell. Products and suggestions ride along in a `shopclerk` extension field, and the
//! reply text carries them too (a numbered line per product, a line per suggestion with its
//! reason, readable as plain text or Markdown), since most OpenAI clients show only the text.
//! `usage` counts tokens with the chat model's tokenizer (words and punctuation marks when no
//! tokenizer is loaded here). `GET /v1/models` lists the one model this endpoint answers as.

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
use crate::dialogue::{Delivery, Session};
use crate::understand::Intent;

/// The model name this endpoint answers as.
const MODEL: &str = "shopclerk";

/// The request fields we read. Unknown fields are ignored; `temperature` and `top_p` are
/// checked and otherwise ignored, since the assistant decides how it answers.
#[derive(Debug, Deserialize)]
pub(super) struct CompletionRequest {
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    /// The end user; a returning customer's id when the shop says so
    /// (`openai_user_is_customer`).
    #[serde(default)]
    user: Option<String>,
    /// Replies wanted: only 1.
    #[serde(default)]
    n: Option<u32>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    /// Most tokens in the reply (the older name of `max_completion_tokens`).
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
    /// Up to 4 sequences where the reply is cut.
    #[serde(default)]
    stop: Option<Stop>,
}

#[derive(Debug, Default, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// `stop`: one string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Stop {
    One(String),
    Many(Vec<String>),
}

/// Roles OpenAI's API knows.
const ROLES: [&str; 6] = [
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

impl CompletionRequest {
    /// Checks the fields OpenAI's API checks; returns the reply limits asked for.
    fn limits(&self) -> Result<Limits, ApiError> {
        let bad = |param: &'static str, code: &'static str, message: String| {
            ApiError::bad_request(code, message).param(param)
        };
        if let Some(n) = self.n.filter(|&n| n != 1) {
            return Err(bad(
                "n",
                "unsupported_value",
                format!(
                    "n = {n} is not supported: the assistant gives one reply per turn (n must be 1)"
                ),
            ));
        }
        if let Some(t) = self.temperature.filter(|t| !(0.0..=2.0).contains(t)) {
            return Err(bad(
                "temperature",
                "invalid_value",
                format!("temperature must be between 0 and 2, got {t}"),
            ));
        }
        if let Some(p) = self.top_p.filter(|p| !(0.0..=1.0).contains(p)) {
            return Err(bad(
                "top_p",
                "invalid_value",
                format!("top_p must be between 0 and 1, got {p}"),
            ));
        }
        let max_tokens = match (self.max_completion_tokens, self.max_tokens) {
            (Some(0), _) => {
                return Err(bad(
                    "max_completion_tokens",
                    "invalid_value",
                    "max_completion_tokens must be at least 1".into(),
                ));
            }
            (None, Some(0)) => {
                return Err(bad(
                    "max_tokens",
                    "invalid_value",
                    "max_tokens must be at least 1".into(),
                ));
            }
            (Some(m), _) | (None, Some(m)) => Some(usize::try_from(m).unwrap_or(usize::MAX)),
            (None, None) => None,
        };
        let stop: Vec<String> = match &self.stop {
            None => Vec::new(),
            Some(Stop::One(s)) => vec![s.clone()],
            Some(Stop::Many(list)) => list.clone(),
        };
        if stop.len() > 4 {
            return Err(bad(
                "stop",
                "invalid_value",
                format!("stop takes at most 4 sequences, got {}", stop.len()),
            ));
        }
        if let Some(m) = self
            .messages
            .iter()
            .find(|m| !ROLES.contains(&m.role.as_str()))
        {
            return Err(bad(
                "messages",
                "invalid_value",
                format!(
                    "'{}' is not a message role (use system, user or assistant)",
                    crate::understand::clip(&m.role, 40)
                ),
            ));
        }
        Ok(Limits {
            max_tokens,
            stop: stop.into_iter().filter(|s| !s.is_empty()).collect(),
        })
    }
}

/// How the client limits the reply text.
#[derive(Debug, Default)]
struct Limits {
    /// Most tokens.
    max_tokens: Option<usize>,
    /// The text is cut before the first of these.
    stop: Vec<String>,
}

/// Counts tokens: the chat model's tokenizer when one is loaded here, else words and
/// punctuation marks.
struct Tokens(Option<std::sync::Arc<dyn crate::llm::ChatModel>>);

impl Tokens {
    /// Where each token of `text` ends (byte offsets, ascending).
    fn ends(&self, text: &str) -> Vec<usize> {
        if let Some(ends) = self.0.as_ref().and_then(|m| m.token_ends(text)) {
            return ends;
        }
        static WORD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"[\p{L}\p{N}]+|[^\p{L}\p{N}\s]").expect("a valid pattern")
        });
        WORD.find_iter(text).map(|m| m.end()).collect()
    }

    fn count(&self, text: &str) -> usize {
        self.ends(text).len()
    }
}

/// Applies `limits` to a reply as it grows: what may be sent, and whether it ended early.
struct Limiter {
    limits: Limits,
    tokens: Tokens,
    /// Everything received.
    text: String,
    /// Bytes of `text` already let through.
    sent: usize,
    /// Set once a stop sequence or the token limit cut the reply.
    finish: Option<&'static str>,
}

impl Limiter {
    fn new(limits: Limits, tokens: Tokens) -> Limiter {
        Limiter {
            limits,
            tokens,
            text: String::new(),
            sent: 0,
            finish: None,
        }
    }

    /// Takes more reply text; returns what can be sent now. Text that could still be the
    /// start of a stop sequence is held back until it cannot (or until [`Limiter::end`]).
    fn push(&mut self, piece: &str) -> String {
        if self.finish.is_some() {
            return String::new();
        }
        self.text.push_str(piece);
        let mut end = self.text.len();
        if let Some(at) = self
            .limits
            .stop
            .iter()
            .filter_map(|s| self.text.find(s.as_str()))
            .min()
        {
            end = at;
            self.finish = Some("stop");
        } else {
            // Hold back a tail that a stop sequence could begin with.
            for s in &self.limits.stop {
                for (i, _) in s.char_indices().skip(1) {
                    if self.text.ends_with(&s[..i]) {
                        end = end.min(self.text.len() - i);
                    }
                }
            }
        }
        let end = self.within_token_limit(end);
        let out = self.text[self.sent.min(end)..end].to_string();
        self.sent = self.sent.max(end);
        out
    }

    /// `end`, or the end of the last token the limit allows when the text up to `end` holds
    /// more (then the reply finished with `length`).
    fn within_token_limit(&mut self, end: usize) -> usize {
        let Some(max) = self.limits.max_tokens else {
            return end;
        };
        let ends = self.tokens.ends(&self.text[..end]);
        if ends.len() <= max {
            return end;
        }
        self.finish = Some("length");
        // Merges across new text can move earlier token ends: never take back what was sent.
        ends[max - 1].max(self.sent)
    }

    /// The reply is complete: the held-back tail (when no limit cut it) and the finish reason.
    fn end(&mut self) -> (String, &'static str) {
        if let Some(finish) = self.finish {
            return (String::new(), finish);
        }
        // Nothing more can arrive: a held-back tail is only text now.
        let cut = self.within_token_limit(self.text.len());
        let finish = *self.finish.get_or_insert("stop");
        let rest = self.text[self.sent..cut].to_string();
        self.sent = cut;
        (rest, finish)
    }

    /// The text let through so far.
    fn sent(&self) -> &str {
        &self.text[..self.sent]
    }
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

/// The products and suggestions as text, for clients that show only the text: a numbered
/// line per product (short name, catalog price, rating, highlights), then a line per
/// suggestion with its reason. Markdown that reads as plain text; empty when there is nothing.
fn product_text(ext: &Extension) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, p) in ext.products.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** {}",
            i + 1,
            markdown_escape(&p.short_name),
            p.facts_line()
        );
    }
    let suggestions = ext
        .suggestions
        .cross_sell
        .iter()
        .map(|c| ("Goes with it", c))
        .chain(ext.suggestions.upsell.iter().map(|c| ("Step up", c)));
    for (i, (label, card)) in suggestions.enumerate() {
        if i == 0 && !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "- {label}: **{}** {}. {}.",
            markdown_escape(&card.product.short_name),
            card.product.facts_line(),
            card.reason.trim().trim_end_matches('.')
        );
    }
    out.trim_end().to_string()
}

/// `text` with Markdown's emphasis, code and link characters escaped.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// OpenAI's `usage` object.
fn usage(prompt: usize, completion: usize) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

/// `POST /v1/chat/completions`.
pub(super) async fn completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CompletionRequest>,
) -> Result<Response, ApiError> {
    let limits = request.limits()?;
    let text = match request.messages.last() {
        Some(m) if m.role == "user" => m.content.text(),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "messages must end with a user message",
            )
            .param("messages"));
        }
    };
    let assistant = state.assistant()?;
    let tokens = Tokens(assistant.model().cloned());
    let prompt_tokens: usize = request
        .messages
        .iter()
        .map(|m| tokens.count(&m.content.text()))
        .sum();
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
    // An OpenAI stream cannot take text back: each sentence is sent once checked.
    let mut running = start_turn(&state, session, text, Delivery::Sentences)?;
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
        let listed = product_text(&extension);
        if !listed.is_empty() {
            reply = format!("{}\n\n{listed}", reply.trim_end());
        }
        let mut limiter = Limiter::new(limits, tokens);
        let mut content = limiter.push(&reply);
        let (rest, finish) = limiter.end();
        content.push_str(&rest);
        return Ok(Json(json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }],
            "usage": usage(prompt_tokens, limiter.tokens.count(&content)),
            "shopclerk": extension.json(),
        }))
        .into_response());
    }
    let include_usage = request.stream_options.is_some_and(|o| o.include_usage);
    let chunk = move |delta: Value, finish: Option<&str>, extra: Option<Value>| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        if include_usage {
            c["usage"] = Value::Null;
        }
        if let Some(extra) = extra {
            c["shopclerk"] = extra;
        }
        c
    };
    let event = |c: Value| Ok::<_, Infallible>(Event::default().data(c.to_string()));
    // Structured frames come first: they are gathered into the first chunk, with the role.
    // The text streams through the client's limits, the product lines after it.
    let mut started = false;
    let mut limiter = Limiter::new(limits, tokens);
    let stream = ReceiverStream::new(running.rx)
        .filter_map(move |frame| {
            let mut out = Vec::new();
            if !extension.absorb(&frame) {
                if !started {
                    started = true;
                    out.push(event(chunk(
                        json!({"role": "assistant"}),
                        None,
                        Some(extension.json()),
                    )));
                }
                let text = |piece: String, out: &mut Vec<_>| {
                    if !piece.is_empty() {
                        out.push(event(chunk(json!({ "content": piece }), None, None)));
                    }
                };
                match frame {
                    Frame::Token(t) => text(limiter.push(&t), &mut out),
                    Frame::Done(_) => {
                        let listed = product_text(&extension);
                        if !listed.is_empty() {
                            text(limiter.push(&format!("\n\n{listed}")), &mut out);
                        }
                        let (rest, finish) = limiter.end();
                        text(rest, &mut out);
                        out.push(event(chunk(json!({}), Some(finish), None)));
                        if include_usage {
                            let mut last = chunk(json!({}), None, None);
                            last["choices"] = json!([]);
                            last["usage"] =
                                usage(prompt_tokens, limiter.tokens.count(limiter.sent()));
                            out.push(event(last));
                        }
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
            }
            std::future::ready(Some(futures_util::stream::iter(out)))
        })
        .flatten();
    Ok(super::event_stream(stream))
}

/// When this process started answering as [`MODEL`] (`created` of the model object).
static STARTED: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| now_ms() / 1000);

/// The model object of [`MODEL`].
fn model_object() -> Value {
    json!({
        "id": MODEL,
        "object": "model",
        "created": *STARTED,
        "owned_by": "shopclerk",
    })
}

/// `GET /v1/models`: the one model this endpoint answers as.
pub(super) async fn models() -> Json<Value> {
    Json(json!({"object": "list", "data": [model_object()]}))
}

/// `GET /v1/models/{id}`.
pub(super) async fn model(
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    if id == MODEL {
        Ok(Json(model_object()))
    } else {
        Err(ApiError::not_found(
            "model_not_found",
            format!(
                "the model '{}' does not exist here; this server answers as '{MODEL}'",
                crate::understand::clip(&id, 80)
            ),
        )
        .param("model"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max_tokens: Option<usize>, stop: &[&str]) -> Limiter {
        Limiter::new(
            Limits {
                max_tokens,
                stop: stop.iter().map(|s| s.to_string()).collect(),
            },
            Tokens(None),
        )
    }

    #[test]
    fn a_stop_sequence_split_across_pieces_is_never_sent() {
        let mut l = limiter(None, &["\n\n"]);
        let mut sent = l.push("Here are two cables.\n");
        assert_eq!(
            sent, "Here are two cables.",
            "a newline could start the stop"
        );
        sent.push_str(&l.push("\n1. Belkin"));
        assert_eq!(l.push(" more"), "");
        let (rest, finish) = l.end();
        sent.push_str(&rest);
        assert_eq!((sent.as_str(), finish), ("Here are two cables.", "stop"));
    }

    #[test]
    fn a_held_back_tail_is_sent_when_the_reply_ends_without_the_stop() {
        let mut l = limiter(None, &["END"]);
        let mut sent = l.push("ask for the EN");
        assert_eq!(sent, "ask for the ");
        let (rest, finish) = l.end();
        sent.push_str(&rest);
        assert_eq!((sent.as_str(), finish), ("ask for the EN", "stop"));
    }

    #[test]
    fn the_token_limit_cuts_at_a_token_end_and_says_length() {
        let mut l = limiter(Some(3), &[]);
        let mut sent = l.push("The Belkin ");
        sent.push_str(&l.push("cable costs ₹599."));
        let (rest, finish) = l.end();
        sent.push_str(&rest);
        assert_eq!((sent.as_str(), finish), ("The Belkin cable", "length"));
        assert_eq!(Tokens(None).count(&sent), 3);
    }

    #[test]
    fn only_n_1_and_sampling_values_in_range_are_accepted() {
        let request = |extra: Value| -> Result<Limits, ApiError> {
            let mut body = json!({"messages": [{"role": "user", "content": "hi"}]});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<CompletionRequest>(body)
                .unwrap()
                .limits()
        };
        assert!(request(json!({"n": 1, "temperature": 0.0, "top_p": 1.0})).is_ok());
        assert_eq!(request(json!({"n": 3})).unwrap_err().param, Some("n"));
        assert_eq!(
            request(json!({"top_p": 1.5})).unwrap_err().param,
            Some("top_p")
        );
        assert_eq!(
            request(json!({"max_tokens": 0})).unwrap_err().param,
            Some("max_tokens")
        );
        let limits =
            request(json!({"max_tokens": 50, "max_completion_tokens": 9, "stop": "x"})).unwrap();
        assert_eq!(limits.max_tokens, Some(9), "the newer field wins");
        assert_eq!(limits.stop, vec!["x".to_string()]);
        assert_eq!(
            request(json!({"messages": [{"role": "wizard", "content": "hi"}]}))
                .unwrap_err()
                .param,
            Some("messages")
        );
    }
}
