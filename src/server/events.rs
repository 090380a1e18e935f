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
use crate::recommend::feedback::{EventKind, FeedbackEvent, SuggestionKind};

/// `POST /v1/events` -> 202 `{"recorded": true}`.
pub(super) async fn post_event(
    State(state): State<AppState>,
    ApiJson(event): ApiJson<FeedbackEvent>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let assistant = state.assistant()?.clone();
    let shared = state.clone();
    tokio::task::spawn_blocking(move || record(&shared, &assistant, vec![event]))
        .await
        .map_err(|e| ApiError::internal("event task", e))??;
    Ok((StatusCode::ACCEPTED, Json(json!({ "recorded": true }))))
}

/// Checks events, stores them in one write, then learns from them (blocking: call off the
/// async workers). An invalid event refuses the whole batch.
pub(super) fn record(
    state: &AppState,
    assistant: &Assistant,
    mut events: Vec<FeedbackEvent>,
) -> Result<(), ApiError> {
    let recommender = assistant.recommender();
    for event in &mut events {
        event
            .validate()
            .map_err(|reason| ApiError::bad_request("invalid_event", reason))?;
        // The server knows the arm; a client's claim is not trusted.
        event.arm = recommender.arm_for(&event.session).0;
        if event.at_ms == 0 {
            event.at_ms = now_ms();
        }
    }
    let store = state.store();
    store.record_events(&events)?;
    for event in &events {
        if let Err(e) = recommender.record(event) {
            tracing::warn!("recommender did not learn from an event: {e}");
        }
        let suggestion = event.suggestion.map_or("none", SuggestionKind::name);
        state
            .metrics()
            .suggestion_events
            .with_label_values(&[event.kind.name(), suggestion])
            .inc();
        if matches!(event.kind, EventKind::AddToCart | EventKind::Purchase)
            && assistant.searcher().index().product(&event.item).is_some()
        {
            // Read and written in one transaction: a turn saving meanwhile merges it in.
            let mut customer = None;
            store.update_state(&event.session, event.at_ms, &mut |session| {
                customer = session.customer_id.clone();
                match event.kind {
                    EventKind::AddToCart => session.add_to_cart(&event.item),
                    _ => session.bought(&event.item),
                }
            })?;
            if let (EventKind::Purchase, Some(customer)) = (event.kind, customer) {
                super::customers::record_purchases(
                    state,
                    assistant,
                    &customer,
                    &event.session,
                    std::slice::from_ref(&event.item),
                )?;
            }
        }
    }
    Ok(())
}
