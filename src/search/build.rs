//! Building an index generation: full or incremental, always atomic.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tantivy::{Index, IndexWriter, Term};

use super::bm25;
use super::store::{FORMAT_VERSION, Manifest, current_generation, read_jsonl, read_vectors};
use super::{Error, Result, io_err};
use crate::catalog::{Catalog, Currency, Order, Product};
use crate::embed::Embedder;

/// How to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Index directory (holds `CURRENT` and the generations).
    pub out: PathBuf,
    /// Apply the catalog as changes to the live generation (upserts, `deleted` ids, added
    /// orders) instead of replacing it; only new or changed products are embedded.
    pub incremental: bool,
    /// Show progress bars.
    pub progress: bool,
}

/// What a build did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildReport {
    /// Products in the new generation.
    pub products: usize,
    /// Products embedded in this build (all in a full build; new or changed ones otherwise).
    pub embedded: usize,
    /// Products removed by an incremental build.
    pub deleted: usize,
    /// Orders in the new generation.
    pub orders: usize,
    /// Directory of the new generation.
    pub generation: PathBuf,
    /// Seconds spent embedding.
    pub embed_seconds: f64,
    /// Seconds in all.
    pub total_seconds: f64,
}

/// The text a product is embedded from: title, category path, brand and short attributes.
/// Long marketing bullets are left out: they drown the product type.
pub fn product_embedding_text(p: &Product) -> String {
    let mut text = p.title.clone();
    if !p.category_path.is_empty() {
        let path: Vec<String> = p
            .category_path
            .iter()
            .map(|c| bm25::split_camel(c))
            .collect();
        text.push_str(" | ");
        text.push_str(&path.join(" > "));
    }
    if let Some(brand) = &p.brand {
        text.push_str(" | ");
        text.push_str(brand);
    }
    for (k, v) in p.attributes.iter().filter(|(_, v)| v.len() <= 40).take(5) {
        text.push_str(&format!(" | {k}: {v}"));
    }
    text
}

/// The most common price currency (INR when nothing is priced).
fn main_currency(products: &[Product]) -> Currency {
    let mut counts: HashMap<Currency, usize> = HashMap::new();
    for p in products {
        if let Some(price) = p.price {
            *counts.entry(price.currency).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))
        .map_or(Currency::INR, |(c, _)| c)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn bar(show: bool, len: usize, label: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:12} [{bar:30}] {pos}/{len} ({per_sec}, {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_string());
    bar
}

/// The previous generation's contents, for an incremental build.
struct Previous {
    dir: PathBuf,
    products: Vec<Product>,
    vectors: Vec<f32>,
    orders: Vec<Order>,
    dim: usize,
    embedder: String,
}

fn load_previous(out: &Path) -> Result<Option<Previous>> {
    let Some(dir) = current_generation(out)? else {
        return Ok(None);
    };
    let manifest: Manifest = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json"))
            .map_err(io_err(format!("reading {}", dir.display())))?,
    )
    .map_err(|e| Error::BadIndex {
        path: dir.display().to_string(),
        reason: format!("manifest.json: {e}"),
    })?;
    let products: Vec<Product> = read_jsonl(&dir.join("catalog.jsonl"))?;
    let vectors = read_vectors(&dir.join("embeddings.f32"), manifest.dim, products.len())?;
    let orders = read_jsonl(&dir.join("orders.jsonl"))?;
    Ok(Some(Previous {
        dir,
        products,
        vectors,
        orders,
        dim: manifest.dim,
        embedder: manifest.embedder,
    }))
}

