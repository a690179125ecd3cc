//! Binding of digests, HMAC and file hashing: reads inputs (borrowed when large) and schedules
//! `offthread_core::digest`.

use crate::input::{self, Mode};
use crate::schedule::{self, Job};
use crate::values::{self, Output};
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi::{Env, JsValue, Unknown};
use napi_derive::napi;
use offthread_core::digest::{self as core, Algorithm};

fn bytes(b: &Option<Uint8Array>) -> Option<Vec<u8>> {
    b.as_ref().map(|k| k.to_vec())
}

fn sync_result(env: &Env, r: offthread_core::Result<Vec<u8>>) -> napi::Result<Buffer> {
    r.map(Buffer::from).map_err(|e| values::to_napi(env, &e))
}

/// Queues a digest of `data` (string, binary view or array of them) for task `id`.
/// `key` is BLAKE3's keyed mode. Returns 0, or why it was refused.
#[napi(catch_unwind)]
pub fn digest(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    algorithm: String,
    data: Unknown<'_>,
    key: Option<Uint8Array>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let mut input = unsafe { input::read(env.raw(), data.raw(), Mode::Task)? };
    let refs = std::mem::take(&mut input.refs);
    let key = bytes(&key);
    let job: Job = Box::new(move |task| {
        let alg = Algorithm::from_name(&algorithm)?;
        core::digest(alg, key.as_deref(), &input.slices(), task).map(Output::Bytes)
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// Digest on the calling thread, for small inputs.
#[napi(catch_unwind)]
pub fn digest_sync(
    env: Env,
    algorithm: String,
    data: Unknown<'_>,
    key: Option<Uint8Array>,
) -> napi::Result<Buffer> {
    // SAFETY: on the JS thread; the input is used before this call returns.
    let input = unsafe { input::read(env.raw(), data.raw(), Mode::Sync)? };
    let key = bytes(&key);
    let r = schedule::run_sync(&env, |task| {
        let alg = Algorithm::from_name(&algorithm)?;
        core::digest(alg, key.as_deref(), &input.slices(), task).map(Output::Bytes)
    });
    match r? {
        Output::Bytes(b) => Ok(Buffer::from(b)),
        _ => sync_result(&env, Ok(Vec::new())),
    }
}

/// Queues an HMAC of `data` with `key` for task `id`.
#[napi(catch_unwind)]
pub fn hmac(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    algorithm: String,
    key: Uint8Array,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    // SAFETY: on the JS thread of `env`.
    let mut input = unsafe { input::read(env.raw(), data.raw(), Mode::Task)? };
    let refs = std::mem::take(&mut input.refs);
    let key = key.to_vec();
    let job: Job = Box::new(move |task| {
        let alg = Algorithm::from_name(&algorithm)?;
        core::hmac(alg, &key, &input.slices(), task).map(Output::Bytes)
    });
    schedule::submit_borrowing(&env, id, executor, cancellable, refs, job)
}

/// HMAC on the calling thread, for small inputs.
#[napi(catch_unwind)]
pub fn hmac_sync(
    env: Env,
    algorithm: String,
    key: Uint8Array,
    data: Unknown<'_>,
) -> napi::Result<Buffer> {
    // SAFETY: on the JS thread; the input is used before this call returns.
    let input = unsafe { input::read(env.raw(), data.raw(), Mode::Sync)? };
    let r = Algorithm::from_name(&algorithm).and_then(|alg| {
        core::hmac(
            alg,
            &key,
            &input.slices(),
            &offthread_core::pool::TaskState::new(),
        )
    });
    sync_result(&env, r)
}

/// Queues the digest (or HMAC, with `hmacKey`) of the file at `path`, read on the pool thread.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn hash_file(
    env: Env,
    id: u32,
    executor: u32,
    cancellable: bool,
    path: String,
    algorithm: String,
    key: Option<Uint8Array>,
    hmac_key: Option<Uint8Array>,
) -> napi::Result<u32> {
    let (key, hmac_key) = (bytes(&key), bytes(&hmac_key));
    let job: Job = Box::new(move |task| {
        let alg = Algorithm::from_name(&algorithm)?;
        core::hash_file(
            std::path::Path::new(&path),
            alg,
            key.as_deref(),
            hmac_key.as_deref(),
            task,
        )
        .map(Output::Bytes)
    });
    schedule::submit(&env, id, executor, cancellable, job)
}
