//! Argon2 (d, i, id; versions 0x10 and 0x13) over RustCrypto's `argon2`, with the block
//! memory reused per thread and PHC strings compatible with the reference implementation.

use super::arena::Arena;
use super::phc::{self, Phc};
use super::{Limits, Secrets};
use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
use argon2_rust::__internal::{self as internal, Block, Instance, Position};
use argon2_rust::params::{Memory, TagLen};
use argon2_rust::{Algorithm, Params as EngineParams, Version};
use std::cell::Cell;

/// The three Argon2 variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Argon2d,
    Argon2i,
    Argon2id,
}

impl Variant {
    /// The PHC identifier, e.g. `argon2id`.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Argon2d => "argon2d",
            Variant::Argon2i => "argon2i",
            Variant::Argon2id => "argon2id",
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Variant::Argon2d => Algorithm::Argon2d,
            Variant::Argon2i => Algorithm::Argon2i,
            Variant::Argon2id => Algorithm::Argon2id,
        }
    }
}

/// Argon2 cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub variant: Variant,
    /// Memory in KiB.
    pub memory_cost: u32,
    pub time_cost: u32,
    pub parallelism: u32,
    pub hash_length: u32,
    pub salt_length: u32,
}

impl Params {
    /// OWASP's first recommendation: argon2id, m=19456 KiB, t=2, p=1.
    pub const DEFAULT: Params = Params {
        variant: Variant::Argon2id,
        memory_cost: 19_456,
        time_cost: 2,
        parallelism: 1,
        hash_length: 32,
        salt_length: 16,
    };
    /// KiB per lane at least: memoryCost must be >= MIN_MEMORY × parallelism.
    pub const MIN_MEMORY: u32 = 8;
    /// 4 GiB.
    pub const MAX_MEMORY: u32 = 1 << 22;
    pub const MIN_TIME: u32 = 1;
    pub const MAX_TIME: u32 = 1 << 16;
    pub const MIN_PARALLELISM: u32 = 1;
    pub const MAX_PARALLELISM: u32 = 255;
    pub const MIN_HASH_LENGTH: u32 = 4;
    pub const MAX_HASH_LENGTH: u32 = 1024;
    pub const MIN_SALT_LENGTH: u32 = 8;
    pub const MAX_SALT_LENGTH: u32 = 64;
    /// Longest associated data accepted.
    pub const MAX_AD_LENGTH: usize = 256;
    /// Longest secret (pepper) accepted.
    pub const MAX_SECRET_LENGTH: usize = 1024;
    /// Most lanes a stored hash may carry: the reference implementation's `ARGON2_MAX_LANES`,
    /// which its decoder applies (the PHC document's 255 is not enforced by it).
    pub const STORED_MAX_PARALLELISM: u32 = 0x00FF_FFFF;
    /// Longest salt a stored hash may carry: whatever fits in the longest PHC string we read
    /// (the reference allows up to 2^32 - 1 bytes).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "phc::MAX_LEN is 1024, which fits in u32"
    )]
    pub const STORED_MAX_SALT_LENGTH: u32 = phc::MAX_LEN as u32;

    /// Checks the parameters `hash` makes with; the message names the option. Stored hashes
    /// are checked by [`Params::validate_stored`] instead.
    pub fn validate(&self) -> Result<()> {
        let check = super::in_range;
        check(
            "parallelism",
            self.parallelism,
            Self::MIN_PARALLELISM,
            Self::MAX_PARALLELISM,
        )?;
        check(
            "memoryCost",
            self.memory_cost,
            Self::MIN_MEMORY.max(8 * self.parallelism),
            Self::MAX_MEMORY,
        )?;
        check("timeCost", self.time_cost, Self::MIN_TIME, Self::MAX_TIME)?;
        check(
            "hashLength",
            self.hash_length,
            Self::MIN_HASH_LENGTH,
            Self::MAX_HASH_LENGTH,
        )?;
        check(
            "saltLength",
            self.salt_length,
            Self::MIN_SALT_LENGTH,
            Self::MAX_SALT_LENGTH,
        )
    }

    /// Checks what a stored hash may carry (verify, needs_rehash): Argon2's own ranges as the
    /// reference implementation applies them when it verifies (salt >= 8 bytes, tag >= 4 bytes,
    /// 1..=2^24-1 lanes, m >= 8 KiB per lane, t >= 1), not the policy `validate` applies to
    /// hashes we make (t <= 2^16, p <= 255, m <= 4 GiB, salt <= 64 bytes). Cost ceilings are
    /// the caller's `Limits`; the upper length bounds only keep memory bounded.
    pub fn validate_stored(&self) -> Result<()> {
        let check = super::in_range;
        check(
            "p",
            self.parallelism,
            Self::MIN_PARALLELISM,
            Self::STORED_MAX_PARALLELISM,
        )?;
        check(
            "m",
            self.memory_cost,
            Self::MIN_MEMORY.max(8 * self.parallelism),
            u32::MAX,
        )?;
        check("t", self.time_cost, Self::MIN_TIME, u32::MAX)?;
        check(
            "hash length",
            self.hash_length,
            Self::MIN_HASH_LENGTH,
            Self::MAX_HASH_LENGTH,
        )?;
        check(
            "salt length",
            self.salt_length,
            Self::MIN_SALT_LENGTH,
            Self::STORED_MAX_SALT_LENGTH,
        )
    }
}

