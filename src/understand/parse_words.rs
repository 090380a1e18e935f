//! Normalised words, the cue-pattern matcher and the vocabulary that the message
//! parsers in `parse.rs` match against. Kept apart so the rules stay readable.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// How much of a message is read; the rest of a long paste is noise for a shop chat.
pub(super) const MAX_CHARS: usize = crate::understand::MAX_MESSAGE_CHARS;

/// Larger numbers are noise (or would lose precision) rather than prices.
pub(super) const MAX_AMOUNT: f64 = 1e12;

// ---------------------------------------------------------------- text

/// One word of a message, normalised for matching.
#[derive(Debug, Clone)]
pub(super) struct Word {
    /// Normalised text used for every match.
    pub(super) text: String,
    /// The same chars as typed, for brand capitalisation.
    pub(super) orig: String,
    /// Byte range in the folded message, to know whether two words touched.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Sentence punctuation follows this word.
    pub(super) brk_after: bool,
    /// A dash separates this word from the previous one ("500-1000").
    pub(super) hyphen_before: bool,
}

/// A message as words.
pub(super) struct Text {
    pub(super) words: Vec<Word>,
    /// A "?" anywhere, or a question word first ("kya" last).
    pub(super) question: bool,
}

/// Lowercases one char and folds typographic variants. Never lengthens the text:
/// a char whose lowercase form is longer in chars or bytes stays as it is.
pub(super) fn fold(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' | '\u{b4}' => '\'',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{20a8}' => '\u{20b9}',
        _ => {
            let mut low = c.to_lowercase();
            match (low.next(), low.next()) {
                (Some(l), None) if l.len_utf8() <= c.len_utf8() => l,
                _ => c,
            }
        }
    }
}

/// Keeps at most two equal letters in a row: typed emphasis ("hiiii") is not a new word.
pub(super) fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut last, mut run) = (None, 0);
    for c in s.chars() {
        run = if Some(c) == last { run + 1 } else { 1 };
        last = Some(c);
        if run <= 2 || !c.is_alphabetic() {
            out.push(c);
        }
    }
    out
}

