//! STUB: replaced by the deterministic parsers.
#![allow(missing_docs, dead_code)]
use super::{Budget, Intent, Reference};
use serde::Serialize;
pub struct Lexicon {
    brands: Vec<String>,
}
impl Lexicon {
    pub fn new(brands: impl IntoIterator<Item = String>) -> Lexicon {
        Lexicon {
            brands: brands.into_iter().collect(),
        }
    }
    pub fn with_attributes(self, _extra: impl IntoIterator<Item = String>) -> Lexicon {
        self
    }
}
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Parsed {
    pub intent: Option<Intent>,
    pub budget: Option<Budget>,
    pub attributes: Vec<String>,
    pub brand: Option<String>,
    pub references: Vec<Reference>,
    pub declined: bool,
    pub injection: bool,
    pub query: String,
}
pub fn parse(message: &str, _lexicon: &Lexicon) -> Parsed {
    Parsed {
        query: message.to_string(),
        ..Parsed::default()
    }
}
