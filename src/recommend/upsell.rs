//! Upsell: a better, pricier product of the same kind as the anchor, within a price band.
//!
//! Hard constraints, never relaxed:
//! - **same kind**: the anchor's leaf category (or, for a leaf with too few products, also
//!   the nearest leaf by embedding), the same product type when both have one, made for the
//!   same model when the anchor names one (a case for an iPhone 7 Plus), the anchor's
//!   connectors kept (a USB-C cable stays USB-C), the same wired or wireless, and a size at
//!   least the anchor's (a 43-inch TV is followed by 43 inches or more) and within the sizes
//!   the customer asked for (`Request::specs`: after "around 43 inch", no 55-inch TV);
//! - **never worse** on a measured spec both state (storage, battery, power...), and **never
//!   rated lower**: when the anchor has `upsell_min_ratings` ratings, the upsell has as many
//!   and at least its rating;
//! - **better at something the shopper can see**: a rating `upsell_rating_margin` higher with
//!   enough ratings, an aspect its reviews praise more, or a better spec (more of a measured
//!   one, 5% or more; a finer resolution; water resistance or a braided build the anchor lacks);
//! - **pricier within the band**: strictly pricier in the same currency, at most
//!   `upsell_max_ratio` times the anchor's price (or `upsell_budget_ratio` times the budget);
//!   in stock.
//!
//! Among those, rank by expected value: the likelihood the customer takes it (similar, well
//! rated, not too far above the anchor's price) times the uplift. The reason names the
//! advantages and the price difference ("4.4★ from 12,000 ratings vs 4.1, ₹150 more").

use super::reason::{RatingEvidence, Reason, SpecAdvantage};
use super::{Recommender, Suggestion};
use crate::catalog::present::all_specs;
use crate::catalog::{Highlight, Money, Product, SpecKind};
use crate::understand::SpecWant;

/// Relative uplift at which the acceptance likelihood falls by a factor e: the expected value
/// `u * exp(-u / this)` peaks at an uplift of this much (half again the anchor's price).
const ACCEPTANCE_SCALE: f64 = 0.5;
/// Ratings of prior weight in the Bayesian average rating.
const RATING_PRIOR: f64 = 20.0;
/// How much more of a measured spec counts as better (5%).
const SPEC_GAIN: f64 = 1.05;
/// How much less of a measured spec counts as worse (1%: rounding in listings).
const SPEC_SLACK: f64 = 0.99;
/// The rating a product with enough ratings needs to be sold as well rated when the anchor
/// has too few ratings to compare.
const WELL_RATED: f32 = 4.0;
/// Spec kinds that say what size of thing it is: an upsell is at least as big.
const SIZES: &[SpecKind] = &[
    SpecKind::ScreenSize,
    SpecKind::Capacity,
    SpecKind::People,
    SpecKind::Tonnage,
];

/// One upsell candidate that passed every hard constraint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpsellCandidate {
    /// Row.
    pub row: u32,
    /// Expected value: likelihood times price uplift (currency units).
    pub value: f64,
}

/// Connectors a cable or device title names, as bits.
fn connectors(title: &str) -> u8 {
    let t = format!(
        " {} ",
        title.to_lowercase().replace(['-', '_', '/', ','], " ")
    );
    let mut bits = 0;
    if ["type c", "usb c ", "typec", "usbc"]
        .iter()
        .any(|w| t.contains(w))
    {
        bits |= 1;
    }
    if [" lightning", " 8 pin"].iter().any(|w| t.contains(w)) {
        bits |= 2;
    }
    if ["micro usb", "microusb", " micro b"]
        .iter()
        .any(|w| t.contains(w))
    {
        bits |= 4;
    }
    bits
}

/// The rank of a resolution text (HD < Full HD < QHD < 4K < 8K).
fn resolution_rank(text: &str) -> u8 {
    match text.to_lowercase().as_str() {
        "8k" => 5,
        "4k" | "ultra hd" | "uhd" => 4,
        "qhd" => 3,
        "full hd" | "fhd" => 2,
        "hd ready" | "hd" => 1,
        _ => 0,
    }
}

