//! The reply rubric: "would a shopper accept these replies?", measured on labelled scripts.
//!
//! A set is JSON lines, one script per line: `{"script": "name", "turns": [TURN, ...]}`; each
//! turn has the shopper's `user` message, the labelled `intent`, and checks on the reply and
//! on what was shown (see [`TurnChecks`] and `tests/data/README_replies.md`). Every turn is
//! also held to global rules: no price away from its own product, no repeated sentence, no
//! prompt leftovers and a sane length. A turn passes when every check passes; the score is
//! the share of turns that pass, overall and per labelled intent.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::{Assistant, Session, TurnRecord};
use crate::catalog::ProductView;
use crate::understand::Intent;

/// Errors reading a set.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file cannot be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The set file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A line is not a script, or a regex does not compile.
    #[error("{path}:{line}: {reason}")]
    Invalid {
        /// The set file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// One labelled script.
#[derive(Debug, Clone, Deserialize)]
pub struct Script {
    /// Its name.
    pub script: String,
    /// Its turns, in order, run in one session.
    pub turns: Vec<TurnChecks>,
}

/// One turn and what a good reply to it must (not) do.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TurnChecks {
    /// The shopper's message.
    pub user: String,
    /// The labelled intent (for the per-intent table).
    pub intent: Option<Intent>,
    /// Regexes the reply must match (case-insensitive).
    pub must: Vec<String>,
    /// Regexes the reply must not match (case-insensitive).
    pub must_not: Vec<String>,
    /// The reply names the first product shown.
    pub names_top: bool,
    /// The reply states the first shown product's price.
    pub price_of_top: bool,
    /// Every product shown costs at most this (currency units).
    pub shown_max_price: Option<f64>,
    /// Every product shown costs at least this.
    pub shown_min_price: Option<f64>,
    /// Every product shown has a category path (" > "-joined) matching this regex.
    pub shown_category: Option<String>,
    /// At least this many products shown.
    pub shown_count_min: Option<usize>,
    /// At most this many products shown.
    pub shown_count_max: Option<usize>,
    /// The products shown are ordered: `price_asc` or `rating_desc`.
    pub shown_sorted: Option<String>,
    /// Every product shown is cheaper than the cheapest of the previous turn.
    pub cheaper_than_previous: bool,
    /// The cross-sell suggestion's category does not match this regex.
    pub suggestion_category_not: Option<String>,
    /// No suggestion at all this turn.
    pub no_suggestions: bool,
    /// Every product shown has a title matching this regex.
    pub shown_title: Option<String>,
    /// Every product shown is of this brand (case-insensitive).
    pub shown_brand: Option<String>,
    /// Every product shown is pricier than the priciest of the previous turn.
    pub pricier_than_previous: bool,
    /// Every product shown is rated higher than the previous turn's first product.
    pub better_rated_than_previous: bool,
    /// The first product shown is the cheapest in-stock product of the catalog among those
    /// matching `shown_category` (and `shown_title`).
    pub first_is_cheapest: bool,
    /// The search state expected after the turn (see [`check_state`]); only the keys given
    /// are checked, and a `null` means "unset".
    pub state: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Reads a set, compiling every regex so a bad one is named by line.
///
/// # Errors
/// The file cannot be read, a line is not a script, or a regex is invalid.
pub fn read_set(path: &Path) -> Result<Vec<Script>, EvalError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: name.clone(),
        source,
    })?;
    let mut scripts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let invalid = |reason: String| EvalError::Invalid {
            path: name.clone(),
            line: i + 1,
            reason,
        };
        let script: Script = serde_json::from_str(line).map_err(|e| invalid(e.to_string()))?;
        for t in &script.turns {
            for r in t
                .must
                .iter()
                .chain(&t.must_not)
                .chain(&t.shown_category)
                .chain(&t.suggestion_category_not)
                .chain(&t.shown_title)
            {
                regex_ci(r).map_err(|e| invalid(format!("regex {r:?}: {e}")))?;
            }
        }
        scripts.push(script);
    }
    Ok(scripts)
}

