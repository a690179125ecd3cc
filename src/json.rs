//! Binding of the JSON area: the scan behind `parseJson` (its plan), `selectJson`, and the JSON
//! policy table. The scanner and every number live in `offthread_core::json`.

use crate::input::{self, Input};
use crate::schedule::{self, Job, Ticket};
use crate::values::Output;
use napi::bindgen_prelude::Utf16String;
use napi::{Env, Unknown};
use napi_derive::napi;
use offthread_core::json::{self as core, plan, scan, select};
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
            Err(scan::Stop::Syntax(e)) => {
                Ok(Output::BytesWith(Vec::new(), syntax_error(&bytes, &e)))
            }
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

/// Queues `selectJson`'s one validating pass over a JSON document (`data` as for `json_scan`):
/// the text of each value that `pointers` (JSON Pointers, `~*` for any member or element) select.
/// Resolves `[Buffer, meta]`: little-endian f64 `[pointer, start, end]` triples (bytes, or UTF-16
/// units when `units`) in result order, then with `paths` each match's path (`count`, then `count`
/// steps `[0, index, 0]` or `[1, keyStart, keyEnd]`; 0 steps for pointers without a wildcard), and
/// `{ matches }`; or an empty Buffer and `{ error }` when the text is not JSON. Throws
/// ERR_INVALID_ARG_VALUE for a malformed pointer; more than `max_matches` values reject with
/// ERR_OUT_OF_RANGE. Returns an admission code.
#[napi(catch_unwind)]
pub fn json_select(
    env: Env,
    ticket: Ticket,
    data: Unknown<'_>,
    pointers: Vec<Utf16String>,
    max_matches: u32,
    units: bool,
    paths: bool,
) -> napi::Result<u32> {
    let too_many = |name: &str, max: usize, got: usize| {
        let e = offthread_core::Error::out_of_range(name, 1, max as u64, got);
        crate::values::to_napi(&env, &e)
    };
    if pointers.len() > select::MAX_POINTERS {
        return Err(too_many(
            "the number of pointers",
            select::MAX_POINTERS,
            pointers.len(),
        ));
    }
    let max_matches = max_matches as usize;
    if max_matches == 0 || max_matches > select::MAX_MATCHES {
        return Err(too_many("maxMatches", select::MAX_MATCHES, max_matches));
    }
    let pointers = pointers
        .iter()
        .map(|p| select::Pointer::parse(p))
        .collect::<offthread_core::Result<Vec<_>>>()
        .map_err(|e| crate::values::to_napi(&env, &e))?;
    let (input, refs) = input::for_task(&env, data)?;
    let job = scan_job(input, move |bytes, task| {
        let mut found = select::select_paths(bytes, &pointers, max_matches, paths, Some(task))?;
        if units {
            select::to_utf16(&mut found, bytes);
        }
        Ok(Output::BytesWith(
            select_output(&found, paths),
            json!({ "matches": found.matches.len() }),
        ))
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

/// `json_select`'s Buffer: the triples, then (with `paths`) each match's steps.
#[allow(clippy::cast_precision_loss)]
fn select_output(found: &select::Selection, paths: bool) -> Vec<u8> {
    let mut out: Vec<f64> = found
        .matches
        .iter()
        .flat_map(|m| [f64::from(m.pointer), m.start as f64, m.end as f64])
        .collect();
    if paths {
        for m in &found.matches {
            let steps = &found.steps[m.path.0..m.path.1];
            out.push(steps.len() as f64);
            for s in steps {
                out.extend(match *s {
                    select::Step::Index(i) => [0.0, i as f64, 0.0],
                    select::Step::Key(a, b) => [1.0, a as f64, b as f64],
                });
            }
        }
    }
    out.into_iter().flat_map(f64::to_le_bytes).collect()
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
        "select": {
            "maxPointers": select::MAX_POINTERS,
            "maxMatches": {
                "min": 1,
                "max": select::MAX_MATCHES,
                "default": select::DEFAULT_MAX_MATCHES,
            },
            "slicedFromBytes": select::SLICED_FROM_BYTES,
        },
        "schema": crate::json_schema::policy(),
        "stringifyChunkBytes": core::STRINGIFY_CHUNK_BYTES,
        "stringifySliceBytes": core::STRINGIFY_SLICE_BYTES,
        "stringifyValueCost": core::STRINGIFY_VALUE_COST,
        "stringifyPieceDepth": core::STRINGIFY_PIECE_DEPTH,
        "stringifySinkFromBytes": core::STRINGIFY_SINK_FROM_BYTES,
        "ndjsonMaxLineBytes": {
            "min": 1,
            "max": core::NDJSON_MAX_LINE_BYTES_MAX,
            "default": core::NDJSON_MAX_LINE_BYTES,
        },
    })
}
