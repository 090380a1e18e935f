//! The fixed set of product aspects, the words that name them, and how customer questions map
//! onto them.
//!
//! The cue lists are deliberately general (electronics, home goods, clothes, sports gear,
//! groceries) so that another shop's catalog gets useful aspects without retuning.

use super::lexicon::{self, Entry};
use super::text;

/// One aspect reviews talk about. Identifiers are stable: they are stored in analysis files and
/// matched by callers, so never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Aspect {
    Quality,
    Durability,
    Battery,
    Charging,
    Sound,
    Display,
    Camera,
    Design,
    Fit,
    Value,
    Delivery,
    Performance,
    EaseOfUse,
    Connectivity,
    Taste,
    Service,
}

/// Every aspect, in the order used to break ties.
pub(crate) const ALL: [Aspect; 16] = [
    Aspect::Quality,
    Aspect::Durability,
    Aspect::Battery,
    Aspect::Charging,
    Aspect::Sound,
    Aspect::Display,
    Aspect::Camera,
    Aspect::Design,
    Aspect::Fit,
    Aspect::Value,
    Aspect::Delivery,
    Aspect::Performance,
    Aspect::EaseOfUse,
    Aspect::Connectivity,
    Aspect::Taste,
    Aspect::Service,
];

impl Aspect {
    /// Stable lowercase identifier.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Aspect::Quality => "quality",
            Aspect::Durability => "durability",
            Aspect::Battery => "battery",
            Aspect::Charging => "charging",
            Aspect::Sound => "sound",
            Aspect::Display => "display",
            Aspect::Camera => "camera",
            Aspect::Design => "design",
            Aspect::Fit => "fit",
            Aspect::Value => "value",
            Aspect::Delivery => "delivery",
            Aspect::Performance => "performance",
            Aspect::EaseOfUse => "ease_of_use",
            Aspect::Connectivity => "connectivity",
            Aspect::Taste => "taste",
            Aspect::Service => "service",
        }
    }

    /// How the aspect reads inside an English sentence ("problems with ..."), article
    /// included where English wants one.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Aspect::Quality => "build quality",
            Aspect::Durability => "durability",
            Aspect::Battery => "battery life",
            Aspect::Charging => "charging",
            Aspect::Sound => "the sound",
            Aspect::Display => "the display",
            Aspect::Camera => "the camera",
            Aspect::Design => "the look and design",
            Aspect::Fit => "fit and comfort",
            Aspect::Value => "value for money",
            Aspect::Delivery => "delivery and packaging",
            Aspect::Performance => "performance",
            Aspect::EaseOfUse => "ease of use",
            Aspect::Connectivity => "connectivity",
            Aspect::Taste => "taste and smell",
            Aspect::Service => "customer service",
        }
    }

    /// The aspect with this identifier.
    pub(crate) fn from_id(id: &str) -> Option<Aspect> {
        ALL.into_iter().find(|a| a.id() == id)
    }
}

