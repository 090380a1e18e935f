//! The one internal product and order model every reader produces.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An exact amount of money: integer minor units (paise, cents) and an ISO 4217 currency code.
///
/// Serialised as `{"amount": 1099.5, "currency": "INR"}` with `amount` in currency units, so
/// catalogs and API clients read natural numbers while arithmetic stays exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    /// Amount in minor units of the currency (1 rupee = 100 paise).
    pub minor: i64,
    /// Currency code.
    pub currency: Currency,
}

/// An ISO 4217 currency code of three ASCII capital letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Indian rupee.
    pub const INR: Currency = Currency(*b"INR");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");

    /// Parses a three-letter code, case-insensitively.
    pub fn from_code(code: &str) -> Option<Currency> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        Some(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    /// The currency a price symbol stands for (`₹`, `$`, `€`, `£`).
    pub fn from_symbol(symbol: char) -> Option<Currency> {
        match symbol {
            '₹' => Some(Currency::INR),
            '$' => Some(Currency::USD),
            '€' => Some(Currency::EUR),
            '£' => Some(Currency::GBP),
            _ => None,
        }
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // Constructed only from ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in this currency (0 for JPY and KRW, 2 otherwise).
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" => 0,
            _ => 2,
        }
    }

    /// Minor units per major unit.
    pub fn minor_per_major(&self) -> i64 {
        10i64.pow(self.minor_digits())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).ok_or_else(|| {
            serde::de::Error::custom(format!("currency '{code}' is not a three-letter code"))
        })
    }
}

/// Currency codes recognised inside price text ("1099.00 INR").
const KNOWN_CODES: &[&str] = &[
    "INR", "USD", "EUR", "GBP", "JPY", "CNY", "AUD", "CAD", "CHF", "SEK", "NOK", "DKK", "PLN",
    "BRL", "MXN", "SGD", "HKD", "KRW", "ZAR", "AED", "NZD", "SAR", "TRY", "THB", "IDR", "MYR",
    "PHP", "VND", "CZK", "HUF", "ILS", "RUB", "CLP", "ISK", "PKR", "BDT", "LKR", "NPR",
];

/// Why a price text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The text holds no digits, or characters that are not part of a price.
    #[error("price '{0}' is not a number")]
    NotANumber(String),
    /// A negative price.
    #[error("price '{0}' is negative")]
    Negative(String),
    /// Marks that read two ways: `"1.299"` is 1299 in Germany and 1.299 in the US.
    #[error(
        "price '{0}' is ambiguous: a single '.' before three digits may group thousands or mark decimals; write 1299, 1.299,00 or 1,299.00"
    )]
    Ambiguous(String),
    /// More decimals than the currency has, or too large to store.
    #[error("price '{0}' is out of range or too precise")]
    OutOfRange(String),
}

impl Money {
    /// Builds an amount from minor units.
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// The amount in currency units, for display and JSON (exact for any realistic price).
    pub fn amount(&self) -> f64 {
        self.minor as f64 / self.currency.minor_per_major() as f64
    }

    /// Parses price text as shops write it: `"₹1,099"`, `"$12.99"`, `"2.49"`, `"1099.00 INR"`,
    /// and with a decimal comma, `"12,99"`, `"2,49 €"`, `"1.299,00 €"`.
    ///
    /// A currency symbol or code in the text wins over `default_currency`. Which mark is the
    /// decimal one is read from the number's shape (see [`split_decimal`]); at most the
    /// currency's number of decimals is accepted.
    ///
    /// # Errors
    /// [`PriceError::NotANumber`] for text that is no price, [`PriceError::Ambiguous`] when the
    /// marks could be read two ways (`"1.299"`), [`PriceError::Negative`], and
    /// [`PriceError::OutOfRange`] for more decimals than the currency has or an overflow.
    pub fn parse(text: &str, default_currency: Currency) -> Result<Money, PriceError> {
        Money::parse_marks(text, default_currency, false)
    }

