//! Embedding: "here are texts, give me unit vectors whose dot product says how alike they are."
//!
//! [`BertEmbedder`] runs any BERT-style sentence embedder (default all-MiniLM-L6-v2) on candle:
//! mean pooling over the attention mask, then L2 normalisation. Texts are sorted by token length
//! and batched with padding to the longest text of each batch only (the shipped tokenizer.json
//! pads everything to 128 tokens; short product titles are ~15). [`OnnxEmbedder`] runs the same
//! model exported to ONNX (int8 for the default) on ONNX Runtime, with the same tokenizer,
//! bucketing and pooling; [`open`] picks one by [`Runtime`]. [`Memoized`] remembers recent
//! texts' vectors (the server wraps its embedder in one).

mod memo;
mod onnx;

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use tokenizers::Tokenizer;

use crate::models::EmbedderFiles;

/// Errors from loading or running an embedder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model file could not be read or is not what a BERT embedder needs.
    #[error("{path}: {reason}")]
    Load {
        /// File that failed.
        path: String,
        /// Why.
        reason: String,
    },
    /// Tokenising failed.
    #[error("tokenizing: {0}")]
    Tokenize(String),
    /// The model failed while running.
    #[error("embedding model: {0}")]
    Model(#[from] candle_core::Error),
    /// ONNX Runtime failed while running the model.
    #[error("embedding model (ONNX Runtime): {0}")]
    Runtime(String),
    /// The model's files could not be found or fetched.
    #[error(transparent)]
    Files(#[from] crate::models::Error),
}

pub use memo::Memoized;
pub use onnx::OnnxEmbedder;

/// Result alias for embedding.
pub type Result<T> = std::result::Result<T, Error>;

/// Turns texts into L2-normalised vectors.
pub trait Embedder: Send + Sync {
    /// Vector length.
    fn dim(&self) -> usize;
    /// A name for the model, stored with indexes so a query is embedded by the same model.
    fn model_id(&self) -> &str;
    /// What runs the model, for people: "candle f32 on Cpu", "ONNX Runtime (model.onnx, ...)".
    fn runtime(&self) -> String {
        "custom".into()
    }
    /// Embeds texts, one unit-length vector per text, in input order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// Which engine runs the embedder (`embedder_runtime` in config, `SHOPCLERK_EMBEDDER_RUNTIME`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// ONNX Runtime on a CPU when the embedder has an ONNX file (the default embedder's int8
    /// export is fetched) and the runtime library loads; candle otherwise, with a warning.
    #[default]
    Auto,
    /// ONNX Runtime, or an error saying why not (on a GPU device it still runs on the CPU).
    Onnx,
    /// candle in f32, on the configured device (the only runtime on a GPU).
    Candle,
}

/// How [`open`] sets up an embedder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// ONNX Runtime's threads per batch (default: every core); candle uses rayon's pool.
    pub threads: Option<usize>,
    /// Texts per model run (default 32).
    pub batch_size: usize,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            threads: None,
            batch_size: 32,
        }
    }
}

