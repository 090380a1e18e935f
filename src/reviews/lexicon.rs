//! The sentiment lexicon and the phrase matcher shared with the aspect cues.
//!
//! Every entry is a phrase in normalised tokens (lowercase, no apostrophes: "doesnt").
//! Matching is longest-first at each position, so "not working" (an opinion) wins over
//! "not" (a negator) and "sound quality" (the sound) over "quality" (build quality).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::aspects::{Aspect, CUES};

/// An opinion word or phrase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Opinion {
    /// Strength and sign, about -1.5 to 1.5.
    pub polarity: f32,
    /// The aspect the phrase is always about ("durable", "waste of money").
    pub own: Option<Aspect>,
    /// The aspect it is about when no aspect is named next to it ("slow" alone is about
    /// performance, but "delivery was slow" is about delivery).
    pub fallback: Option<Aspect>,
    /// Polarity when it judges a price, where low is good and high is bad.
    pub price: Option<f32>,
}

/// What a lexicon phrase does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Entry {
    /// Names an aspect without judging it.
    Cue(Aspect),
    /// Judges something.
    Opinion(Opinion),
    /// Flips the next opinion within a few words.
    Negator,
    /// Scales the next opinion ("very" > 1, "a bit" < 1).
    Intensifier(f32),
    /// Consumed so that its words are not read as anything else ("not only", "looks like").
    Ignore,
}

/// A lexicon match in a clause: tokens `start..end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Item {
    pub start: usize,
    pub end: usize,
    pub entry: Entry,
}

const fn p(polarity: f32) -> Opinion {
    Opinion {
        polarity,
        own: None,
        fallback: None,
        price: None,
    }
}

const fn own(polarity: f32, aspect: Aspect) -> Opinion {
    Opinion {
        polarity,
        own: Some(aspect),
        fallback: None,
        price: None,
    }
}

const fn fb(polarity: f32, aspect: Aspect) -> Opinion {
    Opinion {
        polarity,
        own: None,
        fallback: Some(aspect),
        price: None,
    }
}

const fn price(polarity: f32, on_price: f32, fallback: Option<Aspect>) -> Opinion {
    Opinion {
        polarity,
        own: None,
        fallback,
        price: Some(on_price),
    }
}

use Aspect::*;

