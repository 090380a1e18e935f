//! The signals a cross-sell blend is made of. Each proposes candidates for one anchor and scores
//! candidates for it; [`super::Weights`] says how much each counts.

use std::collections::HashMap;

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
    /// Pseudo-baskets of shrinkage towards "no evidence".
    pub shrinkage: f32,
}

/// One source of evidence that a product goes with an anchor product.
pub trait Signal: Send + Sync {
    /// Name used in configuration and reports.
    fn name(&self) -> &'static str;
    /// Adds candidate rows for `anchor` to `out`.
    fn candidates(&self, ctx: &Context<'_>, anchor: u32, out: &mut Vec<u32>);
    /// Writes this signal's score of each candidate for `anchor` into `out` (0 = no evidence).
    fn score(&self, ctx: &Context<'_>, anchor: u32, candidates: &[u32], out: &mut [f32]);
}

/// Item-to-item co-purchase: P(candidate in basket | anchor in basket), shrunk towards 0 for
/// anchors with few baskets. Directional: a memory card is likely given a camera, a camera is
/// not likely given a memory card (which is in many more baskets).
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
        let n = ctx.stats.item_counts.get(anchor as usize).copied().unwrap_or(0) as f32;
        for (c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = pairs.get(c).map_or(0.0, |&k| k as f32 / (n + ctx.shrinkage));
        }
    }
}

/// Category complementarity: P(candidate's category | anchor's category) learned from
/// baskets, times the candidate's share of its category's purchases. Needs no history of the
/// anchor itself, so a new product gets a sensible cross-sell.
pub struct CategoryPairs;

/// Complementary categories whose best sellers become candidates.
const CATEGORY_FANOUT: usize = 16;
/// Best sellers taken from each complementary category.
const ITEMS_PER_CATEGORY: usize = 12;

impl CategoryPairs {
    /// P(category `to` | category `from`), shrunk.
    pub fn conditional(ctx: &Context<'_>, from: u32, to: u32) -> (f32, u32) {
        let both = ctx.stats.categories.count(from as usize, to);
        let n = ctx.stats.category_counts.get(from as usize).copied().unwrap_or(0) as f32;
        (both as f32 / (n + ctx.shrinkage), both)
    }

    /// The candidate's share of purchases within its own category (add-one smoothed, so a
    /// product nobody bought yet still has a small share).
    fn share(ctx: &Context<'_>, row: u32) -> f32 {
        let Some(leaf) = ctx.catalog.leaves.get(row as usize) else {
            return 0.0;
        };
        let own = ctx.stats.item_counts.get(row as usize).copied().unwrap_or(0) as f32;
        let total = ctx.popular.leaf_purchases(leaf) as f32;
        let size = ctx.catalog.leaf_rows(leaf).len() as f32;
        (own + 1.0) / (total + size.max(1.0))
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
        let n = ctx.stats.category_counts.get(from as usize).copied().unwrap_or(0) as f32;
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = match ctx.catalog.leaves.get(c as usize) {
                Some(to) => {
                    let both = pairs.get(&to).copied().unwrap_or(0) as f32;
                    both / (n + ctx.shrinkage) * Self::share(ctx, c)
                }
                None => 0.0,
            };
        }
    }
}

/// Content: cosine similarity of the product embeddings (title, category, brand). Related
/// products from other categories are plausible complements when there are no baskets.
pub struct Content;

/// Candidates a content scan proposes.
const CONTENT_CANDIDATES: usize = 64;

impl Signal for Content {
    fn name(&self) -> &'static str {
        "content"
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
            *o = ctx.catalog.similarity(anchor, c).max(0.0);
        }
    }
}

/// Global popularity: the share of baskets holding the candidate.
pub struct Popularity;

/// Best sellers a popularity signal proposes.
const POPULAR_CANDIDATES: usize = 200;

impl Signal for Popularity {
    fn name(&self) -> &'static str {
        "popularity"
    }

    fn candidates(&self, ctx: &Context<'_>, _anchor: u32, out: &mut Vec<u32>) {
        out.extend(
            ctx.popular
                .global()
                .iter()
                .take(POPULAR_CANDIDATES),
        );
    }

    fn score(&self, ctx: &Context<'_>, _anchor: u32, candidates: &[u32], out: &mut [f32]) {
        let baskets = ctx.stats.baskets.max(1) as f32;
        for (&c, o) in candidates.iter().zip(out.iter_mut()) {
            *o = ctx.stats.item_counts.get(c as usize).copied().unwrap_or(0) as f32 / baskets;
        }
    }
}
