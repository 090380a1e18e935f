//! Implicit-feedback matrix factorisation (Hu, Koren & Volinsky, 2008) answering
//! "from who bought what, which items go together?".
//!
//! A purchase is not a rating: it only says "probably likes", with a confidence that grows
//! with repeat purchases. So every cell gets preference `p_ui = [r_ui > 0]` and confidence
//! `c_ui = 1 + alpha * r_ui`, and alternating least squares minimises
//! `sum c_ui (p_ui - x_u . y_i)^2 + lambda (|X|^2 + |Y|^2)` over *all* cells. Writing the
//! normal equations as `(YtY + Yt (Cu - I) Y + lambda I) x_u = Yt Cu p(u)` means a row solve
//! touches only that row's purchases, so a sweep costs `O(nnz f^2 + n f^3)`.

use std::fmt;

use rand::{Rng, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

/// Largest accepted number of factors: each row solve needs `f * f` scratch and `f^3` work.
pub const MAX_FACTORS: usize = 1024;

/// Why [`AlsModel::train`] refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum AlsError {
    /// `factors` was 0 or above [`MAX_FACTORS`].
    InvalidFactors(usize),
    /// `regularization` or `alpha` (named) was negative or not finite.
    InvalidParameter(&'static str, f32),
    /// The interaction at this position names a user id not below `users`.
    UserOutOfRange(usize),
    /// The interaction at this position names an item id not below `items`.
    ItemOutOfRange(usize),
    /// The interaction at this position has a strength that is not finite and positive.
    InvalidStrength(usize),
    /// Summing the duplicate interactions of this (user, item) overflowed `f32`.
    StrengthOverflow(u32, u32),
    /// The factor matrices could not be allocated.
    TooLarge,
}

impl fmt::Display for AlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidFactors(n) => write!(f, "factors must be 1..={MAX_FACTORS}, got {n}"),
            Self::InvalidParameter(name, v) => write!(f, "{name} must be finite, >= 0: {v}"),
            Self::UserOutOfRange(i) => write!(f, "interaction {i}: user id out of range"),
            Self::ItemOutOfRange(i) => write!(f, "interaction {i}: item id out of range"),
            Self::InvalidStrength(i) => write!(f, "interaction {i}: strength not finite > 0"),
            Self::StrengthOverflow(u, i) => write!(f, "user {u}, item {i}: strength overflow"),
            Self::TooLarge => write!(f, "factor matrices too large to allocate"),
        }
    }
}

impl std::error::Error for AlsError {}

/// Training hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct AlsOptions {
    /// Number of latent factors per user and item.
    pub factors: usize,
    /// L2 penalty `lambda` on all factor vectors.
    pub regularization: f32,
    /// Confidence slope: `c = 1 + alpha * strength`.
    pub alpha: f32,
    /// Number of (users, then items) sweeps.
    pub iterations: usize,
    /// Seed for the initial factors; same seed, input and options give the same model.
    pub seed: u64,
}

impl Default for AlsOptions {
    fn default() -> Self {
        Self {
            factors: 32,
            regularization: 0.1,
            alpha: 20.0,
            iterations: 10,
            seed: 42,
        }
    }
}

/// Item and user factors, row-major.
#[derive(Debug, Clone)]
pub struct AlsModel {
    factors: usize,
    user_factors: Vec<f32>,
    item_factors: Vec<f32>,
    users: usize,
    items: usize,
}

impl AlsModel {
    /// Trains on `interactions`: (user, item, strength > 0) triples; duplicates are summed;
    /// user < `users`, item < `items` else error. Users and items without interactions get
    /// all-zero vectors.
    pub fn train(
        interactions: &[(u32, u32, f32)],
        users: usize,
        items: usize,
        options: &AlsOptions,
    ) -> Result<AlsModel, AlsError> {
        let mut model = Self::fit(interactions, users, items, options)?;
        model.whiten();
        Ok(model)
    }

