//! Why a suggestion was made: the evidence, and one short sentence built from it alone.

use serde::{Deserialize, Serialize};

use crate::catalog::Money;
use crate::catalog::model::group_digits;

/// Shoppers who put the anchor and the suggestion in one basket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoPurchaseEvidence {
    /// The anchor product id.
    pub anchor: String,
    /// Shoppers who bought both in one basket (each counted once, however often).
    pub count: u32,
    /// Shoppers who bought the anchor.
    pub anchor_count: u32,
    /// How much likelier a shopper of the anchor is to add the suggestion than any shopper
    /// is to buy it.
    pub lift: f32,
}

/// How often the anchor's category and the suggestion's category are bought together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryPairEvidence {
    /// The anchor's leaf category.
    pub from: String,
    /// The suggestion's leaf category.
    pub to: String,
    /// Share of baskets with `from` that also hold `to`.
    pub share: f32,
    /// Baskets with both.
    pub baskets: u32,
}

/// What the customer's own orders say (a returning customer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonalEvidence {
    /// Their orders known (the latest 100 at most).
    pub orders: usize,
    /// Of those, the orders that held the suggestion.
    pub with_suggestion: usize,
    /// Of those, the orders that also held the anchor.
    pub with_anchor: usize,
    /// The anchor as a shopper names it ("Organic Whole Milk").
    pub anchor_name: String,
}

/// What the product-type complement map or the suggestion's own words say (cross-sell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplementEvidence {
    /// The anchor's product type ("television").
    pub anchor_type: String,
    /// The suggestion's product type, when it has one ("tv wall mount").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement_type: Option<String>,
    /// What it does for the anchor, from the complement map ("mounts the TV on the wall").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub does: Option<String>,
    /// Its title says it is made for the anchor's type ("Wall Mount for LED TVs").
    pub made_for: bool,
    /// The anchor's brand, when the suggestion's title names it as what it is made for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
}

/// The suggestion's rating next to the anchor's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingEvidence {
    /// Suggestion's average rating.
    pub rating: f32,
    /// Ratings it is averaged over.
    pub count: u64,
    /// Anchor's average rating, when it has one.
    pub anchor_rating: Option<f32>,
    /// Anchor's rating count.
    pub anchor_count: u64,
}

/// A spec the suggestion is better at than the anchor (upsell): more of a measured one, or
/// one the anchor lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecAdvantage {
    /// What it measures.
    pub kind: crate::catalog::SpecKind,
    /// The suggestion's spec as a shopper reads it ("55-inch screen", "braided build").
    pub text: String,
    /// The anchor's value of the same spec, when it states one ("43-inch").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_text: Option<String>,
}

/// An aspect reviews rate better for the suggestion than for the anchor (upsell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewEvidence {
    /// The aspect (one of [`crate::reviews::ASPECTS`]).
    pub aspect: String,
    /// The suggestion's aspect score, -1 to 1.
    pub score: f32,
    /// The anchor's aspect score, when its reviews mention the aspect.
    pub anchor_score: Option<f32>,
    /// Review mentions of the aspect for the suggestion.
    pub mentions: u32,
}

/// Structured evidence behind a suggestion plus one sentence built from it only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// One short sentence for the customer.
    pub text: String,
    /// Co-purchase evidence, strongest anchor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copurchase: Option<CoPurchaseEvidence>,
    /// Category pair evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_pair: Option<CategoryPairEvidence>,
    /// Complement map or "made for" evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complement: Option<ComplementEvidence>,
    /// The customer's own orders (cross-sell for a returning customer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<PersonalEvidence>,
    /// Embedding similarity to the closest anchor (cosine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// Ratings compared (upsell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingEvidence>,
    /// How much more the suggestion costs than the anchor (upsell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_difference: Option<Money>,
    /// Suggestion price over anchor price (upsell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_ratio: Option<f64>,
    /// Upsell peers came from the nearest category because the anchor's leaf is small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nearest_category: Option<String>,
    /// What reviews rate better for the suggestion (upsell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewEvidence>,
    /// Specs the suggestion is better at (upsell).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specs: Vec<SpecAdvantage>,
}

/// How much better (aspect score, -1 to 1) the suggestion's reviews must rate an aspect.
const REVIEW_ADVANTAGE: f32 = 0.3;

