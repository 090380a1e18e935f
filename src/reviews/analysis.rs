//! Scores clauses and folds them into one product's [`ReviewSummary`].

use super::aspects::{ALL, Aspect};
use super::lexicon::{self, Entry, Item, NEGATION_SCOPE, Opinion};
use super::text::{self, Clause, Opener};
use super::{AspectSentiment, ReviewSummary, summary};
use crate::catalog::{Product, Review};

/// Below this a clause or aspect total counts as neutral.
const EPSILON: f32 = 1e-3;
/// A single clause cannot outweigh several others however many superlatives it stacks.
const CLAUSE_CAP: f32 = 1.5;
/// Pseudo-mentions of neutral sentiment added to every aspect, so one mention scores 1/3 and
/// ten agreeing mentions 10/12: few mentions are weak evidence.
const ASPECT_PRIOR: f32 = 2.0;
/// The same for overall sentiment, in opinion-strength units (one "good" is 1).
const OVERALL_PRIOR: f32 = 1.0;
/// Weight of criticism against praise in overall sentiment. Reviewers soften complaints and
/// use praise loosely ("good" in a three-star review), so one complaint says more than one
/// compliment; 1.5 raised the rating correlation on three catalogs (Amazon.in, gift cards,
/// magazines) without hurting any.
const NEGATIVITY: f32 = 1.5;
/// A negated compliment is a complaint, a negated complaint a milder compliment: "not good"
/// is bad, "not bad" is only fairly good. Negation also levels strength: "not perfect" is no
/// worse than "not good".
const NEGATED_POSITIVE: f32 = -0.8;
const NEGATED_NEGATIVE: f32 = -0.7;
/// Opinion implied by an opinion-less clause that turns against the one before it
/// ("good overall except the connectivity").
const IMPLIED: f32 = 0.7;
/// Furthest an aspect named before an opinion may be and still be what it judges.
const BACK_REACH: usize = 6;
/// Furthest an aspect named after an opinion may be: "good for the price".
const FORWARD_REACH: usize = 3;

/// The opinions of one clause.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ClauseScore {
    /// Sum of the clause's opinions, capped to +-[`CLAUSE_CAP`].
    pub total: f32,
    /// Sum of the opinions bound to each aspect, in first-mention order.
    pub aspects: Vec<(Aspect, f32)>,
}

impl ClauseScore {
    fn add(&mut self, aspect: Aspect, value: f32) {
        match self.aspects.iter_mut().find(|(a, _)| *a == aspect) {
            Some((_, sum)) => *sum += value,
            None => self.aspects.push((aspect, value)),
        }
    }
}

fn between(tokens: &[String], from: usize, to: usize) -> &[String] {
    tokens.get(from..to).unwrap_or(&[])
}

/// Whether the cue at `items[at]` is the object of an opinion right before it ("poor
/// quality"), so that a later opinion should not claim it through a chain.
fn claimed(items: &[Item], at: usize) -> bool {
    let Some(cue) = items.get(at) else {
        return false;
    };
    at.checked_sub(1)
        .and_then(|i| items.get(i))
        .is_some_and(|prev| matches!(prev.entry, Entry::Opinion(_)) && prev.end == cue.start)
}

/// Whether only "and"/"or"/"nor" lie between tokens `from` and `to`.
fn coordinated(tokens: &[String], from: usize, to: usize) -> bool {
    let gap = between(tokens, from, to);
    !gap.is_empty()
        && gap
            .iter()
            .all(|t| matches!(t.as_str(), "and" | "or" | "nor"))
}

/// Aspects named before the opinion at `items[k]`, and whether a linking verb separates them
/// from it ("the camera and display *are* poor").
fn backward(items: &[Item], tokens: &[String], k: usize) -> Option<(Vec<Aspect>, bool)> {
    let opinion = items.get(k)?;
    let mut b = k;
    let cue_at = loop {
        b = b.checked_sub(1)?;
        match items.get(b)?.entry {
            Entry::Cue(_) => break b,
            Entry::Opinion(_) => return None,
            _ => {}
        }
    };
    let cue = items.get(cue_at)?;
    if opinion.start.saturating_sub(cue.end) > BACK_REACH {
        return None;
    }
    let linked = between(tokens, cue.end, opinion.start)
        .iter()
        .any(|t| lexicon::is_copula(t));
    let mut aspects = Vec::new();
    let mut at = cue_at;
    while let Some(Item {
        entry: Entry::Cue(aspect),
        start,
        ..
    }) = items.get(at).copied()
    {
        aspects.push(aspect);
        let Some(prev_at) = at.checked_sub(1) else {
            break;
        };
        let Some(prev) = items.get(prev_at) else {
            break;
        };
        let joined = matches!(prev.entry, Entry::Cue(_))
            && !claimed(items, prev_at)
            && between(tokens, prev.end, start)
                .iter()
                .all(|t| lexicon::is_chain(t));
        if !joined {
            break;
        }
        at = prev_at;
    }
    Some((aspects, linked))
}

