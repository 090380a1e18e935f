//! Understanding: "what does this customer message ask for?"
//!
//! Each message gets an [`Intent`] and [`Slots`] (category, budget, attributes, brand,
//! references to products shown earlier). [`parse`] holds the deterministic parsers for what
//! rules do reliably (prices, ordinals, references, cue words, the catalog's brands); the
//! category is resolved by embedding similarity to the catalog's category paths
//! ([`CategoryResolver`]); the chat model, constrained to a JSON schema, decides the intent when
//! the rules are unsure ([`LlmUnderstanding`]). [`eval`] scores all this on a labelled set.

mod category;
pub mod eval;
pub mod parse;
mod spell;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::catalog::present::SpecKind;
use crate::embed::Embedder;
use crate::llm::{ChatModel, GenerateRequest, Message, Role, Sampling};
use crate::prompts::Prompts;

pub use category::CategoryResolver;
pub use parse::{Lexicon, Parsed};

/// Errors from understanding a message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Embedding the message or the category names failed.
    #[error(transparent)]
    Embed(#[from] crate::embed::Error),
    /// The understanding prompt could not be rendered.
    #[error(transparent)]
    Prompt(#[from] crate::prompts::Error),
    /// The labelled set could not be read.
    #[error("labelled set {path}: {reason}")]
    Labelled {
        /// The file.
        path: String,
        /// What is wrong, with the line.
        reason: String,
    },
}

/// Result alias for understanding.
pub type Result<T> = std::result::Result<T, Error>;

/// What the customer wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Find or see products.
    Search,
    /// A question about a product already shown.
    AskAboutProduct,
    /// Two or more products side by side.
    Compare,
    /// Put a product in the cart.
    AddToCart,
    /// "I just bought ...".
    PurchaseDone,
    /// A broken product, a return, a refund, an order's status.
    ComplaintOrSupport,
    /// Greetings, thanks, goodbyes.
    Smalltalk,
    /// Anything else: off-topic, attempts to change the rules, noise.
    Other,
}

impl Intent {
    /// Every intent, in a fixed order.
    pub const ALL: [Intent; 8] = [
        Intent::Search,
        Intent::AskAboutProduct,
        Intent::Compare,
        Intent::AddToCart,
        Intent::PurchaseDone,
        Intent::ComplaintOrSupport,
        Intent::Smalltalk,
        Intent::Other,
    ];

    /// The snake_case name used in JSON and prompts.
    pub fn name(self) -> &'static str {
        match self {
            Intent::Search => "search",
            Intent::AskAboutProduct => "ask_about_product",
            Intent::Compare => "compare",
            Intent::AddToCart => "add_to_cart",
            Intent::PurchaseDone => "purchase_done",
            Intent::ComplaintOrSupport => "complaint_or_support",
            Intent::Smalltalk => "smalltalk",
            Intent::Other => "other",
        }
    }

    /// The intent with this snake_case name.
    pub fn from_name(name: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// A price limit or target the customer stated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Lowest price wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest price wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// A target price ("around 300"), not a bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub around: Option<f64>,
    /// "Cheap", "budget", "sasta" with no number: the low end of the category.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cheap: bool,
    /// ISO currency code, only when the message states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// A reference to a product shown earlier in the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// "The second one": 1-based position in the last list shown; -1 is the last one.
    Ordinal(i32),
    /// "That cable": the product kind named.
    Named(String),
    /// "It", "this one": the product in focus.
    Pronoun,
    /// "The cheaper one", "the best rated one": the shown product that is most (or least) of
    /// a measure.
    Ranked(Direction),
}

/// What a relative move or a superlative is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// The catalog price.
    Price,
    /// The average star rating.
    Rating,
    /// The product's main size: screen, capacity, storage, battery... (the spec kind the
    /// shown products share, unless [`Direction::kind`] names one).
    Size,
}

/// "Cheaper", "a better one", "bigger" (relative to the products shown) or "the cheapest",
/// "best rated", "the biggest" (superlatives over everything that matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Direction {
    /// What is compared.
    pub measure: Measure,
    /// More of it (pricier, better rated, bigger) or less (cheaper, smaller).
    pub more: bool,
    /// A superlative ("cheapest"): sort everything that matches, not a move from the list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub most: bool,
    /// For [`Measure::Size`], the spec named ("more storage"), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SpecKind>,
}

