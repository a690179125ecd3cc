//! Digests and MACs over one stream of bytes: SHA-1/2/3, MD5, BLAKE3 (keyed too, multi-threaded
//! on the pool above a size threshold), xxHash (XXH64, XXH3 64/128), CRC-32 and CRC-32C.

use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
use hmac::Mac;
use sha2::Digest as _;

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_512,
    Md5,
    Blake3,
    Xxh3_64,
    Xxh3_128,
    Xxh64,
    Crc32,
    Crc32c,
}

impl Algorithm {
    /// Every algorithm with its name, as the JS API spells it.
    pub const ALL: [(&'static str, Algorithm); 13] = [
        ("sha1", Algorithm::Sha1),
        ("sha256", Algorithm::Sha256),
        ("sha384", Algorithm::Sha384),
        ("sha512", Algorithm::Sha512),
        ("sha3-256", Algorithm::Sha3_256),
        ("sha3-512", Algorithm::Sha3_512),
        ("md5", Algorithm::Md5),
        ("blake3", Algorithm::Blake3),
        ("xxh3-64", Algorithm::Xxh3_64),
        ("xxh3-128", Algorithm::Xxh3_128),
        ("xxh64", Algorithm::Xxh64),
        ("crc32", Algorithm::Crc32),
        ("crc32c", Algorithm::Crc32c),
    ];

    /// Looks an algorithm up by name.
    pub fn from_name(name: &str) -> Result<Algorithm> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgValue,
                    format!("Unknown digest algorithm '{name}'"),
                )
            })
    }

    /// True for the algorithms `hmac` accepts.
    pub fn has_hmac(self) -> bool {
        matches!(
            self,
            Algorithm::Sha1
                | Algorithm::Sha256
                | Algorithm::Sha384
                | Algorithm::Sha512
                | Algorithm::Sha3_256
                | Algorithm::Sha3_512
                | Algorithm::Md5
        )
    }
}

/// BLAKE3's key length in keyed mode (bytes).
pub const BLAKE3_KEY_LENGTH: usize = 32;
/// The algorithm `hashFile` uses when none is given.
pub const DEFAULT_FILE_ALGORITHM: Algorithm = Algorithm::Sha256;

impl Algorithm {
    /// The name the JS API uses for this algorithm.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map_or("", |(n, _)| n)
    }
}

/// BLAKE3 inputs at least this large are hashed on several pool threads.
pub const BLAKE3_PARALLEL_THRESHOLD: usize = 1 << 20;

/// Bytes hashed between two cancellation checks.
pub const CHUNK: usize = 1 << 20;

enum State {
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha3_256(sha3::Sha3_256),
    Sha3_512(sha3::Sha3_512),
    Md5(md5::Md5),
    Blake3(Box<blake3::Hasher>),
    Xxh3_64(Box<xxhash_rust::xxh3::Xxh3>),
    Xxh3_128(Box<xxhash_rust::xxh3::Xxh3>),
    Xxh64(xxhash_rust::xxh64::Xxh64),
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Hmac(Box<dyn HmacState>),
}

/// Object-safe HMAC over any of the supported hashes.
trait HmacState: Send {
    fn update(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
}

impl<M: Mac + Send> HmacState for M {
    fn update(&mut self, data: &[u8]) {
        Mac::update(self, data);
    }
    fn finish(self: Box<Self>) -> Vec<u8> {
        self.finalize().into_bytes().to_vec()
    }
}

/// An incremental digest: `update` any number of times, then `finish`.
pub struct Hasher {
    state: State,
}

/// An HMAC of type `$mac` (`Hmac<D>`, or `SimpleHmac<D>` for SHA-3), boxed behind `HmacState`.
macro_rules! hmac_of {
    ($mac:ty, $key:expr) => {
        match <$mac as hmac::KeyInit>::new_from_slice($key) {
            Ok(m) => Box::new(m) as Box<dyn HmacState>,
            Err(_) => return Err(Error::new(ErrorKind::Internal, "HMAC rejected its key")),
        }
    };
}

impl Hasher {
    /// A plain digest. `key` is BLAKE3's keyed mode (exactly 32 bytes) and is refused elsewhere.
    pub fn new(algorithm: Algorithm, key: Option<&[u8]>) -> Result<Hasher> {
        if let Some(k) = key {
            if algorithm != Algorithm::Blake3 {
                return Err(Error::new(
                    ErrorKind::InvalidArgValue,
                    "key is supported by blake3 only (use hmac for the others)",
                ));
            }
            let k: &[u8; BLAKE3_KEY_LENGTH] = k.try_into().map_err(|_| {
                Error::new(
                    ErrorKind::OutOfRange,
                    format!("A blake3 key must be 32 bytes, not {}", k.len()),
                )
            })?;
            return Ok(Hasher {
                state: State::Blake3(Box::new(blake3::Hasher::new_keyed(k))),
            });
        }
        let state = match algorithm {
            Algorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            Algorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => State::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => State::Sha512(sha2::Sha512::new()),
            Algorithm::Sha3_256 => State::Sha3_256(sha3::Sha3_256::new()),
            Algorithm::Sha3_512 => State::Sha3_512(sha3::Sha3_512::new()),
            Algorithm::Md5 => State::Md5(md5::Md5::new()),
            Algorithm::Blake3 => State::Blake3(Box::new(blake3::Hasher::new())),
            Algorithm::Xxh3_64 => State::Xxh3_64(Box::new(xxhash_rust::xxh3::Xxh3::new())),
            Algorithm::Xxh3_128 => State::Xxh3_128(Box::new(xxhash_rust::xxh3::Xxh3::new())),
            Algorithm::Xxh64 => State::Xxh64(xxhash_rust::xxh64::Xxh64::new(0)),
            Algorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => State::Crc32c(0),
        };
        Ok(Hasher { state })
    }

