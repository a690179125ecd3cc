//! PBKDF2-HMAC (RFC 8018) with SHA-256, SHA-512 and (verify only) SHA-1, on RustCrypto's HMAC
//! and SHA-2 (which uses the x86 SHA extensions and ARMv8 SHA2 instructions where present).
//!
//! New hashes are PHC strings as RustCrypto's `pbkdf2` crate writes them:
//! `$pbkdf2-sha256$i=600000,l=32$<salt>$<hash>`. Verify also reads passlib's
//! `$pbkdf2-sha256$<rounds>$<ab64 salt>$<ab64 hash>` (and `$pbkdf2$`, SHA-1; `$pbkdf2-sha512$`).
//! The work is iterations × output blocks, capped by `Limits::max_iterations` on verify.

use super::phc::{self, Phc};
use super::Limits;
use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
use base64ct::{Base64Unpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};

/// The HMAC digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    /// Verify only: old Django and passlib hashes.
    Sha1,
    Sha256,
    Sha512,
}

impl Digest {
    /// The digests `hash` makes with, by name; the first is the default.
    pub const MADE: [&'static str; 2] = ["sha256", "sha512"];
    /// Every digest verify reads, by name.
    pub const READ: [&'static str; 3] = ["sha256", "sha512", "sha1"];

    pub fn from_name(name: &str) -> Option<Digest> {
        match name {
            "sha1" => Some(Digest::Sha1),
            "sha256" => Some(Digest::Sha256),
            "sha512" => Some(Digest::Sha512),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha1 => "sha1",
            Digest::Sha256 => "sha256",
            Digest::Sha512 => "sha512",
        }
    }

    /// Bytes of one HMAC output: one PBKDF2 block.
    pub fn size(self) -> u32 {
        match self {
            Digest::Sha1 => 20,
            Digest::Sha256 => 32,
            Digest::Sha512 => 64,
        }
    }

    /// The PHC identifier (RustCrypto's and passlib's).
    fn phc_id(self) -> &'static str {
        match self {
            Digest::Sha1 => "pbkdf2",
            Digest::Sha256 => "pbkdf2-sha256",
            Digest::Sha512 => "pbkdf2-sha512",
        }
    }

    fn from_phc_id(id: &str) -> Option<Digest> {
        [Digest::Sha1, Digest::Sha256, Digest::Sha512]
            .into_iter()
            .find(|d| d.phc_id() == id)
    }

    /// OWASP's iteration counts (Password Storage Cheat Sheet): 600,000 for SHA-256, 210,000
    /// for SHA-512 (1,300,000 for SHA-1, which is never made here).
    pub fn default_iterations(self) -> u32 {
        match self {
            Digest::Sha1 => 1_300_000,
            Digest::Sha256 => Params::DEFAULT.iterations,
            Digest::Sha512 => Params::DEFAULT_ITERATIONS_SHA512,
        }
    }
}

/// PBKDF2 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub digest: Digest,
    pub iterations: u32,
    pub hash_length: u32,
    pub salt_length: u32,
}

impl Params {
    /// OWASP's FIPS-140 setting: PBKDF2-HMAC-SHA256, 600,000 iterations; a 32-byte output
    /// (one block: more blocks cost the defender, not the attacker) and a 16-byte salt.
    pub const DEFAULT: Params = Params {
        digest: Digest::Sha256,
        iterations: 600_000,
        hash_length: 32,
        salt_length: 16,
    };
    pub const DEFAULT_ITERATIONS_SHA512: u32 = 210_000;
    /// NIST SP 800-132's floor; made hashes only.
    pub const MIN_ITERATIONS: u32 = 1_000;
    pub const MAX_ITERATIONS: u32 = 100_000_000;
    pub const MIN_HASH_LENGTH: u32 = 16;
    pub const MAX_HASH_LENGTH: u32 = 64;
    /// SP 800-132: at least 128 bits of salt.
    pub const MIN_SALT_LENGTH: u32 = 16;
    pub const MAX_SALT_LENGTH: u32 = 64;

