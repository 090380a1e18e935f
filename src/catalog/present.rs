//! Presentation: "how does a person name this product, and which few specs matter?"
//!
//! Catalog titles are 150-200 characters of keywords ("boAt Rockerz 450 Bluetooth On Ear
//! Headphones with Mic, Upto 15 Hours Playback, ..."). A shopper names a product by brand and
//! model or series ("boAt Rockerz 450"), and compares a few specs with units ("15 h playtime",
//! "1.5 L", "43-inch"). [`ProductView`] is the one view of a product every surface shows
//! (replies, SSE events, widget, console, CLI, OpenAI endpoint), built once from the catalog
//! row: [`short_name`], typed [`Highlight`]s, and its colour or size variants folded into
//! `also_in` ([`fold_variants`]). Prices, ratings and stock are copied from the row, never
//! from model text.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Money, Product};

/// Most words in a short name (the type noun may add one or two).
const NAME_WORDS: usize = 6;
/// Most highlights per product.
pub const HIGHLIGHTS_SHOWN: usize = 4;

/// A product as every surface shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductView {
    /// Product id.
    pub id: String,
    /// How a person names it: brand and model or series, about six words
    /// ("Philips GC1905 steam iron").
    pub short_name: String,
    /// The full catalog title, for the product page.
    pub title: String,
    /// Brand, when known.
    #[serde(default)]
    pub brand: Option<String>,
    /// Category path, root first.
    pub category: Vec<String>,
    /// Selling price, when the catalog has one.
    pub price: Option<Money>,
    /// The price as a customer reads it ("₹1,099", or "no price").
    pub price_text: String,
    /// Price before discount, when the catalog has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<Money>,
    /// Average star rating, 0 to 5.
    pub rating: Option<f32>,
    /// Ratings the average is over.
    #[serde(default)]
    pub rating_count: u64,
    /// Whether it can be bought now.
    #[serde(default = "yes")]
    pub in_stock: bool,
    /// Image address (http or https only).
    #[serde(default)]
    pub image_url: Option<String>,
    /// Up to [`HIGHLIGHTS_SHOWN`] key specs, title first.
    #[serde(default)]
    pub highlights: Vec<Highlight>,
    /// Other colours or sizes of the same model, folded into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<Variant>,
    /// Retrieval score, for search results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

fn yes() -> bool {
    true
}

/// Another colour or size of a shown product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Its product id.
    pub id: String,
    /// What differs, as a shopper reads it ("Horizon Blue", "128 GB").
    pub label: String,
}

impl ProductView {
    /// The view of a catalog product.
    pub fn of(p: &Product) -> ProductView {
        ProductView {
            id: p.id.clone(),
            short_name: short_name(p),
            title: p.title.clone(),
            brand: p.brand.clone(),
            category: p.category_path.clone(),
            price: p.price,
            price_text: price_text(p.price),
            list_price: p.list_price,
            rating: p.rating,
            rating_count: p.rating_count,
            in_stock: p.in_stock,
            image_url: p
                .image_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
            highlights: highlights(p),
            also_in: Vec::new(),
            score: None,
        }
    }

    /// The view with a retrieval score.
    pub fn scored(p: &Product, score: f32) -> ProductView {
        ProductView {
            score: Some(score),
            ..ProductView::of(p)
        }
    }

    /// The highlight of this kind, when it has one.
    pub fn highlight(&self, kind: SpecKind) -> Option<&Highlight> {
        self.highlights.iter().find(|h| h.kind == kind)
    }

    /// Its facts on one line, without the name, for text-only surfaces (the CLI, replies to
    /// OpenAI clients): `₹249  ★4.1  · 60 W · 1.2 m  (also in White)`, with `out of stock`
    /// when it is.
    pub fn facts_line(&self) -> String {
        let mut line = self.price_text.clone();
        if let Some(r) = self.rating {
            line.push_str(&format!("  ★{r:.1}"));
        }
        let specs: Vec<&str> = self.highlights.iter().map(|h| h.text.as_str()).collect();
        if !specs.is_empty() {
            line.push_str(&format!("  · {}", specs.join(" · ")));
        }
        let also: Vec<&str> = self.also_in.iter().map(|v| v.label.as_str()).collect();
        if !also.is_empty() {
            line.push_str(&format!("  (also in {})", also.join(", ")));
        }
        if !self.in_stock {
            line.push_str("  out of stock");
        }
        line
    }
}

/// A catalog price as shown to customers (replies, cards, the CLI).
pub fn price_text(price: Option<Money>) -> String {
    price.map_or_else(|| "no price".into(), |m| m.to_string())
}

/// What a highlight measures. Values of one kind are in one unit, so they compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecKind {
    /// Screen or fit size, inches.
    ScreenSize,
    /// Volume, litres.
    Capacity,
    /// Storage, GB.
    Storage,
    /// Memory (RAM), GB.
    Memory,
    /// Battery, mAh.
    Battery,
    /// Power, watts.
    Power,
    /// Playtime or battery life, hours.
    Playtime,
    /// Water or sweat resistance (IPX5, IP67); no value.
    WaterResistance,
    /// Picture resolution (4K, Full HD); no value.
    Resolution,
    /// Cable or cord length, metres.
    Length,
    /// Cooling capacity, tons.
    Tonnage,
    /// Wireless or wired; no value.
    Connectivity,
    /// Material (braided, stainless steel); no value.
    Material,
    /// How many people it is for (a 2-person tent, a 4-seater), people.
    People,
}

