//! The canonical JSONL formats: products (and deletions), and orders.

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{OnRow, for_each_line};
use crate::catalog::{Order, Product, Record, Result};

#[derive(Deserialize)]
struct Deletion {
    id: String,
    deleted: bool,
}

/// Checks what serde cannot: non-empty id and title, a rating within 0..=5.
pub(crate) fn validate(product: Product) -> std::result::Result<Product, String> {
    if product.id.trim().is_empty() {
        return Err("product id is empty".into());
    }
    if product.title.trim().is_empty() {
        return Err(format!("product '{}' has an empty title", product.id));
    }
    if let Some(r) = product.rating
        && !(0.0..=5.0).contains(&r)
    {
        return Err(format!("rating '{r}' is not between 0 and 5"));
    }
    Ok(product)
}

/// Parses one JSON line, naming the field a data error is in ("price.amount: invalid type...")
/// and calling a syntax error what it is.
pub(crate) fn parse_line<T: serde::de::DeserializeOwned>(
    line: &str,
) -> std::result::Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // "at line 1 column 57": the line is the row; keep only the column.
        let message = match message.rfind(" at line 1 column ") {
            Some(at) => format!("{} (column {})", &message[..at], inner.column()),
            None => message,
        };
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("not valid JSON: {message}")
            }
            _ if path.is_empty() || path == "." => message,
            _ => format!("{path}: {message}"),
        }
    })
}

pub(crate) fn read_products(
    input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
) -> Result<()> {
    for_each_line(input, path, on_row, |line| {
        if let Ok(Deletion { id, deleted: true }) = serde_json::from_str::<Deletion>(line) {
            return Ok(Record::Delete(id));
        }
        let product: Product = parse_line(line)?;
        validate(product).map(|p| Record::Product(Box::new(p)))
    })
}

pub(crate) fn read_orders(
    input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
) -> Result<()> {
    for_each_line(input, path, on_row, |line| {
        let order: Order = parse_line(line)?;
        if order.items.is_empty() {
            return Err(format!("order '{}' has no items", order.order_id));
        }
        Ok(Record::Order(order))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejections_name_the_field_and_the_column() {
        let err = parse_line::<Product>(
            r#"{"id": "b", "title": "HDMI", "price": {"amount": "₹abc", "currency": "INR"}}"#,
        )
        .unwrap_err();
        assert!(
            err.starts_with("price.amount: invalid type: string \"₹abc\""),
            "{err}"
        );
        assert!(err.ends_with("(column 57)"), "{err}");
        let err = parse_line::<Product>("not json").unwrap_err();
        assert!(err.starts_with("not valid JSON:"), "{err}");
        let err = parse_line::<Product>(r#"{"title": "no id"}"#).unwrap_err();
        assert!(err.contains("missing field `id`"), "{err}");
        let err = validate(Product::new(" ", "x")).unwrap_err();
        assert_eq!(err, "product id is empty");
    }
}