/// Opinion phrases. Weights: 1.5 emphatic, 1 plain, below 1 lukewarm or often ironic.
const OPINIONS: &[(&str, Opinion)] = &[
    // Emphatic praise.
    ("excellent", p(1.5)),
    ("excelent", p(1.5)),
    ("exellent", p(1.5)),
    ("awesome", p(1.5)),
    ("awsome", p(1.5)),
    ("osm", p(1.5)),
    ("amazing", p(1.5)),
    ("amezing", p(1.5)),
    ("superb", p(1.5)),
    ("fantastic", p(1.5)),
    ("outstanding", p(1.5)),
    ("brilliant", p(1.5)),
    ("perfect", p(1.5)),
    ("perfectly", p(1.2)),
    ("best", p(1.3)),
    ("love", p(1.5)),
    ("loved", p(1.5)),
    ("loving", p(1.2)),
    ("lovely", p(1.2)),
    ("wonderful", p(1.5)),
    ("fabulous", p(1.5)),
    ("terrific", p(1.5)),
    ("highly recommend", p(1.5)),
    ("highly recommended", p(1.5)),
    ("must buy", p(1.5)),
    ("must have", p(1.2)),
    ("go for it", p(1.2)),
    ("like a charm", p(1.5)),
    ("better than expected", p(1.2)),
    ("super", p(1.2)),
    ("superfast", fb(1.2, Performance)),
    ("wow", p(1.0)),
    ("❤", p(1.2)),
    ("😍", p(1.5)),
    ("👍", p(1.0)),
    ("👌", p(1.0)),
    ("😊", p(0.8)),
    ("🙂", p(0.6)),
    // Plain praise.
    ("good", p(1.0)),
    ("gud", p(1.0)),
    ("nice", p(1.0)),
    ("nyc", p(1.0)),
    ("great", p(1.2)),
    ("happy", p(1.0)),
    ("satisfied", p(1.0)),
    ("satisfide", p(1.0)),
    ("like", p(0.8)),
    ("liked", p(1.0)),
    ("likes", p(0.8)),
    ("recommend", p(1.0)),
    ("recommended", p(1.0)),
    ("recomend", p(1.0)),
    ("impressive", p(1.0)),
    ("impressed", p(1.0)),
    ("pleased", p(1.0)),
    ("useful", p(0.8)),
    ("helpful", p(0.8)),
    ("reliable", p(1.0)),
    ("cool", p(0.8)),
    ("better", p(0.6)),
    ("fine", p(0.7)),
    ("decent", p(0.6)),
    ("satisfactory", p(0.6)),
    ("fair", p(0.4)),
    ("ok", p(0.3)),
    ("okay", p(0.3)),
    ("okey", p(0.3)),
    ("okayish", p(0.1)),
    ("just ok", p(0.1)),
    ("just okay", p(0.1)),
    ("thanks", p(0.3)),
    ("thank you", p(0.3)),
    ("working", p(0.3)),
    ("works", p(0.3)),
    ("works well", p(1.0)),
    ("working well", p(1.0)),
    ("works fine", p(0.8)),
    ("working fine", p(0.8)),
    ("works good", p(0.8)),
    ("working good", p(0.8)),
    ("works great", p(1.2)),
    ("works perfectly", p(1.5)),
    ("working properly", p(0.8)),
    ("as expected", p(0.6)),
    ("as described", p(0.6)),
    ("as shown", p(0.5)),
    ("up to the mark", p(0.8)),
    ("upto the mark", p(0.8)),
    ("upto mark", p(0.8)),
    ("well", p(0.6)),
    ("enjoy", p(1.0)),
    ("enjoyed", p(1.0)),
    ("enjoying", p(1.0)),
    ("interesting", p(0.8)),
    ("informative", p(0.8)),
    ("fun", p(0.8)),
    ("favorite", p(1.2)),
    ("favourite", p(1.2)),
    ("glad", p(0.8)),
    ("sufficient", p(0.6)),
    // Praise of one aspect.
    ("value for money", own(1.2, Value)),
    ("worth", own(1.0, Value)),
    ("worth it", own(1.2, Value)),
    ("worth the money", own(1.2, Value)),
    ("worth the price", own(1.2, Value)),
    ("worth buying", own(1.2, Value)),
    ("worth every penny", own(1.5, Value)),
    ("worthy", own(1.0, Value)),
    ("affordable", own(1.0, Value)),
    ("reasonable", own(0.8, Value)),
    ("reasonably priced", own(1.0, Value)),
    ("bargain", own(1.2, Value)),
    ("good deal", own(1.2, Value)),
    ("great deal", own(1.5, Value)),
    ("cheap", price(0.0, 0.6, Some(Value))),
    ("low", price(-0.8, 0.8, None)),
    ("high", price(0.0, -0.8, None)),
    // Indian English "very less" means "too little", except of a price.
    ("less", price(-0.6, 0.6, None)),
    ("durable", own(1.0, Durability)),
    ("long lasting", own(1.2, Durability)),
    ("lasts long", own(1.2, Durability)),
    ("last long", own(1.0, Durability)),
    ("lasting", own(0.8, Durability)),
    ("lasts", own(0.6, Durability)),
    ("sturdy", own(1.0, Quality)),
    ("solid", fb(1.0, Quality)),
    ("strong", fb(0.8, Quality)),
    ("premium", own(1.0, Quality)),
    ("well built", own(1.2, Quality)),
    ("well made", own(1.2, Quality)),
    ("high quality", own(1.2, Quality)),
    ("top quality", own(1.2, Quality)),
    ("genuine", fb(0.6, Quality)),
    ("comfortable", own(1.0, Fit)),
    ("comfertable", own(1.0, Fit)),
    ("comfy", own(1.0, Fit)),
    ("fits perfectly", own(1.5, Fit)),
    ("fits well", own(1.2, Fit)),
    ("perfect fit", own(1.5, Fit)),
    ("snug", fb(0.6, Fit)),
    ("lightweight", fb(0.7, Fit)),
    ("light weight", fb(0.7, Fit)),
    ("soft", fb(0.6, Fit)),
    ("easy", fb(0.8, EaseOfUse)),
    ("easy to use", own(1.2, EaseOfUse)),
    ("easy to install", own(1.2, EaseOfUse)),
    ("easy to set up", own(1.2, EaseOfUse)),
    ("easy to setup", own(1.2, EaseOfUse)),
    ("easy to operate", own(1.2, EaseOfUse)),
    ("easy to handle", own(1.0, EaseOfUse)),
    ("user friendly", own(1.2, EaseOfUse)),
    ("simple to use", own(1.0, EaseOfUse)),
    ("plug and play", own(1.0, EaseOfUse)),
    ("convenient", fb(0.8, EaseOfUse)),
    ("handy", fb(0.8, EaseOfUse)),
    ("fast", fb(0.8, Performance)),
    ("quick", fb(0.8, Performance)),
    ("quickly", fb(0.6, Performance)),
    ("speedy", fb(0.8, Performance)),
    ("smooth", fb(0.8, Performance)),
    ("smoothly", fb(0.8, Performance)),
    ("responsive", fb(0.8, Performance)),
    ("powerful", fb(1.0, Performance)),
    ("efficient", fb(0.8, Performance)),
    ("accurate", fb(0.8, Performance)),
    ("loud", fb(0.8, Sound)),
    ("clear", fb(0.8, Sound)),
    ("crystal clear", fb(1.2, Sound)),
    ("crisp", fb(0.8, Sound)),
    ("bright", fb(0.6, Display)),
    ("vibrant", fb(0.8, Display)),
    ("sharp", fb(0.8, Display)),
    ("stylish", own(1.0, Design)),
    ("sleek", own(0.8, Design)),
    ("elegant", own(1.0, Design)),
    ("beautiful", fb(1.0, Design)),
    ("attractive", fb(1.0, Design)),
    ("looks good", fb(1.0, Design)),
    ("looks nice", fb(1.0, Design)),
    ("looks great", fb(1.2, Design)),
    ("looks premium", fb(1.2, Design)),
    ("looks beautiful", fb(1.2, Design)),
    ("good looking", fb(1.0, Design)),
    ("tasty", own(1.2, Taste)),
    ("delicious", own(1.5, Taste)),
    ("yummy", own(1.2, Taste)),
    ("fresh", fb(0.8, Taste)),
    ("on time", own(0.8, Delivery)),
    ("before time", own(1.0, Delivery)),
    ("well packed", own(1.0, Delivery)),
    ("intact", fb(0.6, Delivery)),
    // Emphatic complaints.
    ("worst", p(-1.5)),
    ("wrost", p(-1.5)),
    ("pathetic", p(-1.5)),
    ("terrible", p(-1.5)),
    ("horrible", p(-1.5)),
    ("awful", p(-1.5)),
    ("useless", p(-1.5)),
    ("rubbish", p(-1.5)),
    ("garbage", p(-1.5)),
    ("junk", p(-1.5)),
    ("disgusting", p(-1.5)),
    ("fraud", p(-1.5)),
    ("scam", p(-1.5)),
    ("cheated", p(-1.5)),
    ("dont buy", p(-1.5)),
    ("do not buy", p(-1.5)),
    ("never buy", p(-1.5)),
    ("not recommended", p(-1.2)),
    ("dont recommend", p(-1.2)),
    ("do not recommend", p(-1.2)),
    ("hate", p(-1.2)),
    ("sucks", p(-1.2)),
    ("avoid", p(-1.2)),
    ("regret", p(-1.2)),
    ("beware", p(-1.0)),
    ("waste", p(-1.2)),
    ("waste of money", own(-1.5, Value)),
    ("👎", p(-1.0)),
    ("😡", p(-1.2)),
    ("😠", p(-1.2)),
    ("😞", p(-0.8)),
    ("😔", p(-0.8)),
    // Plain complaints.
    ("bad", p(-1.0)),
    ("poor", p(-1.0)),
    ("poorly", p(-1.0)),
    ("disappointed", p(-1.0)),
    ("disappointing", p(-1.0)),
    ("disappointment", p(-1.0)),
    ("dissapointed", p(-1.0)),
    ("dissappointed", p(-1.0)),
    ("disapointed", p(-1.0)),
    ("unhappy", p(-1.0)),
    ("unsatisfied", p(-1.0)),
    ("dissatisfied", p(-1.0)),
    ("defective", p(-1.2)),
    ("faulty", p(-1.2)),
    ("defect", p(-1.0)),
    ("issue", p(-0.8)),
    ("issues", p(-0.8)),
    ("problem", p(-0.8)),
    ("problems", p(-0.8)),
    ("complaint", p(-0.8)),
    ("complaints", p(-0.8)),
    ("complain", p(-0.8)),
    ("complains", p(-0.8)),
    ("annoying", p(-0.8)),
    ("irritating", p(-0.8)),
    ("frustrating", p(-1.0)),
    ("mediocre", p(-0.5)),
    ("average", p(-0.3)),
    ("below average", p(-1.0)),
    ("could be better", p(-0.5)),
    ("expected more", p(-0.6)),
    ("not as expected", p(-0.8)),
    ("not up to the mark", p(-1.0)),
    ("worse", p(-1.0)),
    ("weak", p(-0.8)),
    ("boring", p(-1.0)),
    ("dull", p(-0.8)),
    ("unfortunately", p(-0.5)),
    ("sadly", p(-0.5)),
    ("never received", own(-1.2, Delivery)),
    ("not received", own(-1.2, Delivery)),
    ("never arrived", own(-1.2, Delivery)),
    ("insufficient", p(-0.8)),
    ("lost", p(-0.5)),
    ("not sure", p(-0.3)),
    ("returned", p(-0.8)),
    ("returned it", p(-1.0)),
    ("had to return", p(-1.0)),
    ("mistake", p(-0.8)),
    ("not working", p(-1.2)),
    ("not work", p(-1.2)),
    ("doesnt work", p(-1.2)),
    ("does not work", p(-1.2)),
    ("didnt work", p(-1.2)),
    ("did not work", p(-1.2)),
    ("dont work", p(-1.2)),
    ("not turning on", p(-1.2)),
    ("dead on arrival", p(-1.5)),
    // Complaints about one aspect.
    ("stopped working", own(-1.5, Durability)),
    ("stop working", own(-1.5, Durability)),
    ("stops working", own(-1.5, Durability)),
    ("stoped working", own(-1.5, Durability)),
    ("doesnt last", own(-1.2, Durability)),
    ("does not last", own(-1.2, Durability)),
    ("didnt last", own(-1.2, Durability)),
    ("wore out", own(-1.2, Durability)),
    ("worn out", own(-1.2, Durability)),
    ("broke", fb(-1.2, Durability)),
    ("broken", fb(-1.2, Durability)),
    ("broke down", fb(-1.2, Durability)),
    ("died", fb(-1.2, Durability)),
    ("dead", fb(-1.0, Durability)),
    ("torn", fb(-1.0, Durability)),
    ("rust", fb(-1.0, Durability)),
    ("rusted", fb(-1.0, Durability)),
    ("flimsy", own(-1.0, Quality)),
    ("fragile", fb(-0.8, Quality)),
    ("looks cheap", own(-1.0, Quality)),
    ("cheap quality", own(-1.2, Quality)),
    ("cheap plastic", own(-1.0, Quality)),
    ("low quality", own(-1.2, Quality)),
    ("fake", fb(-1.2, Quality)),
    ("duplicate", fb(-1.0, Quality)),
    ("leak", fb(-1.0, Quality)),
    ("leaks", fb(-1.0, Quality)),
    ("leaking", fb(-1.0, Quality)),
    ("leakage", fb(-1.0, Quality)),
    ("crack", fb(-1.0, Quality)),
    ("cracked", fb(-1.0, Quality)),
    ("scratches", fb(-0.6, Quality)),
    ("rattling", fb(-0.8, Quality)),
    ("wobbly", fb(-0.6, Quality)),
    ("overpriced", own(-1.0, Value)),
    ("over priced", own(-1.0, Value)),
    ("costly", own(-0.8, Value)),
    ("expensive", own(-0.8, Value)),
    ("pricey", own(-0.6, Value)),
    ("slow", fb(-0.8, Performance)),
    ("slowly", fb(-0.6, Performance)),
    ("lag", fb(-0.8, Performance)),
    ("lags", fb(-0.8, Performance)),
    ("lagging", fb(-0.8, Performance)),
    ("laggy", fb(-0.8, Performance)),
    ("hang", fb(-0.8, Performance)),
    ("hangs", fb(-1.0, Performance)),
    ("hanging", fb(-0.8, Performance)),
    ("freezes", fb(-1.0, Performance)),
    ("stuck", fb(-0.8, Performance)),
    ("crash", fb(-1.0, Performance)),
    ("crashes", fb(-1.0, Performance)),
    ("buggy", fb(-0.8, Performance)),
    ("bugs", fb(-0.8, Performance)),
    ("heats", fb(-0.6, Performance)),
    ("heats up", fb(-0.8, Performance)),
    ("heating issue", own(-1.0, Performance)),
    ("overheating", fb(-1.0, Performance)),
    ("inaccurate", fb(-0.8, Performance)),
    ("noisy", fb(-0.8, Sound)),
    ("makes noise", fb(-0.8, Sound)),
    ("distorted", fb(-0.8, Sound)),
    ("muffled", fb(-0.8, Sound)),
    ("too loud", own(-0.8, Sound)),
    ("dim", fb(-0.6, Display)),
    ("pixelated", fb(-0.8, Display)),
    ("blurry", fb(-0.8, Camera)),
    ("uncomfortable", own(-1.0, Fit)),
    // A "tight budget" is no complaint about fit.
    ("tight", price(-0.5, 0.0, Some(Fit))),
    ("too tight", own(-1.0, Fit)),
    ("loose", fb(-0.6, Fit)),
    ("too loose", own(-1.0, Fit)),
    ("too small", own(-1.0, Fit)),
    ("too big", own(-1.0, Fit)),
    ("too short", own(-0.8, Fit)),
    ("too heavy", own(-0.8, Fit)),
    ("bulky", fb(-0.6, Fit)),
    ("hurts", fb(-0.8, Fit)),
    ("difficult", fb(-0.8, EaseOfUse)),
    ("complicated", fb(-0.8, EaseOfUse)),
    ("confusing", fb(-0.8, EaseOfUse)),
    ("hard to use", own(-1.0, EaseOfUse)),
    ("difficult to use", own(-1.0, EaseOfUse)),
    ("late", fb(-0.8, Delivery)),
    ("delayed", fb(-0.8, Delivery)),
    ("delay", fb(-0.8, Delivery)),
    ("missing", fb(-0.8, Delivery)),
    ("damaged", fb(-1.0, Delivery)),
    ("drains", own(-1.0, Battery)),
    ("drains fast", own(-1.2, Battery)),
    ("drains quickly", own(-1.2, Battery)),
    ("battery drain", own(-1.0, Battery)),
    ("not charging", own(-1.2, Charging)),
    ("disconnects", own(-1.0, Connectivity)),
    ("disconnecting", own(-1.0, Connectivity)),
    ("disconnected", own(-0.8, Connectivity)),
    ("disconnection", own(-0.8, Connectivity)),
    ("not connecting", own(-1.2, Connectivity)),
    ("drops", fb(-0.6, Connectivity)),
    ("stale", own(-1.0, Taste)),
    ("tasteless", own(-1.0, Taste)),
    ("bitter", fb(-0.8, Taste)),
    ("smelly", fb(-0.8, Taste)),
    ("rude", fb(-1.0, Service)),
    ("no response", own(-1.0, Service)),
];

