//! Upsell: a better, pricier product in the anchor's own category, within a price band.
//!
//! Hard constraints, never relaxed: same leaf category (or, for a leaf with too few products,
//! the nearest leaf by embedding), strictly pricier than the anchor in the same currency, at most
//! `upsell_max_ratio` times its price (or `upsell_budget_ratio` times the customer's budget),
//! in stock, and rated no more than `upsell_rating_tolerance` below the anchor by at least
//! `upsell_min_ratings` ratings. Among those, rank by expected value: the likelihood the customer
//! takes it (similar, well rated, not too far above the anchor's price) times the uplift.

use super::reason::{RatingEvidence, Reason};
use super::{Recommender, Suggestion};
use crate::catalog::{Money, Product};

/// Relative uplift at which the acceptance likelihood falls by a factor e: the expected value
/// `u * exp(-u / this)` peaks at an uplift of this much (half again the anchor's price).
const ACCEPTANCE_SCALE: f64 = 0.5;
/// Ratings of prior weight in the Bayesian average rating.
const RATING_PRIOR: f64 = 20.0;

/// One upsell candidate that passed every hard constraint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpsellCandidate {
    /// Row.
    pub row: u32,
    /// Expected value: likelihood times price uplift (currency units).
    pub value: f64,
}

impl Recommender {
    /// The price cap for an upsell over `anchor`, given an optional budget.
    pub fn upsell_cap(&self, anchor: &Product, budget: Option<Money>) -> Option<Money> {
        let price = anchor.price?;
        let ratio_cap =
            |m: Money, r: f64| Money::from_minor((m.minor as f64 * r).floor() as i64, m.currency);
        Some(match budget {
            Some(b) if b.currency == price.currency => {
                ratio_cap(b, self.config.upsell_budget_ratio)
            }
            _ => ratio_cap(price, self.config.upsell_max_ratio),
        })
    }

    /// Whether `candidate` passes every hard upsell constraint over `anchor` (category aside).
    pub fn upsell_allowed(&self, anchor: &Product, candidate: &Product, cap: Money) -> bool {
        let (Some(price), Some(their)) = (anchor.price, candidate.price) else {
            return false;
        };
        let reference = anchor.rating.unwrap_or(0.0);
        their.currency == price.currency
            && their.minor > price.minor
            && their.minor <= cap.minor
            && candidate.in_stock
            && candidate.rating_count >= self.config.upsell_min_ratings
            && candidate
                .rating
                .is_some_and(|r| r + 1e-4 >= reference - self.config.upsell_rating_tolerance)
            && normalise(&candidate.title) != normalise(&anchor.title)
    }

    /// The rows upsell draws from for `anchor`: its leaf category, plus the nearest leaf when
    /// the leaf is small. Returns the rows and the nearest leaf's name when it was used.
    fn upsell_peers(&self, anchor: u32) -> (Vec<u32>, Option<String>) {
        let Some(leaf) = self.catalog.leaves.get(anchor as usize) else {
            return (Vec::new(), None);
        };
        let mut rows = self.catalog.leaf_rows(leaf).to_vec();
        if rows.len() >= self.config.upsell_min_peers {
            return (rows, None);
        }
        match self.catalog.nearest_leaves(leaf, 1).first() {
            Some(&(near, _)) => {
                rows.extend_from_slice(self.catalog.leaf_rows(near));
                let name = self
                    .catalog
                    .leaf_rows(near)
                    .first()
                    .map(|&r| self.catalog.leaf_name(r).to_string());
                (rows, name)
            }
            None => (rows, None),
        }
    }

    /// Every upsell candidate for `anchor` under the cap, best expected value first.
    pub fn upsell_candidates(
        &self,
        anchor: u32,
        exclude: &[u32],
        budget: Option<Money>,
    ) -> (Vec<UpsellCandidate>, Option<String>) {
        let products = self.catalog.products();
        let Some(a) = products.get(anchor as usize) else {
            return (Vec::new(), None);
        };
        let (Some(price), Some(cap)) = (a.price, self.upsell_cap(a, budget)) else {
            return (Vec::new(), None);
        };
        let (peers, nearest) = self.upsell_peers(anchor);
        let mean_rating = {
            let rated: Vec<f64> = peers
                .iter()
                .filter_map(|&r| products[r as usize].rating.map(f64::from))
                .collect();
            if rated.is_empty() {
                4.0
            } else {
                rated.iter().sum::<f64>() / rated.len() as f64
            }
        };
        let online = self.online.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<UpsellCandidate> = peers
            .into_iter()
            .filter(|&r| r != anchor && !exclude.contains(&r))
            .filter(|&r| self.upsell_allowed(a, &products[r as usize], cap))
            .map(|r| {
                let p = &products[r as usize];
                let theirs = p.price.map_or(0.0, |m| m.amount());
                let uplift = theirs - price.amount();
                let relative = uplift / price.amount().max(f64::MIN_POSITIVE);
                let n = p.rating_count as f64;
                let rating = p.rating.map_or(mean_rating, f64::from);
                let bayes = (rating * n + mean_rating * RATING_PRIOR) / (n + RATING_PRIOR);
                let similarity = f64::from(self.catalog.similarity(anchor, r).max(0.0));
                let likelihood = similarity * (bayes / 5.0) * (-relative / ACCEPTANCE_SCALE).exp();
                let prior = f64::from(online.factor(Some(anchor), r));
                UpsellCandidate {
                    row: r,
                    value: prior * likelihood * uplift,
                }
            })
            .collect();
        drop(online);
        out.sort_by(|x, y| y.value.total_cmp(&x.value).then(x.row.cmp(&y.row)));
        (out, nearest)
    }

    /// Upsell suggestions with their reasons.
    pub(super) fn upsell(
        &self,
        anchor: u32,
        exclude: &[u32],
        budget: Option<Money>,
        limit: usize,
    ) -> Vec<Suggestion> {
        let (candidates, nearest) = self.upsell_candidates(anchor, exclude, budget);
        let products = self.catalog.products();
        let a = &products[anchor as usize];
        let reviews = self.reviews();
        let mut chosen: Vec<Suggestion> = Vec::new();
        for c in candidates {
            if chosen.len() >= limit {
                break;
            }
            let p = &products[c.row as usize];
            // Two listings of the same product are one suggestion.
            if chosen
                .iter()
                .any(|s| normalise(&s.product.title) == normalise(&p.title))
            {
                continue;
            }
            let mut reason = Reason {
                rating: p.rating.map(|rating| RatingEvidence {
                    rating,
                    count: p.rating_count,
                    anchor_rating: a.rating,
                    anchor_count: a.rating_count,
                }),
                price_difference: match (p.price, a.price) {
                    (Some(x), Some(y)) => Some(Money::from_minor(x.minor - y.minor, x.currency)),
                    _ => None,
                },
                price_ratio: match (p.price, a.price) {
                    (Some(x), Some(y)) if y.minor > 0 => Some(x.minor as f64 / y.minor as f64),
                    _ => None,
                },
                similarity: Some(self.catalog.similarity(anchor, c.row)),
                nearest_category: nearest.clone().filter(|_| {
                    self.catalog.leaves.get(c.row as usize)
                        != self.catalog.leaves.get(anchor as usize)
                }),
                review: reviews
                    .get(&p.id)
                    .and_then(|r| super::reason::review_advantage(r, reviews.get(&a.id))),
                ..Reason::default()
            };
            reason.text = reason.upsell_text();
            chosen.push(self.suggestion(c.row, c.value as f32, reason));
        }
        chosen
    }
}

fn normalise(title: &str) -> String {
    title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
