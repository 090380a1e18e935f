//! Constrained JSON decoding: "would appending these bytes keep the output a valid prefix of a
//! JSON document that matches this schema?"
//!
//! [`JsonSchema::compile`] turns a JSON-schema subset into a small tree of nodes;
//! [`JsonSchema::start`] gives a [`JsonState`], a byte-level recogniser the generator clones per
//! candidate token ([`JsonState::accepts`]) to mask the tokens that would break the document.
//! Every prefix the recogniser accepts can still be completed ([`JsonState::completion`]), so
//! the finished output always parses and passes [`JsonSchema::validate`].
//!
//! The subset: `object` (`properties`, `required`, `additionalProperties: false`), `string`
//! (`maxLength`, `enum`; a bare `enum` means a string enum), `number` and `integer` (`minimum`,
//! `maximum`), `boolean`, `null`, and `array` (`items`, `minItems`, `maxItems`). `title`,
//! `description`, `$schema` and `$comment` are ignored; any other keyword is a compile error.
//!
//! What generation allows, narrower than what [`JsonSchema::validate`] accepts:
//! - Properties come in the order the schema lists them (this crate builds `serde_json` with
//!   `preserve_order`). Optional properties may be skipped, required ones may not, none repeats.
//! - Keys and enum strings must be written exactly as `serde_json` escapes them.
//! - Output is compact, except one optional space after each `:` and `,`.
//! - Numbers have at most 12 integer and 6 fraction digits and no exponent; `minimum` and
//!   `maximum` are enforced while generating. `\u` escapes of surrogates are refused (raw UTF-8
//!   can write any character).

use std::sync::Arc;

use serde_json::{Map, Number, Value};

const MAX_INT_DIGITS: u8 = 12;
const MAX_FRAC_DIGITS: u8 = 6;
/// Numbers are compared in millionths, exactly, as `i64`.
const MICRO: i64 = 1_000_000;
/// The largest magnitude a generated number can have, in millionths: 999999999999.999999.
const MAX_MICRO: i64 = 1_000_000_000_000_000_000 - 1;
/// The largest magnitude a generated integer can have, in millionths.
const MAX_INT_MICRO: i64 = (1_000_000_000_000 - 1) * MICRO;
/// The largest `minItems` accepted, so that a completion stays small.
const MAX_MIN_ITEMS: u64 = 1024;
/// Keywords that carry no constraint and are ignored.
const ANNOTATIONS: &[&str] = &["title", "description", "$schema", "$comment"];
/// The constraint keywords of the subset, each valid for some type.
const KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "maxLength",
    "enum",
    "minimum",
    "maximum",
    "items",
    "minItems",
    "maxItems",
];

/// A compiled JSON-schema subset (see the module docs for what it covers).
#[derive(Debug, Clone)]
pub struct JsonSchema {
    compiled: Arc<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    /// Children come before their parent; `root` is the last node.
    nodes: Vec<Node>,
    root: u16,
}

#[derive(Debug)]
enum Node {
    Object(ObjectNode),
    String(StringNode),
    Number(NumberNode),
    Boolean,
    Null,
    Array(ArrayNode),
}

#[derive(Debug)]
struct ObjectNode {
    props: Vec<Prop>,
    /// `first_required[i]`: the first required property at index `i` or later, or `props.len()`.
    first_required: Vec<u16>,
}

#[derive(Debug)]
struct Prop {
    name: String,
    /// The key as `serde_json` escapes it, without quotes.
    key: Box<[u8]>,
    node: u16,
    required: bool,
}

#[derive(Debug)]
struct StringNode {
    max_len: Option<u32>,
    choices: Option<Vec<Choice>>,
}

#[derive(Debug)]
struct Choice {
    value: String,
    /// The value as `serde_json` escapes it, without quotes.
    escaped: Box<[u8]>,
}

#[derive(Debug)]
struct NumberNode {
    integer: bool,
    minimum: Option<f64>,
    maximum: Option<f64>,
    /// The bounds generation enforces, in millionths, rounded inwards and clamped to the
    /// generable range.
    min_u: i64,
    max_u: i64,
}

#[derive(Debug)]
struct ArrayNode {
    items: u16,
    min_items: u32,
    max_items: Option<u32>,
}

impl JsonSchema {
    /// Compiles a schema. The error names the JSON pointer of the offending part, e.g.
    /// `/properties/intent/enum/2: enum values must be strings`.
    pub fn compile(schema: &Value) -> Result<JsonSchema, String> {
        let mut nodes = Vec::new();
        let root = compile_node(schema, "", &mut nodes)?;
        Ok(JsonSchema {
            compiled: Arc::new(Compiled { nodes, root }),
        })
    }

    /// Checks a parsed value against the schema. Unlike generation, property order is free.
    /// The error names the JSON pointer of the offending value and the reason.
    pub fn validate(&self, value: &Value) -> Result<(), String> {
        validate_node(&self.compiled, self.compiled.root, value, "")
    }

