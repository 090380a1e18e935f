//! Embedding: "here are texts, give me unit vectors whose dot product says how alike they are."
//!
//! [`BertEmbedder`] runs any BERT-style sentence embedder (default all-MiniLM-L6-v2) on candle:
//! mean pooling over the attention mask, then L2 normalisation. Texts are sorted by token length
//! and batched with padding to the longest text of each batch only (the shipped tokenizer.json
//! pads everything to 128 tokens; short product titles are ~15). [`Memoized`] remembers recent
//! texts' vectors (the server wraps its embedder in one).

mod memo;

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
}

pub use memo::Memoized;

/// Result alias for embedding.
pub type Result<T> = std::result::Result<T, Error>;

/// Turns texts into L2-normalised vectors.
pub trait Embedder: Send + Sync {
    /// Vector length.
    fn dim(&self) -> usize;
    /// A name for the model, stored with indexes so a query is embedded by the same model.
    fn model_id(&self) -> &str;
    /// Embeds texts, one unit-length vector per text, in input order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
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
        let config_text =
            std::fs::read_to_string(&files.config).map_err(|e| load_err(&files.config, e))?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| load_err(&files.config, format!("not a BERT config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(&files.tokenizer)
            .map_err(|e| load_err(&files.tokenizer, format!("not a tokenizer.json: {e}")))?;
        // We pad each batch ourselves, to its longest text only.
        tokenizer.with_padding(None);
        // sentence-transformers trains MiniLM at 256 tokens; never beyond the position table.
        let max_tokens = config.max_position_embeddings.min(256);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| load_err(&files.tokenizer, e))?;
        let weights = std::fs::read(&files.weights).map_err(|e| load_err(&files.weights, e))?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DTYPE, device)
            .map_err(|e| load_err(&files.weights, e))?;
        let model = BertModel::load(vb, &config).map_err(|e| {
            load_err(
                &files.weights,
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

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenize(e.to_string()))?;
        // Length bucketing: similar lengths share a batch, so little padding is computed.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encodings[i].get_ids().len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<&tokenizers::Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            let vectors = self.embed_batch(&batch)?.to_vec2::<f32>()?;
            for (vector, &i) in vectors.into_iter().zip(chunk) {
                out[i] = vector;
            }
        }
        Ok(out)
    }
}
