//! Several independent EksBlowfish computations of the same cost, interleaved on one thread.
//!
//! Blowfish's round is a chain of four dependent S-box loads, so one hash keeps a core's load
//! ports mostly idle while it waits on L1 latency. Advancing up to [`MAX_LANES`] independent
//! states in lockstep (as John the Ripper's `BF_X2` does) lets the out-of-order core overlap
//! their chains: the same instructions, more of them in flight. Plain scalar Rust, so it is the
//! kernel on every target. On the 2-core AMD EPYC (Zen 4) of the benchmark, hashes/s per core
//! at cost 8 (`cargo test --release -p offthread-core --test bcrypt_lanes -- --ignored`):
//! 1 lane 0.99x the scalar kernel, 2 lanes 1.85x, 3 lanes 2.51x, 4 lanes 2.82x, and 5 to 8
//! lanes 2.1-2.4x (register pressure, presumably: 2 chain words per lane), hence
//! [`MAX_LANES`] = 4.
//! No AVX2/AVX-512 gather kernel: on the same machine (`gather_upper_bound` in that test file)
//! Blowfish encryptions on gathers, without even the S-box stores EksBlowfish needs, ran 34.7 M
//! lane-encryptions/s per core on AVX2 (8 lanes) and 32.9 M on AVX-512 (16 lanes), against
//! 60.6 M for four interleaved scalar lanes (21.4 M for one). Gathers are microcoded on AMD, and
//! a pool thread at concurrency 8 holds only 4 tasks anyway.
//!
//! The states live side by side in one allocation, so every lane's S-box load is addressed
//! from one base register with a constant displacement.

use super::eks::{self, late_xor, State};

/// The most lanes the interleaved kernel runs at once; wider batches are split by the caller.
pub const MAX_LANES: usize = 4;

/// One lane's input: the key's 18 words (from `eks::key_words` or its `$2x$` twin) and the salt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    pub key: [u32; 18],
    pub salt: [u8; 16],
}

/// One Blowfish encryption in each of `N` states, interleaved.
#[inline(always)]
fn encrypt<const N: usize>(s: &[State; N], l: &mut [u32; N], r: &mut [u32; N]) {
    for j in 0..N {
        l[j] ^= s[j].p[0];
    }
    for i in (1..17).step_by(2) {
        for j in 0..N {
            r[j] = late_xor(s[j].f(l[j]), r[j] ^ s[j].p[i]);
        }
        for j in 0..N {
            l[j] = late_xor(s[j].f(r[j]), l[j] ^ s[j].p[i + 1]);
        }
    }
    for j in 0..N {
        (l[j], r[j]) = (r[j] ^ s[j].p[17], l[j]);
    }
}

/// `Blowfish_expand0state` in each of `N` states with that lane's 18 words.
#[inline(always)]
fn expand0<const N: usize>(s: &mut [State; N], words: [&[u32; 18]; N]) {
    for j in 0..N {
        for (p, k) in s[j].p.iter_mut().zip(words[j]) {
            *p ^= k;
        }
    }
    let (mut l, mut r) = ([0u32; N], [0u32; N]);
    for i in 0..9 {
        encrypt(s, &mut l, &mut r);
        for j in 0..N {
            s[j].p[2 * i] = l[j];
            s[j].p[2 * i + 1] = r[j];
        }
    }
    for b in 0..4 {
        for i in 0..128 {
            encrypt(s, &mut l, &mut r);
            for j in 0..N {
                s[j].s[b][2 * i] = l[j];
                s[j].s[b][2 * i + 1] = r[j];
            }
        }
    }
}

/// One EksBlowfish round (key, then salt) in each of `N` states.
#[inline(never)]
fn round<const N: usize>(s: &mut [State; N], keys: &[[u32; 18]], salts: &[[u32; 18]]) {
    let key: [&[u32; 18]; N] = core::array::from_fn(|j| &keys[j]);
    let salt: [&[u32; 18]; N] = core::array::from_fn(|j| &salts[j]);
    expand0(s, key);
    expand0(s, salt);
}

/// Up to [`MAX_LANES`] EksBlowfish states advanced together, one round at a time. Lanes join
/// (after their cheap salted setup) and leave between rounds, so each lane may have its own
/// remaining round count.
pub struct Lanes {
    // Parallel vectors, compacted with swap_remove when a lane leaves.
    states: Vec<State>,
    keys: Vec<[u32; 18]>,
    salts: Vec<[u32; 18]>,
}

impl Default for Lanes {
    fn default() -> Self {
        Self::new()
    }
}