    /// The recogniser state before any byte has been generated.
    pub fn start(&self) -> JsonState {
        let root = self.compiled.root;
        JsonState {
            schema: Arc::clone(&self.compiled),
            frames: vec![Frame::Value {
                node: root,
                space_ok: false,
            }],
        }
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

/// Escapes a key for use as one JSON pointer segment.
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The bytes `serde_json` writes for `s` between the quotes.
fn json_escaped(s: &str) -> Box<[u8]> {
    let quoted = Value::String(s.to_owned()).to_string();
    let bytes = quoted.as_bytes();
    bytes[1..bytes.len() - 1].into()
}

fn count_keyword(obj: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u64>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{path}/{key}: must be a non-negative integer")),
    }
}

fn bound_keyword<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a Number>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n)),
        Some(_) => Err(format!("{path}/{key}: must be a number")),
    }
}

fn compile_node(schema: &Value, path: &str, nodes: &mut Vec<Node>) -> Result<u16, String> {
    let at = display_path(path);
    let Value::Object(obj) = schema else {
        return Err(format!("{at}: a schema must be a JSON object"));
    };
    let kind = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(_)) => return Err(format!("{path}/type: type arrays are not supported")),
        Some(_) => return Err(format!("{path}/type: must be a string")),
        None if obj.contains_key("enum") => "string",
        None => {
            return Err(
                match obj.keys().find(|k| !ANNOTATIONS.contains(&k.as_str())) {
                    Some(key) if !KEYWORDS.contains(&key.as_str()) => {
                        format!(
                            "{path}/{}: unsupported keyword \"{key}\"",
                            pointer_token(key)
                        )
                    }
                    Some(_) => format!("{at}: missing \"type\""),
                    None => format!("{at}: missing \"type\" (or a string \"enum\")"),
                },
            );
        }
    };
    let allowed: &[&str] = match kind {
        "object" => &["properties", "required", "additionalProperties"],
        "string" => &["maxLength", "enum"],
        "number" | "integer" => &["minimum", "maximum"],
        "array" => &["items", "minItems", "maxItems"],
        "boolean" | "null" => &[],
        other => return Err(format!("{path}/type: unsupported type \"{other}\"")),
    };
    if let Some(key) = obj.keys().find(|k| {
        let k = k.as_str();
        k != "type" && !ANNOTATIONS.contains(&k) && !allowed.contains(&k)
    }) {
        let token = pointer_token(key);
        return Err(format!(
            "{path}/{token}: unsupported keyword \"{key}\" for type \"{kind}\""
        ));
    }
    let node = match kind {
        "object" => compile_object(obj, path, nodes)?,
        "string" => compile_string(obj, path)?,
        "number" | "integer" => compile_number(obj, path, kind == "integer")?,
        "array" => {
            let items = obj
                .get("items")
                .ok_or_else(|| format!("{at}: an array schema needs \"items\""))?;
            let items = compile_node(items, &format!("{path}/items"), nodes)?;
            let min_items = count_keyword(obj, "minItems", path)?.unwrap_or(0);
            let max_items = count_keyword(obj, "maxItems", path)?;
            if min_items > MAX_MIN_ITEMS {
                return Err(format!(
                    "{path}/minItems: more than {MAX_MIN_ITEMS} is not supported"
                ));
            }
            if max_items.is_some_and(|max| max < min_items) {
                return Err(format!("{path}/minItems: greater than maxItems"));
            }
            let max_items = max_items.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
            Node::Array(ArrayNode {
                items,
                min_items: min_items as u32,
                max_items,
            })
        }
        "boolean" => Node::Boolean,
        _ => Node::Null,
    };
    let index = u16::try_from(nodes.len()).map_err(|_| format!("{at}: the schema is too large"))?;
    nodes.push(node);
    Ok(index)
}

fn compile_object(
    obj: &Map<String, Value>,
    path: &str,
    nodes: &mut Vec<Node>,
) -> Result<Node, String> {
    match obj.get("additionalProperties") {
        None | Some(Value::Bool(false)) => {}
        Some(_) => {
            return Err(format!(
                "{path}/additionalProperties: only false is supported"
            ));
        }
    }
    let no_props = Map::new();
    let props_map = match obj.get("properties") {
        None => &no_props,
        Some(Value::Object(m)) => m,
        Some(_) => return Err(format!("{path}/properties: must be an object")),
    };
    let mut required = Vec::new();
    match obj.get("required") {
        None => {}
        Some(Value::Array(names)) => {
            for (i, name) in names.iter().enumerate() {
                let Some(name) = name.as_str() else {
                    return Err(format!("{path}/required/{i}: must be a string"));
                };
                if !props_map.contains_key(name) {
                    return Err(format!(
                        "{path}/required/{i}: \"{name}\" is not in properties"
                    ));
                }
                required.push(name);
            }
        }
        Some(_) => return Err(format!("{path}/required: must be an array of strings")),
    }
    if props_map.len() >= usize::from(u16::MAX) {
        return Err(format!("{path}/properties: too many properties"));
    }
    let mut props = Vec::with_capacity(props_map.len());
    for (name, sub) in props_map {
        let sub_path = format!("{path}/properties/{}", pointer_token(name));
        let node = compile_node(sub, &sub_path, nodes)?;
        let key = json_escaped(name);
        if key.len() > usize::from(u16::MAX) {
            return Err(format!("{sub_path}: property name too long"));
        }
        props.push(Prop {
            name: name.clone(),
            key,
            node,
            required: required.contains(&name.as_str()),
        });
    }
    let n = props.len() as u16;
    let mut first_required = vec![n; props.len() + 1];
    for i in (0..props.len()).rev() {
        first_required[i] = if props[i].required {
            i as u16
        } else {
            first_required[i + 1]
        };
    }
    Ok(Node::Object(ObjectNode {
        props,
        first_required,
    }))
}