impl SpecKind {
    /// Words that name this kind of spec in a question ("is it waterproof?", "how many
    /// hours?"): a question with one of them is answered from the highlight.
    pub fn cue_words(self) -> &'static [&'static str] {
        match self {
            SpecKind::WaterResistance => &[
                "waterproof",
                "water",
                "sweat",
                "rain",
                "gym",
                "swim",
                "splash",
            ],
            SpecKind::Playtime => &["playtime", "hours", "backup", "last"],
            SpecKind::Battery => &["mah", "battery"],
            SpecKind::Capacity => &["capacity", "litre", "liter", "litres", "ml"],
            SpecKind::ScreenSize => &["inch", "inches", "screen", "size"],
            SpecKind::Length => &["length", "long", "metre", "meter", "feet"],
            // Not "power": "power bank" names a product, not its wattage.
            SpecKind::Power => &["watt", "watts", "wattage"],
            // A memory card's or drive's "capacity" is its storage.
            SpecKind::Storage => &["storage", "gb", "space", "capacity"],
            SpecKind::Memory => &["ram"],
            SpecKind::Connectivity => &["wireless", "wired", "bluetooth"],
            SpecKind::Material => &["braided", "material", "steel"],
            SpecKind::People => &["people", "persons", "person", "seater", "sleeps", "fit"],
            SpecKind::Resolution => &["resolution", "4k", "hd"],
            SpecKind::Tonnage => &["ton", "tonnage"],
        }
    }

    /// Looser words that point to this kind of spec in a search ("a big one", "for my
    /// workout", "durable"), on top of [`SpecKind::cue_words`]; too vague to answer a
    /// question by.
    pub fn hint_words(self) -> &'static [&'static str] {
        match self {
            SpecKind::ScreenSize => &["big", "bigger"],
            SpecKind::Capacity => &["how much", "big"],
            SpecKind::Storage => &["tb", "memory"],
            SpecKind::Memory => &["memory"],
            SpecKind::Battery => &["charge", "capacity"],
            SpecKind::Power => &["powerful", "fast", "strong"],
            SpecKind::Playtime => &["battery", "long"],
            SpecKind::WaterResistance => &["workout", "run", "ipx"],
            SpecKind::Resolution => &["picture", "display"],
            SpecKind::Length => &["ft", "cable"],
            SpecKind::Tonnage => &["room", "cooling"],
            SpecKind::Connectivity => &["cable", "cord"],
            SpecKind::Material => &["durable", "nylon"],
            SpecKind::People => &["family", "us", "friends"],
        }
    }

    /// Whether more of this spec is better for a shopper (bigger screen, longer playtime).
    pub fn more_is_better(self) -> bool {
        !matches!(
            self,
            SpecKind::WaterResistance
                | SpecKind::Resolution
                | SpecKind::Connectivity
                | SpecKind::Material
        )
    }
}

/// One key spec with its unit normalised: `{"kind": "capacity", "value": 1.5, "text": "1.5 L"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    /// What it measures.
    pub kind: SpecKind,
    /// The value in the kind's unit (inches, litres, GB, mAh, W, hours, metres, tons); `None`
    /// for kinds without a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// As a shopper reads it ("43-inch", "1.5 L", "IPX5", "braided").
    pub text: String,
    /// What a size in inches measures, read from the same text: "screen" (a TV, monitor,
    /// phone), "wheels" (a bike) or "" (anything else, "a 15.6-inch size"). Only
    /// [`Highlight::phrase`] reads it.
    #[serde(skip)]
    pub part: &'static str,
}

impl Highlight {
    /// The highlight as a phrase after "with" ("a 43-inch screen", "IPX5 water resistance").
    pub fn phrase(&self) -> String {
        let t = &self.text;
        match self.kind {
            SpecKind::ScreenSize => match self.part {
                "" => format!("a {t} size"),
                part if part.ends_with('s') => format!("{t} {part}"),
                part => format!("a {t} {part}"),
            },
            SpecKind::Capacity => format!("{t} capacity"),
            SpecKind::Storage => format!("{t} storage"),
            SpecKind::Memory | SpecKind::Playtime => t.clone(),
            SpecKind::Battery => format!("a {t} battery"),
            SpecKind::Power => format!("{t} power"),
            SpecKind::WaterResistance => format!("{t} water resistance"),
            SpecKind::Resolution => format!("a {t} picture"),
            SpecKind::Length => format!("a {t} length"),
            SpecKind::Tonnage => format!("{t} cooling"),
            SpecKind::Connectivity => format!("a {t} connection"),
            SpecKind::Material => format!("a {t} build"),
            SpecKind::People => format!("room for {}", t.replace('-', " ")),
        }
    }

    fn new(kind: SpecKind, value: Option<f64>, text: String) -> Highlight {
        Highlight {
            kind,
            value,
            text,
            part: "",
        }
    }
}

/// A number with at most one decimal, without a trailing ".0".
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

fn parse_num(s: &str) -> Option<f64> {
    s.replace(',', "").parse().ok()
}

macro_rules! re {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("a valid built-in pattern"));
    };
}

// Numbers are never read from inside a longer number or a model code: "1.69\"" is not 69
// inches, "1.5 GB" not 5 GB, "MPK120L" not 120 litres.
re!(
    SCREEN,
    // "in" alone is too often a word ("in Ear") to mean inches. An inch mark follows the
    // number directly and no letter follows it: `BassHeads 100 "Hawk"` quotes a name.
    r#"(?i)(?:^|[^\w.])(\d{1,3}(?:\.\d{1,2})?)(?:\s*(?:-\s*)?inch(?:es)?\b|(?:"|”|'')(?:$|[^a-z]))"#
);
re!(
    LITRES,
    r"(?i)(?:^|[^\w.])(\d{1,3}(?:\.\d{1,2})?)\s*-?\s*(?:litres?|liters?|ltrs?|l\b)"
);
re!(MILLILITRES, r"(?i)(?:^|[^\w.])(\d{2,4})\s*-?\s*ml\b");
re!(
    GIGABYTES,
    r"(?i)(?:^|[^\w.])(\d{1,4}(?:\.\d)?)\s*(gb|tb)\b(\s*(?:of\s+)?ram)?"
);
re!(MAH, r"(?i)(?:^|[^\w.])(\d{1,3}(?:,\d{3})*|\d{3,6})\s*mah\b");
re!(
    WATTS,
    r"(?i)(?:^|[^\w.])(\d{1,4}(?:\.\d)?)\s*-?\s*(k)?(?:w|watts?)\b"
);
re!(
    PLAYTIME,
    r"(?i)(?:(?:^|[^\w.])(\d{1,3})\s*\+?\s*(?:h|hrs?|hours?)\b\s*(?:of\s+)?(?:total\s+|non[- ]?stop\s+)?(?:playtime|playback|play\s*time|music|battery|backup)|(?:playtime|playback|play\s*time|battery life)\D{0,25}?(\d{1,3})\s*\+?\s*(?:h|hrs?|hours?)\b)"
);
re!(IP_RATING, r"(?i)\b(ipx?\s?-?\d{1,2})\b");
re!(
    RESOLUTION,
    r"(?i)\b(4k|8k|full hd|fhd|hd ready|qhd|ultra hd|uhd)\b"
);
re!(
    LENGTH,
    r"(?i)(?:^|[^\w.])(\d{1,2}(?:\.\d{1,2})?)\s*-?\s*(m|meters?|metres?|ft|feet|foot)\b"
);
re!(TONS, r"(?i)(?:^|[^\w.])(\d(?:\.\d{1,2})?)\s*-?\s*tons?\b");
re!(
    PEOPLE,
    r"(?i)(?:^|[^\w.])(\d{1,2})\s*-?\s*(?:persons?|people|man|seater|seat)\b"
);
re!(
    MATERIAL,
    r"(?i)\b(braided|stainless steel|aluminium|aluminum|nylon|leather|silicone|cotton|glass|copper|bamboo|wooden|polyester)\b"
);
re!(WIRELESS, r"(?i)\b(true wireless|wireless|bluetooth|tws)\b");
re!(WIRED, r"(?i)\b(wired)\b");

