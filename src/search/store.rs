//! The index on disk and in memory.
//!
//! Layout of an index directory:
//! ```text
//! <dir>/CURRENT          name of the live generation, replaced atomically
//! <dir>/gen-<n>/manifest.json   what the generation holds and which embedder built it
//! <dir>/gen-<n>/catalog.jsonl   canonical products, row order = embedding row order
//! <dir>/gen-<n>/orders.jsonl    raw co-purchase data (baskets) for the recommender
//! <dir>/gen-<n>/copurchase.bin  basket statistics learned from them (`recommend::stats`)
//! <dir>/gen-<n>/embeddings.f32  row-major little-endian f32 product vectors
//! <dir>/gen-<n>/tantivy/        the BM25 text index
//! ```
//! A build writes a new generation beside the live one and then points `CURRENT` at it, so a
//! crash mid-build leaves the previous index untouched and usable.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::{Index, IndexReader, ReloadPolicy};

use super::bm25::{self, Fields};
use super::dense::VectorMatrix;
use super::filter::{Filter, RowFacts, resolve_category};
use super::query::{Compounds, with_joined_compounds};
use super::{Error, Result, io_err};
use crate::catalog::{Currency, Order, Product};

/// Version of the on-disk layout; bumped when it changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// What an index generation holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// On-disk layout version.
    pub format_version: u32,
    /// Embedder model id the vectors were made with.
    pub embedder: String,
    /// Vector length.
    pub dim: usize,
    /// Number of products.
    pub products: usize,
    /// Number of orders.
    pub orders: usize,
    /// Most common price currency; price filters are in its units.
    pub currency: Currency,
    /// Unix seconds when the generation was built.
    pub built_at: u64,
}

/// A read-only index: catalog, BM25 text index and embedding matrix.
pub struct ProductIndex {
    dir: PathBuf,
    generation: PathBuf,
    manifest: Manifest,
    products: Vec<Product>,
    by_id: HashMap<String, usize>,
    vectors: VectorMatrix,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Per tantivy segment: document id -> catalog row.
    doc_rows: Vec<Vec<u32>>,
    /// Distinct category paths, and each row's path as an index into them.
    paths: Vec<Vec<String>>,
    row_path: Vec<u32>,
    /// Per row: price, rating, stock, for filtering without touching products.
    facts: Vec<RowFacts>,
    /// The catalog's hyphenated compounds, for query normalisation.
    compounds: Compounds,
}

impl std::fmt::Debug for ProductIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductIndex")
            .field("generation", &self.generation)
            .field("manifest", &self.manifest)
            .finish_non_exhaustive()
    }
}

/// The live generation's directory of the index at `dir`, or `None` when nothing was built there.
pub fn current_generation(dir: &Path) -> Result<Option<PathBuf>> {
    let current = dir.join("CURRENT");
    match std::fs::read_to_string(&current) {
        Ok(name) => {
            let name = name.trim();
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                return Err(Error::BadIndex {
                    path: dir.display().to_string(),
                    reason: format!("CURRENT names '{name}', not a generation"),
                });
            }
            Ok(Some(dir.join(name)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(format!("reading {}", current.display()))(e)),
    }
}

pub(crate) fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let file = std::fs::File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_err(format!("reading {}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| Error::BadIndex {
            path: path.display().to_string(),
            reason: format!("line {}: {e}", i + 1),
        })?);
    }
    Ok(out)
}

