//! A report over a real catalog, run by hand: agreement with star ratings, aspect coverage
//! and sample summaries.

use super::*;

/// Prints the agreement report, aspect coverage and sample summaries for a real catalog:
/// `cargo test --release reviews::report_tests -- --ignored --nocapture`
/// (`REVIEWS_CATALOG=path.jsonl` for another catalog in the same JSON-lines format).
#[test]
#[ignore = "reads the demo catalog; prints a report"]
fn demo_catalog_report() {
    let path = std::env::var("REVIEWS_CATALOG").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo_catalog.jsonl").to_string()
    });
    let Ok(body) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {path} is not here");
        return;
    };
    let products: Vec<Product> = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("catalog line"))
        .collect();
    let started = std::time::Instant::now();
    let summaries: Vec<ReviewSummary> = products.iter().map(analyze).collect();
    let elapsed = started.elapsed();
    let report = agreement(&products, &summaries);
    println!(
        "catalog: {path}: {} products, analysed in {elapsed:?}",
        products.len()
    );
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));

    let liked = products
        .iter()
        .filter(|p| p.rating.is_some_and(|r| r >= 4.0))
        .count();
    let disliked = products
        .iter()
        .filter(|p| p.rating.is_some_and(|r| r < 3.5))
        .count();
    println!(
        "polarity baseline (always 'positive'): {:.3}",
        liked as f64 / (liked + disliked).max(1) as f64
    );
    let recall = |keep: &dyn Fn(f32) -> bool, sign: f32| {
        let (hit, all) = products
            .iter()
            .zip(&summaries)
            .fold((0, 0), |(h, n), (p, s)| {
                match p.rating.filter(|r| keep(*r)) {
                    Some(_) => (h + usize::from(s.sentiment * sign > 0.0), n + 1),
                    None => (h, n),
                }
            });
        format!("{hit}/{all}")
    };
    println!(
        "recall: liked (>= 4.0) {}, disliked (< 3.5) {}",
        recall(&|r| r >= 4.0, 1.0),
        recall(&|r| r < 3.5, -1.0)
    );
    let with_opinion = summaries.iter().filter(|s| s.sentiment != 0.0).count();
    let with_aspect = summaries.iter().filter(|s| !s.aspects.is_empty()).count();
    let positive = summaries.iter().filter(|s| s.sentiment > 0.0).count();
    let negative = summaries.iter().filter(|s| s.sentiment < 0.0).count();
    println!(
        "with an opinion: {with_opinion}, positive {positive}, negative {negative}; \
         with an aspect: {with_aspect}"
    );
    println!("aspect coverage (products with mentions, positive-leaning, negative-leaning):");
    for name in ASPECTS {
        let judged: Vec<&AspectSentiment> =
            summaries.iter().filter_map(|s| s.aspect(name)).collect();
        let up = judged.iter().filter(|a| a.score > 0.0).count();
        let down = judged.iter().filter(|a| a.score < 0.0).count();
        println!("  {name:<13} {:>4} {up:>4} {down:>4}", judged.len());
    }
    for s in summaries.iter().step_by(97).take(14) {
        println!("{} {:+.2} {:?}", s.product_id, s.sentiment, s.summary);
    }
    assert!(report.products > 0);
    assert!(report.pearson > 0.0, "sentiment should agree with ratings");
}