/// Whether a title says wired (`Some(true)`) or wireless (`Some(false)`, also "bluetooth" or
/// "tws"), or neither; wireless wins when it says both ("Wired and Wireless Headphones").
pub fn says_wired(title: &str) -> Option<bool> {
    if WIRELESS.is_match(title) {
        Some(false)
    } else if WIRED.is_match(title) {
        Some(true)
    } else {
        None
    }
}

/// The key specs of a product: title first, then feature bullets and the description; at
/// most [`HIGHLIGHTS_SHOWN`], one per kind.
pub fn highlights(p: &Product) -> Vec<Highlight> {
    let mut found = all_specs(p);
    found.truncate(HIGHLIGHTS_SHOWN);
    found
}

/// A quantity as a shopper writes it ("43" "inch", "1" "tb", "108" "cm", "1.5" "l") as a typed
/// spec in its kind's unit (inches, litres, GB, mAh, W, hours, metres, tons), or `None` when
/// the unit names no spec kind or the value is outside the range products of that kind have
/// (the same ranges [`specs_in`] reads listings with). A "gb" is storage; the caller decides
/// when it is RAM.
pub fn quantity(value: f64, unit: &str) -> Option<Highlight> {
    let unit = unit.trim().to_lowercase();
    let within = |lo: f64, hi: f64| (lo..=hi).contains(&value).then_some(value);
    let (kind, value, text) = match unit.as_str() {
        "inch" | "inches" | "in" | "\"" | "''" => {
            let v = within(5.0, 100.0)?;
            (SpecKind::ScreenSize, v, format!("{}-inch", num(v)))
        }
        // Indian TV listings give both: "108 cm (43 inches)".
        "cm" => {
            let v = within(50.0, 250.0)?;
            (SpecKind::ScreenSize, v / 2.54, format!("{} cm", num(v)))
        }
        "l" | "ltr" | "ltrs" | "litre" | "litres" | "liter" | "liters" => {
            let v = within(0.05, 500.0)?;
            (SpecKind::Capacity, v, format!("{} L", num(v)))
        }
        "ml" => {
            let v = within(10.0, 9999.0)?;
            (SpecKind::Capacity, v / 1000.0, format!("{} ml", num(v)))
        }
        "gb" => {
            let v = within(1.0, 9999.0)?;
            (SpecKind::Storage, v, format!("{} GB", num(v)))
        }
        "tb" => {
            let v = within(0.1, 100.0)?;
            (SpecKind::Storage, v * 1024.0, format!("{} TB", num(v)))
        }
        "mah" => {
            let v = within(100.0, 100_000.0)?;
            (SpecKind::Battery, v, format!("{} mAh", v as u64))
        }
        "w" | "watt" | "watts" => {
            let v = within(1.0, 10_000.0)?;
            (SpecKind::Power, v, format!("{} W", num(v)))
        }
        "kw" => {
            let v = within(0.1, 10.0)?;
            (
                SpecKind::Power,
                v * 1000.0,
                format!("{} W", num(v * 1000.0)),
            )
        }
        "h" | "hr" | "hrs" | "hour" | "hours" => {
            let v = within(1.0, 500.0)?;
            (SpecKind::Playtime, v, format!("{} h playtime", num(v)))
        }
        "m" | "meter" | "meters" | "metre" | "metres" => {
            let v = within(0.1, 30.0)?;
            (SpecKind::Length, v, format!("{} m", num(v)))
        }
        "ft" | "feet" | "foot" => {
            let v = within(0.5, 100.0)?;
            (SpecKind::Length, v * 0.3048, format!("{} ft", num(v)))
        }
        "person" | "persons" | "people" | "man" | "seater" | "seat" => {
            let v = within(1.0, 20.0)?;
            (SpecKind::People, v, format!("{}-person", num(v)))
        }
        "ton" | "tons" => {
            let v = within(0.5, 5.0)?;
            (SpecKind::Tonnage, v, format!("{} ton", num(v)))
        }
        _ => return None,
    };
    Some(Highlight::new(kind, Some(value), text))
}

/// Every spec of a product, one per kind, without the cap of [`highlights`]: what a search
/// filters on ("43-inch TVs" keeps a TV whose screen size is its fifth spec).
pub fn all_specs(p: &Product) -> Vec<Highlight> {
    let mut found: Vec<Highlight> = Vec::new();
    let texts = std::iter::once(p.title.as_str()).chain(p.attributes.values().map(String::as_str));
    for (i, text) in texts.enumerate() {
        for h in specs_in(text, i == 0) {
            if !found.iter().any(|f| f.kind == h.kind) {
                found.push(h);
            }
        }
    }
    let description: String = p.description.chars().take(2_000).collect();
    for h in specs_in(&description, false) {
        if !found.iter().any(|f| f.kind == h.kind) {
            found.push(h);
        }
    }
    found
}

