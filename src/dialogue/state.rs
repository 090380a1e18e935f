//! How a search message changes the [`SearchState`]: reset on a new product kind, else
//! refine (add or replace a constraint), relax ("any brand"), move relative to the products
//! shown ("cheaper": strictly below the cheapest shown) or order ("the cheapest").

use crate::catalog::Product;
use crate::catalog::present::{all_specs, spec_value};
use crate::understand::{Direction, Measure, Relax, SpecKind, Understanding};

use super::session::{Relative, SearchState};

/// What a message did to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// A new search: nothing of the old one is kept.
    Reset,
    /// The same search, narrowed, widened, moved or reordered.
    Refined,
}

/// Words of a query that say nothing about the product ("ok whats the", "wala dikhao").
pub(crate) const FILLER_WORDS: &[&str] = &[
    "ok",
    "okay",
    "has",
    "had",
    "just",
    "bought",
    "got",
    "purchased",
    "it",
    "this",
    "that",
    "like",
    "what",
    "whats",
    "what's",
    "which",
    "is",
    "are",
    "the",
    "a",
    "an",
    "any",
    "anything",
    "something",
    "from",
    "show",
    "me",
    "some",
    "please",
    "pls",
    "one",
    "ones",
    "best",
    "rated",
    "cheapest",
    "cheaper",
    "cheap",
    "then",
    "need",
    "want",
    "i",
    "looking",
    "for",
    "to",
    "buy",
    "get",
    "bhai",
    "wala",
    "wali",
    "dikhao",
    "chahiye",
    "accha",
    "acha",
    "ke",
    "andar",
    "ka",
    "ki",
    "ko",
    "hai",
    "do",
    "you",
    "have",
    "good",
    "nice",
    "better",
    "other",
    "else",
    "more",
    "most",
    "expensive",
    "top",
    "under",
    "below",
    "around",
    "with",
    "in",
    "and",
    "or",
    "of",
    "maybe",
    "also",
    "but",
    "so",
    "too",
    "very",
    "really",
    "actually",
    "thing",
    "things",
    "kind",
    "sort",
    "type",
    "option",
    "options",
    "instead",
    "only",
    "just",
    "now",
    "there",
    "here",
    "we",
    "my",
    "can",
    "could",
    "would",
    "will",
    "see",
    "let",
    "lets",
    "let's",
    "how",
    "about",
    "bhi",
    "aur",
    "koi",
    "kuch",
    "ye",
    "wo",
    "isse",
    "usse",
    "yes",
    "no",
    "whichever",
    "whatever",
    "which",
    "ever",
    "still",
    "again",
    "else",
    "btw",
    "hmm",
    "hey",
    "hi",
    "hello",
    "thanks",
    "thank",
    "ji",
    "sir",
    "yaar",
    "bro",
    "dikhao",
    "dikha",
    "chalega",
    "chalegi",
    "than",
    "kya",
    "much",
    "many",
    "lot",
    "lots",
    "bit",
    "little",
    "enough",
    "way",
    "kaunsa",
    "konsa",
    "wale",
    "waala",
    "plz",
];

/// Colour words: a new colour replaces the old one rather than adding to it.
const COLOURS: &[&str] = &[
    "black", "white", "grey", "gray", "blue", "red", "green", "pink", "purple", "yellow", "orange",
    "silver", "gold", "brown", "beige", "maroon", "navy",
];

/// The words of `text` that name or describe the product: not filler, not numbers, not the
/// brand (which the state keeps apart). Lowercase, in order.
pub fn content_words(text: &str, brand: Option<&str>) -> Vec<String> {
    let brand = brand.map(str::to_lowercase);
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                .to_lowercase()
        })
        .filter(|w| {
            !w.is_empty()
                && !FILLER_WORDS.contains(&w.as_str())
                && !w
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
                && brand.as_deref() != Some(w.as_str())
        })
        .collect()
}

