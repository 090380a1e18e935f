//! Basket statistics: "which products, and which categories, end up in the same basket?"
//!
//! Learned once from orders at index time and stored compactly beside the catalog
//! (`copurchase.bin`): per product, how many baskets hold it and its strongest neighbours with
//! the number of baskets holding both; per leaf category, the same at category level, which is
//! what gives a product without history a sensible cross-sell (cold start).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::catalog::{Order, Product};

use super::{Error, Result};

/// File name of the statistics inside an index generation.
pub const STATS_FILE: &str = "copurchase.bin";

const MAGIC: &[u8; 8] = b"SCRSTAT2";
/// The first format, without buyers: read with each basket its own customer.
const MAGIC_V1: &[u8; 8] = b"SCRSTAT1";

/// How much to keep when learning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnOptions {
    /// Neighbours kept per product (the strongest by count and by specificity).
    pub neighbours: usize,
    /// Complementary categories kept per category.
    pub category_neighbours: usize,
    /// Items of a basket counted (the first ones in cart order): a 300-item restock order says
    /// little about what goes together and would cost 45,000 pairs.
    pub max_basket: usize,
}

impl Default for LearnOptions {
    fn default() -> LearnOptions {
        LearnOptions {
            neighbours: 100,
            category_neighbours: 64,
            max_basket: 64,
        }
    }
}

/// Leaf category of every product row, interned: row order decides the ids, so the same catalog
/// always gives the same ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaves {
    /// Per row: index into `paths`, or `u32::MAX` for a product without a category.
    pub of_row: Vec<u32>,
    /// Distinct category paths.
    pub paths: Vec<Vec<String>>,
}

impl Leaves {
    /// Interns the products' category paths.
    pub fn of(products: &[Product]) -> Leaves {
        let mut ids: HashMap<&[String], u32> = HashMap::new();
        let mut paths = Vec::new();
        let of_row = products
            .iter()
            .map(|p| {
                if p.category_path.is_empty() {
                    return u32::MAX;
                }
                *ids.entry(p.category_path.as_slice()).or_insert_with(|| {
                    paths.push(p.category_path.clone());
                    (paths.len() - 1) as u32
                })
            })
            .collect();
        Leaves { of_row, paths }
    }

    /// The leaf of a row, if it has one.
    pub fn get(&self, row: usize) -> Option<u32> {
        self.of_row.get(row).copied().filter(|&l| l != u32::MAX)
    }
}

/// Sparse co-occurrence lists: for each key, `(other key, baskets holding both)`, as learned
/// offline plus what online events added since.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Neighbours {
    offsets: Vec<u32>,
    entries: Vec<(u32, u32)>,
    /// Online additions per key: counts on top of `entries`, including new pairs.
    added: HashMap<u32, Vec<(u32, u32)>>,
}

impl Neighbours {
    /// The neighbours of `key` with their counts, strongest first.
    pub fn of(&self, key: usize) -> Vec<(u32, u32)> {
        let base = match (self.offsets.get(key), self.offsets.get(key + 1)) {
            (Some(&a), Some(&b)) => &self.entries[a as usize..b as usize],
            _ => &[],
        };
        let mut out = base.to_vec();
        if let Some(added) = self.added.get(&(key as u32)) {
            for &(n, c) in added {
                match out.iter_mut().find(|e| e.0 == n) {
                    Some(e) => e.1 += c,
                    None => out.push((n, c)),
                }
            }
            out.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        }
        out
    }

    /// Baskets holding both `a` and `b` (0 when `b` is not among `a`'s kept neighbours).
    pub fn count(&self, a: usize, b: u32) -> u32 {
        self.of(a)
            .iter()
            .find(|&&(n, _)| n == b)
            .map_or(0, |&(_, c)| c)
    }

    /// Counts one more basket holding both `a` and `b`.
    fn bump(&mut self, a: u32, b: u32) {
        if a == b || a as usize >= self.keys() || b as usize >= self.keys() {
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            let list = self.added.entry(x).or_default();
            match list.iter_mut().find(|e| e.0 == y) {
                Some(e) => e.1 += 1,
                None => list.push((y, 1)),
            }
        }
    }

