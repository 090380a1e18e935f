//! The signals a cross-sell blend is made of. Each proposes candidates for one anchor and scores
//! candidates for it as log-evidence; [`super::Weights`] says how much each counts.

use std::collections::HashMap;

use super::als::AlsModel;
use super::product_types::{Fit, ProductTypes};
use super::stats::BasketStats;
use super::{Catalog, Popular};

/// What a signal may look at while scoring one request.
pub struct Context<'a> {
    /// Products, vectors and per-category lists.
    pub catalog: &'a Catalog,
    /// Basket statistics (offline plus online).
    pub stats: &'a BasketStats,
    /// Best sellers derived from `stats`.
    pub popular: &'a Popular,
    /// Pseudo-baskets of shrinkage: how much evidence a lift needs before it moves a score.
    pub shrinkage: f32,
    /// Implicit-feedback factors, when trained.
    pub als: Option<&'a AlsModel>,
    /// The complement map over the catalog.
    pub types: &'a ProductTypes,
}

impl Context<'_> {
    fn item_count(&self, row: u32) -> f32 {
        self.stats
            .item_counts
            .get(row as usize)
            .copied()
            .unwrap_or(0) as f32
    }

    /// P(row in a basket), add-one smoothed so a product nobody bought yet is merely unlikely.
    fn probability(&self, row: u32) -> f32 {
        (self.item_count(row) + 1.0) / (self.stats.baskets as f32 + 1.0)
    }

    /// Baskets holding the anchor's leaf category.
    fn leaf_baskets(&self, anchor: u32) -> f32 {
        self.catalog
            .leaves
            .get(anchor as usize)
            .and_then(|l| self.stats.category_counts.get(l as usize))
            .copied()
            .unwrap_or(0) as f32
    }

    /// `observed` baskets against `expected` ones, shrunk towards 1 (no evidence either way).
    fn shrunk_log_lift(&self, observed: f32, expected: f32) -> f32 {
        ((observed + self.shrinkage) / (expected + self.shrinkage)).ln()
    }
}

/// One source of evidence that a product goes with an anchor product.
///
/// Scores are log-evidence: the blend adds them, weighted, and ranks by the exponential, so a
/// signal with nothing to say (0) leaves the others' ranking alone.
pub trait Signal: Send + Sync {
    /// Name used in configuration and reports.
    fn name(&self) -> &'static str;
    /// Adds candidate rows for `anchor` to `out`.
    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>);
    /// Whether proposing candidates scans the whole catalog: such a signal proposes only when
    /// the others came up short.
    fn scans(&self) -> bool {
        false
    }
    /// Writes this signal's log-evidence for each candidate given `anchor` into `out`.
    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]);
}

/// Popularity, the base rate: log P(candidate in a basket). Most of what a basket holds is
/// what every basket holds, so the other signals say how far this anchor moves that.
pub struct Popularity;

/// Best sellers a popularity signal proposes.
const POPULAR_CANDIDATES: usize = 200;

impl Signal for Popularity {
    fn name(&self) -> &'static str {
        "popularity"
    }

    fn candidates(&self, ctx: &Context<'_>, _anchor: u32, out: &mut Vec<u32>) {
        out.extend(ctx.popular.global().iter().take(POPULAR_CANDIDATES));
    }

    fn score(&self, ctx: &Context<'_>, _anchor: u32, candidates: &[u32], out: &mut [f32]) {
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = ctx.probability(c).ln();
        }
    }
}

/// Item-to-item co-purchase: log lift of the candidate in baskets holding the anchor, shrunk
/// (an anchor bought once says almost nothing). Directional through the base rate: a memory
/// card is far likelier than usual given a camera; a camera is barely likelier given a card.
pub struct CoPurchase;

impl Signal for CoPurchase {
    fn name(&self) -> &'static str {
        "copurchase"
    }

    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>) {
        out.extend(ctx.stats.items.of(anchor as usize).iter().map(|e| e.0));
    }

    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        let pairs: HashMap<u32, u32> = ctx.stats.items.of(anchor as usize).into_iter().collect();
        let n = ctx.item_count(anchor);
        for (c, o) in candidates.iter().zip(out.iter_mut()) {
            let both = pairs.get(c).copied().unwrap_or(0) as f32;
            *o = ctx.shrunk_log_lift(both, n * ctx.probability(*c));
        }
    }
}

/// Category complementarity: log lift of the candidate's category in baskets holding the
/// anchor's category. Needs no history of the anchor itself, so a new product still gets a
/// sensible cross-sell (cold start).
pub struct CategoryPairs;

/// Complementary categories whose best sellers become candidates.
const CATEGORY_FANOUT: usize = 16;
/// Best sellers taken from each complementary category.
const ITEMS_PER_CATEGORY: usize = 12;

impl CategoryPairs {
    /// Baskets holding both categories and the share of `from`'s baskets that is.
    pub fn pair(ctx: &Context<'_>, from: u32, to: u32) -> (u32, f32) {
        let both = ctx.stats.categories.count(from as usize, to);
        let n = ctx
            .stats
            .category_counts
            .get(from as usize)
            .copied()
            .unwrap_or(0);
        (both, both as f32 / n.max(1) as f32)
    }
}

