//! The signals a cross-sell blend is made of. Each proposes candidates for one anchor and scores
//! candidates for it as log-evidence; [`super::Weights`] says how much each counts.

use std::collections::HashMap;

use super::als::AlsModel;
use super::personal::Profile;
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
    /// Pseudo-baskets of shrinkage of an anchor's item-to-item evidence towards its
    /// category-level prior: the `m` of `(c_ab + m P~(b|A)) / (c_a + m)`.
    pub shrinkage: f32,
    /// Pseudo-baskets of shrinkage of category-to-category evidence towards the base rate:
    /// the `m_c` of `(C_AB + m_c P(B)) / (C_A + m_c)`.
    pub category_shrinkage: f32,
    /// Implicit-feedback factors, when trained.
    pub als: Option<&'a AlsModel>,
    /// The complement map over the catalog.
    pub types: &'a ProductTypes,
    /// The customer's purchase history, when the request names a customer with one.
    pub customer: Option<&'a Profile>,
    /// Pseudo-orders of shrinkage of a customer's companions of the anchor towards their
    /// frequencies ([`Personal`]'s `m_u`).
    pub personal_shrinkage: f32,
}

/// The smoothed probabilities the basket signals are made of. With `N` baskets, `n_b`
/// holding product `b`, `C_B` holding a product of leaf category `B` and `C_AB` holding both
/// categories, `c_a` shoppers who bought `a` and `c_ab` shoppers who put `a` and `b` in one
/// basket (each shopper counted once, see [`BasketStats`]):
///
/// - `P(b) = (n_b + 1) / (N + 1)`, the base rate;
/// - `P(B) = (C_B + 1) / (N + 1)` and `P(b|B) = (n_b + 1) / (C_B + 2)`, popularity inside
///   the category;
/// - `P^(B|A) = (C_AB + m_c P(B)) / (C_A + m_c)`, category complementarity shrunk to the
///   base rate;
/// - `P~(b|A) = P^(B|A) P(b|B)`, the category-level prior of `b` given anchor `a`;
/// - `P^(b|a) = (c_ab + m P~(b|A)) / (c_a + m)`, item-to-item evidence shrunk to that prior.
///
/// So a rare anchor scores like its category's complements and a product without a category
/// like popularity, and `log P^(b|a) = log P(b) + log [P^(B|A) / P(B)] + log [P^(b|a) /
/// P~(b|A)]` (up to the smoothing, which makes `P(B) P(b|B)` about `P(b)`) is what
/// [`Popularity`], [`CategoryPairs`] and [`CoPurchase`] score: with weights 1, 1, 1 the blend
/// ranks by the smoothed conditional probability; a popularity weight `w` multiplies that by
/// `P(b)^(w - 1)` (RP3beta's `beta = 1 - w`, Paudel et al. 2017: above 1 favours best sellers).
/// The m-estimate is Cestnik's (1990).
impl Context<'_> {
    fn item_count(&self, row: u32) -> f32 {
        self.stats
            .item_counts
            .get(row as usize)
            .copied()
            .unwrap_or(0) as f32
    }

    /// `c_a`: customers who bought `row`.
    fn buyers(&self, row: u32) -> f32 {
        self.stats
            .item_buyers
            .get(row as usize)
            .copied()
            .unwrap_or(0) as f32
    }

    fn leaf(&self, row: u32) -> Option<u32> {
        self.catalog.leaves.get(row as usize)
    }

    /// `C_B`: baskets holding a product of leaf `leaf`.
    fn leaf_count(&self, leaf: u32) -> f32 {
        self.stats
            .category_counts
            .get(leaf as usize)
            .copied()
            .unwrap_or(0) as f32
    }

    fn baskets(&self) -> f32 {
        self.stats.baskets as f32
    }

    /// `P(b)`, add-one smoothed so a product nobody bought yet is merely unlikely.
    fn probability(&self, row: u32) -> f32 {
        (self.item_count(row) + 1.0) / (self.baskets() + 1.0)
    }

    /// `P(B)`.
    fn leaf_probability(&self, leaf: u32) -> f32 {
        (self.leaf_count(leaf) + 1.0) / (self.baskets() + 1.0)
    }

    /// `P^(B|A)` from `C_AB` (`both`).
    fn leaf_conditional(&self, from: u32, to: u32, both: f32) -> f32 {
        let m = self.category_shrinkage.max(1e-3);
        (both + m * self.leaf_probability(to)) / (self.leaf_count(from) + m)
    }

    /// `P~(b|A)`: the category-level prior of `b` given `anchor` (`P(b)` when either has no
    /// category), with `C_AB` looked up in `pairs` (the anchor leaf's category neighbours).
    fn category_prior(&self, anchor: u32, b: u32, pairs: &HashMap<u32, u32>) -> f32 {
        match (self.leaf(anchor), self.leaf(b)) {
            (Some(from), Some(to)) => {
                let both = pairs.get(&to).copied().unwrap_or(0) as f32;
                self.leaf_conditional(from, to, both) * self.within_leaf(b)
            }
            _ => self.probability(b),
        }
    }

    /// `P^(b|a)`, with `c_ab` looked up in `items` (the anchor's neighbours) and `C_AB` in
    /// `leaf_pairs`.
    fn conditional(
        &self,
        anchor: u32,
        b: u32,
        items: &HashMap<u32, u32>,
        leaf_pairs: &HashMap<u32, u32>,
    ) -> f32 {
        let both = items.get(&b).copied().unwrap_or(0) as f32;
        let m = self.shrinkage.max(1e-3);
        (both + m * self.category_prior(anchor, b, leaf_pairs)) / (self.buyers(anchor) + m)
    }

    /// `P(b|B)`, popularity inside `b`'s leaf category (`P(b)` without one).
    fn within_leaf(&self, b: u32) -> f32 {
        match self.leaf(b) {
            Some(l) => (self.item_count(b) + 1.0) / (self.leaf_count(l) + 2.0),
            None => self.probability(b),
        }
    }

    /// The anchor leaf's category neighbours with `C_AB`, empty without a category.
    fn leaf_pairs(&self, anchor: u32) -> HashMap<u32, u32> {
        self.leaf(anchor)
            .map(|l| self.stats.categories.of(l as usize).into_iter().collect())
            .unwrap_or_default()
    }

    /// Baskets holding the anchor's leaf category.
    fn leaf_baskets(&self, anchor: u32) -> f32 {
        self.leaf(anchor).map_or(0.0, |l| self.leaf_count(l))
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

/// Item-to-item co-purchase: `log [P^(b|a) / P~(b|A)]`, how far the baskets holding the
/// anchor itself move the candidate beyond what its category-level prior says (see
/// [`Context`]). An anchor bought a few times says little, so it stays near 0; one with no
/// baskets says nothing. Directional through the base rates: a memory card is far likelier
/// than usual given a camera; a camera is barely likelier given a card.
pub struct CoPurchase;

impl Signal for CoPurchase {
    fn name(&self) -> &'static str {
        "copurchase"
    }

    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>) {
        out.extend(ctx.stats.items.of(anchor as usize).iter().map(|e| e.0));
    }

    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        let items: HashMap<u32, u32> = ctx.stats.items.of(anchor as usize).into_iter().collect();
        let leaf_pairs = ctx.leaf_pairs(anchor);
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            let prior = ctx.category_prior(anchor, c, &leaf_pairs);
            *o = (ctx.conditional(anchor, c, &items, &leaf_pairs) / prior).ln();
        }
    }
}