    /// Reads a JSON number as an amount in `currency` units: its `.` is always the decimal
    /// point (`12.345` is too precise, never ambiguous).
    ///
    /// # Errors
    /// As [`Money::parse`], without [`PriceError::Ambiguous`].
    pub fn from_json_number(
        number: &serde_json::Number,
        currency: Currency,
    ) -> Result<Money, PriceError> {
        Money::parse_marks(&number.to_string(), currency, true)
    }

    /// [`Money::parse`], where `decimal_point_only` says the text was written by a program.
    fn parse_marks(
        text: &str,
        default_currency: Currency,
        decimal_point_only: bool,
    ) -> Result<Money, PriceError> {
        let bad = || PriceError::NotANumber(text.to_string());
        let mut currency = default_currency;
        let mut number = String::new();
        let mut negative = false;
        let mut letters = String::new();
        let mut chars = text.trim().chars().peekable();
        while let Some(c) = chars.next() {
            // "Rs. 300": a dot that neither follows nor precedes a digit is an abbreviation.
            let separator = (c == '.' || c == ',')
                && (!number.is_empty() || chars.peek().is_some_and(char::is_ascii_digit));
            // "1 299,00" and the Swiss "1'299.00" group thousands with a space or apostrophe.
            let grouping = c.is_whitespace()
                || ((c == '\'' || c == '’')
                    && !number.is_empty()
                    && chars.peek().is_some_and(char::is_ascii_digit));
            if let Some(cur) = Currency::from_symbol(c) {
                currency = cur;
            } else if c.is_ascii_digit() || separator {
                number.push(c);
            } else if c == ',' || c == '.' || grouping {
            } else if c == '-' && number.is_empty() {
                negative = true;
            } else if c.is_ascii_alphabetic() {
                letters.push(c);
            } else {
                return Err(bad());
            }
        }
        if !letters.is_empty() {
            // Rs / Rs. are how Indian shops write rupees.
            currency = if letters.eq_ignore_ascii_case("rs") {
                Currency::INR
            } else {
                // Free text names only currencies shops actually use; "2.49 abc" is not a price.
                Currency::from_code(&letters)
                    .filter(|c| KNOWN_CODES.contains(&c.code()))
                    .ok_or_else(bad)?
            };
        }
        if negative {
            return Err(PriceError::Negative(text.to_string()));
        }
        let split = if decimal_point_only {
            match number.split_once('.') {
                _ if number.contains(',') => Err(Shape::Invalid),
                Some((w, f)) if !f.contains('.') => Ok((w.to_string(), f.to_string())),
                Some(_) => Err(Shape::Invalid),
                None => Ok((number.clone(), String::new())),
            }
        } else {
            split_decimal(&number)
        };
        let (whole, frac) = match split {
            Ok(parts) => parts,
            Err(Shape::Ambiguous) => return Err(PriceError::Ambiguous(text.to_string())),
            Err(Shape::Invalid) => return Err(bad()),
        };
        let (whole, frac) = (whole.as_str(), frac.as_str());
        if whole.is_empty() && frac.is_empty() {
            return Err(bad());
        }
        let digits = currency.minor_digits() as usize;
        let frac = frac.trim_end_matches('0');
        if frac.len() > digits {
            return Err(PriceError::OutOfRange(text.to_string()));
        }
        let out_of_range = || PriceError::OutOfRange(text.to_string());
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| out_of_range())?
        };
        let frac_minor: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<digits$}").parse().map_err(|_| bad())?
        };
        let minor = whole
            .checked_mul(currency.minor_per_major())
            .and_then(|m| m.checked_add(frac_minor))
            .ok_or_else(out_of_range)?;
        Ok(Money { minor, currency })
    }

    /// Builds an amount from a number in currency units, rounding to the nearest minor unit.
    pub fn from_amount(amount: f64, currency: Currency) -> Result<Money, PriceError> {
        let scaled = (amount * currency.minor_per_major() as f64).round();
        if !scaled.is_finite() || scaled.abs() > 9.0e15 {
            return Err(PriceError::OutOfRange(amount.to_string()));
        }
        if scaled < 0.0 {
            return Err(PriceError::Negative(amount.to_string()));
        }
        Ok(Money {
            minor: scaled as i64,
            currency,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per = self.currency.minor_per_major();
        let digits = self.currency.minor_digits() as usize;
        let symbol = match self.currency.code() {
            "INR" => "₹",
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => "",
        };
        let whole = group_digits(
            &(self.minor / per).to_string(),
            self.currency == Currency::INR,
        );
        let frac = self.minor % per;
        if symbol.is_empty() {
            write!(f, "{} ", self.currency)?;
        } else {
            f.write_str(symbol)?;
        }
        if frac == 0 || digits == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{frac:0digits$}")
        }
    }
}