/// The aspect the candidate's reviews rate best above the anchor's, if one clearly is.
pub(crate) fn review_advantage(
    candidate: &crate::reviews::ReviewSummary,
    anchor: Option<&crate::reviews::ReviewSummary>,
) -> Option<ReviewEvidence> {
    candidate
        .aspects
        .iter()
        // The seller's service and delivery say nothing about the product itself.
        .filter(|a| !matches!(a.aspect.as_str(), "service" | "delivery"))
        .filter(|a| a.positive > a.negative && a.score >= REVIEW_ADVANTAGE)
        .map(|a| {
            let anchor_score = anchor.and_then(|s| s.aspect(&a.aspect)).map(|x| x.score);
            (a, anchor_score, a.score - anchor_score.unwrap_or(0.0))
        })
        .filter(|(_, _, gain)| *gain >= REVIEW_ADVANTAGE)
        .max_by(|x, y| x.2.total_cmp(&y.2))
        .map(|(a, anchor_score, _)| ReviewEvidence {
            aspect: a.aspect.clone(),
            score: a.score,
            anchor_score,
            mentions: a.positive + a.negative,
        })
}

/// Co-purchase counts below this are too thin to be quoted to a customer.
const QUOTABLE_BASKETS: u32 = 3;
/// A customer's own orders holding a product before "often" is true of it.
const QUOTABLE_OWN_ORDERS: usize = 2;

fn count_text(n: u64) -> String {
    group_digits(&n.to_string(), false)
}

impl Reason {
    /// The cross-sell sentence, from the strongest evidence: the customer's own orders ("You
    /// often add this with Organic Whole Milk", "You buy this often: 4 of your 6 orders"), then
    /// the shop's orders when there are enough to quote ("Shoppers who buy televisions often
    /// add one (12% of them)"), then a
    /// product made for the anchor's brand ("Made for Samsung televisions"), then what the
    /// complement map says it does ("Mounts the TV on the wall"), then made for the type.
    /// `anchor_noun` names the anchor's kind in the plural ("televisions", "fresh fruits").
    pub fn cross_sell_text(&self, anchor_noun: &str) -> String {
        let percent = |share: f32| (share * 100.0).round().max(1.0);
        if let Some(p) = &self.personal {
            if p.with_anchor >= QUOTABLE_OWN_ORDERS {
                return format!("You often add this with {}", p.anchor_name);
            }
            if p.with_suggestion >= QUOTABLE_OWN_ORDERS {
                return format!(
                    "You buy this often: {} of your {} orders",
                    p.with_suggestion, p.orders
                );
            }
        }
        if let Some(c) = self
            .copurchase
            .as_ref()
            .filter(|c| c.count >= QUOTABLE_BASKETS)
        {
            let share = c.count as f32 / c.anchor_count.max(1) as f32;
            return format!(
                "Shoppers who buy {anchor_noun} often add one ({}% of them)",
                percent(share)
            );
        }
        if let Some(p) = self
            .category_pair
            .as_ref()
            .filter(|p| p.baskets >= QUOTABLE_BASKETS && p.share >= 0.01)
        {
            return format!(
                "{}% of shoppers who buy {} add {} too",
                percent(p.share),
                p.from.to_lowercase(),
                p.to.to_lowercase()
            );
        }
        if let Some(c) = &self.complement {
            let kind = plural_name(&c.anchor_type);
            if let (true, Some(brand)) = (c.made_for, &c.brand) {
                return format!("Made for {brand} {kind}");
            }
            if let Some(does) = &c.does {
                return crate::catalog::present::capitalise(does.trim());
            }
            if c.made_for {
                return format!("Made for {kind}");
            }
        }
        format!("Goes with {anchor_noun}")
    }

