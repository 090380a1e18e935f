//! A remote chat model: "here is an inference server speaking the OpenAI chat-completions API
//! (vLLM, llama.cpp server, TGI), stream me its reply".
//!
//! [`OpenAiCompatible`] posts the conversation to `{base_url}/chat/completions` with
//! `stream: true` and turns the server-sent events into the same [`Event`] stream the local
//! model produces. Each request runs on its own thread with a blocking HTTP client; dropping the
//! [`EventStream`] closes the connection when the next line of the reply arrives, which tells
//! the server to stop generating.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    ChatModel, Error, Event, EventSender, EventStream, FinishReason, GenerateRequest, Result,
    Usage, event_channel,
};

/// Connect and read timeout when none is set with [`OpenAiCompatible::with_timeout`].
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Wait suggested to the caller when an overloaded server names none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Longest event-stream line accepted; a longer one means a broken or hostile server.
const MAX_LINE_BYTES: usize = 1 << 20;

/// Most bytes of an error response read to find the server's message.
const MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;

/// Characters of a server's text quoted in an error message.
const QUOTE_CHARS: usize = 300;

/// A chat model served by an inference server speaking the OpenAI chat-completions API with
/// streaming (vLLM, llama.cpp server, TGI, ...).
///
/// Besides the standard fields, requests carry the extensions these servers share, each only
/// when it changes something: `top_k` and `seed` when sampling (temperature above 0),
/// `repeat_penalty` (llama.cpp) and `repetition_penalty` (vLLM, TGI) when the penalty is not 1,
/// and vLLM's `continue_final_message` for a prefill. A strict server that answers 400 naming
/// one of these optional fields (or `stream_options`) gets the request once more without it;
/// the client remembers the refusal for later requests and logs one warning per field.
///
/// ```no_run
/// use shopclerk::llm::{ChatModel, GenerateRequest, Message, OpenAiCompatible, Role};
///
/// let model = OpenAiCompatible::new("http://localhost:8000/v1", "Qwen/Qwen2.5-1.5B-Instruct")?
///     .with_timeout(std::time::Duration::from_secs(30));
/// let request = GenerateRequest::new(vec![Message::new(Role::User, "Hello!")]);
/// let (reply, _finish, usage) = model.generate(request)?.collect_text()?;
/// println!("{reply} ({} tokens)", usage.completion_tokens);
/// # Ok::<(), shopclerk::llm::Error>(())
/// ```
#[derive(Clone)]
pub struct OpenAiCompatible {
    base_url: String,
    endpoint: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
    agent: ureq::Agent,
    /// Optional fields the server refused with a 400; never sent again. Shared by clones.
    refused: Arc<Mutex<BTreeSet<&'static str>>>,
}

/// Request fields a server may do without; a 400 naming one of them is retried without it.
const OPTIONAL_FIELDS: &[&str] = &[
    "top_k",
    "repeat_penalty",
    "repetition_penalty",
    "seed",
    "stream_options",
    "continue_final_message",
    "add_generation_prompt",
];

/// The fields a server refused, locked. A set of names stays valid whatever panicked while it
/// was held.
fn lock_refused<'a>(
    refused: &'a Mutex<BTreeSet<&'static str>>,
) -> std::sync::MutexGuard<'a, BTreeSet<&'static str>> {
    refused.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The optional fields of `body` that a server's error message names, as whole words
/// ("Unrecognized request argument supplied: top_k", "extra_forbidden ('body', 'seed')").
fn refused_fields(message: &str, body: &Map<String, Value>) -> Vec<&'static str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    OPTIONAL_FIELDS
        .iter()
        .copied()
        .filter(|field| body.contains_key(*field))
        .filter(|field| {
            message.match_indices(field).any(|(at, _)| {
                let before = message[..at].chars().next_back();
                let after = message[at + field.len()..].chars().next();
                !before.is_some_and(is_word) && !after.is_some_and(is_word)
            })
        })
        .collect()
}

