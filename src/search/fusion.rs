//! Fusing a BM25 list and an embedding list into one ranking.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Hit;

/// How the lexical (BM25) and semantic (embedding) lists are combined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Fusion {
    /// BM25 only.
    Bm25,
    /// Embedding similarity only.
    Dense,
    /// Reciprocal-rank fusion: sum of `1 / (k + rank)` over both lists.
    Rrf {
        /// Rank offset (60 in the original paper).
        k: f32,
    },
    /// Scores min-max normalised per list, then `alpha * bm25 + (1 - alpha) * dense`.
    Weighted {
        /// Weight of BM25, 0 to 1.
        alpha: f32,
    },
    /// BM25 results first; embedding results fill the list when BM25 finds fewer than asked.
    Bm25Fallback,
}

impl Default for Fusion {
    /// The fusion that measured best on the judged query set (see README, "Search quality").
    fn default() -> Fusion {
        Fusion::Weighted { alpha: 0.3 }
    }
}

impl Fusion {
    /// Every strategy with its default parameters, for evaluation.
    pub fn all() -> Vec<Fusion> {
        vec![
            Fusion::Bm25,
            Fusion::Dense,
            Fusion::Rrf { k: 60.0 },
            Fusion::Weighted { alpha: 0.3 },
            Fusion::Weighted { alpha: 0.5 },
            Fusion::Weighted { alpha: 0.7 },
            Fusion::Bm25Fallback,
        ]
    }

    /// Whether BM25 results are needed.
    pub fn uses_bm25(&self) -> bool {
        !matches!(self, Fusion::Dense)
    }

    /// Whether embedding results (and so a query embedding) are needed.
    pub fn uses_dense(&self) -> bool {
        !matches!(self, Fusion::Bm25)
    }

    /// Fuses two best-first lists of (row, score) into the best `limit` hits.
    pub fn fuse(&self, bm25: &[(usize, f32)], dense: &[(usize, f32)], limit: usize) -> Vec<Hit> {
        let hits = |list: &[(usize, f32)]| -> Vec<Hit> {
            list.iter()
                .take(limit)
                .map(|&(row, score)| Hit { row, score })
                .collect()
        };
        match *self {
            Fusion::Bm25 => hits(bm25),
            Fusion::Dense => hits(dense),
            Fusion::Bm25Fallback => {
                let mut out = hits(bm25);
                for &(row, _) in dense {
                    if out.len() >= limit {
                        break;
                    }
                    if !out.iter().any(|h| h.row == row) {
                        // Below every BM25 hit, in embedding order.
                        let score = -(out.len() as f32);
                        out.push(Hit { row, score });
                    }
                }
                out
            }
            Fusion::Rrf { k } => {
                let mut scores: HashMap<usize, f32> = HashMap::new();
                for list in [bm25, dense] {
                    for (rank, &(row, _)) in list.iter().enumerate() {
                        *scores.entry(row).or_default() += 1.0 / (k + rank as f32 + 1.0);
                    }
                }
                ranked(scores, limit)
            }
            Fusion::Weighted { alpha } => {
                let mut scores: HashMap<usize, f32> = HashMap::new();
                for (list, weight) in [(bm25, alpha), (dense, 1.0 - alpha)] {
                    let (lo, hi) = list.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &(_, s)| {
                        (lo.min(s), hi.max(s))
                    });
                    let span = hi - lo;
                    for &(row, s) in list {
                        // A list of equal scores says "all equally good": each gets full weight.
                        let norm = if span > f32::EPSILON {
                            (s - lo) / span
                        } else {
                            1.0
                        };
                        *scores.entry(row).or_default() += weight * norm;
                    }
                }
                ranked(scores, limit)
            }
        }
    }
}

fn ranked(scores: HashMap<usize, f32>, limit: usize) -> Vec<Hit> {
    let mut hits: Vec<Hit> = scores
        .into_iter()
        .map(|(row, score)| Hit { row, score })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    hits.truncate(limit);
    hits
}

impl fmt::Display for Fusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fusion::Bm25 => write!(f, "bm25"),
            Fusion::Dense => write!(f, "dense"),
            Fusion::Rrf { k } => write!(f, "rrf:{k}"),
            Fusion::Weighted { alpha } => write!(f, "weighted:{alpha}"),
            Fusion::Bm25Fallback => write!(f, "bm25-fallback"),
        }
    }
}

impl FromStr for Fusion {
    type Err = String;

    /// Parses `bm25`, `dense`, `rrf[:k]`, `weighted[:alpha]`, `bm25-fallback`.
    fn from_str(s: &str) -> Result<Fusion, String> {
        let (name, param) = match s.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (s, None),
        };
        let param = |default: f32| -> Result<f32, String> {
            param.map_or(Ok(default), |p| {
                p.parse().map_err(|_| format!("'{p}' is not a number"))
            })
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "bm25" => Ok(Fusion::Bm25),
            "dense" => Ok(Fusion::Dense),
            "rrf" => Ok(Fusion::Rrf { k: param(60.0)? }),
            "weighted" => {
                let alpha = param(0.3)?;
                if !(0.0..=1.0).contains(&alpha) {
                    return Err(format!("weighted alpha {alpha} must be between 0 and 1"));
                }
                Ok(Fusion::Weighted { alpha })
            }
            "bm25-fallback" => Ok(Fusion::Bm25Fallback),
            _ => Err(format!(
                "unknown fusion '{s}': use bm25, dense, rrf[:k], weighted[:alpha] or bm25-fallback"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(hits: &[Hit]) -> Vec<usize> {
        hits.iter().map(|h| h.row).collect()
    }

    #[test]
    fn rrf_rewards_agreement() {
        let bm25 = [(1, 9.0), (2, 5.0), (3, 1.0)];
        let dense = [(3, 0.9), (1, 0.8), (4, 0.7)];
        let fused = Fusion::Rrf { k: 60.0 }.fuse(&bm25, &dense, 4);
        assert_eq!(rows(&fused)[..2], [1, 3]);
        assert_eq!(fused.len(), 4);
    }

    #[test]
    fn weighted_alpha_moves_between_the_lists() {
        let bm25 = [(1, 10.0), (2, 0.0)];
        let dense = [(2, 0.9), (1, 0.1)];
        assert_eq!(
            rows(&Fusion::Weighted { alpha: 0.9 }.fuse(&bm25, &dense, 2)),
            vec![1, 2]
        );
        assert_eq!(
            rows(&Fusion::Weighted { alpha: 0.1 }.fuse(&bm25, &dense, 2)),
            vec![2, 1]
        );
    }

    #[test]
    fn fallback_fills_only_what_bm25_lacks() {
        let bm25 = [(7, 3.0)];
        let dense = [(7, 0.9), (8, 0.8), (9, 0.7)];
        let fused = Fusion::Bm25Fallback.fuse(&bm25, &dense, 2);
        assert_eq!(rows(&fused), vec![7, 8]);
        assert!(fused[0].score > fused[1].score);
    }

    #[test]
    fn parses_and_prints_every_strategy() {
        for f in Fusion::all() {
            assert_eq!(f.to_string().parse::<Fusion>().unwrap(), f);
        }
        assert!("weighted:2".parse::<Fusion>().is_err());
        assert!("magic".parse::<Fusion>().is_err());
    }
}
