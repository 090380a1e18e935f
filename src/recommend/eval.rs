//! Offline evaluation: "does the blend predict what real baskets hold better than the obvious
//! baselines, and does upsell keep its promises?"

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cross_sell::Ranking;
use super::stats::{BasketStats, LearnOptions, baskets_of};
use super::{Catalog, RecommendConfig, Recommender, Weights};
use crate::catalog::present::all_specs;
use crate::catalog::{Order, SpecKind};
use crate::search::ProductIndex;

/// How held-out orders are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Random orders: a customer's other orders may be in training.
    Order,
    /// Random customers: no customer is in both halves.
    Customer,
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Split, String> {
        match s {
            "order" => Ok(Split::Order),
            "customer" => Ok(Split::Customer),
            _ => Err(format!("split '{s}': expected order or customer")),
        }
    }
}

/// Cross-sell evaluation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossSellOptions {
    /// Cut-off rank.
    pub k: usize,
    /// Category depth a prediction must differ at (1: another department).
    pub depth: usize,
    /// Share of products whose co-purchase data the cold-start run withholds.
    pub cold_share: f64,
    /// Seed of the cold-start product draw.
    pub seed: u64,
    /// Weight of implicit-feedback factors in an extra "blend + als" run (0: no such run).
    pub als_weight: f32,
}

/// One strategy's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyResult {
    /// Strategy name.
    pub strategy: String,
    /// Share of (basket, anchor) queries with a hit in the top k.
    pub hit: f64,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Mean reciprocal rank of the first hit within the top k.
    pub mrr: f64,
    /// Share of the catalog recommended at least once.
    pub coverage: f64,
    /// Mean intra-list diversity: 1 - mean pairwise cosine similarity of a list's products.
    pub diversity: f64,
}

/// The whole cross-sell evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossSellReport {
    /// Orders learned from.
    pub train_orders: usize,
    /// Orders evaluated.
    pub test_orders: usize,
    /// (basket, anchor) queries evaluated.
    pub queries: usize,
    /// Cut-off rank.
    pub k: usize,
    /// All strategies on the held-out orders.
    pub results: Vec<StrategyResult>,
    /// Cold-start products withheld.
    pub cold_products: usize,
    /// Queries whose anchor is a cold-start product.
    pub cold_queries: usize,
    /// All strategies, anchors limited to cold-start products learned without their data.
    pub cold_start: Vec<StrategyResult>,
}

