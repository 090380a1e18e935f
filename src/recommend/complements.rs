//! The product-type complement map: general retail knowledge of which product types go with
//! which ("television -> hdmi cable: connects a laptop, set-top box or console to the TV"),
//! shipped as data (`data/complements.txt`, its provenance in its header) and replaceable by
//! a shop (`[dialogue] complements`). It answers "what cable do I need for it?" and gives
//! complements a reason in a shopper's words when a catalog has no orders to learn from.
//!
//! Format, one entry per line: `anchor type -> complement type: reason`, where a type may
//! list synonyms separated by `|` (the first is its name); `#` starts a comment line. A line
//! `type = type = type: job` declares types that do the same job (substitutes: "dry iron =
//! steam iron: presses clothes"), which cross-sell never pairs.

use std::path::Path;

use crate::catalog::Product;

/// Errors reading a complement map.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file cannot be read.
    #[error("reading the complement map {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A line is neither `anchor -> complement: reason` nor `type = type: job`.
    #[error("{path}:{line}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// One pair of product types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complement {
    /// Names of the anchor type, lowercase, the first being its name ("television", "tv").
    pub anchor: Vec<String>,
    /// Names of the complementary type ("hdmi cable", "hdmi").
    pub complement: Vec<String>,
    /// What the complement does for the anchor, in customer words, starting with a verb
    /// ("connects a laptop, set-top box or console to the TV").
    pub reason: String,
}

impl Complement {
    /// The complementary type's name ("hdmi cable").
    pub fn name(&self) -> &str {
        self.complement.first().map_or("", String::as_str)
    }
}

/// Product types that do the same job ("television = monitor = projector: shows a picture"):
/// never cross-sold for each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstituteGroup {
    /// Names of the types, lowercase, as written (any name of a type).
    pub types: Vec<String>,
    /// The job they share, for people reading the file.
    pub job: String,
}

/// Every entry of a complement map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplementMap {
    entries: Vec<Complement>,
    substitutes: Vec<SubstituteGroup>,
}

impl ComplementMap {
    /// Reads a map file.
    ///
    /// # Errors
    /// The file cannot be read, or a line is malformed (the error names file and line).
    pub fn load(path: &Path) -> Result<ComplementMap, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        ComplementMap::parse(&text, &path.display().to_string())
    }

    /// Parses map text; `source` names it in errors.
    ///
    /// # Errors
    /// A line is neither `anchor -> complement: reason` nor `type = type: job`, or a part of
    /// it is empty.
    pub fn parse(text: &str, source: &str) -> Result<ComplementMap, Error> {
        let mut map = ComplementMap::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let invalid = |reason: &str| Error::Invalid {
                path: source.to_string(),
                line: i + 1,
                reason: reason.to_string(),
            };
            let Some((head, reason)) = line.split_once(':') else {
                return Err(invalid(if line.contains("->") {
                    "expected `: reason` after the complement type"
                } else {
                    "expected `anchor -> complement: reason` or `type = type: job`"
                }));
            };
            let reason = reason.trim().to_string();
            if let Some((anchor, complement)) = head.split_once("->") {
                let (anchor, complement) = (names(anchor), names(complement));
                if anchor.is_empty() || complement.is_empty() || reason.is_empty() {
                    return Err(invalid("an empty anchor, complement or reason"));
                }
                map.entries.push(Complement {
                    anchor,
                    complement,
                    reason,
                });
            } else if head.contains('=') {
                let types: Vec<String> = head.split('=').map(name).collect();
                if types.len() < 2 || types.iter().any(String::is_empty) || reason.is_empty() {
                    return Err(invalid(
                        "a substitute line needs two or more types and a job",
                    ));
                }
                map.substitutes.push(SubstituteGroup { types, job: reason });
            } else {
                return Err(invalid(
                    "expected `anchor -> complement: reason` or `type = type: job`",
                ));
            }
        }
        Ok(map)
    }

    /// The pairs, in file order.
    pub fn entries(&self) -> &[Complement] {
        &self.entries
    }

    /// The substitute groups, in file order.
    pub fn substitute_groups(&self) -> &[SubstituteGroup] {
        &self.substitutes
    }

    /// Entries in the map.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the map has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries whose anchor type a product is, best match first. The product's leaf
    /// category is read first; only when no anchor name matches it, the start of its title
    /// (where listings name the product type). A name matches when each of its words is a
    /// word of the text, singular or plural.
    pub fn for_product(&self, p: &Product) -> Vec<&Complement> {
        let leaf = p.category_path.last().map(String::as_str).unwrap_or("");
        let head: String = p
            .title
            .split_whitespace()
            .take(12)
            .collect::<Vec<_>>()
            .join(" ");
        for text in [leaf, head.as_str()] {
            let words = word_set(text);
            let mut found: Vec<(usize, &Complement)> = self
                .entries
                .iter()
                .filter_map(|e| {
                    let best = e
                        .anchor
                        .iter()
                        .filter(|n| names_in(n, &words))
                        .map(|n| n.split_whitespace().count())
                        .max()?;
                    Some((best, e))
                })
                .collect();
            if !found.is_empty() {
                // Longer names are more specific ("laptop bag" before "bag").
                let top = found.iter().map(|f| f.0).max().unwrap_or(0);
                found.retain(|f| f.0 == top);
                return found.into_iter().map(|f| f.1).collect();
            }
        }
        Vec::new()
    }
}

