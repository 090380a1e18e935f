//! Embedding throughput: batches of 32 short product titles through the default embedder.
//!
//! Prints embeddings per second with the model, device and thread count, then runs criterion.
//! `cargo bench --bench embed`

use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use shopclerk::catalog::{LoadOptions, load};
use shopclerk::embed::{BertEmbedder, Embedder};
use shopclerk::models::{DEFAULT_EMBEDDER, ModelResolver};

fn titles() -> Vec<String> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/demo_catalog.jsonl"
    ));
    let (catalog, _) = load(&[path], &LoadOptions::default()).expect("demo catalog loads");
    // Short titles, as a customer would see them: the first eight words.
    catalog
        .products
        .iter()
        .map(|p| {
            p.title
                .split_whitespace()
                .take(8)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn embedder() -> BertEmbedder {
    let models = std::env::var("SHOPCLERK_MODELS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/models").into());
    let files = ModelResolver::new(models)
        .embedder(None)
        .expect("default embedder resolves");
    BertEmbedder::load(&files, DEFAULT_EMBEDDER, &candle_core::Device::Cpu).expect("embedder loads")
}

fn report(embedder: &BertEmbedder, titles: &[String]) {
    let refs: Vec<&str> = titles.iter().map(String::as_str).collect();
    embedder.embed(&refs[..64]).expect("warm-up");
    let started = Instant::now();
    let mut n = 0;
    for batch in refs.chunks(32).take(40) {
        embedder.embed(batch).expect("embeds");
        n += batch.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "embedding throughput: {:.0} embeddings/s ({n} short titles in batches of 32; model {DEFAULT_EMBEDDER} f32; device cpu; {} threads)",
        n as f64 / secs,
        candle_core::utils::get_num_threads()
    );
}

fn bench(c: &mut Criterion) {
    let titles = titles();
    let embedder = embedder();
    report(&embedder, &titles);
    let batch: Vec<&str> = titles.iter().take(32).map(String::as_str).collect();
    c.bench_function("embed 32 short titles", |b| {
        b.iter(|| embedder.embed(&batch).expect("embeds"))
    });
    c.bench_function("embed 1 query", |b| {
        b.iter(|| embedder.embed(&["usb c cable under 300"]).expect("embeds"))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
