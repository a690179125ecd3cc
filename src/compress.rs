//! Binding of compression: one-shot calls and chunked streams over `offthread_core::compress`.

use crate::input::{self, Mode};
use crate::schedule::{self, Job};
use crate::values::{self, Output};
use napi::bindgen_prelude::{Buffer, External};
use napi::{Env, JsValue, Unknown};
use napi_derive::napi;
use offthread_core::compress::{self as core, Decoder, Encoder, Format};
use offthread_core::{Error, ErrorKind};
use std::sync::{Arc, Mutex};

fn max_of(max_output: f64) -> u64 {
    if max_output.is_finite() && max_output >= 0.0 {
        max_output as u64
    } else {
        core::DEFAULT_MAX_OUTPUT
    }
}

/// Queues the compression of `data` for task `id`. Returns 0, or why it was refused.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn compress(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    format: String,
    level: Option<i32>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let mut input = unsafe { input::read(env.raw(), data.raw(), Mode::Task)? };
    let refs = std::mem::take(&mut input.refs);
    let job: Job = Box::new(move |task| {
        core::compress(Format::from_name(&format)?, level, &input.slices(), task).map(Output::Bytes)
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// Queues the decompression of `data` for task `id`, producing at most `max_output` bytes.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn decompress(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    format: String,
    max_output: f64,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let mut input = unsafe { input::read(env.raw(), data.raw(), Mode::Task)? };
    let refs = std::mem::take(&mut input.refs);
    let job: Job = Box::new(move |task| {
        core::decompress(
            Format::from_name(&format)?,
            max_of(max_output),
            &input.slices(),
            task,
        )
        .map(Output::Bytes)
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// Compression on the calling thread, for small inputs.
#[napi(catch_unwind)]
pub fn compress_sync(
    env: Env,
    format: String,
    level: Option<i32>,
    data: Unknown<'_>,
) -> napi::Result<Buffer> {
    // SAFETY: on the JS thread; the input is used before this call returns.
    let input = unsafe { input::read(env.raw(), data.raw(), Mode::Sync)? };
    let task = offthread_core::pool::TaskState::new();
    Format::from_name(&format)
        .and_then(|f| core::compress(f, level, &input.slices(), &task))
        .map(Buffer::from)
        .map_err(|e| values::to_napi(&env, &e))
}

/// Decompression on the calling thread, for small inputs.
#[napi(catch_unwind)]
pub fn decompress_sync(
    env: Env,
    format: String,
    max_output: f64,
    data: Unknown<'_>,
) -> napi::Result<Buffer> {
    // SAFETY: on the JS thread; the input is used before this call returns.
    let input = unsafe { input::read(env.raw(), data.raw(), Mode::Sync)? };
    let task = offthread_core::pool::TaskState::new();
    Format::from_name(&format)
        .and_then(|f| core::decompress(f, max_of(max_output), &input.slices(), &task))
        .map(Buffer::from)
        .map_err(|e| values::to_napi(&env, &e))
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
            Decoder::new(f, max_of(max_output)).map(Codec::Dec)
        }
    });
    codec
        .map(|c| External::new(Arc::new(Mutex::new(Some(c)))))
        .map_err(|e| values::to_napi(&env, &e))
}

fn finished() -> Error {
    Error::new(ErrorKind::InvalidArgValue, "The stream has already ended")
}

/// Queues one chunk of a stream (chunks of one stream must be pushed one after another).
#[napi(catch_unwind)]
pub fn stream_push(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    stream: &External<Shared>,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let mut input = unsafe { input::read(env.raw(), data.raw(), Mode::Task)? };
    let refs = std::mem::take(&mut input.refs);
    let shared: Shared = Arc::clone(stream);
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
        Ok(Output::Bytes(out))
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// Queues the end of a stream: resolves the last bytes.
#[napi(catch_unwind)]
pub fn stream_finish(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    stream: &External<Shared>,
) -> napi::Result<u32> {
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
    schedule::submit(&env, id, executor, cancellable, job)
}