    /// An HMAC with `key` over one of the SHA-1/2/3 or MD5 hashes.
    pub fn hmac(algorithm: Algorithm, key: &[u8]) -> Result<Hasher> {
        let mac = match algorithm {
            Algorithm::Sha1 => hmac_of!(hmac::Hmac<sha1::Sha1>, key),
            Algorithm::Sha256 => hmac_of!(hmac::Hmac<sha2::Sha256>, key),
            Algorithm::Sha384 => hmac_of!(hmac::Hmac<sha2::Sha384>, key),
            Algorithm::Sha512 => hmac_of!(hmac::Hmac<sha2::Sha512>, key),
            Algorithm::Sha3_256 => hmac_of!(hmac::SimpleHmac<sha3::Sha3_256>, key),
            Algorithm::Sha3_512 => hmac_of!(hmac::SimpleHmac<sha3::Sha3_512>, key),
            Algorithm::Md5 => hmac_of!(hmac::Hmac<md5::Md5>, key),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidArgValue,
                    "hmac supports sha1, sha256, sha384, sha512, sha3-256, sha3-512 and md5 (blake3: digest with a key)",
                ))
            }
        };
        Ok(Hasher {
            state: State::Hmac(mac),
        })
    }

    /// Feeds `data`, in chunks with a cancellation check between them. Large BLAKE3 inputs are
    /// split across pool threads.
    pub fn update(&mut self, data: &[u8], task: &TaskState) -> Result<()> {
        // BLAKE3 splits each piece across threads: larger pieces keep that split cheap.
        let step = if matches!(self.state, State::Blake3(_)) {
            16 * CHUNK
        } else {
            CHUNK
        };
        for chunk in data.chunks(step) {
            task.checkpoint()?;
            self.update_chunk(chunk);
        }
        Ok(())
    }

    fn update_chunk(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Sha1(h) => h.update(data),
            State::Sha256(h) => h.update(data),
            State::Sha384(h) => h.update(data),
            State::Sha512(h) => h.update(data),
            State::Sha3_256(h) => h.update(data),
            State::Sha3_512(h) => h.update(data),
            State::Md5(h) => h.update(data),
            State::Blake3(h) => {
                if data.len() >= BLAKE3_PARALLEL_THRESHOLD && crate::pool::has_idle_threads() {
                    h.update_rayon(data);
                } else {
                    h.update(data);
                }
            }
            State::Xxh3_64(h) | State::Xxh3_128(h) => h.update(data),
            State::Xxh64(h) => h.update(data),
            State::Crc32(h) => h.update(data),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            State::Hmac(m) => m.update(data),
        }
    }

    /// Feeds every part, then finishes.
    fn digest_parts(mut self, parts: &[&[u8]], task: &TaskState) -> Result<Vec<u8>> {
        for p in parts {
            self.update(p, task)?;
        }
        Ok(self.finish())
    }

    /// The digest bytes (big-endian for the integer hashes, as their reference encodings).
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
            State::Sha384(h) => h.finalize().to_vec(),
            State::Sha512(h) => h.finalize().to_vec(),
            State::Sha3_256(h) => h.finalize().to_vec(),
            State::Sha3_512(h) => h.finalize().to_vec(),
            State::Md5(h) => h.finalize().to_vec(),
            State::Blake3(h) => h.finalize().as_bytes().to_vec(),
            State::Xxh3_64(h) => h.digest().to_be_bytes().to_vec(),
            State::Xxh3_128(h) => h.digest128().to_be_bytes().to_vec(),
            State::Xxh64(h) => h.digest().to_be_bytes().to_vec(),
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            State::Hmac(m) => m.finish(),
        }
    }
}

/// Digest of several byte slices hashed as one stream.
pub fn digest(
    algorithm: Algorithm,
    key: Option<&[u8]>,
    parts: &[&[u8]],
    task: &TaskState,
) -> Result<Vec<u8>> {
    Hasher::new(algorithm, key)?.digest_parts(parts, task)
}

/// Digest (or HMAC, with `hmac_key`) of a file, read in 1 MiB pieces on the calling thread:
/// memory stays bounded whatever the file's size. Checks `task` between pieces. Only a regular
/// file is read: a FIFO, device or socket is `ERR_NOT_REGULAR_FILE` before any blocking read.
pub fn hash_file(
    path: &std::path::Path,
    algorithm: Algorithm,
    key: Option<&[u8]>,
    hmac_key: Option<&[u8]>,
    task: &TaskState,
) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut h = match hmac_key {
        Some(k) => Hasher::hmac(algorithm, k)?,
        None => Hasher::new(algorithm, key)?,
    };
    let (mut file, _) = crate::file::open_regular(path)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        task.checkpoint()?;
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(h.finish());
        }
        h.update_chunk(&buf[..n]);
    }
}

/// HMAC of several byte slices hashed as one stream.
pub fn hmac(
    algorithm: Algorithm,
    key: &[u8],
    parts: &[&[u8]],
    task: &TaskState,
) -> Result<Vec<u8>> {
    Hasher::hmac(algorithm, key)?.digest_parts(parts, task)
}
