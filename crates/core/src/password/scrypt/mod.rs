//! scrypt (our ROMix on SSE2 Salsa20/8, RustCrypto's PBKDF2-SHA256), in the PHC form `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`.

mod romix;

use super::phc::{self, Phc};
use super::Limits;
use crate::pool::TaskState;
use crate::{Error, Result};

/// scrypt cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// log2 of N, the CPU/memory cost.
    pub log_n: u32,
    /// Block size.
    pub r: u32,
    /// Parallelism (run one after another, in the same memory).
    pub p: u32,
    pub hash_length: u32,
    pub salt_length: u32,
}

impl Params {
    /// OWASP: N=2^17, r=8, p=1 (128 MiB).
    pub const DEFAULT: Params = Params {
        log_n: 17,
        r: 8,
        p: 1,
        hash_length: 32,
        salt_length: 16,
    };
    pub const MIN_LOG_N: u32 = 1;
    /// RFC 7914 requires N < 2^(128·r/8): logN below this many times r. OpenSSL and Node's
    /// `crypto.scrypt` refuse other values, so hashes made outside it could not be checked there.
    pub const LOG_N_BELOW_PER_R: u32 = 16;
    pub const MAX_LOG_N: u32 = 24;
    pub const MIN_R: u32 = 1;
    pub const MIN_P: u32 = 1;
    pub const MAX_R: u32 = 32;
    pub const MAX_P: u32 = 16;
    pub const MIN_HASH_LENGTH: u32 = 16;
    pub const MAX_HASH_LENGTH: u32 = 1024;
    pub const MIN_SALT_LENGTH: u32 = 8;
    pub const MAX_SALT_LENGTH: u32 = 64;
    /// Bytes of memory per unit of r per unit of N (RFC 7914: 128 · r · N).
    pub const BYTES_PER_R: u64 = 128;
    /// 4 GiB: the most memory a hash may ask for.
    pub const MAX_MEMORY: u64 = 4 << 30;
    /// Largest log2(N) of a stored hash: the engine's Integerify reads 32 bits of the last block,
    /// and N = 2^32 already needs 512 GiB per unit of r, far above any memory ceiling.
    pub const STORED_MAX_LOG_N: u32 = 32;
    /// RFC 7914: r · p must be below 2^30.
    pub const STORED_MAX_R_TIMES_P: u64 = (1 << 30) - 1;
    /// Shortest output of a stored hash: RFC 7914's dkLen is any positive integer.
    pub const STORED_MIN_HASH_LENGTH: u32 = 1;
    /// Shortest salt of a stored hash: RFC 7914 allows an empty salt (its test vector 1).
    pub const STORED_MIN_SALT_LENGTH: u32 = 0;
    /// Longest salt of a stored hash: whatever fits in the longest PHC string we read.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "phc::MAX_LEN is 1024, which fits in u32"
    )]
    pub const STORED_MAX_SALT_LENGTH: u32 = phc::MAX_LEN as u32;

    /// Bytes of memory one hash uses: 128 · r · N (saturating at `u64::MAX`).
    pub fn memory(&self) -> u64 {
        let n = 1u128.checked_shl(self.log_n).unwrap_or(u128::MAX);
        u64::try_from((128 * u128::from(self.r)).saturating_mul(n)).unwrap_or(u64::MAX)
    }

    /// Bytes of the buffer B that holds the p blocks between the two PBKDF2 calls: 128 · r · p.
    pub fn block_memory(&self) -> u64 {
        128 * u64::from(self.r) * u64::from(self.p)
    }

    /// The structural rules of scrypt itself (RFC 7914 §2), as far as this engine computes
    /// them: 1 <= log2(N) <= 32, r >= 1, p >= 1, r · p < 2^30. No cost policy.
    fn check_structure(&self) -> Result<()> {
        let check = super::in_range;
        check("ln", self.log_n, Self::MIN_LOG_N, Self::STORED_MAX_LOG_N)?;
        check("r", self.r, Self::MIN_R, u32::MAX)?;
        check("p", self.p, Self::MIN_P, u32::MAX)?;
        let rp = u64::from(self.r) * u64::from(self.p);
        if rp > Self::STORED_MAX_R_TIMES_P {
            return Err(Error::new(
                crate::ErrorKind::OutOfRange,
                format!(
                    "scrypt needs r * p < 2^30 (RFC 7914); r={} and p={} give {rp}",
                    self.r, self.p
                ),
            ));
        }
        Ok(())
    }

    /// Checks what a stored hash may carry (verify, needs_rehash): scrypt's own ranges, not
    /// the policy `validate` applies to hashes we make (a salt of 8 bytes or more, an output of
    /// 16 or more, r <= 32, p <= 16). Hashes made elsewhere with an empty or 4-byte salt, a
    /// short output or a larger r or p verify, within the caller's cost ceilings (`Limits`).
    pub fn validate_stored(&self) -> Result<()> {
        self.check_structure()?;
        let check = super::in_range;
        check(
            "hash length",
            self.hash_length,
            Self::STORED_MIN_HASH_LENGTH,
            Self::MAX_HASH_LENGTH,
        )?;
        check(
            "salt length",
            self.salt_length,
            Self::STORED_MIN_SALT_LENGTH,
            Self::STORED_MAX_SALT_LENGTH,
        )
    }

    /// Checks the parameters `hash` makes with (OWASP-minded policy); the message names the
    /// option. Stored hashes are checked by [`Params::validate_stored`] instead.
    pub fn validate(&self) -> Result<()> {
        let check = super::in_range;
        check("logN", self.log_n, Self::MIN_LOG_N, Self::MAX_LOG_N)?;
        check("r", self.r, Self::MIN_R, Self::MAX_R)?;
        check("p", self.p, Self::MIN_P, Self::MAX_P)?;
        if self.log_n >= Self::LOG_N_BELOW_PER_R * self.r {
            return Err(Error::new(
                crate::ErrorKind::OutOfRange,
                format!(
                    "scrypt needs logN < 16 * r (RFC 7914), but logN is {} and r is {}",
                    self.log_n, self.r
                ),
            ));
        }
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
        )?;
        if self.memory() > Self::MAX_MEMORY {
            return Err(Error::new(
                crate::ErrorKind::OutOfRange,
                format!(
                    "scrypt would use {} MiB (128 * r * 2^logN); the maximum is 4096 MiB",
                    self.memory() >> 20
                ),
            ));
        }
        Ok(())
    }
}