/// Loads the embedder `spec` (a path, a name in the models directory, a Hugging Face repo id;
/// `None` for the default all-MiniLM-L6-v2) on `runtime`.
///
/// Both runtimes report the same [`Embedder::model_id`] (`spec`, or the default's name): they
/// run the same weights, so an index built by one is searched by the other.
///
/// # Errors
/// [`Error::Files`] when the model cannot be found or fetched, [`Error::Load`] when a file is
/// not what the runtime needs.
pub fn open(
    resolver: &crate::models::ModelResolver,
    spec: Option<&str>,
    runtime: Runtime,
    device: &Device,
    options: OpenOptions,
) -> Result<std::sync::Arc<dyn Embedder>> {
    let OpenOptions {
        threads,
        batch_size,
    } = options;
    let spec = spec.map(str::trim).filter(|s| !s.is_empty());
    let is_default = spec
        .is_none_or(|s| s.eq_ignore_ascii_case(crate::models::DEFAULT_EMBEDDER) || s == "default");
    let id = spec.unwrap_or(crate::models::DEFAULT_EMBEDDER);
    let files = resolver.embedder(spec)?;
    let onnx_wanted = match runtime {
        Runtime::Candle => false,
        Runtime::Onnx => true,
        Runtime::Auto => device.is_cpu() && (files.onnx.is_some() || is_default),
    };
    if onnx_wanted {
        let onnx = || -> Result<OnnxEmbedder> {
            let model = match &files.onnx {
                Some(path) => path.clone(),
                None if is_default => resolver.default_embedder_onnx()?,
                None => {
                    return Err(load_err(
                        &files.config,
                        "this embedder directory has no model.onnx for ONNX Runtime",
                    ));
                }
            };
            let library = resolver.onnx_runtime()?;
            let config = read_config(&files.config)?;
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            Ok(OnnxEmbedder::load(
                &model,
                &files.tokenizer,
                &library,
                id,
                max_tokens(&config),
                threads,
            )?
            .with_batch_size(batch_size))
        };
        match onnx() {
            Ok(embedder) => return Ok(std::sync::Arc::new(embedder)),
            Err(e) if runtime == Runtime::Auto => {
                tracing::warn!("embedder on ONNX Runtime unavailable ({e}); using candle");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(std::sync::Arc::new(
        BertEmbedder::load(&files, id, device)?.with_batch_size(batch_size),
    ))
}

/// Texts per call in [`embed_many`]: small enough for a progress bar to move, large enough that
/// the embedder's batches are full.
const ROUND: usize = 256;

/// Embeds many texts (an index build, a benchmark): sorts them by length first, so that each
/// batch holds texts of about the same length wherever they stand in the input, and hands them
/// to `embedder` in rounds of 256, calling `on_progress(texts done)` after each. Returns one
/// vector per text, in input order.
///
/// Byte length stands in for token length here; the embedder sorts each round by tokens.
///
/// # Errors
/// The embedder's first error.
pub fn embed_many(
    embedder: &dyn Embedder,
    texts: &[&str],
    mut on_progress: impl FnMut(usize),
) -> Result<Vec<Vec<f32>>> {
    let mut done = 0;
    by_length(
        texts.len(),
        |i| texts[i].len(),
        ROUND,
        |round| {
            let batch: Vec<&str> = round.iter().map(|&i| texts[i]).collect();
            let vectors = embedder.embed(&batch)?;
            done += round.len();
            on_progress(done);
            Ok(vectors)
        },
    )
}

/// Visits items `0..n` shortest first (by `length`), handing `run` the indices of up to `chunk`
/// of them at a time; returns its vectors in item order.
fn by_length(
    n: usize,
    length: impl Fn(usize) -> usize,
    chunk: usize,
    mut run: impl FnMut(&[usize]) -> Result<Vec<Vec<f32>>>,
) -> Result<Vec<Vec<f32>>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| length(i));
    let mut out = vec![Vec::new(); n];
    for part in order.chunks(chunk.max(1)) {
        for (vector, &i) in run(part)?.into_iter().zip(part) {
            out[i] = vector;
        }
    }
    Ok(out)
}

/// Cosine similarity of two vectors (their dot product when both are unit length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// A BERT-style sentence embedder on candle.
pub struct BertEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dim: usize,
    max_tokens: usize,
    batch_size: usize,
    model_id: String,
}

impl std::fmt::Debug for BertEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BertEmbedder")
            .field("model_id", &self.model_id)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

fn load_err(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::Load {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

impl BertEmbedder {
    /// Loads config, tokenizer and safetensors weights onto `device`.
    pub fn load(files: &EmbedderFiles, model_id: &str, device: &Device) -> Result<BertEmbedder> {
        let config = read_config(&files.config)?;
        let max_tokens = max_tokens(&config);
        let tokenizer = load_tokenizer(&files.tokenizer, max_tokens)?;
        let weights_path = files.weights.as_ref().ok_or_else(|| {
            load_err(
                &files.config,
                "this embedder directory has no model.safetensors for candle (use the ONNX runtime)",
            )
        })?;
        let weights = std::fs::read(weights_path).map_err(|e| load_err(weights_path, e))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DTYPE, device)
            .map_err(|e| load_err(weights_path, e))?;
        let model = BertModel::load(vb, &config).map_err(|e| {
            load_err(
                weights_path,
                format!("weights do not match a BERT model: {e}"),
            )
        })?;
        Ok(BertEmbedder {
            model,
            tokenizer,
            device: device.clone(),
            dim: config.hidden_size,
            max_tokens,
            batch_size: 32,
            model_id: model_id.to_string(),
        })
    }

    /// Sets how many texts run through the model at once (default 32).
    pub fn with_batch_size(mut self, batch_size: usize) -> BertEmbedder {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Longest input in tokens; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Runs one batch of token id lists (already sorted by length) through the model.
    fn embed_batch(&self, batch: &[&tokenizers::Encoding]) -> Result<Tensor> {
        let (ids, mask, longest) = padded(batch);
        let shape = (batch.len(), longest);
        let ids = Tensor::from_vec(ids, shape, &self.device)?;
        let mask = Tensor::from_vec(mask, shape, &self.device)?;
        let type_ids = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        // Mean over real tokens only.
        let mask_f = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask_f)?.sum(1)?;
        let counts = mask_f.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norm)?)
    }
}

