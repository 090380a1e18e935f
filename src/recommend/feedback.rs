//! What customers did with the suggestions, and which strategy arm does better.
//!
//! Events are appended to a JSON-lines log ([`EventLog`]), read back tolerantly
//! ([`read_events`]) and summarised per A/B arm ([`ab_report`]) with Wilson
//! intervals and a two-proportion z-test, so a small lead is not mistaken for a win.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Arm label under which [`ab_report`] groups events that carry no arm.
pub const NO_ARM: &str = "(none)";
const MAX_ID_CHARS: usize = 200;
const MAX_ARM_CHARS: usize = 64;
/// Standard normal quantile for a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// Errors from the feedback log and the A/B configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the event log failed.
    #[error("{path}: {source}")]
    Io {
        /// The log file or directory involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// An event failed validation and was not written.
    #[error("invalid feedback event: {0}")]
    InvalidEvent(String),
    /// The arm configuration cannot be used for assignment.
    #[error("invalid A/B arms: {0}")]
    InvalidArms(String),
}

/// What a customer did with a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The product was shown as a suggestion.
    Impression,
    /// The customer opened the product.
    Click,
    /// The customer put the product in the cart.
    AddToCart,
    /// The customer bought the product.
    Purchase,
}

impl EventKind {
    /// The snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Impression => "impression",
            EventKind::Click => "click",
            EventKind::AddToCart => "add_to_cart",
            EventKind::Purchase => "purchase",
        }
    }
}

/// Which kind of suggestion an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// A complementary product.
    CrossSell,
    /// A pricier alternative.
    Upsell,
}

impl SuggestionKind {
    /// The snake_case name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            SuggestionKind::CrossSell => "cross_sell",
            SuggestionKind::Upsell => "upsell",
        }
    }
}

/// One feedback event (JSON: `{"session":"s1","kind":"click","item":"B01","anchor":"B00","suggestion":"cross_sell","arm":"blend","at_ms":1700000000000}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackEvent {
    /// Customer session id.
    pub session: String,
    /// What happened.
    pub kind: EventKind,
    /// Product id the event is about.
    pub item: String,
    /// The product the suggestion was made for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// Which kind of suggestion the item was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<SuggestionKind>,
    /// A/B arm the session was in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
    /// Milliseconds since the Unix epoch; 0 when unknown.
    #[serde(default)]
    pub at_ms: u64,
}

impl FeedbackEvent {
    /// Checks that session and item (and anchor, when given) are non-empty, at most
    /// 200 characters and free of control characters, and that the arm, when given,
    /// is at most 64 such characters and not the reserved [`NO_ARM`] label.
    pub fn validate(&self) -> Result<(), String> {
        check_text("session", &self.session, MAX_ID_CHARS)?;
        check_text("item", &self.item, MAX_ID_CHARS)?;
        if let Some(anchor) = &self.anchor {
            check_text("anchor", anchor, MAX_ID_CHARS)?;
        }
        if let Some(arm) = &self.arm {
            check_arm_name(arm)?;
        }
        Ok(())
    }
}

// Control characters would break the one-event-per-line log and the text table.
fn check_text(field: &str, value: &str, max: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{field} is empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(format!("{field} has {chars} characters, more than {max}"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} contains a control character"));
    }
    Ok(())
}

fn check_arm_name(name: &str) -> Result<(), String> {
    check_text("arm", name, MAX_ARM_CHARS)?;
    if name == NO_ARM {
        return Err(format!(
            "arm name {NO_ARM} is reserved for events without an arm"
        ));
    }
    Ok(())
}

/// An A/B arm: a name and a share of traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    /// Arm name, recorded in events.
    pub name: String,
    /// Relative share of sessions; only the ratio between arms matters.
    pub weight: f64,
}

/// Deterministic assignment of sessions to arms.
#[derive(Debug, Clone)]
pub struct ArmAssigner {
    arms: Vec<Arm>,
    /// Cumulative weight share at the end of each arm, in (0, 1].
    bounds: Vec<f64>,
    /// Last arm with positive weight. Belt and braces: the final bound is exactly 1.0,
    /// so no draw in [0, 1) should ever fall past it.
    fallback: usize,
    salt: String,
}