impl SearchState {
    /// Applies one search message. `shown` is the last list shown, in order; `focus` the
    /// product the conversation is about. Relative moves are strict bounds against `shown`;
    /// with nothing shown they order the search instead ("cheaper tvs" = cheapest first).
    pub fn update(
        &mut self,
        u: &Understanding,
        shown: &[&Product],
        focus: Option<&Product>,
    ) -> StateChange {
        let slots = &u.slots;
        let content = content_words(&u.terms, slots.brand.as_deref());
        let content: Vec<String> = content
            .into_iter()
            .filter(|w| {
                !slots
                    .attributes
                    .iter()
                    .any(|a| a.split_whitespace().any(|x| x == w))
            })
            .collect();
        // A product named with none of the words of the search so far ("actually I need a
        // power bank" after chargers), or in another branch of the category tree, is a new
        // search; "a 32 inch led tv" after TVs is the same one.
        let old_words = content_words(&self.terms, self.brand.as_deref());
        let same_words = content.iter().any(|w| {
            let stem = w.trim_end_matches('s');
            old_words.iter().any(|o| o.trim_end_matches('s') == stem)
        });
        let other_branch = match (&u.category_path, &self.category) {
            (Some(new), Some(old)) => !same_family(new, old),
            _ => false,
        };
        // A kind asked for besides this one ("also need a mouse pad" after keyboards) is a
        // search of its own, words shared or not.
        let besides = u.also
            && u.names_product
            && match (&u.category_path, &self.category) {
                (Some(new), Some(old)) => !new.starts_with(old) && !old.starts_with(new),
                _ => true,
            };
        // A kind the word lists do not know ("dumbbells") still starts over when its
        // category is another branch.
        let new_kind = !content.is_empty()
            && ((u.names_product && !same_words)
                || besides
                || (other_branch && (u.names_product || !same_words)));
        let start_over = slots.relax.contains(&Relax::All);
        if self.is_empty() || new_kind || start_over {
            *self = SearchState {
                category: u.category_path.clone(),
                budget: slots.budget.clone(),
                brand: slots.brand.clone(),
                attributes: slots.attributes.clone(),
                specs: slots.specs.clone(),
                terms: u.terms.trim().to_string(),
                sort: None,
                relative: None,
                last_count: None,
            };
            if let Some(d) = slots.direction {
                self.order_or_move(d, &[], None);
            }
            return StateChange::Reset;
        }
        // A move is against the list it was made from: the next message starts from the
        // list that move showed.
        self.relative = None;
        for r in &slots.relax {
            match r {
                Relax::Brand => self.brand = None,
                Relax::Budget => {
                    self.budget = None;
                    self.drop_relative(Measure::Price);
                }
                Relax::Specs => {
                    self.specs.clear();
                    self.drop_relative(Measure::Size);
                }
                Relax::Attributes => self.attributes.clear(),
                Relax::All => {}
            }
        }
        if let Some(b) = &slots.brand {
            self.brand = Some(b.clone());
        }
        if let Some(b) = &slots.budget {
            self.budget = Some(b.clone());
            self.drop_relative(Measure::Price);
        }
        for a in &slots.attributes {
            if COLOURS.contains(&a.as_str()) {
                self.attributes.retain(|x| !COLOURS.contains(&x.as_str()));
            }
            if !self.attributes.contains(a) {
                self.attributes.push(a.clone());
            }
        }
        for s in &slots.specs {
            self.specs.retain(|x| x.kind != s.kind);
            self.specs.push(s.clone());
            if self
                .relative
                .as_ref()
                .is_some_and(|r| r.kind == Some(s.kind))
            {
                self.relative = None;
            }
        }
        // A narrower category of the same kind ("smart TVs" within TVs) is taken; a sibling
        // named instead ("fan heater instead" of room heaters) replaces the kind and its
        // words, and keeps budget, brand and the rest.
        let mut terms = self.terms.clone();
        if let (Some(new), Some(old)) = (&u.category_path, &self.category)
            && u.names_product
            && new != old
        {
            self.category = Some(new.clone());
        } else if self.category.is_none() && u.names_product {
            self.category = u.category_path.clone();
        }
        // The product named again ("cheapest smart tv") is named in the new words.
        if u.names_product {
            terms.clear();
        }
        // A superlative on price after a search that found nothing ("the cheapest 65 inch
        // then") drops the budget that emptied it.
        if slots
            .direction
            .is_some_and(|d| d.most && d.measure == Measure::Price)
            && self.last_count == Some(0)
            && slots.budget.is_none()
        {
            self.budget = None;
        }
        // New words about the product ("durable", "for travel") join the terms.
        for w in content {
            if !terms.split_whitespace().any(|t| t == w) {
                terms = format!("{terms} {w}").trim().to_string();
            }
        }
        self.terms = terms;
        if let Some(d) = slots.direction {
            self.order_or_move(d, shown, focus);
        }
        StateChange::Refined
    }

    /// A superlative orders the search; a move becomes a strict bound against the shown
    /// list, or, with nothing to compare to, orders the search that way.
    fn order_or_move(&mut self, d: Direction, shown: &[&Product], focus: Option<&Product>) {
        if d.most {
            self.sort = Some(d);
            self.relative = None;
            return;
        }
        self.sort = None;
        let relative = relative_to(d, shown, focus);
        // "Bigger" than 32 inches drops the 32-inch want.
        if let Some(kind) = relative.as_ref().and_then(|r| r.kind) {
            self.specs.retain(|s| s.kind != kind);
        }
        match relative {
            Some(r) => self.relative = Some(r),
            None => {
                self.relative = None;
                self.sort = Some(Direction { most: true, ..d });
            }
        }
    }