    fn keys(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Keeps, per key, the `keep` strongest pairs by raw count and the `keep` strongest by
    /// count over the square root of the neighbour's own count (so a specific complement is
    /// kept beside the bananas everyone buys).
    fn from_pairs(keys: usize, pairs: &HashMap<u64, u32>, totals: &[u32], keep: usize) -> Self {
        let mut lists: Vec<Vec<(u32, u32)>> = vec![Vec::new(); keys];
        for (&key, &count) in pairs {
            let (a, b) = ((key >> 32) as u32, key as u32);
            lists[a as usize].push((b, count));
            lists[b as usize].push((a, count));
        }
        let mut offsets = Vec::with_capacity(keys + 1);
        let mut entries = Vec::new();
        offsets.push(0);
        for list in &mut lists {
            if list.len() > keep {
                let specific =
                    |&(n, c): &(u32, u32)| c as f32 / (totals[n as usize].max(1) as f32).sqrt();
                list.sort_by(|x, y| specific(y).total_cmp(&specific(x)).then(x.0.cmp(&y.0)));
                let mut kept: Vec<(u32, u32)> = list[..keep].to_vec();
                list.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
                for &e in &list[..keep] {
                    if !kept.iter().any(|k| k.0 == e.0) {
                        kept.push(e);
                    }
                }
                *list = kept;
            }
            list.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
            entries.extend_from_slice(list);
            offsets.push(entries.len() as u32);
        }
        Neighbours {
            offsets,
            entries,
            added: HashMap::new(),
        }
    }
}

/// What baskets say about products and categories.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BasketStats {
    /// Baskets learned from.
    pub baskets: u32,
    /// Per product row: baskets holding it.
    pub item_counts: Vec<u32>,
    /// Per product row: customers who bought it (a basket without a customer counts as one).
    pub item_buyers: Vec<u32>,
    /// Customers learned from.
    pub customers: u32,
    /// Per product row: products bought with it, counted once per customer who put both in
    /// one basket (so one customer's weekly habit counts once, as what it says about
    /// other shoppers is that one customer's taste).
    pub items: Neighbours,
    /// Per leaf category: baskets holding one of its products.
    pub category_counts: Vec<u32>,
    /// Per leaf category: categories bought with it.
    pub categories: Neighbours,
}

/// Pair key of two distinct ids, smaller first.
fn pair_key(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

/// Orders as baskets of product rows, one per order in order: unknown ids and repeats dropped,
/// so a basket may be empty ([`BasketStats::learn`] skips those); one-item baskets are kept
/// (they still count towards popularity).
pub fn baskets_of(orders: &[Order], row_of: &dyn Fn(&str) -> Option<usize>) -> Vec<Vec<u32>> {
    orders
        .iter()
        .map(|o| {
            let mut rows: Vec<u32> = Vec::with_capacity(o.items.len());
            for id in &o.items {
                if let Some(r) = row_of(id)
                    && !rows.contains(&(r as u32))
                {
                    rows.push(r as u32);
                }
            }
            rows
        })
        .collect()
}

/// The customer of each order as a small id, in order: orders of one `customer_id` share
/// one; an order without a customer is its own.
pub fn customers_of(orders: &[Order]) -> Vec<u32> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let mut next = 0u32;
    orders
        .iter()
        .map(|o| {
            let mut fresh = || {
                next += 1;
                next - 1
            };
            match o.customer_id.as_deref() {
                Some(c) => *ids.entry(c).or_insert_with(fresh),
                None => fresh(),
            }
        })
        .collect()
}

/// The orders of each named customer, as indices into `orders`, oldest first: by their
/// sequence number where the source gives one, else as listed. Customers come in the order
/// they first appear; orders without a customer are left out.
pub fn orders_by_customer(orders: &[Order]) -> Vec<(&str, Vec<usize>)> {
    let mut out: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, o) in orders.iter().enumerate() {
        let Some(c) = o.customer_id.as_deref() else {
            continue;
        };
        let slot = *at.entry(c).or_insert_with(|| {
            out.push((c, Vec::new()));
            out.len() - 1
        });
        out[slot].1.push(i);
    }
    for (_, list) in &mut out {
        list.sort_by_key(|&i| (orders[i].sequence.unwrap_or(0), i));
    }
    out
}

