//! Operations and pages: `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, the request
//! metrics middleware, and the files of `web/` (shop page at `/`, console at `/console`,
//! widget at `/widget.js`).

use std::path::Path;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::AppState;
use super::error::ApiError;

/// The OpenAPI description of the API.
const OPENAPI: &str = include_str!("openapi.json");

/// `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
}

/// 200 when the index and models are loaded, 503 (with why) until then.
async fn readyz(State(state): State<AppState>) -> Response {
    if let Some(assistant) = state.current() {
        let index = assistant.searcher().index();
        return Json(json!({
            "status": "ready",
            "products": index.products().len(),
            "generation": index
                .generation_dir()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            "model": assistant.model().map(|m| m.describe()),
        }))
        .into_response();
    }
    let failed = state
        .inner
        .loading_failed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match failed {
        Some(reason) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "loading_failed",
            format!("the assistant could not load: {reason}"),
        )
        .into_response(),
        None => ApiError::unavailable(
            "not_ready",
            "loading the models and the index",
            std::time::Duration::from_secs(5),
        )
        .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let model = state.current().and_then(|a| a.model().cloned());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics().render(model.as_deref()),
    )
}

/// Middleware: counts every request by route, method and status, and times it.
pub(super) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Unmatched paths share one label, so scanners cannot blow up the metric's cardinality.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let response = next.run(request).await;
    let m = state.metrics();
    m.requests
        .with_label_values(&[route.as_str(), method.as_str(), response.status().as_str()])
        .inc();
    m.latency
        .with_label_values(&[route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The pages: `/` (demo shop), `/console`, and every other file of `web_dir` by name. They get a
/// Content-Security-Policy that allows no inline or foreign script.
pub(super) fn pages(web_dir: &Path) -> Router<AppState> {
    let csp = HeaderValue::from_static(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' https: http: data:; connect-src 'self'; frame-ancestors 'self'",
    );
    let not_found =
        || async { ApiError::not_found("not_found", "no such page or endpoint").into_response() };
    Router::new()
        .route_service("/console", ServeFile::new(web_dir.join("console.html")))
        .fallback_service(
            ServeDir::new(web_dir)
                .append_index_html_on_directories(true)
                .fallback(get(not_found).with_state(())),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}
