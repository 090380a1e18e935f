//! Learning online: "a customer saw, clicked or bought a suggestion: what changes now?"
//!
//! Purchases extend their session's basket, so co-purchase and category statistics grow
//! without a restart. Impressions and clicks of a suggestion update its prior: a suggestion
//! shown often and never clicked sinks, one clicked more than usual rises. Sessions are
//! assigned to A/B arms by a stable hash, each arm with its own blend weights.

use std::collections::{HashMap, VecDeque};
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
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Counts {
    impressions: u32,
    clicks: u32,
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
    pairs: HashMap<(u32, u32), Counts>,
    items: HashMap<u32, Counts>,
    total: Counts,
    baskets: HashMap<String, Vec<u32>>,
    order: VecDeque<String>,
}

impl Online {
    /// Multiplier of a suggestion's score from its clicks per impression against everyone's,
    /// shrunk towards 1 and bounded, so a few events never overturn the ranking.
    pub(super) fn factor(&self, anchor: Option<u32>, item: u32) -> f32 {
        let global = if self.total.impressions > 0 {
            (self.total.clicks as f32 + PRIOR_CTR * PRIOR_STRENGTH)
                / (self.total.impressions as f32 + PRIOR_STRENGTH)
        } else {
            PRIOR_CTR
        };
        let counts = anchor
            .and_then(|a| self.pairs.get(&(a, item)))
            .or_else(|| self.items.get(&item));
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
        let mut online = self.online.write().unwrap_or_else(|e| e.into_inner());
        match event.kind {
            EventKind::Impression | EventKind::Click => {
                let bump = |c: &mut Counts| match event.kind {
                    EventKind::Impression => c.impressions += 1,
                    _ => c.clicks += 1,
                };
                bump(&mut online.total);
                bump(online.items.entry(item).or_default());
                if let Some(a) = anchor {
                    bump(online.pairs.entry((a, item)).or_default());
                }
            }
            EventKind::AddToCart => {}
            EventKind::Purchase => {
                let session = event.session.clone();
                if !online.baskets.contains_key(&session) {
                    if online.order.len() >= SESSIONS_KEPT
                        && let Some(old) = online.order.pop_front()
                    {
                        online.baskets.remove(&old);
                    }
                    online.order.push_back(session.clone());
                }
                let basket = online.baskets.entry(session).or_default();
                if basket.contains(&item) {
                    return Ok(());
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
        }
        Ok(())
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