impl BasketStats {
    /// Counts products and leaf categories over `baskets` (rows into a catalog of `rows`
    /// products whose leaves are `leaves`), each basket its own customer.
    pub fn learn(
        rows: usize,
        leaves: &Leaves,
        baskets: &[Vec<u32>],
        options: &LearnOptions,
    ) -> BasketStats {
        let customers: Vec<u32> = (0..baskets.len() as u32).collect();
        BasketStats::learn_by_customer(rows, leaves, baskets, &customers, options)
    }

    /// Counts products and leaf categories over `baskets`, where `customers[i]` is the
    /// customer of basket `i`: product pairs and buyers count once per customer.
    pub fn learn_by_customer(
        rows: usize,
        leaves: &Leaves,
        baskets: &[Vec<u32>],
        customers: &[u32],
        options: &LearnOptions,
    ) -> BasketStats {
        let mut item_counts = vec![0u32; rows];
        let mut item_buyers = vec![0u32; rows];
        let mut category_counts = vec![0u32; leaves.paths.len()];
        let mut item_pairs: HashMap<u64, u32> = HashMap::new();
        let mut category_pairs: HashMap<u64, u32> = HashMap::new();
        let mut learned = 0u32;
        let mut cats: Vec<u32> = Vec::new();
        // What each customer has counted already: (customer, pair) and (customer, item).
        let mut seen_pairs: std::collections::HashSet<(u32, u64)> = Default::default();
        let mut seen_items: std::collections::HashSet<(u32, u32)> = Default::default();
        let mut distinct: std::collections::HashSet<u32> = Default::default();
        for (i, basket) in baskets.iter().enumerate() {
            let customer = customers.get(i).copied().unwrap_or(u32::MAX - i as u32);
            let mut kept: Vec<u32> = Vec::with_capacity(basket.len().min(options.max_basket));
            for &r in basket {
                if (r as usize) < rows && !kept.contains(&r) && kept.len() < options.max_basket {
                    kept.push(r);
                }
            }
            let basket = kept;
            if basket.is_empty() {
                continue;
            }
            learned += 1;
            distinct.insert(customer);
            for (i, &a) in basket.iter().enumerate() {
                item_counts[a as usize] += 1;
                if seen_items.insert((customer, a)) {
                    item_buyers[a as usize] += 1;
                }
                for &b in &basket[i + 1..] {
                    let key = pair_key(a, b);
                    if a != b && seen_pairs.insert((customer, key)) {
                        *item_pairs.entry(key).or_default() += 1;
                    }
                }
            }
            cats.clear();
            cats.extend(basket.iter().filter_map(|&r| leaves.get(r as usize)));
            cats.sort_unstable();
            cats.dedup();
            for (i, &a) in cats.iter().enumerate() {
                category_counts[a as usize] += 1;
                for &b in &cats[i + 1..] {
                    *category_pairs.entry(pair_key(a, b)).or_default() += 1;
                }
            }
        }
        BasketStats {
            baskets: learned,
            customers: distinct.len() as u32,
            items: Neighbours::from_pairs(rows, &item_pairs, &item_buyers, options.neighbours),
            categories: Neighbours::from_pairs(
                leaves.paths.len(),
                &category_pairs,
                &category_counts,
                options.category_neighbours,
            ),
            item_counts,
            item_buyers,
            category_counts,
        }
    }

    /// Adds one basket to the counts in place (online learning): new pairs join the
    /// neighbour lists, so a new complement becomes visible at once.
    pub fn add_basket(&mut self, leaves: &Leaves, basket: &[u32]) {
        let mut earlier: Vec<u32> = Vec::with_capacity(basket.len());
        for &r in basket {
            if !earlier.contains(&r) {
                self.add_to_basket(leaves, &earlier, r);
                earlier.push(r);
            }
        }
    }

