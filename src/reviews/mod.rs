//! STUB
#![allow(missing_docs, dead_code)]
use crate::catalog::Product;
use serde::{Deserialize, Serialize};
use std::path::Path;
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AspectSentiment {
    pub aspect: String,
    pub positive: u32,
    pub negative: u32,
    pub score: f32,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub product_id: String,
    pub reviews: u32,
    pub sentiment: f32,
    pub aspects: Vec<AspectSentiment>,
    pub summary: String,
}
impl ReviewSummary {
    pub fn aspect(&self, name: &str) -> Option<&AspectSentiment> {
        self.aspects.iter().find(|a| a.aspect == name)
    }
}
pub fn analyze(product: &Product) -> ReviewSummary {
    ReviewSummary {
        product_id: product.id.clone(),
        reviews: 0,
        sentiment: 0.0,
        aspects: vec![],
        summary: String::new(),
    }
}
pub fn aspect_of_question(_q: &str) -> Option<&'static str> {
    None
}
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub products: usize,
    pub pearson: f64,
    pub spearman: f64,
    pub polarity_products: usize,
    pub polarity_accuracy: f64,
    pub per_aspect: Vec<(String, usize, f64)>,
}
pub fn agreement(_p: &[Product], _s: &[ReviewSummary]) -> Agreement {
    todo!()
}
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("x")]
    X,
}
pub fn write(_path: &Path, _s: &[ReviewSummary]) -> Result<(), Error> {
    Ok(())
}
pub fn read(_path: &Path) -> Result<Vec<ReviewSummary>, Error> {
    Ok(vec![])
}
