//! Parsing and writing PHC strings: `$id[$v=N]$k=v,k=v$salt$hash`, base64 without padding.

use crate::{Error, Result};
use base64ct::{Base64Unpadded, Encoding};

/// A PHC string split into its parts. Values borrow from the input.
#[derive(Debug, PartialEq, Eq)]
pub struct Phc<'a> {
    pub id: &'a str,
    pub version: Option<u32>,
    pub params: Vec<(&'a str, &'a str)>,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Longest PHC string we look at; anything longer is refused before parsing.
pub const MAX_LEN: usize = 1024;

impl<'a> Phc<'a> {
    /// Splits `s`; every field must be present and valid base64. The salt may be empty (the
    /// B64 of no bytes; scrypt allows it): each algorithm checks its own salt length.
    pub fn parse(s: &'a str) -> Result<Self> {
        if s.len() > MAX_LEN {
            return Err(Error::invalid_hash("too long"));
        }
        let mut parts = s.split('$');
        if parts.next() != Some("") {
            return Err(Error::invalid_hash("must start with '$'"));
        }
        let id = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| Error::invalid_hash("no algorithm"))?;
        let rest: Vec<&str> = parts.collect();
        let (version, rest) = match rest.first() {
            Some(v) if v.starts_with("v=") => {
                let n = parse_u32(&v[2..]).ok_or_else(|| Error::invalid_hash("bad version"))?;
                (Some(n), &rest[1..])
            }
            _ => (None, &rest[..]),
        };
        let [params, salt, hash] = rest else {
            return Err(Error::invalid_hash("expected parameters, salt and hash"));
        };
        let params = params
            .split(',')
            .map(|kv| {
                kv.split_once('=')
                    .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::invalid_hash("malformed parameters"))?;
        Ok(Phc {
            id,
            version,
            params,
            salt: if salt.is_empty() {
                Vec::new()
            } else {
                decode(salt)?
            },
            hash: decode(hash)?,
        })
    }

    /// The value of parameter `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The value of `key` as an integer; an error if it is missing or not a plain decimal.
    pub fn int(&self, key: &str) -> Result<u32> {
        self.get(key)
            .and_then(parse_u32)
            .ok_or_else(|| Error::invalid_hash(format!("missing or invalid '{key}'")))
    }

    /// Rejects parameters other than `allowed`, and repeated ones.
    pub fn only(&self, allowed: &[&str]) -> Result<()> {
        for (i, (k, _)) in self.params.iter().enumerate() {
            if !allowed.contains(k) || self.params[..i].iter().any(|(p, _)| p == k) {
                return Err(Error::invalid_hash(format!("unexpected parameter '{k}'")));
            }
        }
        Ok(())
    }
}

/// Decimal digits only, no sign, no leading zeros (PHC's canonical form), fits in u32.
fn parse_u32(s: &str) -> Option<u32> {
    if s.is_empty()
        || s.len() > 10
        || (s.len() > 1 && s.starts_with('0'))
        || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

/// Standard base64 without padding.
pub fn encode(bytes: &[u8]) -> String {
    Base64Unpadded::encode_string(bytes)
}

/// Decodes standard base64 without padding; an empty field is an error.
pub fn decode(s: &str) -> Result<Vec<u8>> {
    if s.is_empty() {
        return Err(Error::invalid_hash("empty salt or hash"));
    }
    Base64Unpadded::decode_vec(s).map_err(|_| Error::invalid_hash("invalid base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_argon2_with_version() {
        let p = Phc::parse("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc").unwrap();
        assert_eq!(p.id, "argon2id");
        assert_eq!(p.version, Some(19));
        assert_eq!(p.int("m").unwrap(), 65536);
        assert_eq!(p.salt, b"somesalt");
        assert_eq!(p.hash.len(), 32);
    }

    #[test]
    fn parses_without_version() {
        let p = Phc::parse("$scrypt$ln=4,r=8,p=1$c2FsdA$aGFzaA").unwrap();
        assert_eq!(p.version, None);
        assert_eq!(p.int("ln").unwrap(), 4);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$",
            "$argon2id$v=19$m=,t=1,p=1$c2FsdA$aGFzaA",
            "$argon2id$v=x$m=1,t=1,p=1$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=1,t=1,p=1$c2Fsd===$aGFzaA",
            "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA$extra",
        ] {
            assert_eq!(
                Phc::parse(bad).map(|_| ()).map_err(|e| e.code()),
                Err("ERR_INVALID_HASH"),
                "{bad}"
            );
        }
        // An empty salt field is an empty salt, not a missing one.
        let p = Phc::parse("$scrypt$ln=4,r=1,p=1$$aGFzaA").unwrap();
        assert!(p.salt.is_empty());
        let p = Phc::parse("$x$m=01,t=1$c2FsdA$aGFzaA").unwrap();
        assert!(p.int("m").is_err());
        assert!(p.only(&["m"]).is_err());
    }
}
