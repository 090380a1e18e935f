//! `shopclerk recommend`, `eval cross-sell`, `eval upsell` and `ab report`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::{load_embedder, open_index};
use clap::Args;
use shopclerk::catalog::{self, LoadOptions, Money, Order};
use shopclerk::config::Config;
use shopclerk::recommend::eval::{self, CrossSellOptions, Protocol, Split, StrategyResult};
use shopclerk::recommend::{Kind, Recommender, Request, Suggestion, feedback};

/// `shopclerk recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Index directory.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Anchor product id (repeat for a cart or session, oldest first).
    #[arg(long = "item", required = true)]
    items: Vec<String>,
    /// Which suggestions: cross, up or both.
    #[arg(long, default_value = "both")]
    kind: Kind,
    /// Suggestions per list.
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// The customer's budget in the catalog's currency (caps upsell prices).
    #[arg(long)]
    budget: Option<f64>,
    /// Product ids not to suggest (declined or already shown).
    #[arg(long)]
    exclude: Vec<String>,
    /// The customer's session id: picks its A/B arm when `[recommend.ab]` defines arms.
    #[arg(long)]
    session: Option<String>,
    /// A returning customer (a `customer_id` of the index's orders): their purchase history
    /// joins the cross-sell blend.
    #[arg(long)]
    customer: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Applies the server database's customer records (`[server] database`, when it exists):
/// erased customers are forgotten, their stored purchases added, so the command line sees
/// returning customers as the service does.
pub(super) fn stored_customers(config: &Config, recommender: &Recommender) -> Result<()> {
    let database = &config.server.database;
    let is_url = shopclerk::server::store::is_postgres_url(database);
    if !is_url && !std::path::Path::new(database).exists() {
        return Ok(());
    }
    let store = shopclerk::server::store::open(database)
        .with_context(|| format!("opening the session database {database}"))?;
    let (erased, orders) = store
        .customer_orders()
        .with_context(|| format!("reading customers from {}", store.describe()))?;
    recommender.apply_customer_records(&erased, &orders);
    Ok(())
}