/// Words and phrases that name an aspect without judging it. Tokens are lowercase with
/// apostrophes removed and hyphens split, as [`text::clauses`] makes them. Common Indian
/// English misspellings are listed because they are frequent in real reviews.
pub(crate) const CUES: &[(&str, Aspect)] = &[
    // Build quality and materials.
    ("quality", Aspect::Quality),
    ("quailty", Aspect::Quality),
    ("qualty", Aspect::Quality),
    ("quility", Aspect::Quality),
    ("build", Aspect::Quality),
    ("build quality", Aspect::Quality),
    ("built", Aspect::Quality),
    ("material", Aspect::Quality),
    ("materials", Aspect::Quality),
    ("plastic", Aspect::Quality),
    ("metal", Aspect::Quality),
    ("body", Aspect::Quality),
    ("fabric", Aspect::Quality),
    ("cloth", Aspect::Quality),
    ("stitching", Aspect::Quality),
    ("finish", Aspect::Quality),
    ("finishing", Aspect::Quality),
    ("construction", Aspect::Quality),
    ("product quality", Aspect::Quality),
    ("print quality", Aspect::Quality),
    // Durability.
    ("durability", Aspect::Durability),
    ("durabilty", Aspect::Durability),
    ("duribility", Aspect::Durability),
    ("durablity", Aspect::Durability),
    ("life span", Aspect::Durability),
    ("lifespan", Aspect::Durability),
    ("longevity", Aspect::Durability),
    ("wear and tear", Aspect::Durability),
    ("after a few days", Aspect::Durability),
    ("after few days", Aspect::Durability),
    ("within a week", Aspect::Durability),
    ("within a month", Aspect::Durability),
    ("within a few days", Aspect::Durability),
    ("within few days", Aspect::Durability),
    // Battery.
    ("battery", Aspect::Battery),
    ("batteries", Aspect::Battery),
    ("batery", Aspect::Battery),
    ("bettery", Aspect::Battery),
    ("battry", Aspect::Battery),
    ("battery life", Aspect::Battery),
    ("battery backup", Aspect::Battery),
    ("backup", Aspect::Battery),
    ("power backup", Aspect::Battery),
    ("power bank", Aspect::Battery),
    ("mah", Aspect::Battery),
    ("🔋", Aspect::Battery),
    // Charging.
    ("charging", Aspect::Charging),
    ("charge", Aspect::Charging),
    ("charges", Aspect::Charging),
    ("charger", Aspect::Charging),
    ("charging speed", Aspect::Charging),
    ("adapter", Aspect::Charging),
    ("adaptor", Aspect::Charging),
    // Sound.
    ("sound", Aspect::Sound),
    ("sound quality", Aspect::Sound),
    ("audio", Aspect::Sound),
    ("audio quality", Aspect::Sound),
    ("bass", Aspect::Sound),
    ("treble", Aspect::Sound),
    ("volume", Aspect::Sound),
    ("speaker", Aspect::Sound),
    ("speakers", Aspect::Sound),
    ("vocals", Aspect::Sound),
    ("mic", Aspect::Sound),
    ("microphone", Aspect::Sound),
    ("call quality", Aspect::Sound),
    ("calling", Aspect::Sound),
    ("noise cancellation", Aspect::Sound),
    ("anc", Aspect::Sound),
    // Display and picture.
    ("display", Aspect::Display),
    ("display quality", Aspect::Display),
    ("screen", Aspect::Display),
    ("touch screen", Aspect::Display),
    ("touchscreen", Aspect::Display),
    ("picture", Aspect::Display),
    ("picture quality", Aspect::Display),
    ("resolution", Aspect::Display),
    ("brightness", Aspect::Display),
    ("panel", Aspect::Display),
    ("viewing angle", Aspect::Display),
    ("viewing angles", Aspect::Display),
    // Camera.
    ("camera", Aspect::Camera),
    ("camera quality", Aspect::Camera),
    ("cameras", Aspect::Camera),
    ("photo", Aspect::Camera),
    ("photos", Aspect::Camera),
    ("selfie", Aspect::Camera),
    ("lens", Aspect::Camera),
    ("video quality", Aspect::Camera),
    // Look and design.
    ("design", Aspect::Design),
    ("colour", Aspect::Design),
    ("color", Aspect::Design),
    ("colours", Aspect::Design),
    ("colors", Aspect::Design),
    ("style", Aspect::Design),
    ("appearance", Aspect::Design),
    ("look and feel", Aspect::Design),
    ("looks wise", Aspect::Design),
    // Fit, size and comfort.
    ("fit", Aspect::Fit),
    ("fits", Aspect::Fit),
    ("fitting", Aspect::Fit),
    ("size", Aspect::Fit),
    ("sizes", Aspect::Fit),
    ("sizing", Aspect::Fit),
    ("comfort", Aspect::Fit),
    ("grip", Aspect::Fit),
    ("weight", Aspect::Fit),
    ("length", Aspect::Fit),
    ("wire length", Aspect::Fit),
    ("cable length", Aspect::Fit),
    ("cushion", Aspect::Fit),
    ("ear tips", Aspect::Fit),
    ("strap", Aspect::Fit),
    // Value and price.
    ("price", Aspect::Value),
    ("pricing", Aspect::Value),
    ("cost", Aspect::Value),
    ("money", Aspect::Value),
    ("value", Aspect::Value),
    ("budget", Aspect::Value),
    ("price range", Aspect::Value),
    ("price point", Aspect::Value),
    ("in this range", Aspect::Value),
    ("at this range", Aspect::Value),
    ("in this price range", Aspect::Value),
    ("for the price", Aspect::Value),
    ("for this price", Aspect::Value),
    ("at this price", Aspect::Value),
    ("in this price", Aspect::Value),
    ("for price", Aspect::Value),
    ("at the price", Aspect::Value),
    ("in this budget", Aspect::Value),
    ("in the budget", Aspect::Value),
    ("for the money", Aspect::Value),
    ("mrp", Aspect::Value),
    ("rs", Aspect::Value),
    ("₹", Aspect::Value),
    // Delivery and packaging.
    ("delivery", Aspect::Delivery),
    ("dilivery", Aspect::Delivery),
    ("delievery", Aspect::Delivery),
    ("delivered", Aspect::Delivery),
    ("shipping", Aspect::Delivery),
    ("packaging", Aspect::Delivery),
    ("packing", Aspect::Delivery),
    ("pakaging", Aspect::Delivery),
    ("package", Aspect::Delivery),
    ("packed", Aspect::Delivery),
    ("box", Aspect::Delivery),
    ("courier", Aspect::Delivery),
    ("arrived", Aspect::Delivery),
    ("seller", Aspect::Delivery),
    // Performance and speed.
    ("performance", Aspect::Performance),
    ("performence", Aspect::Performance),
    ("perfomance", Aspect::Performance),
    ("speed", Aspect::Performance),
    ("speeds", Aspect::Performance),
    ("processor", Aspect::Performance),
    ("power", Aspect::Performance),
    ("suction", Aspect::Performance),
    ("cooling", Aspect::Performance),
    ("heating", Aspect::Performance),
    ("data transfer", Aspect::Performance),
    ("transfer speed", Aspect::Performance),
    ("write speed", Aspect::Performance),
    ("read speed", Aspect::Performance),
    ("write speeds", Aspect::Performance),
    ("gaming", Aspect::Performance),
    ("startup time", Aspect::Performance),
    ("boot time", Aspect::Performance),
    ("efficiency", Aspect::Performance),
    ("accuracy", Aspect::Performance),
    // Ease of use and setup.
    ("setup", Aspect::EaseOfUse),
    ("set up", Aspect::EaseOfUse),
    ("installation", Aspect::EaseOfUse),
    ("install", Aspect::EaseOfUse),
    ("instructions", Aspect::EaseOfUse),
    ("manual", Aspect::EaseOfUse),
    ("user manual", Aspect::EaseOfUse),
    ("app", Aspect::EaseOfUse),
    ("interface", Aspect::EaseOfUse),
    ("controls", Aspect::EaseOfUse),
    ("buttons", Aspect::EaseOfUse),
    ("to use", Aspect::EaseOfUse),
    // Connectivity.
    ("connectivity", Aspect::Connectivity),
    ("connectivty", Aspect::Connectivity),
    ("connection", Aspect::Connectivity),
    ("bluetooth", Aspect::Connectivity),
    ("wifi", Aspect::Connectivity),
    ("wi fi", Aspect::Connectivity),
    ("pairing", Aspect::Connectivity),
    ("signal", Aspect::Connectivity),
    ("network", Aspect::Connectivity),
    ("range", Aspect::Connectivity),
    ("reception", Aspect::Connectivity),
    ("hdmi", Aspect::Connectivity),
    ("port", Aspect::Connectivity),
    ("ports", Aspect::Connectivity),
    // Taste and smell.
    ("taste", Aspect::Taste),
    ("tastes", Aspect::Taste),
    ("flavour", Aspect::Taste),
    ("flavor", Aspect::Taste),
    ("smell", Aspect::Taste),
    ("aroma", Aspect::Taste),
    ("fragrance", Aspect::Taste),
    ("texture", Aspect::Taste),
    // Customer service, warranty.
    ("service", Aspect::Service),
    ("customer service", Aspect::Service),
    ("installation service", Aspect::Service),
    ("customer care", Aspect::Service),
    ("customer support", Aspect::Service),
    ("support", Aspect::Service),
    ("warranty", Aspect::Service),
    ("replacement", Aspect::Service),
    ("refund", Aspect::Service),
];