/// Splits the first `MAX_CHARS` chars of a message into words. Keeps "1,299",
/// "1.5", "don't", "500+" and "50%" whole; currency symbols, "~" and "#" are words.
pub(super) fn analyse(message: &str) -> Text {
    let orig: Vec<char> = message.chars().take(MAX_CHARS).collect();
    let chars: Vec<char> = orig.iter().map(|&c| fold(c)).collect();
    let folded: String = chars.iter().collect();
    let mut offs = Vec::with_capacity(chars.len() + 1);
    let mut o = 0;
    for c in &chars {
        offs.push(o);
        o += c.len_utf8();
    }
    offs.push(o);
    let mut words: Vec<Word> = Vec::new();
    let (mut start, mut hyphen, mut question) = (None::<usize>, false, false);
    let push = |words: &mut Vec<Word>, s: usize, e: usize, hyphen: &mut bool| {
        let (bs, be) = (
            offs.get(s).copied().unwrap_or(0),
            offs.get(e).copied().unwrap_or(0),
        );
        let text = squeeze(folded.get(bs..be).unwrap_or(""));
        let orig = orig.get(s..e).unwrap_or(&[]).iter().collect();
        words.push(Word {
            text,
            orig,
            start: bs,
            end: be,
            brk_after: false,
            hyphen_before: *hyphen,
        });
        *hyphen = false;
    };
    for k in 0..chars.len() {
        let c = chars[k];
        let prev = k.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(k + 1).copied();
        let digit = |x: Option<char>| x.is_some_and(|x| x.is_ascii_digit());
        let joins = c.is_alphanumeric()
            || (start.is_some()
                && match c {
                    '\'' => {
                        prev.is_some_and(char::is_alphabetic)
                            && next.is_some_and(char::is_alphabetic)
                    }
                    '.' | ',' => digit(prev) && digit(next),
                    '+' | '%' => {
                        prev.is_some_and(char::is_alphanumeric)
                            && !next.is_some_and(char::is_alphanumeric)
                    }
                    _ => false,
                });
        if joins {
            start.get_or_insert(k);
            continue;
        }
        if let Some(s) = start.take() {
            push(&mut words, s, k, &mut hyphen);
        }
        match c {
            '\u{20b9}' | '$' | '\u{20ac}' | '\u{a3}' | '~' | '#' => {
                push(&mut words, k, k + 1, &mut hyphen)
            }
            // `43"` is 43 inches: the mark becomes the word, so no budget reads the number.
            '"' | '\u{201d}' if prev.is_some_and(|p| p.is_ascii_digit()) => {
                push(&mut words, k, k + 1, &mut hyphen);
                if let Some(last) = words.last_mut() {
                    last.text = "\"".into();
                }
            }
            '-' => hyphen = true,
            '?' | '.' | '!' | ';' | ':' | ',' | '\n' | '(' | ')' => {
                question |= c == '?';
                if let Some(last) = words.last_mut() {
                    last.brk_after = true;
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        push(&mut words, s, chars.len(), &mut hyphen);
    }
    let first = words.first().map(|x| x.text.as_str());
    let last = words.last().map(|x| x.text.as_str());
    question |=
        first.is_some_and(|f| QUESTION_WORDS.contains(f)) || matches!(last, Some("kya" | "kyaa"));
    Text { words, question }
}

/// The normalised words of a phrase, as `analyse` would split them in a message.
pub(super) fn words_of(s: &str) -> Vec<String> {
    analyse(s).words.into_iter().map(|w| w.text).collect()
}

/// Lowercase letters and digits only: "Amazon Basics" and "amazonbasics" agree.
pub(super) fn squash(s: &str) -> String {
    s.chars()
        .map(fold)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// A half-open range of word indices.
pub(super) type Span = (usize, usize);

/// The normalised text of word `i`, or "" past the end.
pub(super) fn word_at(w: &[Word], i: usize) -> &str {
    w.get(i).map_or("", |x| x.text.as_str())
}

/// The word before `i`, or "" at the start.
pub(super) fn word_before(w: &[Word], i: usize) -> &str {
    i.checked_sub(1).map_or("", |p| word_at(w, p))
}

/// Word sequences indexed by their first word, longest first, each with a value.
#[derive(Debug, Clone)]
pub(super) struct Phrases<T>(HashMap<String, Vec<Entry<T>>>);

impl<T> Default for Phrases<T> {
    fn default() -> Self {
        Phrases(HashMap::new())
    }
}

impl<T> Phrases<T> {
    /// Adds a phrase; among phrases of one length the first added wins.
    pub(super) fn add(&mut self, words: Vec<String>, value: T) {
        let Some(first) = words.first().cloned() else {
            return;
        };
        let list = self.0.entry(first).or_default();
        let at = list
            .iter()
            .position(|(p, _)| p.len() < words.len())
            .unwrap_or(list.len());
        list.insert(at, (words, value));
    }

    /// Every word of every phrase (repeats included).
    pub(super) fn words(&self) -> impl Iterator<Item = &str> {
        self.0
            .values()
            .flatten()
            .flat_map(|(p, _)| p.iter().map(String::as_str))
    }

    /// The phrases that start at word `i`, longest first, with their ends.
    pub(super) fn at<'a>(
        &'a self,
        w: &'a [Word],
        i: usize,
    ) -> impl Iterator<Item = (&'a T, usize)> + 'a {
        self.0
            .get(word_at(w, i))
            .into_iter()
            .flatten()
            .filter_map(move |(p, v)| {
                let end = i + p.len();
                let hit = w
                    .get(i..end)
                    .is_some_and(|ws| ws.iter().zip(p).all(|(x, q)| x.text == *q));
                hit.then_some((v, end))
            })
    }
}

type Entry<T> = (Vec<String>, T);

/// A word set from a space-separated list.
pub(super) fn set(s: &'static str) -> HashSet<&'static str> {
    s.split_whitespace().collect()
}

/// Defines word sets: `NAME = "space separated words";`, each a `LazyLock<HashSet>`.
macro_rules! words {
    ($($(#[$doc:meta])* $name:ident = $words:expr;)+) => {
        $($(#[$doc])* pub(super) static $name: LazyLock<HashSet<&'static str>> = LazyLock::new(|| set($words));)+
    };
}

words! {
    /// A message opening with one of these is a question even without "?".
    QUESTION_WORDS = "what what's whats how how's hows is isn't isnt does doesn't doesnt do did can \
        could will would which are has have should shall why when where kya kitna \
        kitni kitne kaisa kaisi kaise kab kaun";
}

// ---------------------------------------------------------------- cue patterns

/// One word slot of a cue pattern.
#[derive(Debug)]
enum Alt {
    Exact(&'static str),
    Prefix(&'static str),
    Fuzzy(&'static str),
    Percent,
}

impl Alt {
    fn hits(&self, w: &str) -> bool {
        match self {
            Alt::Exact(s) => w == *s,
            Alt::Prefix(s) => w.starts_with(s),
            Alt::Fuzzy(s) => w == *s || near(w, s),
            Alt::Percent => w.ends_with('%') && w.starts_with(|c: char| c.is_ascii_digit()),
        }
    }
}

#[derive(Debug)]
enum Elem {
    Gap(usize),
    Word { optional: bool, alts: Vec<Alt> },
}

/// Word-level cue patterns. Syntax: words separated by spaces; `a|b` alternatives;
/// `?x` optional; `x*` prefix; `~x` tolerates one typo (for x of five letters or
/// more); `..N` skips up to N words; `%` any percentage. Typo tolerance is opt-in
/// because many short English words are one edit apart ("power"/"lower").
#[derive(Debug)]
pub(super) struct Pats(Vec<Vec<Elem>>);

impl Pats {
    pub(super) fn new(src: &[&'static str]) -> Pats {
        Pats(
            src.iter()
                .map(|p| p.split_whitespace().map(elem).collect())
                .collect(),
        )
    }

    /// End of the longest non-empty match starting at `i`.
    pub(super) fn at(&self, w: &[Word], i: usize) -> Option<usize> {
        self.0
            .iter()
            .filter_map(|p| run(p, w, i))
            .filter(|&e| e > i)
            .max()
    }

    /// Whether any pattern matches anywhere.
    pub(super) fn any(&self, w: &[Word]) -> bool {
        (0..w.len()).any(|i| self.at(w, i).is_some())
    }

    /// Leftmost-longest, non-overlapping matches.
    pub(super) fn all(&self, w: &[Word]) -> Vec<Span> {
        let (mut out, mut i) = (Vec::new(), 0);
        while i < w.len() {
            match self.at(w, i) {
                Some(e) => {
                    out.push((i, e));
                    i = e;
                }
                None => i += 1,
            }
        }
        out
    }
}

fn elem(e: &'static str) -> Elem {
    if let Some(n) = e.strip_prefix("..") {
        return Elem::Gap(n.parse().unwrap_or(1));
    }
    let (optional, body) = match e.strip_prefix('?') {
        Some(b) => (true, b),
        None => (false, e),
    };
    let alts = body
        .split('|')
        .map(|a| match (a, a.strip_prefix('~'), a.strip_suffix('*')) {
            ("%", _, _) => Alt::Percent,
            ("~", _, _) => Alt::Exact("~"),
            (_, Some(x), _) if x.len() >= 5 => Alt::Fuzzy(x),
            (_, Some(x), _) => Alt::Exact(x),
            (_, _, Some(x)) => Alt::Prefix(x),
            _ => Alt::Exact(a),
        })
        .collect();
    Elem::Word { optional, alts }
}

fn run(elems: &[Elem], w: &[Word], i: usize) -> Option<usize> {
    let Some((e, rest)) = elems.split_first() else {
        return Some(i);
    };
    match e {
        Elem::Gap(n) => (0..=*n)
            .take_while(|k| i + k <= w.len())
            .find_map(|k| run(rest, w, i + k)),
        Elem::Word { optional, alts } => w
            .get(i)
            .filter(|x| alts.iter().any(|a| a.hits(&x.text)))
            .and_then(|_| run(rest, w, i + 1))
            .or_else(|| if *optional { run(rest, w, i) } else { None }),
    }
}

/// Edit distance at most one (substitution, insertion, deletion or adjacent swap).
fn near(w: &str, cue: &str) -> bool {
    if !w.is_ascii() || w.len().abs_diff(cue.len()) > 1 {
        return false;
    }
    let (a, b) = (w.as_bytes(), cue.as_bytes());
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (tail(a, p), tail(b, p));
    let swapped = ra.len() >= 2 && ra.first() == rb.get(1) && ra.get(1) == rb.first();
    ra == rb
        || tail(ra, 1) == tail(rb, 1)
        || tail(ra, 1) == rb
        || ra == tail(rb, 1)
        || (swapped && tail(ra, 2) == tail(rb, 2))
}

fn tail(s: &[u8], n: usize) -> &[u8] {
    s.get(n..).unwrap_or(&[])
}

/// Defines a cue-pattern list: `NAME, "pattern", "pattern", ...`.
macro_rules! pats {
    ($(#[$doc:meta])* $name:ident, $($p:expr),+ $(,)?) => {
        $(#[$doc])* pub(super) static $name: LazyLock<Pats> = LazyLock::new(|| Pats::new(&[$($p),+]));
    };
}

pats!(
    /// Attempts to change the assistant's instructions, persona or prices.
    INJECTION,
    "~ignore|~disregard|forget|~override|bypass ..3 instruction*|rules|prompt*|guidelines|directions|directives|programming|context|above",
    "system|developer|hidden|initial|original prompt*|message|instruction*",
    "you are now",
    "you're|youre|ur now",
    "u r now",
    "from now on ?you",
    "act|behave as ?a|an|if",
    "pretend*",
    "role play|roleplay|role-play",
    "developer|dev|god|admin|debug|sudo|unrestricted mode",
    "jailbreak*",
    "do anything now",
    "new ~instructions",
    "reveal|print|leak|repeat ?me ?your|the prompt*|instruction*|rules",
    "reveal|print|show ?me ?your|the hidden|secret|internal|system prompt*|instruction*|rules",
    "set|change|update|make|reduce|lower|drop ?the|its|it's|this|that price*|cost ..4 to|=|as",
    "price should|must be",
    "give|make|apply ?me ?a|an ?% discount of",
    "give|make|apply ?me ?a|an % discount|off",
    "give ?it|me ?to ?me for free",
    "you are|you're ?a|an helpful|new|unrestricted assistant|ai|chatbot|bot|model",
    "give|gives ?away free products|items|stuff",
    "make it free",
    // Prices stated as a fact for the whole shop ("every product costs 1 rupee today",
    // "all bikes cost $1", "all TVs are free today").
    "all|every|each ..2 cost|costs|priced|are|is ..1 ₹|$|€|£|rs 0|1|zero|one",
    "all|every|each ..2 cost|costs|priced|are|is ..1 0|1|zero|one rupee|rupees|re|rs|dollar|dollars|euro|euros|pound|pounds|cent|cents",
    "all|every|each ..2 cost|costs|are|is ..1 free|nothing",
    "every|each|all ?the|your|these|those product*|item*|thing*|price* ?in|at|of ?the|this|your ?shop|store|catalog ..1 cost|costs|is|are|sell|sells|priced ..2 free|nothing|zero|rupee|rupees|re|rs|₹|$|€|£|dollar|dollars|cent|cents|euro|euros|pound|pounds",
    "everything ?in|at ?the|this|your ?shop|store|catalog ..1 cost|costs|is|are|sells|priced ..2 free|nothing|zero|rupee|rupees|re|rs|₹|$|€|£|dollar|dollars|cent|cents|euro|euros|pound|pounds",
);
pats!(
    /// Requests that are off-topic whatever else the message says.
    OFF_STRONG,
    "poem|poems|poetry|shayari",
    "joke|jokes",
    "essay",
    "write ?me ?a|an story|song|poem|essay|code|program|script|letter|article|email",
    "tell|sing ?me ?a|an story|joke|poem|song|riddle",
    "python|javascript|sql|html ?code|program|script",
    "write|debug|fix ?my|the|some code",
    "who won",
    // Live scores and news ("what's the score in the india match?").
    "score|scores|scorecard ?in|of ?the|today's|todays ..3 match|game",
    "live|latest|today's|todays score|scores|news|headlines",
    "stock market|share price|sensex|nifty",
    "election*",
    "politic*",
    "prime minister",
    "capital of",
    "horoscope|astrology",
    "homework|assignment",
    "translate",
    "lyrics",
    "meaning of life",
    "flight|flights",
    "train|bus ticket*",
    "personal|home|car loan",
    "movie|movies|film|show to watch",
    "do you|u buy|purchase used|old|second-hand|secondhand",
);
pats!(
    /// Off-topic subjects, unless the message is also about a product ("rainy weather speaker").
    OFF_WEAK,
    "weather|mausam|forecast|rain|raining|cricket*|ipl|football|solve|calculate|movie|movies|film|news|recipe*|bitcoin|crypto|girlfriend|boyfriend",
    "stock|share market",
    "what|what's|whats ?is the time|date",
    "what time is it",
    "match score",
    "score of ?the match",
);
pats!(
    /// Broken products, refunds, orders gone wrong.
    COMPLAINT,
    "broke*|~broken|defect*|~faulty|damage*|demaged|malfunction*|cracked|refund*|refnd|kharab|kharaab|khrab|wapas|wapis|vapas|vapis",
    "not|isn't|isnt|doesn't|doesnt|didn't|didnt|won't|wont|hasn't|hasnt|haven't|havent|never|stopped|stops|stop|nahi|nahin|nhi ~working|work|works|charging|charge|turning|pairing|connecting|responding|functioning|~delivered|~received|arrived",
    "~warranty|guarantee claim*",
    "claim ?the|my ~warranty|guarantee",
    "where|wheres|where's|wher|whr ?is ?my order|ordr|oder|parcel|package|delivery|shipment",
    "order|delivery|shipping|shipment|tracking status",
    "track* ?my|the order|parcel|package|shipment",
    "delivery|deliver* ?is late|delay*",
    "late|delayed delivery",
    "wrong|incorrect|missing|fake|duplicate|used item|product|order|size|colour|color|parcel",
    "~cancel|~cancellation ?my|the|this order|purchase",
    "order cancel*",
    "kaam nahi|nahin|nhi|na",
    "nahi|nahin|nhi chal|chalta|chala|chl",
    "chal|chalta nahi|nahin|nhi",
    "band ho gaya|gya|gayi|gyi",
    "~customer care|service|support",
    "complain*",
    "help|issue|problem with|regarding ?my|the order|delivery|payment|~refund",
    "payment|money|amount|paisa|paise failed|deducted|debited|kat|cut",
    "charged twice",
    "scam*|fraud|cheated",
    "paisa|paise|money wapas|back",
    "not happy|satisfied",
    "disappoint*",
    "leak*|leaks|overheat*|rattl*|sparking|sparks",
    "heating|heats up ?a lot|too|badly|very",
    "not|isn't|isnt|doesn't|doesnt|stopped heating|cooling|heat|cool",
    "only in one ear|side",
    "~exchange it|my|the|this|them",
    "order|parcel|delivery kab ..2 aayega|ayega|aaega|aayegi|milega",
    "never showed|turned up",
    "never came|arrived",
    "abhi tak nahi|nahin|nhi aaya|aya|mila",
    "already open|opened|used|tampered",
);
pats!(
    /// "return", which is support unless followed by "gift".
    RETURNS,
    "return|returns|returned|returning|returnable|retrun"
);
pats!(
    /// "replace", which is support unless a product kind follows ("replacement remote").
    REPLACE, "replac*|exchange*");
pats!(
    /// The customer already bought something.
    PURCHASE,
    "i|we|i've|ive|we've ?just|already|recently|finally|have|also ~bought|~purchased|~ordered|brought|purchsed",
    "just|already|recently ~bought|~purchased|~ordered|got|brought",
    "i|we ?just|already|recently|finally got|picked a|an|the|my|new|myself",
    "order|purchase placed|done|completed|confirmed",
    "placed ?my|the|an|a order",
    "maine|mene|mainne|hamne|humne ..6 liya|li|lia|kharida|kharidi|kharid|mangaya|mangwaya|order|~ordered",
    "got|picked myself",
    "just|already|recently|finally picked up",
    "order ki|kari hai",
    "order kar di|li|diya|liya",
    "le|kharid liya|li|lia|liye",
    "order kar diya|diya|dia|kiya|kia",
    "order kiya|kia",
    "~bought|~purchased a|an|the|my|this|that|it|one",
);
pats!(
    /// Putting a product in the cart, or checking out.
    ADD_CART,
    "add|put|place|daal|dal|daalo|dalo ..6 to|in|into|inside|mein|me|main ?my|the cart|basket|bag|trolley|kart",
    "add ..2 pcs|pc|pieces|piece|units|unit|nos|qty",
    "add kar|karo|kardo|kariye|kijiye",
    "cart|basket|kart mein|me|main|m|in ?daal|dal|add|daalo|dalo|rakh|rakho|kar|karo|kardo",
    "bag mein|me|main daal|dal|add|daalo|dalo|rakh|rakho|kar|karo|kardo",
    "add it|this|that|them|these|those|both|one|the|ye|yeh|wo|woh|isko|usko|dono",
    "i'll|ill take|buy|order|get it|this|that|them|these|those|the|one|both",
    "place ?the|my|an order",
    "i will|shall take|buy|order",
    "we'll|i'd|id take|buy|order",
    "lunga|lungi|lenge",
    "le lunga|lungi|leta|lenge",
    "kharid lunga|lungi",
    "kharidunga",
    "order|place|book kar do|dijiye|de|dena",
    "order kardo|kardijiye",
    "go|going|i'll|ill with|for it|this|that|the|number|no|option",
    "~checkout|check out",
    "proceed to ~checkout|payment|pay",
    "buy now",
);
pats!(
    /// Something besides what is being looked at: "also need", "a case too", "as well".
    ALSO,
    "also|bhi",
    "too|as well|additionally",
    "in addition",
    "along with|alongside",
);
pats!(
    /// "buy it", "take this": an add-to-cart unless asked as a question ("worth to buy this?").
    ADD_WEAK,
    "buy|order|take|purchase it|this|that|them|both|isko|usko",
    "buy|order|take|purchase the first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|cheapest|cheaper",
);
pats!(
    /// Weighing products against each other.
    COMPARE,
    "compar*|compair|compaire|comapre|camparison|compere|~compare",
    "vs|~versus|v/s|verses",
    "~difference|differnce|diff|fark|farak|antar",
    "which ?one ..3 ~better|~cheaper|prefer|choose|pick|recommend",
    "which ?one ?of ?them|these|those|the ..1 should|would|shall i|we",
    "which should i|we",
    "which one|of ?them|these|those ..2 best",
    "~better|~cheaper than",
    "which ..6 among|between these|those|them|both|all",
    "which ..6 among|between the top|first|two|three|2|3",
    "kaunsa|konsa|kaun|kon|konsi|kaunsi ?sa|si|se ~better|accha|achha|acha|achcha|best|sahi|theek|lena|lu|lun",
);
pats!(
    /// Questions about a product without a question mark: "tell me about", "kaisa hai".
    ASK_CUE,
    "tell|bata|batao|batayiye ..2 about|more",
    "more|~details|detail|info|~information|specs|~specifications|features|~reviews|review|ratings about|of|on|for",
    "kaisa|kaisi|kaise|kesa|kesi hai|he|h|rahega|hoga|lagta",
    "kitna|kitni|kitne ..2 chalega|chalegi|hai|ka|ki|din|time|saal|warranty|battery|backup",
    "worth ?it|buying",
    "how long|much|good",
    "made of",
    "come|comes with",
    "work|works with",
);
pats!(
    /// Asking what reviews or other buyers say ("what do reviews say about battery?",
    /// "how do customers rate the sound"): about the product in focus, never a search.
    REVIEWS_ASK,
    "what|how ?do|does|are ?the|its|customer|customers|other|people ~reviews|review|reviewers|ratings|customers|buyers|users|people say|said|mention|think|rate|feel",
    "reviews|review|reviewers|customers|buyers|users|people say|said|mention|think ..1 about|of|on",
    "what|how ?do|does|did people|customers|buyers|users|reviewers say|said|think|feel",
);
pats!(
    /// Properties customers ask about.
    PROPERTY,
    "~durable|~durability|~battery|backup|~warranty|~guarantee|~quality|sound|bass|size|sizes|fit|fits|fitting|~compatible|~compatibility|support|supports|~material|weight|heavy|dimension*|colour*|color*|~available|~availability|stock|price|cost|costs|rate|rating|ratings|review*|specs|spec|specification*|feature*|~comfortable|comfort|range|capacity|power|wattage|speed|original|genuine|authentic|emi|offer*|discount|resolution|display|storage|processor|charging|~waterproof|mic|calling|noise|latency|lasts|life|reliable|safe|loud|clarity|good|worth",
);
pats!(
    /// Greetings, thanks, goodbyes and acknowledgements.
    SMALLTALK,
    "hi|hii|hello|helo|hey|heya|yo|namaste|namaskar|hola|thanks|thank|thx|ty|tysm|shukriya|dhanyavad|dhanyawad|bye|goodbye|ok|okay|okk|k|kk|cool|great|nice|awesome|fine|alright|sure|welcome|lol|haha|hmm|wow",
    "good morning|afternoon|evening|night",
    "who are you|u",
    "how are|r you|u",
    "kaise|kaisi ho|hain ?aap",
    "aap kaise|kaisi ho|hain",
    "let me think",
    "i'll|ill think about it",
    "i will think about it",
    "what's|whats up",
    "sup",
    "got it",
    "how's|hows|how is it going",
);
pats!(
    /// Questions about the assistant itself.
    BOT_TALK,
    "about yourself|urself",
    "your name",
    "who|what are you|u",
    "what can you|u do",
    "are you|u a|an bot|robot|human|ai",
    "can you|u help ?me",
    "who made|built|created you|u",
);
pats!(
    /// Asking to be shown or suggested products.
    SEARCH_STRONG,
    "show|shw|dikhao|dikhaao|dikha|dikhaiye|dikhana|dikhado|find|search*|suggest*|sugest|recommend*|recomend*|reccomend*|looking|lookin|browse|~options|alternative*|~similar|gift*",
    "look for",
    "do|d you|u have|got|sell|stock",
    "have you got",
    "is|are there ?any",
    "got any",
    "koi",
    "what do you have",
);
pats!(
    /// Wanting something: a search only when the message also names a product, brand or budget.
    SEARCH_WEAK,
    "need|needs|want|wanna|chahiye|chaiye|chahie|chaahiye|chiye|batao|bataiye|buy|purchase|get|any|best|top|latest|new|gift|gifts|kuch|recommendation*",
);
pats!(
    /// Asking to see something.
    SHOW, "show|dikhao|dikha|dikhaiye|dikhana|dikhado|open");
pats!(
    /// Asking for something else than what was shown.
    SIMILAR,
    "like|~similar|alternative*|other|others|more|cheaper|instead|aur"
);
pats!(
    /// A wish, which with a product kind starts a new search ("I want the cables").
    WANT,
    "want|wanna|need|looking|chahiye|chaiye|chahie|chaahiye|chiye"
);
pats!(
    /// Words that make "it"/"this" point at a product: "add it", "does it".
    TALK,
    "add|buy|take|order|purchase|cart|basket|compare|tell|about|more|does|do|is|will|can|how|kitna|kitne|kaisa|kaisi|chalega|daal|dal|lunga|return|replace|refund|work*|charge*|support*|fit*|get",
);
pats!(
    /// Turning a suggestion down.
    DECLINE,
    "no|nahi|nahin|nhi|nai|na thanks|thank|thx|thankyou|ty|shukriya",
    "not ~interested|intrested|intersted",
    "not now|needed|required|today",
    "not for me",
    "no need|requirement",
    "don't|dont|didn't|didnt|doesn't ?really want|need it|that|this|those|these|them|the|one|any|anything|a|an",
    "do|did|does not ?really want|need it|that|this|those|these|them|the|one|any|anything|a|an",
    "nahi|nahin|nhi|nai|mat chahiye|chaiye|chahie|chiye|lena|leni|lunga|dikhao|dikhana|dalo|daalo|karo",
    "mat|math dikhao|dikhana|bhejo|add|daalo|dalo|lo",
    "chahiye|chaiye|chahie nahi|nahin|nhi|nai",
    "rehne|rahne|jaane|jane do|de|dijiye",
    "not this|that ?one",
    "don't|dont|didn't|didnt like it|this|that|them|these|those|the",
    "do|did not like it|this|that|them|these|those|the",
    "skip*",
    "i'll|ill pass",
    "i will pass",
    "pass on",
    "maybe later",
    "next time",
    "leave it",
    "chodo|chhodo",
);
pats!(
    /// Words that carry no product meaning, cut from the search query.
    FILLER,
    "can|could|would|will you ?please|pls|plz|kindly",
    "do|d you|u have",
    "have you got",
    "is|are there ?any",
    "i|we ?am|are|'m ?really looking|searching for",
    "i'm|im ?really looking|searching for",
    "looking|searching|look|search for",
    "i|we ?really ?would|'d|do|will want|need|like|wanna ?to ?buy|get|purchase|have|see|find|order",
    "i'd|id|i'll|ill like|love ?to ?buy|get|see|have",
    "want|need|wanna ?to buy|get|purchase",
    "show|find|suggest|recommend|give|get|send|tell me|us",
    "show|find|~suggest|~recommend|recomend|reccomend|sugest|search|searching",
    "please|pls|plz|plss|kindly|pleasee",
    "hi|hello|hey|hii|namaste|thanks|thx|thankyou",
    "thank you",
    "a|an|some|any|the|something|anything",
    "mujhe|muje|mujhko|mereko|humko|hume|hamein|hame",
    "chahiye|chaiye|chahie|chahiyee|chaahiye|chiye",
    "dikhao|dikha|dikhana|dikhaiye|dikhado ?do|na|dijiye",
    "batao|bata|batana|bataiye ?do|na|dijiye",
    "koi|kuch|ek|hai|hain|bhai|yaar|sir|ji|bro|dude|zara|i",
    // Hinglish possessives, "ke liye" (for), "wala" (the one with) and "accha" (good): the
    // product is named around them ("mere laptop ke liye type c cable chahiye").
    "mera|meri|mere|apna|apni|apne|hamara|hamari|hamare",
    "ke|ki|ka liye|liya|lie|lye|waste|vaste",
    "wala|wali|wale|waala|waali|waale|vala|vali|vale",
    "accha|acha|achha|achcha|achchha|badhiya|badiya|mast",
    "tell ?me|us more ?about",
    "tell me|us about",
);
pats!(
    /// Wanting something cheap, when no amount is given.
    CHEAP,
    "sabse sasta|sasti|saste",
    "cheap*|cheep|chep|sasta|sasti|saste|sastha|sastaa|~affordable|afordable|~inexpensive|budget|~economical|economic",
    "low|lower|lowest|less|kam|km priced|price|prices|cost|costing|daam|dam|keemat|kimat|rate|budget",
    "pocket|budget friendly",
    "entry level",
    "least|less ~expensive|costly|pricey",
    "not|na|nahi ?too|very|so|that|zyada|jyada ~expensive|costly|pricey|mehenga|mehnga",
    "mehenga|mehnga nahi|nahin|nhi",
);
pats!(
    /// Before an amount: a ceiling.
    MAX_CUE,
    "~under|~below|~beneath|~within|upto|max|~maximum|till|until|underneath",
    "up to|till",
    "less|lesser|lower|cheaper than",
    "at most",
    "atmost",
    "no|not more than",
    "not above|over|exceeding|beyond",
    "budget ?is|of|hai|max|~maximum|upto",
    "~maximum|max budget|price",
);
pats!(
    /// Before an amount: a floor.
    MIN_CUE,
    "~above|over|~minimum|min|~atleast|exceeding|beyond",
    "more|~greater|higher|costlier than",
    "at least",
    "starting from|at",
    "upwards of",
    "not|no less than",
    "not below|under",
);
pats!(
    /// Before an amount: a target.
    AROUND_CUE,
    "~around|about|~approx|~approximately|appx|aprox|approximate|~|near|~nearly|~roughly|~lagbhag|lgbhg|lagbag",
    "close to",
    "somewhere ~around|about",
    "in ?the range of",
    "price|priced|costing|cost ?is|at|of|~around|about",
);
pats!(
    /// Before two amounts: a range ("between 500 and 900").
    RANGE_CUE,
    "~between|btw|btwn|beech|bich",
    "from|frm",
    "in ~between",
    "price|budget range ?of|is|~between|from",
    "range ?of|from"
);
pats!(
    /// After an amount: a ceiling ("1000 tak", "800 or less").
    POST_MAX,
    "tak|tk",
    "ke|k andar|ander|under|neeche|niche|bhitar|ander",
    "se|say kam|neeche|niche|less",
    "or|and|& less|below|under|lower",
    "max|maximum",
    "at most",
    "?ka|ki|ke budget",
);
pats!(
    /// After an amount: a floor ("5000 se upar", "2000 and above").
    POST_MIN,
    "se|say upar|upper|uppar|jyada|zyada|zada|adhik|more",
    "ke|k upar|uppar|above",
    "or|and|& more|above|up|higher",
    "plus|minimum|min",
    "at least",
    "se shuru",
);
pats!(
    /// After an amount: a target ("2000 ke aas paas").
    POST_AROUND,
    "ke|k aas|aaspaas|around|karib|kareeb|kareb ?paas",
    "ish",
    "or so",
    "around|approx|~approximately",
    "?ka|ki|ke range",
);
pats!(
    /// After a noun: it was shown before ("the cable you showed").
    TRAILER,
    "?that|which|jo you|u|aap|aapne|tumne ?just|have|had show|showed|shown|sent|suggested|recommended|recommend|suggest|mentioned|listed|shared|gave|posted|linked|dikhaya|dikhayi|dikhaye|bataya|batayi ?above|earlier|before|me|previously",
    "jo|that|which ?just show|showed|shown|sent|suggested|recommended|mentioned|listed|shared|gave|posted|linked|dikhaya|dikhayi|dikhaye|bataya|batayi ?above|earlier|before|me|previously",
    "mentioned|shown|listed|given|above|earlier|before|previously|upar ?above|earlier|before|previously",
    "from ?the|your before|earlier|list|above",
);

// ---------------------------------------------------------------- budget vocabulary

/// The ISO code of a currency word or symbol.
pub(super) fn currency(s: &str) -> Option<&'static str> {
    match s {
        "\u{20b9}" | "rs" | "inr" | "rupees" | "rupee" | "rupaye" | "rupay" | "rupaiye"
        | "rupiya" | "rupya" | "rupiye" | "rupe" => Some("INR"),
        "$" | "usd" | "dollars" | "dollar" | "bucks" | "buck" => Some("USD"),
        "\u{20ac}" | "eur" | "euro" | "euros" => Some("EUR"),
        "\u{a3}" | "gbp" | "pounds" | "quid" => Some("GBP"),
        _ => None,
    }
}

/// A word that multiplies the number before it: "2 k", "1.5 lakh", "do hazar".
pub(super) fn multiplier(s: &str) -> Option<f64> {
    match s {
        "k" | "thousand" | "thousands" | "hazar" | "hazaar" | "hajar" | "hazzar" | "hazar."
        | "hzr" | "hazaar." => Some(1e3),
        "lakh" | "lakhs" | "lac" | "lacs" | "lakh." => Some(1e5),
        "crore" | "crores" | "cr" => Some(1e7),
        "hundred" | "sau" => Some(1e2),
        _ => None,
    }
}

/// Digits with optional Indian or Western thousands commas and a decimal part.
/// Malformed grouping ("2,3") is not a number, so "first 2,3" is not a price.
pub(super) fn parse_digits(s: &str) -> Option<f64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if !int.starts_with(|c: char| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let groups: Vec<&str> = int.split(',').collect();
    if groups.len() > 1 {
        let (first, rest) = groups.split_first()?;
        let ok_first = (1..=3).contains(&first.len());
        let ok_rest = rest.iter().all(|g| (2..=3).contains(&g.len()))
            && rest.last().is_some_and(|g| g.len() == 3);
        if !ok_first || !ok_rest {
            return None;
        }
    }
    let plain: String = s.chars().filter(|&c| c != ',').collect();
    plain
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v <= MAX_AMOUNT)
}

/// A number word as typed: "500", "1,299", "1.5k", "rs500", "500rs", "2k+".
/// Returns the number, its attached multiplier, attached currency and a trailing "+".
pub(super) fn number_word(s: &str) -> Option<(f64, f64, Option<&'static str>, bool)> {
    let mut s = s;
    let mut cur = None;
    for (p, c) in [("rs", "INR"), ("inr", "INR"), ("usd", "USD")] {
        if let Some(rest) = s.strip_prefix(p)
            && rest.starts_with(|c: char| c.is_ascii_digit())
        {
            (s, cur) = (rest, Some(c));
        }
    }
    let plus = s.ends_with('+');
    let s = s.trim_end_matches('+');
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let raw = parse_digits(num)?;
    let (mult, suffix_cur) = match suffix {
        "" | "ish" => (1.0, None),
        "rs" | "inr" | "rupees" => (1.0, Some("INR")),
        "usd" => (1.0, Some("USD")),
        "k" => (1e3, None),
        "krs" => (1e3, Some("INR")),
        "lakh" | "lac" | "lakhs" => (1e5, None),
        _ => return None,
    };
    Some((raw, mult, cur.or(suffix_cur), plus))
}

/// A number written as a word, and whether it is English ("fifty"). Hindi numbers
/// ("do", "teen") are everyday words too, so they count only before a multiplier.
pub(super) fn word_number(s: &str) -> Option<(f64, bool)> {
    const EN: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    const HI: [(&str, f64); 16] = [
        ("ek", 1.0),
        ("do", 2.0),
        ("teen", 3.0),
        ("char", 4.0),
        ("chaar", 4.0),
        ("paanch", 5.0),
        ("panch", 5.0),
        ("chhe", 6.0),
        ("saat", 7.0),
        ("aath", 8.0),
        ("nau", 9.0),
        ("das", 10.0),
        ("bees", 20.0),
        ("pachas", 50.0),
        ("pachaas", 50.0),
        ("dedh", 1.5),
    ];
    if let Some(i) = EN.iter().position(|&x| x == s) {
        return Some((i as f64, true));
    }
    if let Some(i) = TENS.iter().position(|&x| x == s) {
        return Some((20.0 + 10.0 * i as f64, true));
    }
    if s == "hundred" {
        return Some((100.0, true));
    }
    HI.iter().find(|(x, _)| *x == s).map(|&(_, v)| (v, false))
}

words! {
    /// After a number, these make it a quantity, not a price: "65 inch", "2 pack".
    UNITS = "\" gb tb mb kb gbps mbps mah ah wh w watt watts kw v volt volts hz khz mhz ghz \
        inch inches cm mm m meter meters metre metres ft feet foot km kg g gm gms gram \
        grams ml l ltr ltrs litre litres liter liters lbs lb oz ton tons tonne hp rpm \
        mp megapixel px p dpi pcs pc piece pieces pack packs set sets pair pairs port \
        ports pin pins slot slots x core cores year years yr yrs month months day days \
        din hour hours hr hrs ghante ghanta minute minutes mins sec seconds star stars \
        rating ratings reviews review people persons person log seater burner burners \
        jar jars speed speeds gen generation series ohm db bit bits channel ch bhk sq \
        saal mahine mahina baar times th nd rd st percent";
    /// Before an amount, these belong to the budget phrase: "my budget is", "priced at".
    BUDGET_LEAD = "price prices priced cost costs costing budget range my is of at in the a with \
        for keemat kimat daam rate mera meri total around";
    /// After an amount: "500 only", "2000 tak ka".
    BUDGET_TAIL = "only hai h tak ka ki ke wala wali wale";
}

// ---------------------------------------------------------------- brands and attributes

words! {
    /// Words before "for" that make it no purpose of a product: "looking for", "value for money".
    OPEN_FOR_NOT_AFTER = "looking look searching search shopping hunting asking ask pay paying \
        paid thanks thank value waiting wait charged exchange exchanged replace replacement \
        order ordered refund sorry go went";
    /// Words before "with" that make it no feature of a product: "go with", "help me with".
    OPEN_WITH_NOT_AFTER = "go going went help me compare comparing compared done ok okay deal \
        happy satisfied wrong problem issue along";
    /// Words that end an open "for"/"with" phrase.
    OPEN_STOP = "with having for under below within upto and or but that which who to in from \
        between around at than please pls plz if so because as like also on is are do does can \
        should will would available only hai chahiye wala wali ke ka ki liye";
    /// First words that make an open phrase about the shopper or a product in view, not a
    /// feature: "for my phone", "with it", "for someone".
    OPEN_NOT_FIRST = "me my it its this that these those them him her his us our your you mine \
        myself someone somebody mera meri mere which what free now today sure same one ones \
        anything something any some money cash emi";
    /// Words of a question that ask, point or join rather than name what is asked about.
    PROPERTY_FILLER = "is are was were will would can could does do did has have had it its \
        this that these those they them one ones the a an what whats how which who why when \
        where of on in for to with and or than vs versus between among compare comparing better \
        best good right hey hi hello quick question enough please pls tell me about my i you \
        kya hai mein ka ki ke kitni kitna kitne wala wale wali much many any really very so \
        there also just both support supports come comes get gets give gives say says know ok \
        okay thanks item product model option isse usme iska iski uska uski or bhi s rating \
        ratings rated review reviews price prices cost costs discount discounts offer offers \
        deal more difference differences specs spec details detail info information features ya \
        se kaunsa konsa kaunsi konsi lu lun loon cheaper pricier costlier colour colours color \
        colors box inside side work works think worth buy choose pick suggest what's how's it's \
        that's by can i'm should available put";
    /// Words that make a question one about the order (delivery, payment), not the product.
    ORDER_WORDS = "delivery deliver delivered shipping ship shipped dispatch cod emi payment \
        pay return refund exchange install installation";
}

/// Built-in attribute phrases: canonical spelling first, then variants, `|`-separated.
pub(super) const ATTRIBUTES: &[&str] = &[
    "wireless|wire-free|wire free",
    "wired",
    "bluetooth",
    "wifi|wi-fi|wi fi",
    "type-c|type c|typec|usb-c|usb c|usbc|usb type-c|usb type c|c type|c-type",
    "lightning|lightening",
    "micro usb|micro-usb|microusb",
    "otg",
    "hdmi",
    "aux|3.5mm|3.5 mm|3.5mm jack",
    "noise cancelling|noise canceling|noise-cancelling|noise cancellation|noise cancelation|anc|active noise cancellation|active noise cancelling|noise reduction|enc",
    "with mic|with microphone|built-in mic|inbuilt mic|in-built mic|mic wala",
    "fast charging|fast charge|fast charger|quick charge|quick charging|rapid charging|turbo charging|super fast charging|power delivery",
    "wireless charging|wireless charger",
    "waterproof|water proof|water-proof",
    "water resistant|water-resistant|splash proof|splashproof|sweatproof|sweat proof|sweat resistant|ipx4|ipx5|ipx6|ipx7|ipx8|ip67|ip68",
    "dustproof|dust proof",
    "shockproof|shock proof",
    "braided|nylon braided",
    "rechargeable",
    "portable",
    "foldable|folding|collapsible",
    "ergonomic",
    "rgb|rgb lighting",
    "backlit|backlight|back lit|backlighting",
    "mechanical",
    "smart",
    "touchscreen|touch screen",
    "amoled",
    "oled",
    "led",
    "4k|uhd|ultra hd|2160p",
    "full hd|fhd|1080p",
    "hd ready|720p",
    "hdr",
    "8k",
    "ips|ips panel|ips display",
    "qled",
    "ro|reverse osmosis",
    "uv",
    "uf",
    "dual port|dual usb|two port|2 port|dual output",
    "apple certified|mfi|mfi certified",
    "tempered glass",
    "android",
    "gps",
    "heart rate|heart rate monitor|hr monitor",
    "spo2",
    "bluetooth calling|with calling|calling feature",
    "dual band",
    "5g",
    "4g",
    "dual sim",
    "long battery life|long battery|big battery|good battery|long lasting battery|battery backup",
    "lightweight|light weight|light-weight",
    "compact",
    "slim",
    "magnetic",
    "wall mount|wall mounted|wall-mounted|wall mountable",
    "adjustable",
    "auto shut-off|auto shut off|auto cut off|auto cut-off|auto off|automatic shut off",
    "automatic",
    "energy efficient|energy saving|5 star|5-star",
    "bpa free|bpa-free",
    "dishwasher safe",
    "non-stick|nonstick|non stick",
    "stainless steel",
    "glass",
    "aluminium|aluminum",
    "leather",
    "silicone|silicon",
    "metal|metallic",
    "wooden|wood",
    "cotton",
    "copper",
    "ceramic",
    "cordless",
    "inverter",
    "bldc",
    "with remote|remote control|remote controlled",
    "timer|with timer",
    "digital display|led display|digital",
    "anti-glare|anti glare|antiglare|matte",
    "high speed|high-speed",
    "usb 3.0|usb3.0",
    "silent|noiseless|silent click",
    "heavy duty|heavy-duty",
    "for travel|travel|travel friendly|travel-friendly|for travelling|for traveling|travelling",
    "for gaming|gaming",
    "for kids|kids|kid|for children|for kid|children|for baby|bachon ke liye|bacchon ke liye",
    "for office|office use|for work|for office use|office",
    "for sports|sports|for gym|gym|for workout|workout|for running|running",
    "for home|home use",
    "for students|student|students",
    "for men|men|mens|men's",
    "for women|women|womens|women's|ladies",
    "black|kala|kaala",
    "white|safed",
    "grey|gray",
    "silver",
    "gold|golden",
    "rose gold",
    "blue|neela|nila",
    "navy blue|navy",
    "red|lal|laal",
    "green|hara",
    "yellow|peela",
    "pink|gulabi",
    "purple",
    "orange",
    "brown",
    "beige",
    "maroon",
    "space grey|space gray",
    "multicolour|multicolor|multi-color|multi color|multicoloured",
];

words! {
    /// Everyday words, hinglish words and units that are also catalog brands.
    AMBIGUOUS_BRANDS = "noise white green heart pick sure instant none newly proven wings infinity \
        quantum eco cafe tom ant swiss royal american posh camel butterfly libra venus \
        aqua atom abode amazon singer lifelong offbeat pilot classmate sui shakti \
        kuber maharaja campfire solidaire longway noir activa artis rico allin hilton \
        orient luminous storio tesora candes dr mr";
    /// Short brands that customers do write in lowercase.
    KNOWN_SHORT_BRANDS = "lg hp mi vu jbl tcl ttk esr hul poco";
    /// Right after an everyday-word brand, these make it the brand: "noise ka", "sure brand".
    BRAND_NEXT = "brand company ka ki ke se";
}

// ---------------------------------------------------------------- products and references

/// Product kinds: singular[:canonical]. Plurals are derived.
pub(super) const NOUNS: &str = "\
    cable charger adapter adaptor:adapter earphone earbud bud:earbud airpod earpod headphone headset \
    neckband speaker soundbar phone smartphone mobile iphone watch smartwatch band tv television \
    remote mixer grinder mixie juicer blender iron heater geyser trimmer shaver epilator kettle \
    toaster purifier filter powerbank:power-bank tablet tab ipad laptop notebook keyboard mouse \
    mousepad:mouse-pad boiler fan router extender repeater pendrive:pen-drive ssd hdd \
    harddisk:hard-disk vacuum cleaner chopper battery camera webcam hub fryer cooker cooktop stove \
    case cover cartridge ink projector receiver tripod stick paint bag sleeve backpack gamepad \
    controller joystick pen pencil printer scanner humidifier frother spoon scale microphone mic \
    monitor lamp bulb protector guard lapdesk desk table mount holder bottle flask lunchbox tiffin \
    dock splitter converter cord wire connector plug socket grill oven microwave pan tawa kadai \
    knife sealer machine maker console stylus stand strip firestick:fire-stick chromecast chair \
    basket strap ac cooler fridge refrigerator tws:earbud buds:earbud power-bank \
    smart-watch:smartwatch pen-drive hard-disk hard-drive:hard-disk sd-card:memory-card \
    micro-sd:memory-card memory-card mouse-pad mouse-mat:mouse-pad screen-protector \
    screen-guard:screen-protector tempered-glass:screen-protector selfie-stick fire-stick \
    fire-tv-stick:fire-stick air-fryer sandwich-maker coffee-maker waffle-maker egg-boiler \
    sewing-machine coffee-machine washing-machine hand-blender hand-mixer mixer-grinder \
    water-purifier air-purifier water-heater room-heater immersion-rod lint-remover rice-cooker \
    vacuum-cleaner hair-dryer extension-board ring-light";

static NOUN_TABLE: LazyLock<Phrases<String>> = LazyLock::new(|| {
    let mut table = Phrases::default();
    for entry in NOUNS.split_whitespace() {
        let (surface, canon) = entry.split_once(':').unwrap_or((entry, entry));
        let mut words: Vec<String> = surface.split('-').map(str::to_string).collect();
        let Some(last) = words.pop() else { continue };
        let plural = crate::catalog::present::plural(&last);
        let irregular = (last == "mouse").then(|| "mice".to_string());
        for form in [Some(last.clone()), Some(plural), irregular]
            .into_iter()
            .flatten()
        {
            table.add(
                [words.clone(), vec![form]].concat(),
                canon.replace('-', " "),
            );
        }
    }
    table
});

/// The product kind named at word `i`, as (canonical singular, end).
pub(super) fn noun_at(w: &[Word], i: usize) -> Option<(String, usize)> {
    NOUN_TABLE.at(w, i).next().map(|(c, e)| (c.clone(), e))
}

/// Consecutive nouns ("phone case", "laptop stand") as one kind, at most three.
pub(super) fn noun_run(w: &[Word], i: usize) -> Option<(String, usize)> {
    let (mut name, mut end) = noun_at(w, i)?;
    for _ in 0..2 {
        match noun_at(w, end) {
            Some((n, e)) => {
                name = format!("{name} {n}");
                end = e;
            }
            None => break,
        }
    }
    Some((name, end))
}

/// An ordinal word and whether it is a reference on its own (digit and Hindi forms
/// are; "first"/"last" need context: "first time", "will it last").
pub(super) fn ordinal(s: &str) -> Option<(i32, bool)> {
    let (n, always) = match s {
        "first" | "firstt" => (1, false),
        "1st" | "pehla" | "pehli" | "pahla" | "pahli" | "phela" | "pehela" => (1, true),
        "pehle" | "pahle" => (1, false),
        "second" | "secnd" | "seccond" => (2, false),
        "2nd" | "doosra" | "dusra" | "doosri" | "dusri" | "doosre" | "dusre" | "dusara" => {
            (2, true)
        }
        "third" | "thrid" => (3, false),
        "3rd" | "teesra" | "tisra" | "teesri" | "tisri" | "teesre" | "tisre" => (3, true),
        "fourth" | "forth" => (4, false),
        "4th" | "chautha" | "chotha" | "chauthi" | "chauthe" => (4, true),
        "fifth" => (5, false),
        "5th" | "paanchva" | "panchva" | "paanchwa" | "panchwa" | "paanchvi" => (5, true),
        "sixth" => (6, false),
        "seventh" => (7, false),
        "eighth" => (8, false),
        "ninth" => (9, false),
        "tenth" => (10, false),
        "6th" => (6, true),
        "7th" => (7, true),
        "8th" => (8, true),
        "9th" => (9, true),
        "10th" => (10, true),
        "last" | "lastt" => (-1, false),
        "aakhri" | "akhri" | "aakhiri" | "akhiri" => (-1, true),
        _ => return None,
    };
    Some((n, always))
}

/// A small count: "two", "3", "teen".
pub(super) fn cardinal(s: &str) -> Option<i32> {
    match s {
        "one" | "ek" => Some(1),
        "two" | "do" => Some(2),
        "three" | "teen" => Some(3),
        "four" | "char" | "chaar" => Some(4),
        "five" | "paanch" => Some(5),
        _ => s.parse::<i32>().ok().filter(|n| (1..=20).contains(n)),
    }
}

words! {
    /// Product kinds that are also parts of another product ("how long does the battery last?").
    PARTS = "battery mic remote strap band";
    /// Before a part noun, the part belongs to the product discussed: "the battery".
    PART_OWNER = "the its it's their iski iska uski uska";
    /// Words that point at a product without naming its kind.
    GENERIC = "product products item items model models option options thing things piece \
        device gadget one ones stuff variant listing link";
    /// After an ordinal, these belong to the reference: "the second one", "pehla wala".
    REF_NEXT = "one ones wala wali wale waala vala vali option options item items product \
        products result results choice pick link model variant suggestion \
        recommendation listing";
    /// After an ordinal, these make it not a reference: "first time", "second hand".
    ORD_BLOCK_NEXT = "time times hand class aid of all month months year years week weeks day days \
        night place half impression floor party person copy baar bar din saal gen \
        generation edition step priority love thing name minute chance attempt order \
        purchase try round stage page";
    /// Before an ordinal, these make it not a reference: "at first", "my first phone".
    ORD_BLOCK_PREV = "at my our his her every each for";
    /// Before an ordinal, these make it a reference: "the first", "compare first".
    ORD_OK_PREV = "the ye yeh wo woh that this your ur compare and or vs versus between with add \
        buy take about want like prefer choose pick select order get";
    /// "first or the second", "pehle aur dusre".
    ORD_JOIN = "or and vs versus aur ya";
    /// "number 2", "option 3", "#2".
    NUMBER_WORDS = "number no num option opt item choice product result #";
    /// Determiners that belong to the reference that follows them.
    LEAD_DET = "the ye yeh wo woh your";
    /// Determiners that can open a named reference: "that cable", "ye cable".
    DET = "that this those these the ye yeh woh wo vo";
    /// Words that end the search for a noun after a determiner ("that is", "this for").
    MOD_STOP = "is are was were be been you u i me my it its they them we and or but to for \
        with of in on at by from not no do does did can could will would should has \
        have had this that these those the a an what which who how why when where \
        there here very so too also just only then than if as please pls one wala";
    /// "this one", "ye wala".
    DEMONSTRATIVE = "this that ye yeh wo woh vo yehi yahi wahi whi yhi";
    ONE_WORDS = "one wala wali wale vala vali waala";
    /// Hinglish pronouns that always point at a product: "isko", "uska".
    HINDI_PRONOUN = "isko iska iski iske isme ismein ismai usko uska uski uske usme usmein inko \
        unko inka unka isse usse";
    /// Before "that", these make it a pronoun rather than a conjunction: "add that".
    PRONOUN_OK_PREV = "add buy take get order want like love prefer compare about with is does do of \
        for check keep choose pick select put remove purchase how's hows isn't was \
        buying ordering and vs or than";
    /// After "this"/"that", these make it a time or amount: "this week", "that much".
    DEMO_BLOCK_NEXT = "week time year month much many way kind type day morning evening weekend side \
        all is's that's";
    /// "it" idioms: "got it", "forget it", "it's raining".
    IDIOM_PREV = "got forget that's thats leave never";
    IDIOM_NEXT = "raining rains snowing sunny cloudy hot cold true possible me just going";
    NEGATION = "don't dont not didn't didnt doesn't no never";
    HINDI_NOT = "nahi nahin nhi nai";
}

words! {
    /// "replace it", "replacement chahiye": a support request rather than a product.
    REPLACE_OBJECT = "it this that my order product item karo kar chahiye";
    /// A message that is only one of these declines.
    NO_WORDS = "no nope nah nahi nahin nhi na";
}

// ---------------------------------------------------------------- directions and relax

pats!(
    /// "The cheapest", "sabse sasta": a superlative on price, low end.
    PRICE_LEAST,
    "~cheapest|cheepest|chepest|lowest-priced",
    "lowest|least price*|priced|cost|costing|~expensive|costly|pricey",
    "most ~affordable|afordable|economical",
    "sabse|sab ?se sasta|sasti|saste|kam",
);
pats!(
    /// "Cheaper", "isse sasta": a move down in price from what was shown.
    PRICE_LESS,
    "~cheaper|cheeper|chepaer|chaper",
    "less ~expensive|costly|pricey",
    "lower price*|priced|cost",
    "more ~affordable|afordable|economical",
    "isse|usse|isme|usme|is|us ?se ?bhi ?thoda sasta|sasti|saste|kam",
    "thoda|thodi|kuch sasta|sasti|saste",
    "kam price|daam|dam|keemat|kimat|wala|wali",
);
pats!(
    /// "The most expensive", "sabse mehenga".
    PRICE_MOST,
    "most ~expensive|costly|premium",
    "priciest|costliest",
    "highest price*|priced",
    "sabse|sab ?se mehenga|mehnga|mehengi|mehngi|mehange|mehnge|costly|premium",
    "top end",
);
pats!(
    /// "Pricier", "more premium", "isse mehenga".
    PRICE_MORE,
    "pricier|costlier|premium|high-end",
    "more ~expensive|costly|premium|pricey",
    "higher end|priced",
    "high end",
    "isse|usse|is|us ?se ?bhi ?thoda mehenga|mehnga|mehengi|mehngi|costly",
    "thoda|thodi|kuch mehenga|mehnga|mehengi|mehngi",
);
pats!(
    /// "Best rated", "top rated", "sabse achha".
    RATING_MOST,
    "best|top|highest ~rated|reviewed|rating|ratings|ranked|reviews|review",
    "most ~popular|liked|loved",
    "sabse|sab ?se achha|accha|acha|achhi|acchi|achi|badhiya|best",
    "the best ?one|ones|option|options|wala|wali",
    "best one|ones|option|options|wala|wali",
);
pats!(
    /// "A better one", "isse achha".
    RATING_MORE,
    "better|behtar|~upgrade",
    "higher|better ~rated|reviewed",
    "something|anything|koi better|nicer",
    "isse|usse|is|us ?se ?bhi achha|accha|acha|achhi|acchi|achi|badhiya|behtar|better",
);
pats!(
    /// "The biggest", "sabse bada".
    SIZE_MOST,
    "biggest|largest",
    "sabse|sab ?se bada|badi|bade|bara|bari",
);
pats!(
    /// "Bigger", "isse bada".
    SIZE_MORE,
    "bigger|larger",
    "more storage|capacity|space|battery|memory|power",
    "isse|usse|is|us ?se ?bhi bada|badi|bade|bara|bari",
    "thoda|thodi|kuch bada|badi|bade|bara|bari",
    "bada|badi|bade wala|wali|wale",
);
pats!(
    /// "The smallest".
    SIZE_LEAST,
    "smallest|tiniest",
    "most compact",
    "sabse|sab ?se chhota|chota|chhoti|choti",
);
pats!(
    /// "Smaller", "more compact".
    SIZE_LESS,
    "smaller|compact|tinier",
    "more compact|portable",
    "isse|usse|is|us ?se ?bhi chhota|chota|chhoti|choti",
    "thoda|thodi|kuch chhota|chota|chhoti|choti",
    "chhota|chota|chhoti|choti wala|wali|wale",
);
pats!(
    /// Lifting the brand: "any brand", "koi bhi brand chalega".
    RELAX_BRAND,
    "any|other|all|different ?other brand|brands|company|companies",
    "koi ?bhi brand|company",
    "brand|company doesn't|dont|does|don't|not ?not matter*",
    "brand|company koi ?bhi ?chalega|chalegi",
    "don't|dont|do not ?really care ?about ?the|which brand|company",
    "forget|drop|remove|ignore|skip ?the ~brand|company",
    "not just|only ..2",
);
pats!(
    /// Lifting the budget: "forget the budget", "price doesn't matter".
    RELAX_BUDGET,
    "forget|drop|remove|ignore|skip|increase|raise|no|without ?the|my|a budget|price ?limit|range|filter",
    "any|koi ?bhi budget|price",
    "budget|price doesn't|dont|does|don't|not ?not matter*",
    "budget|price is|isn't|not ?no|not ?an|a issue|problem|concern|constraint",
    "budget|price bhool|bhul|bhulo ?jao|ja|do",
    "money is no object",
    "don't|dont|do not ?really care ?about ?the budget|price",
);
pats!(
    /// Lifting size wants: "any size".
    RELAX_SPECS,
    "any|koi ?bhi size|sizes|capacity|screen|length|storage|wattage",
    "size|capacity|length|storage doesn't|dont|does|don't|not ?not matter*",
    "size|capacity|length|storage koi ?bhi ?chalega|chalegi",
    "forget|ignore|drop ?the size|capacity|length|storage",
);
pats!(
    /// Lifting colour and feature wants: "any colour".
    RELAX_ATTRIBUTES,
    "any|koi ?bhi colour|color|colours|colors|rang",
    "colour|color doesn't|dont|does|don't|not ?not matter*",
);
pats!(
    /// Starting the search over.
    RELAX_ALL,
    "start over|again|afresh",
    "start from scratch",
    "reset|clear ?all|the ?filters|search|everything",
    "remove|drop all|the filters",
);
words! {
    /// Units after a number that make it a spec wanted of the product (their kind is decided
    /// by `catalog::present::quantity`).
    SPEC_UNITS = "\" inch inches cm gb tb mah w watt watts kw l ltr ltrs litre litres liter liters \
        ml m meter meters metre metres ft feet foot ton tons h hr hrs hour hours person persons \
        people seater";
}