fn compile_string(obj: &Map<String, Value>, path: &str) -> Result<Node, String> {
    let max_len =
        count_keyword(obj, "maxLength", path)?.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
    let choices = match obj.get("enum") {
        None => None,
        Some(Value::Array(values))
            if !values.is_empty() && values.len() < usize::from(u16::MAX) =>
        {
            let mut choices = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let Some(value) = v.as_str() else {
                    return Err(format!("{path}/enum/{i}: enum values must be strings"));
                };
                if max_len.is_some_and(|max| value.chars().count() > max as usize) {
                    return Err(format!("{path}/enum/{i}: longer than maxLength"));
                }
                let escaped = json_escaped(value);
                if escaped.len() > usize::from(u16::MAX) {
                    return Err(format!("{path}/enum/{i}: enum value too long"));
                }
                choices.push(Choice {
                    value: value.to_owned(),
                    escaped,
                });
            }
            Some(choices)
        }
        Some(_) => return Err(format!("{path}/enum: must be a non-empty array of strings")),
    };
    Ok(Node::String(StringNode { max_len, choices }))
}

fn compile_number(obj: &Map<String, Value>, path: &str, integer: bool) -> Result<Node, String> {
    let minimum = bound_keyword(obj, "minimum", path)?;
    let maximum = bound_keyword(obj, "maximum", path)?;
    // One past the generable range on either side, so an unreachable bound empties the range.
    let clamp = |x: i128| x.clamp(-i128::from(MAX_MICRO) - 1, i128::from(MAX_MICRO) + 1) as i64;
    let mut min_u = minimum.map_or(-MAX_MICRO, |n| clamp(to_micro(n, true)).max(-MAX_MICRO));
    let mut max_u = maximum.map_or(MAX_MICRO, |n| clamp(to_micro(n, false)).min(MAX_MICRO));
    if integer {
        min_u = (min_u.div_euclid(MICRO) + i64::from(min_u.rem_euclid(MICRO) != 0)) * MICRO;
        max_u = max_u.div_euclid(MICRO) * MICRO;
        min_u = min_u.max(-MAX_INT_MICRO);
        max_u = max_u.min(MAX_INT_MICRO);
    }
    if min_u > max_u {
        return Err(format!(
            "{}: no {} with at most 12 integer and 6 fraction digits lies within minimum..maximum",
            display_path(path),
            if integer { "integer" } else { "number" }
        ));
    }
    let (minimum, maximum) = (
        minimum.and_then(Number::as_f64),
        maximum.and_then(Number::as_f64),
    );
    Ok(Node::Number(NumberNode {
        integer,
        minimum,
        maximum,
        min_u,
        max_u,
    }))
}