/// Aspects named right after the opinion at `items[k]` ("good *sound and bass*").
fn forward(items: &[Item], tokens: &[String], k: usize) -> Option<Vec<Aspect>> {
    let opinion = items.get(k)?;
    let mut at = k + 1;
    let first = loop {
        let item = items.get(at)?;
        match item.entry {
            Entry::Cue(_) => break item,
            Entry::Negator | Entry::Intensifier(_) => at += 1,
            _ => return None,
        }
    };
    let gap = between(tokens, opinion.end, first.start);
    if gap.len() > FORWARD_REACH || gap.iter().any(|t| lexicon::is_copula(t)) {
        return None;
    }
    let mut aspects = Vec::new();
    let mut end = first.start;
    while let Some(Item {
        entry: Entry::Cue(aspect),
        start,
        end: cue_end,
    }) = items.get(at).copied()
    {
        if !between(tokens, end, start)
            .iter()
            .all(|t| lexicon::is_chain(t))
        {
            break;
        }
        aspects.push(aspect);
        end = cue_end;
        at += 1;
    }
    Some(aspects)
}

/// What the opinion at `items[k]` is about. A linking verb back to a named aspect is the
/// strongest sign ("display is good"), then an aspect right after ("good display"), then
/// any aspect before, then the aspect the word implies on its own ("slow").
fn bind(items: &[Item], tokens: &[String], k: usize, opinion: &Opinion) -> Vec<Aspect> {
    if let Some(aspect) = opinion.own {
        return vec![aspect];
    }
    let back = backward(items, tokens, k);
    if let Some((aspects, true)) = back {
        return aspects;
    }
    if let Some(aspects) = forward(items, tokens, k) {
        return aspects;
    }
    if let Some((aspects, false)) = back {
        return aspects;
    }
    opinion.fallback.into_iter().collect()
}

/// Scores one clause. `previous` is the total of the clause before it in the same text, for
/// clauses that only say "except the battery" or "but not for data transfer".
pub(crate) fn score_clause(clause: &Clause, previous: f32) -> ClauseScore {
    let tokens = &clause.tokens;
    let items = lexicon::scan(tokens);
    let mut score = ClauseScore::default();
    let mut negation: Option<usize> = None;
    let mut boost: Option<(usize, f32)> = None;
    // End of the last negated opinion: "not strong and sturdy" negates both.
    let mut last_negated: Option<usize> = None;
    let mut opinions = 0;
    for (k, item) in items.iter().enumerate() {
        match item.entry {
            Entry::Negator => negation = Some(item.end),
            Entry::Intensifier(m) => {
                // "very very good" compounds; the cap keeps it sane.
                let m = match boost {
                    Some((end, prev)) if end == item.start => (prev * m).min(2.0),
                    _ => m,
                };
                boost = Some((item.end, m));
            }
            Entry::Cue(_) | Entry::Ignore => {}
            Entry::Opinion(opinion) => {
                let negated = negation
                    .is_some_and(|end| item.start.saturating_sub(end) < NEGATION_SCOPE)
                    || (last_negated.is_some_and(|end| coordinated(tokens, end, item.start)));
                let multiplier = boost
                    .filter(|&(end, _)| item.start.saturating_sub(end) <= 1)
                    .map_or(1.0, |(_, m)| m);
                negation = None;
                boost = None;
                last_negated = negated.then_some(item.end);
                let aspects = bind(&items, tokens, k, &opinion);
                let base = match opinion.price {
                    Some(on_price) if aspects.contains(&Aspect::Value) => on_price,
                    _ => opinion.polarity,
                };
                if base.abs() < EPSILON {
                    continue;
                }
                let value = if negated {
                    base.clamp(-1.0, 1.0)
                        * if base > 0.0 {
                            NEGATED_POSITIVE
                        } else {
                            NEGATED_NEGATIVE
                        }
                } else {
                    base * multiplier
                };
                opinions += 1;
                score.total += value;
                for aspect in aspects {
                    score.add(aspect, value);
                }
            }
        }
    }
    let turns = match clause.opener {
        Opener::Except => true,
        Opener::Contrast => items.iter().any(|i| i.entry == Entry::Negator),
        Opener::Plain => false,
    };
    if opinions == 0 && turns && previous.abs() > EPSILON {
        let implied = -IMPLIED * previous.signum();
        for item in &items {
            if let Entry::Cue(aspect) = item.entry {
                score.add(aspect, implied);
            }
        }
        if !score.aspects.is_empty() {
            score.total = implied;
        }
    }
    score.total = score.total.clamp(-CLAUSE_CAP, CLAUSE_CAP);
    score
}