/// Why a number's marks cannot be read.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    /// No reading: "1.2.3", "1,2345".
    Invalid,
    /// Two readings: "1.299" is 1299 in Germany and 1.299 in the US.
    Ambiguous,
}

/// Splits a number written with `.` and `,` marks into its whole and decimal digits.
///
/// - Both marks: the last one is the decimal mark and appears once; the other groups digits
///   (`1,299.00`, `1.299,00`, `₹1,23,999.50`).
/// - One mark, once: before one or two final digits it is a decimal mark (`12,99`, `2.49`,
///   `12.5`); a comma before three final digits groups thousands (`1,299`, the usual reading in
///   the shops this project reads); a dot before three digits after a non-zero whole is
///   ambiguous (`1.299`); before more digits a dot is a decimal mark (too precise later) and a
///   comma is no number.
/// - One mark, several times: it groups digits, in threes or in the Indian pairs before a
///   final three (`1.299.000`, `1,23,999`).
fn split_decimal(number: &str) -> std::result::Result<(String, String), Shape> {
    let marks: Vec<char> = number.chars().filter(|c| *c == '.' || *c == ',').collect();
    let digits_only = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let grouped = |s: &str, mark: char| {
        let groups: Vec<&str> = s.split(mark).collect();
        let (last, middle) = match groups.split_last() {
            Some((last, rest)) => (*last, rest.get(1..).unwrap_or(&[])),
            None => return false,
        };
        !groups[0].is_empty()
            && groups[0].len() <= 3
            && last.len() == 3
            && (middle.iter().all(|g| g.len() == 3) || middle.iter().all(|g| g.len() == 2))
    };
    let Some(&last_mark) = marks.last() else {
        return Ok((number.to_string(), String::new()));
    };
    if marks.iter().any(|m| *m != last_mark) {
        let (whole, frac) = number.rsplit_once(last_mark).ok_or(Shape::Invalid)?;
        let group_mark = if last_mark == '.' { ',' } else { '.' };
        if whole.contains(last_mark) || !grouped(whole, group_mark) {
            return Err(Shape::Invalid);
        }
        return Ok((digits_only(whole), frac.to_string()));
    }
    if marks.len() > 1 {
        return if grouped(number, last_mark) {
            Ok((digits_only(number), String::new()))
        } else {
            Err(Shape::Invalid)
        };
    }
    let (whole, frac) = number.split_once(last_mark).ok_or(Shape::Invalid)?;
    match (frac.len(), last_mark) {
        (0..=2, _) => Ok((whole.to_string(), frac.to_string())),
        (3, ',') if !whole.is_empty() => Ok((format!("{whole}{frac}"), String::new())),
        (3, '.') if !whole.trim_start_matches('0').is_empty() => Err(Shape::Ambiguous),
        (_, '.') => Ok((whole.to_string(), frac.to_string())),
        _ => Err(Shape::Invalid),
    }
}

/// "1234567" -> "1,234,567", or the Indian "12,34,567" (last three digits, then pairs).
pub(crate) fn group_digits(digits: &str, indian: bool) -> String {
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = digits;
    let mut size = 3;
    while rest.len() > size {
        let (head, tail) = rest.split_at(rest.len() - size);
        groups.push(tail);
        rest = head;
        if indian {
            size = 2;
        }
    }
    groups.push(rest);
    groups.reverse();
    groups.join(",")
}

