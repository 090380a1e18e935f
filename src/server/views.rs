//! What the API shows of products and suggestions. Every price, rating and stock flag comes
//! from the catalog row, never from model text.

use serde::{Deserialize, Serialize};

use crate::catalog::{Money, Product};
use crate::dialogue::reply::price_text;
use crate::recommend::Suggestion;
use crate::recommend::feedback::SuggestionKind;
use crate::search::ProductIndex;
use crate::understand::Intent;

/// A product card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// Product id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Category path, root first.
    pub category: Vec<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Price.
    pub price: Option<Money>,
    /// The price as a customer reads it ("₹1,099").
    pub price_text: String,
    /// Average rating.
    pub rating: Option<f32>,
    /// Number of ratings.
    pub rating_count: u64,
    /// In stock.
    pub in_stock: bool,
    /// Image URL (http or https only).
    pub image_url: Option<String>,
}

impl Card {
    /// The card of a catalog product.
    pub fn of(p: &Product) -> Card {
        Card {
            id: p.id.clone(),
            title: p.title.clone(),
            category: p.category_path.clone(),
            brand: p.brand.clone(),
            price: p.price,
            price_text: price_text(p.price),
            rating: p.rating,
            rating_count: p.rating_count,
            in_stock: p.in_stock,
            image_url: p
                .image_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        }
    }

    /// Cards of these ids, in order, skipping ids the catalog no longer has.
    pub fn all<'a>(index: &ProductIndex, ids: impl IntoIterator<Item = &'a String>) -> Vec<Card> {
        ids.into_iter()
            .filter_map(|id| index.product(id).map(Card::of))
            .collect()
    }
}

/// A cross-sell or upsell suggestion as a card with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionCard {
    /// The product.
    #[serde(flatten)]
    pub card: Card,
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
    /// Cards for a list of suggestions of one kind made for `anchor`; suggestions whose
    /// product left the catalog are skipped.
    pub fn all(
        index: &ProductIndex,
        suggestions: &[Suggestion],
        kind: SuggestionKind,
        anchor: Option<&str>,
    ) -> Vec<SuggestionCard> {
        suggestions
            .iter()
            .filter_map(|s| {
                index.product(&s.id).map(|p| SuggestionCard {
                    card: Card::of(p),
                    kind,
                    reason: s.reason.text.clone(),
                    score: s.score,
                    anchor: anchor.map(str::to_string),
                })
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
    pub products: Vec<Card>,
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