    /// Plain ALS, before [`Self::whiten`]; the HKV objective is defined on these factors.
    fn fit(
        interactions: &[(u32, u32, f32)],
        users: usize,
        items: usize,
        options: &AlsOptions,
    ) -> Result<AlsModel, AlsError> {
        let f = options.factors;
        if f == 0 || f > MAX_FACTORS {
            return Err(AlsError::InvalidFactors(f));
        }
        for (name, v) in [
            ("regularization", options.regularization),
            ("alpha", options.alpha),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(AlsError::InvalidParameter(name, v));
            }
        }
        for (index, &(u, i, s)) in interactions.iter().enumerate() {
            if u as usize >= users {
                return Err(AlsError::UserOutOfRange(index));
            }
            if i as usize >= items {
                return Err(AlsError::ItemOutOfRange(index));
            }
            if !(s.is_finite() && s > 0.0) {
                return Err(AlsError::InvalidStrength(index));
            }
        }
        let by_user = Csr::new(interactions.to_vec(), users)?;
        let mut transposed = Vec::with_capacity(by_user.cols.len());
        for u in 0..users {
            let (cols, vals) = by_user.row(u);
            transposed.extend(cols.iter().zip(vals).map(|(&i, &s)| (i, u as u32, s)));
        }
        let by_item = Csr::new(transposed, items)?;

        let mut rng = StdRng::seed_from_u64(options.seed);
        let mut user_factors = init(&by_user, f, &mut rng)?;
        let mut item_factors = init(&by_item, f, &mut rng)?;
        let (alpha, lambda) = (f64::from(options.alpha), f64::from(options.regularization));
        for _ in 0..options.iterations {
            sweep(&by_user, &item_factors, &mut user_factors, f, alpha, lambda);
            sweep(&by_item, &user_factors, &mut item_factors, f, alpha, lambda);
        }
        Ok(AlsModel {
            factors: f,
            user_factors,
            item_factors,
            users,
            items,
        })
    }

    /// Re-expresses both factor sets in the basis where the users' Gram matrix is the identity
    /// (`X <- X L^-T`, `Y <- Y L` with `XtX = L Lt`). Scores are unchanged, and the cosine of
    /// two item vectors becomes that of their predicted purchase columns over all users. Raw
    /// ALS factors carry a free change of basis that a small lambda barely pins down, so their
    /// cosines mostly echo the random start rather than who bought what.
    fn whiten(&mut self) {
        let f = self.factors;
        let mut l = vec![0.0; f * f];
        // The ridge keeps directions no user spans (fewer users than factors) invertible.
        if !factor_with_ridge(&gram(&self.user_factors, f), &mut l, f, 1e-6) {
            return;
        }
        self.item_factors.par_chunks_mut(f).for_each(|y| {
            // In place: y_new[j] reads only y[k >= j], none overwritten yet.
            for j in 0..f {
                let s: f64 = (j..f).map(|k| f64::from(y[k]) * l[k * f + j]).sum();
                y[j] = s as f32;
            }
        });
        self.user_factors.par_chunks_mut(f).for_each(|x| {
            for i in 0..f {
                let s: f64 = (0..i).map(|k| l[i * f + k] * f64::from(x[k])).sum();
                x[i] = ((f64::from(x[i]) - s) / l[i * f + i]) as f32;
            }
        });
    }

    /// Number of latent factors per vector.
    pub fn factors(&self) -> usize {
        self.factors
    }

    /// The item's factor vector, or `None` when out of range.
    pub fn item_vector(&self, item: usize) -> Option<&[f32]> {
        let f = self.factors;
        (item < self.items).then(|| &self.item_factors[item * f..(item + 1) * f])
    }

    /// The user's factor vector, or `None` when out of range.
    pub fn user_vector(&self, user: usize) -> Option<&[f32]> {
        let f = self.factors;
        (user < self.users).then(|| &self.user_factors[user * f..(user + 1) * f])
    }

    /// Predicted preference of user for item (dot product); 0 when either is out of range.
    pub fn score(&self, user: usize, item: usize) -> f32 {
        match (self.user_vector(user), self.item_vector(item)) {
            (Some(x), Some(y)) => dot(x, y),
            _ => 0.0,
        }
    }

    /// Cosine similarity of two items' factor vectors (0 when either vector is zero, e.g. an
    /// item nobody bought, or either id is out of range). Thanks to the basis chosen in
    /// training it equals the cosine of the items' predicted preferences over all users.
    pub fn item_similarity(&self, a: usize, b: usize) -> f32 {
        match (self.item_vector(a), self.item_vector(b)) {
            (Some(x), Some(y)) => cosine(x, y, dot(x, x).sqrt()).unwrap_or(0.0),
            _ => 0.0,
        }
    }

    /// The k items most similar to `item` by cosine, excluding itself and items with zero
    /// vectors, best first (ties by lower id); `allowed` optionally filters candidates.
    pub fn similar_items(
        &self,
        item: usize,
        k: usize,
        allowed: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        let Some(query) = self.item_vector(item) else {
            return Vec::new();
        };
        let query_norm = dot(query, query).sqrt();
        if k == 0 || query_norm == 0.0 {
            return Vec::new();
        }
        let mut hits = Vec::new();
        for (j, v) in self.item_factors.chunks_exact(self.factors).enumerate() {
            if j != item && allowed.is_none_or(|ok| ok(j)) {
                hits.extend(cosine(query, v, query_norm).map(|s| (j, s)));
            }
        }
        let best_first =
            |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if hits.len() > k {
            hits.select_nth_unstable_by(k - 1, best_first);
            hits.truncate(k);
        }
        hits.sort_unstable_by(best_first);
        hits
    }
}

