//! Cross-sell: complements from other categories, blended from the signals, with no
//! substitutes of the anchors or of each other, diversified.
//!
//! A suggestion needs evidence that it goes with an anchor: baskets that held both (or both
//! categories), a complement map pair, or its own words ("for Samsung TVs"). Looking alike
//! is no such evidence: on a catalog without orders it finds substitutes.

use super::personal::Profile;
use super::product_types::Fit;
use super::reason::{
    CategoryPairEvidence, CoPurchaseEvidence, ComplementEvidence, PersonalEvidence, Reason,
};
use super::signals::{
    CategoryPairs, CoPurchase, Complements, Content, Context, Factors, Personal, Popularity, Signal,
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
    /// Complementary categories first, then the best items in each (see
    /// `Recommender::diversify`).
    pub diversify: bool,
}

impl Ranking {
    /// The configured blend: diversified.
    pub const BLEND: Ranking = Ranking { diversify: true };
    /// Plain top-k by score: the accurate ranking.
    pub const PLAIN: Ranking = Ranking { diversify: false };
}

/// Baskets, and lift of two products, at which orders outweigh the substitute rules:
/// substitutes are bought instead of each other, so together less often than chance.
const BOUGHT_TOGETHER: u32 = 3;
const BOUGHT_TOGETHER_LIFT: f32 = 1.0;

/// One category while diversifying: its share of the candidates' scores, the seats it has
/// taken, and its candidates not yet taken, best first.
type Seats = (f32, usize, std::collections::VecDeque<(u32, f32)>);

/// Candidates kept for diversification, per suggestion asked for.
const POOL_PER_SUGGESTION: usize = 8;
/// Fewer candidates than this many per suggestion asked for makes scanning signals (content)
/// propose too.
const SCAN_BELOW: usize = 4;

