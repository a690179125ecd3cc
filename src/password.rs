//! Binding of password hashing: converts options and schedules `offthread_core::password`.

use crate::schedule::{self, Job, Ticket};
use crate::values::{self, Output};
use napi::bindgen_prelude::{Buffer, Either, Uint8Array};
use napi::Env;
use napi_derive::napi;
use offthread_core::password::{self as core, argon2, pbkdf2, scrypt, Limits, Params, Secrets};
use offthread_core::{Error, ErrorKind};

/// Hash options, already validated by `lib/password.js`.
#[napi(object)]
pub struct HashOptions {
    /// `'argon2id' | 'argon2i' | 'argon2d' | 'bcrypt' | 'scrypt' | 'pbkdf2'`.
    pub algorithm: Option<String>,
    /// PBKDF2's HMAC digest: `'sha256' | 'sha512'`.
    pub digest: Option<String>,
    pub iterations: Option<u32>,
    pub memory_cost: Option<u32>,
    pub time_cost: Option<u32>,
    pub parallelism: Option<u32>,
    pub hash_length: Option<u32>,
    pub salt_length: Option<u32>,
    pub cost: Option<u32>,
    pub log_n: Option<u32>,
    pub r: Option<u32>,
    pub p: Option<u32>,
    pub secret: Option<Uint8Array>,
    pub associated_data: Option<Uint8Array>,
    pub truncate: Option<bool>,
    pub max_password_length: Option<u32>,
}

/// Verify options, already validated by `lib/password.js`.
#[napi(object)]
pub struct VerifyOptions {
    pub secret: Option<Uint8Array>,
    pub associated_data: Option<Uint8Array>,
    /// Bytes.
    pub max_memory: Option<f64>,
    pub max_time_cost: Option<u32>,
    pub max_cost: Option<u32>,
    pub max_iterations: Option<u32>,
    pub max_rounds: Option<u32>,
    pub max_password_length: Option<u32>,
}

fn bytes(p: &Either<String, Uint8Array>) -> Vec<u8> {
    match p {
        Either::A(s) => s.as_bytes().to_vec(),
        Either::B(b) => b.to_vec(),
    }
}

fn secrets(secret: &Option<Uint8Array>, ad: &Option<Uint8Array>) -> Secrets {
    Secrets {
        secret: secret.as_ref().map(|s| s.to_vec()),
        associated_data: ad.as_ref().map(|s| s.to_vec()),
    }
}

fn params(o: &HashOptions) -> offthread_core::Result<Params> {
    let argon = |variant| {
        let d = argon2::Params::DEFAULT;
        Params::Argon2(argon2::Params {
            variant,
            memory_cost: o.memory_cost.unwrap_or(d.memory_cost),
            time_cost: o.time_cost.unwrap_or(d.time_cost),
            parallelism: o.parallelism.unwrap_or(d.parallelism),
            hash_length: o.hash_length.unwrap_or(d.hash_length),
            salt_length: o.salt_length.unwrap_or(d.salt_length),
        })
    };
    Ok(match o.algorithm.as_deref().unwrap_or("argon2id") {
        "argon2id" => argon(argon2::Variant::Argon2id),
        "argon2i" => argon(argon2::Variant::Argon2i),
        "argon2d" => argon(argon2::Variant::Argon2d),
        "bcrypt" => Params::Bcrypt {
            cost: o.cost.unwrap_or(core::bcrypt::DEFAULT_COST),
        },
        "scrypt" => {
            let d = scrypt::Params::DEFAULT;
            Params::Scrypt(scrypt::Params {
                log_n: o.log_n.unwrap_or(d.log_n),
                r: o.r.unwrap_or(d.r),
                p: o.p.unwrap_or(d.p),
                hash_length: o.hash_length.unwrap_or(d.hash_length),
                salt_length: o.salt_length.unwrap_or(d.salt_length),
            })
        }
        "pbkdf2" => {
            let name = o.digest.as_deref().unwrap_or(pbkdf2::Digest::MADE[0]);
            let digest = pbkdf2::Digest::from_name(name).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgValue,
                    format!("Unknown PBKDF2 digest '{name}'"),
                )
            })?;
            let d = pbkdf2::Params::for_digest(digest);
            Params::Pbkdf2(pbkdf2::Params {
                digest,
                iterations: o.iterations.unwrap_or(d.iterations),
                hash_length: o.hash_length.unwrap_or(d.hash_length),
                salt_length: o.salt_length.unwrap_or(d.salt_length),
            })
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidArgValue,
                format!("Unknown algorithm '{other}'"),
            ))
        }
    })
}

fn hash_options(o: &HashOptions) -> offthread_core::Result<core::HashOptions> {
    Ok(core::HashOptions {
        params: params(o)?,
        secrets: secrets(&o.secret, &o.associated_data),
        truncate: o.truncate.unwrap_or(false),
        max_password_length: o
            .max_password_length
            .map_or(core::DEFAULT_MAX_PASSWORD_LENGTH, |n| n as usize),
    })
}

/// `maxMemory` as bytes: the integer part, saturating (NaN and negatives give 0).
#[expect(
    clippy::cast_possible_truncation,
    reason = "`as` from f64 saturates and drops the fraction, the meaning wanted; lib/password.js \
              already passed an integer in range"
)]
fn bytes_of(m: f64) -> u64 {
    m as u64
}

