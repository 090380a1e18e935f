//! Shared by the benches: deterministic randomness and an embedder that hands back vectors
//! computed beforehand.

#![allow(dead_code)]

use std::collections::HashMap;

use shopclerk::embed::Embedder;
use shopclerk::models::DEFAULT_EMBEDDER;

/// splitmix64: a small deterministic generator, enough for shuffling synthetic data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Hands back vectors computed beforehand, so the build is timed without embedding.
pub struct Precomputed {
    /// Vector of each embedding text.
    pub by_text: HashMap<String, Vec<f32>>,
    /// Vector length.
    pub dim: usize,
}

impl Embedder for Precomputed {
    fn dim(&self) -> usize {
        self.dim
    }
    fn model_id(&self) -> &str {
        DEFAULT_EMBEDDER
    }
    fn embed(&self, texts: &[&str]) -> shopclerk::embed::Result<Vec<Vec<f32>>> {
        Ok(texts
            .iter()
            .map(|t| {
                self.by_text
                    .get(*t)
                    .cloned()
                    .unwrap_or_else(|| vec![0.0; self.dim])
            })
            .collect())
    }
}

/// splitmix64 of one value: a stateless hash for deterministic draws.
pub fn mix(z: u64) -> u64 {
    Rng(z).next()
}
