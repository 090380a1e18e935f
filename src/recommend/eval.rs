//! Offline evaluation: "does the blend predict what real baskets hold better than the obvious
//! baselines, and does upsell keep its promises?"

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cross_sell::Ranking;
use super::personal::Profile;
use super::stats::{BasketStats, LearnOptions, baskets_of, customers_of, orders_by_customer};
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

/// How held-out orders become queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Every item of a held-out basket is an anchor; the basket's items of other groups are
    /// its targets. No customer history.
    Anchor,
    /// Per held-out customer, the earlier orders are their history and the last order the
    /// target: each of its items is an anchor, its items of other groups the targets.
    NextBasket,
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Protocol, String> {
        match s {
            "anchor" => Ok(Protocol::Anchor),
            "next-basket" | "next_basket" => Ok(Protocol::NextBasket),
            _ => Err(format!("protocol '{s}': expected anchor or next-basket")),
        }
    }
}

/// Cross-sell evaluation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossSellOptions {
    /// How held-out orders become queries.
    pub protocol: Protocol,
    /// Tune the blend on a validation split of the training customers first (never on the
    /// test orders), and evaluate with the tuned settings.
    pub tune: bool,
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
    /// How held-out orders became queries.
    pub protocol: Protocol,
    /// Orders learned from (with next-basket, the held-out customers' earlier orders too).
    pub train_orders: usize,
    /// Orders evaluated (target baskets).
    pub test_orders: usize,
    /// (basket, anchor) queries evaluated.
    pub queries: usize,
    /// Cut-off rank.
    pub k: usize,
    /// All strategies on the held-out orders.
    pub results: Vec<StrategyResult>,
    /// Queries with a target the customer never bought before (next-basket only).
    pub explore_queries: usize,
    /// All strategies, scored on those targets only (next-basket only).
    pub explore: Vec<StrategyResult>,
    /// What tuning chose, when asked to tune.
    pub tuned: Option<Tuned>,
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

/// One held-out query: an anchor, the basket items of other groups it should predict, and,
/// with next-basket, the customer whose history the strategies may use.
struct Query {
    anchor: u32,
    /// Index into the held-out customers' profiles.
    customer: Option<usize>,
    relevant: HashSet<u32>,
    /// The relevant items the customer never bought before.
    explore: HashSet<u32>,
}

/// Held-out data: target baskets, with the index of their customer's history in `histories`.
struct HeldOut {
    targets: Vec<(Option<usize>, Vec<u32>)>,
    /// Per held-out customer: their earlier orders as rows, oldest first.
    histories: Vec<Vec<Vec<u32>>>,
}

/// Splits `test` as `protocol` says into what is learned from (added to `train`) and what is
/// predicted. With next-basket, each held-out customer's last order (by sequence, else as
/// listed) is the target and their earlier ones are history, which a shop has learned from;
/// customers with one order, and orders without a customer, have no history and are left out.
fn hold_out(
    index: &ProductIndex,
    train: &[Order],
    test: &[Order],
    protocol: Protocol,
) -> (Vec<Order>, HeldOut) {
    let row_of = |id: &str| index.row_of(id);
    let mut learn = train.to_vec();
    let mut held = HeldOut {
        targets: Vec::new(),
        histories: Vec::new(),
    };
    match protocol {
        Protocol::Anchor => {
            held.targets = baskets_of(test, &row_of)
                .into_iter()
                .filter(|b| !b.is_empty())
                .map(|b| (None, b))
                .collect();
        }
        Protocol::NextBasket => {
            for (_, orders) in orders_by_customer(test) {
                let Some((&last, earlier)) = orders.split_last().filter(|(_, e)| !e.is_empty())
                else {
                    continue;
                };
                let earlier: Vec<Order> = earlier.iter().map(|&i| test[i].clone()).collect();
                let target = baskets_of(std::slice::from_ref(&test[last]), &row_of).remove(0);
                if target.is_empty() {
                    continue;
                }
                held.histories.push(baskets_of(&earlier, &row_of));
                held.targets.push((Some(held.histories.len() - 1), target));
                learn.extend(earlier);
            }
        }
    }
    (learn, held)
}

