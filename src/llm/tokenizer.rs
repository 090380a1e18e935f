//! A tokenizer built from GGUF metadata (`tokenizer.ggml.*`), for models without tokenizer.json.
//!
//! candle's own conversion treats every BPE model as GPT-2 (byte-level with a prefix space), which
//! turns SmolLM2's "system" into " system". llama.cpp instead picks the pre-tokenizer from
//! `tokenizer.ggml.pre`; this does the same for the byte-level BPE families we know.

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, Tokenizer};

use super::{Error, Result};

/// llama.cpp's token type for control tokens (`<|im_start|>`, `<|endoftext|>`).
const TOKEN_TYPE_CONTROL: i32 = 3;
/// llama.cpp's token type for user-defined tokens, also matched before BPE.
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

fn strings(content: &Content, key: &str) -> Result<Vec<String>> {
    let missing = || Error::Tokenizer(format!("GGUF metadata has no string array {key}"));
    let values = content
        .metadata
        .get(key)
        .ok_or_else(missing)?
        .to_vec()
        .map_err(|_| missing())?;
    values
        .iter()
        .map(|v| v.to_string().cloned().map_err(|_| missing()))
        .collect()
}

fn token_types(content: &Content, n: usize) -> Vec<i32> {
    let types = content
        .metadata
        .get("tokenizer.ggml.token_type")
        .and_then(|v| v.to_vec().ok())
        .map(|vs| {
            vs.iter()
                .map(|v| v.to_i32().unwrap_or(1))
                .collect::<Vec<_>>()
        });
    match types {
        Some(t) if t.len() == n => t,
        _ => vec![1; n],
    }
}

fn metadata_str<'a>(content: &'a Content, key: &str) -> Option<&'a str> {
    match content.metadata.get(key) {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// Builds the tokenizer described by a GGUF file's metadata: byte-level BPE from its tokens and
/// merges, with the pre-tokenizer its `tokenizer.ggml.pre` names, and control tokens as special.
pub fn tokenizer_from_gguf(content: &Content) -> Result<Tokenizer> {
    let model = metadata_str(content, "tokenizer.ggml.model").unwrap_or("gpt2");
    if model != "gpt2" {
        return Err(Error::Tokenizer(format!(
            "tokenizer.ggml.model '{model}' is not supported without a tokenizer.json (only byte-level BPE, 'gpt2'); put the model's tokenizer.json next to the GGUF file"
        )));
    }
    let pre = metadata_str(content, "tokenizer.ggml.pre").unwrap_or("default");
    let tokens = strings(content, "tokenizer.ggml.tokens")?;
    let merges: Vec<(String, String)> = strings(content, "tokenizer.ggml.merges")?
        .into_iter()
        .filter_map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let types = token_types(content, tokens.len());

    let mut vocab = Vocab::default();
    for (id, token) in tokens.iter().enumerate() {
        vocab.insert(token.clone(), id as u32);
    }
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| Error::Tokenizer(format!("building BPE: {e}")))?;
    let mut tokenizer = Tokenizer::new(bpe);

    // SmolLM ("smollm") and StarCoder-style ("starcoder", "refact") split every digit, then
    // apply GPT-2's byte-level regex without a prefix space; other BPE models get plain
    // byte-level without a prefix space, as llama.cpp's default does.
    let byte_level = ByteLevel::new(false, true, true);
    match pre {
        "smollm" | "starcoder" | "refact" => {
            tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
                Digits::new(true).into(),
                byte_level.into(),
            ])));
        }
        _ => {
            tokenizer.with_pre_tokenizer(Some(byte_level));
        }
    }
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));

    // Control tokens are special (skipped when decoding for display); user-defined ones are
    // matched whole before BPE but are ordinary text.
    let added = |kind: i32| -> Vec<AddedToken> {
        tokens
            .iter()
            .zip(&types)
            .filter(|(_, t)| **t == kind)
            .map(|(tok, _)| AddedToken::from(tok.clone(), kind == TOKEN_TYPE_CONTROL))
            .collect()
    };
    let add_err = |e: tokenizers::Error| Error::Tokenizer(format!("adding special tokens: {e}"));
    tokenizer
        .add_special_tokens(added(TOKEN_TYPE_CONTROL))
        .map_err(add_err)?;
    tokenizer
        .add_tokens(added(TOKEN_TYPE_USER_DEFINED))
        .map_err(add_err)?;
    Ok(tokenizer)
}