impl ArmAssigner {
    /// Builds an assigner. Errors when arms is empty, a weight is negative or
    /// non-finite, all weights are zero, two arms share a name, or a name would be
    /// refused by [`FeedbackEvent::validate`].
    pub fn new(arms: Vec<Arm>, salt: &str) -> Result<ArmAssigner, Error> {
        check_arms(&arms).map_err(Error::InvalidArms)?;
        let mut total = 0.0;
        let mut bounds: Vec<f64> = arms
            .iter()
            .map(|a| {
                total += a.weight;
                total
            })
            .collect();
        // Dividing by the very sum that built the bounds makes the last one exactly 1.0.
        bounds.iter_mut().for_each(|b| *b /= total);
        let fallback = arms.iter().rposition(|a| a.weight > 0.0).unwrap_or(0);
        let salt = salt.to_owned();
        Ok(ArmAssigner {
            arms,
            bounds,
            fallback,
            salt,
        })
    }

    /// The arm for a session. Stable across processes and versions as long as the
    /// arms and salt are unchanged: SHA-256 of `salt + "\0" + session`, first 8 bytes
    /// as a big-endian u64, its top 53 bits scaled to [0, 1), then the first arm
    /// whose cumulative weight share exceeds that value. Zero-weight arms never win.
    pub fn arm_for(&self, session: &str) -> &str {
        let mut hasher = Sha256::new();
        hasher.update(self.salt.as_bytes());
        hasher.update([0u8]);
        hasher.update(session.as_bytes());
        let digest = hasher.finalize();
        let mut head = [0u8; 8];
        head.copy_from_slice(&digest[..8]);
        // 53 bits is all an f64 mantissa holds, so the scaled value is exact and < 1.
        let draw = (u64::from_be_bytes(head) >> 11) as f64 / (1u64 << 53) as f64;
        let index = self
            .bounds
            .iter()
            .position(|&b| draw < b)
            .unwrap_or(self.fallback);
        &self.arms[index].name
    }

    /// The configured arms, in the order given.
    pub fn arms(&self) -> &[Arm] {
        &self.arms
    }
}

fn check_arms(arms: &[Arm]) -> Result<(), String> {
    if arms.is_empty() {
        return Err("no arms given".into());
    }
    let mut names = HashSet::new();
    for Arm { name, weight } in arms {
        check_arm_name(name).map_err(|e| format!("arm {name:?}: {e}"))?;
        if !weight.is_finite() || *weight < 0.0 {
            return Err(format!(
                "arm {name:?}: weight {weight} is not finite and >= 0"
            ));
        }
        if !names.insert(name) {
            return Err(format!("arm {name:?} appears twice"));
        }
    }
    let total: f64 = arms.iter().map(|a| a.weight).sum();
    if total > 0.0 && total.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "weights sum to {total}; need a positive finite total"
        ))
    }
}

/// Append-only JSON-lines event log on disk, one event per line. Acknowledged
/// events survive a crash: [`EventLog::append`] writes the whole line with one
/// `write_all` and calls `sync_data` before returning. Meant for one writing
/// process per file; threads may share one `EventLog`.
#[derive(Debug)]
pub struct EventLog {
    path: PathBuf,
    file: Mutex<LogFile>,
}

#[derive(Debug)]
struct LogFile {
    file: File,
    // False when the file may end in a torn line; the next append then starts with
    // a newline so the fragment cannot swallow a good event.
    ends_clean: bool,
}

impl EventLog {
    /// Opens (creating it and its parent directories if needed) the log at `path`.
    pub fn open(path: &Path) -> Result<EventLog, Error> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        let io = io_error(path);
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .read(true)
            .open(path)
            .map_err(&io)?;
        let ends_clean = ends_with_newline_or_empty(&mut file).map_err(&io)?;
        Ok(EventLog {
            path: path.to_path_buf(),
            file: Mutex::new(LogFile { file, ends_clean }),
        })
    }

    /// Validates and durably appends one event; an invalid event is refused with
    /// [`Error::InvalidEvent`] and nothing is written.
    pub fn append(&self, event: &FeedbackEvent) -> Result<(), Error> {
        event.validate().map_err(Error::InvalidEvent)?;
        let json = serde_json::to_string(event)
            .map_err(|e| Error::InvalidEvent(format!("cannot encode as JSON: {e}")))?;
        // Poisoning only means another append panicked; `ends_clean` still tells
        // the truth about the file, so carrying on is safe.
        let mut log = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let line = format!("{}{json}\n", if log.ends_clean { "" } else { "\n" });
        let io = io_error(&self.path);
        log.ends_clean = false;
        log.file.write_all(line.as_bytes()).map_err(&io)?;
        log.ends_clean = true;
        log.file.sync_data().map_err(&io)
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

// Builds the `map_err` adapter that names the file an I/O error is about.
fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn ends_with_newline_or_empty(file: &mut File) -> std::io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(true);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Reads a log written by [`EventLog`]. A torn last line (crash mid-write), a line
/// that is not an event, or an event failing validation is skipped and reported as
/// `"line N: reason"` (1-based), never fatal; blank lines are ignored.
pub fn read_events(path: &Path) -> Result<(Vec<FeedbackEvent>, Vec<String>), Error> {
    let io = io_error(path);
    let mut reader = BufReader::new(File::open(path).map_err(&io)?);
    let (mut events, mut problems) = (Vec::new(), Vec::new());
    let mut buf = Vec::new();
    let mut number = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(&io)? == 0 {
            break;
        }
        number += 1;
        let terminated = buf.last() == Some(&b'\n');
        let text = match std::str::from_utf8(&buf) {
            Ok(text) => text.trim(),
            Err(e) => {
                problems.push(format!("line {number}: not UTF-8: {e}"));
                continue;
            }
        };
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<FeedbackEvent>(text) {
            Ok(event) => match event.validate() {
                Ok(()) => events.push(event),
                Err(reason) => problems.push(format!("line {number}: invalid event: {reason}")),
            },
            Err(e) if !terminated => problems.push(format!(
                "line {number}: torn last line (interrupted write?): {e}"
            )),
            Err(e) => problems.push(format!("line {number}: {e}")),
        }
    }
    Ok((events, problems))
}

