//! Learning online: "a customer saw, clicked or bought a suggestion: what changes now?"
//!
//! Purchases extend their session's basket, so co-purchase and category statistics grow
//! without a restart. Impressions and clicks of a suggestion update its prior: a suggestion
//! shown often and never clicked sinks, one clicked more than usual rises. Sessions are
//! assigned to A/B arms by a stable hash, each arm with its own blend weights.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::feedback::{Arm, ArmAssigner, EventKind, FeedbackEvent, read_events};
use super::{Error, Recommender, Result, Weights};

/// One A/B arm: a name, its share of sessions and its blend weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmConfig {
    /// Arm name, recorded with every event of its sessions.
    pub name: String,
    /// Share of sessions (relative to the other arms).
    pub share: f64,
    /// Blend weights of this arm; the configured ones when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
}

/// A/B test settings (`[recommend.ab]`); no arms means no test.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AbConfig {
    /// Changing the salt reshuffles sessions between arms.
    pub salt: String,
    /// The arms.
    pub arms: Vec<ArmConfig>,
}

/// Impressions and clicks of a suggestion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Counts {
    impressions: u32,
    clicks: u32,
}

/// Impressions and clicks of suggestions, per suggested item, per anchor and item, and in all,
/// keyed by `K`: catalog rows in memory, product ids in an [`OnlineSnapshot`].
#[derive(Debug, Clone, PartialEq)]
struct Tallies<K: Eq + Hash> {
    pairs: HashMap<(K, K), Counts>,
    items: HashMap<K, Counts>,
    total: Counts,
}

impl<K: Eq + Hash> Default for Tallies<K> {
    fn default() -> Tallies<K> {
        Tallies {
            pairs: HashMap::new(),
            items: HashMap::new(),
            total: Counts::default(),
        }
    }
}

impl<K: Eq + Hash + Clone> Tallies<K> {
    /// Counts an impression or a click of `item` (suggested for `anchor`); other kinds
    /// count nothing here.
    fn count(&mut self, kind: EventKind, anchor: Option<K>, item: K) {
        let bump = match kind {
            EventKind::Impression => |c: &mut Counts| c.impressions += 1,
            EventKind::Click => |c: &mut Counts| c.clicks += 1,
            EventKind::AddToCart | EventKind::Purchase => return,
        };
        bump(&mut self.total);
        if let Some(a) = anchor {
            bump(self.pairs.entry((a, item.clone())).or_default());
        }
        bump(self.items.entry(item).or_default());
    }
}

/// Pseudo-impressions of the prior: how much evidence moves a suggestion's score.
const PRIOR_STRENGTH: f32 = 20.0;
/// Click-through rate assumed before any event.
const PRIOR_CTR: f32 = 0.05;
/// Sessions whose baskets are remembered for online co-purchase counting.
const SESSIONS_KEPT: usize = 10_000;

/// Per-suggestion priors and the baskets of recent sessions.
#[derive(Debug, Default)]
pub(super) struct Online {
    tallies: Tallies<u32>,
    baskets: HashMap<String, Vec<u32>>,
    order: VecDeque<String>,
}

/// What online learning has counted, by product id, so it outlives a catalog change and a
/// restart: impressions and clicks of suggestions, and the items each session bought in
/// order. The server folds stored events into one and keeps it in its session store, so
/// start-up replays only the events after it ([`Recommender::restore_online`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnlineSnapshot {
    tallies: Tallies<String>,
    baskets: Vec<(String, Vec<String>)>,
    basket_of: HashMap<String, usize>,
}

/// [`OnlineSnapshot`] as JSON: maps with pair keys become lists.
#[derive(Serialize, Deserialize)]
struct SnapshotWire {
    total: Counts,
    items: Vec<(String, Counts)>,
    pairs: Vec<(String, String, Counts)>,
    baskets: Vec<(String, Vec<String>)>,
}

impl OnlineSnapshot {
    /// Counts one event, as [`Recommender::record`] does (purchases extend their session's
    /// basket, each item once).
    pub fn apply(&mut self, event: &FeedbackEvent) {
        match event.kind {
            EventKind::Purchase => {
                let i = *self
                    .basket_of
                    .entry(event.session.clone())
                    .or_insert_with(|| {
                        self.baskets.push((event.session.clone(), Vec::new()));
                        self.baskets.len() - 1
                    });
                let basket = &mut self.baskets[i].1;
                if !basket.contains(&event.item) {
                    basket.push(event.item.clone());
                }
            }
            kind => self
                .tallies
                .count(kind, event.anchor.clone(), event.item.clone()),
        }
    }

    /// Sessions with purchases counted.
    pub fn baskets(&self) -> usize {
        self.baskets.len()
    }

