//! A decoder-only transformer for the llama family (Llama 2/3, Mistral, SmolLM), Qwen2/2.5 and
//! Qwen3, read from GGUF: weights shared by every session, attention state ([`KvState`]) owned by
//! each, so states can be forked, truncated and cached by prefix.
//!
//! candle-transformers' quantized models keep the key/value cache inside the weights and grow it
//! by concatenation, which copies the whole cache every token and makes one set of weights serve
//! one conversation at a time. Here the cache is pre-allocated and written in place.

use std::io::{Read, Seek};
use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::RmsNorm;

/// Which rotary embedding layout the checkpoint was converted for (llama.cpp's rope type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rope {
    /// Pairs (2i, 2i+1): Llama, Mistral (GGUF conversion permutes Q and K for this).
    Interleaved,
    /// Pairs (i, i + d/2): Qwen2, Qwen3.
    Neox,
}

/// Shape and hyper-parameters, from the GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `general.architecture`.
    pub architecture: String,
    /// Transformer blocks.
    pub layers: usize,
    /// Model width.
    pub hidden: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (fewer than `heads` with grouped-query attention).
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// Longest sequence the model was trained for.
    pub context_length: usize,
    /// Vocabulary size.
    pub vocab: usize,
    rms_eps: f64,
    rope_base: f32,
    rope: Rope,
}

/// The architectures this module runs.
pub const ARCHITECTURES: &[&str] = &["llama", "mistral", "qwen2", "qwen3"];

fn md<'a>(ct: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value, String> {
    ct.metadata
        .get(key)
        .ok_or_else(|| format!("GGUF metadata has no {key}"))
}

fn md_usize(ct: &gguf_file::Content, key: &str) -> Result<usize, String> {
    let v = md(ct, key)?;
    v.to_u32()
        .map(|v| v as usize)
        .or_else(|_| v.to_u64().map(|v| v as usize))
        .map_err(|e| format!("{key}: {e}"))
}

fn md_f32(ct: &gguf_file::Content, key: &str) -> Result<f32, String> {
    md(ct, key)?.to_f32().map_err(|e| format!("{key}: {e}"))
}

impl Config {
    /// Reads the hyper-parameters of a supported architecture.
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Config, String> {
        let architecture = md(ct, "general.architecture")?
            .to_string()
            .map_err(|e| format!("general.architecture: {e}"))?
            .clone();
        if !ARCHITECTURES.contains(&architecture.as_str()) {
            return Err(format!(
                "architecture {architecture:?} is not supported; supported: {}",
                ARCHITECTURES.join(", ")
            ));
        }
        let a = architecture.as_str();
        let hidden = md_usize(ct, &format!("{a}.embedding_length"))?;
        let heads = md_usize(ct, &format!("{a}.attention.head_count"))?;
        let kv_heads = md_usize(ct, &format!("{a}.attention.head_count_kv")).unwrap_or(heads);
        let head_dim =
            md_usize(ct, &format!("{a}.attention.key_length")).unwrap_or(hidden / heads.max(1));
        if heads == 0
            || kv_heads == 0
            || !heads.is_multiple_of(kv_heads)
            || !head_dim.is_multiple_of(2)
        {
            return Err(format!(
                "inconsistent attention shape: {heads} heads, {kv_heads} key/value heads, head width {head_dim}"
            ));
        }
        let vocab = match ct.metadata.get("tokenizer.ggml.tokens") {
            Some(gguf_file::Value::Array(tokens)) => tokens.len(),
            _ => ct
                .tensor_infos
                .get("token_embd.weight")
                .map(|t| t.shape.dims()[0])
                .ok_or("GGUF has no token_embd.weight")?,
        };
        Ok(Config {
            layers: md_usize(ct, &format!("{a}.block_count"))?,
            hidden,
            heads,
            kv_heads,
            head_dim,
            context_length: md_usize(ct, &format!("{a}.context_length")).unwrap_or(4096),
            vocab,
            rms_eps: md_f32(ct, &format!("{a}.attention.layer_norm_rms_epsilon")).unwrap_or(1e-5)
                as f64,
            rope_base: md_f32(ct, &format!("{a}.rope.freq_base")).unwrap_or(10_000.0),
            rope: if a.starts_with("qwen") {
                Rope::Neox
            } else {
                Rope::Interleaved
            },
            architecture,
        })
    }
}