    /// The upsell sentence: the advantages, then the price difference ("4.4★ from 12,000
    /// ratings vs 4.1, 55-inch screen vs 43-inch, ₹3,000 more").
    pub fn upsell_text(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.rating {
            let mut s = format!("{:.1}★ from {} ratings", r.rating, count_text(r.count));
            if let Some(a) = r.anchor_rating {
                s.push_str(&format!(" vs {a:.1}"));
            }
            parts.push(s);
        }
        for s in &self.specs {
            parts.push(match &s.anchor_text {
                Some(a) => format!("{} vs {a}", s.text),
                None => s.text.clone(),
            });
        }
        if let Some(r) = &self.review {
            let label = crate::reviews::aspect_label(&r.aspect).unwrap_or(&r.aspect);
            parts.push(format!("reviews praise its {label}"));
        }
        if let Some(d) = &self.price_difference {
            parts.push(format!("{d} more"));
        }
        if parts.is_empty() {
            "A step up in the same category".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// A type name in the plural as a shopper reads it ("tv" -> "TVs", "fishing rod" -> "fishing
/// rods").
pub(crate) fn plural_name(name: &str) -> String {
    let mut words: Vec<String> = name.split_whitespace().map(str::to_string).collect();
    // Pair items and mass nouns are named in the plural already ("headphones", "socks").
    if let Some(last) = words
        .last_mut()
        .filter(|w| !w.ends_with('s') || w.ends_with("ss"))
    {
        *last = crate::catalog::present::plural(last);
    }
    words
        .iter()
        .map(|w| crate::catalog::present::as_printed(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Currency;

    #[test]
    fn sentences_quote_only_the_evidence() {
        let mut r = Reason {
            copurchase: Some(CoPurchaseEvidence {
                anchor: "a".into(),
                count: 42,
                anchor_count: 100,
                lift: 3.0,
            }),
            ..Reason::default()
        };
        assert_eq!(
            r.cross_sell_text("smartphones"),
            "Shoppers who buy smartphones often add one (42% of them)"
        );
        r.personal = Some(PersonalEvidence {
            orders: 6,
            with_suggestion: 4,
            with_anchor: 1,
            anchor_name: "Organic Whole Milk".into(),
        });
        assert_eq!(
            r.cross_sell_text("smartphones"),
            "You buy this often: 4 of your 6 orders"
        );
        r.personal.as_mut().unwrap().with_anchor = 3;
        assert_eq!(
            r.cross_sell_text("smartphones"),
            "You often add this with Organic Whole Milk"
        );
        r.personal = Some(PersonalEvidence {
            orders: 6,
            with_suggestion: 1,
            with_anchor: 1,
            anchor_name: "Organic Whole Milk".into(),
        });
        r.copurchase.as_mut().unwrap().count = 1;
        assert_eq!(r.cross_sell_text("smartphones"), "Goes with smartphones");
        r.complement = Some(ComplementEvidence {
            anchor_type: "television".into(),
            complement_type: Some("tv wall mount".into()),
            does: Some("mounts the TV on the wall".into()),
            made_for: false,
            brand: None,
        });
        assert_eq!(
            r.cross_sell_text("televisions"),
            "Mounts the TV on the wall"
        );
        r.complement = Some(ComplementEvidence {
            anchor_type: "tv".into(),
            complement_type: None,
            does: None,
            made_for: true,
            brand: Some("Samsung".into()),
        });
        assert_eq!(r.cross_sell_text("TVs"), "Made for Samsung TVs");
        r.category_pair = Some(CategoryPairEvidence {
            from: "fresh fruits".into(),
            to: "yogurt".into(),
            share: 0.234,
            baskets: 50,
        });
        assert_eq!(
            r.cross_sell_text("fresh fruits"),
            "23% of shoppers who buy fresh fruits add yogurt too"
        );
        let up = Reason {
            rating: Some(RatingEvidence {
                rating: 4.44,
                count: 12000,
                anchor_rating: Some(3.9),
                anchor_count: 50,
            }),
            specs: vec![SpecAdvantage {
                kind: crate::catalog::SpecKind::Playtime,
                text: "40 h playtime".into(),
                anchor_text: Some("30 h".into()),
            }],
            price_difference: Some(Money::from_minor(30_000, Currency::INR)),
            ..Reason::default()
        };
        assert_eq!(
            up.upsell_text(),
            "4.4★ from 12,000 ratings vs 3.9, 40 h playtime vs 30 h, ₹300 more"
        );
        let reviewed = Reason {
            review: Some(ReviewEvidence {
                aspect: "battery".into(),
                score: 0.5,
                anchor_score: Some(-0.3),
                mentions: 2,
            }),
            ..up
        };
        assert!(
            reviewed
                .upsell_text()
                .ends_with(", reviews praise its battery life, ₹300 more"),
            "{}",
            reviewed.upsell_text()
        );
    }
}