impl fmt::Debug for OpenAiCompatible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the API key: this ends up in logs.
        f.debug_struct("OpenAiCompatible")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn build_agent(timeout: Duration) -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(timeout)
        .timeout_read(timeout)
        .timeout_write(timeout)
        .build()
}

impl OpenAiCompatible {
    /// A client for the server at `base_url` (such as `http://localhost:8000/v1`; requests go to
    /// `{base_url}/chat/completions`, and a URL already ending in `/chat/completions` is used as
    /// is), asking for `model` (the name the server knows it by).
    ///
    /// Fails with [`Error::InvalidRequest`] when the URL is not a valid `http` or `https` URL
    /// or the model name is empty. Nothing is sent until the first request.
    pub fn new(base_url: &str, model: &str) -> Result<OpenAiCompatible> {
        let trimmed = base_url.trim();
        let lower = trimmed.to_ascii_lowercase();
        let Some(scheme_len) = ["http://", "https://"]
            .iter()
            .find(|scheme| lower.starts_with(*scheme))
            .map(|scheme| scheme.len())
        else {
            return Err(Error::InvalidRequest(format!(
                "inference server URL {base_url:?} must start with http:// or https://"
            )));
        };
        if trimmed[scheme_len..].is_empty() || trimmed[scheme_len..].starts_with('/') {
            return Err(Error::InvalidRequest(format!(
                "inference server URL {base_url:?} names no host"
            )));
        }
        let base = trimmed.trim_end_matches('/');
        let lower = base.to_ascii_lowercase();
        let endpoint = if lower.ends_with("/chat/completions") {
            base.to_string()
        } else {
            format!("{base}/chat/completions")
        };
        let agent = build_agent(DEFAULT_TIMEOUT);
        agent.post(&endpoint).request_url().map_err(|e| {
            Error::InvalidRequest(format!(
                "inference server URL {base_url:?} is not valid: {}",
                transport_reason(&e)
            ))
        })?;
        let model = model.trim();
        if model.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "the model name for the inference server at {base} is empty"
            )));
        }
        Ok(OpenAiCompatible {
            base_url: base.to_string(),
            endpoint,
            model: model.to_string(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            agent,
            refused: Arc::default(),
        })
    }

    /// Sends `Authorization: Bearer <api_key>` with every request.
    pub fn with_api_key(mut self, api_key: String) -> OpenAiCompatible {
        self.api_key = Some(api_key);
        self
    }

    /// Sets how long connecting, sending, and each wait for more of the reply may take
    /// (default 120 s). The wait for the first token includes the server's prompt processing,
    /// so keep it generous. Zero is treated as one millisecond.
    pub fn with_timeout(mut self, timeout: Duration) -> OpenAiCompatible {
        self.timeout = timeout.max(Duration::from_millis(1));
        self.agent = build_agent(self.timeout);
        self
    }

    /// The endpoint requests are posted to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The JSON body of the chat-completions request for `request` (already validated).
    fn request_body(&self, request: &GenerateRequest) -> Map<String, Value> {
        let mut messages: Vec<Value> = request.messages.iter().map(|m| json!(m)).collect();
        let sampling = &request.sampling;
        let mut body = Map::new();
        let sampled = sampling.temperature > 0.0;
        body.insert("model".into(), json!(self.model));
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({ "include_usage": true }));
        body.insert("max_tokens".into(), json!(request.max_tokens));
        body.insert("temperature".into(), json_f32(sampling.temperature));
        body.insert("top_p".into(), json_f32(sampling.top_p));
        if sampled && sampling.top_k > 0 {
            body.insert("top_k".into(), json!(sampling.top_k));
        }
        if sampling.repeat_penalty != 1.0 {
            // llama.cpp reads the first name, vLLM and TGI the second; both divide the logits
            // of recently seen tokens, as the local sampler does.
            body.insert("repeat_penalty".into(), json_f32(sampling.repeat_penalty));
            body.insert(
                "repetition_penalty".into(),
                json_f32(sampling.repeat_penalty),
            );
        }
        if sampled {
            // vLLM rejects seeds outside the signed 64-bit range.
            body.insert("seed".into(), json!(sampling.seed & i64::MAX as u64));
        }
        if !request.stop.is_empty() {
            body.insert("stop".into(), json!(request.stop));
        }
        if !request.prefill.is_empty() {
            // vLLM continues a trailing assistant message when asked to; llama.cpp server
            // treats one as a prefill on its own.
            messages.push(json!({ "role": "assistant", "content": request.prefill }));
            body.insert("continue_final_message".into(), json!(true));
            body.insert("add_generation_prompt".into(), json!(false));
        }
        if let Some(schema) = &request.json_schema {
            if request.prefill.is_empty() {
                body.insert(
                    "response_format".into(),
                    json!({
                        "type": "json_schema",
                        "json_schema": { "name": "reply", "schema": schema, "strict": true },
                    }),
                );
            } else {
                // Servers apply the schema to the generated tokens alone, so with a prefill
                // they would force a second, complete document after it. The prefill wins; the
                // caller's validation (as in `generate_json`) still checks the result.
                tracing::debug!(
                    endpoint = %self.endpoint,
                    "JSON schema not sent: the request has a prefill"
                );
            }
        }
        body.insert("messages".into(), Value::Array(messages));
        for field in lock_refused(&self.refused).iter() {
            body.remove(*field);
        }
        body
    }
}

