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

/// The plain candle loop the embedder is compared with: the shipped tokenizer.json as is
/// (padding every input to 128 tokens), batches in input order, mean pooling, L2 norm.
fn plain_loop_per_second(titles: &[String]) -> f64 {
    use candle_core::{DType, Device, Tensor};
    use candle_transformers::models::bert::{BertModel, Config, DTYPE};
    let models = std::env::var("SHOPCLERK_MODELS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/models").into());
    let files = ModelResolver::new(models)
        .embedder(None)
        .expect("default embedder resolves");
    let config: Config =
        serde_json::from_str(&std::fs::read_to_string(&files.config).expect("config"))
            .expect("config");
    let tokenizer = tokenizers::Tokenizer::from_file(&files.tokenizer).expect("tokenizer");
    let vb = candle_nn::VarBuilder::from_buffered_safetensors(
        std::fs::read(
            files
                .weights
                .as_ref()
                .expect("the default embedder has safetensors"),
        )
        .expect("weights"),
        DTYPE,
        &Device::Cpu,
    )
    .expect("weights");
    let model = BertModel::load(vb, &config).expect("model");
    let started = Instant::now();
    let mut n = 0;
    for batch in titles.chunks(32).take(10) {
        let enc = tokenizer
            .encode_batch(batch.to_vec(), true)
            .expect("tokenizes");
        let ids: Vec<Vec<u32>> = enc.iter().map(|e| e.get_ids().to_vec()).collect();
        let mask: Vec<Vec<u32>> = enc
            .iter()
            .map(|e| e.get_attention_mask().to_vec())
            .collect();
        let ids = Tensor::new(ids, &Device::Cpu).expect("ids");
        let mask = Tensor::new(mask, &Device::Cpu).expect("mask");
        let hidden = model
            .forward(&ids, &ids.zeros_like().expect("zeros"), Some(&mask))
            .expect("forward");
        let m = mask
            .to_dtype(DType::F32)
            .expect("f32")
            .unsqueeze(2)
            .expect("unsqueeze");
        let mean = hidden
            .broadcast_mul(&m)
            .expect("mul")
            .sum(1)
            .expect("sum")
            .broadcast_div(&m.sum(1).expect("sum"))
            .expect("div");
        let norm = mean
            .sqr()
            .expect("sqr")
            .sum_keepdim(1)
            .expect("sum")
            .sqrt()
            .expect("sqrt");
        mean.broadcast_div(&norm)
            .expect("div")
            .to_vec2::<f32>()
            .expect("vec");
        n += batch.len();
    }
    n as f64 / started.elapsed().as_secs_f64()
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
    let started = Instant::now();
    embedder.embed(&refs[..1280]).expect("embeds");
    println!(
        "embedding throughput, 1280 short titles in one call (as index builds do): {:.0} embeddings/s",
        1280.0 / started.elapsed().as_secs_f64()
    );
    let plain = plain_loop_per_second(titles);
    println!(
        "plain candle loop (tokenizer.json padding to 128, no bucketing): {plain:.0} embeddings/s"
    );
    println!(
        "embedding throughput: {:.0} embeddings/s ({n} short titles in batches of 32; model {DEFAULT_EMBEDDER} f32; device cpu; {} threads)",
        n as f64 / secs,
        candle_core::utils::get_num_threads()
    );
    println!(
        "speed-up over the plain loop: {:.1}x",
        n as f64 / secs / plain
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