    fn drop_relative(&mut self, measure: Measure) {
        if self
            .relative
            .as_ref()
            .is_some_and(|r| r.direction.measure == measure)
        {
            self.relative = None;
        }
    }
}

/// Whether two category paths are the same kind of product: one holds the other, or they
/// are sibling leaves ("Fan Heaters" and "Electric Heaters" under "Room Heaters").
fn same_family(a: &[String], b: &[String]) -> bool {
    if a.starts_with(b) || b.starts_with(a) {
        return true;
    }
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    common >= 2 && common + 1 >= a.len().min(b.len())
}

/// The spec kind a size move compares: the one named, else the sized kind most of `products`
/// state (a TV's screen, a kettle's capacity).
pub(crate) fn size_kind(named: Option<SpecKind>, products: &[&Product]) -> Option<SpecKind> {
    if named.is_some() {
        return named;
    }
    let mut counts: Vec<(SpecKind, usize)> = Vec::new();
    for p in products {
        for h in all_specs(p) {
            if h.value.is_none() || !h.kind.more_is_better() {
                continue;
            }
            match counts.iter_mut().find(|c| c.0 == h.kind) {
                Some(c) => c.1 += 1,
                None => counts.push((h.kind, 1)),
            }
        }
    }
    // Ties go to the kind listed first (`max_by_key` keeps the last maximum, so reverse).
    counts.into_iter().rev().max_by_key(|c| c.1).map(|c| c.0)
}

/// A wanted feature, read once: a colour (matched in titles), specs without a number ("4k" ->
/// a 4K picture, "braided", "wireless", "ipx5"), or else its spellings ("type-c": "USB-C",
/// "Type C") as words of a title.
pub(crate) enum Feature {
    Colour(String),
    Specs(Vec<crate::catalog::Highlight>),
    Spellings(Vec<String>),
}

/// Lowercase words of a text, space-joined and padded: " usb c cable ".
fn padded_words(text: &str) -> String {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '.')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    format!(" {} ", words.join(" "))
}

impl Feature {
    pub(crate) fn new(feature: &str) -> Feature {
        let feature = feature.to_lowercase();
        if COLOURS.contains(&feature.as_str()) {
            return Feature::Colour(feature);
        }
        let specs: Vec<_> = crate::catalog::present::specs_in(&feature, true)
            .into_iter()
            .filter(|h| h.value.is_none())
            .collect();
        if !specs.is_empty() {
            return Feature::Specs(specs);
        }
        // In canonical spelling: an open "with night vision" is held by a title that says
        // "night vision".
        let canonical = crate::understand::parse::canonical_attribute(&feature);
        Feature::Spellings(
            crate::understand::parse::attribute_variants(&canonical)
                .iter()
                .map(|v| padded_words(v))
                .collect(),
        )
    }

    /// Whether a product has the feature.
    pub(crate) fn held_by(&self, p: &Product) -> bool {
        match self {
            Feature::Colour(colour) => p
                .title
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| {
                    w == colour
                        || (colour == "grey" && w == "gray")
                        || (colour == "gray" && w == "grey")
                }),
            Feature::Specs(wanted) => {
                let specs = all_specs(p);
                wanted.iter().all(|w| {
                    specs.iter().any(|h| {
                        h.kind == w.kind
                            && (h.text.eq_ignore_ascii_case(&w.text)
                                // Bluetooth is wireless.
                                || (w.text == "wireless" && h.text == "Bluetooth"))
                    })
                })
            }
            Feature::Spellings(spellings) => {
                let title = padded_words(&p.title);
                spellings.iter().any(|v| title.contains(v.as_str()))
            }
        }
    }
}

