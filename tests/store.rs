//! One test suite for every session store: each case runs against SQLite and against
//! PostgreSQL (a scratch database on the local server; skipped with a message when none
//! answers, a failure when `SHOPCLERK_REQUIRE_POSTGRES=1`).

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use shopclerk::dialogue::Session;
use shopclerk::recommend::feedback::{EventKind, FeedbackEvent};
use shopclerk::server::store::{self, Change, SessionStore, Snapshot};
use shopclerk::server::views::{StoredTurn, SuggestionCards};
use shopclerk::server::{PostgresStore, SqliteStore};
use shopclerk::understand::Intent;

/// Opens the same database again (a restarted server, or a second one).
type Open = dyn Fn() -> Arc<dyn SessionStore>;

/// Runs `case` on SQLite, then on PostgreSQL when a server answers.
fn on_every_store(test: &str, case: impl Fn(&Open)) {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("db/sessions.sqlite");
    case(&move || Arc::new(SqliteStore::open(&path).unwrap()) as Arc<dyn SessionStore>);
    if let Some(db) = common::postgres(test) {
        let url = db.url.clone();
        case(&move || Arc::new(PostgresStore::connect(&url).unwrap()) as Arc<dyn SessionStore>);
        drop(db);
    }
}

fn turn(n: u32, user: &str) -> StoredTurn {
    StoredTurn {
        turn: n,
        at_ms: 1_000 + u64::from(n),
        user: user.into(),
        reply: format!("reply {n}"),
        intent: Intent::Search,
        products: Vec::new(),
        suggestions: SuggestionCards::default(),
    }
}

fn event(session: &str, kind: EventKind, item: &str) -> FeedbackEvent {
    FeedbackEvent {
        session: session.into(),
        kind,
        item: item.into(),
        anchor: None,
        suggestion: None,
        arm: None,
        at_ms: 5,
    }
}

#[test]
fn turns_state_and_events_survive_reopening_and_delete_erases_them() {
    on_every_store("turns_state_and_events", |open| {
        {
            let store = open();
            let mut s = Session::new("s1");
            store.create(&s, 10).unwrap();
            store.create(&Session::new("s2"), 20).unwrap();
            s.add_to_cart("B01");
            s.turns = 1;
            assert!(
                store
                    .save_turn(&Session::new("s1"), &s, &turn(1, "usb cable"))
                    .unwrap()
            );
            store
                .record_events(&[
                    event("s1", EventKind::Click, "B02"),
                    event("s2", EventKind::Click, "B03"),
                ])
                .unwrap();
        }
        let store = open();
        let (info, state) = store.session("s1").unwrap().unwrap();
        assert_eq!((info.turns, info.last_message.as_str()), (1, "usb cable"));
        assert_eq!(state.cart, vec!["B01".to_string()]);
        assert_eq!(store.turns("s1").unwrap(), vec![turn(1, "usb cable")]);
        assert_eq!(
            store.events("s1").unwrap(),
            vec![event("s1", EventKind::Click, "B02")]
        );
        let recent: Vec<String> = store
            .recent(0, 10)
            .unwrap()
            .into_iter()
            .map(|i| i.session_id)
            .collect();
        // s1's turn (at 1001) is its latest change, after s2 was created (at 20).
        assert_eq!(recent, ["s1", "s2"].map(String::from));

        assert!(store.delete("s1").unwrap());
        assert!(store.session("s1").unwrap().is_none());
        assert!(store.turns("s1").unwrap().is_empty());
        assert!(store.events("s1").unwrap().is_empty());
        assert_eq!(store.events("s2").unwrap().len(), 1);
        assert!(!store.delete("s1").unwrap());
        // A turn finishing after its session was erased does not bring it back.
        let gone = Session::new("s1");
        assert!(!store.save_turn(&gone, &gone, &turn(2, "x")).unwrap());
        assert!(store.turns("s1").unwrap().is_empty());
    });
}

#[test]
fn a_cart_event_during_a_turn_is_not_lost_when_the_turn_saves() {
    on_every_store("cart_event_during_a_turn", |open| {
        let store = open();
        let mut base = Session::new("race");
        base.add_to_cart("kept");
        store.create(&base, 1).unwrap();
        // The turn starts from `base` and adds its own item...
        let mut after_turn = base.clone();
        after_turn.add_to_cart("from-the-turn");
        after_turn.turns = 1;
        // ...while a click on "Add to cart" lands, and another item is bought.
        assert!(
            store
                .update_state("race", 2, &mut |s| {
                    s.add_to_cart("clicked");
                    s.bought("kept");
                })
                .unwrap()
        );
        assert!(store.save_turn(&base, &after_turn, &turn(1, "x")).unwrap());
        let (_, stored) = store.session("race").unwrap().unwrap();
        assert!(
            stored.cart.contains(&"clicked".to_string()),
            "{:?}",
            stored.cart
        );
        assert!(stored.cart.contains(&"from-the-turn".to_string()));
        assert!(
            !stored.cart.contains(&"kept".to_string()),
            "bought leaves the cart"
        );
        assert_eq!(stored.bought, vec!["kept".to_string()]);
        assert_eq!(stored.turns, 1);
        assert!(!store.update_state("nobody", 3, &mut |_| {}).unwrap());
    });
}

