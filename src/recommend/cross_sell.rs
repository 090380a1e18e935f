//! Cross-sell: complements from other categories, blended from the signals, with no
//! substitutes of the anchors or of each other, diversified.
//!
//! A suggestion needs evidence that it goes with an anchor: baskets that held both (or both
//! categories), a complement map pair, or its own words ("for Samsung TVs"). Looking alike
//! is no such evidence: on a catalog without orders it finds substitutes.

use super::product_types::Fit;
use super::reason::{CategoryPairEvidence, CoPurchaseEvidence, ComplementEvidence, Reason};
use super::signals::{
    CategoryPairs, CoPurchase, Complements, Content, Context, Factors, Popularity, Signal,
};
use super::{Recommender, Suggestion, Weights};
use crate::catalog::present::specs_in;
use crate::catalog::{Product, SpecKind};

/// The screen or fit size a title states, inches ("43 inches", "for 32 to 55 inch TVs"
/// reads 55: the largest).
fn title_size(p: &Product) -> Option<f64> {
    specs_in(&p.title, true)
        .into_iter()
        .filter(|h| h.kind == SpecKind::ScreenSize)
        .filter_map(|h| h.value)
        .reduce(f64::max)
}

/// How a ranked list is post-processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranking {
    /// Divide scores by popularity to the configured power.
    pub debias: bool,
    /// Maximal marginal relevance, at most `max_per_leaf` per leaf, no mutual substitutes.
    pub diversify: bool,
}

impl Ranking {
    /// The configured blend: debiased and diversified.
    pub const BLEND: Ranking = Ranking {
        debias: true,
        diversify: true,
    };
    /// Plain top-k by score, for baselines.
    pub const PLAIN: Ranking = Ranking {
        debias: false,
        diversify: false,
    };
}

/// Baskets, and lift of two products, at which orders outweigh the map's substitute rule.
const BOUGHT_TOGETHER: u32 = 3;
const BOUGHT_TOGETHER_LIFT: f32 = 2.0;

/// Candidates kept for diversification, per suggestion asked for.
const POOL_PER_SUGGESTION: usize = 8;
/// Fewer candidates than this many per suggestion asked for makes scanning signals (content)
/// propose too.
const SCAN_BELOW: usize = 4;