/// A proportion with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// Trials that succeeded.
    pub successes: u64,
    /// Trials in all.
    pub trials: u64,
    /// successes / trials.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

impl Rate {
    /// The rate with its 95% Wilson interval, which unlike the normal approximation
    /// stays inside [0, 1] and is sensible for small counts. With 0 trials nothing is
    /// known: value 0, interval [0, 1]. Successes above trials are capped at trials.
    pub fn wilson(successes: u64, trials: u64) -> Rate {
        let successes = successes.min(trials);
        let (value, low, high) = if trials == 0 {
            (0.0, 0.0, 1.0)
        } else {
            let (n, z2) = (trials as f64, Z_95 * Z_95);
            let p = successes as f64 / n;
            let denom = 1.0 + z2 / n;
            let centre = (p + z2 / (2.0 * n)) / denom;
            let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
            // Mathematically low <= p <= high; clamping keeps rounding (e.g. a low of
            // 5.6e-17 at 0 successes) from putting the estimate outside its interval.
            (
                p,
                (centre - half).clamp(0.0, p),
                (centre + half).clamp(p, 1.0),
            )
        };
        Rate {
            successes,
            trials,
            value,
            low,
            high,
        }
    }
}

/// One arm's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmReport {
    /// Arm name, or [`NO_ARM`].
    pub arm: String,
    /// Distinct sessions with any event in this arm.
    pub sessions: u64,
    /// Distinct (session, item) pairs shown.
    pub impressions: u64,
    /// Distinct attributed clicks.
    pub clicks: u64,
    /// Distinct attributed add-to-carts.
    pub add_to_cart: u64,
    /// Distinct attributed purchases.
    pub purchases: u64,
    /// clicks / impressions.
    pub ctr: Rate,
    /// purchases of suggested items / impressions.
    pub conversion: Rate,
    /// add_to_cart / impressions.
    pub cart_rate: Rate,
}

fn arm_label(event: &FeedbackEvent) -> &str {
    event.arm.as_deref().unwrap_or(NO_ARM)
}

#[derive(Default)]
struct Counts {
    sessions: u64,
    impressions: u64,
    clicks: u64,
    add_to_cart: u64,
    purchases: u64,
}

/// Per-arm report, sorted by arm name; events without an arm are grouped under
/// [`NO_ARM`]. A click, add-to-cart or purchase counts only when its (session, item)
/// had an impression in the same arm anywhere in the log (order is ignored because
/// logs from several writers interleave), so buying something never suggested is not
/// a suggestion conversion. Each (session, item, kind) counts at most once, so
/// double-clicks and repeated impressions do not move the rates.
pub fn ab_report(events: &[FeedbackEvent]) -> Vec<ArmReport> {
    let mut shown: HashSet<(&str, &str, &str)> = HashSet::new();
    let mut sessions: HashSet<(&str, &str)> = HashSet::new();
    let mut counts: BTreeMap<&str, Counts> = BTreeMap::new();
    for e in events {
        let arm = arm_label(e);
        let entry = counts.entry(arm).or_default();
        if sessions.insert((arm, e.session.as_str())) {
            entry.sessions += 1;
        }
        if e.kind == EventKind::Impression && shown.insert((arm, &e.session, &e.item)) {
            entry.impressions += 1;
        }
    }
    let mut acted: HashSet<(&str, &str, &str, EventKind)> = HashSet::new();
    for e in events.iter().filter(|e| e.kind != EventKind::Impression) {
        let arm = arm_label(e);
        if !shown.contains(&(arm, &e.session, &e.item))
            || !acted.insert((arm, &e.session, &e.item, e.kind))
        {
            continue;
        }
        let entry = counts.entry(arm).or_default();
        match e.kind {
            EventKind::Click => entry.clicks += 1,
            EventKind::AddToCart => entry.add_to_cart += 1,
            EventKind::Purchase => entry.purchases += 1,
            EventKind::Impression => {}
        }
    }
    counts
        .into_iter()
        .map(|(arm, c)| ArmReport {
            arm: arm.to_owned(),
            sessions: c.sessions,
            impressions: c.impressions,
            clicks: c.clicks,
            add_to_cart: c.add_to_cart,
            purchases: c.purchases,
            ctr: Rate::wilson(c.clicks, c.impressions),
            conversion: Rate::wilson(c.purchases, c.impressions),
            cart_rate: Rate::wilson(c.add_to_cart, c.impressions),
        })
        .collect()
}