/// Compressed rows: `cols[offsets[r]..offsets[r + 1]]`, with summed strengths in `vals`.
struct Csr {
    offsets: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
}

impl Csr {
    /// Groups in-range (row, col, strength) triples by row, summing duplicates.
    fn new(mut triples: Vec<(u32, u32, f32)>, rows: usize) -> Result<Self, AlsError> {
        // Ordering by strength too fixes the order duplicates are summed in: bit-reproducible.
        triples.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        let mut offsets = filled(rows.checked_add(1).ok_or(AlsError::TooLarge)?, 0)?;
        let (mut cols, mut vals) = (Vec::new(), Vec::<f32>::new());
        let mut last = None;
        for (r, c, v) in triples {
            match vals.last_mut() {
                Some(sum) if last == Some((r, c)) => {
                    *sum += v;
                    if !sum.is_finite() {
                        return Err(AlsError::StrengthOverflow(r, c));
                    }
                }
                _ => {
                    last = Some((r, c));
                    offsets[r as usize + 1] += 1;
                    cols.push(c);
                    vals.push(v);
                }
            }
        }
        for r in 0..rows {
            offsets[r + 1] += offsets[r];
        }
        Ok(Self {
            offsets,
            cols,
            vals,
        })
    }

    fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let range = self.offsets[r]..self.offsets[r + 1];
        (&self.cols[range.clone()], &self.vals[range])
    }
}

/// Allocates without aborting, so absurd sizes become an error instead of a crash.
fn filled<T: Clone>(len: usize, value: T) -> Result<Vec<T>, AlsError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| AlsError::TooLarge)?;
    v.resize(len, value);
    Ok(v)
}

/// Small random vectors for rows with data; zero for empty rows so they never look similar.
fn init(rows: &Csr, f: usize, rng: &mut StdRng) -> Result<Vec<f32>, AlsError> {
    let n = rows.offsets.len() - 1;
    let mut m = filled(n.checked_mul(f).ok_or(AlsError::TooLarge)?, 0f32)?;
    for (r, v) in m.chunks_exact_mut(f).enumerate() {
        if rows.offsets[r] < rows.offsets[r + 1] {
            v.iter_mut()
                .for_each(|x| *x = (rng.random::<f32>() - 0.5) * 0.02);
        }
    }
    Ok(m)
}

