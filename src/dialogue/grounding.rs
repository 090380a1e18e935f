//! The grounding check: "does this sentence state anything the catalog did not give us?"
//!
//! Every sentence of a reply is checked as it streams. A sentence is removed when it holds a
//! price that is not a shown product's (or the customer's own budget), a number that is in no
//! fact, a brand of a product not shown, a stock, discount, delivery or offer claim the catalog
//! does not back, or a run of words from the system prompt. When nothing survives, the reply
//! falls back to a deterministic template.

use std::collections::HashSet;

use crate::catalog::Product;
use crate::llm::{BannedPhrase, WordRules};

/// Words in a row shared with the system prompt that count as leaking it.
const LEAK_WORDS: usize = 7;

/// What stays the same from turn to turn: the catalog's brands and the system prompt's word
/// runs. Built once per assistant.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    brands_all: Vec<String>,
    leak_grams: HashSet<String>,
}

impl Vocabulary {
    /// The catalog's brands and the system prompt.
    pub fn new(brands: &[String], system_prompt: &str) -> Vocabulary {
        Vocabulary {
            brands_all: brands
                .iter()
                .map(|b| b.to_lowercase())
                .filter(|b| b.chars().count() > 2)
                .collect(),
            leak_grams: word_grams(system_prompt, LEAK_WORDS),
        }
    }
}

/// What a reply may state: the numbers, prices and names of the products in the turn.
#[derive(Debug, Clone)]
pub struct Facts<'v> {
    vocabulary: &'v Vocabulary,
    numbers: HashSet<String>,
    prices: HashSet<String>,
    brands_shown: HashSet<String>,
    /// Title words of the turn's products, by their brand (lowercase).
    title_words: std::collections::HashMap<String, HashSet<String>>,
    discounts: bool,
    out_of_stock: bool,
    /// Each product's short name (lowercase) with its own prices and rating, to bind a price
    /// or rating to the product named beside it.
    own: Vec<OwnFacts>,
    /// Numbers the customer wrote (a reply may repeat their budget next to any product).
    said: HashSet<String>,
}

/// One product's name and the figures that belong to it.
#[derive(Debug, Clone)]
struct OwnFacts {
    name: String,
    prices: HashSet<String>,
    rating: Option<String>,
}

/// Why a sentence was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A currency amount that is no shown price.
    Price(String),
    /// A number that is in no fact.
    Number(String),
    /// A brand of a product not shown.
    Brand(String),
    /// A shown brand followed by a model name or number none of its products has.
    Name(String),
    /// A stock, discount, delivery or offer claim the catalog does not back.
    Claim(String),
    /// Words from the system prompt.
    Leak,
    /// A price or rating that belongs to another product than the one the sentence names.
    Detached(String),
    /// Talk about the prompt rather than to the customer ("the customer forgot to mention").
    Meta(String),
}

/// What backs a claim.
#[derive(Debug, Clone, Copy)]
enum Backing {
    /// A product of the turn is out of stock.
    OutOfStock,
    /// A product of the turn sells under its list price.
    Discounts,
    /// Nothing in the catalog: the shop states these itself, never the assistant.
    Never,
}

/// Stock, discount, delivery and offer claims, with what backs each. A phrase with spaces
/// around it matches a whole word.
const CLAIMS: [(&str, Backing); 17] = [
    ("out of stock", Backing::OutOfStock),
    ("sold out", Backing::OutOfStock),
    ("left in stock", Backing::Never),
    ("limited stock", Backing::Never),
    ("discount", Backing::Discounts),
    (" off ", Backing::Discounts),
    ("sale", Backing::Discounts),
    ("coupon", Backing::Never),
    ("promo", Backing::Never),
    ("cashback", Backing::Never),
    ("free delivery", Backing::Never),
    ("free shipping", Backing::Never),
    ("deliver", Backing::Never),
    ("emi", Backing::Never),
    ("warranty", Backing::Never),
    ("guarantee", Backing::Never),
    ("refund", Backing::Never),
];

/// Phrases of a model talking about its prompt instead of to the customer.
const META_PHRASES: [&str; 15] = [
    "the customer",
    "customer's",
    "the task",
    "the facts",
    "the prompt",
    "system prompt",
    "instructions",
    "as an ai",
    "language model",
    // The model denying the shop assistant's role, or misreading the situation.
    "as a chatbot",
    "have the ability to",
    "cannot browse",
    "can't browse",
    "unable to browse",
    "sorry for your loss",
];