/// A schema number in millionths, exactly, rounded up (`round_up`) or down; saturates far
/// outside the generable range.
fn to_micro(n: &Number, round_up: bool) -> i128 {
    if let Some(i) = n.as_i64() {
        return i128::from(i) * i128::from(MICRO);
    }
    if let Some(u) = n.as_u64() {
        return i128::from(u) * i128::from(MICRO);
    }
    const FAR: i128 = 10i128.pow(30);
    let f = n.as_f64().unwrap_or(0.0);
    if !f.is_finite() {
        return if f < 0.0 { -FAR } else { FAR };
    }
    // `{:e}` prints the shortest digits that round-trip, so this is the number the schema wrote.
    let text = format!("{:e}", f.abs());
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let frac_digits = mantissa.split_once('.').map_or(0, |(_, frac)| frac.len()) as i32;
    let digits: i128 = mantissa
        .chars()
        .filter(char::is_ascii_digit)
        .fold(0, |acc, c| acc * 10 + i128::from(c as u8 - b'0'));
    let shift = exp - frac_digits + 6;
    let (whole, inexact) = if shift > 20 {
        (FAR, false)
    } else if shift >= 0 {
        (digits * 10i128.pow(shift as u32), false)
    } else if shift < -30 {
        (0, digits != 0)
    } else {
        let div = 10i128.pow((-shift) as u32);
        (digits / div, digits % div != 0)
    };
    match (f < 0.0, round_up && inexact, !round_up && inexact) {
        (false, up, _) => whole + i128::from(up),
        (true, _, down) => -whole - i128::from(down),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn validate_node(c: &Compiled, node: u16, v: &Value, path: &str) -> Result<(), String> {
    let at = display_path(path);
    let wrong = |want: &str| Err(format!("{at}: expected {want}, found {}", kind_of(v)));
    match &c.nodes[usize::from(node)] {
        Node::Object(obj) => {
            let Value::Object(map) = v else {
                return wrong("an object");
            };
            for (key, val) in map {
                let Some(prop) = obj.props.iter().find(|p| p.name == *key) else {
                    return Err(format!("{at}: unknown property \"{key}\""));
                };
                validate_node(c, prop.node, val, &format!("{path}/{}", pointer_token(key)))?;
            }
            match obj
                .props
                .iter()
                .find(|p| p.required && !map.contains_key(&p.name))
            {
                Some(p) => Err(format!("{at}: missing required property \"{}\"", p.name)),
                None => Ok(()),
            }
        }
        Node::String(s) => {
            let Value::String(text) = v else {
                return wrong("a string");
            };
            if let Some(choices) = &s.choices
                && !choices.iter().any(|ch| ch.value == *text)
            {
                return Err(format!("{at}: \"{text}\" is not one of the allowed values"));
            }
            match s.max_len {
                Some(max) if text.chars().count() > max as usize => {
                    Err(format!("{at}: string longer than maxLength {max}"))
                }
                _ => Ok(()),
            }
        }
        Node::Number(spec) => {
            let Some(x) = v.as_f64() else {
                return wrong("a number");
            };
            if spec.integer && !(v.is_i64() || v.is_u64() || x.fract() == 0.0) {
                return wrong("an integer");
            }
            if spec.minimum.is_some_and(|min| x < min) || spec.maximum.is_some_and(|max| x > max) {
                return Err(format!("{at}: {x} is outside minimum..maximum"));
            }
            Ok(())
        }
        Node::Boolean if v.is_boolean() => Ok(()),
        Node::Boolean => wrong("a boolean"),
        Node::Null if v.is_null() => Ok(()),
        Node::Null => wrong("null"),
        Node::Array(arr) => {
            let Value::Array(items) = v else {
                return wrong("an array");
            };
            if items.len() < arr.min_items as usize {
                return Err(format!("{at}: fewer than minItems {} items", arr.min_items));
            }
            if let Some(max) = arr.max_items
                && items.len() > max as usize
            {
                return Err(format!("{at}: more than maxItems {max} items"));
            }
            for (i, item) in items.iter().enumerate() {
                validate_node(c, arr.items, item, &format!("{path}/{i}"))?;
            }
            Ok(())
        }
    }
}

/// Incremental recogniser state: a stack of small `Copy` frames (one per open value, typically
/// two to five) and a shared handle on the compiled schema, so a clone is one small allocation.
#[derive(Debug, Clone)]
pub struct JsonState {
    schema: Arc<Compiled>,
    frames: Vec<Frame>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Expecting the first byte of a value; `space_ok` while one space may still come first.
    Value { node: u16, space_ok: bool },
    /// Inside an object; `next` is the index of the first property that may still come.
    Object {
        node: u16,
        next: u16,
        phase: ObjPhase,
    },
    /// Inside an array holding `count` items; `open` until the first item starts.
    Array { node: u16, count: u32, open: bool },
    /// Inside a free string.
    Str(StrState),
    /// Inside an enum string: the bytes so far are `choices[cand].escaped[..pos]`.
    Enum { node: u16, cand: u16, pos: u16 },
    /// Inside a number; it ends only when a later byte does not continue it.
    Number { node: u16, num: Num },
    /// Inside `true`, `false` or `null`, `pos` bytes in.
    Literal { word: &'static [u8], pos: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjPhase {
    /// Just after `{`.
    Open,
    /// After `,`, before the key's opening quote.
    KeyStart { space_ok: bool },
    /// Inside a key: the bytes so far are `props[cand].key[..pos]`.
    Key { cand: u16, pos: u16 },
    /// After a key, expecting `:`; the property is `next - 1`.
    Colon,
    /// After a property's value.
    AfterValue,
}

/// A free string in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StrState {
    /// Characters `maxLength` still allows.
    left: u32,
    esc: Esc,
    /// UTF-8 continuation bytes still due, and the range the next one must lie in.
    utf8_left: u8,
    lo: u8,
    hi: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    Backslash,
    /// Inside `\uXXXX` with `left` hex digits to go; `first_d` when the first was `d`/`D`.
    Hex(u8, bool),
}

/// A number prefix: sign, integer digits, optional dot and fraction digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Num {
    neg: bool,
    dot: bool,
    int_len: u8,
    frac_len: u8,
    frac_val: u32,
    int_val: u64,
}

impl Num {
    /// Appends a digit or `.`; `None` when the number grammar (or the digit limits) forbid it.
    fn push(mut self, b: u8, integer: bool) -> Option<Num> {
        match b {
            b'0'..=b'9' if self.dot => {
                if self.frac_len >= MAX_FRAC_DIGITS {
                    return None;
                }
                self.frac_val = self.frac_val * 10 + u32::from(b - b'0');
                self.frac_len += 1;
            }
            b'0'..=b'9' => {
                if self.int_len >= MAX_INT_DIGITS || (self.int_len == 1 && self.int_val == 0) {
                    return None;
                }
                self.int_val = self.int_val * 10 + u64::from(b - b'0');
                self.int_len += 1;
            }
            b'.' if !integer && !self.dot && self.int_len > 0 => self.dot = true,
            _ => return None,
        }
        Some(self)
    }

    /// Whether some number this prefix can grow into lies within the bounds.
    fn viable(&self, spec: &NumberNode) -> bool {
        let frac_max = if spec.integer { 0 } else { MICRO - 1 };
        let hits = |lo: i64, hi: i64| {
            let (lo, hi) = if self.neg { (-hi, -lo) } else { (lo, hi) };
            lo.max(spec.min_u) <= hi.min(spec.max_u)
        };
        let int = self.int_val as i64;
        if self.int_len == 0 {
            let max = if spec.integer {
                MAX_INT_MICRO
            } else {
                MAX_MICRO
            };
            hits(0, max)
        } else if self.dot {
            let unit = 10i64.pow(u32::from(MAX_FRAC_DIGITS - self.frac_len));
            let base = int * MICRO + i64::from(self.frac_val) * unit;
            hits(base, base + unit - 1)
        } else if int == 0 {
            hits(0, frac_max)
        } else {
            (self.int_len..=MAX_INT_DIGITS).any(|digits| {
                let scale = 10i64.pow(u32::from(digits - self.int_len));
                hits(
                    int * scale * MICRO,
                    ((int + 1) * scale - 1) * MICRO + frac_max,
                )
            })
        }
    }

    /// Whether the number may end here: it is complete and within the bounds.
    fn terminable(&self, spec: &NumberNode) -> bool {
        let unit = 10i64.pow(u32::from(MAX_FRAC_DIGITS - self.frac_len));
        let magnitude = self.int_val as i64 * MICRO + i64::from(self.frac_val) * unit;
        let value = if self.neg { -magnitude } else { magnitude };
        self.int_len > 0
            && !(self.dot && self.frac_len == 0)
            && (spec.min_u..=spec.max_u).contains(&value)
    }
}

impl JsonState {
    /// Feeds one byte. On `false` the byte cannot continue a valid document and the state is
    /// left unchanged.
    pub fn push_byte(&mut self, b: u8) -> bool {
        self.push_bytes(&[b])
    }

    /// Whether appending `bytes` keeps the output a valid prefix; does not change the state.
    pub fn accepts(&self, bytes: &[u8]) -> bool {
        let mut frames = Vec::with_capacity(self.frames.len() + 4);
        frames.extend_from_slice(&self.frames);
        run(&self.schema, &mut frames, bytes)
    }

    /// Feeds a whole token's bytes. On `false` some byte was rejected and the state is left
    /// unchanged.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> bool {
        let mut frames = Vec::with_capacity(self.frames.len() + 4);
        frames.extend_from_slice(&self.frames);
        let ok = run(&self.schema, &mut frames, bytes);
        if ok {
            self.frames = frames;
        }
        ok
    }

    /// True when the bytes so far form a complete document, so generation may stop here. A
    /// top-level number is complete once valid, though more digits may still follow.
    pub fn is_complete(&self) -> bool {
        complete(&self.schema, &self.frames)
    }

    /// The bytes that complete the document from here, deterministic and short: finish what
    /// is open, giving each missing required property its first enum value, `""`, the first
    /// number within bounds the digits reach (`0` when allowed), `false`, `null`, the shortest
    /// allowed array or the object of its own required properties. Empty when already
    /// complete; pushing the result always leaves [`JsonState::is_complete`] true.
    pub fn completion(&self) -> Vec<u8> {
        let c = &*self.schema;
        let mut frames = self.frames.clone();
        let mut out = Vec::new();
        // Every round closes or advances a frame; the bound only guards against a bug.
        for _ in 0..100_000 {
            if complete(c, &frames) {
                break;
            }
            let chunk = filler(c, &frames);
            if chunk.is_empty() || !run(c, &mut frames, &chunk) {
                break;
            }
            out.extend_from_slice(&chunk);
        }
        out
    }
}

