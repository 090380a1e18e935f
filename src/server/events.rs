//! `POST /v1/events`: what customers do with products and suggestions (impression, click,
//! add_to_cart, purchase). Each event is stored, then learned from at once by the recommender;
//! adding to the cart or buying also updates the session, so the next suggestions know.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::AppState;
use super::error::{ApiError, ApiJson};
use super::views::now_ms;
use crate::dialogue::Assistant;
use crate::recommend::feedback::{EventKind, FeedbackEvent};

/// `POST /v1/events` -> 202 `{"recorded": true}`.
pub(super) async fn post_event(
    State(state): State<AppState>,
    ApiJson(event): ApiJson<FeedbackEvent>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let assistant = state.assistant()?.clone();
    let shared = state.clone();
    tokio::task::spawn_blocking(move || record(&shared, &assistant, &event))
        .await
        .map_err(|e| ApiError::internal("event task", e))??;
    Ok((StatusCode::ACCEPTED, Json(json!({ "recorded": true }))))
}

/// Checks, stores and learns from one event (blocking: call off the async workers).
pub(super) fn record(
    state: &AppState,
    assistant: &Assistant,
    event: &FeedbackEvent,
) -> Result<(), ApiError> {
    event
        .validate()
        .map_err(|reason| ApiError::bad_request("invalid_event", reason))?;
    let recommender = assistant.recommender();
    let mut event = event.clone();
    // The server knows the arm; a client's claim is not trusted.
    event.arm = recommender.arm_for(&event.session).0;
    if event.at_ms == 0 {
        event.at_ms = now_ms();
    }
    let store = state.store();
    store.record_event(&event)?;
    if let Err(e) = recommender.record(&event) {
        tracing::warn!("recommender did not learn from an event: {e}");
    }
    let suggestion = match event.suggestion {
        Some(crate::recommend::feedback::SuggestionKind::CrossSell) => "cross_sell",
        Some(crate::recommend::feedback::SuggestionKind::Upsell) => "upsell",
        None => "none",
    };
    let kind = match event.kind {
        EventKind::Impression => "impression",
        EventKind::Click => "click",
        EventKind::AddToCart => "add_to_cart",
        EventKind::Purchase => "purchase",
    };
    state
        .metrics()
        .suggestion_events
        .with_label_values(&[kind, suggestion])
        .inc();
    if matches!(event.kind, EventKind::AddToCart | EventKind::Purchase)
        && assistant.searcher().index().product(&event.item).is_some()
        && let Some((_, mut session)) = store.session(&event.session)?
    {
        match event.kind {
            EventKind::AddToCart => session.add_to_cart(&event.item),
            _ => session.bought(&event.item),
        }
        store.save_state(&session, event.at_ms)?;
    }
    Ok(())
}
