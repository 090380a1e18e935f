//! [`Memoized`]: "I embedded this text a moment ago: give me the same vector without running
//! the model again."

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Embedder, Result};

/// An [`Embedder`] that remembers the vectors of the last `capacity` distinct texts it
/// embedded (oldest forgotten first). An index hot swap builds the recommender and the
/// category resolver again over names that barely changed, and shoppers repeat queries: both
/// then skip the model. Memory: `capacity` x dimension x 4 bytes (20,000 MiniLM vectors: 31
/// MB).
pub struct Memoized {
    inner: Arc<dyn Embedder>,
    capacity: usize,
    memo: Mutex<Memo>,
}

#[derive(Default)]
struct Memo {
    vectors: HashMap<String, Arc<[f32]>>,
    order: VecDeque<String>,
}

impl Memoized {
    /// Remembers up to `capacity` texts' vectors of `inner`.
    pub fn new(inner: Arc<dyn Embedder>, capacity: usize) -> Memoized {
        Memoized {
            inner,
            capacity,
            memo: Mutex::new(Memo::default()),
        }
    }
}

impl Embedder for Memoized {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut missing: Vec<&str> = {
            let memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
            texts
                .iter()
                .copied()
                .filter(|t| !memo.vectors.contains_key(*t))
                .collect()
        };
        missing.sort_unstable();
        missing.dedup();
        // The model runs without the lock: other callers keep being served.
        let fresh = if missing.is_empty() {
            Vec::new()
        } else {
            self.inner.embed(&missing)?
        };
        let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        let mut found: HashMap<&str, Arc<[f32]>> = HashMap::with_capacity(texts.len());
        for (text, vector) in missing.iter().zip(fresh) {
            let vector: Arc<[f32]> = vector.into();
            found.insert(text, vector.clone());
            if self.capacity > 0 && !memo.vectors.contains_key(*text) {
                memo.vectors.insert(text.to_string(), vector);
                memo.order.push_back(text.to_string());
            }
        }
        while memo.order.len() > self.capacity {
            if let Some(old) = memo.order.pop_front() {
                memo.vectors.remove(&old);
            }
        }
        Ok(texts
            .iter()
            .map(|t| {
                found
                    .get(t)
                    .or_else(|| memo.vectors.get(*t))
                    .map(|v| v.to_vec())
                    .unwrap_or_default()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts texts embedded; a text's vector is its length and first byte.
    struct Counting(AtomicUsize);

    impl Embedder for Counting {
        fn dim(&self) -> usize {
            2
        }
        fn model_id(&self) -> &str {
            "counting"
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.0.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts
                .iter()
                .map(|t| vec![t.len() as f32, t.bytes().next().unwrap_or(0) as f32])
                .collect())
        }
    }

    #[test]
    fn a_text_seen_before_is_not_embedded_again_and_answers_keep_their_order() {
        let inner = Arc::new(Counting(AtomicUsize::new(0)));
        let memo = Memoized::new(inner.clone(), 2);
        let count = || inner.0.load(Ordering::SeqCst);
        assert_eq!(
            memo.embed(&["tv", "tv"]).unwrap(),
            vec![vec![2.0, 116.0], vec![2.0, 116.0]]
        );
        assert_eq!(count(), 1, "each distinct text once");
        assert_eq!(
            memo.embed(&["hdmi cable", "tv"]).unwrap(),
            vec![vec![10.0, 104.0], vec![2.0, 116.0]]
        );
        assert_eq!(count(), 2);
        // A third text pushes out the oldest, "tv".
        memo.embed(&["mount"]).unwrap();
        assert_eq!(count(), 3);
        memo.embed(&["hdmi cable"]).unwrap();
        assert_eq!(count(), 3, "still remembered");
        memo.embed(&["tv"]).unwrap();
        assert_eq!(count(), 4, "forgotten, embedded again");
    }
}
