//! Tests across readers: format detection on each format's real first line, and properties of
//! the price parser every reader leans on.

use std::io::Write;
use std::path::PathBuf;

use proptest::prelude::*;

use super::{Format, detect_format};
use crate::catalog::{Currency, Money, PriceError};

/// Writes `text` to a fresh file named `name` (gzipped when the name ends in `.gz`).
fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    let out = std::fs::File::create(&path).unwrap();
    if name.ends_with(".gz") {
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap();
    } else {
        let mut out = out;
        out.write_all(text.as_bytes()).unwrap();
    }
    path
}

#[test]
fn detects_each_format_from_its_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "amazon.csv",
            "product_id,product_name,category,discounted_price,actual_price,discount_percentage,rating,rating_count,about_product,user_id,user_name,review_id,review_title,review_content,img_link,product_link\n",
            Format::AmazonIn,
        ),
        (
            "products.csv.gz",
            "product_id,product_name,aisle_id,aisle,department_id,department\n1,Chocolate Sandwich Cookies,61,cookies cakes,19,snacks\n",
            Format::InstacartProducts,
        ),
        (
            "order_lines.csv.gz",
            "order_id,user_id,order_number,order_dow,order_hour_of_day,days_since_prior_order,product_id,add_to_cart_order,reordered\n",
            Format::InstacartOrders,
        ),
        (
            "meta_Gift_Cards.json.gz",
            r#"{"category": ["Gift Cards", "Gift Cards"], "tech1": "", "title": "Serendipity 3 $100.00 Gift Card", "asin": "B001BKEWF2"}"#,
            Format::Amazon2018,
        ),
        (
            "Gift_Cards_5.json.gz",
            r#"{"overall": 5.0, "verified": true, "reviewerID": "A31UBHTUUIFJUT", "asin": "B004LLIKVU"}"#,
            Format::Amazon2018,
        ),
        (
            "decathlon.json",
            r#"[{"id":100013768717,"name":"Fitness Foldable Shoe Bag","price":"2.49"}]"#,
            Format::Decathlon,
        ),
        (
            "demo_catalog.jsonl",
            "\u{feff}{\"id\":\"B07JW9H4J1\",\"title\":\"Wayona Cable\"}\n",
            Format::Jsonl,
        ),
        (
            "orders.jsonl",
            r#"{"order_id":"1","items":["a","b"]}"#,
            Format::OrdersJsonl,
        ),
    ];
    for (name, first_line, expected) in cases {
        let path = file(&dir, name, first_line);
        assert_eq!(detect_format(&path).unwrap(), expected, "{name}");
    }
    let unknown = file(&dir, "notes.txt", "hello\n");
    assert!(detect_format(&unknown).is_err());
}

proptest! {
    #[test]
    fn money_parse_never_panics(text in "(?s).{0,40}") {
        let _ = Money::parse(&text, Currency::INR);
    }

    #[test]
    fn money_parse_never_panics_on_price_shaped_text(text in "[-₹$€£ ,.0-9RsINRUSD]{0,24}") {
        if let Ok(money) = Money::parse(&text, Currency::USD) {
            prop_assert!(money.minor >= 0);
        }
    }

    #[test]
    fn money_parse_reads_what_display_writes(minor in 0i64..10_000_000_000, inr in any::<bool>()) {
        let currency = if inr { Currency::INR } else { Currency::USD };
        let money = Money::from_minor(minor, currency);
        prop_assert_eq!(Money::parse(&money.to_string(), Currency::EUR), Ok(money));
    }

    #[test]
    fn money_parse_keeps_thousands_separators_exact(rupees in 0u64..100_000_000, paise in 0u64..100) {
        let grouped = rupees
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("₹{grouped}.{paise:02}");
        let parsed = Money::parse(&text, Currency::USD);
        prop_assert_eq!(parsed, Ok(Money::from_minor((rupees * 100 + paise) as i64, Currency::INR)));
    }
}

#[test]
fn money_parse_rejects_what_the_readers_see_as_junk() {
    for junk in [
        "|",
        ".a-box-inner{background-color:#fff}",
        "$10.00 - $20.00",
    ] {
        assert!(
            matches!(
                Money::parse(junk, Currency::USD),
                Err(PriceError::NotANumber(_))
            ),
            "{junk}"
        );
    }
}