impl Recommender {
    /// The best `limit` cross-sell rows for `anchors` (oldest first), with their scores; with
    /// `customer`, their history joins the blend.
    pub fn cross_sell_rows(
        &self,
        anchors: &[u32],
        exclude: &[u32],
        weights: &Weights,
        limit: usize,
        ranking: Ranking,
        customer: Option<&Profile>,
    ) -> Vec<(u32, f32)> {
        if anchors.is_empty() || limit == 0 {
            return Vec::new();
        }
        let learned = self.read();
        let ctx = self.context(&learned, customer);
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
            if !scans && weights.personal > 0.0 {
                Personal::candidates(&ctx, &mut candidates);
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
        let scores = self.with_customer(&ctx, anchors, &recency, &candidates, scores, weights);
        let online = self.online.read().unwrap_or_else(|e| e.into_inner());
        let mut ranked: Vec<(u32, f32)> = candidates
            .into_iter()
            .zip(scores)
            .map(|(c, s)| (c, s * online.factor(anchors.last().copied(), c)))
            .filter(|&(_, s)| s.is_finite() && s > 0.0)
            .collect();
        drop(online);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if !ranking.diversify {
            ranked.truncate(limit);
            return ranked;
        }
        ranked.truncate(limit * POOL_PER_SUGGESTION);
        self.diversify(&ctx, ranked, limit)
    }

    /// The candidates' scores from their log-evidence `scores`: the shop's ranking as a
    /// distribution over the candidates (a softmax), mixed, for a customer with a history, with
    /// theirs (`P_u(b|a)` of [`Personal`], normalised, averaged over the anchors by recency):
    /// `(1 - alpha) shop + alpha own`, `alpha = w W / (w W + k)` for their effective orders `W`,
    /// the personal weight `w` and `k` = `personal_prior` (a mixture of experts: the shop's
    /// weights may scale its evidence any way, the customer's share stays what it is).
    fn with_customer(
        &self,
        ctx: &Context<'_>,
        anchors: &[u32],
        recency: &[f32],
        candidates: &[u32],
        scores: Vec<f32>,
        weights: &Weights,
    ) -> Vec<f32> {
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut shop: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = shop.iter().sum();
        if total > 0.0 && total.is_finite() {
            shop.iter_mut().for_each(|s| *s /= total);
        }
        let Some(profile) = ctx
            .customer
            .filter(|p| p.weight() > 0.0 && weights.personal > 0.0)
        else {
            return shop;
        };
        let evidence = weights.personal * profile.weight();
        let alpha = evidence / (evidence + self.config.personal_prior.max(1e-3));
        let mut own = vec![0f32; candidates.len()];
        let mut buffer = vec![0f32; candidates.len()];
        let total_recency: f32 = recency.iter().sum();
        for (&a, &r) in anchors.iter().zip(recency) {
            Personal::probabilities(ctx, a, candidates, &mut buffer);
            for (o, b) in own.iter_mut().zip(&buffer) {
                *o += r / total_recency * b;
            }
        }
        let sum: f32 = own.iter().sum();
        if sum <= 0.0 || !sum.is_finite() {
            return shop;
        }
        shop.iter()
            .zip(&own)
            .map(|(s, o)| (1.0 - alpha) * s + alpha * o / sum)
            .collect()
    }

    /// Whether there is evidence that `c` goes with `a`: baskets holding both, or both their
    /// categories, or the complement map, or `c`'s own words, or the customer buying it.
    fn goes_with(&self, ctx: &Context<'_>, a: u32, c: u32) -> bool {
        if ctx.stats.items.count(a as usize, c) > 0 || ctx.customer.is_some_and(|p| p.bought(c)) {
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

    /// Whether baskets show `a` and `c` bought together: the two products (3 shoppers or
    /// more, at least as often as their base rates predict), or their two categories (3 baskets
    /// or more, at least as often as chance). Orders outweigh the complement map's word that
    /// two types do the same job: shoppers who put frozen and fresh berries in one basket
    /// treat them as going together.
    fn bought_together(&self, ctx: &Context<'_>, a: u32, c: u32) -> bool {
        let stats = ctx.stats;
        let baskets = stats.baskets.max(1) as f32;
        let customers = stats.customers.max(1) as f32;
        let both = stats.items.count(a as usize, c);
        let buyers = |r: u32| stats.item_buyers.get(r as usize).copied().unwrap_or(0) as f32;
        if both >= BOUGHT_TOGETHER
            && both as f32 * customers
                >= BOUGHT_TOGETHER_LIFT * buyers(a).max(1.0) * buyers(c).max(1.0)
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

    /// Complementary categories first, then the best items in each (as P-Companion picks
    /// complementary types before items, Hao et al. 2020), with seats in proportion to each
    /// category's share of the candidates' scores (PM-2's Sainte-Laguë rule, Dang and Croft
    /// 2012): the next seat goes to the category with the largest `mass / (2 seats + 1)`, and
    /// it takes its best remaining candidate. So a basket of fruit still gets two fruits, and a
    /// TV's mount, cable and soundbar each get one; the chosen are then shown best first. At
    /// most `max_per_leaf` per leaf category
    /// (or product type); a product that would do the same job as one already chosen is
    /// skipped, unless baskets show the two bought together (bananas and strawberries look
    /// alike but are no substitutes).
    fn diversify(&self, ctx: &Context<'_>, pool: Vec<(u32, f32)>, limit: usize) -> Vec<(u32, f32)> {
        let per_leaf = self.config.max_per_leaf.max(1);
        // Candidates by category (leaf, else type, else itself), best first, with its mass.
        let key = |c: u32| -> (u8, u32) {
            match (self.catalog.leaves.get(c as usize), self.types.type_of(c)) {
                (Some(l), _) => (0, l),
                (None, Some(t)) => (1, t),
                (None, None) => (2, c),
            }
        };
        let mut categories: Vec<Seats> = Vec::new();
        let mut at: std::collections::HashMap<(u8, u32), usize> = Default::default();
        for (c, s) in pool {
            let i = *at.entry(key(c)).or_insert_with(|| {
                categories.push((0.0, 0, Default::default()));
                categories.len() - 1
            });
            categories[i].0 += s;
            categories[i].2.push_back((c, s));
        }
        let mut chosen: Vec<(u32, f32)> = Vec::with_capacity(limit);
        while chosen.len() < limit {
            // Sainte-Laguë: the largest quotient gets the next seat; earlier (better) wins ties.
            let next = categories
                .iter()
                .enumerate()
                .filter(|(_, (_, seats, items))| *seats < per_leaf && !items.is_empty())
                .map(|(i, (mass, seats, _))| (i, mass / (2 * seats + 1) as f32))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            let Some((i, _)) = next else {
                break;
            };
            let Some((c, s)) = categories[i].2.pop_front() else {
                continue;
            };
            let kind = self.types.type_of(c);
            let same_kind = chosen
                .iter()
                .filter(|&&(x, _)| kind.is_some() && self.types.type_of(x) == kind)
                .count();
            let substitute = chosen.iter().any(|&(x, _)| {
                (self.types.substitutes(x, c)
                    || self.catalog.substitutes(
                        x,
                        c,
                        self.config.substitute_similarity,
                        self.config.sibling_substitute_similarity,
                    ))
                    && !self.bought_together(ctx, x, c)
            });
            if same_kind < per_leaf && !substitute {
                chosen.push((c, s));
                categories[i].1 += 1;
            }
        }
        // The seats decide what is shown; the score decides the order.
        chosen.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        chosen
    }

    /// Cross-sell suggestions with their reasons.
    pub(super) fn cross_sell(
        &self,
        anchors: &[u32],
        exclude: &[u32],
        weights: &Weights,
        limit: usize,
        customer: Option<&Profile>,
    ) -> Vec<Suggestion> {
        let rows = self.cross_sell_rows(anchors, exclude, weights, limit, Ranking::BLEND, customer);
        let learned = self.read();
        let ctx = self.context(&learned, customer);
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
        let count = |r: u32| stats.item_buyers.get(r as usize).copied().unwrap_or(0);
        let mut reason = Reason::default();
        // The anchor with the most shoppers shared, the latest on ties.
        let best = anchors
            .iter()
            .rev()
            .map(|&a| (a, stats.items.count(a as usize, c)))
            .max_by_key(|&(_, k)| k);
        let mut about = anchors.last().copied().unwrap_or(c);
        if let Some((a, k)) = best.filter(|&(_, k)| k > 0) {
            let lift = k as f32 * stats.customers.max(1) as f32
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
        // The customer's own orders: the anchor they most often bought it with, latest on ties.
        if let Some(profile) = ctx.customer {
            let products = self.catalog.products();
            let own = anchors
                .iter()
                .rev()
                .map(|&a| (a, profile.counts(a, c)))
                .max_by_key(|&(_, (_, both))| both);
            if let Some((a, (with_suggestion, with_anchor))) = own.filter(|o| o.1.0 > 0) {
                reason.personal = Some(PersonalEvidence {
                    orders: profile.orders(),
                    with_suggestion,
                    with_anchor,
                    anchor_name: crate::catalog::present::short_name(&products[a as usize]),
                });
                if with_anchor > 0 {
                    about = a;
                }
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
