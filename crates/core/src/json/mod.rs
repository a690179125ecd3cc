//! Large JSON off the event loop: the structural scanner behind `parseJson` (which bytes to hand
//! `JSON.parse` slice by slice), `selectJson`'s pointer walker and JSON Schema validation.
//!
//! Every JSON policy number lives here; `src/policy.rs` exports them to `lib/json/`.

pub mod plan;
pub mod scan;
pub mod schema;
pub mod select;

/// Default byte size of the text `JSON.parse` gets per slice on the JS thread (about 1 ms of parsing).
pub const DEFAULT_SLICE_BYTES: usize = 64 * 1024;
/// Smallest and largest accepted `sliceBytes`.
pub const MIN_SLICE_BYTES: usize = 1024;
pub const MAX_SLICE_BYTES: usize = 64 * 1024 * 1024;
/// Default time budget per event-loop turn for the slices, in milliseconds (`sliceMs`).
pub const DEFAULT_SLICE_MS: u32 = 4;
pub const MIN_SLICE_MS: u32 = 1;
pub const MAX_SLICE_MS: u32 = 1000;
/// Documents up to this size are parsed with one `JSON.parse` on the JS thread (under ~0.2 ms):
/// a pool round trip costs more than it saves.
pub const INLINE_BYTES: usize = 16 * 1024;
/// Invalid documents up to this size are re-parsed on the JS thread to give `JSON.parse`'s own message
/// (its wording differs between V8 versions); larger ones get the scanner's message, with the position.
pub const EXACT_MESSAGE_BYTES: usize = 1024 * 1024;
/// Default `limit` of the `json()` body parser: body-parser's 100kb (express.json()).
pub const BODY_LIMIT_BYTES: usize = 100 * 1024;
/// `parseJson` encodes a string input to UTF-8 on the JS thread in pieces of this many UTF-16 units
/// (about 1 ms each), yielding between turns, so a 100 MB string never stalls the loop for its whole encoding.
pub const ENCODE_UNITS: usize = 1024 * 1024;
/// The error code of a document that is not JSON.
pub const PARSE_ERROR_CODE: &str = "ERR_JSON_PARSE";
/// `stringifyJson`: size of the output chunks (the stream form's chunks and highWaterMark).
pub const STRINGIFY_CHUNK_BYTES: usize = 64 * 1024;
/// `stringifyJson`: default `sliceBytes`, the estimated text one `JSON.stringify` call makes. Smaller than
/// parsing's slice: the piece's string must stay a young-generation object (V8 puts strings over 128 KB,
/// 64 Ki two-byte characters, straight into the old generation, and 50 MB of them start full GCs mid-walk).
pub const STRINGIFY_SLICE_BYTES: usize = 16 * 1024;
/// `stringifyJson`'s size estimate (which subtrees one `JSON.stringify` call takes, up to a slice's
/// bytes): what a number, boolean, null or bracket is counted as; strings count their length.
pub const STRINGIFY_VALUE_COST: usize = 8;
/// `stringifyJson`: pieces nesting deeper than this go through the iterative walk rather than one
/// `JSON.stringify` call (V8's serializer is recursive and throws RangeError near 4,500 levels).
pub const STRINGIFY_PIECE_DEPTH: usize = 1000;
/// `stringifyJson` (the Promise form): past this much text, the output goes to a `JsonSink` outside V8's
/// heap (V8 counting a growing result as external memory starts a full GC mid-walk); below it, a
/// result stays one of Node's Buffers.
pub const STRINGIFY_SINK_FROM_BYTES: usize = 1024 * 1024;
/// `parseNdjson`: default and largest `maxLineBytes` (the largest is V8's string length limit, 2^29 - 24).
pub const NDJSON_MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
pub const NDJSON_MAX_LINE_BYTES_MAX: usize = (1 << 29) - 24;
/// Chunk size of `stringifyJson`'s output gathered outside V8's heap (`JsonSink` in the binding).
pub const SINK_CHUNK_BYTES: usize = 1024 * 1024;
