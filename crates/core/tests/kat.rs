//! Known-answer tests for `offthread_core::password` on third-party vectors.
//!
//! The vectors are copies of files from the hash-vectors corpus (plus RFC 7914's scrypt
//! vectors), kept in `tests/vectors/` so this test needs nothing outside the crate; the README
//! there names their sources, commits and licences. Each file is JSON Lines with the corpus
//! schema: `password_hex` is authoritative, `expect` says what a row asserts.

use offthread_core::password::argon2::{self, Variant};
use offthread_core::password::{
    self, bcrypt, phc, scrypt, HashOptions, Limits, Params, Secrets, VerifyOptions,
};
use offthread_core::pool::{CancelOutcome, TaskState};
use serde_json::Value;
use std::fmt::Debug;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const ARGON2_KATS: &str = include_str!("vectors/argon2-rfc9106-and-phc-kats.jsonl");
const ARGON2_TESTC: &str = include_str!("vectors/argon2-phc-testc.jsonl");
const ARGON2_FORMAT_RANGE: &str = include_str!("vectors/argon2-format-range.jsonl");
const BCRYPT_OPENWALL: &str = include_str!("vectors/bcrypt-openwall-crypt_blowfish.jsonl");
const BCRYPT_PYCA: &str = include_str!("vectors/bcrypt-pyca.jsonl");
const BCRYPT_NODE: &str = include_str!("vectors/bcrypt-node-bcrypt.jsonl");
const SCRYPT_RFC7914: &str = include_str!("vectors/scrypt-rfc7914.jsonl");

/// Argon2 rows above this many KiB (test.c's 256 MiB and 1 GiB cases) are too heavy
/// for every test run: they run only in the ignored `heavy_vectors` test.
const ARGON2_LIGHT_MAX_KIB: u64 = 65_536;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// One vector: a JSON object with the corpus schema.
struct Row(Value);

impl Row {
    fn id(&self) -> &str {
        self.0["id"].as_str().expect("every row has an id")
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.0[key].as_str()
    }

    /// A hex field, decoded; `None` when absent or null.
    fn hex(&self, key: &str) -> Option<Vec<u8>> {
        self.text(key).map(|h| {
            hex::decode(h).unwrap_or_else(|e| panic!("{}: bad hex in {key}: {e}", self.id()))
        })
    }

    fn password(&self) -> Vec<u8> {
        self.hex("password_hex")
            .unwrap_or_else(|| panic!("{}: no password_hex", self.id()))
    }

    fn salt(&self) -> Vec<u8> {
        self.hex("salt_hex")
            .unwrap_or_else(|| panic!("{}: no salt_hex", self.id()))
    }

    fn expect(&self) -> &str {
        self.text("expect").unwrap_or_default()
    }

    fn param(&self, key: &str) -> Option<u64> {
        self.0["params"][key].as_u64()
    }

    fn param_u32(&self, key: &str) -> u32 {
        let v = self
            .param(key)
            .unwrap_or_else(|| panic!("{}: no params.{key}", self.id()));
        u32::try_from(v)
            .unwrap_or_else(|_| panic!("{}: params.{key} = {v} does not fit u32", self.id()))
    }
}

fn rows(jsonl: &str) -> Vec<Row> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(
            |l| Row(serde_json::from_str(l).unwrap_or_else(|e| panic!("bad vector line {l}: {e}"))),
        )
        .collect()
}

/// A result with the error reduced to its stable code, for `assert_eq!`.
fn code<T: Debug>(r: offthread_core::Result<T>) -> Result<T, &'static str> {
    r.map_err(|e| e.code())
}

/// `password::verify` with default options and a fresh task.
fn verify(hash: &str, password: &[u8]) -> Result<bool, &'static str> {
    verify_with(hash, password, &VerifyOptions::default())
}

fn verify_with(hash: &str, password: &[u8], options: &VerifyOptions) -> Result<bool, &'static str> {
    code(password::verify(hash, password, options, &TaskState::new()))
}

/// A password that differs from `pw` in a byte every rule uses (the first one), or "x" for "".
fn wrong(pw: &[u8]) -> Vec<u8> {
    let mut w = pw.to_vec();
    match w.first_mut() {
        Some(b) => *b ^= 1,
        None => w.push(b'x'),
    }
    w
}

