//! Binding of digests, HMAC and file hashing: reads inputs (borrowed when large) and schedules
//! `offthread_core::digest`. Each operation has one job builder, shared by the async function
//! and its `*Sync` twin.

use crate::input::{self, Input};
use crate::schedule::{self, Job, Ticket};
use crate::values::Output;
use napi::bindgen_prelude::Uint8Array;
use napi::{Env, Unknown};
use napi_derive::napi;
use offthread_core::digest::{self as core, Algorithm};

fn bytes(b: &Option<Uint8Array>) -> Option<Vec<u8>> {
    b.as_ref().map(|k| k.to_vec())
}

fn digest_job(algorithm: String, input: Input, key: Option<Vec<u8>>) -> Job {
    Box::new(move |task| {
        let alg = Algorithm::from_name(&algorithm)?;
        core::digest(alg, key.as_deref(), &input.slices(), task).map(Output::Bytes)
    })
}

fn hmac_job(algorithm: String, key: Vec<u8>, input: Input) -> Job {
    Box::new(move |task| {
        let alg = Algorithm::from_name(&algorithm)?;
        core::hmac(alg, &key, &input.slices(), task).map(Output::Bytes)
    })
}

/// Queues a digest of `data` (string, binary view or array of them). `key` is BLAKE3's keyed
/// mode. Returns an admission code.
#[napi(catch_unwind)]
pub fn digest(
    env: Env,
    ticket: Ticket,
    algorithm: String,
    data: Unknown<'_>,
    key: Option<Uint8Array>,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    let job = digest_job(algorithm, input, bytes(&key));
    schedule::submit_reading(&env, ticket, refs, job)
}

/// Digest on the calling thread, for small inputs.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn digest_sync(
    env: Env,
    algorithm: String,
    data: Unknown<'_>,
    key: Option<Uint8Array>,
) -> napi::Result<Output> {
    let input = input::for_sync(&env, data)?;
    schedule::run_sync(&env, digest_job(algorithm, input, bytes(&key)))
}

/// Queues an HMAC of `data` with `key`. Returns an admission code.
#[napi(catch_unwind)]
pub fn hmac(
    env: Env,
    ticket: Ticket,
    algorithm: String,
    key: Uint8Array,
    data: Unknown<'_>,
) -> napi::Result<u32> {
    let (input, refs) = input::for_task(&env, data)?;
    let job = hmac_job(algorithm, key.to_vec(), input);
    schedule::submit_reading(&env, ticket, refs, job)
}

/// HMAC on the calling thread, for small inputs.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn hmac_sync(
    env: Env,
    algorithm: String,
    key: Uint8Array,
    data: Unknown<'_>,
) -> napi::Result<Output> {
    let input = input::for_sync(&env, data)?;
    schedule::run_sync(&env, hmac_job(algorithm, key.to_vec(), input))
}

/// Queues the digest (or HMAC, with `hmacKey`) of the file at `path`, read on the pool thread.
#[napi(catch_unwind)]
pub fn hash_file(
    env: Env,
    ticket: Ticket,
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
    schedule::submit(&env, ticket, job)
}
