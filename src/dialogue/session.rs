//! What the assistant remembers of one conversation: bounded, and serialisable so a server can
//! persist it between turns.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::understand::{Budget, Direction, Intent, SpecKind, SpecWant};

/// Turns kept word for word; older ones are folded into [`Session::earlier`].
pub const TURNS_KEPT: usize = 8;
/// Products remembered per list (viewed, cart, bought, declined).
pub const PRODUCTS_KEPT: usize = 32;

/// One exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// What the customer wrote (clipped).
    pub user: String,
    /// What the assistant answered.
    pub reply: String,
    /// The intent understood.
    pub intent: Intent,
    /// Products shown, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// Suggestions made, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<String>,
}

/// A conversation's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    /// Session id (picks the A/B arm).
    pub id: String,
    /// The returning customer this session belongs to, when the shop said so: their purchase
    /// history joins cross-sell, and what they buy here joins it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Turns taken so far, including those no longer kept.
    pub turns: u32,
    /// The most recent exchanges, oldest first.
    pub history: VecDeque<Exchange>,
    /// What the dropped exchanges were about: their intents and categories, in order.
    pub earlier: Vec<String>,
    /// The last product list shown, in order (what "the second one" points into).
    pub shown: Vec<String>,
    /// The last suggestions made (what "no thanks" declines).
    pub suggested: Vec<String>,
    /// The product the conversation is about ("it").
    pub focus: Option<String>,
    /// Products looked at or asked about, oldest first.
    pub viewed: Vec<String>,
    /// Products in the cart, oldest first.
    pub cart: Vec<String>,
    /// Products the customer said they bought, oldest first.
    pub bought: Vec<String>,
    /// Suggestions the customer declined: never suggested again.
    pub declined: Vec<String>,
    /// What is being searched for: each search message updates it, and the search is built
    /// from it.
    pub search: SearchState,
    /// What the last list shown was for, in words ("43-inch TVs"): said when a reply uses
    /// it after other products were shown.
    pub shown_label: String,
    /// The turn (1-based) that showed the last list.
    pub shown_turn: u32,
}

/// A search built up over turns. A message refines it (adds or replaces a constraint),
/// relaxes it ("any brand"), moves it relative to what was shown ("cheaper": strictly below
/// the cheapest shown), orders it ("the cheapest"), or resets it (a new product type).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchState {
    /// Category path (root first).
    pub category: Option<Vec<String>>,
    /// The budget the shopper stated (bounds in the catalog currency's units).
    pub budget: Option<Budget>,
    /// Brand wanted, as the catalog spells it.
    pub brand: Option<String>,
    /// Features wanted ("braided", "wireless", "black"): added to the search terms.
    pub attributes: Vec<String>,
    /// Quantities wanted, at most one per kind ("43-inch", "at least 6000 mAh"): hard filters.
    pub specs: Vec<SpecWant>,
    /// The words that name the product ("smart tv", "usb c cable").
    pub terms: String,
    /// A superlative in force ("the cheapest"): results sorted by it.
    pub sort: Option<Direction>,
    /// A move from the list shown before ("cheaper"): a strict bound.
    pub relative: Option<Relative>,
    /// Products the last search from this state showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_count: Option<usize>,
}

/// A move relative to the products shown: a strict bound on price, rating or a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relative {
    /// The move ("cheaper" is price, less).
    pub direction: Direction,
    /// The bound the results must pass strictly: a price (currency units), a rating (stars)
    /// or a spec value (the kind's unit).
    pub bound: f64,
    /// The spec a size move compares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SpecKind>,
    /// The shown product the bound was taken from (its id).
    pub from: String,
}

impl SearchState {
    /// True when nothing has been asked yet.
    pub fn is_empty(&self) -> bool {
        self.category.is_none() && self.terms.trim().is_empty() && self.brand.is_none()
    }
}

impl Session {
    /// A new, empty conversation.
    pub fn new(id: impl Into<String>) -> Session {
        Session {
            id: id.into(),
            ..Session::default()
        }
    }

    /// Records an exchange, folding the oldest one into [`Session::earlier`] past the limit.
    pub fn record(&mut self, exchange: Exchange) {
        self.turns += 1;
        self.history.push_back(exchange);
        while self.history.len() > TURNS_KEPT {
            if let Some(old) = self.history.pop_front() {
                self.earlier
                    .push(format!("{}: {}", old.intent.name(), topic_of(&old)));
            }
        }
        if self.earlier.len() > TURNS_KEPT {
            let drop = self.earlier.len() - TURNS_KEPT;
            self.earlier.drain(..drop);
        }
    }

