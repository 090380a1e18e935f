//! [`Memoized`]: "I embedded this text a moment ago: give me the same vector without running
//! the model again."

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Embedder, Result};

/// An [`Embedder`] that remembers the vectors of the `capacity` texts it embedded or was
/// asked for most recently (least recently used forgotten first). An index hot swap builds the recommender and the
/// category resolver again over names that barely changed, and shoppers repeat queries: both
/// then skip the model. Memory: `capacity` x dimension x 4 bytes (20,000 MiniLM vectors: 31
/// MB).
pub struct Memoized {
    inner: Arc<dyn Embedder>,
    capacity: usize,
    memo: Mutex<Memo>,
}

/// Vectors by text, each with the tick of its last use; `order` holds (tick, text) pairs, some
/// stale (a text used again has a newer one), pruned as eviction passes them.
#[derive(Default)]
struct Memo {
    vectors: HashMap<String, (Arc<[f32]>, u64)>,
    order: VecDeque<(u64, String)>,
    tick: u64,
}

impl Memo {
    /// The vector of `text`, marked used now.
    fn get(&mut self, text: &str) -> Option<Arc<[f32]>> {
        self.tick += 1;
        let tick = self.tick;
        let (vector, used) = self.vectors.get_mut(text)?;
        *used = tick;
        self.order.push_back((tick, text.to_string()));
        Some(vector.clone())
    }

    fn insert(&mut self, text: &str, vector: Arc<[f32]>) {
        self.tick += 1;
        self.vectors.insert(text.to_string(), (vector, self.tick));
        self.order.push_back((self.tick, text.to_string()));
    }

    /// Forgets the least recently used texts beyond `capacity`.
    fn evict(&mut self, capacity: usize) {
        while self.vectors.len() > capacity {
            let Some((tick, text)) = self.order.pop_front() else {
                break;
            };
            if self
                .vectors
                .get(&text)
                .is_some_and(|(_, used)| *used == tick)
            {
                self.vectors.remove(&text);
            }
        }
        // Stale entries of texts used again would otherwise pile up.
        if self.order.len() > 4 * capacity.max(16) {
            let vectors = &self.vectors;
            self.order
                .retain(|(tick, text)| vectors.get(text).is_some_and(|(_, used)| used == tick));
        }
    }
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

    fn runtime(&self) -> String {
        self.inner.runtime()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        if self.capacity == 0 {
            return self.inner.embed(texts);
        }
        let mut found: HashMap<&str, Arc<[f32]>> = HashMap::with_capacity(texts.len());
        {
            let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
            for text in texts {
                if !found.contains_key(text)
                    && let Some(vector) = memo.get(text)
                {
                    found.insert(text, vector);
                }
            }
        }
        let mut missing: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| !found.contains_key(t))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            // The model runs without the lock: other callers keep being served.
            let fresh = self.inner.embed(&missing)?;
            let mut memo = self.memo.lock().unwrap_or_else(PoisonError::into_inner);
            for (text, vector) in missing.iter().zip(fresh) {
                let vector: Arc<[f32]> = vector.into();
                memo.insert(text, vector.clone());
                found.insert(text, vector);
            }
            memo.evict(self.capacity);
        }
        Ok(texts
            .iter()
            .map(|t| found.get(t).map(|v| v.to_vec()).unwrap_or_default())
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
            memo.embed(&["tv", "hdmi cable"]).unwrap()[..],
            [vec![2.0, 116.0], vec![10.0, 104.0]]
        );
        assert_eq!(
            memo.embed(&["hdmi cable", "tv"]).unwrap(),
            vec![vec![10.0, 104.0], vec![2.0, 116.0]]
        );
        assert_eq!(count(), 2);
        // "tv" was asked for last: a third text pushes out "hdmi cable", the least recently
        // used.
        memo.embed(&["mount"]).unwrap();
        assert_eq!(count(), 3);
        memo.embed(&["tv"]).unwrap();
        assert_eq!(count(), 3, "still remembered");
        memo.embed(&["hdmi cable"]).unwrap();
        assert_eq!(count(), 4, "forgotten, embedded again");
    }
}
