//! Hard filters: category subtree, price range, minimum rating, in stock.

use serde::{Deserialize, Serialize};

use crate::catalog::Product;

/// Limits every result must respect. Applied inside both retrievers before fusion, so a filtered
/// query still returns `limit` results when that many products pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// A category name ("USBCables", "usb cables") matching any level of the path, or a path
    /// prefix ("Electronics|Headphones", "Electronics > Headphones").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// An exact category path prefix from the root, one name per level, as the catalog writes
    /// them. Names are never split, so "Legging 7/8" or "Trousers/pants" stay one level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_path: Option<Vec<String>>,
    /// Lowest price, in currency units, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<f64>,
    /// Highest price, in currency units, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<f64>,
    /// Lowest average rating, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rating: Option<f32>,
    /// Only products in stock.
    #[serde(default)]
    pub in_stock: bool,
}

impl Filter {
    /// True when the filter lets every product through.
    pub fn is_empty(&self) -> bool {
        self == &Filter::default()
    }

    /// Price bounds in minor units for a currency with `minor_per_major` minor units.
    pub(crate) fn price_bounds_minor(&self, minor_per_major: i64) -> (Option<i64>, Option<i64>) {
        let to_minor = |v: f64| (v * minor_per_major as f64).round() as i64;
        (self.min_price.map(to_minor), self.max_price.map(to_minor))
    }

    /// Checks the non-category parts of the filter against a product's facts. Products without
    /// a price fail any price bound; without a rating, any rating bound.
    pub(crate) fn accepts_facts(&self, facts: &RowFacts) -> bool {
        if self.in_stock && !facts.in_stock {
            return false;
        }
        if let Some(min) = self.min_rating
            && facts.rating.is_none_or(|r| r < min)
        {
            return false;
        }
        if self.min_price.is_some() || self.max_price.is_some() {
            let Some(price) = facts.price_minor else {
                return false;
            };
            let (lo, hi) = self.price_bounds_minor(facts.minor_per_major);
            if lo.is_some_and(|lo| price < lo) || hi.is_some_and(|hi| price > hi) {
                return false;
            }
        }
        true
    }

    /// Checks the numbers make sense.
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, v) in [("min price", self.min_price), ("max price", self.max_price)] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(format!("{name} {v} must be a number of 0 or more"));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_price, self.max_price)
            && lo > hi
        {
            return Err(format!("min price {lo} is above max price {hi}"));
        }
        if let Some(r) = self.min_rating
            && !(0.0..=5.0).contains(&r)
        {
            return Err(format!("min rating {r} must be between 0 and 5"));
        }
        Ok(())
    }
}

/// What filters look at, kept compact per row so a filter over 100k products stays fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowFacts {
    pub price_minor: Option<i64>,
    pub minor_per_major: i64,
    pub rating: Option<f32>,
    pub in_stock: bool,
}

impl RowFacts {
    pub(crate) fn of(p: &Product) -> RowFacts {
        RowFacts {
            price_minor: p.price.map(|m| m.minor),
            minor_per_major: p.price.map_or(100, |m| m.currency.minor_per_major()),
            rating: p.rating,
            in_stock: p.in_stock,
        }
    }
}