/// Prompt chunks at least this long use the dense copy of the weights, when there is one.
const DENSE_MIN_TOKENS: usize = 8;

/// A weight matrix: quantized (read once per generated token, where memory bandwidth rules),
/// plus optionally a dense f32 copy for prompt processing (where a gemm beats per-row dot
/// products).
#[derive(Debug)]
struct Weight {
    quantized: QMatMul,
    dense: Option<QMatMul>,
}

impl Weight {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let tokens = x.dims().get(1).copied().unwrap_or(1);
        match &self.dense {
            Some(dense) if tokens >= DENSE_MIN_TOKENS => dense.forward(x),
            _ => self.quantized.forward(x),
        }
    }
}

#[derive(Debug)]
struct Linear {
    weight: Weight,
    bias: Option<Tensor>,
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = self.weight.forward(x)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

#[derive(Debug)]
struct Block {
    attn_norm: RmsNorm,
    qkv: Stacked,
    o: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    ffn_norm: RmsNorm,
    gate_up: Stacked,
    down: Weight,
}

/// The weights of one model, shared (read-only) by every session.
#[derive(Debug)]
pub struct Transformer {
    config: Config,
    embeddings: QMatMul,
    blocks: Vec<Block>,
    norm: RmsNorm,
    lm_head: QMatMul,
    cos: Tensor,
    sin: Tensor,
    device: Device,
}

/// Key/value state of one sequence: pre-allocated per layer, written in place.
#[derive(Debug)]
pub struct KvState {
    keys: Vec<Tensor>,
    values: Vec<Tensor>,
    len: usize,
    capacity: usize,
}

/// Tokens of attention state allocated at first, before growing by doubling.
const INITIAL_CAPACITY: usize = 256;

struct Loader<'a, R> {
    ct: &'a gguf_file::Content,
    reader: &'a mut R,
    device: &'a Device,
    dense_prefill: bool,
}