/// Words that flip the next opinion within [`NEGATION_SCOPE`] tokens.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont",
    "cant", "cannot", "couldnt", "shouldnt", "wouldnt", "havent", "hasnt", "aint", "hardly",
    "barely", "nothing", "none", "neither", "nor", "without", "nahi",
];

/// How many tokens after a negator an opinion may start and still be negated:
/// "not at all value for money", "never had any issue", "did not face any problem".
pub(crate) const NEGATION_SCOPE: usize = 3;

const INTENSIFIERS: &[(&str, f32)] = &[
    ("very", 1.5),
    ("really", 1.3),
    ("so", 1.3),
    ("extremely", 1.6),
    ("highly", 1.5),
    ("absolutely", 1.5),
    ("totally", 1.4),
    ("completely", 1.4),
    ("too", 1.3),
    ("much", 1.3),
    ("quite", 1.1),
    ("pretty", 1.1),
    ("no doubt", 1.2),
    ("little", 0.6),
    ("a little", 0.6),
    ("bit", 0.6),
    ("a bit", 0.6),
    ("slightly", 0.6),
    ("somewhat", 0.6),
    ("kinda", 0.6),
    ("fairly", 0.8),
];

const IGNORED: &[&str] = &[
    "not only",
    "no need",
    "no one",
    "no matter",
    "nothing else",
    "looks like",
    "look like",
    "feels like",
    "feel like",
    "seems like",
    "just like",
    "like a",
    "like an",
    "set top box",
    "so far",
    "so that",
    "as well",
    "more or less",
];

