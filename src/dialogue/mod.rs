//! The conversation: "the customer said this; what do we show and say?"
//!
//! [`Assistant::turn`] runs one turn over a [`Session`]: understand the message
//! ([`crate::understand`]), update the session (budget, category, focus, cart, declined
//! suggestions), retrieve products with the slots as hard filters, ask the recommender for one
//! cross-sell (from the cart, the just-bought and viewed items) and one upsell (against the item
//! in focus or the stated budget), then write the reply. Products and suggestions are catalog
//! data and are sent first, as [`TurnEvent`]s; the text comes from the chat model, prompted
//! with catalog facts only (`prompts/`), and streams through the grounding check
//! ([`grounding`]), or from a deterministic template ([`reply`]).

pub mod compose;
pub mod eval;
pub mod grounding;
pub mod reply;
mod session;
mod state;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::catalog::present::{as_printed, spec_value, variant_key};
use crate::catalog::{Money, Product, ProductView};
use crate::llm::{ChatModel, Event, FinishReason, GenerateRequest, Message, Role, Sampling, Usage};
use crate::prompts::Prompts;
use crate::recommend::complements;
use crate::recommend::{Kind, Recommender, Request, Suggestion};
use crate::search::{Filter, HybridSearcher, Retriever};
use crate::understand::{
    Budget, Direction, Intent, MAX_MESSAGE_CHARS, Measure, Reference, Slots, SpecKind,
    Understander, Understanding,
};

pub use grounding::{Facts, Grounder, Violation, Vocabulary};
pub use session::{Exchange, PRODUCTS_KEPT, Relative, SearchState, Session, TURNS_KEPT};
pub use state::{StateChange, content_words};

/// Errors from running a turn. What the customer wrote never causes one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Understanding failed (the embedder).
    #[error(transparent)]
    Understand(#[from] crate::understand::Error),
    /// Embedding a question or listing sentences failed.
    #[error(transparent)]
    Embed(#[from] crate::embed::Error),
    /// Search failed.
    #[error(transparent)]
    Search(#[from] crate::search::Error),
    /// The recommender failed.
    #[error(transparent)]
    Recommend(#[from] crate::recommend::Error),
    /// A prompt template failed to render.
    #[error(transparent)]
    Prompt(#[from] crate::prompts::Error),
}

/// Result alias for the conversation.
pub type Result<T> = std::result::Result<T, Error>;

/// Conversation settings (`[dialogue]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialogueConfig {
    /// Directory of the prompt templates.
    pub prompts_dir: std::path::PathBuf,
    /// Product cards shown per answer.
    pub products_shown: usize,
    /// Products whose facts go into the prompt (the first cards).
    pub products_in_prompt: usize,
    /// Most tokens the model writes per reply.
    pub reply_max_tokens: usize,
    /// With this many replies already waiting for the local model, a turn's reply comes from
    /// the composer instead of joining the queue.
    pub max_model_waiting: usize,
    /// Who writes replies when a chat model is loaded: `composer` (facts only, no model),
    /// `opener` (a short model-written opening sentence, then the composer's facts) or
    /// `model` (the model writes from the facts; the composer when nothing grounded is left).
    /// The default was chosen per intent by `shopclerk eval replies` (README).
    pub writer: Writer,
    /// Per-intent exceptions to `writer`, e.g. `{ smalltalk = "model" }`.
    pub writer_by_intent: std::collections::BTreeMap<Intent, Writer>,
}

/// Who writes a reply's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Writer {
    /// The composer alone, from facts (no model call).
    Composer,
    /// A short model-written opener (no facts allowed in it), then the composer.
    Opener,
    /// The model writes the reply from the facts, checked by grounding; the composer
    /// stands in when nothing grounded is left.
    Model,
}

impl DialogueConfig {
    /// Who writes replies of this intent.
    pub fn writer_for(&self, intent: Intent) -> Writer {
        self.writer_by_intent
            .get(&intent)
            .copied()
            .unwrap_or(self.writer)
    }
}

impl Default for DialogueConfig {
    fn default() -> DialogueConfig {
        DialogueConfig {
            prompts_dir: "prompts".into(),
            products_shown: 4,
            products_in_prompt: 2,
            reply_max_tokens: 64,
            max_model_waiting: 2,
            writer: Writer::Composer,
            writer_by_intent: std::collections::BTreeMap::new(),
        }
    }
}

/// What a turn sends as it goes, structured data first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TurnEvent {
    /// The message as understood.
    Understood {
        /// Intent.
        intent: Intent,
        /// Slots (boxed: they are most of the event's size).
        slots: Box<Slots>,
    },
    /// Products to show as cards.
    Products {
        /// The products, best first, each model once.
        products: Vec<ProductView>,
    },
    /// Suggestions (at most one of each kind).
    Suggestions {
        /// Complement from another category.
        cross_sell: Vec<Suggestion>,
        /// A better product in the same category.
        upsell: Vec<Suggestion>,
    },
    /// More reply text.
    Token {
        /// The text.
        text: String,
    },
    /// The reply text shown so far is replaced by `text`: the sentence check (grounding's
    /// second line) took back model text already streamed. Only sent to a turn run with
    /// [`Delivery::Tokens`]; the reply then goes on with more `Token`s.
    Replace {
        /// The whole reply text so far.
        text: String,
    },
}

/// How a turn's reply text reaches its reader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    /// Each model sentence is held until the sentence check passes it, so no text is ever
    /// taken back: for readers that cannot take text back (a terminal, the OpenAI-compatible
    /// stream).
    #[default]
    Sentences,
    /// A model that grounds its tokens itself ([`ChatModel::grounds_tokens`], a local model)
    /// streams them as they come; the sentence check still runs on each finished sentence and
    /// takes back one it rejects with [`TurnEvent::Replace`]. A model that does not (an
    /// inference server) is delivered by sentences.
    Tokens,
}

/// What the grounding check did to a reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundingReport {
    /// Sentences removed.
    pub removed: usize,
    /// The reply fell back to the template (nothing grounded was left, or the model failed).
    pub fallback: bool,
    /// The model wrote (part of) the reply; false for composer-only replies.
    pub model: bool,
    /// Sentences the model wrote (kept and removed).
    #[serde(default)]
    pub sentences: usize,
    /// The model reached its token limit mid-sentence, and that unfinished (but grounded)
    /// sentence was dropped; an ungrounded one counts in `removed` instead.
    #[serde(default)]
    pub cut: bool,
    /// Times model text already shown was taken back ([`TurnEvent::Replace`]): a streamed
    /// sentence the check rejected, an unfinished one at the token limit, or the whole reply
    /// replaced by the composer's.
    #[serde(default)]
    pub replaced: usize,
}

/// Where the time of a turn went, in milliseconds since the message arrived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Understanding the message.
    pub understand: f64,
    /// Product search.
    pub retrieve: f64,
    /// Suggestions.
    pub recommend: f64,
    /// Products and suggestions ready to show (since the message arrived).
    pub ready: f64,
    /// First reply text shown (since the message arrived).
    pub first_token: f64,
    /// The whole turn.
    pub total: f64,
}

/// One finished turn, as `shopclerk chat --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnRecord {
    /// Turn number, from 1.
    pub turn: u32,
    /// The message (clipped).
    pub user: String,
    /// The reply text.
    pub reply: String,
    /// The intent understood.
    pub intent: Intent,
    /// The slots understood.
    pub slots: Slots,
    /// Products shown.
    pub products: Vec<ProductView>,
    /// Cross-sell suggestion (zero or one).
    pub cross_sell: Vec<Suggestion>,
    /// Upsell suggestion (zero or one).
    pub upsell: Vec<Suggestion>,
    /// What the grounding check did.
    pub grounding: GroundingReport,
    /// Where the time went.
    pub timings_ms: Timings,
    /// The complementary kind a "what do I need for it?" looked for ("HDMI cable").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need: Option<String>,
    /// The chat model's token counts and speed, when it wrote the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// A reply as written: its text, what grounding removed, when its first text went out and
/// what the model spent on it.
struct Written {
    text: String,
    grounding: GroundingReport,
    first: Option<Instant>,
    usage: Option<Usage>,
}

/// Most tokens of a model-written opener (one short sentence).
const OPENER_MAX_TOKENS: usize = 24;

/// Tokens a model reply may run past `[dialogue] reply_max_tokens` to finish the sentence it
/// is in: the reply stops at the first sentence end after that soft limit, and only a sentence
/// still unfinished this much later is cut (and dropped).
const FINISH_SENTENCE_TOKENS: usize = 24;
/// Suggestions asked for, so that declined and just-made ones can be skipped.
const SUGGESTION_POOL: usize = 6;
/// Viewed products used as cross-sell anchors.
const VIEWED_ANCHORS: usize = 3;
/// "Around 300" searches 300 ± this share.
const AROUND_BAND: f64 = 0.2;
/// Candidates read when a search is filtered or ordered after retrieval (specs, brand, moves,
/// "cheapest"): enough to hold a whole leaf category of the demo catalog, so "the cheapest
/// TV" is the cheapest there is.
const STATE_POOL: usize = 200;
/// Complementary product types shown for "what else do I need for it?".
const NEED_TYPES: usize = 3;
/// Cosine (query vs best match, all-MiniLM-L6-v2) under which a search whose head noun no
/// product names is a kind the shop does not sell. Measured on the demo catalog: "double
/// door fridge" 0.35, "refrigerator" 0.40, "washing machine" 0.44 (none sold); kinds sold
/// under another name score higher ("sneakers" 0.60 on Decathlon shoes).
const NOT_SOLD_SIMILARITY: f32 = 0.45;
/// Ratings a product needs to lead a "best rated" list: a 5.0 from two shoppers is no proof.
const MIN_RATINGS_TO_LEAD: u64 = 20;

