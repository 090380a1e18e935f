//! Instacart 2017: the product table (`products.csv`) and order lines (`order_lines.csv`).
//!
//! Instacart has no prices, so its products are never priced; its orders are real baskets,
//! the ground truth for cross-sell.

use std::io::BufRead;
use std::path::Path;

use csv::StringRecord;

use super::OnRow;
use super::csv_rows::{CsvRows, column, required_column};
use super::jsonl::validate;
use crate::catalog::{Error, Order, Product, Record, Result};

/// What the Instacart table writes where an aisle or department is unknown.
const MISSING: &str = "missing";

pub(crate) fn read_products(
    input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
) -> Result<()> {
    let (mut rows, headers) = CsvRows::new(input, path)?;
    let malformed = |reason| Error::Malformed {
        path: path.to_path_buf(),
        reason,
    };
    let id = required_column(&headers, "product_id").map_err(malformed)?;
    let name = required_column(&headers, "product_name").map_err(malformed)?;
    let department = column(&headers, "department");
    let aisle = column(&headers, "aisle");
    while let Some((line, row)) = rows.next_row()? {
        let row = row.and_then(|row| {
            let get = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("").trim();
            let mut product = Product::new(get(Some(id)), get(Some(name)));
            product.category_path = [get(department), get(aisle)]
                .into_iter()
                .filter(|c| !c.is_empty() && *c != MISSING)
                .map(str::to_string)
                .collect();
            validate(product).map(|p| Record::Product(Box::new(p)))
        });
        on_row(line, row)?;
    }
    Ok(())
}

/// Reads order lines, one product per line, into one [`Record::Order`] per order.
///
/// The file lists each order's lines together, so consecutive lines with the same `order_id`
/// form one order (items sorted by `add_to_cart_order`), reported at the line of its first
/// row. A line without an order or product id is its own rejection and does not end the order
/// around it.
pub(crate) fn read_orders(
    input: Box<dyn BufRead>,
    path: &Path,
    on_row: &mut OnRow<'_>,
) -> Result<()> {
    let (mut rows, headers) = CsvRows::new(input, path)?;
    let columns = OrderColumns::find(&headers).map_err(|reason| Error::Malformed {
        path: path.to_path_buf(),
        reason,
    })?;
    let mut open: Option<OpenOrder> = None;
    while let Some((line, row)) = rows.next_row()? {
        let order_line = match row.and_then(|row| columns.line(&row)) {
            Ok(order_line) => order_line,
            Err(reason) => {
                on_row(line, Err(reason))?;
                continue;
            }
        };
        match &mut open {
            Some(order) if order.order.order_id == order_line.order_id => {
                order
                    .items
                    .push((order_line.position, order_line.product_id));
            }
            _ => {
                if let Some(done) = open.take() {
                    done.emit(on_row)?;
                }
                open = Some(OpenOrder::start(line, order_line));
            }
        }
    }
    match open {
        Some(done) => done.emit(on_row),
        None => Ok(()),
    }
}

struct OrderColumns {
    order_id: usize,
    product_id: usize,
    user_id: Option<usize>,
    order_number: Option<usize>,
    add_to_cart_order: Option<usize>,
}

/// One valid order line.
struct OrderLine {
    order_id: String,
    customer_id: Option<String>,
    sequence: Option<u32>,
    product_id: String,
    position: Option<u32>,
}

impl OrderColumns {
    fn find(headers: &StringRecord) -> std::result::Result<OrderColumns, String> {
        Ok(OrderColumns {
            order_id: required_column(headers, "order_id")?,
            product_id: required_column(headers, "product_id")?,
            user_id: column(headers, "user_id"),
            order_number: column(headers, "order_number"),
            add_to_cart_order: column(headers, "add_to_cart_order"),
        })
    }

    fn line(&self, row: &StringRecord) -> std::result::Result<OrderLine, String> {
        let get = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("").trim();
        let order_id = get(Some(self.order_id));
        if order_id.is_empty() {
            return Err("order line has no order_id".into());
        }
        let product_id = get(Some(self.product_id));
        if product_id.is_empty() {
            return Err(format!("order '{order_id}' line has no product_id"));
        }
        let customer_id = get(self.user_id);
        Ok(OrderLine {
            order_id: order_id.to_string(),
            customer_id: (!customer_id.is_empty()).then(|| customer_id.to_string()),
            sequence: whole_number(get(self.order_number)),
            product_id: product_id.to_string(),
            position: whole_number(get(self.add_to_cart_order)),
        })
    }
}

