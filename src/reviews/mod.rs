//! What customers say about a product: aspect-level sentiment ("durability", "sound",
//! "value"...) and a one- or two-sentence summary, from review text alone.
//!
//! The method is a lexicon one, chosen to be deterministic, explainable and fast (a whole
//! catalog in milliseconds), and to work on any shop's catalog without training data:
//!
//! 1. Review text is cut into clauses at punctuation, commas, "but"/"however"/"except", and
//!    run-on sentence joins ("Charging is fine tooNo complains").
//! 2. In each clause, aspect cues ("battery backup", "bass", "packaging") and opinion phrases
//!    ("good", "stopped working", "waste of money") are matched longest-first. Negators
//!    ("not", "no", "doesnt", "without") flip an opinion up to three words later, so "no
//!    complaints" is praise; intensifiers ("very", "a bit") scale it.
//! 3. Each opinion is bound to the aspect it judges ("display *is* good", "good *display*",
//!    or the aspect the word implies on its own, like "slow" for performance). A clause that
//!    only says "except the connectivity" turns the previous clause's verdict around.
//! 4. Per aspect, each clause counts as one positive or negative mention; the score
//!    `(positive - negative) / (mentions + 2)` shrinks thin evidence toward 0. Overall
//!    sentiment weighs every clause's opinion strength the same way.
//! 5. The summary is built from the tallies and fixed wording only, never from review text,
//!    so instructions planted in reviews cannot reach customers or the chat model.
//!
//! [`agreement()`] checks the analysis against star ratings, which needs no labelled data.

mod agreement;
mod analysis;
mod aspects;
mod lexicon;
mod summary;
mod text;

#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::Product;

/// File the review analysis is stored in, inside an index generation.
pub const REVIEWS_FILE: &str = "reviews.jsonl";

/// Sentiment about one aspect of one product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AspectSentiment {
    /// Fixed lowercase identifier, one of [`ASPECTS`], e.g. `"durability"`.
    pub aspect: String,
    /// Review clauses that praise the aspect.
    pub positive: u32,
    /// Review clauses that criticise the aspect.
    pub negative: u32,
    /// From -1 (all negative) to 1 (all positive), shrunk toward 0 when mentions are few.
    pub score: f32,
}

/// What a product's reviews say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewSummary {
    /// The product's id.
    pub product_id: String,
    /// Review snippets analysed (a merged review object counts each review in it).
    pub reviews: u32,
    /// Overall sentiment, from -1 to 1; 0 when the reviews express no opinion.
    pub sentiment: f32,
    /// Aspects the reviews judge, best evidence first.
    pub aspects: Vec<AspectSentiment>,
    /// One or two sentences made from fixed wording and the aspect tallies only.
    pub summary: String,
}

impl ReviewSummary {
    /// The sentiment about aspect `name` (an identifier from [`ASPECTS`]), if reviews judge it.
    pub fn aspect(&self, name: &str) -> Option<&AspectSentiment> {
        self.aspects.iter().find(|a| a.aspect == name)
    }
}

/// Agreement between review sentiment and star ratings over products with both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// Products with a star rating and at least one review.
    pub products: usize,
    /// Pearson correlation of overall sentiment with the average star rating.
    pub pearson: f64,
    /// Spearman rank correlation of the same.
    pub spearman: f64,
    /// Products rated clearly well (>= 4.0 stars) or badly (< 3.5); the rest are skipped.
    pub polarity_products: usize,
    /// Share of those whose sentiment has the rating's sign (neutral sentiment is a miss).
    pub polarity_accuracy: f64,
    /// Per aspect: products whose reviews judge it, and the Pearson correlation of its score
    /// with the rating; most-judged aspects first.
    pub per_aspect: Vec<(String, usize, f64)>,
}

/// Reading or writing a stored analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read, written or replaced.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a valid [`ReviewSummary`].
    #[error("{}:{line}: {reason}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Result of reading or writing a stored analysis.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every aspect identifier the analysis can report, in a fixed order.
pub const ASPECTS: [&str; 16] = [
    "quality",
    "durability",
    "battery",
    "charging",
    "sound",
    "display",
    "camera",
    "design",
    "fit",
    "value",
    "delivery",
    "performance",
    "ease_of_use",
    "connectivity",
    "taste",
    "service",
];

/// How aspect `name` reads in an English sentence ("battery life", "value for money"), for
/// callers that phrase answers; `None` for an unknown identifier.
pub fn aspect_label(name: &str) -> Option<&'static str> {
    aspects::Aspect::from_id(name).map(aspects::Aspect::label)
}

/// Analyses one product's reviews. Deterministic and fast: only title and text of its
/// reviews are read, each capped at 20,000 characters.
pub fn analyze(product: &Product) -> ReviewSummary {
    analysis::analyze(product)
}

/// Finds the aspect a customer's question is about ("is it durable?" -> "durability", "how
/// is the bass" -> "sound", "battery backup?" -> "battery"), if any.
pub fn aspect_of_question(question: &str) -> Option<&'static str> {
    aspects::of_question(question).map(aspects::Aspect::id)
}

/// Agreement between review sentiment and star ratings over products with both; summaries
/// are matched to products by id.
pub fn agreement(products: &[Product], summaries: &[ReviewSummary]) -> Agreement {
    agreement::agreement(products, summaries)
}

/// Writes `summaries` as JSON lines, one per line, atomically: a temporary file in the same
/// directory is renamed over `path`, so readers never see half a file.
pub fn write(path: &Path, summaries: &[ReviewSummary]) -> Result<()> {
    let io = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    {
        let mut out = BufWriter::new(tmp.as_file_mut());
        for summary in summaries {
            serde_json::to_writer(&mut out, summary).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
        }
        out.flush().map_err(io)?;
    }
    // Flush to disk before the rename so a crash leaves the old file or the new, not a hole.
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Reads summaries written by [`write()`]. Blank lines are skipped; a line that is not a valid
/// summary (bad JSON, a score outside -1..1) fails with its file and line number.
pub fn read(path: &Path) -> Result<Vec<ReviewSummary>> {
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut summaries = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line_no = index + 1;
        let line = line.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let parse = |reason: String| Error::Parse {
            path: path.to_path_buf(),
            line: line_no,
            reason,
        };
        let summary: ReviewSummary =
            serde_json::from_str(&line).map_err(|e| parse(e.to_string()))?;
        check(&summary).map_err(parse)?;
        summaries.push(summary);
    }
    Ok(summaries)
}

/// Rejects values `analyze` never produces, which mean the file was damaged or hand-edited.
fn check(summary: &ReviewSummary) -> std::result::Result<(), String> {
    let in_range = |x: f32| (-1.0..=1.0).contains(&x);
    if !in_range(summary.sentiment) {
        return Err(format!("sentiment {} is outside -1..1", summary.sentiment));
    }
    for aspect in &summary.aspects {
        if !in_range(aspect.score) {
            return Err(format!(
                "score {} of aspect '{}' is outside -1..1",
                aspect.score, aspect.aspect
            ));
        }
    }
    Ok(())
}