/// The limits `hash` puts on a caller's secret and associated data. `verify` applies none:
/// a pepper or associated data used elsewhere must still verify, and both are already in the
/// caller's memory (a stored `data=` is bounded by the PHC string's length).
fn check_secrets(secrets: &Secrets) -> Result<()> {
    let secret = secrets.secret.as_deref().unwrap_or(&[]);
    let ad = secrets.associated_data.as_deref().unwrap_or(&[]);
    if ad.len() > Params::MAX_AD_LENGTH || secret.len() > Params::MAX_SECRET_LENGTH {
        return Err(Error::new(
            ErrorKind::OutOfRange,
            format!(
                "associatedData is limited to {} bytes and secret to {} bytes",
                Params::MAX_AD_LENGTH,
                Params::MAX_SECRET_LENGTH
            ),
        ));
    }
    Ok(())
}

thread_local! {
    /// Block memory kept between hashes on this thread (taken out while in use, so nested use
    /// through rayon's work stealing allocates its own).
    static MEMORY: Cell<Option<Arena>> = const { Cell::new(None) };
}

/// Memory kept per thread after a hash (64 MiB); larger arrays are freed at once, and so is
/// every array under the machine-wide budget (at most a slot's worth of threads run at once, so
/// an arena kept per thread would hold memory for threads that wait).
const KEEP_BLOCKS: usize = 64 * 1024;

fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> Result<T> {
    let mem = MEMORY.with(Cell::take).filter(|m| m.len() >= blocks);
    let mut mem = match mem {
        Some(m) => m,
        None => Arena::new(blocks)
            .ok_or_else(|| Error::new(ErrorKind::Internal, "out of memory for argon2 blocks"))?,
    };
    let out = f(&mut mem.as_mut_slice()[..blocks]);
    if mem.len() <= KEEP_BLOCKS && !crate::pool::has_machine_budget() {
        MEMORY.with(|c| c.set(Some(mem)));
    }
    Ok(out)
}

/// Lets the segments of one slice be filled from several pool threads.
struct Shared<'a>(&'a Instance);
// SAFETY: within a slice, each lane's segment writes only its own blocks and reads blocks
// finished before the slice began (the Argon2 sync-point rule), so concurrent fills of
// different lanes never touch the same block mutably.
unsafe impl Send for Shared<'_> {}
unsafe impl Sync for Shared<'_> {}

fn engine_error(e: argon2_rust::Error) -> Error {
    Error::new(ErrorKind::OutOfRange, format!("argon2: {e}"))
}

/// The raw Argon2 tag of `password` into `out` (its length is the tag length). Lanes run on
/// idle pool threads; cancellation is checked between slices (4 times per pass).
#[allow(clippy::too_many_arguments)]
pub fn raw(
    variant: Variant,
    version: u32,
    memory_cost: u32,
    time_cost: u32,
    parallelism: u32,
    password: &[u8],
    salt: &[u8],
    secrets: &Secrets,
    out: &mut [u8],
    task: &TaskState,
) -> Result<()> {
    let version = match version {
        0x13 => Version::V0x13,
        0x10 => Version::V0x10,
        v => {
            return Err(Error::invalid_hash(format!(
                "unsupported argon2 version {v}"
            )))
        }
    };
    let algorithm = variant.algorithm();
    let params = EngineParams::builder()
        .memory(Memory::kib(u64::from(memory_cost)))
        .passes(time_cost)
        .lanes(parallelism)
        .threads(parallelism)
        .tag_len(TagLen::bytes(out.len() as u64))
        .build()
        .map_err(engine_error)?;
    let secret = secrets.secret.as_deref().unwrap_or(&[]);
    let ad = secrets.associated_data.as_deref().unwrap_or(&[]);
    // The reference implementation's ARGON2_SALT_TOO_SHORT (the engine does not check it).
    if salt.len() < Params::MIN_SALT_LENGTH as usize {
        return Err(Error::new(
            ErrorKind::OutOfRange,
            format!(
                "argon2: salt is too short (minimum {} bytes)",
                Params::MIN_SALT_LENGTH
            ),
        ));
    }
    let mut h0 = internal::initial_hash(algorithm, version, &params, password, salt, secret, ad)
        .map_err(engine_error)?;
    let (blocks, _, lane_length) = params.memory_layout();
    let lanes = params.lanes();
    let fill = internal::fill_segment_fn(internal::backend());
    with_memory(blocks as usize, |arena| {
        internal::fill_first_blocks(&mut h0, arena, lanes, lane_length).map_err(engine_error)?;
        // SAFETY: `arena` is 64-byte aligned (Block's alignment), holds exactly the block count
        // the params call for, and outlives `inst`; only this call fills it.
        let inst =
            unsafe { Instance::new(arena.as_mut_ptr(), arena.len(), algorithm, version, &params) };
        let shared = Shared(&inst);
        for pass in 0..time_cost {
            for slice in 0..4 {
                task.checkpoint()?;
                // Lanes go to other threads only when some are idle: under full load, splitting
                // a hash only adds synchronisation and cache traffic.
                if lanes == 1 || !crate::pool::has_idle_threads() {
                    for lane in 0..lanes {
                        // SAFETY: `fill` is the detected backend for this CPU; one writer.
                        unsafe { fill(&inst, Position::new(pass, lane, slice, 0)) };
                    }
                } else {
                    let shared = &shared;
                    rayon::scope(|s| {
                        for lane in 0..lanes {
                            s.spawn(move |_| {
                                // SAFETY: see `Shared`: lanes of one slice are disjoint.
                                unsafe { fill(shared.0, Position::new(pass, lane, slice, 0)) }
                            });
                        }
                    });
                }
            }
        }
        internal::finalize(&inst, out).map_err(engine_error)
    })?
}

