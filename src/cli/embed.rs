//! `shopclerk bench embed`: embeddings per second of the configured embedder, on a file of texts
//! or on the exact texts `index` embeds for a catalog, handed over as `index` does
//! ([`shopclerk::embed::embed_many`]: sorted by length, batches of `--batch`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use shopclerk::catalog::{self, LoadOptions};
use shopclerk::config::Config;
use shopclerk::search::product_embedding_text;

use shopclerk::embed::{OpenOptions, embed_many};

use super::load_embedder_with;

/// Flags of `shopclerk bench embed`.
#[derive(Debug, Args)]
pub struct BenchEmbedArgs {
    /// Texts to embed, one per line.
    #[arg(long, conflicts_with = "catalog")]
    texts: Option<PathBuf>,
    /// A catalog: embeds the texts `shopclerk index` embeds for its products.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Also write the texts embedded, one per line (for another runtime to embed the same).
    #[arg(long)]
    write_texts: Option<PathBuf>,
    /// Texts per model run.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Threads (default: every core): ONNX Runtime's per run, candle's rayon pool.
    #[arg(long)]
    threads: Option<usize>,
    /// Runs over all texts; the fastest is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Loads the texts, embeds them `runs` times in batches of `batch`, prints
/// `N texts in S s = R embeddings/s` for the fastest run.
pub fn bench_embed(config: &Config, args: &BenchEmbedArgs, progress: bool) -> Result<()> {
    let texts: Vec<String> = match (&args.texts, &args.catalog) {
        (Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        (None, Some(path)) => {
            let (catalog, _) = catalog::load(std::slice::from_ref(path), &LoadOptions::default())?;
            catalog
                .products
                .iter()
                .map(product_embedding_text)
                .collect()
        }
        (None, None) => bail!("give --texts FILE or --catalog FILE"),
    };
    if texts.is_empty() {
        bail!("no texts to embed");
    }
    if let Some(out) = &args.write_texts {
        // One text per line: a text's own line breaks become spaces.
        let lines: Vec<String> = texts.iter().map(|t| t.replace(['\n', '\r'], " ")).collect();
        std::fs::write(out, lines.join("\n") + "\n")
            .with_context(|| format!("writing {}", out.display()))?;
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let batch = args.batch.max(1);
    let embedder = load_embedder_with(
        config,
        OpenOptions {
            threads: Some(threads),
            batch_size: batch,
        },
        progress,
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .context("starting the thread pool")?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let mut best = f64::INFINITY;
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        pool.install(|| embed_many(embedder.as_ref(), &refs, |_| {}))?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "{} texts in {best:.2} s = {:.1} embeddings/s ({} on {}, batch {batch}, {threads} threads, best of {})",
        texts.len(),
        texts.len() as f64 / best,
        embedder.model_id(),
        embedder.runtime(),
        args.runs.max(1)
    );
    Ok(())
}