fn queries(
    catalog: &Catalog,
    held: &HeldOut,
    profiles: &[Profile],
    anchor_ok: &dyn Fn(u32) -> bool,
) -> Vec<Query> {
    let mut out = Vec::new();
    for (customer, basket) in &held.targets {
        for &a in basket.iter().filter(|&&a| anchor_ok(a)) {
            let relevant: HashSet<u32> = basket
                .iter()
                .copied()
                .filter(|&b| b != a && !catalog.same_group(a, b))
                .collect();
            if relevant.is_empty() {
                continue;
            }
            let explore = match customer.and_then(|c| profiles.get(c)) {
                Some(p) => relevant.iter().copied().filter(|&b| !p.bought(b)).collect(),
                None => HashSet::new(),
            };
            out.push(Query {
                anchor: a,
                customer: *customer,
                relevant,
                explore,
            });
        }
    }
    out
}

/// Scores one strategy's predictions (`predict` gives the top-k rows for a query's anchor and
/// customer), on all targets and on explore targets.
fn score(
    name: &str,
    catalog: &Catalog,
    queries: &[Query],
    k: usize,
    predict: &(dyn Fn(u32, Option<usize>) -> Vec<u32> + Sync),
) -> (StrategyResult, StrategyResult) {
    let keys: HashSet<(u32, Option<usize>)> =
        queries.iter().map(|q| (q.anchor, q.customer)).collect();
    let lists: HashMap<(u32, Option<usize>), Vec<u32>> = keys
        .into_par_iter()
        .map(|key| {
            let mut list = predict(key.0, key.1);
            list.truncate(k);
            (key, list)
        })
        .collect();
    let judge = |relevant_of: &dyn Fn(&Query) -> &HashSet<u32>| {
        let ideal = |n: usize| {
            (0..n.min(k))
                .map(|i| 1.0 / (i as f64 + 2.0).log2())
                .sum::<f64>()
        };
        let (mut hit, mut ndcg, mut mrr, mut diversity, mut n) = (0.0, 0.0, 0.0, 0.0, 0usize);
        let mut recommended: HashSet<u32> = HashSet::new();
        for q in queries {
            let relevant = relevant_of(q);
            if relevant.is_empty() {
                continue;
            }
            n += 1;
            let list = &lists[&(q.anchor, q.customer)];
            recommended.extend(list.iter().copied());
            let mut dcg = 0.0;
            let mut first = None;
            for (i, r) in list.iter().enumerate() {
                if relevant.contains(r) {
                    dcg += 1.0 / (i as f64 + 2.0).log2();
                    first.get_or_insert(i);
                }
            }
            if let Some(i) = first {
                hit += 1.0;
                mrr += 1.0 / (i as f64 + 1.0);
            }
            ndcg += dcg / ideal(relevant.len());
            diversity += intra_list_diversity(catalog, list);
        }
        let n = n.max(1) as f64;
        StrategyResult {
            strategy: name.to_string(),
            hit: hit / n,
            ndcg: ndcg / n,
            mrr: mrr / n,
            coverage: recommended.len() as f64 / catalog.products().len().max(1) as f64,
            diversity: diversity / n,
        }
    };
    (judge(&|q| &q.relevant), judge(&|q| &q.explore))
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
    /// The customer of each basket.
    customer_of: Vec<u32>,
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
        let ids = customers_of(orders);
        let mut purchases = Vec::new();
        let mut baskets = Vec::new();
        let mut customer_of = Vec::new();
        for (&user, basket) in ids.iter().zip(baskets_of(orders, &row_of)) {
            purchases.extend(basket.iter().map(|&r| (user, r, 1.0)));
            if !basket.is_empty() {
                baskets.push(basket);
                customer_of.push(user);
            }
        }
        Training {
            baskets,
            customer_of,
            purchases,
            customers: ids.iter().max().map_or(0, |&m| m as usize + 1),
        }
    }

    fn stats(&self, rows: usize, leaves: &super::Leaves) -> BasketStats {
        BasketStats::learn_by_customer(
            rows,
            leaves,
            &self.baskets,
            &self.customer_of,
            &LearnOptions::default(),
        )
    }
}