/// An `f32` as the JSON number it reads as (0.95, not 0.949999988079071).
fn json_f32(x: f32) -> Value {
    x.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// Checks the request; servers also reject empty stop strings, less clearly.
fn validate(request: &GenerateRequest) -> Result<()> {
    request.validate()?;
    if let Some(i) = request.stop.iter().position(String::is_empty) {
        return Err(Error::InvalidRequest(format!("stop string {i} is empty")));
    }
    Ok(())
}

impl ChatModel for OpenAiCompatible {
    fn describe(&self) -> String {
        format!("openai-compatible {} at {}", self.model, self.base_url)
    }

    /// Starts the request on its own thread. Only an invalid request fails here; an
    /// unreachable or overloaded server ([`Error::Remote`], [`Error::Overloaded`]) is the first
    /// item of the stream. With a prefill, the stream starts with the prefill text once the
    /// server has accepted the request. `completion_tokens` is the server's count, which
    /// excludes the prefill; a server that reports no usage gets the number of text chunks.
    fn generate(&self, request: GenerateRequest) -> Result<EventStream> {
        validate(&request)?;
        let body = self.request_body(&request);
        let job = StreamJob {
            agent: self.agent.clone(),
            url: self.endpoint.clone(),
            api_key: self.api_key.clone(),
            body,
            refused: Arc::clone(&self.refused),
            prefill: request.prefill,
            stop: request.stop,
        };
        let (tx, stream) = event_channel();
        std::thread::Builder::new()
            .name("openai-stream".into())
            .spawn(move || {
                if let Err(error) = job.run(&tx) {
                    // A reader that is gone has no use for the error.
                    let _ = tx.send_blocking(Err(error));
                }
            })
            .map_err(|e| {
                Error::Generation(format!(
                    "cannot start a thread for the request to {}: {e}",
                    self.endpoint
                ))
            })?;
        Ok(stream)
    }
}

/// Everything the streaming thread needs.
struct StreamJob {
    agent: ureq::Agent,
    url: String,
    api_key: Option<String>,
    body: Map<String, Value>,
    refused: Arc<Mutex<BTreeSet<&'static str>>>,
    prefill: String,
    stop: Vec<String>,
}

impl StreamJob {
    fn remote(&self, reason: impl Into<String>) -> Error {
        Error::Remote {
            url: self.url.clone(),
            reason: reason.into(),
        }
    }

    /// Sends the request and forwards the reply; `Ok` also when the reader went away.
    fn run(&self, tx: &EventSender) -> Result<()> {
        let started = Instant::now();
        let mut body = self.body.clone();
        let mut retried = false;
        let response = loop {
            let mut request = self
                .agent
                .post(&self.url)
                .set("Content-Type", "application/json")
                .set("Accept", "text/event-stream");
            if let Some(key) = &self.api_key {
                request = request.set("Authorization", &format!("Bearer {key}"));
            }
            match request.send_string(&Value::Object(body.clone()).to_string()) {
                Ok(response) => break response,
                Err(ureq::Error::Status(400, response)) if !retried => {
                    let status_text = response.status_text().to_string();
                    let message = error_message(&read_error_body(response));
                    let fields = refused_fields(&message, &body);
                    if fields.is_empty() {
                        return Err(self.remote(format!("HTTP 400 {status_text}: {message}")));
                    }
                    let mut refused = lock_refused(&self.refused);
                    for field in fields {
                        body.remove(field);
                        if refused.insert(field) {
                            tracing::warn!(
                                endpoint = %self.url,
                                field,
                                reason = %message,
                                "the inference server refused an optional request field; \
                                 it is no longer sent"
                            );
                        }
                    }
                    retried = true;
                }
                Err(ureq::Error::Status(status, response)) => {
                    return Err(status_error(&self.url, status, response));
                }
                Err(error) => return Err(self.remote(transport_reason(&error))),
            }
        };
        if response.content_type() == "application/json" {
            // A server that ignores `stream: true` (or a proxy answering for it).
            let body = read_error_body(response);
            return Err(self.remote(format!(
                "expected an event stream (text/event-stream) but got JSON: {}",
                error_message(&body)
            )));
        }
        if !self.prefill.is_empty()
            && !tx.send_blocking(Ok(Event::Delta {
                text: self.prefill.clone(),
            }))
        {
            return Ok(());
        }

        let mut reader = BufReader::new(response.into_reader());
        let mut parser = StreamParser::default();
        let mut first_token: Option<Instant> = None;
        let mut line = Vec::new();
        let mut line_number = 0usize;
        loop {
            if tx.is_closed() {
                return Ok(());
            }
            line.clear();
            let read = read_line(&mut reader, &mut line)
                .map_err(|e| self.remote(format!("reading the event stream: {e}")))?;
            if read == 0 {
                break;
            }
            line_number += 1;
            let text = std::str::from_utf8(&line).map_err(|_| {
                self.remote(format!(
                    "event stream line {line_number} is not UTF-8: {}",
                    quote(&String::from_utf8_lossy(&line))
                ))
            })?;
            match parser.feed(text.trim_end_matches(['\n', '\r']), &self.stop) {
                Ok(Step::Nothing) => {}
                Ok(Step::Text(text)) => {
                    first_token.get_or_insert_with(Instant::now);
                    if !tx.send_blocking(Ok(Event::Delta { text })) {
                        return Ok(());
                    }
                }
                Ok(Step::Done) => break,
                Err(reason) => {
                    return Err(self.remote(format!("event stream line {line_number}: {reason}")));
                }
            }
        }
        let Some(finish) = parser.finish_reason() else {
            return Err(self.remote(
                "stream ended early: no finish reason and no [DONE] before the connection closed",
            ));
        };
        let end = Instant::now();
        let usage = Usage {
            prompt_tokens: parser.usage.as_ref().map_or(0, |u| u.prompt_tokens),
            cached_tokens: parser.usage.as_ref().map_or(0, ServerUsage::cached_tokens),
            completion_tokens: parser
                .usage
                .as_ref()
                .map_or(parser.text_chunks, |u| u.completion_tokens),
            queued: Duration::ZERO,
            time_to_first_token: first_token.unwrap_or(end).duration_since(started),
            generation: first_token.map_or(Duration::ZERO, |t| end.duration_since(t)),
        };
        // Dropping the reader after [DONE] closes the connection; nothing else is expected.
        let _ = tx.send_blocking(Ok(Event::Done { finish, usage }));
        Ok(())
    }
}

/// Reads one line (with its `\n`) into `buf`, refusing lines longer than [`MAX_LINE_BYTES`];
/// returns the bytes read, 0 at the end of the stream.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<usize> {
    let read = reader
        .by_ref()
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)?;
    if buf.len() > MAX_LINE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a line is longer than {MAX_LINE_BYTES} bytes"),
        ));
    }
    Ok(read)
}

