//! The inherited password formats (issue 15) through `password::verify` and `needs_rehash`, on the
//! same fixtures as `__test__/password-formats.spec.js`: Django's, passlib's and glibc's own test
//! vectors, rows generated with those reference implementations, and malformed rows. The files live
//! in `__test__/fixtures/password-formats/` (its SOURCES.md names sources and licences); they are
//! compiled in, so this test reads nothing at run time.

use offthread_core::password::pbkdf2::{self, Digest};
use offthread_core::password::{self, Limits, Params, VerifyOptions};
use offthread_core::pool::{CancelOutcome, TaskState};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const DJANGO: &str = include_str!("../../../__test__/fixtures/password-formats/django-tests.json");
const PASSLIB: &str =
    include_str!("../../../__test__/fixtures/password-formats/passlib-tests.json");
const GLIBC: &str =
    include_str!("../../../__test__/fixtures/password-formats/glibc-sha-crypt.json");
const RUSTCRYPTO: &str =
    include_str!("../../../__test__/fixtures/password-formats/rustcrypto-pbkdf2.json");
const LIBXCRYPT: &str =
    include_str!("../../../__test__/fixtures/password-formats/libxcrypt-sha-crypt.json");
const GENERATED: &str = include_str!("../../../__test__/fixtures/password-formats/generated.json");
const MALFORMED: &str = include_str!("../../../__test__/fixtures/password-formats/malformed.json");

/// The formats offthread verifies but does not make: `needs_rehash` is true for each.
const INHERITED: [&str; 13] = [
    "passlib-pbkdf2-sha256",
    "passlib-pbkdf2-sha512",
    "passlib-pbkdf2-sha1",
    "django-pbkdf2_sha256",
    "django-pbkdf2_sha1",
    "django-argon2",
    "django-bcrypt",
    "django-bcrypt_sha256",
    "django-scrypt",
    "sha256-crypt",
    "sha512-crypt",
    "passlib-bcrypt-sha256-v1",
    "passlib-bcrypt-sha256-v2",
];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// One fixture row.
struct Row(Value);

impl Row {
    fn text(&self, key: &str) -> &str {
        self.0[key]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no {key}", self.0["id"]))
    }

    fn id(&self) -> &str {
        self.text("id")
    }

    fn hash(&self) -> &str {
        self.text("hash")
    }

    fn format(&self) -> &str {
        self.text("format")
    }

    fn valid(&self) -> bool {
        self.0["valid"]
            .as_bool()
            .unwrap_or_else(|| panic!("{}: no valid", self.id()))
    }

    /// `password` as UTF-8, or `password_hex` decoded.
    fn password(&self) -> Vec<u8> {
        match self.0["password"].as_str() {
            Some(p) => p.as_bytes().to_vec(),
            None => hex::decode(self.text("password_hex"))
                .unwrap_or_else(|e| panic!("{}: bad password_hex: {e}", self.id())),
        }
    }

    /// The row's verify options (JS names) applied to the defaults.
    fn options(&self) -> VerifyOptions {
        let mut o = VerifyOptions::default();
        if let Some(map) = self.0["options"].as_object() {
            for (key, value) in map {
                let n = value
                    .as_u64()
                    .unwrap_or_else(|| panic!("{}: {key}", self.id()));
                let n32 = u32::try_from(n).unwrap_or_else(|_| panic!("{}: {key}", self.id()));
                match key.as_str() {
                    "maxRounds" => o.limits.max_rounds = n32,
                    "maxIterations" => o.limits.max_iterations = n32,
                    "maxCost" => o.limits.max_bcrypt_cost = n32,
                    "maxTimeCost" => o.limits.max_time_cost = n32,
                    "maxMemory" => o.limits.max_memory = n,
                    other => panic!("{}: unknown option {other}", self.id()),
                }
            }
        }
        o
    }
}

fn rows(file: &str) -> Vec<Row> {
    let v: Value = serde_json::from_str(file).expect("fixture JSON");
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .cloned()
        .map(Row)
        .collect()
}