/// Every strategy on `queries`, with `recommender` (learned from `training`) for the blends.
/// Returns the results on all targets and on explore targets.
fn run_strategies(
    recommender: &Recommender,
    training: &Training,
    queries: &[Query],
    profiles: &[Profile],
    options: &CrossSellOptions,
) -> (Vec<StrategyResult>, Vec<StrategyResult>) {
    let catalog = recommender.catalog();
    let index = &catalog.index;
    let k = options.k;
    let other = |a: u32| move |c: &u32| *c != a && !catalog.same_group(a, *c);
    let learned = recommender.read();
    let by_group = group_popularity(catalog, &training.baskets, k * 4);
    let popular = |a: u32| -> Vec<u32> {
        learned
            .popular
            .global()
            .iter()
            .copied()
            .filter(other(a))
            .take(k)
            .collect()
    };
    let profile = |c: Option<usize>| c.and_then(|c| profiles.get(c));
    // Popularity by buyers: customers who bought each product at least once.
    let mut by_buyers: Vec<u32> = (0..catalog.products().len() as u32)
        .filter(|&r| learned.stats.item_buyers[r as usize] > 0)
        .collect();
    by_buyers.sort_by_key(|&r| (std::cmp::Reverse(learned.stats.item_buyers[r as usize]), r));
    by_buyers.truncate(256);
    let mut results = vec![
        score("popularity by buyers", catalog, queries, k, &|a, _| {
            by_buyers.iter().copied().filter(other(a)).take(k).collect()
        }),
        score("popularity", catalog, queries, k, &|a, _| popular(a)),
        score("dept-popularity", catalog, queries, k, &|a, _| {
            catalog
                .group(a)
                .and_then(|g| by_group.get(&g))
                .map(|items| items.iter().copied().filter(other(a)).take(k).collect())
                .unwrap_or_default()
        }),
    ];
    if !profiles.is_empty() {
        // What the customer buys most (recency-weighted), then best sellers.
        results.push(score("personal frequency", catalog, queries, k, &|a, c| {
            let mut list: Vec<u32> = profile(c)
                .map(|p| p.favourites(usize::MAX))
                .unwrap_or_default()
                .into_iter()
                .filter(other(a))
                .take(k)
                .collect();
            for r in popular(a) {
                if list.len() < k && !list.contains(&r) {
                    list.push(r);
                }
            }
            list
        }));
    }
    results.push(score("co-occurrence", catalog, queries, k, &|a, _| {
        let list = learned.stats.items.of(a as usize);
        list.into_iter()
            .map(|e| e.0)
            .filter(other(a))
            .take(k)
            .collect()
    }));
    results.push(score("content", catalog, queries, k, &|a, _| {
        let vectors = index.vectors();
        let mask = catalog.other_group_mask(a);
        vectors
            .top_k(vectors.row(a as usize), Some(&mask), k)
            .into_iter()
            .map(|(r, _)| r as u32)
            .collect()
    }));
    drop(learned);
    let weights = recommender.config().weights;
    let mut blends = vec![("blend", weights)];
    if options.als_weight > 0.0 {
        let rows = catalog.products().len();
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
                ..weights
            };
            blends.push(("blend + als", with_als));
        }
    }
    for (name, weights) in blends {
        for (label, ranking) in [
            (name.to_string(), Ranking::BLEND),
            (format!("{name}, accurate"), Ranking::PLAIN),
        ] {
            results.push(score(&label, catalog, queries, k, &|a, c| {
                recommender
                    .cross_sell_rows(&[a], &[], &weights, k, ranking, profile(c))
                    .into_iter()
                    .map(|(c, _)| c)
                    .collect()
            }));
        }
    }
    results.into_iter().unzip()
}

/// What tuning chose, and on what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tuned {
    /// How the validation split was drawn.
    pub validation: String,
    /// Validation queries.
    pub queries: usize,
    /// Settings tried.
    pub tried: usize,
    /// The chosen value of each tuned setting, by its `shopclerk.toml` name.
    pub settings: Vec<(String, f32)>,
    /// Validation NDCG@k of the accurate blend with the starting settings.
    pub ndcg_before: f64,
    /// The same with the chosen settings.
    pub ndcg_after: f64,
}

/// One tunable setting: its name, where it lives, and the values tried.
struct Knob {
    name: &'static str,
    get: fn(&RecommendConfig) -> f32,
    set: fn(&mut RecommendConfig, f32),
    values: &'static [f32],
    personal: bool,
}

