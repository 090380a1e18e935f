//! The Amazon.in sales CSV (the public "Amazon Sales Dataset", scraped Jan 2023).
//!
//! One product per row, with its reviews packed into comma-joined columns. Columns are found
//! by header name, so their order does not matter; extra columns are ignored.

use std::io::BufRead;
use std::path::Path;

use csv::StringRecord;

use super::OnRow;
use super::csv_rows::{CsvRows, column, required_column};
use crate::catalog::{Currency, Error, Money, Product, Record, Result, Review};

/// Feature bullets copied into `attributes` (all of them stay in `description`).
const MAX_FEATURE_ATTRIBUTES: usize = 6;

pub(crate) fn read(input: Box<dyn BufRead>, path: &Path, on_row: &mut OnRow<'_>) -> Result<()> {
    let (mut rows, headers) = CsvRows::new(input, path)?;
    let columns = Columns::find(&headers).map_err(|reason| Error::Malformed {
        path: path.to_path_buf(),
        reason,
    })?;
    while let Some((line, row)) = rows.next_row()? {
        let row = row.and_then(|r| columns.product(&r).map(|p| Record::Product(Box::new(p))));
        on_row(line, row)?;
    }
    Ok(())
}

/// Where each column we use sits in a row.
struct Columns {
    id: usize,
    name: usize,
    price: usize,
    category: Option<usize>,
    list_price: Option<usize>,
    rating: Option<usize>,
    rating_count: Option<usize>,
    about: Option<usize>,
    user_id: Option<usize>,
    review_id: Option<usize>,
    review_title: Option<usize>,
    review_content: Option<usize>,
    img_link: Option<usize>,
    product_link: Option<usize>,
}

impl Columns {
    fn find(headers: &StringRecord) -> std::result::Result<Columns, String> {
        let at = |name: &str| column(headers, name);
        let required = |name: &str| required_column(headers, name);
        Ok(Columns {
            id: required("product_id")?,
            name: required("product_name")?,
            price: required("discounted_price")?,
            category: at("category"),
            list_price: at("actual_price"),
            rating: at("rating"),
            rating_count: at("rating_count"),
            about: at("about_product"),
            user_id: at("user_id"),
            review_id: at("review_id"),
            review_title: at("review_title"),
            review_content: at("review_content"),
            img_link: at("img_link"),
            product_link: at("product_link"),
        })
    }

    fn product(&self, row: &StringRecord) -> std::result::Result<Product, String> {
        let get = |i: usize| row.get(i).unwrap_or("").trim();
        let opt = |i: Option<usize>| i.map_or("", get);

        let id = get(self.id);
        if id.is_empty() {
            return Err("product id is empty".into());
        }
        let title = get(self.name);
        if title.is_empty() {
            return Err(format!("product '{id}' has an empty title"));
        }
        let price = get(self.price);
        if price.is_empty() {
            return Err(format!("product '{id}' has no price"));
        }
        let mut product = Product::new(id, title);
        product.price = Some(Money::parse(price, Currency::INR).map_err(|e| format!("{e}"))?);
        // The M.R.P. is a nicety: an unreadable one leaves the product sellable.
        product.list_price = Money::parse(opt(self.list_price), Currency::INR).ok();
        product.category_path = opt(self.category)
            .split('|')
            .map(spaced_category)
            .filter(|c| !c.is_empty())
            .collect();
        product.brand = brand_from_title(title);
        // A few rows carry junk like "|" for a rating: the product is still fine without one.
        product.rating = opt(self.rating)
            .parse::<f32>()
            .ok()
            .filter(|r| (0.0..=5.0).contains(r));
        product.rating_count = opt(self.rating_count).replace(',', "").parse().unwrap_or(0);

        let bullets: Vec<&str> = opt(self.about)
            .split('|')
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .collect();
        product.description = bullets.join("\n");
        for (n, bullet) in bullets.iter().take(MAX_FEATURE_ATTRIBUTES).enumerate() {
            product
                .attributes
                .insert(format!("feature_{}", n + 1), (*bullet).to_string());
        }

        product.reviews = reviews(
            opt(self.review_id),
            opt(self.user_id),
            opt(self.review_title),
            opt(self.review_content),
        );
        product.image_url = Some(opt(self.img_link).to_string()).filter(|s| !s.is_empty());
        product.url = Some(opt(self.product_link).to_string()).filter(|s| !s.is_empty());
        Ok(product)
    }
}

