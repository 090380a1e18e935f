//! The tantivy side: schema, documents, and BM25 queries with filters inside the query.

use std::ops::Bound;

use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::{Index, TantivyDocument, Term};

use crate::catalog::Product;

/// Tokenizer for product text: simple words, lowercased, English stemming.
const TOKENIZER: &str = "en_stem";

/// Field handles of the product schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    pub brand: Field,
    pub category_text: Field,
    pub description: Field,
    pub category: Field,
    pub price: Field,
    pub rating: Field,
    pub in_stock: Field,
}

/// Text fields searched, with the weight of a match in each.
fn searched(fields: &Fields) -> [(Field, f32); 4] {
    [
        (fields.title, 3.0),
        (fields.brand, 2.0),
        (fields.category_text, 2.0),
        (fields.description, 0.5),
    ]
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        brand: b.add_text_field("brand", text.clone()),
        category_text: b.add_text_field("category_text", text.clone()),
        description: b.add_text_field("description", text),
        category: b.add_facet_field("category", FacetOptions::default()),
        price: b.add_i64_field("price_minor", INDEXED | FAST),
        rating: b.add_f64_field("rating", INDEXED | FAST),
        in_stock: b.add_u64_field("in_stock", INDEXED | FAST),
    };
    (b.build(), fields)
}

pub(crate) fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    Ok(Fields {
        id: schema.get_field("id")?,
        title: schema.get_field("title")?,
        brand: schema.get_field("brand")?,
        category_text: schema.get_field("category_text")?,
        description: schema.get_field("description")?,
        category: schema.get_field("category")?,
        price: schema.get_field("price_minor")?,
        rating: schema.get_field("rating")?,
        in_stock: schema.get_field("in_stock")?,
    })
}

pub(crate) fn facet(path: &[String]) -> Facet {
    Facet::from_path(path.iter().map(|s| s.replace('/', " ")))
}

pub(crate) fn document(fields: &Fields, p: &Product) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &p.id);
    doc.add_text(fields.title, &p.title);
    if let Some(brand) = &p.brand {
        doc.add_text(fields.brand, brand);
    }
    // "USBCables" is one token; split camel case so "usb cables" matches it.
    let category_words: Vec<String> = p.category_path.iter().map(|c| split_camel(c)).collect();
    doc.add_text(fields.category_text, category_words.join(" "));
    doc.add_text(fields.description, &p.description);
    if !p.category_path.is_empty() {
        doc.add_facet(fields.category, facet(&p.category_path));
    }
    if let Some(price) = p.price {
        doc.add_i64(fields.price, price.minor);
    }
    if let Some(r) = p.rating {
        doc.add_f64(fields.rating, r as f64);
    }
    doc.add_u64(fields.in_stock, u64::from(p.in_stock));
    doc
}

/// "USBCables" -> "USB Cables", "In-Ear" -> "In-Ear", "Home&Kitchen" -> "Home & Kitchen".
pub(crate) fn split_camel(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_uppercase() && c.is_uppercase() && next_lower)
                || c == '&'
                || prev == '&';
            if boundary {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

/// Words that say nothing about a product (English, and the Hinglish glue words Indian
/// shoppers type). They match most descriptions, so scoring them costs time and adds noise.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "get",
    "has", "have", "i", "in", "is", "it", "me", "my", "need", "of", "on", "or", "so", "some",
    "someth", "that", "the", "thing", "this", "to", "want", "was", "what", "which", "who", "will",
    "with", "you", "your", "ka", "ke", "ki", "ko", "liy", "liye", "hai", "chahiy", "chahiye",
    "mujh", "mujhe", "koi", "acha", "accha", "wala", "wali",
];

/// The query's words as the index tokenised them, stopwords dropped (unless nothing else is left).
pub(crate) fn query_terms(index: &Index, query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let Some(mut analyzer) = index.tokenizers().get(TOKENIZER) else {
        return terms;
    };
    let mut stream = analyzer.token_stream(query);
    while let Some(token) = stream.next() {
        if !terms.contains(&token.text) {
            terms.push(token.text.clone());
        }
    }
    let content: Vec<String> = terms
        .iter()
        .filter(|t| !STOPWORDS.contains(&t.as_str()))
        .cloned()
        .collect();
    if content.is_empty() { terms } else { content }
}

/// Builds the BM25 query: for each word, the best-matching field (plus a share of the others),
/// summed over words. Query syntax is never interpreted: a customer's "-" or ":" is just text.
pub(crate) fn text_query(index: &Index, fields: &Fields, query: &str) -> Option<Box<dyn Query>> {
    let terms = query_terms(index, query);
    if terms.is_empty() {
        return None;
    }
    let per_term: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|t| {
            let disjuncts: Vec<Box<dyn Query>> = searched(fields)
                .iter()
                .map(|&(field, boost)| {
                    let q = TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::WithFreqs,
                    );
                    Box::new(BoostQuery::new(Box::new(q), boost)) as Box<dyn Query>
                })
                .collect();
            let q: Box<dyn Query> = Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, 0.2));
            (Occur::Should, q)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(per_term)))
}

/// Filter clauses: category prefixes (any of), price bounds in minor units, rating, stock.
pub(crate) fn filter_clauses(
    fields: &Fields,
    categories: Option<&[Vec<String>]>,
    price_minor: (Option<i64>, Option<i64>),
    min_rating: Option<f32>,
    in_stock: bool,
) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(prefixes) = categories {
        let any: Vec<(Occur, Box<dyn Query>)> = prefixes
            .iter()
            .map(|p| {
                let q = TermQuery::new(
                    Term::from_facet(fields.category, &facet(p)),
                    IndexRecordOption::Basic,
                );
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    let (lo, hi) = price_minor;
    if lo.is_some() || hi.is_some() {
        let bound = |v: Option<i64>| {
            v.map_or(Bound::Unbounded, |v| {
                Bound::Included(Term::from_field_i64(fields.price, v))
            })
        };
        clauses.push((Occur::Must, Box::new(RangeQuery::new(bound(lo), bound(hi)))));
    }
    if let Some(r) = min_rating {
        let lo = Bound::Included(Term::from_field_f64(fields.rating, r as f64));
        clauses.push((Occur::Must, Box::new(RangeQuery::new(lo, Bound::Unbounded))));
    }
    if in_stock {
        let q = TermQuery::new(
            Term::from_field_u64(fields.in_stock, 1),
            IndexRecordOption::Basic,
        );
        clauses.push((Occur::Must, Box::new(q)));
    }
    clauses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_category_words_for_matching() {
        assert_eq!(split_camel("USBCables"), "USB Cables");
        assert_eq!(
            split_camel("HomeTheater,TV&Video"),
            "Home Theater,TV & Video"
        );
        assert_eq!(split_camel("In-Ear"), "In-Ear");
        assert_eq!(split_camel(""), "");
    }
}