const KNOBS: &[Knob] = &[
    Knob {
        name: "weights.popularity",
        get: |c| c.weights.popularity,
        set: |c, v| c.weights.popularity = v,
        values: &[0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0],
        personal: false,
    },
    Knob {
        name: "shrinkage",
        get: |c| c.shrinkage,
        set: |c, v| c.shrinkage = v,
        values: &[1.0, 5.0, 20.0, 50.0, 100.0, 200.0, 500.0, 2000.0],
        personal: false,
    },
    Knob {
        name: "category_shrinkage",
        get: |c| c.category_shrinkage,
        set: |c, v| c.category_shrinkage = v,
        values: &[1.0, 5.0, 20.0, 100.0, 500.0, 2000.0],
        personal: false,
    },
    Knob {
        name: "weights.copurchase",
        get: |c| c.weights.copurchase,
        set: |c, v| c.weights.copurchase = v,
        values: &[0.5, 0.75, 1.0, 1.25, 1.5],
        personal: false,
    },
    Knob {
        name: "weights.category",
        get: |c| c.weights.category,
        set: |c, v| c.weights.category = v,
        values: &[0.5, 1.0, 1.5, 2.0],
        personal: false,
    },
    Knob {
        name: "weights.content",
        get: |c| c.weights.content,
        set: |c, v| c.weights.content = v,
        values: &[0.0, 0.5, 1.0, 2.0],
        personal: false,
    },
    Knob {
        name: "weights.personal",
        get: |c| c.weights.personal,
        set: |c, v| c.weights.personal = v,
        values: &[0.25, 0.5, 1.0, 2.0, 4.0],
        personal: true,
    },
    Knob {
        name: "personal_prior",
        get: |c| c.personal_prior,
        set: |c, v| c.personal_prior = v,
        values: &[0.1, 0.5, 1.0, 3.0, 10.0, 30.0],
        personal: true,
    },
    Knob {
        name: "personal_shrinkage",
        get: |c| c.personal_shrinkage,
        set: |c, v| c.personal_shrinkage = v,
        values: &[1.0, 5.0, 20.0, 50.0, 200.0],
        personal: true,
    },
    Knob {
        name: "personal_decay",
        get: |c| c.personal_decay,
        set: |c, v| c.personal_decay = v,
        values: &[0.7, 0.8, 0.9, 0.95, 1.0],
        personal: true,
    },
];

/// Passes of coordinate search over the knobs.
const TUNING_PASSES: usize = 2;
/// Share of the training customers tuning validates on.
const VALIDATION_SHARE: f64 = 0.2;

/// Tunes the blend's settings by coordinate search (each knob over its grid, the others
/// fixed; twice) for the NDCG@k of the accurate blend on `held`, with `fit` (learned without
/// the validation customers) as the base: the shop-wide knobs under the anchor protocol, the
/// customer's own (personal) knobs under next-basket.
fn tune(
    fit: &Recommender,
    stats: &BasketStats,
    held: &HeldOut,
    options: &CrossSellOptions,
    validation: String,
) -> Option<(RecommendConfig, Tuned)> {
    let personal = options.protocol == Protocol::NextBasket;
    let evaluate = |config: &RecommendConfig| -> Option<(f64, usize)> {
        let r = fit.variant(stats.clone(), config.clone()).ok()?;
        let profiles = profiles_of(&r, held);
        let queries = queries(r.catalog(), held, &profiles, &|_| true);
        let profile = |c: Option<usize>| c.and_then(|c| profiles.get(c));
        let (all, _) = score("tuning", r.catalog(), &queries, options.k, &|a, c| {
            r.cross_sell_rows(
                &[a],
                &[],
                &config.weights,
                options.k,
                Ranking::PLAIN,
                profile(c),
            )
            .into_iter()
            .map(|(c, _)| c)
            .collect()
        });
        Some((all.ndcg, queries.len()))
    };
    let mut best = fit.config().clone();
    let (before, queries) = evaluate(&best)?;
    let mut best_ndcg = before;
    let mut tried = 1;
    for _ in 0..TUNING_PASSES {
        for knob in KNOBS.iter().filter(|k| k.personal == personal) {
            for &v in knob.values {
                if ((knob.get)(&best) - v).abs() < 1e-6 {
                    continue;
                }
                let mut candidate = best.clone();
                (knob.set)(&mut candidate, v);
                tried += 1;
                if let Some((ndcg, _)) = evaluate(&candidate)
                    && ndcg > best_ndcg
                {
                    best_ndcg = ndcg;
                    best = candidate;
                }
            }
        }
    }
    let settings = KNOBS
        .iter()
        .filter(|k| k.personal == personal)
        .map(|k| (k.name.to_string(), (k.get)(&best)))
        .collect();
    Some((
        best,
        Tuned {
            validation,
            queries,
            tried,
            settings,
            ndcg_before: before,
            ndcg_after: best_ndcg,
        },
    ))
}

/// The held-out customers' profiles, with the recommender's recency decay.
fn profiles_of(recommender: &Recommender, held: &HeldOut) -> Vec<Profile> {
    held.histories
        .iter()
        .map(|h| {
            Profile::new(
                h,
                recommender.config().personal_decay,
                &recommender.catalog().leaves,
            )
        })
        .collect()
}

