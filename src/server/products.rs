//! The catalog over HTTP: `GET /v1/products/search`, `GET /v1/products/{id}` and
//! `GET /v1/products/{id}/recommendations`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::{ApiError, ApiPath, ApiQuery};
use super::views::SuggestionCard;
use crate::catalog::ProductView;
use crate::recommend::Request;
use crate::recommend::feedback::SuggestionKind;
use crate::search::{Filter, Retriever};

/// Most results a search or recommendation list returns.
const MAX_LIMIT: usize = 50;

/// Most product ids one `exclude` parameter may name.
const MAX_EXCLUDED: usize = 200;

/// Query of `GET /v1/products/search`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchQuery {
    q: String,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    min_price: Option<f64>,
    #[serde(default)]
    max_price: Option<f64>,
    #[serde(default)]
    min_rating: Option<f32>,
    #[serde(default)]
    in_stock: Option<bool>,
}

fn limit(asked: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match asked.unwrap_or(default) {
        0 => Err(ApiError::bad_request(
            "invalid_limit",
            "limit must be at least 1",
        )),
        n if n > MAX_LIMIT => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be at most {MAX_LIMIT}"),
        )),
        n => Ok(n),
    }
}

/// `GET /v1/products/search?q=...`: hybrid search under hard filters.
pub(super) async fn search(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let assistant = state.assistant()?.clone();
    if query.q.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_query", "q is empty"));
    }
    let max = crate::understand::MAX_MESSAGE_CHARS;
    if query.q.chars().count() > max {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("q is longer than {max} characters"),
        ));
    }
    let limit = limit(query.limit, 10)?;
    let filter = Filter {
        category: query.category.filter(|c| !c.trim().is_empty()),
        category_path: None,
        min_price: query.min_price,
        max_price: query.max_price,
        min_rating: query.min_rating,
        in_stock: query.in_stock.unwrap_or(false),
    };
    // Search embeds the query: CPU work, off the async workers.
    let cards = tokio::task::spawn_blocking(move || {
        let searcher = assistant.searcher();
        let hits =
            searcher.retrieve(&query.q, &filter, limit * crate::search::VARIANT_OVERFETCH)?;
        Ok::<_, crate::search::Error>(crate::search::shown(searcher.index(), &hits, limit))
    })
    .await
    .map_err(|e| ApiError::internal("search task", e))?
    .map_err(|e| match e {
        crate::search::Error::InvalidFilter(reason) => {
            ApiError::bad_request("invalid_filter", reason)
        }
        other => ApiError::internal("search", other),
    })?;
    if cards.is_empty() {
        return Ok(Json(json!({ "products": cards, "hint": NO_RESULTS_HINT })));
    }
    Ok(Json(json!({ "products": cards })))
}

/// Said with an empty result list, so a search box can help the shopper.
const NO_RESULTS_HINT: &str =
    "nothing matched: search by a product name, a brand or a category, such as \"usb c cable\"";

fn check_product_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_product_id",
            "product ids are 1 to 200 characters without control characters",
        ));
    }
    Ok(())
}

fn product_not_found(id: &str) -> ApiError {
    ApiError::not_found(
        "product_not_found",
        format!("no product {id} in the catalog"),
    )
}

/// `GET /v1/products/{id}`: the card plus description and attributes.
pub(super) async fn product(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_product_id(&id)?;
    let assistant = state.assistant()?;
    let p = assistant
        .searcher()
        .index()
        .product(&id)
        .ok_or_else(|| product_not_found(&id))?;
    let mut view = serde_json::to_value(ProductView::of(p)).unwrap_or_default();
    view["description"] = json!(p.description);
    view["attributes"] = json!(p.attributes);
    view["url"] = json!(p.url);
    Ok(Json(view))
}

/// Query of `GET /v1/products/{id}/recommendations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecommendQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
    /// The customer's session: picks its A/B arm, its cart, purchases and declined items are
    /// never suggested, and its returning customer's history joins cross-sell.
    #[serde(default)]
    session: Option<String>,
    /// Product ids never to suggest, comma-separated (`exclude=ID,ID`).
    #[serde(default)]
    exclude: Option<String>,
}

/// A request for suggestions for `anchors`, with `kind` (cross, up or both; default both) and
/// `limit` (default 3) checked as the API checks them.
pub(super) fn request(
    anchors: Vec<String>,
    kind: Option<&str>,
    limit_asked: Option<usize>,
) -> Result<Request, ApiError> {
    let mut request = Request::new(anchors, limit(limit_asked, 3)?);
    request.kind = kind
        .unwrap_or("both")
        .parse()
        .map_err(|reason| ApiError::bad_request("invalid_kind", reason))?;
    Ok(request)
}

/// Runs `request` for the customer's `session` when one is named: it picks the A/B arm, what
/// the session holds, bought or turned down is no suggestion, and its returning customer's
/// history joins cross-sell. A session that ended still picks an arm; it has nothing to
/// exclude.
pub(super) async fn recommend(
    state: &AppState,
    mut request: Request,
    session: Option<&str>,
) -> Result<crate::recommend::Recommendations, ApiError> {
    if let Some(session_id) = session {
        let session = match super::chat::load(state, session_id).await {
            Err(e) if e.code == "session_not_found" => crate::dialogue::Session::new(session_id),
            found => found?,
        };
        request.exclude.extend(
            session
                .cart
                .iter()
                .chain(&session.bought)
                .chain(&session.declined)
                .cloned(),
        );
        request.customer = session.customer_id;
        request.session = Some(session_id.to_string());
    }
    let assistant = state.assistant()?;
    tokio::task::spawn_blocking(move || assistant.recommender().recommend(&request))
        .await
        .map_err(|e| ApiError::internal("recommend task", e))?
        .map_err(|e| ApiError::internal("recommend", e))
}

/// `GET /v1/products/{id}/recommendations?kind=cross|up|both&limit=N`.
pub(super) async fn recommendations(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<RecommendQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_product_id(&id)?;
    let assistant = state.assistant()?.clone();
    let index = assistant.searcher().index().clone();
    if index.product(&id).is_none() {
        return Err(product_not_found(&id));
    }
    let mut request = request(vec![id.clone()], query.kind.as_deref(), query.limit)?;
    request.exclude = query
        .exclude
        .iter()
        .flat_map(|e| e.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    if request.exclude.len() > MAX_EXCLUDED {
        return Err(ApiError::bad_request(
            "invalid_exclude",
            format!("exclude names at most {MAX_EXCLUDED} products"),
        ));
    }
    let found = recommend(&state, request, query.session.as_deref()).await?;
    let anchor = index.product(&id).map(ProductView::of);
    Ok(Json(json!({
        "anchor": anchor,
        "cross_sell": SuggestionCard::all(&found.cross_sell, SuggestionKind::CrossSell),
        "upsell": SuggestionCard::all(&found.upsell, SuggestionKind::Upsell),
        "arm": found.arm,
    })))
}
