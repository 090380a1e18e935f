//! An MCP server for shopping agents: the shop's catalog search, product details,
//! recommendations, comparisons, product questions and a session's cart as MCP tools, and the
//! category tree as a resource. Served over streamable HTTP at `/mcp` (same process, limits and
//! keys as the rest of the API) and over stdio (`shopclerk mcp`), with the official Rust SDK
//! (`rmcp`).
//!
//! Every tool runs through the same code as the HTTP API and the chat: search and product
//! views from the index, suggestions from the recommender, answers and comparisons from the
//! dialogue's grounded composer. Prices and facts come from the catalog only. A bad argument
//! (an unknown id, an oversized query, an empty list) is a tool error whose text says what was
//! wrong, so an agent can correct itself; nothing it sends can break a session.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourcesResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiPath, ApiQuery};
use super::views::now_ms;
use crate::catalog::ProductView;
use crate::dialogue::Session;

/// The category tree's resource address.
const CATEGORIES_URI: &str = "shop://categories";
/// Most products one tool call may name.
const MAX_IDS: usize = 20;
/// Most characters of a question.
const MAX_QUESTION: usize = crate::understand::MAX_MESSAGE_CHARS;

/// The shop's MCP tools over one server's state.
#[derive(Clone)]
pub struct ShopTools {
    state: AppState,
    tool_router: ToolRouter<ShopTools>,
}

impl std::fmt::Debug for ShopTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopTools").finish_non_exhaustive()
    }
}

/// `search_products` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// What the shopper wants, in their words ("usb c cable", "wireless earbuds").
    pub query: String,
    /// A category name or path prefix ("USB Cables", "Electronics|Headphones").
    #[serde(default)]
    pub category: Option<String>,
    /// Lowest price, in the catalog's currency units.
    #[serde(default)]
    pub min_price: Option<f64>,
    /// Highest price, in the catalog's currency units.
    #[serde(default)]
    pub max_price: Option<f64>,
    /// Lowest average rating (0 to 5).
    #[serde(default)]
    pub min_rating: Option<f32>,
    /// Only products in stock.
    #[serde(default)]
    pub in_stock: Option<bool>,
    /// Results, 1 to 50 (default 10).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// One product.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProductArgs {
    /// The product id, as search results give it.
    pub id: String,
}

/// `recommend` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecommendArgs {
    /// The products to suggest for: one item, or a cart (oldest first; upsell is for the
    /// last).
    pub items: Vec<String>,
    /// `cross` (complements from other categories), `up` (a better one of the same kind) or
    /// `both` (default).
    #[serde(default)]
    pub kind: Option<String>,
    /// Suggestions per list, 1 to 50 (default 3).
    #[serde(default)]
    pub limit: Option<usize>,
    /// The shopper's session: what it holds, bought or declined is never suggested.
    #[serde(default)]
    pub session: Option<String>,
}

/// `compare_products` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CompareArgs {
    /// Two to four product ids.
    pub ids: Vec<String>,
}

/// `answer_product_question` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct QuestionArgs {
    /// The product asked about.
    pub id: String,
    /// The question, in the shopper's words ("is it waterproof?").
    pub question: String,
}

/// A cart change.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct CartArgs {
    /// The shopper's session id (`s_...`, from `POST /v1/sessions`, or any id of 1 to 64
    /// letters, digits, `_` or `-`: a new one is created).
    pub session: String,
    /// The product id.
    pub id: String,
}

/// `view_cart` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SessionArgs {
    /// The shopper's session id.
    pub session: String,
}

/// A tool result: the structure, and the same as JSON text.
fn structured(value: Value) -> Result<CallToolResult, ErrorData> {
    Ok(CallToolResult::structured(value))
}

/// An API error as the agent sees it: a tool error naming what was wrong (a client mistake),
/// or an internal error (ours, logged by whoever made it).
fn tool_error(e: ApiError) -> Result<CallToolResult, ErrorData> {
    if e.status.is_server_error() {
        return Err(ErrorData::internal_error(e.message, None));
    }
    Ok(CallToolResult::error(vec![ContentBlock::text(format!(
        "{}: {}",
        e.code, e.message
    ))]))
}

/// A client mistake in the arguments.
fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

#[tool_router]
impl ShopTools {
    /// The tools over `state` (its assistant may still be loading: tools then say so).
    pub fn new(state: AppState) -> ShopTools {
        ShopTools {
            state,
            tool_router: Self::tool_router(),
        }
    }

