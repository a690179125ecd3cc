//! Binding of the JSON area: the scan behind `parseJson` (its plan), `selectJson`, and the JSON
//! policy table. The scanner and every number live in `offthread_core::json`.

use crate::input::{self, Input};
use crate::schedule::{self, Job, Ticket};
use crate::values::Output;
use napi::{Env, Unknown};
use napi_derive::napi;
use offthread_core::json::{self as core, plan, scan};
use serde_json::{json, Value};
use std::borrow::Cow;

/// The input as one contiguous slice (parts are concatenated on the pool thread).
fn joined(input: &Input) -> Cow<'_, [u8]> {
    let parts = input.slices();
    match parts.as_slice() {
        [one] => Cow::Borrowed(*one),
        _ => Cow::Owned(parts.concat()),
    }
}

/// The meta value of a syntax error: where it is and the scanner's message.
pub fn syntax_error(bytes: &[u8], e: &scan::SyntaxError) -> Value {
    let at = e.locate(bytes);
    json!({ "error": {
        "offset": at.offset,
        "position": at.position,
        "line": at.line,
        "column": at.column,
        "message": at.message,
    }})
}

/// Runs a scan-based job: a syntax error becomes meta `{ error }`, a cancellation an error.
fn scan_job(
    input: Input,
    body: impl FnOnce(&[u8], &offthread_core::pool::TaskState) -> Result<Output, scan::Stop>
        + Send
        + 'static,
) -> Job {
    Box::new(move |task| {
        let bytes = joined(&input);
        match body(&bytes, task) {
            Ok(out) => Ok(out),
            Err(scan::Stop::Syntax(e)) => Ok(Output::BytesWith(Vec::new(), syntax_error(&bytes, &e))),
            Err(scan::Stop::Task(e)) => Err(e),
        }
    })
}

/// Queues the validation and plan of a JSON document (`data`: string, binary view or an array of
/// them, taken as one text). Resolves `[Buffer, meta]`: the plan as little-endian f64 `[op, a, b]`
/// triples (offsets in bytes, or UTF-16 units when `units`) and `{ ops, splitDepth }`, or an empty
/// Buffer and `{ error: { offset, position, line, column, message } }` when the text is not JSON.
/// Returns an admission code.
#[napi(catch_unwind)]
pub fn json_scan(
    env: Env,
    ticket: Ticket,
    data: Unknown<'_>,
    slice_bytes: u32,
    units: bool,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    let job = scan_job(input, move |bytes, task| {
        let mut p = plan::plan(bytes, slice_bytes as usize, Some(task))?;
        if units {
            plan::to_utf16(&mut p, bytes);
        }
        let meta = json!({ "ops": p.ops.len() / 3, "splitDepth": p.split_depth });
        let raw = p.ops.iter().flat_map(|x| x.to_le_bytes()).collect();
        Ok(Output::BytesWith(raw, meta))
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

/// The JSON policy table (`policy.json` in lib/json).
pub fn policy() -> Value {
    json!({
        "sliceBytes": {
            "min": core::MIN_SLICE_BYTES,
            "max": core::MAX_SLICE_BYTES,
            "default": core::DEFAULT_SLICE_BYTES,
        },
        "sliceMs": {
            "min": core::MIN_SLICE_MS,
            "max": core::MAX_SLICE_MS,
            "default": core::DEFAULT_SLICE_MS,
        },
        "inlineBytes": core::INLINE_BYTES,
        "exactMessageBytes": core::EXACT_MESSAGE_BYTES,
        "bodyLimit": core::BODY_LIMIT_BYTES,
        "encodeUnits": core::ENCODE_UNITS,
        "parseErrorCode": core::PARSE_ERROR_CODE,
        "schema": crate::json_schema::policy(),
        "stringifyChunkBytes": core::STRINGIFY_CHUNK_BYTES,
        "stringifyValueCost": core::STRINGIFY_VALUE_COST,
        "stringifyPieceDepth": core::STRINGIFY_PIECE_DEPTH,
        "ndjsonMaxLineBytes": {
            "min": 1,
            "max": core::NDJSON_MAX_LINE_BYTES_MAX,
            "default": core::NDJSON_MAX_LINE_BYTES,
        },
    })
}