fn regex_ci(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("(?i){pattern}"))
}

/// One turn's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// Script name.
    pub script: String,
    /// The message.
    pub user: String,
    /// The labelled intent, else the understood one.
    pub intent: Intent,
    /// The understood intent.
    pub understood: Intent,
    /// The reply.
    pub reply: String,
    /// Short names of the products shown.
    pub shown: Vec<String>,
    /// Failed checks, in words; empty when the turn passes.
    pub failures: Vec<String>,
    /// Whether the turn had a labelled state.
    pub state_labelled: bool,
    /// Failed state checks, in words.
    pub state_failures: Vec<String>,
}

/// The rubric's result.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every turn.
    pub turns: Vec<TurnResult>,
}

impl Report {
    /// Share of turns passing every check.
    pub fn pass_rate(&self) -> f64 {
        let passed = self.turns.iter().filter(|t| t.failures.is_empty()).count();
        passed as f64 / self.turns.len().max(1) as f64
    }

    /// Share of turns with a labelled state whose state checks all pass, and how many were
    /// labelled.
    pub fn state_accuracy(&self) -> (f64, usize) {
        let labelled: Vec<&TurnResult> = self.turns.iter().filter(|t| t.state_labelled).collect();
        let right = labelled
            .iter()
            .filter(|t| t.state_failures.is_empty())
            .count();
        (right as f64 / labelled.len().max(1) as f64, labelled.len())
    }

    /// (turns, passed) per labelled intent.
    pub fn by_intent(&self) -> BTreeMap<Intent, (usize, usize)> {
        let mut out: BTreeMap<Intent, (usize, usize)> = BTreeMap::new();
        for t in &self.turns {
            let e = out.entry(t.intent).or_default();
            e.0 += 1;
            e.1 += usize::from(t.failures.is_empty());
        }
        out
    }
}

/// Runs every script in a fresh session and checks each turn.
///
/// # Errors
/// A turn fails to run (the embedder or index failed).
pub fn evaluate(assistant: &Assistant, scripts: &[Script]) -> super::Result<Report> {
    let names = CatalogNames::new(assistant);
    let mut turns = Vec::new();
    for (n, script) in scripts.iter().enumerate() {
        let mut session = Session::new(format!("eval-{n}-{}", script.script));
        let mut previous: Vec<ProductView> = Vec::new();
        let mut said = String::new();
        for checks in &script.turns {
            let record = assistant.turn(&mut session, &checks.user, &mut |_| {})?;
            // A reply may restate a budget the shopper gave in any earlier message.
            said.push_str(&record.user);
            said.push('\n');
            let mut failures = check_turn(checks, &record, &previous, &names, &said);
            if checks.first_is_cheapest {
                first_is_cheapest(assistant, checks, &record, &mut failures);
            }
            let state_failures = checks
                .state
                .as_ref()
                .map(|st| check_state(assistant, st, &session, &record))
                .unwrap_or_default();
            turns.push(TurnResult {
                script: script.script.clone(),
                user: checks.user.clone(),
                intent: checks.intent.unwrap_or(record.intent),
                understood: record.intent,
                reply: record.reply.clone(),
                shown: record
                    .products
                    .iter()
                    .map(|p| p.short_name.clone())
                    .collect(),
                failures,
                state_labelled: checks.state.is_some(),
                state_failures,
            });
            if !record.products.is_empty() {
                previous = record.products;
            }
        }
    }
    Ok(Report { turns })
}

/// Every catalog product's short name and prices, to tie a price in a reply to the product
/// named beside it.
struct CatalogNames {
    /// Lowercase short name -> the prices it is shown with ("₹1,099").
    prices: HashMap<String, Vec<String>>,
}

impl CatalogNames {
    fn new(assistant: &Assistant) -> CatalogNames {
        let mut prices: HashMap<String, Vec<String>> = HashMap::new();
        for p in assistant.searcher().index().products() {
            let e = prices
                .entry(crate::catalog::present::short_name(p).to_lowercase())
                .or_default();
            e.extend(p.price.iter().chain(&p.list_price).map(|m| m.to_string()));
        }
        CatalogNames { prices }
    }
}

static PRICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:₹|\$|€|£|Rs\.? ?|INR ?|USD ?)\s?\d[\d,]*(?:\.\d+)?")
        .expect("a valid built-in pattern")
});
static LEFTOVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\btask:|\bcustomer:|\breply:|\{\{|\}\}|\{[a-z_]+\}|acme|<\|")
        .expect("a valid built-in pattern")
});

/// Sentences of a reply (split after `.`, `!`, `?` followed by a space, and on `;`).
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let next = chars.get(i + 1).copied();
        let prev = if i > 0 { chars[i - 1] } else { ' ' };
        let ends = matches!(c, '!' | '?' | ';')
            || (c == '.' && !prev.is_ascii_digit() && !(prev == 's' && current.ends_with("Rs.")));
        if ends && next.is_none_or(char::is_whitespace) {
            if !current.trim().is_empty() {
                out.push(current.trim().to_string());
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

fn amount_of(price: &str) -> Option<f64> {
    let digits: String = price
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.trim_matches('.').parse().ok()
}

/// The global rules every reply is held to.
fn global_failures(
    record: &TurnRecord,
    names: &CatalogNames,
    shopper_said: &str,
    failures: &mut Vec<String>,
) {
    let reply = &record.reply;
    let length = reply.chars().count();
    if !(2..=700).contains(&length) {
        failures.push(format!("length {length} characters"));
    }
    if let Some(m) = LEFTOVER.find(reply) {
        failures.push(format!("prompt leftover {:?}", m.as_str()));
    }
    let said = sentences(reply);
    let mut seen = std::collections::HashSet::new();
    for s in &said {
        let key: String = s
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        if key.len() > 8 && !seen.insert(key) {
            failures.push(format!("repeated sentence {s:?}"));
        }
    }
    // A price must belong to a product named in the same sentence, or be a number the
    // shopper wrote in this conversation, or a difference of two named prices.
    let user_numbers: Vec<f64> = shopper_said
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .filter_map(|t| t.replace(',', "").trim_matches('.').parse().ok())
        .flat_map(|v: f64| [v, v * 1000.0])
        .collect();
    for s in &said {
        let prices: Vec<&str> = PRICE.find_iter(s).map(|m| m.as_str()).collect();
        if prices.is_empty() {
            continue;
        }
        let lower = s.to_lowercase();
        let named: Vec<f64> = names
            .prices
            .iter()
            .filter(|(name, _)| name.len() > 3 && lower.contains(name.as_str()))
            .flat_map(|(_, p)| p.iter().filter_map(|x| amount_of(x)))
            .collect();
        for price in prices {
            let Some(v) = amount_of(price) else { continue };
            let close = |a: f64| (a - v).abs() < 0.005;
            let ok = named.iter().any(|&n| close(n))
                || user_numbers.iter().any(|&n| close(n))
                || named
                    .iter()
                    .any(|&a| named.iter().any(|&b| close((a - b).abs())));
            if !ok {
                failures.push(format!("price {price} not tied to a product in {s:?}"));
            }
        }
    }
}

fn check_turn(
    checks: &TurnChecks,
    record: &TurnRecord,
    previous: &[ProductView],
    names: &CatalogNames,
    shopper_said: &str,
) -> Vec<String> {
    let mut failures = Vec::new();
    let reply = &record.reply;
    for r in &checks.must {
        if let Ok(re) = regex_ci(r)
            && !re.is_match(reply)
        {
            failures.push(format!("missing /{r}/"));
        }
    }
    for r in &checks.must_not {
        if let Ok(re) = regex_ci(r)
            && let Some(m) = re.find(reply)
        {
            failures.push(format!("forbidden /{r}/ matched {:?}", m.as_str()));
        }
    }
    let shown = &record.products;
    let top = shown.first();
    if checks.names_top {
        match top {
            Some(p) if reply.to_lowercase().contains(&p.short_name.to_lowercase()) => {}
            Some(p) => failures.push(format!("does not name the top product {:?}", p.short_name)),
            None => failures.push("no product shown to name".into()),
        }
    }
    if checks.price_of_top {
        match top {
            Some(p) if reply.contains(&p.price_text) => {}
            Some(p) => failures.push(format!("does not state the top price {}", p.price_text)),
            None => failures.push("no product shown to price".into()),
        }
    }
    let price = |p: &ProductView| p.price.map(|m| m.amount());
    if let Some(max) = checks.shown_max_price {
        for p in shown
            .iter()
            .filter(|p| price(p).is_some_and(|v| v > max + 1e-9))
        {
            failures.push(format!(
                "shown {} at {} over {max}",
                p.short_name, p.price_text
            ));
        }
    }
    if let Some(min) = checks.shown_min_price {
        for p in shown
            .iter()
            .filter(|p| price(p).is_some_and(|v| v < min - 1e-9))
        {
            failures.push(format!(
                "shown {} at {} under {min}",
                p.short_name, p.price_text
            ));
        }
    }
    if let Some(r) = &checks.shown_category
        && let Ok(re) = regex_ci(r)
    {
        for p in shown
            .iter()
            .filter(|p| !re.is_match(&p.category.join(" > ")))
        {
            failures.push(format!(
                "shown {} in {:?}, not /{r}/",
                p.short_name,
                p.category.join(" > ")
            ));
        }
    }
    if let Some(min) = checks.shown_count_min
        && shown.len() < min
    {
        failures.push(format!(
            "{} products shown, wanted at least {min}",
            shown.len()
        ));
    }
    if let Some(max) = checks.shown_count_max
        && shown.len() > max
    {
        failures.push(format!(
            "{} products shown, wanted at most {max}",
            shown.len()
        ));
    }
    match checks.shown_sorted.as_deref() {
        Some("price_asc") => {
            let v: Vec<f64> = shown.iter().filter_map(price).collect();
            if v.windows(2).any(|w| w[0] > w[1]) {
                failures.push("not sorted by price, lowest first".into());
            }
        }
        Some("rating_desc") => {
            let v: Vec<f32> = shown.iter().map(|p| p.rating.unwrap_or(0.0)).collect();
            if v.windows(2).any(|w| w[0] < w[1]) {
                failures.push("not sorted by rating, best first".into());
            }
        }
        _ => {}
    }
    if checks.cheaper_than_previous {
        let floor = previous
            .iter()
            .filter_map(price)
            .fold(f64::INFINITY, f64::min);
        if shown.is_empty() && checks.shown_count_max != Some(0) {
            failures.push("nothing shown for a cheaper option".into());
        }
        for p in shown.iter().filter(|p| price(p).is_none_or(|v| v >= floor)) {
            failures.push(format!(
                "shown {} at {} is not cheaper than {floor}",
                p.short_name, p.price_text
            ));
        }
    }
    if let Some(r) = &checks.shown_title
        && let Ok(re) = regex_ci(r)
    {
        for p in shown.iter().filter(|p| !re.is_match(&p.title)) {
            failures.push(format!("shown {:?}, title not /{r}/", p.title));
        }
    }
    if let Some(brand) = &checks.shown_brand {
        for p in shown.iter().filter(|p| {
            !p.brand
                .as_deref()
                .is_some_and(|b| b.eq_ignore_ascii_case(brand))
        }) {
            failures.push(format!("shown {} is not {brand}", p.short_name));
        }
    }
    if checks.pricier_than_previous {
        let ceiling = previous
            .iter()
            .filter_map(price)
            .fold(f64::NEG_INFINITY, f64::max);
        for p in shown
            .iter()
            .filter(|p| price(p).is_none_or(|v| v <= ceiling))
        {
            failures.push(format!(
                "shown {} at {} is not pricier than {ceiling}",
                p.short_name, p.price_text
            ));
        }
    }
    if checks.better_rated_than_previous
        && let Some(bar) = previous.first().and_then(|p| p.rating)
    {
        for p in shown.iter().filter(|p| p.rating.is_none_or(|r| r <= bar)) {
            failures.push(format!(
                "shown {} rated {:?} is not better than {bar}",
                p.short_name, p.rating
            ));
        }
    }
    if let Some(r) = &checks.suggestion_category_not
        && let Ok(re) = regex_ci(r)
    {
        for s in record
            .cross_sell
            .iter()
            .filter(|s| re.is_match(&s.product.category.join(" > ")))
        {
            failures.push(format!(
                "cross-sell {} in {:?}",
                s.product.short_name,
                s.product.category.join(" > ")
            ));
        }
    }
    if checks.no_suggestions && !(record.cross_sell.is_empty() && record.upsell.is_empty()) {
        failures.push("suggested something".into());
    }
    global_failures(record, names, shopper_said, &mut failures);
    failures
}

/// The first card is the cheapest in-stock product matching the turn's category and title.
fn first_is_cheapest(
    assistant: &Assistant,
    checks: &TurnChecks,
    record: &TurnRecord,
    failures: &mut Vec<String>,
) {
    let category = checks
        .shown_category
        .as_deref()
        .and_then(|r| regex_ci(r).ok());
    let title = checks.shown_title.as_deref().and_then(|r| regex_ci(r).ok());
    let cheapest = assistant
        .searcher()
        .index()
        .products()
        .iter()
        .filter(|p| p.in_stock)
        .filter(|p| {
            category
                .as_ref()
                .is_none_or(|re| re.is_match(&p.category_path.join(" > ")))
        })
        .filter(|p| title.as_ref().is_none_or(|re| re.is_match(&p.title)))
        .filter_map(|p| p.price.map(|m| (m.amount(), p)))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((low, p)) = cheapest else {
        failures.push("no catalog product matches the cheapest check".into());
        return;
    };
    match record.products.first().and_then(|v| v.price) {
        Some(m) if (m.amount() - low).abs() < 0.005 => {}
        _ => failures.push(format!(
            "first shown is not the cheapest ({} at {})",
            crate::catalog::present::short_name(p),
            low
        )),
    }
}

/// Checks the session's search state after a turn against the labelled keys: `category`
/// (a name on the state's path, or null), `brand`, `budget` ({min, max, around} or null),
/// `specs` ({kind: value}, each value inside the state's range for that kind; {} = none),
/// `sort` (price_asc, price_desc, rating_desc, size_desc, size_asc or null), `relative`
/// (cheaper, pricier, better_rated, bigger, smaller or null), `attributes` (each among the
/// state's), `focus_category` (regex on the focus product's category path) and `need`
/// (regex on the complementary kind looked for).
pub fn check_state(
    assistant: &Assistant,
    expected: &serde_json::Map<String, serde_json::Value>,
    session: &Session,
    record: &TurnRecord,
) -> Vec<String> {
    use crate::understand::Measure;
    use serde_json::Value;
    let st = &session.search;
    let mut out = Vec::new();
    for (key, want) in expected {
        match key.as_str() {
            "category" => {
                let path: Vec<String> = st
                    .category
                    .iter()
                    .flatten()
                    .map(|c| c.to_lowercase())
                    .collect();
                match want.as_str() {
                    Some(name) if !path.contains(&name.to_lowercase()) => {
                        out.push(format!("category {:?}, wanted {name}", st.category))
                    }
                    None if st.category.is_some() => {
                        out.push(format!("category {:?}, wanted none", st.category))
                    }
                    _ => {}
                }
            }
            "brand" => {
                let got = st.brand.as_deref().map(str::to_lowercase);
                let wanted = want.as_str().map(str::to_lowercase);
                if got != wanted {
                    out.push(format!("brand {:?}, wanted {wanted:?}", st.brand));
                }
            }
            "budget" => {
                let b = st.budget.clone().unwrap_or_default();
                let close = |a: Option<f64>, w: Option<&Value>| match (a, w.and_then(Value::as_f64))
                {
                    (Some(a), Some(w)) => (a - w).abs() < 0.5,
                    (None, None) => true,
                    _ => false,
                };
                let ok = match want {
                    Value::Null => b.min.is_none() && b.max.is_none() && b.around.is_none(),
                    Value::Object(m) => {
                        close(b.min, m.get("min"))
                            && close(b.max, m.get("max"))
                            && close(b.around, m.get("around"))
                    }
                    _ => false,
                };
                if !ok {
                    out.push(format!("budget {:?}, wanted {want}", st.budget));
                }
            }
            "specs" => {
                let Some(m) = want.as_object() else { continue };
                if m.is_empty() && !st.specs.is_empty() {
                    out.push(format!("specs {:?}, wanted none", st.specs));
                }
                for (kind, value) in m {
                    let got = st.specs.iter().find(|s| {
                        serde_json::to_value(s.kind)
                            .ok()
                            .as_ref()
                            .and_then(Value::as_str)
                            == Some(kind.as_str())
                    });
                    match (got, value.as_f64()) {
                        (Some(s), Some(v)) if s.contains(v) => {}
                        _ => out.push(format!("specs {:?}, wanted {kind} {value}", st.specs)),
                    }
                }
            }
            "sort" => {
                let got = st.sort.map(|d| match (d.measure, d.more) {
                    (Measure::Price, false) => "price_asc",
                    (Measure::Price, true) => "price_desc",
                    (Measure::Rating, _) => "rating_desc",
                    (Measure::Size, true) => "size_desc",
                    (Measure::Size, false) => "size_asc",
                });
                if got != want.as_str() {
                    out.push(format!("sort {got:?}, wanted {want}"));
                }
            }
            "relative" => {
                let got = st
                    .relative
                    .as_ref()
                    .map(|r| r.direction.comparative().replace(' ', "_"));
                if got.as_deref() != want.as_str() {
                    out.push(format!("relative {got:?}, wanted {want}"));
                }
            }
            "attributes" => {
                for a in want
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    // In canonical spelling ("with wifi" is "wifi"); a wanted word inside a
                    // phrase held ("mirrored" in "with mirrored lenses") is held too.
                    let a = crate::understand::parse::canonical_attribute(a);
                    let held = st.attributes.iter().any(|x| {
                        let x = crate::understand::parse::canonical_attribute(x);
                        x == a || x.split_whitespace().any(|w| w == a)
                    }) || st.terms.to_lowercase().split_whitespace().any(|t| t == a);
                    if !held {
                        out.push(format!("attributes {:?}, wanted {a}", st.attributes));
                    }
                }
            }
            "focus_category" => {
                let path = session
                    .focus
                    .as_deref()
                    .and_then(|id| assistant.searcher().index().product(id))
                    .map(|p| p.category_path.join(" > "));
                let re = want.as_str().and_then(|r| regex_ci(r).ok());
                if !matches!((&path, &re), (Some(p), Some(re)) if re.is_match(p)) {
                    out.push(format!("focus in {path:?}, wanted /{want}/"));
                }
            }
            "need" => {
                let re = want.as_str().and_then(|r| regex_ci(r).ok());
                if !matches!((&record.need, &re), (Some(n), Some(re)) if re.is_match(n)) {
                    out.push(format!("need {:?}, wanted /{want}/", record.need));
                }
            }
            other => out.push(format!("unknown state key {other:?}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_after_marks_but_not_in_prices() {
        assert_eq!(
            sentences("It costs ₹1,099.50 today. Rs. 500 more! Really?"),
            ["It costs ₹1,099.50 today.", "Rs. 500 more!", "Really?"]
        );
    }

    #[test]
    fn the_shipped_sets_parse() {
        for set in [
            "tests/data/replies_demo.jsonl",
            "tests/data/replies_decathlon.jsonl",
            "tests/data/state_demo.jsonl",
            "tests/data/state_decathlon.jsonl",
        ] {
            let scripts = read_set(Path::new(set)).unwrap();
            assert!(scripts.len() >= 8, "{set}");
        }
    }
}
