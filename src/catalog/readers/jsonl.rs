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

pub(crate) fn read_products(
    input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
) -> Result<()> {
    for_each_line(input, path, on_row, |line| {
        if let Ok(Deletion { id, deleted: true }) = serde_json::from_str::<Deletion>(line) {
            return Ok(Record::Delete(id));
        }
        let product: Product = serde_json::from_str(line).map_err(|e| e.to_string())?;
        validate(product).map(|p| Record::Product(Box::new(p)))
    })
}

pub(crate) fn read_orders(
    input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
) -> Result<()> {
    for_each_line(input, path, on_row, |line| {
        let order: Order = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if order.items.is_empty() {
            return Err(format!("order '{}' has no items", order.order_id));
        }
        Ok(Record::Order(order))
    })
}
