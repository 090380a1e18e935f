//! The product embedding matrix and exact nearest-neighbour search over it.
//!
//! A scan of 100k f32 rows of 384 dims reads 150 MB per query, more than memory bandwidth allows
//! in a few milliseconds. So the scan reads an int8 copy (one scale per row, 4x less memory) to
//! pick a shortlist, and the shortlist is re-scored exactly in f32. (A 4-bit copy was tried: half
//! the memory, but slower here, as unpacking nibbles costs more than the bandwidth it saves.) Recall of this two-stage
//! search against the exact f32 ranking is measured in `benches/search.rs`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Row-major unit vectors, with an int8 copy for fast scanning.
#[derive(Debug, Clone, Default)]
pub struct VectorMatrix {
    dim: usize,
    data: Vec<f32>,
    quantized: Vec<i8>,
    scales: Vec<f32>,
}

/// Rows scanned per thread before a second thread pays for itself.
const ROWS_PER_THREAD: usize = 16_384;
/// Shortlist size per result for exact re-scoring.
const RESCORE_FACTOR: usize = 4;
const MIN_SHORTLIST: usize = 64;

#[derive(PartialEq)]
struct Scored(f32, usize);

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    // Reversed so BinaryHeap is a min-heap on score: the root is the worst kept.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

/// Keeps the best `k` (score, row) pairs seen.
struct TopK {
    k: usize,
    heap: BinaryHeap<Scored>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    #[inline]
    fn push(&mut self, score: f32, row: usize) {
        if self.heap.len() < self.k {
            self.heap.push(Scored(score, row));
        } else if let Some(worst) = self.heap.peek()
            && score > worst.0
        {
            self.heap.pop();
            self.heap.push(Scored(score, row));
        }
    }

    fn into_sorted(self) -> Vec<(usize, f32)> {
        // into_sorted_vec is ascending by Ord, i.e. best score first here.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Scored(s, r)| (r, s))
            .collect()
    }
}

fn quantize_row(row: &[f32], out: &mut Vec<i8>) -> f32 {
    let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    out.extend(
        row.iter()
            .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8),
    );
    scale
}

#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    // Chunks of 32 let the compiler vectorise the widening multiply-add.
    let mut acc = [0i32; 32];
    let (ca, ra) = a.as_chunks::<32>();
    let (cb, rb) = b.as_chunks::<32>();
    for (x, y) in ca.iter().zip(cb) {
        for i in 0..32 {
            acc[i] += x[i] as i32 * y[i] as i32;
        }
    }
    let tail: i32 = ra.iter().zip(rb).map(|(&x, &y)| x as i32 * y as i32).sum();
    acc.iter().sum::<i32>() + tail
}

#[inline(always)]
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 16];
    let (ca, ra) = a.as_chunks::<16>();
    let (cb, rb) = b.as_chunks::<16>();
    for (x, y) in ca.iter().zip(cb) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

impl VectorMatrix {
    /// Builds a matrix from row-major data of `dim` columns.
    pub fn new(dim: usize, data: Vec<f32>) -> VectorMatrix {
        let dim = dim.max(1);
        let rows = data.len() / dim;
        let mut quantized = Vec::with_capacity(rows * dim);
        let scales = data
            .chunks_exact(dim)
            .map(|row| quantize_row(row, &mut quantized))
            .collect();
        VectorMatrix {
            dim,
            data,
            quantized,
            scales,
        }
    }

    /// Vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.scales.len()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The f32 data, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Exact dot product of `query` with row `i`.
    pub fn score(&self, query: &[f32], i: usize) -> f32 {
        dot_f32(query, self.row(i))
    }