/// What a size in inches measures in a product text (lowercase): "screen", "wheels" or ""
/// when the text names an accessory that fits a size ("sleeve for 15.6 inch", "TV wall
/// mount") or nothing that says.
fn inch_part(lower: &str) -> &'static str {
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(&[
        "sleeve",
        "bag",
        "backpack",
        "case",
        "cover",
        "stand",
        "mount",
        "bracket",
        "holder",
        "protector",
        "guard",
        "skin",
        "charger",
        "adapter",
        "remote",
        "tyre",
        "tire",
        "tube",
    ]) {
        ""
    } else if has(&["bike", "bicycle", "cycle", "wheel", "wheels", "scooter"]) {
        "wheels"
    } else if has(&[
        "screen",
        "display",
        "tv",
        "television",
        "monitor",
        "led",
        "lcd",
        "oled",
        "qled",
        "laptop",
        "notebook",
        "tablet",
        "phone",
        "smartphone",
        "ipad",
    ]) {
        "screen"
    } else {
        ""
    }
}

/// Specs stated in one text. `title` allows the kinds that are unsafe to read from prose
/// (a length or a "wired" in a description is often about something else).
pub fn specs_in(text: &str, title: bool) -> Vec<Highlight> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    // A size in inches is a screen or the size an accessory fits ("sleeve for 15.6 inch"),
    // never a cable's length ("1 m / 39.6 inches") or the devices it is compatible with.
    let cord = ["cable", "cord", "wire"].iter().any(|w| lower.contains(w));
    let own_size = SCREEN.captures_iter(text).find(|c| {
        let start = c.get(0).map_or(0, |m| m.start());
        let before = lower.get(start.saturating_sub(40)..start).unwrap_or("");
        !cord && !before.contains("compatible")
    });
    if let Some(c) = own_size
        && let Some(v) = parse_num(&c[1]).filter(|v| (5.0..=100.0).contains(v))
    {
        let mut size = Highlight::new(SpecKind::ScreenSize, Some(v), format!("{}-inch", num(v)));
        size.part = inch_part(&lower);
        out.push(size);
    }
    if let Some(c) = LITRES.captures(text)
        && let Some(v) = parse_num(&c[1]).filter(|v| *v > 0.0 && *v <= 500.0)
    {
        out.push(Highlight::new(
            SpecKind::Capacity,
            Some(v),
            format!("{} L", num(v)),
        ));
    } else if let Some(c) = MILLILITRES.captures(text)
        && let Some(v) = parse_num(&c[1]).filter(|v| *v > 0.0)
    {
        let text = if v >= 1000.0 {
            format!("{} L", num(v / 1000.0))
        } else {
            format!("{} ml", num(v))
        };
        out.push(Highlight::new(SpecKind::Capacity, Some(v / 1000.0), text));
    }
    // "6GB, 128GB Storage": a size marked RAM is memory, one marked storage/ROM is storage;
    // of unmarked sizes side by side, the largest is storage and smaller ones up to 16 GB
    // are RAM (how phone titles list them).
    let sizes: Vec<(f64, String, Option<bool>)> = GIGABYTES
        .captures_iter(text)
        .filter_map(|c| {
            let v = parse_num(&c[1])?;
            let tb = c[2].eq_ignore_ascii_case("tb");
            let gb = if tb { v * 1024.0 } else { v };
            let label = if tb {
                format!("{} TB", num(v))
            } else {
                format!("{} GB", num(v))
            };
            let end = c.get(0).map_or(0, |m| m.end());
            let after = lower.get(end..).unwrap_or("").trim_start();
            let marked = if c.get(3).is_some() {
                Some(true)
            } else if after.starts_with("storage")
                || after.starts_with("rom")
                || after.starts_with("internal")
            {
                Some(false)
            } else {
                None
            };
            Some((gb, label, marked))
        })
        .collect();
    let largest = sizes.iter().map(|s| s.0).fold(0.0, f64::max);
    for (gb, label, marked) in sizes {
        let ram = marked.unwrap_or(gb < largest && gb <= 16.0);
        if ram {
            out.push(Highlight::new(
                SpecKind::Memory,
                Some(gb),
                format!("{label} RAM"),
            ));
        } else {
            out.push(Highlight::new(SpecKind::Storage, Some(gb), label));
        }
    }
    if let Some(c) = MAH.captures(text)
        && let Some(v) = parse_num(&c[1]).filter(|v| *v >= 100.0)
    {
        out.push(Highlight::new(
            SpecKind::Battery,
            Some(v),
            format!("{} mAh", v as u64),
        ));
    }
    if let Some(c) = WATTS.captures(text)
        && let Some(v) = parse_num(&c[1])
    {
        let w = if c.get(2).is_some() { v * 1000.0 } else { v };
        if w >= 1.0 {
            out.push(Highlight::new(
                SpecKind::Power,
                Some(w),
                format!("{} W", num(w)),
            ));
        }
    }
    if let Some(c) = PLAYTIME.captures(text)
        && let Some(v) = c
            .get(1)
            .or_else(|| c.get(2))
            .and_then(|m| parse_num(m.as_str()))
            .filter(|v| *v > 0.0 && *v <= 500.0)
    {
        out.push(Highlight::new(
            SpecKind::Playtime,
            Some(v),
            format!("{} h playtime", num(v)),
        ));
    }
    if let Some(c) = IP_RATING.captures(text) {
        let rating: String = c[1]
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_uppercase();
        out.push(Highlight::new(SpecKind::WaterResistance, None, rating));
    }
    if let Some(c) = RESOLUTION.captures(text) {
        let r = match c[1].to_lowercase().as_str() {
            "4k" | "ultra hd" | "uhd" => "4K",
            "8k" => "8K",
            "full hd" | "fhd" => "Full HD",
            "qhd" => "QHD",
            _ => "HD Ready",
        };
        out.push(Highlight::new(SpecKind::Resolution, None, r.to_string()));
    }
    let cable_text = title || lower.contains("length") || lower.contains("long");
    if cable_text
        && let Some(c) = LENGTH.captures(text)
        && let Some(v) = parse_num(&c[1])
    {
        let feet = c[2].to_lowercase().starts_with('f');
        let metres = if feet { v * 0.3048 } else { v };
        if metres > 0.05 && metres <= 30.0 {
            let text = if feet {
                format!("{} ft", num(v))
            } else {
                format!("{} m", num(v))
            };
            out.push(Highlight::new(SpecKind::Length, Some(metres), text));
        }
    }
    if let Some(c) = TONS.captures(text)
        && let Some(v) = parse_num(&c[1])
    {
        out.push(Highlight::new(
            SpecKind::Tonnage,
            Some(v),
            format!("{} ton", num(v)),
        ));
    }
    if let Some(c) = PEOPLE.captures(text)
        && let Some(v) = parse_num(&c[1]).filter(|v| (1.0..=20.0).contains(v))
    {
        out.push(Highlight::new(
            SpecKind::People,
            Some(v),
            format!("{}-person", num(v)),
        ));
    }
    if title {
        match says_wired(text) {
            Some(false) => {
                let bt = lower.contains("bluetooth") && !lower.contains("wireless");
                let label = if bt { "Bluetooth" } else { "wireless" };
                out.push(Highlight::new(
                    SpecKind::Connectivity,
                    None,
                    label.to_string(),
                ));
            }
            Some(true) => out.push(Highlight::new(SpecKind::Connectivity, None, "wired".into())),
            None => {}
        }
    }
    if let Some(c) = MATERIAL.captures(text)
        && (title || c[1].eq_ignore_ascii_case("braided"))
    {
        out.push(Highlight::new(
            SpecKind::Material,
            None,
            c[1].to_lowercase(),
        ));
    }
    out
}

