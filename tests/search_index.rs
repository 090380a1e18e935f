//! Index building and hybrid search through the public API, with the real embedder.

mod common;

use std::path::Path;
use std::sync::Arc;

use shopclerk::catalog::{Catalog, LoadOptions, Product, load};
use shopclerk::search::{
    BuildOptions, Filter, Fusion, HybridSearcher, ProductIndex, Retriever, build_index,
};

fn fixture() -> Catalog {
    let (catalog, report) = load(
        &[common::data("fixture_catalog.jsonl")],
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    catalog
}

fn build(dir: &Path, catalog: &Catalog, incremental: bool) {
    let options = BuildOptions {
        out: dir.to_path_buf(),
        incremental,
        progress: false,
    };
    build_index(catalog, common::embedder().as_ref(), &options).unwrap();
}

fn searcher(dir: &Path, fusion: Fusion) -> HybridSearcher {
    let index = Arc::new(ProductIndex::open(dir).unwrap());
    HybridSearcher::new(index, common::embedder(), fusion).unwrap()
}

fn ids(s: &HybridSearcher, query: &str, filter: &Filter, limit: usize) -> Vec<String> {
    s.retrieve(query, filter, limit)
        .unwrap()
        .iter()
        .map(|h| s.product(h).id.clone())
        .collect()
}

#[test]
fn filters_hold_in_every_fusion_and_still_fill_the_page() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &fixture(), false);
    let cheap = Filter {
        max_price: Some(300.0),
        ..Filter::default()
    };
    for fusion in Fusion::all() {
        let s = searcher(dir.path(), fusion);
        let found = ids(&s, "usb c cable", &cheap, 5);
        assert_eq!(
            found.len(),
            5,
            "{fusion}: 5 products pass the filter, 5 come back: {found:?}"
        );
        for id in &found {
            let p = s.index().product(id).unwrap();
            assert!(
                p.price.unwrap().minor <= 30_000,
                "{fusion}: {id} costs {}",
                p.price.unwrap()
            );
        }
        // Category and stock filters: only in-stock USB cables, never the HDMI cable.
        let usb_in_stock = Filter {
            category: Some("usb cables".into()),
            in_stock: true,
            ..Filter::default()
        };
        let found = ids(&s, "cable", &usb_in_stock, 20);
        assert_eq!(found.len(), 7, "{fusion}: {found:?}");
        assert!(
            found.iter().all(|id| id.starts_with("usb") && id != "usb7"),
            "{fusion}: {found:?}"
        );
        let rated = Filter {
            min_rating: Some(4.3),
            ..Filter::default()
        };
        for id in ids(&s, "cable", &rated, 20) {
            assert!(
                s.index().product(&id).unwrap().rating.unwrap() >= 4.3,
                "{fusion}: {id}"
            );
        }
    }
}

#[test]
fn hybrid_search_finds_by_words_and_by_meaning() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &fixture(), false);
    let s = searcher(dir.path(), Fusion::default());
    let top = ids(&s, "usb c cable", &Filter::default(), 3);
    assert!(top.iter().all(|id| id.starts_with("usb")), "{top:?}");
    // No title says "keep my tea hot"; the flask does, by meaning.
    let top = ids(&s, "something to keep my tea hot", &Filter::default(), 3);
    assert!(top.iter().any(|id| id.starts_with("flask")), "{top:?}");
    // Query syntax is just text, and noise finds nothing rather than failing.
    assert!(
        s.retrieve("title:\"usb AND -(", &Filter::default(), 5)
            .is_ok()
    );
    assert!(s.retrieve("", &Filter::default(), 5).is_ok());
    let err = s
        .retrieve(
            "cable",
            &Filter {
                category: Some("garden hoses".into()),
                ..Filter::default()
            },
            5,
        )
        .unwrap_err();
    assert!(err.to_string().contains("garden hoses"), "{err}");
}

