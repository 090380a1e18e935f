//! The complement map laid over one catalog: "which product type is each product, which types
//! go with it, which do the same job, and what is a product made for?"
//!
//! - A **leaf category** is of the type whose name it writes out ("Smart Televisions" is a
//!   television; the longest name wins, and ties go to the type whose names embed closest to
//!   the leaf). A leaf that writes out no name is of the type whose names embed closest to
//!   "parent > leaf", when that similarity is at least [`LEAF_SIMILARITY`] ("Headphones >
//!   In-Ear" is a pair of earbuds). A leaf of accessories ("Water Purifier Accessories") is
//!   not of the type it names but made for it.
//! - A **product** is of its leaf's type; in a leaf of no type, of the type its title names
//!   near its start (where listings name the product type).
//! - **Made for**: a title's "for ...", "compatible with ..." phrase names the types (and
//!   brands) a product is made for ("Wall Mount for 32-55 inch Samsung TVs"), as does a leaf
//!   of accessories. A product made for other brands only is incompatible with an anchor of
//!   another brand.
//! - **Substitutes**: two products of one type, of types the map lists as doing the same job
//!   (`a = b: job`), or of two anchor types the map gives mostly the same complements
//!   (televisions and projectors both take HDMI cables, mounts and soundbars), unless the map
//!   pairs them; and a candidate that says it does the anchor's job: a title that names the
//!   anchor's type as a built-in part ("Travel Adapter with Built-in Dual USB Charger Ports"
//!   does a USB charger's job; "Tripod with Phone Holder" does no phone's).

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::complements::{Complement, ComplementMap, word_set};
use super::stats::Leaves;
use crate::catalog::Product;
use crate::catalog::present::says_wired;
use crate::embed::Embedder;

/// Cosine similarity of a leaf's name ("parent > leaf") and a type name at or above which a
/// leaf that writes out no type name is of that type. With all-MiniLM-L6-v2, a leaf and a
/// name of its type score 0.8 or more ("Headphones > In-Ear", "in-ear headphones": 0.93);
/// a leaf and the nearest other type 0.6 to 0.7 ("Fans > Exhaust Fans", "room heater": 0.66).
pub const LEAF_SIMILARITY: f32 = 0.7;
/// The similarity a type name written in a leaf without the leaf's head noun needs
/// ("Speakers > Soundbar Speakers" is a soundbar; "Décor > Phone Charms" is no phone: 0.49).
pub const NAMED_SIMILARITY: f32 = 0.6;
/// The similarity a type name with the leaf's head noun and no conflicting modifier needs
/// ("Rod" and "fishing rod").
pub const SAME_HEAD_SIMILARITY: f32 = 0.6;
/// Complement types two anchor types must share, and the share of their union, before they
/// count as doing the same job.
const SHARED_COMPLEMENTS: usize = 2;
const SHARED_SHARE: f32 = 0.4;
/// Words of a title read for its type: listings name the product type near the start.
const TITLE_HEAD_WORDS: usize = 12;
/// Words of a category name that make it a shelf of things for the type it names.
const ACCESSORY_WORDS: &[&str] = &[
    "accessory",
    "accessories",
    "part",
    "parts",
    "spare",
    "spares",
    "supply",
    "supplies",
    "refill",
    "refills",
];

static MADE_FOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:compatible(?:\s+(?:with|for))?|suitable\s+for|designed\s+for|made\s+for|works\s+with|fits|for)\s+([^()\[\]|]{1,80})",
    )
    .expect("a valid built-in pattern")
});

/// What a product's title or leaf says it is made for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MadeFor {
    /// Types named, sorted.
    pub types: Vec<u32>,
    /// Catalog brands named (lowercase), sorted.
    pub brands: Vec<String>,
    /// Model lines named with a model number ("iphone" in "for iPhone 13, 12"), lowercase.
    pub models: Vec<String>,
    /// The models named, line and number ("iphone 7", "galaxy s8"), lowercase.
    pub targets: Vec<String>,
}

/// How a suggestion relates to an anchor by type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fit<'a> {
    /// The map pairs the two types.
    Paired(&'a Complement),
    /// The suggestion says it is made for the anchor's type; `brand` when it also names the
    /// anchor's brand.
    MadeFor {
        /// The anchor's type.
        for_type: u32,
        /// The anchor's brand, when the suggestion names it.
        brand: bool,
    },
}

