//! The chat service: an HTTP API over the library (axum, tokio), the customer widget, the agent
//! console and the demo shop page (`web/`).
//!
//! [`app`] builds the router over an [`AppState`]; [`serve`] binds it, loads the models and the
//! index in the background (`/readyz` says when they are in) and shuts down gracefully, letting
//! open chat streams finish. Sessions, turns and feedback events live in a [`SessionStore`]
//! (SQLite by default), so the server itself keeps no state a restart could lose.

mod agent;
mod chat;
mod cluster;
mod customers;
pub mod error;
mod events;
mod limits;
pub mod mcp;
pub mod metrics;
mod openai;
mod ops;
mod products;
mod reload;
pub mod store;
pub mod views;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::dialogue::Assistant;

/// Seconds between keep-alive comments on an idle event stream.
const KEEP_ALIVE_SECS: u64 = 15;

/// An event stream as every endpoint sends it: a keep-alive comment every
/// [`KEEP_ALIVE_SECS`] seconds so proxies and load balancers keep an idle connection, and
/// `X-Accel-Buffering: no` so nginx passes each event on at once instead of buffering it.
pub(crate) fn event_stream<S>(stream: S) -> axum::response::Response
where
    S: futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>
        + Send
        + 'static,
{
    use axum::response::IntoResponse;
    let sse = axum::response::sse::Sse::new(stream).keep_alive(
        axum::response::sse::KeepAlive::new().interval(Duration::from_secs(KEEP_ALIVE_SECS)),
    );
    (
        [("x-accel-buffering", "no"), ("cache-control", "no-cache")],
        sse,
    )
        .into_response()
}
pub use error::ApiError;
pub use metrics::Metrics;
pub use store::{PostgresStore, SessionStore, SqliteStore};

/// Server settings (`[server]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`SHOPCLERK_LISTEN`).
    pub listen: String,
    /// Directory of the widget, console and shop pages.
    pub web_dir: PathBuf,
    /// Where sessions, turns and events live (`SHOPCLERK_DATABASE`, `--database`): a SQLite
    /// file (the default, one server), or a `postgres://` URL that several servers share.
    pub database: String,
    /// Keys the agent API accepts as `Authorization: Bearer <key>` (`SHOPCLERK_AGENT_KEYS`,
    /// comma-separated). With none, `serve` makes one up at start and prints it.
    pub agent_keys: Vec<String>,
    /// Origins (`https://shop.example`) whose pages may call the API from a browser
    /// (`SHOPCLERK_CORS_ORIGINS`, comma-separated); the server's own pages always may.
    pub cors_origins: Vec<String>,
    /// Host names (or `host:port`) agents may reach `/mcp` by, besides loopback and the
    /// `listen` host: MCP checks the `Host` header against DNS rebinding.
    pub mcp_allowed_hosts: Vec<String>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Requests per minute per client address on `/v1` (0: no limit).
    pub rate_limit_per_minute: u32,
    /// Requests a client may make at once before the per-minute rate applies.
    pub rate_limit_burst: u32,
    /// Longest time for a request that does not stream.
    pub request_timeout_secs: u64,
    /// Chat turns running at once; more are refused with 503 and `Retry-After`.
    pub max_turns_in_flight: usize,
    /// Sessions changed within this many minutes are "live" in the agent console.
    pub live_session_minutes: u64,
    /// Seconds open streams get to finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
    /// Whether the `user` field of `/v1/chat/completions` names a returning customer (their
    /// purchase history then joins cross-sell). Off by default: many clients put anything
    /// there.
    pub openai_user_is_customer: bool,
    /// Sessions (with their turns and events) not changed for this many days are erased
    /// (0: kept for ever).
    pub retention_days: u64,
    /// Seconds between folds of the stored feedback events into the online-learning snapshot
    /// (start-up replays only the events after it).
    pub snapshot_secs: u64,
    /// Seconds between checks of the index directory's `CURRENT` for a new generation (0: only
    /// `POST /v1/admin/reload` swaps).
    pub index_watch_secs: u64,
    /// Texts whose embeddings the server remembers (least recently used forgotten first; 0:
    /// none): repeated queries skip the embedder, and a hot swap re-embeds only new names.
    /// About 1.5 KB each with MiniLM.
    pub embeddings_remembered: usize,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            web_dir: "web".into(),
            database: "state/shopclerk.sqlite".into(),
            agent_keys: Vec::new(),
            cors_origins: Vec::new(),
            mcp_allowed_hosts: Vec::new(),
            max_body_bytes: 64 * 1024,
            rate_limit_per_minute: 600,
            rate_limit_burst: 60,
            request_timeout_secs: 30,
            max_turns_in_flight: 16,
            live_session_minutes: 30,
            shutdown_grace_secs: 30,
            openai_user_is_customer: false,
            retention_days: 90,
            snapshot_secs: 60,
            index_watch_secs: 2,
            embeddings_remembered: 20_000,
        }
    }
}

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// Builds the assistant again over the index directory's current generation, with the models
/// already loaded (for an index hot swap).
pub type Reloader = Arc<dyn Fn() -> Result<Assistant, String> + Send + Sync>;