#[test]
fn incremental_update_adds_changes_and_deletes_without_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &fixture(), false);
    let before = ProductIndex::open(dir.path()).unwrap();
    assert_eq!(before.products().len(), 22);

    let mut changed = before.product("mouse1").unwrap().clone();
    changed.title = "Logitech M235 Wireless Mouse, Grey".into();
    changed.price =
        Some(shopclerk::catalog::Money::parse("₹649", shopclerk::catalog::Currency::INR).unwrap());
    let mut added = Product::new("tent1", "Quechua 2 Person Camping Tent, waterproof");
    added.category_path = vec!["Sports".into(), "Camping".into(), "Tents".into()];
    let delta = Catalog {
        products: vec![changed, added],
        deleted: vec!["hdmi2".into()],
        orders: Vec::new(),
    };
    let report = build_index(
        &delta,
        common::embedder().as_ref(),
        &BuildOptions {
            out: dir.path().to_path_buf(),
            incremental: true,
            progress: false,
        },
    )
    .unwrap();
    assert_eq!(
        (report.products, report.embedded, report.deleted),
        (22, 2, 1)
    );

    let s = searcher(dir.path(), Fusion::default());
    assert!(s.index().product("hdmi2").is_none());
    assert_eq!(
        s.index().product("mouse1").unwrap().price.unwrap().minor,
        64_900
    );
    assert_eq!(
        ids(&s, "tent for camping", &Filter::default(), 1),
        vec!["tent1".to_string()]
    );
    let hdmi = ids(&s, "hdmi cable", &Filter::default(), 5);
    assert!(
        !hdmi.contains(&"hdmi2".to_string()) && hdmi.contains(&"hdmi1".to_string()),
        "{hdmi:?}"
    );
    // Unchanged products kept their vectors: same search, same best hit.
    assert!(ids(&s, "electric kettle", &Filter::default(), 1)[0].starts_with("kettle"));
}

#[test]
fn a_crashed_build_leaves_the_old_index_usable() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &fixture(), false);
    let live = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    // What a build killed midway leaves: a half-written generation and a stray CURRENT.tmp.
    let half = dir.path().join(".gen-99-1.building");
    std::fs::create_dir_all(half.join("tantivy")).unwrap();
    std::fs::write(half.join("catalog.jsonl"), "{\"id\": \"x\"").unwrap();
    std::fs::write(dir.path().join(".CURRENT.tmp"), "gen-broken").unwrap();
    let s = searcher(dir.path(), Fusion::default());
    assert_eq!(s.index().products().len(), 22);
    assert!(!ids(&s, "usb cable", &Filter::default(), 3).is_empty());
    // The next build cleans up and publishes a new generation; the previous one is kept.
    build(dir.path(), &fixture(), false);
    assert!(!half.exists());
    let now = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    assert_ne!(now, live);
    assert!(
        dir.path().join(live.trim()).exists(),
        "previous generation kept for readers"
    );
}

#[test]
fn opening_a_missing_or_damaged_index_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = ProductIndex::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("shopclerk index"), "{err}");
    build(dir.path(), &fixture(), false);
    let generation = std::fs::read_to_string(dir.path().join("CURRENT")).unwrap();
    let vectors = dir.path().join(generation.trim()).join("embeddings.f32");
    let bytes = std::fs::read(&vectors).unwrap();
    std::fs::write(&vectors, &bytes[..bytes.len() - 7]).unwrap();
    let err = ProductIndex::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("embeddings.f32") && err.contains("expected 22 rows"),
        "{err}"
    );
}

#[test]
fn spellings_with_and_without_hyphens_find_the_same_products() {
    let dir = tempfile::tempdir().unwrap();
    let titles = [
        ("w1", "TP-Link Wi-Fi USB Adapter 300 Mbps"),
        ("w2", "Nano WiFi Adapter for PC"),
        ("w3", "Dual band wifi dongle AC600"),
        ("w4", "Wi-fi range extender with antenna"),
        ("w5", "Mesh WiFi router, 3 pack"),
        ("u1", "USB-C to USB-C braided cable 1 m"),
        ("u2", "USB cable for printer, 3 m"),
        ("u3", "Micro USB charging cable"),
        ("u4", "USB C hub with HDMI"),
        ("u5", "Type-C fast charging cable"),
        ("x1", "Wireless mouse"),
        ("x2", "Bluetooth speaker"),
    ];
    let catalog = Catalog {
        products: titles
            .iter()
            .map(|(id, title)| Product::new(*id, *title))
            .collect(),
        ..Catalog::default()
    };
    build(dir.path(), &catalog, false);
    for fusion in Fusion::all() {
        let s = searcher(dir.path(), fusion);
        let none = Filter::default();
        for (a, b) in [
            ("wi-fi adapter", "wifi adapter"),
            ("WiFi adapter", "Wi-Fi Adapter"),
            ("-usb cable", "usb cable"),
            ("usb-c cable", "usbc cable"),
        ] {
            let (left, right) = (ids(&s, a, &none, 5), ids(&s, b, &none, 5));
            assert!(!left.is_empty(), "{fusion}: {a}");
            assert_eq!(
                left, right,
                "{fusion}: '{a}' and '{b}' find the same products"
            );
        }
        assert!(
            ids(&s, "wifi adapter", &none, 5)[..2]
                .iter()
                .all(|id| id.starts_with('w'))
        );
        for q in ["\"\"\"", "-", " - ", "?!", "..."] {
            assert!(
                ids(&s, q, &none, 5).is_empty(),
                "{fusion}: {q:?} finds nothing"
            );
        }
    }
}