/// The English plural of a noun: "glass" -> "glasses", "battery" -> "batteries", "tv" -> "tvs".
pub fn plural(word: &str) -> String {
    match word {
        "mouse" => return "mice".to_string(),
        "knife" => return "knives".to_string(),
        "person" => return "people".to_string(),
        _ => {}
    }
    if word.ends_with(['s', 'x']) || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else if let Some(stem) = word
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

/// A text with its first letter upper case ("mounts the TV" -> "Mounts the TV").
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A word as it is printed: shoppers type "tv" and "usb", replies write "TV" and "USB".
pub fn as_printed(word: &str) -> String {
    match word.to_lowercase().as_str() {
        a @ ("tv" | "tvs" | "usb" | "hdmi" | "led" | "lcd" | "ac" | "ssd" | "hdd" | "ram"
        | "sd" | "ups" | "otg") => a.to_uppercase().replace("TVS", "TVs"),
        _ => word.to_string(),
    }
}

/// A product's value of a spec kind, from all its specs.
pub fn spec_value(p: &Product, kind: SpecKind) -> Option<f64> {
    all_specs(p)
        .into_iter()
        .find(|h| h.kind == kind)
        .and_then(|h| h.value)
}

/// Words that sell rather than name ("Newly Launched", "Premium").
const FILLER: &[&str] = &[
    "new", "newly", "launched", "latest", "release", "original", "premium", "genuine", "all-new",
    "brand", "best", "2021", "2022", "2023", "edition",
];

/// Words right after a model code that belong to it ("Z6 Pro 5G").
const SERIES_MARKS: &[&str] = &[
    "pro", "pro+", "max", "plus", "lite", "neo", "ultra", "mini", "air", "prime", "5g", "4g", "s",
    "se", "x", "ii", "iii",
];

/// Units after a number that make it a spec, not a model number.
const UNITS: &[&str] = &[
    "gb", "tb", "mb", "mah", "w", "watt", "watts", "l", "ltr", "ltrs", "litre", "litres", "liter",
    "liters", "ml", "cm", "mm", "m", "meter", "meters", "metre", "metres", "ft", "feet", "inch",
    "inches", "kg", "g", "gm", "v", "a", "hz", "mp", "ton", "tons", "star", "pcs", "pieces",
    "pack", "kva", "hours", "hrs", "h", "x", "%", "kw", "speed", "speeds", "layer", "port",
    "ports", "jar", "jars", "blade", "blades", "piece", "set", "in1", "in-1",
];

fn is_unit(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '%');
    UNITS.contains(&w.to_lowercase().as_str())
}

/// A number glued to a unit ("128GB", "1.5-Litre", "15-L", "33W").
fn is_spec_token(word: &str) -> bool {
    let w = word.to_lowercase();
    let digits_end = w
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == ','))
        .map_or(w.len(), |(i, _)| i);
    if digits_end == 0 {
        return false;
    }
    let rest = w[digits_end..].trim_start_matches(['-', ' ']);
    if rest.is_empty() {
        return false;
    }
    UNITS.contains(&rest)
        || rest.starts_with("litre")
        || rest.starts_with("liter")
        || rest.starts_with("watt")
        || rest.starts_with("inch")
}