/// The first byte's low bit flipped, or "x" for the empty password (as the JS spec and generate.py).
fn wrong(pw: &[u8]) -> Vec<u8> {
    let mut w = pw.to_vec();
    match w.first_mut() {
        Some(b) => *b ^= 1,
        None => w.push(b'x'),
    }
    w
}

/// `password::verify` with the error reduced to its code.
fn verify(hash: &str, pw: &[u8], options: &VerifyOptions) -> Result<bool, &'static str> {
    password::verify(hash, pw, options, &TaskState::new()).map_err(|e| e.code())
}

/// Every row of `file`: valid rows verify and a wrong password does not; `valid: false` rows are
/// false. Collects every mismatch before failing, so one run lists them all.
fn check_file(file: &str, expected_rows: usize) {
    let rows = rows(file);
    assert_eq!(rows.len(), expected_rows);
    let mut wrong_answers = Vec::new();
    for r in &rows {
        let (pw, o) = (r.password(), r.options());
        let right = verify(r.hash(), &pw, &o);
        if r.valid() {
            let other = verify(r.hash(), &wrong(&pw), &o);
            if right != Ok(true) || other != Ok(false) {
                wrong_answers.push(format!(
                    "{} [{}]: right {right:?}, wrong {other:?}: {}",
                    r.id(),
                    r.format(),
                    r.hash()
                ));
            }
        } else if right != Ok(false) {
            wrong_answers.push(format!(
                "{} [{}]: {right:?}, the reference says false: {}",
                r.id(),
                r.format(),
                r.hash()
            ));
        }
    }
    assert!(
        wrong_answers.is_empty(),
        "{} of {} rows:\n{}",
        wrong_answers.len(),
        rows.len(),
        wrong_answers.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Known answers
// ---------------------------------------------------------------------------------------------

#[test]
fn django_test_suite_rows() {
    check_file(DJANGO, 27);
}

#[test]
fn passlib_test_suite_rows() {
    check_file(PASSLIB, 54);
}

#[test]
fn glibc_sha_crypt_rows() {
    check_file(GLIBC, 14);
}

#[test]
fn rustcrypto_pbkdf2_rows() {
    check_file(RUSTCRYPTO, 2);
}

#[test]
fn libxcrypt_sha_crypt_rows() {
    check_file(LIBXCRYPT, 34);
}

#[test]
fn generated_rows() {
    check_file(GENERATED, 54);
}

/// Every malformed row through `f`, which must answer `Err("ERR_INVALID_HASH")`; lists the others.
fn check_malformed(what: &str, f: impl Fn(&Row) -> Result<bool, &'static str>) {
    let rows = rows(MALFORMED);
    assert_eq!(rows.len(), 82);
    let mut accepted = Vec::new();
    for r in &rows {
        assert_eq!(r.text("error"), "ERR_INVALID_HASH");
        let got = f(r);
        if got != Err("ERR_INVALID_HASH") {
            accepted.push(format!(
                "{} ({}): {got:?}: {}",
                r.id(),
                r.text("note"),
                r.hash()
            ));
        }
    }
    assert!(
        accepted.is_empty(),
        "{what}: {} of {} malformed rows:\n{}",
        accepted.len(),
        rows.len(),
        accepted.join("\n")
    );
}

#[test]
fn malformed_rows_are_invalid_hash() {
    check_malformed("verify", |r| {
        verify(r.hash(), &r.password(), &VerifyOptions::default())
    });
}

/// As for any other garbage, `needs_rehash` refuses a malformed hash rather than asking for a rehash.
#[test]
fn needs_rehash_refuses_malformed_rows() {
    check_malformed("needs_rehash", |r| {
        password::needs_rehash(r.hash(), &Params::default()).map_err(|e| e.code())
    });
}

// ---------------------------------------------------------------------------------------------
// Ceilings
// ---------------------------------------------------------------------------------------------

/// Runs `verify` with a watchdog that cancels the task after 5 s, so an implementation that
/// starts computing a huge hash fails here in seconds instead of burning a core for minutes.
fn verify_watched(hash: &str, options: &VerifyOptions) -> (Result<bool, &'static str>, Duration) {
    let task = Arc::new(TaskState::new());
    assert!(task.start());
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (task, done) = (Arc::clone(&task), Arc::clone(&done));
        thread::spawn(move || {
            let t0 = Instant::now();
            while !done.load(Ordering::Acquire) {
                if t0.elapsed() > Duration::from_secs(5) {
                    assert_eq!(task.cancel(), CancelOutcome::WasRunning);
                    return;
                }
                thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let t0 = Instant::now();
    let got = password::verify(hash, b"x", options, &task).map_err(|e| e.code());
    let took = t0.elapsed();
    done.store(true, Ordering::Release);
    task.finish();
    watchdog.join().expect("watchdog");
    (got, took)
}

#[test]
fn huge_costs_reject_at_once() {
    let b64 = |n: usize, byte: u8| {
        use base64ct::Encoding;
        base64ct::Base64Unpadded::encode_string(&vec![byte; n])
    };
    let huge = [
        "$6$rounds=999999999$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1".to_string(),
        "$5$rounds=999999999$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5".to_string(),
        format!("$pbkdf2-sha256$i=4294967295,l=32${}${}", b64(16, 1), b64(32, 2)),
        format!("$pbkdf2-sha256$i=2500001,l=64${}${}", b64(16, 1), b64(64, 2)),
        "pbkdf2_sha256$999999999$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=".to_string(),
        "$pbkdf2-sha512$999999999$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww".to_string(),
    ];
    for hash in &huge {
        let (got, took) = verify_watched(hash, &VerifyOptions::default());
        assert_eq!(got, Err("ERR_INVALID_HASH"), "{hash}");
        assert!(took < Duration::from_secs(1), "{hash}: {took:?}");
    }
}

/// With the ceiling raised, a long hash runs; cancelling it must stop it at a checkpoint, not
/// after the whole computation (STYLE: check a cancellation flag inside long work). The hashes
/// take seconds here, so an implementation without checkpoints fails in seconds, not hours.
#[test]
fn raised_ceilings_run_and_cancel_promptly() {
    let long = [
        // sha512-crypt: ~0.3-0.5 s per million rounds here.
        (
            "$6$rounds=10000000$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            Limits { max_rounds: 10_000_000, ..Limits::DEFAULT },
        ),
        (
            "$5$rounds=30000000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
            Limits { max_rounds: 30_000_000, ..Limits::DEFAULT },
        ),
        // PBKDF2-SHA256: ~0.12 s per million iterations.
        (
            "pbkdf2_sha256$50000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
            Limits { max_iterations: 50_000_000, ..Limits::DEFAULT },
        ),
    ];
    let mut slow = Vec::new();
    for (hash, limits) in long {
        let options = VerifyOptions {
            limits,
            ..VerifyOptions::default()
        };
        let task = Arc::new(TaskState::new());
        assert!(task.start());
        let canceller = {
            let task = Arc::clone(&task);
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(100));
                let at = Instant::now();
                assert_eq!(task.cancel(), CancelOutcome::WasRunning);
                at
            })
        };
        let got = password::verify(hash, b"x", &options, &task).map_err(|e| e.code());
        let returned = Instant::now();
        let cancelled_at = canceller.join().expect("canceller");
        let late = returned.saturating_duration_since(cancelled_at);
        if got != Err("ABORT_ERR") || late >= Duration::from_millis(500) {
            slow.push(format!("{hash}: {got:?} {late:?} after the cancel"));
        }
    }
    assert!(
        slow.is_empty(),
        "not stopped at a checkpoint:\n{}",
        slow.join("\n")
    );
}

#[test]
fn ceilings_are_inclusive_and_can_be_raised() {
    let by_id = |id: &str| {
        [DJANGO, PASSLIB, GLIBC, RUSTCRYPTO, LIBXCRYPT, GENERATED]
            .into_iter()
            .flat_map(rows)
            .find(|r| r.id() == id)
            .unwrap_or_else(|| panic!("no row {id}"))
    };
    let with = |f: &dyn Fn(&mut Limits)| {
        let mut o = VerifyOptions::default();
        f(&mut o.limits);
        o
    };
    // sha-crypt: rounds=10000, and the implicit 5000.
    let r = by_id("glibc-sha256c-2");
    let pw = r.password();
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_rounds = 9_999)),
        Err("ERR_INVALID_HASH")
    );
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_rounds = 10_000)),
        Ok(true)
    );
    let r = by_id("glibc-sha512c-1");
    let pw = r.password();
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_rounds = 4_999)),
        Err("ERR_INVALID_HASH")
    );
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_rounds = 5_000)),
        Ok(true)
    );
    // One round over the default ceiling: refused by default, accepted when raised.
    let r = by_id("gen-sha512-crypt-rounds-1000001");
    let pw = r.password();
    assert_eq!(
        verify(r.hash(), &pw, &VerifyOptions::default()),
        Err("ERR_INVALID_HASH")
    );
    assert_eq!(verify(r.hash(), &pw, &r.options()), Ok(true));
    // PBKDF2: iterations × blocks (sha1's block is 20 bytes, so l=32 is two).
    let r = by_id("gen-phc-pbkdf2-l32-two-blocks");
    let pw = r.password();
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_iterations = 1_999)),
        Err("ERR_INVALID_HASH")
    );
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_iterations = 2_000)),
        Ok(true)
    );
    let r = by_id("pl-dj-pbkdf2_sha1-1"); // Django, 10000
    let pw = r.password();
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_iterations = 9_999)),
        Err("ERR_INVALID_HASH")
    );
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_iterations = 10_000)),
        Ok(true)
    );
    let r = by_id("pl-pbkdf2_sha512-1"); // passlib, 1212, one 64-byte block
    let pw = r.password();
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_iterations = 1_211)),
        Err("ERR_INVALID_HASH")
    );
    assert_eq!(
        verify(r.hash(), &pw, &with(&|l| l.max_iterations = 1_212)),
        Ok(true)
    );
}

