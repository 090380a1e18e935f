//! Chat templates: the model's own `tokenizer.chat_template` (Jinja), rendered with minijinja
//! as llama.cpp and mistral.rs do; built-in ChatML and Llama 3 templates only for files that
//! carry none.

use candle_core::quantized::gguf_file::{Content, Value};
use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model.
    System,
    /// The customer.
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

impl Message {
    /// A message with a role.
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
        }
    }
}

/// ChatML, used by SmolLM, Qwen and many others.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// Llama 3's header format.
pub const LLAMA3: &str = "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

/// A chat template and the special tokens it may refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTemplate {
    source: String,
    bos_token: String,
    eos_token: String,
}

fn token_string(content: &Content, key: &str) -> String {
    let id = content.metadata.get(key).and_then(|v| v.to_u32().ok());
    let tokens = content
        .metadata
        .get("tokenizer.ggml.tokens")
        .and_then(|v| v.to_vec().ok());
    match (id, tokens) {
        (Some(id), Some(tokens)) => tokens
            .get(id as usize)
            .and_then(|t| t.to_string().ok())
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

impl ChatTemplate {
    /// A template from Jinja source, with the text of the BOS and EOS tokens.
    pub fn new(
        source: impl Into<String>,
        bos_token: impl Into<String>,
        eos_token: impl Into<String>,
    ) -> ChatTemplate {
        ChatTemplate {
            source: source.into(),
            bos_token: bos_token.into(),
            eos_token: eos_token.into(),
        }
    }

    /// The GGUF file's own template; when it has none, Llama 3's for a file whose vocabulary
    /// has Llama 3 headers, else ChatML.
    pub fn from_gguf(content: &Content) -> ChatTemplate {
        let bos = token_string(content, "tokenizer.ggml.bos_token_id");
        let eos = token_string(content, "tokenizer.ggml.eos_token_id");
        if let Some(Value::String(source)) = content.metadata.get("tokenizer.chat_template") {
            return ChatTemplate::new(source.clone(), bos, eos);
        }
        let has_llama3_headers = content
            .metadata
            .get("tokenizer.ggml.tokens")
            .and_then(|v| v.to_vec().ok())
            .is_some_and(|tokens| {
                tokens
                    .iter()
                    .any(|t| t.to_string().is_ok_and(|s| s == "<|start_header_id|>"))
            });
        let source = if has_llama3_headers { LLAMA3 } else { CHATML };
        ChatTemplate::new(source, bos, eos)
    }

    /// Renders a conversation into the prompt text the model was trained on. Message contents
    /// are data: template syntax inside them is never evaluated.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let mut env = minijinja::Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> std::result::Result<String, minijinja::Error> {
                Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    message,
                ))
            },
        );
        env.add_template("chat", &self.source).map_err(|e| {
            Error::Template(format!("the model's chat template does not parse: {e}"))
        })?;
        let template = env
            .get_template("chat")
            .map_err(|e| Error::Template(e.to_string()))?;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(|e| Error::Template(format!("rendering the chat template: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_renders_roles_and_the_generation_prompt() {
        let t = ChatTemplate::new(CHATML, "", "<|im_end|>");
        let text = t
            .render(
                &[
                    Message::new(Role::System, "Be brief."),
                    Message::new(Role::User, "Hi"),
                ],
                true,
            )
            .unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn message_content_is_data_not_template() {
        let t = ChatTemplate::new(CHATML, "", "");
        let text = t
            .render(
                &[Message::new(
                    Role::User,
                    "{{ 7 * 7 }} {% if true %}x{% endif %}",
                )],
                false,
            )
            .unwrap();
        assert!(
            text.contains("{{ 7 * 7 }} {% if true %}x{% endif %}"),
            "{text}"
        );
    }

    #[test]
    fn llama3_template_uses_bos_and_trims() {
        let t = ChatTemplate::new(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        let text = t
            .render(&[Message::new(Role::User, "  hello  ")], true)
            .unwrap();
        assert_eq!(
            text,
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        );
    }

    #[test]
    fn broken_templates_and_raised_exceptions_are_errors() {
        let broken = ChatTemplate::new("{% for m in messages %}", "", "");
        assert!(
            broken
                .render(&[], false)
                .unwrap_err()
                .to_string()
                .contains("does not parse")
        );
        let raising = ChatTemplate::new("{{ raise_exception('roles must alternate') }}", "", "");
        assert!(
            raising
                .render(&[], false)
                .unwrap_err()
                .to_string()
                .contains("roles must alternate")
        );
        let pythonic = ChatTemplate::new("{{ messages[0]['content'].strip() }}", "", "");
        assert_eq!(
            pythonic
                .render(&[Message::new(Role::User, " x ")], false)
                .unwrap(),
            "x"
        );
    }
}
