//! glibc's SHA-crypt, `$5$` (SHA-256) and `$6$` (SHA-512), verify only:
//! `$5$[rounds=N$]<salt>$<hash>` as `crypt(3)` writes it, computed as Drepper's specification
//! says on RustCrypto's SHA-2, with a cancellation check every 16,384 rounds (RustCrypto's
//! `sha-crypt` crate, which has none, is the reference of the differential test). The round count must be one crypt(3) writes, 1,000..999,999,999 (glibc
//! clamps a setting's count into that range and writes the clamped one, so a stored
//! `rounds=10` was never made by it), then capped by `Limits::max_rounds`.

use super::Limits;
use crate::pool::TaskState;
use crate::{Error, Result};
use base64ct::{Base64ShaCrypt, Encoding};
use sha2::{Digest, Sha256, Sha512};

/// glibc's default when a hash carries no `rounds=`.
pub const DEFAULT_ROUNDS: u32 = 5_000;
/// The counts glibc writes (it clamps a setting's `rounds=` into this range).
pub const MIN_ROUNDS: u32 = 1_000;
pub const MAX_ROUNDS: u32 = 999_999_999;
/// Salt characters glibc uses and writes (it ignores the rest of a longer setting).
const MAX_SALT: usize = 16;

/// Which SHA-crypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Sha256,
    Sha512,
}

impl Variant {
    /// Characters of the encoded hash.
    fn encoded_len(self) -> usize {
        match self {
            Variant::Sha256 => 43,
            Variant::Sha512 => 86,
        }
    }

    /// The digest bytes in the order the specification encodes them, three at a time (written
    /// as its `b64_from_24bit(B2, B1, B0)` calls, low byte first), then the tail.
    fn order(self) -> Vec<usize> {
        let (groups, tail): (&[[usize; 3]], &[usize]) = match self {
            Variant::Sha256 => (
                &[
                    [0, 10, 20],
                    [21, 1, 11],
                    [12, 22, 2],
                    [3, 13, 23],
                    [24, 4, 14],
                    [15, 25, 5],
                    [6, 16, 26],
                    [27, 7, 17],
                    [18, 28, 8],
                    [9, 19, 29],
                ],
                &[30, 31],
            ),
            Variant::Sha512 => (
                &[
                    [0, 21, 42],
                    [22, 43, 1],
                    [44, 2, 23],
                    [3, 24, 45],
                    [25, 46, 4],
                    [47, 5, 26],
                    [6, 27, 48],
                    [28, 49, 7],
                    [50, 8, 29],
                    [9, 30, 51],
                    [31, 52, 10],
                    [53, 11, 32],
                    [12, 33, 54],
                    [34, 55, 13],
                    [56, 14, 35],
                    [15, 36, 57],
                    [37, 58, 16],
                    [59, 17, 38],
                    [18, 39, 60],
                    [40, 61, 19],
                    [62, 20, 41],
                ],
                &[63],
            ),
        };
        groups
            .iter()
            .flat_map(|[b2, b1, b0]| [*b0, *b1, *b2])
            .chain(tail.iter().copied())
            .collect()
    }
}

/// A parsed SHA-crypt string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub variant: Variant,
    /// After glibc's clamping.
    pub rounds: u32,
    pub salt: &'a [u8],
    pub hash: &'a str,
}

