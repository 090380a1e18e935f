//! One reader per source format. A reader calls `on_row(line, Ok(record) | Err(reason))` for
//! every row it finds and returns an error only when the whole file cannot be read.
//! Readers never panic, whatever the bytes.

mod amazon2018;
mod amazon_in;
mod csv_rows;
mod decathlon;
#[cfg(test)]
mod fuzz_tests;
mod instacart;
mod jsonl;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{Error, Record, Result};

/// A catalog file format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// shopclerk's canonical JSON lines: one `Product` (or `{"id", "deleted": true}`) per line.
    Jsonl,
    /// Canonical orders, JSON lines: `{"order_id", "customer_id", "items": [...]}`.
    OrdersJsonl,
    /// The Amazon.in sales CSV (`product_id,product_name,category,discounted_price,...`).
    AmazonIn,
    /// Amazon Review Data 2018: metadata lines (`asin`, `title`, ...) or review lines (`reviewerID`, `overall`, ...).
    Amazon2018,
    /// Instacart products CSV (`product_id,product_name,aisle_id,aisle,department_id,department`).
    InstacartProducts,
    /// Instacart order lines CSV (`order_id,user_id,order_number,...,product_id,add_to_cart_order,...`).
    InstacartOrders,
    /// One JSON array of product objects: Decathlon (`{id, name, vendor, category, tags, images,
    /// price}`) and search-demo exports such as Best Buy (`{name, brand, categories, price, image}`).
    Decathlon,
}

/// The per-row callback readers call.
pub(crate) type OnRow<'a> = dyn FnMut(u64, std::result::Result<Record, String>) -> Result<()> + 'a;

/// Opens a file, transparently un-gzipping `.gz` files.
pub(crate) fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    })
}

/// Guesses a file's format from its first line.
pub fn detect_format(path: &Path) -> Result<Format> {
    let mut head = Vec::new();
    open(path)?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let head = String::from_utf8_lossy(&head);
    let first = head
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches('\u{feff}');
    let format = if first.starts_with("product_id,product_name,category,discounted_price") {
        Some(Format::AmazonIn)
    } else if first.starts_with("product_id,product_name,aisle_id") {
        Some(Format::InstacartProducts)
    } else if first.starts_with("order_id,") && first.contains("product_id") {
        Some(Format::InstacartOrders)
    } else if first.trim_start().starts_with('[') {
        Some(Format::Decathlon)
    } else if first.trim_start().starts_with('{') {
        if first.contains("\"asin\"") {
            Some(Format::Amazon2018)
        } else if first.contains("\"order_id\"") {
            Some(Format::OrdersJsonl)
        } else {
            Some(Format::Jsonl)
        }
    } else {
        None
    };
    format.ok_or_else(|| Error::UnknownFormat(path.to_path_buf()))
}

/// Reads every row of `path` as `format`. Text fields of every record have their HTML
/// entities decoded here, exactly once, whatever the reader.
pub(crate) fn read(path: &Path, format: Format, on_row: &mut OnRow<'_>) -> Result<()> {
    let input = open(path)?;
    let on_row =
        &mut |line, row: std::result::Result<Record, String>| on_row(line, row.map(decode_record));
    match format {
        Format::Jsonl => jsonl::read_products(input, path, on_row),
        Format::OrdersJsonl => jsonl::read_orders(input, path, on_row),
        Format::AmazonIn => amazon_in::read(input, path, on_row),
        Format::Amazon2018 => amazon2018::read(input, path, on_row),
        Format::InstacartProducts => instacart::read_products(input, path, on_row),
        Format::InstacartOrders => instacart::read_orders(input, path, on_row),
        Format::Decathlon => decathlon::read(input, path, on_row),
    }
}

/// Calls `f` with each line (1-based number, text), reporting lines that are not UTF-8 as
/// rejected rows. Blank lines are skipped.
pub(crate) fn for_each_line(
    mut input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
    mut f: impl FnMut(&str) -> std::result::Result<Record, String>,
) -> Result<()> {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|source| Error::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let row = match std::str::from_utf8(&buf) {
            Ok(text) if text.trim().is_empty() => continue,
            // Without its line ending, so serde's "at line 1 column N" points into the row.
            Ok(text) => f(text
                .trim_start_matches('\u{feff}')
                .trim_end_matches(['\n', '\r'])),
            Err(e) => Err(format!("line is not valid UTF-8 ({e})")),
        };
        on_row(line_no, row)?;
    }
}

/// Decodes HTML character references, named (all of HTML5's: `&eacute;`, `&ndash;`) and
/// numeric (`&#x2014;`, `&#39;`), in one pass: `&amp;lt;` becomes `&lt;`, never `<`. A no-break
/// space becomes a plain space. Text without `&` is returned as is.
pub(crate) fn decode_entities(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('&') {
        return std::borrow::Cow::Borrowed(text);
    }
    let decoded = html_escape::decode_html_entities(text);
    std::borrow::Cow::Owned(decoded.replace('\u{a0}', " "))
}

/// Decodes the entities of every text field of a record (titles, descriptions, brands,
/// category names, attributes, review titles and texts); ids, URLs and prices are left alone.
fn decode_record(record: Record) -> Record {
    let decode = |s: &mut String| {
        if let std::borrow::Cow::Owned(d) = decode_entities(s) {
            *s = d;
        }
    };
    let decode_review = |r: &mut super::Review| {
        decode(&mut r.title);
        decode(&mut r.text);
    };
    match record {
        Record::Product(mut p) => {
            decode(&mut p.title);
            decode(&mut p.description);
            p.category_path.iter_mut().for_each(decode);
            if let Some(brand) = p.brand.as_mut() {
                decode(brand);
            }
            if p.attributes
                .iter()
                .any(|(k, v)| k.contains('&') || v.contains('&'))
            {
                p.attributes = std::mem::take(&mut p.attributes)
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            decode_entities(&k).into_owned(),
                            decode_entities(&v).into_owned(),
                        )
                    })
                    .collect();
            }
            p.reviews.iter_mut().for_each(decode_review);
            Record::Product(p)
        }
        Record::Review {
            product_id,
            mut review,
        } => {
            decode_review(&mut review);
            Record::Review { product_id, review }
        }
        other => other,
    }
}