/// The shop assistant: everything a turn needs, shared by all sessions.
pub struct Assistant {
    searcher: Arc<HybridSearcher>,
    recommender: Arc<Recommender>,
    understander: Arc<Understander>,
    model: Option<Arc<dyn ChatModel>>,
    prompts: Arc<Prompts>,
    vocabulary: Vocabulary,
    system_prompt: String,
    config: DialogueConfig,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant")
            .field("config", &self.config)
            .field("model", &self.model.as_ref().map(|m| m.describe()))
            .finish()
    }
}

impl Assistant {
    /// An assistant over a searcher, recommender (whose review analysis answers questions)
    /// and understander; `model` writes replies (without one, every reply is a template).
    pub fn new(
        searcher: Arc<HybridSearcher>,
        recommender: Arc<Recommender>,
        understander: Arc<Understander>,
        model: Option<Arc<dyn ChatModel>>,
        prompts: Arc<Prompts>,
        config: DialogueConfig,
    ) -> Result<Assistant> {
        let system_prompt = prompts.system()?;
        let mut brands: Vec<String> = searcher
            .index()
            .products()
            .iter()
            .filter_map(|p| p.brand.clone())
            .collect();
        brands.sort();
        brands.dedup();
        Ok(Assistant {
            searcher,
            recommender,
            understander,
            model,
            prompts,
            vocabulary: Vocabulary::new(&brands, &system_prompt),
            system_prompt,
            config,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &DialogueConfig {
        &self.config
    }

    /// The recommender (for feedback events).
    pub fn recommender(&self) -> &Arc<Recommender> {
        &self.recommender
    }

    /// The searcher (for product lookups).
    pub fn searcher(&self) -> &Arc<HybridSearcher> {
        &self.searcher
    }

    fn product(&self, id: &str) -> Option<&Product> {
        self.searcher.index().product(id)
    }

    /// The chat model writing replies, when there is one.
    pub fn model(&self) -> Option<&Arc<dyn ChatModel>> {
        self.model.as_ref()
    }

    /// Runs one turn: `on_event` receives products and suggestions first, then the reply text
    /// as it streams. The session is updated; nothing the customer writes makes this fail.
    pub fn turn(
        &self,
        session: &mut Session,
        message: &str,
        on_event: &mut dyn FnMut(TurnEvent),
    ) -> Result<TurnRecord> {
        self.run_turn(session, message, on_event, Some(Delivery::Sentences))
    }

    /// [`Assistant::turn`] with the reply delivered as `delivery` says: the chat widget takes
    /// [`Delivery::Tokens`], and with it [`TurnEvent::Replace`].
    pub fn turn_with(
        &self,
        session: &mut Session,
        message: &str,
        delivery: Delivery,
        on_event: &mut dyn FnMut(TurnEvent),
    ) -> Result<TurnRecord> {
        self.run_turn(session, message, on_event, Some(delivery))
    }

    /// Replays an earlier message of a conversation a client kept itself (the `messages` of an
    /// OpenAI-style request), so "the second one" in the next message points where the
    /// customer saw it. The session changes as in [`Assistant::turn`]; the reply is the
    /// composer's, never the chat model's, since nobody reads it.
    pub fn replay(&self, session: &mut Session, message: &str) -> Result<TurnRecord> {
        self.run_turn(session, message, &mut |_| {}, None)
    }

    fn run_turn(
        &self,
        session: &mut Session,
        message: &str,
        on_event: &mut dyn FnMut(TurnEvent),
        // `None`: the composer writes (nobody reads the reply).
        delivery: Option<Delivery>,
    ) -> Result<TurnRecord> {
        let started = Instant::now();
        let ms = |t: Instant| t.duration_since(started).as_secs_f64() * 1000.0;
        let index = self.searcher.index();
        let gone_from_cart = session.forget_missing(|id| index.product(id).is_some());
        // The whole message goes to understanding, which reads one past the limit as noise.
        let empty = message.trim().is_empty();
        let u = self.understander.understand(message)?;
        let understood = Instant::now();
        on_event(TurnEvent::Understood {
            intent: u.intent,
            slots: Box::new(u.slots.clone()),
        });

        let mut refs = self.resolve_references(&u, session);
        if matches!(
            u.intent,
            Intent::Compare | Intent::AskAboutProduct | Intent::AddToCart | Intent::PurchaseDone
        ) {
            // "I'll go with the 255", "compare it with the rockerz 330": the product the
            // model number names comes first.
            let mut named = self.model_references(message, u.intent, session)?;
            // "6000mah wala kitne ka hai?": the shown product with that size, when the size
            // tells the shown products apart.
            if named.is_empty() && !u.slots.specs.is_empty() {
                let fitting: Vec<&String> = session
                    .shown
                    .iter()
                    .filter(|id| {
                        self.product(id).is_some_and(|p| {
                            crate::understand::SpecWant::all_fit(&u.slots.specs, p)
                        })
                    })
                    .collect();
                if fitting.len() < session.shown.len()
                    && let Some(id) = fitting.first()
                {
                    named.push((*id).clone());
                }
            }
            refs.retain(|id| !named.contains(id));
            refs.splice(0..0, named);
        }
        let mut plan = Plan::default();
        if u.declined {
            let targets: Vec<String> = if refs.is_empty() {
                session.suggested.clone()
            } else {
                refs.iter()
                    .filter(|r| session.suggested.contains(r))
                    .cloned()
                    .collect()
            };
            for id in targets {
                session.decline(&id);
            }
        }
        // An injection changes nothing unless the message also asks for something (the
        // injected clauses are already dropped from `u`).
        let changes_state = !(u.noise || empty || (u.injection && u.intent == Intent::Other));
        if changes_state {
            self.apply(&u, message, &refs, session, &mut plan)?;
        }
        let retrieved = Instant::now();
        let (cross_sell, upsell) = if changes_state && suggests(u.intent) && !plan.no_suggestions {
            self.suggest(session, &plan)?
        } else {
            (None, None)
        };
        let recommended = Instant::now();

        let products: Vec<ProductView> = plan.products.clone();
        on_event(TurnEvent::Products {
            products: products.clone(),
        });
        let mut cross: Vec<Suggestion> = cross_sell.into_iter().collect();
        let mut up: Vec<Suggestion> = upsell.into_iter().collect();
        // Cards say why in the same plain words as the reply.
        let upsell_anchor = plan
            .upsell_anchor
            .as_ref()
            .or(session.focus.as_ref())
            .and_then(|id| {
                plan.products
                    .iter()
                    .find(|p| &p.id == id)
                    .cloned()
                    .or_else(|| self.product(id).map(ProductView::of))
            });
        for s in &mut cross {
            s.reason.text = compose::card_reason(s, false, plan.products.first());
        }
        for s in &mut up {
            s.reason.text = compose::card_reason(s, true, upsell_anchor.as_ref());
        }
        on_event(TurnEvent::Suggestions {
            cross_sell: cross.clone(),
            upsell: up.clone(),
        });
        let ready = Instant::now();

        let seed = turn_seed(&session.id, session.turns);
        // Products a catalog update deleted leave the cart with a word, before the reply.
        let cart_note = (gone_from_cart > 0).then(|| {
            let (what, is, it) = match gone_from_cart {
                1 => ("An item in your cart".to_string(), "is", "it"),
                n => (format!("{n} items in your cart"), "are", "them"),
            };
            self.prompts.wordings().fill(
                "cart.gone",
                seed,
                &[("what", &what), ("is", is), ("it", it)],
            )
        });
        if let Some(note) = &cart_note {
            on_event(TurnEvent::Token {
                text: format!("{note} "),
            });
        }
        let Written {
            text: reply,
            grounding,
            first: first_token,
            usage,
        } = self.reply(
            &u,
            message,
            empty,
            &plan,
            cross.first(),
            up.first(),
            upsell_anchor.as_ref(),
            seed,
            delivery,
            // Text taken back is the whole reply, the cart note included.
            &mut |event| match (event, &cart_note) {
                (TurnEvent::Replace { text }, Some(note)) => on_event(TurnEvent::Replace {
                    text: format!("{note} {text}"),
                }),
                (event, _) => on_event(event),
            },
        )?;
        let reply = match cart_note {
            Some(note) => format!("{note} {reply}"),
            None => reply,
        };
        let first_token = first_token.map_or_else(|| ms(Instant::now()), ms);

        // A search that found nothing keeps the earlier list on screen for "the first one".
        if plan.new_list && !plan.products.is_empty() {
            session.shown = plan.products.iter().map(|p| p.id.clone()).collect();
            session.shown_turn = session.turns + 1;
            // After a new search, "it" is the pick the reply led with, not a product asked
            // about before ("55 inch tv", then "does it have dolby audio?"). A need's list
            // keeps the product it is for in focus.
            if u.intent == Intent::Search && plan.need.is_none() {
                session.focus = None;
            }
            if let Some(n) = &plan.need {
                session.shown_label = n.kind.clone().unwrap_or_else(|| "accessories".into());
            }
        }
        if !(u.declined && cross.is_empty() && up.is_empty()) {
            session.suggested = cross
                .iter()
                .chain(&up)
                .map(|s| s.product.id.clone())
                .collect();
        }
        let user = crate::understand::clip(message, MAX_MESSAGE_CHARS).to_string();
        session.record(Exchange {
            user: user.clone(),
            reply: reply.clone(),
            intent: u.intent,
            products: products.iter().map(|p| p.id.clone()).collect(),
            suggestions: session.suggested.clone(),
        });
        let finished = Instant::now();
        Ok(TurnRecord {
            turn: session.turns,
            user,
            reply,
            intent: u.intent,
            slots: u.slots,
            products,
            cross_sell: cross,
            upsell: up,
            grounding,
            need: plan
                .need
                .as_ref()
                .and_then(|n| n.kind.clone().or_else(|| n.asked.clone())),
            timings_ms: Timings {
                understand: ms(understood),
                retrieve: ms(retrieved) - ms(understood),
                recommend: ms(recommended) - ms(retrieved),
                ready: ms(ready),
                first_token,
                total: ms(finished),
            },
            usage,
        })
    }

    /// The products a message's references point to, most specific first.
    fn resolve_references(&self, u: &Understanding, session: &Session) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for r in &u.slots.references {
            let id = match r {
                Reference::Ordinal(n) if *n > 0 => session.shown.get(*n as usize - 1).cloned(),
                Reference::Ordinal(_) => session.shown.last().cloned(),
                Reference::Named(noun) => self.named(noun, session),
                // "The Samsung one": the shown product of that brand.
                Reference::Pronoun if u.slots.brand.is_some() => self
                    .shown_of_brand(u.slots.brand.as_deref().unwrap_or(""), session)
                    .or_else(|| session.focus.clone()),
                // "It" after a list is the pick the reply led with: the first one shown.
                Reference::Pronoun => session
                    .focus
                    .clone()
                    .or_else(|| session.shown.first().cloned()),
                Reference::Ranked(d) => self.ranked(*d, session),
            };
            if let Some(id) = id.filter(|id| !found.contains(id)) {
                found.push(id);
            }
        }
        found
    }

    /// Products a message names by a model number or code ("the 255", "rockerz 330", "the
    /// M13"): a shown, suggested, viewed, carted or bought product whose title has that word;
    /// else, to compare or ask about, the catalog's best text match whose title has it (and
    /// the word before it, "rockerz"). Prices, sizes ("6000mah", "43 inch"), ordinals and
    /// small numbers are not model numbers.
    fn model_references(
        &self,
        message: &str,
        intent: Intent,
        session: &Session,
    ) -> Result<Vec<String>> {
        let words: Vec<String> = message
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let title_has = |p: &Product, word: &str| {
            p.title
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|t| t == word)
        };
        let mut found: Vec<String> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            let before = i.checked_sub(1).map_or("", |b| words[b].as_str());
            let after = words.get(i + 1).map_or("", String::as_str);
            if !is_model_code(word, before, after) {
                continue;
            }
            let mut hit = session
                .recent()
                .filter_map(|id| self.product(id))
                .find(|p| title_has(p, word))
                .map(|p| p.id.clone());
            if hit.is_none() && intent != Intent::AddToCart {
                let prefix = (before.chars().all(char::is_alphabetic)
                    && before.len() > 2
                    && !state::FILLER_WORDS.contains(&before)
                    && !matches!(before, "with" | "and" | "vs" | "versus" | "than"))
                .then_some(before);
                let query = format!("{} {word}", prefix.unwrap_or(""))
                    .trim()
                    .to_string();
                let products = self.searcher.index().products();
                hit = self
                    .searcher
                    .index()
                    .bm25(&query, &Filter::default(), 10)?
                    .into_iter()
                    .map(|(row, _)| &products[row])
                    .find(|p| title_has(p, word) && prefix.is_none_or(|b| title_has(p, b)))
                    .map(|p| p.id.clone());
            }
            if let Some(id) = hit.filter(|id| !found.contains(id)) {
                found.push(id);
            }
        }
        Ok(found)
    }