impl Signal for CategoryPairs {
    fn name(&self) -> &'static str {
        "category"
    }

    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>) {
        let Some(leaf) = ctx.catalog.leaves.get(anchor as usize) else {
            return;
        };
        for (other, _) in ctx
            .stats
            .categories
            .of(leaf as usize)
            .into_iter()
            .take(CATEGORY_FANOUT)
        {
            out.extend(
                ctx.popular
                    .best_sellers(other)
                    .iter()
                    .take(ITEMS_PER_CATEGORY),
            );
        }
    }

    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        let Some(from) = ctx.catalog.leaves.get(anchor as usize) else {
            out.fill(0.0);
            return;
        };
        let pairs: HashMap<u32, u32> = ctx.stats.categories.of(from as usize).into_iter().collect();
        let counts = &ctx.stats.category_counts;
        let n_from = counts.get(from as usize).copied().unwrap_or(0) as f32;
        let baskets = ctx.stats.baskets.max(1) as f32;
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = match ctx.catalog.leaves.get(c as usize) {
                Some(to) => {
                    let both = pairs.get(&to).copied().unwrap_or(0) as f32;
                    let n_to = counts.get(to as usize).copied().unwrap_or(0) as f32;
                    ctx.shrunk_log_lift(both, n_from * n_to / baskets)
                }
                None => 0.0,
            };
        }
    }
}

/// Content: cosine similarity of the product embeddings (title, category, brand). It carries
/// taste across categories (organic milk, organic bananas) and, with no baskets at all, is
/// what relates a product to plausible complements.
pub struct Content;

/// Candidates a content scan proposes.
const CONTENT_CANDIDATES: usize = 64;

impl Signal for Content {
    fn name(&self) -> &'static str {
        "content"
    }

    fn scans(&self) -> bool {
        true
    }

    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>) {
        let vectors = ctx.catalog.index.vectors();
        if (anchor as usize) >= vectors.rows() {
            return;
        }
        let allowed = ctx.catalog.other_group_mask(anchor);
        let query = vectors.row(anchor as usize);
        out.extend(
            vectors
                .top_k(query, Some(&allowed), CONTENT_CANDIDATES)
                .into_iter()
                .map(|(r, _)| r as u32),
        );
    }

    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = ctx.catalog.similarity(anchor, c);
        }
    }
}

/// The complement map and "made for" words ([`ProductTypes`]): a prior that a product of a
/// complementary type goes with the anchor, for catalogs without orders (day one) and anchors
/// whose category has few. As a log lift: [`PAIR_LOG_LIFT`] for a pair the map lists,
/// [`MADE_FOR_LOG_LIFT`] for a product made for the anchor's type (twice that when it names
/// the anchor's brand), times `PRIOR_BASKETS / (PRIOR_BASKETS + baskets of the anchor's
/// category)`, so orders outweigh it as they arrive.
pub struct Complements;

/// Log lift of a pair the map lists (ln 8: a shopper who buys a TV is far likelier than
/// average to buy an HDMI cable).
pub const PAIR_LOG_LIFT: f32 = 2.08;
/// Log lift of a product made for the anchor's type (ln 4); doubled when it names the brand.
pub const MADE_FOR_LOG_LIFT: f32 = 1.39;
/// Baskets of the anchor's category at which the prior counts half.
pub const PRIOR_BASKETS: f32 = 50.0;
/// Products proposed per complementary type, most rated first.
const ITEMS_PER_TYPE: usize = 12;
/// Products proposed that are made for the anchor's type.
const MADE_FOR_CANDIDATES: usize = 24;

impl Complements {
    /// The prior's log lift for `candidate` given `anchor`, before fading.
    pub fn log_lift(ctx: &Context<'_>, anchor: u32, candidate: u32) -> f32 {
        match ctx.types.fit(anchor, candidate, ctx.catalog.products()) {
            Some(Fit::Paired(_)) => PAIR_LOG_LIFT,
            Some(Fit::MadeFor { brand, .. }) => MADE_FOR_LOG_LIFT * if brand { 2.0 } else { 1.0 },
            None => 0.0,
        }
    }
}

impl Signal for Complements {
    fn name(&self) -> &'static str {
        "complements"
    }

    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>) {
        for &(t, _) in ctx.types.complement_types(anchor) {
            out.extend(ctx.types.rows_of(t).iter().take(ITEMS_PER_TYPE));
        }
        if let Some(t) = ctx.types.type_of(anchor) {
            out.extend(ctx.types.rows_made_for(t).iter().take(MADE_FOR_CANDIDATES));
        }
    }

    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        let fade = PRIOR_BASKETS / (PRIOR_BASKETS + ctx.leaf_baskets(anchor));
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = Complements::log_lift(ctx, anchor, c) * fade;
        }
    }
}

/// Implicit-feedback matrix factorisation: cosine of the anchor's and the candidate's item
/// factors, learned from which customers bought what.
pub struct Factors;

impl Signal for Factors {
    fn name(&self) -> &'static str {
        "als"
    }

    fn candidates(&self, _ctx: &Context<'_>, _anchor: u32, _out: &mut Vec<u32>) {}

    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = ctx
                .als
                .map_or(0.0, |m| m.item_similarity(anchor as usize, c as usize));
        }
    }
}
