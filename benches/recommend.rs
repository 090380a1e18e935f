//! Cross-sell latency at 50k products with real baskets: the Instacart product table (49k
//! products) and its 11,718 real orders, statistics built by the same index build as
//! `shopclerk index --orders`. Prints the statistics' load time and p50/p99 of one-anchor
//! and three-anchor requests, anonymous and for a returning customer with 100 orders of 10
//! items, then lets criterion measure the one-anchor request.
//!
//! Product vectors: the real default embedder embeds each aisle ("yogurt | dairy eggs"); a
//! product's vector is its aisle's plus a fixed per-product jitter, so products cluster by aisle
//! as real embeddings do, without embedding 49k titles (7 minutes on 2 cores) per run.
//! Needs `../shared/datasets/instacart`. `cargo bench --bench recommend`

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Precomputed, mix};
use criterion::{Criterion, criterion_group};
use shopclerk::catalog::{LoadOptions, load};
use shopclerk::embed::{BertEmbedder, Embedder};
use shopclerk::models::{DEFAULT_EMBEDDER, ModelResolver};
use shopclerk::recommend::{Kind, RecommendConfig, Recommender, Request};
use shopclerk::search::{BuildOptions, ProductIndex, build_index, product_embedding_text};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn bench(c: &mut Criterion) {
    let data = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/datasets/instacart"
    ));
    if !data.is_dir() {
        eprintln!("skipped: {} not found", data.display());
        return;
    }
    let (catalog, _) = load(
        &[
            data.join("products.csv.gz"),
            data.join("order_lines.csv.gz"),
        ],
        &LoadOptions::default(),
    )
    .expect("instacart loads");

    let files = ModelResolver::new(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models"
    )))
    .embedder(None)
    .expect("default embedder");
    let model = BertEmbedder::load(&files, DEFAULT_EMBEDDER, &candle_core::Device::Cpu)
        .expect("embedder loads");
    let aisle_text = |path: &[String]| path.iter().rev().cloned().collect::<Vec<_>>().join(" | ");
    let mut aisles: Vec<String> = catalog
        .products
        .iter()
        .map(|p| aisle_text(&p.category_path))
        .collect();
    aisles.sort();
    aisles.dedup();
    let refs: Vec<&str> = aisles.iter().map(String::as_str).collect();
    let aisle_vectors: HashMap<&str, Vec<f32>> = refs
        .iter()
        .copied()
        .zip(model.embed(&refs).unwrap())
        .collect();
    let dim = model.dim();
    let mut by_text = HashMap::new();
    for (i, p) in catalog.products.iter().enumerate() {
        let base = &aisle_vectors[aisle_text(&p.category_path).as_str()];
        let mut v: Vec<f32> = base
            .iter()
            .enumerate()
            .map(|(j, x)| {
                let r = mix((i as u64) << 16 | j as u64);
                x + 0.04 * ((r >> 11) as f32 / (1u64 << 53) as f32 - 0.5)
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        by_text.insert(product_embedding_text(p), v);
    }
    let dir = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        out: dir.path().to_path_buf(),
        incremental: false,
        progress: false,
    };
    build_index(&catalog, &Precomputed { by_text, dim }, &options).expect("index builds");
    let index = Arc::new(ProductIndex::open(dir.path()).unwrap());
    let started = Instant::now();
    let recommender = Recommender::open(index.clone(), RecommendConfig::default(), &model).unwrap();
    println!(
        "{} products, {} baskets: statistics loaded in {:.0} ms",
        index.products().len(),
        recommender.baskets(),
        started.elapsed().as_secs_f64() * 1000.0
    );

    let products = index.products();
    let anchor = |k: u64| {
        products[(mix(k) % products.len() as u64) as usize]
            .id
            .clone()
    };
    let request = |anchors: Vec<String>| Request {
        kind: Kind::Both,
        ..Request::new(anchors, 5)
    };
    // A returning customer with 100 orders of 10 products each, drawn from what real baskets
    // hold (the products of real orders), so their history overlaps the statistics.
    let bought: Vec<String> = catalog
        .orders
        .iter()
        .flat_map(|o| o.items.iter().cloned())
        .collect();
    for order in 0..100u64 {
        let items: Vec<String> = (0..10u64)
            .map(|j| bought[(mix(order << 8 | j) % bought.len() as u64) as usize].clone())
            .collect();
        recommender.record_order("regular", &format!("o{order}"), &items);
    }
    for (anchors, customer) in [
        (1usize, None),
        (3, None),
        (1, Some("regular")),
        (3, Some("regular")),
    ] {
        let mut times: Vec<Duration> = (0..2000u64)
            .map(|k| {
                let mut r = request((0..anchors as u64).map(|j| anchor(k * 7 + j)).collect());
                r.customer = customer.map(str::to_string);
                let t = Instant::now();
                let out = recommender.recommend(&r).unwrap();
                let elapsed = t.elapsed();
                assert!(out.cross_sell.len() <= 5);
                elapsed
            })
            .collect();
        times.sort();
        println!(
            "recommend, {anchors} anchor(s), {}, 5 per list: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (2000 requests)",
            match customer {
                Some(_) => "customer with 100 orders",
                None => "anonymous",
            },
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0,
            times.last().unwrap().as_secs_f64() * 1000.0,
        );
    }
    let mut k = 0u64;
    c.bench_function("recommend one anchor at 49k products", |b| {
        b.iter(|| {
            k += 1;
            recommender.recommend(&request(vec![anchor(k)])).unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(5));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
