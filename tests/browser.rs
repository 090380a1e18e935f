//! The widget, the shop page and the agent console in headless Chromium (Debian's chromium and
//! chromium-driver), against a server started here over a small shop whose catalog holds a
//! product titled with an HTML injection. Screenshots go to `target/screenshots/`.
//!
//! Without chromedriver on the PATH the test says so and passes, unless
//! `SHOPCLERK_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs the browser) makes that a
//! failure.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use shopclerk::server::run;

use common::shop;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("chromedriver"))
        .find(|p| p.is_file())
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn browser(port: u16) -> Client {
    let chrome = std::env::var("SHOPCLERK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chrome,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900"]
        }
    });
    let caps = match caps {
        Value::Object(map) => map,
        _ => unreachable!(),
    };
    let mut last = None;
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start a browser: {last:?}");
}

/// Polls `script` (returning a value) until `done` says yes, for up to 30 s.
async fn wait_for(client: &Client, script: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = client.execute(script, vec![]).await.unwrap();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {script}: last {last}");
}

/// Waits for the element and clicks it.
async fn click(client: &Client, locator: Locator<'_>) {
    client
        .wait()
        .for_element(locator)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types a message into the widget, sends it and waits for reply number `nth` to finish.
async fn send(client: &Client, text: &str, nth: u64) {
    let input = client
        .find(Locator::Css("[data-testid=shopclerk-input]"))
        .await
        .unwrap();
    input.send_keys(text).await.unwrap();
    click(client, Locator::Css("[data-testid=shopclerk-send]")).await;
    wait_for(
        client,
        "return document.querySelectorAll('[data-testid=shopclerk-reply][data-state=done]').length",
        |v| v.as_u64() == Some(nth),
    )
    .await;
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(name), png).unwrap();
}

