//! How well review sentiment agrees with star ratings: a sanity check of the analysis that
//! needs no labelled data.

use std::collections::HashMap;

use super::aspects::ALL;
use super::{Agreement, ReviewSummary};
use crate::catalog::Product;

/// At or above this average a product counts as liked.
const LIKED: f64 = 4.0;
/// Below this average a product counts as disliked; in between is skipped as ambiguous.
const DISLIKED: f64 = 3.5;

/// Pearson correlation; 0 when either side is constant or there are fewer than two pairs,
/// so that the result is always a finite number.
pub(crate) fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return 0.0;
    }
    let mean = |v: &[f64]| v.iter().take(n).sum::<f64>() / n as f64;
    let (mx, my) = (mean(xs), mean(ys));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        let (dx, dy) = (x - mx, y - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let r = sxy / (sxx * syy).sqrt();
    if r.is_finite() {
        r.clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Ranks from 1, ties sharing their average rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (values.get(a), values.get(b));
        x.zip(y)
            .map_or(std::cmp::Ordering::Equal, |(x, y)| x.total_cmp(y))
    });
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let value = order.get(i).and_then(|&o| values.get(o));
        let mut j = i + 1;
        while j < order.len() && order.get(j).and_then(|&o| values.get(o)) == value {
            j += 1;
        }
        // Positions i..j hold equal values: ranks i+1..=j, averaged.
        let rank = (i + 1 + j) as f64 / 2.0;
        for &o in order.get(i..j).unwrap_or(&[]) {
            if let Some(r) = ranks.get_mut(o) {
                *r = rank;
            }
        }
        i = j;
    }
    ranks
}

/// Spearman rank correlation: Pearson over ranks.
pub(crate) fn spearman(xs: &[f64], ys: &[f64]) -> f64 {
    pearson(&ranks(xs), &ranks(ys))
}

/// Compares summaries with the star ratings of the products they belong to (matched by id).
pub(crate) fn agreement(products: &[Product], summaries: &[ReviewSummary]) -> Agreement {
    let mut by_id: HashMap<&str, &ReviewSummary> = HashMap::new();
    for summary in summaries {
        by_id.entry(summary.product_id.as_str()).or_insert(summary);
    }
    // Pairs in catalog order so results never depend on hash order.
    let pairs: Vec<(f64, &ReviewSummary)> = products
        .iter()
        .filter_map(|p| {
            let rating = f64::from(p.rating?);
            let summary = by_id.get(p.id.as_str())?;
            (rating.is_finite() && summary.reviews > 0 && summary.sentiment.is_finite())
                .then_some((rating, *summary))
        })
        .collect();
    let ratings: Vec<f64> = pairs.iter().map(|(r, _)| *r).collect();
    let sentiments: Vec<f64> = pairs.iter().map(|(_, s)| f64::from(s.sentiment)).collect();

    let mut polarity_products = 0;
    let mut correct = 0;
    for (rating, summary) in &pairs {
        let expected = if *rating >= LIKED {
            1.0
        } else if *rating < DISLIKED {
            -1.0
        } else {
            continue;
        };
        polarity_products += 1;
        // Neutral sentiment predicts neither side, so it counts as a miss.
        if f64::from(summary.sentiment) * expected > 0.0 {
            correct += 1;
        }
    }
    let polarity_accuracy = if polarity_products == 0 {
        0.0
    } else {
        correct as f64 / polarity_products as f64
    };

    let mut per_aspect: Vec<(String, usize, f64)> = ALL
        .iter()
        .filter_map(|aspect| {
            let (scores, stars): (Vec<f64>, Vec<f64>) = pairs
                .iter()
                .filter_map(|(rating, summary)| {
                    let a = summary.aspect(aspect.id())?;
                    (a.positive.saturating_add(a.negative) > 0)
                        .then_some((f64::from(a.score), *rating))
                })
                .unzip();
            (!scores.is_empty()).then(|| {
                let r = pearson(&scores, &stars);
                (aspect.id().to_string(), scores.len(), r)
            })
        })
        .collect();
    per_aspect.sort_by_key(|a| std::cmp::Reverse(a.1));

    Agreement {
        products: pairs.len(),
        pearson: pearson(&sentiments, &ratings),
        spearman: spearman(&sentiments, &ratings),
        polarity_products,
        polarity_accuracy,
        per_aspect,
    }
}
