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
    pub const MAX_LOG_N: u32 = 24;
    pub const MAX_R: u32 = 32;
    pub const MAX_P: u32 = 16;
    pub const MIN_HASH_LENGTH: u32 = 16;
    pub const MAX_HASH_LENGTH: u32 = 1024;
    pub const MIN_SALT_LENGTH: u32 = 8;
    pub const MAX_SALT_LENGTH: u32 = 64;
    /// 4 GiB: the most memory a hash may ask for.
    pub const MAX_MEMORY: u64 = 4 << 30;

    /// Bytes of memory one hash uses: 128 · r · N.
    pub fn memory(&self) -> u64 {
        (128 * u64::from(self.r)) << self.log_n
    }

    /// Checks every field's range; the message names the option.
    pub fn validate(&self) -> Result<()> {
        let check = super::in_range;
        check("logN", self.log_n, 1, Self::MAX_LOG_N)?;
        check("r", self.r, 1, Self::MAX_R)?;
        check("p", self.p, 1, Self::MAX_P)?;
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
/// ROMix steps.
pub fn raw(
    p: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    task: &TaskState,
) -> Result<()> {
    p.validate()?;
    let (n, r2) = (1usize << p.log_n, 2 * p.r as usize);
    let mut b = vec![0u8; 64 * r2 * p.p as usize];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, 1, &mut b);
    let mut v: Vec<romix::Block> = Vec::new();
    v.try_reserve_exact(n * r2)
        .map_err(|_| Error::new(crate::ErrorKind::Internal, "out of memory for scrypt"))?;
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

/// Parses a `$scrypt$` PHC string, checking the memory ceiling.
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
    p.validate().map_err(|e| Error::invalid_hash(e.message()))?;
    if p.memory() > limits.max_memory {
        return Err(Error::invalid_hash(format!(
            "scrypt memory {} MiB exceeds the limit of {} MiB",
            p.memory() >> 20,
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