/// Hashes `password` with a fresh salt into a PHC string.
pub fn hash(
    password: &[u8],
    p: &Params,
    salt: &[u8],
    secrets: &Secrets,
    task: &TaskState,
) -> Result<String> {
    p.validate()?;
    check_secrets(secrets)?;
    task.checkpoint()?;
    let mut out = vec![0u8; p.hash_length as usize];
    raw(
        p.variant,
        0x13,
        p.memory_cost,
        p.time_cost,
        p.parallelism,
        password,
        salt,
        secrets,
        &mut out,
        task,
    )?;
    let data = match secrets.associated_data.as_deref() {
        Some(ad) if !ad.is_empty() => format!(",data={}", phc::encode(ad)),
        _ => String::new(),
    };
    Ok(format!(
        "${}$v=19$m={},t={},p={}{data}${}${}",
        p.variant.name(),
        p.memory_cost,
        p.time_cost,
        p.parallelism,
        phc::encode(salt),
        phc::encode(&out)
    ))
}

/// Parses an argon2 PHC string into its parameters and version: the ranges Argon2 allows
/// ([`Params::validate_stored`]), then the caller's ceilings (memory, time cost).
pub fn parse(phc: &Phc<'_>, limits: &Limits) -> Result<(Params, u32)> {
    let variant = match phc.id {
        "argon2id" => Variant::Argon2id,
        "argon2i" => Variant::Argon2i,
        "argon2d" => Variant::Argon2d,
        other => return Err(Error::invalid_hash(format!("unknown algorithm '{other}'"))),
    };
    let version = phc.version.unwrap_or(0x10);
    if version != 0x10 && version != 0x13 {
        return Err(Error::invalid_hash(format!(
            "unsupported argon2 version {version}"
        )));
    }
    phc.only(&["m", "t", "p", "data", "keyid"])?;
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let p = Params {
        variant,
        memory_cost: phc.int("m")?,
        time_cost: phc.int("t")?,
        parallelism: phc.int("p")?,
        hash_length: to_u32(phc.hash.len()),
        salt_length: to_u32(phc.salt.len()),
    };
    p.validate_stored()
        .map_err(|e| Error::invalid_hash(e.message()))?;
    if u64::from(p.memory_cost) * 1024 > limits.max_memory {
        return Err(Error::invalid_hash(format!(
            "memory cost {} KiB exceeds the limit of {} KiB",
            p.memory_cost,
            limits.max_memory / 1024
        )));
    }
    if p.time_cost > limits.max_time_cost {
        return Err(Error::invalid_hash(format!(
            "time cost {} exceeds the limit of {}",
            p.time_cost, limits.max_time_cost
        )));
    }
    Ok((p, version))
}

/// Recomputes the tag for `phc` and compares it in constant time.
pub fn verify(
    phc: &Phc<'_>,
    password: &[u8],
    secrets: &Secrets,
    limits: &Limits,
    task: &TaskState,
) -> Result<bool> {
    let (p, version) = parse(phc, limits)?;
    let mut secrets = secrets.clone();
    if secrets.associated_data.is_none() {
        if let Some(data) = phc.get("data") {
            secrets.associated_data = Some(phc::decode(data)?);
        }
    }
    task.checkpoint()?;
    let mut out = vec![0u8; phc.hash.len()];
    raw(
        p.variant,
        version,
        p.memory_cost,
        p.time_cost,
        p.parallelism,
        password,
        &phc.salt,
        &secrets,
        &mut out,
        task,
    )
    .map_err(|e| {
        if e.kind() == ErrorKind::OutOfRange {
            Error::invalid_hash(e.message())
        } else {
            e
        }
    })?;
    Ok(super::ct_eq(&out, &phc.hash))
}
