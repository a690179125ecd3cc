//! JSON Schema validation (draft 2020-12 and draft-07) with the `jsonschema` crate, from bytes:
//! `compileSchema` builds a [`Schema`] once, `validateJson` parses a document with `serde_json`
//! on a pool thread and reports its errors in ajv's shape ([`Failure`]).
//!
//! Documents are read as `JSON.parse(buf.toString('utf8'))` reads them: whether a text is JSON
//! is the scanner's judgment ([`super::scan`]), so a syntax error is the one `parseJson` gives.
//! Valid JSON that `serde_json` refuses is repaired at the same length (see [`repair`]): invalid
//! UTF-8 (read as U+FFFD), lone surrogate escapes (read as U+FFFD) and numbers beyond the f64
//! range (`JSON.parse` gives ±Infinity; here they are ±1e308). Nesting deeper than [`MAX_DEPTH`]
//! is refused with `ERR_OUT_OF_RANGE` (`serde_json` and the validator recurse).
//! `$ref`s are resolved inside the schema only: nothing is fetched.

use super::scan::{self, Stop};
use crate::error::{Error, ErrorKind, Result};
use crate::pool::TaskState;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, ValidationError, Validator};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Map, Number, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

/// The deepest nesting a document may have (arrays and objects inside one another): what
/// `serde_json`'s recursion limit (128) lets through. Deeper documents are refused with
/// `ERR_OUT_OF_RANGE` rather than risking the pool thread's stack (parsing, validating and freeing
/// all recurse).
pub const MAX_DEPTH: usize = 127;
/// Default cap on the errors one `allErrors` validation reports (`maxErrors`): the errors are
/// built as JS objects on the event loop, so their number bounds that work.
pub const DEFAULT_MAX_ERRORS: u32 = 1000;
/// Largest accepted `maxErrors`.
pub const MAX_MAX_ERRORS: u32 = 1 << 20;
/// Documents from this size on are freed by a later pool job instead of before the verdict.
pub const DEFER_FREE_BYTES: usize = 1 << 20;
/// Values parsed between cancellation checks.
const CHECK_EVERY: u32 = 1 << 14;
/// The draft used when a schema has no `$schema`.
pub const DEFAULT_DRAFT: &str = "2020-12";

/// A compiled schema, shareable between threads.
pub struct Schema {
    validator: Validator,
    draft: Draft,
    /// The schema itself, for ajv's error details the crate does not carry (type order, the
    /// property behind a `dependentRequired` error).
    root: Value,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("draft", &self.draft_name())
            .finish_non_exhaustive()
    }
}

fn invalid_schema(why: impl fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidArgValue, format!("Invalid schema: {why}"))
}

impl Schema {
    /// Compiles a schema given as JSON text. Costs about as much as parsing it (regexes are
    /// compiled lazily). Invalid JSON or an invalid schema: `ERR_INVALID_ARG_VALUE`.
    pub fn from_json(text: &[u8]) -> Result<Schema> {
        let value: Value = serde_json::from_slice(text)
            .map_err(|e| invalid_schema(format_args!("not JSON ({e})")))?;
        Schema::new(&value)
    }

    /// Compiles a schema (an object or a boolean). The draft comes from `$schema`; without it,
    /// draft 2020-12. Remote `$ref`s are refused (nothing is fetched).
    pub fn new(schema: &Value) -> Result<Schema> {
        if !schema.is_object() && !schema.is_boolean() {
            return Err(Error::new(
                ErrorKind::InvalidArgType,
                "Invalid schema: expected an object or a boolean",
            ));
        }
        let mut options = jsonschema::options().offline();
        if schema.get("$schema").is_none() {
            options = options.with_draft(Draft::Draft202012);
        }
        let validator = options.build(schema).map_err(|e| invalid_schema(&e))?;
        let draft = validator.draft();
        Ok(Schema {
            validator,
            draft,
            root: schema.clone(),
        })
    }

