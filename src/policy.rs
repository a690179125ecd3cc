//! The tables `lib/` validates with: ranges, defaults, level tables, thresholds and codes. Every
//! number comes from `offthread_core`, so JavaScript never writes a policy down a second time;
//! `__test__/policy.spec.js` checks that lib's tables are these.

use napi_derive::napi;
use offthread_core::compress::{self, Format};
use offthread_core::digest::{self, Algorithm};
use offthread_core::password::{self, argon2, bcrypt, pbkdf2, scrypt, shacrypt, Limits};
use offthread_core::pool::{self, Admission, CancelOutcome, Executor, Priority};
use offthread_core::ErrorKind;
use serde_json::{json, Map, Value};

/// JavaScript's largest exact integer: the top of ranges whose Rust type is wider.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn range(min: impl Into<Value>, max: impl Into<Value>) -> Value {
    json!({ "min": min.into(), "max": max.into() })
}

fn table<T: Copy>(all: &[(&str, T)], value: impl Fn(T) -> Value) -> Value {
    Value::Object(
        all.iter()
            .map(|&(name, x)| (name.to_string(), value(x)))
            .collect::<Map<_, _>>(),
    )
}

fn password_policy() -> Value {
    let (a, s, l) = (
        argon2::Params::DEFAULT,
        scrypt::Params::DEFAULT,
        Limits::DEFAULT,
    );
    type A = argon2::Params;
    type S = scrypt::Params;
    type K = pbkdf2::Params;
    json!({
        "algorithms": password::ALGORITHMS,
        "defaults": {
            "algorithm": password::ALGORITHMS[0],
            "memoryCost": a.memory_cost,
            "timeCost": a.time_cost,
            "parallelism": a.parallelism,
            "hashLength": a.hash_length,
            "saltLength": a.salt_length,
            "cost": bcrypt::DEFAULT_COST,
            "logN": s.log_n,
            "r": s.r,
            "p": s.p,
            "maxPasswordLength": password::DEFAULT_MAX_PASSWORD_LENGTH,
        },
        "maxPasswordLength": range(1, password::MAX_PASSWORD_LENGTH_LIMIT as u64),
        "argon2": {
            "parallelism": range(A::MIN_PARALLELISM, A::MAX_PARALLELISM),
            "memoryCost": range(A::MIN_MEMORY, A::MAX_MEMORY),
            "memoryCostPerLane": A::MIN_MEMORY,
            "timeCost": range(A::MIN_TIME, A::MAX_TIME),
            "hashLength": range(A::MIN_HASH_LENGTH, A::MAX_HASH_LENGTH),
            "saltLength": range(A::MIN_SALT_LENGTH, A::MAX_SALT_LENGTH),
            "secretLength": range(0, A::MAX_SECRET_LENGTH as u64),
            "associatedDataLength": range(0, A::MAX_AD_LENGTH as u64),
        },
        "bcrypt": {
            "cost": range(bcrypt::MIN_COST, bcrypt::MAX_COST),
            "maxPasswordBytes": bcrypt::MAX_PASSWORD,
        },
        "pbkdf2": {
            "digests": pbkdf2::Digest::MADE,
            "verifyDigests": pbkdf2::Digest::READ,
            "iterations": range(K::MIN_ITERATIONS, K::MAX_ITERATIONS),
            "defaultIterations": {
                "sha256": pbkdf2::Digest::Sha256.default_iterations(),
                "sha512": pbkdf2::Digest::Sha512.default_iterations(),
            },
            "digestSize": {
                "sha256": pbkdf2::Digest::Sha256.size(),
                "sha512": pbkdf2::Digest::Sha512.size(),
            },
            "hashLength": range(K::MIN_HASH_LENGTH, K::MAX_HASH_LENGTH),
            "saltLength": range(K::MIN_SALT_LENGTH, K::MAX_SALT_LENGTH),
        },
        "scrypt": {
            "logN": range(S::MIN_LOG_N, S::MAX_LOG_N),
            "r": range(S::MIN_R, S::MAX_R),
            "p": range(S::MIN_P, S::MAX_P),
            "hashLength": range(S::MIN_HASH_LENGTH, S::MAX_HASH_LENGTH),
            "saltLength": range(S::MIN_SALT_LENGTH, S::MAX_SALT_LENGTH),
            "maxMemory": S::MAX_MEMORY,
            "bytesPerR": S::BYTES_PER_R,
            "logNBelowPerR": S::LOG_N_BELOW_PER_R,
        },
        "verifyLimits": {
            "maxMemory": l.max_memory,
            "maxTimeCost": l.max_time_cost,
            "maxCost": l.max_bcrypt_cost,
            "maxIterations": l.max_iterations,
            "maxRounds": l.max_rounds,
        },
        "verifyLimitRanges": {
            "maxMemory": range(Limits::MIN_MAX_MEMORY, MAX_SAFE_INTEGER),
            "maxTimeCost": range(1, Limits::MAX_MAX_TIME_COST),
            "maxCost": range(bcrypt::MIN_COST, bcrypt::MAX_COST),
            "maxIterations": range(1, u32::MAX),
            "maxRounds": range(shacrypt::MIN_ROUNDS, shacrypt::MAX_ROUNDS),
        },
    })
}