    /// Adds `item` to a basket already holding `earlier` (counted before): one more basket if
    /// `earlier` is empty, one more purchase of `item`, one more pair with each earlier item
    /// and, for a category new to the basket, with each earlier category.
    pub fn add_to_basket(&mut self, leaves: &Leaves, earlier: &[u32], item: u32) {
        if item as usize >= self.item_counts.len() || earlier.contains(&item) {
            return;
        }
        // An online basket (a session) is its own customer.
        if earlier.is_empty() {
            self.baskets += 1;
            self.customers += 1;
        }
        self.item_counts[item as usize] += 1;
        if let Some(n) = self.item_buyers.get_mut(item as usize) {
            *n += 1;
        }
        for &e in earlier {
            self.items.bump(e, item);
        }
        let Some(leaf) = leaves.get(item as usize) else {
            return;
        };
        let mut cats: Vec<u32> = earlier
            .iter()
            .filter_map(|&r| leaves.get(r as usize))
            .collect();
        if cats.contains(&leaf) {
            return;
        }
        cats.sort_unstable();
        cats.dedup();
        if let Some(n) = self.category_counts.get_mut(leaf as usize) {
            *n += 1;
        }
        for c in cats {
            self.categories.bump(c, leaf);
        }
    }

    /// Writes the statistics as learned offline (online additions are not persisted here: the
    /// event log replays them) as little-endian u32 arrays after a magic and the sizes).
    pub fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(MAGIC)?;
        let mut put = |values: &[u32]| -> std::io::Result<()> {
            out.write_all(&(values.len() as u32).to_le_bytes())?;
            for v in values {
                out.write_all(&v.to_le_bytes())?;
            }
            Ok(())
        };
        put(&[self.baskets, self.customers])?;
        put(&self.item_counts)?;
        put(&self.item_buyers)?;
        put(&self.items.offsets)?;
        put(&flatten(&self.items.entries))?;
        put(&self.category_counts)?;
        put(&self.categories.offsets)?;
        put(&flatten(&self.categories.entries))
    }

    /// Reads statistics written by [`BasketStats::write`] for a catalog of `rows` products and
    /// `leaves` leaf categories, checking every offset and id.
    pub fn read(path: &Path, rows: usize, leaves: usize) -> Result<BasketStats> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            context: format!("reading {}", path.display()),
            source,
        })?;
        let bad = |reason: &str| Error::BadStats {
            path: path.display().to_string(),
            reason: reason.to_string(),
        };
        let (body, v1) = match (
            bytes.strip_prefix(MAGIC.as_slice()),
            bytes.strip_prefix(MAGIC_V1.as_slice()),
        ) {
            (Some(body), _) => (body, false),
            (None, Some(body)) => (body, true),
            (None, None) => return Err(bad("not a shopclerk statistics file (bad magic)")),
        };
        let mut words = body
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        if body.len() % 4 != 0 {
            return Err(bad("truncated"));
        }
        let mut take = |what: &str| -> Result<Vec<u32>> {
            let n = words
                .next()
                .ok_or_else(|| bad(&format!("{what}: truncated")))? as usize;
            let v: Vec<u32> = words.by_ref().take(n).collect();
            if v.len() != n {
                return Err(bad(&format!("{what}: truncated")));
            }
            Ok(v)
        };
        let header = take("header")?;
        let baskets = header.first().copied().unwrap_or(0);
        let item_counts = take("item counts")?;
        let (customers, item_buyers) = if v1 {
            (baskets, item_counts.clone())
        } else {
            (
                header.get(1).copied().unwrap_or(baskets),
                take("item buyers")?,
            )
        };
        let (item_offsets, item_pairs) = (take("item offsets")?, take("item pairs")?);
        let category_counts = take("category counts")?;
        let (category_offsets, category_pairs) =
            (take("category offsets")?, take("category pairs")?);
        if item_counts.len() != rows || item_buyers.len() != rows || category_counts.len() != leaves
        {
            return Err(bad(&format!(
                "made for {} products and {} categories, the catalog has {rows} and {leaves}; rebuild the index",
                item_counts.len(),
                category_counts.len()
            )));
        }
        let items = neighbours(item_offsets, item_pairs, rows)
            .map_err(|r| bad(&format!("item neighbours: {r}")))?;
        let categories = neighbours(category_offsets, category_pairs, leaves)
            .map_err(|r| bad(&format!("category neighbours: {r}")))?;
        Ok(BasketStats {
            baskets,
            customers,
            item_counts,
            item_buyers,
            items,
            category_counts,
            categories,
        })
    }
}