/// What one line of the event stream asks of the reader.
#[derive(Debug, PartialEq)]
enum Step {
    /// Nothing to pass on: a comment, a blank line, a role-only or usage-only chunk.
    Nothing,
    /// More reply text.
    Text(String),
    /// `data: [DONE]`: the reply is complete.
    Done,
}

/// One `chat.completion.chunk`, as far as it matters here.
#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<ServerUsage>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
    /// vLLM's extension: the stop string (or token id) that ended generation.
    #[serde(default)]
    stop_reason: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ServerUsage {
    #[serde(default)]
    prompt_tokens: usize,
    #[serde(default)]
    completion_tokens: usize,
    #[serde(default)]
    prompt_tokens_details: Option<PromptTokensDetails>,
}

impl ServerUsage {
    fn cached_tokens(&self) -> usize {
        self.prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
    }
}

#[derive(Debug, Deserialize)]
struct PromptTokensDetails {
    #[serde(default)]
    cached_tokens: Option<usize>,
}

/// Turns event-stream lines into reply text, remembering the finish reason and usage.
#[derive(Debug, Default)]
struct StreamParser {
    finish: Option<FinishReason>,
    usage: Option<ServerUsage>,
    done: bool,
    text_chunks: usize,
}

impl StreamParser {
    /// Reads one line (without its line ending). `stop` are the request's stop strings, to
    /// tell a stop string from the end of the model's turn. An error is the reason, quoting the
    /// line.
    fn feed(&mut self, line: &str, stop: &[String]) -> std::result::Result<Step, String> {
        if let Some(rest) = line.strip_prefix("error:") {
            // llama.cpp server reports failures mid-stream this way.
            return Err(format!(
                "the server reported an error: {}",
                quote(rest.trim())
            ));
        }
        // Blank lines end events, `:` starts a comment (keep-alive), and `event:`, `id:` and
        // `retry:` carry nothing needed here.
        let Some(data) = line.strip_prefix("data:") else {
            return Ok(Step::Nothing);
        };
        let data = data.strip_prefix(' ').unwrap_or(data).trim_end();
        if data.is_empty() {
            return Ok(Step::Nothing);
        }
        if data == "[DONE]" {
            self.done = true;
            return Ok(Step::Done);
        }
        let value: Value = serde_json::from_str(data)
            .map_err(|e| format!("malformed JSON ({e}): {}", quote(data)))?;
        if let Some(message) = stream_error_message(&value) {
            return Err(format!("the server reported an error: {message}"));
        }
        let chunk: Chunk = serde_json::from_value(value)
            .map_err(|e| format!("unexpected chunk ({e}): {}", quote(data)))?;
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        // We ask for one choice; it is the first.
        let Some(choice) = chunk.choices.into_iter().next() else {
            return Ok(Step::Nothing);
        };
        if let Some(reason) = &choice.finish_reason {
            self.finish
                .get_or_insert(map_finish_reason(reason, choice.stop_reason.as_ref(), stop));
        }
        match choice.delta.and_then(|d| d.content) {
            Some(text) if !text.is_empty() => {
                self.text_chunks += 1;
                Ok(Step::Text(text))
            }
            _ => Ok(Step::Nothing),
        }
    }

