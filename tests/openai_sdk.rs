//! The official `openai` Python SDK against a real `shopclerk serve` over the test shop
//! (`tests/clients/openai_sdk.py`): list models, a reply with and without streaming, usage,
//! history, sampling fields and limits, and errors in OpenAI's shape.
//!
//! The Python with the SDK is `SHOPCLERK_TEST_PYTHON`, else `target/client-venv/bin/python`,
//! which the test makes with pip on first use. When that cannot be done (no pip, no PyPI) the
//! test says so on stderr and passes, unless `SHOPCLERK_REQUIRE_CLIENTS=1` (set by CI) makes
//! that a failure.

mod common;

use std::path::PathBuf;

use common::shop;

/// The SDK release the checks are written against.
const OPENAI_SDK: &str = "openai==3.57.0";

/// A Python that has the SDK: `SHOPCLERK_TEST_PYTHON`, else `target/client-venv`, made with pip
/// on first use. `None` (after saying why) when neither works and CI does not require it.
fn python_with_sdk() -> Option<PathBuf> {
    let has_sdk = |python: &PathBuf| {
        std::process::Command::new(python)
            .args(["-c", "import openai"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if let Some(python) = std::env::var_os("SHOPCLERK_TEST_PYTHON").map(PathBuf::from)
        && has_sdk(&python)
    {
        return Some(python);
    }
    let venv = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/client-venv"));
    let python = venv.join("bin/python");
    if !has_sdk(&python) {
        let made = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && std::process::Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    OPENAI_SDK,
                ])
                .status()
                .is_ok_and(|s| s.success());
        if !made || !has_sdk(&python) {
            let required = std::env::var("SHOPCLERK_REQUIRE_CLIENTS").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "could not install {OPENAI_SDK} into {} (python3 with venv and pip, and PyPI, are needed)",
                venv.display()
            );
            eprintln!(
                "skipped: could not install {OPENAI_SDK} into {} (SHOPCLERK_REQUIRE_CLIENTS=1 makes this a failure)",
                venv.display()
            );
            return None;
        }
    }
    Some(python)
}

#[test]
fn the_official_openai_sdk_lists_models_chats_streams_counts_usage_and_gets_typed_errors() {
    let Some(python) = python_with_sdk() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shop_dir = dir.path().join("shop");
    std::fs::create_dir_all(&shop_dir).unwrap();
    drop(shop::index(&shop_dir));
    let (mut server, base) = common::start_server(
        env!("CARGO_BIN_EXE_shopclerk"),
        &shop_dir.join("index"),
        dir.path().join("sessions.db").as_os_str(),
    );
    let out = std::process::Command::new(&python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/openai_sdk.py"
        ))
        .arg(&base)
        .output();
    let _ = server.kill();
    let _ = server.wait();
    let out = out.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Each client call and its result, for the record (`cargo test -- --nocapture`).
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the SDK checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all OpenAI SDK checks passed"), "{stdout}");
}