    /// Every product the conversation has touched, the likeliest meant first: shown,
    /// suggested, then viewed, carted and bought (newest first). Ids may repeat.
    pub fn recent(&self) -> impl Iterator<Item = &String> {
        self.shown
            .iter()
            .chain(&self.suggested)
            .chain(self.viewed.iter().rev())
            .chain(self.cart.iter().rev())
            .chain(self.bought.iter().rev())
    }

    /// Marks `id` as looked at and in focus.
    pub fn view(&mut self, id: &str) {
        push_recent(&mut self.viewed, id);
        self.focus = Some(id.to_string());
    }

    /// Puts `id` in the cart.
    pub fn add_to_cart(&mut self, id: &str) {
        push_recent(&mut self.cart, id);
        self.focus = Some(id.to_string());
    }

    /// Records that the customer bought `id`.
    pub fn bought(&mut self, id: &str) {
        push_recent(&mut self.bought, id);
        self.cart.retain(|c| c != id);
        self.focus = Some(id.to_string());
    }

    /// Never suggests `id` again.
    pub fn decline(&mut self, id: &str) {
        push_recent(&mut self.declined, id);
    }

    /// True when `id` was declined.
    pub fn is_declined(&self, id: &str) -> bool {
        self.declined.iter().any(|d| d == id)
    }

    /// Takes in what changed in the stored state (`current`) since this session's turn started
    /// from `base`: items added to or removed from the cart, bought or declined meanwhile (by
    /// events). The turn's own changes stay; a change on both sides keeps both.
    pub fn merge_concurrent(&mut self, base: &Session, current: &Session) {
        if base == current {
            return;
        }
        let merge = |mine: &mut Vec<String>, base: &[String], current: &[String]| {
            // Removed meanwhile: in `base`, no longer in `current`.
            mine.retain(|id| !base.contains(id) || current.contains(id));
            // Added meanwhile: in `current`, not in `base`.
            for id in current.iter().filter(|id| !base.contains(id)) {
                if !mine.contains(id) {
                    mine.push(id.clone());
                }
            }
        };
        merge(&mut self.cart, &base.cart, &current.cart);
        merge(&mut self.bought, &base.bought, &current.bought);
        merge(&mut self.declined, &base.declined, &current.declined);
        // Bought items leave the cart, whichever side bought them.
        let bought = self.bought.clone();
        self.cart.retain(|id| !bought.contains(id));
    }

    /// Drops every product the catalog no longer has (`exists` says which it has) from the
    /// cart, the lists shown and suggested, the history and the focus, so a product deleted by
    /// a catalog update cannot break a later turn. Returns how many left the cart.
    pub fn forget_missing(&mut self, exists: impl Fn(&str) -> bool) -> usize {
        let in_cart = self.cart.len();
        for ids in [
            &mut self.shown,
            &mut self.suggested,
            &mut self.viewed,
            &mut self.cart,
            &mut self.bought,
            &mut self.declined,
        ] {
            ids.retain(|id| exists(id));
        }
        for exchange in &mut self.history {
            exchange.products.retain(|id| exists(id));
            exchange.suggestions.retain(|id| exists(id));
        }
        if self.focus.as_deref().is_some_and(|id| !exists(id)) {
            self.focus = self.viewed.last().cloned();
        }
        in_cart - self.cart.len()
    }
}

/// A dropped exchange in a few words: the start of what the customer wrote.
fn topic_of(exchange: &Exchange) -> String {
    exchange.user.chars().take(60).collect()
}

/// Appends `id` as the most recent, keeping each id once and the list bounded.
fn push_recent(list: &mut Vec<String>, id: &str) {
    list.retain(|x| x != id);
    list.push(id.to_string());
    if list.len() > PRODUCTS_KEPT {
        let drop = list.len() - PRODUCTS_KEPT;
        list.drain(..drop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_and_lists_stay_bounded_and_round_trip() {
        let mut s = Session::new("s1");
        for i in 0..50 {
            s.record(Exchange {
                user: format!("message {i}"),
                reply: "ok".into(),
                intent: Intent::Search,
                products: vec![],
                suggestions: vec![],
            });
            s.view(&format!("p{i}"));
            s.decline(&format!("d{i}"));
        }
        assert_eq!(s.turns, 50);
        assert_eq!(s.history.len(), TURNS_KEPT);
        assert_eq!(s.history[0].user, format!("message {}", 50 - TURNS_KEPT));
        assert!(s.earlier.len() <= TURNS_KEPT);
        assert_eq!(s.viewed.len(), PRODUCTS_KEPT);
        assert_eq!(s.focus.as_deref(), Some("p49"));
        assert!(s.is_declined("d49") && !s.is_declined("d0"));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), s);
    }
}