/// Lowercase letters and digits only: "USB Cables" and "USBCables" compare equal.
pub(crate) fn normalize_category(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Normalised category names that name the same thing, singular or plural.
fn same_category(a: &str, b: &str) -> bool {
    a == b || a.trim_end_matches('s') == b.trim_end_matches('s')
}

/// The category-path prefixes (of those in `paths`) a filter's category names.
///
/// A spec that is one category's name matches that name at any level, even when the name holds
/// a separator ("Legging 7/8"). Otherwise a spec with separators (`|`, `>`, `/`) is a path
/// prefix from the root. Names compare by letters and digits, case-insensitively, singular or
/// plural.
///
/// # Errors
/// An empty spec, or one that matches no category, with the spec in the message.
pub(crate) fn resolve_category(
    spec: &str,
    paths: &[Vec<String>],
) -> Result<Vec<Vec<String>>, String> {
    let whole = normalize_category(spec);
    let names_one = !whole.is_empty()
        && paths
            .iter()
            .flatten()
            .any(|n| same_category(&normalize_category(n), &whole));
    let parts: Vec<String> = if names_one {
        vec![whole]
    } else {
        spec.split(['|', '>', '/'])
            .map(normalize_category)
            .filter(|p| !p.is_empty())
            .collect()
    };
    if parts.is_empty() {
        return Err(format!("category '{spec}' is empty"));
    }
    let same = same_category;
    let mut found: Vec<Vec<String>> = Vec::new();
    for path in paths {
        let norm: Vec<String> = path.iter().map(|n| normalize_category(n)).collect();
        let prefix_len = if parts.len() > 1 {
            (norm.len() >= parts.len() && parts.iter().zip(&norm).all(|(a, b)| same(a, b)))
                .then_some(parts.len())
        } else {
            norm.iter().position(|n| same(n, &parts[0])).map(|i| i + 1)
        };
        if let Some(len) = prefix_len {
            let prefix = path[..len].to_vec();
            if !found.contains(&prefix) {
                found.push(prefix);
            }
        }
    }
    if found.is_empty() {
        return Err(format!("no category in the catalog matches '{spec}'"));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Vec<Vec<String>> {
        let p = |s: &str| s.split('|').map(String::from).collect::<Vec<_>>();
        vec![
            p("Computers&Accessories|Accessories&Peripherals|Cables&Accessories|Cables|USBCables"),
            p("Electronics|HomeTheater,TV&Video|Accessories|Cables|HDMICables"),
            p("Electronics|Headphones,Earbuds&Accessories|Headphones|In-Ear"),
        ]
    }

    #[test]
    fn category_names_match_any_level_loosely() {
        assert_eq!(
            resolve_category("usb cables", &paths()).unwrap(),
            vec![paths()[0].clone()]
        );
        assert_eq!(
            resolve_category("USBCable", &paths()).unwrap(),
            vec![paths()[0].clone()]
        );
        // "Cables" is a level in two different subtrees: both are kept.
        let cables = resolve_category("cables", &paths()).unwrap();
        assert_eq!(cables.len(), 2);
        assert!(cables.iter().all(|p| p.last().unwrap() == "Cables"));
        assert_eq!(
            resolve_category("electronics > headphones,earbuds&accessories", &paths())
                .unwrap()
                .len(),
            1
        );
        assert!(resolve_category("garden hose", &paths()).is_err());
        assert!(resolve_category(" | ", &paths()).is_err());
    }

    #[test]
    fn a_category_name_holding_a_slash_is_one_name() {
        let p = |s: &str| s.split('|').map(String::from).collect::<Vec<_>>();
        let paths = vec![
            p("Women|Legging 7/8"),
            p("Men|Trousers/pants"),
            p("Men|Trousers"),
        ];
        assert_eq!(
            resolve_category("Legging 7/8", &paths).unwrap(),
            vec![paths[0].clone()]
        );
        assert_eq!(
            resolve_category("trousers/pants", &paths).unwrap(),
            vec![paths[1].clone()]
        );
        // A path spelled with separators still works.
        assert_eq!(
            resolve_category("Men > Trousers", &paths).unwrap(),
            vec![paths[2].clone()]
        );
    }

    #[test]
    fn price_and_rating_bounds_are_inclusive_and_exclude_unpriced() {
        use crate::catalog::{Currency, Money};
        let mut p = Product::new("a", "Cable");
        p.price = Some(Money::parse("₹300", Currency::INR).unwrap());
        p.rating = Some(4.0);
        let f = Filter {
            max_price: Some(300.0),
            min_rating: Some(4.0),
            ..Filter::default()
        };
        assert!(f.accepts_facts(&RowFacts::of(&p)));
        let f = Filter {
            max_price: Some(299.99),
            ..Filter::default()
        };
        assert!(!f.accepts_facts(&RowFacts::of(&p)));
        p.price = None;
        assert!(
            !Filter {
                min_price: Some(0.0),
                ..Filter::default()
            }
            .accepts_facts(&RowFacts::of(&p))
        );
        assert!(Filter::default().accepts_facts(&RowFacts::of(&p)));
        assert!(
            Filter {
                min_price: Some(5.0),
                max_price: Some(1.0),
                ..Filter::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Filter {
                max_price: Some(f64::NAN),
                ..Filter::default()
            }
            .validate()
            .is_err()
        );
    }
}
