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
    let recommender = Recommender::open(
        index,
        RecommendConfig::default(),
        common::embedder().as_ref(),
    )
    .unwrap();
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
    assert!(
        card.text
            .starts_with("Shoppers who buy cameras often add one ("),
        "{}",
        card.text
    );

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
    // cam-c is rated lower (3.9 < 4.2), cam-d costs more than twice, cam-e has 3 ratings, and
    // cam-new (4.3 vs 4.2, no spec stated) is better at nothing a shopper can see.
    assert_eq!(ids(&up.upsell), vec!["cam-b"]);
    assert_eq!(
        up.upsell[0].reason.text,
        "4.5★ from 2,300 ratings vs 4.2, ₹16,000 more"
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
    assert!(with_budget(44_000).is_empty());
    assert_eq!(ids(&with_budget(46_000)), vec!["cam-b"]);
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
fn a_recommender_restored_from_a_snapshot_suggests_as_one_that_learned_every_event() {
    use shopclerk::recommend::OnlineSnapshot;
    let (_dir, live) = shop();
    let event = |session: &str, kind, item: &str, anchor: Option<&str>| FeedbackEvent {
        session: session.into(),
        kind,
        item: item.into(),
        anchor: anchor.map(String::from),
        suggestion: None,
        arm: None,
        at_ms: 0,
    };
    let mut events = Vec::new();
    for i in 0..4 {
        for item in ["tripod", "bag", "tripod"] {
            events.push(event(&format!("s{i}"), EventKind::Purchase, item, None));
        }
    }
    for _ in 0..30 {
        events.push(event("s9", EventKind::Impression, "tripod", Some("cam-a")));
    }
    for _ in 0..3 {
        events.push(event("s9", EventKind::Click, "bag", Some("cam-a")));
    }
    events.push(event(
        "s9",
        EventKind::Purchase,
        "gone-from-the-catalog",
        None,
    ));
    let mut snapshot = OnlineSnapshot::default();
    for e in &events {
        live.record(e).unwrap();
        snapshot.apply(e);
    }
    // Stored as text, read back by a server that restarts.
    let text = snapshot.to_json();
    let snapshot = OnlineSnapshot::from_json(&text).unwrap();
    assert_eq!(snapshot.to_json(), text);
    let (_dir2, restored) = shop();
    assert_eq!(
        restored.restore_online(&snapshot),
        1,
        "one product is no longer sold"
    );
    assert_eq!(restored.baskets(), live.baskets());
    for anchors in [&["cam-a"][..], &["tripod"]] {
        let (a, b) = (
            ask(&live, anchors, Kind::Both),
            ask(&restored, anchors, Kind::Both),
        );
        let scored = |r: &shopclerk::recommend::Recommendations| -> Vec<(String, String)> {
            r.cross_sell
                .iter()
                .chain(&r.upsell)
                .map(|s| (s.product.id.clone(), format!("{:.6}", s.score)))
                .collect()
        };
        assert_eq!(scored(&a), scored(&b), "{anchors:?}");
    }
    assert!(OnlineSnapshot::from_json("{\"total\": 3}").is_err());
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
        complements: 0.0,
        personal: 0.0,
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
    let again =
        Recommender::open(index.clone(), config.clone(), common::embedder().as_ref()).unwrap();
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
            // Popularity alone ranks the best seller that goes with a camera first: the
            // microSD card (20 baskets). The phone sells more (28) but was never bought with
            // a camera and is no complement of one: no evidence, no suggestion.
            assert_eq!(out.cross_sell[0].product.id, "card-128");
            assert!(out.cross_sell.iter().all(|s| s.product.id != "phone"));
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
    let err = Recommender::open(
        index,
        RecommendConfig::default(),
        common::embedder().as_ref(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(STATS_FILE) && err.contains("truncated"),
        "{err}"
    );
}

/// A shop without orders: televisions and what goes with them, a monitor and a projector that
/// do a TV's job, a remote made for another brand, a mount too small.
/// `(id, title, category path, price in rupees, rating, ratings)`.
type Listing = (
    &'static str,
    &'static str,
    &'static [&'static str],
    i64,
    f32,
    u64,
);

const NO_ORDERS: &[Listing] = &[
    (
        "tv-43",
        "Samsung 108 cm (43 inches) Crystal 4K Smart LED TV",
        &["Electronics", "Televisions", "Smart Televisions"],
        30_000,
        4.2,
        900,
    ),
    (
        "tv-50",
        "Samsung 126 cm (50 inches) Crystal 4K Neo Smart LED TV",
        &["Electronics", "Televisions", "Smart Televisions"],
        38_000,
        4.5,
        1_200,
    ),
    (
        "tv-32",
        "Samsung 80 cm (32 inches) HD Ready Smart LED TV",
        &["Electronics", "Televisions", "Smart Televisions"],
        31_000,
        4.6,
        3_000,
    ),
    (
        "tv-lg",
        "LG 108 cm (43 inches) 4K Ultra HD Smart LED TV",
        &["Electronics", "Televisions", "Smart Televisions"],
        32_000,
        4.1,
        700,
    ),
    (
        "monitor",
        "Samsung 27 inch Full HD LED Monitor",
        &["Computers", "Monitors"],
        12_000,
        4.4,
        2_000,
    ),
    (
        "projector",
        "Portable Mini LED Projector for Home Cinema",
        &["Electronics", "Home Theater", "Projectors"],
        9_000,
        4.0,
        500,
    ),
    (
        "hdmi",
        "AmazonBasics High Speed 4K HDMI Cable 2 m",
        &["Electronics", "Cables", "HDMI Cables"],
        400,
        4.4,
        40_000,
    ),
    (
        "mount",
        "Fixed TV Wall Mount Stand for 32 to 55 inch LED TVs",
        &["Electronics", "TV Mounts", "TV Wall & Ceiling Mounts"],
        700,
        4.1,
        3_000,
    ),
    (
        "small-mount",
        "TV Wall Mount for 14 to 32 inch LED TVs",
        &["Electronics", "TV Mounts", "TV Wall & Ceiling Mounts"],
        400,
        4.0,
        900,
    ),
    (
        "remote-lg",
        "Remote Control Compatible for LG Smart LED TV",
        &["Electronics", "Accessories", "Remote Controls"],
        300,
        3.9,
        5_000,
    ),
    (
        "remote-samsung",
        "Remote Control Compatible for Samsung Smart LED TV",
        &["Electronics", "Accessories", "Remote Controls"],
        350,
        4.0,
        6_000,
    ),
    (
        "soundbar",
        "boAt Aavante Bar 1160 60W Soundbar",
        &["Electronics", "Speakers", "Soundbar Speakers"],
        3_000,
        4.1,
        8_000,
    ),
    (
        "kettle",
        "Pigeon 1.5 L Electric Kettle",
        &["Home", "Kettles", "Electric Kettles"],
        700,
        4.0,
        10_000,
    ),
];

fn no_orders_shop(dir: &Path) -> Recommender {
    shop_of(dir, NO_ORDERS)
}

/// A recommender over `rows` as a catalog without orders.
fn shop_of(dir: &Path, rows: &[Listing]) -> Recommender {
    let text: String = rows
        .iter()
        .map(|&(id, title, path, price, rating, count)| {
            let brand = title.split_whitespace().next().unwrap();
            serde_json::json!({
                "id": id, "title": title, "brand": brand, "category_path": path,
                "price": {"amount": price, "currency": "INR"},
                "rating": rating, "rating_count": count,
            })
            .to_string()
                + "\n"
        })
        .collect();
    let file = dir.join("catalog.jsonl");
    std::fs::write(&file, text).unwrap();
    let (catalog, _) = load(&[file], &LoadOptions::default()).unwrap();
    let options = BuildOptions {
        out: dir.join("index"),
        incremental: false,
        progress: false,
    };
    build_index(&catalog, common::embedder().as_ref(), &options).unwrap();
    let index = Arc::new(ProductIndex::open(&dir.join("index")).unwrap());
    Recommender::open(
        index,
        RecommendConfig::default(),
        common::embedder().as_ref(),
    )
    .unwrap()
}

#[test]
fn without_orders_cross_sell_complements_from_the_map_never_substitutes() {
    let dir = tempfile::tempdir().unwrap();
    let r = no_orders_shop(dir.path());
    assert_eq!(r.baskets(), 0);
    let out = ask(&r, &["tv-43"], Kind::Cross);
    let got = ids(&out.cross_sell);
    for must in ["hdmi", "mount"] {
        assert!(got.contains(&must), "{must} for a TV: {got:?}");
    }
    for never in ["monitor", "projector", "tv-50", "tv-32", "tv-lg", "kettle"] {
        assert!(
            !got.contains(&never),
            "{never} is no add-on for a TV: {got:?}"
        );
    }
    assert!(
        !got.contains(&"remote-lg"),
        "an LG remote for a Samsung TV: {got:?}"
    );
    assert!(
        !got.contains(&"small-mount"),
        "a 32-inch mount for a 43-inch TV: {got:?}"
    );
    for s in &out.cross_sell {
        let evidence = s.reason.complement.as_ref().expect("the map's evidence");
        assert_eq!(evidence.anchor_type, "television");
        assert!(!s.reason.text.starts_with("Goes with"), "{}", s.reason.text);
    }
    let mount = out
        .cross_sell
        .iter()
        .find(|s| s.product.id == "mount")
        .unwrap();
    assert!(
        mount.reason.text.starts_with("Mounts the TV"),
        "{}",
        mount.reason.text
    );

    // Upsell: a bigger or better-rated TV, never a smaller one, never rated lower.
    let up = ask(&r, &["tv-43"], Kind::Up);
    assert_eq!(
        ids(&up.upsell),
        vec!["tv-50"],
        "tv-32 is smaller, tv-lg rated lower"
    );
    assert_eq!(
        up.upsell[0].reason.text,
        "4.5★ from 1,200 ratings vs 4.2, 50-inch screen vs 43-inch, ₹8,000 more"
    );
}

/// A shop without orders: a wall charger, what goes with it, and a travel adapter that is
/// itself a USB charger.
const CHARGER_SHOP: &[Listing] = &[
    (
        "charger",
        "Mi 10W Wall Charger for Mobile Phones with Micro USB Cable",
        &["Electronics", "Chargers", "Wall Chargers"],
        499,
        4.1,
        9_000,
    ),
    (
        "cable",
        "Amazon Basics USB A to Type C Charging Cable, 1 m",
        &["Electronics", "Cables", "USB Cables"],
        249,
        4.2,
        20_000,
    ),
    (
        "plug-adapter",
        "Universal Travel Plug Adapter for UK, US, EU Sockets",
        &["Home", "Electrical", "Adapters & Multi-Outlets"],
        399,
        4.0,
        3_000,
    ),
    (
        "usb-adapter",
        "Worldwide Travel Adapter with Built-in Dual USB Charger Ports, Universal Plug",
        &["Home", "Electrical", "Adapters & Multi-Outlets"],
        599,
        4.3,
        8_000,
    ),
    (
        "mixer",
        "Sujata Powermatic Plus Juicer Mixer Grinder with Chutney Jar, 900 Watts",
        &["Home", "Small Kitchen Appliances", "Mixer Grinders"],
        5_499,
        4.2,
        7_000,
    ),
    (
        "jar",
        "Sujata Chutney Jar, 400 ml, Stainless Steel",
        &["Home", "Appliance Parts", "Mixer Jars"],
        599,
        4.0,
        500,
    ),
];

#[test]
fn a_product_with_the_anchors_job_built_in_is_no_cross_sell_but_an_extra_of_a_built_in_part_is() {
    let dir = tempfile::tempdir().unwrap();
    let r = shop_of(dir.path(), CHARGER_SHOP);
    let out = ask(&r, &["charger"], Kind::Cross);
    let got = ids(&out.cross_sell);
    assert!(got.contains(&"cable"), "a cable for a charger: {got:?}");
    assert!(
        !got.contains(&"usb-adapter"),
        "an adapter with USB charger ports does the charger's job: {got:?}"
    );
    // A mixer that comes with a chutney jar still takes an extra one.
    let out = ask(&r, &["mixer"], Kind::Cross);
    let got = ids(&out.cross_sell);
    assert!(got.contains(&"jar"), "an extra jar for a mixer: {got:?}");
}

#[test]
fn a_returning_customer_gets_what_they_add_and_the_reason_says_so() {
    let (_dir, r) = shop();
    let for_customer = |customer: Option<&str>| {
        let request = Request {
            kind: Kind::Cross,
            customer: customer.map(str::to_string),
            ..Request::new(vec!["cam-a".into()], 3)
        };
        r.recommend(&request).unwrap().cross_sell
    };
    // Shop-wide, the Lumix goes with the SD card and the tripod; the bag goes with the Sony.
    let anonymous = for_customer(None);
    assert_ne!(anonymous[0].product.id, "bag", "{:?}", ids(&anonymous));

    // This customer buys the bag with the Lumix every time, and the charger now and then.
    for (order, items) in [
        ("o-1", vec!["cam-a", "bag"]),
        ("o-2", vec!["cam-a", "bag", "charger"]),
        ("o-3", vec!["kettle"]),
    ] {
        let items: Vec<String> = items.into_iter().map(str::to_string).collect();
        r.record_order("regular", order, &items);
    }
    // A second purchase under the same order id joins that order, not a new one.
    r.record_order("regular", "o-3", &["card-128".to_string()]);
    assert_eq!(r.customer_profile("regular").unwrap().orders(), 3);

    let personal = for_customer(Some("regular"));
    assert_eq!(personal[0].product.id, "bag", "{:?}", ids(&personal));
    let evidence = personal[0].reason.personal.as_ref().unwrap();
    assert_eq!((evidence.with_suggestion, evidence.with_anchor), (2, 2));
    assert!(
        personal[0]
            .reason
            .text
            .starts_with("You often add this with Lumix"),
        "{}",
        personal[0].reason.text
    );
    // Another customer's history, or none, changes nothing.
    assert_eq!(ids(&for_customer(Some("stranger"))), ids(&anonymous));
    // Erased, the customer is anonymous again.
    assert!(r.forget_customer("regular"));
    assert_eq!(ids(&for_customer(Some("regular"))), ids(&anonymous));
}

#[test]
fn customer_histories_come_from_the_orders_in_the_index() {
    let (_dir, r) = shop();
    // tests/data/shop_orders.jsonl names a customer on every order: one order each.
    let profile = r.customer_profile("c0").expect("c0 has an order");
    assert_eq!(profile.orders(), 1);
    let row = r.catalog().index.row_of("tripod").unwrap() as u32;
    assert!(profile.bought(row));
    assert!(r.customer_profile("nobody").is_none());
}

/// Orders of customers who come back: each buys a camera with their own usual accessory, and
/// a kettle now and then.
fn returning_orders() -> Vec<shopclerk::catalog::Order> {
    let mut orders = Vec::new();
    let habits = [("cam-a", "bag"), ("cam-b", "tripod"), ("cam-a", "charger")];
    for customer in 0..30 {
        let (camera, usual) = habits[customer % habits.len()];
        for sequence in 1..=4u32 {
            let mut items = vec![camera.to_string(), usual.to_string()];
            if sequence % 2 == 0 {
                items.push("kettle".into());
            }
            orders.push(shopclerk::catalog::Order {
                order_id: format!("r{customer}-{sequence}"),
                customer_id: Some(format!("r{customer}")),
                items,
                sequence: Some(sequence),
            });
        }
    }
    orders
}

#[test]
fn next_basket_evaluation_uses_each_customers_history_and_reports_explore_targets() {
    use shopclerk::recommend::eval::{CrossSellOptions, Protocol, Split, split_orders};
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path());
    let orders = returning_orders();
    let (train, test) = split_orders(&orders, Split::Customer, 7, 0.3);
    assert!(!test.is_empty() && !train.is_empty());
    let options = CrossSellOptions {
        protocol: Protocol::NextBasket,
        tune: false,
        k: 3,
        depth: 2,
        cold_share: 0.2,
        seed: 7,
        als_weight: 0.0,
    };
    let report = shopclerk::recommend::eval::evaluate_cross_sell(
        &index,
        &train,
        &test,
        &RecommendConfig::default(),
        &options,
        common::embedder().as_ref(),
    )
    .unwrap();
    let customers = test
        .iter()
        .filter_map(|o| o.customer_id.as_ref())
        .collect::<std::collections::HashSet<_>>()
        .len();
    assert_eq!(report.test_orders, customers, "one target basket each");
    let ndcg = |name: &str| {
        report
            .results
            .iter()
            .find(|r| r.strategy == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", report.results))
            .ndcg
    };
    // Everyone's last basket repeats their habit: their own history predicts it, popularity
    // across customers cannot tell the bag people from the charger people.
    assert!(
        ndcg("personal frequency") > ndcg("popularity"),
        "{:?}",
        report.results
    );
    assert!(
        ndcg("blend") >= ndcg("personal frequency") - 1e-9,
        "{:?}",
        report.results
    );
    // Every target was bought before: nothing to explore.
    assert_eq!(report.explore_queries, 0);

    // The anchor protocol on the same split has no histories, hence no personal baseline.
    let anchor = shopclerk::recommend::eval::evaluate_cross_sell(
        &index,
        &train,
        &test,
        &RecommendConfig::default(),
        &CrossSellOptions {
            protocol: Protocol::Anchor,
            ..options
        },
        common::embedder().as_ref(),
    )
    .unwrap();
    assert!(
        anchor
            .results
            .iter()
            .all(|r| r.strategy != "personal frequency")
    );
    assert_eq!(anchor.test_orders, test.len());
}
