//! The language model: "here is a chat model (a GGUF file or an inference server), stream me
//! its reply to this conversation".
//!
//! - [`ChatModel`] is the interface the conversation, the server and the CLI share: a
//!   [`GenerateRequest`] goes in, an [`EventStream`] of text deltas and a final [`Usage`] report
//!   comes out. [`ChatModel::generate_json`] constrains the reply to a JSON schema.
//! - [`LocalModel`] runs a GGUF file with candle, shared by all sessions through a bounded queue,
//!   with a prefix cache of attention state.
//! - [`OpenAiCompatible`] forwards to a server speaking the OpenAI chat-completions API.
//! - [`tokenizer_from_gguf`] builds the tokenizer a GGUF file describes when the model ships no
//!   `tokenizer.json`; [`ChatTemplate`] renders a conversation with the model's own template.

mod decode;
mod engine;
mod json_constraint;
mod local;
mod number_constraint;
mod openai;
mod queue;
mod sampler;
mod template;
mod tokenizer;
mod transformer;
mod word_constraint;

use std::time::Duration;

pub use decode::byte_level_chars;
pub use engine::{
    ChatModel, Event, EventSender, EventStream, FinishReason, GenerateRequest, Sampling, Usage,
    check_json_reply, event_channel,
};
pub use json_constraint::{JsonSchema, JsonState};
pub use local::{BenchReport, DENSE_PREFILL_MAX_BYTES, LocalModel, LocalOptions};
pub use number_constraint::NumberConstraint;
pub use openai::OpenAiCompatible;
pub use queue::QueueLimits;
pub use template::{CHATML, ChatTemplate, LLAMA3, Message, Role};
pub use tokenizer::tokenizer_from_gguf;
pub use transformer::ARCHITECTURES;
pub use word_constraint::{BannedPhrase, WordConstraint, WordRules};

/// Errors from loading or running a chat model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The GGUF metadata lacks what a tokenizer needs, or holds a kind this build cannot read.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The chat template does not parse or fails to render.
    #[error("chat template: {0}")]
    Template(String),
    /// The model file cannot be read or describes something this build cannot run.
    #[error("model {path}: {reason}")]
    Model {
        /// The file or repository.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request itself is invalid (empty conversation, bad sampling values, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The JSON schema uses something outside the supported subset.
    #[error("JSON schema: {0}")]
    Schema(String),
    /// Too many requests are waiting; try again after the given time.
    #[error("overloaded: too many requests waiting; retry after {} s", retry_after.as_secs())]
    Overloaded {
        /// A reasonable wait before retrying.
        retry_after: Duration,
    },
    /// The model failed while generating.
    #[error("generation: {0}")]
    Generation(String),
    /// The inference server could not be reached or answered with an error.
    #[error("inference server {url}: {reason}")]
    Remote {
        /// The endpoint that failed.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// Result alias for the language model.
pub type Result<T> = std::result::Result<T, Error>;
