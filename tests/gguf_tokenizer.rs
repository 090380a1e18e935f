//! The tokenizer built from the default chat model's GGUF metadata, checked against llama.cpp.

mod common;

use std::fs::File;
use std::io::BufReader;

use candle_core::quantized::gguf_file;
use shopclerk::llm::{ChatTemplate, Message, Role, tokenizer_from_gguf};
use shopclerk::models::ModelResolver;

/// The ChatML prompt of the golden test.
const PROMPT: &str = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nI just bought a DSLR camera. What accessories from other categories might I need?<|im_end|>\n<|im_start|>assistant\n";

fn smollm2_gguf() -> gguf_file::Content {
    let files = ModelResolver::new(common::models_dir())
        .chat_model(None)
        .unwrap();
    let mut reader = BufReader::new(File::open(&files.gguf).unwrap());
    gguf_file::Content::read(&mut reader).unwrap()
}

fn smollm2_tokenizer() -> tokenizers::Tokenizer {
    tokenizer_from_gguf(&smollm2_gguf()).unwrap()
}

#[test]
fn the_models_own_template_renders_chatml_with_its_default_system_prompt() {
    let template = ChatTemplate::from_gguf(&smollm2_gguf());
    let question =
        "I just bought a DSLR camera. What accessories from other categories might I need?";
    let rendered = template
        .render(&[Message::new(Role::User, question)], true)
        .unwrap();
    // SmolLM2's template adds its own system prompt when the conversation has none.
    assert_eq!(rendered, PROMPT);
    let with_system = template
        .render(
            &[
                Message::new(Role::System, "You are a shop assistant."),
                Message::new(Role::User, "Hi"),
            ],
            true,
        )
        .unwrap();
    assert_eq!(
        with_system,
        "<|im_start|>system\nYou are a shop assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn chatml_prompt_encodes_to_the_ids_llama_cpp_gives() {
    let tokenizer = smollm2_tokenizer();
    let prompt = PROMPT;
    let ids = tokenizer.encode(prompt, false).unwrap().get_ids().to_vec();
    // Ids checked against llama.cpp's tokenizer for this GGUF.
    let expected: [u32; 47] = [
        1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411,
        407, 19712, 8182, 2, 198, 1, 4093, 198, 57, 915, 10897, 253, 42917, 66, 6715, 30, 1812,
        20661, 429, 550, 6585, 1124, 339, 737, 47, 2, 198, 1, 520, 9531, 198,
    ];
    assert_eq!(ids, expected);
    // Decoding gives the text back, control tokens included.
    assert_eq!(tokenizer.decode(&ids, false).unwrap(), prompt);
}

#[test]
fn digits_split_and_rupee_sign_round_trips() {
    let tokenizer = smollm2_tokenizer();
    let text = "₹1,099 for 2 cables";
    let enc = tokenizer.encode(text, false).unwrap();
    let tokens = enc.get_tokens();
    assert!(
        tokens.contains(&"1".to_string()) && tokens.contains(&"0".to_string()),
        "{tokens:?}"
    );
    assert!(
        !tokens.iter().any(|t| t.contains("099")),
        "digits are split one by one: {tokens:?}"
    );
    assert_eq!(tokenizer.decode(enc.get_ids(), false).unwrap(), text);
}