impl Recommender {
    /// The best `limit` cross-sell rows for `anchors` (oldest first), with their scores.
    pub fn cross_sell_rows(
        &self,
        anchors: &[u32],
        exclude: &[u32],
        weights: &Weights,
        limit: usize,
        ranking: Ranking,
    ) -> Vec<(u32, f32)> {
        if anchors.is_empty() || limit == 0 {
            return Vec::new();
        }
        let learned = self.read();
        let ctx = self.context(&learned);
        let signals: Vec<(&dyn Signal, f32)> = [
            (&Popularity as &dyn Signal, weights.popularity),
            (&CoPurchase, weights.copurchase),
            (&CategoryPairs, weights.category),
            (&Content, weights.content),
            (&Factors, weights.als),
            (&Complements, weights.complements),
        ]
        .into_iter()
        .filter(|&(_, w)| w > 0.0)
        .collect();

        let products = self.catalog.products();
        // A mount, sleeve or cover for a sized product fits it: no 32-inch mount for a 43-inch TV.
        let sizes: Vec<Option<f64>> = anchors
            .iter()
            .map(|&a| title_size(&products[a as usize]))
            .collect();
        let eligible = |c: u32| -> bool {
            !anchors.contains(&c)
                && !exclude.contains(&c)
                && products.get(c as usize).is_some_and(|p| p.in_stock)
                && anchors.iter().all(|&a| {
                    !self.catalog.same_group(a, c)
                        && (!self.types.substitutes(a, c) || self.bought_together(&ctx, a, c))
                        && self
                            .types
                            .fit(a, c, products)
                            .is_none_or(|_| !self.types.incompatible(a, c, products))
                        && !self.catalog.substitutes(
                            a,
                            c,
                            self.config.substitute_similarity,
                            self.config.sibling_substitute_similarity,
                        )
                })
                && anchors.iter().any(|&a| self.goes_with(&ctx, a, c))
                && anchors.iter().zip(&sizes).all(|(&a, size)| {
                    size.is_none_or(|s| {
                        self.types.fit(a, c, products).is_none()
                            || title_size(&products[c as usize]).is_none_or(|v| v + 0.5 >= s)
                    })
                })
        };
        let mut candidates: Vec<u32> = Vec::new();
        // Cheap proposals first; a catalog scan only when they come up short.
        for scans in [false, true] {
            if scans && candidates.len() >= limit * SCAN_BELOW {
                break;
            }
            for &a in anchors {
                for (signal, _) in signals.iter().filter(|(s, _)| s.scans() == scans) {
                    signal.candidates(&ctx, a, &mut candidates);
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            candidates.retain(|&c| eligible(c));
        }

        // Later anchors (the latest cart item, what was just bought) weigh more.
        let n = anchors.len();
        let recency: Vec<f32> = (0..n)
            .map(|i| self.config.recency_decay.powi((n - 1 - i) as i32))
            .collect();
        let total: f32 = recency.iter().sum();
        let mut scores = vec![0f32; candidates.len()];
        let mut buffer = vec![0f32; candidates.len()];
        for (&a, &r) in anchors.iter().zip(&recency) {
            for &(signal, w) in &signals {
                signal.score(&ctx, a, &candidates, &mut buffer);
                for (s, b) in scores.iter_mut().zip(&buffer) {
                    *s += r / total * w * b;
                }
            }
        }
        let online = self.online.read().unwrap_or_else(|e| e.into_inner());
        let mut ranked: Vec<(u32, f32)> = candidates
            .into_iter()
            .zip(scores)
            .map(|(c, s)| {
                let debias = if ranking.debias {
                    let n = learned
                        .stats
                        .item_counts
                        .get(c as usize)
                        .copied()
                        .unwrap_or(0);
                    self.config.popularity_debias * ((n + 1) as f32).ln()
                } else {
                    0.0
                };
                (
                    c,
                    (s - debias).exp() * online.factor(anchors.last().copied(), c),
                )
            })
            .filter(|&(_, s)| s.is_finite() && s > 0.0)
            .collect();
        drop(online);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if !ranking.diversify {
            ranked.truncate(limit);
            return ranked;
        }
        ranked.truncate(limit * POOL_PER_SUGGESTION);
        self.diversify(ranked, limit)
    }

    /// Whether there is evidence that `c` goes with `a`: baskets holding both, or both their
    /// categories, or the complement map, or `c`'s own words.
    fn goes_with(&self, ctx: &Context<'_>, a: u32, c: u32) -> bool {
        if ctx.stats.items.count(a as usize, c) > 0 {
            return true;
        }
        if let (Some(x), Some(y)) = (
            self.catalog.leaves.get(a as usize),
            self.catalog.leaves.get(c as usize),
        ) && CategoryPairs::pair(ctx, x, y).0 > 0
        {
            return true;
        }
        self.types.fit(a, c, self.catalog.products()).is_some()
    }

    /// Whether baskets show `a` and `c` bought together: the two products (3 baskets or
    /// more, twice as often as their base rates predict), or their two categories (3 baskets
    /// or more, at least as often as chance). Orders outweigh the complement map's word that
    /// two types do the same job: shoppers who put frozen and fresh berries in one basket
    /// treat them as going together.
    fn bought_together(&self, ctx: &Context<'_>, a: u32, c: u32) -> bool {
        let stats = ctx.stats;
        let baskets = stats.baskets.max(1) as f32;
        let both = stats.items.count(a as usize, c);
        let count = |r: u32| stats.item_counts.get(r as usize).copied().unwrap_or(0) as f32;
        if both >= BOUGHT_TOGETHER
            && both as f32 * baskets >= BOUGHT_TOGETHER_LIFT * count(a).max(1.0) * count(c).max(1.0)
        {
            return true;
        }
        let (Some(x), Some(y)) = (
            self.catalog.leaves.get(a as usize),
            self.catalog.leaves.get(c as usize),
        ) else {
            return false;
        };
        let both = stats.categories.count(x as usize, y);
        let n = |l: u32| stats.category_counts.get(l as usize).copied().unwrap_or(0) as f32;
        both >= BOUGHT_TOGETHER && both as f32 * baskets >= n(x).max(1.0) * n(y).max(1.0)
    }

    /// Greedy maximal marginal relevance with the hard rules: at most `max_per_leaf` per leaf
    /// category (or product type), never two substitutes.
    fn diversify(&self, mut pool: Vec<(u32, f32)>, limit: usize) -> Vec<(u32, f32)> {
        let top = pool.first().map_or(1.0, |p| p.1).max(f32::MIN_POSITIVE);
        let lambda = self.config.mmr_lambda.clamp(0.0, 1.0);
        let mut chosen: Vec<(u32, f32)> = Vec::with_capacity(limit);
        while chosen.len() < limit && !pool.is_empty() {
            pool.retain(|&(c, _)| {
                let leaf = self.catalog.leaves.get(c as usize);
                let kind = self.types.type_of(c);
                let same_leaf = chosen
                    .iter()
                    .filter(|&&(s, _)| {
                        (leaf.is_some() && self.catalog.leaves.get(s as usize) == leaf)
                            || (kind.is_some() && self.types.type_of(s) == kind)
                    })
                    .count();
                same_leaf < self.config.max_per_leaf.max(1)
                    && chosen.iter().all(|&(s, _)| {
                        !self.types.substitutes(s, c)
                            && !self.catalog.substitutes(
                                s,
                                c,
                                self.config.substitute_similarity,
                                self.config.sibling_substitute_similarity,
                            )
                    })
            });
            let best = pool
                .iter()
                .enumerate()
                .map(|(i, &(c, s))| {
                    let redundancy = chosen
                        .iter()
                        .map(|&(t, _)| self.catalog.similarity(c, t))
                        .fold(0f32, f32::max);
                    (i, lambda * s / top - (1.0 - lambda) * redundancy)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            match best {
                Some((i, _)) => chosen.push(pool.remove(i)),
                None => break,
            }
        }
        chosen
    }

    /// Cross-sell suggestions with their reasons.
    pub(super) fn cross_sell(
        &self,
        anchors: &[u32],
        exclude: &[u32],
        weights: &Weights,
        limit: usize,
    ) -> Vec<Suggestion> {
        let rows = self.cross_sell_rows(anchors, exclude, weights, limit, Ranking::BLEND);
        let learned = self.read();
        let ctx = self.context(&learned);
        rows.into_iter()
            .map(|(c, score)| {
                let (reason, anchor) = self.cross_sell_reason(&ctx, anchors, c);
                self.suggestion(c, score, reason, anchor)
            })
            .collect()
    }

    /// The reason for suggesting row `c`, and the anchor row it speaks of.
    fn cross_sell_reason(&self, ctx: &Context<'_>, anchors: &[u32], c: u32) -> (Reason, u32) {
        let stats = ctx.stats;
        let count = |r: u32| stats.item_counts.get(r as usize).copied().unwrap_or(0);
        let mut reason = Reason::default();
        // The anchor with the most baskets shared, the latest on ties.
        let best = anchors
            .iter()
            .rev()
            .map(|&a| (a, stats.items.count(a as usize, c)))
            .max_by_key(|&(_, k)| k);
        let mut about = anchors.last().copied().unwrap_or(c);
        if let Some((a, k)) = best.filter(|&(_, k)| k > 0) {
            let lift = k as f32 * stats.baskets.max(1) as f32
                / (count(a).max(1) as f32 * count(c).max(1) as f32);
            reason.copurchase = Some(CoPurchaseEvidence {
                anchor: self.catalog.products()[a as usize].id.clone(),
                count: k,
                anchor_count: count(a),
                lift,
            });
            about = a;
        }
        let pair = anchors
            .iter()
            .rev()
            .filter_map(|&a| {
                let from = self.catalog.leaves.get(a as usize)?;
                let to = self.catalog.leaves.get(c as usize)?;
                let (both, share) = CategoryPairs::pair(ctx, from, to);
                (both > 0).then_some((a, both, share))
            })
            .max_by(|x, y| x.2.total_cmp(&y.2));
        if let Some((a, both, share)) = pair {
            reason.category_pair = Some(CategoryPairEvidence {
                from: self.catalog.leaf_name(a).to_string(),
                to: self.catalog.leaf_name(c).to_string(),
                share,
                baskets: both,
            });
            if reason.copurchase.is_none() {
                about = a;
            }
        }
        // The map's word, or the suggestion's own, for the anchor it fits best.
        let fit = anchors
            .iter()
            .rev()
            .filter_map(|&a| Some((a, self.types.fit(a, c, self.catalog.products())?)))
            .max_by_key(|(_, f)| match f {
                Fit::MadeFor { brand: true, .. } => 2,
                Fit::Paired(_) => 1,
                Fit::MadeFor { .. } => 0,
            });
        if let Some((a, fit)) = fit {
            let products = self.catalog.products();
            let anchor_type = self
                .types
                .type_of(a)
                .map(|t| self.types.name(t).to_string());
            reason.complement = anchor_type.map(|anchor_type| ComplementEvidence {
                anchor_type,
                complement_type: self
                    .types
                    .type_of(c)
                    .map(|t| self.types.name(t).to_string()),
                does: match fit {
                    Fit::Paired(entry) => Some(entry.reason.clone()),
                    Fit::MadeFor { .. } => None,
                },
                made_for: matches!(fit, Fit::MadeFor { .. }),
                brand: match fit {
                    Fit::MadeFor { brand: true, .. } => products[a as usize].brand.clone(),
                    _ => None,
                },
            });
            if reason.copurchase.is_none() && reason.category_pair.is_none() {
                about = a;
            }
        }
        reason.similarity = anchors
            .iter()
            .map(|&a| self.catalog.similarity(a, c))
            .max_by(f32::total_cmp);
        reason.text = reason.cross_sell_text(&self.kind_noun(about));
        (reason, about)
    }

    /// What a shopper calls a product's kind, in the plural: its type ("televisions"), else
    /// its leaf category ("fresh fruits"), else "products like this".
    fn kind_noun(&self, row: u32) -> String {
        if let Some(t) = self.types.type_of(row) {
            return super::reason::plural_name(self.types.name(t));
        }
        match self.catalog.leaf_name(row) {
            "" => "products like this".to_string(),
            leaf => leaf.to_lowercase(),
        }
    }
}
