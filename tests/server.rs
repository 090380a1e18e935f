//! The HTTP API over a small shop indexed with the real embedder, called through the router
//! (tower's `oneshot`), replies from templates. The `kill -9` test runs the real binary.

mod common;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shopclerk::search::ProductIndex;
use shopclerk::server::{AppState, ServerConfig, SqliteStore, app};
use tower::ServiceExt;

use common::shop;

/// The shop, indexed once per test binary.
fn index() -> Arc<ProductIndex> {
    static INDEX: OnceLock<(tempfile::TempDir, Arc<ProductIndex>)> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = shop::index(dir.path());
            (dir, index)
        })
        .1
        .clone()
}

struct Server {
    _dir: tempfile::TempDir,
    state: AppState,
    app: Router,
}

fn server_with(edit: impl FnOnce(&mut ServerConfig)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut config = shop::config(dir.path());
    edit(&mut config);
    let state = shop::state(index(), config);
    Server {
        app: app(state.clone()),
        state,
        _dir: dir,
    }
}

fn server() -> Server {
    server_with(|_| {})
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The body as SSE events: (name, data as JSON).
    fn events(&self) -> Vec<(String, Value)> {
        self.body
            .split("\n\n")
            .filter_map(|frame| {
                let mut name = String::from("message");
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = n.to_string();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data.push_str(d);
                    }
                }
                (!data.is_empty()).then(|| {
                    let value = serde_json::from_str(&data).unwrap_or(Value::String(data));
                    (name, value)
                })
            })
            .collect()
    }
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> Reply {
    call_with(app, method, uri, body, key, &[]).await
}