// ---------------------------------------------------------------------------------------------
// needs_rehash
// ---------------------------------------------------------------------------------------------

#[test]
fn needs_rehash_is_true_for_every_inherited_row() {
    let all: Vec<Row> = [DJANGO, PASSLIB, GLIBC, RUSTCRYPTO, LIBXCRYPT, GENERATED]
        .into_iter()
        .flat_map(rows)
        .filter(|r| r.valid())
        .collect();
    let inherited: Vec<&Row> = all
        .iter()
        .filter(|r| INHERITED.contains(&r.format()))
        .collect();
    assert_eq!(inherited.len(), 166);
    for r in inherited {
        for wanted in [
            Params::default(),
            Params::Pbkdf2(pbkdf2::Params::DEFAULT),
            Params::Bcrypt { cost: 10 },
        ] {
            assert_eq!(
                password::needs_rehash(r.hash(), &wanted).map_err(|e| e.code()),
                Ok(true),
                "{}: {wanted:?}",
                r.id()
            );
        }
    }
    // A PHC pbkdf2 row is current for exactly its own digest, iterations and length.
    let phc: Vec<&Row> = all
        .iter()
        .filter(|r| r.format().starts_with("phc-pbkdf2"))
        .collect();
    assert_eq!(phc.len(), 11);
    for r in phc {
        let parts: Vec<&str> = r.hash().split('$').collect();
        let digest = match parts[1] {
            "pbkdf2-sha256" => Digest::Sha256,
            "pbkdf2-sha512" => Digest::Sha512,
            _ => continue, // sha1 is never wanted
        };
        let kv: Vec<u32> = parts[2]
            .split(',')
            .map(|p| p[2..].parse().expect("i= / l="))
            .collect();
        let own = pbkdf2::Params {
            digest,
            iterations: kv[0],
            hash_length: kv[1],
            ..pbkdf2::Params::DEFAULT
        };
        let rehash = |p: pbkdf2::Params| {
            password::needs_rehash(r.hash(), &Params::Pbkdf2(p)).map_err(|e| e.code())
        };
        assert_eq!(rehash(own), Ok(false), "{}", r.id());
        let more = pbkdf2::Params {
            iterations: own.iterations + 1,
            ..own
        };
        assert_eq!(rehash(more), Ok(true), "{}", r.id());
        let longer = pbkdf2::Params {
            hash_length: own.hash_length + 1,
            ..own
        };
        assert_eq!(rehash(longer), Ok(true), "{}", r.id());
    }
}