async fn resize(client: &Client, width: u32, height: u32) {
    client.set_window_size(width, height).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_and_console_work_in_a_real_browser_and_render_hostile_text_as_text() {
    let Some(driver_bin) = chromedriver() else {
        assert!(
            std::env::var("SHOPCLERK_REQUIRE_BROWSER").is_err(),
            "SHOPCLERK_REQUIRE_BROWSER is set but chromedriver is not on the PATH"
        );
        eprintln!("skipped: no chromedriver (apt-get install chromium chromium-driver)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let index = tokio::task::spawn_blocking({
        let d = dir.path().to_path_buf();
        move || shop::index(&d)
    })
    .await
    .unwrap();
    let state = shop::state(index, shop::config(dir.path()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(state.clone(), listener, async move {
        let _ = stop_rx.await;
    }));

    let port = free_port();
    let _driver = Driver(
        Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = browser(port).await;

    // The shop page, with the widget embedded by a script tag.
    client.goto(&format!("{base}/")).await.unwrap();
    wait_for(
        &client,
        "return document.querySelectorAll('[data-testid=shop-card]').length",
        |v| v.as_u64().unwrap_or(0) > 0,
    )
    .await;
    click(&client, Locator::Css("[data-testid=shopclerk-open]")).await;
    client
        .wait()
        .for_element(Locator::Css("[data-testid=shopclerk-input]"))
        .await
        .unwrap();
    let hostile = "I want to buy a usb-c cable <img src=x onerror=\"window.__xss=1\">";
    send(&client, hostile, 1).await;
    let reply = wait_for(
        &client,
        "const r = document.querySelectorAll('[data-testid=shopclerk-reply][data-state=done]'); \
         return r.length ? r[r.length - 1].textContent : null",
        |v| v.is_string(),
    )
    .await;
    assert!(reply.as_str().unwrap().len() > 10, "{reply}");

    // Product cards, with the hostile catalog title shown as text.
    let titles = client
        .execute(
            // The card shows the short name; its full title is the name's tooltip.
            "return [...document.querySelectorAll('[data-testid=shopclerk-card]')].map(c => c.textContent + ' | ' + c.querySelector('.sc-title').title)",
            vec![],
        )
        .await
        .unwrap();
    let titles: Vec<String> = serde_json::from_value(titles).unwrap();
    shot(&client, "widget-desktop.png").await;
    assert!(
        !titles.is_empty(),
        "no product cards; the reply was {reply}"
    );
    assert!(
        titles.iter().any(|t| t.contains(shop::HOSTILE_TITLE)),
        "the hostile title is shown as text: {titles:?}"
    );
    let user_line = client
        .execute(
            "return document.querySelector('[data-testid=shopclerk-user]').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        user_line.as_str().unwrap().contains("<img src=x"),
        "{user_line}"
    );
    let injected = client
        .execute(
            "return [window.__xss === undefined, document.querySelectorAll('img[src=\"x\"]').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        injected,
        json!([true, 0]),
        "no injected element ran or exists"
    );

    // A camera search brings cross-sell and upsell cards; clicking one records a click event.
    send(&client, "show me mirrorless cameras", 2).await;
    send(&client, "add the first one to my cart", 3).await;
    shot(&client, "widget-desktop.png").await;
    let session = client
        .execute("return sessionStorage.getItem('shopclerk_session')", vec![])
        .await
        .unwrap();
    let session = session.as_str().unwrap().to_string();
    let suggestion = client
        .find(Locator::Css("[data-testid=shopclerk-suggestion]"))
        .await
        .expect("the turn showed a suggestion card");
    let item = suggestion.attr("data-product-id").await.unwrap().unwrap();
    suggestion.click().await.unwrap();
    let mut clicked = false;
    for _ in 0..100 {
        let events = state.store().events(&session).unwrap();
        if events
            .iter()
            .any(|e| e.item == item && e.kind == shopclerk::recommend::feedback::EventKind::Click)
        {
            clicked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(clicked, "clicking suggestion {item} recorded a click");

    // Phone width: the open panel fills the screen.
    resize(&client, 390, 844).await;
    let width = wait_for(
        &client,
        "return document.querySelector('[data-testid=shopclerk-panel]').getBoundingClientRect().width",
        |v| v.as_f64().is_some_and(|w| w > 300.0),
    )
    .await;
    assert!(
        width.as_f64().unwrap() >= 370.0,
        "panel width on a phone: {width}"
    );
    shot(&client, "widget-phone.png").await;
    resize(&client, 1280, 900).await;

    // The agent console: the key, the session, its transcript and suggestions, one-click insert.
    client.goto(&format!("{base}/console")).await.unwrap();
    client
        .wait()
        .for_element(Locator::Css("[data-testid=console-key]"))
        .await
        .unwrap()
        .send_keys(shop::AGENT_KEY)
        .await
        .unwrap();
    click(&client, Locator::Css("[data-testid=console-login]")).await;
    click(
        &client,
        Locator::Css(&format!(
            "[data-testid=console-session][data-session-id='{session}']"
        )),
    )
    .await;
    let turns = wait_for(
        &client,
        "return [...document.querySelectorAll('[data-testid=console-turn]')].map(t => t.textContent)",
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
    )
    .await;
    assert!(turns.to_string().contains("mirrorless cameras"), "{turns}");
    let insert = client
        .wait()
        .for_element(Locator::Css("[data-testid=console-insert]"))
        .await
        .unwrap();
    insert.click().await.unwrap();
    let reply_box = client
        .execute(
            "return document.querySelector('[data-testid=console-reply]').value",
            vec![],
        )
        .await
        .unwrap();
    let suggested_title = client
        .execute(
            "return document.querySelector('[data-testid=console-suggestion]').dataset.productId",
            vec![],
        )
        .await
        .unwrap();
    let id = suggested_title.as_str().unwrap();
    let title = &state_title(&state, id);
    assert!(
        reply_box.as_str().unwrap().contains(title.as_str()),
        "inserted {reply_box} should name {title}"
    );
    let injected = client
        .execute("return window.__xss === undefined", vec![])
        .await
        .unwrap();
    assert_eq!(injected, json!(true));
    shot(&client, "console.png").await;

    client.close().await.unwrap();
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server shuts down gracefully")
        .unwrap()
        .unwrap();
}

fn state_title(state: &shopclerk::server::AppState, id: &str) -> String {
    let turns = state
        .store()
        .recent(0, 10)
        .unwrap()
        .into_iter()
        .flat_map(|s| state.store().turns(&s.session_id).unwrap())
        .collect::<Vec<_>>();
    turns
        .iter()
        .flat_map(|t| t.suggestions.cross_sell.iter().chain(&t.suggestions.upsell))
        .find(|s| s.product.id == id)
        .map(|s| s.product.short_name.clone())
        .unwrap_or_else(|| panic!("{id} was not suggested"))
}