/// A type name as the map compares it: lowercase, single spaces.
fn name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The `|`-separated names of a type.
fn names(s: &str) -> Vec<String> {
    s.split('|').map(name).filter(|n| !n.is_empty()).collect()
}

/// Lowercase words of a text, each also without a plural "s".
pub(crate) fn word_set(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push(crate::catalog::present::singular(w));
    }
    out
}

/// Whether every word of `name` is among `words` (singular forms).
fn names_in(name: &str, words: &[String]) -> bool {
    let parts: Vec<String> = name
        .split_whitespace()
        .map(crate::catalog::present::singular)
        .collect();
    !parts.is_empty() && parts.iter().all(|p| words.contains(p))
}

/// Whether a complement type matches the kind a shopper asked for ("cable" matches "hdmi
/// cable"; "mount" matches "wall mount").
pub fn kind_matches(c: &Complement, kind: &str) -> bool {
    let asked = word_set(kind);
    !asked.is_empty()
        && c.complement.iter().any(|n| {
            let have = word_set(n);
            asked.iter().all(|a| have.contains(a))
        })
}

/// Whether a product text (title and category) names a complement type: every word of one
/// of its names is a word of the text ("hdmi cable" in "... 4K HDMI Cable 2m").
pub fn kind_matches_text(c: &Complement, text: &str) -> bool {
    let words = word_set(text);
    c.complement.iter().any(|n| names_in(n, &words))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(title: &str, path: &[&str]) -> Product {
        let mut p = Product::new("p1", title);
        p.category_path = path.iter().map(|s| s.to_string()).collect();
        p
    }

    const MAP: &str = "# comment\n\
        television|tv|smart tv -> hdmi cable|hdmi: connects a laptop, set-top box or console to the TV\n\
        television|tv -> wall mount|tv mount: mounts the TV on the wall\n\
        laptop -> laptop bag|laptop sleeve: carries the laptop safely\n\
        laptop bag -> luggage tag: labels the bag\n";

    #[test]
    fn entries_match_the_leaf_first_then_the_title() {
        let map = ComplementMap::parse(MAP, "test").unwrap();
        assert_eq!(map.len(), 4);
        let tv = product(
            "Samsung 108 cm (43 inches) Crystal 4K Smart LED TV",
            &["Electronics", "Televisions", "Smart Televisions"],
        );
        let names: Vec<&str> = map.for_product(&tv).iter().map(|c| c.name()).collect();
        assert_eq!(names, ["hdmi cable", "wall mount"]);
        // The more specific anchor wins: a laptop bag is not a laptop.
        let bag = product("Dell laptop bag 15.6 inch", &["Bags", "Laptop Bags"]);
        let names: Vec<&str> = map.for_product(&bag).iter().map(|c| c.name()).collect();
        assert_eq!(names, ["luggage tag"]);
        assert!(kind_matches(map.for_product(&tv)[0], "cable"));
        assert!(kind_matches(map.for_product(&tv)[1], "mount"));
        assert!(!kind_matches(map.for_product(&tv)[1], "cable"));
    }

    #[test]
    fn a_malformed_line_is_named() {
        let err = ComplementMap::parse("tv -> hdmi cable\n", "map.txt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "map.txt:1: expected `: reason` after the complement type"
        );
        let err = ComplementMap::parse("# x\n -> hdmi: y\n", "map.txt").unwrap_err();
        assert!(err.to_string().starts_with("map.txt:2:"), "{err}");
    }
}