    /// The snapshot as JSON (sorted, so equal snapshots give equal text).
    pub fn to_json(&self) -> String {
        let mut items: Vec<(String, Counts)> = self
            .tallies
            .items
            .iter()
            .map(|(k, c)| (k.clone(), *c))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let mut pairs: Vec<(String, String, Counts)> = self
            .tallies
            .pairs
            .iter()
            .map(|((a, b), c)| (a.clone(), b.clone(), *c))
            .collect();
        pairs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let wire = SnapshotWire {
            total: self.tallies.total,
            items,
            pairs,
            baskets: self.baskets.clone(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// A snapshot from [`OnlineSnapshot::to_json`]'s text.
    ///
    /// # Errors
    /// The text is not such a snapshot (the reason says where).
    pub fn from_json(text: &str) -> std::result::Result<OnlineSnapshot, String> {
        let wire: SnapshotWire = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let basket_of = wire
            .baskets
            .iter()
            .enumerate()
            .map(|(i, (session, _))| (session.clone(), i))
            .collect();
        Ok(OnlineSnapshot {
            tallies: Tallies {
                pairs: wire
                    .pairs
                    .into_iter()
                    .map(|(a, b, c)| ((a, b), c))
                    .collect(),
                items: wire.items.into_iter().collect(),
                total: wire.total,
            },
            baskets: wire.baskets,
            basket_of,
        })
    }
}

impl Online {
    /// Multiplier of a suggestion's score from its clicks per impression against everyone's,
    /// shrunk towards 1 and bounded, so a few events never overturn the ranking.
    pub(super) fn factor(&self, anchor: Option<u32>, item: u32) -> f32 {
        let total = self.tallies.total;
        let global = if total.impressions > 0 {
            (total.clicks as f32 + PRIOR_CTR * PRIOR_STRENGTH)
                / (total.impressions as f32 + PRIOR_STRENGTH)
        } else {
            PRIOR_CTR
        };
        let counts = anchor
            .and_then(|a| self.tallies.pairs.get(&(a, item)))
            .or_else(|| self.tallies.items.get(&item));
        match counts {
            Some(c) => {
                let ctr = (c.clicks as f32 + global * PRIOR_STRENGTH)
                    / (c.impressions as f32 + PRIOR_STRENGTH);
                (ctr / global).clamp(0.5, 2.0)
            }
            None => 1.0,
        }
    }
}

impl Recommender {
    /// Learns from one feedback event, at once and without a restart. Events about products
    /// the catalog does not have are ignored (the catalog may have changed since).
    pub fn record(&self, event: &FeedbackEvent) -> Result<()> {
        event.validate().map_err(Error::InvalidRequest)?;
        let Some(item) = self.catalog.index.row_of(&event.item).map(|r| r as u32) else {
            return Ok(());
        };
        let anchor = event
            .anchor
            .as_deref()
            .and_then(|a| self.catalog.index.row_of(a))
            .map(|r| r as u32);
        match event.kind {
            EventKind::Purchase => self.learn_purchase(&event.session, item),
            kind => self
                .online
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .tallies
                .count(kind, anchor, item),
        }
        Ok(())
    }

    /// Adds `item` (a row) to `session`'s online basket, once, and learns the pairs it makes
    /// with what the session bought before.
    fn learn_purchase(&self, session: &str, item: u32) {
        let mut online = self.online.write().unwrap_or_else(|e| e.into_inner());
        if !online.baskets.contains_key(session) {
            if online.order.len() >= SESSIONS_KEPT
                && let Some(old) = online.order.pop_front()
            {
                online.baskets.remove(&old);
            }
            online.order.push_back(session.to_string());
        }
        let basket = online.baskets.entry(session.to_string()).or_default();
        if basket.contains(&item) {
            return;
        }
        let earlier = basket.clone();
        basket.push(item);
        drop(online);
        let mut learned = self.learned.write().unwrap_or_else(|e| e.into_inner());
        let learned = &mut *learned;
        learned
            .stats
            .add_to_basket(&self.catalog.leaves, &earlier, item);
        learned.popular.bump(&self.catalog, &learned.stats, item);
    }

    /// Starts online learning from `snapshot`: its counts of products this catalog has
    /// replace what was counted, and its baskets are learned as if their purchases happened
    /// now. Call before any event is recorded. Returns the products of the snapshot this
    /// catalog no longer has (their counts are dropped).
    pub fn restore_online(&self, snapshot: &OnlineSnapshot) -> usize {
        let row = |id: &str| self.catalog.index.row_of(id).map(|r| r as u32);
        let mut missing = 0;
        let mut tallies = Tallies::<u32> {
            total: snapshot.tallies.total,
            ..Tallies::default()
        };
        for (id, counts) in &snapshot.tallies.items {
            match row(id) {
                Some(r) => {
                    tallies.items.insert(r, *counts);
                }
                None => missing += 1,
            }
        }
        for ((a, b), counts) in &snapshot.tallies.pairs {
            if let (Some(a), Some(b)) = (row(a), row(b)) {
                tallies.pairs.insert((a, b), *counts);
            }
        }
        self.online
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .tallies = tallies;
        for (session, items) in &snapshot.baskets {
            for item in items {
                match row(item) {
                    Some(r) => self.learn_purchase(session, r),
                    None => missing += 1,
                }
            }
        }
        missing
    }

    /// Replays an event log (after a restart). Returns the events applied and the log's
    /// unreadable lines.
    pub fn replay(&self, path: &Path) -> Result<(usize, Vec<String>)> {
        let (events, problems) = read_events(path)?;
        let mut applied = 0;
        for e in &events {
            if self.record(e).is_ok() {
                applied += 1;
            }
        }
        Ok((applied, problems))
    }

    /// The arm a session belongs to and its weights: the configured arm by stable hash, or
    /// no arm and the configured weights when no A/B test is set up.
    pub fn arm_for(&self, session: &str) -> (Option<String>, Weights) {
        let Some(assigner) = &self.arms else {
            return (None, self.config.weights);
        };
        let name = assigner.arm_for(session);
        let weights = self
            .config
            .ab
            .arms
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.weights)
            .unwrap_or(self.config.weights);
        (Some(name.to_string()), weights)
    }

    /// Builds the arm assigner of `config`, refusing a bad arm list.
    pub(super) fn assigner(config: &AbConfig) -> Result<Option<ArmAssigner>> {
        if config.arms.is_empty() {
            return Ok(None);
        }
        let arms = config
            .arms
            .iter()
            .map(|a| Arm {
                name: a.name.clone(),
                weight: a.share,
            })
            .collect();
        ArmAssigner::new(arms, &config.salt)
            .map(Some)
            .map_err(|e| Error::InvalidRequest(format!("[recommend.ab]: {e}")))
    }
}