impl Direction {
    /// The move in a word: "cheaper", "pricier", "better rated", "lower rated", "bigger",
    /// "smaller".
    pub fn comparative(&self) -> &'static str {
        match (self.measure, self.more) {
            (Measure::Price, false) => "cheaper",
            (Measure::Price, true) => "pricier",
            (Measure::Rating, true) => "better rated",
            (Measure::Rating, false) => "lower rated",
            (Measure::Size, true) => "bigger",
            (Measure::Size, false) => "smaller",
        }
    }

    /// The superlative in a word: "cheapest", "priciest", "best rated", "lowest rated",
    /// "biggest", "smallest".
    pub fn superlative(&self) -> &'static str {
        match (self.measure, self.more) {
            (Measure::Price, false) => "cheapest",
            (Measure::Price, true) => "priciest",
            (Measure::Rating, true) => "best rated",
            (Measure::Rating, false) => "lowest rated",
            (Measure::Size, true) => "biggest",
            (Measure::Size, false) => "smallest",
        }
    }
}

/// A constraint the customer lifts: "any brand", "forget the budget", "start over".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relax {
    /// "Any brand", "koi bhi brand".
    Brand,
    /// "Forget the budget", "price doesn't matter".
    Budget,
    /// "Any size".
    Specs,
    /// "Any colour".
    Attributes,
    /// "Start over", "clear the filters".
    All,
}

/// A quantity with a unit wanted of the product: "43 inch", "at least 6000 mAh", "1.5 L".
/// Values are in the kind's unit ([`SpecKind`]: inches, litres, GB, mAh, W, hours, metres,
/// tons); an exact size is a narrow band around it (see [`SpecWant::contains`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecWant {
    /// What is measured.
    pub kind: SpecKind,
    /// Lowest value wanted (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Highest value wanted (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// As the shopper would read it: "43-inch", "at least 6000 mAh".
    pub text: String,
}

impl SpecWant {
    /// Share "around 43 inch" allows either way (10%).
    pub const AROUND_TOLERANCE: f64 = 0.10;

    /// Share of the value an exact figure may differ by, per kind: sizes are sold in fixed
    /// steps (a "43 inch" TV listed at 42.5 inches is one, a 40-inch is not: 2%), while a
    /// "1400 W iron" or a "1.5 m cable" is said loosely (10%).
    pub fn exact_tolerance(kind: SpecKind) -> f64 {
        match kind {
            SpecKind::ScreenSize
            | SpecKind::Storage
            | SpecKind::Memory
            | SpecKind::Tonnage
            | SpecKind::People => 0.02,
            SpecKind::Capacity | SpecKind::Battery => 0.05,
            _ => 0.10,
        }
    }

    /// Whether a product's value of this kind satisfies the want.
    pub fn contains(&self, value: f64) -> bool {
        self.min.is_none_or(|m| value >= m) && self.max.is_none_or(|m| value <= m)
    }

    /// Whether `p` states every spec in `wants` within its range (true when nothing is
    /// wanted); a product that does not state a wanted spec does not fit. Its specs are read
    /// once.
    pub fn all_fit(wants: &[SpecWant], p: &crate::catalog::Product) -> bool {
        if wants.is_empty() {
            return true;
        }
        let specs = crate::catalog::present::all_specs(p);
        wants.iter().all(|want| {
            specs
                .iter()
                .find(|h| h.kind == want.kind)
                .and_then(|h| h.value)
                .is_some_and(|v| want.contains(v))
        })
    }
}

/// "What cable do I need to connect my laptop to it?", "do I need a mount?", "what goes with
/// it?": a complementary product wanted for the product in focus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    /// The kind of product asked about ("cable", "mount"); none for "what else do I need?".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The other device named ("laptop" in "connect my laptop to it").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
}

/// What a message says about the product wanted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slots {
    /// Category wanted: the catalog's name for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Price limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// Product features wanted ("braided", "for travel").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<String>,
    /// Brand, as the catalog spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Products shown earlier that the message refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Quantities with units wanted ("43 inch", "128GB"): specs, never money.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub specs: Vec<SpecWant>,
    /// A move relative to what was shown, or a superlative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Constraints lifted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relax: Vec<Relax>,
    /// A complementary product asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need: Option<Need>,
}

