//! What every chat model offers the rest of shopclerk: a request goes in, a stream of text
//! deltas and one final report comes out. [`super::LocalModel`] runs a GGUF file in-process;
//! [`super::OpenAiCompatible`] forwards to an inference server.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{Error, Message, Result};

/// How the next token is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sampling {
    /// Softmax temperature; 0 means greedy (always the most likely token).
    pub temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens whose probabilities sum to this.
    pub top_p: f32,
    /// Keep only the k most likely tokens; 0 means no limit.
    pub top_k: usize,
    /// Divides the logit of tokens seen in the last `repeat_last_n` tokens (1 = off).
    pub repeat_penalty: f32,
    /// How many recent tokens the repeat penalty looks at.
    pub repeat_last_n: usize,
    /// Seed of the sampler, so a sampled reply can be reproduced.
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Sampling {
        Sampling {
            temperature: 0.0,
            top_p: 0.95,
            top_k: 40,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            seed: 42,
        }
    }
}

impl Sampling {
    /// Greedy decoding with no repeat penalty: the reference setting for tests and benchmarks.
    pub fn greedy() -> Sampling {
        Sampling {
            temperature: 0.0,
            repeat_penalty: 1.0,
            ..Sampling::default()
        }
    }
}

/// One generation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    /// The conversation so far; the reply continues it as the assistant.
    pub messages: Vec<Message>,
    /// Token choice.
    #[serde(default)]
    pub sampling: Sampling,
    /// Most tokens to generate.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
    /// Generation stops before the first of these strings; the string itself is not returned.
    #[serde(default)]
    pub stop: Vec<String>,
    /// When set, the reply is a JSON document matching this schema (see
    /// [`super::JsonSchema`] for the supported subset).
    #[serde(default)]
    pub json_schema: Option<serde_json::Value>,
    /// Text the reply must start with, already counted as generated (e.g. `{"intent": "`).
    /// It is part of the reply the stream returns.
    #[serde(default)]
    pub prefill: String,
    /// When set, the only numbers the reply may write (prices, ratings, specs of its facts):
    /// a local model never samples a token that would write another one (see
    /// [`super::NumberConstraint`]). An inference server ignores it; the caller's sentence
    /// check is the line there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounded_numbers: Option<Vec<String>>,
    /// When set, the brands and claims the reply may not write and the words each shown
    /// brand's names are made of: a local model never samples a token that would break them
    /// (see [`super::WordConstraint`]). An inference server ignores it, as above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounded_words: Option<super::WordRules>,
}

fn default_max_tokens() -> usize {
    256
}

impl GenerateRequest {
    /// A request with default sampling and limits.
    pub fn new(messages: Vec<Message>) -> GenerateRequest {
        GenerateRequest {
            messages,
            sampling: Sampling::default(),
            max_tokens: default_max_tokens(),
            stop: Vec::new(),
            json_schema: None,
            prefill: String::new(),
            grounded_numbers: None,
            grounded_words: None,
        }
    }
}

impl GenerateRequest {
    /// Checks what no model could make sense of: no messages, no token budget, sampling
    /// values out of range.
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: String| Err(Error::InvalidRequest(what));
        let s = &self.sampling;
        if self.messages.is_empty() {
            return invalid("the conversation has no messages".into());
        }
        if self.max_tokens == 0 {
            return invalid("max_tokens must be at least 1".into());
        }
        if !s.temperature.is_finite() || s.temperature < 0.0 {
            return invalid(format!(
                "temperature must be 0 or more, not {}",
                s.temperature
            ));
        }
        if !(s.top_p > 0.0 && s.top_p <= 1.0) {
            return invalid(format!("top_p must be in (0, 1], not {}", s.top_p));
        }
        if !s.repeat_penalty.is_finite() || s.repeat_penalty <= 0.0 {
            return invalid(format!(
                "repeat_penalty must be more than 0, not {}",
                s.repeat_penalty
            ));
        }
        Ok(())
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn (end-of-text token) or the JSON document was complete.
    EndOfTurn,
    /// A stop string was reached.
    Stop,
    /// `max_tokens` was reached.
    Length,
}

/// Token counts and timings of one finished request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the rendered prompt.
    pub prompt_tokens: usize,
    /// Of those, how many came from the prefix cache instead of being processed.
    pub cached_tokens: usize,
    /// Tokens generated.
    pub completion_tokens: usize,
    /// Time spent waiting for a free slot.
    pub queued: Duration,
    /// Time from the start of processing to the first generated token (prompt processing).
    pub time_to_first_token: Duration,
    /// Time spent generating after the first token.
    pub generation: Duration,
}

impl Usage {
    /// Prompt tokens processed per second (excluding cached ones).
    pub fn prompt_tokens_per_second(&self) -> f64 {
        let processed = self.prompt_tokens.saturating_sub(self.cached_tokens);
        per_second(processed, self.time_to_first_token)
    }

    /// Generated tokens per second after the first one.
    pub fn generation_tokens_per_second(&self) -> f64 {
        per_second(self.completion_tokens.saturating_sub(1), self.generation)
    }
}

fn per_second(n: usize, d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        n as f64 / d.as_secs_f64()
    }
}

