//! Tests of `json_constraint.rs`.
use super::*;
use proptest::prelude::*;
use serde_json::json;

fn shop() -> JsonSchema {
    JsonSchema::compile(&json!({"type":"object","properties":{
        "intent":{"type":"string","enum":["search","compare","cart","smalltalk"]},
        "query":{"type":"string","maxLength":40},
        "max_price":{"type":"number","minimum":0},
        "in_stock":{"type":"boolean"},
        "tags":{"type":"array","items":{"type":"string","maxLength":10},"maxItems":3}},
        "required":["intent","query"]}))
    .unwrap()
}

fn nested() -> JsonSchema {
    JsonSchema::compile(&json!({"type":"object","properties":{
        "a":{"type":"array","minItems":1,"maxItems":2,"items":{"type":"object","properties":{
            "n":{"type":"integer","minimum":-5,"maximum":250},"ok":{"type":"null"}},
            "required":["n"],"additionalProperties":false}},
        "e":{"enum":["x","x\"y","é\n"]},
        "z":{"type":"number","minimum":-1.5,"maximum":2.25}},
        "required":["a","z"]}))
    .unwrap()
}

/// Escaped keys, enum values that prefix each other, bounds that exclude 0, an empty object.
fn tricky() -> JsonSchema {
    JsonSchema::compile(&json!({"type":"object","properties":{
        "k\"ey":{"type":"integer","maximum":-7},
        "a":{"type":"array","items":{"type":"number","minimum":0.5,"maximum":0.75},"minItems":2,"maxItems":4},
        "s":{"enum":["ab","abc","a",""]},
        "o":{"type":"object","properties":{}}},
        "required":["k\"ey", "o"]}))
    .unwrap()
}

/// Feeds `doc` byte by byte; returns how many bytes were accepted.
fn accepted_len(schema: &JsonSchema, doc: &[u8]) -> usize {
    let mut state = schema.start();
    doc.iter().take_while(|&&b| state.push_byte(b)).count()
}

fn assert_valid(schema: &JsonSchema, doc: &str) {
    let mut state = schema.start();
    for (i, &b) in doc.as_bytes().iter().enumerate() {
        assert!(
            state.push_byte(b),
            "byte {i} ({:?}) of {doc} rejected",
            b as char
        );
    }
    assert!(state.is_complete(), "{doc} not complete");
    assert!(state.completion().is_empty());
    let value: Value = serde_json::from_str(doc).unwrap();
    schema.validate(&value).unwrap();
}

/// Asserts `doc` is accepted up to, and not including, the byte at `bad`.
fn assert_rejected_at(schema: &JsonSchema, doc: &str, bad: usize) {
    assert_eq!(accepted_len(schema, doc.as_bytes()), bad, "{doc}");
}

fn assert_completes(schema: &JsonSchema, prefix: &[u8]) -> String {
    let mut state = schema.start();
    assert!(
        state.push_bytes(prefix),
        "{}",
        String::from_utf8_lossy(prefix)
    );
    let tail = state.completion();
    assert!(
        state.push_bytes(&tail),
        "completion rejected: {}",
        String::from_utf8_lossy(&tail)
    );
    assert!(state.is_complete());
    let doc = [prefix, &tail].concat();
    let value: Value = serde_json::from_slice(&doc)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&doc)));
    schema
        .validate(&value)
        .unwrap_or_else(|e| panic!("{e}: {value}"));
    String::from_utf8(doc).unwrap()
}

