//! bcrypt (`$2a$`, `$2b$`, `$2x$`, `$2y$`) on our own EksBlowfish (`eks.rs`), following OpenBSD's key rules.
//!
//! Hashing writes `$2b$`. Verification applies the reference 72-byte truncation (and, for
//! `$2a$`, OpenBSD's 8-bit length wrap; for `$2x$`, crypt_blowfish's sign-extension bug) so
//! that hashes made elsewhere keep verifying.

pub mod batch;
mod eks;
pub mod lanes;

pub use eks::{key_words, key_words_sign_extended};

use super::Limits;
use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};

pub const MIN_COST: u32 = 4;
pub const MAX_COST: u32 = 31;
/// OWASP's minimum for bcrypt.
pub const DEFAULT_COST: u32 = 10;
/// Bytes of password bcrypt uses; longer passwords are refused on hash unless `truncate`.
pub const MAX_PASSWORD: usize = 72;

const ALPHABET: &[u8; 64] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The hash prefix, which selects how the key is derived from the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    A,
    B,
    /// crypt_blowfish's name for hashes made by its pre-2011 code, which sign-extended bytes
    /// >= 0x80 of the password. Verified, never made.
    X,
    Y,
}

/// A parsed `$2?$cc$<salt><hash>` string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub prefix: Prefix,
    pub cost: u32,
    pub salt: [u8; 16],
    pub hash: [u8; 23],
}

/// bcrypt's own base64 (no padding).
pub fn encode64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 1);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes exactly `N` bytes from bcrypt base64. Unused low bits of the last character are
/// ignored, as the reference implementations do.
fn decode64<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    if s.len() != (N * 4).div_ceil(3) {
        return None;
    }
    let mut out = [0u8; N];
    let mut acc = 0u32;
    let mut bits = 0;
    let mut i = 0;
    for &c in s {
        let v = ALPHABET.iter().position(|&a| a == c)?;
        acc = (acc << 6) | u32::try_from(v).ok()?;
        bits += 6;
        if bits >= 8 && i < N {
            bits -= 8;
            out[i] = ((acc >> bits) & 0xff) as u8;
            i += 1;
        }
    }
    Some(out)
}

/// The key bytes bcrypt feeds to Blowfish for `password` under `prefix`.
fn key_for(prefix: Prefix, password: &[u8]) -> Vec<u8> {
    let mut with_nul = Vec::with_capacity(password.len() + 1);
    with_nul.extend_from_slice(password);
    with_nul.push(0);
    let key_len = match prefix {
        Prefix::B | Prefix::X | Prefix::Y => with_nul.len().min(MAX_PASSWORD),
        // OpenBSD's historical $2a$: the length (with NUL) is stored in 8 bits and wraps.
        Prefix::A => (password.len() + 1) % 256,
    };
    if key_len == 0 {
        // A zero length makes the reference read the first byte over and over.
        return vec![with_nul[0]];
    }
    with_nul.truncate(key_len.min(MAX_PASSWORD));
    with_nul
}

/// The raw 23-byte bcrypt output for `key` (already NUL-terminated and truncated).
pub fn raw(cost: u32, salt: &[u8; 16], key: &[u8], task: &TaskState) -> Result<[u8; 23]> {
    raw_words(cost, salt, &eks::key_words(key), task)
}

/// [`raw`] on key words already read from the key ([`key_words`], or [`key_words_sign_extended`] for `$2x$`).
pub fn raw_words(
    cost: u32,
    salt: &[u8; 16],
    key: &[u32; 18],
    task: &TaskState,
) -> Result<[u8; 23]> {
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(Error::out_of_range(
            "cost",
            MIN_COST.into(),
            MAX_COST.into(),
            cost,
        ));
    }
    let full = eks::bcrypt(cost, salt, key, task)?;
    let mut out = [0u8; 23];
    out.copy_from_slice(&full[..23]);
    Ok(out)
}

/// The raw output for `password` under a parsed hash's prefix, cost and salt.
fn raw_for(parsed: &Parsed, prefix: Prefix, password: &[u8], task: &TaskState) -> Result<[u8; 23]> {
    let key = key_for(prefix, password);
    let words = match prefix {
        Prefix::X => eks::key_words_sign_extended(&key),
        Prefix::A | Prefix::B | Prefix::Y => eks::key_words(&key),
    };
    raw_words(parsed.cost, &parsed.salt, &words, task)
}