type Table = HashMap<&'static str, Vec<(Vec<&'static str>, Entry)>>;

static TABLE: LazyLock<Table> = LazyLock::new(build);

/// Every phrase with its entry, in priority order: on a duplicate phrase the first wins.
pub(crate) fn phrases() -> impl Iterator<Item = (&'static str, Entry)> {
    let opinions = OPINIONS.iter().map(|&(w, o)| (w, Entry::Opinion(o)));
    let cues = CUES.iter().map(|&(w, a)| (w, Entry::Cue(a)));
    let negators = NEGATORS.iter().map(|&w| (w, Entry::Negator));
    let intensifiers = INTENSIFIERS
        .iter()
        .map(|&(w, m)| (w, Entry::Intensifier(m)));
    let ignored = IGNORED.iter().map(|&w| (w, Entry::Ignore));
    opinions
        .chain(cues)
        .chain(negators)
        .chain(intensifiers)
        .chain(ignored)
}

fn build() -> Table {
    let mut table: Table = HashMap::new();
    for (phrase, entry) in phrases() {
        let words: Vec<&'static str> = phrase.split_whitespace().collect();
        let Some((first, rest)) = words.split_first() else {
            continue;
        };
        let bucket = table.entry(first).or_default();
        if !bucket.iter().any(|(r, _)| r.as_slice() == rest) {
            bucket.push((rest.to_vec(), entry));
        }
    }
    for bucket in table.values_mut() {
        // Longest first; the sort is stable so equal lengths keep table order.
        bucket.sort_by_key(|(rest, _)| std::cmp::Reverse(rest.len()));
    }
    table
}