async fn call_with(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
    key: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let body = match body {
        Some(b) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn new_session(app: &Router) -> String {
    let r = call(app, "POST", "/v1/sessions", None, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["session_id"].as_str().unwrap().to_string()
}

async fn say(app: &Router, session: &str, text: &str) -> Vec<(String, Value)> {
    let r = call(
        app,
        "POST",
        &format!("/v1/sessions/{session}/messages"),
        Some(json!({ "text": text })),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    r.events()
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

fn event<'a>(events: &'a [(String, Value)], name: &str) -> &'a Value {
    &events
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} event in {:?}", names(events)))
        .1
}

/// Every card's price is the catalog's.
fn assert_catalog_prices(index: &ProductIndex, cards: &Value) {
    for card in cards.as_array().unwrap() {
        let id = card["id"].as_str().unwrap();
        let product = index
            .product(id)
            .unwrap_or_else(|| panic!("{id} is not in the catalog"));
        let price = product.price.unwrap();
        assert_eq!(card["price_text"], json!(price.to_string()), "{card}");
        assert_eq!(card["title"], json!(product.title));
    }
}

#[tokio::test]
async fn a_turn_streams_structure_before_text_and_is_stored_and_erasable() {
    let s = server();
    let id = new_session(&s.app).await;
    let events = say(&s.app, &id, "I want a mirrorless camera under 60000").await;
    let order = names(&events);
    assert_eq!(
        &order[..3],
        ["understood", "products", "suggestions"],
        "{order:?}"
    );
    assert!(
        order[3..order.len() - 1].iter().all(|n| *n == "token"),
        "{order:?}"
    );
    assert_eq!(order.last(), Some(&"done"));
    assert_eq!(event(&events, "understood")["intent"], "search");

    let products = &event(&events, "products")["products"];
    assert!(!products.as_array().unwrap().is_empty());
    assert_catalog_prices(&index(), products);
    for p in products.as_array().unwrap() {
        assert!(p["price"]["amount"].as_f64().unwrap() <= 60000.0, "{p}");
    }
    let suggestions = event(&events, "suggestions");
    for s in suggestions["cross_sell"].as_array().unwrap() {
        assert_ne!(
            s["category"][1], "Cameras",
            "cross-sell stays out of the category: {s}"
        );
        assert!(!s["reason"].as_str().unwrap().is_empty());
    }
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(json!(text), event(&events, "done")["reply"]);

    let stored = call(&s.app, "GET", &format!("/v1/sessions/{id}"), None, None).await;
    assert_eq!(stored.status, StatusCode::OK);
    let stored = stored.json();
    assert_eq!(
        stored["turns"][0]["user"],
        "I want a mirrorless camera under 60000"
    );
    assert_eq!(stored["turns"][0]["reply"], json!(text));
    // Showing suggestions recorded their impressions.
    let shown = suggestions["cross_sell"].as_array().unwrap().len()
        + suggestions["upsell"].as_array().unwrap().len();
    assert_eq!(stored["events"].as_array().unwrap().len(), shown);

    let gone = call(&s.app, "DELETE", &format!("/v1/sessions/{id}"), None, None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let after = call(&s.app, "GET", &format!("/v1/sessions/{id}"), None, None).await;
    assert_eq!(
        (after.status, after.code().as_str()),
        (StatusCode::NOT_FOUND, "session_not_found")
    );
    assert!(s.state.store().events(&id).unwrap().is_empty());
    assert!(s.state.store().turns(&id).unwrap().is_empty());
}

#[tokio::test]
async fn bad_requests_get_json_errors_with_stable_codes() {
    let s = server();
    let id = new_session(&s.app).await;
    let cases = [
        (
            "POST",
            "/v1/sessions/nope/messages".to_string(),
            Some(json!({"text": "hi"})),
            StatusCode::NOT_FOUND,
            "session_not_found",
        ),
        (
            "POST",
            "/v1/sessions/bad%20id/messages".to_string(),
            Some(json!({"text": "hi"})),
            StatusCode::BAD_REQUEST,
            "invalid_session_id",
        ),
        (
            "POST",
            format!("/v1/sessions/{id}/messages"),
            Some(json!({"txt": "hi"})),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "POST",
            format!("/v1/sessions/{id}/messages"),
            Some(json!({"text": "x".repeat(shopclerk::understand::MAX_MESSAGE_CHARS + 1)})),
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
        ),
        (
            "GET",
            "/v1/products/search?q=".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "GET",
            "/v1/products/search?q=tripod&limit=0".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_limit",
        ),
        (
            "GET",
            "/v1/products/search?q=tripod&min_price=500&max_price=100".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_filter",
        ),
        (
            "GET",
            "/v1/products/nothing-here".to_string(),
            None,
            StatusCode::NOT_FOUND,
            "product_not_found",
        ),
        (
            "GET",
            "/v1/products/cam-a/recommendations?kind=sideways".to_string(),
            None,
            StatusCode::BAD_REQUEST,
            "invalid_kind",
        ),
        (
            "POST",
            "/v1/events".to_string(),
            Some(json!({"session": "", "kind": "click", "item": "cam-a"})),
            StatusCode::BAD_REQUEST,
            "invalid_event",
        ),
        (
            "POST",
            "/v1/events".to_string(),
            Some(json!({"session": "s", "kind": "stare", "item": "cam-a"})),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "POST",
            "/v1/chat/completions".to_string(),
            Some(json!({"messages": []})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "GET",
            "/v1/agent/sessions".to_string(),
            None,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "GET",
            "/no/such/page".to_string(),
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (method, uri, body, status, code) in cases {
        let r = call(&s.app, method, &uri, body, None).await;
        assert_eq!(
            (r.status, r.code()),
            (status, code.to_string()),
            "{method} {uri}: {}",
            r.body
        );
        assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
    }
    // A body over the limit is refused before it is read.
    let big = call(
        &s.app,
        "POST",
        "/v1/events",
        Some(json!({"pad": "x".repeat(70_000)})),
        None,
    )
    .await;
    assert_eq!(
        (big.status, big.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
}

#[tokio::test]
async fn not_ready_and_rate_limited_clients_are_told_when_to_retry() {
    let dir = tempfile::tempdir().unwrap();
    let config = shop::config(dir.path());
    let store = SqliteStore::open(std::path::Path::new(&config.database)).unwrap();
    let loading = app(AppState::new(config, Arc::new(store)));
    let r = call(&loading, "GET", "/readyz", None, None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    );
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(
        call(&loading, "GET", "/healthz", None, None).await.status,
        StatusCode::OK
    );
    let r = call(&loading, "GET", "/v1/products/search?q=tripod", None, None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    );

    let s = server_with(|c| {
        c.rate_limit_per_minute = 2;
        c.rate_limit_burst = 2;
    });
    assert_eq!(
        call(&s.app, "GET", "/readyz", None, None).await.status,
        StatusCode::OK
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(call(&s.app, "GET", "/v1/products/search?q=tripod", None, None).await);
    }
    assert_eq!(statuses[1].status, StatusCode::OK);
    let limited = &statuses[2];
    assert_eq!(
        (limited.status, limited.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Health checks are not rate limited.
    assert_eq!(
        call(&s.app, "GET", "/healthz", None, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn events_are_stored_learned_and_counted_and_cart_events_update_the_session() {
    let s = server();
    let id = new_session(&s.app).await;
    say(&s.app, &id, "show me mirrorless cameras").await;
    let click = json!({"session": id, "kind": "click", "item": "tripod", "anchor": "cam-a", "suggestion": "cross_sell"});
    let r = call(&s.app, "POST", "/v1/events", Some(click), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let add = json!({"session": id, "kind": "add_to_cart", "item": "card-64"});
    assert_eq!(
        call(&s.app, "POST", "/v1/events", Some(add), None)
            .await
            .status,
        StatusCode::ACCEPTED
    );

    let session = call(&s.app, "GET", &format!("/v1/sessions/{id}"), None, None)
        .await
        .json();
    let kinds: Vec<&str> = session["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.ends_with(&["click", "add_to_cart"]), "{kinds:?}");
    assert_eq!(session["cart"][0]["id"], "card-64");
    assert_eq!(
        session["cart"][0]["price_text"],
        json!(
            index()
                .product("card-64")
                .unwrap()
                .price
                .unwrap()
                .to_string()
        )
    );

    let metrics = call(&s.app, "GET", "/metrics", None, None).await.body;
    assert!(
        metrics.contains(
            r#"shopclerk_suggestion_events_total{event="click",suggestion="cross_sell"} 1"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("shopclerk_chat_time_to_first_token_seconds_count 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            r#"shopclerk_http_requests_total{method="POST",route="/v1/events",status="202"} 2"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn products_search_and_recommendations_come_from_the_catalog() {
    let s = server();
    let r = call(
        &s.app,
        "GET",
        "/v1/products/search?q=memory%20card&limit=3&max_price=2000",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let products = &r.json()["products"];
    assert_eq!(products[0]["category"][1], "Memory Cards");
    assert_catalog_prices(&index(), products);

    let r = call(
        &s.app,
        "GET",
        "/v1/products/cam-a/recommendations?kind=both&limit=3",
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let recs = r.json();
    let cross: Vec<&str> = recs["cross_sell"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        cross.contains(&"tripod") || cross.contains(&"card-64"),
        "{cross:?}"
    );
    for c in recs["cross_sell"].as_array().unwrap() {
        assert_ne!(c["category"][1], "Cameras");
        assert_eq!(c["anchor"], "cam-a");
    }
    for u in recs["upsell"].as_array().unwrap() {
        assert_eq!(u["category"][1], "Cameras");
        assert!(u["price"]["amount"].as_f64().unwrap() > 40000.0, "{u}");
    }
    assert_catalog_prices(&index(), &recs["upsell"]);
    let one = call(&s.app, "GET", "/v1/products/cam-a", None, None)
        .await
        .json();
    assert_eq!(one["title"], json!(index().product("cam-a").unwrap().title));
}

#[tokio::test]
async fn the_agent_api_needs_the_key_and_follows_a_session_live() {
    let s = server();
    let id = new_session(&s.app).await;
    say(&s.app, &id, "I need a tripod").await;
    let wrong = call(&s.app, "GET", "/v1/agent/sessions", None, Some("guess")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let live = call(
        &s.app,
        "GET",
        "/v1/agent/sessions",
        None,
        Some(shop::AGENT_KEY),
    )
    .await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.json()["sessions"][0]["session_id"], json!(id));
    assert_eq!(
        live.json()["sessions"][0]["last_message"],
        "I need a tripod"
    );
    let snap = call(
        &s.app,
        "GET",
        &format!("/v1/agent/sessions/{id}"),
        None,
        Some(shop::AGENT_KEY),
    )
    .await
    .json();
    assert_eq!(snap["transcript"][0]["user"], "I need a tripod");

    // The stream starts with a snapshot, then carries the next turn and its suggestions.
    let request = Request::get(format!("/v1/agent/sessions/{id}/stream"))
        .header(header::AUTHORIZATION, format!("Bearer {}", shop::AGENT_KEY))
        .body(Body::empty())
        .unwrap();
    let response = s.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut seen = String::new();
    let read_until = async |body: &mut Body, seen: &mut String, needle: &str| {
        while !seen.contains(needle) {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(30), body.frame())
                .await
                .expect("agent stream stalled")
                .unwrap()
                .unwrap();
            if let Ok(data) = frame.into_data() {
                seen.push_str(&String::from_utf8_lossy(&data));
            }
        }
    };
    read_until(&mut body, &mut seen, "event: snapshot").await;
    say(&s.app, &id, "and a camera bag").await;
    read_until(&mut body, &mut seen, "event: suggestions").await;
    assert!(seen.contains("event: turn"), "{seen}");
    assert!(seen.contains("and a camera bag"), "{seen}");
    // Shutting down ends the stream, so a graceful shutdown does not wait on it.
    s.state.begin_shutdown();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(_)) = body.frame().await {}
    })
    .await
    .expect("the agent stream ends at shutdown");
}

#[tokio::test]
async fn openai_compatible_chat_answers_with_products_in_an_extension() {
    let s = server();
    let request = json!({"model": "shopclerk", "user": "s_openai_1",
        "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "memory card for my camera"}]});
    let session = [("x-session-id", "s_openai_1")];
    let r = call_with(
        &s.app,
        "POST",
        "/v1/chat/completions",
        Some(request.clone()),
        None,
        &session,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();
    assert_eq!(body["object"], "chat.completion");
    assert!(
        !body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(body["shopclerk"]["session_id"], "s_openai_1");
    assert_catalog_prices(&index(), &body["shopclerk"]["products"]);

    let mut streaming = request;
    streaming["stream"] = json!(true);
    let r = call_with(
        &s.app,
        "POST",
        "/v1/chat/completions",
        Some(streaming),
        None,
        &session,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers["x-accel-buffering"], "no",
        "proxies must not buffer"
    );
    let chunks = r.events();
    assert_eq!(chunks.last().unwrap().1, json!("[DONE]"));
    assert_eq!(chunks[0].1["choices"][0]["delta"]["role"], "assistant");
    assert!(chunks[0].1["shopclerk"]["products"].is_array());
    let text: String = chunks
        .iter()
        .filter_map(|(_, c)| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(!text.is_empty());
    // Both requests were turns of the session the header names.
    assert_eq!(s.state.store().turns("s_openai_1").unwrap().len(), 2);
}

/// The cart of the session an OpenAI-style reply belongs to.
fn cart_of(s: &Server, reply: &Reply) -> Vec<String> {
    let id = reply.json()["shopclerk"]["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.state.store().session(&id).unwrap().unwrap().1.cart
}

#[tokio::test]
async fn openai_user_is_any_string_and_never_a_session() {
    let s = server();
    let ask = |user: &str, messages: Value| json!({"model": "shopclerk", "user": user, "messages": messages});
    let long_hex = "ab".repeat(100);
    for user in ["buyer7@shop.example", "Shopper Seven", long_hex.as_str()] {
        let first = call(
            &s.app,
            "POST",
            "/v1/chat/completions",
            Some(ask(
                user,
                json!([{"role": "user", "content": "memory card for my camera"}]),
            )),
            None,
        )
        .await;
        assert_eq!(first.status, StatusCode::OK, "{user}: {}", first.body);
        // A fresh request from the same user is a new conversation: nothing of the first one
        // is in it, so "the second one" points nowhere.
        let fresh = call(
            &s.app,
            "POST",
            "/v1/chat/completions",
            Some(ask(
                user,
                json!([{"role": "user", "content": "add the second one to my cart"}]),
            )),
            None,
        )
        .await;
        assert_eq!(fresh.status, StatusCode::OK, "{user}: {}", fresh.body);
        assert_ne!(
            first.json()["shopclerk"]["session_id"],
            fresh.json()["shopclerk"]["session_id"]
        );
        assert!(cart_of(&s, &fresh).is_empty(), "{user}: {}", fresh.body);
    }
}

#[tokio::test]
async fn openai_history_in_messages_is_the_conversation() {
    let s = server();
    // What a customer saw for the first message, in a session of its own.
    let session = new_session(&s.app).await;
    let shown = say(&s.app, &session, "memory card for my camera").await;
    let second = event(&shown, "products")["products"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let request = json!({"model": "shopclerk", "messages": [
        {"role": "user", "content": "memory card for my camera"},
        {"role": "assistant", "content": "Here are some memory cards."},
        {"role": "user", "content": "add the second one to my cart"}
    ]});
    let r = call(&s.app, "POST", "/v1/chat/completions", Some(request), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(cart_of(&s, &r), vec![second], "{}", r.body);
}

#[tokio::test]
async fn event_streams_tell_proxies_not_to_buffer() {
    let s = server();
    let session = new_session(&s.app).await;
    let r = call(
        &s.app,
        "POST",
        &format!("/v1/sessions/{session}/messages"),
        Some(json!({ "text": "tripod" })),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["x-accel-buffering"], "no");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache");
}

#[tokio::test]
async fn product_page_recommendations_leave_out_what_the_session_holds() {
    let s = server();
    let recommend = |query: String| {
        let app = s.app.clone();
        async move {
            let r = call(
                &app,
                "GET",
                &format!("/v1/products/cam-a/recommendations?kind=cross&limit=5{query}"),
                None,
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.json()["cross_sell"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let all = recommend(String::new()).await;
    assert!(all.len() >= 2, "{all:?}");
    // exclude=ID,ID is honoured.
    let excluded = recommend(format!("&exclude={},{}", all[0], all[1])).await;
    assert!(
        !excluded.contains(&all[0]) && !excluded.contains(&all[1]),
        "{excluded:?}"
    );
    // The session's cart is left out.
    let session = new_session(&s.app).await;
    let r = call(
        &s.app,
        "POST",
        "/v1/events",
        Some(json!({"session": session, "kind": "add_to_cart", "item": all[0]})),
        None,
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let with_session = recommend(format!("&session={session}")).await;
    assert!(!with_session.contains(&all[0]), "{with_session:?}");
}

#[tokio::test]
async fn every_documented_path_is_served() {
    let s = server();
    let spec = call(&s.app, "GET", "/openapi.json", None, None)
        .await
        .json();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 14);
    for (path, ops) in paths {
        let uri = path.replace("{id}", "cam-a");
        for method in ops.as_object().unwrap().keys() {
            let r = call(
                &s.app,
                &method.to_uppercase(),
                &uri,
                None,
                Some(shop::AGENT_KEY),
            )
            .await;
            assert!(
                r.status != StatusCode::NOT_FOUND
                    || r.body.contains("\"code\":\"session_not_found\"")
                    || r.body.contains("\"code\":\"product_not_found\"")
                    || r.body.contains("\"code\":\"model_not_found\""),
                "{method} {path} is documented but not routed: {}",
                r.body
            );
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
}

fn shopclerk_bin() -> &'static str {
    env!("CARGO_BIN_EXE_shopclerk")
}

/// Starts `shopclerk serve` on a free port; returns the child and its base URL once ready.
fn start_server(
    index_dir: &Path,
    database: impl AsRef<std::ffi::OsStr>,
) -> (std::process::Child, String) {
    common::start_server(shopclerk_bin(), index_dir, database.as_ref())
}

/// A stored session's (`GET /v1/sessions/{id}`) customer messages and clicked items, in order.
fn messages_and_clicks(stored: &Value) -> (Vec<&str>, Vec<&str>) {
    let users = stored["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["user"].as_str().unwrap())
        .collect();
    let clicks = stored["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "click")
        .map(|e| e["item"].as_str().unwrap())
        .collect();
    (users, clicks)
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("shop");
    std::fs::create_dir_all(&index_dir).unwrap();
    drop(shop::index(&index_dir));
    let database = dir.path().join("sessions.sqlite");
    let (mut child, base) = start_server(&index_dir.join("index"), &database);

    let session: Value = ureq::post(&format!("{base}/v1/sessions"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let id = session["session_id"].as_str().unwrap().to_string();
    let messages = [
        "a mirrorless camera please",
        "something to carry it in",
        "and a memory card",
    ];
    for m in messages {
        let body = ureq::post(&format!("{base}/v1/sessions/{id}/messages"))
            .send_json(json!({ "text": m }))
            .unwrap()
            .into_string()
            .unwrap();
        assert!(body.contains("event: done"), "{body}");
    }
    for item in ["tripod", "bag", "card-64"] {
        let r = ureq::post(&format!("{base}/v1/events"))
            .send_json(json!({"session": id, "kind": "click", "item": item}))
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    // SIGKILL: no chance to flush anything.
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, base) = start_server(&index_dir.join("index"), &database);
    let stored: Value = ureq::get(&format!("{base}/v1/sessions/{id}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let (users, clicks) = messages_and_clicks(&stored);
    assert_eq!(users, messages);
    assert_eq!(clicks, ["tripod", "bag", "card-64"]);
}

#[tokio::test]
async fn suggestions_carry_their_anchor_to_impressions_and_back_with_clicks() {
    let s = server();
    let session = new_session(&s.app).await;
    let mut cards: Vec<Value> = Vec::new();
    for text in ["show me cameras", "I just bought the first one"] {
        let events = say(&s.app, &session, text).await;
        let suggestions = event(&events, "suggestions");
        for list in ["cross_sell", "upsell"] {
            cards.extend(suggestions[list].as_array().unwrap().iter().cloned());
        }
    }
    assert!(!cards.is_empty(), "the turns suggested something");
    let stored = s.state.store().events(&session).unwrap();
    for card in &cards {
        let anchor = card["anchor"]
            .as_str()
            .expect("every card names its anchor");
        assert!(
            index().product(anchor).is_some(),
            "{anchor} is a catalog product"
        );
        assert!(
            stored
                .iter()
                .any(|e| e.item == card["id"].as_str().unwrap()
                    && e.anchor.as_deref() == Some(anchor)),
            "the impression keys on the card's pair: {card}"
        );
    }
    // The widget sends the card's pair back with a click.
    let card = &cards[0];
    let click = json!({"session": session, "kind": "click", "item": card["id"],
        "anchor": card["anchor"], "suggestion": card["kind"]});
    let r = call(&s.app, "POST", "/v1/events", Some(click), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let stored = s.state.store().events(&session).unwrap();
    let clicked = stored.last().unwrap();
    assert_eq!(clicked.anchor.as_deref(), card["anchor"].as_str());
}

#[tokio::test]
async fn a_search_with_no_letter_or_digit_finds_nothing_and_says_what_to_type() {
    let s = server();
    for q in ["%22%22%22", "-", "%3F%21"] {
        let r = call(
            &s.app,
            "GET",
            &format!("/v1/products/search?q={q}"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        let body = r.json();
        assert_eq!(body["products"], json!([]), "{q}");
        assert!(
            body["hint"]
                .as_str()
                .is_some_and(|h| h.contains("product name")),
            "{q}: {body}"
        );
    }
    let r = call(&s.app, "GET", "/v1/products/search?q=tripod", None, None).await;
    assert!(r.json().get("hint").is_none(), "results need no hint");
}

#[tokio::test]
async fn clicks_on_a_card_raise_that_anchor_and_item_pair() {
    let s = server();
    let recs = || async {
        let r = call(
            &s.app,
            "GET",
            "/v1/products/cam-a/recommendations?kind=cross&limit=5",
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["cross_sell"].as_array().unwrap().clone()
    };
    let before = recs().await;
    let card = before.last().expect("cam-a has cross-sells").clone();
    assert_eq!(card["anchor"], "cam-a");
    let score = |cards: &[Value], id: &Value| {
        cards
            .iter()
            .find(|c| &c["id"] == id)
            .and_then(|c| c["score"].as_f64())
    };
    let session = new_session(&s.app).await;
    for kind in [
        "impression",
        "click",
        "impression",
        "click",
        "impression",
        "click",
    ] {
        let event = json!({"session": session, "kind": kind, "item": card["id"],
            "anchor": card["anchor"], "suggestion": "cross_sell"});
        let r = call(&s.app, "POST", "/v1/events", Some(event), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    }
    let after = recs().await;
    let (was, now) = (score(&before, &card["id"]), score(&after, &card["id"]));
    assert!(
        now.is_some_and(|n| was.is_some_and(|w| n > w)),
        "{was:?} -> {now:?}: {after:?}"
    );
}

#[tokio::test]
async fn a_signed_in_customers_purchases_shape_their_suggestions_until_erased() {
    let s = server();
    let bad = call(
        &s.app,
        "POST",
        "/v1/sessions",
        Some(json!({"customer_id": "no spaces please"})),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(bad.code(), "invalid_customer_id");

    // The customer buys the Lumix with a bag in two visits.
    for _ in 0..2 {
        let (id, _) = visit(&s.app, Some("cust-7")).await;
        for item in ["cam-a", "bag"] {
            let purchase = json!({"session": id, "kind": "purchase", "item": item});
            let r = call(&s.app, "POST", "/v1/events", Some(purchase), None).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        }
    }
    // On the Lumix's page in a new visit, the bag comes first, with their own reason; an
    // anonymous visitor gets the shop-wide list.
    let (mine_session, mine) = visit(&s.app, Some("cust-7")).await;
    assert_eq!(mine["id"], "bag", "{mine}");
    assert!(
        mine["reason"]
            .as_str()
            .unwrap()
            .starts_with("You often add this with"),
        "{mine}"
    );
    let (_, anonymous) = visit(&s.app, None).await;
    assert_ne!(anonymous["id"], "bag", "{anonymous}");

    // The history is stored: a restarted server over the same database still knows it.
    let restarted = || app(shop::state(index(), shop::config(s._dir.path())));
    let (_, after_restart) = visit(&restarted(), Some("cust-7")).await;
    assert_eq!(after_restart["id"], "bag", "{after_restart}");

    // Erasing needs the agent key, then forgets the history for good.
    let denied = call(&s.app, "DELETE", "/v1/customers/cust-7", None, None).await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    let erased = call(
        &s.app,
        "DELETE",
        "/v1/customers/cust-7",
        None,
        Some(shop::AGENT_KEY),
    )
    .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(erased.json()["had_history"], true);
    assert_eq!(visit(&s.app, Some("cust-7")).await.1, anonymous);
    // ... and the erasure outlives a restart.
    let (_, erased_after_restart) = visit(&restarted(), Some("cust-7")).await;
    assert_ne!(erased_after_restart["id"], "bag", "{erased_after_restart}");
    let (gone, orders) = s.state.store().customer_orders().unwrap();
    assert_eq!(gone, vec!["cust-7".to_string()]);
    assert!(orders.is_empty(), "{orders:?}");
    // The sessions they had no longer name them: buying there adds to no history.
    let (_, session) = s.state.store().session(&mine_session).unwrap().unwrap();
    assert_eq!(session.customer_id, None);
}

/// A new session (for `customer` when given) and the first cross-sell on the Lumix's page in
/// it.
async fn visit(app: &Router, customer: Option<&str>) -> (String, Value) {
    let body = customer.map(|c| json!({ "customer_id": c }));
    let r = call(app, "POST", "/v1/sessions", body, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let session = r.json()["session_id"].as_str().unwrap().to_string();
    let uri = format!("/v1/products/cam-a/recommendations?kind=cross&session={session}");
    let r = call(app, "GET", &uri, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = r.json()["cross_sell"][0].clone();
    (session, first)
}

/// Runs one chat turn over HTTP and returns its SSE events (name, data), `done` last.
fn turn_over_http(base: &str, session: &str, text: &str) -> Vec<(String, Value)> {
    let body = ureq::post(&format!("{base}/v1/sessions/{session}/messages"))
        .send_json(json!({ "text": text }))
        .unwrap()
        .into_string()
        .unwrap();
    let mut events = Vec::new();
    let mut name = String::new();
    for line in body.lines() {
        if let Some(n) = line.strip_prefix("event: ") {
            name = n.to_string();
        } else if let Some(data) = line.strip_prefix("data: ") {
            events.push((
                name.clone(),
                serde_json::from_str(data).unwrap_or(Value::Null),
            ));
        }
    }
    assert!(
        events.iter().any(|(n, _)| n == "done"),
        "the turn finished: {body}"
    );
    events
}

/// Polls `check` every 100 ms for up to `secs` seconds.
fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 10 {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[test]
fn two_servers_on_one_postgres_share_conversations_carts_consoles_and_new_index_generations() {
    let Some(db) = common::postgres("two_servers") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shop_dir = dir.path().join("shop");
    std::fs::create_dir_all(&shop_dir).unwrap();
    drop(shop::index(&shop_dir));
    let index_dir = shop_dir.join("index");
    let (mut a, base_a) = start_server(&index_dir, &db.url);
    let (mut b, base_b) = start_server(&index_dir, &db.url);

    // A conversation started on A continues on B: "the second one" is A's second product.
    let session: Value = ureq::post(&format!("{base_a}/v1/sessions"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let id = session["session_id"].as_str().unwrap().to_string();
    let shown = turn_over_http(&base_a, &id, "memory card for my camera");
    let products = &shown.iter().find(|(n, _)| n == "products").unwrap().1["products"];
    let second = products[1]["id"].as_str().unwrap().to_string();
    turn_over_http(&base_b, &id, "add the second one to my cart");
    let cart_on = |base: &str| -> Vec<String> {
        let stored: Value = ureq::get(&format!("{base}/v1/sessions/{id}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        stored["cart"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(cart_on(&base_a), vec![second.clone()]);

    // A cart change made on B is visible on A.
    let r = ureq::post(&format!("{base_b}/v1/events"))
        .send_json(json!({"session": id, "kind": "add_to_cart", "item": "tripod"}))
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(cart_on(&base_a), vec![second.clone(), "tripod".to_string()]);

    // A console on B follows the turns made on A.
    let (tx, rx) = std::sync::mpsc::channel::<(String, String)>();
    let stream_url = format!("{base_b}/v1/agent/sessions/{id}/stream");
    std::thread::spawn(move || {
        use std::io::BufRead;
        let agent = ureq::AgentBuilder::new()
            .timeout_read(std::time::Duration::from_secs(30))
            .build();
        let Ok(response) = agent
            .get(&stream_url)
            .set("Authorization", &format!("Bearer {}", shop::AGENT_KEY))
            .call()
        else {
            return;
        };
        let mut name = String::new();
        for line in std::io::BufReader::new(response.into_reader()).lines() {
            let Ok(line) = line else { return };
            if let Some(n) = line.strip_prefix("event: ") {
                name = n.to_string();
            } else if let Some(data) = line.strip_prefix("data: ")
                && tx.send((name.clone(), data.to_string())).is_err()
            {
                return;
            }
        }
    });
    let (first, _) = rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
    assert_eq!(first, "snapshot");
    turn_over_http(&base_a, &id, "do you have a tripod");
    let followed = (0..20).find_map(|_| {
        let (name, data) = rx.recv_timeout(std::time::Duration::from_secs(1)).ok()?;
        (name == "turn").then_some(data)
    });
    let followed = followed.expect("B's console got the turn A answered");
    assert!(followed.contains("do you have a tripod"), "{followed}");

    // Feedback A records reaches B's online learning.
    ureq::post(&format!("{base_a}/v1/events"))
        .send_json(json!({"session": id, "kind": "click", "item": "bag"}))
        .unwrap();
    let learned_events = || {
        let metrics = ureq::get(&format!("{base_b}/metrics"))
            .call()
            .unwrap()
            .into_string()
            .unwrap();
        metrics
            .lines()
            .any(|l| l.starts_with("shopclerk_cluster_changes_applied_total{kind=\"events\"}"))
    };
    assert!(eventually(10, learned_events), "B applied A's events");

    // After kill -9 of A, everything A acknowledged is on B.
    let messages = ["a mirrorless camera please", "and a memory card"];
    for m in messages {
        turn_over_http(&base_a, &id, m);
    }
    ureq::post(&format!("{base_a}/v1/events"))
        .send_json(json!({"session": id, "kind": "click", "item": "card-64"}))
        .unwrap();
    a.kill().unwrap();
    a.wait().unwrap();
    let stored: Value = ureq::get(&format!("{base_b}/v1/sessions/{id}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let (users, clicks) = messages_and_clicks(&stored);
    assert_eq!(
        users,
        [
            "memory card for my camera",
            "add the second one to my cart",
            "do you have a tripod",
            "a mirrorless camera please",
            "and a memory card"
        ]
    );
    assert_eq!(clicks, ["bag", "card-64"]);

    // An incremental index that adds a product is searchable on B without a restart.
    let lantern = json!({
        "id": "lantern-9",
        "title": "Solar Camping Lantern with Hanging Hook",
        "category_path": ["Outdoors", "Camping", "Lanterns"],
        "price": {"amount": 899, "currency": "INR"},
        "rating": 4.4, "rating_count": 50, "in_stock": true
    });
    // The same update deletes the tripod in the session's cart.
    let changes = dir.path().join("changes.jsonl");
    std::fs::write(
        &changes,
        format!("{lantern}\n{}\n", json!({"id": "tripod", "deleted": true})),
    )
    .unwrap();
    let out = std::process::Command::new(shopclerk_bin())
        .args(["index", "--incremental", "--catalog"])
        .arg(&changes)
        .arg("--out")
        .arg(&index_dir)
        .env("SHOPCLERK_MODELS", common::models_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found = || {
        ureq::get(&format!(
            "{base_b}/v1/products/search?q=solar%20camping%20lantern"
        ))
        .call()
        .ok()
        .and_then(|r| r.into_string().ok())
        .is_some_and(|body| body.contains("lantern-9"))
    };
    let swapped = eventually(30, found);
    // The conversation goes on over the new generation, without the deleted product.
    let after = turn_over_http(&base_b, &id, "show me lanterns");
    let cart = cart_on(&base_b);
    b.kill().unwrap();
    let _ = b.wait();
    assert!(swapped, "B serves the new generation without a restart");
    assert!(
        after.iter().any(|(n, _)| n == "products"),
        "the turn answered: {after:?}"
    );
    assert_eq!(cart, vec![second], "the deleted tripod left the cart");
}