    /// The first shown product of a brand.
    fn shown_of_brand(&self, brand: &str, session: &Session) -> Option<String> {
        let brand = brand.to_lowercase();
        session
            .shown
            .iter()
            .find(|id| {
                self.product(id)
                    .and_then(|p| p.brand.as_deref())
                    .is_some_and(|b| b.to_lowercase() == brand)
            })
            .cloned()
    }

    /// "The cheaper one", "the best rated one": the shown product with the least or most of
    /// a measure (ties to the one shown first).
    fn ranked(&self, d: Direction, session: &Session) -> Option<String> {
        let shown: Vec<&Product> = session
            .shown
            .iter()
            .filter_map(|id| self.product(id))
            .collect();
        let kind = state::size_kind(d.kind, &shown);
        let value = |p: &Product| match d.measure {
            Measure::Price => p.price.map(|m| m.amount()),
            Measure::Rating => p.rating.map(f64::from),
            Measure::Size => kind.and_then(|k| spec_value(p, k)),
        };
        let mut best: Option<(f64, &Product)> = None;
        for p in shown {
            let Some(v) = value(p) else { continue };
            let better = best.is_none_or(|(b, _)| if d.more { v > b } else { v < b });
            if better {
                best = Some((v, p));
            }
        }
        best.map(|(_, p)| p.id.clone())
    }

    /// The most recent product of the conversation whose title or category names `noun`.
    fn named(&self, noun: &str, session: &Session) -> Option<String> {
        let noun = noun.trim().to_lowercase();
        let stem = noun
            .strip_suffix('s')
            .filter(|s| s.len() > 2)
            .unwrap_or(&noun);
        if stem.is_empty() {
            return None;
        }
        for id in session.recent() {
            if let Some(p) = self.product(id) {
                let text = format!("{} {}", p.title, p.category_path.join(" ")).to_lowercase();
                let brand = p.brand.as_deref().unwrap_or("").to_lowercase();
                if text.contains(stem) || brand == noun {
                    return Some(id.clone());
                }
            }
        }
        None
    }

