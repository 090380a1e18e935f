//! A tiny llama with random weights, written as GGUF by the tests themselves: the real
//! architecture and file format, small enough to generate thousands of tokens in a second.

use std::fs::File;
use std::path::Path;

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};

/// Width of the tiny model.
pub const HIDDEN: usize = 64;
const LAYERS: usize = 2;
const HEADS: u32 = 4;
const KV_HEADS: u32 = 2;
const FFN: usize = 128;
/// Control tokens, after the 256 byte tokens.
pub const CONTROL: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

/// Deterministic pseudo-random values in [-scale, scale].
fn random(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

fn matrix(rows: usize, cols: usize, seed: u64, dtype: GgmlDType) -> QTensor {
    let t = Tensor::from_vec(random(rows * cols, seed, 0.5), (rows, cols), &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}

fn ones(n: usize) -> QTensor {
    let t = Tensor::ones(n, candle_core::DType::F32, &Device::Cpu).unwrap();
    QTensor::quantize(&t, GgmlDType::F32).unwrap()
}

/// Writes the tiny model with the given `general.architecture` (use "llama" for a runnable one).
pub fn write(path: &Path, architecture: &str) {
    use gguf_file::Value;
    let mut tokens: Vec<String> = shopclerk::llm::byte_level_chars()
        .iter()
        .map(|c| c.to_string())
        .collect();
    tokens.extend(CONTROL.iter().map(|s| s.to_string()));
    let mut types = vec![1i32; 256];
    types.extend([3, 3, 3]);
    let vocab = tokens.len();
    let im_end = (vocab - 1) as u32;
    let metadata: Vec<(String, Value)> = vec![
        (
            "general.architecture".into(),
            Value::String(architecture.into()),
        ),
        (
            "general.name".into(),
            Value::String("tiny-random-llama".into()),
        ),
        ("llama.embedding_length".into(), Value::U32(HIDDEN as u32)),
        ("llama.block_count".into(), Value::U32(LAYERS as u32)),
        ("llama.attention.head_count".into(), Value::U32(HEADS)),
        ("llama.attention.head_count_kv".into(), Value::U32(KV_HEADS)),
        ("llama.context_length".into(), Value::U32(4096)),
        ("llama.feed_forward_length".into(), Value::U32(FFN as u32)),
        (
            "llama.attention.layer_norm_rms_epsilon".into(),
            Value::F32(1e-5),
        ),
        ("llama.rope.freq_base".into(), Value::F32(10_000.0)),
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("smollm".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.into_iter().map(Value::String).collect()),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.into_iter().map(Value::I32).collect()),
        ),
        ("tokenizer.ggml.merges".into(), Value::Array(Vec::new())),
        ("tokenizer.ggml.eos_token_id".into(), Value::U32(im_end)),
        (
            "tokenizer.chat_template".into(),
            Value::String(shopclerk::llm::CHATML.into()),
        ),
    ];
    let mut tensors: Vec<(String, QTensor)> = vec![
        (
            "token_embd.weight".into(),
            matrix(vocab, HIDDEN, 1, GgmlDType::Q8_0),
        ),
        ("output_norm.weight".into(), ones(HIDDEN)),
    ];
    let kv = HIDDEN / HEADS as usize * KV_HEADS as usize;
    for i in 0..LAYERS {
        let s = 100 * (i as u64 + 1);
        let p = format!("blk.{i}");
        tensors.push((format!("{p}.attn_norm.weight"), ones(HIDDEN)));
        tensors.push((format!("{p}.ffn_norm.weight"), ones(HIDDEN)));
        let matrices = [
            ("attn_q", HIDDEN, HIDDEN),
            ("attn_k", kv, HIDDEN),
            ("attn_v", kv, HIDDEN),
            ("attn_output", HIDDEN, HIDDEN),
            ("ffn_gate", FFN, HIDDEN),
            ("ffn_up", FFN, HIDDEN),
            ("ffn_down", HIDDEN, FFN),
        ];
        for (j, (name, rows, cols)) in matrices.into_iter().enumerate() {
            let m = matrix(rows, cols, s + j as u64 + 1, GgmlDType::Q8_0);
            tensors.push((format!("{p}.{name}.weight"), m));
        }
    }
    let md: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut f = File::create(path).unwrap();
    gguf_file::write(&mut f, &md, &ts).unwrap();
}