/// Hashes `password` into a `$2b$` string. Refuses NUL bytes, and passwords over 72 bytes
/// unless `truncate` is set.
pub fn hash(
    password: &[u8],
    cost: u32,
    truncate: bool,
    salt: &[u8; 16],
    task: &TaskState,
) -> Result<String> {
    if password.contains(&0) {
        return Err(Error::new(
            ErrorKind::InvalidArgValue,
            "bcrypt passwords cannot contain NUL bytes",
        ));
    }
    if password.len() > MAX_PASSWORD && !truncate {
        return Err(Error::new(
            ErrorKind::PasswordTooLong,
            format!(
                "bcrypt uses at most {MAX_PASSWORD} bytes of password and this one has {}; pass truncate: true to accept that",
                password.len()
            ),
        ));
    }
    let out = raw(cost, salt, &key_for(Prefix::B, password), task)?;
    Ok(format_hash(cost, salt, &out))
}

/// The `$2b$` string of a cost, salt and 23-byte raw output.
fn format_hash(cost: u32, salt: &[u8; 16], out: &[u8]) -> String {
    format!("$2b${cost:02}${}{}", encode64(salt), encode64(out))
}

/// Parses a 60-character bcrypt string: `$2a$`, `$2b$`, `$2x$` or `$2y$`, cost 04 to 31 (the
/// range OpenBSD and crypt_blowfish accept), 22 salt and 31 hash characters of bcrypt's base64.
pub fn parse(s: &str) -> Result<Parsed> {
    let b = s.as_bytes();
    if b.len() != 60 || b[0] != b'$' || b[1] != b'2' || b[3] != b'$' || b[6] != b'$' {
        return Err(Error::invalid_hash("not a 60-character bcrypt hash"));
    }
    let prefix = match b[2] {
        b'a' => Prefix::A,
        b'b' => Prefix::B,
        b'x' => Prefix::X,
        b'y' => Prefix::Y,
        _ => {
            return Err(Error::invalid_hash(
                "unsupported bcrypt variant (only $2a$, $2b$, $2x$ and $2y$)",
            ))
        }
    };
    if !b[4].is_ascii_digit() || !b[5].is_ascii_digit() {
        return Err(Error::invalid_hash("bcrypt cost must be two digits"));
    }
    let cost = u32::from(b[4] - b'0') * 10 + u32::from(b[5] - b'0');
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(Error::invalid_hash(format!(
            "bcrypt cost {cost} is outside 4..31"
        )));
    }
    let salt =
        decode64::<16>(&b[7..29]).ok_or_else(|| Error::invalid_hash("invalid bcrypt salt"))?;
    let hash =
        decode64::<23>(&b[29..60]).ok_or_else(|| Error::invalid_hash("invalid bcrypt hash"))?;
    Ok(Parsed {
        prefix,
        cost,
        salt,
        hash,
    })
}

/// Checks `password` against a bcrypt string, in constant time over the output.
pub fn verify(s: &str, password: &[u8], limits: &Limits, task: &TaskState) -> Result<bool> {
    let parsed = parse(s)?;
    if parsed.cost > limits.max_bcrypt_cost {
        return Err(Error::invalid_hash(format!(
            "bcrypt cost {} exceeds the limit of {}",
            parsed.cost, limits.max_bcrypt_cost
        )));
    }
    let out = raw_for(&parsed, parsed.prefix, password, task)?;
    let matched = super::ct_eq(&out, &parsed.hash);
    // `$2a$` hashes of passwords of 255 bytes or more exist in two forms: with OpenBSD's 8-bit
    // length wrap (node.bcrypt.js) and without it (pyca/bcrypt, bcrypt.js). Accept either: a
    // stored hash only ever matches the form it was made with.
    if parsed.prefix == Prefix::A && password.len() >= 255 {
        let other = raw_for(&parsed, Prefix::B, password, task)?;
        return Ok(matched | super::ct_eq(&other, &parsed.hash));
    }
    Ok(matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        let salt: [u8; 16] = core::array::from_fn(|i| u8::try_from(i * 17).unwrap());
        let enc = encode64(&salt);
        assert_eq!(enc.len(), 22);
        assert_eq!(decode64::<16>(enc.as_bytes()), Some(salt));
        assert_eq!(encode64(&[0u8; 23]).len(), 31);
    }

    #[test]
    fn keys_follow_openbsd() {
        assert_eq!(key_for(Prefix::B, b"ab"), b"ab\0");
        assert_eq!(key_for(Prefix::B, &[b'x'; 100]).len(), 72);
        assert_eq!(key_for(Prefix::A, &[b'x'; 255]), vec![b'x']);
        assert_eq!(key_for(Prefix::A, &[b'x'; 256]), vec![b'x']);
        assert_eq!(key_for(Prefix::A, &[b'x'; 257]).len(), 2);
    }
}