/// Finds lexicon phrases in `tokens`, longest match first, left to right, without overlaps.
pub(crate) fn scan(tokens: &[String]) -> Vec<Item> {
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        let found = TABLE.get(token.as_str()).and_then(|bucket| {
            bucket.iter().find(|(rest, _)| {
                let tail = tokens.get(i + 1..i + 1 + rest.len());
                tail.is_some_and(|tail| tail.iter().zip(rest).all(|(t, r)| t == r))
            })
        });
        match found {
            Some((rest, entry)) => {
                let end = i + 1 + rest.len();
                if !matches!(entry, Entry::Ignore) {
                    items.push(Item {
                        start: i,
                        end,
                        entry: *entry,
                    });
                }
                i = end;
            }
            None => i += 1,
        }
    }
    items
}

/// Linking words between an aspect and a following opinion: "the sound *is* good".
pub(crate) fn is_copula(token: &str) -> bool {
    matches!(
        token,
        "is" | "was"
            | "are"
            | "were"
            | "be"
            | "been"
            | "being"
            | "seems"
            | "seem"
            | "seemed"
            | "looks"
            | "look"
            | "looked"
            | "feels"
            | "feel"
            | "felt"
            | "sounds"
            | "becomes"
            | "became"
            | "gets"
            | "got"
            | "getting"
            | "remains"
            | "its"
            | "s"
    )
}

/// Words that join aspect names into one subject: "camera *and* display", "quality *of the*
/// batteries".
pub(crate) fn is_chain(token: &str) -> bool {
    matches!(
        token,
        "and" | "or" | "of" | "the" | "this" | "these" | "its" | "my" | "a" | "an" | "their"
    )
}
