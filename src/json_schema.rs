//! Binding of JSON Schema validation (`compileSchema`, `validateJson`): schemas are compiled on
//! the calling thread into a shared handle; documents are parsed and validated on the pool
//! (`offthread_core::json::schema`).

use crate::input::{self, Input};
use crate::schedule::{self, Ticket};
use crate::values::{self, Output};
use napi::bindgen_prelude::External;
use napi::{Env, Unknown};
use napi_derive::napi;
use offthread_core::json::scan::Stop;
use offthread_core::json::schema::{self as core, Options, Schema};
use serde_json::{json, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// A compiled schema as JS holds it.
type Handle = External<Arc<Schema>>;

/// The input as one contiguous slice.
fn joined(input: &Input) -> Cow<'_, [u8]> {
    let parts = input.slices();
    match parts.as_slice() {
        [one] => Cow::Borrowed(*one),
        _ => Cow::Owned(parts.concat()),
    }
}

/// Compiles a schema given as JSON text (string or binary view) on the calling thread; throws
/// `ERR_INVALID_ARG_VALUE` with the crate's message for an invalid one.
#[napi(catch_unwind, ts_return_type = "ExternalObject<unknown>")]
pub fn json_schema_compile(env: Env, schema: Unknown<'_>) -> napi::Result<Handle> {
    let input = input::for_sync(&env, schema)?;
    Schema::from_json(&joined(&input))
        .map(|s| External::new(Arc::new(s)))
        .map_err(|e| values::to_napi(&env, &e))
}

/// The draft a compiled schema is read as ("2020-12", "draft-07", ...).
#[napi(ts_args_type = "schema: ExternalObject<unknown>")]
pub fn json_schema_draft(schema: &Handle) -> String {
    schema.draft_name().to_string()
}

/// Queues the parse and validation of `data` (string or binary view) against `schema`. Resolves
/// `{ valid, errors, truncated }` (errors in ajv's shape), or `{ error: { offset, position, line,
/// column, message } }` when the text is not JSON. Returns an admission code.
#[napi(
    catch_unwind,
    ts_args_type = "ticket: Ticket, schema: ExternalObject<unknown>, data: string | ArrayBufferView | ArrayBuffer, allErrors: boolean, maxErrors: number"
)]
pub fn json_schema_validate(
    env: Env,
    ticket: Ticket,
    schema: &Handle,
    data: Unknown<'_>,
    all_errors: bool,
    max_errors: u32,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    let schema: Arc<Schema> = Arc::clone(schema);
    let options = Options {
        all_errors,
        max_errors: max_errors as usize,
    };
    let job: schedule::Job = Box::new(move |task| {
        let bytes = joined(&input);
        match core::validate(&schema, &bytes, options, task) {
            Ok(v) => Ok(Output::Value(json!({
                "valid": v.valid,
                "errors": v.errors.iter().map(core::Failure::to_json).collect::<Vec<Value>>(),
                "truncated": v.truncated,
            }))),
            Err(Stop::Syntax(e)) => Ok(Output::Value(crate::json::syntax_error(&bytes, &e))),
            Err(Stop::Task(e)) => Err(e),
        }
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

/// The schema part of the JSON policy table (`policy.json.schema`).
pub fn policy() -> Value {
    json!({
        "maxErrors": { "min": 1, "max": core::MAX_MAX_ERRORS, "default": core::DEFAULT_MAX_ERRORS },
        "maxDepth": core::MAX_DEPTH,
        "defaultDraft": core::DEFAULT_DRAFT,
    })
}