fn run(c: &Compiled, frames: &mut Vec<Frame>, bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| step(c, frames, b))
}

fn complete(c: &Compiled, frames: &[Frame]) -> bool {
    frames.is_empty() || (frames.len() == 1 && number_ends(c, frames))
}

/// Whether the top frame is a number that may end here.
fn number_ends(c: &Compiled, frames: &[Frame]) -> bool {
    match frames.last() {
        Some(Frame::Number { node, num }) => match &c.nodes[usize::from(*node)] {
            Node::Number(spec) => num.terminable(spec),
            _ => false,
        },
        _ => false,
    }
}

/// Feeds one byte to the frame stack; on `false` the stack may be half-changed (callers work
/// on a copy).
fn step(c: &Compiled, frames: &mut Vec<Frame>, b: u8) -> bool {
    loop {
        let Some(&top) = frames.last() else {
            return false;
        };
        let last = frames.len() - 1;
        match top {
            Frame::Value { node, space_ok } => {
                let next = match b {
                    b' ' if space_ok => Some(Frame::Value {
                        node,
                        space_ok: false,
                    }),
                    _ => start_value(c, node, b),
                };
                return next.map(|f| frames[last] = f).is_some();
            }
            Frame::Object { node, next, phase } => {
                return object_byte(c, frames, node, next, phase, b);
            }
            Frame::Array { node, count, open } => {
                let Node::Array(arr) = &c.nodes[usize::from(node)] else {
                    return false;
                };
                if b == b']' {
                    let ok = count >= arr.min_items;
                    if ok {
                        frames.pop();
                    }
                    return ok;
                }
                if open {
                    if arr.max_items == Some(0) {
                        return false;
                    }
                    frames[last] = Frame::Array {
                        node,
                        count: 1,
                        open: false,
                    };
                    frames.push(Frame::Value {
                        node: arr.items,
                        space_ok: false,
                    });
                    continue; // the byte starts the first item
                }
                if b != b',' || arr.max_items.is_some_and(|max| count >= max) {
                    return false;
                }
                frames[last] = Frame::Array {
                    node,
                    count: count + 1,
                    open: false,
                };
                frames.push(Frame::Value {
                    node: arr.items,
                    space_ok: true,
                });
                return true;
            }
            Frame::Str(mut st) => {
                let Some(closed) = st.push(b) else {
                    return false;
                };
                if closed {
                    frames.pop();
                } else {
                    frames[last] = Frame::Str(st);
                }
                return true;
            }
            Frame::Enum { node, cand, pos } => {
                let Node::String(StringNode {
                    choices: Some(choices),
                    ..
                }) = &c.nodes[usize::from(node)]
                else {
                    return false;
                };
                let pos_us = usize::from(pos);
                let Some(prefix) = choices
                    .get(usize::from(cand))
                    .and_then(|ch| ch.escaped.get(..pos_us))
                else {
                    return false;
                };
                if b == b'"' && choices.iter().any(|ch| *ch.escaped == *prefix) {
                    frames.pop();
                    return true;
                }
                let extends = |ch: &Choice| {
                    ch.escaped.starts_with(prefix) && ch.escaped.get(pos_us) == Some(&b)
                };
                return match choices.iter().position(extends) {
                    Some(i) => {
                        frames[last] = Frame::Enum {
                            node,
                            cand: i as u16,
                            pos: pos + 1,
                        };
                        true
                    }
                    None => false,
                };
            }
            Frame::Number { node, num } => {
                let Node::Number(spec) = &c.nodes[usize::from(node)] else {
                    return false;
                };
                if b.is_ascii_digit() || b == b'.' {
                    return match num.push(b, spec.integer) {
                        Some(num) if num.viable(spec) => {
                            frames[last] = Frame::Number { node, num };
                            true
                        }
                        _ => false,
                    };
                }
                if !num.terminable(spec) {
                    return false;
                }
                frames.pop();
                // The byte belongs to the enclosing value.
            }
            Frame::Literal { word, pos } => {
                if word.get(usize::from(pos)) != Some(&b) {
                    return false;
                }
                if usize::from(pos) + 1 == word.len() {
                    frames.pop();
                } else {
                    frames[last] = Frame::Literal { word, pos: pos + 1 };
                }
                return true;
            }
        }
    }
}

