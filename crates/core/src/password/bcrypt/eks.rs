//! EksBlowfish, bcrypt's expensive key schedule, on a state that lives on the stack.
//!
//! The encryption is written in the classic fused-round shape (P[0] applied up front, then
//! `r ^= P[i] ^ F(l)` and `l ^= P[i+1] ^ F(r)` with no swaps), which keeps the dependency
//! chain short: the P-array XOR happens while the S-box loads are in flight.

use crate::pool::TaskState;
use crate::Result;

include!(concat!(env!("OUT_DIR"), "/pi_words.rs"));

/// `f ^ other`, where `other` was computed off the critical path. On x86-64 the XOR is opaque
/// to LLVM, which would otherwise reassociate `f ^ r ^ p` into two XORs after the S-box loads
/// (measured ~10% slower).
#[inline(always)]
pub(super) fn late_xor(f: u32, other: u32) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut out = f;
        // SAFETY: a register-to-register XOR; touches no memory and no state but `out`.
        unsafe {
            core::arch::asm!("xor {out:e}, {other:e}", out = inout(reg) out, other = in(reg) other,
                options(pure, nomem, nostack));
        }
        out
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        f ^ other
    }
}

/// The Blowfish state: 18 P-array words and four S-boxes (4 KiB).
#[derive(Clone)]
pub(super) struct State {
    pub(super) p: [u32; 18],
    pub(super) s: [[u32; 256]; 4],
}

impl State {
    /// Blowfish's initial state: the fractional words of pi.
    pub(super) fn initial() -> State {
        let mut state = State {
            p: [0; 18],
            s: [[0; 256]; 4],
        };
        state.p.copy_from_slice(&PI_WORDS[..18]);
        for (i, sbox) in state.s.iter_mut().enumerate() {
            sbox.copy_from_slice(&PI_WORDS[18 + 256 * i..18 + 256 * (i + 1)]);
        }
        state
    }

    #[inline(always)]
    pub(super) fn f(&self, x: u32) -> u32 {
        let a = self.s[0][(x >> 24) as usize];
        let b = self.s[1][((x >> 16) & 0xff) as usize];
        let c = self.s[2][((x >> 8) & 0xff) as usize];
        let d = self.s[3][(x & 0xff) as usize];
        (a.wrapping_add(b) ^ c).wrapping_add(d)
    }

    #[inline(always)]
    pub(super) fn encrypt(&self, mut l: u32, mut r: u32) -> (u32, u32) {
        l ^= self.p[0];
        for i in (1..17).step_by(2) {
            r = late_xor(self.f(l), r ^ self.p[i]);
            l = late_xor(self.f(r), l ^ self.p[i + 1]);
        }
        (r ^ self.p[17], l)
    }

    /// Re-encrypts the chain over P and the S-boxes, XORing `mix(i)` (two words per block)
    /// into each block first: salt words for the salted setup, zeros otherwise.
    #[inline(always)]
    fn rekey(&mut self, mix: impl Fn(usize) -> (u32, u32)) {
        let (mut l, mut r) = (0u32, 0u32);
        for i in 0..9 {
            let (ml, mr) = mix(i);
            (l, r) = self.encrypt(l ^ ml, r ^ mr);
            self.p[2 * i] = l;
            self.p[2 * i + 1] = r;
        }
        for b in 0..4 {
            for i in 0..128 {
                let (ml, mr) = mix(9 + b * 128 + i);
                (l, r) = self.encrypt(l ^ ml, r ^ mr);
                self.s[b][2 * i] = l;
                self.s[b][2 * i + 1] = r;
            }
        }
    }

    /// `Blowfish_expand0state`: XOR 18 key words into P, then rekey with a zero stream.
    #[inline(always)]
    fn expand0(&mut self, key: &[u32; 18]) {
        for (p, k) in self.p.iter_mut().zip(key) {
            *p ^= k;
        }
        self.rekey(|_| (0, 0));
    }
}

/// 18 key words read from `key` as a cyclic big-endian byte stream (OpenBSD's stream2word).
pub fn key_words(key: &[u8]) -> [u32; 18] {
    stream_words(key, u32::from)
}

/// The key words of crypt_blowfish's `$2x$` (its pre-2011 bug, kept to verify old hashes):
/// each byte is sign-extended before it is ORed in, so a byte >= 0x80 sets the word's upper
/// bits and wipes the bytes before it.
pub fn key_words_sign_extended(key: &[u8]) -> [u32; 18] {
    // i8 -> i32 sign-extends; the cast back to u32 keeps the bits.
    stream_words(key, |b| i32::from(b as i8) as u32)
}

fn stream_words(key: &[u8], widen: impl Fn(u8) -> u32) -> [u32; 18] {
    let mut words = [0u32; 18];
    let mut pos = 0;
    for w in &mut words {
        for _ in 0..4 {
            if pos >= key.len() {
                pos = 0;
            }
            *w = (*w << 8) | widen(key.get(pos).copied().unwrap_or(0));
            pos += 1;
        }
    }
    words
}

/// bcrypt's raw 24-byte output: EksBlowfish setup with 2^cost rounds, then
/// "OrpheanBeholderScryDoubt" encrypted 64 times, for the key's 18 words ([`key_words`], or
/// [`key_words_sign_extended`] for `$2x$`). Checks `task` once per round.
pub fn bcrypt(cost: u32, salt: &[u8; 16], key: &[u32; 18], task: &TaskState) -> Result<[u8; 24]> {
    let salt16 = key_words(salt);
    let mut state = setup(salt, key);
    for _ in 0..(1u64 << cost) {
        task.checkpoint()?;
        state.expand0(key);
        state.expand0(&salt16);
    }
    Ok(output(&state))
}

/// `Blowfish_expandstate`: the initial state with the key XORed into P, then the chain mixed
/// with the salt stream. The cheap first step of EksBlowfish.
pub(super) fn setup(salt: &[u8; 16], key: &[u32; 18]) -> State {
    let salt16 = key_words(salt);
    let salt4 = [salt16[0], salt16[1], salt16[2], salt16[3]];
    let mut state = State::initial();
    for (p, k) in state.p.iter_mut().zip(key) {
        *p ^= k;
    }
    state.rekey(|i| (salt4[(2 * i) % 4], salt4[(2 * i + 1) % 4]));
    state
}

/// The last step: "OrpheanBeholderScryDoubt" encrypted 64 times under the expanded state.
pub(super) fn output(state: &State) -> [u8; 24] {
    let mut ctext: [u32; 6] = [
        0x4f72_7068,
        0x6561_6e42,
        0x6568_6f6c,
        0x6465_7253,
        0x6372_7944,
        0x6f75_6274,
    ];
    for pair in ctext.chunks_exact_mut(2) {
        let (mut l, mut r) = (pair[0], pair[1]);
        for _ in 0..64 {
            (l, r) = state.encrypt(l, r);
        }
        pair[0] = l;
        pair[1] = r;
    }
    let mut out = [0u8; 24];
    for (chunk, w) in out.chunks_exact_mut(4).zip(ctext) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}