/// The strict bound a move sets against the shown list: cheaper than the cheapest shown,
/// pricier than the priciest, better rated than the product in focus (else the first shown),
/// bigger than the biggest, smaller than the smallest.
fn relative_to(d: Direction, shown: &[&Product], focus: Option<&Product>) -> Option<Relative> {
    let pick = |values: Vec<(f64, &Product)>| {
        let best = if d.more {
            values.into_iter().max_by(|a, b| a.0.total_cmp(&b.0))
        } else {
            values.into_iter().min_by(|a, b| a.0.total_cmp(&b.0))
        };
        best.map(|(v, p)| (v, p.id.clone()))
    };
    let (bound, from, kind) = match d.measure {
        Measure::Price => {
            let (v, id) = pick(
                shown
                    .iter()
                    .filter_map(|p| p.price.map(|m| (m.amount(), *p)))
                    .collect(),
            )?;
            (v, id, None)
        }
        Measure::Rating => {
            if !d.more {
                return None;
            }
            let anchor = focus
                .filter(|f| shown.iter().any(|p| p.id == f.id))
                .or_else(|| shown.first().copied())?;
            (f64::from(anchor.rating?), anchor.id.clone(), None)
        }
        Measure::Size => {
            let kind = size_kind(d.kind, shown)?;
            let (v, id) = pick(
                shown
                    .iter()
                    .filter_map(|p| spec_value(p, kind).map(|v| (v, *p)))
                    .collect(),
            )?;
            (v, id, Some(kind))
        }
    };
    Some(Relative {
        direction: d,
        bound,
        kind,
        from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Currency, Money};
    use crate::understand::{Budget, Intent, IntentSource, Slots};

    fn understood(
        terms: &str,
        category: Option<&[&str]>,
        names_product: bool,
        slots: Slots,
    ) -> Understanding {
        Understanding {
            intent: Intent::Search,
            intent_source: IntentSource::Rules,
            slots,
            category_path: category.map(|c| c.iter().map(|s| s.to_string()).collect()),
            declined: false,
            injection: false,
            noise: false,
            query: terms.into(),
            terms: terms.into(),
            names_product,
            feature_only: false,
            also: false,
            query_vector: None,
        }
    }

    fn tv(id: &str, price: f64, rating: f32, inches: u32) -> Product {
        let mut p = Product::new(id, format!("Brand {inches} inch Smart LED TV"));
        p.price = Some(Money::from_amount(price, Currency::INR).unwrap());
        p.rating = Some(rating);
        p.category_path = vec!["Electronics".into(), "Televisions".into()];
        p
    }

    const TVS: &[&str] = &["Electronics", "Televisions"];

    #[test]
    fn refinements_keep_the_search_and_a_new_kind_resets_it() {
        let mut s = SearchState::default();
        let first = understood(
            "smart tv",
            Some(TVS),
            true,
            Slots {
                budget: Some(Budget {
                    max: Some(30000.0),
                    ..Budget::default()
                }),
                ..Slots::default()
            },
        );
        assert_eq!(s.update(&first, &[], None), StateChange::Reset);
        let samsung = understood(
            "",
            None,
            false,
            Slots {
                brand: Some("Samsung".into()),
                ..Slots::default()
            },
        );
        assert_eq!(s.update(&samsung, &[], None), StateChange::Refined);
        assert_eq!(s.brand.as_deref(), Some("Samsung"));
        assert_eq!(s.budget.as_ref().and_then(|b| b.max), Some(30000.0));
        let any_brand = understood(
            "",
            None,
            false,
            Slots {
                relax: vec![Relax::Brand],
                ..Slots::default()
            },
        );
        s.update(&any_brand, &[], None);
        assert_eq!(s.brand, None);
        let kettle = understood(
            "electric kettle",
            Some(&["Home", "Kettles"]),
            true,
            Slots::default(),
        );
        assert_eq!(s.update(&kettle, &[], None), StateChange::Reset);
        assert_eq!(s.budget, None);
        assert_eq!(s.terms, "electric kettle");
    }

    #[test]
    fn moves_are_strict_bounds_against_the_shown_list() {
        let shown = [
            tv("a", 20000.0, 4.1, 43),
            tv("b", 15000.0, 4.3, 32),
            tv("c", 25000.0, 3.9, 55),
        ];
        let refs: Vec<&Product> = shown.iter().collect();
        let mut s = SearchState::default();
        s.update(
            &understood("tv", Some(TVS), true, Slots::default()),
            &[],
            None,
        );
        let mv = |measure, more| Slots {
            direction: Some(Direction {
                measure,
                more,
                most: false,
                kind: None,
            }),
            ..Slots::default()
        };
        s.update(
            &understood("", None, false, mv(Measure::Price, false)),
            &refs,
            None,
        );
        let r = s.relative.clone().unwrap();
        assert_eq!((r.bound, r.from.as_str()), (15000.0, "b"));
        s.update(
            &understood("", None, false, mv(Measure::Size, true)),
            &refs,
            None,
        );
        let r = s.relative.clone().unwrap();
        assert_eq!((r.bound, r.kind), (55.0, Some(SpecKind::ScreenSize)));
        // "A better one" beats the product in focus.
        s.update(
            &understood("", None, false, mv(Measure::Rating, true)),
            &refs,
            Some(&shown[1]),
        );
        assert_eq!(s.relative.clone().unwrap().from, "b");
        // With nothing shown, "cheaper" orders the search instead.
        let mut fresh = SearchState::default();
        fresh.update(
            &understood("tv", Some(TVS), true, mv(Measure::Price, false)),
            &[],
            None,
        );
        assert_eq!(fresh.relative, None);
        assert!(
            fresh
                .sort
                .is_some_and(|d| d.most && !d.more && d.measure == Measure::Price)
        );
    }
}