#[derive(Serialize, Deserialize)]
struct MoneyJson {
    amount: serde_json::Number,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let amount = serde_json::Number::from_f64(self.amount())
            .ok_or_else(|| serde::ser::Error::custom("price is not finite"))?;
        MoneyJson {
            amount,
            currency: self.currency,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = MoneyJson::deserialize(d)?;
        // Parse the number's text, not an f64, so "1099.99" is exactly 109999 paise.
        Money::from_json_number(&json.amount, json.currency).map_err(serde::de::Error::custom)
    }
}

/// One customer review of a product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Review id in the source, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Reviewer id in the source (a weak co-interaction signal), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    /// Star rating given, 1 to 5, when the source has it per review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<f32>,
    /// Short title or summary line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Review text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// Links to other products the source recorded (Amazon's also_buy / also_view).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelatedProducts {
    /// Products customers bought together with this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_bought: Vec<String>,
    /// Products customers viewed together with this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_viewed: Vec<String>,
}

impl RelatedProducts {
    /// True when the source recorded no related products.
    pub fn is_empty(&self) -> bool {
        self.also_bought.is_empty() && self.also_viewed.is_empty()
    }
}

fn default_in_stock() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// A product as shopclerk knows it, whatever catalog format it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Stable id from the source catalog (ASIN, SKU...). Unique within a catalog.
    pub id: String,
    /// Product name as shown to customers.
    pub title: String,
    /// Longer description: plain text, HTML removed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Category from the root to the leaf, e.g. `["Electronics", "Cameras", "DSLR"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category_path: Vec<String>,
    /// Brand or vendor, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Selling price; `None` when the source has none (such a product cannot be priced to a customer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Price before discount ("M.R.P."), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
    /// Average star rating, 0 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<f32>,
    /// How many ratings the average is over.
    #[serde(default)]
    pub rating_count: u64,
    /// Whether the product can be bought now.
    #[serde(default = "default_in_stock", skip_serializing_if = "is_true")]
    pub in_stock: bool,
    /// Image address, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Product page address, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Feature bullets and key/value facts ("colour": "grey", "feature": "...").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Customer reviews.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviews: Vec<Review>,
    /// Related products the source recorded.
    #[serde(default, skip_serializing_if = "RelatedProducts::is_empty")]
    pub related: RelatedProducts,
}

impl Product {
    /// A product with only an id and a title; the other fields empty.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Product {
        Product {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            category_path: Vec::new(),
            brand: None,
            price: None,
            list_price: None,
            rating: None,
            rating_count: 0,
            in_stock: true,
            image_url: None,
            url: None,
            attributes: BTreeMap::new(),
            reviews: Vec::new(),
            related: RelatedProducts::default(),
        }
    }

    /// The leaf category, if the product has one.
    pub fn leaf_category(&self) -> Option<&str> {
        self.category_path.last().map(String::as_str)
    }
}