impl<'v> Facts<'v> {
    /// Facts of the turn's products (shown and suggested) and of the customer's message (a
    /// reply may repeat the customer's own budget), over the assistant's vocabulary.
    pub fn new<'a>(
        vocabulary: &'v Vocabulary,
        products: impl IntoIterator<Item = &'a Product>,
        extra_text: &[&str],
    ) -> Facts<'v> {
        let mut facts = Facts {
            vocabulary,
            numbers: HashSet::new(),
            prices: HashSet::new(),
            brands_shown: HashSet::new(),
            title_words: std::collections::HashMap::new(),
            discounts: false,
            out_of_stock: false,
            own: Vec::new(),
            said: HashSet::new(),
        };
        for p in products {
            let money = |m: crate::catalog::Money| {
                let a = m.amount();
                normalise_number(&if a.fract().abs() < 1e-9 {
                    format!("{a:.0}")
                } else {
                    format!("{a:.2}")
                })
            };
            facts.own.push(OwnFacts {
                name: crate::catalog::present::short_name(p).to_lowercase(),
                prices: p
                    .price
                    .iter()
                    .chain(&p.list_price)
                    .map(|m| money(*m))
                    .collect(),
                rating: p.rating.map(|r| normalise_number(&format!("{r:.1}"))),
            });
            if let Some(price) = p.price {
                facts.add_price(price.amount());
            }
            if let Some(list) = p.list_price {
                facts.add_price(list.amount());
                if let Some(price) = p.price.filter(|pr| pr.minor < list.minor) {
                    facts.discounts = true;
                    let pct = 100.0 * (1.0 - price.amount() / list.amount());
                    facts
                        .numbers
                        .insert(normalise_number(&format!("{}", pct.round())));
                    facts.add_price(list.amount() - price.amount());
                }
            }
            if let Some(r) = p.rating {
                facts.numbers.insert(normalise_number(&format!("{r:.1}")));
            }
            facts.numbers.insert(p.rating_count.to_string());
            facts.out_of_stock |= !p.in_stock;
            for n in numbers_in(&p.title) {
                facts.numbers.insert(n.value);
            }
            if let Some(b) = &p.brand {
                facts.brands_shown.insert(b.to_lowercase());
                facts
                    .title_words
                    .entry(b.to_lowercase())
                    .or_default()
                    .extend(words_of(&p.title));
            }
            for w in p.title.split(|c: char| !c.is_alphanumeric()) {
                facts.brands_shown.insert(w.to_lowercase());
            }
        }
        for text in extra_text {
            for n in numbers_in(text) {
                facts.numbers.insert(n.value.clone());
                facts.said.insert(n.value.clone());
                facts.prices.insert(n.value);
            }
            for w in text.split(|c: char| !c.is_alphanumeric()) {
                facts.brands_shown.insert(w.to_lowercase());
            }
        }
        facts
    }

    fn add_price(&mut self, amount: f64) {
        let text = if amount.fract().abs() < 1e-9 {
            format!("{amount:.0}")
        } else {
            format!("{amount:.2}")
        };
        let value = normalise_number(&text);
        self.numbers.insert(value.clone());
        self.prices.insert(value);
    }

    /// Every number the facts hold (prices, ratings, counts, title numbers, the customer's
    /// own), without grouping: what a model may write (`GenerateRequest::grounded_numbers`).
    pub fn numbers(&self) -> Vec<String> {
        let mut out: Vec<String> = self.numbers.iter().cloned().collect();
        out.sort();
        out
    }

    /// What in `sentence` the facts do not back.
    pub fn check(&self, sentence: &str) -> Vec<Violation> {
        let mut found = Vec::new();
        for n in numbers_in(sentence) {
            if n.currency {
                if !self.prices.contains(&n.value) {
                    found.push(Violation::Price(n.text));
                }
            } else if !self.numbers.contains(&n.value) && !self.prices.contains(&n.value) {
                found.push(Violation::Number(n.text));
            }
        }
        let lower = sentence.to_lowercase();
        found.extend(self.detached(&lower, sentence));
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let joined = format!(" {} ", words.join(" "));
        for (brand, key) in self.unshown_brands() {
            if joined.contains(&format!(" {} ", key.join(" ")))
                && written_as_a_name(sentence, key[0])
            {
                found.push(Violation::Brand(brand.clone()));
            }
        }
        found.extend(self.invented_names(sentence));
        for (phrase, backing) in CLAIMS {
            let allowed = self.backs(backing);
            let hit = if phrase.starts_with(' ') {
                joined.contains(phrase)
            } else {
                // Long stems take their inflections ("delivered"); short words only match
                // whole ("emi", not "emission").
                words
                    .iter()
                    .any(|w| *w == phrase || (phrase.len() >= 6 && w.starts_with(phrase)))
                    || (phrase.contains(' ') && joined.contains(&format!(" {phrase}")))
            };
            if hit && !allowed {
                found.push(Violation::Claim(phrase.trim().to_string()));
            }
        }
        for phrase in META_PHRASES {
            if joined.contains(&format!(" {phrase} ")) || lower.contains(phrase) {
                found.push(Violation::Meta(phrase.to_string()));
                break;
            }
        }
        let leak_grams = &self.vocabulary.leak_grams;
        if !leak_grams.is_empty()
            && word_grams(sentence, LEAK_WORDS)
                .iter()
                .any(|g| leak_grams.contains(g))
        {
            found.push(Violation::Leak);
        }
        found
    }
}