/// Which part decided the intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentSource {
    /// A deterministic rule.
    Rules,
    /// The chat model, constrained to the intent list.
    Model,
    /// Neither was sure: the default for what is left.
    Default,
}

/// One message, understood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Understanding {
    /// What the customer wants to do.
    pub intent: Intent,
    /// Which part decided it.
    pub intent_source: IntentSource,
    /// Category, budget, attributes, brand, references.
    pub slots: Slots,
    /// The catalog category path the category resolved to (root first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_path: Option<Vec<String>>,
    /// The customer declines a suggestion ("no thanks").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declined: bool,
    /// The message tries to change the assistant's rules, role or prices.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub injection: bool,
    /// The message is noise (a paste of thousands of characters, one word repeated): it is
    /// answered but changes nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noise: bool,
    /// What to send to product search: the message without budget, reference, direction,
    /// relax and filler words.
    pub query: String,
    /// The query without the spec quantities either: the words a search state keeps.
    #[serde(default)]
    pub terms: String,
    /// The message names a product kind ("cable", "tv"), not only a feature or a brand.
    #[serde(default)]
    pub names_product: bool,
    /// The message asks only for a feature of the kind being looked at ("one with a brake"):
    /// a refinement of the search so far, whatever category its words suggest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub feature_only: bool,
    /// The message asks for something besides what is being looked at ("also need a mouse
    /// pad"): a kind named so is a new search, not a refinement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub also: bool,
    /// The query's embedding, reused by search.
    #[serde(skip)]
    pub query_vector: Option<Vec<f32>>,
}

/// When the chat model is asked to understand a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LlmUnderstanding {
    /// Rules and embeddings only: the default, because with the default 135M model asking
    /// it lowered intent accuracy on the labelled set (`shopclerk eval understand`).
    #[default]
    Never,
    /// Only when no rule decides the intent.
    Fallback,
    /// For every message the rules do not flag as an injection.
    Always,
}

/// The longest customer message, in characters: the one limit every surface keeps. The chat
/// API refuses a longer message (413 `message_too_long`); the CLI chat and the dialogue read a
/// longer one as noise. 2,000 characters hold any real shopping question several times over.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Understanding settings (`[understand]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnderstandConfig {
    /// When to ask the chat model: never, fallback, always.
    pub llm: LlmUnderstanding,
    /// Lowest cosine similarity between a message and a category name to take the category.
    pub category_min_similarity: f32,
    /// Attribute phrases to recognise besides the built-in ones.
    pub attributes: Vec<String>,
}

impl Default for UnderstandConfig {
    fn default() -> UnderstandConfig {
        UnderstandConfig {
            llm: LlmUnderstanding::default(),
            category_min_similarity: 0.5,
            attributes: Vec::new(),
        }
    }
}

/// Understands messages: rules, then embeddings for the category, then the chat model when
/// the rules are unsure.
pub struct Understander {
    lexicon: Lexicon,
    categories: CategoryResolver,
    embedder: Arc<dyn Embedder>,
    model: Option<Arc<dyn ChatModel>>,
    prompts: Arc<Prompts>,
    config: UnderstandConfig,
    /// The catalog's compounds: queries are embedded in the searcher's canonical text.
    compounds: crate::search::Compounds,
}

impl std::fmt::Debug for Understander {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Understander")
            .field("config", &self.config)
            .field("categories", &self.categories.len())
            .finish()
    }
}

/// Largest reply the model may write for the understanding JSON.
const UNDERSTAND_MAX_TOKENS: usize = 48;

impl Understander {
    /// An understander over a catalog's brands and category paths. `model` is asked when the
    /// configuration says so; without one, rules and embeddings decide alone.
    pub fn new(
        brands: impl IntoIterator<Item = String>,
        category_paths: &[Vec<String>],
        embedder: Arc<dyn Embedder>,
        model: Option<Arc<dyn ChatModel>>,
        prompts: Arc<Prompts>,
        config: UnderstandConfig,
    ) -> Result<Understander> {
        let lexicon = Lexicon::new(brands)
            .with_attributes(config.attributes.iter().cloned())
            .with_vocabulary(category_paths.iter().flatten().map(String::as_str));
        let categories = CategoryResolver::new(category_paths, embedder.as_ref())?;
        Ok(Understander {
            lexicon,
            categories,
            embedder,
            model,
            prompts,
            config,
            compounds: crate::search::Compounds::default(),
        })
    }