    /// The draft the schema is read as: "2020-12", "2019-09", "draft-07", "draft-06" or "draft-04".
    pub fn draft_name(&self) -> &'static str {
        match self.draft {
            Draft::Draft4 => "draft-04",
            Draft::Draft6 => "draft-06",
            Draft::Draft7 => "draft-07",
            Draft::Draft201909 => "2019-09",
            _ => DEFAULT_DRAFT,
        }
    }
}

/// How much a validation reports.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Every error (up to `max_errors`), or only the first (ajv's default).
    pub all_errors: bool,
    /// Most errors reported with `all_errors`.
    pub max_errors: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            all_errors: false,
            max_errors: DEFAULT_MAX_ERRORS as usize,
        }
    }
}

/// One validation error, in ajv's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// JSON Pointer to the failing value ('' for the document).
    pub instance_path: String,
    /// URI fragment of the failing keyword in the schema: `#/properties/x/type`.
    pub schema_path: String,
    pub keyword: String,
    /// ajv's wording where the crate gives what it needs.
    pub message: String,
    pub params: Value,
}

impl Failure {
    /// As ajv's error object.
    pub fn to_json(&self) -> Value {
        json!({
            "instancePath": self.instance_path,
            "schemaPath": self.schema_path,
            "keyword": self.keyword,
            "params": self.params,
            "message": self.message,
        })
    }
}

/// A validation's outcome for a JSON document.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub valid: bool,
    pub errors: Vec<Failure>,
    /// More errors than `max_errors` were found.
    pub truncated: bool,
}

/// Parses `bytes` as one JSON text and validates it against `schema`. A text that is not JSON
/// stops with the scanner's syntax error; a cancelled task with `ABORT_ERR`.
pub fn validate(
    schema: &Schema,
    bytes: &[u8],
    options: Options,
    task: &TaskState,
) -> std::result::Result<Verdict, Stop> {
    let value = parse(bytes, task)?;
    task.checkpoint().map_err(Stop::Task)?;
    let verdict = check(schema, &value, options, task).map_err(Stop::Task)?;
    release(value, bytes.len());
    Ok(verdict)
}

/// Frees a parsed document. A large one is freed by a later pool job, after the verdict has been
/// delivered: freeing 17 MB of `Value`s costs a third to half of parsing them, and the verdict
/// need not wait for it (as JavaScript's garbage collector frees `JSON.parse`'s objects later).
fn release(value: Value, size: usize) {
    if size >= DEFER_FREE_BYTES && crate::pool::is_started() {
        crate::pool::spawn_uncounted(move || drop(value));
    } else {
        drop(value);
    }
}

/// Validates a parsed document.
pub fn check(
    schema: &Schema,
    value: &Value,
    options: Options,
    task: &TaskState,
) -> Result<Verdict> {
    let v = &schema.validator;
    if v.is_valid(value) {
        return Ok(Verdict {
            valid: true,
            errors: Vec::new(),
            truncated: false,
        });
    }
    let mut errors = Vec::new();
    let max = if options.all_errors {
        options.max_errors.max(1)
    } else {
        1
    };
    let mut truncated = false;
    for (i, e) in v.iter_errors(value).enumerate() {
        if i % 64 == 63 {
            task.checkpoint()?;
        }
        if errors.len() >= max {
            truncated = true;
            break;
        }
        let mut one = Vec::new();
        flatten(&schema.root, &e, &mut one);
        if !options.all_errors {
            // ajv's first error: the failing keyword with the errors of the branches it tried.
            one.truncate(first_error_len(&one));
            errors = one;
            break;
        }
        errors.extend(one);
    }
    let mut errors = with_if_errors(errors);
    if errors.len() > max {
        errors.truncate(max);
        truncated = true;
    }
    Ok(Verdict {
        valid: false,
        errors,
        truncated,
    })
}

/// Schema keywords whose next segment is a name or an index, not a subschema keyword.
const NAMED: [&str; 9] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
    "allOf",
    "anyOf",
    "oneOf",
];