    /// Updates the session for the understood message and plans the products to show.
    fn apply(
        &self,
        u: &Understanding,
        message: &str,
        refs: &[String],
        session: &mut Session,
        plan: &mut Plan,
    ) -> Result<()> {
        let target = refs.first().cloned().or_else(|| match u.intent {
            Intent::AskAboutProduct | Intent::AddToCart => session
                .focus
                .clone()
                .or_else(|| session.shown.first().cloned()),
            _ => None,
        });
        let ordinal = u
            .slots
            .references
            .iter()
            .any(|r| matches!(r, Reference::Ordinal(_) | Reference::Ranked(_)));
        if ordinal && self.list_is_older(session) {
            plan.older_list = Some(session.shown_label.clone());
        }
        if let Some(need) = &u.slots.need
            && matches!(
                u.intent,
                Intent::AskAboutProduct | Intent::Search | Intent::PurchaseDone
            )
        {
            // "Bought it. What else do I need?": the purchase first, then what goes with it.
            // A purchase of a kind the shop lacks ("I bought a tent" in an electronics shop)
            // has nothing to go with here; the earlier product is not what it is about.
            if u.intent == Intent::PurchaseDone {
                self.purchase(u, refs.first().cloned(), session, plan)?;
                if plan.bought_kind.is_some() && plan.products.is_empty() {
                    return self.need(need, None, session, plan);
                }
            }
            let anchor = refs
                .first()
                .cloned()
                .or_else(|| session.focus.clone())
                .or_else(|| session.bought.last().cloned())
                .or_else(|| session.shown.first().cloned());
            return self.need(need, anchor.as_deref(), session, plan);
        }
        match u.intent {
            Intent::Search => self.search(u, session, plan)?,
            // "Which one has the best reviews?" when none of those shown has a rating.
            Intent::AskAboutProduct
                if refs.is_empty()
                    && !session.shown.is_empty()
                    && u.slots.references.iter().any(
                        |r| matches!(r, Reference::Ranked(d) if d.measure == Measure::Rating),
                    ) =>
            {
                plan.answer = Some(compose::Answer::NoneRated);
            }
            Intent::AskAboutProduct => {
                if let Some(id) = target {
                    session.view(&id);
                    plan.push(self.product(&id));
                    plan.aspect = crate::reviews::aspect_of_question(&u.query).or_else(|| {
                        u.slots
                            .attributes
                            .iter()
                            .find_map(|a| crate::reviews::aspect_of_question(a))
                    });
                    let ranked = match u.slots.references.first() {
                        Some(Reference::Ranked(d)) => Some(*d),
                        _ => None,
                    };
                    if let (Some(d), Some(view)) = (ranked, plan.products.first()) {
                        // "Which one is the cheapest?": the pick and the value it wins on.
                        plan.answer = Some(compose::Answer::Fact {
                            text: compose::ranked_fact(d, view),
                        });
                    } else if let (Some(p), Some(view)) = (self.product(&id), plan.products.first())
                        && !message.trim().is_empty()
                    {
                        let reviews = self.recommender.reviews();
                        plan.answer = Some(compose::answer_question(
                            message,
                            p,
                            view,
                            reviews.get(&p.id),
                            plan.aspect,
                            self.understander.embedder().as_ref(),
                            &|w| self.searcher.index().doc_freq(w) > 0,
                        )?);
                    }
                }
            }
            Intent::Compare => {
                let mut ids: Vec<String> = refs.to_vec();
                for id in &session.shown {
                    if ids.len() >= 2 {
                        break;
                    }
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
                if ids.len() >= 2 {
                    for id in &ids {
                        session.view(id);
                    }
                    for id in &ids {
                        plan.push(self.product(id));
                    }
                } else if u.slots.category.is_some() || !u.query.trim().is_empty() {
                    // "Which kettle is best?": show the best matches to compare.
                    self.search(u, session, plan)?;
                }
            }
            Intent::AddToCart => {
                if let Some(id) = target {
                    session.add_to_cart(&id);
                    plan.push(self.product(&id));
                }
            }
            Intent::PurchaseDone => self.purchase(u, target, session, plan)?,
            Intent::ComplaintOrSupport | Intent::Smalltalk | Intent::Other => {}
        }
        Ok(())
    }

    /// Records a purchase: the product referred to, else ("bought it") the one in focus, else
    /// ("I just bought a smart TV") the catalog's best match for the words.
    fn purchase(
        &self,
        u: &Understanding,
        target: Option<String>,
        session: &mut Session,
        plan: &mut Plan,
    ) -> Result<()> {
        let named = !content_words(&u.query, u.slots.brand.as_deref()).is_empty();
        let id = match target {
            Some(id) => Some(id),
            // "Bought it": the product the conversation is about.
            None if !named => session
                .focus
                .clone()
                .or_else(|| session.shown.first().cloned()),
            None => {
                // "I just bought a smart TV": the catalog's best match stands in for it, but
                // the reply names the kind, not a model they may not have.
                let label = search_label(&u.query, u.category_path.as_deref(), None);
                let found = self.find_one(u)?;
                // Words the stand-in's title writes are printed as it writes them ("samsung
                // galaxy m13" -> "Samsung Galaxy M13").
                let title = found
                    .as_deref()
                    .and_then(|id| self.product(id))
                    .map_or(String::new(), |p| p.title.clone());
                let printed: Vec<String> = label
                    .split(' ')
                    .map(|w| {
                        title
                            .split(|c: char| !c.is_alphanumeric())
                            .find(|t| t.eq_ignore_ascii_case(w))
                            .map_or_else(|| w.to_string(), str::to_string)
                    })
                    .collect();
                plan.bought_kind = Some(printed.join(" "));
                found
            }
        };
        if let Some(id) = id {
            session.bought(&id);
            plan.push(self.product(&id));
        }
        // Just bought: a pricier one of the same is no help now.
        plan.no_upsell = true;
        Ok(())
    }

    /// Whether the last list shown is no longer what the shopper last saw: a purchase, or
    /// other products, came after it. A reply that points into it then says which list.
    fn list_is_older(&self, session: &Session) -> bool {
        let first_kept = session.turns + 1 - session.history.len() as u32;
        session
            .history
            .iter()
            .enumerate()
            .filter(|(i, _)| first_kept + *i as u32 > session.shown_turn)
            .any(|(_, e)| {
                e.intent == Intent::PurchaseDone
                    || e.products.iter().any(|id| !session.shown.contains(id))
            })
    }

    /// "What cable do I need to connect my laptop to it?": the complementary products for the
    /// product in focus, from the complement map, with its reason; the focus stays on it.
    fn need(
        &self,
        need: &crate::understand::Need,
        anchor: Option<&str>,
        session: &mut Session,
        plan: &mut Plan,
    ) -> Result<()> {
        plan.no_suggestions = true;
        let asked = need.kind.as_deref().map(|k| search_label(k, None, None));
        let Some(p) = anchor.and_then(|id| self.product(id)) else {
            plan.need = Some(compose::NeedAnswer {
                asked,
                ..compose::NeedAnswer::default()
            });
            return Ok(());
        };
        session.view(&p.id);
        let entries = self
            .searcher
            .index()
            .row_of(&p.id)
            .map(|row| self.recommender.product_types().entries_for(row as u32))
            .unwrap_or_default();
        let mut chosen: Vec<&complements::Complement> = match need.kind.as_deref() {
            Some(kind) => entries
                .iter()
                .filter(|c| complements::kind_matches(c, kind))
                .copied()
                .collect(),
            None => entries.clone(),
        };
        // "To connect my laptop": the entry whose reason names the laptop.
        if let Some(with) = need.with.as_deref().map(str::to_lowercase) {
            let named: Vec<_> = chosen
                .iter()
                .filter(|c| c.reason.to_lowercase().contains(&with))
                .copied()
                .collect();
            if !named.is_empty() {
                chosen = named;
            }
        }
        let types = if need.kind.is_some() { 1 } else { NEED_TYPES };
        let per_type = if need.kind.is_some() {
            self.config.products_shown
        } else {
            1
        };
        let mut items: Vec<(ProductView, String)> = Vec::new();
        let mut kind_name = None;
        for c in chosen.iter().take(types) {
            let found = self.products_of_type(&c.complement, p, per_type)?;
            if !found.is_empty() && kind_name.is_none() {
                kind_name = Some((search_label(c.name(), None, None), c.reason.clone()));
            }
            items.extend(found.into_iter().map(|v| (v, c.reason.clone())));
        }
        // A kind the map does not pair with this product: the kind itself, made for it. (A
        // kind it pairs that the shop lacks for this product is an honest "none".)
        if items.is_empty()
            && chosen.is_empty()
            && let Some(kind) = need.kind.as_deref()
        {
            let names = vec![kind.to_lowercase()];
            items = self
                .products_of_type(&names, p, self.config.products_shown)?
                .into_iter()
                .map(|v| (v, String::new()))
                .collect();
        }
        plan.products = items.iter().map(|(v, _)| v.clone()).collect();
        plan.new_list = !plan.products.is_empty();
        plan.need = Some(compose::NeedAnswer {
            anchor: Some(ProductView::of(p)),
            asked,
            kind: kind_name.as_ref().map(|k| k.0.clone()),
            reason: kind_name.map(|k| k.1),
            items: items.into_iter().map(|(v, r)| (v.id, r)).collect(),
        });
        Ok(())
    }

    /// In-stock products whose title or category names one of `names` ("hdmi cable"), best
    /// match first, outside the anchor's own category, each model once.
    fn products_of_type(
        &self,
        names: &[String],
        anchor: &Product,
        limit: usize,
    ) -> Result<Vec<ProductView>> {
        let Some(query) = names.first() else {
            return Ok(Vec::new());
        };
        let filter = Filter {
            in_stock: true,
            ..Filter::default()
        };
        let products = self.searcher.index().products();
        let mut hits = self.retrieve(
            query,
            None,
            &filter,
            limit * crate::search::VARIANT_OVERFETCH * 2,
        )?;
        let entry = complements::Complement {
            anchor: Vec::new(),
            complement: names.to_vec(),
            reason: String::new(),
        };
        // A mount or sleeve sized for the product: a "14 to 32 inch" mount is no help for a
        // 43-inch TV.
        let anchor_size = spec_value(anchor, SpecKind::ScreenSize);
        let types = self.recommender.product_types();
        let anchor_row = self.searcher.index().row_of(&anchor.id).map(|r| r as u32);
        // A product known to be of another type is not this kind, whatever words it shares:
        // a "Sleeping Bag Stuff Sack" is no sleeping bag.
        let kind = names.first().map(String::as_str);
        let kind_known = (0..types.len() as u32).any(|t| Some(types.name(t)) == kind);
        let other_type = |row: usize| {
            kind_known
                && types
                    .type_of(row as u32)
                    .is_some_and(|t| Some(types.name(t)) != kind)
        };
        hits.retain(|h| {
            let c = &products[h.row];
            if other_type(h.row) {
                return false;
            }
            // Made for another brand or model line: a case for an iPhone is no case for a
            // Galaxy.
            if anchor_row.is_some_and(|a| types.incompatible(a, h.row as u32, products)) {
                return false;
            }
            let text = format!("{} {}", c.title, c.category_path.join(" "));
            let fits = anchor_size
                .is_none_or(|a| spec_value(c, SpecKind::ScreenSize).is_none_or(|v| v + 0.5 >= a));
            c.category_path != anchor.category_path
                && c.id != anchor.id
                && fits
                && complements::kind_matches_text(&entry, &text)
        });
        // The kind's own shelf: when the best match's leaf holds others, only that leaf (a TV
        // wall mount's shelf, not a shower mount for phones).
        if let Some(first) = hits.first().map(|h| products[h.row].category_path.clone())
            && hits
                .iter()
                .filter(|h| products[h.row].category_path == first)
                .count()
                >= 2
        {
            hits.retain(|h| products[h.row].category_path == first);
        }
        Ok(crate::search::shown(self.searcher.index(), &hits, limit))
    }

    /// The one product a "I just bought a Sony camera" most likely means.
    fn find_one(&self, u: &Understanding) -> Result<Option<String>> {
        if u.query.trim().is_empty() {
            return Ok(None);
        }
        let filter = Filter {
            category_path: u.category_path.clone(),
            ..Filter::default()
        };
        let hits = self.retrieve(&u.query, u.query_vector.as_deref(), &filter, 10)?;
        let products = self.searcher.index().products();
        let brand = u.slots.brand.as_deref().map(str::to_lowercase);
        // A shop without tents has no stand-in for one: when none of the best matches names
        // a word of the message ("tent"), nothing stands in.
        let words: Vec<String> = content_words(&u.query, u.slots.brand.as_deref())
            .iter()
            .map(|w| w.to_lowercase().trim_end_matches('s').to_string())
            .filter(|w| w.len() > 1)
            .collect();
        // A word names a product when a word of its title or category is it or ends with it
        // ("phone" in "Smartphones").
        let names = |p: &Product| {
            format!("{} {}", p.title, p.category_path.join(" "))
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|t| {
                    words
                        .iter()
                        .any(|w| t.trim_end_matches('s').ends_with(w.as_str()))
                })
        };
        if !words.is_empty() && !hits.iter().any(|h| names(&products[h.row])) {
            return Ok(None);
        }
        let best = hits
            .iter()
            .find(|h| {
                brand.as_ref().is_none_or(|b| {
                    products[h.row]
                        .brand
                        .as_deref()
                        .is_some_and(|pb| pb.to_lowercase() == *b)
                })
            })
            .or(hits.first());
        Ok(best.map(|h| products[h.row].id.clone()))
    }