fn hash_options(params: Params) -> HashOptions {
    HashOptions {
        params,
        ..HashOptions::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Argon2
// ---------------------------------------------------------------------------------------------

fn argon2_rows() -> Vec<Row> {
    let mut all = rows(ARGON2_KATS);
    all.extend(rows(ARGON2_TESTC));
    all
}

fn is_heavy(row: &Row) -> bool {
    row.param("m_kib").is_some_and(|m| m > ARGON2_LIGHT_MAX_KIB)
}

fn variant(row: &Row) -> Variant {
    match row.text("alg") {
        Some("argon2d") => Variant::Argon2d,
        Some("argon2i") => Variant::Argon2i,
        Some("argon2id") => Variant::Argon2id,
        other => panic!("{}: not an argon2 row: {other:?}", row.id()),
    }
}

/// The row's pepper and associated data (the RFC 9106 KATs have both; test.c rows neither).
fn secrets(row: &Row) -> Secrets {
    Secrets {
        secret: row.hex("secret_hex"),
        associated_data: row.hex("ad_hex"),
    }
}

/// `argon2::raw` on the row's inputs, with a `taglen`-byte output (32, test.c's `OUT_LEN`, when
/// the row has none).
fn argon2_raw(row: &Row) -> offthread_core::Result<Vec<u8>> {
    let taglen = row
        .param("taglen")
        .map_or(32, |n| usize::try_from(n).expect("taglen fits usize"));
    let mut out = vec![0u8; taglen];
    argon2::raw(
        variant(row),
        row.param_u32("version"),
        row.param_u32("m_kib"),
        row.param_u32("t"),
        row.param_u32("p"),
        &row.password(),
        &row.salt(),
        &secrets(row),
        &mut out,
        &TaskState::new(),
    )?;
    Ok(out)
}

fn check_argon2_tag(row: &Row) {
    let tag = argon2_raw(row).unwrap_or_else(|e| panic!("{}: {e}", row.id()));
    assert_eq!(
        hex::encode(tag),
        row.text("expected_hex").expect("expected_hex"),
        "{}",
        row.id()
    );
}

fn check_argon2_phc(row: &Row, phc: &str, options: &VerifyOptions) {
    let pw = row.password();
    assert_eq!(
        verify_with(phc, &pw, options),
        Ok(true),
        "{}: {phc}",
        row.id()
    );
    assert_eq!(
        verify_with(phc, &wrong(&pw), options),
        Ok(false),
        "{}: wrong password",
        row.id()
    );
}

/// The KATs' PHC string, which the corpus does not give (the reference encodes neither the
/// pepper nor, for v0x10, a `$v=` field): associated data in `data=`, the secret passed apart.
fn kat_phc(row: &Row, tag: &[u8]) -> String {
    let version = match row.param_u32("version") {
        0x13 => "$v=19",
        _ => "",
    };
    format!(
        "${}{version}$m={},t={},p={},data={}${}${}",
        variant(row).name(),
        row.param_u32("m_kib"),
        row.param_u32("t"),
        row.param_u32("p"),
        phc::encode(&row.hex("ad_hex").expect("ad_hex")),
        phc::encode(&row.salt()),
        phc::encode(tag)
    )
}

#[test]
fn argon2_raw_tags_match() {
    // Every `match` row up to 64 MiB: the six RFC 9106 / PHC KATs (d, i, id; v0x13 and v0x10,
    // with secret and associated data) and test.c's hashtest() cases.
    let light: Vec<Row> = argon2_rows()
        .into_iter()
        .filter(|r| r.expect() == "match" && !is_heavy(r))
        .collect();
    for row in &light {
        check_argon2_tag(row);
    }
    assert_eq!(light.len(), 27, "argon2 light match rows");
}

#[test]
fn argon2_reference_phc_strings_verify() {
    let with_phc: Vec<Row> = argon2_rows()
        .into_iter()
        .filter(|r| r.expect() == "match" && !is_heavy(r) && r.text("expected_phc").is_some())
        .collect();
    for row in &with_phc {
        check_argon2_phc(
            row,
            row.text("expected_phc").expect("filtered"),
            &VerifyOptions::default(),
        );
    }
    assert_eq!(with_phc.len(), 21, "argon2 rows with a PHC string");
}

#[test]
fn argon2_v19_hash_reproduces_reference_phc() {
    // argon2::hash writes v=19 strings; given test.c's salt it must reproduce them exactly.
    let mut n = 0;
    for row in argon2_rows() {
        let Some(expected) = row.text("expected_phc") else {
            continue;
        };
        if is_heavy(&row) || row.param_u32("version") != 0x13 {
            continue;
        }
        let params = argon2::Params {
            variant: variant(&row),
            memory_cost: row.param_u32("m_kib"),
            time_cost: row.param_u32("t"),
            parallelism: row.param_u32("p"),
            hash_length: row.param_u32("taglen"),
            salt_length: u32::try_from(row.salt().len()).expect("salt length"),
        };
        let got = argon2::hash(
            &row.password(),
            &params,
            &row.salt(),
            &Secrets::default(),
            &TaskState::new(),
        );
        assert_eq!(code(got).as_deref(), Ok(expected), "{}", row.id());
        n += 1;
    }
    assert_eq!(n, 14, "argon2 v19 PHC rows");
}

#[test]
fn argon2_kats_verify_with_secret_and_data() {
    for row in rows(ARGON2_KATS) {
        let tag = row.hex("expected_hex").expect("expected_hex");
        let phc = kat_phc(&row, &tag);
        let keyed = VerifyOptions {
            secrets: Secrets {
                secret: row.hex("secret_hex"),
                associated_data: None,
            },
            ..VerifyOptions::default()
        };
        // The associated data comes from `data=`; the secret only from the options.
        check_argon2_phc(&row, &phc, &keyed);
        assert_eq!(
            verify(&phc, &row.password()),
            Ok(false),
            "{}: without the secret",
            row.id()
        );
        // Associated data given in the options takes precedence over `data=`.
        let other_ad = VerifyOptions {
            secrets: Secrets {
                secret: row.hex("secret_hex"),
                associated_data: Some(b"other".to_vec()),
            },
            ..VerifyOptions::default()
        };
        assert_eq!(
            verify_with(&phc, &row.password(), &other_ad),
            Ok(false),
            "{}: other AD",
            row.id()
        );
    }
}

#[test]
fn argon2_negative_rows() {
    let (mut strings, mut raw_calls) = (0, 0);
    for row in argon2_rows()
        .into_iter()
        .filter(|r| matches!(r.expect(), "error" | "mismatch"))
    {
        if let Some(encoded) = row.text("encoded") {
            // argon2_verify() cases: a wrong password is a mismatch, everything else a bad string.
            let want = if row.expect() == "mismatch" {
                Ok(false)
            } else {
                Err("ERR_INVALID_HASH")
            };
            assert_eq!(
                verify(encoded, &row.password()),
                want,
                "{}: {encoded}",
                row.id()
            );
            strings += 1;
        } else if row.text("expected_error") == Some("ARGON2_PWD_PTR_MISMATCH") {
            // A NULL password pointer with a non-zero length cannot be expressed with a slice:
            // nothing to test.
        } else {
            // argon2_hash() parameter errors: m = 1 KiB, a 1-byte salt.
            assert_eq!(
                code(argon2_raw(&row)),
                Err("ERR_OUT_OF_RANGE"),
                "{}",
                row.id()
            );
            raw_calls += 1;
        }
    }
    assert_eq!((strings, raw_calls), (8, 2));
}

#[test]
fn argon2_over_limits_is_invalid_hash() {
    // test.c's 1 GiB strings (m=1048576) exceed the default 256 MiB ceiling: refused unrun.
    let mut n = 0;
    for row in argon2_rows() {
        if row.param("m_kib") == Some(1 << 20) {
            let phc = row.text("expected_phc").expect("expected_phc");
            assert_eq!(
                verify(phc, &row.password()),
                Err("ERR_INVALID_HASH"),
                "{}",
                row.id()
            );
            n += 1;
        }
    }
    assert_eq!(n, 2);
    // So is a time cost over the default ceiling of 32.
    let t33 =
        "$argon2id$v=19$m=64,t=33,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    assert_eq!(verify(t33, b"password"), Err("ERR_INVALID_HASH"));
}

// ---------------------------------------------------------------------------------------------
// bcrypt
// ---------------------------------------------------------------------------------------------

fn bcrypt_rows() -> Vec<Row> {
    let mut all = rows(BCRYPT_OPENWALL);
    all.extend(rows(BCRYPT_PYCA));
    all.extend(rows(BCRYPT_NODE));
    all
}

fn bcrypt_variant(row: &Row) -> &str {
    row.0["params"]["variant"].as_str().unwrap_or_default()
}

/// `match` rows of the variants we support ($2x$ is refused, see `bcrypt_2x_is_refused`).
fn bcrypt_match_rows() -> Vec<Row> {
    bcrypt_rows()
        .into_iter()
        .filter(|r| r.expect() == "match" && matches!(bcrypt_variant(r), "2a" | "2b" | "2y"))
        .collect()
}

/// `crypt_blowfish`'s `$2a$` countermeasure rows: we follow OpenBSD / pyca instead.
const COUNTERMEASURE_ROWS: [&str; 2] = ["openwall-L295", "openwall-L313"];

/// The OpenBSD answer a countermeasure row records in `crosscheck` ("… returns $2a$…").
fn crosscheck_mcf(row: &Row) -> &str {
    let cc = row.text("crosscheck").expect("crosscheck");
    let mcf = cc.rsplit(' ').next().expect("non-empty");
    assert!(
        mcf.starts_with("$2a$") && mcf.len() == 60,
        "{}: crosscheck {cc}",
        row.id()
    );
    mcf
}

/// The 60-character hash a `match` row must verify: the setting when it is a full hash,
/// otherwise `expected_mcf` (the OpenBSD value for the countermeasure rows).
fn bcrypt_expected(row: &Row) -> &str {
    if COUNTERMEASURE_ROWS.contains(&row.id()) {
        return crosscheck_mcf(row);
    }
    match row.text("setting") {
        Some(s) if s.len() == 60 => s,
        _ => row.text("expected_mcf").expect("expected_mcf"),
    }
}

/// pyca/bcrypt's `test_2a_wraparound_bug` row: its expected hash is the 72-byte-truncation
/// answer (no wrap), unlike node.bcrypt.js's wrap-around rows; `$2a$` verification accepts both
/// forms, see `bcrypt_2a_wraparound_follows_node_bcrypt`.
const PYCA_NO_WRAP_ROW: &str = "pyca-2a-wraparound-L493";

/// True for `$2a$` rows whose password length wraps OpenBSD's 8-bit counter (>= 255 bytes).
fn is_2a_wraparound(row: &Row) -> bool {
    bcrypt_variant(row) == "2a" && row.password().len() >= 255
}

/// The key OpenBSD's `$2b$` rule gives: the password, its NUL, at most 72 bytes in all.
fn key_2b(pw: &[u8]) -> Vec<u8> {
    let mut key = pw.to_vec();
    key.push(0);
    key.truncate(bcrypt::MAX_PASSWORD);
    key
}

#[test]
fn bcrypt_match_rows_verify() {
    let rows = bcrypt_match_rows();
    for row in &rows {
        let (mcf, pw) = (bcrypt_expected(row), row.password());
        assert_eq!(verify(mcf, &pw), Ok(true), "{}: {mcf}", row.id());
        assert_eq!(
            verify(mcf, &wrong(&pw)),
            Ok(false),
            "{}: wrong password",
            row.id()
        );
    }
    let count = |prefix: &str| rows.iter().filter(|r| r.id().starts_with(prefix)).count();
    assert_eq!(
        (count("openwall-"), count("pyca"), count("node-bcrypt-")),
        (20, 31, 24)
    );
}

#[test]
fn bcrypt_raw_and_hash_reproduce_vectors() {
    // Salt decoding, key setup and output encoding, below verify: for every row on the $2b$
    // key rule (all but the $2a$ wrap-around rows, which `bcrypt_match_rows_verify` covers).
    let mut n = 0;
    for row in bcrypt_match_rows()
        .into_iter()
        .filter(|r| !is_2a_wraparound(r))
    {
        let expected = bcrypt_expected(&row);
        // The salt as the row's setting spells it (maybe with a non-canonical last character).
        let setting = row.text("setting").unwrap_or(expected);
        let parsed = bcrypt::parse(&format!("{}{}", &setting[..29], &expected[29..]))
            .unwrap_or_else(|e| panic!("{}: {e}", row.id()));
        assert_eq!(parsed.cost, row.param_u32("cost"), "{}", row.id());
        let task = TaskState::new();
        let pw = row.password();
        let out = bcrypt::raw(parsed.cost, &parsed.salt, &key_2b(&pw), &task);
        assert_eq!(
            code(out).map(|o| bcrypt::encode64(&o)).as_deref(),
            Ok(&expected[29..]),
            "{}",
            row.id()
        );
        // hash() writes $2b$ and the canonical salt; it refuses NUL bytes (checked elsewhere).
        if !pw.contains(&0) {
            let hashed = bcrypt::hash(&pw, parsed.cost, true, &parsed.salt, &task);
            assert_eq!(
                code(hashed),
                Ok(format!("$2b${}", &expected[4..])),
                "{}",
                row.id()
            );
        }
        n += 1;
    }
    assert_eq!(n, 72);
}

#[test]
fn bcrypt_countermeasure_rows_follow_openbsd() {
    for row in bcrypt_rows()
        .into_iter()
        .filter(|r| COUNTERMEASURE_ROWS.contains(&r.id()))
    {
        let pw = row.password();
        assert_eq!(verify(crosscheck_mcf(&row), &pw), Ok(true), "{}", row.id());
        // crypt_blowfish's countermeasure answer is not ours.
        let blowfish = row.text("expected_mcf").expect("expected_mcf");
        assert_eq!(verify(blowfish, &pw), Ok(false), "{}", row.id());
        // The OpenBSD $2a$ answer is the $2b$ one.
        let b = format!("$2b${}", &crosscheck_mcf(&row)[4..]);
        assert_eq!(verify(&b, &pw), Ok(true), "{}", row.id());
    }
}

#[test]
fn bcrypt_2a_wraparound_follows_node_bcrypt() {
    // OpenBSD's old $2a$ stores (length + 1) in 8 bits: a 255-byte password gives a zero-length
    // key (its first byte, repeated), so node.bcrypt.js expects it to hash like 72 × '0'.
    let node = rows(BCRYPT_NODE);
    let find = |id: &str| {
        node.iter()
            .find(|r| r.id() == id)
            .unwrap_or_else(|| panic!("no row {id}"))
    };
    let zeros = find("node-bcrypt-L15");
    for id in ["node-bcrypt-L21", "node-bcrypt-L22"] {
        let row = find(id);
        assert!(is_2a_wraparound(row));
        assert_eq!(row.text("expected_mcf"), zeros.text("expected_mcf"), "{id}");
        assert_eq!(
            verify(bcrypt_expected(zeros), &row.password()),
            Ok(true),
            "{id}"
        );
    }
    // Under $2b$ the same 255/256-byte passwords are truncated to 72 bytes instead, and `$2a$`
    // verification accepts that no-wrap form too (pyca/bcrypt and bcrypt.js write it).
    for id in ["node-bcrypt-L25", "node-bcrypt-L26"] {
        let row = find(id);
        let as_2a = format!(
            "$2a${}",
            &row.text("expected_mcf").expect("expected_mcf")[4..]
        );
        assert_eq!(verify(&as_2a, &row.password()), Ok(true), "{id} under $2a$");
    }
    // pyca/bcrypt (>= 4, on the Rust `bcrypt` crate) does not wrap: its 255-byte $2a$ row is
    // the $2b$ answer, which verifies under $2a$ (no-wrap form) and as $2b$.
    let pyca = rows(BCRYPT_PYCA)
        .into_iter()
        .find(|r| r.id() == PYCA_NO_WRAP_ROW)
        .expect("pyca row");
    assert!(is_2a_wraparound(&pyca));
    let pw = pyca.password();
    let mcf = pyca.text("expected_mcf").expect("expected_mcf");
    assert_eq!(
        verify(mcf, &pw),
        Ok(true),
        "{PYCA_NO_WRAP_ROW} under $2a$ (no-wrap form)"
    );
    let mut other = pw.clone();
    other[10] ^= 1;
    assert_eq!(
        verify(mcf, &other),
        Ok(false),
        "{PYCA_NO_WRAP_ROW}: another password"
    );
    let as_2b = format!("$2b${}", &mcf[4..]);
    assert_eq!(verify(&as_2b, &pw), Ok(true), "{PYCA_NO_WRAP_ROW} as $2b$");
    // Nor is pyca's value the wrapped answer (the first byte over and over).
    assert_eq!(
        verify(&as_2b, &[pw[0]; 72]),
        Ok(false),
        "{PYCA_NO_WRAP_ROW}"
    );
}

/// `$2x$` rows whose key the sign-extension bug leaves unchanged: `ff ff a3`, `ff a3 33 34 ff ff
/// ff a3 33 34 35` and `a3 61 62` (with the NUL, every 0x80+ byte is first in its word or
/// follows 0xff bytes).
const BENIGN_2X_ROWS: [&str; 3] = ["openwall-L291", "openwall-L309", "openwall-L321"];

#[test]
fn bcrypt_2x_rows_verify() {
    // crypt_blowfish's $2x$ (its pre-2011 sign-extension bug, the label PHP and others gave
    // hashes made by it): verified, with the bug, so such hashes can be migrated.
    let rows: Vec<Row> = bcrypt_rows()
        .into_iter()
        .filter(|r| bcrypt_variant(r) == "2x")
        .collect();
    for row in &rows {
        let (mcf, pw) = (
            row.text("expected_mcf").expect("expected_mcf"),
            row.password(),
        );
        assert_eq!(verify(mcf, &pw), Ok(true), "{}: {mcf}", row.id());
        assert_eq!(verify(mcf, b"x"), Ok(false), "{}: wrong password", row.id());
        // Flipping the last byte changes the key under the bug too (the bug wipes the bytes
        // *before* an 8-bit byte, so flipping the first one may not: see L289 and L291).
        let mut other = pw.clone();
        *other.last_mut().expect("non-empty") ^= 1;
        assert_eq!(verify(mcf, &other), Ok(false), "{}: last byte", row.id());
        // OpenBSD's answer ($2b$) differs unless every 8-bit byte of the key stream sits first
        // in its 32-bit word or after 0xff bytes, where sign extension changes nothing.
        let fixed = format!("$2b${}", &mcf[4..]);
        let benign = BENIGN_2X_ROWS.contains(&row.id());
        assert_eq!(verify(&fixed, &pw), Ok(benign), "{}: as $2b$", row.id());
        assert_eq!(
            code(password::needs_rehash(mcf, &Params::Bcrypt { cost: 5 })),
            Ok(true),
            "{}: $2x$ always asks for a re-hash",
            row.id()
        );
    }
    assert_eq!(rows.len(), 8);
}

#[test]
fn bcrypt_prefixes_share_the_answer_for_7_bit_passwords() {
    // For passwords of 7-bit bytes under 72 bytes, $2a$, $2b$, $2x$ and $2y$ derive the same key:
    // a hash verifies under each label, and a wrong password under none.
    let mut n = 0;
    for row in bcrypt_match_rows() {
        let pw = row.password();
        if pw.len() >= bcrypt::MAX_PASSWORD || pw.iter().any(|&b| b >= 0x80 || b == 0) {
            continue;
        }
        let mcf = bcrypt_expected(&row);
        for prefix in ["$2a$", "$2b$", "$2x$", "$2y$"] {
            let relabelled = format!("{prefix}{}", &mcf[4..]);
            assert_eq!(
                verify(&relabelled, &pw),
                Ok(true),
                "{}: {relabelled}",
                row.id()
            );
            assert_eq!(
                verify(&relabelled, &wrong(&pw)),
                Ok(false),
                "{}: {relabelled} wrong password",
                row.id()
            );
        }
        n += 1;
        if n == 6 {
            break;
        }
    }
    assert_eq!(n, 6);
    // Cost is two digits from 04 to 31 under every prefix (OpenBSD and crypt_blowfish).
    let mcf = bcrypt_expected(&bcrypt_match_rows()[0]).to_owned();
    for cost in ["03", "32", "99", "4$"] {
        let bad = format!("{}{cost}{}", &mcf[..4], &mcf[6..]);
        assert_eq!(verify(&bad, b"x"), Err("ERR_INVALID_HASH"), "{bad}");
    }
}

#[test]
fn bcrypt_invalid_settings_are_invalid_hash() {
    let mut n = 0;
    for row in bcrypt_rows().into_iter().filter(|r| r.expect() == "error") {
        let s = row
            .text("encoded")
            .or_else(|| row.text("setting"))
            .expect("encoded or setting");
        assert_eq!(
            verify(s, &row.password()),
            Err("ERR_INVALID_HASH"),
            "{}: {s}",
            row.id()
        );
        // A bare 29-character setting is refused for its length alone; completed with a
        // well-formed hash part it must still be refused for its variant or cost.
        if s.len() == 29 {
            let full = format!("{s}{}", ".".repeat(31));
            assert_eq!(
                verify(&full, &row.password()),
                Err("ERR_INVALID_HASH"),
                "{}: {full}",
                row.id()
            );
        }
        n += 1;
    }
    assert_eq!(n, 11);
}

#[test]
fn bcrypt_mismatch_and_verify_only_rows() {
    for row in bcrypt_rows()
        .into_iter()
        .filter(|r| r.expect() == "mismatch")
    {
        assert_eq!(
            verify(row.text("encoded").expect("encoded"), &row.password()),
            Ok(false),
            "{}",
            row.id()
        );
    }
    // node.bcrypt.js's compareSync(pw, ':') is false; our verify reports the unparsable hash.
    assert_eq!(verify(":", b"envy1362987212538"), Err("ERR_INVALID_HASH"));
}

#[test]
fn bcrypt_long_password_policy() {
    // pyca/bcrypt 5 refuses 73 bytes; so does our hash, unless truncate is set.
    let row = rows(BCRYPT_PYCA)
        .into_iter()
        .find(|r| r.expect() == "policy")
        .expect("policy row");
    let pw = row.password();
    assert_eq!(pw.len(), 73);
    let salt = bcrypt::parse(&format!(
        "{}{}",
        row.text("setting").expect("setting"),
        ".".repeat(31)
    ))
    .expect("valid setting")
    .salt;
    let task = TaskState::new();
    assert_eq!(
        code(bcrypt::hash(&pw, 4, false, &salt, &task)),
        Err("ERR_PASSWORD_TOO_LONG")
    );
    let truncated = code(bcrypt::hash(&pw, 4, true, &salt, &task)).expect("truncate: true");
    assert_eq!(
        code(bcrypt::hash(&pw[..72], 4, false, &salt, &task)).as_ref(),
        Ok(&truncated)
    );
    assert_eq!(
        verify(&truncated, &pw),
        Ok(true),
        "verify uses the first 72 bytes"
    );
    let opts = hash_options(Params::Bcrypt { cost: 4 });
    assert_eq!(
        code(password::hash(&pw, &opts, &task)),
        Err("ERR_PASSWORD_TOO_LONG")
    );
    let opts = HashOptions {
        truncate: true,
        ..opts
    };
    let hashed = code(password::hash(&pw, &opts, &task)).expect("truncate: true");
    assert_eq!(verify(&hashed, &pw[..72]), Ok(true));
}

#[test]
fn bcrypt_hash_refuses_nul() {
    let task = TaskState::new();
    let pw = b"Passw\0rd123";
    assert_eq!(
        code(bcrypt::hash(pw, 4, false, &[0; 16], &task)),
        Err("ERR_INVALID_ARG_VALUE")
    );
    let opts = hash_options(Params::Bcrypt { cost: 4 });
    assert_eq!(
        code(password::hash(pw, &opts, &task)),
        Err("ERR_INVALID_ARG_VALUE")
    );
}

#[test]
fn bcrypt_cost_over_limit_is_invalid_hash() {
    let node = rows(BCRYPT_NODE);
    let mcf = node[0].text("expected_mcf").expect("expected_mcf");
    assert!(mcf.starts_with("$2a$05$"));
    let cost21 = format!("$2a$21${}", &mcf[7..]);
    assert_eq!(
        verify(&cost21, &node[0].password()),
        Err("ERR_INVALID_HASH")
    );
    let cost20 = format!("$2a$20${}", &mcf[7..]);
    let low = VerifyOptions {
        limits: Limits {
            max_bcrypt_cost: 19,
            ..Limits::DEFAULT
        },
        ..VerifyOptions::default()
    };
    assert_eq!(
        verify_with(&cost20, &node[0].password(), &low),
        Err("ERR_INVALID_HASH")
    );
}

#[test]
fn cancelling_a_running_task_aborts_raw() {
    let salt = [0x5a; 16];
    // Cancelled after it started: the first checkpoint reports it.
    let task = TaskState::new();
    assert!(task.start());
    assert_eq!(task.cancel(), CancelOutcome::WasRunning);
    assert_eq!(
        code(bcrypt::raw(4, &salt, b"pw\0", &task)),
        Err("ABORT_ERR")
    );
    assert!(task.finish(), "the cancel request is reported at finish");

    // Cancelled from another thread in the middle of the cost loop (2^16 rounds: far longer
    // than the 100 ms before the cancel, even in release builds).
    let task = Arc::new(TaskState::new());
    assert!(task.start());
    let worker = {
        let task = Arc::clone(&task);
        thread::spawn(move || bcrypt::raw(16, &salt, b"pw\0", &task))
    };
    thread::sleep(Duration::from_millis(100));
    assert_eq!(task.cancel(), CancelOutcome::WasRunning);
    assert_eq!(
        code(worker.join().expect("worker panicked")),
        Err("ABORT_ERR")
    );

    // argon2::raw checks between slices: a cancelled task stops before the first one.
    let task = TaskState::new();
    assert!(task.start());
    assert_eq!(task.cancel(), CancelOutcome::WasRunning);
    let mut out = [0u8; 32];
    let secrets = Secrets::default();
    let raw = argon2::raw(
        Variant::Argon2id,
        0x13,
        64,
        1,
        1,
        b"pw",
        b"somesalt",
        &secrets,
        &mut out,
        &task,
    );
    assert_eq!(code(raw), Err("ABORT_ERR"));
}

// ---------------------------------------------------------------------------------------------
// scrypt (RFC 7914 section 12; the corpus has no scrypt file)
// ---------------------------------------------------------------------------------------------

/// The row as a `$scrypt$` PHC string.
fn scrypt_phc(row: &Row) -> String {
    format!(
        "$scrypt$ln={},r={},p={}${}${}",
        row.param_u32("log2N"),
        row.param_u32("r"),
        row.param_u32("p"),
        phc::encode(&row.salt()),
        phc::encode(&row.hex("expected_hex").expect("expected_hex"))
    )
}

fn scrypt_memory(row: &Row) -> u64 {
    128 * u64::from(row.param_u32("r")) * u64::from(row.param_u32("N"))
}

#[test]
fn scrypt_rfc7914_vectors() {
    let mut verified = 0;
    for row in rows(SCRYPT_RFC7914) {
        let (phc, pw) = (scrypt_phc(&row), row.password());
        // Vectors 1 ("" salt) and 2 ("NaCl", 4 bytes, p = 16) are under the salt minimum `hash`
        // makes with, but a stored hash may carry any salt RFC 7914 allows: they verify.
        if scrypt_memory(&row) > Limits::DEFAULT.max_memory {
            // Vector 4 (N = 2^20, 1 GiB) is over the default ceiling; `heavy_vectors` runs it.
            assert_eq!(
                verify(&phc, &pw),
                Err("ERR_INVALID_HASH"),
                "{}: {phc}",
                row.id()
            );
        } else {
            assert_eq!(verify(&phc, &pw), Ok(true), "{}: {phc}", row.id());
            assert_eq!(
                verify(&phc, &wrong(&pw)),
                Ok(false),
                "{}: wrong password",
                row.id()
            );
            verified += 1;
        }
    }
    assert_eq!(verified, 3);
}

#[test]
fn scrypt_p_ceiling() {
    // `hash` makes p <= 16; a stored hash may carry any p up to maxTimeCost (default 32).
    let base = "$scrypt$ln=4,r=8,p=P$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    assert_eq!(verify(&base.replace("p=P", "p=17"), b"password"), Ok(false));
    assert_eq!(verify(&base.replace("p=P", "p=32"), b"password"), Ok(false));
    assert_eq!(
        verify(&base.replace("p=P", "p=33"), b"password"),
        Err("ERR_INVALID_HASH")
    );
    let low = VerifyOptions {
        limits: Limits {
            max_time_cost: 16,
            ..Limits::DEFAULT
        },
        ..VerifyOptions::default()
    };
    assert_eq!(
        verify_with(&base.replace("p=P", "p=17"), b"password", &low),
        Err("ERR_INVALID_HASH")
    );
    let params = scrypt::Params {
        p: 17,
        ..SMALL_SCRYPT
    };
    assert_eq!(
        code(password::hash(
            b"pw",
            &hash_options(Params::Scrypt(params)),
            &TaskState::new()
        )),
        Err("ERR_OUT_OF_RANGE"),
        "hash still makes p <= 16"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips, needs_rehash and limits
// ---------------------------------------------------------------------------------------------

const SMALL_ARGON2: argon2::Params = argon2::Params {
    memory_cost: 64,
    time_cost: 1,
    parallelism: 1,
    ..argon2::Params::DEFAULT
};
const SMALL_SCRYPT: scrypt::Params = scrypt::Params {
    log_n: 4,
    ..scrypt::Params::DEFAULT
};

/// Hashes `pw` with `params`, checks the string's prefix, and that it verifies.
fn round_trip(params: Params, prefix: &str) -> String {
    let pw = b"correct horse battery staple";
    let hashed = code(password::hash(pw, &hash_options(params), &TaskState::new())).expect("hash");
    assert!(hashed.starts_with(prefix), "{hashed}");
    assert_eq!(verify(&hashed, pw), Ok(true), "{hashed}");
    assert_eq!(verify(&hashed, &wrong(pw)), Ok(false), "{hashed}");
    hashed
}

#[test]
fn round_trips_and_needs_rehash() {
    let b = round_trip(Params::Bcrypt { cost: 4 }, "$2b$04$");
    assert_eq!(b.len(), 60);
    let a = round_trip(Params::Argon2(SMALL_ARGON2), "$argon2id$v=19$m=64,t=1,p=1$");
    let s = round_trip(Params::Scrypt(SMALL_SCRYPT), "$scrypt$ln=4,r=8,p=1$");

    let rehash = |h: &str, p: Params| code(password::needs_rehash(h, &p));
    assert_eq!(rehash(&b, Params::Bcrypt { cost: 4 }), Ok(false));
    assert_eq!(rehash(&b, Params::Bcrypt { cost: 5 }), Ok(true));
    assert_eq!(rehash(&b, Params::Argon2(SMALL_ARGON2)), Ok(true));
    assert_eq!(rehash(&a, Params::Argon2(SMALL_ARGON2)), Ok(false));
    assert_eq!(
        rehash(
            &a,
            Params::Argon2(argon2::Params {
                memory_cost: 128,
                ..SMALL_ARGON2
            })
        ),
        Ok(true)
    );
    assert_eq!(
        rehash(
            &a,
            Params::Argon2(argon2::Params {
                variant: Variant::Argon2i,
                ..SMALL_ARGON2
            })
        ),
        Ok(true)
    );
    assert_eq!(rehash(&a, Params::Scrypt(SMALL_SCRYPT)), Ok(true));
    assert_eq!(rehash(&s, Params::Scrypt(SMALL_SCRYPT)), Ok(false));
    assert_eq!(
        rehash(
            &s,
            Params::Scrypt(scrypt::Params {
                log_n: 5,
                ..SMALL_SCRYPT
            })
        ),
        Ok(true)
    );
    assert_eq!(
        rehash(
            &s,
            Params::Scrypt(scrypt::Params {
                r: 4,
                ..SMALL_SCRYPT
            })
        ),
        Ok(true)
    );

    // Third-party strings: $2a$ always asks for a re-hash (to $2b$), and so does argon2 v0x10.
    let node = rows(BCRYPT_NODE);
    assert_eq!(
        rehash(
            node[0].text("expected_mcf").expect("mcf"),
            Params::Bcrypt { cost: 5 }
        ),
        Ok(true)
    );
    assert_eq!(
        rehash(&format!("$2b${}", &b[4..]), Params::Bcrypt { cost: 4 }),
        Ok(false)
    );
    let testc = rows(ARGON2_TESTC);
    let phc_of = |id: &str| {
        let row = testc
            .iter()
            .find(|r| r.id() == id)
            .unwrap_or_else(|| panic!("no row {id}"));
        row.text("expected_phc").expect("expected_phc").to_owned()
    };
    let i256 = Params::Argon2(argon2::Params {
        variant: Variant::Argon2i,
        memory_cost: 256,
        time_cost: 2,
        parallelism: 1,
        ..argon2::Params::DEFAULT
    });
    assert_eq!(
        rehash(&phc_of("phc-testc-L170"), i256),
        Ok(false),
        "v19, same parameters"
    );
    assert_eq!(
        rehash(&phc_of("phc-testc-L91"), i256),
        Ok(true),
        "v16, same parameters"
    );
}

#[test]
fn argon2_secret_round_trip() {
    let secrets = Secrets {
        secret: Some(b"pepper".to_vec()),
        associated_data: Some(b"user-42".to_vec()),
    };
    let opts = HashOptions {
        secrets: secrets.clone(),
        ..hash_options(Params::Argon2(SMALL_ARGON2))
    };
    let pw = b"hunter2";
    let hashed = code(password::hash(pw, &opts, &TaskState::new())).expect("hash");
    assert!(
        hashed.contains(&format!(",data={}$", phc::encode(b"user-42"))),
        "{hashed}"
    );
    let keyed = VerifyOptions {
        secrets: Secrets {
            associated_data: None,
            ..secrets
        },
        ..VerifyOptions::default()
    };
    assert_eq!(verify_with(&hashed, pw, &keyed), Ok(true));
    assert_eq!(verify(&hashed, pw), Ok(false), "without the secret");
    // Secrets are argon2's alone.
    let bcrypt_opts = HashOptions {
        secrets: opts.secrets,
        ..hash_options(Params::Bcrypt { cost: 4 })
    };
    assert_eq!(
        code(password::hash(pw, &bcrypt_opts, &TaskState::new())),
        Err("ERR_INVALID_ARG_VALUE")
    );
}

#[test]
fn password_length_ceiling() {
    let bcrypt_mcf = rows(BCRYPT_PYCA)[0]
        .text("expected_mcf")
        .expect("expected_mcf")
        .to_owned();
    let argon2_phc = rows(ARGON2_TESTC)[0]
        .text("expected_phc")
        .expect("expected_phc")
        .to_owned();
    let too_long = vec![b'a'; password::DEFAULT_MAX_PASSWORD_LENGTH + 1];
    for h in [&bcrypt_mcf, &argon2_phc] {
        assert_eq!(verify(h, &too_long), Err("ERR_PASSWORD_TOO_LONG"), "{h}");
    }
    assert_eq!(
        verify(&bcrypt_mcf, &too_long[1..]),
        Ok(false),
        "4096 bytes are allowed"
    );
    let opts = hash_options(Params::Argon2(SMALL_ARGON2));
    assert_eq!(
        code(password::hash(&too_long, &opts, &TaskState::new())),
        Err("ERR_PASSWORD_TOO_LONG")
    );
}

// ---------------------------------------------------------------------------------------------
// What a stored hash may carry (verify) against what `hash` makes
// ---------------------------------------------------------------------------------------------

/// RustCrypto's `argon2` (a dev-dependency, an implementation independent of our engine) on the
/// row's inputs.
fn rustcrypto_argon2(row: &Row) -> Vec<u8> {
    let alg = match variant(row) {
        Variant::Argon2d => ::argon2::Algorithm::Argon2d,
        Variant::Argon2i => ::argon2::Algorithm::Argon2i,
        Variant::Argon2id => ::argon2::Algorithm::Argon2id,
    };
    let taglen = row.param_u32("taglen") as usize;
    let params = ::argon2::Params::new(
        row.param_u32("m_kib"),
        row.param_u32("t"),
        row.param_u32("p"),
        Some(taglen),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", row.id()));
    let mut out = vec![0u8; taglen];
    ::argon2::Argon2::new(alg, ::argon2::Version::V0x13, params)
        .hash_password_into(&row.password(), &row.salt(), &mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", row.id()));
    out
}

#[test]
fn argon2_format_range_vectors_verify() {
    // Tags of 4, 8 and 12 bytes, a 100-byte salt and p = 300: all legal for the reference
    // implementation (which verified each row, see `crosscheck`), all outside what `hash`
    // makes or the PHC document suggests. Each verifies as the reference writes it (m,t,p)
    // and as node-argon2 writes it (m,p,t).
    let rows = rows(ARGON2_FORMAT_RANGE);
    for row in &rows {
        let tag = row.hex("expected_hex").expect("expected_hex");
        assert_eq!(tag.len(), row.param_u32("taglen") as usize, "{}", row.id());
        check_argon2_tag(row);
        assert_eq!(
            rustcrypto_argon2(row),
            tag,
            "{}: RustCrypto argon2",
            row.id()
        );
        let ordered = format!(
            "${}$v=19$m={},t={},p={}${}${}",
            variant(row).name(),
            row.param_u32("m_kib"),
            row.param_u32("t"),
            row.param_u32("p"),
            phc::encode(&row.salt()),
            phc::encode(&tag)
        );
        let given = row.text("expected_phc").expect("expected_phc");
        for phc in [ordered.as_str(), given] {
            check_argon2_phc(row, phc, &VerifyOptions::default());
        }
        // needs_rehash reads it too (and asks for a re-hash: the parameters differ).
        assert_eq!(
            code(password::needs_rehash(given, &Params::default())),
            Ok(true),
            "{}",
            row.id()
        );
    }
    assert_eq!(rows.len(), 5);
}

#[test]
fn argon2_stored_ranges() {
    // The reference implementation's own limits still hold on verify: a salt of 7 bytes, a
    // tag of 3, m under 8 KiB per lane, more than 2^24 - 1 lanes, t = 0.
    let salt7 = phc::encode(b"somesal");
    let salt8 = phc::encode(b"somesalt");
    let tag3 = phc::encode(&[1, 2, 3]);
    let tag4 = phc::encode(&[1, 2, 3, 4]);
    for bad in [
        format!("$argon2id$v=19$m=64,t=1,p=1${salt7}${tag4}"),
        format!("$argon2id$v=19$m=64,t=1,p=1$${tag4}"),
        format!("$argon2id$v=19$m=64,t=1,p=1${salt8}${tag3}"),
        format!("$argon2id$v=19$m=15,t=1,p=2${salt8}${tag4}"),
        format!("$argon2id$v=19$m=4294967295,t=1,p=16777216${salt8}${tag4}"),
        format!("$argon2id$v=19$m=64,t=0,p=1${salt8}${tag4}"),
    ] {
        assert_eq!(verify(&bad, b"password"), Err("ERR_INVALID_HASH"), "{bad}");
    }
    // Costs beyond what `hash` makes (t > 2^16, p > 255, m > 4 GiB) are the ceilings' business:
    // needs_rehash (no ceiling, computes nothing) reads them, verify refuses them unrun.
    for (costs, why) in [
        ("m=64,t=100000,p=1", "t over 2^16"),
        ("m=8192,t=1,p=1024", "p over 255"),
        ("m=8388608,t=1,p=1", "m of 8 GiB"),
    ] {
        let h = format!("$argon2id$v=19${costs}${salt8}${tag4}");
        assert_eq!(
            code(password::needs_rehash(&h, &Params::default())),
            Ok(true),
            "{why}"
        );
    }
    assert_eq!(
        verify(
            &format!("$argon2id$v=19$m=64,t=100000,p=1${salt8}${tag4}"),
            b"pw"
        ),
        Err("ERR_INVALID_HASH"),
        "t over maxTimeCost"
    );
    assert_eq!(
        verify(
            &format!("$argon2id$v=19$m=8388608,t=1,p=1${salt8}${tag4}"),
            b"pw"
        ),
        Err("ERR_INVALID_HASH"),
        "m over maxMemory"
    );
    // A p over 255 within the memory ceiling runs.
    assert_eq!(
        verify(
            &format!("$argon2id$v=19$m=8192,t=1,p=1024${salt8}${tag4}"),
            b"pw"
        ),
        Ok(false)
    );
}

#[test]
fn argon2_long_associated_data_verifies() {
    // `hash` takes at most 256 bytes of associated data; a stored hash made elsewhere with more
    // (in its `data=`, or given by the caller) still verifies.
    let ad = vec![0x5a; 300];
    let secrets = Secrets {
        secret: None,
        associated_data: Some(ad.clone()),
    };
    let salt = b"somesalt";
    let mut tag = [0u8; 32];
    argon2::raw(
        Variant::Argon2id,
        0x13,
        64,
        1,
        1,
        b"password",
        salt,
        &secrets,
        &mut tag,
        &TaskState::new(),
    )
    .expect("raw");
    let stored = format!(
        "$argon2id$v=19$m=64,t=1,p=1,data={}${}${}",
        phc::encode(&ad),
        phc::encode(salt),
        phc::encode(&tag)
    );
    assert_eq!(verify(&stored, b"password"), Ok(true));
    assert_eq!(verify(&stored, b"passwore"), Ok(false));
    let bare = format!(
        "$argon2id$v=19$m=64,t=1,p=1${}${}",
        phc::encode(salt),
        phc::encode(&tag)
    );
    let with_ad = VerifyOptions {
        secrets: secrets.clone(),
        ..VerifyOptions::default()
    };
    assert_eq!(verify_with(&bare, b"password", &with_ad), Ok(true));
    assert_eq!(verify(&bare, b"password"), Ok(false), "without the AD");
    // hash() keeps its limit.
    let opts = HashOptions {
        secrets,
        ..hash_options(Params::Argon2(SMALL_ARGON2))
    };
    assert_eq!(
        code(password::hash(b"password", &opts, &TaskState::new())),
        Err("ERR_OUT_OF_RANGE")
    );
}

/// RustCrypto's `scrypt` (a dev-dependency, independent of our ROMix).
fn rustcrypto_scrypt(log_n: u8, r: u32, p: u32, pw: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let params = ::scrypt::Params::new(log_n, r, p).expect("params");
    ::scrypt::scrypt(pw, salt, &params, &mut out).expect("scrypt");
    out
}

fn scrypt_string(log_n: u32, r: u32, p: u32, salt: &[u8], tag: &[u8]) -> String {
    format!(
        "$scrypt$ln={log_n},r={r},p={p}${}${}",
        phc::encode(salt),
        phc::encode(tag)
    )
}

#[test]
fn scrypt_stored_ranges_are_rfc_7914s() {
    let row = rows(SCRYPT_RFC7914)
        .into_iter()
        .find(|r| r.id() == "rfc7914-s12-2")
        .expect("vector 2");
    let (pw, salt) = (row.password(), row.salt());
    let dk = row.hex("expected_hex").expect("expected_hex");
    // The output is PBKDF2's, so a shorter dkLen is a prefix of the RFC's: dkLen 1, 4 and 15
    // (under the 16 bytes `hash` makes) verify.
    for len in [1, 4, 15] {
        let h = scrypt_string(10, 8, 16, &salt, &dk[..len]);
        assert_eq!(verify(&h, &pw), Ok(true), "{h}");
        assert_eq!(verify(&h, &wrong(&pw)), Ok(false), "{h}");
    }
    // r over 32 and p over 16 (beyond what `hash` makes), against RustCrypto's scrypt.
    for (log_n, r, p, salt) in [
        (4, 40, 1, &b"NaCl"[..]),
        (3, 8, 20, &b""[..]),
        (1, 1, 32, &b"x"[..]),
        (5, 64, 2, &[7u8; 100][..]),
    ] {
        let pw = b"pleaseletmein";
        let tag = rustcrypto_scrypt(u8::try_from(log_n).unwrap(), r, p, pw, salt, 32);
        let h = scrypt_string(log_n, r, p, salt, &tag);
        assert_eq!(verify(&h, pw), Ok(true), "{h}");
        assert_eq!(verify(&h, &wrong(pw)), Ok(false), "{h}");
    }
    // Still refused: what RFC 7914 forbids, what the engine cannot compute, and what the
    // ceilings exclude (V = 128·r·N and B = 128·r·p each within maxMemory, p within maxTimeCost).
    let tag = phc::encode(&dk[..16]);
    for (costs, why) in [
        ("ln=0,r=8,p=1", "N = 1"),
        ("ln=33,r=1,p=1", "N over 2^32"),
        ("ln=4,r=0,p=1", "r = 0"),
        ("ln=4,r=8,p=0", "p = 0"),
        ("ln=4,r=67108864,p=16", "r * p = 2^30"),
        ("ln=19,r=8,p=1", "V of 512 MiB"),
        ("ln=1,r=1048576,p=32", "B of 4 GiB"),
        ("ln=4,r=8,p=33", "p over maxTimeCost"),
    ] {
        let h = format!("$scrypt${costs}$TmFDbA${tag}");
        assert_eq!(verify(&h, &pw), Err("ERR_INVALID_HASH"), "{why}: {h}");
    }
    // And an empty output.
    assert_eq!(
        verify("$scrypt$ln=4,r=8,p=1$TmFDbA$", &pw),
        Err("ERR_INVALID_HASH")
    );
}

#[test]
fn hash_keeps_its_own_minimums() {
    // What `hash` makes is unchanged: salts of 8 bytes or more, scrypt outputs of 16 or more.
    let task = TaskState::new();
    let make = |params| code(password::hash(b"pw", &hash_options(params), &task));
    assert_eq!(
        make(Params::Scrypt(scrypt::Params {
            salt_length: 4,
            ..SMALL_SCRYPT
        })),
        Err("ERR_OUT_OF_RANGE")
    );
    assert_eq!(
        make(Params::Scrypt(scrypt::Params {
            hash_length: 15,
            ..SMALL_SCRYPT
        })),
        Err("ERR_OUT_OF_RANGE")
    );
    assert_eq!(
        make(Params::Scrypt(scrypt::Params {
            r: 33,
            ..SMALL_SCRYPT
        })),
        Err("ERR_OUT_OF_RANGE")
    );
    assert_eq!(
        make(Params::Argon2(argon2::Params {
            salt_length: 7,
            ..SMALL_ARGON2
        })),
        Err("ERR_OUT_OF_RANGE")
    );
    assert_eq!(
        make(Params::Argon2(argon2::Params {
            salt_length: 65,
            ..SMALL_ARGON2
        })),
        Err("ERR_OUT_OF_RANGE")
    );
    assert_eq!(
        make(Params::Argon2(argon2::Params {
            parallelism: 256,
            memory_cost: 8 * 256,
            ..SMALL_ARGON2
        })),
        Err("ERR_OUT_OF_RANGE")
    );
}

// ---------------------------------------------------------------------------------------------
// Heavy vectors (ignored by default: up to 1 GiB each)
// ---------------------------------------------------------------------------------------------

/// Run with `cargo test -p offthread-core --test kat -- --ignored` (about 15 s, 1 GiB of RAM).
#[test]
#[ignore = "needs up to 1 GiB of memory per hash"]
fn heavy_vectors() {
    let roomy = VerifyOptions {
        limits: Limits {
            max_memory: 1 << 30,
            ..Limits::DEFAULT
        },
        ..VerifyOptions::default()
    };
    for row in argon2_rows()
        .into_iter()
        .filter(|r| r.expect() == "match" && is_heavy(r))
    {
        check_argon2_tag(&row);
        let phc = row.text("expected_phc").expect("expected_phc");
        assert_eq!(
            verify_with(phc, &row.password(), &roomy),
            Ok(true),
            "{}",
            row.id()
        );
    }
    for row in rows(SCRYPT_RFC7914)
        .into_iter()
        .filter(|r| scrypt_memory(r) > Limits::DEFAULT.max_memory)
    {
        assert_eq!(
            verify_with(&scrypt_phc(&row), &row.password(), &roomy),
            Ok(true),
            "{}",
            row.id()
        );
    }
}
