//! Converts catalog files of any supported format into canonical shopclerk JSONL.
//!
//! ```text
//! cargo run --example convert_catalog -- ../shared/datasets/amazon_in/amazon.csv data/demo_catalog.jsonl
//! ```
//!
//! The last path is the output; the others are read in order (duplicate ids: the last wins).
//! The load report goes to stderr.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;
use shopclerk::catalog::{Format, LoadOptions, Product, load, write_jsonl};

/// Convert catalog files (JSONL, Amazon.in CSV, Amazon 2018, Instacart, Decathlon) to canonical JSONL.
#[derive(Parser)]
struct Args {
    /// Input files, then the output file.
    #[arg(required = true, num_args = 2..)]
    paths: Vec<PathBuf>,
    /// Format of the inputs; detected from each file's first line when left out.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Stop at the first bad row instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// Keep at most this many reviews per product (the first ones).
    #[arg(long)]
    max_reviews: Option<usize>,
    /// Cut review texts longer than this many characters at a word boundary.
    #[arg(long)]
    max_review_chars: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let Some((output, inputs)) = args.paths.split_last() else {
        bail!("give input files and an output file");
    };
    let options = LoadOptions {
        format: args.format,
        strict: args.strict,
    };
    let (mut catalog, report) = load(inputs, &options).context("loading the catalog")?;
    for product in &mut catalog.products {
        cap_reviews(product, args.max_reviews, args.max_review_chars);
    }
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = File::create(output).with_context(|| format!("creating {}", output.display()))?;
    write_jsonl(BufWriter::new(file), &catalog.products)
        .with_context(|| format!("writing {}", output.display()))?;
    eprintln!("{}", report.summary());
    for rejection in report.rejected.iter().take(5) {
        eprintln!("  e.g. {rejection}");
    }
    eprintln!(
        "wrote {} products to {}",
        catalog.products.len(),
        output.display()
    );
    Ok(())
}

/// Trims a product's reviews to keep a derived catalog small.
fn cap_reviews(product: &mut Product, max_reviews: Option<usize>, max_chars: Option<usize>) {
    if let Some(n) = max_reviews {
        product.reviews.truncate(n);
    }
    if let Some(max) = max_chars {
        for review in &mut product.reviews {
            review.text = cut_at_word(&review.text, max);
        }
    }
}

/// `text` cut to at most `max` characters at the last space before the limit, with "…".
fn cut_at_word(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return text.to_string();
    };
    let head = &text[..cut];
    let head = head
        .rfind(char::is_whitespace)
        .map_or(head, |at| &head[..at]);
    format!("{}…", head.trim_end())
}
