//! Returning customers: what a session's customer buys joins their purchase history (stored,
//! and learned by the recommender at once), and `DELETE /v1/customers/{id}` (agent key)
//! erases that history.

use axum::Json;
use axum::extract::State;
use serde_json::json;

use super::AppState;
use super::error::{ApiError, ApiPath, check_id};
use super::views::now_ms;
use crate::dialogue::Assistant;

/// Adds `items` that `customer` bought in `session` to their history: stored first, then
/// learned (blocking: call off the async workers).
pub(super) fn record_purchases(
    state: &AppState,
    assistant: &Assistant,
    customer: &str,
    session: &str,
    items: &[String],
) -> Result<(), ApiError> {
    if items.is_empty() {
        return Ok(());
    }
    state
        .store()
        .record_purchases(customer, session, items, now_ms())?;
    assistant
        .recommender()
        .record_order(customer, session, items);
    Ok(())
}

/// Loads the stored purchase histories into the recommender at start-up: erased customers
/// are forgotten first (their rows in the shop's orders file too), then every stored order
/// is added. Returns the orders loaded.
pub(super) fn load_histories(
    store: &dyn super::store::SessionStore,
    assistant: &Assistant,
) -> Result<usize, super::store::Error> {
    let (erased, orders) = store.customer_orders()?;
    Ok(assistant
        .recommender()
        .apply_customer_records(&erased, &orders))
}

/// `DELETE /v1/customers/{id}`: erases the customer's purchase history, stored and learned,
/// and stops the shop's orders file from being used for them. 200 `{"erased": true,
/// "had_history": bool}`; asking twice is harmless.
pub(super) async fn erase(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_id("invalid_customer_id", &id)?;
    let key = id.clone();
    let stored = state
        .blocking(move |store| store.erase_customer(&key, now_ms()))
        .await?;
    let learned = state
        .assistant()
        .map(|a| a.recommender().forget_customer(&id))
        .unwrap_or(false);
    Ok(Json(
        json!({ "erased": true, "had_history": stored || learned }),
    ))
}
