//! The product-type complement map: general retail knowledge of which product types go with
//! which ("television -> hdmi cable: connects a laptop, set-top box or console to the TV"),
//! shipped as data (`data/complements.txt`, its provenance in its header) and replaceable by
//! a shop (`[recommend] complements`). [`super::product_types`] lays it over a catalog: it
//! drives cross-sell when a catalog has no orders to learn from, answers "what cable do I need
//! for it?", and gives complements a reason in a shopper's words.
//!
//! Format, one entry per line: `anchor type -> complement type: reason`, where a type may
//! list synonyms separated by `|` (the first is its name); `#` starts a comment line. A line
//! `type = type = type: job` declares types that do the same job (substitutes: "dry iron =
//! steam iron: presses clothes"), which cross-sell never pairs.

use std::path::Path;

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

    const MAP: &str = "# comment\n\
        television|tv|smart tv -> hdmi cable|hdmi: connects a laptop, set-top box or console to the TV\n\
        television|tv -> wall mount|tv mount: mounts the TV on the wall\n\
        laptop -> laptop bag|laptop sleeve: carries the laptop safely\n\
        laptop bag -> luggage tag: labels the bag\n";

    #[test]
    fn pairs_and_substitute_lines_parse_and_kinds_match() {
        let map = ComplementMap::parse(MAP, "test").unwrap();
        assert_eq!(map.len(), 4);
        let tv = &map.entries()[..2];
        assert_eq!(tv[0].name(), "hdmi cable");
        assert_eq!(tv[0].anchor, ["television", "tv", "smart tv"]);
        assert!(kind_matches(&tv[0], "cable"));
        assert!(kind_matches(&tv[1], "mount"));
        assert!(!kind_matches(&tv[1], "cable"));
        assert!(kind_matches_text(&tv[0], "AmazonBasics 4K HDMI Cables 2m"));
        let groups = ComplementMap::parse("dry iron = steam iron: presses clothes\n", "t").unwrap();
        assert_eq!(
            groups.substitute_groups()[0].types,
            ["dry iron", "steam iron"]
        );
        let err = ComplementMap::parse("dry iron =: x\n", "map.txt").unwrap_err();
        assert!(err.to_string().starts_with("map.txt:1:"), "{err}");
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
