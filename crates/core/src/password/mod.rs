//! Password hashing: argon2 (id, i, d), bcrypt, scrypt and PBKDF2 behind one hash / verify /
//! needs-rehash interface, with OWASP defaults, CSPRNG salts and cost ceilings on verify.
//! Verify also reads the formats apps inherit (`inherited.rs`, `shacrypt.rs`).

mod arena;
pub mod argon2;
pub mod bcrypt;
pub mod inherited;
pub mod pbkdf2;
pub mod phc;
pub mod scrypt;
pub mod shacrypt;

use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
use subtle::ConstantTimeEq;

/// Passwords longer than this (in bytes) are refused before any work, on hash and on verify.
pub const DEFAULT_MAX_PASSWORD_LENGTH: usize = 4096;
/// The largest `maxPasswordLength` a caller may set (1 MiB).
pub const MAX_PASSWORD_LENGTH_LIMIT: usize = 1 << 20;
/// The algorithms `hash` makes, by name; the first is the default.
pub const ALGORITHMS: [&str; 6] = [
    "argon2id", "argon2i", "argon2d", "bcrypt", "scrypt", "pbkdf2",
];

/// The algorithm and its cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Params {
    Argon2(argon2::Params),
    Bcrypt { cost: u32 },
    Scrypt(scrypt::Params),
    Pbkdf2(pbkdf2::Params),
}

impl Default for Params {
    fn default() -> Self {
        Params::Argon2(argon2::Params::DEFAULT)
    }
}

/// Argon2's optional pepper and associated data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    pub secret: Option<Vec<u8>>,
    pub associated_data: Option<Vec<u8>>,
}