/// Extra words that point a *question* at an aspect, though in a review they are too vague
/// to count as a mention ("how long will it last", "does it fit").
const QUESTION_CUES: &[(&str, Aspect)] = &[
    ("last", Aspect::Durability),
    ("lasts", Aspect::Durability),
    ("break", Aspect::Durability),
    ("breaks", Aspect::Durability),
    ("sturdy", Aspect::Quality),
    ("made", Aspect::Quality),
    ("loud", Aspect::Sound),
    ("hear", Aspect::Sound),
    ("big", Aspect::Fit),
    ("small", Aspect::Fit),
    ("tight", Aspect::Fit),
    ("loose", Aspect::Fit),
    ("heavy", Aspect::Fit),
    ("wear", Aspect::Fit),
    ("comfortable", Aspect::Fit),
    ("expensive", Aspect::Value),
    ("cheap", Aspect::Value),
    ("worth", Aspect::Value),
    ("deliver", Aspect::Delivery),
    ("arrive", Aspect::Delivery),
    ("ship", Aspect::Delivery),
    ("pair", Aspect::Connectivity),
    ("connect", Aspect::Connectivity),
    ("bright", Aspect::Display),
    ("looks", Aspect::Design),
    ("look", Aspect::Design),
    ("taste", Aspect::Taste),
    ("smells", Aspect::Taste),
    ("easy", Aspect::EaseOfUse),
    ("use", Aspect::EaseOfUse),
    ("lag", Aspect::Performance),
    ("fast", Aspect::Performance),
    ("slow", Aspect::Performance),
];

