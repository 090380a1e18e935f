//! What the chat model is given when it writes (part of) a reply: the facts and the task.
//! The reply built from facts alone is [`super::compose`].

use serde::Serialize;

use crate::catalog::ProductView;
use crate::recommend::Suggestion;
use crate::reviews::ReviewSummary;
use crate::understand::Intent;

/// A product as the prompt describes it.
#[derive(Debug, Clone, Serialize)]
pub struct ProductFacts {
    /// Short name.
    pub name: String,
    /// Price as shown, or "no price".
    pub price: String,
    /// Average rating, one decimal.
    pub rating: Option<String>,
    /// Ratings it is over.
    pub rating_count: u64,
    /// Key specs ("1.5 L", "IPX5").
    pub highlights: Vec<String>,
    /// What reviews say (from the review analysis, never raw review text).
    pub reviews: Option<String>,
}

/// A suggestion as the prompt describes it.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionFacts {
    /// Short name.
    pub name: String,
    /// The suggestion's one-line reason.
    pub reason: String,
}

/// Everything the reply may draw on.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyFacts {
    /// Products of the turn.
    pub products: Vec<ProductFacts>,
    /// One cross-sell suggestion.
    pub cross_sell: Option<SuggestionFacts>,
    /// One upsell suggestion.
    pub upsell: Option<SuggestionFacts>,
    /// What the reply should do: a task `system.txt` describes.
    pub task: String,
    /// The customer's message (clipped).
    pub message: String,
}

/// A product's facts for the prompt; `aspect` picks the review aspect asked about.
pub fn product_facts(
    p: &ProductView,
    review: Option<&ReviewSummary>,
    aspect: Option<&str>,
) -> ProductFacts {
    ProductFacts {
        name: p.short_name.clone(),
        price: p.price_text.clone(),
        rating: p.rating.map(|r| format!("{r:.1}")),
        rating_count: p.rating_count,
        highlights: p.highlights.iter().map(|h| h.text.clone()).collect(),
        reviews: review.and_then(|r| review_sentence(r, aspect)),
    }
}

/// A suggestion's facts for the prompt.
pub fn suggestion_facts(s: &Suggestion) -> SuggestionFacts {
    SuggestionFacts {
        name: s.product.short_name.clone(),
        reason: s.reason.text.clone(),
    }
}

/// What reviews say, about `aspect` when one was asked.
pub fn review_sentence(review: &ReviewSummary, aspect: Option<&str>) -> Option<String> {
    let label = |a: &str| crate::reviews::aspect_label(a).unwrap_or(a).to_string();
    match aspect.and_then(|a| review.aspect(a)) {
        Some(a) => Some(format!(
            "on {}, {} positive and {} negative review mentions. {}",
            label(&a.aspect),
            a.positive,
            a.negative,
            review.summary
        )),
        None if aspect.is_some() => Some(format!(
            "reviews do not mention {}. {}",
            label(aspect.unwrap_or_default()),
            review.summary
        )),
        _ => (!review.summary.is_empty()).then(|| review.summary.clone()),
    }
}

/// The task named in the prompt, per intent; `system.txt` says what each one asks for.
pub fn task(intent: Intent) -> &'static str {
    match intent {
        Intent::Search => "search",
        Intent::AskAboutProduct => "question",
        Intent::Compare => "compare",
        Intent::PurchaseDone => "purchase",
        _ => "chat",
    }
}

/// True when reviews help this intent's reply (they cost prompt tokens, hence time).
pub fn wants_reviews(intent: Intent) -> bool {
    matches!(intent, Intent::AskAboutProduct | Intent::Compare)
}

/// True when a model may write (part of) this intent's reply; the other intents use the
/// composer only.
pub fn model_writes(intent: Intent, has_products: bool) -> bool {
    match intent {
        Intent::Search | Intent::AskAboutProduct | Intent::Compare => has_products,
        Intent::PurchaseDone | Intent::Smalltalk => true,
        Intent::AddToCart | Intent::ComplaintOrSupport | Intent::Other => false,
    }
}