/// Ceilings on the cost of a stored hash, so one bad row cannot exhaust memory or CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of memory (argon2 m·1024, scrypt 128·r·N). Default 256 MiB.
    pub max_memory: u64,
    /// argon2 t, and scrypt p. Default 32.
    pub max_time_cost: u32,
    /// bcrypt cost. Default 20.
    pub max_bcrypt_cost: u32,
    /// PBKDF2 iterations × output blocks. Default 5,000,000 (about 0.6 s of SHA-256 here).
    pub max_iterations: u32,
    /// SHA-crypt rounds (glibc allows 999,999,999). Default 1,000,000.
    pub max_rounds: u32,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_memory: 256 << 20,
        max_time_cost: 32,
        max_bcrypt_cost: 20,
        max_iterations: 5_000_000,
        max_rounds: 1_000_000,
    };
    /// The smallest `maxMemory` a caller may set (bytes): below it no hash of any algorithm fits.
    pub const MIN_MAX_MEMORY: u64 = 1024;
    /// The largest `maxTimeCost` a caller may set.
    pub const MAX_MAX_TIME_COST: u32 = u32::MAX;
    /// No ceiling beyond each algorithm's own range: used by `needs_rehash`, which computes nothing.
    pub const NONE: Limits = Limits {
        max_memory: u64::MAX,
        max_time_cost: u32::MAX,
        max_bcrypt_cost: bcrypt::MAX_COST,
        max_iterations: u32::MAX,
        max_rounds: shacrypt::MAX_ROUNDS,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Options of [`hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashOptions {
    pub params: Params,
    pub secrets: Secrets,
    /// bcrypt only: accept passwords over 72 bytes and use their first 72 bytes.
    pub truncate: bool,
    pub max_password_length: usize,
}

impl Default for HashOptions {
    fn default() -> Self {
        HashOptions {
            params: Params::default(),
            secrets: Secrets::default(),
            truncate: false,
            max_password_length: DEFAULT_MAX_PASSWORD_LENGTH,
        }
    }
}

/// Options of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyOptions {
    /// argon2 only; ignored for bcrypt and scrypt hashes, so one setting serves a mixed table.
    pub secrets: Secrets,
    pub limits: Limits,
    pub max_password_length: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            secrets: Secrets::default(),
            limits: Limits::DEFAULT,
            max_password_length: DEFAULT_MAX_PASSWORD_LENGTH,
        }
    }
}

/// `Ok` when `lo <= v <= hi`, else `ERR_OUT_OF_RANGE` naming the option.
pub(crate) fn in_range(name: &str, v: u32, lo: u32, hi: u32) -> Result<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::out_of_range(name, lo.into(), hi.into(), v))
    }
}

/// Constant-time equality of two tags (lengths are public).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn check_length(password: &[u8], max: usize) -> Result<()> {
    if password.len() > max {
        return Err(Error::new(
            ErrorKind::PasswordTooLong,
            format!(
                "The password is {} bytes; the limit is {max} (maxPasswordLength)",
                password.len()
            ),
        ));
    }
    Ok(())
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_salt(n: usize) -> Result<Vec<u8>> {
    let mut salt = vec![0u8; n];
    getrandom::fill(&mut salt)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("OS random source failed: {e}")))?;
    Ok(salt)
}

/// Hashes `password` with a fresh random salt. Checks `task` for cancellation along the way.
pub fn hash(password: &[u8], options: &HashOptions, task: &TaskState) -> Result<String> {
    check_length(password, options.max_password_length)?;
    let has_secrets = options.secrets.secret.is_some() || options.secrets.associated_data.is_some();
    match &options.params {
        Params::Argon2(p) => {
            p.validate()?;
            argon2::hash(
                password,
                p,
                &random_salt(p.salt_length as usize)?,
                &options.secrets,
                task,
            )
        }
        _ if has_secrets => Err(Error::new(
            ErrorKind::InvalidArgValue,
            "secret and associatedData are supported by argon2 only",
        )),
        Params::Bcrypt { cost } => {
            let mut salt = [0u8; 16];
            salt.copy_from_slice(&random_salt(16)?);
            bcrypt::hash(password, *cost, options.truncate, &salt, task)
        }
        Params::Scrypt(p) => {
            p.validate()?;
            scrypt::hash(password, p, &random_salt(p.salt_length as usize)?, task)
        }
        Params::Pbkdf2(p) => {
            p.validate()?;
            pbkdf2::hash(password, p, &random_salt(p.salt_length as usize)?, task)
        }
    }
}

/// Which family a stored hash belongs to, from its prefix.
enum Family {
    Argon2,
    Bcrypt,
    Scrypt,
    Pbkdf2,
    ShaCrypt,
    Inherited(inherited::Format),
}

fn family(hash: &str) -> Result<Family> {
    if hash.starts_with("$argon2") {
        Ok(Family::Argon2)
    } else if hash.starts_with("$scrypt$") {
        Ok(Family::Scrypt)
    } else if hash.starts_with("$2") {
        Ok(Family::Bcrypt)
    } else if hash.starts_with("$pbkdf2") {
        Ok(Family::Pbkdf2)
    } else if hash.starts_with("$5$") || hash.starts_with("$6$") {
        Ok(Family::ShaCrypt)
    } else if let Some(format) = inherited::detect(hash) {
        Ok(Family::Inherited(format))
    } else {
        Err(Error::invalid_hash(
            "unrecognised format (see the README's table of hash formats)",
        ))
    }
}

/// Checks `password` against a stored `hash`, detecting the algorithm from it. A wrong
/// password is `Ok(false)`; an unparsable hash or one over the limits is `ERR_INVALID_HASH`.
pub fn verify(
    hash: &str,
    password: &[u8],
    options: &VerifyOptions,
    task: &TaskState,
) -> Result<bool> {
    check_length(password, options.max_password_length)?;
    let limits = &options.limits;
    match family(hash)? {
        Family::Argon2 => argon2::verify(
            &phc::Phc::parse(hash)?,
            password,
            &options.secrets,
            limits,
            task,
        ),
        Family::Scrypt => scrypt::verify(&phc::Phc::parse(hash)?, password, limits, task),
        Family::Bcrypt => bcrypt::verify(hash, password, limits, task),
        Family::Pbkdf2 => pbkdf2::verify(hash, password, limits, task),
        Family::ShaCrypt => shacrypt::verify(hash, password, limits, task),
        Family::Inherited(format) => inherited::verify(format, hash, password, options, task),
    }
}

/// The PBKDF2 parameters, salt and output of a PBKDF2 hash in any notation (PHC, passlib,
/// Django), checked against `limits`; `None` for other algorithms. For computing it elsewhere
/// (node:crypto when Node runs in FIPS mode).
pub fn pbkdf2_parts(hash: &str, limits: &Limits) -> Result<Option<pbkdf2::Stored>> {
    let stored = match family(hash)? {
        Family::Pbkdf2 => pbkdf2::parse(hash)?,
        Family::Inherited(format) => match inherited::pbkdf2_of(format, hash) {
            Some(stored) => stored?,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    stored.check(limits).map(Some)
}

/// The parameters a stored hash was made with, and its version where one matters (argon2's,
/// bcrypt's `$2a$`/`$2x$`, 1 for passlib's PBKDF2 notation). `None` for a format offthread
/// only verifies (Django's, SHA-crypt, passlib's bcrypt-sha256), after a cheap parse.
pub fn params_of(hash: &str) -> Result<Option<(Params, Option<u32>)>> {
    Ok(Some(match family(hash)? {
        Family::Argon2 => {
            let (p, version) = argon2::parse(&phc::Phc::parse(hash)?, &Limits::NONE)?;
            (Params::Argon2(p), Some(version))
        }
        Family::Scrypt => (
            Params::Scrypt(scrypt::parse(&phc::Phc::parse(hash)?, &Limits::NONE)?),
            None,
        ),
        Family::Pbkdf2 => {
            let stored = pbkdf2::parse(hash)?.check(&Limits::NONE)?;
            let passlib = !hash.split('$').nth(2).unwrap_or_default().contains('=');
            (Params::Pbkdf2(stored.params()), passlib.then_some(1))
        }
        Family::ShaCrypt => {
            shacrypt::parse(hash)?;
            return Ok(None);
        }
        Family::Inherited(format) => {
            inherited::check(format, hash)?;
            return Ok(None);
        }
        Family::Bcrypt => {
            let parsed = bcrypt::parse(hash)?;
            let version = match parsed.prefix {
                bcrypt::Prefix::A => Some(u32::from(b'a')),
                bcrypt::Prefix::X => Some(u32::from(b'x')),
                bcrypt::Prefix::B | bcrypt::Prefix::Y => None,
            };
            (Params::Bcrypt { cost: parsed.cost }, version)
        }
    }))
}

/// True when `hash` was made with another algorithm, version or cost than `wanted`: the
/// signal to re-hash at the next successful login. Cheap: parses, computes nothing.
pub fn needs_rehash(hash: &str, wanted: &Params) -> Result<bool> {
    let Some((have, version)) = params_of(hash)? else {
        return Ok(true);
    };
    Ok(match (&have, wanted) {
        (Params::Argon2(h), Params::Argon2(w)) => {
            version != Some(0x13)
                || h.variant != w.variant
                || h.memory_cost != w.memory_cost
                || h.time_cost != w.time_cost
                || h.parallelism != w.parallelism
                || h.hash_length != w.hash_length
        }
        (Params::Bcrypt { cost: h }, Params::Bcrypt { cost: w }) => version.is_some() || h != w,
        (Params::Scrypt(h), Params::Scrypt(w)) => {
            h.log_n != w.log_n || h.r != w.r || h.p != w.p || h.hash_length != w.hash_length
        }
        (Params::Pbkdf2(h), Params::Pbkdf2(w)) => {
            version.is_some()
                || h.digest != w.digest
                || h.iterations != w.iterations
                || h.hash_length != w.hash_length
        }
        _ => true,
    })
}