fn flatten(entries: &[(u32, u32)]) -> Vec<u32> {
    entries.iter().flat_map(|&(a, b)| [a, b]).collect()
}

fn neighbours(
    offsets: Vec<u32>,
    flat: Vec<u32>,
    keys: usize,
) -> std::result::Result<Neighbours, String> {
    if offsets.len() != keys + 1 || offsets.first() != Some(&0) {
        return Err(format!("{} offsets for {keys} keys", offsets.len()));
    }
    if offsets.windows(2).any(|w| w[0] > w[1])
        || *offsets.last().unwrap_or(&0) as usize * 2 != flat.len()
    {
        return Err("offsets out of order or past the end".into());
    }
    let entries: Vec<(u32, u32)> = flat.chunks_exact(2).map(|c| (c[0], c[1])).collect();
    if entries.iter().any(|&(k, _)| k as usize >= keys) {
        return Err("a neighbour id is out of range".into());
    }
    Ok(Neighbours {
        offsets,
        entries,
        added: HashMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> (Leaves, usize) {
        let mut products = Vec::new();
        for (id, cat) in [
            ("camera", "Cameras"),
            ("card", "Memory"),
            ("tripod", "Tripods"),
            ("camera2", "Cameras"),
            ("bare", ""),
        ] {
            let mut p = Product::new(id, id);
            if !cat.is_empty() {
                p.category_path = vec!["Electronics".into(), cat.into()];
            }
            products.push(p);
        }
        (Leaves::of(&products), products.len())
    }

    #[test]
    fn counts_pairs_of_products_and_categories() {
        let (leaves, rows) = catalog();
        assert_eq!(leaves.paths.len(), 3);
        assert_eq!(leaves.get(4), None);
        let baskets = vec![
            vec![0, 1],
            vec![0, 1, 2],
            vec![3, 1],
            vec![1],
            vec![0, 0, 2],
        ];
        let stats = BasketStats::learn(rows, &leaves, &baskets, &LearnOptions::default());
        assert_eq!(stats.baskets, 5);
        assert_eq!(stats.item_counts, vec![3, 4, 2, 1, 0]);
        assert_eq!(stats.items.of(0), vec![(1, 2), (2, 2)]);
        assert_eq!(stats.items.count(1, 3), 1);
        assert_eq!(stats.items.count(3, 2), 0);
        // Cameras (0 and 3 share leaf 0) appear in 4 baskets, with Memory in 3 of them.
        assert_eq!(stats.category_counts[0], 4);
        assert_eq!(stats.categories.count(0, 1), 3);
    }

    #[test]
    fn a_customers_habit_counts_once_for_pairs_and_buyers() {
        let (leaves, rows) = catalog();
        // Customer 0 buys camera and card together every week; customer 1 once.
        let baskets = vec![vec![0, 1], vec![0, 1], vec![0, 1], vec![0, 1, 2]];
        let customers = vec![0, 0, 0, 1];
        let stats = BasketStats::learn_by_customer(
            rows,
            &leaves,
            &baskets,
            &customers,
            &LearnOptions::default(),
        );
        assert_eq!((stats.baskets, stats.customers), (4, 2));
        assert_eq!(
            stats.item_counts[..3],
            [4, 4, 1],
            "popularity stays per basket"
        );
        assert_eq!(stats.item_buyers[..3], [2, 2, 1]);
        assert_eq!(stats.items.count(0, 1), 2, "two shoppers, not four baskets");
        // Orders without a customer are each their own.
        let orders: Vec<Order> = ["a", "a", ""]
            .iter()
            .enumerate()
            .map(|(i, c)| Order {
                order_id: i.to_string(),
                customer_id: (!c.is_empty()).then(|| c.to_string()),
                items: vec![],
                sequence: None,
            })
            .collect();
        assert_eq!(customers_of(&orders), vec![0, 0, 1]);
    }

    #[test]
    fn reads_the_first_format_with_each_basket_its_own_customer() {
        let (leaves, rows) = catalog();
        let stats = BasketStats::learn(
            rows,
            &leaves,
            &[vec![0, 1], vec![0, 2]],
            &LearnOptions::default(),
        );
        let mut bytes = Vec::new();
        stats.write(&mut bytes).unwrap();
        // The same file as the first format wrote it: no customers in the header, no buyers.
        let mut v1 = MAGIC_V1.to_vec();
        let words: Vec<u32> = bytes[8..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let mut kept: Vec<u32> = vec![1, words[1]];
        let rest = &words[3..];
        let n = rest[0] as usize;
        kept.extend_from_slice(&rest[..=n]);
        kept.extend_from_slice(&rest[n + 1 + 1 + n..]);
        for w in kept {
            v1.extend_from_slice(&w.to_le_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATS_FILE);
        std::fs::write(&path, &v1).unwrap();
        let read = BasketStats::read(&path, rows, 3).unwrap();
        assert_eq!(read.item_buyers, read.item_counts);
        assert_eq!((read.baskets, read.customers), (2, 2));
        assert_eq!(read.items, stats.items);
    }

    #[test]
    fn round_trips_through_the_file_and_refuses_a_damaged_one() {
        let (leaves, rows) = catalog();
        let baskets = vec![vec![0, 1], vec![0, 1, 2], vec![3, 1]];
        let stats = BasketStats::learn(rows, &leaves, &baskets, &LearnOptions::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(STATS_FILE);
        let mut bytes = Vec::new();
        stats.write(&mut bytes).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(BasketStats::read(&path, rows, 3).unwrap(), stats);
        let err = BasketStats::read(&path, rows + 1, 3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("catalog has 6"), "{err}");
        std::fs::write(&path, &bytes[..bytes.len() - 6]).unwrap();
        assert!(
            BasketStats::read(&path, rows, 3)
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
        // A neighbour id past the catalog.
        let mut bad = bytes.clone();
        let at = bytes.len() - 4 * 2;
        bad[at..at + 4].copy_from_slice(&999u32.to_le_bytes());
        std::fs::write(&path, &bad).unwrap();
        assert!(BasketStats::read(&path, rows, 3).is_err());
    }

    #[test]
    fn keeps_specific_complements_beside_popular_ones() {
        // Row 0 is bought with everything; row 1 (rare) is bought only with row 2.
        let leaves = Leaves {
            of_row: vec![u32::MAX; 40],
            paths: vec![],
        };
        let mut baskets: Vec<Vec<u32>> = (3..40).map(|r| vec![0, r, 2]).collect();
        baskets.push(vec![1, 2]);
        let options = LearnOptions {
            neighbours: 2,
            ..LearnOptions::default()
        };
        let stats = BasketStats::learn(40, &leaves, &baskets, &options);
        let kept: Vec<u32> = stats.items.of(2).iter().map(|e| e.0).collect();
        assert!(
            kept.contains(&0),
            "the most frequent neighbour is kept: {kept:?}"
        );
        assert!(
            kept.contains(&1),
            "the specific neighbour is kept: {kept:?}"
        );
        assert!(kept.len() <= 4);
    }

    #[test]
    fn online_baskets_add_new_pairs() {
        let (leaves, rows) = catalog();
        let mut stats = BasketStats::learn(rows, &leaves, &[vec![0, 1]], &LearnOptions::default());
        assert_eq!(stats.items.count(0, 2), 0);
        stats.add_basket(&leaves, &[0, 2, 2]);
        assert_eq!(stats.items.count(0, 2), 1);
        assert_eq!(stats.items.count(2, 0), 1);
        assert_eq!(stats.item_counts[..3], [2, 1, 1]);
        assert_eq!(stats.baskets, 2);
        assert_eq!(stats.categories.count(0, 2), 1);
    }
}
