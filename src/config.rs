//! Configuration: "which models, which index, which device, which search strategy?"
//!
//! One typed struct, read from a TOML file (`shopclerk.toml` in the working directory when
//! present, or `--config FILE`), then `SHOPCLERK_*` environment variables, then command-line
//! flags, each overriding the one before.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::search::Fusion;

/// Errors reading configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("reading config {path}: {source}")]
    Io {
        /// Config file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this struct.
    #[error("config {path}: {reason}")]
    Parse {
        /// Config file.
        path: PathBuf,
        /// What is wrong, with line and column.
        reason: String,
    },
    /// An environment variable holds a bad value.
    #[error("environment variable {name}: {reason}")]
    Env {
        /// Variable name.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for configuration.
pub type Result<T> = std::result::Result<T, Error>;

/// Search settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Fusion of BM25 and embeddings: bm25, dense, rrf[:k], weighted[:alpha], bm25-fallback.
    pub fusion: String,
    /// Results returned when a request does not say.
    pub limit: usize,
}

impl Default for SearchConfig {
    fn default() -> SearchConfig {
        SearchConfig {
            fusion: Fusion::default().to_string(),
            limit: 10,
        }
    }
}

/// Language-model serving settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Base URL of an OpenAI-compatible inference server (e.g. `http://gpu-box:8000/v1`,
    /// `SHOPCLERK_LLM_SERVER`); unset to run the chat model in-process.
    pub server: Option<String>,
    /// Model name to ask that server for.
    pub server_model: String,
    /// Requests generating at the same time on the local model.
    pub running: usize,
    /// Requests allowed to wait for a turn; more are refused as overloaded.
    pub waiting: usize,
    /// Seconds a request may wait for a turn before it is refused as overloaded.
    pub max_wait_secs: u64,
    /// Conversation prefixes whose attention state is kept for reuse.
    pub prefix_cache_entries: usize,
    /// Prompt tokens processed per step; cached prefixes are reused in whole steps.
    pub prompt_chunk: usize,
}

impl Default for LlmConfig {
    fn default() -> LlmConfig {
        let local = crate::llm::LocalOptions::default();
        LlmConfig {
            server: None,
            server_model: "default".into(),
            running: local.queue.running,
            waiting: local.queue.waiting,
            max_wait_secs: local.queue.max_wait.as_secs(),
            prefix_cache_entries: local.prefix_cache_entries,
            prompt_chunk: local.prompt_chunk,
        }
    }
}

impl LlmConfig {
    /// How to run the local model on `device` with these settings.
    pub fn local_options(&self, device: candle_core::Device) -> crate::llm::LocalOptions {
        crate::llm::LocalOptions {
            device,
            queue: crate::llm::QueueLimits {
                running: self.running,
                waiting: self.waiting,
                max_wait: std::time::Duration::from_secs(self.max_wait_secs),
            },
            prefix_cache_entries: self.prefix_cache_entries,
            prompt_chunk: self.prompt_chunk,
            ..crate::llm::LocalOptions::default()
        }
    }
}

/// All of shopclerk's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where models are cached and looked up by name (`SHOPCLERK_MODELS`).
    pub models_dir: PathBuf,
    /// Chat model: path, name in `models_dir`, Hugging Face repo id; unset for the default.
    pub chat_model: Option<String>,
    /// Embedder: path, name, repo id; unset for the default (all-MiniLM-L6-v2).
    pub embedder: Option<String>,
    /// Which engine runs the embedder: auto (ONNX Runtime on a CPU where it can), onnx or
    /// candle (`SHOPCLERK_EMBEDDER_RUNTIME`).
    pub embedder_runtime: crate::embed::Runtime,
    /// Index directory (`SHOPCLERK_INDEX`).
    pub index_dir: PathBuf,
    /// Device: auto, cpu, cuda or cuda:N (`SHOPCLERK_DEVICE`).
    pub device: String,
    /// Never fetch models from the network (`SHOPCLERK_OFFLINE=1`).
    pub offline: bool,
    /// Search settings.
    pub search: SearchConfig,
    /// Language-model serving settings.
    pub llm: LlmConfig,
    /// Cross-sell and upsell settings.
    pub recommend: crate::recommend::RecommendConfig,
    /// Message understanding settings.
    pub understand: crate::understand::UnderstandConfig,
    /// Conversation settings.
    pub dialogue: crate::dialogue::DialogueConfig,
    /// Chat service settings.
    pub server: crate::server::ServerConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            models_dir: PathBuf::from("models"),
            chat_model: None,
            embedder: None,
            embedder_runtime: crate::embed::Runtime::default(),
            index_dir: PathBuf::from("index/demo"),
            device: "auto".into(),
            offline: false,
            search: SearchConfig::default(),
            llm: LlmConfig::default(),
            recommend: crate::recommend::RecommendConfig::default(),
            understand: crate::understand::UnderstandConfig::default(),
            dialogue: crate::dialogue::DialogueConfig::default(),
            server: crate::server::ServerConfig::default(),
        }
    }
}

