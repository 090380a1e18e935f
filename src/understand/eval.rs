//! Measures understanding on a labelled set: intent accuracy and slot precision, recall and F1.
//!
//! The set is JSON lines `{"text", "intent", "slots"}` with slots as in [`Slots`]; the gold
//! category is a catalog category name, matched when it is on the predicted category's path
//! (predicting "In-Ear" for a gold "Headphones" is right; "Electronics" for "In-Ear" is not).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Error, Intent, Reference, Result, Slots, Understanding};

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Labelled {
    /// The customer's message.
    pub text: String,
    /// The right intent.
    pub intent: Intent,
    /// The right slots.
    #[serde(default)]
    pub slots: Slots,
}

/// Reads a labelled set; a bad line is an error naming the file and line.
pub fn read_labelled(path: &Path) -> Result<Vec<Labelled>> {
    let bad = |reason: String| Error::Labelled {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| bad(format!("line {}: {e}", i + 1)))
        })
        .collect()
}

/// True, false and missed slot values of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Predicted and right.
    pub correct: usize,
    /// Predicted, not in the label.
    pub spurious: usize,
    /// In the label, not predicted.
    pub missed: usize,
}

impl Counts {
    /// Share of predicted values that are right.
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.correct + self.spurious)
    }
    /// Share of labelled values found.
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.correct + self.missed)
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, other: Counts) {
        self.correct += other.correct;
        self.spurious += other.spurious;
        self.missed += other.missed;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Scores of one understanding setup over a labelled set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Messages scored.
    pub messages: usize,
    /// Share with the right intent.
    pub intent_accuracy: f64,
    /// Per intent: (labelled, right).
    pub per_intent: BTreeMap<String, (usize, usize)>,
    /// All slot values together.
    pub slots: Counts,
    /// Per slot kind (category, budget, attributes, brand, references).
    pub per_slot: BTreeMap<String, Counts>,
}

/// Scores predictions against their labels (same order).
pub fn score(gold: &[Labelled], predicted: &[Understanding]) -> Scores {
    let mut scores = Scores {
        messages: gold.len().min(predicted.len()),
        ..Scores::default()
    };
    let mut right = 0;
    for (g, p) in gold.iter().zip(predicted) {
        let entry = scores
            .per_intent
            .entry(g.intent.name().to_string())
            .or_default();
        entry.0 += 1;
        if g.intent == p.intent {
            entry.1 += 1;
            right += 1;
        }
        for (kind, counts) in slot_counts(&g.slots, p) {
            scores.slots.add(counts);
            scores
                .per_slot
                .entry(kind.to_string())
                .or_default()
                .add(counts);
        }
    }
    scores.intent_accuracy = ratio(right, scores.messages);
    scores
}

fn slot_counts(gold: &Slots, p: &Understanding) -> Vec<(&'static str, Counts)> {
    let path: Vec<String> = p
        .category_path
        .iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect();
    let category = match (&gold.category, p.category_path.is_some()) {
        (Some(g), true) if path.contains(&g.to_lowercase()) => Counts {
            correct: 1,
            ..Counts::default()
        },
        (Some(_), true) => Counts {
            spurious: 1,
            missed: 1,
            ..Counts::default()
        },
        (Some(_), false) => Counts {
            missed: 1,
            ..Counts::default()
        },
        (None, true) => Counts {
            spurious: 1,
            ..Counts::default()
        },
        (None, false) => Counts::default(),
    };
    let lower = |v: &[String]| {
        v.iter()
            .map(|s| s.trim().to_lowercase())
            .collect::<Vec<_>>()
    };
    vec![
        ("category", category),
        (
            "budget",
            match_sets(&budget_values(gold), &budget_values(&p.slots)),
        ),
        (
            "attributes",
            match_sets(
                &canonical(&gold.attributes),
                &canonical(&p.slots.attributes),
            ),
        ),
        (
            "brand",
            match_sets(
                &lower(gold.brand.as_slice()),
                &lower(p.slots.brand.as_slice()),
            ),
        ),
        (
            "references",
            match_sets(&references(gold), &references(&p.slots)),
        ),
        (
            "specs",
            match_sets(&spec_values(gold), &spec_values(&p.slots)),
        ),
        (
            "direction",
            match_sets(
                &gold
                    .direction
                    .iter()
                    .map(direction_value)
                    .collect::<Vec<_>>(),
                &p.slots
                    .direction
                    .iter()
                    .map(direction_value)
                    .collect::<Vec<_>>(),
            ),
        ),
    ]
}

/// "price-" (cheaper), "rating+most" (best rated), "size+" (bigger).
pub fn direction_value(d: &crate::understand::Direction) -> String {
    let measure = match d.measure {
        crate::understand::Measure::Price => "price",
        crate::understand::Measure::Rating => "rating",
        crate::understand::Measure::Size => "size",
    };
    let sign = if d.more { "+" } else { "-" };
    let most = if d.most { "most" } else { "" };
    format!("{measure}{sign}{most}")
}