/// Letters and digits mixed ("HR1832/00", "VS104", "32Y1", "DX-7"): a model code.
fn is_model_code(word: &str) -> bool {
    let has_digit = word.chars().any(|c| c.is_ascii_digit());
    let has_alpha = word.chars().any(|c| c.is_alphabetic());
    has_digit && has_alpha && !is_spec_token(word) && !RESOLUTION.is_match(word)
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit())
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a person names the product: brand and model or series, at most about six words
/// ("Noise Buds VS104", "Samsung Galaxy M13 5G", "Philips GC1905 steam iron").
///
/// The title is cut at the first bracket, comma, bar, dash or linking word ("with", "for",
/// "by"); selling words are dropped; the name stops after a model code (and its series marks
/// such as "Pro 5G") or before the first spec ("128GB", "80 cm"). A name that is only brand
/// and code gets the product type from the leaf category when the title uses it ("steam
/// iron"); a name without its brand gets it in front.
pub fn short_name(p: &Product) -> String {
    let title: String = p
        .title
        .chars()
        .filter(|c| !matches!(c, '®' | '™' | '©'))
        .collect();
    let head = head_of(&title);
    let words: Vec<&str> = head
        .split_whitespace()
        .filter(|w| !FILLER.contains(&w.to_lowercase().as_str()))
        .collect();
    let mut name: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() && name.len() < NAME_WORDS {
        let w = words[i];
        let next = words.get(i + 1).copied().unwrap_or("");
        if is_spec_token(w) || (is_number(w) && is_unit(next)) {
            break;
        }
        name.push(w);
        if is_model_code(w) || (is_number(w) && i > 0) {
            // The code ends the name, with the marks that belong to it ("Z6 Pro 5G").
            let mut j = i + 1;
            while j < words.len()
                && name.len() < NAME_WORDS
                && SERIES_MARKS.contains(&words[j].to_lowercase().as_str())
            {
                name.push(words[j]);
                j += 1;
            }
            break;
        }
        i += 1;
    }
    let truncated = name.len() >= NAME_WORDS && words.len() > NAME_WORDS;
    let mut out = name.join(" ");
    out = out
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches([' ', '-', '–', ':', '/', '&', '+', '.', '!'])
        .to_string();
    // A name cut off mid-description reads better as brand (and code) + type.
    let type_noun = type_noun(p, &title);
    if truncated && let Some((noun, _)) = &type_noun {
        let mut short: Vec<String> = Vec::new();
        if let Some(b) = &p.brand {
            short.push(b.clone());
        }
        if let Some(code) = words
            .iter()
            .find(|w| is_model_code(w))
            .map(|c| (*c).to_string())
            .or_else(|| first_spec(&words))
        {
            short.push(code);
        }
        if !short.is_empty() {
            short.push(noun.clone());
            return short.join(" ");
        }
    }
    if let Some(brand) = &p.brand
        && !brand.trim().is_empty()
        && !squash(&out).contains(&squash(brand))
        && !squash(brand).contains(&squash(&out))
    {
        out = format!("{} {out}", brand.trim()).trim().to_string();
    }
    if !out.split_whitespace().any(is_model_code) && out.split_whitespace().count() <= 1 {
        // "OnePlus 80 cm (32 inches) ... TV 32Y1": the model code comes later.
        let outside = without_brackets(&title);
        let words: Vec<&str> = outside.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| is_model_code(w)) {
            out.push(' ');
            out.push_str(words[at].trim_matches(|c: char| !c.is_alphanumeric()));
            for w in words[at + 1..].iter().take(2) {
                if !SERIES_MARKS.contains(&w.to_lowercase().as_str()) {
                    break;
                }
                out.push(' ');
                out.push_str(w);
            }
        }
    }
    let only_brand = |name: &str| {
        name.split_whitespace().all(|w| {
            p.brand
                .as_deref()
                .is_some_and(|b| squash(b).contains(&squash(w)))
        })
    };
    if only_brand(&out)
        && let Some(spec) = first_spec(&words)
    {
        // "Ambrane 27000mAh Power Bank": no model, so the spec that tells it apart.
        out = format!("{out} {spec}");
    }
    let descriptive = out
        .split_whitespace()
        .filter(|w| {
            !is_model_code(w)
                && !is_number(w)
                && !is_spec_token(w)
                && !is_unit(w)
                && !p
                    .brand
                    .as_deref()
                    .is_some_and(|b| squash(b).contains(&squash(w)))
        })
        .count();
    // The type is added to a bare brand and code, or, whole, to a short name.
    if let Some((noun, whole)) = type_noun
        && (descriptive == 0 || (whole && out.split_whitespace().count() <= 4))
        && !out.to_lowercase().contains(&noun.to_lowercase())
    {
        out = format!("{out} {noun}");
    }
    if out.trim().is_empty() {
        return title
            .split_whitespace()
            .take(NAME_WORDS)
            .collect::<Vec<_>>()
            .join(" ");
    }
    out
}

/// The first spec of a title's head words ("27000mAh", "20000 mAh"), as written.
fn first_spec(words: &[&str]) -> Option<String> {
    words.iter().enumerate().find_map(|(i, w)| {
        let next = words.get(i + 1).copied().unwrap_or("");
        if is_spec_token(w) {
            Some((*w).to_string())
        } else if is_number(w) && is_unit(next) {
            Some(format!("{w} {next}"))
        } else {
            None
        }
    })
}