/// The complement map over one catalog's rows. See the module docs for the rules.
#[derive(Debug, Clone, Default)]
pub struct ProductTypes {
    /// Canonical name of each type.
    names: Vec<String>,
    /// Per row: its type, `u32::MAX` for none.
    of_row: Vec<u32>,
    /// Per type: its rows, most rated first.
    rows: Vec<Vec<u32>>,
    /// Per anchor type: `(complement type, entry)` in map order.
    pairs: Vec<Vec<(u32, usize)>>,
    /// Per type: the types that do the same job, sorted.
    substitutes: Vec<Vec<u32>>,
    /// What a row is made for, for rows that say.
    made_for: HashMap<u32, MadeFor>,
    /// Per type: rows made for it, most rated first.
    made_for_rows: Vec<Vec<u32>>,
    /// Per row, for rows that say: other types whose job it also does, sorted.
    also_does: HashMap<u32, Vec<u32>>,
    entries: Vec<Complement>,
}

/// Errors typing a catalog.
pub type Result<T> = std::result::Result<T, crate::embed::Error>;

impl ProductTypes {
    /// Lays `map` over `products` (whose leaves are `leaves`), embedding leaf and type names
    /// with `embedder`.
    ///
    /// # Errors
    /// The embedder fails.
    pub fn build(
        map: &ComplementMap,
        products: &[Product],
        leaves: &Leaves,
        embedder: &dyn Embedder,
    ) -> Result<ProductTypes> {
        // Types and the names that lead to them.
        let mut names: Vec<String> = Vec::new();
        let mut by_name: HashMap<String, u32> = HashMap::new();
        let mut intern = |list: &[String], names: &mut Vec<String>| -> u32 {
            let known = list.iter().find_map(|n| by_name.get(n).copied());
            let id = known.unwrap_or_else(|| {
                names.push(list[0].clone());
                (names.len() - 1) as u32
            });
            for n in list {
                by_name.entry(n.clone()).or_insert(id);
            }
            id
        };
        let entries: Vec<Complement> = map.entries().to_vec();
        let mut pair_list: Vec<(u32, u32, usize)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let a = intern(&e.anchor, &mut names);
            let c = intern(&e.complement, &mut names);
            pair_list.push((a, c, i));
        }
        let mut groups: Vec<Vec<u32>> = Vec::new();
        for g in map.substitute_groups() {
            groups.push(
                g.types
                    .iter()
                    .map(|t| intern(std::slice::from_ref(t), &mut names))
                    .collect(),
            );
        }
        let n = names.len();
        let mut pairs = vec![Vec::new(); n];
        for &(a, c, i) in &pair_list {
            if a != c && !pairs[a as usize].iter().any(|&(x, _)| x == c) {
                pairs[a as usize].push((c, i));
            }
        }
        let paired = |a: u32, b: u32| {
            pairs[a as usize].iter().any(|&(x, _)| x == b)
                || pairs[b as usize].iter().any(|&(x, _)| x == a)
        };
        let mut substitutes = vec![Vec::new(); n];
        for g in &groups {
            for &a in g {
                for &b in g {
                    if a != b && !paired(a, b) {
                        substitutes[a as usize].push(b);
                    }
                }
            }
        }
        for a in 0..n {
            for b in a + 1..n {
                let (x, y) = (&pairs[a], &pairs[b]);
                if x.is_empty() || y.is_empty() || paired(a as u32, b as u32) {
                    continue;
                }
                let shared = x
                    .iter()
                    .filter(|(c, _)| y.iter().any(|(d, _)| d == c))
                    .count();
                let union = x.len() + y.len() - shared;
                if shared >= SHARED_COMPLEMENTS && shared as f32 >= SHARED_SHARE * union as f32 {
                    substitutes[a].push(b as u32);
                    substitutes[b].push(a as u32);
                }
            }
        }
        for s in &mut substitutes {
            s.sort_unstable();
            s.dedup();
        }