/// Where a then/else branch's failing `if` is: its schemaPath (`#.../if`), the branch keyword and
/// its instancePath (the error's, less the steps the branch took into the instance).
fn if_ancestors(f: &Failure) -> Vec<(String, &'static str, String)> {
    let segments: Vec<&str> = f.schema_path.trim_start_matches('#').split('/').collect();
    let mut found = Vec::new();
    for (k, seg) in segments.iter().enumerate() {
        let branch = match *seg {
            "then" => "then",
            "else" => "else",
            _ => continue,
        };
        // A member named "then" (`properties/then`) is not the keyword.
        if k == 0 || NAMED.contains(&segments[k - 1]) {
            continue;
        }
        // Steps into the instance below the branch.
        let mut steps = 0;
        let mut j = k + 1;
        while j < segments.len() {
            let next_is_index = segments
                .get(j + 1)
                .is_some_and(|s| s.parse::<u64>().is_ok());
            j += match segments[j] {
                "properties" | "patternProperties" | "prefixItems" => {
                    steps += 1;
                    2
                }
                "items" if next_is_index => {
                    steps += 1;
                    2
                }
                "items"
                | "additionalProperties"
                | "unevaluatedProperties"
                | "additionalItems"
                | "unevaluatedItems"
                | "contains" => {
                    steps += 1;
                    1
                }
                s if NAMED.contains(&s) => 2,
                _ => 1,
            };
        }
        let mut instance: Vec<&str> = f.instance_path.split('/').collect();
        if instance.len() <= steps {
            continue;
        }
        instance.truncate(instance.len() - steps);
        let path = format!("{}/if", segments[..k].join("/"));
        found.push((format!("#{path}"), branch, instance.join("/")));
    }
    found
}

/// ajv's `if` errors: after the last error of a failing then/else branch, `must match "then"
/// schema` at the `if` (innermost first).
fn with_if_errors(errors: Vec<Failure>) -> Vec<Failure> {
    let ancestors: Vec<_> = errors.iter().map(if_ancestors).collect();
    if ancestors.iter().all(Vec::is_empty) {
        return errors;
    }
    let mut last = std::collections::HashMap::new();
    for (i, list) in ancestors.iter().enumerate() {
        for a in list {
            last.insert(a.clone(), i);
        }
    }
    let mut out = Vec::with_capacity(errors.len() + last.len());
    for (i, (f, list)) in errors.into_iter().zip(&ancestors).enumerate() {
        out.push(f);
        for a in list.iter().rev() {
            if last.get(a) == Some(&i) {
                let (schema_path, branch, instance_path) = a;
                out.push(failure(
                    instance_path,
                    schema_path,
                    "if",
                    format!("must match \"{branch}\" schema"),
                    json!({ "failingKeyword": branch }),
                ));
            }
        }
    }
    out
}