/// One order (basket): the products a customer bought together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Order id from the source.
    pub order_id: String,
    /// Customer id from the source, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Product ids in the order they were added to the cart.
    pub items: Vec<String>,
    /// The customer's n-th order, when known (for sequence signals and splits by time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prices_as_shops_write_them() {
        let inr = |s: &str| Money::parse(s, Currency::USD).map(|m| (m.minor, m.currency));
        assert_eq!(inr("₹1,099"), Ok((109_900, Currency::INR)));
        assert_eq!(inr("$12.99"), Ok((1_299, Currency::USD)));
        assert_eq!(inr("2.49"), Ok((249, Currency::USD)));
        assert_eq!(inr("1099.50 INR"), Ok((109_950, Currency::INR)));
        assert_eq!(inr("Rs. 300"), Ok((30_000, Currency::INR)));
        assert_eq!(inr(".5"), Ok((50, Currency::USD)));
        assert!(matches!(inr("₹abc"), Err(PriceError::NotANumber(_))));
        assert!(matches!(inr(""), Err(PriceError::NotANumber(_))));
        assert!(matches!(inr("1.2.3"), Err(PriceError::NotANumber(_))));
        assert!(matches!(inr("2.49 abc"), Err(PriceError::NotANumber(_))));
        assert!(matches!(inr("-5"), Err(PriceError::Negative(_))));
        assert!(matches!(inr("0.999"), Err(PriceError::OutOfRange(_))));
        assert!(matches!(inr("1.2345"), Err(PriceError::OutOfRange(_))));
        assert!(matches!(
            inr("99999999999999999999"),
            Err(PriceError::OutOfRange(_))
        ));
    }

    #[test]
    fn a_comma_before_one_or_two_final_digits_is_a_decimal_comma() {
        let read = |s: &str, c: Currency| Money::parse(s, c).map(|m| (m.minor, m.currency));
        let usd = |s: &str| read(s, Currency::USD);
        // Decathlon, European shops and Amazon.in write decimal commas.
        assert_eq!(usd("12,99"), Ok((1_299, Currency::USD)));
        assert_eq!(usd("2,49 €"), Ok((249, Currency::EUR)));
        assert_eq!(usd("€ 2,5"), Ok((250, Currency::EUR)));
        assert_eq!(usd("₹4,20"), Ok((420, Currency::INR)));
        assert_eq!(usd("1.299,00 €"), Ok((129_900, Currency::EUR)));
        assert_eq!(usd("1.299.999,95"), Ok((129_999_995, Currency::USD)));
        assert_eq!(usd("1 299,00 €"), Ok((129_900, Currency::EUR)));
        assert_eq!(
            usd("CHF 1'299.50"),
            Ok((129_950, Currency::from_code("CHF").unwrap()))
        );
        // Grouping keeps working, international and Indian.
        assert_eq!(usd("1,299.00"), Ok((129_900, Currency::USD)));
        assert_eq!(usd("1,299"), Ok((129_900, Currency::USD)));
        assert_eq!(usd("₹1,23,999"), Ok((12_399_900, Currency::INR)));
        assert_eq!(usd("₹1,23,999.50"), Ok((12_399_950, Currency::INR)));
        assert_eq!(usd("1.299.000"), Ok((129_900_000, Currency::USD)));
        // Ambiguous or impossible shapes are rejected with a true reason.
        assert!(matches!(usd("1.299"), Err(PriceError::Ambiguous(_))));
        assert!(matches!(usd("€1.299"), Err(PriceError::Ambiguous(_))));
        for junk in ["1,2345", "1,29,9", "1.299,00.00", "12,99,5", "1,2.3,4"] {
            assert!(
                matches!(usd(junk), Err(PriceError::NotANumber(_))),
                "{junk}"
            );
        }
        let reason = usd("1.299").unwrap_err().to_string();
        assert!(reason.contains("ambiguous"), "{reason}");
    }

    #[test]
    fn json_numbers_always_use_a_decimal_point() {
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).unwrap();
        assert_eq!(
            Money::from_json_number(&n("12.99"), Currency::EUR),
            Ok(Money::from_minor(1_299, Currency::EUR))
        );
        assert!(matches!(
            Money::from_json_number(&n("1.299"), Currency::EUR),
            Err(PriceError::OutOfRange(_))
        ));
    }

    #[test]
    fn money_round_trips_through_json_exactly() {
        let m = Money::parse("₹1,099.99", Currency::USD).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":1099.99,"currency":"INR"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.to_string(), "₹1,099.99");
        let inr = |s: &str| Money::parse(s, Currency::INR).unwrap().to_string();
        assert_eq!(inr("1234567"), "₹12,34,567");
        assert_eq!(inr("999"), "₹999");
        assert_eq!(inr("0.5"), "₹0.50");
        assert_eq!(
            Money::parse("$1234567.5", Currency::INR)
                .unwrap()
                .to_string(),
            "$1,234,567.50"
        );
        assert_eq!(
            Money::from_minor(1500, Currency::from_code("jpy").unwrap()).to_string(),
            "JPY 1,500"
        );
    }

    #[test]
    fn product_json_defaults_to_in_stock() {
        let p: Product = serde_json::from_str(r#"{"id":"a","title":"Cable"}"#).unwrap();
        assert!(p.in_stock);
        assert_eq!(p, Product::new("a", "Cable"));
    }
}
