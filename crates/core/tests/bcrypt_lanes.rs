//! The interleaved multi-lane bcrypt kernel against the scalar one, and its per-core speed.

use offthread_core::password::bcrypt::batch::{Outcome, Work};
use offthread_core::password::bcrypt::{self, lanes};
use offthread_core::password::{self as password, VerifyOptions};
use offthread_core::pool::TaskState;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

const VECTORS: [&str; 3] = [
    include_str!("vectors/bcrypt-openwall-crypt_blowfish.jsonl"),
    include_str!("vectors/bcrypt-pyca.jsonl"),
    include_str!("vectors/bcrypt-node-bcrypt.jsonl"),
];

/// crypt_blowfish's `$2a$` countermeasure rows, whose expected hash OpenBSD does not give
/// (kat.rs checks them against OpenBSD's answer).
const COUNTERMEASURE_ROWS: [&str; 2] = ["openwall-L295", "openwall-L313"];

/// Every corpus `match` row as (id, password, 60-character hash), all four prefixes.
fn match_rows() -> Vec<(String, Vec<u8>, String)> {
    VECTORS
        .iter()
        .flat_map(|f| f.lines())
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON row"))
        .filter(|r| r["expect"] == "match" && r["alg"] == "bcrypt")
        .map(|r| {
            let text = |k: &str| r[k].as_str().expect("a text field").to_owned();
            let password = hex::decode(text("password_hex")).expect("hex");
            (text("id"), password, text("expected_mcf"))
        })
        .filter(|(id, _, _)| !COUNTERMEASURE_ROWS.contains(&id.as_str()))
        .collect()
}

/// A row to verify: id, its work, the work for a wrong password, that password, the hash.
type Case = (String, Work, Work, Vec<u8>, String);

/// The corpus rows, grouped by cost and run through the interleaved kernel four lanes at a
/// time (so one batch mixes passwords, salts and the $2a/$2b/$2x/$2y key rules); every lane
/// must give the row's hash, and a wrong password the scalar kernel's answer.
#[test]
fn lanes_reproduce_the_corpus_vectors() {
    let options = VerifyOptions::default();
    let mut by_cost: BTreeMap<u32, Vec<Case>> = BTreeMap::new();
    let mut two_forms = 0;
    let rows = match_rows();
    for (id, pw, mcf) in &rows {
        let Some(work) = Work::verify(mcf, pw, &options) else {
            // `$2a$` with a password of 255+ bytes is checked in two forms, on the scalar path.
            assert!(
                mcf.starts_with("$2a$") && pw.len() >= 255,
                "{id}: not batchable"
            );
            two_forms += 1;
            continue;
        };
        let mut wrong = pw.clone();
        wrong.push(b'!');
        wrong.rotate_right(1);
        let wrong_work = Work::verify(mcf, &wrong, &options).unwrap();
        by_cost.entry(work.cost()).or_default().push((
            id.clone(),
            work,
            wrong_work,
            wrong,
            mcf.clone(),
        ));
    }
    let mut mixed_batches = 0;
    for (cost, group) in &by_cost {
        for chunk in group.chunks(lanes::MAX_LANES) {
            let prefixes: std::collections::BTreeSet<&str> =
                chunk.iter().map(|c| &c.4[..4]).collect();
            mixed_batches += usize::from(prefixes.len() > 1);
            let right: Vec<lanes::Lane> = chunk.iter().map(|c| c.1.lane().clone()).collect();
            let wrong: Vec<lanes::Lane> = chunk.iter().map(|c| c.2.lane().clone()).collect();
            let got_right = lanes::bcrypt_lanes(*cost, &right, |_| false);
            let got_wrong = lanes::bcrypt_lanes(*cost, &wrong, |_| false);
            for (k, (id, work, wrong_work, wrong_pw, mcf)) in chunk.iter().enumerate() {
                let raw = got_right[k].unwrap();
                assert_eq!(work.outcome(&raw), Outcome::Verify(true), "{id}: {mcf}");
                assert_eq!(
                    work.run(&TaskState::new()),
                    Ok(Outcome::Verify(true)),
                    "{id}: scalar"
                );
                let scalar_wrong =
                    password::verify(mcf, wrong_pw, &options, &TaskState::new()).unwrap();
                assert_eq!(
                    wrong_work.outcome(&got_wrong[k].unwrap()),
                    Outcome::Verify(scalar_wrong),
                    "{id}: wrong password"
                );
            }
        }
    }
    let lanes_run: usize = by_cost.values().map(Vec::len).sum();
    assert_eq!(lanes_run + two_forms, rows.len());
    assert_eq!(
        (lanes_run, two_forms),
        (78, 3),
        "rows through the lanes, rows in two forms"
    );
    assert!(mixed_batches >= 3, "{mixed_batches} batches mix prefixes");
}