impl Config {
    /// Reads `path` (or `shopclerk.toml` if it exists and `path` is `None`), then applies the
    /// environment.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let default_file = Path::new("shopclerk.toml");
        let file = path.or_else(|| default_file.exists().then_some(default_file));
        let mut config = match file {
            Some(p) => Config::from_toml_file(p)?,
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Parses a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Applies `SHOPCLERK_*` variables read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = get("SHOPCLERK_MODELS") {
            self.models_dir = v.into();
        }
        if let Some(v) = get("SHOPCLERK_INDEX") {
            self.index_dir = v.into();
        }
        if let Some(v) = get("SHOPCLERK_CHAT_MODEL") {
            self.chat_model = Some(v);
        }
        if let Some(v) = get("SHOPCLERK_EMBEDDER") {
            self.embedder = Some(v);
        }
        if let Some(v) = get("SHOPCLERK_EMBEDDER_RUNTIME") {
            // The same names as the command line's --embedder-runtime.
            self.embedder_runtime = match v.trim() {
                "" => crate::embed::Runtime::Auto,
                name => <crate::embed::Runtime as clap::ValueEnum>::from_str(name, true).map_err(
                    |_| Error::Env {
                        name: "SHOPCLERK_EMBEDDER_RUNTIME".into(),
                        reason: format!("'{name}' is not auto, onnx or candle"),
                    },
                )?,
            };
        }
        if let Some(v) = get("SHOPCLERK_DEVICE") {
            self.device = v;
        }
        if let Some(v) = get("SHOPCLERK_LLM_SERVER") {
            self.llm.server = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = get("SHOPCLERK_LISTEN") {
            self.server.listen = v;
        }
        if let Some(v) = get("SHOPCLERK_DATABASE") {
            self.server.database = v;
        }
        let list = |v: String| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        if let Some(v) = get("SHOPCLERK_AGENT_KEYS") {
            self.server.agent_keys = list(v);
        }
        if let Some(v) = get("SHOPCLERK_CORS_ORIGINS") {
            self.server.cors_origins = list(v);
        }
        if let Some(v) = get("SHOPCLERK_FUSION") {
            self.search.fusion = v;
        }
        if let Some(v) = get("SHOPCLERK_OFFLINE") {
            self.offline = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" | "" => false,
                other => {
                    return Err(Error::Env {
                        name: "SHOPCLERK_OFFLINE".into(),
                        reason: format!("'{other}' is not 1/0/true/false"),
                    });
                }
            };
        }
        self.fusion().map_err(|reason| Error::Env {
            name: "search.fusion / SHOPCLERK_FUSION".into(),
            reason,
        })?;
        Ok(())
    }

    /// The configured fusion strategy.
    pub fn fusion(&self) -> std::result::Result<Fusion, String> {
        self.search.fusion.parse()
    }

    /// A model resolver for this configuration.
    pub fn resolver(&self, progress: bool) -> crate::models::ModelResolver {
        crate::models::ModelResolver {
            models_dir: self.models_dir.clone(),
            allow_fetch: !self.offline,
            progress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shopclerk.toml");
        std::fs::write(
            &path,
            "models_dir = \"/m\"\n[search]\nfusion = \"rrf:30\"\n",
        )
        .unwrap();
        let mut c = Config::from_toml_file(&path).unwrap();
        assert_eq!(c.models_dir, PathBuf::from("/m"));
        assert_eq!(c.fusion().unwrap(), Fusion::Rrf { k: 30.0 });
        assert_eq!(c.index_dir, PathBuf::from("index/demo"));
        c.apply_env(|n| (n == "SHOPCLERK_MODELS").then(|| "/env".to_string()))
            .unwrap();
        assert_eq!(c.models_dir, PathBuf::from("/env"));
        c.apply_env(|n| match n {
            "SHOPCLERK_AGENT_KEYS" => Some(" k1, ,k2 ".to_string()),
            "SHOPCLERK_LISTEN" => Some("0.0.0.0:9000".to_string()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.server.agent_keys, ["k1", "k2"]);
        assert_eq!(c.server.listen, "0.0.0.0:9000");
    }

    #[test]
    fn bad_config_names_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "modles_dir = 3\n").unwrap();
        let err = Config::from_toml_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml") && err.contains("modles_dir"),
            "{err}"
        );
        let mut c = Config::default();
        let err = c
            .apply_env(|n| (n == "SHOPCLERK_FUSION").then(|| "magic".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("unknown fusion"), "{err}");
    }
}