/// Letters and digits only, lowercased: for spotting a title that repeats the text.
fn squashed(s: &str) -> String {
    s.chars()
        .take(text::MAX_CHARS)
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The fields of a review worth reading. Titles are often the first words of the text
/// ("Stop working after few days" twice), and reading both would count one opinion twice.
fn fields(review: &Review) -> Vec<&str> {
    let title = squashed(&review.title);
    let body = squashed(&review.text);
    if title.is_empty() || body.contains(&title) {
        vec![review.text.as_str()]
    } else if body.is_empty() || title.contains(&body) {
        vec![review.title.as_str()]
    } else {
        vec![review.title.as_str(), review.text.as_str()]
    }
}

/// How many reviews a review object holds. Loaders keep one merged object when they cannot
/// split comma-joined reviews; scrapers join with a bare comma while writers put a space
/// after theirs, so bare commas in the title count the reviews in it.
fn review_count(review: &Review) -> u32 {
    if review.title.trim().is_empty() && review.text.trim().is_empty() {
        return 0;
    }
    if review.id.is_some() {
        return 1;
    }
    let chars: Vec<char> = review.title.chars().take(text::MAX_CHARS).collect();
    let pieces = chars
        .split(|&c| c == ',')
        .enumerate()
        .filter(|(i, piece)| {
            // A piece after a comma followed by a space continues the previous review.
            *i == 0 || piece.first().is_some_and(|c| !c.is_whitespace())
        })
        .filter(|(_, piece)| piece.iter().any(|c| c.is_alphanumeric()))
        .count();
    u32::try_from(pieces.max(1)).unwrap_or(u32::MAX)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    positive: u32,
    negative: u32,
}

/// Analyses one product's reviews.
pub(crate) fn analyze(product: &Product) -> ReviewSummary {
    let mut tallies = [Tally::default(); ALL.len()];
    let (mut praise, mut blame) = (0.0f32, 0.0f32);
    let mut opinion_clauses = 0u32;
    let mut reviews = 0u32;
    for review in &product.reviews {
        reviews = reviews.saturating_add(review_count(review));
        for field in fields(review) {
            let mut previous = 0.0;
            for clause in text::clauses(field) {
                let score = score_clause(&clause, previous);
                previous = score.total;
                if score.total > EPSILON {
                    praise += score.total;
                } else if score.total < -EPSILON {
                    blame -= score.total;
                }
                if score.total.abs() > EPSILON {
                    opinion_clauses = opinion_clauses.saturating_add(1);
                }
                for (aspect, sum) in score.aspects {
                    let Some(tally) = ALL
                        .iter()
                        .position(|a| *a == aspect)
                        .and_then(|i| tallies.get_mut(i))
                    else {
                        continue;
                    };
                    if sum > EPSILON {
                        tally.positive = tally.positive.saturating_add(1);
                    } else if sum < -EPSILON {
                        tally.negative = tally.negative.saturating_add(1);
                    }
                }
            }
        }
    }
    let blame = blame * NEGATIVITY;
    let sentiment = ((praise - blame) / (praise + blame + OVERALL_PRIOR)).clamp(-1.0, 1.0);
    let mut aspects: Vec<(Aspect, AspectSentiment)> = ALL
        .iter()
        .zip(tallies)
        .filter(|(_, t)| t.positive + t.negative > 0)
        .map(|(&aspect, t)| {
            let (pos, neg) = (t.positive as f32, t.negative as f32);
            let score = ((pos - neg) / (pos + neg + ASPECT_PRIOR)).clamp(-1.0, 1.0);
            let sentiment = AspectSentiment {
                aspect: aspect.id().to_string(),
                positive: t.positive,
                negative: t.negative,
                score,
            };
            (aspect, sentiment)
        })
        .collect();
    // Best evidence first: most mentions, then clearest verdict; the sort is stable, so ties
    // keep the fixed aspect order and the output is deterministic.
    aspects.sort_by(|(_, a), (_, b)| {
        let mentions = |s: &AspectSentiment| s.positive.saturating_add(s.negative);
        mentions(b)
            .cmp(&mentions(a))
            .then(b.score.abs().total_cmp(&a.score.abs()))
    });
    let summary = summary::compose(reviews, opinion_clauses, sentiment, &aspects);
    ReviewSummary {
        product_id: product.id.clone(),
        reviews,
        sentiment,
        aspects: aspects.into_iter().map(|(_, s)| s).collect(),
        summary,
    }
}
