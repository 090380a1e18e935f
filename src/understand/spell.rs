//! Spelling correction of a shopper's words against the words the shop and the parser know.
//!
//! "wireles mouse", "celing fan", "hedphones undr 500": a word nobody knows is replaced by
//! the known word one edit away (two for words of eight letters or more), so the parser,
//! the category vote and the search all read what the shopper meant. Guard rails, because a
//! wrong correction is worse than none ("wala" must not become "wall"):
//! - only lowercase ASCII words of five letters or more are corrected, and only when
//!   neither the catalog (titles, brands, categories, any count) nor the parser knows them
//!   (nor begins with one of its prefix cues, "rattl*");
//! - the correction keeps the first letter (typos rarely touch it) and is a word the catalog
//!   uses at least twice, a brand, an attribute or a parser word;
//! - below eight letters the typo may only miss a letter or swap two neighbours ("celing",
//!   "wirelss", "mosue"): a changed or added letter too often makes another real word the
//!   shop does not use ("party" is no typo of "parts", nor "cooler" of "cooker");
//! - the nearest wins, then the most frequent; a tie at the top between two different words
//!   corrects nothing.
//!
//! The parser's vocabulary is every word quoted in its source (`parse.rs`, `parse_words.rs`):
//! its word lists, cue patterns and matches, so a word added to a rule is protected and
//! reachable without a second list to keep in step.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Words shorter than this are never corrected: too many short words are one edit from
/// another ("tent" from the ordinal "tenth", "wala" from "wall").
const MIN_LEN: usize = 5;
/// From this length, two edits are allowed ("smartwtach").
const TWO_EDITS_FROM: usize = 8;
/// A catalog word is a correction target from this many uses (a one-off is likely a typo).
const MIN_TARGET_COUNT: u32 = 2;
/// The weight of a parser word among targets: as common as a frequent catalog word.
const PARSER_WORD_COUNT: u32 = 100;

/// Every word quoted in the parser's source, lowercase; a word followed by `*` there is a
/// prefix cue ("rattl*"), kept with its `*`.
static PARSER_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut words = quoted_words(include_str!("parse.rs"));
    words.extend(quoted_words(include_str!("parse_words.rs")));
    words.sort();
    words.dedup();
    words
});

/// The words inside the string literals of Rust source, skipping comment lines; a word
/// followed by `*` keeps it.
fn quoted_words(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in source.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let line = line.replace("'\"'", "");
        let (mut inside, mut escaped, mut literal) = (false, false, String::new());
        for c in line.chars() {
            if inside {
                if escaped {
                    escaped = false;
                    literal.push(' ');
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    inside = false;
                    out.extend(
                        literal
                            .split(|c: char| !(c.is_ascii_alphabetic() || c == '\'' || c == '*'))
                            .map(|w| w.trim_matches('\'').to_ascii_lowercase())
                            .map(|w| match w.split_once('*') {
                                Some((stem, _)) => format!("{stem}*"),
                                None => w,
                            })
                            .filter(|w| !w.is_empty()),
                    );
                    literal.clear();
                } else {
                    literal.push(c);
                }
            } else if c == '"' {
                inside = true;
            }
        }
    }
    out
}

/// The catalog's and the parser's words, for correcting a shopper's typos.
#[derive(Debug, Clone, Default)]
pub(super) struct Speller {
    /// Every known word with its count (parser words at [`PARSER_WORD_COUNT`]).
    known: HashMap<String, u32>,
    /// Correction targets by first letter: (word, count).
    targets: HashMap<u8, Vec<(String, u32)>>,
    /// Prefix cues of the parser ("rattl"): a word starting with one is known.
    prefixes: Vec<String>,
}

impl Speller {
    /// A speller knowing the parser's words plus `words` (already normalised, lowercase),
    /// each occurrence counted once.
    pub(super) fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Speller {
        let mut known: HashMap<String, u32> = HashMap::new();
        for w in words {
            *known.entry(w.to_string()).or_default() += 1;
        }
        let mut prefixes = Vec::new();
        for w in PARSER_WORDS.iter() {
            if let Some(stem) = w.strip_suffix('*') {
                if stem.len() >= MIN_LEN {
                    prefixes.push(stem.to_string());
                }
                continue;
            }
            let n = known.entry(w.clone()).or_default();
            *n = (*n).max(PARSER_WORD_COUNT);
        }
        let mut targets: HashMap<u8, Vec<(String, u32)>> = HashMap::new();
        for (w, &n) in &known {
            if n >= MIN_TARGET_COUNT && is_target(w) {
                targets
                    .entry(w.as_bytes()[0])
                    .or_default()
                    .push((w.clone(), n));
            }
        }
        for list in targets.values_mut() {
            list.sort();
        }
        Speller {
            known,
            targets,
            prefixes,
        }
    }