fn verify_options(o: &VerifyOptions) -> core::VerifyOptions {
    let d = Limits::DEFAULT;
    core::VerifyOptions {
        secrets: secrets(&o.secret, &o.associated_data),
        limits: Limits {
            max_memory: o.max_memory.map_or(d.max_memory, bytes_of),
            max_time_cost: o.max_time_cost.unwrap_or(d.max_time_cost),
            max_bcrypt_cost: o.max_cost.unwrap_or(d.max_bcrypt_cost),
            max_iterations: o.max_iterations.unwrap_or(d.max_iterations),
            max_rounds: o.max_rounds.unwrap_or(d.max_rounds),
        },
        max_password_length: o
            .max_password_length
            .map_or(core::DEFAULT_MAX_PASSWORD_LENGTH, |n| n as usize),
    }
}

fn hash_job(password: Vec<u8>, options: offthread_core::Result<core::HashOptions>) -> Job {
    Box::new(move |task| core::hash(&password, &options?, task).map(Output::Str))
}

fn verify_job(hash: String, password: Vec<u8>, options: core::VerifyOptions) -> Job {
    Box::new(move |task| core::verify(&hash, &password, &options, task).map(Output::Bool))
}

/// Queues a bcrypt task on the pool through core's batch queue, where it may share a thread's
/// interleaved kernel with other bcrypt tasks of its cost (`offthread_core::password::bcrypt::batch`).
fn bcrypt_batched(work: core::bcrypt::batch::Work) -> schedule::Enqueue {
    use core::bcrypt::batch::{self, Outcome};
    Box::new(move |state, deliver| {
        batch::submit(state, work, move |result| {
            deliver(result.map(|outcome| match outcome {
                Outcome::Hash(s) => Output::Str(s),
                Outcome::Verify(ok) => Output::Bool(ok),
            }));
        })
    })
}

/// True when the ticket's task runs on offthread's pool, where bcrypt tasks are batched (with
/// or without the machine budget: a runner holds one slot for its thread, whatever its lanes).
fn on_pool(ticket: &Ticket) -> bool {
    offthread_core::pool::Executor::from_code(ticket.executor)
        == offthread_core::pool::Executor::Pool
}

/// Queues a password hash. Returns an admission code.
#[napi(catch_unwind)]
pub fn hash_password(
    env: Env,
    ticket: Ticket,
    password: Either<String, Uint8Array>,
    options: HashOptions,
) -> napi::Result<u32> {
    let (password, options) = (bytes(&password), hash_options(&options));
    let batched = match &options {
        Ok(o) if on_pool(&ticket) => core::bcrypt::batch::Work::hash(&password, o),
        _ => None,
    };
    let job = hash_job(password, options);
    match batched {
        Some(work) => schedule::submit_via(&env, ticket, job, bcrypt_batched(work)),
        None => schedule::submit(&env, ticket, job),
    }
}

/// Hashes on the calling thread (blocks the event loop: for scripts and tests).
#[napi(catch_unwind, ts_return_type = "string")]
pub fn hash_password_sync(
    env: Env,
    password: Either<String, Uint8Array>,
    options: HashOptions,
) -> napi::Result<Output> {
    let job = hash_job(bytes(&password), hash_options(&options));
    schedule::run_sync(&env, job)
}

/// Queues a verification. Returns an admission code.
#[napi(catch_unwind)]
pub fn verify_password(
    env: Env,
    ticket: Ticket,
    hash: String,
    password: Either<String, Uint8Array>,
    options: VerifyOptions,
) -> napi::Result<u32> {
    let (password, options) = (bytes(&password), verify_options(&options));
    let batched = on_pool(&ticket)
        .then(|| core::bcrypt::batch::Work::verify(&hash, &password, &options))
        .flatten();
    let job = verify_job(hash, password, options);
    match batched {
        Some(work) => schedule::submit_via(&env, ticket, job, bcrypt_batched(work)),
        None => schedule::submit(&env, ticket, job),
    }
}

/// Verifies on the calling thread (blocks the event loop: for scripts and tests).
#[napi(catch_unwind, ts_return_type = "boolean")]
pub fn verify_password_sync(
    env: Env,
    hash: String,
    password: Either<String, Uint8Array>,
    options: VerifyOptions,
) -> napi::Result<Output> {
    let job = verify_job(hash, bytes(&password), verify_options(&options));
    schedule::run_sync(&env, job)
}

/// True when `hash` was made with another algorithm or cost than `options`. Cheap.
#[napi(catch_unwind)]
pub fn needs_rehash(env: Env, hash: String, options: HashOptions) -> napi::Result<bool> {
    params(&options)
        .and_then(|p| core::needs_rehash(&hash, &p))
        .map_err(|e| values::to_napi(&env, &e))
}

/// A PBKDF2 hash's parts, for computing it with node:crypto (FIPS mode).
#[napi(object)]
pub struct Pbkdf2Parts {
    /// `'sha1' | 'sha256' | 'sha512'`.
    pub digest: String,
    pub iterations: u32,
    pub salt: Buffer,
    pub hash: Buffer,
}

/// The parts of a PBKDF2 hash in any notation it reads (PHC, passlib, Django), within the
/// verify limits; `null` for other algorithms. Cheap: parses, computes nothing.
#[napi(catch_unwind)]
pub fn pbkdf2_parts(
    env: Env,
    hash: String,
    options: VerifyOptions,
) -> napi::Result<Option<Pbkdf2Parts>> {
    let limits = verify_options(&options).limits;
    core::pbkdf2_parts(&hash, &limits)
        .map(|parts| {
            parts.map(|p| Pbkdf2Parts {
                digest: p.digest.name().to_owned(),
                iterations: p.iterations,
                salt: p.salt.into(),
                hash: p.hash.into(),
            })
        })
        .map_err(|e| values::to_napi(&env, &e))
}
