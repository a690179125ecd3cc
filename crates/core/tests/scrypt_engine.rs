//! Differential test: offthread's scrypt engine (own ROMix, SSE2 Salsa20/8) against RustCrypto's
//! `scrypt` as the reference, plus RFC 7914 §12 vectors and cancellation.

use offthread_core::password::scrypt::{raw, Params};
use offthread_core::pool::TaskState;

fn ours(log_n: u32, r: u32, p: u32, pw: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let params = Params {
        log_n,
        r,
        p,
        hash_length: 64,
        salt_length: 16,
    };
    let mut out = vec![0u8; len];
    raw(&params, pw, salt, &mut out, &TaskState::new()).expect("scrypt");
    out
}

fn reference(log_n: u8, r: u32, p: u32, pw: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    scrypt::scrypt(
        pw,
        salt,
        &scrypt::Params::new(log_n, r, p).expect("params"),
        &mut out,
    )
    .expect("reference");
    out
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn rfc7914_vectors() {
    assert_eq!(
        ours(4, 1, 1, b"", b"", 64),
        hex("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    );
    assert_eq!(
        ours(10, 8, 16, b"password", b"NaCl", 64),
        hex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    );
    assert_eq!(
        ours(14, 8, 1, b"pleaseletmein", b"SodiumChloride", 64),
        hex("7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887")
    );
}

#[test]
fn engine_matches_reference() {
    for (log_n, r, p) in [
        (1, 1, 1),
        (2, 2, 3),
        (5, 3, 1),
        (8, 8, 2),
        (10, 1, 4),
        (11, 16, 1),
    ] {
        let pw = format!("pw {log_n} {r} {p}");
        let log_n8 = u8::try_from(log_n).expect("log_n <= 11");
        let salt = [log_n8; 16];
        for len in [16, 32, 65] {
            assert_eq!(
                ours(log_n, r, p, pw.as_bytes(), &salt, len),
                reference(log_n8, r, p, pw.as_bytes(), &salt, len),
                "N=2^{log_n} r={r} p={p} len={len}"
            );
        }
    }
}

#[test]
fn cancellation_stops_romix() {
    let task = TaskState::new();
    assert!(task.start());
    task.cancel();
    let params = Params {
        log_n: 14,
        r: 8,
        p: 1,
        hash_length: 32,
        salt_length: 16,
    };
    let mut out = [0u8; 32];
    let r = raw(&params, b"pw", b"saltsaltsaltsalt", &mut out, &task);
    assert_eq!(r.map_err(|e| e.code()), Err("ABORT_ERR"));
}