/// Unpacks the comma-joined review columns into reviews.
///
/// Ids (review and user) never contain commas, so the review ids give the count `n`. Titles
/// and texts are free text that may contain commas themselves. The scraper joined them with a
/// bare `,`, while people writing prose put a space after theirs, so when a plain split does not
/// give `n` pieces we split only at commas followed by a non-space (and not inside a number like
/// `1,099`). If that does not give `n` pieces either, we cannot tell which text belongs to which
/// review and keep one merged review (no id, no author) rather than guess an attribution: its
/// words still serve search and review analysis.
fn reviews(ids: &str, users: &str, titles: &str, texts: &str) -> Vec<Review> {
    let ids: Vec<&str> = split_ids(ids);
    if ids.is_empty() {
        return Vec::new();
    }
    let users = split_ids(users);
    let users_align = users.len() == ids.len();
    match (
        split_texts(titles, ids.len()),
        split_texts(texts, ids.len()),
    ) {
        (Some(titles), Some(texts)) => ids
            .iter()
            .enumerate()
            .map(|(i, id)| Review {
                id: Some((*id).to_string()),
                author_id: users_align.then(|| users[i].to_string()),
                rating: None,
                title: titles[i].to_string(),
                text: texts[i].to_string(),
            })
            .collect(),
        _ => vec![Review {
            title: titles.trim().to_string(),
            text: texts.trim().to_string(),
            ..Review::default()
        }],
    }
}

