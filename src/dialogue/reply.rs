//! What the reply says: the facts and task handed to the chat model, and the deterministic
//! templates used when the model is not asked, fails, or writes nothing grounded.

use serde::Serialize;

use crate::catalog::Product;
use crate::recommend::Suggestion;
use crate::reviews::ReviewSummary;
use crate::understand::Intent;

/// Words of a title kept for the short name used in replies.
const NAME_WORDS: usize = 6;

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

/// The short name of a product: its title up to the first bracket or comma, at most a few
/// words.
pub fn short_name(title: &str) -> String {
    let cut = title
        .find(['(', ',', '|', '['])
        .map_or(title, |at| &title[..at]);
    let words: Vec<&str> = cut.split_whitespace().take(NAME_WORDS).collect();
    let name = words.join(" ");
    let name = name.trim_end_matches([' ', '-', '–', ':']).to_string();
    if name.is_empty() {
        title
            .split_whitespace()
            .take(NAME_WORDS)
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        name
    }
}

/// A product's facts for the prompt; `aspect` picks the review aspect asked about.
pub fn product_facts(
    p: &Product,
    review: Option<&ReviewSummary>,
    aspect: Option<&str>,
) -> ProductFacts {
    ProductFacts {
        name: short_name(&p.title),
        price: price_text(p.price),
        rating: p.rating.map(|r| format!("{r:.1}")),
        rating_count: p.rating_count,
        reviews: review.and_then(|r| review_sentence(r, aspect)),
    }
}

/// A suggestion's facts for the prompt.
pub fn suggestion_facts(s: &Suggestion) -> SuggestionFacts {
    SuggestionFacts {
        name: short_name(&s.title),
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

/// A catalog price as shown to customers (replies, cards, the CLI).
pub fn price_text(price: Option<crate::catalog::Money>) -> String {
    price.map_or_else(|| "no price".into(), |m| m.to_string())
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

/// True when the model writes this intent's reply; the other intents use a template only.
pub fn model_writes(intent: Intent, has_products: bool) -> bool {
    match intent {
        Intent::Search | Intent::AskAboutProduct | Intent::Compare => has_products,
        Intent::PurchaseDone | Intent::Smalltalk => true,
        Intent::AddToCart | Intent::ComplaintOrSupport | Intent::Other => false,
    }
}

/// What a template reply needs.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput<'a> {
    /// The turn's products.
    pub products: Vec<&'a Product>,
    /// The cross-sell suggestion mentioned.
    pub cross_sell: Option<&'a Suggestion>,
    /// The upsell suggestion mentioned.
    pub upsell: Option<&'a Suggestion>,
    /// What was searched for, in words ("usb cables under ₹500").
    pub looking_for: String,
    /// The review facts of the first product, when asked about it.
    pub review: Option<String>,
    /// The customer declined the last suggestion.
    pub declined: bool,
    /// The message tried to change the rules or prices.
    pub injection: bool,
    /// The message was empty.
    pub empty: bool,
    /// The stated budget is in another currency than the catalog's.
    pub currency_note: Option<String>,
    /// The customer thanked or said goodbye (not hello).
    pub thanks: bool,
}

/// A deterministic reply built from catalog facts only.
pub fn template(intent: Intent, input: &TemplateInput<'_>) -> String {
    let mut out = match intent {
        _ if input.empty => "What are you looking for today?".to_string(),
        _ if input.injection => "I can only help you shop here, and prices always come from the store's catalog. What are you looking for?".to_string(),
        Intent::Other if input.declined => "No problem, I won't suggest that again. Anything else you need?".into(),
        Intent::Smalltalk if input.declined => "No problem, I won't suggest that again. Anything else you need?".into(),
        Intent::Search => match input.products.first() {
            Some(first) => format!(
                "Here {} {} for {}. The top match is {} at {}{}.",
                if input.products.len() == 1 { "is" } else { "are" },
                count_words(input.products.len()),
                input.looking_for,
                short_name(&first.title),
                price_text(first.price),
                rating_text(first)
            ),
            None => format!(
                "I couldn't find anything for {} in stock. Could you try other words or a different budget?",
                input.looking_for
            ),
        },
        Intent::AskAboutProduct => match input.products.first() {
            Some(p) => format!(
                "{} costs {}{}.{}",
                short_name(&p.title),
                price_text(p.price),
                rating_text(p),
                input.review.as_ref().map_or_else(String::new, |r| format!(" Reviews: {r}"))
            ),
            None => "Which product do you mean? Tap a card or say, for example, \"the first one\".".into(),
        },
        Intent::Compare => match (input.products.first(), input.products.get(1)) {
            (Some(a), Some(b)) => format!(
                "{} costs {}{}; {} costs {}{}.",
                short_name(&a.title),
                price_text(a.price),
                rating_text(a),
                short_name(&b.title),
                price_text(b.price),
                rating_text(b)
            ),
            _ => "Which two products should I compare? Say, for example, \"compare the first two\".".into(),
        },
        Intent::AddToCart => match input.products.first() {
            Some(p) => format!("Added {} ({}) to your cart.", short_name(&p.title), price_text(p.price)),
            None => "Which product should I add to your cart? Say, for example, \"the second one\".".into(),
        },
        Intent::PurchaseDone => match input.products.first() {
            Some(p) => format!("Congratulations on your {}!", short_name(&p.title)),
            None => "Congratulations on your purchase!".into(),
        },
        Intent::ComplaintOrSupport => "I'm sorry about that. I can't see orders or arrange returns from this chat; the store's customer support can help with repairs, returns and refunds.".into(),
        Intent::Smalltalk if input.thanks => "You're welcome! Anything else I can help you find?".into(),
        Intent::Smalltalk => "Hello! What are you shopping for today?".into(),
        Intent::Other => "I can help you find products in this store. What are you looking for?".into(),
    };
    if let Some(note) = &input.currency_note {
        out.push(' ');
        out.push_str(note);
    }
    if let Some(s) = input.cross_sell {
        out.push_str(&format!(
            " It goes well with {} ({}).",
            short_name(&s.title),
            lower_first(&s.reason.text)
        ));
    }
    if let Some(s) = input.upsell {
        out.push_str(&format!(
            " A step up: {} ({}).",
            short_name(&s.title),
            lower_first(&s.reason.text)
        ));
    }
    out
}

fn rating_text(p: &Product) -> String {
    match p.rating {
        Some(r) if p.rating_count > 0 => {
            let indian = p
                .price
                .is_some_and(|m| m.currency == crate::catalog::Currency::INR);
            let count = crate::catalog::model::group_digits(&p.rating_count.to_string(), indian);
            format!(", rated {r:.1} by {count} customers")
        }
        _ => String::new(),
    }
}

fn count_words(n: usize) -> String {
    match n {
        1 => "one option".into(),
        2 => "two options".into(),
        3 => "three options".into(),
        4 => "four options".into(),
        5 => "five options".into(),
        n => format!("{n} options"),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c
            .to_lowercase()
            .chain(chars)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_cut_at_brackets_and_length() {
        assert_eq!(
            short_name("Wayona Nylon Braided USB to Lightning Fast Charging Cable (3 FT, Grey)"),
            "Wayona Nylon Braided USB to Lightning"
        );
        assert_eq!(short_name("boAt Rockerz 450, Wireless"), "boAt Rockerz 450");
        assert_eq!(short_name("(Renewed) Phone"), "(Renewed) Phone");
    }
}