fn lane(i: usize) -> lanes::Lane {
    let mut password = format!("password {i}").into_bytes();
    password.push(0);
    lanes::Lane {
        key: bcrypt::key_words(&password),
        salt: core::array::from_fn(|k| u8::try_from((i * 37 + k * 11) % 256).expect("< 256")),
    }
}

/// Hashes per second on this thread for `n` lanes at `cost`, best of `reps` batches.
fn rate(n: usize, cost: u32, reps: usize, scalar: bool) -> f64 {
    let batch: Vec<lanes::Lane> = (0..n).map(lane).collect();
    let mut best = f64::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        if scalar {
            let l = &batch[0];
            let raw = bcrypt::raw_words(cost, &l.salt, &l.key, &TaskState::new());
            assert!(raw.is_ok());
        } else {
            let out = lanes::bcrypt_lanes(cost, &batch, |_| false);
            assert!(out.iter().all(Option::is_some));
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    n as f64 / best
}

/// `cargo test --release -p offthread-core --test bcrypt_lanes -- --ignored --nocapture`
#[test]
#[ignore = "a benchmark: prints hashes/s per core for 1 scalar lane and 2..=MAX_LANES interleaved"]
fn lanes_throughput() {
    let cost = 8;
    let scalar = rate(1, cost, 15, true);
    println!("cost {cost}: scalar 1 lane {scalar:.1} hashes/s per core");
    for n in 1..=lanes::MAX_LANES + 2 {
        let r = rate(n, cost, 15, false);
        println!(
            "cost {cost}: {n} lanes interleaved {r:.1} hashes/s per core ({:.2}x scalar)",
            r / scalar
        );
    }
}

/// Upper bounds for a gather kernel: Blowfish encryptions (16 rounds of four S-box gathers)
/// in 8 (AVX2) or 16 (AVX-512) lanes whose S-boxes are interleaved, with no S-box stores, so
/// faster than a real EksBlowfish on gathers could be. Lane-encryptions per second per core.
#[cfg(target_arch = "x86_64")]
mod gather {
    use core::arch::x86_64::*;

    const N: usize = 1 << 16;

    /// `s`: 4 x 256 words x 16 lanes, lane fastest. SAFETY: needs AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn avx512(s: &[u32], p: &[u32; 18]) -> u32 {
        let lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        let byte = _mm512_set1_epi32(255);
        let base = s.as_ptr().cast::<i32>();
        let f = |x: __m512i| {
            let idx = |sh: i32, k: i32| {
                let b = _mm512_and_si512(_mm512_srlv_epi32(x, _mm512_set1_epi32(sh)), byte);
                _mm512_add_epi32(
                    _mm512_slli_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(k * 256)), 4),
                    lane,
                )
            };
            let a = _mm512_i32gather_epi32::<4>(idx(24, 0), base);
            let b = _mm512_i32gather_epi32::<4>(idx(16, 1), base);
            let c = _mm512_i32gather_epi32::<4>(idx(8, 2), base);
            let d = _mm512_i32gather_epi32::<4>(idx(0, 3), base);
            _mm512_add_epi32(_mm512_xor_si512(_mm512_add_epi32(a, b), c), d)
        };
        let (mut l, mut r) = (_mm512_set1_epi32(1), _mm512_set1_epi32(2));
        for _ in 0..N {
            l = _mm512_xor_si512(l, _mm512_set1_epi32(p[0] as i32));
            for i in (1..17).step_by(2) {
                r = _mm512_xor_si512(r, _mm512_xor_si512(f(l), _mm512_set1_epi32(p[i] as i32)));
                l = _mm512_xor_si512(
                    l,
                    _mm512_xor_si512(f(r), _mm512_set1_epi32(p[i + 1] as i32)),
                );
            }
            (l, r) = (_mm512_xor_si512(r, _mm512_set1_epi32(p[17] as i32)), l);
        }
        _mm512_reduce_add_epi32(_mm512_xor_si512(l, r)) as u32
    }

    /// `s`: 4 x 256 words x 8 lanes, lane fastest. SAFETY: needs AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn avx2(s: &[u32], p: &[u32; 18]) -> u32 {
        let lane = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
        let byte = _mm256_set1_epi32(255);
        let base = s.as_ptr().cast::<i32>();
        let f = |x: __m256i| {
            let idx = |sh: i32, k: i32| {
                let b = _mm256_and_si256(_mm256_srlv_epi32(x, _mm256_set1_epi32(sh)), byte);
                _mm256_add_epi32(
                    _mm256_slli_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(k * 256)), 3),
                    lane,
                )
            };
            let a = _mm256_i32gather_epi32::<4>(base, idx(24, 0));
            let b = _mm256_i32gather_epi32::<4>(base, idx(16, 1));
            let c = _mm256_i32gather_epi32::<4>(base, idx(8, 2));
            let d = _mm256_i32gather_epi32::<4>(base, idx(0, 3));
            _mm256_add_epi32(_mm256_xor_si256(_mm256_add_epi32(a, b), c), d)
        };
        let (mut l, mut r) = (_mm256_set1_epi32(1), _mm256_set1_epi32(2));
        for _ in 0..N {
            l = _mm256_xor_si256(l, _mm256_set1_epi32(p[0] as i32));
            for i in (1..17).step_by(2) {
                r = _mm256_xor_si256(r, _mm256_xor_si256(f(l), _mm256_set1_epi32(p[i] as i32)));
                l = _mm256_xor_si256(
                    l,
                    _mm256_xor_si256(f(r), _mm256_set1_epi32(p[i + 1] as i32)),
                );
            }
            (l, r) = (_mm256_xor_si256(r, _mm256_set1_epi32(p[17] as i32)), l);
        }
        let mut out = [0u32; 8];
        _mm256_storeu_si256(out.as_mut_ptr().cast(), _mm256_xor_si256(l, r));
        out.iter().fold(0, |a, b| a ^ b)
    }

    pub fn rate(lanes: usize, run: impl Fn(&[u32], &[u32; 18]) -> u32) -> f64 {
        let s: Vec<u32> = (0..4 * 256 * u32::try_from(lanes).expect("small"))
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let p: [u32; 18] =
            core::array::from_fn(|i| u32::try_from(i).expect("< 18").wrapping_mul(0x9e37_79b9));
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            std::hint::black_box(run(&s, &p));
            best = best.min(t.elapsed().as_secs_f64());
        }
        (N * lanes) as f64 / best
    }
}