impl Facts<'_> {
    /// The catalog's brands no product of the turn shows, each with its words.
    fn unshown_brands(&self) -> impl Iterator<Item = (&String, Vec<&str>)> {
        self.vocabulary.brands_all.iter().filter_map(|brand| {
            let key: Vec<&str> = brand
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            let shown = self.brands_shown.contains(brand)
                || key.iter().all(|k| self.brands_shown.contains(*k));
            (!key.is_empty() && !shown).then_some((brand, key))
        })
    }

    fn backs(&self, backing: Backing) -> bool {
        match backing {
            Backing::OutOfStock => self.out_of_stock,
            Backing::Discounts => self.discounts,
            Backing::Never => false,
        }
    }

    /// The same rules for the model while it writes (the first line of grounding): brands not
    /// shown, claims not backed and talk about the prompt are never written, and a shown
    /// brand is followed only by its own products' words (`GenerateRequest::grounded_words`).
    pub fn word_rules(&self) -> WordRules {
        let mut rules = WordRules::default();
        for (_, key) in self.unshown_brands() {
            rules
                .banned
                .push(BannedPhrase::new(&key.join(" "), true, false));
        }
        for (phrase, backing) in CLAIMS {
            if !self.backs(backing) {
                // As in `check`: a phrase of several words or a long stem takes its
                // inflections; a short word only bans itself.
                let phrase = phrase.trim();
                let stem = phrase.contains(' ') || phrase.len() >= 6;
                rules.banned.push(BannedPhrase::new(phrase, false, stem));
            }
        }
        for phrase in META_PHRASES {
            // `check` finds these inside longer words too ("the customers").
            rules.banned.push(BannedPhrase::new(phrase, false, true));
        }
        for (brand, words) in &self.title_words {
            for word in words {
                rules.add_name_line(brand, word);
            }
        }
        rules
    }

    /// Prices and ratings in a sentence that names products must be those products' own
    /// ("the iBELL MPK120L costs ₹809" when ₹809 is another kettle's price).
    fn detached(&self, lower: &str, sentence: &str) -> Vec<Violation> {
        let named: Vec<&OwnFacts> = self
            .own
            .iter()
            .filter(|o| o.name.len() > 3 && lower.contains(&o.name))
            .collect();
        if named.is_empty() {
            return Vec::new();
        }
        let mut found = Vec::new();
        for n in numbers_in(sentence) {
            if self.said.contains(&n.value) {
                continue;
            }
            let own_price = named.iter().any(|o| o.prices.contains(&n.value));
            let own_rating = named
                .iter()
                .any(|o| o.rating.as_deref() == Some(n.value.as_str()));
            let is_rating = !n.currency
                && n.value.contains('.')
                && n.value.parse::<f32>().is_ok_and(|v| v <= 5.0);
            let foreign_price = n.currency && !own_price;
            let foreign_rating = is_rating
                && !own_rating
                && self
                    .own
                    .iter()
                    .any(|o| o.rating.as_deref() == Some(n.value.as_str()));
            if foreign_price || foreign_rating {
                found.push(Violation::Detached(n.text));
            }
        }
        found
    }

    /// "Samsung 108 cm" when no Samsung product of the turn has "108" in its title: a shown
    /// brand followed by a model number or capitalised name that belongs to none of its
    /// products.
    fn invented_names(&self, sentence: &str) -> Vec<Violation> {
        let tokens: Vec<&str> = sentence
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .collect();
        let name_like = |t: &str| {
            t.chars().any(|c| c.is_ascii_digit())
                || t.chars().next().is_some_and(char::is_uppercase)
        };
        let mut found = Vec::new();
        for (i, token) in tokens.iter().enumerate() {
            let Some(words) = self.title_words.get(&token.to_lowercase()) else {
                continue;
            };
            // The model name is the run of name-like words after the brand.
            for next in tokens[i + 1..].iter().take(3).take_while(|t| name_like(t)) {
                if !words.contains(&next.to_lowercase()) {
                    found.push(Violation::Name(format!("{token} {next}")));
                    break;
                }
            }
        }
        found
    }
}

fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// A brand counts when written as a name (capitalised or upper case), so that a brand which
/// is also an everyday word ("classic") does not remove a sentence using the word.
fn written_as_a_name(sentence: &str, first_word: &str) -> bool {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.to_lowercase() == first_word)
        .any(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_numeric())
        })
}

fn word_grams(text: &str, n: usize) -> HashSet<String> {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    words.windows(n).map(|w| w.join(" ")).collect()
}

/// A number found in text.
#[derive(Debug, Clone, PartialEq)]
struct FoundNumber {
    /// As written.
    text: String,
    /// Normalised: no separators, no trailing zero decimals, "k" expanded.
    value: String,
    /// Next to a currency sign or word.
    currency: bool,
}

const CURRENCY_BEFORE: [&str; 7] = ["₹", "rs", "rs.", "inr", "$", "usd", "€"];
const CURRENCY_AFTER: [&str; 6] = ["rupees", "rupee", "rs", "inr", "dollars", "bucks"];

/// Currency amounts in `text` ("1 rupee", "₹1,299"), in currency units.
pub(super) fn prices_in(text: &str) -> Vec<f64> {
    numbers_in(text)
        .into_iter()
        .filter(|n| n.currency)
        .filter_map(|n| n.value.parse().ok())
        .collect()
}

/// Every number in `text`, with whether a currency marks it.
fn numbers_in(text: &str) -> Vec<FoundNumber> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        // Digits with inner separators: 1,299.00 or 4.2.
        while end < chars.len() {
            let c = chars[end].1;
            let inner_sep = (c == ',' || c == '.')
                && chars.get(end + 1).is_some_and(|(_, n)| n.is_ascii_digit());
            if c.is_ascii_digit() || inner_sep {
                end += 1;
            } else {
                break;
            }
        }
        let from = chars[start].0;
        let to = chars.get(end).map_or(text.len(), |(b, _)| *b);
        let raw = &text[from..to];
        let mut value = normalise_number(raw);
        let mut after = end;
        if chars.get(end).is_some_and(|(_, c)| *c == 'k' || *c == 'K')
            && !chars.get(end + 1).is_some_and(|(_, c)| c.is_alphanumeric())
        {
            if let Ok(v) = value.parse::<f64>() {
                value = normalise_number(&format!("{}", v * 1000.0));
            }
            after += 1;
        }
        let before = text[..from].trim_end().to_lowercase();
        let rest = text[chars.get(after).map_or(text.len(), |(b, _)| *b)..]
            .trim_start()
            .to_lowercase();
        let currency = CURRENCY_BEFORE.iter().any(|m| {
            before.ends_with(m)
                && !before[..before.len() - m.len()]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric())
        }) || CURRENCY_AFTER.iter().any(|m| {
            rest.starts_with(m)
                && !rest[m.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        });
        out.push(FoundNumber {
            text: raw.to_string(),
            value,
            currency,
        });
        i = after.max(start + 1);
    }
    out
}

