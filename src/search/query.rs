//! What a customer typed, made into one canonical query text, so spellings of the same words
//! retrieve the same products: "wi-fi adapter" and "wifi adapter", "-usb cable" and
//! "usb cable".
//!
//! A catalog writes compounds one way or another ("Wi-Fi", "WiFi", "USB-C"). [`Compounds`]
//! learns the hyphenated ones from the catalog's titles, brands and category names; a joined
//! spelling in a query ("wifi") is rewritten to the catalog's hyphenated one ("wi-fi"), so both
//! spellings give one text to embed. BM25 then searches a hyphenated word as its parts plus
//! the joined word ([`with_joined_compounds`]), matching products whichever way they wrote it.

use std::collections::HashMap;

use crate::catalog::Product;

/// Hyphenated compounds of a catalog: joined lowercase spelling -> hyphenated lowercase one
/// ("wifi" -> "wi-fi", "3in1" -> "3-in-1").
#[derive(Debug, Clone, Default)]
pub struct Compounds(HashMap<String, String>);

/// Most words a compound written apart may take ("3 in 1").
const MAX_PARTS: usize = 3;

/// Hyphen characters a shopper or a catalog may type between two parts of a word.
fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// The hyphenated words of `text`: runs of letters and digits joined by single hyphens.
fn hyphenated_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || is_hyphen(c)))
        .map(|w| w.trim_matches(is_hyphen))
        .filter(|w| w.contains(is_hyphen) && !w.split(is_hyphen).any(str::is_empty))
}

impl Compounds {
    /// Learns the hyphenated compounds written in the products' titles, brands and category
    /// names. Cost: one pass over those texts (about 20 ms for 50,000 products).
    pub fn from_products(products: &[Product]) -> Compounds {
        let mut map = HashMap::new();
        for p in products {
            let texts = std::iter::once(p.title.as_str())
                .chain(p.brand.as_deref())
                .chain(p.category_path.iter().map(String::as_str));
            for text in texts {
                for word in hyphenated_words(text) {
                    let hyphenated: String = word
                        .chars()
                        .map(|c| if is_hyphen(c) { '-' } else { c })
                        .flat_map(char::to_lowercase)
                        .collect();
                    let joined = hyphenated.replace('-', "");
                    // Too short to be a compound anyone would join ("a-1").
                    if joined.chars().count() >= 3 {
                        map.entry(joined).or_insert(hyphenated);
                    }
                }
            }
        }
        Compounds(map)
    }

    /// Number of compounds known.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the catalog writes no hyphenated compound.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The canonical text of a query, lowercase:
    /// - hyphens that join no two parts dropped (a leading `-` is no operator for shoppers),
    ///   hyphen variants written `-`;
    /// - the catalog's compounds written hyphenated, whether the query joins them ("wifi") or
    ///   spaces them ("wi fi");
    /// - a repeated word kept once, whitespace collapsed.
    ///
    /// Empty when the query holds no letter or digit (three quote marks, a dash).
    pub fn normalize(&self, query: &str) -> String {
        if !query.chars().any(char::is_alphanumeric) {
            return String::new();
        }
        let chars: Vec<char> = query.chars().collect();
        let mut spaced = String::with_capacity(query.len());
        for (i, &c) in chars.iter().enumerate() {
            if is_hyphen(c) {
                let joins = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                spaced.push(if joins { '-' } else { ' ' });
            } else {
                spaced.push(c);
            }
        }
        let words: Vec<String> = spaced
            .split_whitespace()
            .map(|w| w.chars().flat_map(char::to_lowercase).collect())
            .collect();
        let mut out: Vec<String> = Vec::with_capacity(words.len());
        let mut i = 0;
        while i < words.len() {
            // A compound written joined ("wifi") or apart ("wi fi", "3 in 1"), longest first.
            let found = (1..=MAX_PARTS.min(words.len() - i)).rev().find_map(|n| {
                let joined: String = words[i..i + n].iter().map(|w| w.replace('-', "")).collect();
                self.0
                    .get(&joined)
                    .map(|hyphenated| (n, hyphenated.clone()))
            });
            let (n, word) = found.unwrap_or_else(|| (1, words[i].clone()));
            // A word said twice ("wi fi adapter wifi") searches as once.
            if !out.contains(&word) {
                out.push(word);
            }
            i += n;
        }
        out.join(" ")
    }
}

/// The query text BM25 tokenises: each hyphenated word followed by its joined spelling
/// ("wi-fi" -> "wi-fi wifi"), so a product that wrote either matches.
pub(crate) fn with_joined_compounds(query: &str) -> String {
    let mut out = query.to_string();
    for word in hyphenated_words(query) {
        out.push(' ');
        out.extend(word.chars().filter(|c| !is_hyphen(*c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Compounds {
        let titles = [
            "TP-Link Wi-Fi adapter",
            "USB-C cable",
            "3-in-1 charging cable",
            "Anti-slip yoga mat",
        ];
        let products: Vec<Product> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| Product::new(i.to_string(), *t))
            .collect();
        Compounds::from_products(&products)
    }

    #[test]
    fn joined_and_hyphenated_spellings_normalise_alike() {
        let c = catalog();
        for (a, b) in [
            ("wi-fi adapter", "wifi adapter"),
            ("Wi-Fi Adapter", "WIFI adapter"),
            ("usb-c cable", "usbc cable"),
            ("3in1 cable", "3-in-1 cable"),
            ("-usb cable", "usb cable"),
            ("anti‐slip mat", "antislip mat"),
            ("wi fi adapter", "wifi adapter"),
            ("3 in 1 cable", "3in1 cable"),
            ("wi fi adapter wifi", "wifi adapter"),
        ] {
            assert_eq!(c.normalize(a), c.normalize(b), "{a} / {b}");
        }
        assert_eq!(c.normalize("wifi adapter"), "wi-fi adapter");
        assert_eq!(c.normalize("  -- usb   cable - "), "usb cable");
    }

    #[test]
    fn punctuation_only_queries_are_empty() {
        let c = catalog();
        for q in ["\"\"\"", "-", " - ", "...", "?!", ""] {
            assert_eq!(c.normalize(q), "", "{q:?}");
        }
    }

    #[test]
    fn bm25_text_adds_joined_spellings() {
        assert_eq!(with_joined_compounds("wi-fi adapter"), "wi-fi adapter wifi");
        assert_eq!(with_joined_compounds("usb cable"), "usb cable");
    }
}