#[test]
fn concurrent_cart_events_and_turns_from_two_servers_lose_nothing() {
    on_every_store("concurrent_cart_events_and_turns", |open| {
        // Two handles on one database: for PostgreSQL, two servers' pools.
        let (a, b) = (open(), open());
        a.create(&Session::new("busy"), 1).unwrap();
        let clicks = std::thread::spawn(move || {
            for i in 0..12 {
                b.update_state("busy", 2, &mut |s| s.add_to_cart(&format!("click-{i}")))
                    .unwrap();
            }
        });
        // 24 items: fewer than a cart keeps (`PRODUCTS_KEPT`).
        for n in 1..=12u32 {
            let (_, base) = a.session("busy").unwrap().unwrap();
            let mut after = base.clone();
            after.add_to_cart(&format!("turn-{n}"));
            after.turns = n;
            std::thread::yield_now();
            assert!(a.save_turn(&base, &after, &turn(n, "x")).unwrap());
        }
        clicks.join().unwrap();
        let (_, stored) = a.session("busy").unwrap().unwrap();
        for i in 0..12 {
            assert!(
                stored.cart.contains(&format!("click-{i}")),
                "click {i} lost"
            );
            assert!(
                stored.cart.contains(&format!("turn-{}", i + 1)),
                "turn {} lost",
                i + 1
            );
        }
        assert_eq!(a.turns("busy").unwrap().len(), 12);
    });
}

#[test]
fn two_turns_of_one_session_answered_at_once_on_two_servers_are_both_kept() {
    on_every_store("two_turns_at_once", |open| {
        let (a, b) = (open(), open());
        let base = Session::new("twice");
        a.create(&base, 1).unwrap();
        // Both servers started from the same state and numbered their turn 1.
        let mut on_a = base.clone();
        on_a.turns = 1;
        on_a.add_to_cart("from-a");
        let mut on_b = base.clone();
        on_b.turns = 1;
        on_b.add_to_cart("from-b");
        assert!(a.save_turn(&base, &on_a, &turn(1, "asked on a")).unwrap());
        assert!(b.save_turn(&base, &on_b, &turn(1, "asked on b")).unwrap());
        let users: Vec<(u32, String)> = a
            .turns("twice")
            .unwrap()
            .into_iter()
            .map(|t| (t.turn, t.user))
            .collect();
        assert_eq!(
            users,
            vec![(1, "asked on a".to_string()), (2, "asked on b".to_string())]
        );
        let (info, stored) = a.session("twice").unwrap().unwrap();
        assert_eq!((info.turns, stored.turns), (2, 2));
        assert!(
            stored.cart.contains(&"from-a".to_string())
                && stored.cart.contains(&"from-b".to_string())
        );
    });
}

#[test]
fn purchases_make_orders_and_an_erasure_removes_them_and_unlinks_sessions() {
    on_every_store("customers", |open| {
        let store = open();
        let mut s = Session::new("visit-1");
        s.customer_id = Some("c-7".into());
        store.create(&s, 1).unwrap();
        store
            .record_purchases("c-7", "visit-1", &["tv".into(), "hdmi".into()], 2)
            .unwrap();
        store
            .record_purchases("c-7", "visit-1", &["hdmi".into(), "mount".into()], 3)
            .unwrap();
        store
            .record_purchases("c-8", "visit-2", &["kettle".into()], 4)
            .unwrap();
        let (erased, orders) = store.customer_orders().unwrap();
        assert!(erased.is_empty());
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].customer_id.as_deref(), Some("c-7"));
        assert_eq!(orders[0].items, ["tv", "hdmi", "mount"].map(String::from));

        assert!(store.erase_customer("c-7", 5).unwrap());
        assert!(
            !store.erase_customer("c-7", 6).unwrap(),
            "nothing left to erase"
        );
        let (erased, orders) = store.customer_orders().unwrap();
        assert_eq!(erased, vec!["c-7".to_string()]);
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].customer_id.as_deref(), Some("c-8"));
        let (_, session) = store.session("visit-1").unwrap().unwrap();
        assert_eq!(
            session.customer_id, None,
            "the session no longer names them"
        );
    });
}