/// What a generation stream yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// More reply text: always whole UTF-8 characters, never part of a stop string.
    Delta {
        /// The new text.
        text: String,
    },
    /// The last event of a successful request.
    Done {
        /// Why generation ended.
        finish: FinishReason,
        /// Counts and timings.
        usage: Usage,
    },
}

/// The receiving end of a generation: iterate it (blocking) or `.recv().await` it (async).
/// Dropping it cancels the generation at its next token.
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<Result<Event>>,
}

/// The sending end, held by whoever produces the events.
#[derive(Debug, Clone)]
pub struct EventSender {
    tx: mpsc::Sender<Result<Event>>,
}

/// Events buffered between a producer and a slow reader before the producer waits.
const STREAM_BUFFER: usize = 64;

/// A connected sender and stream.
pub fn event_channel() -> (EventSender, EventStream) {
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    (EventSender { tx }, EventStream { rx })
}

impl EventSender {
    /// Sends from a blocking thread; false when the reader is gone (the caller should stop).
    pub fn send_blocking(&self, event: Result<Event>) -> bool {
        self.tx.blocking_send(event).is_ok()
    }

    /// Sends from async code; false when the reader is gone.
    pub async fn send(&self, event: Result<Event>) -> bool {
        self.tx.send(event).await.is_ok()
    }

    /// True once the reader has been dropped.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl EventStream {
    /// The next event, waiting asynchronously; `None` after the last one.
    pub async fn recv(&mut self) -> Option<Result<Event>> {
        self.rx.recv().await
    }

    /// Reads the whole reply: its text and final report, or the first error.
    pub fn collect_text(self) -> Result<(String, FinishReason, Usage)> {
        let mut text = String::new();
        for event in self {
            match event? {
                Event::Delta { text: t } => text.push_str(&t),
                Event::Done { finish, usage } => return Ok((text, finish, usage)),
            }
        }
        Err(Error::Generation(
            "the stream ended without a final event".into(),
        ))
    }
}

impl Iterator for EventStream {
    type Item = Result<Event>;

    /// Blocks the current thread; do not call from inside an async runtime (use `recv().await`).
    fn next(&mut self) -> Option<Result<Event>> {
        self.rx.blocking_recv()
    }
}

/// A chat model: local or remote, shared by all sessions.
pub trait ChatModel: Send + Sync {
    /// A short description: model name, quantization, device.
    fn describe(&self) -> String;

    /// Starts a generation. Fails at once when the request is invalid or the queue is full;
    /// later failures (including [`Error::Overloaded`] after waiting past the deadline) arrive
    /// as stream items.
    fn generate(&self, request: GenerateRequest) -> Result<EventStream>;

    /// Requests computing and waiting now, for models with a local queue.
    fn queue_load(&self) -> Option<(usize, usize)> {
        None
    }

    /// Tokens generated since the model was loaded, for models that count them.
    fn tokens_generated(&self) -> Option<u64> {
        None
    }

    /// Whether this model applies [`GenerateRequest::grounded_numbers`] and
    /// [`GenerateRequest::grounded_words`] while it samples (a local model), so that its tokens
    /// can be shown as they come. `false` (the default, and an inference server) means those
    /// constraints are ignored and only a check of whole sentences grounds the reply.
    fn grounds_tokens(&self) -> bool {
        false
    }

    /// Where each token of `text` ends: one byte offset per token, ascending, on character
    /// boundaries (a byte-level token inside a character counts at its end), for models whose
    /// tokenizer is loaded here; `None` for a remote model.
    fn token_ends(&self, text: &str) -> Option<Vec<usize>> {
        let _ = text;
        None
    }

    /// Generates a JSON document matching `schema` and returns it parsed and validated.
    fn generate_json(
        &self,
        mut request: GenerateRequest,
        schema: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let compiled = super::JsonSchema::compile(schema).map_err(Error::Schema)?;
        request.json_schema = Some(schema.clone());
        let (text, finish, _) = self.generate(request)?.collect_text()?;
        check_json_reply(&text, finish, &compiled)
    }
}

/// Parses a reply that should be a JSON document matching `schema`.
///
/// # Errors
/// [`Error::Generation`] saying the reply is not valid for the schema and why: cut at
/// `max_tokens`, wrapped in a Markdown fence, not JSON (with the parser's reason), or not
/// matching the schema (with the validator's reason). The reply is quoted, shortened.
pub fn check_json_reply(
    text: &str,
    finish: FinishReason,
    schema: &super::JsonSchema,
) -> Result<serde_json::Value> {
    let quoted: String = text.chars().take(200).collect();
    let ellipsis = if text.chars().count() > 200 {
        "…"
    } else {
        ""
    };
    let invalid = |why: String| {
        Error::Generation(format!(
            "the reply is not valid for the JSON schema: {why}; reply: {quoted:?}{ellipsis}"
        ))
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) if finish == FinishReason::Length => {
            return Err(invalid(
                "it was cut at max_tokens (finish reason: length) before the document ended".into(),
            ));
        }
        Err(_) if text.trim_start().starts_with("```") => {
            return Err(invalid(
                "it is wrapped in a Markdown code fence, not a bare JSON document".into(),
            ));
        }
        Err(e) => return Err(invalid(format!("it is not JSON ({e})"))),
    };
    schema
        .validate(&value)
        .map_err(|e| invalid(format!("it does not match the schema ({e})")))?;
    Ok(value)
}