/// The frame after the first byte `b` of a value of `node`, or `None` if `b` cannot start one.
fn start_value(c: &Compiled, node: u16, b: u8) -> Option<Frame> {
    match (&c.nodes[usize::from(node)], b) {
        (Node::Object(_), b'{') => Some(Frame::Object {
            node,
            next: 0,
            phase: ObjPhase::Open,
        }),
        (Node::Array(_), b'[') => Some(Frame::Array {
            node,
            count: 0,
            open: true,
        }),
        (Node::String(s), b'"') => Some(match (&s.choices, s.max_len) {
            (Some(_), _) => Frame::Enum {
                node,
                cand: 0,
                pos: 0,
            },
            (None, max) => Frame::Str(StrState {
                left: max.unwrap_or(u32::MAX),
                esc: Esc::None,
                utf8_left: 0,
                lo: 0,
                hi: 0,
            }),
        }),
        (Node::Number(spec), _) => {
            let num = match b {
                b'-' if spec.min_u < 0 => Num {
                    neg: true,
                    ..Num::default()
                },
                _ => Num::default().push(b, spec.integer)?,
            };
            num.viable(spec).then_some(Frame::Number { node, num })
        }
        (Node::Boolean, b't') => Some(Frame::Literal {
            word: b"true",
            pos: 1,
        }),
        (Node::Boolean, b'f') => Some(Frame::Literal {
            word: b"false",
            pos: 1,
        }),
        (Node::Null, b'n') => Some(Frame::Literal {
            word: b"null",
            pos: 1,
        }),
        _ => None,
    }
}

