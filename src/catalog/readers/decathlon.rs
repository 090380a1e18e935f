//! A JSON array of product objects: Decathlon products scraped from its US Shopify shop
//! (`{id, name, url, vendor, category, tags, images, creation_date, price}`, prices as USD text
//! "2.49"), and search-demo exports of the same shape such as the Best Buy cell phones
//! (`{name, description, brand, categories: [...], price: 49.99, image, popularity}`). Fields
//! read: `id` (or `objectID`, `sku`; without one, a stable hash of the name and the page or
//! image, so re-indexing the same file gives the same ids), `name` (or `title`), `description`, `vendor` (or `brand`),
//! `category` (one string) or `categories` (a path, root first), `price` (number or text, USD),
//! `url`, `images` (or `image`), and Decathlon's `tags`.
//!
//! The file is one JSON value, not lines, so a "line" here is the 1-based position of the
//! product in the array: rejection `decathlon.json:12` is the twelfth product.

use std::collections::BTreeSet;
use std::io::{BufRead, Read};
use std::path::Path;

use serde_json::{Map, Value};

use super::OnRow;
use crate::catalog::{Currency, Error, Money, Product, Record, Result};

/// Tags that say who a product is for; the rest are mostly internal codes ("CODE_R3: 11782").
const AUDIENCE_TAGS: &[&str] = &[
    "Men's",
    "Women's",
    "Boy's",
    "Girl's",
    "Boys",
    "Girls",
    "Kids",
    "Babies",
    "Baby Boy",
    "Baby Girl",
    "Unisex",
];

pub(crate) fn read(mut input: Box<dyn BufRead>, path: &Path, on_row: &mut OnRow<'_>) -> Result<()> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let items: Vec<Value> = serde_json::from_slice(&bytes).map_err(|e| Error::Malformed {
        path: path.to_path_buf(),
        reason: format!("not a JSON array of products: {e}"),
    })?;
    for (index, item) in items.iter().enumerate() {
        let row = match item {
            Value::Object(object) => product(object).map(|p| Record::Product(Box::new(p))),
            _ => Err("array item is not a JSON object".into()),
        };
        on_row(index as u64 + 1, row)?;
    }
    Ok(())
}

fn product(object: &Map<String, Value>) -> std::result::Result<Product, String> {
    let title = first_text(object, &["name", "title"]);
    let id = match first_text(object, &["id", "objectID", "sku"]) {
        id if !id.is_empty() => id,
        _ if object.contains_key("id") || title.is_empty() => {
            return Err("product id is empty".into());
        }
        // Listings that share a name differ by their image or page.
        _ => {
            let seen_as = first_text(object, &["url", "image", "images"]);
            format!("n{:016x}", fnv1a(&format!("{title}\n{seen_as}")))
        }
    };
    if title.is_empty() {
        return Err(format!("product '{id}' has an empty title"));
    }
    let price = text(object, "price");
    if price.is_empty() {
        return Err(format!("product '{id}' has no price"));
    }
    let mut product = Product::new(id, title);
    let price = match object.get("price") {
        Some(Value::Number(n)) => Money::from_json_number(n, Currency::USD),
        _ => Money::parse(&price, Currency::USD),
    };
    product.price = Some(price.map_err(|e| format!("{e}"))?);
    let category = text(object, "category");
    if !category.is_empty() {
        product.category_path = vec![category];
    } else if let Some(Value::Array(path)) = object.get("categories") {
        product.category_path = path
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
    }
    let vendor = first_text(object, &["vendor", "brand"]);
    product.brand = (!vendor.is_empty()).then_some(vendor);
    product.description = text(object, "description");
    product.url = Some(text(object, "url")).filter(|u| !u.is_empty());
    product.image_url = match object.get("images").or_else(|| object.get("image")) {
        Some(Value::Array(images)) => images.iter().filter_map(Value::as_str).next(),
        Some(Value::String(image)) => Some(image.as_str()),
        _ => None,
    }
    .map(str::trim)
    .filter(|u| !u.is_empty())
    .map(str::to_string);
    add_tag_attributes(&mut product, object);
    Ok(product)
}

/// The first of `keys` with a non-empty value, as text.
fn first_text(object: &Map<String, Value>, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| text(object, k))
        .find(|t| !t.is_empty())
        .unwrap_or_default()
}

/// 64-bit FNV-1a of a text (Fowler, Noll, Vo): a stable id for a product that has none.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Keeps the few tags a shopper would search by: the sport ("GROUP_VALUE: FISHING"), who the
/// product is for ("Men's") and its colour ("Color: Blue").
fn add_tag_attributes(product: &mut Product, object: &Map<String, Value>) {
    let Some(Value::Array(tags)) = object.get("tags") else {
        return;
    };
    let mut audience = BTreeSet::new();
    for tag in tags.iter().filter_map(Value::as_str).map(str::trim) {
        if let Some((key, value)) = tag.split_once(':') {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "GROUP_VALUE" => {
                    product
                        .attributes
                        .insert("sport".into(), value.to_lowercase());
                }
                "Color" => {
                    product
                        .attributes
                        .insert("colour".into(), value.to_string());
                }
                _ => {}
            }
        } else if let Some(who) = AUDIENCE_TAGS.iter().find(|a| a.eq_ignore_ascii_case(tag)) {
            audience.insert(*who);
        }
    }
    if !audience.is_empty() {
        product.attributes.insert(
            "for".into(),
            audience.into_iter().collect::<Vec<_>>().join(", "),
        );
    }
}