/// A deterministic 64-bit hash of a string under a seed (FNV-1a then a SplitMix64 finaliser),
/// stable across runs and platforms so splits can be reproduced.
pub fn stable_hash(seed: u64, text: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Splits orders into (train, test), `test_share` of them held out by order or by customer.
pub fn split_orders(
    orders: &[Order],
    split: Split,
    seed: u64,
    test_share: f64,
) -> (Vec<Order>, Vec<Order>) {
    orders.iter().cloned().partition(|o| {
        let key = match (split, &o.customer_id) {
            (Split::Customer, Some(c)) => c.as_str(),
            _ => o.order_id.as_str(),
        };
        unit(stable_hash(seed, key)) >= test_share
    })
}

/// Per cross-sell group: products most often in baskets holding that group, most first.
fn group_popularity(
    catalog: &Catalog,
    baskets: &[Vec<u32>],
    keep: usize,
) -> HashMap<u32, Vec<u32>> {
    let mut counts: HashMap<u32, HashMap<u32, u32>> = HashMap::new();
    for basket in baskets {
        let mut groups: Vec<u32> = basket.iter().filter_map(|&r| catalog.group(r)).collect();
        groups.sort_unstable();
        groups.dedup();
        for g in groups {
            let c = counts.entry(g).or_default();
            for &r in basket {
                *c.entry(r).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(g, items)| {
            let mut items: Vec<(u32, u32)> = items
                .into_iter()
                .filter(|&(r, _)| catalog.group(r) != Some(g))
                .collect();
            items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            (g, items.into_iter().take(keep).map(|(r, _)| r).collect())
        })
        .collect()
}

/// One held-out query: an anchor and the basket items of other groups it should predict.
struct Query {
    anchor: u32,
    relevant: HashSet<u32>,
}

fn queries(catalog: &Catalog, baskets: &[Vec<u32>], anchor_ok: &dyn Fn(u32) -> bool) -> Vec<Query> {
    let mut out = Vec::new();
    for basket in baskets {
        for &a in basket.iter().filter(|&&a| anchor_ok(a)) {
            let relevant: HashSet<u32> = basket
                .iter()
                .copied()
                .filter(|&b| b != a && !catalog.same_group(a, b))
                .collect();
            if !relevant.is_empty() {
                out.push(Query {
                    anchor: a,
                    relevant,
                });
            }
        }
    }
    out
}

/// Scores one strategy's predictions (`predict` gives the top-k rows for an anchor).
fn score(
    name: &str,
    catalog: &Catalog,
    queries: &[Query],
    k: usize,
    predict: &(dyn Fn(u32) -> Vec<u32> + Sync),
) -> StrategyResult {
    let anchors: HashSet<u32> = queries.iter().map(|q| q.anchor).collect();
    let lists: HashMap<u32, Vec<u32>> = anchors
        .into_par_iter()
        .map(|a| {
            let mut list = predict(a);
            list.truncate(k);
            (a, list)
        })
        .collect();
    let ideal = |n: usize| {
        (0..n.min(k))
            .map(|i| 1.0 / (i as f64 + 2.0).log2())
            .sum::<f64>()
    };
    let (mut hit, mut ndcg, mut mrr, mut diversity) = (0.0, 0.0, 0.0, 0.0);
    for q in queries {
        let list = &lists[&q.anchor];
        let mut dcg = 0.0;
        let mut first = None;
        for (i, r) in list.iter().enumerate() {
            if q.relevant.contains(r) {
                dcg += 1.0 / (i as f64 + 2.0).log2();
                first.get_or_insert(i);
            }
        }
        if let Some(i) = first {
            hit += 1.0;
            mrr += 1.0 / (i as f64 + 1.0);
        }
        ndcg += dcg / ideal(q.relevant.len());
        diversity += intra_list_diversity(catalog, list);
    }
    let recommended: HashSet<u32> = lists.values().flatten().copied().collect();
    let n = queries.len().max(1) as f64;
    StrategyResult {
        strategy: name.to_string(),
        hit: hit / n,
        ndcg: ndcg / n,
        mrr: mrr / n,
        coverage: recommended.len() as f64 / catalog.products().len().max(1) as f64,
        diversity: diversity / n,
    }
}

fn intra_list_diversity(catalog: &Catalog, list: &[u32]) -> f64 {
    if list.len() < 2 {
        return 0.0;
    }
    let mut sum = 0.0;
    let mut pairs = 0.0;
    for (i, &a) in list.iter().enumerate() {
        for &b in &list[i + 1..] {
            sum += 1.0 - f64::from(catalog.similarity(a, b));
            pairs += 1.0;
        }
    }
    sum / pairs
}

/// Learning data of one run: baskets as rows, and (customer, row) purchases for the factors.
struct Training {
    baskets: Vec<Vec<u32>>,
    purchases: Vec<(u32, u32, f32)>,
    customers: usize,
}

impl Training {
    /// `orders` as rows, with the `withheld` products removed everywhere.
    fn new(index: &ProductIndex, orders: &[Order], withheld: &HashSet<u32>) -> Training {
        let row_of = |id: &str| {
            index
                .row_of(id)
                .filter(|r| !withheld.contains(&(*r as u32)))
        };
        let mut customers: HashMap<&str, u32> = HashMap::new();
        let mut purchases = Vec::new();
        let mut baskets = Vec::new();
        for (order, basket) in orders.iter().zip(baskets_of(orders, &row_of)) {
            let customer = order
                .customer_id
                .as_deref()
                .unwrap_or(order.order_id.as_str());
            let next = customers.len() as u32;
            let user = *customers.entry(customer).or_insert(next);
            purchases.extend(basket.iter().map(|&r| (user, r, 1.0)));
            if !basket.is_empty() {
                baskets.push(basket);
            }
        }
        Training {
            baskets,
            purchases,
            customers: customers.len(),
        }
    }
}

/// Every strategy on the queries `queries_of` picks, learning from `training`.
fn run_strategies(
    index: &Arc<ProductIndex>,
    training: &Training,
    queries_of: &dyn Fn(&Catalog) -> Vec<Query>,
    config: &RecommendConfig,
    options: &CrossSellOptions,
    embedder: &dyn crate::embed::Embedder,
) -> (Vec<StrategyResult>, usize) {
    let mut config = config.clone();
    config.cross_sell_depth = options.depth;
    // Arms split live sessions; offline, every strategy is measured on every query.
    config.ab = super::AbConfig::default();
    let leaves = super::Leaves::of(index.products());
    let rows = index.products().len();
    let stats = BasketStats::learn(rows, &leaves, &training.baskets, &LearnOptions::default());
    let recommender = match Recommender::new(index.clone(), stats, config.clone(), embedder) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("cross-sell evaluation: {e}");
            return (Vec::new(), 0);
        }
    };
    let catalog = recommender.catalog();
    let queries = queries_of(catalog);
    let k = options.k;
    let other = |a: u32| move |c: &u32| *c != a && !catalog.same_group(a, *c);
    let learned = recommender.read();
    let by_group = group_popularity(catalog, &training.baskets, k * 4);
    let blend = |weights: Weights, ranking: Ranking| {
        let r = &recommender;
        move |a: u32| -> Vec<u32> {
            r.cross_sell_rows(&[a], &[], &weights, k, ranking)
                .into_iter()
                .map(|(c, _)| c)
                .collect()
        }
    };
    let mut results = vec![
        score("popularity", catalog, &queries, k, &|a| {
            learned
                .popular
                .global()
                .iter()
                .copied()
                .filter(other(a))
                .take(k)
                .collect()
        }),
        score("dept-popularity", catalog, &queries, k, &|a| {
            catalog
                .group(a)
                .and_then(|g| by_group.get(&g))
                .map(|items| items.iter().copied().filter(other(a)).take(k).collect())
                .unwrap_or_default()
        }),
        score("co-occurrence", catalog, &queries, k, &|a| {
            let list = learned.stats.items.of(a as usize);
            list.into_iter()
                .map(|e| e.0)
                .filter(other(a))
                .take(k)
                .collect()
        }),
        score("content", catalog, &queries, k, &|a| {
            let vectors = index.vectors();
            let mask = catalog.other_group_mask(a);
            vectors
                .top_k(vectors.row(a as usize), Some(&mask), k)
                .into_iter()
                .map(|(r, _)| r as u32)
                .collect()
        }),
    ];
    drop(learned);
    let mut blends = vec![("blend", config.weights)];
    if options.als_weight > 0.0 {
        let als = super::als::AlsModel::train(
            &training.purchases,
            training.customers,
            rows,
            &super::als::AlsOptions::default(),
        );
        if let Ok(model) = als {
            recommender.set_factors(model);
            let with_als = Weights {
                als: options.als_weight,
                ..config.weights
            };
            blends.push(("blend + als", with_als));
        }
    }
    for (name, weights) in blends {
        results.push(score(
            name,
            catalog,
            &queries,
            k,
            &blend(weights, Ranking::BLEND),
        ));
        let plain = format!("{name}, undiversified");
        results.push(score(
            &plain,
            catalog,
            &queries,
            k,
            &blend(weights, Ranking::PLAIN),
        ));
    }
    (results, queries.len())
}

/// Learns from `train`, predicts cross-sell for every item of every `test` basket, and scores
/// each strategy; then repeats with the co-purchase data of a share of products withheld.
/// `embedder` (the index's) lays the complement map over the catalog.
pub fn evaluate_cross_sell(
    index: &Arc<ProductIndex>,
    train: &[Order],
    test: &[Order],
    config: &RecommendConfig,
    options: &CrossSellOptions,
    embedder: &dyn crate::embed::Embedder,
) -> CrossSellReport {
    let row_of = |id: &str| index.row_of(id);
    let mut test_baskets = baskets_of(test, &row_of);
    test_baskets.retain(|b| !b.is_empty());
    let training = Training::new(index, train, &HashSet::new());
    let (results, queries) = run_strategies(
        index,
        &training,
        &|c| self::queries(c, &test_baskets, &|_| true),
        config,
        options,
        embedder,
    );

    // Cold start: products drawn among those bought in training lose all their baskets.
    let products = index.products();
    let bought: HashSet<u32> = training.baskets.iter().flatten().copied().collect();
    let cold: HashSet<u32> = bought
        .into_iter()
        .filter(|&r| {
            unit(stable_hash(options.seed ^ 0xc01d, &products[r as usize].id)) < options.cold_share
        })
        .collect();
    let warm = Training::new(index, train, &cold);
    let (cold_start, cold_queries) = run_strategies(
        index,
        &warm,
        &|c| self::queries(c, &test_baskets, &|a| cold.contains(&a)),
        config,
        options,
        embedder,
    );
    CrossSellReport {
        train_orders: training.baskets.len(),
        test_orders: test_baskets.len(),
        queries,
        k: options.k,
        results,
        cold_products: cold.len(),
        cold_queries,
        cold_start,
    }
}

/// Upsell promises kept over a catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpsellReport {
    /// Priced products asked for an upsell.
    pub anchors: usize,
    /// Share of them with at least one upsell.
    pub coverage: f64,
    /// Upsell suggestions made.
    pub suggestions: usize,
    /// Share in the anchor's leaf category (the rest come from the nearest leaf of a small one).
    pub same_leaf: f64,
    /// Share that keep every promise: same (or nearest, for a small leaf) category, pricier
    /// within the band, never rated lower than an anchor with enough ratings, at least as big
    /// (screen, capacity, people), and better at something its reason names truly (a rating
    /// higher by the margin, a spec it has more of or the anchor lacks, a review aspect).
    /// Must be 1.
    pub valid: f64,
    /// Median price uplift over the anchor, in percent.
    pub median_uplift_percent: f64,
    /// The first suggestions that broke a promise, described.
    pub violations: Vec<String>,
}

