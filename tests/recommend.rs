//! Cross-sell and upsell through the public API, over a small shop with real embeddings and
//! hand-made baskets (`tests/data/shop_*.jsonl`).

mod common;

use std::path::Path;
use std::sync::Arc;

use shopclerk::catalog::{Currency, LoadOptions, Money, load};
use shopclerk::recommend::feedback::{EventKind, FeedbackEvent};
use shopclerk::recommend::{
    AbConfig, ArmConfig, Kind, RecommendConfig, Recommender, Request, STATS_FILE, Weights,
};
use shopclerk::search::{BuildOptions, ProductIndex, build_index};

fn build(dir: &Path) -> Arc<ProductIndex> {
    let (catalog, report) = load(
        &[
            common::data("shop_catalog.jsonl"),
            common::data("shop_orders.jsonl"),
        ],
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let options = BuildOptions {
        out: dir.to_path_buf(),
        incremental: false,
        progress: false,
    };
    build_index(&catalog, common::embedder().as_ref(), &options).unwrap();
    Arc::new(ProductIndex::open(dir).unwrap())
}

fn shop() -> (tempfile::TempDir, Recommender) {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let recommender = Recommender::open(index, RecommendConfig::default(), common::embedder().as_ref()).unwrap();
    (dir, recommender)
}

fn ask(r: &Recommender, anchors: &[&str], kind: Kind) -> shopclerk::recommend::Recommendations {
    let request = Request {
        kind,
        ..Request::new(anchors.iter().map(|s| s.to_string()).collect(), 5)
    };
    r.recommend(&request).unwrap()
}

fn ids(list: &[shopclerk::recommend::Suggestion]) -> Vec<&str> {
    list.iter().map(|s| s.product.id.as_str()).collect()
}

#[test]
fn cross_sell_completes_the_anchor_from_other_categories_and_is_directional() {
    let (_dir, r) = shop();
    assert_eq!(r.baskets(), 47, "statistics built at index time and loaded");
    let unknown = r.recommend(&Request::new(vec!["no-such-id".into()], 5));
    assert!(unknown.unwrap_err().to_string().contains("no-such-id"));
    let camera = ask(&r, &["cam-a"], Kind::Cross);
    let got = ids(&camera.cross_sell);
    assert_eq!(got[0], "card-64", "{got:?}");
    assert!(got[..3].contains(&"tripod"), "{got:?}");
    for s in &camera.cross_sell {
        assert_ne!(
            s.product.category.last().unwrap(),
            "Mirrorless Cameras",
            "never a second camera"
        );
    }
    let card = &camera.cross_sell[0].reason;
    assert_eq!(card.copurchase.as_ref().unwrap().count, 6);
    assert_eq!(card.text, "Often bought with Mirrorless Cameras");

    // A memory card completes a camera; a camera does not complete a memory card first.
    let from_card = ask(&r, &["card-64"], Kind::Cross);
    assert_ne!(
        ids(&from_card.cross_sell)[0],
        "cam-a",
        "{:?}",
        ids(&from_card.cross_sell)
    );
    // Sibling categories that embed alike are substitutes: no microSD card for an SD card.
    assert!(!ids(&from_card.cross_sell).contains(&"card-128"));

    // A cart of two anchors excludes both anchors' categories and the anchors themselves.
    let cart = ask(&r, &["phone", "cam-a"], Kind::Cross);
    for s in &cart.cross_sell {
        let leaf = s.product.category.last().unwrap();
        assert!(
            leaf != "Smartphones" && leaf != "Mirrorless Cameras",
            "{leaf}"
        );
    }
    let leaves: Vec<&String> = cart
        .cross_sell
        .iter()
        .map(|s| s.product.category.last().unwrap())
        .collect();
    let mut unique = leaves.clone();
    unique.dedup();
    assert_eq!(
        leaves.len(),
        unique.len(),
        "one suggestion per leaf category"
    );
}

#[test]
fn a_new_product_gets_cross_sell_from_its_category() {
    let (_dir, r) = shop();
    let new = ask(&r, &["cam-new"], Kind::Cross);
    let first = &new.cross_sell[0];
    assert_eq!(first.product.id, "card-64", "{:?}", ids(&new.cross_sell));
    assert!(first.reason.copurchase.is_none(), "no history of its own");
    let pair = first.reason.category_pair.as_ref().unwrap();
    assert_eq!(
        (pair.from.as_str(), pair.to.as_str()),
        ("Mirrorless Cameras", "SD Cards")
    );
}

#[test]
fn upsell_keeps_every_hard_constraint() {
    let (_dir, r) = shop();
    let up = ask(&r, &["cam-a"], Kind::Up);
    // cam-c is rated 3.9 (< 4.2 - 0.2), cam-d costs more than twice, cam-e has 3 ratings.
    assert_eq!(ids(&up.upsell), vec!["cam-b", "cam-new"]);
    assert_eq!(
        up.upsell[0].reason.text,
        "4.5 from 2,300 ratings vs 4.2, ₹16,000 more"
    );

    let with_budget = |amount: i64| {
        let request = Request {
            kind: Kind::Up,
            budget: Some(Money::from_minor(amount * 100, Currency::INR)),
            ..Request::new(vec!["cam-a".into()], 5)
        };
        r.recommend(&request).unwrap().upsell
    };
    // A budget of 44,000 caps upsell at 55,000: the 56,000 camera is out.
    assert_eq!(ids(&with_budget(44_000)), vec!["cam-new"]);
    assert!(
        with_budget(30_000).is_empty(),
        "budget below the anchor: no upsell"
    );

    let report = shopclerk::recommend::eval::evaluate_upsell(&r, 3);
    assert_eq!(report.valid, 1.0, "{:?}", report.violations);
    assert!(report.suggestions > 0);
}

#[test]
fn purchases_and_clicks_change_suggestions_without_a_restart() {
    let (_dir, r) = shop();
    let bag_count = |r: &Recommender| {
        ask(r, &["tripod"], Kind::Cross)
            .cross_sell
            .iter()
            .find(|s| s.product.id == "bag")
            .and_then(|s| s.reason.copurchase.as_ref().map(|c| c.count))
    };
    assert_eq!(bag_count(&r), None);
    for i in 0..4 {
        for item in ["tripod", "bag"] {
            let event = FeedbackEvent {
                session: format!("s{i}"),
                kind: EventKind::Purchase,
                item: item.into(),
                anchor: None,
                suggestion: None,
                arm: None,
                at_ms: 0,
            };
            r.record(&event).unwrap();
        }
    }
    assert_eq!(bag_count(&r), Some(4));
    assert_eq!(r.baskets(), 51);

    let score = |r: &Recommender| {
        let list = ask(r, &["cam-a"], Kind::Cross).cross_sell;
        list.iter()
            .find(|s| s.product.id == "tripod")
            .unwrap()
            .score
    };
    let before = score(&r);
    let event = |kind| FeedbackEvent {
        session: "s9".into(),
        kind,
        item: "tripod".into(),
        anchor: Some("cam-a".into()),
        suggestion: None,
        arm: None,
        at_ms: 0,
    };
    for _ in 0..40 {
        r.record(&event(EventKind::Impression)).unwrap();
    }
    let ignored = score(&r);
    assert!(
        ignored < before,
        "shown 40 times, never clicked: {ignored} vs {before}"
    );
    for _ in 0..20 {
        r.record(&event(EventKind::Click)).unwrap();
    }
    assert!(score(&r) > before, "clicked far more than usual");
    let bad = FeedbackEvent {
        session: String::new(),
        ..event(EventKind::Click)
    };
    assert!(
        r.record(&bad).is_err(),
        "an event without a session is refused"
    );
}

#[test]
fn sessions_keep_their_arm_and_arms_use_their_weights() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let popularity_only = Weights {
        popularity: 1.0,
        copurchase: 0.0,
        category: 0.0,
        content: 0.0,
        als: 0.0,
    };
    let config = RecommendConfig {
        ab: AbConfig {
            salt: "test".into(),
            arms: vec![
                ArmConfig {
                    name: "blend".into(),
                    share: 1.0,
                    weights: None,
                },
                ArmConfig {
                    name: "popular".into(),
                    share: 1.0,
                    weights: Some(popularity_only),
                },
            ],
        },
        ..RecommendConfig::default()
    };
    let r = Recommender::open(index.clone(), config.clone(), common::embedder().as_ref()).unwrap();
    let again = Recommender::open(index.clone(), config.clone(), common::embedder().as_ref()).unwrap();
    let mut seen = std::collections::HashSet::new();
    for i in 0..20 {
        let session = format!("session-{i}");
        let (arm, _) = r.arm_for(&session);
        assert_eq!(arm, again.arm_for(&session).0, "stable across restarts");
        let request = Request {
            kind: Kind::Cross,
            session: Some(session),
            ..Request::new(vec!["cam-a".into()], 3)
        };
        let out = r.recommend(&request).unwrap();
        assert_eq!(out.arm, arm);
        if arm.as_deref() == Some("popular") {
            // Popularity alone ranks the best seller (the phone, 28 baskets) first.
            assert_eq!(out.cross_sell[0].product.id, "phone");
        } else {
            assert_eq!(out.cross_sell[0].product.id, "card-64");
        }
        seen.extend(arm);
    }
    assert_eq!(seen.len(), 2, "both arms get sessions");

    let broken = RecommendConfig {
        ab: AbConfig {
            salt: String::new(),
            arms: vec![ArmConfig {
                name: "x".into(),
                share: -1.0,
                weights: None,
            }],
        },
        ..RecommendConfig::default()
    };
    assert!(Recommender::open(index, broken, common::embedder().as_ref()).is_err());
}

#[test]
fn a_damaged_statistics_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let path = index.generation_dir().join(STATS_FILE);
    std::fs::write(&path, b"SCRSTAT1\x05\x00").unwrap();
    let err = Recommender::open(index, RecommendConfig::default(), common::embedder().as_ref())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(STATS_FILE) && err.contains("truncated"),
        "{err}"
    );
}
