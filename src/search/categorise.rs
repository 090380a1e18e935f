//! Query categorisation by retrieval: "which category does this message name?", answered by
//! the categories of its best matches. A name similarity to the category tree
//! ([`crate::understand::CategoryResolver`]) can point anywhere ("keypad phone" reads like
//! "Mouse Pads"); the catalog's own best matches for the words outvote it, unless the
//! message names that category in so many words ("charger" for "Wall Chargers").

use super::{Filter, HybridSearcher, Result};
use crate::catalog::Product;

/// Hits whose categories vote.
pub const VOTERS: usize = 10;
/// Share of the voters a category needs to be taken over a name similarity.
pub const VOTE_SHARE: f64 = 0.8;
/// Share of the voters a category needs to overrule a name similarity no voter supports.
pub const WEAK_SHARE: f64 = 0.5;

/// The category path a message names. `content` are the message's words that name or
/// describe the product (no filler), `named` the category its words resolved to by name
/// similarity, if any. The top hits of the words before a purpose word ("for", "with"...)
/// vote when two or more content words are there, else those of the whole query. Returns the deepest path prefix held by at least [`VOTE_SHARE`] of
/// the top [`VOTERS`] hits (widened to its parent when the words fit a sibling leaf as well,
/// see [`widen_to_kind`]); else `named`, unless no hit is in it and a weak majority
/// ([`WEAK_SHARE`]) is elsewhere. A top-level department alone is too broad to count, unless
/// the catalog's tree has one level.
///
/// # Errors
/// Retrieval failed.
pub fn categorise(
    searcher: &HybridSearcher,
    query: &str,
    vector: Option<&[f32]>,
    named: Option<Vec<String>>,
    content: &[String],
) -> Result<Option<Vec<String>>> {
    if content.is_empty() {
        return Ok(named);
    }
    // The words that name the product vote: "keypad phone with big buttons" is a phone,
    // whatever products the buttons match. A bare head noun ("phone" of "phone with 128gb
    // storage") says too little alone: then the whole message votes.
    let all: Vec<&str> = query.split_whitespace().collect();
    let is_content = |w: &&str| content.iter().any(|c| c.eq_ignore_ascii_case(w));
    let naming = before_purpose(&all, is_content);
    let named_words = naming.iter().filter(|w| is_content(w)).count();
    let hits = if naming.len() < all.len() && named_words >= 2 {
        let head = naming.join(" ");
        let v = searcher.embed_query(&head)?;
        searcher.search_embedded(
            &head,
            Some(&v),
            &Filter::default(),
            VOTERS,
            searcher.fusion(),
        )?
    } else {
        searcher.search_embedded(query, vector, &Filter::default(), VOTERS, searcher.fusion())?
    };
    let products = searcher.index().products();
    let paths: Vec<&[String]> = hits
        .iter()
        .map(|h| products[h.row].category_path.as_slice())
        .collect();
    if paths.len() < VOTERS / 2 {
        return Ok(named);
    }
    let flat = products.iter().all(|p| p.category_path.len() <= 1);
    let mut counts: std::collections::HashMap<&[String], usize> = std::collections::HashMap::new();
    for path in &paths {
        for depth in 1..=path.len() {
            *counts.entry(&path[..depth]).or_default() += 1;
        }
    }
    let n = paths.len() as f64;
    let deepest = |share: f64| {
        counts
            .iter()
            .filter(|(path, c)| **c as f64 >= share * n && (path.len() >= 2 || flat))
            .max_by_key(|(path, c)| (path.len(), **c))
            .map(|(path, c)| (path.to_vec(), *c as f64 / n))
    };
    let support = |path: &[String]| paths.iter().filter(|p| p.starts_with(path)).count();
    Ok(
        match (deepest(VOTE_SHARE).or_else(|| deepest(WEAK_SHARE)), named) {
            // The words name both, in two departments: a strong vote none of whose matches
            // is in the named leaf knows better ("iphone charging cable" names USB Cables
            // under computers, not the cables under home theater).
            (Some((v, share)), Some(e))
                if share >= VOTE_SHARE
                    && support(&e) == 0
                    && v.first() != e.first()
                    && names_leaf(content, &v)
                    && names_leaf(content, &e) =>
            {
                Some(widen_to_kind(products, v, content))
            }
            // Both named, side by side: the leaf that names more of the words ("keyboard and
            // mouse combo" names the keyboard-and-mouse sets more than the keyboards). A
            // named leaf inside the voted branch is the more specific answer.
            (Some((v, _)), Some(e)) if names_leaf(content, &e) => {
                if !e.starts_with(&v)
                    && leaf_words_named(content, &v) > leaf_words_named(content, &e)
                {
                    Some(v)
                } else {
                    Some(e)
                }
            }
            (Some((v, share)), _) if share >= VOTE_SHARE => {
                Some(widen_to_kind(products, v, content))
            }
            // A weak majority still beats a name similarity no match supports.
            (Some((v, _)), Some(e)) if support(&e) == 0 => Some(v),
            (Some((v, _)), None) => Some(v),
            (_, e) => e,
        },
    )
}

/// Words after which a message says what the product is for, has or fits, not what it is:
/// "memory card for my camera" names memory cards, "a tv with good sound" TVs.
pub const PURPOSE_BOUNDARIES: &[&str] = &["for", "with", "that", "which", "who", "to"];

/// The words that name the product: those before the first [`PURPOSE_BOUNDARIES`] word
/// (case-insensitive) when one of them `names` something, else all of `words`.
pub fn before_purpose<W: AsRef<str>>(words: &[W], names: impl Fn(&W) -> bool) -> &[W] {
    words
        .iter()
        .position(|w| PURPOSE_BOUNDARIES.contains(&w.as_ref().to_lowercase().as_str()))
        .map(|at| &words[..at])
        .filter(|head| head.iter().any(&names))
        .unwrap_or(words)
}