    /// Searches the catalog.
    #[tool(
        description = "Search the shop's catalog (keyword and meaning), under hard filters. Returns products with id, short name, catalog price, rating and key specs, best first."
    )]
    async fn search_products(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let query = json!({
            "q": args.query,
            "category": args.category,
            "min_price": args.min_price,
            "max_price": args.max_price,
            "min_rating": args.min_rating,
            "in_stock": args.in_stock,
            "limit": args.limit,
        });
        let query = match serde_json::from_value(query) {
            Ok(q) => q,
            Err(e) => return tool_error(bad("invalid_arguments", e.to_string())),
        };
        match super::products::search(axum::extract::State(self.state.clone()), ApiQuery(query))
            .await
        {
            Ok(axum::Json(found)) => structured(found),
            Err(e) => tool_error(e),
        }
    }

    /// One product's details.
    #[tool(
        description = "One product's details from the catalog: price, rating, specs, description, attributes."
    )]
    async fn get_product(
        &self,
        Parameters(args): Parameters<ProductArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        match super::products::product(axum::extract::State(self.state.clone()), ApiPath(args.id))
            .await
        {
            Ok(axum::Json(view)) => structured(view),
            Err(e) => tool_error(e),
        }
    }

    /// Cross-sell and upsell for items or a cart.
    #[tool(
        description = "Suggestions for one product or a cart: cross_sell (complements from other categories) and upsell (a better product of the same kind, within a price band), each with a reason in plain words."
    )]
    async fn recommend(
        &self,
        Parameters(args): Parameters<RecommendArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        match self.recommendations(args).await {
            Ok(found) => structured(found),
            Err(e) => tool_error(e),
        }
    }

    /// Compares products side by side.
    #[tool(
        description = "Compare two to four products: price, rating, shared specs and what reviews say, side by side, with a short comparison in words."
    )]
    async fn compare_products(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        if !(2..=4).contains(&args.ids.len()) {
            return tool_error(bad(
                "invalid_ids",
                format!("give 2 to 4 product ids, not {}", args.ids.len()),
            ));
        }
        let views = match self.views(&args.ids) {
            Ok(v) => v,
            Err(e) => return tool_error(e),
        };
        // The dialogue compares what is on screen: the products, in order.
        let mut session = Session::new("mcp-compare");
        session.shown = args.ids.clone();
        session.shown_turn = 1;
        match self.turn(session, "compare them".into()).await {
            Ok(reply) => structured(json!({"products": views, "comparison": reply})),
            Err(e) => tool_error(e),
        }
    }

    /// Answers a question about a product.
    #[tool(
        description = "Answer a shopper's question about one product from its listing and reviews. When the listing does not say, the answer says so instead of guessing."
    )]
    async fn answer_product_question(
        &self,
        Parameters(args): Parameters<QuestionArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        if args.question.trim().is_empty() || args.question.chars().count() > MAX_QUESTION {
            return tool_error(bad(
                "invalid_question",
                format!("the question must be 1 to {MAX_QUESTION} characters"),
            ));
        }
        let view = match self.views(std::slice::from_ref(&args.id)) {
            Ok(mut v) => v.remove(0),
            Err(e) => return tool_error(e),
        };
        let mut session = Session::new("mcp-question");
        session.shown = vec![args.id.clone()];
        session.shown_turn = 1;
        session.focus = Some(args.id);
        match self.turn(session, args.question).await {
            Ok(answer) => structured(json!({"product": view, "answer": answer})),
            Err(e) => tool_error(e),
        }
    }

    /// Adds a product to a session's cart.
    #[tool(
        description = "Add a product to the shopper's cart in a session (created when new). Returns the cart with catalog prices."
    )]
    async fn add_to_cart(
        &self,
        Parameters(args): Parameters<CartArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        match self.change_cart(&args.session, &args.id, true).await {
            Ok(cart) => structured(cart),
            Err(e) => tool_error(e),
        }
    }

    /// Removes a product from a session's cart.
    #[tool(
        description = "Remove a product from the shopper's cart in a session. Returns the cart with catalog prices."
    )]
    async fn remove_from_cart(
        &self,
        Parameters(args): Parameters<CartArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        match self.change_cart(&args.session, &args.id, false).await {
            Ok(cart) => structured(cart),
            Err(e) => tool_error(e),
        }
    }

    /// A session's cart.
    #[tool(description = "The shopper's cart in a session, with catalog prices and the total.")]
    async fn view_cart(
        &self,
        Parameters(args): Parameters<SessionArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let cart = match super::chat::load(&self.state, &args.session).await {
            Ok(session) => self.cart_json(&session),
            Err(e) => return tool_error(e),
        };
        match cart {
            Ok(cart) => structured(cart),
            Err(e) => tool_error(e),
        }
    }
}