/// Solves every row of `out` against the fixed `other` factors, in parallel over rows.
fn sweep(rows: &Csr, other: &[f32], out: &mut [f32], f: usize, alpha: f64, lambda: f64) {
    let gram = gram(other, f);
    let scratch = || (vec![0.0; f * f], vec![0.0; f * f], vec![0.0; f]);
    out.par_chunks_mut(f)
        .enumerate()
        .for_each_init(scratch, |(a, work, b), (r, x)| {
            let (cols, vals) = rows.row(r);
            x.fill(0.0);
            // Without purchases the exact solution is 0; skipping spares the f^3 solve.
            if cols.is_empty() {
                return;
            }
            a.copy_from_slice(&gram);
            b.fill(0.0);
            for d in 0..f {
                a[d * f + d] += lambda;
            }
            for (&c, &s) in cols.iter().zip(vals) {
                let y = &other[c as usize * f..(c as usize + 1) * f];
                let extra = alpha * f64::from(s); // c_ui - 1
                for (i, &yi) in y.iter().enumerate() {
                    b[i] += (1.0 + extra) * f64::from(yi);
                    let w = extra * f64::from(yi);
                    for (aij, &yj) in a[i * f..=i * f + i].iter_mut().zip(y) {
                        *aij += w * f64::from(yj);
                    }
                }
            }
            if factor_with_ridge(a, work, f, 0.0) {
                cholesky_solve(work, b, f);
                x.iter_mut().zip(b.iter()).for_each(|(o, &v)| *o = v as f32);
            }
        });
}

/// Lower triangle of `MtM` in f64, summed over fixed blocks in order so the result does not
/// depend on the number of threads.
fn gram(m: &[f32], f: usize) -> Vec<f64> {
    let block = |rows: &[f32]| {
        let mut g = vec![0.0; f * f];
        for row in rows.chunks_exact(f) {
            for (i, &ri) in row.iter().enumerate() {
                for (a, &v) in g[i * f..=i * f + i].iter_mut().zip(row) {
                    *a += f64::from(ri) * f64::from(v);
                }
            }
        }
        g
    };
    let partials: Vec<Vec<f64>> = m.par_chunks(512 * f).map(block).collect();
    let mut total = vec![0.0; f * f];
    for p in partials {
        total.iter_mut().zip(p).for_each(|(t, v)| *t += v);
    }
    total
}

/// Cholesky-factors `base + ridge I` into `work`, growing the ridge until it works: lambda = 0
/// or rounding can leave a system only semi-definite, and slight extra shrinkage beats no
/// answer. The first ridge is `relative` times the mean diagonal.
fn factor_with_ridge(base: &[f64], work: &mut [f64], f: usize, relative: f64) -> bool {
    let scale = ((0..f).map(|d| base[d * f + d].abs()).sum::<f64>() / f as f64).max(1e-12);
    let mut ridge = relative * scale;
    for _ in 0..6 {
        work.copy_from_slice(base);
        for d in 0..f {
            work[d * f + d] += ridge;
        }
        if cholesky(work, f) {
            return true;
        }
        ridge = (ridge * 100.0).max(scale * 1e-8);
    }
    false
}

/// In-place Cholesky of the lower triangle of a row-major `n x n` matrix; false unless
/// positive definite.
fn cholesky(a: &mut [f64], n: usize) -> bool {
    for j in 0..n {
        let row_j = &mut a[j * n..(j + 1) * n];
        let d = row_j[j] - dot(&row_j[..j], &row_j[..j]);
        if !(d > 0.0 && d.is_finite()) {
            return false;
        }
        row_j[j] = d.sqrt();
        for i in j + 1..n {
            let (upper, lower) = a.split_at_mut(i * n);
            let (lj, li) = (&upper[j * n..=j * n + j], &mut lower[..=j]);
            li[j] = (li[j] - dot(&li[..j], &lj[..j])) / lj[j];
        }
    }
    true
}

/// Solves `L Lt x = b` in place, given `L` from [`cholesky`].
fn cholesky_solve(l: &[f64], b: &mut [f64], n: usize) {
    for i in 0..n {
        b[i] = (b[i] - dot(&l[i * n..i * n + i], &b[..i])) / l[i * n + i];
    }
    for i in (0..n).rev() {
        b[i] /= l[i * n + i];
        let xi = b[i];
        b[..i]
            .iter_mut()
            .zip(&l[i * n..])
            .for_each(|(bk, lik)| *bk -= lik * xi);
    }
}

fn dot<T: Copy + std::iter::Sum + std::ops::Mul<Output = T>>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).map(|(&p, &q)| p * q).sum()
}

