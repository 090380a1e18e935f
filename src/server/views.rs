//! What the API shows of products and suggestions. Every price, rating and stock flag comes
//! from the catalog row, never from model text.

use serde::{Deserialize, Serialize};

use crate::catalog::ProductView;
use crate::recommend::Suggestion;
use crate::recommend::feedback::SuggestionKind;
use crate::search::ProductIndex;
use crate::understand::Intent;

/// Cards of these ids, in order, skipping ids the catalog no longer has.
pub fn cards<'a>(
    index: &ProductIndex,
    ids: impl IntoIterator<Item = &'a String>,
) -> Vec<ProductView> {
    ids.into_iter()
        .filter_map(|id| index.product(id).map(ProductView::of))
        .collect()
}

/// A cross-sell or upsell suggestion as a card with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionCard {
    /// The product.
    #[serde(flatten)]
    pub product: ProductView,
    /// Cross-sell or upsell.
    pub kind: SuggestionKind,
    /// One short sentence from catalog and review facts.
    pub reason: String,
    /// Rank score within its list.
    pub score: f32,
    /// The product it was suggested for.
    pub anchor: Option<String>,
}

impl SuggestionCard {
    /// Cards for a list of suggestions of one kind, each with the anchor the recommender made
    /// it for: the widget sends that pair back with clicks, as impressions record it.
    pub fn all(suggestions: &[Suggestion], kind: SuggestionKind) -> Vec<SuggestionCard> {
        suggestions
            .iter()
            .map(|s| SuggestionCard {
                product: s.product.clone(),
                kind,
                reason: s.reason.text.clone(),
                score: s.score,
                anchor: Some(s.anchor.clone()).filter(|a| !a.is_empty()),
            })
            .collect()
    }
}

/// Both suggestion lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SuggestionCards {
    /// Complements from other categories.
    pub cross_sell: Vec<SuggestionCard>,
    /// Better products in the same category.
    pub upsell: Vec<SuggestionCard>,
}

/// One stored turn of a conversation, as the customer saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTurn {
    /// Turn number, from 1.
    pub turn: u32,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The customer's message (clipped).
    pub user: String,
    /// The reply sent.
    pub reply: String,
    /// The message's intent.
    pub intent: Intent,
    /// Product cards shown.
    pub products: Vec<ProductView>,
    /// Suggestions shown.
    #[serde(flatten)]
    pub suggestions: SuggestionCards,
}

/// A transcript line (turn without cards), for the agent console.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptLine {
    /// Turn number.
    pub turn: u32,
    /// Customer message.
    pub user: String,
    /// Assistant reply.
    pub reply: String,
    /// Intent.
    pub intent: Intent,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

impl From<&StoredTurn> for TranscriptLine {
    fn from(t: &StoredTurn) -> TranscriptLine {
        TranscriptLine {
            turn: t.turn,
            user: t.user.clone(),
            reply: t.reply.clone(),
            intent: t.intent,
            at_ms: t.at_ms,
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
