//! Catalog: "here is a file of products (or orders), give me clean [`Product`]s and a report of
//! every row I could not use."
//!
//! Readers exist for the canonical JSONL format, the Amazon.in CSV, Amazon 2018 metadata and
//! review JSON lines, Instacart products and order lines, and Decathlon JSON. Each yields
//! [`Record`]s row by row; [`load`] gathers them, attaches reviews to their products, resolves
//! duplicate ids (the last wins, with a warning) and counts rejections by reason.

pub(crate) mod model;
pub mod present;
mod readers;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

pub use model::{Currency, Money, Order, PriceError, Product, RelatedProducts, Review};
pub use present::{Highlight, ProductView, SpecKind, Variant};
pub use readers::{Format, detect_format};

/// Errors that stop a catalog load.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// File being read.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The format could not be detected from the name or the first bytes.
    #[error(
        "{0}: cannot tell the catalog format; pass --format (jsonl, amazon-in, amazon2018, instacart, decathlon)"
    )]
    UnknownFormat(PathBuf),
    /// A bad row in strict mode.
    #[error("{0}")]
    Rejected(Rejection),
    /// The file as a whole is malformed (e.g. a JSON array that does not parse).
    #[error("{path}: {reason}")]
    Malformed {
        /// File being read.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for catalog operations.
pub type Result<T> = std::result::Result<T, Error>;

/// One row a reader could not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// File name as given.
    pub file: String,
    /// 1-based line (or record number for formats that are not line-based).
    pub line: u64,
    /// Why the row was rejected, e.g. `price '₹abc' is not a number`.
    pub reason: String,
}

impl Rejection {
    /// The reason with quoted values removed, for counting rejections by kind.
    pub fn kind(&self) -> String {
        let mut out = String::new();
        let mut in_quote = false;
        for c in self.reason.chars() {
            match c {
                '\'' => {
                    in_quote = !in_quote;
                    if in_quote {
                        out.push_str("'…'");
                    }
                }
                _ if !in_quote => out.push(c),
                _ => {}
            }
        }
        // Where in the row ("at line 1 column 57", "(column 57)") is not part of the kind.
        for marker in [" at line ", " (column "] {
            if let Some(at) = out.find(marker) {
                out.truncate(at);
            }
        }
        out
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// What one row of a catalog file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A product.
    Product(Box<Product>),
    /// A review of the product with this id (Amazon 2018 review files).
    Review {
        /// Product the review is about.
        product_id: String,
        /// The review.
        review: Review,
    },
    /// A request to delete the product with this id (canonical JSONL `{"id": ..., "deleted": true}`).
    Delete(String),
    /// One order.
    Order(Order),
}

/// How to read catalog files.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Format to assume; `None` detects it from the file name and first bytes.
    pub format: Option<Format>,
    /// Stop at the first bad row instead of skipping it.
    pub strict: bool,
}

/// What a load read, kept and rejected.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Rows read (products, reviews, orders, deletions).
    pub read: u64,
    /// Rows accepted.
    pub accepted: u64,
    /// Every rejected row, in file order.
    pub rejected: Vec<Rejection>,
    /// Warnings that did not reject a row (duplicate ids, reviews of unknown products).
    pub warnings: Vec<String>,
}

impl LoadReport {
    /// Rejections counted by kind, most frequent first.
    pub fn rejected_by_reason(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in &self.rejected {
            *counts.entry(r.kind()).or_default() += 1;
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
    }

    /// A short human summary: read, accepted, rejected by reason.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "read {}, accepted {}, rejected {}",
            self.read,
            self.accepted,
            self.rejected.len()
        );
        for (kind, n) in self.rejected_by_reason() {
            s.push_str(&format!("\n  {n} × {kind}"));
        }
        if !self.warnings.is_empty() {
            s.push_str(&format!("\n  {} warning(s)", self.warnings.len()));
        }
        s
    }
}

/// Products and orders gathered from one or more files.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Products in order of first appearance; for a duplicate id the last row wins.
    pub products: Vec<Product>,
    /// Product ids asked to be deleted (applied by an incremental index update).
    pub deleted: Vec<String>,
    /// Orders (baskets).
    pub orders: Vec<Order>,
}