/// Parses `$5$…` or `$6$…` (any other prefix is the caller's business).
pub fn parse(s: &str) -> Result<Parsed<'_>> {
    let variant = if s.starts_with("$5$") {
        Variant::Sha256
    } else if s.starts_with("$6$") {
        Variant::Sha512
    } else {
        return Err(Error::invalid_hash("not a SHA-crypt hash ($5$ or $6$)"));
    };
    let mut fields: Vec<&str> = s[3..].split('$').collect();
    let rounds = match fields.first().and_then(|f| f.strip_prefix("rounds=")) {
        Some(n) if fields.len() == 3 => {
            fields.remove(0);
            rounds(n)?
        }
        _ => DEFAULT_ROUNDS,
    };
    let [salt, hash] = fields[..] else {
        return Err(Error::invalid_hash("expected $5$[rounds=N$]<salt>$<hash>"));
    };
    let alphabet = |b: u8| b == b'.' || b == b'/' || b.is_ascii_alphanumeric();
    if hash.len() != variant.encoded_len() || !hash.bytes().all(alphabet) {
        return Err(Error::invalid_hash("invalid SHA-crypt hash field"));
    }
    // crypt(3) salts are one field of a colon-separated line (/etc/shadow): libxcrypt and musl
    // refuse ':' and newlines in them.
    if salt.contains([':', '\n']) {
        return Err(Error::invalid_hash("':' or a newline in a SHA-crypt salt"));
    }
    if salt.len() > MAX_SALT {
        return Err(Error::invalid_hash(
            "a SHA-crypt salt of more than 16 characters, which crypt(3) never writes",
        ));
    }
    Ok(Parsed {
        variant,
        rounds,
        salt: salt.as_bytes(),
        hash,
    })
}

/// `rounds=` as glibc writes it: decimal, no leading zero, within `MIN_ROUNDS..=MAX_ROUNDS`.
fn rounds(n: &str) -> Result<u32> {
    let bad = || {
        Error::invalid_hash(format!(
            "SHA-crypt rounds={n} is not a count crypt(3) writes ({MIN_ROUNDS}..{MAX_ROUNDS})"
        ))
    };
    if n.len() > 1 && n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    n.parse::<u32>()
        .ok()
        .filter(|r| (MIN_ROUNDS..=MAX_ROUNDS).contains(r))
        .ok_or_else(bad)
}

/// Rounds between two cancellation checks (a few ms).
const CHECK_EVERY: u32 = 16_384;

/// `bytes` repeated to `len` bytes (the specification's P and S sequences).
fn stretch(bytes: &[u8], len: usize) -> Vec<u8> {
    bytes.iter().copied().cycle().take(len).collect()
}

/// SHA-crypt's digest of `password` and `salt` after `rounds` rounds, in digest order.
fn crypt<D: Digest>(
    password: &[u8],
    salt: &[u8],
    rounds: u32,
    task: &TaskState,
) -> Result<Vec<u8>> {
    let n = <D as Digest>::output_size();
    let b = D::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut a = D::new().chain_update(password).chain_update(salt);
    a.update(stretch(&b, password.len()));
    let mut bits = password.len();
    while bits > 0 {
        if bits & 1 == 1 {
            a.update(&b);
        } else {
            a.update(password);
        }
        bits >>= 1;
    }
    let a = a.finalize();
    let mut dp = D::new();
    for _ in 0..password.len() {
        dp.update(password);
    }
    let p = stretch(&dp.finalize(), password.len());
    let mut ds = D::new();
    for _ in 0..16 + usize::from(a[0]) {
        ds.update(salt);
    }
    let s = stretch(&ds.finalize(), salt.len());
    let mut c = a;
    for r in 0..rounds {
        if r % CHECK_EVERY == 0 {
            task.checkpoint()?;
        }
        let mut h = D::new();
        h.update(if r & 1 == 1 { &p[..] } else { &c[..] });
        if r % 3 != 0 {
            h.update(&s);
        }
        if r % 7 != 0 {
            h.update(&p);
        }
        h.update(if r & 1 == 1 { &c[..] } else { &p[..] });
        c = h.finalize();
    }
    debug_assert_eq!(c.len(), n);
    Ok(c.to_vec())
}