    /// The embedder messages are embedded with.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The settings in use.
    pub fn config(&self) -> &UnderstandConfig {
        &self.config
    }

    /// An understander over an index's brands (one per product, so that the commonest
    /// spelling wins) and category tree.
    pub fn for_index(
        index: &crate::search::ProductIndex,
        embedder: Arc<dyn Embedder>,
        model: Option<Arc<dyn ChatModel>>,
        prompts: Arc<Prompts>,
        config: UnderstandConfig,
    ) -> Result<Understander> {
        let brands = index.products().iter().filter_map(|p| p.brand.clone());
        let mut understander = Understander::new(
            brands,
            index.category_paths(),
            embedder,
            model,
            prompts,
            config,
        )?;
        understander.compounds = index.compounds().clone();
        // The shop's words, for spelling correction: titles and category names.
        let titles = index.products().iter().map(|p| p.title.as_str());
        let names = index.category_paths().iter().flatten().map(String::as_str);
        understander.lexicon = understander.lexicon.with_vocabulary(titles.chain(names));
        Ok(understander)
    }

    /// Asks the model at another time from now on (for evaluation).
    pub fn set_llm(&mut self, llm: LlmUnderstanding) {
        self.config.llm = llm;
    }

    /// Understands one message. Never fails on what the customer wrote; fails only when the
    /// embedder does. A chat model that fails is logged and ignored.
    pub fn understand(&self, message: &str) -> Result<Understanding> {
        let noise = is_noise(message, MAX_MESSAGE_CHARS);
        let message = clip(message, MAX_MESSAGE_CHARS);
        let mut parsed = parse::parse(message, &self.lexicon);
        if noise {
            parsed = Parsed {
                intent: Some(Intent::Other),
                ..Parsed::default()
            };
        }
        let query_vector = if parsed.query.trim().is_empty() {
            None
        } else {
            // In the searcher's canonical text, so "wifi" and "wi-fi" find the same products.
            let canonical = self.compounds.normalize(&parsed.query);
            Some(embed_one(self.embedder.as_ref(), &canonical)?)
        };
        let mut category = query_vector
            .as_deref()
            .and_then(|v| self.categories.resolve(&parsed.query, v))
            .filter(|(_, sim)| *sim >= self.config.category_min_similarity)
            .map(|(node, _)| node);

        let mut intent = parsed.intent.map(|i| (i, IntentSource::Rules));
        let mut attributes = parsed.attributes.clone();
        let ask_model = !parsed.injection
            && !message.trim().is_empty()
            && match self.config.llm {
                LlmUnderstanding::Never => false,
                LlmUnderstanding::Fallback => intent.is_none(),
                LlmUnderstanding::Always => true,
            };
        if let Some(model) = self.model.as_ref().filter(|_| ask_model) {
            match self.ask_model(model.as_ref(), message) {
                Ok(answer) => {
                    if self.config.llm == LlmUnderstanding::Always || intent.is_none() {
                        intent = Some((answer.intent, IntentSource::Model));
                    }
                    if category.is_none() && !answer.category.is_empty() {
                        let v = embed_one(self.embedder.as_ref(), &answer.category)?;
                        category = self
                            .categories
                            .resolve(&answer.category, &v)
                            .filter(|(_, sim)| *sim >= self.config.category_min_similarity)
                            .map(|(node, _)| node);
                    }
                    for a in answer.attributes {
                        if !attributes.contains(&a) && message.to_lowercase().contains(&a) {
                            attributes.push(a);
                        }
                    }
                }
                Err(e) => tracing::warn!("understanding with the chat model failed: {e}"),
            }
        }
        let (intent, source) = intent.unwrap_or_else(|| {
            let fallback = if parsed.injection {
                Intent::Other
            } else if parsed.declined {
                // "I don't want the tripod": a decline, like "no thanks", not a question.
                Intent::Smalltalk
            } else if category.is_some() || parsed.brand.is_some() || parsed.budget.is_some() {
                Intent::Search
            } else if !parsed.references.is_empty() {
                Intent::AskAboutProduct
            } else if looks_like_a_query(&parsed.query) {
                Intent::Search
            } else {
                Intent::Other
            };
            (fallback, IntentSource::Default)
        });
        // A question, comparison or cart move that points at products ("does that cable
        // charge fast?", "add the boAt earbuds") names no kind to search for. ("Purchased the
        // Havells kettle" still says which kind was bought.)
        let pointing = matches!(
            intent,
            Intent::AskAboutProduct | Intent::AddToCart | Intent::Compare
        ) && !parsed.references.is_empty();
        let category_path = category
            .filter(|_| !pointing)
            .map(|node| self.categories.path(node).to_vec());
        // "Smart" in "smart watches", "hdmi" in "hdmi cable": a word the category's own name
        // holds names the kind, not a feature wanted of it.
        if let Some(leaf) = category_path.as_ref().and_then(|p| p.last()) {
            attributes.retain(|a| !parse::names_kind(a, leaf, message));
        }
        // A complaint is about the shopper's own order, not a product shown here.
        let references = if intent == Intent::ComplaintOrSupport {
            Vec::new()
        } else {
            parsed.references
        };
        Ok(Understanding {
            intent,
            intent_source: source,
            slots: Slots {
                category: category_path.as_ref().and_then(|p| p.last().cloned()),
                budget: parsed.budget,
                attributes,
                brand: parsed.brand,
                references,
                specs: parsed.specs,
                direction: parsed.direction,
                relax: parsed.relax,
                need: parsed.need,
            },
            category_path,
            declined: parsed.declined,
            injection: parsed.injection,
            noise,
            query: parsed.query,
            terms: parsed.terms,
            names_product: parsed.names_product,
            feature_only: parsed.feature_only,
            also: parsed.also,
            query_vector,
        })
    }