/// A string or number field as trimmed text ("" when missing): ids are JSON numbers here.
fn text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    use super::*;

    use crate::catalog::readers::test_support::{Rows, json_value, run_reader};

    fn run(bytes: &[u8]) -> (Result<()>, Rows) {
        run_reader(read, "decathlon.json", bytes)
    }

    #[test]
    fn reads_products_and_rejects_bad_ones_by_position() {
        let json = r#"[
          {"id":100013768717,"name":"Fitness Foldable Shoe Bag","url":"https://www.decathlon.com/products/gym-foldable-shoe-bag","vendor":"Domyos","category":"Sport bag","tags":["2","Boy's","CODE_R3: 11782","GROUP_VALUE: FISHING","Men's","NATURE_ID:","Color: Khaki"],"images":"https://cdn.shopify.com/bag.jpg","creation_date":"2020-04-03T15:58:48-07:00","price":"2.49"},
          {"id":2,"name":"","price":"1.00"},
          {"id":3,"name":"Bad Price","price":"free"},
          {"id":4,"name":"No Price"},
          "not an object",
          {"id":6,"name":"Minimal","price":10}
        ]"#;
        let (result, rows) = run(json.as_bytes());
        assert!(result.is_ok());
        let mut bag = Product::new("100013768717", "Fitness Foldable Shoe Bag");
        bag.url = Some("https://www.decathlon.com/products/gym-foldable-shoe-bag".into());
        bag.brand = Some("Domyos".into());
        bag.category_path = vec!["Sport bag".into()];
        bag.image_url = Some("https://cdn.shopify.com/bag.jpg".into());
        bag.price = Some(Money::from_minor(249, Currency::USD));
        bag.attributes.insert("sport".into(), "fishing".into());
        bag.attributes.insert("for".into(), "Boy's, Men's".into());
        bag.attributes.insert("colour".into(), "Khaki".into());
        let mut minimal = Product::new("6", "Minimal");
        minimal.price = Some(Money::from_minor(1000, Currency::USD));
        assert_eq!(
            rows,
            vec![
                (1, Ok(Record::Product(Box::new(bag)))),
                (2, Err("product '2' has an empty title".into())),
                (3, Err("price 'free' is not a number".into())),
                (4, Err("product '4' has no price".into())),
                (5, Err("array item is not a JSON object".into())),
                (6, Ok(Record::Product(Box::new(minimal)))),
            ]
        );
    }

    #[test]
    fn reads_search_demo_exports_without_ids_with_stable_ids() {
        let json = r#"[
          {"name":"AT&T GoPhone - Samsung Galaxy Express 3 Prepaid Cell Phone","description":"Grab your data.","brand":"AT&T GoPhone","categories":["Cell Phones","Prepaid Phones","All Prepaid Phones"],"price":49.99,"image":"https://cdn.example/4984700_sb.jpg","popularity":21449},
          {"name":"","price":1}
        ]"#;
        let (result, rows) = run(json.as_bytes());
        assert!(result.is_ok());
        let Some((1, Ok(Record::Product(p)))) = rows.first() else {
            panic!("{rows:?}");
        };
        assert_eq!(
            p.title,
            "AT&T GoPhone - Samsung Galaxy Express 3 Prepaid Cell Phone"
        );
        assert_eq!(p.brand.as_deref(), Some("AT&T GoPhone"));
        assert_eq!(
            p.category_path,
            ["Cell Phones", "Prepaid Phones", "All Prepaid Phones"]
        );
        assert_eq!(p.price, Some(Money::from_minor(4999, Currency::USD)));
        assert_eq!(p.description, "Grab your data.");
        assert_eq!(
            p.image_url.as_deref(),
            Some("https://cdn.example/4984700_sb.jpg")
        );
        // The same name gives the same id on every load.
        let (_, again) = run(json.as_bytes());
        assert_eq!(rows[0], again[0]);
        assert!(p.id.starts_with('n') && p.id.len() == 17, "{}", p.id);
        assert_eq!(rows[1], (2, Err("product id is empty".into())));
    }

    #[test]
    fn a_file_that_is_not_an_array_is_malformed() {
        for bad in [&b"{\"id\": 1}"[..], b"[{\"id\": 1},", b"", b"\xff\xfe"] {
            let (result, rows) = run(bad);
            assert!(rows.is_empty());
            assert!(
                matches!(&result, Err(Error::Malformed { reason, .. }) if reason.starts_with("not a JSON array of products")),
                "{result:?}"
            );
        }
    }

    fn item() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("id"),
            Just("name"),
            Just("url"),
            Just("vendor"),
            Just("category"),
            Just("tags"),
            Just("images"),
            Just("price"),
        ];
        prop_oneof![
            proptest::collection::btree_map(key, json_value("[ -~€₹$:]{0,12}"), 0..8).prop_map(
                |fields| {
                    Value::Object(
                        fields
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect(),
                    )
                }
            ),
            json_value("[ -~€₹$:]{0,12}"),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = run(&bytes);
        }

        #[test]
        fn one_callback_per_array_item(items in proptest::collection::vec(item(), 0..20)) {
            let json = Value::Array(items.clone()).to_string();
            let (result, rows) = run(json.as_bytes());
            prop_assert!(result.is_ok());
            prop_assert_eq!(rows.len(), items.len());
            let accepted = rows.iter().filter(|r| r.1.is_ok()).count();
            let rejected = rows.iter().filter(|r| r.1.is_err()).count();
            prop_assert_eq!(accepted + rejected, items.len());
            let numbers: Vec<u64> = rows.iter().map(|r| r.0).collect();
            prop_assert_eq!(numbers, (1..=items.len() as u64).collect::<Vec<_>>());
        }
    }
}