    /// Counts `words` as known and as targets, as if they were used `count` times
    /// (brands and attributes, which a shopper types as the catalog spells them).
    pub(super) fn with_words<'a>(
        mut self,
        words: impl IntoIterator<Item = &'a str>,
        count: u32,
    ) -> Speller {
        for w in words {
            let n = self.known.entry(w.to_string()).or_default();
            if *n >= count {
                continue;
            }
            let was_target = *n >= MIN_TARGET_COUNT;
            *n = count;
            if is_target(w) {
                let list = self.targets.entry(w.as_bytes()[0]).or_default();
                if was_target {
                    list.retain(|(t, _)| t != w);
                }
                list.push((w.to_string(), count));
            }
        }
        self
    }

    /// The known word `word` (normalised, lowercase) was probably meant as, or `None` when
    /// it is known, too short, not plain letters, or has no single nearest known word.
    pub(super) fn correct(&self, word: &str) -> Option<&str> {
        if word.len() < MIN_LEN
            || !word.bytes().all(|b| b.is_ascii_lowercase())
            || self.known.contains_key(word)
            || self.prefixes.iter().any(|p| word.starts_with(p.as_str()))
        {
            return None;
        }
        let long = word.len() >= TWO_EDITS_FROM;
        let max = if long { 2 } else { 1 };
        let list = self.targets.get(&word.as_bytes()[0])?;
        let mut best: Option<(usize, u32, &str)> = None;
        let mut tied = false;
        for (t, n) in list {
            if t.len().abs_diff(word.len()) > max {
                continue;
            }
            let d = if long {
                edit_distance(word.as_bytes(), t.as_bytes(), max)
            } else {
                missed_or_swapped(word.as_bytes(), t.as_bytes()).then_some(1)
            };
            let Some(d) = d else {
                continue;
            };
            match best {
                Some((bd, bn, _)) if (d, std::cmp::Reverse(*n)) > (bd, std::cmp::Reverse(bn)) => {}
                Some((bd, bn, _)) if d == bd && *n == bn => tied = true,
                _ => {
                    best = Some((d, *n, t));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied).map(|(_, _, t)| t)
    }
}

/// Whether a known word can be a correction: plain lowercase letters, long enough.
fn is_target(w: &str) -> bool {
    w.len() >= MIN_LEN - 1 && w.bytes().all(|b| b.is_ascii_lowercase())
}

/// Whether `typed` is `word` with one letter left out or two neighbouring letters swapped.
fn missed_or_swapped(typed: &[u8], word: &[u8]) -> bool {
    let p = typed.iter().zip(word).take_while(|(a, b)| a == b).count();
    let (a, b) = (&typed[p..], &word[p..]);
    if word.len() == typed.len() + 1 {
        return a == &b[1..];
    }
    word.len() == typed.len() && a.len() >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]
}

/// Optimal-string-alignment distance (insertions, deletions, substitutions and swaps of
/// adjacent letters, each one edit) when it is at most `max`; `None` beyond.
fn edit_distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    // Three rows: two back (for swaps), previous, current.
    let mut back: Vec<usize> = vec![0; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur: Vec<usize> = vec![0; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(back[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|&d| d <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller() -> Speller {
        let catalog = "wireless mouse wireless keyboard ceiling fan ceiling fan headphones \
            headphones smartwatch smartwatch wall mount wall mount cable cable cables";
        Speller::new(catalog.split_whitespace()).with_words(["logitech"], 50)
    }

    #[test]
    fn typos_become_the_catalogs_word() {
        let s = speller();
        assert_eq!(s.correct("wireles"), Some("wireless"));
        assert_eq!(s.correct("celing"), Some("ceiling"));
        assert_eq!(s.correct("hedphones"), Some("headphones"));
        assert_eq!(s.correct("smartwach"), Some("smartwatch"));
        assert_eq!(s.correct("smartwtach"), Some("smartwatch"));
        assert_eq!(s.correct("logitec"), Some("logitech"));
        // A parser word: "delivry" asks about delivery.
        assert_eq!(s.correct("delivry"), Some("delivery"));
        // Two words as near ("compare", "compere") correct nothing.
        assert_eq!(s.correct("compre"), None);
        // A word a prefix cue of the parser reads already stays ("cheap*").
        assert_eq!(s.correct("cheapst"), None);
    }

    #[test]
    fn known_short_and_other_words_stay() {
        let s = speller();
        // Parser words (Hinglish) are never "corrected" into catalog words.
        assert_eq!(s.correct("wala"), None);
        // A short real word the shop does not use is no typo of a parser word.
        assert_eq!(s.correct("tent"), None);
        assert_eq!(s.correct("wali"), None);
        assert_eq!(s.correct("cable"), None);
        assert_eq!(s.correct("fam"), None);
        assert_eq!(s.correct("yesterday"), None);
        // The first letter is kept: "mall" is no "wall".
        assert_eq!(s.correct("mall"), None);
        // Short words may only miss a letter or swap two: "cabel" is "cable", "cabie" is not.
        assert_eq!(s.correct("cabel"), Some("cable"));
        assert_eq!(s.correct("cabie"), None);
        assert_eq!(s.correct("cablee"), None);
        assert_eq!(s.correct("wireles5"), None);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance(b"smartwtach", b"smartwatch", 2), Some(1));
        assert_eq!(edit_distance(b"celing", b"ceiling", 1), Some(1));
        assert_eq!(edit_distance(b"abc", b"xyz", 2), None);
        assert_eq!(edit_distance(b"", b"ab", 2), Some(2));
    }
}