/// `shopclerk eval cross-sell`.
#[derive(Debug, Args)]
pub struct EvalCrossSellArgs {
    /// Index directory (its catalog and embeddings; its own statistics are not used).
    #[arg(long)]
    index: Option<PathBuf>,
    /// Orders to learn from (and to hold some out of, without --test-orders).
    #[arg(long, required = true)]
    orders: Vec<PathBuf>,
    /// Orders to evaluate on; the --orders are then all used for learning.
    #[arg(long)]
    test_orders: Vec<PathBuf>,
    /// How held-out orders become queries: anchor (each item of a basket predicts the
    /// basket's other departments) or next-basket (per customer, earlier orders are history,
    /// each item of the last order predicts its other departments).
    #[arg(long, default_value = "anchor")]
    protocol: Protocol,
    /// Tune the blend on a validation split of the training customers first, print what it
    /// chose, and evaluate with it.
    #[arg(long)]
    tune: bool,
    /// Hold out by order or by customer.
    #[arg(long, default_value = "customer")]
    split: Split,
    /// Share of orders (or customers) held out.
    #[arg(long, default_value_t = 0.2)]
    test_share: f64,
    /// Seed of the split and the cold-start draw.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Cut-off rank.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Category depth a suggestion must differ at (1: another department).
    #[arg(long, default_value_t = 1)]
    depth: usize,
    /// Also train implicit-feedback factors (ALS) on the training orders and report the blend
    /// with them at this weight (0: skip).
    #[arg(long, default_value_t = 1.0)]
    als_weight: f32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `shopclerk eval complements`.
#[derive(Debug, Args)]
pub struct EvalComplementsArgs {
    /// Index directory.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Judged anchor types (JSON lines, see tests/data/README_cross_sell.md).
    #[arg(long, default_value = "tests/data/cross_sell_judged.jsonl")]
    judged: PathBuf,
    /// Which lines of the set: those whose "catalog" is this.
    #[arg(long, default_value = "demo")]
    set: String,
    /// Suggestions asked per anchor.
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// Anchor products per type: its most-rated ones.
    #[arg(long, default_value_t = 5)]
    per_type: usize,
    /// Print every anchor's suggestions and verdicts.
    #[arg(long)]
    verbose: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `shopclerk eval upsell`.
#[derive(Debug, Args)]
pub struct EvalUpsellArgs {
    /// Index directory.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Upsells asked per product.
    #[arg(long, default_value_t = 3)]
    limit: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Prints suggestions for the given anchors.
pub fn recommend(config: &Config, args: &RecommendArgs) -> Result<()> {
    let index = open_index(config, &args.index)?;
    let currency = index.manifest().currency;
    let recommender = Recommender::open(
        index,
        config.recommend.clone(),
        load_embedder(config, false)?.as_ref(),
    )?;
    let budget = args
        .budget
        .map(|b| Money::from_amount(b, currency))
        .transpose()
        .context("--budget")?;
    let request = Request {
        kind: args.kind,
        budget,
        exclude: args.exclude.clone(),
        session: args.session.clone(),
        customer: args.customer.clone(),
        ..Request::new(args.items.clone(), args.limit)
    };
    if args.customer.is_some() {
        stored_customers(config, &recommender)?;
    }
    if let Some(c) = &args.customer
        && recommender.customer_profile(c).is_none()
    {
        eprintln!("customer '{c}' has no orders in this index: suggestions are not personal");
    }
    let out = recommender.recommend(&request)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    for a in &out.anchors {
        println!("for: {}", super::product_line(a));
    }
    let print = |title: &str, list: &[Suggestion]| {
        println!("\n{title}:");
        if list.is_empty() {
            println!("  (none)");
        }
        for (i, s) in list.iter().enumerate() {
            println!(
                "{:>3}. {}\n     {}",
                i + 1,
                super::product_line(&s.product),
                s.reason.text
            );
        }
    };
    if matches!(args.kind, Kind::Cross | Kind::Both) {
        print("cross-sell", &out.cross_sell);
    }
    if matches!(args.kind, Kind::Up | Kind::Both) {
        print("upsell", &out.upsell);
    }
    Ok(())
}

fn read_orders(paths: &[PathBuf]) -> Result<Vec<Order>> {
    let (catalog, report) = catalog::load(paths, &LoadOptions::default())?;
    if !report.rejected.is_empty() {
        eprintln!("{}", report.summary());
    }
    if catalog.orders.is_empty() {
        bail!("no orders in {}", describe(paths));
    }
    Ok(catalog.orders)
}

fn describe(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the cross-sell evaluation and prints one table (or JSON).
pub fn eval_cross_sell(config: &Config, args: &EvalCrossSellArgs) -> Result<()> {
    let started = Instant::now();
    let index = open_index(config, &args.index)?;
    let orders = read_orders(&args.orders)?;
    let (train, test) = if args.test_orders.is_empty() {
        eval::split_orders(&orders, args.split, args.seed, args.test_share)
    } else {
        (orders, read_orders(&args.test_orders)?)
    };
    let options = CrossSellOptions {
        protocol: args.protocol,
        tune: args.tune,
        k: args.k,
        depth: args.depth,
        cold_share: 0.2,
        seed: args.seed,
        als_weight: args.als_weight,
    };
    let embedder = load_embedder(config, false)?;
    let report = eval::evaluate_cross_sell(
        &index,
        &train,
        &test,
        &config.recommend,
        &options,
        embedder.as_ref(),
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "cross-sell, protocol {}, {} train / {} test orders ({}), {} queries, k={}, other categories at depth {} ({:.1}s)",
        match report.protocol {
            Protocol::Anchor => "anchor",
            Protocol::NextBasket => "next-basket",
        },
        report.train_orders,
        report.test_orders,
        if args.test_orders.is_empty() {
            format!("split by {:?}, seed {}", args.split, args.seed).to_lowercase()
        } else {
            "given test file".into()
        },
        report.queries,
        report.k,
        args.depth,
        started.elapsed().as_secs_f64()
    );
    if let Some(t) = &report.tuned {
        println!(
            "tuned on {}: {} queries, {} settings tried, validation NDCG@{} {:.4} -> {:.4}",
            t.validation, t.queries, t.tried, report.k, t.ndcg_before, t.ndcg_after
        );
        let chosen: Vec<String> = t
            .settings
            .iter()
            .map(|(n, v)| format!("{n} = {v}"))
            .collect();
        println!("chosen: {}", chosen.join(", "));
    }
    print_table(&report.results, report.k);
    if !report.explore.is_empty() {
        println!(
            "\nexplore targets (items the customer never bought before): {} queries",
            report.explore_queries
        );
        print_table(&report.explore, report.k);
    }
    println!(
        "\ncold start: co-purchase data of {} products withheld, {} queries anchored on them",
        report.cold_products, report.cold_queries
    );
    print_table(&report.cold_start, report.k);
    Ok(())
}

fn print_table(results: &[StrategyResult], k: usize) {
    println!(
        "{:<24} {:>7} {:>8} {:>7} {:>9} {:>9}",
        "strategy",
        format!("Hit@{k}"),
        format!("NDCG@{k}"),
        "MRR",
        "coverage",
        "diversity"
    );
    for r in results {
        println!(
            "{:<24} {:>7.4} {:>8.4} {:>7.4} {:>9.4} {:>9.3}",
            r.strategy, r.hit, r.ndcg, r.mrr, r.coverage, r.diversity
        );
    }
    let best_baseline = results
        .iter()
        .filter(|r| !r.strategy.starts_with("blend"))
        .max_by(|a, b| a.ndcg.total_cmp(&b.ndcg));
    let Some(base) = best_baseline else {
        return;
    };
    for name in ["blend", "blend, accurate"] {
        if let Some(blend) = results.iter().find(|r| r.strategy == name) {
            println!(
                "{name} vs best baseline ({}): NDCG@{k} x{:.3}",
                base.strategy,
                blend.ndcg / base.ndcg.max(f64::MIN_POSITIVE)
            );
        }
    }
}

/// `shopclerk ab report`.
#[derive(Debug, Args)]
pub struct AbReportArgs {
    /// Event log (JSON lines of impression / click / add_to_cart / purchase events).
    #[arg(long)]
    events: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Prints per-arm impressions, click-through and conversion with 95% intervals.
pub fn ab_report(args: &AbReportArgs) -> Result<()> {
    let (events, problems) = feedback::read_events(&args.events)?;
    for p in problems.iter().take(20) {
        eprintln!("skipped {}: {p}", args.events.display());
    }
    let report = feedback::ab_report(&events);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{} events from {}", events.len(), args.events.display());
        print!("{}", feedback::format_report(&report));
    }
    Ok(())
}

/// Judges cross-sell by product type and prints precision@k, substitutes and empty anchors.
pub fn eval_complements(config: &Config, args: &EvalComplementsArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.judged)
        .with_context(|| format!("reading {}", args.judged.display()))?;
    let mut judged = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        judged.push(
            serde_json::from_str::<eval::JudgedAnchor>(line)
                .with_context(|| format!("{}:{}", args.judged.display(), i + 1))?,
        );
    }
    let index = open_index(config, &args.index)?;
    let embedder = load_embedder(config, false)?;
    let recommender = Recommender::open(index, config.recommend.clone(), embedder.as_ref())?;
    let report = eval::evaluate_judged(&recommender, &judged, &args.set, args.k, args.per_type);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if args.verbose {
        let types = recommender.product_types();
        let products = recommender.catalog().products();
        let mut seen = std::collections::HashSet::new();
        for (row, p) in products.iter().enumerate() {
            let label = eval::category_label(p);
            if seen.insert(label.clone()) {
                let kind = types.type_of(row as u32).map_or("-", |t| types.name(t));
                println!("type  {label} -> {kind}");
            }
        }
        for list in &report.lists {
            println!(
                "{} | {}",
                list.anchor,
                list.title.chars().take(70).collect::<String>()
            );
            if list.suggestions.is_empty() {
                println!("    (none)");
            }
            for (label, verdict, reason) in &list.suggestions {
                println!("    {verdict:<10} {label}  ({reason})");
            }
        }
    }
    println!(
        "cross-sell judged by type ({}): {} anchor types, {} anchors, {} suggestions
  precision@{}: {:.3} ({} accepted)
  substitutes: {}
  anchors with no suggestion: {:.1}% ({:.1}% of those whose judged complements the shop sells)",
        args.set,
        report.anchor_types,
        report.anchors,
        report.suggestions,
        args.k,
        report.precision,
        report.accepted,
        report.substitutes,
        report.empty_share * 100.0,
        report.empty_share_servable * 100.0
    );
    Ok(())
}

/// Checks every upsell over the catalog and prints the figures.
pub fn eval_upsell(config: &Config, args: &EvalUpsellArgs) -> Result<()> {
    let index = open_index(config, &args.index)?;
    let recommender = Recommender::open(
        index,
        config.recommend.clone(),
        load_embedder(config, false)?.as_ref(),
    )?;
    let report = eval::evaluate_upsell(&recommender, args.limit);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "upsell over {} priced products, up to {} each\n  coverage (>= 1 upsell): {:.1}%\n  suggestions: {}\n  keep every promise: {:.1}%\n  same leaf category: {:.1}%\n  median price uplift: {:.0}%",
        report.anchors,
        args.limit,
        report.coverage * 100.0,
        report.suggestions,
        report.valid * 100.0,
        report.same_leaf * 100.0,
        report.median_uplift_percent
    );
    for v in &report.violations {
        println!("  violation: {v}");
    }
    if report.valid < 1.0 && report.suggestions > 0 {
        bail!("some upsell suggestions broke a promise");
    }
    Ok(())
}