/// How many of a flattened error's entries ajv would report without `allErrors`: a combinator
/// with its branch errors stays whole; an error split per property keeps its first.
fn first_error_len(one: &[Failure]) -> usize {
    match one.last() {
        Some(f) if matches!(f.keyword.as_str(), "anyOf" | "oneOf" | "propertyNames") => one.len(),
        _ => one.len().min(1),
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// The parsed document, read as `JSON.parse(buf.toString('utf8'))` reads it (see the module doc).
pub fn parse(bytes: &[u8], task: &TaskState) -> std::result::Result<Value, Stop> {
    let first = match parse_value(bytes, task) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    task.checkpoint().map_err(Stop::Task)?;
    // Whether it is JSON at all is the scanner's call, so the error is parseJson's.
    scan::validate(bytes, Some(task))?;
    if is_depth(&first) {
        return Err(Stop::Task(too_deep()));
    }
    let text = repair(bytes);
    parse_value(text.as_bytes(), task).map_err(|e| {
        if task.is_cancelled() {
            Stop::Task(Error::aborted())
        } else if is_depth(&e) {
            Stop::Task(too_deep())
        } else {
            Stop::Task(Error::new(
                ErrorKind::Internal,
                format!("JSON accepted by the scanner but not by serde_json: {e}"),
            ))
        }
    })
}

fn is_depth(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("recursion limit exceeded")
}

fn too_deep() -> Error {
    Error::new(
        ErrorKind::OutOfRange,
        format!("JSON nested deeper than {MAX_DEPTH} levels cannot be validated"),
    )
}

fn parse_value(bytes: &[u8], task: &TaskState) -> serde_json::Result<Value> {
    let tick = Tick {
        task,
        n: Cell::new(0),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed(&tick).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Counts values and checks for cancellation every [`CHECK_EVERY`].
struct Tick<'t> {
    task: &'t TaskState,
    n: Cell<u32>,
}

impl Tick<'_> {
    fn step<E: de::Error>(&self) -> std::result::Result<(), E> {
        let n = self.n.get() + 1;
        if n < CHECK_EVERY {
            self.n.set(n);
            return Ok(());
        }
        self.n.set(0);
        if self.task.is_cancelled() {
            return Err(E::custom("cancelled"));
        }
        Ok(())
    }
}

/// Builds a `serde_json::Value` as `Value`'s own `Deserialize` does, checking for cancellation.
/// Duplicate keys: the last value wins, as in `JSON.parse`.
#[derive(Clone, Copy)]
struct Seed<'a, 't>(&'a Tick<'t>);

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> std::result::Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            self.0.step()?;
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            self.0.step()?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

/// The text of a JSON document (already validated by the scanner) rewritten at the same length
/// where `serde_json` refuses what `JSON.parse` accepts: invalid UTF-8 decoded to U+FFFD (as
/// `buf.toString('utf8')`), `\uD800`-style lone surrogate escapes replaced by `\uFFFD`, and
/// numbers beyond the f64 range (±Infinity in JavaScript) by ±1e308 padded with spaces.
pub fn repair(bytes: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(bytes);
    let b = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'"' => in_string = false,
                b'\\' if b.get(i + 1) == Some(&b'u') => {
                    let unit = hex4(b, i + 2);
                    if let Some(u) = unit.filter(|u| (0xD800..0xE000).contains(u)) {
                        let paired = (0xD800..0xDC00).contains(&u)
                            && b.get(i + 6) == Some(&b'\\')
                            && b.get(i + 7) == Some(&b'u')
                            && hex4(b, i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l));
                        if paired {
                            i += 12;
                            continue;
                        }
                        let o = out.get_or_insert_with(|| b.to_vec());
                        o[i + 2..i + 6].copy_from_slice(b"FFFD");
                    }
                    i += 6;
                    continue;
                }
                b'\\' => {
                    i += 2;
                    continue;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'-' | b'0'..=b'9' => {
                let end = b[i..]
                    .iter()
                    .position(|&x| !matches!(x, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .map_or(b.len(), |p| i + p);
                let token = &text[i..end];
                if token.parse::<f64>().is_ok_and(f64::is_infinite) {
                    let big: &[u8] = if c == b'-' { b"-1e308" } else { b"1e308" };
                    if big.len() <= end - i {
                        let o = out.get_or_insert_with(|| b.to_vec());
                        o[i..i + big.len()].copy_from_slice(big);
                        o[i + big.len()..end].fill(b' ');
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match out {
        // Only ASCII was replaced by ASCII inside a valid UTF-8 text.
        Some(o) => Cow::Owned(String::from_utf8(o).unwrap_or_default()),
        None => text,
    }
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    let s = std::str::from_utf8(s).ok()?;
    u32::from_str_radix(s, 16).ok()
}

// ---------------------------------------------------------------------------------------------
// Errors in ajv's shape

fn pointer_fragment(path: &str) -> String {
    format!("#{path}")
}

fn type_names(kind: &TypeKind) -> Value {
    match kind {
        TypeKind::Single(t) => Value::String(t.to_string()),
        TypeKind::Multiple(set) => {
            Value::Array(set.iter().map(|t| Value::String(t.to_string())).collect())
        }
    }
}

/// Whether two `type` values (a name or a list) name the same types.
fn same_names(a: &Value, b: &Value) -> bool {
    let set = |v: &Value| {
        let mut names: Vec<String> = match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        names.sort_unstable();
        names
    };
    !set(a).is_empty() && set(a) == set(b)
}

fn limit_message(what: &str, more: bool, limit: u64) -> String {
    let side = if more { "more" } else { "fewer" };
    format!("must NOT have {side} than {limit} {what}")
}

fn failure(
    instance_path: &str,
    schema_path: &str,
    keyword: &str,
    message: String,
    params: Value,
) -> Failure {
    Failure {
        instance_path: instance_path.to_string(),
        schema_path: schema_path.to_string(),
        keyword: keyword.to_string(),
        message,
        params,
    }
}

/// Appends `e` (and the errors of the branches it tried, before it, as ajv lists them) to `out`.
fn flatten(root: &Value, e: &ValidationError<'_>, out: &mut Vec<Failure>) {
    let mut instance_path = e.instance_path().as_str().to_string();
    let mut schema_path = pointer_fragment(e.schema_path().as_str());
    // The schema object holding the failing keyword, and for `dependentRequired` the keyword's value.
    let keyword_path = e.schema_path().as_str();
    let at = keyword_path
        .rsplit_once('/')
        .and_then(|(parent, _)| root.pointer(parent));
    let mut keyword = e.kind().keyword().to_string();
    use ValidationErrorKind as K;
    let (message, params) = match e.kind() {
        K::AdditionalItems { limit } => (
            limit_message("items", true, *limit as u64),
            json!({ "limit": limit }),
        ),
        K::AdditionalProperties { unexpected } => {
            for p in unexpected {
                out.push(failure(
                    &instance_path,
                    &schema_path,
                    &keyword,
                    "must NOT have additional properties".into(),
                    json!({ "additionalProperty": p }),
                ));
            }
            return;
        }
        K::UnevaluatedProperties { unexpected } => {
            for p in unexpected {
                out.push(failure(
                    &instance_path,
                    &schema_path,
                    &keyword,
                    "must NOT have unevaluated properties".into(),
                    json!({ "unevaluatedProperty": p }),
                ));
            }
            return;
        }
        K::AnyOf { context } | K::OneOfNotValid { context } => {
            for branch in context {
                for inner in branch {
                    flatten(root, inner, out);
                }
            }
            let (message, params) = if keyword == "anyOf" {
                ("must match a schema in anyOf", json!({}))
            } else {
                (
                    "must match exactly one schema in oneOf",
                    json!({ "passingSchemas": null }),
                )
            };
            out.push(failure(
                &instance_path,
                &schema_path,
                &keyword,
                message.into(),
                params,
            ));
            return;
        }
        K::OneOfMultipleValid { context } => {
            // ajv lists the errors of the branches that failed before the second passing one.
            let mut passed = 0;
            for branch in context {
                if branch.is_empty() {
                    passed += 1;
                    if passed == 2 {
                        break;
                    }
                }
                for inner in branch {
                    flatten(root, inner, out);
                }
            }
            // The branches without errors passed; ajv names the first two.
            let passing: Vec<usize> = (0..context.len())
                .filter(|&i| context[i].is_empty())
                .take(2)
                .collect();
            (
                "must match exactly one schema in oneOf".into(),
                json!({ "passingSchemas": passing }),
            )
        }
        K::PropertyNames { error } => {
            let name = error.instance().as_ref().clone();
            let mut inner = Vec::new();
            flatten(root, error, &mut inner);
            for mut f in inner {
                // ajv reports the name's error at the object.
                f.instance_path.clone_from(&instance_path);
                out.push(f);
            }
            if let Some(end) = schema_path.rfind("/propertyNames") {
                schema_path.truncate(end + "/propertyNames".len());
            }
            (
                "property name must be valid".into(),
                json!({ "propertyName": name }),
            )
        }
        K::Constant { expected_value } => (
            "must be equal to constant".into(),
            json!({ "allowedValue": expected_value.as_ref() }),
        ),
        K::Contains => (
            "must contain at least 1 valid item(s)".into(),
            json!({ "minContains": 1 }),
        ),
        K::Enum { options } => (
            "must be equal to one of the allowed values".into(),
            json!({ "allowedValues": options.as_ref() }),
        ),
        K::ExclusiveMaximum { limit } => comparison("<", limit),
        K::ExclusiveMinimum { limit } => comparison(">", limit),
        K::Maximum { limit } => comparison("<=", limit),
        K::Minimum { limit } => comparison(">=", limit),
        K::FalseSchema => {
            let items = ["/items", "/additionalItems"]
                .into_iter()
                .find(|k| schema_path.ends_with(k));
            let index = instance_path
                .rsplit_once('/')
                .and_then(|(parent, i)| Some((parent.to_string(), i.parse::<u64>().ok()?)));
            if let (Some(k), Some((parent, index))) = (items, index) {
                // The number of items allowed: prefixItems' (2020-12) or the items tuple's (draft-07).
                let tuple = if k == "/items" {
                    "prefixItems"
                } else {
                    "items"
                };
                let limit = at
                    .and_then(|s| s.get(tuple))
                    .and_then(Value::as_array)
                    .map_or(index, |a| a.len() as u64);
                // `items: false` after prefixItems: ajv reports the array once, not each item,
                // with the number of items allowed (the first extra item's index).
                if let Some(f) = out
                    .last_mut()
                    .filter(|f| f.instance_path == parent && f.schema_path == schema_path)
                {
                    let first = f.params["limit"].as_u64().map_or(limit, |l| l.min(limit));
                    f.message = limit_message("items", true, first);
                    f.params = json!({ "limit": first });
                    return;
                }
                keyword = k[1..].to_string();
                instance_path = parent;
                (
                    limit_message("items", true, limit),
                    json!({ "limit": limit }),
                )
            } else {
                keyword = "false schema".into();
                schema_path.push_str("/false schema");
                ("boolean schema is false".into(), json!({}))
            }
        }
        K::Format { format } => (
            format!("must match format \"{format}\""),
            json!({ "format": format }),
        ),
        K::MaxItems { limit } => (
            limit_message("items", true, *limit),
            json!({ "limit": limit }),
        ),
        K::MinItems { limit } => (
            limit_message("items", false, *limit),
            json!({ "limit": limit }),
        ),
        K::MaxLength { limit } => (
            limit_message("characters", true, *limit),
            json!({ "limit": limit }),
        ),
        K::MinLength { limit } => (
            limit_message("characters", false, *limit),
            json!({ "limit": limit }),
        ),
        K::MaxProperties { limit } => (
            limit_message("properties", true, *limit),
            json!({ "limit": limit }),
        ),
        K::MinProperties { limit } => (
            limit_message("properties", false, *limit),
            json!({ "limit": limit }),
        ),
        K::MultipleOf { multiple_of } => (
            format!("must be multiple of {}", js_number(*multiple_of)),
            json!({ "multipleOf": multiple_of }),
        ),
        K::Not { .. } => ("must NOT be valid".into(), json!({})),
        K::Pattern { pattern } => (
            format!("must match pattern \"{pattern}\""),
            json!({ "pattern": pattern }),
        ),
        K::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            let dep = ["/dependentRequired", "/dependencies"]
                .into_iter()
                .find(|k| schema_path.ends_with(k));
            if let Some(k) = dep {
                // draft-07 `dependencies` / 2020-12 `dependentRequired`: which present property
                // asked for the missing one is read from the schema.
                keyword = k[1..].to_string();
                let instance = e.instance();
                let found = at
                    .and_then(|s| s.get(&k[1..]))
                    .and_then(Value::as_object)
                    .and_then(|deps| {
                        deps.iter().find(|(p, d)| {
                            instance.get(p.as_str()).is_some()
                                && d.as_array().is_some_and(|d| d.contains(property))
                        })
                    });
                let (prop, deps) = found.map_or((String::new(), Vec::new()), |(p, d)| {
                    let list = d.as_array().map_or_else(Vec::new, |d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    });
                    (p.clone(), list)
                });
                let wanted = if deps.len() == 1 {
                    format!("property {}", deps[0])
                } else {
                    format!("properties {}", deps.join(", "))
                };
                (
                    format!("must have {wanted} when property {prop} is present"),
                    json!({ "property": prop, "missingProperty": name,
                            "depsCount": deps.len(), "deps": deps.join(", ") }),
                )
            } else {
                (
                    format!("must have required property '{name}'"),
                    json!({ "missingProperty": name }),
                )
            }
        }
        K::Type { kind } => {
            // The schema's own list, in its order (the crate's set is sorted), when the path leads
            // to it (a path inside another resource, reached by `$ref` to its `$id`, does not).
            let crate_names = type_names(kind);
            let names = at
                .and_then(|t| t.get("type"))
                .filter(|t| same_names(t, &crate_names))
                .cloned()
                .unwrap_or(crate_names);
            let shown = match &names {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.as_str().unwrap_or_default().to_string(),
            };
            (format!("must be {shown}"), json!({ "type": names }))
        }
        K::UnevaluatedItems { .. } => ("must NOT have unevaluated items".into(), json!({})),
        K::UniqueItems => match duplicate(e.instance()) {
            Some((i, j)) => (
                format!("must NOT have duplicate items (items ## {j} and {i} are identical)"),
                json!({ "i": i, "j": j }),
            ),
            None => ("must NOT have duplicate items".into(), json!({})),
        },
        _ => (e.to_string(), json!({})),
    };
    out.push(failure(
        &instance_path,
        &schema_path,
        &keyword,
        message,
        params,
    ));
}

/// Longest array whose duplicate pair is looked for (quadratic, as ajv's check of untyped items).
const DUPLICATE_SEARCH_ITEMS: usize = 1024;

/// ajv's pair for `uniqueItems`: the last item equal to an earlier one, and the last such earlier one.
fn duplicate(array: &Value) -> Option<(usize, usize)> {
    let items = array
        .as_array()
        .filter(|a| a.len() <= DUPLICATE_SEARCH_ITEMS)?;
    (0..items.len()).rev().find_map(|i| {
        (0..i)
            .rev()
            .find(|&j| same(&items[i], &items[j]))
            .map(|j| (i, j))
    })
}

/// JSON Schema equality: numbers by value (1 and 1.0 are equal).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// ajv's `{ comparison, limit }` errors: "must be >= 5".
fn comparison(op: &str, limit: &Value) -> (String, Value) {
    (
        format!("must be {op} {limit}"),
        json!({ "comparison": op, "limit": limit }),
    )
}

/// A float as JavaScript prints it where that is the same as Rust's shortest form (integers
/// without ".0").
fn js_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e21 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repair_keeps_length_and_replaces_what_serde_json_refuses() {
        let text = br#"{"a":"\ud800x\ud83d\ude00","b":[1e400,-2e308,1e5,"1e400"]}"#;
        let fixed = repair(text);
        assert_eq!(fixed.len(), text.len());
        assert_eq!(
            fixed,
            r#"{"a":"\uFFFDx\ud83d\ude00","b":[1e308,-1e308,1e5,"1e400"]}"#
        );
        let invalid = b"[\"\xff\"]";
        assert_eq!(repair(invalid), "[\"\u{FFFD}\"]");
    }
}