    /// The default parameters for `digest`.
    pub fn for_digest(digest: Digest) -> Params {
        Params {
            digest,
            iterations: digest.default_iterations(),
            hash_length: digest.size(),
            ..Params::DEFAULT
        }
    }

    /// Checks the parameters `hash` makes with; the message names the option.
    pub fn validate(&self) -> Result<()> {
        if self.digest == Digest::Sha1 {
            return Err(Error::new(
                ErrorKind::InvalidArgValue,
                "PBKDF2 with sha1 is accepted by verify only; hash with sha256 or sha512",
            ));
        }
        let check = super::in_range;
        check(
            "iterations",
            self.iterations,
            Self::MIN_ITERATIONS,
            Self::MAX_ITERATIONS,
        )?;
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

    /// The work of one derivation: iterations × output blocks (saturating).
    pub fn work(&self) -> u64 {
        u64::from(self.iterations) * u64::from(self.hash_length.div_ceil(self.digest.size()))
    }
}

/// Iterations between two cancellation checks (about 2 ms with SHA-256).
const CHECK_EVERY: u32 = 16_384;

/// PBKDF2 over one HMAC type, checking `task` every [`CHECK_EVERY`] iterations.
fn derive_with<M: Mac + KeyInit + Clone>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
    task: &TaskState,
) -> Result<()> {
    let prf = <M as KeyInit>::new_from_slice(password)
        .map_err(|_| Error::new(ErrorKind::Internal, "HMAC refused the key"))?;
    let size = M::output_size();
    for (i, chunk) in out.chunks_mut(size).enumerate() {
        let index = u32::try_from(i + 1)
            .map_err(|_| Error::new(ErrorKind::Internal, "PBKDF2 output too long"))?;
        let mut u = prf
            .clone()
            .chain_update(salt)
            .chain_update(index.to_be_bytes())
            .finalize()
            .into_bytes();
        let mut acc = u.clone();
        for n in 1..iterations {
            if n % CHECK_EVERY == 0 {
                task.checkpoint()?;
            }
            u = prf.clone().chain_update(&u).finalize().into_bytes();
            acc.iter_mut().zip(u.iter()).for_each(|(a, b)| *a ^= b);
        }
        chunk.copy_from_slice(&acc[..chunk.len()]);
    }
    Ok(())
}

/// The raw PBKDF2 output of `password` into `out`. No cost policy: callers apply theirs.
pub fn derive(
    digest: Digest,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
    task: &TaskState,
) -> Result<()> {
    if iterations == 0 {
        return Err(Error::invalid_hash("PBKDF2 needs at least one iteration"));
    }
    match digest {
        Digest::Sha1 => derive_with::<Hmac<sha1::Sha1>>(password, salt, iterations, out, task),
        Digest::Sha256 => derive_with::<Hmac<sha2::Sha256>>(password, salt, iterations, out, task),
        Digest::Sha512 => derive_with::<Hmac<sha2::Sha512>>(password, salt, iterations, out, task),
    }
}

/// Hashes `password` into a PHC string.
pub fn hash(password: &[u8], p: &Params, salt: &[u8], task: &TaskState) -> Result<String> {
    p.validate()?;
    let mut out = vec![0u8; p.hash_length as usize];
    derive(p.digest, password, salt, p.iterations, &mut out, task)?;
    Ok(format!(
        "${}$i={},l={}${}${}",
        p.digest.phc_id(),
        p.iterations,
        p.hash_length,
        phc::encode(salt),
        phc::encode(&out)
    ))
}

