//! Recommendations: "the customer has these products in front of them: what else should they
//! buy (cross-sell), and what should they buy instead (upsell)?"
//!
//! Cross-sell blends signals ([`signals`]: co-purchase, category complementarity, content,
//! popularity) learned from baskets at index time ([`stats`]), keeps only other categories and
//! no substitutes, and diversifies. Upsell looks in the anchor's own category for pricier,
//! not-worse-rated products within a price band, ranked by likelihood times price uplift. Every
//! suggestion carries its evidence and one sentence built from it ([`reason`]).

pub mod als;
pub mod complements;
mod cross_sell;
pub mod eval;
pub mod feedback;
mod online;
pub mod personal;
pub mod product_types;
pub mod reason;
pub mod signals;
pub mod stats;
mod upsell;

use std::str::FromStr;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::catalog::{Money, Product, ProductView};
use crate::embed::Embedder;
use crate::search::{ProductIndex, dot_f32};

pub use online::{AbConfig, ArmConfig, OnlineSnapshot};
pub use reason::Reason;
pub use stats::{BasketStats, LearnOptions, Leaves, STATS_FILE};

/// Errors from recommending.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An anchor id is not in the catalog.
    #[error("no product with id '{0}' in the catalog")]
    UnknownProduct(String),
    /// The request cannot be served as asked.
    #[error("{0}")]
    InvalidRequest(String),
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The feedback event log could not be read or written.
    #[error(transparent)]
    Feedback(#[from] feedback::Error),
    /// The stored review analysis is damaged.
    #[error(transparent)]
    Reviews(#[from] crate::reviews::Error),
    /// The complement map cannot be read.
    #[error(transparent)]
    Complements(#[from] complements::Error),
    /// Embedding category and type names failed.
    #[error("embedding category and type names: {0}")]
    Embed(#[from] crate::embed::Error),
    /// The statistics file is damaged or made for another catalog.
    #[error("statistics {path}: {reason}")]
    BadStats {
        /// File.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias for recommendations.
pub type Result<T> = std::result::Result<T, Error>;

/// Weight of each signal in the cross-sell blend (0 switches a signal off). The blend ranks by
/// `exp(sum of weight x log-evidence)`: see [`signals`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Base rate: log P(candidate in a basket).
    pub popularity: f32,
    /// Item-to-item co-purchase: shrunk log lift given the anchor.
    pub copurchase: f32,
    /// Category complementarity: shrunk log lift of the candidate's category given the anchor's.
    pub category: f32,
    /// Embedding similarity (cosine).
    pub content: f32,
    /// Implicit-feedback factor similarity (cosine), when factors were trained.
    pub als: f32,
    /// The complement map and "made for" words: a prior log lift that fades as the anchor's
    /// category gathers baskets (see [`signals::Complements`]).
    pub complements: f32,
    /// The customer's own history mixed into the basket evidence (see
    /// [`signals::Personal`]); nothing without a customer.
    pub personal: f32,
}

impl Default for Weights {
    fn default() -> Weights {
        // Tuned on a validation split of Instacart's training customers (`shopclerk eval
        // cross-sell --tune`, protocol anchor for the shop-wide weights, next-basket for the
        // customer's own history); see the README.
        Weights {
            popularity: 1.5,
            copurchase: 0.5,
            category: 1.5,
            content: 2.0,
            als: 0.0,
            complements: 1.0,
            personal: 1.0,
        }
    }
}

/// Recommendation settings (`[recommend]` in `shopclerk.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecommendConfig {
    /// Signal weights of the cross-sell blend.
    pub weights: Weights,
    /// Category depth at which a cross-sell must differ from its anchors: 0 means the leaf
    /// category, 1 the top level (a department), 2 the level below it.
    pub cross_sell_depth: usize,
    /// Cross-sell suggestions allowed from one leaf category in one list.
    pub max_per_leaf: usize,
    /// Embedding similarity at or above which two products (or the mean embeddings of their
    /// leaf categories) count as substitutes.
    pub substitute_similarity: f32,
    /// The same for products in sibling leaf categories (same parent category).
    pub sibling_substitute_similarity: f32,
    /// Pseudo-baskets of shrinkage of an anchor's item-to-item evidence towards its
    /// category-level prior (`m` in [`signals::Context`]): an anchor in fewer baskets than
    /// this scores mostly like its category.
    pub shrinkage: f32,
    /// Pseudo-baskets of shrinkage of category-to-category evidence towards the base rate
    /// (`m_c` in [`signals::Context`]).
    pub category_shrinkage: f32,
    /// Weight of each of a customer's orders relative to the one after it (recency).
    pub personal_decay: f32,
    /// Orders at which a customer's own history counts as much as the shop's ranking: the
    /// `k` of their share `W / (W + k)` of the mixture, `W` their effective orders.
    pub personal_prior: f32,
    /// Pseudo-orders of shrinkage of a customer's usual companions of the anchor towards
    /// what they buy in general (`m_u` in [`signals::Personal`]).
    pub personal_shrinkage: f32,
    /// Weight of each earlier session item relative to the one after it.
    pub recency_decay: f32,
    /// Upsell price cap as a multiple of the anchor's price.
    pub upsell_max_ratio: f64,
    /// Upsell price cap as a multiple of the customer's budget, when they stated one.
    pub upsell_budget_ratio: f64,
    /// How much higher than the anchor's an upsell's rating must be to count as better rated
    /// (it is never lower).
    pub upsell_rating_margin: f32,
    /// Ratings an upsell needs for its rating to count.
    pub upsell_min_ratings: u64,
    /// Products a leaf category needs before upsell also looks in the nearest category.
    pub upsell_min_peers: usize,
    /// The product-type complement map (`data/complements.txt`: its format and provenance
    /// are in its header); an empty path means none, and cross-sell then rests on orders
    /// alone.
    pub complements: std::path::PathBuf,
    /// A/B test of blend weights.
    pub ab: AbConfig,
}

impl Default for RecommendConfig {
    fn default() -> RecommendConfig {
        RecommendConfig {
            weights: Weights::default(),
            cross_sell_depth: 0,
            max_per_leaf: 2,
            substitute_similarity: 0.85,
            sibling_substitute_similarity: 0.6,
            shrinkage: 20.0,
            category_shrinkage: 100.0,
            personal_decay: 0.9,
            personal_prior: 0.5,
            personal_shrinkage: 20.0,
            recency_decay: 0.7,
            upsell_max_ratio: 2.0,
            upsell_budget_ratio: 1.25,
            upsell_rating_margin: 0.2,
            upsell_min_ratings: 10,
            upsell_min_peers: 4,
            complements: "data/complements.txt".into(),
            ab: AbConfig::default(),
        }
    }
}

/// Which suggestions to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Complements from other categories.
    Cross,
    /// Better, pricier products in the same category.
    Up,
    /// Both lists.
    Both,
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Kind, String> {
        match s {
            "cross" | "cross-sell" | "cross_sell" => Ok(Kind::Cross),
            "up" | "upsell" => Ok(Kind::Up),
            "both" => Ok(Kind::Both),
            _ => Err(format!("kind '{s}': expected cross, up or both")),
        }
    }
}

/// A request for suggestions.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Anchor product ids, oldest first (cart, viewed, just bought); later ones weigh more.
    /// Upsell is for the last one.
    pub anchors: Vec<String>,
    /// Which lists.
    pub kind: Kind,
    /// Suggestions per list.
    pub limit: usize,
    /// The customer's stated budget, which caps upsell prices.
    pub budget: Option<Money>,
    /// Sizes the customer asked for ("around 43 inch"), which bound upsell as the budget bounds
    /// its price: a 55-inch TV is another purchase, not a better 43-inch one.
    pub specs: Vec<crate::understand::SpecWant>,
    /// Products not to suggest (declined, already shown).
    pub exclude: Vec<String>,
    /// Blend weights for this request instead of the configured ones (evaluation).
    pub weights: Option<Weights>,
    /// The customer's session: picks its A/B arm.
    pub session: Option<String>,
    /// The returning customer, whose purchase history ([`Recommender::customer_profile`])
    /// joins the cross-sell blend.
    pub customer: Option<String>,
}

impl Request {
    /// Both lists of `limit` suggestions for `anchors`.
    pub fn new(anchors: Vec<String>, limit: usize) -> Request {
        Request {
            anchors,
            kind: Kind::Both,
            limit,
            budget: None,
            specs: Vec::new(),
            exclude: Vec::new(),
            weights: None,
            session: None,
            customer: None,
        }
    }
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The product, as every surface shows it.
    #[serde(flatten)]
    pub product: ProductView,
    /// Rank score; higher is better; comparable within one list.
    pub score: f32,
    /// Evidence and sentence.
    pub reason: Reason,
    /// Id of the product it was suggested for: the upsell's anchor, or the anchor a
    /// cross-sell's reason speaks of. Impressions and clicks are learned under this pair.
    pub anchor: String,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    /// The anchors as understood.
    pub anchors: Vec<ProductView>,
    /// Complements from other categories, best first.
    pub cross_sell: Vec<Suggestion>,
    /// Better products in the same category, best first.
    pub upsell: Vec<Suggestion>,
    /// The A/B arm that made the lists: record it with their impressions and clicks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
}

/// The catalog as recommendation needs it: products, vectors, and category structure.
#[derive(Clone)]
pub struct Catalog {
    /// The product index (products by row, embedding matrix).
    pub index: Arc<ProductIndex>,
    /// Each row's leaf category.
    pub leaves: Leaves,
    /// Each row's cross-sell group (category prefix at the configured depth).
    group_of: Vec<u32>,
    /// Rows of each leaf category.
    leaf_rows: Vec<Vec<u32>>,
    /// Mean embedding of each leaf category, normalised.
    leaf_centroids: Vec<Vec<f32>>,
    /// Their pairwise similarities, row-major, when there are few enough leaves to keep them:
    /// substitute checks run for every candidate of every request.
    leaf_similarities: Option<Vec<f32>>,
}

/// Leaf categories up to which pairwise similarities are precomputed (16 MiB at most).
const LEAF_TABLE_MAX: usize = 2048;

impl Catalog {
    /// Derives the category structure of `index`, with cross-sell groups at `depth`.
    pub fn new(index: Arc<ProductIndex>, depth: usize) -> Catalog {
        let products = index.products();
        let leaves = Leaves::of(products);
        let mut groups: std::collections::HashMap<&[String], u32> = Default::default();
        let mut next = 0u32;
        let group_of = products
            .iter()
            .map(|p| {
                // A product without a category is its own group: nothing is known to be like it.
                let prefix = match depth {
                    0 => p.category_path.as_slice(),
                    d => &p.category_path[..d.min(p.category_path.len())],
                };
                if prefix.is_empty() {
                    next += 1;
                    return next - 1;
                }
                *groups.entry(prefix).or_insert_with(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let mut leaf_rows = vec![Vec::new(); leaves.paths.len()];
        for row in 0..products.len() {
            if let Some(l) = leaves.get(row) {
                leaf_rows[l as usize].push(row as u32);
            }
        }
        let vectors = index.vectors();
        let leaf_centroids = leaf_rows
            .iter()
            .map(|rows| {
                let mut c = vec![0f32; vectors.dim()];
                for &r in rows {
                    if (r as usize) < vectors.rows() {
                        for (x, v) in c.iter_mut().zip(vectors.row(r as usize)) {
                            *x += v;
                        }
                    }
                }
                let norm = c.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
                c.iter_mut().for_each(|x| *x /= norm);
                c
            })
            .collect::<Vec<Vec<f32>>>();
        let n = leaf_centroids.len();
        let leaf_similarities = (n <= LEAF_TABLE_MAX).then(|| {
            let mut table = vec![0f32; n * n];
            for x in 0..n {
                for y in x..n {
                    let s = dot_f32(&leaf_centroids[x], &leaf_centroids[y]);
                    table[x * n + y] = s;
                    table[y * n + x] = s;
                }
            }
            table
        });
        Catalog {
            index,
            leaves,
            group_of,
            leaf_rows,
            leaf_centroids,
            leaf_similarities,
        }
    }

    /// Products by row.
    pub fn products(&self) -> &[Product] {
        self.index.products()
    }

    /// Rows of a leaf category.
    pub fn leaf_rows(&self, leaf: u32) -> &[u32] {
        self.leaf_rows.get(leaf as usize).map_or(&[], Vec::as_slice)
    }

    /// Cosine similarity of two products' embeddings.
    pub fn similarity(&self, a: u32, b: u32) -> f32 {
        let v = self.index.vectors();
        if (a as usize) < v.rows() && (b as usize) < v.rows() {
            v.score(v.row(a as usize), b as usize)
        } else {
            0.0
        }
    }

    /// A row's cross-sell group.
    pub fn group(&self, row: u32) -> Option<u32> {
        self.group_of.get(row as usize).copied()
    }

    /// Whether two rows are in the same cross-sell group.
    pub fn same_group(&self, a: u32, b: u32) -> bool {
        self.group_of.get(a as usize) == self.group_of.get(b as usize)
    }

    /// Whether two rows are substitutes: their embeddings, or the mean embeddings of their leaf
    /// categories ("Electric Kettles" and "Kettle & Toaster Sets"), are at least `threshold`
    /// alike; or they sit in sibling leaf categories ("SD Cards" and "microSD Cards" under
    /// "Memory Cards") and are at least `sibling_threshold` alike.
    pub fn substitutes(&self, a: u32, b: u32, threshold: f32, sibling_threshold: f32) -> bool {
        let similarity = self.similarity(a, b);
        if similarity >= threshold {
            return true;
        }
        if let (Some(x), Some(y)) = (self.leaves.get(a as usize), self.leaves.get(b as usize))
            && x != y
            && self.leaf_similarity(x, y) >= threshold
        {
            return true;
        }
        let products = self.products();
        let parent = |r: u32| {
            products
                .get(r as usize)
                .map(|p| &p.category_path[..p.category_path.len().saturating_sub(1)])
                .filter(|p| !p.is_empty())
        };
        similarity >= sibling_threshold && parent(a).is_some() && parent(a) == parent(b)
    }

    /// Cosine similarity of two leaf categories' mean embeddings.
    fn leaf_similarity(&self, x: u32, y: u32) -> f32 {
        let n = self.leaf_centroids.len();
        match &self.leaf_similarities {
            Some(table) => table[x as usize * n + y as usize],
            None => dot_f32(
                &self.leaf_centroids[x as usize],
                &self.leaf_centroids[y as usize],
            ),
        }
    }

    /// Per row: whether it is outside `anchor`'s cross-sell group.
    fn other_group_mask(&self, anchor: u32) -> Vec<bool> {
        let g = self.group_of.get(anchor as usize).copied();
        self.group_of.iter().map(|&x| Some(x) != g).collect()
    }

    /// The leaf categories nearest to `leaf` by centroid, nearest first (excluding itself).
    fn nearest_leaves(&self, leaf: u32, n: usize) -> Vec<(u32, f32)> {
        let Some(c) = self.leaf_centroids.get(leaf as usize) else {
            return Vec::new();
        };
        let mut scored: Vec<(u32, f32)> = self
            .leaf_centroids
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != leaf as usize)
            .map(|(i, o)| (i as u32, dot_f32(c, o)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.truncate(n);
        scored
    }

    /// The leaf name of a row (last path element), or "" when it has none.
    pub fn leaf_name(&self, row: u32) -> &str {
        self.products()
            .get(row as usize)
            .and_then(|p| p.leaf_category())
            .unwrap_or("")
    }
}

/// Best sellers, derived from the basket statistics.
#[derive(Debug, Clone, Default)]
pub struct Popular {
    global: Vec<u32>,
    by_leaf: Vec<Vec<u32>>,
    leaf_purchases: Vec<u32>,
}

/// Best sellers kept per leaf category and overall.
const BEST_SELLERS: usize = 32;
const GLOBAL_BEST_SELLERS: usize = 256;

impl Popular {
    /// Ranks products by baskets, overall and per leaf.
    pub fn of(catalog: &Catalog, stats: &BasketStats) -> Popular {
        let count = |r: u32| stats.item_counts.get(r as usize).copied().unwrap_or(0);
        let top = |rows: &mut Vec<u32>, n: usize| {
            rows.retain(|&r| count(r) > 0);
            rows.sort_by(|&a, &b| count(b).cmp(&count(a)).then(a.cmp(&b)));
            rows.truncate(n);
        };
        let mut global: Vec<u32> = (0..stats.item_counts.len() as u32).collect();
        top(&mut global, GLOBAL_BEST_SELLERS);
        let mut by_leaf = Vec::with_capacity(catalog.leaf_rows.len());
        let mut leaf_purchases = Vec::with_capacity(catalog.leaf_rows.len());
        for rows in &catalog.leaf_rows {
            leaf_purchases.push(rows.iter().map(|&r| count(r)).sum());
            let mut rows = rows.clone();
            top(&mut rows, BEST_SELLERS);
            by_leaf.push(rows);
        }
        Popular {
            global,
            by_leaf,
            leaf_purchases,
        }
    }

    /// Updates the lists after one more purchase of `row` (already counted in `stats`): only
    /// that product's count rose, so only it can enter or move up a list.
    fn bump(&mut self, catalog: &Catalog, stats: &BasketStats, row: u32) {
        let count =
            |r: &u32| std::cmp::Reverse(stats.item_counts.get(*r as usize).copied().unwrap_or(0));
        let place = |list: &mut Vec<u32>, keep: usize| {
            if !list.contains(&row) {
                list.push(row);
            }
            list.sort_by_key(|r| (count(r), *r));
            list.truncate(keep);
        };
        place(&mut self.global, GLOBAL_BEST_SELLERS);
        if let Some(leaf) = catalog.leaves.get(row as usize) {
            if let Some(list) = self.by_leaf.get_mut(leaf as usize) {
                place(list, BEST_SELLERS);
            }
            if let Some(n) = self.leaf_purchases.get_mut(leaf as usize) {
                *n += 1;
            }
        }
    }

    /// Best sellers overall, best first.
    pub fn global(&self) -> &[u32] {
        &self.global
    }

    /// Best sellers of a leaf category, best first.
    pub fn best_sellers(&self, leaf: u32) -> &[u32] {
        self.by_leaf.get(leaf as usize).map_or(&[], Vec::as_slice)
    }

    /// Purchases of all products of a leaf category.
    pub fn leaf_purchases(&self, leaf: u32) -> u32 {
        self.leaf_purchases.get(leaf as usize).copied().unwrap_or(0)
    }
}

/// Statistics and what is derived from them, swapped together on online updates.
struct Learned {
    stats: BasketStats,
    popular: Popular,
    als: Option<als::AlsModel>,
}

/// One customer's orders as product rows, oldest first, and the id of the latest (purchases
/// under the same id join it).
#[derive(Debug, Clone, Default)]
struct History {
    orders: Vec<Vec<u32>>,
    latest: Option<String>,
}

/// Review analysis by product id.
pub type Reviews = std::collections::HashMap<String, crate::reviews::ReviewSummary>;

/// Cross-sell and upsell over one index.
pub struct Recommender {
    catalog: Catalog,
    config: RecommendConfig,
    learned: RwLock<Learned>,
    online: RwLock<online::Online>,
    arms: Option<feedback::ArmAssigner>,
    /// Review analysis by product id (upsell evidence); empty without one.
    reviews: RwLock<Arc<Reviews>>,
    /// The complement map laid over the catalog.
    types: product_types::ProductTypes,
    /// Purchase histories of returning customers by id.
    customers: RwLock<std::collections::HashMap<String, History>>,
}

impl std::fmt::Debug for Recommender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recommender")
            .field("products", &self.catalog.products().len())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Recommender {
    /// A recommender over `index` with basket statistics `stats`, its complement map laid
    /// over the catalog with `embedder` (the index's).
    ///
    /// # Errors
    /// A bad A/B setup, an unreadable complement map, or the embedder failing.
    pub fn new(
        index: Arc<ProductIndex>,
        stats: BasketStats,
        config: RecommendConfig,
        embedder: &dyn Embedder,
    ) -> Result<Recommender> {
        let catalog = Catalog::new(index, config.cross_sell_depth);
        Recommender::with_catalog(catalog, Some(stats), config, embedder)
    }

    /// A recommender over `index` with the statistics stored in its generation (none when the
    /// index was built without orders) and its complement map laid over the catalog with
    /// `embedder` (the index's).
    ///
    /// # Errors
    /// Damaged statistics or review analysis, a bad A/B setup, an unreadable complement map,
    /// or the embedder failing.
    pub fn open(
        index: Arc<ProductIndex>,
        config: RecommendConfig,
        embedder: &dyn Embedder,
    ) -> Result<Recommender> {
        let catalog = Catalog::new(index, config.cross_sell_depth);
        let path = catalog.index.generation_dir().join(STATS_FILE);
        let stats = if path.exists() {
            let (rows, leaves) = (catalog.products().len(), catalog.leaves.paths.len());
            Some(BasketStats::read(&path, rows, leaves)?)
        } else {
            None
        };
        let reviews_path = catalog
            .index
            .generation_dir()
            .join(crate::reviews::REVIEWS_FILE);
        let reviews = if reviews_path.exists() {
            crate::reviews::read(&reviews_path)?
        } else {
            Vec::new()
        };
        let orders = catalog.index.orders().unwrap_or_else(|e| {
            tracing::warn!("customer histories: {e}");
            Vec::new()
        });
        let recommender = Recommender::with_catalog(catalog, stats, config, embedder)?;
        recommender.set_reviews(reviews);
        recommender.set_customer_orders(&orders);
        Ok(recommender)
    }

    fn with_catalog(
        catalog: Catalog,
        stats: Option<BasketStats>,
        config: RecommendConfig,
        embedder: &dyn Embedder,
    ) -> Result<Recommender> {
        let arms = Recommender::assigner(&config.ab)?;
        let map = if config.complements.as_os_str().is_empty() {
            complements::ComplementMap::default()
        } else {
            complements::ComplementMap::load(&config.complements)?
        };
        let types = product_types::ProductTypes::build(
            &map,
            catalog.products(),
            &catalog.leaves,
            embedder,
        )?;
        let rows = catalog.products().len();
        // Statistics for another catalog are worse than none.
        let stats = stats
            .filter(|s| s.item_counts.len() == rows)
            .unwrap_or_else(|| {
                BasketStats::learn(rows, &catalog.leaves, &[], &LearnOptions::default())
            });
        Ok(Recommender::assemble(catalog, config, stats, arms, types))
    }

    /// A recommender from its parts, with nothing learned online yet.
    fn assemble(
        catalog: Catalog,
        config: RecommendConfig,
        stats: BasketStats,
        arms: Option<feedback::ArmAssigner>,
        types: product_types::ProductTypes,
    ) -> Recommender {
        let popular = Popular::of(&catalog, &stats);
        Recommender {
            catalog,
            config,
            learned: RwLock::new(Learned {
                stats,
                popular,
                als: None,
            }),
            online: Default::default(),
            arms,
            reviews: Default::default(),
            types,
            customers: Default::default(),
        }
    }

    /// The same catalog and complement map with other basket statistics and settings (a
    /// cheap copy: evaluation tries many settings and splits).
    ///
    /// # Errors
    /// A bad A/B setup.
    pub fn variant(&self, stats: BasketStats, config: RecommendConfig) -> Result<Recommender> {
        let catalog = if config.cross_sell_depth == self.config.cross_sell_depth {
            self.catalog.clone()
        } else {
            Catalog::new(self.catalog.index.clone(), config.cross_sell_depth)
        };
        let arms = Recommender::assigner(&config.ab)?;
        let recommender = Recommender::assemble(catalog, config, stats, arms, self.types.clone());
        recommender.set_reviews_map(self.reviews());
        *recommender
            .customers
            .write()
            .unwrap_or_else(|e| e.into_inner()) = self
            .customers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(recommender)
    }

    /// Replaces the purchase histories with those of `orders` that name a customer: each
    /// customer's orders as product rows, ordered by their sequence number where the source
    /// gives one, else as listed. Unknown product ids are skipped.
    pub fn set_customer_orders(&self, orders: &[crate::catalog::Order]) {
        let row_of = |id: &str| self.catalog.index.row_of(id);
        let baskets = stats::baskets_of(orders, &row_of);
        let histories = stats::orders_by_customer(orders)
            .into_iter()
            .filter_map(|(c, list)| {
                let list: Vec<usize> = list
                    .into_iter()
                    .filter(|&i| !baskets[i].is_empty())
                    .collect();
                let latest = Some(orders[*list.last()?].order_id.clone());
                let kept = list.iter().map(|&i| baskets[i].clone()).collect();
                Some((
                    c.to_string(),
                    History {
                        orders: kept,
                        latest,
                    },
                ))
            })
            .collect();
        *self.customers.write().unwrap_or_else(|e| e.into_inner()) = histories;
    }

    /// Adds products `customer` bought (ids; unknown ones skipped) to their history: to their
    /// latest order when it has the id `order` (a session's purchases are one order), else as
    /// a new latest order.
    pub fn record_order(&self, customer: &str, order: &str, items: &[String]) {
        let mut rows: Vec<u32> = Vec::with_capacity(items.len());
        for id in items {
            if let Some(r) = self.catalog.index.row_of(id)
                && !rows.contains(&(r as u32))
            {
                rows.push(r as u32);
            }
        }
        if rows.is_empty() {
            return;
        }
        let mut customers = self.customers.write().unwrap_or_else(|e| e.into_inner());
        let history = customers.entry(customer.to_string()).or_default();
        match history.orders.last_mut() {
            Some(latest) if history.latest.as_deref() == Some(order) => {
                for r in rows {
                    if !latest.contains(&r) {
                        latest.push(r);
                    }
                }
            }
            _ => {
                history.orders.push(rows);
                history.latest = Some(order.to_string());
            }
        }
        let excess = history.orders.len().saturating_sub(personal::MAX_ORDERS);
        history.orders.drain(..excess);
    }

    /// Applies what a session store keeps about customers: forgets the `erased` ones (their
    /// rows of the index's orders file too), then adds the stored `orders` (purchases in
    /// sessions, one order per customer and session, oldest first). Returns the orders added.
    pub fn apply_customer_records(
        &self,
        erased: &[String],
        orders: &[crate::catalog::Order],
    ) -> usize {
        for customer in erased {
            self.forget_customer(customer);
        }
        let mut added = 0;
        for order in orders {
            if let Some(customer) = &order.customer_id {
                self.record_order(customer, &order.order_id, &order.items);
                added += 1;
            }
        }
        added
    }

    /// Forgets everything about `customer` (privacy erasure); true when there was a history.
    pub fn forget_customer(&self, customer: &str) -> bool {
        self.customers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(customer)
            .is_some()
    }

    /// The profile of `customer`'s purchase history, when they have one.
    pub fn customer_profile(&self, customer: &str) -> Option<personal::Profile> {
        let customers = self.customers.read().unwrap_or_else(|e| e.into_inner());
        let history = customers.get(customer)?;
        Some(personal::Profile::new(
            &history.orders,
            self.config.personal_decay,
            &self.catalog.leaves,
        ))
    }

    /// Uses this review analysis as upsell evidence ("reviews praise its battery life").
    pub fn set_reviews(&self, summaries: Vec<crate::reviews::ReviewSummary>) {
        let map = summaries
            .into_iter()
            .map(|s| (s.product_id.clone(), s))
            .collect();
        self.set_reviews_map(Arc::new(map));
    }

    fn set_reviews_map(&self, reviews: Arc<Reviews>) {
        *self.reviews.write().unwrap_or_else(|e| e.into_inner()) = reviews;
    }

    /// The review analysis in use (empty when the index has none and none was set).
    pub fn reviews(&self) -> Arc<Reviews> {
        self.reviews
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Adds implicit-feedback item factors (rows aligned with the catalog) to the blend.
    pub fn set_factors(&self, model: als::AlsModel) {
        self.learned.write().unwrap_or_else(|e| e.into_inner()).als = Some(model);
    }

    /// The complement map laid over the catalog: product types, their complements and
    /// substitutes, what products are made for.
    pub fn product_types(&self) -> &product_types::ProductTypes {
        &self.types
    }

    /// The settings in use.
    pub fn config(&self) -> &RecommendConfig {
        &self.config
    }

    /// The catalog view.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Baskets the statistics were learned from (offline plus online).
    pub fn baskets(&self) -> u32 {
        self.read().stats.baskets
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Learned> {
        // A panic during an online update leaves counts at most one basket off: still
        // sound statistics, so a poisoned lock is read rather than failing every request.
        self.learned.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Suggestions for a request.
    pub fn recommend(&self, request: &Request) -> Result<Recommendations> {
        if request.anchors.is_empty() {
            return Err(Error::InvalidRequest("no anchor products given".into()));
        }
        let mut anchors = Vec::with_capacity(request.anchors.len());
        for id in &request.anchors {
            let row = self
                .catalog
                .index
                .row_of(id)
                .ok_or_else(|| Error::UnknownProduct(id.clone()))?;
            if !anchors.contains(&(row as u32)) {
                anchors.push(row as u32);
            }
        }
        let exclude: Vec<u32> = request
            .exclude
            .iter()
            .filter_map(|id| self.catalog.index.row_of(id))
            .map(|r| r as u32)
            .collect();
        let mut out = Recommendations {
            anchors: anchors
                .iter()
                .map(|&r| ProductView::of(&self.catalog.products()[r as usize]))
                .collect(),
            ..Recommendations::default()
        };
        let (arm, arm_weights) = match &request.session {
            Some(s) => self.arm_for(s),
            None => (None, self.config.weights),
        };
        out.arm = arm;
        if matches!(request.kind, Kind::Cross | Kind::Both) {
            let weights = request.weights.unwrap_or(arm_weights);
            let profile = request
                .customer
                .as_deref()
                .and_then(|c| self.customer_profile(c));
            out.cross_sell = self.cross_sell(
                &anchors,
                &exclude,
                &weights,
                request.limit,
                profile.as_ref(),
            );
        }
        if matches!(request.kind, Kind::Up | Kind::Both)
            && let Some(&focus) = anchors.last()
        {
            out.upsell = self.upsell(
                focus,
                &exclude,
                request.budget,
                &request.specs,
                request.limit,
            );
        }
        Ok(out)
    }

    /// What the signals see: the catalog and the current statistics.
    fn context<'a>(
        &'a self,
        learned: &'a Learned,
        customer: Option<&'a personal::Profile>,
    ) -> signals::Context<'a> {
        signals::Context {
            catalog: &self.catalog,
            stats: &learned.stats,
            popular: &learned.popular,
            shrinkage: self.config.shrinkage,
            category_shrinkage: self.config.category_shrinkage,
            als: learned.als.as_ref(),
            types: &self.types,
            customer,
            personal_shrinkage: self.config.personal_shrinkage,
        }
    }

    fn suggestion(&self, row: u32, score: f32, reason: Reason, anchor: u32) -> Suggestion {
        let products = self.catalog.products();
        Suggestion {
            product: ProductView::of(&products[row as usize]),
            score,
            reason,
            anchor: products
                .get(anchor as usize)
                .map_or_else(String::new, |a| a.id.clone()),
        }
    }
}