/// Spec wants as comparable strings ("screen_size>=42.1", "battery<=6000"), bounds rounded
/// to one decimal.
fn spec_values(slots: &Slots) -> Vec<String> {
    let name = |k: crate::understand::SpecKind| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    slots
        .specs
        .iter()
        .map(|s| {
            let r = |x: f64| (x * 10.0).round() / 10.0;
            match (s.min, s.max) {
                (Some(lo), Some(hi)) => format!("{}={}", name(s.kind), r((lo + hi) / 2.0)),
                (Some(lo), None) => format!("{}>={}", name(s.kind), r(lo)),
                (None, Some(hi)) => format!("{}<={}", name(s.kind), r(hi)),
                (None, None) => name(s.kind),
            }
        })
        .collect()
}

/// Attribute phrases in their canonical spelling ("usb c" and "type-c" agree).
fn canonical(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|a| super::parse::canonical_attribute(a))
        .collect()
}

/// Budget parts as comparable strings ("max=500", "cheap", "currency=INR").
fn budget_values(slots: &Slots) -> Vec<String> {
    let Some(b) = &slots.budget else {
        return Vec::new();
    };
    let mut v = Vec::new();
    for (name, value) in [("min", b.min), ("max", b.max), ("around", b.around)] {
        if let Some(x) = value {
            v.push(format!("{name}={}", (x * 100.0).round() / 100.0));
        }
    }
    if b.cheap {
        v.push("cheap".into());
    }
    if let Some(c) = &b.currency {
        v.push(format!("currency={}", c.to_uppercase()));
    }
    v
}

fn references(slots: &Slots) -> Vec<String> {
    slots
        .references
        .iter()
        .map(|r| match r {
            Reference::Ordinal(n) => format!("ordinal={n}"),
            Reference::Named(noun) => format!("named={}", noun.trim().to_lowercase()),
            Reference::Pronoun => "pronoun".into(),
            Reference::Ranked(d) => format!("ranked={}", direction_value(d)),
        })
        .collect()
}

/// Multiset match of gold and predicted values.
fn match_sets(gold: &[String], predicted: &[String]) -> Counts {
    let mut left: Vec<&String> = gold.iter().collect();
    let mut counts = Counts::default();
    for p in predicted {
        match left.iter().position(|g| *g == p) {
            Some(i) => {
                left.swap_remove(i);
                counts.correct += 1;
            }
            None => counts.spurious += 1,
        }
    }
    counts.missed = left.len();
    counts
}

/// The table `shopclerk eval understand` prints.
pub fn format_table(rows: &[(String, Scores)]) -> String {
    let mut out = format!(
        "{:<22} {:>8} {:>9} {:>7} {:>6} | slot F1: {:>8} {:>7} {:>10} {:>6} {:>10} {:>6} {:>9}\n",
        "setup",
        "intent",
        "slot P",
        "slot R",
        "F1",
        "category",
        "budget",
        "attributes",
        "brand",
        "references",
        "specs",
        "direction"
    );
    for (name, s) in rows {
        let f1 = |k: &str| s.per_slot.get(k).map_or(0.0, Counts::f1);
        out.push_str(&format!(
            "{:<22} {:>8.3} {:>9.3} {:>7.3} {:>6.3} |          {:>8.3} {:>7.3} {:>10.3} {:>6.3} {:>10.3} {:>6.3} {:>9.3}\n",
            name,
            s.intent_accuracy,
            s.slots.precision(),
            s.slots.recall(),
            s.slots.f1(),
            f1("category"),
            f1("budget"),
            f1("attributes"),
            f1("brand"),
            f1("references"),
            f1("specs"),
            f1("direction"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::understand::{Budget, IntentSource};

    fn understood(intent: Intent, slots: Slots, path: Option<Vec<&str>>) -> Understanding {
        Understanding {
            intent,
            intent_source: IntentSource::Rules,
            slots,
            category_path: path.map(|p| p.into_iter().map(String::from).collect()),
            declined: false,
            injection: false,
            noise: false,
            query: String::new(),
            terms: String::new(),
            names_product: false,
            feature_only: false,
            also: false,
            query_vector: None,
        }
    }

    #[test]
    fn a_more_specific_category_is_right_and_a_wrong_budget_counts_twice() {
        let gold = vec![Labelled {
            text: "earphones under 500".into(),
            intent: Intent::Search,
            slots: Slots {
                category: Some("Headphones".into()),
                budget: Some(Budget {
                    max: Some(500.0),
                    ..Budget::default()
                }),
                ..Slots::default()
            },
        }];
        let right = understood(
            Intent::Search,
            Slots {
                budget: Some(Budget {
                    max: Some(500.0),
                    ..Budget::default()
                }),
                ..Slots::default()
            },
            Some(vec!["Electronics", "Headphones", "In-Ear"]),
        );
        let s = score(&gold, &[right]);
        assert_eq!(s.intent_accuracy, 1.0);
        assert_eq!(s.slots.f1(), 1.0);

        let wrong = understood(
            Intent::Compare,
            Slots {
                budget: Some(Budget {
                    min: Some(500.0),
                    ..Budget::default()
                }),
                ..Slots::default()
            },
            Some(vec!["Electronics"]),
        );
        let s = score(&gold, &[wrong]);
        assert_eq!(s.intent_accuracy, 0.0);
        assert_eq!(
            s.slots,
            Counts {
                correct: 0,
                spurious: 2,
                missed: 2
            }
        );
    }
}