/// Asks for `limit` upsells for every priced product and checks each against the promises.
pub fn evaluate_upsell(recommender: &Recommender, limit: usize) -> UpsellReport {
    let catalog = recommender.catalog();
    let products = catalog.products();
    let config = recommender.config();
    let mut report = UpsellReport {
        anchors: 0,
        coverage: 0.0,
        suggestions: 0,
        same_leaf: 0.0,
        valid: 0.0,
        median_uplift_percent: 0.0,
        violations: Vec::new(),
    };
    let (mut covered, mut same, mut valid) = (0usize, 0usize, 0usize);
    let mut uplifts = Vec::new();
    for (row, anchor) in products.iter().enumerate() {
        let Some(price) = anchor.price else {
            continue;
        };
        report.anchors += 1;
        let list = recommender.upsell(row as u32, &[], None, limit);
        covered += usize::from(!list.is_empty());
        for s in &list {
            report.suggestions += 1;
            let Some(p) = recommender.catalog.index.product(&s.product.id) else {
                report
                    .violations
                    .push(format!("{}: unknown id {}", anchor.id, s.product.id));
                continue;
            };
            let same_leaf = p.category_path == anchor.category_path;
            let nearest = s.reason.nearest_category.as_deref() == p.leaf_category();
            let their = p.price.map_or(0, |m| m.minor);
            let cap = (price.minor as f64 * config.upsell_max_ratio).floor() as i64;
            let priced = p.price.is_some_and(|m| m.currency == price.currency)
                && their > price.minor
                && their <= cap;
            let enough = |x: &crate::catalog::Product| {
                x.rating.is_some() && x.rating_count >= config.upsell_min_ratings
            };
            // Never rated lower than an anchor whose rating counts.
            let rated = !enough(anchor)
                || (enough(p) && p.rating.unwrap_or(0.0) + 1e-4 >= anchor.rating.unwrap_or(0.0));
            // At least as big: a 43-inch TV is followed by 43 inches or more.
            let (ours, theirs) = (all_specs(anchor), all_specs(p));
            let value = |specs: &[crate::catalog::Highlight], kind| {
                specs.iter().find(|h| h.kind == kind).and_then(|h| h.value)
            };
            let sized = [SpecKind::ScreenSize, SpecKind::Capacity, SpecKind::People]
                .iter()
                .all(|&k| {
                    value(&ours, k).is_none_or(|a| value(&theirs, k).is_some_and(|c| c >= a * 0.99))
                });
            // Every advantage the reason names is true, and it names one.
            let rating_true = s.reason.rating.as_ref().is_none_or(|r| {
                Some(r.rating) == p.rating
                    && r.count == p.rating_count
                    && match anchor.rating.filter(|_| enough(anchor)) {
                        Some(a) => r.rating >= a + config.upsell_rating_margin - 1e-4,
                        None => r.rating >= 4.0,
                    }
            });
            let specs_true = s.reason.specs.iter().all(|a| {
                theirs
                    .iter()
                    .any(|h| h.kind == a.kind && a.text.contains(&h.text))
                    && match (value(&theirs, a.kind), value(&ours, a.kind)) {
                        (Some(c), Some(x)) => c > x,
                        (None, _) => {
                            !ours.iter().any(|h| h.kind == a.kind) || a.kind == SpecKind::Resolution
                        }
                        _ => true,
                    }
            });
            let named = s.reason.rating.is_some()
                || !s.reason.specs.is_empty()
                || s.reason.review.is_some();
            let better = named && rating_true && specs_true;
            same += usize::from(same_leaf);
            if (same_leaf || nearest) && priced && rated && sized && better && p.in_stock {
                valid += 1;
                uplifts.push((their - price.minor) as f64 / price.minor.max(1) as f64 * 100.0);
            } else if report.violations.len() < 20 {
                report.violations.push(format!(
                    "{} -> {}: same category {}, price in band {priced}, not rated lower {rated}, as big {sized}, a true advantage {better}",
                    anchor.id,
                    p.id,
                    same_leaf || nearest
                ));
            }
        }
    }
    let n = report.suggestions.max(1) as f64;
    report.coverage = covered as f64 / report.anchors.max(1) as f64;
    report.same_leaf = same as f64 / n;
    report.valid = valid as f64 / n;
    uplifts.sort_by(f64::total_cmp);
    report.median_uplift_percent = uplifts.get(uplifts.len() / 2).copied().unwrap_or(0.0);
    report
}

