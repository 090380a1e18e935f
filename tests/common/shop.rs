//! A small shop (tests/data/shop_catalog.jsonl and its orders, plus one product whose title is
//! an HTML injection) indexed with the real embedder, and the chat server's state over it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shopclerk::catalog::{LoadOptions, load};
use shopclerk::dialogue::{Assistant, DialogueConfig};
use shopclerk::prompts::Prompts;
use shopclerk::recommend::{RecommendConfig, Recommender};
use shopclerk::search::{BuildOptions, Fusion, HybridSearcher, ProductIndex, build_index};
use shopclerk::server::{AppState, ServerConfig, SqliteStore};
use shopclerk::understand::{UnderstandConfig, Understander};

/// A title that runs script if a page inserts it as HTML.
pub const HOSTILE_TITLE: &str = "<img src=x onerror=\"window.__xss=1\"> Braided USB-C Cable";

/// The agent key the test servers accept.
pub const AGENT_KEY: &str = "test-agent-key";

fn root(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Indexes the small shop into `dir` and opens it.
pub fn index(dir: &Path) -> Arc<ProductIndex> {
    let catalog_file = dir.join("catalog.jsonl");
    let mut text = std::fs::read_to_string(super::data("shop_catalog.jsonl")).unwrap();
    text.push_str(
        &serde_json::json!({
            "id": "cable-x",
            "title": HOSTILE_TITLE,
            "category_path": ["Electronics", "Mobile Accessories", "Cables"],
            "price": {"amount": 349, "currency": "INR"},
            "rating": 4.1, "rating_count": 120, "in_stock": true
        })
        .to_string(),
    );
    text.push('\n');
    std::fs::write(&catalog_file, text).unwrap();
    let files = [catalog_file, super::data("shop_orders.jsonl")];
    let (catalog, _) = load(&files, &LoadOptions::default()).unwrap();
    assert!(!catalog.orders.is_empty());
    let out = dir.join("index");
    let options = BuildOptions {
        out: out.clone(),
        incremental: false,
        progress: false,
    };
    build_index(&catalog, super::embedder().as_ref(), &options).unwrap();
    Arc::new(ProductIndex::open(&out).unwrap())
}

/// The assistant over an index, replies from templates (no chat model).
pub fn assistant(index: Arc<ProductIndex>) -> Assistant {
    let embedder = super::embedder();
    let prompts = Arc::new(Prompts::load(&root("prompts")).unwrap());
    let searcher =
        Arc::new(HybridSearcher::new(index.clone(), embedder.clone(), Fusion::default()).unwrap());
    let recommender = Arc::new(
        Recommender::open(index.clone(), RecommendConfig::default(), embedder.as_ref()).unwrap(),
    );
    let understander = Arc::new(
        Understander::for_index(
            &index,
            embedder,
            None,
            prompts.clone(),
            UnderstandConfig::default(),
        )
        .unwrap(),
    );
    Assistant::new(
        searcher,
        recommender,
        understander,
        None,
        prompts,
        DialogueConfig {
            prompts_dir: root("prompts"),
            ..DialogueConfig::default()
        },
    )
    .unwrap()
}

/// Server settings for tests: the repository's pages, a database in `dir`, the test agent key.
pub fn config(dir: &Path) -> ServerConfig {
    ServerConfig {
        web_dir: root("web"),
        database: dir.join("sessions.sqlite").display().to_string(),
        agent_keys: vec![AGENT_KEY.into()],
        ..ServerConfig::default()
    }
}

/// A ready server state over `index` with `config`.
pub fn state(index: Arc<ProductIndex>, config: ServerConfig) -> AppState {
    let store = SqliteStore::open(std::path::Path::new(&config.database)).unwrap();
    let state = AppState::new(config, Arc::new(store));
    state.set_assistant(Arc::new(assistant(index))).unwrap();
    state
}