/// A stored PBKDF2 hash, whatever its notation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub digest: Digest,
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl Stored {
    pub fn params(&self) -> Params {
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Params {
            digest: self.digest,
            iterations: self.iterations,
            hash_length: len(self.hash.len()),
            salt_length: len(self.salt.len()),
        }
    }

    /// Refuses an empty output, and work over the caller's ceiling.
    pub fn check(self, limits: &Limits) -> Result<Stored> {
        if self.iterations == 0 || self.hash.is_empty() {
            return Err(Error::invalid_hash("PBKDF2 needs iterations and an output"));
        }
        let work = self.params().work();
        if work > u64::from(limits.max_iterations) {
            return Err(Error::invalid_hash(format!(
                "PBKDF2 work of {work} iterations (iterations x output blocks) exceeds the limit of {} (maxIterations)",
                limits.max_iterations
            )));
        }
        Ok(self)
    }

    /// Recomputes and compares in constant time.
    pub fn verify(&self, password: &[u8], task: &TaskState) -> Result<bool> {
        let mut out = vec![0u8; self.hash.len()];
        derive(
            self.digest,
            password,
            &self.salt,
            self.iterations,
            &mut out,
            task,
        )?;
        Ok(super::ct_eq(&out, &self.hash))
    }
}

/// Reads a `$pbkdf2…$` string: the PHC form (`i=…,l=…`) or passlib's (`<rounds>$<ab64>$<ab64>`).
pub fn parse(s: &str) -> Result<Stored> {
    if s.len() > phc::MAX_LEN {
        return Err(Error::invalid_hash("too long"));
    }
    let id = s.split('$').nth(1).unwrap_or_default();
    let digest = Digest::from_phc_id(id)
        .ok_or_else(|| Error::invalid_hash(format!("unknown PBKDF2 variant '{id}'")))?;
    let third = s.split('$').nth(2).unwrap_or_default();
    if third.contains('=') {
        parse_phc(&Phc::parse(s)?, digest)
    } else {
        parse_passlib(s, digest)
    }
}

fn parse_phc(phc: &Phc<'_>, digest: Digest) -> Result<Stored> {
    if phc.version.is_some() {
        return Err(Error::invalid_hash("PBKDF2 hashes carry no version"));
    }
    phc.only(&["i", "l"])?;
    if phc.salt.is_empty() {
        return Err(Error::invalid_hash("PBKDF2 PHC string with an empty salt"));
    }
    let stored = Stored {
        digest,
        iterations: phc.int("i")?,
        salt: phc.salt.clone(),
        hash: phc.hash.clone(),
    };
    if phc.get("l").is_some() && phc.int("l")? as usize != stored.hash.len() {
        return Err(Error::invalid_hash(
            "PBKDF2 'l' does not match the hash's length",
        ));
    }
    Ok(stored)
}

/// passlib's "adapted base64": standard base64 with `.` for `+`, no padding.
fn ab64(s: &str) -> Result<Vec<u8>> {
    if s.is_empty() || s.contains('+') {
        return Err(Error::invalid_hash("invalid adapted base64"));
    }
    Base64Unpadded::decode_vec(&s.replace('.', "+"))
        .map_err(|_| Error::invalid_hash("invalid adapted base64"))
}

fn parse_passlib(s: &str, digest: Digest) -> Result<Stored> {
    let fields: Vec<&str> = s.split('$').collect();
    let ["", _, rounds, salt, hash] = fields[..] else {
        return Err(Error::invalid_hash(
            "expected $pbkdf2…$<rounds>$<salt>$<hash>",
        ));
    };
    let hash = ab64(hash)?;
    if hash.len() != digest.size() as usize {
        return Err(Error::invalid_hash(
            "passlib PBKDF2 hash of the wrong length",
        ));
    }
    Ok(Stored {
        digest,
        iterations: decimal(rounds)?,
        // passlib allows an empty salt ("$$"), as RFC 8018 does.
        salt: if salt.is_empty() {
            Vec::new()
        } else {
            ab64(salt)?
        },
        hash,
    })
}

/// A plain decimal u32 (no sign, no spaces); leading zeros refused.
pub(crate) fn decimal(s: &str) -> Result<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(Error::invalid_hash(format!("'{s}' is not a count")));
    }
    s.parse()
        .map_err(|_| Error::invalid_hash(format!("'{s}' is too large")))
}

