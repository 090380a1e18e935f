//! "Which of the catalog's categories does this text name?" by embedding similarity to every
//! node of the category tree, with a small bonus when the node's name is written out.

use crate::embed::Embedder;

use super::Result;

/// Bonus added to the cosine similarity when a node's name appears in the text as words.
const NAMED_BONUS: f32 = 0.1;
/// A deeper node within this similarity of the best one wins: the more specific the better.
const DEPTH_MARGIN: f32 = 0.02;

/// Every node of the catalog's category tree with its embedding.
#[derive(Debug, Clone)]
pub struct CategoryResolver {
    /// Path of each node, root first.
    nodes: Vec<Vec<String>>,
    /// Each node's name, normalised for matching words.
    names: Vec<String>,
    vectors: Vec<Vec<f32>>,
}

impl CategoryResolver {
    /// Embeds every node (each path prefix) of `paths`. A node is embedded as its parent and
    /// its name ("Headphones > In-Ear"), which says more than the name alone.
    pub fn new(paths: &[Vec<String>], embedder: &dyn Embedder) -> Result<CategoryResolver> {
        let mut nodes: Vec<Vec<String>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for path in paths {
            for len in 1..=path.len() {
                let prefix = &path[..len];
                if seen.insert(prefix.to_vec()) {
                    nodes.push(prefix.to_vec());
                }
            }
        }
        let texts: Vec<String> = nodes
            .iter()
            .map(|n| match n.len() {
                0 | 1 => n.join(""),
                l => format!("{} > {}", n[l - 2], n[l - 1]),
            })
            .collect();
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(64) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            vectors.extend(embedder.embed(&refs)?);
        }
        let names = nodes
            .iter()
            .map(|n| normalise(n.last().map_or("", String::as_str)))
            .collect();
        Ok(CategoryResolver {
            nodes,
            names,
            vectors,
        })
    }

    /// Nodes in the tree.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when the catalog has no categories.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The path of node `node`.
    pub fn path(&self, node: usize) -> &[String] {
        &self.nodes[node]
    }

    /// The best node for `text` (embedded as `vector`) and its score.
    pub fn resolve(&self, text: &str, vector: &[f32]) -> Option<(usize, f32)> {
        let words = format!(" {} ", normalise(text));
        let scored: Vec<(usize, f32)> = self
            .vectors
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut s = crate::embed::cosine(vector, v);
                let name = &self.names[i];
                if !name.is_empty() && words.contains(&format!(" {name} ")) {
                    s += NAMED_BONUS;
                }
                (i, s)
            })
            .collect();
        let best = scored.iter().map(|(_, s)| *s).fold(f32::MIN, f32::max);
        scored
            .into_iter()
            .filter(|(_, s)| *s >= best - DEPTH_MARGIN)
            .max_by(|a, b| {
                self.nodes[a.0]
                    .len()
                    .cmp(&self.nodes[b.0].len())
                    .then(a.1.total_cmp(&b.1))
            })
    }
}

/// Lowercase words with plural "s" dropped, so "USB Cables" matches "usb cable".
fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_as_words_whatever_the_plural() {
        assert_eq!(normalise("USB Cables"), "usb cable");
        assert!(
            format!(" {} ", normalise("a braided usb cable under 300")).contains(" usb cable ")
        );
    }
}