#[test]
fn accepts_valid_documents() {
    let s = shop();
    assert_valid(&s, r#"{"intent":"search","query":"red shoes"}"#);
    assert_valid(
        &s,
        r#"{"intent": "cart", "query": "", "max_price": 49.99, "in_stock": true, "tags": ["a", "b"]}"#,
    );
    assert_valid(
        &s,
        r#"{"intent":"smalltalk","query":"é \"q\" \\ \/ \b\f\n\r\t \u00e9 \u0000 😀","max_price":0,"tags":[]}"#,
    );
    assert_valid(
        &s,
        r#"{"intent":"compare","query":"x","max_price":123456789012.123456,"in_stock":false}"#,
    );
    let n = nested();
    assert_valid(
        &n,
        r#"{"a":[{"n":-5,"ok":null},{"n":250}],"e":"x\"y","z":-1.5}"#,
    );
    assert_valid(&n, r#"{"a":[{"n":0}],"e":"é\n","z":2.25}"#);
}

#[test]
fn accepts_every_top_level_kind() {
    for (schema, doc) in [
        (json!({"type":"string"}), r#""hi""#),
        (json!({"enum":["a","b"]}), r#""b""#),
        (json!({"type":"integer"}), "-120"),
        (json!({"type":"number"}), "0.5"),
        (json!({"type":"boolean"}), "true"),
        (json!({"type":"null"}), "null"),
        (
            json!({"type":"array","items":{"type":"integer"}}),
            "[1, 2,3]",
        ),
        (json!({"type":"object"}), "{}"),
    ] {
        assert_valid(&JsonSchema::compile(&schema).unwrap(), doc);
    }
}

#[test]
fn top_level_number_is_complete_when_valid() {
    let s = JsonSchema::compile(&json!({"type":"number"})).unwrap();
    let mut state = s.start();
    for (bytes, complete) in [
        (&b"-"[..], false),
        (b"1", true),
        (b"2", true),
        (b".", false),
        (b"5", true),
    ] {
        assert!(state.push_bytes(bytes));
        assert_eq!(state.is_complete(), complete);
    }
    assert!(!state.accepts(b"}") && !state.accepts(b" ") && !state.accepts(b"e"));
}

#[test]
fn rejects_keys_out_of_schema_or_order() {
    let s = shop();
    assert_rejected_at(&s, r#"{"foo":1}"#, 2);
    assert_rejected_at(&s, r#"{"intentx":1}"#, 8);
    assert_rejected_at(&s, r#"{"intent":"cart","intent":"cart"}"#, 18);
    // Properties come in schema order: query may not precede intent.
    assert_rejected_at(&s, r#"{"query":"x","intent":"cart"}"#, 2);
    // A required property cannot be skipped, nor the object closed before it.
    assert_rejected_at(&s, r#"{"intent":"cart","tags":[]}"#, 18);
    assert_rejected_at(&s, r#"{"intent":"cart"}"#, 16);
    assert_rejected_at(&s, "{}", 1);
    // No key may follow the last property.
    assert_rejected_at(&s, r#"{"intent":"cart","query":"","tags":[],"#, 37);
}

#[test]
fn rejects_enum_and_length_violations() {
    let s = shop();
    assert_rejected_at(&s, r#"{"intent":"seax"#, 14);
    assert_rejected_at(&s, r#"{"intent":"sear""#, 15);
    assert_rejected_at(&s, r#"{"intent":7"#, 10);
    let forty = "é".repeat(39) + "\\n";
    assert_valid(&s, &format!(r#"{{"intent":"cart","query":"{forty}"}}"#));
    let doc = format!(r#"{{"intent":"cart","query":"{forty}x"}}"#);
    assert_rejected_at(&s, &doc, doc.len() - 3);
    assert_rejected_at(
        &s,
        r#"{"intent":"cart","query":"","tags":["1","2","3","4"]}"#,
        47,
    );
    let min =
        JsonSchema::compile(&json!({"type":"array","items":{"type":"null"},"minItems":2})).unwrap();
    assert_rejected_at(&min, "[null]", 5);
    assert_valid(&min, "[null,null]");
}

#[test]
fn rejects_bad_string_bytes() {
    let s = JsonSchema::compile(&json!({"type":"string"})).unwrap();
    for (doc, bad) in [
        (&b"\"a\nb\""[..], 2),
        (b"\"\x1f\"", 1),
        (b"\"\\x\"", 2),
        (b"\"\\u12g4\"", 5),
        (b"\"\\ud800\"", 4),
        (b"\"\xff\"", 1),
        (b"\"\x80\"", 1),
        (b"\"\xc0\xaf\"", 1),
        (b"\"\xe0\x80\x80\"", 2),
        (b"\"\xed\xa0\x80\"", 2),
        (b"\"\xf4\x90\x80\x80\"", 2),
        (b"\"\xc3\"", 2),
        (b"\"\xe2\x82\"", 3),
    ] {
        assert_eq!(
            accepted_len(&s, doc),
            bad,
            "{}",
            String::from_utf8_lossy(doc)
        );
    }
    assert_valid(&s, "\"\\uD7FF \\uE000 \u{10FFFF}\"");
}

#[test]
fn rejects_extra_whitespace_and_trailing_bytes() {
    let s = shop();
    assert_rejected_at(&s, r#" {"#, 0);
    assert_rejected_at(&s, r#"{ "intent""#, 1);
    assert_rejected_at(&s, r#"{"intent" :"#, 9);
    assert_rejected_at(&s, r#"{"intent":  "cart""#, 11);
    assert_rejected_at(&s, "{\"intent\":\n", 10);
    assert_rejected_at(&s, r#"{"intent":"cart" ,"#, 16);
    assert_rejected_at(&s, r#"{"intent":"cart",  "#, 18);
    assert_rejected_at(&s, r#"{"intent":"cart","query":"","tags":[ "a"]}"#, 36);
    let doc = r#"{"intent":"cart","query":""}"#;
    for extra in [" ", "\n", "}", "x", "{}"] {
        assert_rejected_at(&s, &format!("{doc}{extra}"), doc.len());
    }
}

#[test]
fn numbers_follow_grammar_and_bounds() {
    let s = shop();
    let prefix = r#"{"intent":"cart","query":"","max_price":"#;
    let at = prefix.len();
    for (num, ok) in [
        ("-1", 0),
        ("01", 1),
        ("1e5", 1),
        ("1.", 2),
        ("1.1234567", 8),
        ("1234567890123", 12),
    ] {
        assert_rejected_at(&s, &format!("{prefix}{num},"), at + ok);
    }
    let int = JsonSchema::compile(&json!({"type":"integer","minimum":-20,"maximum":100})).unwrap();
    for (doc, len) in [
        ("100", 3),
        ("101", 2),
        ("1000", 3),
        ("-21", 2),
        ("-20", 3),
        ("1.5", 1),
        ("-0", 2),
    ] {
        assert_eq!(accepted_len(&int, doc.as_bytes()), len, "{doc}");
    }
    let pos = JsonSchema::compile(&json!({"type":"integer","minimum":5,"maximum":7})).unwrap();
    assert_eq!(pos.start().completion(), b"5");
    assert_eq!(accepted_len(&pos, b"4"), 0);
    let neg = JsonSchema::compile(&json!({"type":"number","maximum":-3.5})).unwrap();
    assert_eq!(neg.start().completion(), b"-4");
    let frac = JsonSchema::compile(&json!({"type":"number","minimum":0.25,"maximum":0.3})).unwrap();
    assert_eq!(frac.start().completion(), b"0.3");
    assert_eq!(accepted_len(&frac, b"0.31"), 3);
    assert!(frac.validate(&json!(0.25)).is_ok() && frac.validate(&json!(0.2)).is_err());
}

#[test]
fn failed_pushes_leave_state_unchanged() {
    let s = shop();
    let mut state = s.start();
    assert!(state.push_bytes(br#"{"intent":"ca"#));
    let before = format!("{:?}", state.frames);
    assert!(state.accepts(b"rt\""));
    assert!(!state.push_bytes(b"rx"));
    assert!(!state.push_byte(b'x'));
    assert_eq!(format!("{:?}", state.frames), before);
    assert!(state.push_bytes(b"rt\""));
}

#[test]
fn completions_are_minimal_and_valid() {
    let s = shop();
    assert_eq!(
        assert_completes(&s, b""),
        r#"{"intent":"search","query":""}"#
    );
    assert_eq!(
        assert_completes(&s, br#"{"intent":"sm"#),
        r#"{"intent":"smalltalk","query":""}"#
    );
    assert_eq!(
        assert_completes(&s, br#"{"in"#),
        r#"{"intent":"search","query":""}"#
    );
    assert_eq!(
        assert_completes(&s, br#"{"intent":"cart","query":"a\u00"#),
        r#"{"intent":"cart","query":"a\u0000"}"#
    );
    assert_eq!(
        assert_completes(&s, br#"{"intent":"cart","query":"", "#),
        r#"{"intent":"cart","query":"", "max_price":0}"#
    );
    assert_eq!(
        assert_completes(&s, br#"{"intent":"cart","query":"","max_price":12"#),
        r#"{"intent":"cart","query":"","max_price":12}"#
    );
    assert_eq!(assert_completes(&nested(), b""), r#"{"a":[{"n":0}],"z":0}"#);
}

#[test]
fn completion_works_from_every_prefix() {
    let docs: [(JsonSchema, &str); 4] = [
        (
            shop(),
            r#"{"intent": "compare", "query": "é\\u00e9 \"x\" 😀", "max_price": 10.5, "in_stock": true, "tags": ["a", "bb"]}"#,
        ),
        (
            nested(),
            r#"{"a":[{"n":-5, "ok":null}, {"n":249}], "e":"é\n", "z":-1.25}"#,
        ),
        (
            JsonSchema::compile(&json!({"type":"array","items":{"type":"number"},"minItems":2}))
                .unwrap(),
            "[1.5, -2]",
        ),
        (
            tricky(),
            r#"{"k\"ey":-123,"a":[0.5, 0.75,0.6],"s":"abc","o":{}}"#,
        ),
    ];
    for (schema, doc) in &docs {
        for end in 0..=doc.len() {
            assert_completes(schema, &doc.as_bytes()[..end]);
        }
    }
}

#[test]
fn compile_errors_name_path_and_keyword() {
    for (schema, want) in [
        (json!({"$ref":"#/x"}), "/$ref: unsupported keyword \"$ref\""),
        (
            json!({"type":"object","properties":{"a":{"oneOf":[]}}}),
            "/properties/a/oneOf: unsupported keyword",
        ),
        (
            json!({"type":"object","properties":{"q":{"type":"string","pattern":"x"}}}),
            "/properties/q/pattern",
        ),
        (json!({"type":["string","null"]}), "/type: type arrays"),
        (
            json!({"type":"object","additionalProperties":true}),
            "/additionalProperties",
        ),
        (
            json!({"type":"object","properties":{"intent":{"enum":["a","b",3]}}}),
            "/properties/intent/enum/2",
        ),
        (json!({"type":"object","required":["x"]}), "/required/0"),
        (
            json!({"type":"integer","minimum":2,"maximum":1}),
            "no integer",
        ),
        (
            json!({"type":"integer","minimum":0.2,"maximum":0.8}),
            "no integer",
        ),
        (
            json!({"type":"string","minimum":1}),
            "/minimum: unsupported keyword",
        ),
        (json!({"type":"array"}), "needs \"items\""),
        (json!({"properties":{}}), "(root): missing \"type\""),
        (
            json!({"type":"object","properties":{"a/b":{"type":"tuple"}}}),
            "/properties/a~1b/type",
        ),
    ] {
        let err = JsonSchema::compile(&schema).unwrap_err();
        assert!(err.contains(want), "{err} lacks {want}");
    }
}

#[test]
fn validate_names_path_and_reason() {
    let s = shop();
    let err = |v: Value| s.validate(&v).unwrap_err();
    assert!(err(json!({"intent":"cart"})).contains("missing required property \"query\""));
    assert!(err(json!({"intent":"buy","query":""})).starts_with("/intent:"));
    assert!(err(json!({"intent":"cart","query":"","x":1})).contains("unknown property \"x\""));
    assert!(err(json!({"intent":"cart","query":"","max_price":-1})).starts_with("/max_price:"));
    assert!(err(json!({"intent":"cart","query":"","tags":["a",1]})).starts_with("/tags/1:"));
    assert!(err(json!([])).starts_with("(root): expected an object"));
    assert!(s.validate(&json!({"query":"", "intent":"cart"})).is_ok());
}

/// A random walk: each step takes the completion's next byte (progress) or a random
/// accepted byte, then the completion must finish a valid document.
fn random_walk(schema: &JsonSchema, choices: &[u32]) -> Result<(), TestCaseError> {
    let mut state = schema.start();
    let mut doc = Vec::new();
    for &choice in choices {
        let accepted: Vec<u8> = (0..=255u8).filter(|&b| state.accepts(&[b])).collect();
        let b = match state.completion().first() {
            Some(&b) if choice % 4 == 0 => b,
            _ if accepted.is_empty() => break,
            _ => accepted[choice as usize % accepted.len()],
        };
        prop_assert!(state.push_byte(b));
        doc.push(b);
    }
    let tail = state.completion();
    prop_assert!(state.push_bytes(&tail));
    prop_assert!(state.is_complete());
    doc.extend_from_slice(&tail);
    let text = String::from_utf8_lossy(&doc).into_owned();
    let value: Value =
        serde_json::from_slice(&doc).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
    schema
        .validate(&value)
        .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_walks_complete_to_valid_documents(choices in prop::collection::vec(any::<u32>(), 0..300)) {
        random_walk(&shop(), &choices)?;
        random_walk(&nested(), &choices)?;
        random_walk(&tricky(), &choices)?;
    }
}
