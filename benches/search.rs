//! Hybrid search at 100k products: index build time, query latency p50/p99 excluding and
//! including query embedding, and recall of the two-stage (int8 + f32 re-score) dense search
//! against an exact f32 scan.
//!
//! The 100k products are synthetic, built from the real demo catalog (and Decathlon when the
//! shared datasets are present): each mixes the words and the embedding of two real products,
//! so vocabulary and vector clusters look like a real shop's. Real products are embedded with
//! the real default model; synthetic vectors are mixes of those.
//! `cargo bench --bench search`

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Precomputed, Rng};
use criterion::{Criterion, criterion_group};
use shopclerk::catalog::{Catalog, Currency, LoadOptions, Money, Product, load};
use shopclerk::embed::{BertEmbedder, Embedder};
use shopclerk::models::{DEFAULT_EMBEDDER, ModelResolver};
use shopclerk::search::{
    BuildOptions, Filter, Fusion, HybridSearcher, ProductIndex, build_index, eval::read_queries,
    product_embedding_text,
};

const PRODUCTS: usize = 100_000;

fn real_products() -> Vec<Product> {
    let mut paths = vec![PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo_catalog.jsonl"
    ))];
    let decathlon = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/datasets/decathlon/decathlon.json"
    ));
    if decathlon.exists() {
        paths.push(decathlon);
    }
    load(&paths, &LoadOptions::default())
        .expect("catalogs load")
        .0
        .products
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= n);
}