    /// The `k` rows most similar to `query` among `allowed` (all rows when `None`), best first:
    /// an int8 scan picks a shortlist, exact f32 dot products rank it.
    pub fn top_k(&self, query: &[f32], allowed: Option<&[bool]>, k: usize) -> Vec<(usize, f32)> {
        if k == 0 || query.len() != self.dim || self.rows() == 0 {
            return Vec::new();
        }
        let mut q = Vec::with_capacity(self.dim);
        quantize_row(query, &mut q);
        let shortlist = (k * RESCORE_FACTOR).max(MIN_SHORTLIST);
        // Chunks scanned on rayon's pool: the same workers that just embedded the query, so
        // they are awake and no thread is spawned per query.
        let chunks = (self.rows() / ROWS_PER_THREAD).clamp(1, rayon::current_num_threads().max(1));
        let chunk = self.rows().div_ceil(chunks);
        let candidates: Vec<usize> = if chunks == 1 {
            self.scan(&q, allowed, 0..self.rows(), shortlist)
        } else {
            use rayon::prelude::*;
            (0..chunks)
                .into_par_iter()
                .flat_map_iter(|t| {
                    self.scan(
                        &q,
                        allowed,
                        t * chunk..((t + 1) * chunk).min(self.rows()),
                        shortlist,
                    )
                })
                .collect()
        };
        let mut top = TopK::new(k);
        for row in candidates {
            top.push(self.score(query, row), row);
        }
        top.into_sorted()
    }

    /// Approximate int8 scan over `range`, returning the best `n` rows.
    fn scan(
        &self,
        q: &[i8],
        allowed: Option<&[bool]>,
        range: std::ops::Range<usize>,
        n: usize,
    ) -> Vec<usize> {
        // The default x86-64 target has only SSE2; pulp picks AVX2 (or better) at run time and
        // compiles the inlined loop for it, so the widening multiply-adds vectorise.
        pulp::Arch::new().dispatch(|| self.scan_inline(q, allowed, range, n))
    }

    #[inline(always)]
    fn scan_inline(
        &self,
        q: &[i8],
        allowed: Option<&[bool]>,
        range: std::ops::Range<usize>,
        n: usize,
    ) -> Vec<usize> {
        let mut top = TopK::new(n);
        for row in range {
            if allowed.is_some_and(|a| !a.get(row).copied().unwrap_or(false)) {
                continue;
            }
            let v = &self.quantized[row * self.dim..(row + 1) * self.dim];
            // The query's own scale is the same for every row: leave it out of the ranking.
            let approx = dot_i8(q, v) as f32 * self.scales[row];
            top.push(approx, row);
        }
        top.into_sorted().into_iter().map(|(r, _)| r).collect()
    }

    /// Exact top-k by a full f32 scan: the reference the two-stage search is measured against.
    pub fn top_k_exact(
        &self,
        query: &[f32],
        allowed: Option<&[bool]>,
        k: usize,
    ) -> Vec<(usize, f32)> {
        pulp::Arch::new().dispatch(|| {
            let mut top = TopK::new(k);
            for row in 0..self.rows() {
                if allowed.is_some_and(|a| !a.get(row).copied().unwrap_or(false)) {
                    continue;
                }
                top.push(dot_f32(query, self.row(row)), row);
            }
            top.into_sorted()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn finds_the_nearest_rows_and_respects_the_allowed_mask() {
        let rows = [
            vec![1.0, 0.0, 0.0],
            vec![0.9, 0.1, 0.0],
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0],
        ];
        let data: Vec<f32> = rows.iter().flat_map(|r| unit(r.clone())).collect();
        let m = VectorMatrix::new(3, data);
        let top = m.top_k(&[1.0, 0.0, 0.0], None, 2);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![0, 1]);
        let allowed = [false, true, true, true];
        let top = m.top_k(&[1.0, 0.0, 0.0], Some(&allowed), 4);
        assert_eq!(top[0].0, 1);
        assert!(top.iter().all(|t| t.0 != 0));
        assert!(m.top_k(&[1.0, 0.0], None, 2).is_empty(), "wrong dimension");
    }

    proptest! {
        #[test]
        fn two_stage_search_matches_exact_on_small_matrices(
            seed in proptest::collection::vec(-1.0f32..1.0, 8 * 40),
            query in proptest::collection::vec(-1.0f32..1.0, 8),
        ) {
            let data: Vec<f32> = seed.chunks(8).flat_map(|r| unit(r.to_vec())).collect();
            let m = VectorMatrix::new(8, data);
            let q = unit(query);
            // The shortlist (64) covers all 40 rows, so the result must be exactly the exact one.
            let fast = m.top_k(&q, None, 10);
            let exact = m.top_k_exact(&q, None, 10);
            prop_assert_eq!(fast, exact);
        }
    }
}