/// Category complementarity: `log [P^(B|A) / P(B)]`, the lift of the candidate's category in
/// baskets holding the anchor's, shrunk to 1 (see [`Context`]). Needs no history of the anchor itself, so a new product still gets a
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
        let Some(from) = ctx.leaf(anchor) else {
            out.fill(0.0);
            return;
        };
        let pairs = ctx.leaf_pairs(anchor);
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = match ctx.leaf(c) {
                Some(to) => {
                    let both = pairs.get(&to).copied().unwrap_or(0) as f32;
                    (ctx.leaf_conditional(from, to, both) / ctx.leaf_probability(to)).ln()
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

/// The customer's own history ([`Profile`]): `P_u(b|a) = (w_ab + m_u f~(b)) / (w_a + m_u)`,
/// how often they add `b` when they buy `a` (`w` are recency-weighted orders), shrunk to
/// `f~(b) = f(b) + (1 - f(b)) aff(B) P(b|B)`: how often they buy `b`, or else their affinity
/// for its category times its popularity there (so a customer who always buys yoghurt is
/// offered the popular one). The blend mixes it with the shop-wide ranking as a mixture of
/// experts (see `Recommender::cross_sell_rows`), so it is no log-evidence [`Signal`].
pub struct Personal;

/// Products a customer buys most that the personal model proposes.
const PERSONAL_CANDIDATES: usize = 64;
/// Categories a customer buys in most whose best sellers the personal model proposes.
const AFFINITY_CATEGORIES: usize = 8;
/// Best sellers taken from each of those categories.
const ITEMS_PER_AFFINITY: usize = 6;

impl Personal {
    /// `f~(b)`, the customer's smoothed frequency of `b`.
    fn frequency(ctx: &Context<'_>, profile: &Profile, b: u32) -> f32 {
        let f = profile.frequency(b);
        let affinity = ctx.leaf(b).map_or(0.0, |l| profile.affinity(l));
        f + (1.0 - f) * affinity * ctx.within_leaf(b)
    }

    /// Adds the customer's candidates: what they buy most, and the best sellers of the
    /// categories they buy in most.
    pub fn candidates(ctx: &Context<'_>, out: &mut Vec<u32>) {
        let Some(profile) = ctx.customer else {
            return;
        };
        out.extend(profile.favourites(PERSONAL_CANDIDATES));
        for leaf in profile.top_leaves(AFFINITY_CATEGORIES) {
            out.extend(
                ctx.popular
                    .best_sellers(leaf)
                    .iter()
                    .take(ITEMS_PER_AFFINITY),
            );
        }
    }

    /// Writes `P_u(b|a)` for each candidate into `out` (0 without a customer).
    pub fn probabilities(ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]) {
        let Some(profile) = ctx.customer.filter(|p| p.weight() > 0.0) else {
            out.fill(0.0);
            return;
        };
        let m = ctx.personal_shrinkage.max(1e-3);
        let (companions, with_anchor) = profile.companions(anchor);
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            let both = companions.get(&c).copied().unwrap_or(0.0);
            *o = (both + m * Personal::frequency(ctx, profile, c)) / (with_anchor + m);
        }
    }
}