/// Checks `password` against a `$pbkdf2…$` string within `limits`.
pub fn verify(s: &str, password: &[u8], limits: &Limits, task: &TaskState) -> Result<bool> {
    parse(s)?.check(limits)?.verify(password, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(d: Digest, pw: &[u8], salt: &[u8], it: u32, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        derive(d, pw, salt, it, &mut out, &TaskState::new()).unwrap();
        out
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn rfc6070_and_rfc7914_vectors() {
        // RFC 6070 (SHA-1), including a two-block output and a NUL in password and salt.
        assert_eq!(
            hex(&raw(Digest::Sha1, b"password", b"salt", 4096, 20)),
            "4b007901b765489abead49d926f721d065a429c1"
        );
        assert_eq!(
            hex(&raw(
                Digest::Sha1,
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25
            )),
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"
        );
        assert_eq!(
            hex(&raw(Digest::Sha1, b"pass\0word", b"sa\0lt", 4096, 16)),
            "56fa6aa75548099dcc37d7f03425e0c3"
        );
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, 1 and 80,000 iterations, two blocks.
        assert_eq!(
            hex(&raw(Digest::Sha256, b"passwd", b"salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        assert_eq!(
            hex(&raw(Digest::Sha256, b"Password", b"NaCl", 80000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    #[test]
    fn matches_rustcrypto() {
        for (d, len) in [(Digest::Sha256, 40), (Digest::Sha512, 64)] {
            let ours = raw(d, b"pw", b"saltsaltsaltsalt", 20_000, len);
            let mut theirs = vec![0; len];
            match d {
                Digest::Sha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                    b"pw",
                    b"saltsaltsaltsalt",
                    20_000,
                    &mut theirs,
                ),
                _ => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
                    b"pw",
                    b"saltsaltsaltsalt",
                    20_000,
                    &mut theirs,
                ),
            }
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn phc_round_trip_and_notations() {
        let p = Params {
            iterations: 1000,
            ..Params::DEFAULT
        };
        let h = hash(b"secret", &p, &[7; 16], &TaskState::new()).unwrap();
        assert!(h.starts_with("$pbkdf2-sha256$i=1000,l=32$BwcHBwcHBwcHBwcHBwcHBw$"));
        assert_eq!(parse(&h).unwrap().params(), p);
        let none = Limits::NONE;
        assert_eq!(verify(&h, b"secret", &none, &TaskState::new()), Ok(true));
        assert_eq!(verify(&h, b"secreT", &none, &TaskState::new()), Ok(false));
        // passlib's notation of the same salt and output.
        let s = parse(&h).unwrap();
        let ab = |b: &[u8]| phc::encode(b).replace('+', ".");
        let passlib = format!("$pbkdf2-sha256$1000${}${}", ab(&s.salt), ab(&s.hash));
        assert_eq!(
            verify(&passlib, b"secret", &none, &TaskState::new()),
            Ok(true)
        );
    }

    #[test]
    fn refuses_malformed_and_costly() {
        for bad in [
            "$pbkdf2-sha256$i=1000,l=30$BwcHBwcHBwcHBwcHBwcHBw$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhcw",
            "$pbkdf2-md5$i=1000$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$01000$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$1000$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=0$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$i=1000,x=1$c2FsdA$aGFzaA",
        ] {
            let r = verify(bad, b"x", &Limits::NONE, &TaskState::new());
            assert_eq!(r.map_err(|e| e.code()), Err("ERR_INVALID_HASH"), "{bad}");
        }
        let limits = Limits {
            max_iterations: 999,
            ..Limits::DEFAULT
        };
        let r = verify(
            "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
            b"x",
            &limits,
            &TaskState::new(),
        );
        assert_eq!(r.map_err(|e| e.code()), Err("ERR_INVALID_HASH"));
        // Two output blocks count twice.
        let limits = Limits {
            max_iterations: 1500,
            ..Limits::DEFAULT
        };
        let two = format!(
            "$pbkdf2-sha256$i=1000,l=33$c2FsdA${}",
            phc::encode(&[1; 33])
        );
        let r = verify(&two, b"x", &limits, &TaskState::new());
        assert_eq!(r.map_err(|e| e.code()), Err("ERR_INVALID_HASH"));
    }
}