/// One anchor product type of a judged cross-sell set (`tests/data/cross_sell_judged.jsonl`):
/// the leaf categories a shopper accepts as its complements and those that are substitutes.
/// A category's label is its last two path elements joined by " > " ("Televisions > Smart
/// Televisions"), or its only element.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JudgedAnchor {
    /// The catalog the line is for ("demo", "decathlon").
    pub catalog: String,
    /// The anchor's category label.
    pub anchor: String,
    /// Labels accepted as complements.
    pub complements: Vec<String>,
    /// Labels that do the anchor's job (never a cross-sell).
    pub substitutes: Vec<String>,
}

/// How a judged set's anchors fared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JudgedReport {
    /// Anchor types judged (those with products in the catalog).
    pub anchor_types: usize,
    /// Anchor products asked for cross-sell.
    pub anchors: usize,
    /// Suggestions made.
    pub suggestions: usize,
    /// Suggestions in an accepted category.
    pub accepted: usize,
    /// Accepted over suggestions made: precision@k.
    pub precision: f64,
    /// Suggestions in a substitute category.
    pub substitutes: usize,
    /// Share of anchor products left with no suggestion.
    pub empty_share: f64,
    /// Each anchor product's suggestions: anchor label, anchor title, then each suggestion's
    /// label and whether it was accepted, a substitute or neither.
    pub lists: Vec<JudgedList>,
}