impl ShopTools {
    /// The catalog views of `ids`, in order; an unknown id is an error naming it.
    fn views(&self, ids: &[String]) -> Result<Vec<ProductView>, ApiError> {
        if ids.len() > MAX_IDS {
            return Err(bad(
                "invalid_ids",
                format!("name at most {MAX_IDS} products"),
            ));
        }
        let assistant = self.state.assistant()?;
        let index = assistant.searcher().index();
        ids.iter()
            .map(|id| {
                index.product(id).map(ProductView::of).ok_or_else(|| {
                    ApiError::not_found(
                        "product_not_found",
                        format!(
                            "no product '{}' in the catalog",
                            crate::understand::clip(id, 80)
                        ),
                    )
                })
            })
            .collect()
    }

    /// Runs one dialogue turn on a session that lives only for this call; the reply's own
    /// answer, without the sentences that suggest other products (an agent asks `recommend`
    /// for those).
    async fn turn(&self, mut session: Session, message: String) -> Result<String, ApiError> {
        let assistant = self.state.assistant()?;
        let record = tokio::task::spawn_blocking(move || {
            assistant.turn(&mut session, &message, &mut |_| {})
        })
        .await
        .map_err(|e| ApiError::internal("tool turn", e))?
        .map_err(|e| ApiError::internal("tool turn", e))?;
        let suggested: Vec<&str> = record
            .cross_sell
            .iter()
            .chain(&record.upsell)
            .map(|s| s.product.short_name.as_str())
            .collect();
        Ok(without_sentences_naming(&record.reply, &suggested))
    }

    async fn recommendations(&self, args: RecommendArgs) -> Result<Value, ApiError> {
        if args.items.is_empty() {
            return Err(bad("invalid_items", "name at least one product"));
        }
        let anchors = self.views(&args.items)?;
        let mut request =
            super::products::request(args.items.clone(), args.kind.as_deref(), args.limit)?;
        request.exclude = args.items;
        let recs =
            super::products::recommend(&self.state, request, args.session.as_deref()).await?;
        let card = |s: &crate::recommend::Suggestion| json!({"product": s.product, "reason": s.reason.text, "anchor": s.anchor});
        Ok(json!({
            "for": anchors,
            "cross_sell": recs.cross_sell.iter().map(card).collect::<Vec<_>>(),
            "upsell": recs.upsell.iter().map(card).collect::<Vec<_>>(),
        }))
    }

    /// Adds (`add`) or removes a product in a session's cart, creating the session when new.
    async fn change_cart(&self, session_id: &str, id: &str, add: bool) -> Result<Value, ApiError> {
        self.views(&[id.to_string()])?;
        let session = match super::chat::load(&self.state, session_id).await {
            Err(e) if e.code == "session_not_found" => {
                super::chat::create(&self.state, Some(session_id.to_string()), None).await?
            }
            found => found?,
        };
        if add {
            let event = crate::recommend::feedback::FeedbackEvent {
                session: session.id.clone(),
                kind: crate::recommend::feedback::EventKind::AddToCart,
                item: id.to_string(),
                anchor: None,
                suggestion: None,
                arm: None,
                at_ms: now_ms(),
            };
            let assistant = self.state.assistant()?;
            let state = self.state.clone();
            tokio::task::spawn_blocking(move || {
                super::events::record(&state, &assistant, vec![event])
            })
            .await
            .map_err(|e| ApiError::internal("cart task", e))??;
        } else {
            let (key, item) = (session.id.clone(), id.to_string());
            self.state
                .blocking(move |store| {
                    store.update_state(&key, now_ms(), &mut |s| s.cart.retain(|c| c != &item))
                })
                .await?;
        }
        let session = super::chat::load(&self.state, &session.id).await?;
        self.cart_json(&session)
    }

    /// A session's cart as JSON: items with catalog prices, and the total per currency.
    fn cart_json(&self, session: &Session) -> Result<Value, ApiError> {
        let assistant = self.state.assistant()?;
        let index = assistant.searcher().index();
        let items: Vec<ProductView> = session
            .cart
            .iter()
            .filter_map(|id| index.product(id).map(ProductView::of))
            .collect();
        let mut totals: BTreeMap<String, crate::catalog::Money> = BTreeMap::new();
        for price in items.iter().filter_map(|p| p.price) {
            let code = price.currency.to_string();
            let sum = totals
                .entry(code)
                .or_insert(crate::catalog::Money { minor: 0, ..price });
            sum.minor += price.minor;
        }
        Ok(json!({
            "session": session.id,
            "items": items,
            "total": totals.values().map(|m| m.to_string()).collect::<Vec<_>>(),
        }))
    }

