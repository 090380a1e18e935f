//! Grounded names and claims at the token level: "the model may only name what the facts
//! name, and may not promise what the facts do not back".
//!
//! The companion of [`super::NumberConstraint`] for words. A reply's facts give two lists:
//! - **banned phrases**: brands of products the turn does not show (only when written as a
//!   name, capitalised, so a brand that is also a word stays usable as the word), and claims
//!   no fact backs ("warranty", "free delivery", "cashback"). A token that would complete one
//!   is never sampled. A stem bans its longer forms too ("deliver" bans "delivery").
//! - **name lines**: after a shown brand, the name-like words that follow it (capitalised, or
//!   holding a digit) must be words of that brand's own product titles, so "Samsung Galaxy"
//!   cannot be written when the only Samsung shown is a TV. A word being written must be a
//!   prefix of such a word.
//!
//! Words are runs of ASCII letters and digits or of non-ASCII bytes (the letters of other
//! scripts), compared in lower case. This is the first line of grounding; the sentence check
//! in `dialogue::grounding` applies the same rules to whole sentences as the second.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// How much written text is kept to match phrases and name lines against (bytes).
const TAIL_BYTES: usize = 96;
/// How many name-like words after a brand a name line covers (as the sentence check does).
const NAME_WORDS: usize = 3;

/// A phrase a reply may not write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannedPhrase {
    /// The phrase's words, lower case ("western digital", "free delivery").
    pub words: Vec<String>,
    /// Banned only when written as a name: its first letter upper case (or a digit).
    #[serde(default)]
    pub as_name: bool,
    /// The last word also bans the words it begins ("deliver": "delivery", "delivered").
    #[serde(default)]
    pub stem: bool,
}

impl BannedPhrase {
    /// A phrase from text, split into lower-case words.
    pub fn new(text: &str, as_name: bool, stem: bool) -> BannedPhrase {
        BannedPhrase {
            words: split_words(text),
            as_name,
            stem,
        }
    }
}

/// What a reply may name and claim: given with a request, applied while it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordRules {
    /// Phrases never written.
    #[serde(default)]
    pub banned: Vec<BannedPhrase>,
    /// For each shown brand (one word, lower case), the words of its products' titles (lower
    /// case): the only name-like words that may follow it.
    #[serde(default)]
    pub name_lines: HashMap<String, HashSet<String>>,
}

impl WordRules {
    /// Adds a shown product's title words to its brand's name line. Only a one-word brand has
    /// one (as in the sentence check).
    pub fn add_name_line(&mut self, brand: &str, title: &str) {
        if let [one] = split_words(brand).as_slice() {
            self.name_lines
                .entry(one.clone())
                .or_default()
                .extend(split_words(title));
        }
    }
}

/// The state of [`WordRules`] over a reply being written.
#[derive(Debug, Clone)]
pub struct WordConstraint {
    /// Phrases by their last word (whole-word ones).
    by_last: HashMap<String, Vec<usize>>,
    /// Phrases whose last word is a stem.
    stems: Vec<usize>,
    rules: WordRules,
    /// The end of what was written so far.
    tail: Vec<u8>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

fn split_words(text: &str) -> Vec<String> {
    text.as_bytes()
        .split(|b| !is_word_byte(*b))
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).to_lowercase())
        .collect()
}