fn bytes_policy() -> Value {
    let names = |pick: fn(Algorithm) -> bool| -> Vec<&str> {
        Algorithm::ALL
            .iter()
            .filter(|(_, a)| pick(*a))
            .map(|(n, _)| *n)
            .collect()
    };
    json!({
        "digests": names(|_| true),
        "hmacs": names(Algorithm::has_hmac),
        "blake3KeyLength": digest::BLAKE3_KEY_LENGTH,
        "defaultFileAlgorithm": digest::DEFAULT_FILE_ALGORITHM.name(),
        "formats": Format::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "defaultFormat": Format::ALL[0].0,
        "levels": table(&Format::ALL, |f| {
            let (min, max, default) = f.levels();
            json!({ "min": min, "max": max, "default": default })
        }),
        "maxOutputLength": range(0, MAX_SAFE_INTEGER),
        "defaultMaxOutputLength": compress::DEFAULT_MAX_OUTPUT,
        "middlewareThreshold": compress::MIDDLEWARE_THRESHOLD,
    })
}

fn pool_policy() -> Value {
    json!({
        "threads": range(1, pool::MAX_THREADS as u64),
        "maxQueue": range(1, pool::MAX_QUEUE as u64),
        "priorities": Priority::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        "executors": table(&Executor::ALL, |e| e.code().into()),
        "admission": table(&Admission::ALL, |a| a.code().into()),
        "cancel": table(&CancelOutcome::ALL, |c| c.code().into()),
        "settlePerTurn": pool::SETTLE_PER_TURN,
        "batchStride": crate::channel::BATCH_STRIDE,
        "readInPlaceFrom": offthread_core::READ_IN_PLACE_FROM,
        "machine": {
            "slots": range(1, pool::machine::MAX_SLOTS as u64),
            "pollMs": range(
                u64::try_from(pool::machine::POLL_MIN.as_millis()).unwrap_or(u64::MAX),
                u64::try_from(pool::machine::POLL_MAX.as_millis()).unwrap_or(u64::MAX),
            ),
            "wakeOnRelease": pool::machine::WAKE_ON_RELEASE,
            "env": [pool::machine::MACHINE_ENV, pool::machine::SLOTS_ENV, pool::machine::DIR_ENV],
        },
    })
}

fn workers_policy() -> Value {
    use pool::slot;
    json!({
        "abortGraceMs": { "min": 0, "max": slot::MAX_TIMEOUT_MS, "default": slot::ABORT_GRACE_MS },
        "idleTimeout": { "min": 0, "max": slot::MAX_TIMEOUT_MS, "default": slot::IDLE_TIMEOUT_MS },
        "threads": { "min": 1, "max": pool::MAX_THREADS as u64 },
        "minThreads": slot::MIN_WORKERS,
        "maxMemoryLimitBeforeRecycle": range(1, MAX_SAFE_INTEGER),
        "outcomes": slot::Outcome::ALL.iter().map(|(n, o)| (n.to_string(), o.code().into())).collect::<Map<_, _>>(),
    })
}

fn error_classes() -> Value {
    Value::Object(
        ErrorKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), k.class().name().into()))
            .collect(),
    )
}

/// Every policy table lib/ reads, as plain values: `{ password, bytes, pool, workers, image, errorClasses }`.
#[napi(catch_unwind, ts_return_type = "Record<string, any>")]
pub fn policy() -> Value {
    json!({
        "password": password_policy(),
        "bytes": bytes_policy(),
        "pool": pool_policy(),
        "workers": workers_policy(),
        "image": crate::image::policy(),
        "json": crate::json::policy(),
        "errorClasses": error_classes(),
    })
}