    /// The category tree: `{name, products, children}` from the roots down.
    fn category_tree(&self) -> Result<Value, ApiError> {
        #[derive(Default)]
        struct Node {
            products: usize,
            children: BTreeMap<String, Node>,
        }
        fn to_json(name: &str, node: &Node) -> Value {
            json!({
                "name": name,
                "products": node.products,
                "children": node.children.iter().map(|(n, c)| to_json(n, c)).collect::<Vec<_>>(),
            })
        }
        let assistant = self.state.assistant()?;
        let mut root = Node::default();
        for p in assistant.searcher().index().products() {
            let mut node = &mut root;
            node.products += 1;
            for part in &p.category_path {
                node = node.children.entry(part.clone()).or_default();
                node.products += 1;
            }
        }
        Ok(json!({
            "products": root.products,
            "categories": root.children.iter().map(|(n, c)| to_json(n, c)).collect::<Vec<_>>(),
        }))
    }
}

/// `text` up to its first sentence that names one of `names` (the composer says suggestions
/// last); all of it when none does, or when the first sentence already does.
fn without_sentences_naming(text: &str, names: &[&str]) -> String {
    let mut kept = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(' ') {
            let sentence = &text[kept..=i];
            if kept > 0 && names.iter().any(|n| !n.is_empty() && sentence.contains(n)) {
                return text[..kept].trim_end().to_string();
            }
            kept = i + 1;
        }
    }
    let last = &text[kept..];
    if kept > 0 && names.iter().any(|n| !n.is_empty() && last.contains(n)) {
        return text[..kept].trim_end().to_string();
    }
    text.trim().to_string()
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for ShopTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("shopclerk", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "A shop's catalog, recommendations and carts. Search with search_products, read \
             details with get_product, ask recommend for complements (cross_sell) and a better \
             one (upsell), compare_products and answer_product_question for decisions, and \
             add_to_cart / remove_from_cart / view_cart on a session id. Prices come from the \
             catalog. The category tree is the resource shop://categories.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(CATEGORIES_URI, "categories")
                .with_mime_type("application/json")
                .with_description("The shop's category tree with product counts"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != CATEGORIES_URI {
            return Err(ErrorData::resource_not_found(
                format!(
                    "no resource at {}",
                    crate::understand::clip(&request.uri, 200)
                ),
                None,
            ));
        }
        let tree = self
            .category_tree()
            .map_err(|e| ErrorData::internal_error(e.message, None))?;
        Ok(
            ReadResourceResult::new(vec![ResourceContents::text(tree.to_string(), request.uri)])
                .into(),
        )
    }
}

/// The `/mcp` route: MCP over streamable HTTP, one MCP session per client. The `Host` header
/// must be loopback, the host the server listens on, or one of `mcp_allowed_hosts`.
pub(super) fn service(
    state: AppState,
) -> rmcp::transport::streamable_http_server::StreamableHttpService<
    ShopTools,
    rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
> {
    let config = state.config();
    let mut allowed: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    if let Ok(addr) = config.listen.parse::<std::net::SocketAddr>()
        && !addr.ip().is_unspecified()
    {
        allowed.push(addr.ip().to_string());
    }
    allowed.extend(config.mcp_allowed_hosts.iter().cloned());
    rmcp::transport::streamable_http_server::StreamableHttpService::new(
        move || Ok(ShopTools::new(state.clone())),
        Arc::new(
            rmcp::transport::streamable_http_server::session::local::LocalSessionManager::default(),
        ),
        rmcp::transport::streamable_http_server::StreamableHttpServerConfig::default()
            .with_allowed_hosts(allowed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_keeps_its_own_sentences_and_drops_the_suggestions() {
        let reply = "The SanDisk Ultra: it has 32 GB of storage. It pairs well with the Conquer 6 \
                     (₹549), which moves photos to a laptop. For a step up, the SanDisk Extreme \
                     (₹939) is rated 4.4 vs 4.2.";
        assert_eq!(
            without_sentences_naming(reply, &["Conquer 6", "SanDisk Extreme"]),
            "The SanDisk Ultra: it has 32 GB of storage."
        );
        assert_eq!(without_sentences_naming(reply, &[]), reply);
        // A first sentence is the answer even when it names a suggestion.
        let first = "Compared with the Conquer 6 it is cheaper.";
        assert_eq!(without_sentences_naming(first, &["Conquer 6"]), first);
    }
}