/// Gathers records into a catalog, tracking duplicates and dangling reviews.
#[derive(Debug, Default)]
pub struct CatalogBuilder {
    catalog: Catalog,
    by_id: HashMap<String, usize>,
    pending_reviews: BTreeMap<String, Vec<Review>>,
    report: LoadReport,
}

impl CatalogBuilder {
    /// An empty builder.
    pub fn new() -> CatalogBuilder {
        CatalogBuilder::default()
    }

    /// Reads one file into the catalog.
    pub fn add_file(&mut self, path: &Path, options: &LoadOptions) -> Result<()> {
        let format = match options.format {
            Some(f) => f,
            None => detect_format(path)?,
        };
        let file = path.display().to_string();
        let mut on_row = |line: u64, row: std::result::Result<Record, String>| -> Result<()> {
            self.report.read += 1;
            match row {
                Ok(record) => {
                    self.report.accepted += 1;
                    self.push(record, &file, line);
                    Ok(())
                }
                Err(reason) => {
                    let rejection = Rejection {
                        file: file.clone(),
                        line,
                        reason,
                    };
                    if options.strict {
                        return Err(Error::Rejected(rejection));
                    }
                    self.report.rejected.push(rejection);
                    Ok(())
                }
            }
        };
        readers::read(path, format, &mut on_row)
    }

    fn push(&mut self, record: Record, file: &str, line: u64) {
        match record {
            Record::Product(mut product) => {
                if let Some(reviews) = self.pending_reviews.remove(&product.id) {
                    product.reviews.extend(reviews);
                }
                match self.by_id.get(&product.id) {
                    Some(&at) => {
                        self.report.warnings.push(format!(
                            "{file}:{line}: duplicate product id '{}': this row replaces the earlier one",
                            product.id
                        ));
                        self.catalog.products[at] = *product;
                    }
                    None => {
                        self.by_id
                            .insert(product.id.clone(), self.catalog.products.len());
                        self.catalog.products.push(*product);
                    }
                }
            }
            Record::Review { product_id, review } => match self.by_id.get(&product_id) {
                Some(&at) => self.catalog.products[at].reviews.push(review),
                None => self
                    .pending_reviews
                    .entry(product_id)
                    .or_default()
                    .push(review),
            },
            Record::Delete(id) => {
                if let Some(at) = self.by_id.remove(&id) {
                    self.catalog.products.remove(at);
                    for slot in self.by_id.values_mut() {
                        if *slot > at {
                            *slot -= 1;
                        }
                    }
                }
                self.catalog.deleted.push(id);
            }
            Record::Order(order) => self.catalog.orders.push(order),
        }
    }

    /// The catalog and the report of everything read.
    pub fn finish(mut self) -> (Catalog, LoadReport) {
        let dangling: usize = self.pending_reviews.values().map(Vec::len).sum();
        if dangling > 0 {
            self.report.warnings.push(format!(
                "{dangling} review(s) of {} product id(s) not in the catalog were ignored",
                self.pending_reviews.len()
            ));
        }
        let merged = fold_category_case(&mut self.catalog.products);
        if let Some((from, into)) = merged.first() {
            self.report.warnings.push(format!(
                "{} category name(s) differing from another only in case were merged into it (e.g. '{from}' into '{into}')",
                merged.len()
            ));
        }
        (self.catalog, self.report)
    }
}