/// Removes HTML tags, collapsing whitespace. Entities stay as they are: [`read`] decodes them
/// once for every reader, so `&lt;b&gt;` written as text never becomes a tag to remove.
pub(crate) fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Only "<tag", "</tag" or "<!--" open a tag; "size < 5" is text.
            '<' if !in_tag
                && chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!') =>
            {
                in_tag = true
            }
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the reader tests share: run a reader over bytes and keep every row it reports.
#[cfg(test)]
pub(crate) mod test_support {
    use std::io::{BufRead, Cursor};
    use std::path::Path;

    use super::OnRow;
    use crate::catalog::{Record, Result};

    /// Rows as a reader reported them: line and record or rejection reason.
    pub(crate) type Rows = Vec<(u64, std::result::Result<Record, String>)>;

    /// A reader function.
    pub(crate) type Reader = fn(Box<dyn BufRead>, &Path, &mut OnRow<'_>) -> Result<()>;

    /// Arbitrary JSON values of the shapes catalog files hold (scalars, short strings drawn
    /// from `chars`, small nested arrays), for the readers' never-panic properties.
    pub(crate) fn json_value(
        chars: &'static str,
    ) -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            chars.prop_map(Value::String),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            proptest::collection::vec(inner, 0..4).prop_map(Value::Array)
        })
    }

    /// Runs `reader` over `bytes` as if read from a file named `file_name`.
    pub(crate) fn run_reader(reader: Reader, file_name: &str, bytes: &[u8]) -> (Result<()>, Rows) {
        let mut rows = Vec::new();
        // As `read` does for every reader: entities decoded once.
        let result = reader(
            Box::new(Cursor::new(bytes.to_vec())),
            Path::new(file_name),
            &mut |line, row| {
                rows.push((line, row.map(super::decode_record)));
                Ok(())
            },
        );
        (result, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::{decode_entities, strip_html};

    #[test]
    fn strips_tags_but_keeps_comparisons() {
        assert_eq!(
            decode_entities(&strip_html("<b>Gift&nbsp;Card</b> &amp; more")),
            "Gift Card & more"
        );
        assert_eq!(strip_html("size < 5 and > 2"), "size < 5 and > 2");
        assert_eq!(strip_html("<span class=\"a\""), "");
        assert_eq!(strip_html("a<br/>b"), "a b");
    }

    /// Reads `text` as a file of the detected format; the records read.
    fn read_text(name: &str, text: &str) -> Vec<crate::catalog::Record> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let format = super::detect_format(&path).unwrap();
        let mut records = Vec::new();
        super::read(&path, format, &mut |_, row| {
            records.push(row.unwrap());
            Ok(())
        })
        .unwrap();
        records
    }

    fn product(record: &crate::catalog::Record) -> &crate::catalog::Product {
        match record {
            crate::catalog::Record::Product(p) => p,
            other => panic!("expected a product, got {other:?}"),
        }
    }

    #[test]
    fn every_reader_decodes_entities_once() {
        let canonical = read_text(
            "p.jsonl",
            r#"{"id": "a", "title": "Caf&eacute; Filter &ndash; 250 g", "brand": "Dan&#39;s", "category_path": ["Coffee &amp; Tea"], "description": "&amp;lt;250 ml&amp;gt;"}"#,
        );
        let p = product(&canonical[0]);
        assert_eq!(p.title, "Café Filter – 250 g");
        assert_eq!(p.brand.as_deref(), Some("Dan's"));
        assert_eq!(p.category_path, vec!["Coffee & Tea".to_string()]);
        assert_eq!(p.description, "&lt;250 ml&gt;");
        let amazon = read_text(
            "meta.json",
            r#"{"asin": "B1", "title": "Mug &amp;lt;250 ml&amp;gt; Caf&eacute; &#x2014; blue", "category": ["Home &amp; Kitchen"], "description": ["Tea &ndash; coffee"]}"#,
        );
        let p = product(&amazon[0]);
        assert_eq!(p.title, "Mug &lt;250 ml&gt; Café — blue");
        assert_eq!(
            p.category_path.last().map(String::as_str),
            Some("Home & Kitchen")
        );
        let decathlon = read_text(
            "d.json",
            r#"[{"id": "1", "name": "Gourde &eacute;t&eacute; 1L", "price": "12,99", "category": "Randonn&eacute;e"}]"#,
        );
        let p = product(&decathlon[0]);
        assert_eq!(p.title, "Gourde été 1L");
        assert_eq!(p.price.map(|m| m.minor), Some(1_299));
    }

    #[test]
    fn entities_are_decoded_exactly_once_named_and_numeric() {
        assert_eq!(decode_entities("Caf&eacute; &ndash; Bar"), "Café – Bar");
        assert_eq!(decode_entities("A&#x2014;B&#8212;C&#39;s"), "A—B—C's");
        assert_eq!(decode_entities("&amp;lt;250 ml&amp;gt;"), "&lt;250 ml&gt;");
        assert_eq!(decode_entities("Tom &amp;amp; Jerry"), "Tom &amp; Jerry");
        assert_eq!(decode_entities("R&D, 5 & 6"), "R&D, 5 & 6");
        assert_eq!(decode_entities("no entities"), "no entities");
    }
}