/// Word spans `(start, end)` of `text`.
fn word_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, &b) in text.iter().enumerate() {
        match (is_word_byte(b), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Written as a name: capitalised, or starting with a digit.
fn name_start(word: &[u8]) -> bool {
    word.first()
        .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Name-like: capitalised or holding a digit ("Galaxy", "M13", "43").
fn name_like(word: &[u8]) -> bool {
    name_start(word) || word.iter().any(u8::is_ascii_digit)
}

/// The words of a phrase are one phrase when only a short run of spaces or marks without a
/// sentence end parts them ("customer's", "free  delivery").
fn joins_phrase(gap: &[u8]) -> bool {
    gap.len() <= 2 && !gap.iter().any(|b| matches!(b, b'.' | b'!' | b'?' | b'\n'))
}

/// A name goes on over a single space or hyphen ("Galaxy M13", "A-1300").
fn joins_name(gap: &[u8]) -> bool {
    gap == b" " || gap == b"-"
}

impl WordConstraint {
    /// The constraint of these rules, before anything is written.
    pub fn new(rules: WordRules) -> WordConstraint {
        let mut by_last: HashMap<String, Vec<usize>> = HashMap::new();
        let mut stems = Vec::new();
        for (i, phrase) in rules.banned.iter().enumerate() {
            let Some(last) = phrase.words.last() else {
                continue;
            };
            if phrase.stem {
                stems.push(i);
            } else {
                by_last.entry(last.clone()).or_default().push(i);
            }
        }
        WordConstraint {
            by_last,
            stems,
            rules,
            tail: Vec::new(),
        }
    }

    /// Feeds bytes; returns false (leaving the state unchanged) when they would write a banned
    /// phrase or a name its brand's products do not have.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> bool {
        match self.tail_after(bytes) {
            Some(tail) => {
                self.tail = tail;
                true
            }
            None => false,
        }
    }

    /// Whether these bytes may come next (the state is not changed, nothing is cloned but
    /// the short tail: this runs for every candidate token).
    pub fn accepts(&self, bytes: &[u8]) -> bool {
        self.tail_after(bytes).is_some()
    }

    /// The kept tail after `bytes`, or `None` when they break the rules.
    fn tail_after(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut text = self.tail.clone();
        let fresh = text.len();
        text.extend_from_slice(bytes);
        let spans = word_spans(&text);
        for (k, &(_, end)) in spans.iter().enumerate() {
            // Words the new bytes wrote, continued or ended are checked; the rest passed
            // before. A word the new bytes end (a space after it) is now whole.
            if end < fresh {
                continue;
            }
            let written = end < text.len();
            if self.completes_banned(&text, &spans[..=k])
                || !self.name_line_allows(&text, &spans[..=k], written)
            {
                return None;
            }
        }
        let keep = text.len().saturating_sub(TAIL_BYTES);
        // Cut the kept text at a word boundary, so no half word is matched later.
        let cut = (keep..text.len())
            .find(|&i| i == 0 || !is_word_byte(text[i - 1]))
            .unwrap_or(keep);
        Some(text[cut..].to_vec())
    }

    /// Whether the last word of `spans` completes a banned phrase. The last word counts as
    /// complete as soon as it equals the phrase's (a word is banned as it is written, not
    /// after it, so the model is never left inside a banned word).
    fn completes_banned(&self, text: &[u8], spans: &[(usize, usize)]) -> bool {
        let Some(&(start, end)) = spans.last() else {
            return false;
        };
        let last = String::from_utf8_lossy(&text[start..end]).to_lowercase();
        let candidates =
            self.by_last
                .get(&last)
                .into_iter()
                .flatten()
                .chain(self.stems.iter().filter(|&&i| {
                    self.rules.banned[i]
                        .words
                        .last()
                        .is_some_and(|stem| last.starts_with(stem.as_str()))
                }));
        candidates.into_iter().any(|&i| {
            let phrase = &self.rules.banned[i];
            let n = phrase.words.len();
            if spans.len() < n {
                return false;
            }
            let own = &spans[spans.len() - n..];
            let words_match = own[..n - 1]
                .iter()
                .zip(&phrase.words)
                .all(|(&(s, e), w)| String::from_utf8_lossy(&text[s..e]).to_lowercase() == *w);
            let joined = own
                .windows(2)
                .all(|pair| joins_phrase(&text[pair[0].1..pair[1].0]));
            let as_name = !phrase.as_name || name_start(&text[own[0].0..own[0].1]);
            words_match && joined && as_name
        })
    }

    /// Whether the last word of `spans`, when it continues a name after a shown brand, is one
    /// of that brand's title words (or, still being written, the start of one).
    fn name_line_allows(&self, text: &[u8], spans: &[(usize, usize)], written: bool) -> bool {
        if self.rules.name_lines.is_empty() {
            return true;
        }
        let Some(&(start, end)) = spans.last() else {
            return true;
        };
        let word = &text[start..end];
        if !name_like(word) {
            return true;
        }
        let lower = String::from_utf8_lossy(word).to_lowercase();
        let mut next = start;
        for &(s, e) in spans[..spans.len() - 1].iter().rev().take(NAME_WORDS) {
            if !joins_name(&text[e..next]) {
                return true;
            }
            let before = String::from_utf8_lossy(&text[s..e]).to_lowercase();
            if let Some(words) = self.rules.name_lines.get(&before) {
                return if written {
                    words.contains(&lower)
                } else {
                    words.iter().any(|w| w.starts_with(&lower))
                };
            }
            if !name_like(&text[s..e]) {
                return true;
            }
            next = s;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> WordRules {
        let mut name_lines = HashMap::new();
        name_lines.insert(
            "samsung".to_string(),
            ["samsung", "crystal", "4k", "tv", "43", "inch"]
                .iter()
                .map(|w| w.to_string())
                .collect(),
        );
        WordRules {
            banned: vec![
                BannedPhrase::new("Sony", true, false),
                BannedPhrase::new("Western Digital", true, false),
                BannedPhrase::new("warranty", false, true),
                BannedPhrase::new("free delivery", false, true),
                BannedPhrase::new("emi", false, false),
            ],
            name_lines,
        }
    }

    fn writes(text: &str) -> bool {
        let mut c = WordConstraint::new(rules());
        c.push_bytes(text.as_bytes())
    }

    /// Feeds text in the pieces a tokenizer might cut it into.
    fn writes_in_pieces(pieces: &[&str]) -> bool {
        let mut c = WordConstraint::new(rules());
        pieces.iter().all(|p| c.push_bytes(p.as_bytes()))
    }

    #[test]
    fn brands_not_shown_cannot_be_named() {
        assert!(!writes("Try the Sony headphones."));
        assert!(!writes_in_pieces(&["Try the", " So", "ny", " one"]));
        assert!(!writes("a Western Digital drive"));
        assert!(writes("a western style"), "not written as a name");
        assert!(writes("a Western movie"), "only the whole brand is banned");
        assert!(writes("sony"), "a brand in lower case reads as a word");
    }

    #[test]
    fn claims_without_facts_cannot_be_made() {
        assert!(!writes("It has a one-year warranty."));
        assert!(!writes_in_pieces(&["Enjoy free", " deliv", "ery"]));
        assert!(!writes("Get free delivery today"));
        assert!(writes("It is free to try"), "free alone is fine");
        assert!(!writes("Pay by EMI"));
        assert!(
            writes("an emission test"),
            "a whole-word claim is not a stem"
        );
    }

    #[test]
    fn names_after_a_shown_brand_are_its_products_words() {
        assert!(writes("The Samsung Crystal 4K TV is bright."));
        assert!(writes_in_pieces(&["The Sam", "sung Cry", "stal 4", "K TV"]));
        assert!(!writes("The Samsung Galaxy is great."));
        assert!(
            !writes_in_pieces(&["The Samsung G"]),
            "no title word starts with g"
        );
        assert!(
            writes("The Samsung is great."),
            "a lower-case word ends the name"
        );
        assert!(
            writes("I like Samsung. The picture is bright."),
            "a sentence ends it"
        );
        assert!(!writes("Samsung Crystal Neo"), "the whole run is checked");
    }

    #[test]
    fn the_state_survives_long_replies() {
        let mut c = WordConstraint::new(rules());
        for _ in 0..50 {
            assert!(c.push_bytes(b"a long reply about the Samsung Crystal TV, "));
        }
        assert!(!c.accepts(b"Sony"));
        assert!(c.accepts(b"Samsung TV"));
    }
}