        // Name vectors, and which type each belongs to.
        let mut name_list: Vec<(&str, u32)> =
            by_name.iter().map(|(k, &v)| (k.as_str(), v)).collect();
        name_list.sort();
        let name_vectors = embed_all(embedder, name_list.iter().map(|x| x.0))?;
        let leaf_texts: Vec<String> = leaves
            .paths
            .iter()
            .map(|p| match p.len() {
                0 | 1 => p.join(""),
                l => format!("{} > {}", p[l - 2], p[l - 1]),
            })
            .collect();
        let leaf_vectors = embed_all(embedder, leaf_texts.iter().map(String::as_str))?;
        let closest = |v: &[f32], among: Option<&[u32]>| -> Option<(u32, f32)> {
            name_list
                .iter()
                .zip(&name_vectors)
                .filter(|((_, t), _)| among.is_none_or(|a| a.contains(t)))
                .map(|((_, t), nv)| (*t, crate::embed::cosine(v, nv)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        let type_names = NameIndex::new(name_list.iter().copied());
        let score = |v: &[f32], t: u32| closest(v, Some(&[t])).map_or(0.0, |x| x.1);

        // Leaves: a type, or what they are made for.
        let mut leaf_type = vec![u32::MAX; leaves.paths.len()];
        let mut leaf_guessed = vec![false; leaves.paths.len()];
        let mut leaf_made_for: Vec<Vec<u32>> = vec![Vec::new(); leaves.paths.len()];
        for (l, path) in leaves.paths.iter().enumerate() {
            let leaf = path.last().map_or("", String::as_str);
            let parent = (path.len() >= 2).then(|| path[path.len() - 2].as_str());
            // "Laptop Accessories > Lapdesks": the parent shelf says what it is for.
            if let Some(part) = parent.and_then(accessory_part) {
                leaf_made_for[l] = type_names.longest(part, false);
            }
            if let Some(part) = accessory_part(leaf) {
                leaf_made_for[l].extend(type_names.longest(part, false));
                continue;
            }
            let v = &leaf_vectors[l];
            let heads = segment_heads(leaf);
            let not_for = &leaf_made_for[l];
            // Names written out that hold the leaf's head noun ("Smart Televisions":
            // television; "Phone Charms" is no phone), in the leaf, else in parent and leaf
            // ("Vacuum Bags > Handheld Bags": vacuum bag); the longest, ties by embedding.
            let headed = |text: &str| -> Vec<u32> {
                let found: Vec<usize> = type_names
                    .found(text, false)
                    .into_iter()
                    .filter(|&i| type_names.names[i].0.iter().any(|w| heads.contains(w)))
                    .filter(|&i| !not_for.contains(&type_names.names[i].1))
                    .collect();
                let best = found.iter().map(|&i| type_names.names[i].0.len()).max();
                let mut out: Vec<u32> = found
                    .iter()
                    .filter(|&&i| Some(type_names.names[i].0.len()) == best)
                    .map(|&i| type_names.names[i].1)
                    .collect();
                out.dedup();
                out
            };
            let mut found = headed(leaf);
            if found.is_empty()
                && let Some(parent) = parent
            {
                found = headed(&format!("{parent} {leaf}"));
            }
            // Else a name with the same head noun and no other modifier ("Rod": fishing rod;
            // "Riding Boots" is no ski boot), the closest by embedding.
            let same_head = || {
                let segments = segments(leaf);
                let candidates: Vec<u32> = type_names
                    .names
                    .iter()
                    .filter(|(words, t)| {
                        !not_for.contains(t)
                            && segments.iter().any(|seg| {
                                let (Some(head), Some(own)) = (words.last(), seg.last()) else {
                                    return false;
                                };
                                head == own
                                    && (seg.len() == 1
                                        || words[..words.len() - 1].iter().all(|w| seg.contains(w)))
                            })
                    })
                    .map(|(_, t)| *t)
                    .collect();
                candidates
                    .into_iter()
                    .map(|t| (t, score(v, t)))
                    .filter(|&(_, s)| s >= SAME_HEAD_SIMILARITY)
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(t, _)| t)
            };
            // Else a name written out without the head noun ("Soundbar Speakers") whose
            // embedding agrees, else (under a parent that gives it context) the closest type
            // by embedding alone.
            let unheaded = || {
                type_names
                    .longest(leaf, false)
                    .into_iter()
                    .filter(|t| !not_for.contains(t))
                    .map(|t| (t, score(v, t)))
                    .filter(|&(_, s)| s >= NAMED_SIMILARITY)
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(t, _)| t)
            };
            // A head noun that other types end with ("Water Cartridges": ink and filter
            // cartridges) says the leaf is one of those, not whatever embeds closest.
            let head_of = |t: u32| {
                type_names
                    .names
                    .iter()
                    .any(|(words, x)| *x == t && words.last().is_some_and(|h| heads.contains(h)))
            };
            let heads_name_types = type_names
                .names
                .iter()
                .any(|(words, _)| words.last().is_some_and(|h| heads.contains(h)));
            let embedded = || {
                closest(v, None)
                    .filter(|&(t, s)| {
                        parent.is_some()
                            && s >= LEAF_SIMILARITY
                            && !not_for.contains(&t)
                            && (!heads_name_types || head_of(t))
                    })
                    .map(|(t, _)| t)
            };
            // A type the leaf's name does not write out is a guess about the whole shelf:
            // each product's title must back it (below).
            leaf_guessed[l] = found.is_empty();
            let typed = match found.len() {
                0 => same_head().or_else(unheaded).or_else(embedded),
                1 => Some(found[0]),
                _ => found
                    .iter()
                    .map(|&t| (t, score(v, t)))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(t, _)| t),
            };
            leaf_type[l] = typed.unwrap_or(u32::MAX);
            tracing::debug!(
                leaf = %leaf_texts[l],
                closest = ?closest(v, None).map(|(t, s)| (names[t as usize].as_str(), s)),
                typed = typed.map_or("-", |t| names[t as usize].as_str()),
                "leaf type"
            );
        }