pub(crate) fn read_vectors(path: &Path, dim: usize, rows: usize) -> Result<Vec<f32>> {
    let bytes = std::fs::read(path).map_err(io_err(format!("reading {}", path.display())))?;
    if bytes.len() != dim * rows * 4 {
        return Err(Error::BadIndex {
            path: path.display().to_string(),
            reason: format!("{} bytes, expected {rows} rows of {dim} f32", bytes.len()),
        });
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

impl ProductIndex {
    /// Opens the live generation of the index at `dir`.
    pub fn open(dir: &Path) -> Result<ProductIndex> {
        let bad = |reason: String| Error::BadIndex {
            path: dir.display().to_string(),
            reason,
        };
        let generation = current_generation(dir)?.ok_or_else(|| {
            bad("no index here (no CURRENT file); build one with `shopclerk index`".into())
        })?;
        let manifest_path = generation.join("manifest.json");
        let manifest: Manifest = serde_json::from_str(
            &std::fs::read_to_string(&manifest_path)
                .map_err(io_err(format!("reading {}", manifest_path.display())))?,
        )
        .map_err(|e| bad(format!("manifest.json: {e}")))?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(bad(format!(
                "layout version {} but this shopclerk reads {FORMAT_VERSION}; rebuild the index",
                manifest.format_version
            )));
        }
        let products: Vec<Product> = read_jsonl(&generation.join("catalog.jsonl"))?;
        if products.len() != manifest.products {
            return Err(bad(format!(
                "catalog.jsonl has {} products, manifest says {}",
                products.len(),
                manifest.products
            )));
        }
        let vectors = VectorMatrix::new(
            manifest.dim,
            read_vectors(
                &generation.join("embeddings.f32"),
                manifest.dim,
                products.len(),
            )?,
        );
        let index = Index::open_in_dir(generation.join("tantivy"))?;
        let fields = bm25::fields_of(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let by_id: HashMap<String, usize> = products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let doc_rows = Self::map_docs_to_rows(&reader, &by_id)?;
        let mut paths: Vec<Vec<String>> = Vec::new();
        let mut path_ids: HashMap<&[String], u32> = HashMap::new();
        let mut row_path = Vec::with_capacity(products.len());
        for p in &products {
            let id = *path_ids
                .entry(p.category_path.as_slice())
                .or_insert_with(|| {
                    paths.push(p.category_path.clone());
                    (paths.len() - 1) as u32
                });
            row_path.push(id);
        }
        let facts = products.iter().map(RowFacts::of).collect();
        let compounds = Compounds::from_products(&products);
        Ok(ProductIndex {
            compounds,
            dir: dir.to_path_buf(),
            generation,
            manifest,
            products,
            by_id,
            vectors,
            index,
            reader,
            fields,
            doc_rows,
            paths,
            row_path,
            facts,
        })
    }

    fn map_docs_to_rows(
        reader: &IndexReader,
        by_id: &HashMap<String, usize>,
    ) -> Result<Vec<Vec<u32>>> {
        let searcher = reader.searcher();
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        let mut id = String::new();
        for segment in searcher.segment_readers() {
            let column = segment
                .fast_fields()
                .str("id")?
                .ok_or_else(|| Error::BadIndex {
                    path: "tantivy".into(),
                    reason: "the id field has no fast column".into(),
                })?;
            let mut rows = vec![u32::MAX; segment.max_doc() as usize];
            for doc in 0..segment.max_doc() {
                if let Some(ord) = column.term_ords(doc).next() {
                    id.clear();
                    column
                        .ord_to_str(ord, &mut id)
                        .map_err(io_err("reading product ids"))?;
                    if let Some(&row) = by_id.get(&id) {
                        rows[doc as usize] = row as u32;
                    }
                }
            }
            out.push(rows);
        }
        Ok(out)
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The live generation's directory.
    pub fn generation_dir(&self) -> &Path {
        &self.generation
    }

    /// What the index holds.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// All products, by row.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The row of a product id.
    pub fn row_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// A product by id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.row_of(id).map(|r| &self.products[r])
    }

    /// The product embedding matrix, rows aligned with [`ProductIndex::products`].
    pub fn vectors(&self) -> &VectorMatrix {
        &self.vectors
    }

    /// The orders stored with the index (raw co-purchase data).
    pub fn orders(&self) -> Result<Vec<Order>> {
        read_jsonl(&self.generation.join("orders.jsonl"))
    }

    /// The canonical text of a customer's query, as [`Compounds::normalize`] writes it: what
    /// both retrievers search, so "wifi" and "wi-fi" find the same products.
    pub fn normalize_query(&self, query: &str) -> String {
        self.compounds.normalize(query)
    }

    /// The catalog's hyphenated compounds.
    pub fn compounds(&self) -> &Compounds {
        &self.compounds
    }

    /// Distinct category paths in the catalog.
    pub fn category_paths(&self) -> &[Vec<String>] {
        &self.paths
    }

    /// The path prefixes a filter allows: those its category names, within its exact path.
    ///
    /// # Errors
    /// [`Error::InvalidFilter`] when the category or the path names no category of the catalog.
    fn category_prefixes(&self, filter: &Filter) -> Result<Option<Vec<Vec<String>>>> {
        let named = filter
            .category
            .as_deref()
            .map(|c| resolve_category(c, &self.paths).map_err(Error::InvalidFilter))
            .transpose()?;
        let Some(path) = filter.category_path.as_ref() else {
            return Ok(named);
        };
        if path.is_empty() || !self.paths.iter().any(|p| p.starts_with(path)) {
            return Err(Error::InvalidFilter(format!(
                "no category in the catalog has the path '{}'",
                path.join(" > ")
            )));
        }
        let Some(named) = named else {
            return Ok(Some(vec![path.clone()]));
        };
        let mut within: Vec<Vec<String>> = Vec::new();
        for prefix in named {
            let narrower = if prefix.starts_with(path) {
                prefix
            } else if path.starts_with(&prefix) {
                path.clone()
            } else {
                continue;
            };
            if !within.contains(&narrower) {
                within.push(narrower);
            }
        }
        Ok(Some(within))
    }

    /// Which rows pass `filter`, or `None` when every row does.
    pub fn allowed_rows(&self, filter: &Filter) -> Result<Option<Vec<bool>>> {
        filter.validate().map_err(Error::InvalidFilter)?;
        if filter.is_empty() {
            return Ok(None);
        }
        let path_ok: Vec<bool> = match self.category_prefixes(filter)? {
            Some(prefixes) => self
                .paths
                .iter()
                .map(|p| prefixes.iter().any(|pre| p.starts_with(pre)))
                .collect(),
            None => vec![true; self.paths.len()],
        };
        Ok(Some(
            self.facts
                .iter()
                .zip(&self.row_path)
                .map(|(facts, &path)| path_ok[path as usize] && filter.accepts_facts(facts))
                .collect(),
        ))
    }

    /// How many products' titles or descriptions have `word`, as the text index reads it
    /// (a word that splits into several tokens counts by its rarest). 0 when it has none.
    pub fn doc_freq(&self, word: &str) -> u64 {
        let searcher = self.reader.searcher();
        bm25::query_terms(&self.index, word)
            .iter()
            .map(|t| {
                [self.fields.title, self.fields.description]
                    .iter()
                    .map(|&f| {
                        searcher
                            .doc_freq(&tantivy::Term::from_field_text(f, t))
                            .unwrap_or(0)
                    })
                    .max()
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
    }

    /// BM25 search: the best `limit` (row, score) pairs passing `filter`.
    pub fn bm25(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<(usize, f32)>> {
        filter.validate().map_err(Error::InvalidFilter)?;
        let query = with_joined_compounds(&self.compounds.normalize(query));
        let Some(text) = bm25::text_query(&self.index, &self.fields, &query) else {
            return Ok(Vec::new());
        };
        let prefixes = self.category_prefixes(filter)?;
        let price = filter.price_bounds_minor(self.manifest.currency.minor_per_major());
        let mut clauses = bm25::filter_clauses(
            &self.fields,
            prefixes.as_deref(),
            price,
            filter.min_rating,
            filter.in_stock,
        );
        let query: Box<dyn Query> = if clauses.is_empty() {
            text
        } else {
            clauses.push((Occur::Must, text));
            Box::new(BooleanQuery::new(clauses))
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&*query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        Ok(top
            .into_iter()
            .filter_map(|(score, addr)| {
                let row = *self
                    .doc_rows
                    .get(addr.segment_ord as usize)?
                    .get(addr.doc_id as usize)?;
                (row != u32::MAX).then_some((row as usize, score))
            })
            .collect())
    }
}
