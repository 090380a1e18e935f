//! shopclerk: a shop assistant for online stores.
//!
//! The library answers one question per module (see `ARCHITECTURE.md`): [`catalog`] reads
//! product files, [`models`] finds model weights, [`embed`] turns text into vectors, [`search`]
//! builds and queries the hybrid (BM25 + embedding) product index, [`recommend`] suggests
//! cross-sell and upsell items, [`llm`] runs the chat model, [`reviews`] reads what reviews say,
//! [`understand`] reads a customer's message, [`dialogue`] runs a conversation turn with
//! [`prompts`] for the model, [`config`] holds settings.
//! The `shopclerk` binary is a thin shell over it.
//!
//! ```
//! use shopclerk::catalog::{Currency, Money};
//! let price = Money::parse("₹1,099", Currency::USD).unwrap();
//! assert_eq!((price.minor, price.currency), (109_900, Currency::INR));
//! ```

pub mod catalog;
pub mod config;
pub mod dialogue;
pub mod embed;
pub mod llm;
pub mod models;
pub mod prompts;
pub mod recommend;
pub mod reviews;
pub mod search;
pub mod server;
pub mod understand;