fn bench(c: &mut Criterion) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let models = std::env::var("SHOPCLERK_MODELS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/models").into());
    let files = ModelResolver::new(models)
        .embedder(None)
        .expect("default embedder resolves");
    let embedder: Arc<dyn Embedder> = Arc::new(
        BertEmbedder::load(&files, DEFAULT_EMBEDDER, &candle_core::Device::Cpu)
            .expect("embedder loads"),
    );

    let real = real_products();
    let texts: Vec<String> = real.iter().map(product_embedding_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let started = Instant::now();
    let real_vectors = embedder.embed(&refs).expect("embeds");
    println!(
        "embedded {} real products in {:.1}s ({:.0}/s)",
        real.len(),
        started.elapsed().as_secs_f64(),
        real.len() as f64 / started.elapsed().as_secs_f64()
    );

    // Synthetic products: words and vector of product a, a few words of product b.
    let mut rng = Rng(42);
    let dim = embedder.dim();
    let mut products = Vec::with_capacity(PRODUCTS);
    let mut by_text = HashMap::with_capacity(PRODUCTS);
    for i in 0..PRODUCTS {
        let (a, b) = (rng.below(real.len()), rng.below(real.len()));
        let mut p = real[a].clone();
        p.id = format!("syn-{i}");
        let extra: Vec<&str> = real[b].title.split_whitespace().take(3).collect();
        p.title = format!("{} {}", real[a].title, extra.join(" "));
        p.reviews.clear();
        p.price = Some(Money::from_minor(
            100 * (50 + rng.below(20_000)) as i64,
            Currency::INR,
        ));
        let mut v: Vec<f32> = (0..dim)
            .map(|d| {
                0.8 * real_vectors[a][d] + 0.2 * real_vectors[b][d] + 0.02 * (rng.unit() - 0.5)
            })
            .collect();
        normalize(&mut v);
        by_text.insert(product_embedding_text(&p), v);
        products.push(p);
    }
    let precomputed = Precomputed { by_text, dim };
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = Catalog {
        products,
        ..Catalog::default()
    };
    let started = Instant::now();
    let built = build_index(
        &catalog,
        &precomputed,
        &BuildOptions {
            out: dir.path().to_path_buf(),
            incremental: false,
            progress: false,
        },
    )
    .expect("index builds");
    println!(
        "index build, {PRODUCTS} products, excluding embedding: {:.1}s (tantivy + matrix + catalog files)",
        started.elapsed().as_secs_f64() - built.embed_seconds
    );
    let started = Instant::now();
    let index = Arc::new(ProductIndex::open(dir.path()).expect("index opens"));
    println!("index open: {:.2}s", started.elapsed().as_secs_f64());
    let searcher =
        HybridSearcher::new(index.clone(), embedder.clone(), Fusion::default()).expect("searcher");

    let queries: Vec<String> = read_queries(&PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/search_queries.jsonl"
    )))
    .map(|qs| qs.into_iter().map(|q| q.query).collect())
    .unwrap_or_else(|_| vec!["usb c cable".into(), "wireless mouse".into()]);
    let filters = [
        Filter::default(),
        Filter {
            max_price: Some(500.0),
            ..Filter::default()
        },
    ];

    let mut excluding = Vec::new();
    let mut including = Vec::new();
    let mut recall_hits = 0usize;
    let mut recall_total = 0usize;
    for round in 0..3 {
        for (qi, q) in queries.iter().enumerate() {
            let filter = &filters[qi % filters.len()];
            let t0 = Instant::now();
            let v = searcher.embed_query(q).expect("embeds");
            let t1 = Instant::now();
            let hits = searcher
                .search_embedded(q, Some(&v), filter, 10, searcher.fusion())
                .expect("searches");
            let t2 = Instant::now();
            assert!(!hits.is_empty());
            if round > 0 {
                excluding.push(t2 - t1);
                including.push(t2 - t0);
            }
            if round == 0 {
                let allowed = index.allowed_rows(filter).expect("filter");
                let fast = index.vectors().top_k(&v, allowed.as_deref(), 10);
                let exact = index.vectors().top_k_exact(&v, allowed.as_deref(), 10);
                recall_total += exact.len();
                recall_hits += exact
                    .iter()
                    .filter(|e| fast.iter().any(|f| f.0 == e.0))
                    .count();
            }
        }
    }
    excluding.sort();
    including.sort();
    println!(
        "hybrid query ({}), {PRODUCTS} products, {} queries x2, {threads} threads: excluding embedding p50 {:.2} ms p99 {:.2} ms; including embedding p50 {:.2} ms p99 {:.2} ms",
        searcher.fusion(),
        queries.len(),
        percentile(&excluding, 0.5),
        percentile(&excluding, 0.99),
        percentile(&including, 0.5),
        percentile(&including, 0.99),
    );
    println!(
        "two-stage dense search recall@10 vs exact f32 scan: {:.4} ({recall_hits}/{recall_total})",
        recall_hits as f64 / recall_total.max(1) as f64
    );

    // Where the time goes, per component, over the same queries.
    let mut parts: [Vec<Duration>; 3] = Default::default();
    for (qi, q) in queries.iter().enumerate() {
        let filter = &filters[qi % filters.len()];
        let v = searcher.embed_query(q).expect("embeds");
        let t0 = Instant::now();
        let allowed = index.allowed_rows(filter).expect("filter");
        let t1 = Instant::now();
        index.vectors().top_k(&v, allowed.as_deref(), 50);
        let t2 = Instant::now();
        index.bm25(q, filter, 50).expect("bm25");
        let t3 = Instant::now();
        parts[0].push(t1 - t0);
        parts[1].push(t2 - t1);
        parts[2].push(t3 - t2);
    }
    for (name, mut times) in ["filter mask", "dense top-50", "bm25 top-50"]
        .into_iter()
        .zip(parts)
    {
        times.sort();
        println!(
            "  {name}: p50 {:.2} ms p99 {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }

    let v = searcher.embed_query("usb c cable").expect("embeds");
    c.bench_function("hybrid query 100k, excluding embedding", |b| {
        b.iter(|| {
            searcher.search_embedded(
                "usb c cable",
                Some(&v),
                &Filter::default(),
                10,
                searcher.fusion(),
            )
        })
    });
    c.bench_function("dense two-stage top-10 100k", |b| {
        b.iter(|| index.vectors().top_k(&v, None, 10))
    });
    c.bench_function("dense exact f32 top-10 100k", |b| {
        b.iter(|| index.vectors().top_k_exact(&v, None, 10))
    });
    c.bench_function("bm25 top-50 100k", |b| {
        b.iter(|| index.bm25("usb c cable", &Filter::default(), 50))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