/// One category per name whatever its case: "Water Bottle" and "Water bottle" under the same
/// parent are one shelf, spelled as most of its products spell it (the first seen on a tie).
/// Returns each merged spelling with the one it was merged into.
fn fold_category_case(products: &mut [Product]) -> Vec<(String, String)> {
    // (parent path and segment in lower case) -> spellings with their counts, in first-seen
    // order.
    let mut spellings: HashMap<Vec<String>, Vec<(String, usize)>> = HashMap::new();
    for p in products.iter() {
        for depth in 0..p.category_path.len() {
            let key: Vec<String> = p.category_path[..=depth]
                .iter()
                .map(|s| s.to_lowercase())
                .collect();
            let seen = spellings.entry(key).or_default();
            let segment = &p.category_path[depth];
            match seen.iter_mut().find(|(s, _)| s == segment) {
                Some((_, n)) => *n += 1,
                None => seen.push((segment.clone(), 1)),
            }
        }
    }
    let mut merged = Vec::new();
    let mut canonical: HashMap<Vec<String>, String> = HashMap::new();
    for (key, seen) in spellings {
        if seen.len() < 2 {
            continue;
        }
        let best = seen
            .iter()
            .enumerate()
            .max_by_key(|(i, (_, n))| (*n, std::cmp::Reverse(*i)))
            .map(|(_, (s, _))| s.clone())
            .unwrap_or_default();
        for (s, _) in &seen {
            if *s != best {
                merged.push((s.clone(), best.clone()));
            }
        }
        canonical.insert(key, best);
    }
    if canonical.is_empty() {
        return merged;
    }
    for p in products.iter_mut() {
        let mut key = Vec::with_capacity(p.category_path.len());
        for segment in p.category_path.iter_mut() {
            key.push(segment.to_lowercase());
            if let Some(best) = canonical.get(&key) {
                segment.clone_from(best);
            }
        }
    }
    merged.sort();
    merged
}

/// Reads catalog files (products, reviews, orders) into one catalog.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<(Catalog, LoadReport)> {
    let mut builder = CatalogBuilder::new();
    for path in paths {
        builder.add_file(path, options)?;
    }
    Ok(builder.finish())
}

/// Writes products as canonical JSONL, one product per line.
pub fn write_jsonl<W: std::io::Write>(mut out: W, products: &[Product]) -> std::io::Result<()> {
    for p in products {
        serde_json::to_writer(&mut out, p)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_kind_drops_quoted_values() {
        let r = Rejection {
            file: "p.jsonl".into(),
            line: 812,
            reason: "price '₹abc' is not a number".into(),
        };
        assert_eq!(r.to_string(), "p.jsonl:812: price '₹abc' is not a number");
        assert_eq!(r.kind(), "price '…' is not a number");
    }

    #[test]
    fn category_names_differing_in_case_are_one_shelf() {
        let mut b = CatalogBuilder::new();
        for (i, path) in [
            ["Sports", "Water bottle"],
            ["Sports", "Water Bottle"],
            ["sports", "Water bottle"],
            ["Sports", "Tent"],
        ]
        .iter()
        .enumerate()
        {
            let mut p = Product::new(format!("p{i}"), "Bottle");
            p.category_path = path.iter().map(|s| s.to_string()).collect();
            b.push(Record::Product(Box::new(p)), "f", i as u64 + 1);
        }
        let (catalog, report) = b.finish();
        let paths: Vec<String> = catalog
            .products
            .iter()
            .map(|p| p.category_path.join(" > "))
            .collect();
        assert_eq!(
            paths,
            [
                "Sports > Water bottle",
                "Sports > Water bottle",
                "Sports > Water bottle",
                "Sports > Tent"
            ]
        );
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("'Water Bottle' into 'Water bottle'"))
        );
    }

    #[test]
    fn last_duplicate_wins_and_reviews_attach_in_any_order() {
        let mut b = CatalogBuilder::new();
        b.push(
            Record::Review {
                product_id: "a".into(),
                review: Review {
                    text: "early".into(),
                    ..Review::default()
                },
            },
            "f",
            1,
        );
        b.push(Record::Product(Box::new(Product::new("a", "Old"))), "f", 2);
        b.push(Record::Product(Box::new(Product::new("b", "B"))), "f", 3);
        b.push(Record::Product(Box::new(Product::new("a", "New"))), "f", 4);
        b.push(Record::Delete("b".into()), "f", 5);
        let (catalog, report) = b.finish();
        assert_eq!(catalog.products.len(), 1);
        assert_eq!(catalog.products[0].title, "New");
        assert_eq!(catalog.deleted, vec!["b".to_string()]);
        assert_eq!(report.warnings.len(), 1);
        assert!(report.warnings[0].contains("f:4: duplicate product id 'a'"));
    }
}