impl StrState {
    /// Feeds one byte: `None` rejects it, `Some(true)` when it closes the string. Checks
    /// escapes, well-formed UTF-8 and the character budget.
    fn push(&mut self, b: u8) -> Option<bool> {
        if self.utf8_left > 0 {
            if !(self.lo..=self.hi).contains(&b) {
                return None;
            }
            (self.utf8_left, self.lo, self.hi) = (self.utf8_left - 1, 0x80, 0xBF);
            return Some(false);
        }
        match self.esc {
            Esc::Backslash => match b {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.esc = Esc::None,
                b'u' => self.esc = Esc::Hex(4, false),
                _ => return None,
            },
            Esc::Hex(left, first_d) => {
                // Surrogates (\uD800-\uDFFF) are refused: serde_json rejects unpaired ones.
                let surrogate =
                    left == 3 && first_d && matches!(b, b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F');
                if !b.is_ascii_hexdigit() || surrogate {
                    return None;
                }
                let first_d = first_d || (left == 4 && b.eq_ignore_ascii_case(&b'd'));
                self.esc = if left == 1 {
                    Esc::None
                } else {
                    Esc::Hex(left - 1, first_d)
                };
            }
            Esc::None if b == b'"' => return Some(true),
            Esc::None => {
                // Continuation count and the range of the next byte, excluding overlong forms,
                // surrogates and code points past U+10FFFF.
                (self.utf8_left, self.lo, self.hi) = match b {
                    0x20..=0x7F => (0, 0, 0),
                    0xC2..=0xDF => (1, 0x80, 0xBF),
                    0xE0 => (2, 0xA0, 0xBF),
                    0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                    0xED => (2, 0x80, 0x9F),
                    0xF0 => (3, 0x90, 0xBF),
                    0xF1..=0xF3 => (3, 0x80, 0xBF),
                    0xF4 => (3, 0x80, 0x8F),
                    _ => return None, // control characters and invalid leading bytes
                };
                self.left = self.left.checked_sub(1)?;
                if b == b'\\' {
                    self.esc = Esc::Backslash;
                }
            }
        }
        Some(false)
    }
}

fn object_byte(
    c: &Compiled,
    frames: &mut Vec<Frame>,
    node: u16,
    next: u16,
    phase: ObjPhase,
    b: u8,
) -> bool {
    let Node::Object(obj) = &c.nodes[usize::from(node)] else {
        return false;
    };
    let n = obj.props.len() as u16;
    let last = frames.len() - 1;
    let closable = obj.first_required[usize::from(next)] == n;
    let new_phase = match (phase, b) {
        (ObjPhase::Open | ObjPhase::AfterValue, b'}') if closable => {
            frames.pop();
            return true;
        }
        (ObjPhase::Open | ObjPhase::KeyStart { .. }, b'"') if next < n => {
            ObjPhase::Key { cand: next, pos: 0 }
        }
        (ObjPhase::AfterValue, b',') if next < n => ObjPhase::KeyStart { space_ok: true },
        (ObjPhase::KeyStart { space_ok: true }, b' ') => ObjPhase::KeyStart { space_ok: false },
        (ObjPhase::Key { cand, pos }, _) => {
            // Eligible: not before `next`, and not past a required property not yet written.
            let eligible =
                usize::from(next)..=usize::from(obj.first_required[usize::from(next)].min(n - 1));
            let pos_us = usize::from(pos);
            let Some(prefix) = obj
                .props
                .get(usize::from(cand))
                .and_then(|p| p.key.get(..pos_us))
            else {
                return false;
            };
            // A quote closes the key unless it continues an escaped one (`\"`).
            let exact = eligible.clone().find(|&i| *obj.props[i].key == *prefix);
            if let (b'"', Some(i)) = (b, exact) {
                let next = i as u16 + 1;
                frames[last] = Frame::Object {
                    node,
                    next,
                    phase: ObjPhase::Colon,
                };
                return true;
            }
            let extends = |&i: &usize| {
                obj.props[i].key.starts_with(prefix) && obj.props[i].key.get(pos_us) == Some(&b)
            };
            match eligible.clone().find(extends) {
                Some(i) => ObjPhase::Key {
                    cand: i as u16,
                    pos: pos + 1,
                },
                None => return false,
            }
        }
        (ObjPhase::Colon, b':') => {
            frames[last] = Frame::Object {
                node,
                next,
                phase: ObjPhase::AfterValue,
            };
            let value = obj.props[usize::from(next) - 1].node;
            frames.push(Frame::Value {
                node: value,
                space_ok: true,
            });
            return true;
        }
        _ => return false,
    };
    frames[last] = Frame::Object {
        node,
        next,
        phase: new_phase,
    };
    true
}

/// The next bytes of the completion, from the innermost frame that needs them.
fn filler(c: &Compiled, frames: &[Frame]) -> Vec<u8> {
    let Some(&top) = frames.last() else {
        return Vec::new();
    };
    // A number that may end hands over to its parent, whose next byte ends it.
    let frame = match frames.len() {
        2.. if number_ends(c, frames) => frames[frames.len() - 2],
        _ => top,
    };
    match frame {
        Frame::Value { node, .. } => fill_value(c, node),
        Frame::Object { node, next, phase } => {
            let Node::Object(obj) = &c.nodes[usize::from(node)] else {
                return Vec::new();
            };
            let n = obj.props.len() as u16;
            let required = obj.first_required[usize::from(next)];
            let key_colon = |i: u16, from: usize| {
                let mut out = obj.props[usize::from(i)]
                    .key
                    .get(from..)
                    .unwrap_or_default()
                    .to_vec();
                out.extend_from_slice(b"\":");
                out
            };
            match phase {
                ObjPhase::Open | ObjPhase::AfterValue if required == n => b"}".to_vec(),
                ObjPhase::Open => [b"\"".as_slice(), &key_colon(required, 0)].concat(),
                ObjPhase::AfterValue => [b",\"".as_slice(), &key_colon(required, 0)].concat(),
                ObjPhase::KeyStart { .. } => {
                    let target = if required < n { required } else { next };
                    [b"\"".as_slice(), &key_colon(target, 0)].concat()
                }
                ObjPhase::Key { cand, pos } => key_colon(cand, usize::from(pos)),
                ObjPhase::Colon => b":".to_vec(),
            }
        }
        Frame::Array { node, count, open } => {
            let Node::Array(arr) = &c.nodes[usize::from(node)] else {
                return Vec::new();
            };
            let item = fill_value(c, arr.items);
            let mut out = Vec::new();
            for i in 0..arr.min_items.saturating_sub(count) {
                if !(open && i == 0) {
                    out.push(b',');
                }
                out.extend_from_slice(&item);
            }
            out.push(b']');
            out
        }
        Frame::Str(st) => {
            let mut out = Vec::new();
            if st.utf8_left > 0 {
                out.push(st.lo);
                out.extend(std::iter::repeat_n(0x80, usize::from(st.utf8_left) - 1));
            }
            match st.esc {
                Esc::None => {}
                Esc::Backslash => out.push(b'/'),
                Esc::Hex(left, _) => out.extend(std::iter::repeat_n(b'0', usize::from(left))),
            }
            out.push(b'"');
            out
        }
        Frame::Enum { node, cand, pos } => match &c.nodes[usize::from(node)] {
            Node::String(StringNode {
                choices: Some(choices),
                ..
            }) => {
                let rest = choices[usize::from(cand)]
                    .escaped
                    .get(usize::from(pos)..)
                    .unwrap_or_default();
                [rest, b"\""].concat()
            }
            _ => Vec::new(),
        },
        Frame::Number { .. } => number_step(c, frames).map(|b| vec![b]).unwrap_or_default(),
        Frame::Literal { word, pos } => word.get(usize::from(pos)..).unwrap_or_default().to_vec(),
    }
}

/// The minimal whole value of `node`.
fn fill_value(c: &Compiled, node: u16) -> Vec<u8> {
    match &c.nodes[usize::from(node)] {
        Node::Object(obj) => {
            let mut out = vec![b'{'];
            for prop in obj.props.iter().filter(|p| p.required) {
                if out.len() > 1 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(&prop.key);
                out.extend_from_slice(b"\":");
                out.extend(fill_value(c, prop.node));
            }
            out.push(b'}');
            out
        }
        Node::String(s) => {
            let first = s
                .choices
                .as_ref()
                .and_then(|ch| ch.first())
                .map_or(&[][..], |ch| &ch.escaped);
            [b"\"", first, b"\""].concat()
        }
        Node::Number(_) => {
            let mut frames = vec![Frame::Value {
                node,
                space_ok: false,
            }];
            let mut out = Vec::new();
            while !number_ends(c, &frames) && out.len() < 32 {
                match number_step(c, &frames) {
                    Some(b) if step(c, &mut frames, b) => out.push(b),
                    _ => break,
                }
            }
            out
        }
        Node::Boolean => b"false".to_vec(),
        Node::Null => b"null".to_vec(),
        Node::Array(arr) => {
            let item = fill_value(c, arr.items);
            let items = vec![item; arr.min_items as usize];
            [b"[".as_slice(), &items.join(&b','), b"]"].concat()
        }
    }
}

/// The next byte of a short number within bounds: the first that ends a valid number if any
/// does, else the first that keeps the number viable.
fn number_step(c: &Compiled, frames: &[Frame]) -> Option<u8> {
    let mut fallback = None;
    for &b in b"0123456789.-" {
        let mut trial = frames.to_vec();
        if step(c, &mut trial, b) {
            if number_ends(c, &trial) {
                return Some(b);
            }
            fallback.get_or_insert(b);
        }
    }
    fallback
}

#[cfg(test)]
#[path = "json_constraint_tests.rs"]
mod tests;