/// Two-sided p-value of a two-proportion z-test (pooled variance) for the
/// difference between two rates; `None` when either has 0 trials or the pooled
/// variance is 0 (both rates 0% or both 100%). Uses `erfc` (below), whose relative error
/// is below 1.2e-7, far finer than any decision threshold.
pub fn two_proportion_p_value(a: &Rate, b: &Rate) -> Option<f64> {
    if a.trials == 0 || b.trials == 0 {
        return None;
    }
    // Recomputed from the counts: the pub `value` field may have been edited.
    let (n1, n2) = (a.trials as f64, b.trials as f64);
    let (x1, x2) = (
        a.successes.min(a.trials) as f64,
        b.successes.min(b.trials) as f64,
    );
    let pooled = (x1 + x2) / (n1 + n2);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if variance <= 0.0 || !variance.is_finite() {
        return None;
    }
    let z = (x1 / n1 - x2 / n2) / variance.sqrt();
    Some(erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0))
}

/// Complementary error function by the Chebyshev fit of Numerical Recipes
/// (`erfcc`): fractional error below 1.2e-7 for every x, better than
/// Abramowitz-Stegun 7.1.26 in the tail where small p-values live.
fn erfc(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let tail = t * (-x * x + poly).exp();
    if x >= 0.0 { tail } else { 2.0 - tail }
}

fn rate_cell(r: &Rate) -> String {
    let [v, l, h] = [r.value, r.low, r.high].map(|x| x * 100.0);
    format!("{v:.2}% [{l:.2}%, {h:.2}%]")
}

/// Plain-text table with one row per arm (arm, sessions, impressions, clicks,
/// CTR [low, high], purchases, conversion [low, high]). With two or more arms a last
/// line gives the p-value of the CTR difference between the two arms with the most
/// impressions (ties broken by name), since those are the comparison with most data.
pub fn format_report(reports: &[ArmReport]) -> String {
    let head = [
        "arm",
        "sessions",
        "impressions",
        "clicks",
        "CTR [95% CI]",
        "purchases",
    ];
    let mut rows = vec![head.map(String::from).to_vec()];
    rows[0].push("conversion [95% CI]".into());
    for r in reports {
        let counts = [r.sessions, r.impressions, r.clicks].map(|n| n.to_string());
        let rates = [
            rate_cell(&r.ctr),
            r.purchases.to_string(),
            rate_cell(&r.conversion),
        ];
        rows.push(
            [r.arm.clone()]
                .into_iter()
                .chain(counts)
                .chain(rates)
                .collect(),
        );
    }
    let mut widths = vec![0; head.len() + 1];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        // Arm names read best left-aligned, numbers right-aligned.
        let mut line = format!("{:<w$}", row[0], w = widths[0]);
        for (cell, w) in row.iter().zip(&widths).skip(1) {
            line.push_str(&format!("  {cell:>w$}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if reports.is_empty() {
        out.push_str("(no events)\n");
    }
    let mut by_impressions: Vec<&ArmReport> = reports.iter().collect();
    by_impressions.sort_by(|a, b| (b.impressions, &a.arm).cmp(&(a.impressions, &b.arm)));
    if let [first, second, ..] = by_impressions[..] {
        let p = match two_proportion_p_value(&first.ctr, &second.ctr) {
            Some(p) if p < 1e-4 => "< 0.0001".to_owned(),
            Some(p) => format!("{p:.4}"),
            None => "n/a (no impressions or no variation)".to_owned(),
        };
        let (a, b) = (&first.arm, &second.arm);
        out.push_str(&format!(
            "CTR {a} vs {b}: p = {p} (two-sided two-proportion z-test)\n"
        ));
    }
    out
}

#[cfg(test)]
#[path = "feedback_tests.rs"]
mod tests;