/// The `content` words of `query` (lowercase, singular stems of 3 letters or more, in order)
/// that name the product rather than what it is for or has ([`before_purpose`]). The last is
/// the head noun in English word order ("double door fridge" -> "fridge").
pub fn head_words(query: &str, content: &[String]) -> Vec<String> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .collect();
    before_purpose(&words, |w| content.contains(w))
        .iter()
        .filter(|w| content.contains(w))
        .map(|w| w.trim_end_matches('s').to_string())
        .filter(|w| w.len() >= 3)
        .collect()
}

/// A voted leaf the words do not single out is widened to its parent: when a sibling leaf's
/// products carry every word that names the product ("tv" names smart and standard TVs
/// alike; "smart tv" only the smart ones). Paths of two levels or fewer stay as they are.
pub fn widen_to_kind(products: &[Product], path: Vec<String>, content: &[String]) -> Vec<String> {
    if path.len() <= 2 {
        return path;
    }
    let in_leaf: Vec<&Product> = products
        .iter()
        .filter(|p| p.category_path == path)
        .take(5)
        .collect();
    let kinds = kind_words(content, &in_leaf);
    if kinds.is_empty() {
        return path;
    }
    let parent = &path[..path.len() - 1];
    let sibling_has_all = products.iter().any(|p| {
        p.in_stock
            && p.category_path.starts_with(parent)
            && p.category_path != path
            && kinds.iter().all(|k| names_any(p, std::slice::from_ref(k)))
    });
    if sibling_has_all {
        parent.to_vec()
    } else {
        path
    }
}

/// The words that name the kind of product: those of `content` (as singular stems) found in
/// the titles or categories of at least two of `top` (a typo or "good" is not).
pub fn kind_words(content: &[String], top: &[&Product]) -> Vec<String> {
    content
        .iter()
        .map(|w| w.to_lowercase().trim_end_matches('s').to_string())
        .filter(|w| w.len() > 1)
        .filter(|w| {
            top.iter()
                .filter(|p| names_any(p, std::slice::from_ref(w)))
                .count()
                >= 2
        })
        .collect()
}

/// Whether a product's title or category has one of `words` (singular stems) as a word.
pub fn names_any(p: &Product, words: &[String]) -> bool {
    let text = format!("{} {}", p.title, p.category_path.join(" ")).to_lowercase();
    text.split(|c: char| !c.is_alphanumeric())
        .any(|t| words.iter().any(|w| t.trim_end_matches('s') == w))
}

/// Whether the words name the category's leaf ("charger" for "Wall Chargers"): then the
/// name similarity is trusted over the vote.
fn names_leaf(content: &[String], path: &[String]) -> bool {
    leaf_words_named(content, path) > 0
}

/// How many words of the category's leaf name the content words name ("keyboard" and
/// "mouse" of "Keyboard & Mouse Sets": 2).
fn leaf_words_named(content: &[String], path: &[String]) -> usize {
    // Irregular plurals too: "mouse" names "Mice".
    let stem = |w: &str| {
        let w = w.to_lowercase();
        let irregular = crate::catalog::present::singular(&w);
        if !w.ends_with('s') && irregular != w {
            return irregular;
        }
        w.strip_suffix('s')
            .filter(|s| s.len() > 2)
            .map(str::to_string)
            .unwrap_or(w)
    };
    let leaf: Vec<String> = path
        .last()
        .map(|l| {
            l.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2)
                .map(stem)
                .collect()
        })
        .unwrap_or_default();
    // A compound leaf names its last part: "Smartphones" is what "phone" asks for.
    let words: Vec<String> = content
        .iter()
        .filter(|w| w.len() > 2)
        .map(|w| stem(w))
        .collect();
    leaf.iter()
        .filter(|l| {
            words
                .iter()
                .any(|w| **l == *w || (w.len() >= 4 && l.ends_with(w.as_str())))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(title: &str, path: &[&str]) -> Product {
        let mut p = Product::new(title, title);
        p.category_path = path.iter().map(|s| s.to_string()).collect();
        p
    }

    #[test]
    fn a_leaf_the_words_do_not_single_out_widens_to_its_parent() {
        let smart = ["Electronics", "TV", "Televisions", "Smart Televisions"];
        let standard = ["Electronics", "TV", "Televisions", "Standard Televisions"];
        let products = vec![
            product("Acme 43 inch Smart LED TV", &smart),
            product("Bolt 32 inch Smart LED TV", &smart),
            product("Cato 24 inch LED TV", &standard),
        ];
        let path: Vec<String> = smart.iter().map(|s| s.to_string()).collect();
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            widen_to_kind(&products, path.clone(), &words(&["tv"])),
            path[..3].to_vec()
        );
        assert_eq!(
            widen_to_kind(&products, path.clone(), &words(&["smart", "tv"])),
            path
        );
        assert!(names_leaf(
            &words(&["charger"]),
            &words(&["Chargers", "Wall Chargers"])
        ));
    }

    #[test]
    fn the_head_words_come_before_what_the_product_is_for() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            head_words("double door fridge", &words(&["double", "door", "fridge"])),
            words(&["double", "door", "fridge"])
        );
        assert_eq!(
            head_words(
                "usb c cables for my phone",
                &words(&["usb", "c", "cables", "phone"])
            ),
            words(&["usb", "cable"])
        );
        assert!(names_leaf(
            &words(&["phone"]),
            &words(&["Mobiles", "Smartphones"])
        ));
        assert!(!names_leaf(
            &words(&["one"]),
            &words(&["Mobiles", "Smartphones"])
        ));
    }
}