fn split_ids(field: &str) -> Vec<&str> {
    field
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Splits a comma-joined list of `n` free-text items, or `None` when it cannot be aligned.
fn split_texts(field: &str, n: usize) -> Option<Vec<&str>> {
    if n == 1 {
        return Some(vec![field.trim()]);
    }
    let plain: Vec<&str> = field.split(',').map(str::trim).collect();
    if plain.len() == n {
        return Some(plain);
    }
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    let bytes = field.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b',' {
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let prev = i.checked_sub(1).and_then(|p| bytes.get(p)).copied();
        let in_number =
            prev.is_some_and(|c| c.is_ascii_digit()) && next.is_some_and(|c| c.is_ascii_digit());
        if next.is_some_and(|c| !c.is_ascii_whitespace()) && !in_number {
            // `,` is ASCII, so `start..i` and `i + 1` are char boundaries.
            pieces.push(field[start..i].trim());
            start = i + 1;
        }
    }
    pieces.push(field[start..].trim());
    (pieces.len() == n).then_some(pieces)
}

/// "HomeTheater,TV&Video" -> "Home Theater, TV & Video": the scraper squeezed the spaces out of
/// category names; putting them back lets "usb cables" find "USBCables".
fn spaced_category(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '&' => out.push_str(" & "),
            ',' => out.push_str(", "),
            _ => {
                if c.is_uppercase() && i > 0 {
                    let prev = chars[i - 1];
                    let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
                    if prev.is_lowercase() || (prev.is_uppercase() && next_lower) {
                        out.push(' ');
                    }
                }
                out.push(c);
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Words that start titles without naming a brand ("Remote Control for...", "Lint Remover...").
/// A few real brands begin with one of them ("House of Quirk", "King Shine"); they get no
/// brand rather than a wrong one.
const NOT_BRANDS: &[&str] = &[
    "a",
    "the",
    "new",
    "usb",
    "portable",
    "remote",
    "universal",
    "generic",
    "brand",
    "kitchen",
    "personal",
    "multifunctional",
    "milk",
    "room",
    "house",
    "empty",
    "monitor",
    "silicone",
    "table",
    "time",
    "king",
    "electric",
    "wireless",
    "smart",
    "mini",
    "lint",
    "pc",
    "iphone",
];

/// Title starts that name a brand the first word alone would get wrong, and that brand.
const BRAND_PREFIXES: &[(&str, &str)] = &[
    ("Amazon Basics", "Amazon Basics"),
    ("AmazonBasics", "Amazon Basics"),
    ("Western Digital", "Western Digital"),
    ("Morphy Richards", "Morphy Richards"),
    ("Black + Decker", "Black+Decker"),
];

/// The dataset has no brand column, but nearly every title starts with the brand ("Wayona
/// Nylon Braided USB Cable..."). Takes that first word unless it is a generic word or number.
fn brand_from_title(title: &str) -> Option<String> {
    let words: Vec<&str> = title.split_whitespace().collect();
    for (prefix, brand) in BRAND_PREFIXES {
        let prefix: Vec<&str> = prefix.split(' ').collect();
        let starts_with = |(w, p): (&&str, &&str)| w.eq_ignore_ascii_case(p);
        if words.len() >= prefix.len() && words.iter().zip(&prefix).all(starts_with) {
            return Some((*brand).to_string());
        }
    }
    let first = words.first()?;
    let word = first.trim_matches(|c: char| !c.is_alphanumeric() && c != '+' && c != '-');
    let has_letter = word.chars().any(char::is_alphabetic);
    let generic = NOT_BRANDS.iter().any(|w| w.eq_ignore_ascii_case(word));
    (has_letter && !generic && word.chars().count() >= 2).then(|| word.to_string())
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    use super::*;

    use crate::catalog::readers::test_support::{Rows, run_reader};

    const HEADER: &str = "product_id,product_name,category,discounted_price,actual_price,discount_percentage,rating,rating_count,about_product,user_id,user_name,review_id,review_title,review_content,img_link,product_link\n";

    fn run(csv: &str) -> (Result<()>, Rows) {
        run_bytes(csv.as_bytes().to_vec())
    }

    fn run_bytes(bytes: Vec<u8>) -> (Result<()>, Rows) {
        run_reader(read, "amazon.csv", &bytes)
    }

    fn product(row: &std::result::Result<Record, String>) -> &Product {
        match row {
            Ok(Record::Product(p)) => p,
            other => panic!("expected a product, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_real_row() {
        let csv = format!(
            "{HEADER}B07JW9H4J1,\"Wayona Nylon Braided USB Cable (3 FT, Grey)\",Computers&Accessories|Cables&Accessories|USBCables,₹399,\"₹1,099\",64%,4.2,\"24,269\",\"High Compatibility : iPhone 12, 11|Fast Charge&Data Sync\",AG3D6O4STAQKAY2UVGEUV46KN35Q,Manav,R3HXWT0LRP0NMF,Satisfied,\"Looks durable Charging is fine tooNo complains\",https://m.media-amazon.com/i.jpg,https://www.amazon.in/dp/B07JW9H4J1\n"
        );
        let (result, rows) = run(&csv);
        assert!(result.is_ok());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        let p = product(&rows[0].1);
        assert_eq!(p.id, "B07JW9H4J1");
        assert_eq!(p.title, "Wayona Nylon Braided USB Cable (3 FT, Grey)");
        assert_eq!(
            p.category_path,
            vec![
                "Computers & Accessories",
                "Cables & Accessories",
                "USB Cables"
            ]
        );
        assert_eq!(p.price, Some(Money::from_minor(39_900, Currency::INR)));
        assert_eq!(
            p.list_price,
            Some(Money::from_minor(109_900, Currency::INR))
        );
        assert_eq!(p.rating, Some(4.2));
        assert_eq!(p.rating_count, 24_269);
        assert_eq!(p.brand.as_deref(), Some("Wayona"));
        assert_eq!(
            p.description,
            "High Compatibility : iPhone 12, 11\nFast Charge&Data Sync"
        );
        assert_eq!(p.attributes["feature_2"], "Fast Charge&Data Sync");
        assert_eq!(
            p.reviews,
            vec![Review {
                id: Some("R3HXWT0LRP0NMF".into()),
                author_id: Some("AG3D6O4STAQKAY2UVGEUV46KN35Q".into()),
                rating: None,
                title: "Satisfied".into(),
                text: "Looks durable Charging is fine tooNo complains".into(),
            }]
        );
        assert_eq!(
            p.image_url.as_deref(),
            Some("https://m.media-amazon.com/i.jpg")
        );
        assert_eq!(
            p.url.as_deref(),
            Some("https://www.amazon.in/dp/B07JW9H4J1")
        );
    }

    #[test]
    fn rejects_bad_rows_with_their_line_and_reason() {
        let csv = format!(
            "{HEADER}\
             A1,Good Cable,Cables,₹99,₹199,50%,4.0,10,,,,,,,,\n\
             A2,Bad Price,Cables,₹abc,₹199,50%,4.0,10,,,,,,,,\n\
             ,No Id,Cables,₹99,₹199,50%,4.0,10,,,,,,,,\n\
             A4,,Cables,₹99,₹199,50%,4.0,10,,,,,,,,\n\
             A5,Junk Rating,Cables,₹99,oops,50%,|,,,,,,,,,\n\
             A6,\"Multi\nline, name\",Cables,,₹199,50%,4.0,10,,,,,,,,\n\
             A7,Short Row\n"
        );
        let (result, rows) = run(&csv);
        assert!(result.is_ok());
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 9]);
        assert!(rows[0].1.is_ok());
        assert_eq!(rows[1].1, Err("price '₹abc' is not a number".into()));
        assert_eq!(rows[2].1, Err("product id is empty".into()));
        assert_eq!(rows[3].1, Err("product 'A4' has an empty title".into()));
        let junk = product(&rows[4].1);
        assert_eq!(
            (junk.rating, junk.rating_count, junk.list_price),
            (None, 0, None)
        );
        assert_eq!(rows[5].1, Err("product 'A6' has no price".into()));
        assert_eq!(rows[6].1, Err("product 'A7' has no price".into()));
    }

    #[test]
    fn a_row_that_is_not_utf8_is_its_own_rejection() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"A1,Bad \xff Name,C,99\nA2,Good,C,99\n");
        let (result, rows) = run_bytes(bytes);
        assert!(result.is_ok());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert!(matches!(&rows[0].1, Err(r) if r.starts_with("row is not valid UTF-8")));
        assert_eq!(product(&rows[1].1).id, "A2");
    }

    #[test]
    fn a_header_without_the_needed_columns_is_malformed() {
        let (result, rows) = run("id,title,price\n1,a,2\n");
        assert!(rows.is_empty());
        match result {
            Err(Error::Malformed { reason, .. }) => {
                assert_eq!(reason, "no 'product_id' column in the header row")
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn splits_several_reviews_whose_text_has_commas() {
        // The shape of the original Kaggle file: bare commas between reviews, ", " inside them.
        let got = reviews(
            "R1,R2,R3",
            "U1,U2,U3",
            "Good,Nice, really,Value for money",
            "Charging is fast, good product.,Cost ₹1,099 only,Works",
        );
        let texts: Vec<_> = got
            .iter()
            .map(|r| (r.title.as_str(), r.text.as_str()))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("Good", "Charging is fast, good product."),
                ("Nice, really", "Cost ₹1,099 only"),
                ("Value for money", "Works"),
            ]
        );
        assert_eq!(got[2].id.as_deref(), Some("R3"));
        assert_eq!(got[2].author_id.as_deref(), Some("U3"));
    }

    #[test]
    fn unalignable_reviews_merge_into_one() {
        let got = reviews("R1,R2", "U1,U2", "A,B", "one,two,three");
        assert_eq!(
            got,
            vec![Review {
                title: "A,B".into(),
                text: "one,two,three".into(),
                ..Review::default()
            }]
        );
        assert!(reviews("", "", "", "").is_empty());
    }

    #[test]
    fn brands_come_from_the_first_word_when_it_is_one() {
        assert_eq!(
            brand_from_title("boAt Rockerz 450").as_deref(),
            Some("boAt")
        );
        assert_eq!(
            brand_from_title("7SEVEN® Remote").as_deref(),
            Some("7SEVEN")
        );
        assert_eq!(
            brand_from_title("Western Digital WD 2TB").as_deref(),
            Some("Western Digital")
        );
        assert_eq!(
            brand_from_title("AmazonBasics USB Cable").as_deref(),
            Some("Amazon Basics")
        );
        assert_eq!(brand_from_title("Western").as_deref(), Some("Western"));
        assert_eq!(brand_from_title("USB Cable"), None);
        assert_eq!(brand_from_title("10 Pack Pens"), None);
        assert_eq!(brand_from_title(""), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut with_header = HEADER.as_bytes().to_vec();
            with_header.extend_from_slice(&bytes);
            let _ = run_bytes(bytes);
            let _ = run_bytes(with_header);
        }

        #[test]
        fn one_callback_per_row_whatever_the_fields(
            rows in proptest::collection::vec(
                proptest::collection::vec("[ -~₹|,\"\n]{0,12}", 0..18),
                0..12,
            )
        ) {
            let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            writer.write_record(HEADER.trim_end().split(',')).unwrap();
            // The csv writer quotes a lone empty field, so every record is a row.
            let rows: Vec<_> = rows.into_iter().filter(|r| !r.is_empty()).collect();
            for row in &rows {
                writer.write_record(row).unwrap();
            }
            let bytes = writer.into_inner().unwrap();
            let (result, seen) = run_bytes(bytes);
            prop_assert!(result.is_ok());
            prop_assert_eq!(seen.len(), rows.len());
            let accepted = seen.iter().filter(|r| r.1.is_ok()).count();
            let rejected = seen.iter().filter(|r| r.1.is_err()).count();
            prop_assert_eq!(accepted + rejected, rows.len());
            prop_assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
            prop_assert!(seen.iter().all(|r| r.0 >= 2));
        }
    }
}