/// "3" or "3.0" (the file was written through pandas floats) as 3; anything else as `None`.
fn whole_number(text: &str) -> Option<u32> {
    let n: f64 = text.parse().ok()?;
    (n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// The order being gathered from consecutive lines.
struct OpenOrder {
    first_line: u64,
    order: Order,
    items: Vec<(Option<u32>, String)>,
}

impl OpenOrder {
    fn start(line: u64, first: OrderLine) -> OpenOrder {
        OpenOrder {
            first_line: line,
            order: Order {
                order_id: first.order_id,
                customer_id: first.customer_id,
                items: Vec::new(),
                sequence: first.sequence,
            },
            items: vec![(first.position, first.product_id)],
        }
    }

    fn emit(mut self, on_row: &mut OnRow<'_>) -> Result<()> {
        // Stable sort: lines without a cart position keep their file order, after the rest.
        self.items
            .sort_by_key(|(position, _)| position.unwrap_or(u32::MAX));
        self.order.items = self.items.into_iter().map(|(_, id)| id).collect();
        on_row(self.first_line, Ok(Record::Order(self.order)))
    }
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    use super::*;

    use crate::catalog::readers::test_support::{Reader, Rows, run_reader};

    fn run(reader: Reader, text: &str) -> (Result<()>, Rows) {
        run_reader(reader, "instacart.csv", text.as_bytes())
    }

    fn order(id: &str, customer: &str, items: &[&str], sequence: u32) -> Record {
        Record::Order(Order {
            order_id: id.into(),
            customer_id: Some(customer.into()),
            items: items.iter().map(|s| s.to_string()).collect(),
            sequence: Some(sequence),
        })
    }

    #[test]
    fn reads_products_and_rejects_nameless_ones() {
        let text = "product_id,product_name,aisle_id,aisle,department_id,department\n\
                    1,Chocolate Sandwich Cookies,61,cookies cakes,19,snacks\n\
                    38,,100,missing,21,missing\n\
                    ,Nameless Id,1,a,2,b\n\
                    99,Unplaced,100,missing,21,missing\n";
        let (result, rows) = run(read_products, text);
        assert!(result.is_ok());
        let mut cookies = Product::new("1", "Chocolate Sandwich Cookies");
        cookies.category_path = vec!["snacks".into(), "cookies cakes".into()];
        assert_eq!(
            rows,
            vec![
                (2, Ok(Record::Product(Box::new(cookies)))),
                (3, Err("product '38' has an empty title".into())),
                (4, Err("product id is empty".into())),
                (
                    5,
                    Ok(Record::Product(Box::new(Product::new("99", "Unplaced"))))
                ),
            ]
        );
    }

    #[test]
    fn groups_consecutive_lines_into_orders() {
        let text = "order_id,user_id,order_number,order_dow,order_hour_of_day,days_since_prior_order,product_id,add_to_cart_order,reordered\n\
                    2539329,1,1,2,8,,196,1.0,0.0\n\
                    2539329,1,1,2,8,,12427,3.0,0.0\n\
                    2539329,1,1,2,8,,14084,2.0,0.0\n\
                    ,1,1,2,8,,999,4.0,0.0\n\
                    2398795,1,2,3,7,15.0,,1.0,1.0\n\
                    2398795,1,2,3,7,15.0,10258,2.0,0.0\n\
                    473747,7,3,3,12,21.0,196,oops,1.0\n\
                    473747,7,3,3,12,21.0,13176,1.0,1.0\n";
        let (result, rows) = run(read_orders, text);
        assert!(result.is_ok());
        assert_eq!(
            rows,
            vec![
                // Rejections come as they are met; an order when its last line has been read.
                (5, Err("order line has no order_id".into())),
                (6, Err("order '2398795' line has no product_id".into())),
                (2, Ok(order("2539329", "1", &["196", "14084", "12427"], 1))),
                (7, Ok(order("2398795", "1", &["10258"], 2))),
                (8, Ok(order("473747", "7", &["13176", "196"], 3))),
            ]
        );
    }

    #[test]
    fn whole_numbers_read_pandas_floats() {
        assert_eq!(whole_number("3"), Some(3));
        assert_eq!(whole_number("3.0"), Some(3));
        assert_eq!(whole_number("3.5"), None);
        assert_eq!(whole_number("-1"), None);
        assert_eq!(whole_number("NaN"), None);
        assert_eq!(whole_number("1e20"), None);
        assert_eq!(whole_number(""), None);
    }

    #[test]
    fn a_header_without_the_needed_columns_is_malformed() {
        let (result, rows) = run(read_orders, "order,product\n1,2\n");
        assert!(rows.is_empty());
        assert!(
            matches!(result, Err(Error::Malformed { reason, .. }) if reason == "no 'order_id' column in the header row")
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(text in "(?s).{0,400}") {
            let _ = run(read_products, &text);
            let _ = run(read_orders, &text);
            let _ = run(read_orders, &format!("order_id,user_id,order_number,product_id,add_to_cart_order\n{text}"));
        }

        #[test]
        fn every_line_is_in_one_order_or_rejected(
            lines in proptest::collection::vec(
                ("[ab]?", "[0-9]{0,2}", "[0-9.x]{0,3}"),
                0..40,
            )
        ) {
            let mut text = String::from("order_id,product_id,add_to_cart_order\n");
            for (order, product, position) in &lines {
                text.push_str(&format!("{order},{product},{position}\n"));
            }
            let (result, rows) = run(read_orders, &text);
            prop_assert!(result.is_ok());
            let valid: Vec<_> = lines.iter().filter(|l| !l.0.is_empty() && !l.1.is_empty()).collect();
            let mut runs = 0;
            for (i, l) in valid.iter().enumerate() {
                if i == 0 || valid[i - 1].0 != l.0 {
                    runs += 1;
                }
            }
            let orders: Vec<&Order> = rows.iter().filter_map(|r| match &r.1 {
                Ok(Record::Order(o)) => Some(o),
                _ => None,
            }).collect();
            let rejected = rows.iter().filter(|r| r.1.is_err()).count();
            prop_assert_eq!(orders.len(), runs);
            prop_assert_eq!(rejected, lines.len() - valid.len());
            prop_assert_eq!(orders.iter().map(|o| o.items.len()).sum::<usize>(), valid.len());
        }
    }
}