impl Embedder for BertEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn runtime(&self) -> String {
        format!("candle f32 on {:?}", self.device)
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        embed_bucketed(&self.tokenizer, texts, self.batch_size, |batch| {
            Ok(self.embed_batch(batch)?.to_vec2::<f32>()?)
        })
    }
}

/// Reads a BERT `config.json`.
fn read_config(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| load_err(path, e))?;
    serde_json::from_str(&text).map_err(|e| load_err(path, format!("not a BERT config.json: {e}")))
}

/// Longest input in tokens: sentence-transformers trains MiniLM at 256 tokens; never beyond the
/// position table.
fn max_tokens(config: &Config) -> usize {
    config.max_position_embeddings.min(256)
}

/// Loads `tokenizer.json` without padding (each batch is padded to its longest text only) and
/// truncating at `max_tokens`.
fn load_tokenizer(path: &Path, max_tokens: usize) -> Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| load_err(path, format!("not a tokenizer.json: {e}")))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(tokenizers::TruncationParams {
            max_length: max_tokens,
            ..Default::default()
        }))
        .map_err(|e| load_err(path, e))?;
    Ok(tokenizer)
}

/// Tokenises `texts`, sorts them by token length (length bucketing: similar lengths share a
/// batch, so little padding is computed), hands `run` batches of up to `batch_size` encodings
/// and returns its vectors in input order.
fn embed_bucketed(
    tokenizer: &Tokenizer,
    texts: &[&str],
    batch_size: usize,
    mut run: impl FnMut(&[&tokenizers::Encoding]) -> Result<Vec<Vec<f32>>>,
) -> Result<Vec<Vec<f32>>> {
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let encodings = tokenizer
        .encode_batch(texts.to_vec(), true)
        .map_err(|e| Error::Tokenize(e.to_string()))?;
    by_length(
        texts.len(),
        |i| encodings[i].get_ids().len(),
        batch_size,
        |part| {
            let batch: Vec<&tokenizers::Encoding> = part.iter().map(|&i| &encodings[i]).collect();
            run(&batch)
        },
    )
}

/// A batch's token ids and attention mask (1 for a real token), each `[batch, longest]`
/// row-major, padded with 0 to the longest text (at least 1 token); and that length.
fn padded(batch: &[&tokenizers::Encoding]) -> (Vec<u32>, Vec<u32>, usize) {
    let longest = batch
        .iter()
        .map(|e| e.get_ids().len())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut ids = Vec::with_capacity(batch.len() * longest);
    let mut mask = Vec::with_capacity(batch.len() * longest);
    for enc in batch {
        let n = enc.get_ids().len();
        ids.extend_from_slice(enc.get_ids());
        ids.extend(std::iter::repeat_n(0u32, longest - n));
        mask.extend(std::iter::repeat_n(1u32, n));
        mask.extend(std::iter::repeat_n(0u32, longest - n));
    }
    (ids, mask, longest)
}

/// Mean pooling over real tokens, then L2 normalisation (sentence-transformers' recipe).
///
/// `hidden` is `[batch, tokens, dim]` row-major, `mask` `[batch, tokens]` (1 for a real token,
/// 0 for padding); returns `batch` unit vectors of length `dim` (a zero vector stays zero).
fn mean_pool(hidden: &[f32], mask: &[u32], tokens: usize, dim: usize) -> Vec<Vec<f32>> {
    mask.chunks(tokens)
        .zip(hidden.chunks(tokens * dim))
        .map(|(mask, states)| {
            let mut sum = vec![0f32; dim];
            let mut count = 0f32;
            for (&m, state) in mask.iter().zip(states.chunks(dim)) {
                if m != 0 {
                    count += 1.0;
                    for (s, x) in sum.iter_mut().zip(state) {
                        *s += x;
                    }
                }
            }
            let count = count.max(1e-9);
            sum.iter_mut().for_each(|s| *s /= count);
            let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            sum.iter_mut().for_each(|s| *s /= norm);
            sum
        })
        .collect()
}
