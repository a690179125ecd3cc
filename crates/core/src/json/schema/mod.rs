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

mod ajv;
mod document;

use super::scan::Stop;
use crate::error::{Error, ErrorKind, Result};
use crate::pool::TaskState;
use ajv::{first_error_len, flatten, with_if_errors};
pub use document::{parse, repair};
use jsonschema::{Draft, Validator};
use serde_json::{json, Value};
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