impl<R: Read + Seek> Loader<'_, R> {
    fn qtensor(&mut self, name: &str) -> Result<Arc<QTensor>, String> {
        self.ct
            .tensor(self.reader, name, self.device)
            .map(Arc::new)
            .map_err(|e| format!("tensor {name}: {e}"))
    }

    fn has(&self, name: &str) -> bool {
        self.ct.tensor_infos.contains_key(name)
    }

    fn matmul(&mut self, name: &str) -> Result<QMatMul, String> {
        let t = self.qtensor(name)?;
        QMatMul::from_arc(t).map_err(|e| format!("tensor {name}: {e}"))
    }

    fn weight(&mut self, name: &str) -> Result<Weight, String> {
        let t = self.qtensor(name)?;
        self.weight_from(t, name)
    }

    fn weight_from(&mut self, t: Arc<QTensor>, name: &str) -> Result<Weight, String> {
        let dense = if self.dense_prefill {
            let w = t
                .dequantize(self.device)
                .map_err(|e| format!("tensor {name}: {e}"))?;
            Some(QMatMul::Tensor(w))
        } else {
            None
        };
        let quantized = QMatMul::from_arc(t).map_err(|e| format!("tensor {name}: {e}"))?;
        Ok(Weight { quantized, dense })
    }

    fn dense(&mut self, name: &str) -> Result<Tensor, String> {
        let t = self.qtensor(name)?;
        t.dequantize(self.device)
            .map_err(|e| format!("tensor {name}: {e}"))
    }

    fn norm(&mut self, name: &str, eps: f64) -> Result<RmsNorm, String> {
        Ok(RmsNorm::new(self.dense(name)?, eps))
    }

    fn bias(&mut self, name: &str) -> Result<Option<Tensor>, String> {
        let bias_name = name.replace(".weight", ".bias");
        if self.has(&bias_name) {
            Ok(Some(self.dense(&bias_name)?))
        } else {
            Ok(None)
        }
    }

    fn linear(&mut self, name: &str) -> Result<Linear, String> {
        Ok(Linear {
            bias: self.bias(name)?,
            weight: self.weight(name)?,
        })
    }

    /// Matrices applied to the same input, stacked row-wise into one when they share a
    /// quantization format (one matmul instead of several per token); separate otherwise.
    fn stacked(&mut self, names: &[String]) -> Result<Stacked, String> {
        let tensors = names
            .iter()
            .map(|n| self.qtensor(n))
            .collect::<Result<Vec<_>, _>>()?;
        let biases = names
            .iter()
            .map(|n| self.bias(n))
            .collect::<Result<Vec<_>, _>>()?;
        let widths: Vec<usize> = tensors.iter().map(|t| t.shape().dims()[0]).collect();
        let first = &tensors[0];
        let same_format = tensors.iter().all(|t| {
            t.dtype() == first.dtype() && t.shape().dims().get(1) == first.shape().dims().get(1)
        });
        let all_or_no_bias =
            biases.iter().all(Option::is_some) || biases.iter().all(Option::is_none);
        if !(self.device.is_cpu() && same_format && all_or_no_bias && tensors.len() > 1) {
            let parts = tensors
                .into_iter()
                .zip(biases)
                .zip(names)
                .map(|((t, bias), name)| {
                    Ok(Linear {
                        weight: self.weight_from(t, name)?,
                        bias,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            return Ok(Stacked { parts, widths });
        }
        let joined = names.join("+");
        let fail = |e: candle_core::Error| format!("tensors {joined}: {e}");
        let mut bytes = Vec::new();
        for t in &tensors {
            bytes.extend_from_slice(&t.data().map_err(fail)?);
        }
        let columns = first.shape().dims()[1];
        let storage = candle_core::quantized::QStorage::from_data(
            std::borrow::Cow::Owned(bytes),
            self.device,
            first.dtype(),
        )
        .map_err(fail)?;
        let rows: usize = widths.iter().sum();
        let stacked = Arc::new(QTensor::new(storage, (rows, columns)).map_err(fail)?);
        let bias = match biases.into_iter().collect::<Option<Vec<Tensor>>>() {
            Some(b) => Some(Tensor::cat(&b, 0).map_err(fail)?),
            None => None,
        };
        Ok(Stacked {
            parts: vec![Linear {
                weight: self.weight_from(stacked, &joined)?,
                bias,
            }],
            widths,
        })
    }
}

/// Several projections of the same input (q, k, v; gate, up), computed by one stacked matrix
/// when possible.
#[derive(Debug)]
struct Stacked {
    parts: Vec<Linear>,
    widths: Vec<usize>,
}

impl Stacked {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Vec<Tensor>> {
        if let [single] = self.parts.as_slice() {
            let y = single.forward(x)?;
            let mut offset = 0;
            let mut outs = Vec::with_capacity(self.widths.len());
            for &w in &self.widths {
                outs.push(y.narrow(candle_core::D::Minus1, offset, w)?);
                offset += w;
            }
            return Ok(outs);
        }
        self.parts.iter().map(|p| p.forward(x)).collect()
    }
}

/// Rotary tables; `factors` are Llama 3.1's per-frequency scaling (`rope_freqs.weight`), which
/// divide the frequencies as llama.cpp does.
fn rope_tables(
    config: &Config,
    factors: Option<&[f32]>,
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let half = config.head_dim / 2;
    let inv_freq: Vec<f32> = (0..half)
        .map(|i| {
            let factor = factors.and_then(|f| f.get(i)).copied().unwrap_or(1.0);
            1.0 / config
                .rope_base
                .powf(2.0 * i as f32 / config.head_dim as f32)
                / factor
        })
        .collect();
    let inv_freq = Tensor::from_vec(inv_freq, (1, half), device)?;
    let positions = Tensor::arange(0u32, config.context_length as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((config.context_length, 1))?;
    let angles = positions.matmul(&inv_freq)?;
    Ok((angles.cos()?, angles.sin()?))
}

impl Transformer {
    /// Loads the weights of a supported architecture onto `device`. With `dense_prefill`, the
    /// block weights are also kept dequantized to f32 (four times the memory of Q8_0) to speed
    /// up prompt processing.
    pub fn from_gguf<R: Read + Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
        device: &Device,
        dense_prefill: bool,
    ) -> Result<Transformer, String> {
        let config = Config::from_gguf(ct)?;
        let eps = config.rms_eps;
        let mut l = Loader {
            ct,
            reader,
            device,
            dense_prefill,
        };
        let embeddings = l.matmul("token_embd.weight")?;
        let lm_head = if l.has("output.weight") {
            l.matmul("output.weight")?
        } else {
            embeddings.clone()
        };
        let norm = l.norm("output_norm.weight", eps)?;
        let mut blocks = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = format!("blk.{i}");
            let qk_norm = l.has(&format!("{p}.attn_q_norm.weight"));
            blocks.push(Block {
                attn_norm: l.norm(&format!("{p}.attn_norm.weight"), eps)?,
                qkv: l.stacked(&[
                    format!("{p}.attn_q.weight"),
                    format!("{p}.attn_k.weight"),
                    format!("{p}.attn_v.weight"),
                ])?,
                o: l.linear(&format!("{p}.attn_output.weight"))?,
                q_norm: if qk_norm {
                    Some(l.norm(&format!("{p}.attn_q_norm.weight"), eps)?)
                } else {
                    None
                },
                k_norm: if qk_norm {
                    Some(l.norm(&format!("{p}.attn_k_norm.weight"), eps)?)
                } else {
                    None
                },
                ffn_norm: l.norm(&format!("{p}.ffn_norm.weight"), eps)?,
                gate_up: l
                    .stacked(&[format!("{p}.ffn_gate.weight"), format!("{p}.ffn_up.weight")])?,
                down: l.weight(&format!("{p}.ffn_down.weight"))?,
            });
        }
        let factors = if l.has("rope_freqs.weight") {
            let f = l.dense("rope_freqs.weight")?;
            Some(
                f.flatten_all()
                    .and_then(|f| f.to_vec1::<f32>())
                    .map_err(|e| format!("tensor rope_freqs.weight: {e}"))?,
            )
        } else {
            None
        };
        let (cos, sin) = rope_tables(&config, factors.as_deref(), device)
            .map_err(|e| format!("rope tables: {e}"))?;
        Ok(Transformer {
            config,
            embeddings,
            blocks,
            norm,
            lm_head,
            cos,
            sin,
            device: device.clone(),
        })
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// An empty attention state for this model.
    pub fn new_state(&self) -> candle_core::Result<KvState> {
        KvState::with_capacity(&self.config, &self.device, INITIAL_CAPACITY)
    }

    /// Runs `tokens` after the state's current sequence and returns the logits of the last one
    /// (`vocab` values). The state grows by `tokens.len()`.
    pub fn forward(&self, tokens: &[u32], state: &mut KvState) -> candle_core::Result<Vec<f32>> {
        let c = &self.config;
        let seq = tokens.len();
        let pos = state.len;
        if seq == 0 {
            candle_core::bail!("no tokens to process");
        }
        if pos + seq > c.context_length {
            candle_core::bail!(
                "the conversation is {} tokens, longer than the model's context of {}",
                pos + seq,
                c.context_length
            );
        }
        state.reserve(c, &self.device, pos + seq)?;
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embeddings.embedding(&ids)?.unsqueeze(0)?;
        let cos = self.cos.narrow(0, pos, seq)?;
        let sin = self.sin.narrow(0, pos, seq)?;
        let mask = if seq > 1 {
            Some(causal_mask(seq, pos, &self.device)?)
        } else {
            None
        };
        let group = c.heads / c.kv_heads;
        let scale = 1.0 / (c.head_dim as f64).sqrt();
        for (i, b) in self.blocks.iter().enumerate() {
            let h = b.attn_norm.forward(&x)?;
            let qkv = b.qkv.forward(&h)?;
            let q = qkv[0]
                .contiguous()?
                .reshape((1, seq, c.heads, c.head_dim))?;
            let k = qkv[1]
                .contiguous()?
                .reshape((1, seq, c.kv_heads, c.head_dim))?;
            let v = qkv[2]
                .contiguous()?
                .reshape((1, seq, c.kv_heads, c.head_dim))?;
            let (q, k) = match (&b.q_norm, &b.k_norm) {
                (Some(qn), Some(kn)) => (qn.forward(&q)?, kn.forward(&k)?),
                _ => (q, k),
            };
            let q = q.transpose(1, 2)?.contiguous()?;
            let k = k.transpose(1, 2)?.contiguous()?;
            let v = v.transpose(1, 2)?.contiguous()?;
            let (q, k) = match c.rope {
                Rope::Interleaved => (
                    candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?,
                ),
                Rope::Neox => (
                    candle_nn::rotary_emb::rope(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope(&k, &cos, &sin)?,
                ),
            };
            state.keys[i].slice_set(&k, 2, pos)?;
            state.values[i].slice_set(&v, 2, pos)?;
            let total = pos + seq;
            let keys = state.keys[i].narrow(2, 0, total)?;
            let values = state.values[i].narrow(2, 0, total)?;
            // Grouped-query attention without copying keys: the query heads sharing a key/value
            // head are stacked as extra rows.
            let q = (q * scale)?.reshape((1, c.kv_heads, group * seq, c.head_dim))?;
            let scores = q.matmul(&keys.t()?)?;
            let scores = match &mask {
                Some(m) => scores
                    .reshape((1, c.kv_heads, group, seq, total))?
                    .broadcast_add(m)?
                    .reshape((1, c.kv_heads, group * seq, total))?,
                None => scores,
            };
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            let attn = weights
                .matmul(&values)?
                .reshape((1, c.heads, seq, c.head_dim))?
                .transpose(1, 2)?
                .reshape((1, seq, c.heads * c.head_dim))?;
            x = (x + b.o.forward(&attn)?)?;
            let h = b.ffn_norm.forward(&x)?;
            let gate_up = b.gate_up.forward(&h)?;
            let gated = (gate_up[0].silu()? * &gate_up[1])?;
            x = (x + b.down.forward(&gated)?)?;
        }
        state.len = pos + seq;
        let last = x.narrow(1, seq - 1, 1)?;
        let logits = self.lm_head.forward(&self.norm.forward(&last)?)?;
        logits.flatten_all()?.to_dtype(DType::F32)?.to_vec1()
    }
}

/// Additive mask for `seq` new tokens after `pos` cached ones: token i sees keys 0..=pos+i.
fn causal_mask(seq: usize, pos: usize, device: &Device) -> candle_core::Result<Tensor> {
    let total = pos + seq;
    let mask: Vec<f32> = (0..seq)
        .flat_map(|i| (0..total).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(mask, (seq, total), device)
}

impl KvState {
    fn with_capacity(
        config: &Config,
        device: &Device,
        capacity: usize,
    ) -> candle_core::Result<KvState> {
        let capacity = capacity.min(config.context_length).max(1);
        let shape = (1, config.kv_heads, capacity, config.head_dim);
        let mut keys = Vec::with_capacity(config.layers);
        let mut values = Vec::with_capacity(config.layers);
        for _ in 0..config.layers {
            keys.push(Tensor::zeros(shape, DType::F32, device)?);
            values.push(Tensor::zeros(shape, DType::F32, device)?);
        }
        Ok(KvState {
            keys,
            values,
            len: 0,
            capacity,
        })
    }

    /// Tokens of sequence held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// An independent copy of the first `len` tokens of this state.
    pub fn fork(&self, config: &Config, len: usize) -> candle_core::Result<KvState> {
        let len = len.min(self.len);
        let device = self.keys.first().map(|t| t.device().clone());
        let device = device.unwrap_or(Device::Cpu);
        let mut fork = KvState::with_capacity(config, &device, (len + 1).next_power_of_two())?;
        fork.copy_from(self, len)?;
        Ok(fork)
    }

    fn copy_from(&mut self, other: &KvState, len: usize) -> candle_core::Result<()> {
        if len > 0 {
            for (dst, src) in self.keys.iter().zip(&other.keys) {
                dst.slice_set(&src.narrow(2, 0, len)?.contiguous()?, 2, 0)?;
            }
            for (dst, src) in self.values.iter().zip(&other.values) {
                dst.slice_set(&src.narrow(2, 0, len)?.contiguous()?, 2, 0)?;
            }
        }
        self.len = len;
        Ok(())
    }

    fn reserve(
        &mut self,
        config: &Config,
        device: &Device,
        needed: usize,
    ) -> candle_core::Result<()> {
        if needed <= self.capacity {
            return Ok(());
        }
        let capacity = needed.next_power_of_two().min(config.context_length);
        let mut grown = KvState::with_capacity(config, device, capacity)?;
        grown.copy_from(self, self.len)?;
        *self = grown;
        Ok(())
    }
}
