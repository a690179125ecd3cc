//! Hash formats offthread verifies but never makes: Django's `algorithm$…` strings and
//! passlib's `$bcrypt-sha256$`. Each is rewritten into the form the engine already checks
//! (PHC, `$2b$`, PBKDF2's `Stored`), so the cost ceilings of that engine apply unchanged.
//! glibc's `$5$`/`$6$` live in `shacrypt.rs`; `$pbkdf2…$` in `pbkdf2.rs`.

use super::pbkdf2::{self, Digest, Stored};
use super::phc::{self, Phc};
use super::{argon2, bcrypt, scrypt, VerifyOptions};
use crate::pool::TaskState;
use crate::{Error, Result};
use base64ct::{Base64, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest as _, Sha256};

/// A recognised inherited format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `pbkdf2_sha256$<iterations>$<salt>$<base64>` and `pbkdf2_sha1$…`.
    DjangoPbkdf2(Digest),
    /// `argon2$argon2id$v=19$…`: "argon2" before a PHC string.
    DjangoArgon2,
    /// `bcrypt$$2b$12$…`.
    DjangoBcrypt,
    /// `bcrypt_sha256$$2b$12$…`: bcrypt of the hex SHA-256 of the password.
    DjangoBcryptSha256,
    /// `scrypt$<N>$<salt>$<r>$<p>$<base64>` (Django >= 4.0).
    DjangoScrypt,
    /// `$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>` and v1's `$bcrypt-sha256$2a,12$…`.
    PasslibBcryptSha256,
}

/// The format of `s`, when it is one of these.
pub fn detect(s: &str) -> Option<Format> {
    let (head, _) = s.split_once('$')?;
    Some(match head {
        "pbkdf2_sha256" => Format::DjangoPbkdf2(Digest::Sha256),
        "pbkdf2_sha1" => Format::DjangoPbkdf2(Digest::Sha1),
        "argon2" => Format::DjangoArgon2,
        "bcrypt" => Format::DjangoBcrypt,
        "bcrypt_sha256" => Format::DjangoBcryptSha256,
        "scrypt" => Format::DjangoScrypt,
        "" if s.starts_with("$bcrypt-sha256$") => Format::PasslibBcryptSha256,
        _ => return None,
    })
}

/// Standard base64 with padding, as Python's `base64.b64encode` writes it.
fn b64(s: &str) -> Result<Vec<u8>> {
    Base64::decode_vec(s).map_err(|_| Error::invalid_hash("invalid base64"))
}

/// Django's PBKDF2: the salt is the text between the `$`s, the output is the digest's size.
fn django_pbkdf2(s: &str, digest: Digest) -> Result<Stored> {
    let fields: Vec<&str> = s.split('$').collect();
    let [_, iterations, salt, hash] = fields[..] else {
        return Err(Error::invalid_hash(
            "expected pbkdf2_sha256$<iterations>$<salt>$<hash>",
        ));
    };
    if salt.is_empty() {
        return Err(Error::invalid_hash("empty salt"));
    }
    Ok(Stored {
        digest,
        iterations: pbkdf2::decimal(iterations)?,
        salt: salt.as_bytes().to_vec(),
        hash: b64(hash)?,
    })
}

/// Django's scrypt, rewritten as the PHC string of the same parameters.
fn django_scrypt_phc(s: &str) -> Result<String> {
    let fields: Vec<&str> = s.split('$').collect();
    let [_, n, salt, r, p, hash] = fields[..] else {
        return Err(Error::invalid_hash(
            "expected scrypt$<N>$<salt>$<r>$<p>$<hash>",
        ));
    };
    let n = pbkdf2::decimal(n)?;
    if n < 2 || !n.is_power_of_two() {
        return Err(Error::invalid_hash("scrypt N must be a power of two"));
    }
    let (r, p) = (pbkdf2::decimal(r)?, pbkdf2::decimal(p)?);
    let salt = if salt.is_empty() {
        String::new()
    } else {
        phc::encode(salt.as_bytes())
    };
    Ok(format!(
        "$scrypt$ln={},r={r},p={p}${salt}${}",
        n.trailing_zeros(),
        phc::encode(&b64(hash)?)
    ))
}

/// passlib's bcrypt_sha256: the bcrypt string it wraps, and the key bcrypt is given.
fn passlib_bcrypt_sha256(s: &str, password: &[u8]) -> Result<(String, Vec<u8>)> {
    let fields: Vec<&str> = s.split('$').collect();
    let ["", "bcrypt-sha256", config, salt, digest] = fields[..] else {
        return Err(Error::invalid_hash(
            "expected $bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>",
        ));
    };
    let bad = || Error::invalid_hash("invalid $bcrypt-sha256$ parameters");
    let (v2, ident, rounds) = match config.split(',').collect::<Vec<_>>()[..] {
        ["v=2", t, r] => (
            true,
            t.strip_prefix("t=").ok_or_else(bad)?,
            r.strip_prefix("r=").ok_or_else(bad)?,
        ),
        [t, r] => (false, t, r),
        _ => return Err(bad()),
    };
    // passlib's v2 writes only $2b$; v1 wrote $2a$ or $2b$.
    let idents: &[&str] = if v2 { &["2b"] } else { &["2a", "2b"] };
    if !idents.contains(&ident) || rounds.is_empty() || rounds.len() > 2 {
        return Err(bad());
    }
    let cost = pbkdf2::decimal(rounds).map_err(|_| bad())?;
    let inner = format!("${ident}${cost:02}${salt}{digest}");
    let sum = if v2 {
        // v2 keys an HMAC-SHA256 with the salt text, so the password's digest is salted too.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(salt.as_bytes())
            .map_err(|_| Error::invalid_hash("invalid salt"))?;
        mac.update(password);
        mac.finalize().into_bytes().to_vec()
    } else {
        Sha256::digest(password).to_vec()
    };
    Ok((inner, Base64::encode_string(&sum).into_bytes()))
}