/// "1,299.00" -> "1299", "4.50" -> "4.5".
fn normalise_number(raw: &str) -> String {
    let plain: String = raw.chars().filter(|c| *c != ',').collect();
    match plain.split_once('.') {
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            }
        }
        None => {
            let int = plain.trim_start_matches('0');
            if int.is_empty() {
                "0".into()
            } else {
                int.to_string()
            }
        }
    }
}

/// Checks a reply sentence by sentence as it streams, passing on only grounded sentences.
#[derive(Debug)]
pub struct Grounder<'a> {
    facts: &'a Facts<'a>,
    pending: String,
    emitted: String,
    removed: Vec<(String, Vec<Violation>)>,
    sentences: usize,
}

impl<'a> Grounder<'a> {
    /// A checker over `facts`.
    pub fn new(facts: &'a Facts<'a>) -> Grounder<'a> {
        Grounder {
            facts,
            pending: String::new(),
            emitted: String::new(),
            removed: Vec::new(),
            sentences: 0,
        }
    }

    /// Takes more reply text; returns the grounded text that can be shown now.
    pub fn push(&mut self, delta: &str) -> String {
        self.pending.push_str(delta);
        let mut out = String::new();
        while let Some(end) = sentence_end(&self.pending) {
            let sentence: String = self.pending.drain(..end).collect();
            out.push_str(&self.accept(sentence));
        }
        out
    }

    /// The end of the reply: checks what is left; returns the grounded text to show.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.accept(rest)
    }

    /// The end of a reply the token limit stopped: the unfinished last sentence is dropped
    /// (a reply never ends mid-sentence). Returns it when it was grounded; one that was not
    /// counts as removed, as it would have been finished.
    pub fn cut(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        if rest.trim().is_empty() {
            return None;
        }
        let violations = self.facts.check(&rest);
        if violations.is_empty() {
            return Some(rest);
        }
        self.sentences += 1;
        tracing::debug!(?violations, sentence = rest, "ungrounded sentence removed");
        self.removed.push((rest, violations));
        None
    }

    fn accept(&mut self, sentence: String) -> String {
        if sentence.trim().is_empty() {
            return if self.emitted.is_empty() {
                String::new()
            } else {
                sentence
            };
        }
        self.sentences += 1;
        let violations = self.facts.check(&sentence);
        if violations.is_empty() {
            let text = if self.emitted.is_empty() {
                sentence.trim_start().to_string()
            } else {
                sentence
            };
            self.emitted.push_str(&text);
            text
        } else {
            tracing::debug!(?violations, sentence, "ungrounded sentence removed");
            self.removed.push((sentence, violations));
            String::new()
        }
    }

    /// The text shown so far.
    pub fn emitted(&self) -> &str {
        &self.emitted
    }

    /// Text taken but not yet checked: the sentence still being written.
    pub fn unchecked(&self) -> &str {
        &self.pending
    }

    /// Sentences checked so far (kept and removed).
    pub fn sentences(&self) -> usize {
        self.sentences
    }

    /// Sentences removed, with why.
    pub fn removed(&self) -> &[(String, Vec<Violation>)] {
        &self.removed
    }
}

/// Byte offset just past the first complete sentence (its end mark and the space after it),
/// or `None` while the sentence may go on. "Rs. 500" and "4.5" do not end a sentence.
fn sentence_end(text: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(at, c)) in chars.iter().enumerate() {
        let next = chars.get(k + 1).map(|(_, n)| *n);
        let ends = match c {
            '\n' => true,
            '!' | '?' => next.is_some_and(char::is_whitespace),
            '.' => {
                let word: String = text[..at]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase();
                // Reversed: "rs", "no", "vs", "approx" abbreviate, they do not end.
                next.is_some_and(char::is_whitespace)
                    && !matches!(word.as_str(), "sr" | "on" | "sv" | "xorppa")
            }
            _ => false,
        };
        if ends {
            // Take the whitespace after the mark along with the sentence.
            let mut end = k + 1;
            while chars
                .get(end)
                .is_some_and(|(_, c)| c.is_whitespace() && *c != '\n')
            {
                end += 1;
            }
            if c == '\n' {
                end = k + 1;
            }
            return Some(chars.get(end).map_or(text.len(), |(b, _)| *b));
        }
    }
    None
}

#[cfg(test)]
#[path = "grounding_tests.rs"]
mod tests;
