//! The official `openai` Python SDK against a real `shopclerk serve` over the test shop
//! (`tests/clients/openai_sdk.py`): list models, a reply with and without streaming, usage,
//! history, sampling fields and limits, and errors in OpenAI's shape.
//!
//! The Python with the SDK comes from [`common::client_python`].

mod common;

use common::shop;

#[test]
fn the_official_openai_sdk_lists_models_chats_streams_counts_usage_and_gets_typed_errors() {
    let Some(python) = common::client_python() else {
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