struct Inner {
    config: ServerConfig,
    /// The assistant serving now; a turn keeps the one it started with until it ends.
    assistant: RwLock<Option<Arc<Assistant>>>,
    reloader: OnceLock<Reloader>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    loading_failed: Mutex<Option<String>>,
    store: Arc<dyn SessionStore>,
    metrics: Metrics,
    agents: agent::Hub,
    busy: Mutex<HashSet<String>>,
    turns: Arc<Semaphore>,
    limiter: Option<limits::Limiter>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .field("ready", &self.current().is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a session store; not ready until [`AppState::set_assistant`].
    pub fn new(config: ServerConfig, store: Arc<dyn SessionStore>) -> AppState {
        let limiter = limits::Limiter::new(config.rate_limit_per_minute, config.rate_limit_burst);
        AppState {
            inner: Arc::new(Inner {
                turns: Arc::new(Semaphore::new(config.max_turns_in_flight.max(1))),
                config,
                assistant: RwLock::new(None),
                reloader: OnceLock::new(),
                reloading: tokio::sync::Mutex::new(()),
                loading_failed: Mutex::new(None),
                store,
                metrics: Metrics::new(),
                agents: agent::Hub::default(),
                busy: Mutex::new(HashSet::new()),
                limiter,
                shutdown: tokio::sync::watch::channel(false).0,
            }),
        }
    }

    /// Makes the server ready: the assistant (index, recommender, models) it serves with.
    /// Online learning is restored first (the stored snapshot, then the events after it) and
    /// stored customer histories are loaded, so learning survives restarts.
    pub fn set_assistant(&self, assistant: Arc<Assistant>) -> Result<(), store::Error> {
        self.prepare(&assistant)?;
        self.swap(assistant);
        Ok(())
    }

    /// Restores what the store knows into a freshly loaded `assistant`'s recommender: the
    /// online-learning snapshot, the feedback events stored after it, and customer histories.
    fn prepare(&self, assistant: &Assistant) -> Result<(), store::Error> {
        let started = std::time::Instant::now();
        let store = self.inner.store.as_ref();
        let recommender = assistant.recommender();
        let cursor = cluster::restore_snapshot(store, recommender)?;
        let mut replayed = 0;
        store.events_after(cursor, &mut |_, event| {
            if recommender.record(&event).is_ok() {
                replayed += 1;
            }
        })?;
        if replayed > 0 {
            tracing::info!("replayed {replayed} feedback events stored after the snapshot");
        }
        let orders = customers::load_histories(store, assistant)?;
        if orders > 0 {
            tracing::info!("loaded {orders} stored customer orders into the recommender");
        }
        tracing::info!(
            "online learning and customer histories restored in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Serves with `assistant` from the next request on; turns already running finish on
    /// the one they started with, which is dropped when the last of them ends.
    fn swap(&self, assistant: Arc<Assistant>) {
        *self
            .inner
            .assistant
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(assistant);
    }

    /// The assistant serving now, if loaded.
    fn current(&self) -> Option<Arc<Assistant>> {
        self.inner
            .assistant
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Lets the server swap in a new index generation (`POST /v1/admin/reload`, and when the
    /// index directory's `CURRENT` changes): `reloader` builds the assistant over it.
    pub fn set_reloader(&self, reloader: Reloader) {
        let _ = self.inner.reloader.set(reloader);
    }

    /// Marks loading as failed: `/readyz` reports why.
    pub fn set_loading_failed(&self, reason: String) {
        *self
            .inner
            .loading_failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason);
    }

    /// The assistant, or 503 `not_ready` while it loads.
    fn assistant(&self) -> Result<Arc<Assistant>, ApiError> {
        self.current().ok_or_else(|| {
            ApiError::unavailable(
                "not_ready",
                "the assistant is still loading its models and index",
                Duration::from_secs(5),
            )
        })
    }

    /// The session store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.inner.store
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Tells long-lived streams (the agent console's) to end, so a graceful shutdown finishes.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    fn shutdown_watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Cards of these product ids (none while loading).
    fn cards(&self, ids: &[String]) -> Vec<crate::catalog::ProductView> {
        self.current()
            .map(|a| views::cards(a.searcher().index(), ids))
            .unwrap_or_default()
    }

    /// Runs a store call off the async workers (SQLite waits for the disk).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn SessionStore) -> store::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.inner.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ApiError::internal("store task", e))?
            .map_err(ApiError::from)
    }
}

/// The whole HTTP interface over `state`.
pub fn app(state: AppState) -> Router {
    let config = state.config().clone();
    let timeout = Duration::from_secs(config.request_timeout_secs.max(1));
    // Requests that answer at once get a deadline; streams end on their own.
    let quick = Router::new()
        .route("/v1/sessions", post(chat::create_session))
        .route(
            "/v1/sessions/{id}",
            get(chat::get_session).delete(chat::delete_session),
        )
        .route("/v1/products/search", get(products::search))
        .route("/v1/products/{id}", get(products::product))
        .route(
            "/v1/products/{id}/recommendations",
            get(products::recommendations),
        )
        .route("/v1/events", post(events::post_event))
        .route("/v1/models", get(openai::models))
        .route("/v1/models/{id}", get(openai::model))
        .merge(agent::quick_routes(state.clone()))
        .merge(reload::routes(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            limits::deadline,
        ));
    let streams = Router::new()
        .route("/v1/sessions/{id}/messages", post(chat::post_message))
        .nest_service("/mcp", mcp::service(state.clone()))
        .route("/v1/chat/completions", post(openai::completions))
        .merge(agent::stream_routes(state.clone()));
    let api = quick
        .merge(streams)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ));
    Router::new()
        .merge(api)
        .merge(ops::routes())
        .merge(ops::pages(&config.web_dir))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(limits::cors(&config.cors_origins))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
            })
            // Failures the handlers care about are logged there, with their cause.
            .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
        .layer(SetRequestIdLayer::x_request_id(limits::Ids::new()))
        .with_state(state)
}

/// Serves `app(state)` on `listener` until `stop` resolves, then lets open streams finish for
/// up to the grace period.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let grace = Duration::from_secs(state.config().shutdown_grace_secs);
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let on_stop = state.clone();
    let signal = async move {
        stop.await;
        tracing::info!("shutting down: finishing open requests");
        on_stop.begin_shutdown();
        let _ = stopped_tx.send(());
    };
    if let Some(limiter) = state.inner.limiter.clone() {
        limiter.forget_idle_clients_periodically();
    }
    state.start_background();
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(signal);
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => result,
        _ = async {
            let _ = stopped_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("open requests did not finish within {grace:?}; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