/// Lower-case hex, as Python's `hexlify`.
fn hex(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect()
}

/// Checks `password` against an inherited hash of `format`.
pub fn verify(
    format: Format,
    s: &str,
    password: &[u8],
    options: &VerifyOptions,
    task: &TaskState,
) -> Result<bool> {
    if s.len() > phc::MAX_LEN {
        return Err(Error::invalid_hash("too long"));
    }
    let limits = &options.limits;
    let rest = |prefix: &str| &s[prefix.len()..];
    match format {
        Format::DjangoPbkdf2(d) => django_pbkdf2(s, d)?.check(limits)?.verify(password, task),
        Format::DjangoArgon2 => argon2::verify(
            &Phc::parse(rest("argon2"))?,
            password,
            &options.secrets,
            limits,
            task,
        ),
        Format::DjangoBcrypt => bcrypt::verify(rest("bcrypt$"), password, limits, task),
        Format::DjangoBcryptSha256 => {
            let key = hex(&Sha256::digest(password));
            bcrypt::verify(rest("bcrypt_sha256$"), &key, limits, task)
        }
        Format::DjangoScrypt => {
            let phc = django_scrypt_phc(s)?;
            scrypt::verify(&Phc::parse(&phc)?, password, limits, task)
        }
        Format::PasslibBcryptSha256 => {
            let (inner, key) = passlib_bcrypt_sha256(s, password)?;
            bcrypt::verify(&inner, &key, limits, task)
        }
    }
}

/// Parses `s` as `format` without computing anything (for `needs_rehash`): the same
/// structural checks as [`verify`], no cost ceilings.
pub fn check(format: Format, s: &str) -> Result<()> {
    if s.len() > phc::MAX_LEN {
        return Err(Error::invalid_hash("too long"));
    }
    let none = &super::Limits::NONE;
    let rest = |prefix: &str| &s[prefix.len()..];
    match format {
        Format::DjangoPbkdf2(d) => django_pbkdf2(s, d)?.check(none).map(drop),
        Format::DjangoArgon2 => argon2::parse(&Phc::parse(rest("argon2"))?, none).map(drop),
        Format::DjangoBcrypt => bcrypt::parse(rest("bcrypt$")).map(drop),
        Format::DjangoBcryptSha256 => bcrypt::parse(rest("bcrypt_sha256$")).map(drop),
        Format::DjangoScrypt => scrypt::parse(&Phc::parse(&django_scrypt_phc(s)?)?, none).map(drop),
        Format::PasslibBcryptSha256 => bcrypt::parse(&passlib_bcrypt_sha256(s, b"")?.0).map(drop),
    }
}

/// The PBKDF2 parameters behind a Django PBKDF2 hash (for `needs_rehash` and the
/// node:crypto path).
pub fn pbkdf2_of(format: Format, s: &str) -> Option<Result<Stored>> {
    match format {
        Format::DjangoPbkdf2(d) => Some(django_pbkdf2(s, d)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_prefix() {
        assert_eq!(
            detect("pbkdf2_sha256$1$a$b"),
            Some(Format::DjangoPbkdf2(Digest::Sha256))
        );
        assert_eq!(detect("bcrypt$$2b$"), Some(Format::DjangoBcrypt));
        assert_eq!(
            detect("$bcrypt-sha256$v=2"),
            Some(Format::PasslibBcryptSha256)
        );
        assert_eq!(detect("$2b$10$x"), None);
        assert_eq!(detect("md5$a$b"), None);
    }

    #[test]
    fn django_scrypt_becomes_phc() {
        let phc = django_scrypt_phc("scrypt$16384$salt$8$1$aGFzaA==").unwrap();
        assert_eq!(phc, "$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA");
        assert!(django_scrypt_phc("scrypt$1000$salt$8$1$aGFzaA==").is_err());
    }

    #[test]
    fn passlib_v2_wraps_bcrypt() {
        let (inner, key) = passlib_bcrypt_sha256(
            "$bcrypt-sha256$v=2,t=2b,r=5$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2",
            b"pw",
        )
        .unwrap();
        assert_eq!(
            inner,
            "$2b$05$n79VH.0Q2TMWmt3Oqt9ukuKq4Noyk3094Y2QlB8NdRT8SvGiI4ft2"
        );
        assert_eq!(key.len(), 44);
        for bad in [
            "$bcrypt-sha256$v=3,t=2b,r=5$a$b",
            "$bcrypt-sha256$v=2,t=2y,r=5$a$b",
            "$bcrypt-sha256$v=2,t=2a,r=5$a$b",
            "$bcrypt-sha256$v=2,t=2b,r=$a$b",
            "$bcrypt-sha256$2b$a$b",
        ] {
            assert!(passlib_bcrypt_sha256(bad, b"pw").is_err(), "{bad}");
        }
    }
}