        // Rows: their type and what they are made for.
        let type_heads: std::collections::HashSet<String> = type_names
            .names
            .iter()
            .filter_map(|(words, _)| words.last().cloned())
            .collect();
        let brand_list = catalog_brands(products);
        let brands = NameIndex::new(brand_list.iter().enumerate().map(|(i, b)| (b.as_str(), i)));
        let mut of_row = vec![u32::MAX; products.len()];
        let mut made_for: HashMap<u32, MadeFor> = HashMap::new();
        for (row, p) in products.iter().enumerate() {
            let leaf = leaves.get(row);
            let typed = leaf.map_or(u32::MAX, |l| leaf_type[l as usize]);
            let guessed = leaf.is_some_and(|l| leaf_guessed[l as usize]);
            // A guessed shelf type holds for a product whose title says it, or ends a word
            // of its with the type's head noun ("Adapters" guessed as charging adapters: not
            // the "HDMI Coupler" on that shelf).
            let backed = |t: u32| {
                let words = word_set(&p.title);
                type_names.names.iter().any(|(name, x)| {
                    *x == t && name.last().is_some_and(|head| words.contains(head))
                })
            };
            let title_type = || {
                let head: String = p
                    .title
                    .split_whitespace()
                    .take(TITLE_HEAD_WORDS)
                    .collect::<Vec<_>>()
                    .join(" ");
                let head = MADE_FOR
                    .find(&head)
                    .map_or(head.as_str(), |m| &head[..m.start()])
                    .to_string();
                type_names.title_type(&head, &type_heads)
            };
            of_row[row] = if typed != u32::MAX && (!guessed || backed(typed)) {
                // A shelf of rivals ("In-Ear": wireless earbuds and wired earphones) holds
                // each product as the rival its title names: a wired pair takes no charging
                // cable for a case it does not have.
                // A title naming part of the shelf's kind ("Keyboard and Mouse Set" on the
                // keyboard-and-mouse shelf reads "keyboard") keeps the shelf's type.
                let part_of_shelf = |t: u32| {
                    let names_of = |x: u32| type_names.names.iter().filter(move |(_, y)| *y == x);
                    names_of(t).any(|(part, _)| {
                        names_of(typed).any(|(whole, _)| part.iter().all(|w| whole.contains(w)))
                    })
                };
                title_type()
                    .filter(|&t| {
                        t != typed && substitutes[typed as usize].contains(&t) && !part_of_shelf(t)
                    })
                    .unwrap_or(typed)
            } else {
                title_type().unwrap_or(u32::MAX)
            };
            // A "Wired ... Headphones" listing is no wireless earbuds, whatever its shelf or
            // head noun says: the rival of the right connection, when the map has one.
            let t = of_row[row];
            if t != u32::MAX
                && let (Some(said), Some(named)) =
                    (says_wired(&p.title), says_wired(&names[t as usize]))
                && said != named
                && let Some(&rival) = substitutes[t as usize]
                    .iter()
                    .find(|&&r| says_wired(&names[r as usize]) == Some(said))
            {
                of_row[row] = rival;
            }
            let mut m = MadeFor::default();
            if let Some(l) = leaf {
                m.types.extend(&leaf_made_for[l as usize]);
            }
            for c in MADE_FOR.captures_iter(&p.title) {
                let phrase = c.get(1).map_or("", |x| x.as_str());
                m.types.extend(type_names.all(phrase));
                m.brands.extend(
                    brands
                        .all(phrase)
                        .into_iter()
                        .map(|i| brand_list[i].clone()),
                );
                m.models.extend(model_lines(phrase));
                m.targets.extend(model_targets(phrase));
            }
            // A product is not made for its own type ("Smart TV for home").
            m.types.retain(|&t| t != of_row[row]);
            m.types.sort_unstable();
            m.types.dedup();
            m.brands.sort();
            m.brands.dedup();
            m.models.sort();
            m.models.dedup();
            m.targets.sort();
            m.targets.dedup();
            if !m.types.is_empty() || !m.brands.is_empty() || !m.models.is_empty() {
                made_for.insert(row as u32, m);
            }
        }
        let by_ratings = |rows: &mut Vec<u32>| {
            rows.sort_by_key(|&r| (std::cmp::Reverse(products[r as usize].rating_count), r));
        };
        let mut rows = vec![Vec::new(); n];
        for (row, &t) in of_row.iter().enumerate() {
            if t != u32::MAX {
                rows[t as usize].push(row as u32);
            }
        }
        rows.iter_mut().for_each(by_ratings);
        let mut made_for_rows = vec![Vec::new(); n];
        for (&row, m) in &made_for {
            for &t in &m.types {
                made_for_rows[t as usize].push(row);
            }
        }
        made_for_rows.iter_mut().for_each(by_ratings);
        let mut also_does: HashMap<u32, Vec<u32>> = HashMap::new();
        for (row, p) in products.iter().enumerate() {
            let mut types = type_names.built_in(&p.title);
            types.retain(|&t| t != of_row[row]);
            if !types.is_empty() {
                types.sort_unstable();
                types.dedup();
                also_does.insert(row as u32, types);
            }
        }
        Ok(ProductTypes {
            names,
            of_row,
            rows,
            pairs,
            substitutes,
            made_for,
            made_for_rows,
            also_does,
            entries,
        })
    }

    /// Types known.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no map was laid over the catalog.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// A type's canonical name ("television").
    pub fn name(&self, t: u32) -> &str {
        self.names.get(t as usize).map_or("", String::as_str)
    }

    /// A row's type.
    pub fn type_of(&self, row: u32) -> Option<u32> {
        self.of_row
            .get(row as usize)
            .copied()
            .filter(|&t| t != u32::MAX)
    }

    /// Rows of a type, most rated first.
    pub fn rows_of(&self, t: u32) -> &[u32] {
        self.rows.get(t as usize).map_or(&[], Vec::as_slice)
    }

    /// Rows made for a type, most rated first.
    pub fn rows_made_for(&self, t: u32) -> &[u32] {
        self.made_for_rows
            .get(t as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// The map's entries for a row's type, in map order.
    pub fn entries_for(&self, row: u32) -> Vec<&Complement> {
        self.type_of(row)
            .map(|t| {
                self.pairs[t as usize]
                    .iter()
                    .map(|&(_, i)| &self.entries[i])
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Complement types of a row's type, in map order.
    pub fn complement_types(&self, row: u32) -> &[(u32, usize)] {
        self.type_of(row)
            .and_then(|t| self.pairs.get(t as usize))
            .map_or(&[], Vec::as_slice)
    }

    /// How `candidate` goes with `anchor` (both rows of `products`), if the map or the
    /// candidate's own words say so: made for the anchor's type and brand first ("Remote for
    /// Samsung TVs"), then a pair the map lists, then made for the anchor's type. A main
    /// product (a type the map gives complements of its own) is no accessory because its title
    /// says "for" ("Smart TV for home", "AV receiver for headphones").
    pub fn fit(&self, anchor: u32, candidate: u32, products: &[Product]) -> Option<Fit<'_>> {
        let a = self.type_of(anchor)?;
        let c = self.type_of(candidate);
        let made_for = self
            .made_for
            .get(&candidate)
            .filter(|m| m.types.contains(&a))
            .map(|m| {
                products
                    .get(anchor as usize)
                    .and_then(|p| p.brand.as_deref())
                    .is_some_and(|b| m.brands.iter().any(|x| x.eq_ignore_ascii_case(b)))
            });
        if made_for == Some(true) {
            return Some(Fit::MadeFor {
                for_type: a,
                brand: true,
            });
        }
        if let Some(c) = c
            && let Some(&(_, i)) = self.pairs[a as usize].iter().find(|&&(x, _)| x == c)
        {
            return Some(Fit::Paired(&self.entries[i]));
        }
        let accessory = c.is_none_or(|c| self.pairs[c as usize].is_empty());
        (made_for.is_some() && accessory).then_some(Fit::MadeFor {
            for_type: a,
            brand: false,
        })
    }

    /// Whether `candidate` says it is made for something `anchor` is not: other brands only
    /// ("Remote for LG TVs" and a Samsung TV), or model lines the anchor's title does not
    /// name ("Case for iPhone 13" and a Nokia 105).
    /// Ask it of a product offered as an accessory or complement of the anchor: "Cat Food for
    /// Adult Cats 7 lbs" bought with bananas says nothing about bananas.
    pub fn incompatible(&self, anchor: u32, candidate: u32, products: &[Product]) -> bool {
        let Some(m) = self.made_for.get(&candidate) else {
            return false;
        };
        let Some(a) = products.get(anchor as usize) else {
            return false;
        };
        // Model lines are another brand's business: "Bags for Excel, Ace models" fits the
        // bag maker's own vacuums, whatever their titles say.
        let same_brand = a.brand.is_some()
            && products
                .get(candidate as usize)
                .and_then(|p| p.brand.as_deref())
                == a.brand.as_deref();
        let title = word_set(&a.title);
        if !same_brand && !m.models.is_empty() && !m.models.iter().any(|w| title.contains(w)) {
            return true;
        }
        let Some(brand) = a.brand.as_deref() else {
            return false;
        };
        // Its own brand is no claim about what it fits ("boAt cable for boAt earbuds").
        let own = products
            .get(candidate as usize)
            .and_then(|p| p.brand.as_deref())
            .map(str::to_lowercase);
        let others: Vec<&String> = m
            .brands
            .iter()
            .filter(|b| Some(*b) != own.as_ref())
            .collect();
        !others.is_empty() && !others.iter().any(|b| b.eq_ignore_ascii_case(brand))
    }

    /// Whether `candidate` is made for a model `anchor` is made for, when `anchor` names one:
    /// the upsell of a case for an iPhone 7 is a case for an iPhone 7.
    pub fn same_target(&self, anchor: u32, candidate: u32) -> bool {
        let Some(ours) = self.made_for.get(&anchor).filter(|m| !m.targets.is_empty()) else {
            return true;
        };
        self.made_for
            .get(&candidate)
            .is_some_and(|m| m.targets.iter().any(|t| ours.targets.contains(t)))
    }

    /// Whether `b` does the job of `a`: one type, types that substitute for each other, or `b`
    /// says it does `a`'s job (`a`'s type is a built-in part of it). The last is one way: a
    /// mixer grinder "with chutney jar" still takes an extra chutney jar.
    pub fn substitutes(&self, a: u32, b: u32) -> bool {
        let does = |row: u32, t: Option<u32>| {
            t.is_some_and(|t| {
                self.also_does
                    .get(&row)
                    .is_some_and(|v| v.binary_search(&t).is_ok())
            })
        };
        let (x, y) = (self.type_of(a), self.type_of(b));
        let alike = match (x, y) {
            (Some(x), Some(y)) => x == y || self.substitutes[x as usize].binary_search(&y).is_ok(),
            _ => false,
        };
        alike || does(b, x)
    }
}

/// Words after which a title lists what the product has built in.
const BUILT_IN_LEADS: &[&str] = &["with", "built", "build", "inbuilt", "integrated"];

/// Words before "with" that make it a fit, not a part ("compatible with", "works with").
const FIT_WITH: &[&str] = &[
    "compatible",
    "works",
    "work",
    "fits",
    "fit",
    "use",
    "pair",
    "pairs",
];

/// Words that may follow a type's name in a list of what a product has built in and keep it
/// that type ("USB charger ports", "power bank function"); any other word makes the name a
/// modifier of another thing ("SD card reader", "phone holder").
const BUILT_IN_NEXT: &[&str] = &[
    "port",
    "function",
    "functionality",
    "feature",
    "mode",
    "and",
    "with",
    "for",
    "in",
    "plus",
];

/// Embeds texts in batches of 64.
fn embed_all<'a>(
    embedder: &dyn Embedder,
    texts: impl Iterator<Item = &'a str>,
) -> Result<Vec<Vec<f32>>> {
    let texts: Vec<&str> = texts.collect();
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(64) {
        out.extend(embedder.embed(chunk)?);
    }
    Ok(out)
}

/// The words of each part of a category name, singular: "Waffle Makers & Irons" ->
/// [["waffle", "maker"], ["iron"]].
fn segments(name: &str) -> Vec<Vec<String>> {
    name.split(['&', ',', '/'])
        .map(word_set)
        .filter(|words| !words.is_empty())
        .collect()
}

/// The head noun (last word) of each part of a category name, singular.
fn segment_heads(name: &str) -> Vec<String> {
    segments(name)
        .into_iter()
        .filter_map(|mut s| s.pop())
        .collect()
}

/// The part of a category name that makes it a shelf of things for another type: "Water
/// Purifier Accessories", "Laptop Accessories", "Small Appliance Parts". A shelf of the type
/// and its accessories ("Water Purifiers & Accessories") is none.
fn accessory_part(name: &str) -> Option<&str> {
    name.split(['&', ',', '/']).find(|part| {
        let words: Vec<String> = part
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        words.len() >= 2 && words.iter().any(|w| ACCESSORY_WORDS.contains(&w.as_str()))
    })
}

/// Names (of types or brands) found in texts by their words, singular or plural.
struct NameIndex<T> {
    /// Each name's words (singular) and what it names.
    names: Vec<(Vec<String>, T)>,
    /// Names by their first word.
    by_first: HashMap<String, Vec<usize>>,
}

impl<T: Copy + PartialEq> NameIndex<T> {
    fn new<'a>(names: impl Iterator<Item = (&'a str, T)>) -> NameIndex<T> {
        let mut index = NameIndex {
            names: Vec::new(),
            by_first: HashMap::new(),
        };
        for (name, value) in names {
            let words = word_set(name);
            let Some(first) = words.first().cloned() else {
                continue;
            };
            index
                .by_first
                .entry(first)
                .or_default()
                .push(index.names.len());
            index.names.push((words, value));
        }
        index
    }

    /// Indices of the names `text` writes out: every word present, in order and side by
    /// side when `phrase` ("water heater" is not in "electric head water heaters" as an
    /// "electric heater"), anywhere otherwise (category names: "TV Wall & Ceiling Mounts" holds
    /// "tv wall mount").
    fn found(&self, text: &str, phrase: bool) -> Vec<usize> {
        let words = word_set(text);
        let mut out: Vec<usize> = Vec::new();
        for (at, w) in words.iter().enumerate() {
            for &i in self.by_first.get(w).map_or(&[][..], Vec::as_slice) {
                let name = &self.names[i].0;
                let present = if phrase {
                    words[at..].starts_with(name)
                } else {
                    name.iter().all(|x| words.contains(x))
                };
                if present && !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        out
    }

    /// What the longest names found in `text` name (several on a tie).
    fn longest(&self, text: &str, phrase: bool) -> Vec<T> {
        let found = self.found(text, phrase);
        let best = found
            .iter()
            .map(|&i| self.names[i].0.len())
            .max()
            .unwrap_or(0);
        let mut out: Vec<T> = Vec::new();
        for i in found {
            let (words, value) = &self.names[i];
            if words.len() == best && !out.contains(value) {
                out.push(*value);
            }
        }
        out
    }

    /// The type a product title's head names: the longest name written out side by side that
    /// is not a modifier of the next word when that word ends a type name of its own ("Spiral
    /// Binding Notebook" is no binding; "Punching Bag Gloves" no punching bag).
    fn title_type(&self, head: &str, type_heads: &std::collections::HashSet<String>) -> Option<T> {
        let words = word_set(head);
        let mut best: Option<(usize, T)> = None;
        for (at, w) in words.iter().enumerate() {
            for &i in self.by_first.get(w).map_or(&[][..], Vec::as_slice) {
                let (name, value) = &self.names[i];
                if !words[at..].starts_with(name) {
                    continue;
                }
                let next = words.get(at + name.len());
                if next.is_some_and(|n| type_heads.contains(n)) {
                    continue;
                }
                // The longest name; of two as long, the later, as English puts the head
                // noun last ("Sleeping Bag Stuff Sack" is a stuff sack).
                if best.is_none_or(|(len, _)| name.len() >= len) {
                    best = Some((name.len(), *value));
                }
            }
        }
        best.map(|(_, t)| t)
    }

    /// What a product title says the product does as a built-in part: a name (all its words,
    /// side by side) within six words after "with" (not "compatible with") or "built-in", at
    /// the end of the title or followed by a word of [`BUILT_IN_NEXT`] ("with Build in Dual
    /// USB Charger Ports" names a USB charger; "with Phone Holder" no phone, "with OTG, SD Card
    /// Reader" no memory card). The phrase ends at "for" or "compatible".
    fn built_in(&self, title: &str) -> Vec<T> {
        let words = word_set(title);
        let mut out = Vec::new();
        for (at, w) in words.iter().enumerate() {
            let lead = BUILT_IN_LEADS.contains(&w.as_str())
                && !(w == "with"
                    && at
                        .checked_sub(1)
                        .is_some_and(|b| FIT_WITH.contains(&words[b].as_str())));
            if !lead {
                continue;
            }
            let end = (at + 7).min(words.len());
            let end = (at + 1..end)
                .find(|&k| matches!(words[k].as_str(), "for" | "compatible"))
                .unwrap_or(end);
            for k in at + 1..end {
                for &i in self.by_first.get(&words[k]).map_or(&[][..], Vec::as_slice) {
                    let (name, value) = &self.names[i];
                    let stop = k + name.len();
                    if stop <= end
                        && words[k..stop] == name[..]
                        && words
                            .get(stop)
                            .is_none_or(|n| BUILT_IN_NEXT.contains(&n.as_str()))
                    {
                        out.push(*value);
                    }
                }
            }
        }
        out
    }

    /// What every name found in `text` names, leaving out names inside a longer one found
    /// ("laptop" inside "laptop bag").
    fn all(&self, text: &str) -> Vec<T> {
        let found = self.found(text, true);
        let mut out: Vec<T> = Vec::new();
        for &i in &found {
            let words = &self.names[i].0;
            let inside = found.iter().any(|&j| {
                let longer = &self.names[j].0;
                longer.len() > words.len() && words.iter().all(|w| longer.contains(w))
            });
            if !inside && !out.contains(&self.names[i].1) {
                out.push(self.names[i].1);
            }
        }
        out
    }
}

/// Words a "for ..." phrase writes before a number without naming a model line.
const NOT_MODEL_LINES: &[&str] = &[
    "for",
    "to",
    "upto",
    "up",
    "and",
    "with",
    "of",
    "the",
    "all",
    "pack",
    "set",
    "size",
    "inch",
    "inches",
    "from",
    "between",
    "fits",
    "over",
    "under",
    "most",
    "any",
    "models",
    "model",
    "series",
    "gen",
    "generation",
    "version",
    "type",
    "usb",
    "pin",
    "port",
    "ports",
    "watt",
    "watts",
    "volt",
    "litre",
    "liter",
    "person",
    "people",
    "kids",
    "age",
    "ages",
    "year",
    "years",
    "men",
    "women",
    "size",
    "sizes",
    "plus",
    "pro",
    "max",
    "mini",
    "lite",
];

/// Model lines a "for ..." phrase names with a model number: a word of three letters or more
/// right before a token with a digit ("iPhone 13" gives "iphone", "Galaxy Tab A8" gives
/// "tab"; "Excel, Ace, 300 Models" gives "ace").
fn model_lines(phrase: &str) -> Vec<String> {
    model_targets(phrase)
        .iter()
        .filter_map(|t| t.split_whitespace().next())
        .map(crate::catalog::present::singular)
        .collect()
}

/// Models a "for ..." phrase names: a model line, the token with a digit after it and a series
/// mark after that ("iPhone 7 Plus" gives "iphone 7 plus"; "Galaxy S8" gives "galaxy s8").
fn model_targets(phrase: &str) -> Vec<String> {
    let words: Vec<String> = phrase
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let Some(number) = words.get(i + 1) else {
            break;
        };
        if w.len() >= 3
            && w.chars().all(char::is_alphabetic)
            && !NOT_MODEL_LINES.contains(&w.as_str())
            && number.chars().any(|c| c.is_ascii_digit())
        {
            // "iPhone 7 Plus" is not an "iPhone 7".
            let mark = words
                .get(i + 2)
                .filter(|m| SERIES_MARKS.contains(&m.as_str()))
                .map_or(String::new(), |m| format!(" {m}"));
            out.push(format!("{w} {number}{mark}"));
        }
    }
    out
}

/// Words after a model number that make it another model ("7 Plus", "13 Pro Max").
const SERIES_MARKS: &[&str] = &[
    "plus", "pro", "max", "mini", "ultra", "lite", "xl", "se", "edge",
];

/// The catalog's brands, lowercase, those of three letters or more.
fn catalog_brands(products: &[Product]) -> Vec<String> {
    let mut brands: Vec<String> = products
        .iter()
        .filter_map(|p| p.brand.as_deref())
        .map(|b| b.trim().to_lowercase())
        .filter(|b| b.chars().filter(|c| c.is_alphanumeric()).count() >= 3)
        .collect();
    brands.sort();
    brands.dedup();
    brands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_is_the_type_its_last_name_says() {
        let names = NameIndex::new([("sleeping bag", 0u32), ("stuff sack", 1)].into_iter());
        let heads: std::collections::HashSet<String> =
            ["bag", "sack"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            names.title_type("Forclaz Mesh Sleeping Bag Stuff Sack", &heads),
            Some(1)
        );
        assert_eq!(
            names.title_type("Forclaz Trek 500 Sleeping Bag", &heads),
            Some(0)
        );
    }
}