    /// Why generation ended, or `None` when the stream said neither `[DONE]` nor a reason.
    fn finish_reason(&self) -> Option<FinishReason> {
        match (self.finish, self.done) {
            (Some(finish), _) => Some(finish),
            (None, true) => Some(FinishReason::EndOfTurn),
            (None, false) => None,
        }
    }
}

/// `"length"` is the token limit; `"stop_sequence"` (TGI) is a stop string, and so is `"stop"`
/// when the server names one of ours (vLLM's `stop_reason`); anything else (`"stop"`,
/// TGI's `"eos_token"`) is the end of the model's turn.
fn map_finish_reason(reason: &str, stop_reason: Option<&Value>, stop: &[String]) -> FinishReason {
    match reason {
        "length" => FinishReason::Length,
        "stop_sequence" => FinishReason::Stop,
        "stop"
            if stop_reason
                .and_then(Value::as_str)
                .is_some_and(|s| stop.iter().any(|x| x == s)) =>
        {
            FinishReason::Stop
        }
        _ => FinishReason::EndOfTurn,
    }
}

/// The message of an error object inside the event stream, if `value` is one.
fn stream_error_message(value: &Value) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => quote(s),
        other => quote(&other.to_string()),
    };
    match value.get("error") {
        Some(Value::Null) | None => {}
        Some(error) => return Some(text(error.get("message").unwrap_or(error))),
    }
    if value.get("object").and_then(Value::as_str) == Some("error") {
        return Some(text(value.get("message").unwrap_or(value)));
    }
    None
}