impl Lanes {
    /// No lanes yet; room for [`MAX_LANES`] (about 17 KiB).
    pub fn new() -> Self {
        Lanes {
            states: Vec::with_capacity(MAX_LANES),
            keys: Vec::with_capacity(MAX_LANES),
            salts: Vec::with_capacity(MAX_LANES),
        }
    }

    /// Lanes held now.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True when no lane is held.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Adds a lane at index `len()` after the salted key setup (`Blowfish_expandstate`, about
    /// 1/2^(cost+1) of a hash). Panics past [`MAX_LANES`].
    pub fn push(&mut self, lane: &Lane) {
        assert!(self.len() < MAX_LANES, "at most {MAX_LANES} lanes");
        self.states.push(eks::setup(&lane.salt, &lane.key));
        self.keys.push(lane.key);
        self.salts.push(eks::key_words(&lane.salt));
    }

    /// Drops lane `i`; the last lane takes its index (as `Vec::swap_remove`).
    pub fn swap_remove(&mut self, i: usize) {
        self.states.swap_remove(i);
        self.keys.swap_remove(i);
        self.salts.swap_remove(i);
    }

    /// One EksBlowfish round (`expand0` with the key, then with the salt) in every lane: about
    /// 2,084 Blowfish encryptions per lane, interleaved.
    pub fn round(&mut self) {
        let (keys, salts) = (&self.keys[..], &self.salts[..]);
        macro_rules! go {
            ($($n:literal)*) => {
                match self.states.len() {
                    $($n => {
                        if let Ok(s) = <&mut [State; $n]>::try_from(&mut self.states[..]) {
                            round(s, keys, salts);
                        }
                    })*
                    _ => {}
                }
            };
        }
        go!(1 2 3 4);
    }

    /// bcrypt's raw 24-byte output of lane `i`, once it has run all its rounds.
    pub fn output(&self, i: usize) -> [u8; 24] {
        eks::output(&self.states[i])
    }
}

/// bcrypt's raw 24-byte output for each lane, all at `cost`, computed together (at most
/// [`MAX_LANES`] at a time). `cancelled(i)` is asked once per round for every lane still
/// running: a lane for which it returns true leaves at once (its result is `None`) and the
/// others go on with a narrower kernel. Costs 2^cost rounds per lane, shared by the
/// interleaved lanes.
pub fn bcrypt_lanes(
    cost: u32,
    lanes: &[Lane],
    mut cancelled: impl FnMut(usize) -> bool,
) -> Vec<Option<[u8; 24]>> {
    let mut out = vec![None; lanes.len()];
    for (chunk_index, chunk) in lanes.chunks(MAX_LANES).enumerate() {
        let base = chunk_index * MAX_LANES;
        let mut which: Vec<usize> = (base..base + chunk.len()).collect();
        let mut running = Lanes::new();
        for lane in chunk {
            running.push(lane);
        }
        for _ in 0..(1u64 << cost) {
            let mut k = 0;
            while k < which.len() {
                if cancelled(which[k]) {
                    which.swap_remove(k);
                    running.swap_remove(k);
                } else {
                    k += 1;
                }
            }
            if which.is_empty() {
                break;
            }
            running.round();
        }
        for (k, i) in which.iter().enumerate() {
            out[*i] = Some(running.output(k));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::TaskState;

    fn lane(n: u8) -> Lane {
        let password: Vec<u8> = (0..n).map(|i| b'a' + i % 26).chain([0]).collect();
        Lane {
            key: eks::key_words(&password),
            salt: core::array::from_fn(|i| n.wrapping_mul(31) ^ u8::try_from(i).unwrap()),
        }
    }

    #[test]
    fn every_width_matches_the_scalar_kernel() {
        let lanes: Vec<Lane> = (0..7).map(lane).collect();
        let want: Vec<[u8; 24]> = lanes
            .iter()
            .map(|l| eks::bcrypt(5, &l.salt, &l.key, &TaskState::new()).unwrap())
            .collect();
        for n in 1..=lanes.len() {
            let got = bcrypt_lanes(5, &lanes[..n], |_| false);
            for (i, g) in got.iter().enumerate() {
                assert_eq!(g.as_ref(), Some(&want[i]), "width {n}, lane {i}");
            }
        }
    }

    #[test]
    fn a_cancelled_lane_leaves_and_the_others_finish() {
        let lanes: Vec<Lane> = (0..4).map(lane).collect();
        let mut asked = 0;
        let got = bcrypt_lanes(5, &lanes, |i| {
            asked += 1;
            i == 1 && asked > 10
        });
        assert_eq!(got[1], None);
        for i in [0, 2, 3] {
            let want = eks::bcrypt(5, &lanes[i].salt, &lanes[i].key, &TaskState::new()).unwrap();
            assert_eq!(got[i], Some(want), "lane {i}");
        }
    }
}
