//! Amazon Review Data 2018 (McAuley / Ni): JSON lines of product metadata (`meta_*.json.gz`)
//! or of reviews (`*_5.json.gz`). Both kinds may share one file; each line says which it is.
//!
//! The metadata was scraped from product pages and keeps their debris: HTML entities and tags
//! in titles, CSS where a price should be, marketing sentences in the category list. Missing or
//! unreadable prices are normal here, so they leave `price` empty rather than reject the row.

use std::io::BufRead;
use std::path::Path;

use serde_json::{Map, Value};

use super::{OnRow, for_each_line, strip_html};
use crate::catalog::{Currency, Money, Product, Record, Result, Review};

/// Feature bullets copied into `attributes`.
const MAX_FEATURE_ATTRIBUTES: usize = 6;

/// Longest text taken as a category name; longer entries are sentences that leaked in.
const MAX_CATEGORY_CHARS: usize = 60;

pub(crate) fn read(input: Box<dyn BufRead>, path: &Path, on_row: &mut OnRow<'_>) -> Result<()> {
    for_each_line(input, path, on_row, parse_line)
}

fn parse_line(line: &str) -> std::result::Result<Record, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("line is not a JSON object".into());
    };
    if object.contains_key("reviewerID") && object.contains_key("overall") {
        review(&object)
    } else if object.contains_key("asin") && object.contains_key("title") {
        product(&object).map(|p| Record::Product(Box::new(p)))
    } else {
        Err(
            "line is neither product metadata (asin, title) nor a review (reviewerID, overall)"
                .into(),
        )
    }
}

fn review(object: &Map<String, Value>) -> std::result::Result<Record, String> {
    let product_id = text(object, "asin");
    if product_id.is_empty() {
        return Err("review has no asin".into());
    }
    let rating = match object.get("overall") {
        Some(Value::Number(n)) => n.as_f64().filter(|r| (0.0..=5.0).contains(r)),
        _ => None,
    }
    .ok_or_else(|| {
        let given = object
            .get("overall")
            .map(Value::to_string)
            .unwrap_or_default();
        format!("review rating '{given}' is not a number from 0 to 5")
    })?;
    let author = text(object, "reviewerID");
    Ok(Record::Review {
        product_id,
        review: Review {
            id: None,
            author_id: (!author.is_empty()).then_some(author),
            rating: Some(rating as f32),
            title: text(object, "summary"),
            text: text(object, "reviewText"),
        },
    })
}

