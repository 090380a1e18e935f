//! The official `mcp` Python SDK as an agent host against shopclerk's MCP server
//! (`tests/clients/mcp_sdk.py`), over streamable HTTP (`/mcp` of a real `shopclerk serve`) and
//! over stdio (`shopclerk mcp` on the same database): list the tools, search, get a product,
//! recommend, compare, ask, fill and empty a cart and read it back through the REST API, read
//! the category tree, and hostile arguments. The Python comes from [`common::client_python`].

mod common;

use common::shop;

#[test]
fn the_official_mcp_sdk_searches_recommends_and_fills_a_cart_over_http_and_stdio() {
    let Some(python) = common::client_python() else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_shopclerk");
    let dir = tempfile::tempdir().unwrap();
    let shop_dir = dir.path().join("shop");
    std::fs::create_dir_all(&shop_dir).unwrap();
    drop(shop::index(&shop_dir));
    let index = shop_dir.join("index");
    let database = dir.path().join("sessions.db");
    let (mut server, base) = common::start_server(bin, &index, database.as_os_str());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/mcp_sdk.py");
    let http = std::process::Command::new(&python)
        .args([script, "http", &base])
        .output();
    let stdio = std::process::Command::new(&python)
        .args([script, "stdio", &base, bin])
        .arg(&index)
        .arg(&database)
        .env("SHOPCLERK_MODELS", common::models_dir())
        .output();
    let _ = server.kill();
    let _ = server.wait();
    for (transport, out) in [("http", http.unwrap()), ("stdio", stdio.unwrap())] {
        let stdout = String::from_utf8_lossy(&out.stdout);
        // Each client call and its result, for the record (`cargo test -- --nocapture`).
        println!("{stdout}");
        assert!(
            out.status.success(),
            "the MCP SDK checks over {transport} failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("all MCP SDK checks passed over {transport}")),
            "{stdout}"
        );
    }
}