/// The aspect a question is about: the best-scoring aspect among its words, where naming the
/// aspect ("battery", "sound quality") outweighs a word that only hints at it ("fast").
/// Ties go to the aspect named first, since questions lead with their topic.
pub(crate) fn of_question(question: &str) -> Option<Aspect> {
    let mut scores: Vec<(Aspect, u32, usize)> = Vec::new();
    let mut add = |aspect: Aspect, weight: u32, at: usize| {
        if let Some(entry) = scores.iter_mut().find(|(a, _, _)| *a == aspect) {
            entry.1 += weight;
        } else {
            scores.push((aspect, weight, at));
        }
    };
    // Positions count across clauses so that "first named" holds for the whole question.
    let mut offset = 0;
    for clause in text::clauses(question) {
        let items = lexicon::scan(&clause.tokens);
        for item in &items {
            let at = offset + item.start;
            match item.entry {
                Entry::Cue(aspect) => add(aspect, 2, at),
                Entry::Opinion(op) => {
                    if let Some(aspect) = op.own {
                        add(aspect, 2, at);
                    } else if let Some(aspect) = op.fallback {
                        add(aspect, 1, at);
                    }
                }
                _ => {}
            }
        }
        for (at, token) in clause.tokens.iter().enumerate() {
            // A word the lexicon already read ("fast") must not count twice.
            if items.iter().any(|i| (i.start..i.end).contains(&at)) {
                continue;
            }
            if let Some((_, aspect)) = QUESTION_CUES.iter().find(|(w, _)| w == token) {
                add(*aspect, 1, offset + at);
            }
        }
        offset += clause.tokens.len();
    }
    scores
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)))
        .map(|(aspect, _, _)| aspect)
}
