//! Protection at the edge: per-client rate limit, request deadlines, CORS allow-list and
//! request ids.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestId, RequestId};

use super::{ApiError, AppState};

/// Requests per client address, by token bucket.
#[derive(Clone)]
pub(super) struct Limiter {
    buckets: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limiter {
    /// A limiter of `per_minute` requests with bursts of `burst`; `None` when `per_minute` is 0.
    pub(super) fn new(per_minute: u32, burst: u32) -> Option<Limiter> {
        let rate = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Some(Limiter {
            buckets: Arc::new(DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(rate).allow_burst(burst),
            )),
        })
    }

    /// Drops the buckets of clients that are back to full, every minute, so memory stays
    /// bounded by the clients of the last minute.
    pub(super) fn forget_idle_clients_periodically(self) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                self.buckets.retain_recent();
                self.buckets.shrink_to_fit();
            }
        });
    }

    fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.buckets
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Middleware: 429 with `Retry-After` when the client's address is over its rate.
pub(super) async fn rate_limit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &state.inner.limiter {
        // Requests that did not come over a socket (tests calling the router) share one bucket.
        let client = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        if let Err(wait) = limiter.check(client) {
            return ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this address; slow down",
            )
            .retry_after(wait.max(Duration::from_secs(1)))
            .into_response();
        }
    }
    next.run(request).await
}

/// Middleware: 504 `timeout` when a request takes longer than the deadline.
pub(super) async fn deadline(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

/// CORS for the configured shop origins: they may call the API from their pages. Origins that
/// do not parse as header values are skipped with a warning.
pub(super) fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| {
            let parsed = HeaderValue::from_str(o.trim_end_matches('/')).ok();
            if parsed.is_none() {
                tracing::warn!("CORS origin {o:?} is not a valid origin; skipped");
            }
            parsed
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}

/// Request ids: a per-process prefix and a counter, short and unique enough for logs.
#[derive(Clone)]
pub(super) struct Ids {
    prefix: u32,
    next: Arc<AtomicU64>,
}

impl Ids {
    pub(super) fn new() -> Ids {
        Ids {
            prefix: rand::random(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for Ids {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}