/// `cargo test --release -p offthread-core --test bcrypt_lanes -- --ignored --nocapture`
#[test]
#[ignore = "a benchmark: gather kernels' upper bound against the interleaved scalar kernel"]
#[cfg(target_arch = "x86_64")]
fn gather_upper_bound() {
    // The interleaved kernel's real rate, in lane-encryptions: a cost-8 hash runs 2^8 rounds of
    // 2 x 521 encryptions (+ 521 for the setup, + 192 for the output).
    let per_hash = ((1u64 << 8) * 2 * 521 + 521 + 192) as f64;
    for n in [1, 4] {
        let hashes = rate(n, 8, 7, n == 1);
        println!(
            "scalar, {n} lane(s) interleaved: {:.1} M lane-encryptions/s per core",
            hashes * per_hash / 1e6
        );
    }
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present.
        let r = gather::rate(8, |s, p| unsafe { gather::avx2(s, p) });
        println!(
            "AVX2 gathers, 8 lanes, no stores: {:.1} M lane-encryptions/s per core",
            r / 1e6
        );
    }
    if std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is present.
        let r = gather::rate(16, |s, p| unsafe { gather::avx512(s, p) });
        println!(
            "AVX-512 gathers, 16 lanes, no stores: {:.1} M lane-encryptions/s per core",
            r / 1e6
        );
    }
}