/// Checks `password` against a `$5$`/`$6$` string within `limits`, comparing the encoded
/// hash in constant time.
pub fn verify(s: &str, password: &[u8], limits: &Limits, task: &TaskState) -> Result<bool> {
    let p = parse(s)?;
    if p.rounds > limits.max_rounds {
        return Err(Error::invalid_hash(format!(
            "SHA-crypt rounds={} exceeds the limit of {} (maxRounds)",
            p.rounds, limits.max_rounds
        )));
    }
    let digest = match p.variant {
        Variant::Sha256 => crypt::<Sha256>(password, p.salt, p.rounds, task)?,
        Variant::Sha512 => crypt::<Sha512>(password, p.salt, p.rounds, task)?,
    };
    let ordered: Vec<u8> = p.variant.order().iter().map(|&i| digest[i]).collect();
    let encoded = Base64ShaCrypt::encode_string(&ordered);
    Ok(super::ct_eq(encoded.as_bytes(), p.hash.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str, pw: &[u8]) -> Result<bool> {
        verify(s, pw, &Limits::DEFAULT, &TaskState::new())
    }

    #[test]
    fn rounds_match_rustcrypto() {
        let task = TaskState::new();
        let mut seed = 0x2545_f491_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for case in 0..24 {
            let pw: Vec<u8> = (0..next() % 200).map(|_| next().to_le_bytes()[0]).collect();
            let salt: Vec<u8> = (0..case % 17)
                .map(|_| b'a' + (next() % 26).to_le_bytes()[0])
                .collect();
            let rounds = 1000 + next() % 3000;
            let params = sha_crypt::Params::new(rounds).unwrap();
            assert_eq!(
                crypt::<Sha256>(&pw, &salt, rounds, &task).unwrap(),
                sha_crypt::sha256_crypt(&pw, &salt, params).to_vec(),
                "sha256 case {case}"
            );
            assert_eq!(
                crypt::<Sha512>(&pw, &salt, rounds, &task).unwrap(),
                sha_crypt::sha512_crypt(&pw, &salt, params).to_vec(),
                "sha512 case {case}"
            );
        }
    }

    #[test]
    fn cancellation_stops_the_rounds() {
        let task = TaskState::new();
        task.start();
        task.cancel();
        let r = crypt::<Sha512>(b"pw", b"salt", MAX_ROUNDS, &task);
        assert_eq!(r.map_err(|e| e.code()), Err("ABORT_ERR"));
    }

    #[test]
    fn drepper_vectors() {
        // From the tests of Drepper's specification "Unix crypt using SHA-256 and SHA-512"
        // (each also what `openssl passwd -5/-6` prints).
        assert_eq!(
            check(
                "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
                b"Hello world!"
            ),
            Ok(true)
        );
        assert_eq!(
            check(
                "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
                b"Hello world!"
            ),
            Ok(true)
        );
        assert_eq!(
            check(
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
                b"Hello world!"
            ),
            Ok(true)
        );
        // The setting rounds=10 is clamped: glibc writes rounds=1000, and only that verifies.
        assert_eq!(
            check(
                "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
                b"the minimum number is still observed"
            ),
            Ok(true)
        );
        assert_eq!(
            check(
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
                b"Hello world?"
            ),
            Ok(false)
        );
    }

    #[test]
    fn refuses_malformed_and_costly() {
        for bad in [
            "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4mb5uE",
            "$5$rounds=$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4mb5uEb",
            "$5$rounds=-5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4mb5uEb",
            "$5$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4mb5uEb",
            "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4mb5u!b",
            "$6$a$b$c",
        ] {
            assert_eq!(
                check(bad, b"x").map_err(|e| e.code()),
                Err("ERR_INVALID_HASH"),
                "{bad}"
            );
        }
        let huge = "$6$rounds=999999999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        assert_eq!(
            check(huge, b"x").map_err(|e| e.code()),
            Err("ERR_INVALID_HASH")
        );
        assert_eq!(parse(huge).unwrap().rounds, MAX_ROUNDS);
        for outside in [
            "rounds=10",
            "rounds=999",
            "rounds=1000000000",
            "rounds=01000",
        ] {
            let s = format!("$5${outside}$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5");
            assert!(parse(&s).is_err(), "{s}");
        }
    }
}