/// The server's message in an error response body: `error.message` (OpenAI, vLLM, llama.cpp),
/// `message` or `detail` (FastAPI), else the start of the body.
fn error_message(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "(empty body)".into();
    }
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        if let Some(message) = stream_error_message(&value) {
            return message;
        }
        for key in ["message", "detail"] {
            match value.get(key) {
                Some(Value::String(s)) => return quote(s),
                Some(Value::Null) | None => {}
                Some(other) => return quote(&other.to_string()),
            }
        }
    }
    quote(body)
}

/// Reads at most [`MAX_ERROR_BODY_BYTES`] of a response; what cannot be read is left out.
fn read_error_body(response: ureq::Response) -> String {
    let mut bytes = Vec::new();
    // A failing read still leaves what arrived before it, which is all the message needs.
    let _ = response
        .into_reader()
        .take(MAX_ERROR_BODY_BYTES)
        .read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The error for a non-2xx answer: 429 and 503 mean "come back later", anything else is the
/// server refusing the request.
fn status_error(url: &str, status: u16, response: ureq::Response) -> Error {
    if status == 429 || status == 503 {
        let retry_after = response
            .header("Retry-After")
            .and_then(parse_retry_after)
            .unwrap_or(DEFAULT_RETRY_AFTER);
        return Error::Overloaded { retry_after };
    }
    let status_text = response.status_text().to_string();
    let message = error_message(&read_error_body(response));
    Error::Remote {
        url: url.to_string(),
        reason: format!("HTTP {status} {status_text}: {message}"),
    }
}

/// `Retry-After` in seconds; the HTTP-date form is not worth supporting here.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    value
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
}

/// A readable reason for a failure to talk to the server (the URL is named separately).
fn transport_reason(error: &ureq::Error) -> String {
    let transport = match error {
        ureq::Error::Transport(transport) => transport,
        ureq::Error::Status(status, _) => return format!("HTTP status {status}"),
    };
    let mut reason = match transport.kind() {
        ureq::ErrorKind::Dns => "cannot resolve the host name".to_string(),
        ureq::ErrorKind::ConnectionFailed => "cannot connect".to_string(),
        ureq::ErrorKind::Io => "network error".to_string(),
        ureq::ErrorKind::InvalidUrl => "invalid URL".to_string(),
        ureq::ErrorKind::UnknownScheme => "unsupported URL scheme".to_string(),
        kind => kind.to_string(),
    };
    let source = std::error::Error::source(transport).map(|s| s.to_string());
    for detail in [transport.message(), source.as_deref()]
        .into_iter()
        .flatten()
    {
        // Read errors arrive wrapped in a second ureq error that repeats its kind.
        let detail = detail.strip_prefix("Network Error: ").unwrap_or(detail);
        reason.push_str(": ");
        reason.push_str(detail);
    }
    reason
}

/// The first [`QUOTE_CHARS`] characters of `text`, marked when cut.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
#[path = "openai_tests.rs"]
mod tests;