    /// A product search: the message updates the session's search state, and the search is
    /// built from the state (hard filters for category, price, brand, specs and moves; the
    /// state's words and wanted features as the query; its order).
    fn search(&self, u: &Understanding, session: &mut Session, plan: &mut Plan) -> Result<()> {
        let catalog_currency = self.searcher.index().manifest().currency;
        let mut u = u.clone();
        if let Some(b) = &u.slots.budget
            && let Some(code) = &b.currency
            && !code.eq_ignore_ascii_case(catalog_currency.code())
        {
            plan.currency = Some((code.to_uppercase(), catalog_currency.code().to_string()));
            u.slots.budget = None;
        }
        // What the message names decides the category when the catalog agrees: the
        // categories of the best text matches outvote a name similarity that points elsewhere
        // ("keypad phone" is no mouse pad).
        // Words the search so far does not have, that no product of the catalog has either
        // ("2 person tent" in a shop without tents), name a new kind the shop lacks: a new
        // search, so that the reply says so instead of mixing them into the old one.
        // A feature of the kind being looked at ("one with a brake") keeps that kind.
        if u.feature_only && !session.search.is_empty() {
            u.category_path = None;
        }
        if !u.names_product && !session.search.is_empty() {
            let old = content_words(&session.search.terms, session.search.brand.as_deref());
            let fresh: Vec<String> = content_words(&u.terms, u.slots.brand.as_deref())
                .into_iter()
                .filter(|w| !u.slots.attributes.iter().any(|a| a.contains(w.as_str())))
                .filter(|w| !old.contains(w))
                .map(|w| w.trim_end_matches('s').to_string())
                .filter(|w| w.len() > 3)
                .collect();
            let products = self.searcher.index().products();
            if !fresh.is_empty() && !products.iter().any(|p| crate::search::names_any(p, &fresh)) {
                u.names_product = true;
                u.category_path = None;
            }
        }
        if u.names_product || session.search.is_empty() {
            let content = content_words(&u.query, u.slots.brand.as_deref());
            u.category_path = crate::search::categorise(
                &self.searcher,
                &u.query,
                u.query_vector.as_deref(),
                u.category_path.take(),
                &content,
            )?;
        }
        let shown: Vec<&Product> = session
            .shown
            .iter()
            .filter_map(|id| self.product(id))
            .collect();
        let focus = session.focus.as_deref().and_then(|id| self.product(id));
        let change = session.search.update(&u, &shown, focus);
        let state = session.search.clone();
        tracing::debug!(?change, ?state, "search state");
        self.search_state(&state, change, &u, plan)?;
        session.search.last_count = Some(plan.products.len());
        session.shown_label = plan.asked.describe();
        Ok(())
    }

    /// Runs the search a state describes and fills the plan: products, what was asked (for
    /// the reply), the closest product when nothing fits, and the upsell anchor.
    fn search_state(
        &self,
        state: &SearchState,
        change: StateChange,
        u: &Understanding,
        plan: &mut Plan,
    ) -> Result<()> {
        let catalog_currency = self.searcher.index().manifest().currency;
        let mut words: Vec<String> = vec![state.terms.trim().to_string()];
        if content_words(&state.terms, state.brand.as_deref()).is_empty()
            && let Some(leaf) = state.category.as_ref().and_then(|p| p.last())
        {
            words.insert(0, leaf.clone());
        }
        for a in &state.attributes {
            if !state.terms.contains(a.as_str()) {
                words.push(a.clone());
            }
        }
        if let Some(b) = &state.brand
            && !state.terms.to_lowercase().contains(&b.to_lowercase())
        {
            words.insert(0, b.clone());
        }
        // Exact sizes help the text match ("43" in "108 cm (43 inches)").
        for s in &state.specs {
            if let (Some(lo), Some(hi)) = (s.min, s.max)
                && hi - lo < 0.1 * hi
            {
                words.push(s.text.clone());
            }
        }
        let query = words
            .iter()
            .filter(|w| !w.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        if query.trim().is_empty() {
            // "Cheaper?" or "any brand" with no product asked for yet: ask which.
            plan.unclear = true;
            return Ok(());
        }
        let vector = (query == u.query)
            .then_some(u.query_vector.as_deref())
            .flatten();
        let (mut min_price, mut max_price) =
            self.price_range(state.budget.as_ref(), state.category.as_deref());
        let mut min_rating = None;
        let mut size_bound: Option<(SpecKind, f64, bool)> = None;
        if let Some(r) = &state.relative {
            // Strict: one paisa (or cent) past the bound.
            match (r.direction.measure, r.direction.more) {
                (Measure::Price, false) => {
                    max_price =
                        Some(max_price.map_or(r.bound - 0.01, |m: f64| m.min(r.bound - 0.01)))
                }
                (Measure::Price, true) => {
                    min_price =
                        Some(min_price.map_or(r.bound + 0.01, |m: f64| m.max(r.bound + 0.01)))
                }
                (Measure::Rating, _) => min_rating = Some(r.bound),
                (Measure::Size, more) => {
                    size_bound = r.kind.map(|k| (k, r.bound, more));
                }
            }
        }
        let filter = Filter {
            category_path: state.category.clone(),
            category: None,
            min_price,
            max_price,
            min_rating: None,
            in_stock: true,
        };
        let wanted = self.config.products_shown;
        let narrowed = state.sort.is_some()
            || state.relative.is_some()
            || !state.specs.is_empty()
            || state.brand.is_some();
        let pool = if narrowed {
            STATE_POOL
        } else {
            wanted * crate::search::VARIANT_OVERFETCH
        };
        let mut hits = self.retrieve(&query, vector, &filter, pool)?;
        let products = self.searcher.index().products();
        // "Double door fridge" in a shop without fridges: bag sealers are no answer.
        // A kind named now: by a word known as a product, or by a search that starts over.
        let kind_named = u.names_product || change == StateChange::Reset;
        if kind_named
            && let Some(top) = hits.first()
            && self.kind_not_sold(&state.terms, &query, vector, top.row)?
        {
            hits.clear();
            plan.not_sold = true;
        }
        // A product's specs are read once per check, however many sizes are wanted.
        let fits_specs = |p: &Product| crate::understand::SpecWant::all_fit(&state.specs, p);
        // Hard constraints first: sizes, and the bounds of a move.
        hits.retain(|h| {
            let p = &products[h.row];
            fits_specs(p)
                && min_rating.is_none_or(|bound| {
                    p.rating.is_some_and(|r| f64::from(r) > bound + 1e-6) && p.rating_count > 0
                })
                && size_bound.is_none_or(|(kind, bound, more)| {
                    spec_value(p, kind).is_some_and(|v| {
                        if more {
                            v > bound + 1e-6
                        } else {
                            v < bound - 1e-6
                        }
                    })
                })
        });
        // Then the brand, and features that are specs without a number ("4k", "braided",
        // "wireless") or colours, each narrowing the list when some matches have it.
        if let Some(brand) = state.brand.as_deref().map(str::to_lowercase) {
            let is_brand = |row: usize| {
                products[row]
                    .brand
                    .as_deref()
                    .is_some_and(|b| b.to_lowercase() == brand)
            };
            if hits.iter().any(|h| is_brand(h.row)) {
                hits.retain(|h| is_brand(h.row));
            } else if !hits.is_empty() {
                // Other brands are shown: the reply must not say they are the one asked
                // for. A brand word the matches' own titles use ("instant" in "instant water
                // heater") was a word for the product, not a brand.
                let top: Vec<&Product> = hits.iter().take(4).map(|h| &products[h.row]).collect();
                let word = [brand.trim_end_matches('s').to_string()];
                let titled = top
                    .iter()
                    .filter(|p| crate::search::names_any(p, &word))
                    .count();
                if 2 * titled < top.len() {
                    plan.brand_missing = state.brand.clone();
                }
            }
        }
        for a in &state.attributes {
            let feature = state::Feature::new(a);
            if hits.iter().any(|h| feature.held_by(&products[h.row])) {
                hits.retain(|h| feature.held_by(&products[h.row]));
            }
        }
        // A list in another order than relevance keeps to the kinds of product the best
        // matches are (no immersion rod in "the cheapest ceiling fan").
        if state.sort.is_some() || state.relative.is_some() {
            let top: Vec<&Product> = hits.iter().take(5).map(|h| &products[h.row]).collect();
            let kinds = crate::search::kind_words(&content_words(&state.terms, None), &top);
            if !kinds.is_empty() {
                hits.retain(|h| crate::search::names_any(&products[h.row], &kinds));
            }
        }
        if let Some(order) = state.sort {
            let rows: Vec<&Product> = hits.iter().map(|h| &products[h.row]).collect();
            let kind = state::size_kind(order.kind, &rows);
            sort_hits(&mut hits, products, order, kind);
            // "Which one has the best reviews?" where none has a rating: said, not implied.
            plan.unrated = order.measure == Measure::Rating
                && !hits.is_empty()
                && hits
                    .iter()
                    .take(wanted)
                    .all(|h| products[h.row].rating_count == 0);
        }
        // Colour and size variants of one model show once, with "also in".
        plan.products = crate::search::shown(self.searcher.index(), &hits, wanted);
        let money = |v: Option<f64>| v.and_then(|v| Money::from_amount(v, catalog_currency).ok());
        // The reply restates the shopper's own bounds, never derived ones ("cheaper than
        // what was shown", "the lower third of prices").
        let stated = state.budget.clone().unwrap_or_default();
        let relative = state.relative.as_ref().and_then(|r| {
            let p = self.product(&r.from)?;
            Some(compose::RelativeTo {
                direction: r.direction,
                value: match (r.direction.measure, r.kind) {
                    (Measure::Price, _) => crate::catalog::present::price_text(p.price),
                    (Measure::Rating, _) => format!("rated {:.1}", r.bound),
                    (Measure::Size, Some(kind)) => crate::catalog::present::all_specs(p)
                        .into_iter()
                        .find(|h| h.kind == kind)
                        .map_or_else(String::new, |h| h.text),
                    (Measure::Size, None) => String::new(),
                },
                product: ProductView::of(p),
            })
        });
        // The label names the product in the shopper's words, with up to two one-word
        // features ("braided usb c cable"); brand, sizes and moves are said by `describe`.
        let mut label = search_label(
            &state.terms,
            state.category.as_deref(),
            state.brand.as_deref(),
        );
        let lower = label.to_lowercase();
        let squeezed = connector_spelling(&lower.replace([' ', '-'], ""));
        for a in state.attributes.iter().filter(|a| !a.contains(' ')).take(2) {
            let said = a
                .split('-')
                .all(|part| lower.split_whitespace().any(|w| w == part))
                || squeezed.contains(&connector_spelling(&a.replace('-', "")));
            if !said {
                // A part already in the label goes with the feature: "type c cable" lost
                // "type" as filler, and reads "type-c cable", not "type-c c cable".
                let parts: Vec<&str> = a.split('-').collect();
                let rest: Vec<&str> = label
                    .split_whitespace()
                    .filter(|w| !parts.contains(&w.to_lowercase().as_str()))
                    .collect();
                label = format!("{a} {}", rest.join(" ")).trim().to_string();
            }
        }
        plan.asked = compose::Asked {
            label,
            min_price: money(stated.min),
            max_price: money(stated.max),
            around: money(stated.around),
            cheap: stated.cheap,
            relative,
            specs: state.specs.iter().map(|s| s.text.clone()).collect(),
            // No "best rated first" over products that have no ratings.
            sort: state.sort.filter(|_| !plan.unrated),
            // Other brands shown are not called the one asked for.
            brand: state.brand.clone().filter(|_| plan.brand_missing.is_none()),
            attributes: state.attributes.clone(),
            message: u.query.clone(),
        };
        if plan.products.is_empty() && state.relative.is_none() && !plan.not_sold {
            plan.closest = self.closest(state, &query, vector, &filter, fits_specs)?;
        }
        // A shopper moving down in price ("cheaper?", "the cheapest") is not offered a
        // pricier step up.
        let price_down = |d: &Direction| d.measure == Measure::Price && !d.more;
        let wants_less = state
            .relative
            .as_ref()
            .is_some_and(|r| price_down(&r.direction))
            || state.sort.as_ref().is_some_and(price_down);
        plan.no_upsell |= wants_less;
        plan.upsell_anchor = plan.products.first().map(|p| p.id.clone());
        plan.new_list = true;
        Ok(())
    }

    /// Whether the search words name a kind of product the shop does not sell: their head
    /// noun ("fridge" in "double door fridge") is in no product's title or category, is not
    /// a word for any product ("gift", "something"), and the best match (`top`, a row) is
    /// not close in meaning either: cosine below [`NOT_SOLD_SIMILARITY`].
    fn kind_not_sold(
        &self,
        terms: &str,
        query: &str,
        vector: Option<&[f32]>,
        top: usize,
    ) -> Result<bool> {
        const ANY_KIND: &[&str] = &[
            "gift",
            "present",
            "item",
            "product",
            "thing",
            "stuff",
            "accessory",
            "accessorie",
            "idea",
            "option",
            "one",
            "model",
            "brand",
            "deal",
            "offer",
            "combo",
            "set",
            "kit",
        ];
        let content = content_words(terms, None);
        let Some(head) = crate::search::head_words(terms, &content).pop() else {
            return Ok(false);
        };
        if ANY_KIND.contains(&head.as_str()) || !head.chars().all(char::is_alphabetic) {
            return Ok(false);
        }
        let index = self.searcher.index();
        // The one dot product first; the catalog scan only when the match is far.
        let owned;
        let vector = match vector {
            Some(v) => v,
            None => {
                owned = self.searcher.embed_query(query)?;
                &owned
            }
        };
        let similarity = index.vectors().score(vector, top);
        tracing::debug!(terms, similarity, "best match of the kind asked for");
        if similarity >= NOT_SOLD_SIMILARITY {
            return Ok(false);
        }
        let words = std::slice::from_ref(&head);
        Ok(!index
            .products()
            .iter()
            .any(|p| crate::search::names_any(p, words)))
    }

    /// When nothing fits: the product nearest the budget that still has the asked specs
    /// ("65 inch tv under 5000": the cheapest 65-inch TV), else the nearest in price.
    fn closest(
        &self,
        state: &SearchState,
        query: &str,
        vector: Option<&[f32]>,
        filter: &Filter,
        fits_specs: impl Fn(&Product) -> bool,
    ) -> Result<Option<ProductView>> {
        let relaxed = Filter {
            min_price: None,
            max_price: None,
            ..filter.clone()
        };
        let target = filter.max_price.or(filter.min_price);
        let products = self.searcher.index().products();
        let candidates: Vec<&Product> = self
            .retrieve(query, vector, &relaxed, STATE_POOL)?
            .iter()
            .map(|h| &products[h.row])
            .collect();
        // The closest is still the kind of product asked for: one whose title or category
        // has a word of the search, when any has (a shop without tents names no TV instead).
        let words: Vec<String> = content_words(&state.terms, state.brand.as_deref())
            .into_iter()
            .map(|w| w.trim_end_matches('s').to_string())
            .collect();
        let candidates: Vec<&Product> = candidates
            .into_iter()
            .filter(|p| words.is_empty() || crate::search::names_any(p, &words))
            .collect();
        let brand = state.brand.as_deref().map(str::to_lowercase);
        let of_brand = |p: &&&Product| {
            brand
                .as_ref()
                .is_none_or(|b| p.brand.as_deref().is_some_and(|pb| pb.to_lowercase() == *b))
        };
        let nearest = |only_fitting: bool| {
            let fitting = candidates
                .iter()
                .filter(|p| !only_fitting || fits_specs(p))
                .filter(of_brand);
            match target {
                Some(t) => fitting
                    .filter_map(|p| p.price.map(|m| (p, (m.amount() - t).abs())))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(p, _)| ProductView::of(p)),
                None => fitting.take(1).map(|p| ProductView::of(p)).next(),
            }
        };
        if target.is_none() && state.specs.is_empty() {
            return Ok(None);
        }
        Ok(nearest(true).or_else(|| nearest(false)))
    }