/// Learns from `train`, predicts cross-sell for the `test` baskets as `options.protocol`
/// says, and scores each strategy; then repeats with the co-purchase data of a share of
/// products withheld (cold start). With `options.tune`, the blend's settings are first tuned
/// on a split of the training customers (by customer, `VALIDATION_SHARE` of them, seeded from
/// `options.seed`); the test orders are never seen while tuning. `embedder` (the index's) lays
/// the complement map over the catalog.
///
/// # Errors
/// A bad A/B setup, an unreadable complement map or the embedder failing.
pub fn evaluate_cross_sell(
    index: &Arc<ProductIndex>,
    train: &[Order],
    test: &[Order],
    config: &RecommendConfig,
    options: &CrossSellOptions,
    embedder: &dyn crate::embed::Embedder,
) -> super::Result<CrossSellReport> {
    let mut config = config.clone();
    config.cross_sell_depth = options.depth;
    // Arms split live sessions; offline, every strategy is measured on every query.
    config.ab = super::AbConfig::default();
    let leaves = super::Leaves::of(index.products());
    let rows = index.products().len();
    let (learn, held) = hold_out(index, train, test, options.protocol);
    let training = Training::new(index, &learn, &HashSet::new());
    let mut recommender = Recommender::new(
        index.clone(),
        training.stats(rows, &leaves),
        config.clone(),
        embedder,
    )?;

    let mut tuned = None;
    if options.tune {
        let seed = options.seed ^ 0x7a11;
        let (fit, validation) = split_orders(train, Split::Customer, seed, VALIDATION_SHARE);
        let (fit_learn, fit_held) = hold_out(index, &fit, &validation, options.protocol);
        let fit_stats = Training::new(index, &fit_learn, &HashSet::new()).stats(rows, &leaves);
        let label = format!(
            "{:.0}% of the training customers (seed {seed}), {} orders",
            VALIDATION_SHARE * 100.0,
            validation.len()
        );
        if let Some((chosen, report)) = tune(&recommender, &fit_stats, &fit_held, options, label) {
            recommender = recommender.variant(training.stats(rows, &leaves), chosen)?;
            tuned = Some(report);
        }
    }

    let profiles = profiles_of(&recommender, &held);
    let queries = queries(recommender.catalog(), &held, &profiles, &|_| true);
    let (results, explore) = run_strategies(&recommender, &training, &queries, &profiles, options);
    let explore_queries = queries.iter().filter(|q| !q.explore.is_empty()).count();

    // Cold start: products drawn among those bought in training lose all their baskets.
    let products = index.products();
    let bought: HashSet<u32> = training.baskets.iter().flatten().copied().collect();
    let cold: HashSet<u32> = bought
        .into_iter()
        .filter(|&r| {
            unit(stable_hash(options.seed ^ 0xc01d, &products[r as usize].id)) < options.cold_share
        })
        .collect();
    let warm = Training::new(index, &learn, &cold);
    let cold_recommender =
        recommender.variant(warm.stats(rows, &leaves), recommender.config().clone())?;
    let cold_queries = self::queries(cold_recommender.catalog(), &held, &profiles, &|a| {
        cold.contains(&a)
    });
    let (cold_start, _) =
        run_strategies(&cold_recommender, &warm, &cold_queries, &profiles, options);
    Ok(CrossSellReport {
        protocol: options.protocol,
        train_orders: training.baskets.len(),
        test_orders: held.targets.len(),
        queries: queries.len(),
        k: options.k,
        results,
        explore_queries,
        explore: if profiles.is_empty() {
            Vec::new()
        } else {
            explore
        },
        tuned,
        cold_products: cold.len(),
        cold_queries: cold_queries.len(),
        cold_start,
    })
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
        let list = recommender.upsell(row as u32, &[], None, &[], limit);
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
    /// The same share among anchors whose judged complements the catalog sells (in stock):
    /// an anchor the shop has nothing to go with is right to stay empty.
    #[serde(default)]
    pub empty_share_servable: f64,
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
    let (mut servable, mut servable_empty) = (0usize, 0usize);
    for j in judged.iter().filter(|j| j.catalog == catalog_name) {
        let sells_a_complement = products
            .iter()
            .zip(&labels)
            .any(|(p, l)| p.in_stock && j.complements.contains(l));
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
            let list = recommender.cross_sell(&[a], &[], &recommender.config.weights, k, None);
            empty += usize::from(list.is_empty());
            if sells_a_complement {
                servable += 1;
                servable_empty += usize::from(list.is_empty());
            }
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
    report.empty_share_servable = servable_empty as f64 / servable.max(1) as f64;
    report
}
