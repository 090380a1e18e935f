//! Search: "here is what a customer typed and the hard limits (category, price, rating, stock),
//! give me the best matching products."
//!
//! An index ([`ProductIndex`], built by [`build_index`]) holds the catalog, a tantivy BM25 index
//! and the product embedding matrix. [`HybridSearcher`] queries both retrievers with the filters
//! applied inside each of them, then fuses the two ranked lists ([`Fusion`]). The default fusion
//! was chosen by measurement (`shopclerk eval search`), not assumed.

mod bm25;
mod build;
mod categorise;
mod dense;
pub mod eval;
mod filter;
mod fusion;
mod query;
mod store;

use std::sync::Arc;

use crate::catalog::Product;
use crate::embed::Embedder;

pub use build::{BuildOptions, BuildReport, build_index, product_embedding_text};
pub use categorise::{
    PURPOSE_BOUNDARIES, before_purpose, categorise, head_words, kind_words, names_any,
    widen_to_kind,
};
pub use dense::VectorMatrix;
pub(crate) use dense::dot_f32;
pub use filter::Filter;
pub use fusion::Fusion;
pub use query::Compounds;
pub use store::{Manifest, ProductIndex, current_generation};

/// Errors from building or querying an index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// tantivy failed.
    #[error("text index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Reading or writing index files failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The index directory is missing, incomplete or from another version.
    #[error("index at {path}: {reason}")]
    BadIndex {
        /// Index directory.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Embedding failed.
    #[error(transparent)]
    Embed(#[from] crate::embed::Error),
    /// A filter names a category the catalog does not have, or a price range that is empty.
    #[error("{0}")]
    InvalidFilter(String),
}

/// Result alias for search.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// One product found for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Row of the product in the index's catalog.
    pub row: usize,
    /// Fused score; higher is better; comparable only within one result list.
    pub score: f32,
}

/// Hits fetched per product shown, so that folding colour and size variants still fills a
/// page.
pub const VARIANT_OVERFETCH: usize = 4;

/// What a shopper sees of ranked hits: product views in rank order, each model once (its
/// variants in `also_in`, [`crate::catalog::present::fold_variants`]), at most `limit`.
pub fn shown(index: &ProductIndex, hits: &[Hit], limit: usize) -> Vec<crate::catalog::ProductView> {
    let products = index.products();
    let mut views = crate::catalog::present::fold_variants(
        hits.iter()
            .filter_map(|h| {
                products
                    .get(h.row)
                    .map(|p| crate::catalog::ProductView::scored(p, h.score))
            })
            .collect(),
    );
    views.truncate(limit);
    views
}

/// Finds products for a query under hard filters.
pub trait Retriever: Send + Sync {
    /// The best `limit` products for `query` that pass `filter`, best first.
    fn retrieve(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<Hit>>;
}

/// BM25 and embedding retrieval over one index, fused.
pub struct HybridSearcher {
    index: Arc<ProductIndex>,
    embedder: Arc<dyn Embedder>,
    fusion: Fusion,
}

impl std::fmt::Debug for HybridSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HybridSearcher")
            .field("fusion", &self.fusion)
            .field("products", &self.index.products().len())
            .finish()
    }
}

/// Candidates each retriever contributes before fusion, at least.
const MIN_CANDIDATES: usize = 50;

impl HybridSearcher {
    /// A searcher over `index` that embeds queries with `embedder` (the model the index was built
    /// with: checked here).
    pub fn new(
        index: Arc<ProductIndex>,
        embedder: Arc<dyn Embedder>,
        fusion: Fusion,
    ) -> Result<HybridSearcher> {
        let manifest = index.manifest();
        if manifest.embedder != embedder.model_id() || manifest.dim != embedder.dim() {
            return Err(Error::BadIndex {
                path: index.dir().display().to_string(),
                reason: format!(
                    "built with embedder '{}' ({} dims) but queries would use '{}' ({} dims); rebuild the index or pass --embedder {}",
                    manifest.embedder,
                    manifest.dim,
                    embedder.model_id(),
                    embedder.dim(),
                    manifest.embedder
                ),
            });
        }
        Ok(HybridSearcher {
            index,
            embedder,
            fusion,
        })
    }

    /// The index searched.
    pub fn index(&self) -> &Arc<ProductIndex> {
        &self.index
    }

    /// The fusion used by [`Retriever::retrieve`].
    pub fn fusion(&self) -> Fusion {
        self.fusion
    }

    /// Embeds a query, in its canonical text ([`ProductIndex::normalize_query`]).
    pub fn embed_query(&self, query: &str) -> Result<Vec<f32>> {
        let mut v = self
            .embedder
            .embed(&[self.index.normalize_query(query).as_str()])?;
        Ok(v.pop().unwrap_or_default())
    }

    /// Searches with an already embedded query (so embedding cost can be measured apart) and an
    /// explicit fusion.
    pub fn search_embedded(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        filter: &Filter,
        limit: usize,
        fusion: Fusion,
    ) -> Result<Vec<Hit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let depth = (limit * 3).max(MIN_CANDIDATES);
        // The two retrievers are independent: run them side by side on rayon's pool.
        let (lexical, semantic) = rayon::join(
            || -> Result<Vec<(usize, f32)>> {
                if fusion.uses_bm25() {
                    self.index.bm25(query, filter, depth)
                } else {
                    Ok(Vec::new())
                }
            },
            || -> Result<Vec<(usize, f32)>> {
                match (fusion.uses_dense(), query_vector) {
                    (true, Some(v)) => {
                        let rows = self.index.allowed_rows(filter)?;
                        Ok(self.index.vectors().top_k(v, rows.as_deref(), depth))
                    }
                    _ => Ok(Vec::new()),
                }
            },
        );
        Ok(fusion.fuse(&lexical?, &semantic?, limit))
    }

    /// The product at a hit's row.
    pub fn product(&self, hit: &Hit) -> &Product {
        &self.index.products()[hit.row]
    }
}

impl Retriever for HybridSearcher {
    /// A query with no letter or digit (three quote marks, a dash) finds nothing.
    fn retrieve(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<Hit>> {
        if self.index.normalize_query(query).is_empty() {
            return Ok(Vec::new());
        }
        let vector = if self.fusion.uses_dense() {
            Some(self.embed_query(query)?)
        } else {
            None
        };
        self.search_embedded(query, vector.as_deref(), filter, limit, self.fusion)
    }
}