    fn ask_model(&self, model: &dyn ChatModel, message: &str) -> crate::llm::Result<ModelAnswer> {
        let intents: Vec<&str> = Intent::ALL.iter().map(|i| i.name()).collect();
        let prompt = self
            .prompts
            .render(
                "understand.txt",
                serde_json::json!({ "intents": intents, "message": message }),
            )
            .map_err(|e| crate::llm::Error::InvalidRequest(e.to_string()))?;
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "intent": { "enum": intents },
                "category": { "type": "string", "maxLength": 40 },
                "attributes": {
                    "type": "array",
                    "items": { "type": "string", "maxLength": 24 },
                    "maxItems": 3
                }
            },
            "required": ["intent", "category", "attributes"],
            "additionalProperties": false
        });
        let mut request = GenerateRequest::new(vec![Message::new(Role::User, prompt)]);
        request.sampling = Sampling::greedy();
        request.max_tokens = UNDERSTAND_MAX_TOKENS;
        let value = model.generate_json(request, &schema)?;
        let answer: ModelAnswer = serde_json::from_value(value)
            .map_err(|e| crate::llm::Error::Generation(format!("understanding reply: {e}")))?;
        Ok(ModelAnswer {
            category: answer.category.trim().to_lowercase(),
            attributes: answer
                .attributes
                .into_iter()
                .map(|a| a.trim().to_lowercase())
                .filter(|a| !a.is_empty())
                .collect(),
            ..answer
        })
    }
}

#[derive(Debug, Deserialize)]
struct ModelAnswer {
    intent: Intent,
    category: String,
    attributes: Vec<String>,
}

/// Words from which repetition can tell noise from a long, genuine message.
const NOISE_MIN_WORDS: usize = 20;

/// A message longer than anyone types into a shop chat, or one that mostly repeats itself.
fn is_noise(message: &str, max_chars: usize) -> bool {
    if message.chars().nth(max_chars).is_some() {
        return true;
    }
    let words: Vec<&str> = message.split_whitespace().collect();
    if words.len() < NOISE_MIN_WORDS {
        return false;
    }
    let distinct: std::collections::HashSet<&str> = words.iter().copied().collect();
    distinct.len() * 10 < words.len() * 3
}

/// A short noun phrase reads as a search ("boat earbuds"); a long sentence with no product
/// cue does not.
fn looks_like_a_query(query: &str) -> bool {
    let words = query.split_whitespace().count();
    (1..=6).contains(&words) && query.chars().any(char::is_alphabetic)
}

fn embed_one(embedder: &dyn Embedder, text: &str) -> Result<Vec<f32>> {
    Ok(embedder.embed(&[text])?.pop().unwrap_or_default())
}

/// The first `max` characters of `text`.
pub(crate) fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}