/// The raw scrypt output of `password` into `out` (RFC 7914), checking `task` every 1024
/// ROMix steps. Checks scrypt's structural rules only: cost ceilings are the caller's
/// (`hash` applies [`Params::validate`], `verify` the `Limits`). `p.hash_length` and
/// `p.salt_length` are not read: `out` and `salt` give the lengths.
pub fn raw(
    p: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    task: &TaskState,
) -> Result<()> {
    p.check_structure()?;
    let oom = || Error::new(crate::ErrorKind::Internal, "out of memory for scrypt");
    let b_len = usize::try_from(p.block_memory()).map_err(|_| oom())?;
    let n = 1usize.checked_shl(p.log_n).ok_or_else(oom)?;
    let r2 = 2 * p.r as usize;
    let mut b = Vec::new();
    b.try_reserve_exact(b_len).map_err(|_| oom())?;
    b.resize(b_len, 0u8);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, 1, &mut b);
    let mut v: Vec<romix::Block> = Vec::new();
    v.try_reserve_exact(n.checked_mul(r2).ok_or_else(oom)?)
        .map_err(|_| oom())?;
    crate::hugepages::advise(v.spare_capacity_mut());
    v.resize(n * r2, [0; 16]);
    let mut x = vec![[0u32; 16]; r2];
    for chunk in b.chunks_exact_mut(64 * r2) {
        romix::load(chunk, &mut x);
        romix::romix(&mut x, &mut v, n, task)?;
        romix::store(&x, chunk);
    }
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &b, 1, out);
    Ok(())
}

/// Hashes `password` into a PHC string.
pub fn hash(password: &[u8], p: &Params, salt: &[u8], task: &TaskState) -> Result<String> {
    p.validate()?;
    task.checkpoint()?;
    let mut out = vec![0u8; p.hash_length as usize];
    raw(p, password, salt, &mut out, task)?;
    Ok(format!(
        "$scrypt$ln={},r={},p={}${}${}",
        p.log_n,
        p.r,
        p.p,
        phc::encode(salt),
        phc::encode(&out)
    ))
}

/// Parses a `$scrypt$` PHC string: the ranges scrypt allows ([`Params::validate_stored`]),
/// then the caller's ceilings (memory for V and for B, and p against `max_time_cost`).
pub fn parse(phc: &Phc<'_>, limits: &Limits) -> Result<Params> {
    if phc.version.is_some() {
        return Err(Error::invalid_hash("scrypt hashes carry no version"));
    }
    phc.only(&["ln", "r", "p"])?;
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let p = Params {
        log_n: phc.int("ln")?,
        r: phc.int("r")?,
        p: phc.int("p")?,
        hash_length: to_u32(phc.hash.len()),
        salt_length: to_u32(phc.salt.len()),
    };
    p.validate_stored()
        .map_err(|e| Error::invalid_hash(e.message()))?;
    if p.memory() > limits.max_memory {
        return Err(Error::invalid_hash(format!(
            "scrypt memory {} MiB exceeds the limit of {} MiB",
            p.memory() >> 20,
            limits.max_memory >> 20
        )));
    }
    // B (128 · r · p bytes) is allocated beside V: a large r with a small N must not slip past.
    if p.block_memory() > limits.max_memory {
        return Err(Error::invalid_hash(format!(
            "scrypt block buffer {} MiB (128 * r * p) exceeds the limit of {} MiB",
            p.block_memory() >> 20,
            limits.max_memory >> 20
        )));
    }
    if p.p > limits.max_time_cost {
        return Err(Error::invalid_hash(format!(
            "scrypt p={} exceeds the limit of {}",
            p.p, limits.max_time_cost
        )));
    }
    Ok(p)
}

/// Recomputes the hash for `phc` and compares it in constant time.
pub fn verify(phc: &Phc<'_>, password: &[u8], limits: &Limits, task: &TaskState) -> Result<bool> {
    let p = parse(phc, limits)?;
    task.checkpoint()?;
    let mut out = vec![0u8; phc.hash.len()];
    raw(&p, password, &phc.salt, &mut out, task)?;
    Ok(super::ct_eq(&out, &phc.hash))
}