#[test]
fn events_are_read_after_a_cursor_and_snapshots_never_go_back() {
    on_every_store("events_and_snapshots", |open| {
        let store = open();
        store
            .record_events(&[
                event("s", EventKind::Impression, "a"),
                event("s", EventKind::Click, "a"),
            ])
            .unwrap();
        store
            .record_events(&[event("s", EventKind::Purchase, "b")])
            .unwrap();
        let mut seen = Vec::new();
        let last = store
            .events_after(0, &mut |id, e| seen.push((id, e.kind)))
            .unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(last, seen[2].0);
        let mut after_first = Vec::new();
        store
            .events_after(seen[0].0, &mut |_, e| after_first.push(e.kind))
            .unwrap();
        assert_eq!(after_first, vec![EventKind::Click, EventKind::Purchase]);
        // Nothing is settled until it is old enough; with no wait, everything is.
        assert_eq!(store.settled_event_id(0).unwrap(), last);

        assert!(store.snapshot("online").unwrap().is_none());
        let first = Snapshot {
            cursor: 2,
            at_ms: 10,
            data: "{}".into(),
        };
        assert!(store.save_snapshot("online", 0, &first).unwrap());
        assert_eq!(store.snapshot("online").unwrap(), Some(first.clone()));
        // A server that read no snapshot (or an older one) cannot overwrite a newer one.
        let stale = Snapshot {
            cursor: 1,
            at_ms: 11,
            data: "{\"old\":1}".into(),
        };
        assert!(!store.save_snapshot("online", 0, &stale).unwrap());
        let next = Snapshot {
            cursor: 3,
            at_ms: 12,
            data: "{\"n\":3}".into(),
        };
        assert!(store.save_snapshot("online", 2, &next).unwrap());
        assert_eq!(open().snapshot("online").unwrap(), Some(next));
    });
}

#[test]
fn retention_erases_sessions_untouched_since_the_cutoff_with_their_turns_and_events() {
    on_every_store("retention", |open| {
        let store = open();
        store.create(&Session::new("old"), 100).unwrap();
        store.create(&Session::new("new"), 5_000).unwrap();
        store
            .record_events(&[
                event("old", EventKind::Click, "x"),
                event("new", EventKind::Click, "y"),
            ])
            .unwrap();
        assert_eq!(store.expire(1_000).unwrap(), 1);
        assert!(store.session("old").unwrap().is_none());
        assert!(store.events("old").unwrap().is_empty());
        assert!(store.session("new").unwrap().is_some());
        assert_eq!(store.events("new").unwrap().len(), 1);
        assert_eq!(store.expire(1_000).unwrap(), 0);
    });
}

#[test]
fn a_server_reads_the_changes_of_others_in_the_feed_and_is_woken_for_them() {
    let Some(db) = common::postgres("change_feed") else {
        return;
    };
    let a = PostgresStore::connect(&db.url).unwrap();
    let b = PostgresStore::connect(&db.url).unwrap();
    let signal = b.change_signal().expect("PostgreSQL signals changes");
    let start = b.last_change().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Give b's listening connection a moment to say LISTEN.
    std::thread::sleep(std::time::Duration::from_millis(500));
    a.create(&Session::new("s"), 1).unwrap();
    let s = Session::new("s");
    assert!(a.save_turn(&s, &s, &turn(1, "hello")).unwrap());
    a.record_events(&[event("s", EventKind::Click, "p")])
        .unwrap();
    a.record_purchases("c", "s", &["p".into()], 3).unwrap();
    a.erase_customer("c", 4).unwrap();
    let woken = runtime.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(5), signal.notified())
            .await
            .is_ok()
    });
    assert!(woken, "b is woken by NOTIFY");
    let changes: Vec<Change> = b
        .changes_after(start)
        .unwrap()
        .into_iter()
        .map(|c| c.change)
        .collect();
    assert_eq!(
        changes,
        vec![
            Change::Turn {
                session: "s".into(),
                turn: 1
            },
            Change::Events {
                events: vec![event("s", EventKind::Click, "p")]
            },
            Change::Purchases {
                customer: "c".into(),
                session: "s".into(),
                items: vec!["p".into()]
            },
            Change::CustomerErased {
                customer: "c".into()
            },
        ]
    );
    assert!(
        a.changes_after(start).unwrap().is_empty(),
        "a server is not fed its own changes"
    );
}

#[test]
fn a_bad_database_is_an_error_naming_it_without_its_password() {
    let err = store::open("postgres://shop:hunter2@127.0.0.1:1/nowhere")
        .err()
        .expect("nothing listens on port 1")
        .to_string();
    assert!(err.contains("127.0.0.1:1/nowhere"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sqlite");
    std::fs::write(&path, b"this is not sqlite, just text that is long enough to matter....................................................................................").unwrap();
    let err = store::open(path.to_str().unwrap())
        .err()
        .expect("not a database")
        .to_string();
    assert!(err.contains("broken.sqlite"), "{err}");
}
