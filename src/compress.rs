//! Binding of compression: one-shot calls and chunked streams over `offthread_core::compress`.

use crate::input::{self, Input};
use crate::schedule::{self, Job, Ticket};
use crate::values::{self, Output};
use napi::bindgen_prelude::External;
use napi::{Env, Unknown};
use napi_derive::napi;
use offthread_core::compress::{self as core, Decoder, Encoder, Format};
use offthread_core::{Error, ErrorKind};
use std::sync::{Arc, Mutex};

#[expect(
    clippy::cast_possible_truncation,
    reason = "finite and >= 0 here; `as` drops the fraction and saturates past u64::MAX \
              (lib/bytes.js already passed an integer of at most 1 GiB)"
)]
fn max_of(max_output: f64) -> u64 {
    if max_output.is_finite() && max_output >= 0.0 {
        max_output as u64
    } else {
        core::DEFAULT_MAX_OUTPUT
    }
}

fn compress_job(format: String, level: Option<i32>, input: Input) -> Job {
    Box::new(move |task| {
        core::compress(Format::from_name(&format)?, level, &input.slices(), task).map(Output::Bytes)
    })
}

fn decompress_job(format: String, max_output: f64, input: Input) -> Job {
    Box::new(move |task| {
        let format = Format::from_name(&format)?;
        core::decompress(format, max_of(max_output), &input.slices(), task).map(Output::Bytes)
    })
}

/// Queues the compression of `data`. Returns an admission code.
#[napi(catch_unwind)]
pub fn compress(
    env: Env,
    ticket: Ticket,
    format: String,
    level: Option<i32>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    schedule::submit_reading(&env, ticket, refs, compress_job(format, level, input))
}

/// Queues the decompression of `data`, producing at most `max_output` bytes.
#[napi(catch_unwind)]
pub fn decompress(
    env: Env,
    ticket: Ticket,
    format: String,
    max_output: f64,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    let job = decompress_job(format, max_output, input);
    schedule::submit_reading(&env, ticket, refs, job)
}

/// Compression on the calling thread, for small inputs.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn compress_sync(
    env: Env,
    format: String,
    level: Option<i32>,
    data: Unknown<'_>,
) -> napi::Result<Output> {
    let input = input::for_sync(&env, data)?;
    schedule::run_sync(&env, compress_job(format, level, input))
}

/// Decompression on the calling thread, for small inputs.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn decompress_sync(
    env: Env,
    format: String,
    max_output: f64,
    data: Unknown<'_>,
) -> napi::Result<Output> {
    let input = input::for_sync(&env, data)?;
    schedule::run_sync(&env, decompress_job(format, max_output, input))
}

/// The state of one compression or decompression stream. `None` once finished.
pub enum Codec {
    Enc(Encoder),
    Dec(Decoder),
}

type Shared = Arc<Mutex<Option<Codec>>>;

/// A new stream: `compress` (with `level`) or `decompress` (with `max_output`).
#[napi(catch_unwind)]
pub fn stream_new(
    env: Env,
    compress: bool,
    format: String,
    level: Option<i32>,
    max_output: f64,
) -> napi::Result<External<Shared>> {
    let codec = Format::from_name(&format).and_then(|f| {
        if compress {
            Encoder::new(f, level).map(Codec::Enc)
        } else {
            Decoder::streaming(f, max_of(max_output)).map(Codec::Dec)
        }
    });
    codec
        .map(|c| External::new(Arc::new(Mutex::new(Some(c)))))
        .map_err(|e| values::to_napi(&env, &e))
}

fn finished() -> Error {
    Error::new(ErrorKind::InvalidArgValue, "The stream has already ended")
}

/// Queues one chunk of a stream (chunks of one stream must be pushed one after another); with
/// `flush`, then flushes the encoder (zlib's Z_SYNC_FLUSH, brotli's BROTLI_OPERATION_FLUSH,
/// zstd's flush) so that the bytes resolved so far decode to everything pushed. A decompression
/// stream has nothing to flush: it resolves what it decoded, as always.
#[napi(catch_unwind)]
pub fn stream_push(
    env: Env,
    ticket: Ticket,
    stream: &External<Shared>,
    data: Unknown<'_>,
    flush: Option<bool>,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    let shared: Shared = Arc::clone(stream);
    let flush = flush.unwrap_or(false);
    let job: Job = Box::new(move |task| {
        let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for part in input.slices() {
            out.extend(match guard.as_mut() {
                Some(Codec::Enc(e)) => e.push(part, task)?,
                Some(Codec::Dec(d)) => d.push(part, task)?,
                None => return Err(finished()),
            });
        }
        if flush {
            match guard.as_mut() {
                Some(Codec::Enc(e)) => out.extend(e.flush(task)?),
                Some(Codec::Dec(_)) => {}
                None => return Err(finished()),
            }
        }
        Ok(Output::Bytes(out))
    });
    schedule::submit_reading(&env, ticket, refs, job)
}

/// Queues the end of a stream: resolves the last bytes.
#[napi(catch_unwind)]
pub fn stream_finish(env: Env, ticket: Ticket, stream: &External<Shared>) -> napi::Result<u32> {
    let shared: Shared = Arc::clone(stream);
    let job: Job = Box::new(move |task| {
        let codec = shared.lock().unwrap_or_else(|e| e.into_inner()).take();
        match codec {
            Some(Codec::Enc(e)) => e.finish(),
            Some(Codec::Dec(d)) => d.finish(task),
            None => Err(finished()),
        }
        .map(Output::Bytes)
    });
    schedule::submit(&env, ticket, job)
}
