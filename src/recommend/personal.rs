//! Personal signals: "what does this customer buy again and again, in which categories, and
//! with what?"
//!
//! A [`Profile`] summarises one customer's orders (the orders file and their purchases since),
//! each order weighted by recency, `decay^age` with age 0 for the latest (the within-customer
//! half of TIFU-KNN, Hu et al., "Modeling Personalized Item Frequency Information for
//! Next-basket Recommendation", SIGIR 2020). [`super::signals::Personal`] turns it into
//! log-evidence for the blend.

use std::collections::HashMap;

use super::stats::Leaves;

/// Orders of one customer a profile keeps (the latest): older ones weigh almost nothing.
pub const MAX_ORDERS: usize = 100;

/// One customer's purchase history, recency-weighted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// The kept orders as product rows, oldest first.
    orders: Vec<Vec<u32>>,
    /// Per order: `decay^age`.
    weights: Vec<f32>,
    /// Sum of `weights`: the effective number of orders.
    total: f32,
    /// Per row: the summed weights of the orders holding it.
    frequency: HashMap<u32, f32>,
    /// Per leaf category: the summed weights of the orders holding one of its products.
    affinity: HashMap<u32, f32>,
}

impl Profile {
    /// The profile of a customer whose orders (product rows, oldest first) are `orders`, each
    /// order weighing `decay` times the one after it (`decay` in (0, 1]; outside, 1).
    pub fn new(orders: &[Vec<u32>], decay: f32, leaves: &Leaves) -> Profile {
        let decay = if decay > 0.0 && decay <= 1.0 {
            decay
        } else {
            1.0
        };
        let kept = &orders[orders.len().saturating_sub(MAX_ORDERS)..];
        let mut profile = Profile::default();
        let n = kept.len();
        for (i, order) in kept.iter().enumerate() {
            let mut rows = order.clone();
            rows.sort_unstable();
            rows.dedup();
            let w = decay.powi((n - 1 - i) as i32);
            let mut leaves_seen: Vec<u32> = rows
                .iter()
                .filter_map(|&r| leaves.get(r as usize))
                .collect();
            leaves_seen.sort_unstable();
            leaves_seen.dedup();
            for &r in &rows {
                *profile.frequency.entry(r).or_default() += w;
            }
            for l in leaves_seen {
                *profile.affinity.entry(l).or_default() += w;
            }
            profile.total += w;
            profile.weights.push(w);
            profile.orders.push(rows);
        }
        profile
    }

    /// Orders kept.
    pub fn orders(&self) -> usize {
        self.orders.len()
    }

    /// The effective number of orders (their summed weights).
    pub fn weight(&self) -> f32 {
        self.total
    }

    /// `f(b)`: the weighted share of the customer's orders holding `row`, 0 to 1.
    pub fn frequency(&self, row: u32) -> f32 {
        match self.total {
            t if t > 0.0 => self.frequency.get(&row).copied().unwrap_or(0.0) / t,
            _ => 0.0,
        }
    }

    /// The weighted share of the customer's orders holding a product of leaf category
    /// `leaf`, 0 to 1.
    pub fn affinity(&self, leaf: u32) -> f32 {
        match self.total {
            t if t > 0.0 => self.affinity.get(&leaf).copied().unwrap_or(0.0) / t,
            _ => 0.0,
        }
    }

    /// Whether the customer ever bought `row`.
    pub fn bought(&self, row: u32) -> bool {
        self.frequency.contains_key(&row)
    }

    /// What the customer buys with `anchor`: per row, the summed weights of the orders
    /// holding both; and the summed weights of the orders holding `anchor`.
    pub fn companions(&self, anchor: u32) -> (HashMap<u32, f32>, f32) {
        let mut both: HashMap<u32, f32> = HashMap::new();
        let mut with_anchor = 0.0;
        for (order, &w) in self.orders.iter().zip(&self.weights) {
            if order.binary_search(&anchor).is_ok() {
                with_anchor += w;
                for &r in order.iter().filter(|&&r| r != anchor) {
                    *both.entry(r).or_default() += w;
                }
            }
        }
        (both, with_anchor)
    }

    /// Orders (unweighted) holding `row`, and holding both `anchor` and `row`: what a reason
    /// may quote.
    pub fn counts(&self, anchor: u32, row: u32) -> (usize, usize) {
        let has = |o: &Vec<u32>, r: u32| o.binary_search(&r).is_ok();
        let with_row = self.orders.iter().filter(|o| has(o, row)).count();
        let both = self
            .orders
            .iter()
            .filter(|o| has(o, row) && has(o, anchor))
            .count();
        (with_row, both)
    }

    /// Up to `n` products the customer buys most, by weighted frequency, ties by row.
    pub fn favourites(&self, n: usize) -> Vec<u32> {
        let mut rows: Vec<(u32, f32)> = self.frequency.iter().map(|(&r, &w)| (r, w)).collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.into_iter().take(n).map(|(r, _)| r).collect()
    }

    /// Up to `n` leaf categories the customer buys in most, ties by id.
    pub fn top_leaves(&self, n: usize) -> Vec<u32> {
        let mut leaves: Vec<(u32, f32)> = self.affinity.iter().map(|(&l, &w)| (l, w)).collect();
        leaves.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        leaves.into_iter().take(n).map(|(l, _)| l).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Product;

    fn leaves() -> Leaves {
        let products: Vec<Product> = [
            ("coffee", "Coffee"),
            ("oat", "Milk"),
            ("soy", "Milk"),
            ("bread", "Bakery"),
        ]
        .into_iter()
        .map(|(id, cat)| {
            let mut p = Product::new(id, id);
            p.category_path = vec!["Grocery".into(), cat.into()];
            p
        })
        .collect();
        Leaves::of(&products)
    }

    #[test]
    fn recent_orders_weigh_more_and_companions_are_counted() {
        // Oat milk in the two oldest orders, soy milk in the latest: with decay 0.5 the latest
        // order weighs as much as the two before it together.
        let orders = vec![vec![0, 1], vec![0, 1, 3], vec![0, 2]];
        let p = Profile::new(&orders, 0.5, &leaves());
        assert_eq!(p.orders(), 3);
        assert!((p.weight() - 1.75).abs() < 1e-6);
        assert!((p.frequency(0) - 1.0).abs() < 1e-6, "coffee in every order");
        assert!((p.frequency(1) - 0.75 / 1.75).abs() < 1e-6);
        assert!((p.frequency(2) - 1.0 / 1.75).abs() < 1e-6);
        assert_eq!(p.frequency(9), 0.0);
        // Milk (oat or soy) is in every order.
        assert!((p.affinity(1) - 1.0).abs() < 1e-6);
        let (with_coffee, coffee) = p.companions(0);
        assert_eq!((with_coffee[&1], coffee), (0.75, 1.75));
        assert!(!with_coffee.contains_key(&0));
        assert_eq!(p.counts(0, 1), (2, 2));
        assert_eq!(p.favourites(2), vec![0, 2]);
        assert!(p.bought(3) && !p.bought(9));
    }

    #[test]
    fn only_the_latest_orders_are_kept_and_a_bad_decay_means_none() {
        let orders: Vec<Vec<u32>> = (0..MAX_ORDERS as u32 + 5).map(|i| vec![i % 4]).collect();
        let p = Profile::new(&orders, 7.0, &leaves());
        assert_eq!(p.orders(), MAX_ORDERS);
        assert!((p.weight() - MAX_ORDERS as f32).abs() < 1e-3);
        assert_eq!(Profile::new(&[], 0.9, &leaves()).frequency(0), 0.0);
    }
}
