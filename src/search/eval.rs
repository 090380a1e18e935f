//! Search quality on a judged query set: NDCG@k and Recall@k for each fusion strategy.
//!
//! A query is judged by product type: a product is relevant when its leaf category is one of
//! the query's `relevant_categories`. The set lives in `tests/data/search_queries.jsonl`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::filter::normalize_category;
use super::{Filter, Fusion, HybridSearcher, Result};

/// One judged query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedQuery {
    /// Which catalog the query is for ("demo", "decathlon").
    pub catalog: String,
    /// What the customer typed.
    pub query: String,
    /// Leaf categories whose products are relevant.
    pub relevant_categories: Vec<String>,
    /// Query kind (keyword, descriptive, attribute, brand, typo, hinglish).
    #[serde(default)]
    pub kind: String,
}

/// Reads a judged query set (JSON lines).
pub fn read_queries(path: &Path) -> Result<Vec<JudgedQuery>> {
    super::store::read_jsonl(path)
}

/// Mean quality figures over a set of queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Quality {
    /// Queries measured.
    pub queries: usize,
    /// Mean NDCG@k with binary relevance.
    pub ndcg: f64,
    /// Mean recall@k, capped: relevant results in the top k over min(relevant products, k).
    pub recall: f64,
}

/// NDCG@k and capped recall@k of one ranked list of relevance flags.
pub fn ndcg_recall(relevant_flags: &[bool], total_relevant: usize, k: usize) -> (f64, f64) {
    let dcg: f64 = relevant_flags
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, r)| **r)
        .map(|(i, _)| 1.0 / ((i + 2) as f64).log2())
        .sum();
    let ideal_n = total_relevant.min(k);
    let idcg: f64 = (0..ideal_n).map(|i| 1.0 / ((i + 2) as f64).log2()).sum();
    let found = relevant_flags.iter().take(k).filter(|r| **r).count();
    if ideal_n == 0 {
        return (0.0, 0.0);
    }
    (dcg / idcg, found as f64 / ideal_n as f64)
}

/// Quality of each fusion, overall and by query kind.
#[derive(Debug, Clone, Serialize)]
pub struct FusionQuality {
    /// Strategy.
    pub fusion: String,
    /// Over all queries.
    pub overall: Quality,
    /// By query kind.
    pub by_kind: BTreeMap<String, Quality>,
}

/// Runs every query of `catalog` through every fusion and measures the top `k`.
pub fn evaluate(
    searcher: &HybridSearcher,
    queries: &[JudgedQuery],
    catalog: &str,
    fusions: &[Fusion],
    k: usize,
) -> Result<Vec<FusionQuality>> {
    let products = searcher.index().products();
    let queries: Vec<&JudgedQuery> = queries.iter().filter(|q| q.catalog == catalog).collect();
    let vectors: Vec<Vec<f32>> = queries
        .iter()
        .map(|q| searcher.embed_query(&q.query))
        .collect::<Result<_>>()?;
    // Each product's leaf category, normalised once: "USBCables" judges "USB Cables".
    let leaves: Vec<Option<String>> = products
        .iter()
        .map(|p| p.leaf_category().map(normalize_category))
        .collect();
    // Per query: which rows are relevant, and how many, computed once for all fusions.
    let judged: Vec<(Vec<bool>, usize)> = queries
        .iter()
        .map(|q| {
            let relevant: Vec<String> = q
                .relevant_categories
                .iter()
                .map(|c| normalize_category(c))
                .collect();
            let rows: Vec<bool> = leaves
                .iter()
                .map(|leaf| leaf.as_ref().is_some_and(|l| relevant.contains(l)))
                .collect();
            let total = rows.iter().filter(|r| **r).count();
            (rows, total)
        })
        .collect();
    let mut out = Vec::new();
    for &fusion in fusions {
        let mut sums: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
        for ((q, v), (relevant_rows, total)) in queries.iter().zip(&vectors).zip(&judged) {
            let total = *total;
            // Products without a category cannot be judged: drop them from the ranking
            // (a condensed list) instead of counting them as misses.
            let hits =
                searcher.search_embedded(&q.query, Some(v), &Filter::default(), 2 * k, fusion)?;
            let flags: Vec<bool> = hits
                .iter()
                .filter(|h| leaves[h.row].is_some())
                .take(k)
                .map(|h| relevant_rows[h.row])
                .collect();
            let (ndcg, recall) = ndcg_recall(&flags, total, k);
            for key in ["all".to_string(), q.kind.clone()] {
                let e = sums.entry(key).or_default();
                e.0 += 1;
                e.1 += ndcg;
                e.2 += recall;
            }
        }
        let mean = |(n, ndcg, recall): (usize, f64, f64)| Quality {
            queries: n,
            ndcg: ndcg / n.max(1) as f64,
            recall: recall / n.max(1) as f64,
        };
        let overall = sums.remove("all").map(mean).unwrap_or_default();
        out.push(FusionQuality {
            fusion: fusion.to_string(),
            overall,
            by_kind: sums.into_iter().map(|(k, v)| (k, mean(v))).collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_and_recall_of_known_lists() {
        assert_eq!(ndcg_recall(&[true, true], 2, 10), (1.0, 1.0));
        let (ndcg, recall) = ndcg_recall(&[false, true], 1, 10);
        assert!((ndcg - 1.0 / 3f64.log2()).abs() < 1e-9);
        assert_eq!(recall, 1.0);
        // 20 relevant products, 5 found in the top 10: capped recall 0.5.
        let flags: Vec<bool> = (0..10).map(|i| i % 2 == 0).collect();
        assert_eq!(ndcg_recall(&flags, 20, 10).1, 0.5);
        assert_eq!(ndcg_recall(&[false], 0, 10), (0.0, 0.0));
    }
}