/// Builds (or incrementally updates) the index at `options.out` from `catalog`.
pub fn build_index(
    catalog: &Catalog,
    embedder: &dyn Embedder,
    options: &BuildOptions,
) -> Result<BuildReport> {
    let started = Instant::now();
    let out = &options.out;
    std::fs::create_dir_all(out).map_err(io_err(format!("creating {}", out.display())))?;
    remove_stale_builds(out);

    let previous = if options.incremental {
        load_previous(out)?
    } else {
        None
    };
    if let Some(prev) = &previous
        && (prev.embedder != embedder.model_id() || prev.dim != embedder.dim())
    {
        return Err(Error::BadIndex {
            path: out.display().to_string(),
            reason: format!(
                "built with embedder '{}'; an incremental update must use the same one (or rebuild without --incremental)",
                prev.embedder
            ),
        });
    }

    // Decide the new product list and which products need a new embedding.
    let dim = embedder.dim();
    let deleted: HashSet<&str> = catalog.deleted.iter().map(String::as_str).collect();
    let incoming: HashMap<&str, &Product> = catalog
        .products
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let mut products: Vec<Product> = Vec::new();
    let mut vectors: Vec<Option<&[f32]>> = Vec::new();
    let mut removed = 0;
    if let Some(prev) = &previous {
        for (row, old) in prev.products.iter().enumerate() {
            if deleted.contains(old.id.as_str()) && !incoming.contains_key(old.id.as_str()) {
                removed += 1;
                continue;
            }
            let old_vector = &prev.vectors[row * dim..(row + 1) * dim];
            match incoming.get(old.id.as_str()) {
                Some(new) => {
                    let same_text = product_embedding_text(new) == product_embedding_text(old);
                    products.push((*new).clone());
                    vectors.push(same_text.then_some(old_vector));
                }
                None => {
                    products.push(old.clone());
                    vectors.push(Some(old_vector));
                }
            }
        }
    }
    let known: HashSet<String> = products.iter().map(|p| p.id.clone()).collect();
    for p in &catalog.products {
        if !known.contains(&p.id) {
            products.push(p.clone());
            vectors.push(None);
        }
    }

    // Embed what is new or changed.
    let to_embed: Vec<usize> = (0..products.len())
        .filter(|&i| vectors[i].is_none())
        .collect();
    let embed_started = Instant::now();
    let mut fresh: HashMap<usize, Vec<f32>> = HashMap::with_capacity(to_embed.len());
    let progress = bar(options.progress, to_embed.len(), "embedding");
    let texts: Vec<String> = to_embed
        .iter()
        .map(|&i| product_embedding_text(&products[i]))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors_made =
        crate::embed::embed_many(embedder, &refs, |done| progress.set_position(done as u64))?;
    fresh.extend(to_embed.iter().copied().zip(vectors_made));
    progress.finish_and_clear();
    let embed_seconds = embed_started.elapsed().as_secs_f64();

    let mut orders = previous
        .as_ref()
        .map(|p| p.orders.clone())
        .unwrap_or_default();
    orders.extend(catalog.orders.iter().cloned());

    // Write the new generation beside the live one.
    // Nanoseconds keep names unique and sortable even for builds in the same second.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("gen-{nanos:020}-{}", std::process::id());
    let tmp = out.join(format!(".{name}.building"));
    let generation = out.join(&name);
    std::fs::create_dir_all(&tmp).map_err(io_err(format!("creating {}", tmp.display())))?;

    let write_file = |file: &str,
                      f: &dyn Fn(&mut BufWriter<std::fs::File>) -> std::io::Result<()>|
     -> Result<()> {
        let path = tmp.join(file);
        let context = format!("writing {}", path.display());
        let mut w = BufWriter::new(std::fs::File::create(&path).map_err(io_err(context.clone()))?);
        f(&mut w).and_then(|()| w.flush()).map_err(io_err(context))
    };
    write_file("catalog.jsonl", &|w| {
        crate::catalog::write_jsonl(w, &products)
    })?;
    write_file("orders.jsonl", &|w| {
        for o in &orders {
            serde_json::to_writer(&mut *w, o)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    let stats = basket_stats(&products, &orders);
    write_file(crate::recommend::STATS_FILE, &|w| stats.write(w))?;
    write_file("embeddings.f32", &|w| {
        for (i, v) in vectors.iter().enumerate() {
            let v = v
                .or_else(|| fresh.get(&i).map(Vec::as_slice))
                .unwrap_or(&[]);
            if v.len() != dim {
                return Err(std::io::Error::other(format!(
                    "product row {i} has no {dim}-dim embedding"
                )));
            }
            for x in v {
                w.write_all(&x.to_le_bytes())?;
            }
        }
        Ok(())
    })?;

    let tantivy_dir = tmp.join("tantivy");
    match &previous {
        Some(prev) => {
            copy_dir(&prev.dir.join("tantivy"), &tantivy_dir)?;
            let index = Index::open_in_dir(&tantivy_dir)?;
            let fields = bm25::fields_of(&index.schema())?;
            let mut writer: IndexWriter = index.writer(50_000_000)?;
            let changed: Vec<&Product> = catalog.products.iter().collect();
            for id in catalog
                .deleted
                .iter()
                .map(String::as_str)
                .chain(changed.iter().map(|p| p.id.as_str()))
            {
                writer.delete_term(Term::from_field_text(fields.id, id));
            }
            let progress = bar(options.progress, changed.len(), "indexing");
            for p in changed {
                writer.add_document(bm25::document(&fields, p))?;
                progress.inc(1);
            }
            writer.commit()?;
            writer.wait_merging_threads()?;
            progress.finish_and_clear();
        }
        None => {
            std::fs::create_dir_all(&tantivy_dir)
                .map_err(io_err(format!("creating {}", tantivy_dir.display())))?;
            let (schema, fields) = bm25::schema();
            let index = Index::create_in_dir(&tantivy_dir, schema)?;
            let mut writer: IndexWriter = index.writer(50_000_000)?;
            let progress = bar(options.progress, products.len(), "indexing");
            for p in &products {
                writer.add_document(bm25::document(&fields, p))?;
                progress.inc(1);
            }
            writer.commit()?;
            writer.wait_merging_threads()?;
            progress.finish_and_clear();
        }
    }

    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        embedder: embedder.model_id().to_string(),
        dim,
        products: products.len(),
        orders: orders.len(),
        currency: main_currency(&products),
        built_at: unix_now(),
    };
    let manifest_json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| io_err("encoding manifest")(e.into()))?;
    write_file("manifest.json", &|w| w.write_all(manifest_json.as_bytes()))?;

    // Publish: rename the finished generation, then switch CURRENT atomically.
    std::fs::rename(&tmp, &generation).map_err(io_err(format!("renaming {}", tmp.display())))?;
    let current_tmp = out.join(".CURRENT.tmp");
    std::fs::write(&current_tmp, &name)
        .map_err(io_err(format!("writing {}", current_tmp.display())))?;
    std::fs::rename(&current_tmp, out.join("CURRENT")).map_err(io_err("switching CURRENT"))?;
    prune_generations(out, &name, previous.as_ref().map(|p| p.dir.as_path()));

    Ok(BuildReport {
        products: products.len(),
        embedded: to_embed.len(),
        deleted: removed,
        orders: orders.len(),
        generation,
        embed_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Co-purchase statistics of the new generation: from the orders (pairs counted once per
/// customer), and from the also-bought lists of catalogs that record them (each listed pair
/// counts as a two-item basket of its own shopper).
fn basket_stats(products: &[Product], orders: &[Order]) -> crate::recommend::BasketStats {
    use crate::recommend::stats::{baskets_of, customers_of};
    use crate::recommend::{BasketStats, LearnOptions, Leaves};
    let rows: HashMap<&str, usize> = products
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let row_of = |id: &str| rows.get(id).copied();
    let mut baskets = baskets_of(orders, &row_of);
    let mut customers = customers_of(orders);
    let mut next = customers.iter().max().map_or(0, |&c| c + 1);
    for (a, p) in products.iter().enumerate() {
        for b in p.related.also_bought.iter().filter_map(|id| row_of(id)) {
            if b != a {
                baskets.push(vec![a as u32, b as u32]);
                customers.push(next);
                next += 1;
            }
        }
    }
    BasketStats::learn_by_customer(
        products.len(),
        &Leaves::of(products),
        &baskets,
        &customers,
        &LearnOptions::default(),
    )
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(io_err(format!("creating {}", to.display())))?;
    for entry in std::fs::read_dir(from).map_err(io_err(format!("listing {}", from.display())))? {
        let entry = entry.map_err(io_err(format!("listing {}", from.display())))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if entry.file_name() != ".tantivy-writer.lock" {
            std::fs::copy(entry.path(), &target)
                .map_err(io_err(format!("copying {}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Removes half-built generations left by a crash.
fn remove_stale_builds(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(".gen-") && name.ends_with(".building") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Keeps the live generation and the one before it (a server may still be reading it).
fn prune_generations(out: &Path, live: &str, previous: Option<&Path>) {
    let previous_name = previous
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .or_else(|| newest_other_generation(out, live));
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("gen-") && name != live && Some(&name) != previous_name.as_ref() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn newest_other_generation(out: &Path, live: &str) -> Option<String> {
    std::fs::read_dir(out)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let modified = e.metadata().and_then(|m| m.modified()).ok()?;
            (name.starts_with("gen-") && name != live).then_some((modified, name))
        })
        .max()
        .map(|(_, n)| n)
}
