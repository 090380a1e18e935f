//! A remote chat model: "here is an inference server speaking the OpenAI chat-completions API
//! (vLLM, llama.cpp server, TGI), stream me its reply".
//!
//! [`OpenAiCompatible`] posts the conversation to `{base_url}/chat/completions` with
//! `stream: true` and turns the server-sent events into the same [`Event`] stream the local
//! model produces. Each request runs on its own thread with a blocking HTTP client; dropping the
//! [`EventStream`] closes the connection when the next line of the reply arrives, which tells
//! the server to stop generating.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{
    ChatModel, Error, Event, EventSender, EventStream, FinishReason, GenerateRequest, Result, Role,
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
/// Besides the standard fields, requests carry the extensions these servers share: `top_k`
/// (only when set), `repeat_penalty` (llama.cpp) and `repetition_penalty` (vLLM, TGI) when the
/// penalty is not 1, and vLLM's `continue_final_message` for a prefill. Servers ignore the
/// fields they do not know; the hosted OpenAI API rejects some of them, and is not a target.
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
    fn request_body(&self, request: &GenerateRequest) -> Value {
        let mut messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({ "role": role_name(m.role), "content": m.content }))
            .collect();
        let sampling = &request.sampling;
        let mut body = Map::new();
        body.insert("model".into(), json!(self.model));
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({ "include_usage": true }));
        body.insert("max_tokens".into(), json!(request.max_tokens));
        body.insert("temperature".into(), json_f32(sampling.temperature));
        body.insert("top_p".into(), json_f32(sampling.top_p));
        if sampling.top_k > 0 {
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
        // vLLM rejects seeds outside the signed 64-bit range.
        body.insert("seed".into(), json!(sampling.seed & i64::MAX as u64));
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
        Value::Object(body)
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
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

/// Checks what the server would reject less clearly, or what makes no sense at all.
fn validate(request: &GenerateRequest) -> Result<()> {
    let invalid = |what: String| Err(Error::InvalidRequest(what));
    let sampling = &request.sampling;
    if request.messages.is_empty() {
        return invalid("the conversation has no messages".into());
    }
    if request.max_tokens == 0 {
        return invalid("max_tokens must be at least 1".into());
    }
    if !sampling.temperature.is_finite() || sampling.temperature < 0.0 {
        return invalid(format!(
            "temperature must be 0 or more, not {}",
            sampling.temperature
        ));
    }
    if !sampling.top_p.is_finite() || sampling.top_p <= 0.0 || sampling.top_p > 1.0 {
        return invalid(format!("top_p must be in (0, 1], not {}", sampling.top_p));
    }
    if !sampling.repeat_penalty.is_finite() || sampling.repeat_penalty <= 0.0 {
        return invalid(format!(
            "repeat_penalty must be more than 0, not {}",
            sampling.repeat_penalty
        ));
    }
    if let Some(i) = request.stop.iter().position(String::is_empty) {
        return invalid(format!("stop string {i} is empty"));
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
            body: body.to_string(),
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
    body: String,
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
        let mut request = self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json")
            .set("Accept", "text/event-stream");
        if let Some(key) = &self.api_key {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        let response = match request.send_string(&self.body) {
            Ok(response) => response,
            Err(ureq::Error::Status(status, response)) => {
                return Err(status_error(&self.url, status, response));
            }
            Err(error) => return Err(self.remote(transport_reason(&error))),
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
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::thread::JoinHandle;

    use proptest::prelude::*;

    use super::*;
    use crate::llm::{Message, Sampling};

    /// The blocking `Iterator::next` (the inherent `next` is async).
    fn next_item(stream: &mut EventStream) -> Option<Result<Event>> {
        Iterator::next(stream)
    }

    /// The request the mock server received.
    struct Received {
        head: String,
        body: Value,
    }

    /// Serves one connection on a fresh port: reads the request, then lets `respond` answer.
    /// Returns the base URL and the thread, which yields the request and `respond`'s result.
    fn serve_once<T: Send + 'static>(
        respond: impl FnOnce(&mut TcpStream) -> T + Send + 'static,
    ) -> (String, JoinHandle<(Received, T)>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let base = format!(
            "http://{}/v1",
            listener.local_addr().expect("local address")
        );
        let handle = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept the client");
            socket
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("set a read timeout");
            let received = read_request(&mut socket);
            let result = respond(&mut socket);
            (received, result)
        });
        (base, handle)
    }

    fn read_request(socket: &mut TcpStream) -> Received {
        let mut reader = BufReader::new(socket.try_clone().expect("clone the socket"));
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read a request line");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let length = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().expect("a numeric length"))
            })
            .expect("a Content-Length header");
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("read the body");
        Received {
            head,
            body: serde_json::from_slice(&body).expect("a JSON body"),
        }
    }

    /// A complete event-stream response, chunked as real servers send it. An event starting
    /// with `:` is sent as a comment, the others as data.
    fn sse_response(events: &[&str]) -> String {
        let mut out = String::from(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        );
        for event in events {
            let data = if event.starts_with(':') {
                format!("{event}\n\n")
            } else {
                format!("data: {event}\n\n")
            };
            out.push_str(&format!("{:x}\r\n{data}\r\n", data.len()));
        }
        out.push_str("0\r\n\r\n");
        out
    }

    fn write_all(socket: &mut TcpStream, response: &str) {
        socket
            .write_all(response.as_bytes())
            .expect("write the response");
    }

    fn delta(text: &str) -> String {
        json!({ "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }] })
            .to_string()
    }

    fn finish(reason: &str) -> String {
        json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": reason }] }).to_string()
    }

    fn request() -> GenerateRequest {
        GenerateRequest::new(vec![
            Message::new(Role::System, "You sell shoes."),
            Message::new(Role::User, "Hi"),
        ])
    }

    fn model(base: &str) -> OpenAiCompatible {
        OpenAiCompatible::new(base, "test-model")
            .expect("a valid URL")
            .with_timeout(Duration::from_secs(10))
    }

    #[test]
    fn streams_deltas_in_order_and_reports_usage() {
        let events = [
            json!({ "choices": [{ "index": 0, "delta": { "role": "assistant", "content": "" } }] })
                .to_string(),
            ": keep-alive comment".to_string(),
            delta("Hel"),
            delta("lo"),
            delta(" there"),
            finish("stop"),
            json!({ "choices": [], "usage": {
                "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
                "prompt_tokens_details": { "cached_tokens": 8 } } })
            .to_string(),
            "[DONE]".to_string(),
        ];
        let (base, server) = serve_once(move |socket| {
            let events: Vec<&str> = events.iter().map(String::as_str).collect();
            write_all(socket, &sse_response(&events));
        });
        let mut req = request();
        req.max_tokens = 50;
        req.stop = vec!["</s>".into(), "\nUser:".into()];
        req.sampling = Sampling {
            temperature: 0.7,
            top_p: 0.9,
            top_k: 0,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            seed: 7,
        };
        let model = model(&base).with_api_key("sk-test".into());
        let events: Vec<Event> = model
            .generate(req)
            .expect("a valid request")
            .collect::<Result<_>>()
            .expect("no error");
        let texts: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                Event::Delta { text } => Some(text.as_str()),
                Event::Done { .. } => None,
            })
            .collect();
        assert_eq!(texts, ["Hel", "lo", " there"]);
        let Some(Event::Done { finish, usage }) = events.last() else {
            panic!("the last event is not Done: {events:?}");
        };
        assert_eq!(*finish, FinishReason::EndOfTurn);
        assert_eq!(usage.prompt_tokens, 12);
        assert_eq!(usage.cached_tokens, 8);
        assert_eq!(usage.completion_tokens, 3);
        assert_eq!(usage.queued, Duration::ZERO);

        let (received, ()) = server.join().expect("the server thread");
        assert!(received.head.starts_with("POST /v1/chat/completions "));
        assert!(received.head.contains("Authorization: Bearer sk-test"));
        let body = received.body;
        assert_eq!(body["model"], "test-model");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["max_tokens"], 50);
        assert_eq!(body["temperature"], 0.7);
        assert_eq!(body["top_p"], 0.9);
        assert_eq!(body["seed"], 7);
        assert_eq!(body["stop"], json!(["</s>", "\nUser:"]));
        assert_eq!(
            body["messages"],
            json!([
                { "role": "system", "content": "You sell shoes." },
                { "role": "user", "content": "Hi" },
            ])
        );
        for absent in [
            "top_k",
            "repeat_penalty",
            "repetition_penalty",
            "response_format",
            "continue_final_message",
            "add_generation_prompt",
        ] {
            assert!(body.get(absent).is_none(), "{absent} sent: {body}");
        }
    }

    #[test]
    fn finish_reasons_map_to_stop_length_and_end_of_turn() {
        let stop_hit = json!({ "choices": [{ "index": 0, "delta": {},
            "finish_reason": "stop", "stop_reason": "\nUser:" }] })
        .to_string();
        let other_stop = json!({ "choices": [{ "index": 0, "delta": {},
            "finish_reason": "stop", "stop_reason": 2 }] })
        .to_string();
        let cases = [
            (stop_hit, FinishReason::Stop),
            (other_stop, FinishReason::EndOfTurn),
            (finish("length"), FinishReason::Length),
            (finish("stop_sequence"), FinishReason::Stop),
            (finish("eos_token"), FinishReason::EndOfTurn),
        ];
        for (last, expected) in cases {
            let (base, server) = serve_once(move |socket| {
                // No [DONE]: a finish reason is enough.
                write_all(socket, &sse_response(&[&delta("ok"), &last]));
            });
            let mut req = request();
            req.stop = vec!["\nUser:".into()];
            let (text, finish, usage) = model(&base)
                .generate(req)
                .expect("a valid request")
                .collect_text()
                .expect("a reply");
            assert_eq!((text.as_str(), finish), ("ok", expected));
            // No usage from the server: one token per chunk.
            assert_eq!(usage.completion_tokens, 1);
            server.join().expect("the server thread");
        }
    }

    #[test]
    fn sends_schema_and_sampling_extensions() {
        let (base, server) = serve_once(|socket| {
            write_all(
                socket,
                &sse_response(&[&delta("{}"), &finish("stop"), "[DONE]"]),
            );
        });
        let schema = json!({ "type": "object", "properties": { "intent": { "type": "string" } } });
        let mut req = request();
        req.json_schema = Some(schema.clone());
        req.sampling.top_k = 40;
        req.sampling.repeat_penalty = 1.1;
        let (text, _, _) = model(&base)
            .generate(req)
            .expect("a valid request")
            .collect_text()
            .expect("a reply");
        assert_eq!(text, "{}");
        let (received, ()) = server.join().expect("the server thread");
        let body = received.body;
        assert_eq!(
            body["response_format"],
            json!({ "type": "json_schema",
                    "json_schema": { "name": "reply", "schema": schema, "strict": true } })
        );
        assert_eq!(body["top_k"], 40);
        assert_eq!(body["repeat_penalty"], 1.1);
        assert_eq!(body["repetition_penalty"], 1.1);
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn prefill_is_sent_as_assistant_message_and_starts_the_stream() {
        let (base, server) = serve_once(|socket| {
            write_all(
                socket,
                &sse_response(&[&delta("greeting\"}"), &finish("stop"), "[DONE]"]),
            );
        });
        let mut req = request();
        req.prefill = "{\"intent\": \"".into();
        req.json_schema = Some(json!({ "type": "object" }));
        let mut stream = model(&base).generate(req).expect("a valid request");
        let first = next_item(&mut stream).expect("an event").expect("no error");
        assert_eq!(
            first,
            Event::Delta {
                text: "{\"intent\": \"".into()
            }
        );
        let (rest, finish, _) = stream.collect_text().expect("a reply");
        assert_eq!(
            (rest.as_str(), finish),
            ("greeting\"}", FinishReason::EndOfTurn)
        );

        let (received, ()) = server.join().expect("the server thread");
        let body = received.body;
        assert_eq!(
            body["messages"][2],
            json!({ "role": "assistant", "content": "{\"intent\": \"" })
        );
        assert_eq!(body["continue_final_message"], true);
        assert_eq!(body["add_generation_prompt"], false);
        // The schema would force a second document after the prefill.
        assert!(body.get("response_format").is_none());
    }

    #[test]
    fn overloaded_server_gives_retry_after() {
        let cases = [
            ("503 Service Unavailable", "Retry-After: 7\r\n", 7),
            ("429 Too Many Requests", "", 1),
        ];
        for (status, header, seconds) in cases {
            let (base, server) = serve_once(move |socket| {
                write_all(
                    socket,
                    &format!(
                        "HTTP/1.1 {status}\r\n{header}Content-Length: 4\r\n\
                         Connection: close\r\n\r\nbusy"
                    ),
                );
            });
            let mut stream = model(&base).generate(request()).expect("a valid request");
            let first = next_item(&mut stream).expect("an item");
            match first {
                Err(Error::Overloaded { retry_after }) => {
                    assert_eq!(retry_after, Duration::from_secs(seconds));
                }
                other => panic!("expected Overloaded for {status}, got {other:?}"),
            }
            server.join().expect("the server thread");
        }
    }

    #[test]
    fn client_error_carries_the_server_message() {
        let (base, server) = serve_once(|socket| {
            let body = r#"{"error":{"message":"bad model","type":"invalid_request_error"}}"#;
            write_all(
                socket,
                &format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
            );
        });
        let error = model(&base)
            .generate(request())
            .expect("a valid request")
            .collect_text()
            .expect_err("an error");
        let message = error.to_string();
        assert!(matches!(error, Error::Remote { .. }), "{error:?}");
        assert!(message.contains("bad model"), "{message}");
        assert!(message.contains("400"), "{message}");
        assert!(message.contains("/v1/chat/completions"), "{message}");
        server.join().expect("the server thread");
    }

    #[test]
    fn refused_connection_names_the_url() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        drop(listener);
        let base = format!("http://127.0.0.1:{port}/v1");
        let error = model(&base)
            .generate(request())
            .expect("a valid request")
            .collect_text()
            .expect_err("an error");
        match &error {
            Error::Remote { url, reason } => {
                assert_eq!(url, &format!("{base}/chat/completions"));
                assert!(reason.contains("cannot connect"), "{reason}");
            }
            other => panic!("expected Remote, got {other:?}"),
        }
    }

    #[test]
    fn malformed_data_line_is_an_error_quoting_it() {
        let (base, server) = serve_once(|socket| {
            write_all(
                socket,
                &sse_response(&[&delta("a"), "{\"choices\": [oops", "[DONE]"]),
            );
        });
        let mut stream = model(&base).generate(request()).expect("a valid request");
        assert_eq!(
            next_item(&mut stream).expect("an event").expect("no error"),
            Event::Delta { text: "a".into() }
        );
        let error = next_item(&mut stream)
            .expect("an item")
            .expect_err("an error");
        let message = error.to_string();
        assert!(message.contains("malformed JSON"), "{message}");
        assert!(message.contains("[oops"), "{message}");
        assert!(next_item(&mut stream).is_none(), "nothing after the error");
        server.join().expect("the server thread");
    }

    #[test]
    fn stream_without_end_is_an_error() {
        let (base, server) = serve_once(|socket| {
            write_all(socket, &sse_response(&[&delta("a"), &delta("b")]));
        });
        let error = model(&base)
            .generate(request())
            .expect("a valid request")
            .collect_text()
            .expect_err("an error");
        assert!(error.to_string().contains("stream ended early"), "{error}");
        server.join().expect("the server thread");
    }

    #[test]
    fn error_inside_the_stream_is_reported() {
        let (base, server) = serve_once(|socket| {
            let error = json!({ "object": "error", "message": "out of KV cache", "code": 500 });
            write_all(socket, &sse_response(&[&delta("a"), &error.to_string()]));
        });
        let error = model(&base)
            .generate(request())
            .expect("a valid request")
            .collect_text()
            .expect_err("an error");
        assert!(error.to_string().contains("out of KV cache"), "{error}");
        server.join().expect("the server thread");
    }

    #[test]
    fn silent_server_times_out() {
        let (base, server) = serve_once(|socket| {
            // Say nothing; wait for the client to give up and close.
            let mut buf = [0u8; 16];
            let _ = socket.read(&mut buf);
        });
        let started = Instant::now();
        let error = model(&base)
            .with_timeout(Duration::from_millis(200))
            .generate(request())
            .expect("a valid request")
            .collect_text()
            .expect_err("an error");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(error, Error::Remote { .. }), "{error:?}");
        assert!(error.to_string().contains("timed out"), "{error}");
        server.join().expect("the server thread");
    }

    #[test]
    fn dropping_the_stream_closes_the_connection() {
        let (base, server) = serve_once(|socket| {
            write_all(
                socket,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
            );
            // Keep generating slowly until the client hangs up; true when it did.
            for _ in 0..500 {
                let event = format!("data: {}\n\n", delta("tick"));
                if socket.write_all(event.as_bytes()).is_err() {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        });
        let mut stream = model(&base).generate(request()).expect("a valid request");
        assert_eq!(
            next_item(&mut stream).expect("an event").expect("no error"),
            Event::Delta {
                text: "tick".into()
            }
        );
        drop(stream);
        let (_, hung_up) = server.join().expect("the server thread");
        assert!(hung_up, "the client kept the connection open");
    }

    #[test]
    fn invalid_requests_fail_at_once() {
        let model = model("http://127.0.0.1:9/v1");
        let empty = GenerateRequest::new(Vec::new());
        assert!(matches!(
            model.generate(empty),
            Err(Error::InvalidRequest(_))
        ));
        let mut bad_top_p = request();
        bad_top_p.sampling.top_p = 0.0;
        assert!(matches!(
            model.generate(bad_top_p),
            Err(Error::InvalidRequest(_))
        ));
        let mut no_tokens = request();
        no_tokens.max_tokens = 0;
        assert!(matches!(
            model.generate(no_tokens),
            Err(Error::InvalidRequest(_))
        ));
    }

    #[test]
    fn urls_are_checked_and_normalised() {
        for bad in [
            "ftp://host/v1",
            "localhost:8000/v1",
            "http://",
            "",
            "http://a b/v1",
        ] {
            match OpenAiCompatible::new(bad, "m") {
                Err(Error::InvalidRequest(message)) => {
                    assert!(message.contains("URL"), "{bad:?}: {message}")
                }
                other => panic!("{bad:?} accepted: {other:?}"),
            }
        }
        assert!(matches!(
            OpenAiCompatible::new("http://localhost:8000/v1", " "),
            Err(Error::InvalidRequest(_))
        ));
        let model = OpenAiCompatible::new("https://api.example.com/v1/", "m").expect("valid");
        assert_eq!(
            model.endpoint(),
            "https://api.example.com/v1/chat/completions"
        );
        assert_eq!(
            model.describe(),
            "openai-compatible m at https://api.example.com/v1"
        );
        let full = OpenAiCompatible::new("http://h:1/v1/chat/completions", "m").expect("valid");
        assert_eq!(full.endpoint(), "http://h:1/v1/chat/completions");
        let debug = format!("{:?}", full.with_api_key("secret".into()));
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn helpers_read_server_texts() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("1e300"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(error_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(r#"{"error":"plain"}"#), "plain");
        assert_eq!(error_message("  "), "(empty body)");
        let long = "é".repeat(QUOTE_CHARS + 10);
        assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 1);
        assert_eq!(json_f32(0.95), json!(0.95));
    }

    #[test]
    fn overlong_line_is_refused() {
        let text = "x".repeat(MAX_LINE_BYTES + 10);
        let mut reader = io::Cursor::new(text.into_bytes());
        let mut buf = Vec::new();
        assert!(read_line(&mut reader, &mut buf).is_err());
    }

    proptest! {
        #[test]
        fn parser_never_panics(line in ".{0,200}", data in ".{0,200}") {
            let mut parser = StreamParser::default();
            let stop = vec!["x".to_string()];
            let _ = parser.feed(&line, &stop);
            let _ = parser.feed(&format!("data: {data}"), &stop);
            let _ = parser.feed(&format!("data: {{\"choices\": [{data}]}}"), &stop);
        }
    }
}