fn product(object: &Map<String, Value>) -> std::result::Result<Product, String> {
    let id = text(object, "asin");
    if id.is_empty() {
        return Err("product id (asin) is empty".into());
    }
    let title = strip_html(&text(object, "title"));
    if title.is_empty() {
        // Most magazine titles are a bare `<span class="...">` whose text the scraper lost.
        return Err(format!(
            "product '{id}' has an empty title after removing HTML"
        ));
    }
    let mut product = Product::new(id, title);
    product.description = strings(object, "description")
        .iter()
        .map(|d| strip_html(d))
        .filter(|d| !d.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    product.category_path = category_path(&strings(object, "category"));
    product.brand = brand(&text(object, "brand"));
    // "$12.99" parses; "", ranges ("$10.00 - $20.00") and scraped CSS do not, and leave None.
    product.price = Money::parse(&strip_html(&text(object, "price")), Currency::USD).ok();
    for (n, feature) in strings(object, "feature")
        .iter()
        .map(|f| strip_html(f))
        .filter(|f| !f.is_empty())
        .take(MAX_FEATURE_ATTRIBUTES)
        .enumerate()
    {
        product
            .attributes
            .insert(format!("feature_{}", n + 1), feature);
    }
    product.image_url = strings(object, "imageURLHighRes")
        .into_iter()
        .chain(strings(object, "imageURL"))
        .map(|u| u.trim().to_string())
        .find(|u| !u.is_empty());
    product.related.also_bought = ids(object, "also_buy");
    product.related.also_viewed = ids(object, "also_view");
    Ok(product)
}

/// The category list, cleaned: HTML removed, consecutive repeats (`["Gift Cards", "Gift
/// Cards"]`) folded, and sentences dropped (the Gift Cards file lists selling points such as
/// "No expiration, no fees." as categories); a real category name is a short label.
fn category_path(raw: &[String]) -> Vec<String> {
    let mut path: Vec<String> = Vec::new();
    for name in raw.iter().map(|c| strip_html(c)) {
        let sentence = name.ends_with('.') || name.chars().count() > MAX_CATEGORY_CHARS;
        if name.is_empty() || sentence || path.last() == Some(&name) {
            continue;
        }
        path.push(name);
    }
    path
}

/// The brand, without the "by" that some pages put before it ("by\n    Microsoft").
fn brand(raw: &str) -> Option<String> {
    let brand = strip_html(raw);
    let brand = brand.strip_prefix("by ").unwrap_or(&brand).trim();
    (!brand.is_empty()).then(|| brand.to_string())
}

/// A string field, or "" when it is missing or not a string (numbers are written out).
fn text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A field that should be a list of strings; a lone string counts as a list of one.
fn strings(object: &Map<String, Value>, key: &str) -> Vec<String> {
    match object.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn ids(object: &Map<String, Value>, key: &str) -> Vec<String> {
    strings(object, key)
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    use super::*;

    use crate::catalog::readers::test_support::{Rows, json_value, run_reader};

    fn run(text: &str) -> (Result<()>, Rows) {
        run_reader(read, "meta.json", text.as_bytes())
    }

    #[test]
    fn reads_metadata_with_html_and_junk() {
        let lines = [
            r#"{"category": ["Gift Cards", "Gift Cards", "No expiration, no fees.", "</span></span>"], "description": ["<div>Gift card for <b>Serendipity 3</b>.</div>", ""], "title": " Maggiano&#39;s Gift Card", "also_buy": ["B1", ""], "brand": "by\n    \n    Microsoft", "feature": ["Never expires", "<br>"], "also_view": ["B2"], "price": "$1,250.00", "asin": "B001", "imageURL": ["small.jpg"], "imageURLHighRes": ["big.jpg"]}"#,
            r#"{"title": "Range", "asin": "B002", "price": "$10.00 - $20.00", "category": [], "imageURL": [], "imageURLHighRes": []}"#,
            r#"{"title": "Css", "asin": "B003", "price": ".a-box-inner{background-color:#fff}", "imageURL": ["only.jpg"]}"#,
        ];
        let (result, rows) = run(&lines.join("\n"));
        assert!(result.is_ok());
        let products: Vec<&Product> = rows
            .iter()
            .map(|(_, r)| match r {
                Ok(Record::Product(p)) => &**p,
                other => panic!("expected a product, got {other:?}"),
            })
            .collect();
        let p = products[0];
        assert_eq!(p.id, "B001");
        assert_eq!(p.title, "Maggiano's Gift Card");
        assert_eq!(p.description, "Gift card for Serendipity 3 .");
        assert_eq!(p.category_path, vec!["Gift Cards"]);
        assert_eq!(p.brand.as_deref(), Some("Microsoft"));
        assert_eq!(p.price, Some(Money::from_minor(125_000, Currency::USD)));
        assert_eq!(p.attributes.len(), 1);
        assert_eq!(p.attributes["feature_1"], "Never expires");
        assert_eq!(p.image_url.as_deref(), Some("big.jpg"));
        assert_eq!(p.related.also_bought, vec!["B1"]);
        assert_eq!(p.related.also_viewed, vec!["B2"]);
        assert_eq!(products[1].price, None);
        assert_eq!(products[2].price, None);
        assert_eq!(products[2].image_url.as_deref(), Some("only.jpg"));
    }

    #[test]
    fn reads_reviews() {
        let line = r#"{"overall": 4.0, "verified": true, "reviewerID": "A2MN", "asin": "B004", "reviewText": "Gift card for my daughter", "summary": "Ease of use", "unixReviewTime": 1528934400}"#;
        let (_, rows) = run(line);
        assert_eq!(
            rows,
            vec![(
                1,
                Ok(Record::Review {
                    product_id: "B004".into(),
                    review: Review {
                        id: None,
                        author_id: Some("A2MN".into()),
                        rating: Some(4.0),
                        title: "Ease of use".into(),
                        text: "Gift card for my daughter".into(),
                    },
                })
            )]
        );
    }

    #[test]
    fn rejects_bad_lines_with_their_line_and_reason() {
        let text = [
            r#"{"title": "<span class=\"a-size-medium a-color-secondary\"", "asin": "B005"}"#,
            r#"{"title": "No id", "asin": ""}"#,
            "",
            r#"{"title": "Cut off", "asin": "#,
            r#"{"name": "neither"}"#,
            r#"["an", "array"]"#,
            r#"{"overall": "five", "reviewerID": "A1", "asin": "B006"}"#,
            r#"{"overall": 5.0, "reviewerID": "A1"}"#,
        ]
        .join("\n");
        let (result, rows) = run(&text);
        assert!(result.is_ok());
        let got: Vec<(u64, String)> = rows
            .into_iter()
            .map(|(line, r)| (line, r.err().unwrap_or_default()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "product 'B005' has an empty title after removing HTML".into()),
                (2, "product id (asin) is empty".into()),
                (
                    4,
                    "malformed JSON: EOF while parsing a value at line 1 column 29".into()
                ),
                (
                    5,
                    "line is neither product metadata (asin, title) nor a review (reviewerID, overall)"
                        .into()
                ),
                (6, "line is not a JSON object".into()),
                (7, "review rating '\"five\"' is not a number from 0 to 5".into()),
                (8, "review has no asin".into()),
            ]
        );
    }

    fn json_line() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("asin"),
            Just("title"),
            Just("description"),
            Just("category"),
            Just("brand"),
            Just("price"),
            Just("feature"),
            Just("imageURL"),
            Just("imageURLHighRes"),
            Just("also_buy"),
            Just("also_view"),
            Just("reviewerID"),
            Just("overall"),
            Just("summary"),
            Just("reviewText"),
        ];
        proptest::collection::btree_map(key, json_value("[ -~<>&#;$]{0,16}"), 0..10).prop_map(
            |fields| {
                let object: Map<String, Value> = fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                Value::Object(object).to_string()
            },
        )
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in "(?s).{0,300}") {
            let _ = run(&text);
        }

        #[test]
        fn one_callback_per_json_line(lines in proptest::collection::vec(json_line(), 0..20)) {
            let (result, rows) = run(&lines.join("\n"));
            prop_assert!(result.is_ok());
            prop_assert_eq!(rows.len(), lines.len());
            let accepted = rows.iter().filter(|r| r.1.is_ok()).count();
            let rejected = rows.iter().filter(|r| r.1.is_err()).count();
            prop_assert_eq!(accepted + rejected, lines.len());
            let numbers: Vec<u64> = rows.iter().map(|r| r.0).collect();
            prop_assert_eq!(numbers, (1..=lines.len() as u64).collect::<Vec<_>>());
        }
    }
}
