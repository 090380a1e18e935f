//! The local language model: "here is a GGUF chat model, give me its tokenizer (and, to come,
//! streamed, constrained generation)."
//!
//! So far: [`tokenizer_from_gguf`], which builds the tokenizer a GGUF file describes when the
//! model ships no `tokenizer.json`, and [`ChatTemplate`], which renders a conversation with the
//! model's own Jinja chat template.

mod template;
mod tokenizer;

pub use template::{CHATML, ChatTemplate, LLAMA3, Message, Role};
pub use tokenizer::tokenizer_from_gguf;

/// Errors from loading or running a chat model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The GGUF metadata lacks what a tokenizer needs, or holds a kind this build cannot read.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The chat template does not parse or fails to render.
    #[error("chat template: {0}")]
    Template(String),
}

/// Result alias for the language model.
pub type Result<T> = std::result::Result<T, Error>;