/// What a highlight reads as in an upsell reason ("55-inch screen", "IPX5 water resistance").
fn advantage_text(h: &Highlight) -> String {
    let phrase = h.phrase();
    phrase.strip_prefix("a ").unwrap_or(&phrase).to_string()
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

    /// Whether the anchor's rating is backed by enough ratings to compare against.
    fn rated(&self, p: &Product) -> bool {
        p.rating.is_some() && p.rating_count >= self.config.upsell_min_ratings
    }

    /// Whether `candidate` passes the hard upsell constraints on price, stock and rating over
    /// `anchor`: strictly pricier up to `cap` in the same currency, in stock, another listing,
    /// and not rated lower than an anchor whose rating counts.
    pub fn upsell_allowed(&self, anchor: &Product, candidate: &Product, cap: Money) -> bool {
        let (Some(price), Some(their)) = (anchor.price, candidate.price) else {
            return false;
        };
        their.currency == price.currency
            && their.minor > price.minor
            && their.minor <= cap.minor
            && candidate.in_stock
            && normalise(&candidate.title) != normalise(&anchor.title)
            && (!self.rated(anchor)
                || (self.rated(candidate)
                    && candidate.rating.unwrap_or(0.0) + 1e-4 >= anchor.rating.unwrap_or(0.0)))
    }

    /// What `candidate` is visibly better at than `anchor` (specs `ours` and `theirs`, read
    /// once): its rating, and the specs it has more of or the anchor lacks. `None` when it is
    /// not the same kind of product (connectors, wired or wireless, a smaller size) or is worse
    /// on a measured spec.
    fn upsell_advantages(
        &self,
        anchor: &Product,
        ours: &[Highlight],
        candidate: &Product,
        theirs: &[Highlight],
    ) -> Option<(Option<RatingEvidence>, Vec<SpecAdvantage>)> {
        // A USB-C cable stays USB-C: the same connectors, or more of them in one cable that
        // still has the anchor's ("3-in-1"); a USB-C to Lightning cable is another cable.
        let (kept, theirs_c) = (connectors(&anchor.title), connectors(&candidate.title));
        let multi = {
            let t = candidate.title.to_lowercase();
            t.contains("in 1") || t.contains("in-1") || t.contains("in1") || t.contains("multi")
        };
        if kept != 0 && theirs_c != kept && !(multi && theirs_c & kept == kept) {
            return None;
        }
        fn find(specs: &[Highlight], kind: SpecKind) -> Option<&Highlight> {
            specs.iter().find(|h| h.kind == kind)
        }
        for a in ours {
            let c = find(theirs, a.kind);
            if a.kind == SpecKind::Connectivity
                && c.is_some_and(|c| (c.text == "wired") != (a.text == "wired"))
            {
                return None;
            }
            let (Some(x), true) = (a.value, a.kind.more_is_better()) else {
                continue;
            };
            match c.and_then(|c| c.value) {
                Some(y) if y < x * SPEC_SLACK => return None,
                None if SIZES.contains(&a.kind) => return None,
                _ => {}
            }
        }
        let rating = candidate
            .rating
            .filter(|_| self.rated(candidate))
            .and_then(|r| {
                let better = match anchor.rating.filter(|_| self.rated(anchor)) {
                    Some(a) => r >= a + self.config.upsell_rating_margin - 1e-4,
                    None => r >= WELL_RATED,
                };
                better.then(|| RatingEvidence {
                    rating: r,
                    count: candidate.rating_count,
                    anchor_rating: anchor.rating.filter(|_| self.rated(anchor)),
                    anchor_count: anchor.rating_count,
                })
            });
        let mut specs = Vec::new();
        for c in theirs {
            let a = find(ours, c.kind);
            let better = match (c.value, a.and_then(|a| a.value)) {
                (Some(y), Some(x)) => c.kind.more_is_better() && y >= x * SPEC_GAIN,
                (None, _) => match c.kind {
                    SpecKind::Resolution => {
                        resolution_rank(&c.text) > a.map_or(0, |a| resolution_rank(&a.text))
                    }
                    SpecKind::WaterResistance | SpecKind::Material => a.is_none(),
                    _ => false,
                },
                _ => false,
            };
            if better {
                specs.push(SpecAdvantage {
                    kind: c.kind,
                    text: advantage_text(c),
                    anchor_text: a.map(|a| a.text.clone()),
                });
            }
        }
        Some((rating, specs))
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

    /// Every upsell candidate for `anchor` under the cap and within the sizes the customer
    /// asked for (`specs`), best expected value first.
    pub fn upsell_candidates(
        &self,
        anchor: u32,
        exclude: &[u32],
        budget: Option<Money>,
        specs: &[SpecWant],
    ) -> (Vec<UpsellCandidate>, Option<String>) {
        let products = self.catalog.products();
        let Some(a) = products.get(anchor as usize) else {
            return (Vec::new(), None);
        };
        let (Some(price), Some(cap)) = (a.price, self.upsell_cap(a, budget)) else {
            return (Vec::new(), None);
        };
        let (peers, nearest) = self.upsell_peers(anchor);
        let ours = all_specs(a);
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
            .filter(|&r| SpecWant::all_fit(specs, &products[r as usize]))
            .filter(|&r| self.same_type(anchor, r) && self.types.same_target(anchor, r))
            .filter(|&r| {
                let c = &products[r as usize];
                match self.upsell_advantages(a, &ours, c, &all_specs(c)) {
                    Some((rating, specs)) => {
                        rating.is_some()
                            || !specs.is_empty()
                            || self.review_advantage(a, r).is_some()
                    }
                    None => false,
                }
            })
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
        specs: &[SpecWant],
        limit: usize,
    ) -> Vec<Suggestion> {
        let (candidates, nearest) = self.upsell_candidates(anchor, exclude, budget, specs);
        let products = self.catalog.products();
        let a = &products[anchor as usize];
        let ours = all_specs(a);
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
            let (rating, specs) = self
                .upsell_advantages(a, &ours, p, &all_specs(p))
                .unwrap_or_default();
            let mut reason = Reason {
                rating,
                specs,
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
                review: self.review_advantage(a, c.row),
                ..Reason::default()
            };
            reason.text = reason.upsell_text();
            chosen.push(self.suggestion(c.row, c.value as f32, reason, anchor));
        }
        chosen
    }
}

impl Recommender {
    /// Whether two rows are of one product type, or either has none.
    fn same_type(&self, a: u32, b: u32) -> bool {
        match (self.types.type_of(a), self.types.type_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
    }

    /// The aspect `row`'s reviews praise clearly more than `anchor`'s.
    fn review_advantage(
        &self,
        anchor: &Product,
        row: u32,
    ) -> Option<super::reason::ReviewEvidence> {
        let reviews = self.reviews();
        let p = self.catalog.products().get(row as usize)?;
        reviews
            .get(&p.id)
            .and_then(|r| super::reason::review_advantage(r, reviews.get(&anchor.id)))
    }
}

fn normalise(title: &str) -> String {
    title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