/// Cosine of `a` (norm given) and `b`; `None` when either is zero or the result not finite.
fn cosine(a: &[f32], b: &[f32], a_norm: f32) -> Option<f32> {
    let b_norm = dot(b, b).sqrt();
    let s = dot(a, b) / (a_norm * b_norm);
    (a_norm > 0.0 && b_norm > 0.0 && s.is_finite()).then(|| s.clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::AlsError::*;
    use super::*;

    type Data = [(u32, u32, f32)];

    fn opts(factors: usize, iterations: usize) -> AlsOptions {
        let o = AlsOptions::default();
        AlsOptions {
            factors,
            iterations,
            ..o
        }
    }

    fn random_data(users: u32, items: u32, n: usize, seed: u64) -> Vec<(u32, u32, f32)> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut triple = || (rng.random_range(0..users), rng.random_range(0..items), 1.0);
        (0..n).map(|_| triple()).collect()
    }

    /// The full HKV objective, over observed and unobserved cells.
    fn hkv_loss(m: &AlsModel, data: &Data, o: &AlsOptions) -> f64 {
        let mut r = vec![0.0; m.users * m.items];
        for &(u, i, s) in data {
            r[u as usize * m.items + i as usize] += f64::from(s);
        }
        let wide = |v: Option<&[f32]>| v.unwrap().iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let mut loss = 0.0;
        for (cell, &rui) in r.iter().enumerate() {
            let (x, y) = (m.user_vector(cell / m.items), m.item_vector(cell % m.items));
            let score = dot(&wide(x), &wide(y));
            let err = f64::from(rui > 0.0) - score;
            loss += (1.0 + f64::from(o.alpha) * rui) * err * err;
        }
        let sq = |v: &[f32]| v.iter().map(|x| f64::from(x * x)).sum::<f64>();
        loss + f64::from(o.regularization) * (sq(&m.user_factors) + sq(&m.item_factors))
    }

    #[test]
    fn disjoint_groups_give_block_similarity() {
        // Users 0..50 buy about 90% of items 0..10, users 50..100 of items 10..20.
        let mut rng = StdRng::seed_from_u64(7);
        let mut data = Vec::new();
        for u in 0..100u32 {
            let first = if u < 50 { 0 } else { 10 };
            for i in (first..first + 10).filter(|_| rng.random_bool(0.9)) {
                data.push((u, i, 1.0));
            }
        }
        let m = AlsModel::train(&data, 100, 20, &opts(8, 10)).unwrap();
        for a in 0..20 {
            for b in (0..20).filter(|&b| b != a) {
                let s = m.item_similarity(a, b);
                let same = (a < 10) == (b < 10);
                assert!(if same { s > 0.8 } else { s < 0.3 }, "{a}, {b}: {s}");
            }
        }
        let top = m.similar_items(3, 9, None);
        let in_block = top.iter().filter(|&&(j, _)| j < 10 && j != 3).count();
        let sorted = top.windows(2).all(|w| w[0].1 >= w[1].1);
        assert!(in_block == 9 && sorted, "{top:?}");
        let odd = m.similar_items(3, 3, Some(&|j| j % 2 == 1));
        let all_odd = odd.iter().all(|&(j, _)| j % 2 == 1 && j < 10);
        assert!(odd.len() == 3 && all_odd, "{odd:?}");
    }

    #[test]
    fn same_seed_is_deterministic() {
        let data = random_data(30, 40, 300, 1);
        let mut o = opts(8, 5);
        let a = AlsModel::train(&data, 30, 40, &o).unwrap();
        let b = AlsModel::train(&data, 30, 40, &o).unwrap();
        assert_eq!(a.item_factors, b.item_factors);
        assert_eq!(a.user_factors, b.user_factors);
        o.seed = 43;
        let c = AlsModel::train(&data, 30, 40, &o).unwrap();
        assert_ne!(a.item_factors, c.item_factors);
    }

    #[test]
    fn training_reduces_hkv_loss() {
        let data = random_data(30, 40, 250, 2);
        let fit = |it| AlsModel::fit(&data, 30, 40, &opts(8, it)).unwrap();
        let losses = [1, 2, 5, 10].map(|it| hkv_loss(&fit(it), &data, &opts(8, it)));
        // Every half-sweep is an exact block minimisation, so the objective never rises.
        let never_rises = losses.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-6));
        assert!(never_rises && losses[3] < losses[0] * 0.99, "{losses:?}");
        // Items were solved last and exactly, so nudging any item coordinate cannot help.
        for (index, step) in [(0, 0.01), (17, -0.01), (100, 0.01), (318, -0.01)] {
            let mut nudged = fit(10);
            nudged.item_factors[index] += step;
            assert!(
                hkv_loss(&nudged, &data, &opts(8, 10)) > losses[3],
                "{index}"
            );
        }
        // The change of basis made for similarity keeps every prediction.
        let (raw, trained) = (fit(10), AlsModel::train(&data, 30, 40, &opts(8, 10)));
        let trained = trained.unwrap();
        for (u, i) in [(0, 0), (3, 7), (29, 39), (12, 20)] {
            assert!((raw.score(u, i) - trained.score(u, i)).abs() < 1e-4);
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let o = opts(4, 2);
        let err = |data: &Data, o: &AlsOptions| AlsModel::train(data, 3, 4, o).err();
        let second_bad = [(0, 0, 1.0), (3, 0, 1.0)];
        assert_eq!(err(&second_bad, &o), Some(UserOutOfRange(1)));
        assert_eq!(err(&[(0, 4, 1.0)], &o), Some(ItemOutOfRange(0)));
        for s in [f32::NAN, -1.0, 0.0, f32::INFINITY] {
            assert_eq!(err(&[(0, 0, 1.0), (1, 1, s)], &o), Some(InvalidStrength(1)));
        }
        let huge = [(2, 1, f32::MAX), (2, 1, f32::MAX)];
        assert_eq!(err(&huge, &o), Some(StrengthOverflow(2, 1)));
        assert_eq!(err(&[], &opts(0, 1)), Some(InvalidFactors(0)));
        let mut bad = o.clone();
        bad.alpha = f32::NAN;
        assert!(matches!(err(&[], &bad), Some(InvalidParameter("alpha", _))));
        let too_large = AlsModel::train(&[], usize::MAX, 1, &o).err();
        assert_eq!(too_large, Some(TooLarge));
        // Zero regularisation leaves single-purchase systems singular; the ridge copes.
        bad.alpha = 1.0;
        bad.regularization = 0.0;
        let m = AlsModel::train(&[(0, 0, 1.0), (1, 1, 2.0), (1, 1, 3.0)], 3, 4, &bad).unwrap();
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        assert!(finite(&m.item_factors) && finite(&m.user_factors));
        assert!(m.score(1, 1) > 0.5 && m.score(9, 0) == 0.0 && m.item_similarity(0, 99) == 0.0);
        assert!(m.similar_items(99, 3, None).is_empty() && m.item_vector(4).is_none());
    }

    #[test]
    fn unbought_item_is_never_similar() {
        let mut data = random_data(20, 10, 150, 3);
        data.retain(|t| t.1 != 4);
        let m = AlsModel::train(&data, 20, 10, &opts(8, 5)).unwrap();
        assert!(m.item_vector(4).unwrap().iter().all(|&x| x == 0.0));
        assert!((0..10).all(|j| m.item_similarity(4, j) == 0.0 && m.item_similarity(j, 4) == 0.0));
        assert!(m.similar_items(4, 5, None).is_empty());
        for j in (0..10).filter(|&j| j != 4) {
            let hits = m.similar_items(j, 20, None);
            let valid = hits.iter().all(|&(h, _)| h != 4 && h != j);
            assert!(hits.len() == 8 && valid, "{hits:?}");
        }
    }

    #[test]
    fn medium_size_finishes() {
        let data = random_data(500, 5_000, 20_000, 4);
        let start = std::time::Instant::now();
        let m = AlsModel::train(&data, 500, 5_000, &opts(32, 5)).unwrap();
        let took = start.elapsed();
        eprintln!("ALS 500 users x 5000 items x 20000 buys, f=32, 5 iterations: {took:?}");
        assert!(m.factors() == 32 && m.item_factors.iter().all(|x| x.is_finite()));
        assert_eq!(m.similar_items(data[0].1 as usize, 10, None).len(), 10);
    }
}