/// The text without its bracketed parts.
fn without_brackets(text: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '|' | ',' if depth == 0 => out.push(' '),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The title up to its first bracket, comma, bar, dash or linking word.
fn head_of(title: &str) -> &str {
    let mut cut = title.len();
    for sep in ['(', '[', ',', '|', '{', ';'] {
        if let Some(at) = title.find(sep) {
            cut = cut.min(at);
        }
    }
    let lower = title.to_lowercase();
    for sep in [
        " - ",
        " – ",
        " — ",
        " with ",
        " for ",
        " by ",
        " compatible ",
    ] {
        if let Some(at) = lower.find(sep) {
            cut = cut.min(at);
        }
    }
    let head = title[..cut].trim();
    if head.is_empty() { title } else { head }
}

/// The product type in the shopper's words, from the leaf category, when the title uses it
/// ("Steam Irons" -> "steam iron"; "Mini Food Processors & Choppers" -> "chopper"), and
/// whether it is the leaf's whole name (not just its last words).
fn type_noun(p: &Product, title: &str) -> Option<(String, bool)> {
    let leaf = p.category_path.last()?;
    let lower_title = title.to_lowercase();
    for part in leaf.split(['&', ',']).rev() {
        let singular: Vec<String> = part
            .split_whitespace()
            .map(|w| singular(&w.to_lowercase()))
            .collect();
        if singular.is_empty() || singular.iter().any(|w| w.contains('-')) {
            continue;
        }
        // The longest tail of the leaf name the title says ("storage water heater", "water
        // heater", "heater").
        for from in 0..singular.len() {
            let phrase = singular[from..].join(" ");
            if phrase.len() > 2 && lower_title.contains(&phrase) {
                return Some((phrase, from == 0));
            }
        }
    }
    None
}

/// A lowercase word's singular by English plural rules: "batteries" -> "battery", "boxes" ->
/// "box", "glasses" -> "glass", "cases" -> "case", "lenses" -> "lens", "mice" -> "mouse";
/// words of three letters or fewer, and those ending in "ss", stay.
pub fn singular(word: &str) -> String {
    match word {
        "mice" => return "mouse".to_string(),
        "knives" => return "knife".to_string(),
        "people" => return "person".to_string(),
        "series" | "species" | "news" => return word.to_string(),
        _ => {}
    }
    if word.len() > 4
        && let Some(stem) = word.strip_suffix("ies")
    {
        return format!("{stem}y");
    }
    if word.ends_with("ss") || word.len() <= 3 {
        return word.to_string();
    }
    if let Some(stem) = word.strip_suffix("es") {
        if stem.ends_with("sh")
            || stem.ends_with("ch")
            || stem.ends_with('x')
            || stem.ends_with('z')
            || stem.ends_with("ss")
        {
            return stem.to_string();
        }
        // "lenses" -> "lens", but "cases" -> "case": a vowel before the "s" keeps the "e".
        if let Some(before) = stem.strip_suffix('s') {
            return if before.ends_with(['a', 'e', 'i', 'o', 'u']) {
                format!("{stem}e")
            } else {
                stem.to_string()
            };
        }
    }
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// What tells variants of one model apart: the first bracketed segment of the title (usually
/// the colour, "Horizon Blue"), else the highlights the others do not share.
fn variant_label(p: &ProductView, others: &[&ProductView]) -> String {
    // The first bracketed part no other variant has ("Rose Pink" beside "Jet Black").
    let theirs: Vec<String> = others
        .iter()
        .flat_map(|o| bracket_parts(&o.title))
        .collect();
    // A model code ("14313", "KT-150") names the model, not what a shopper picks between.
    let code = |part: &str| {
        !part.chars().any(char::is_alphabetic)
            || (!part.contains(' ') && part.chars().any(|c| c.is_ascii_digit()))
    };
    if let Some(label) = bracket_parts(&p.title)
        .into_iter()
        .find(|part| part.chars().count() <= 30 && !theirs.contains(part) && !code(part))
    {
        return label;
    }
    let own: Vec<&str> = p
        .highlights
        .iter()
        .filter(|h| {
            others
                .iter()
                .any(|o| o.highlight(h.kind).is_none_or(|oh| oh.text != h.text))
        })
        .map(|h| h.text.as_str())
        .collect();
    own.join(", ")
}

/// The comma-separated parts inside a title's brackets, trimmed.
fn bracket_parts(title: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = title;
    while let Some((_, after)) = rest.split_once('(') {
        let (inside, tail) = after.split_once(')').unwrap_or((after, ""));
        parts.extend(
            inside
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        );
        rest = tail;
    }
    parts
}

/// The key that colour and size variants of one model share: brand, leaf category and short
/// name.
pub fn variant_key(p: &ProductView) -> (String, String, String) {
    (
        p.brand.as_deref().unwrap_or("").to_lowercase(),
        p.category.last().cloned().unwrap_or_default(),
        squash(&p.short_name),
    )
}

/// Folds variants of one model into the first (best-ranked) of them: the list keeps its
/// order, each model once, and the first lists the others in `also_in`.
pub fn fold_variants(views: Vec<ProductView>) -> Vec<ProductView> {
    let mut order: Vec<ProductView> = Vec::new();
    let mut at: HashMap<(String, String, String), usize> = HashMap::new();
    let mut folded: Vec<Vec<ProductView>> = Vec::new();
    for v in views {
        let key = variant_key(&v);
        match at.get(&key) {
            Some(&i) => folded[i].push(v),
            None => {
                at.insert(key, order.len());
                order.push(v);
                folded.push(Vec::new());
            }
        }
    }
    for (main, rest) in order.iter_mut().zip(folded) {
        if rest.is_empty() {
            continue;
        }
        let all: Vec<&ProductView> = rest.iter().collect();
        let mut labels: Vec<Variant> = Vec::new();
        for v in &rest {
            let mut others: Vec<&ProductView> =
                all.iter().copied().filter(|o| o.id != v.id).collect();
            others.push(main);
            let label = variant_label(v, &others);
            if !label.is_empty() && !labels.iter().any(|l| l.label == label) {
                labels.push(Variant {
                    id: v.id.clone(),
                    label,
                });
            }
        }
        main.also_in = labels;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(title: &str, brand: Option<&str>, leaf: &str) -> Product {
        let mut p = Product::new("p", title);
        p.brand = brand.map(str::to_string);
        p.category_path = vec!["Root".into(), leaf.into()];
        p
    }

    #[test]
    fn short_names_are_brand_and_model() {
        let cases = [
            (
                "Redmi Note 11 (Horizon Blue, 6GB RAM, 64GB Storage)|90Hz FHD+ AMOLED Display",
                Some("Redmi"),
                "Smartphones",
                "Redmi Note 11",
            ),
            (
                "iQOO Z6 Pro 5G by vivo (Phantom Dusk, 8GB RAM, 128GB Storage) | Snapdragon 778G",
                Some("iQOO"),
                "Smartphones",
                "iQOO Z6 Pro 5G",
            ),
            (
                "PTron Newly Launched Force X10 Bluetooth Calling Smartwatch with 1.7\" Display",
                Some("PTron"),
                "Smart Watches",
                "PTron Force X10",
            ),
            (
                "Bajaj DX-7 1000W Dry Iron with Advance Soleplate, White",
                Some("Bajaj"),
                "Dry Irons",
                "Bajaj DX-7 dry iron",
            ),
            (
                "Philips GC1905 1440-Watt Steam Iron with Spray (Blue)",
                Some("Philips"),
                "Steam Irons",
                "Philips GC1905 steam iron",
            ),
            (
                "Samsung Galaxy M13 5G (Aqua Green, 6GB, 128GB Storage)",
                Some("Samsung"),
                "Smartphones",
                "Samsung Galaxy M13 5G",
            ),
            (
                "boAt Rockerz 450 Bluetooth On Ear Headphones with Mic",
                Some("boAt"),
                "On-Ear",
                "boAt Rockerz 450",
            ),
            (
                "Brayden Chopro, Electric Vegetable Chopper for Kitchen with 500 ML Capacity",
                Some("Brayden"),
                "Mini Food Processors & Choppers",
                "Brayden Chopro chopper",
            ),
            (
                "Milk Frother, Immersion Blender Cordless Foam Maker",
                None,
                "Hand Blenders",
                "Milk Frother",
            ),
        ];
        let more = [
            (
                "Ambrane 27000mAh Power Bank, 20W Fast Charging, Triple Output",
                Some("Ambrane"),
                "Power Banks",
                "Ambrane 27000mAh power bank",
            ),
            (
                "URBN 20000 mAh lithium_polymer Power Bank with 12 Watt Fast Charging, Camo",
                Some("URBN"),
                "Power Banks",
                "URBN 20000 mAh power bank",
            ),
        ];
        for (title, brand, leaf, want) in cases.into_iter().chain(more) {
            assert_eq!(short_name(&product(title, brand, leaf)), want, "{title}");
        }
    }

    #[test]
    fn long_names_become_brand_and_type() {
        let p = product(
            "Kuber Industries Round Non Woven Fabric Foldable Laundry Basket|Toy Storage Basket",
            Some("Kuber"),
            "Laundry Baskets",
        );
        let name = short_name(&p);
        assert!(name.split_whitespace().count() <= 7, "{name}");
        assert!(name.contains("laundry basket"), "{name}");
    }

    #[test]
    fn highlights_have_normalised_units() {
        let p = product(
            "Pigeon 1.5-Litre 1500-Watt Electric Kettle (Silver)",
            Some("Pigeon"),
            "Electric Kettles",
        );
        let h = highlights(&p);
        let cap = h.iter().find(|h| h.kind == SpecKind::Capacity).unwrap();
        assert_eq!((cap.value, cap.text.as_str()), (Some(1.5), "1.5 L"));
        let power = h.iter().find(|h| h.kind == SpecKind::Power).unwrap();
        assert_eq!(power.value, Some(1500.0));

        let tv = product(
            "OnePlus 108 cm (43 inches) Y Series 4K Ultra HD Smart Android LED TV 43Y1S Pro",
            Some("OnePlus"),
            "Smart Televisions",
        );
        let h = highlights(&tv);
        assert_eq!(h[0].text, "43-inch");
        assert!(h.iter().any(|h| h.text == "4K"));
        // An inch mark follows its number; a quoted name after a model number is none.
        let mut phones = product(
            "boAt Bassheads 100 in Ear Wired Earphones with Mic",
            Some("boAt"),
            "In-Ear",
        );
        phones.description = "The boAt BassHeads 100 \"Hawk\" inspired earphones".into();
        assert!(
            !highlights(&phones)
                .iter()
                .any(|h| h.kind == SpecKind::ScreenSize)
        );
        let monitor = product("Acer 24\" Full HD IPS Monitor", Some("Acer"), "Monitors");
        assert_eq!(highlights(&monitor)[0].text, "24-inch");

        let buds = product(
            "Noise Buds VS104 Truly Wireless Earbuds with 30H of Playtime, IPX5, 13mm Driver",
            Some("Noise"),
            "In-Ear",
        );
        let h = highlights(&buds);
        let texts: Vec<&str> = h.iter().map(|h| h.text.as_str()).collect();
        assert!(texts.contains(&"30 h playtime"), "{texts:?}");
        assert!(texts.contains(&"IPX5"), "{texts:?}");
        assert!(texts.contains(&"wireless"), "{texts:?}");

        let bank = product(
            "Mi 10000mAh Lithium Ion Power Bank 2i with 18W Fast Charging",
            Some("Mi"),
            "Power Banks",
        );
        assert_eq!(
            highlights(&bank)
                .iter()
                .find(|h| h.kind == SpecKind::Battery)
                .and_then(|h| h.value),
            Some(10000.0)
        );
        let phone = product(
            "Redmi 9A (Sea Blue, 2GB RAM, 32GB Storage)",
            Some("Redmi"),
            "Smartphones",
        );
        let h = highlights(&phone);
        assert!(
            h.iter()
                .any(|h| h.kind == SpecKind::Memory && h.value == Some(2.0))
        );
        assert!(
            h.iter()
                .any(|h| h.kind == SpecKind::Storage && h.value == Some(32.0))
        );
    }

    #[test]
    fn numbers_are_not_read_from_inside_longer_ones() {
        let watch = product(
            "Noise Smart Watch with 1.69\"(4.29cm) HD Display, 1.5 GB RAM",
            Some("Noise"),
            "Smart Watches",
        );
        let h = highlights(&watch);
        assert!(h.iter().all(|h| h.kind != SpecKind::ScreenSize), "{h:?}");
        assert!(
            h.iter()
                .any(|h| h.kind == SpecKind::Memory && h.value == Some(1.5)),
            "{h:?}"
        );
        let buds = product(
            "boAt Bassheads 100 in Ear Wired Earphones",
            Some("boAt"),
            "In-Ear",
        );
        assert!(
            highlights(&buds)
                .iter()
                .all(|h| h.kind != SpecKind::ScreenSize)
        );
        assert_eq!(short_name(&buds), "boAt Bassheads 100");
    }

    #[test]
    fn colour_variants_show_once() {
        let mut a = product(
            "Redmi 9A (Sea Blue, 2GB RAM, 32GB Storage)",
            Some("Redmi"),
            "Smartphones",
        );
        a.id = "a".into();
        let mut b = product(
            "Redmi 9A (Nature Green, 2GB RAM, 32GB Storage)",
            Some("Redmi"),
            "Smartphones",
        );
        b.id = "b".into();
        let mut c = product(
            "Redmi Note 11 (Horizon Blue, 6GB RAM)",
            Some("Redmi"),
            "Smartphones",
        );
        c.id = "c".into();
        let views = fold_variants(vec![
            ProductView::of(&a),
            ProductView::of(&c),
            ProductView::of(&b),
        ]);
        let ids: Vec<&str> = views.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(views[0].also_in[0].label, "Nature Green");
    }

    #[test]
    fn a_model_code_is_no_variant_label() {
        let mut a = product(
            "Pigeon Amaze Plus Electric Kettle (14289) with Stainless Steel Body, 1.5 litre, 1500 Watt (Silver)",
            Some("Pigeon"),
            "Electric Kettles",
        );
        a.id = "a".into();
        let mut b = product(
            "Pigeon Amaze Plus Electric Kettle (14313) with Stainless Steel Body, 1.8 litre, 1500 Watt (Silver)",
            Some("Pigeon"),
            "Electric Kettles",
        );
        b.id = "b".into();
        let views = fold_variants(vec![ProductView::of(&a), ProductView::of(&b)]);
        assert_eq!(views.len(), 1);
        let label = &views[0].also_in[0].label;
        assert!(label.contains("1.8"), "{label}");
    }
}
