//! Choosing the next token from logits: repeat penalty, temperature, top-k, top-p, a seeded
//! generator, and an optional filter (the JSON constraint) applied lazily, best tokens first.

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{SeedableRng, rngs::StdRng};

use super::Sampling;

/// Candidates considered when sampling under a filter with no `top_k` of its own.
const FILTERED_CANDIDATES: usize = 64;
/// Tokens ranked up front; the rest are sorted only if none of these pass the filter.
const FIRST_RANKS: usize = 64;

/// A seeded token chooser.
#[derive(Debug)]
pub struct Sampler {
    sampling: Sampling,
    rng: StdRng,
}

impl Sampler {
    /// A sampler for these settings.
    pub fn new(sampling: &Sampling) -> Sampler {
        Sampler {
            sampling: sampling.clone(),
            rng: StdRng::seed_from_u64(sampling.seed),
        }
    }

    /// Picks a token among those `allowed` accepts (all when there is no filter), or `None`
    /// when it accepts none. `recent` are the tokens the repeat penalty applies to.
    pub fn choose(
        &mut self,
        logits: &mut [f32],
        recent: &[u32],
        allowed: Option<&dyn Fn(u32) -> bool>,
    ) -> Option<u32> {
        let filtered = allowed.is_some();
        self.penalise(logits, recent);
        let s = &self.sampling;
        let greedy = s.temperature <= 0.0;
        if !filtered && greedy {
            return argmax(logits);
        }
        let limit = match (s.top_k, filtered) {
            (0, true) => FILTERED_CANDIDATES,
            (0, false) => logits.len(),
            (k, _) => k,
        };
        let mut candidates = Vec::with_capacity(limit.min(FIRST_RANKS));
        for id in ranked(logits) {
            if candidates.len() >= limit || (greedy && !candidates.is_empty()) {
                break;
            }
            if allowed.is_none_or(|ok| ok(id)) {
                candidates.push(id);
            }
        }
        if greedy || candidates.len() <= 1 {
            return candidates.first().copied();
        }
        self.sample(logits, &candidates)
    }

    fn penalise(&self, logits: &mut [f32], recent: &[u32]) {
        let p = self.sampling.repeat_penalty;
        if p == 1.0 || self.sampling.repeat_last_n == 0 {
            return;
        }
        let start = recent.len().saturating_sub(self.sampling.repeat_last_n);
        let mut seen = recent[start..].to_vec();
        seen.sort_unstable();
        seen.dedup();
        for id in seen {
            if let Some(l) = logits.get_mut(id as usize) {
                *l = if *l >= 0.0 { *l / p } else { *l * p };
            }
        }
    }

    /// Softmax with temperature over the candidates (best first), cut to top-p, then sampled.
    fn sample(&mut self, logits: &[f32], candidates: &[u32]) -> Option<u32> {
        let t = self.sampling.temperature;
        let best = logits[candidates[0] as usize];
        let mut probs: Vec<f32> = candidates
            .iter()
            .map(|&id| ((logits[id as usize] - best) / t).exp())
            .collect();
        let total: f32 = probs.iter().sum();
        let mut cumulative = 0.0;
        let mut keep = probs.len();
        for (i, p) in probs.iter_mut().enumerate() {
            *p /= total;
            cumulative += *p;
            if cumulative >= self.sampling.top_p {
                keep = i + 1;
                break;
            }
        }
        probs.truncate(keep);
        let index = WeightedIndex::new(&probs).ok()?.sample(&mut self.rng);
        candidates.get(index).copied()
    }
}

fn argmax(logits: &[f32]) -> Option<u32> {
    logits
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_nan())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u32)
}

/// Token ids by decreasing logit: the first few found by partial selection, the rest sorted
/// only when asked for.
fn ranked(logits: &[f32]) -> impl Iterator<Item = u32> + '_ {
    let by_logit = |a: &u32, b: &u32| logits[*b as usize].total_cmp(&logits[*a as usize]);
    let mut ids: Vec<u32> = (0..logits.len() as u32).collect();
    let head = FIRST_RANKS.min(ids.len());
    if head < ids.len() {
        ids.select_nth_unstable_by(head, by_logit);
    }
    ids[..head].sort_unstable_by(by_logit);
    let mut sorted_rest = false;
    let mut i = 0;
    std::iter::from_fn(move || {
        if i == head && !sorted_rest {
            ids[head..].sort_unstable_by(by_logit);
            sorted_rest = true;
        }
        let id = ids.get(i).copied();
        i += 1;
        id
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Vec<f32> {
        vec![0.1, 3.0, 2.5, -1.0, 2.9]
    }

    #[test]
    fn greedy_takes_the_best_token_and_a_filter_takes_the_best_allowed() {
        let mut s = Sampler::new(&Sampling::greedy());
        assert_eq!(s.choose(&mut logits(), &[], None), Some(1));
        assert_eq!(s.choose(&mut logits(), &[], Some(&|id| id != 1)), Some(4));
        assert_eq!(s.choose(&mut logits(), &[], Some(&|id| id == 3)), Some(3));
        assert_eq!(s.choose(&mut logits(), &[], Some(&|_| false)), None);
    }

    #[test]
    fn ranking_beyond_the_first_ranks_is_still_ordered() {
        let logits: Vec<f32> = (0..500).map(|i| ((i * 37) % 500) as f32).collect();
        let order: Vec<u32> = ranked(&logits).collect();
        assert_eq!(order.len(), 500);
        assert!(
            order
                .windows(2)
                .all(|w| logits[w[0] as usize] >= logits[w[1] as usize])
        );
    }

    #[test]
    fn repeat_penalty_can_change_the_greedy_choice() {
        let mut s = Sampler::new(&Sampling {
            repeat_penalty: 1.5,
            ..Sampling::greedy()
        });
        assert_eq!(s.choose(&mut logits(), &[1], None), Some(4));
    }

    #[test]
    fn sampling_is_reproducible_for_a_seed_and_stays_in_the_top_k() {
        let settings = Sampling {
            temperature: 1.0,
            top_k: 3,
            top_p: 1.0,
            repeat_penalty: 1.0,
            seed: 7,
            ..Sampling::default()
        };
        let draw = || {
            let mut s = Sampler::new(&settings);
            (0..50)
                .map(|_| s.choose(&mut logits(), &[], None).unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw();
        assert_eq!(a, draw());
        assert!(a.iter().all(|id| [1, 2, 4].contains(id)));
        assert!(a.iter().any(|&id| id != a[0]), "temperature 1 should vary");
    }

    #[test]
    fn a_small_top_p_keeps_only_the_most_likely_token() {
        let mut s = Sampler::new(&Sampling {
            temperature: 1.0,
            top_k: 0,
            top_p: 0.01,
            repeat_penalty: 1.0,
            ..Sampling::default()
        });
        for _ in 0..20 {
            assert_eq!(s.choose(&mut logits(), &[], None), Some(1));
        }
    }
}