/// One anchor product's judged suggestions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgedList {
    /// The anchor's category label.
    pub anchor: String,
    /// The anchor's title.
    pub title: String,
    /// `(label, verdict, reason)`: verdict is "accepted", "substitute" or "neither".
    pub suggestions: Vec<(String, &'static str, String)>,
}

/// A product's category label: its last two path elements joined by " > ".
pub fn category_label(p: &crate::catalog::Product) -> String {
    let path = &p.category_path;
    path[path.len().saturating_sub(2)..].join(" > ")
}

/// Asks `k` cross-sells for the `per_type` most-rated in-stock products of each judged anchor
/// type of `catalog_name` and judges each suggestion by its category.
pub fn evaluate_judged(
    recommender: &Recommender,
    judged: &[JudgedAnchor],
    catalog_name: &str,
    k: usize,
    per_type: usize,
) -> JudgedReport {
    let products = recommender.catalog().products();
    let labels: Vec<String> = products.iter().map(category_label).collect();
    let mut report = JudgedReport::default();
    let mut empty = 0usize;
    for j in judged.iter().filter(|j| j.catalog == catalog_name) {
        let mut rows: Vec<u32> = (0..products.len() as u32)
            .filter(|&r| labels[r as usize] == j.anchor && products[r as usize].in_stock)
            .collect();
        if rows.is_empty() {
            continue;
        }
        rows.sort_by_key(|&r| (std::cmp::Reverse(products[r as usize].rating_count), r));
        rows.truncate(per_type);
        report.anchor_types += 1;
        for a in rows {
            report.anchors += 1;
            let list = recommender.cross_sell(&[a], &[], &recommender.config.weights, k);
            empty += usize::from(list.is_empty());
            let mut judged_list = JudgedList {
                anchor: j.anchor.clone(),
                title: products[a as usize].title.clone(),
                suggestions: Vec::new(),
            };
            for s in &list {
                let label = recommender
                    .catalog
                    .index
                    .product(&s.product.id)
                    .map(category_label)
                    .unwrap_or_default();
                let verdict = if j.complements.contains(&label) {
                    report.accepted += 1;
                    "accepted"
                } else if j.substitutes.contains(&label) || label == j.anchor {
                    report.substitutes += 1;
                    "substitute"
                } else {
                    "neither"
                };
                report.suggestions += 1;
                judged_list
                    .suggestions
                    .push((label, verdict, s.reason.text.clone()));
            }
            report.lists.push(judged_list);
        }
    }
    report.precision = report.accepted as f64 / report.suggestions.max(1) as f64;
    report.empty_share = empty as f64 / report.anchors.max(1) as f64;
    report
}