    fn retrieve(
        &self,
        query: &str,
        vector: Option<&[f32]>,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<crate::search::Hit>> {
        // The understanding step embedded the message already: reuse it when it is the query.
        Ok(match vector {
            Some(v) => {
                let fusion = self.searcher.fusion();
                self.searcher
                    .search_embedded(query, Some(v), filter, limit, fusion)?
            }
            None => self.searcher.retrieve(query, filter, limit)?,
        })
    }

    /// The price filter for a budget: bounds as stated, "around" as a band, "cheap" as the
    /// lowest third of the category's prices.
    fn price_range(
        &self,
        budget: Option<&Budget>,
        category: Option<&[String]>,
    ) -> (Option<f64>, Option<f64>) {
        let Some(b) = budget else {
            return (None, None);
        };
        let (mut min, mut max) = (b.min, b.max);
        if let Some(around) = b.around {
            min = min.or(Some(around * (1.0 - AROUND_BAND)));
            max = max.or(Some(around * (1.0 + AROUND_BAND)));
        }
        if b.cheap && max.is_none() {
            let mut prices: Vec<f64> = self
                .searcher
                .index()
                .products()
                .iter()
                .filter(|p| p.in_stock && category.is_none_or(|c| p.category_path.starts_with(c)))
                .filter_map(|p| p.price.map(|m| m.amount()))
                .collect();
            prices.sort_by(f64::total_cmp);
            if !prices.is_empty() {
                max = Some(prices[(prices.len() - 1) / 3]);
            }
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return (Some(hi), Some(lo));
        }
        (min, max)
    }

    /// One cross-sell and one upsell for the session, neither declined nor just made.
    fn suggest(
        &self,
        session: &Session,
        plan: &Plan,
    ) -> Result<(Option<Suggestion>, Option<Suggestion>)> {
        // The complement goes with what the reply is about (so "to go with it" is true); a
        // turn about no product falls back to what the session viewed, carted and bought.
        let mut anchors: Vec<String> = Vec::new();
        if let Some(top) = plan.products.first() {
            anchors.push(top.id.clone());
        } else {
            let viewed_from = session.viewed.len().saturating_sub(VIEWED_ANCHORS);
            for id in session.viewed[viewed_from..]
                .iter()
                .chain(&session.cart)
                .chain(&session.bought)
            {
                anchors.retain(|a| a != id);
                anchors.push(id.clone());
            }
        }
        let mut exclude: Vec<String> = session.declined.clone();
        exclude.extend(plan.products.iter().map(|p| p.id.clone()));
        exclude.extend(session.cart.iter().cloned());
        exclude.extend(session.bought.iter().cloned());
        // Not declined, not just made, and no colour of a model already on screen.
        let on_screen: Vec<_> = plan.products.iter().map(variant_key).collect();
        let fresh = |s: &Suggestion| {
            !session.is_declined(&s.product.id)
                && !session.suggested.contains(&s.product.id)
                && !on_screen.contains(&variant_key(&s.product))
        };
        let cross = if anchors.is_empty() {
            None
        } else {
            let mut request = Request::new(anchors, SUGGESTION_POOL);
            request.kind = Kind::Cross;
            request.exclude = exclude.clone();
            request.session = Some(session.id.clone());
            request.customer = session.customer_id.clone();
            let recs = self.recommender.recommend(&request)?;
            recs.cross_sell.into_iter().find(|s| fresh(s))
        };
        let upsell_anchor = plan.upsell_anchor.clone().or_else(|| session.focus.clone());
        let up = match upsell_anchor {
            Some(anchor)
                if !plan.no_upsell && !session.search.budget.as_ref().is_some_and(|b| b.cheap) =>
            {
                let mut request = Request::new(vec![anchor.clone()], SUGGESTION_POOL);
                request.kind = Kind::Up;
                request.exclude = exclude;
                request.session = Some(session.id.clone());
                request.budget = self.budget_money(session.search.budget.as_ref(), &anchor);
                request.specs = session.search.specs.clone();
                let recs = self.recommender.recommend(&request)?;
                recs.upsell.into_iter().find(|s| fresh(s))
            }
            _ => None,
        };
        Ok((cross, up))
    }

    /// The stated budget's ceiling as money in the anchor's currency.
    fn budget_money(&self, budget: Option<&Budget>, anchor: &str) -> Option<Money> {
        let max = budget?.max?;
        let currency = self.product(anchor)?.price?.currency;
        Money::from_amount(max, currency).ok()
    }

    /// Writes the reply: the composer's text from facts, with a model-written opener or a
    /// model reply when `[dialogue] writer` asks for one (each model sentence through the
    /// grounding check). Returns the text, the grounding report and when the first text was
    /// sent.
    #[allow(clippy::too_many_arguments)]
    fn reply(
        &self,
        u: &Understanding,
        message: &str,
        empty: bool,
        plan: &Plan,
        cross: Option<&Suggestion>,
        up: Option<&Suggestion>,
        upsell_anchor: Option<&ProductView>,
        seed: u64,
        delivery: Option<Delivery>,
        on_event: &mut dyn FnMut(TurnEvent),
    ) -> Result<Written> {
        let reviews = self.recommender.reviews();
        let searched = matches!(u.intent, Intent::Search | Intent::Compare) && plan.new_list;
        let input = compose::Compose {
            intent: if u.intent == Intent::Compare && searched {
                Intent::Search
            } else {
                u.intent
            },
            products: &plan.products,
            cross_sell: cross,
            upsell: up.map(|s| (s, upsell_anchor)),
            asked: searched.then_some(&plan.asked),
            closest: plan.closest.as_ref(),
            bought_kind: plan.bought_kind.as_deref(),
            answer: plan.answer.as_ref(),
            reviews: &reviews,
            declined: u.declined,
            injection: u.injection,
            empty: empty || u.noise,
            currency: plan.currency.clone(),
            thanks: is_thanks(message),
            need: plan.need.as_ref(),
            older_list: plan.older_list.as_deref(),
            unclear: plan.unclear,
            not_sold: plan.not_sold,
            unrated: plan.unrated,
            brand_missing: plan.brand_missing.clone(),
            seed,
        };
        let composed = compose::compose(self.prompts.wordings(), &input);
        let mut report = GroundingReport::default();
        let writer = self.config.writer_for(u.intent);
        let use_model = writer != Writer::Composer
            && delivery.is_some()
            && !empty
            && !u.noise
            && !u.injection
            && !u.declined
            && plan.currency.is_none()
            // A greeting is already one friendly sentence: an opener would only repeat it.
            && !(writer == Writer::Opener && u.intent == Intent::Smalltalk)
            && reply::model_writes(u.intent, !plan.products.is_empty());
        // When replies already queue for the model, the composer answers at once instead: a
        // grounded reply now beats a better-worded one many seconds later.
        let model_busy = |m: &Arc<dyn ChatModel>| {
            m.queue_load()
                .is_some_and(|(_, waiting)| waiting >= self.config.max_model_waiting)
        };
        let Some(model) = self.model.as_ref().filter(|m| use_model && !model_busy(m)) else {
            on_event(TurnEvent::Token {
                text: composed.clone(),
            });
            return Ok(Written {
                text: composed,
                grounding: report,
                first: Some(Instant::now()),
                usage: None,
            });
        };
        report.model = true;
        let mut first: Option<Instant> = None;
        let in_prompt: Vec<&ProductView> = plan
            .products
            .iter()
            .take(self.config.products_in_prompt)
            .collect();
        let (prompt, fact_views, max_tokens): (String, Vec<&ProductView>, usize) = match writer {
            Writer::Opener => (
                self.prompts.render(
                    "opener.txt",
                    serde_json::json!({
                        "message": crate::understand::clip(message, MAX_MESSAGE_CHARS),
                        "task": reply::task(u.intent),
                    }),
                )?,
                Vec::new(),
                OPENER_MAX_TOKENS,
            ),
            _ => {
                let facts = reply::ReplyFacts {
                    products: in_prompt
                        .iter()
                        .map(|p| {
                            let review = reviews
                                .get(&p.id)
                                .filter(|_| reply::wants_reviews(u.intent));
                            reply::product_facts(p, review, plan.aspect)
                        })
                        .collect(),
                    cross_sell: cross.map(reply::suggestion_facts),
                    upsell: up.map(reply::suggestion_facts),
                    task: reply::task(u.intent).to_string(),
                    message: crate::understand::clip(message, MAX_MESSAGE_CHARS).to_string(),
                };
                let mut views = in_prompt.clone();
                views.extend(cross.iter().chain(up.iter()).map(|s| &s.product));
                (
                    self.prompts.render("reply.txt", &facts)?,
                    views,
                    self.config.reply_max_tokens,
                )
            }
        };
        let fact_products: Vec<&Product> = fact_views
            .iter()
            .filter_map(|v| self.product(&v.id))
            .collect();
        let reasons: Vec<&str> = match writer {
            Writer::Opener => Vec::new(),
            _ => cross
                .iter()
                .chain(up.iter())
                .map(|s| s.reason.text.as_str())
                .collect(),
        };
        let mut extra: Vec<&str> = vec![message];
        extra.extend(reasons);
        let grounding_facts = Facts::new(&self.vocabulary, fact_products, &extra);
        let mut grounder = Grounder::new(&grounding_facts);
        let mut request = GenerateRequest::new(vec![
            Message::new(Role::System, self.system_prompt.clone()),
            Message::new(Role::User, prompt),
        ]);
        request.sampling = Sampling::default();
        // A reply goes past its soft limit only to finish a sentence; an opener is cut hard.
        request.max_tokens = match writer {
            Writer::Opener => max_tokens,
            _ => max_tokens + FINISH_SENTENCE_TOKENS,
        };
        // The first line of grounding: a local model cannot write a number, a brand or a claim
        // the facts lack.
        request.grounded_numbers = Some(grounding_facts.numbers());
        request.grounded_words = Some(grounding_facts.word_rules());
        // The reply is one short paragraph: a new line starts lists or a made-up next turn.
        request.stop = vec!["\n".into(), "Customer:".into()];
        let mut failed = false;
        let mut cut = false;
        let mut spent = None;
        // An opener is one finished, grounded sentence: generation stops at the first one.
        let opener = writer == Writer::Opener;
        let mut opening = String::new();
        // Tokens the model grounds itself are shown at once; the sentence check then only
        // takes back what it rejects.
        let live = delivery == Some(Delivery::Tokens) && model.grounds_tokens() && !opener;
        let mut shown = String::new();
        let mut deltas = 0usize;
        match model.generate(request) {
            Ok(stream) => {
                for event in stream {
                    match event {
                        Ok(Event::Delta { text }) if opener => {
                            opening.push_str(&grounder.push(&text));
                            if grounder.sentences() > 0 {
                                break;
                            }
                        }
                        Ok(Event::Delta { text }) => {
                            deltas += 1;
                            if live {
                                let fresh = if shown.is_empty() {
                                    text.trim_start()
                                } else {
                                    text.as_str()
                                };
                                shown.push_str(fresh);
                                send(on_event, fresh.to_string(), &mut first);
                                let removed = grounder.removed().len();
                                grounder.push(&text);
                                if grounder.removed().len() > removed {
                                    take_back(on_event, &grounder, &mut shown, &mut report);
                                }
                            } else {
                                send(on_event, grounder.push(&text), &mut first);
                            }
                            // Past the soft limit, the reply ends with the sentence it is in.
                            if deltas >= max_tokens && grounder.unchecked().trim().is_empty() {
                                break;
                            }
                        }
                        Ok(Event::Done { usage, finish }) => {
                            tracing::debug!(?usage, "reply generated");
                            spent = Some(usage);
                            cut = finish == FinishReason::Length;
                            break;
                        }
                        Err(e) => {
                            tracing::warn!("reply generation failed: {e}");
                            failed = true;
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!("reply generation refused: {e}");
                failed = true;
            }
        }
        if !opener {
            if cut {
                if let Some(dropped) = grounder.cut() {
                    report.cut = true;
                    tracing::debug!(dropped, "unfinished sentence at the token limit dropped");
                }
            } else if failed {
                // What was streamed of an unfinished sentence goes (held text is never sent).
                if live {
                    grounder.cut();
                }
            } else {
                let rest = grounder.finish();
                if !live {
                    send(on_event, rest, &mut first);
                }
            }
            // Streamed text the end did not keep (an unfinished or rejected last sentence).
            if live && grounder.emitted().trim() != shown.trim() {
                take_back(on_event, &grounder, &mut shown, &mut report);
            }
        }
        report.removed = grounder.removed().len();
        report.sentences = grounder.sentences();
        let mut text = if opener {
            // A question or an unfinished clause would lead nowhere before the facts.
            let kept = opening.trim();
            let finished = kept.ends_with(['.', '!']);
            let text = if finished {
                kept.to_string()
            } else {
                String::new()
            };
            send(on_event, text.clone(), &mut first);
            text
        } else {
            grounder.emitted().trim().to_string()
        };
        let nothing_left = text.chars().filter(|c| c.is_alphabetic()).count() < 2;
        if opener || nothing_left {
            // The opener is followed by the facts; a model reply with nothing grounded left
            // is replaced by them.
            report.fallback = writer != Writer::Opener;
            let lead = if text.is_empty() { "" } else { " " };
            if live && !shown.is_empty() {
                // Nothing the model streamed stands: the composer's reply replaces it.
                report.replaced += 1;
                on_event(TurnEvent::Replace {
                    text: composed.clone(),
                });
                first.get_or_insert_with(Instant::now);
            } else {
                send(on_event, format!("{lead}{composed}"), &mut first);
            }
            text = if text.is_empty() {
                composed
            } else {
                format!("{text} {composed}")
            };
        }
        Ok(Written {
            text,
            grounding: report,
            first,
            usage: spent,
        })
    }
}

/// Sends reply text (none when empty), noting when the first text went out.
fn send(on_event: &mut dyn FnMut(TurnEvent), text: String, first: &mut Option<Instant>) {
    if !text.is_empty() {
        first.get_or_insert_with(Instant::now);
        on_event(TurnEvent::Token { text });
    }
}

/// Takes back streamed model text the sentence check did not keep: what is shown becomes the
/// grounded sentences plus the sentence still being written.
fn take_back(
    on_event: &mut dyn FnMut(TurnEvent),
    grounder: &Grounder,
    shown: &mut String,
    report: &mut GroundingReport,
) {
    *shown = format!("{}{}", grounder.emitted(), grounder.unchecked())
        .trim_start()
        .to_string();
    report.replaced += 1;
    on_event(TurnEvent::Replace {
        text: shown.clone(),
    });
}

/// What a turn will show, decided before the reply.
#[derive(Debug, Clone, Default)]
struct Plan {
    /// Products to show, with their search scores.
    products: Vec<ProductView>,
    /// The product upsell is for, when not the one in focus.
    upsell_anchor: Option<String>,
    /// No upsell this turn.
    no_upsell: bool,
    /// The products are a new result list ("the second one" now points into it).
    new_list: bool,
    /// What the search asked for, for the reply.
    asked: compose::Asked,
    /// The product nearest to an unmet budget.
    closest: Option<ProductView>,
    /// What the customer said they bought, in their words, when it was no shown product.
    bought_kind: Option<String>,
    /// The answer to a question about the product in focus.
    answer: Option<compose::Answer>,
    /// The review aspect asked about.
    aspect: Option<&'static str>,
    /// A budget in another currency than the catalog's: (its code, the catalog's code).
    currency: Option<(String, String)>,
    /// What a "what do I need for it?" found.
    need: Option<compose::NeedAnswer>,
    /// The reply points into a list shown before other products: what that list was for.
    older_list: Option<String>,
    /// No suggestions this turn (the products shown are the complements already).
    no_suggestions: bool,
    /// A search move with nothing to search for yet: the reply asks what is wanted.
    unclear: bool,
    /// The search names a kind of product the shop does not sell.
    not_sold: bool,
    /// Sorted by rating, but none of the products shown has one.
    unrated: bool,
    /// The brand asked for, when none of the matches is of it (the list shows other brands).
    brand_missing: Option<String>,
}

impl Plan {
    /// Shows one more catalog product (ignored when the catalog no longer has it).
    fn push(&mut self, product: Option<&Product>) {
        if let Some(p) = product
            && !self.products.iter().any(|v| v.id == p.id)
        {
            self.products.push(ProductView::of(p));
        }
    }
}

/// The seed that picks a turn's wordings: the same session and turn give the same reply.
fn turn_seed(session: &str, turn: u32) -> u64 {
    session
        .bytes()
        .chain(turn.to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        })
}

/// Orders hits by a superlative: price up or down, best rated first (products with at least
/// [`MIN_RATINGS_TO_LEAD`] ratings ahead of the rest), or by a size spec (products without it
/// last). Ties keep their relevance order.
fn sort_hits(
    hits: &mut [crate::search::Hit],
    products: &[Product],
    order: Direction,
    kind: Option<SpecKind>,
) {
    let key = |row: usize| -> Option<f64> {
        let p = &products[row];
        match order.measure {
            Measure::Price => p.price.map(|m| m.amount()),
            Measure::Rating => p.rating.map(|r| {
                let proven = if p.rating_count >= MIN_RATINGS_TO_LEAD {
                    10.0
                } else {
                    0.0
                };
                f64::from(r) + proven
            }),
            Measure::Size => kind.and_then(|k| spec_value(p, k)),
        }
    };
    let keys: std::collections::HashMap<usize, Option<f64>> =
        hits.iter().map(|h| (h.row, key(h.row))).collect();
    hits.sort_by(|a, b| {
        let (ka, kb) = (keys[&a.row], keys[&b.row]);
        match (ka, kb) {
            (Some(x), Some(y)) => {
                if order.more {
                    y.total_cmp(&x)
                } else {
                    x.total_cmp(&y)
                }
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    });
}

/// What was searched for in a shopper's words: the query without filler (and without the
/// brand, which the reply names separately), else the category's name.
fn search_label(query: &str, category: Option<&[String]>, brand: Option<&str>) -> String {
    let brand = brand.map(str::to_lowercase);
    let kept = |w: &&str| {
        let w = w.to_lowercase();
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        !w.is_empty() && !state::FILLER_WORDS.contains(&w) && brand.as_deref() != Some(w)
    };
    let all: Vec<&str> = query.split_whitespace().collect();
    // The product is named before "for", "with" or "that": "memory card for my camera" is
    // memory cards, "a tv with good sound" is TVs (what it is for, or has, is said apart).
    let words: Vec<&str> = crate::search::before_purpose(&all, kept)
        .iter()
        .copied()
        .filter(kept)
        .collect();
    // Shoppers type "tv" and "usb"; the reply writes them as they are printed.
    let words: Vec<String> = words.iter().map(|w| as_printed(w)).collect();
    let leaf = category.and_then(|c| c.last()).map(|l| {
        l.split_whitespace()
            .map(|w| as_printed(&w.to_lowercase()))
            .collect::<Vec<_>>()
            .join(" ")
    });
    match leaf {
        Some(leaf) if words.len() > 4 || words.is_empty() => leaf,
        None if words.is_empty() => "products".into(),
        _ if words.len() > 4 => words[..4].join(" "),
        _ => words.join(" "),
    }
}

/// One spelling for a connector written several ways, in text without spaces or hyphens:
/// "type-c", "usb c" and "usb-c" are the same plug.
fn connector_spelling(squeezed: &str) -> String {
    squeezed.replace("typec", "usbc")
}

/// Whether a message word (lowercase) reads as a model number or code ("255", "m13",
/// "wh-1000xm4" pieces, "8210"), given the words around it: not a size or amount with its
/// unit ("6000mah", "43 inch", "15k", "₹ 299" after "rs"), not an ordinal ("2nd") and not a
/// number under 100 (a count, a rating, "no 2") and not a year.
fn is_model_code(word: &str, before: &str, after: &str) -> bool {
    const UNITS: &[&str] = &[
        "mah", "gb", "tb", "mb", "w", "kw", "v", "mm", "cm", "m", "km", "l", "ml", "ltr", "inch",
        "inches", "in", "ft", "feet", "k", "hz", "khz", "mhz", "ghz", "mp", "kg", "g", "gm", "lb",
        "lbs", "oz", "x", "st", "nd", "rd", "th", "h", "hr", "hrs", "hours", "min", "mins", "pcs",
        "pc", "pack", "person", "people", "seater", "ton", "rs", "inr", "rupees", "rupee",
        "dollars", "watt", "watts", "p",
    ];
    const MONEY_BEFORE: &[&str] = &[
        "rs", "inr", "under", "below", "above", "over", "around", "upto", "within", "about",
        "than", "costs", "cost", "is", "usd", "eur",
    ];
    if !word.chars().any(|c| c.is_ascii_digit()) || word.len() < 2 {
        return false;
    }
    let letters: String = word.chars().skip_while(char::is_ascii_digit).collect();
    let digits_first = word.starts_with(|c: char| c.is_ascii_digit());
    if digits_first && (letters.is_empty() || UNITS.contains(&letters.as_str())) {
        if !letters.is_empty() || UNITS.contains(&after) || MONEY_BEFORE.contains(&before) {
            return false;
        }
        // A bare number: a model number from three digits up ("255", "8210"), not a year
        // ("the 2023 model").
        return word.len() >= 3
            && word
                .parse::<u64>()
                .is_ok_and(|n| n >= 100 && !(1990..=2039).contains(&n));
    }
    true
}

/// Suggestions help when shopping, never in a complaint, smalltalk or off-topic turn.
fn suggests(intent: Intent) -> bool {
    !matches!(
        intent,
        Intent::ComplaintOrSupport | Intent::Smalltalk | Intent::Other
    )
}

fn is_thanks(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "thank",
        "thanks",
        "thx",
        "shukriya",
        "dhanyavad",
        "bye",
        "great",
    ]
    .iter()
    .any(|w| m.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_codes_are_not_prices_sizes_ordinals_or_years() {
        assert!(is_model_code("255", "the", ""));
        assert!(is_model_code("8210", "nokia", ""));
        assert!(is_model_code("m13", "galaxy", "5g"));
        assert!(!is_model_code("6000mah", "", "wala"));
        assert!(!is_model_code("43", "the", "inch"));
        assert!(!is_model_code("500", "under", ""));
        assert!(!is_model_code("2nd", "the", "one"));
        assert!(!is_model_code("2023", "the", "model"));
        assert!(!is_model_code("15k", "", ""));
    }

    #[test]
    fn a_search_is_named_by_its_product_not_by_what_it_is_for_or_has() {
        let label = |q: &str| search_label(q, None, None);
        assert_eq!(label("memory card for my camera"), "memory card");
        assert_eq!(label("a tv with good sound"), "TV");
        assert_eq!(label("charger that works with my phone"), "charger");
        // With nothing before the boundary, the words after it are all there is.
        assert_eq!(label("something for cooking"), "cooking");
        let tvs = ["Electronics".to_string(), "Televisions".to_string()];
        assert_eq!(
            search_label("for my living room", Some(&tvs), None),
            "living room"
        );
        assert_eq!(search_label("", Some(&tvs), None), "televisions");
    }

    #[test]
    fn connector_spellings_are_one_plug() {
        assert_eq!(connector_spelling("typec"), connector_spelling("usbc"));
        assert_ne!(connector_spelling("microusb"), connector_spelling("usbc"));
    }
}
