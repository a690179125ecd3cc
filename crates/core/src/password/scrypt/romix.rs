//! scrypt's ROMix (RFC 7914 §5) with Salsa20/8 BlockMix, checking for cancellation every 1024
//! steps. On x86-64 each 64-byte block is kept in the diagonal word order that lets one SSE2
//! register hold one diagonal of the Salsa20 matrix (SSE2 is part of the x86-64 baseline, so
//! no run-time detection is needed); other targets use the plain word order.

use crate::pool::TaskState;
use crate::Result;

/// One 64-byte Salsa20 block, as 16 little-endian words.
pub type Block = [u32; 16];

/// How often (in ROMix steps) the cancellation flag is read.
const CHECK_EVERY: usize = 1024;

#[cfg(target_arch = "x86_64")]
mod salsa {
    use super::Block;
    use core::arch::x86_64::*;

    /// Word `k` of the diagonal order holds the matrix word `ORDER[k]`.
    pub const ORDER: [usize; 16] = [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11];

    #[inline(always)]
    unsafe fn rotl(x: __m128i, shift: i32) -> __m128i {
        // Rotation counts are constants after inlining.
        _mm_or_si128(
            _mm_sll_epi32(x, _mm_cvtsi32_si128(shift)),
            _mm_srl_epi32(x, _mm_cvtsi32_si128(32 - shift)),
        )
    }

    /// `b = Salsa20/8(b ^ x)` on blocks in diagonal order.
    #[inline(always)]
    pub fn xor_salsa8(b: &mut Block, x: &Block) {
        // SAFETY: SSE2 is always available on x86-64; loads and stores are unaligned-safe.
        unsafe {
            let bp = b.as_mut_ptr().cast::<__m128i>();
            let xp = x.as_ptr().cast::<__m128i>();
            let mut x0 = _mm_xor_si128(_mm_loadu_si128(bp), _mm_loadu_si128(xp));
            let mut x1 = _mm_xor_si128(_mm_loadu_si128(bp.add(1)), _mm_loadu_si128(xp.add(1)));
            let mut x2 = _mm_xor_si128(_mm_loadu_si128(bp.add(2)), _mm_loadu_si128(xp.add(2)));
            let mut x3 = _mm_xor_si128(_mm_loadu_si128(bp.add(3)), _mm_loadu_si128(xp.add(3)));
            let (i0, i1, i2, i3) = (x0, x1, x2, x3);
            for _ in 0..4 {
                // Column round: x0 holds the diagonal (0,5,10,15), x1 (4,9,14,3), x2 (8,13,2,7), x3 (12,1,6,11).
                x1 = _mm_xor_si128(x1, rotl(_mm_add_epi32(x0, x3), 7));
                x2 = _mm_xor_si128(x2, rotl(_mm_add_epi32(x1, x0), 9));
                x3 = _mm_xor_si128(x3, rotl(_mm_add_epi32(x2, x1), 13));
                x0 = _mm_xor_si128(x0, rotl(_mm_add_epi32(x3, x2), 18));
                // Rotate the diagonals so that rows line up, then the row round.
                x1 = _mm_shuffle_epi32(x1, 0x93);
                x2 = _mm_shuffle_epi32(x2, 0x4e);
                x3 = _mm_shuffle_epi32(x3, 0x39);
                x3 = _mm_xor_si128(x3, rotl(_mm_add_epi32(x0, x1), 7));
                x2 = _mm_xor_si128(x2, rotl(_mm_add_epi32(x3, x0), 9));
                x1 = _mm_xor_si128(x1, rotl(_mm_add_epi32(x2, x3), 13));
                x0 = _mm_xor_si128(x0, rotl(_mm_add_epi32(x1, x2), 18));
                x1 = _mm_shuffle_epi32(x1, 0x39);
                x2 = _mm_shuffle_epi32(x2, 0x4e);
                x3 = _mm_shuffle_epi32(x3, 0x93);
            }
            _mm_storeu_si128(bp, _mm_add_epi32(x0, i0));
            _mm_storeu_si128(bp.add(1), _mm_add_epi32(x1, i1));
            _mm_storeu_si128(bp.add(2), _mm_add_epi32(x2, i2));
            _mm_storeu_si128(bp.add(3), _mm_add_epi32(x3, i3));
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod salsa {
    use super::Block;

    /// The plain word order.
    pub const ORDER: [usize; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// `b = Salsa20/8(b ^ x)`.
    #[inline(always)]
    pub fn xor_salsa8(b: &mut Block, x: &Block) {
        let mut w = [0u32; 16];
        for i in 0..16 {
            b[i] ^= x[i];
            w[i] = b[i];
        }
        let q = |w: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize| {
            w[b] ^= w[a].wrapping_add(w[d]).rotate_left(7);
            w[c] ^= w[b].wrapping_add(w[a]).rotate_left(9);
            w[d] ^= w[c].wrapping_add(w[b]).rotate_left(13);
            w[a] ^= w[d].wrapping_add(w[c]).rotate_left(18);
        };
        for _ in 0..4 {
            q(&mut w, 0, 4, 8, 12);
            q(&mut w, 5, 9, 13, 1);
            q(&mut w, 10, 14, 2, 6);
            q(&mut w, 15, 3, 7, 11);
            q(&mut w, 0, 1, 2, 3);
            q(&mut w, 5, 6, 7, 4);
            q(&mut w, 10, 11, 8, 9);
            q(&mut w, 15, 12, 13, 14);
        }
        for i in 0..16 {
            b[i] = b[i].wrapping_add(w[i]);
        }
    }
}

/// Bytes (RFC order) to blocks in the kernel's word order.
pub fn load(bytes: &[u8], blocks: &mut [Block]) {
    for (block, chunk) in blocks.iter_mut().zip(bytes.chunks_exact(64)) {
        for (k, &m) in salsa::ORDER.iter().enumerate() {
            let at = 4 * m;
            block[k] = u32::from_le_bytes([chunk[at], chunk[at + 1], chunk[at + 2], chunk[at + 3]]);
        }
    }
}

/// Blocks in the kernel's word order back to bytes (RFC order).
pub fn store(blocks: &[Block], bytes: &mut [u8]) {
    for (block, chunk) in blocks.iter().zip(bytes.chunks_exact_mut(64)) {
        for (k, &m) in salsa::ORDER.iter().enumerate() {
            chunk[4 * m..4 * m + 4].copy_from_slice(&block[k].to_le_bytes());
        }
    }
}

/// BlockMix: `out = BlockMix(input ^ extra)` over 2r blocks (`extra` may be all the same as
/// `input` when absent: pass `None`).
#[inline(always)]
fn block_mix(input: &[Block], extra: Option<&[Block]>, out: &mut [Block]) {
    let r2 = input.len();
    let mut x = input[r2 - 1];
    if let Some(e) = extra {
        for (w, v) in x.iter_mut().zip(&e[r2 - 1]) {
            *w ^= v;
        }
    }
    for i in 0..r2 {
        let mut bi = input[i];
        if let Some(e) = extra {
            for (w, v) in bi.iter_mut().zip(&e[i]) {
                *w ^= v;
            }
        }
        salsa::xor_salsa8(&mut x, &bi);
        // Even-indexed outputs go to the first half, odd ones to the second.
        out[(i / 2) + (i % 2) * (r2 / 2)] = x;
    }
}

/// ROMix over `b` (2r blocks) with scratch `v` (N · 2r blocks). Checks `task` every 1024 steps.
pub fn romix(b: &mut [Block], v: &mut [Block], n: usize, task: &TaskState) -> Result<()> {
    let r2 = b.len();
    let mut t = vec![[0u32; 16]; r2];
    v[..r2].copy_from_slice(b);
    for i in 1..n {
        if i % CHECK_EVERY == 0 {
            task.checkpoint()?;
        }
        let (done, rest) = v.split_at_mut(i * r2);
        block_mix(&done[(i - 1) * r2..], None, &mut rest[..r2]);
    }
    block_mix(&v[(n - 1) * r2..], None, b);
    for i in 0..n {
        if i % CHECK_EVERY == 0 {
            task.checkpoint()?;
        }
        // Integerify: the first word of the last block (word 0 is in place in both orders).
        let j = (b[r2 - 1][0] as usize) & (n - 1);
        block_mix(b, Some(&v[j * r2..(j + 1) * r2]), &mut t);
        b.copy_from_slice(&t);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7914 §8: the Salsa20/8 core test vector.
    #[test]
    fn salsa8_vector() {
        let input = hex("7e879a214f3ec9867ca940e641718f26baee555b8c61c1b50df846116dcd3b1dee24f319df9b3d8514121e4b5ac5aa3276021d2909c74829edebc68db8b8c25e");
        let want = hex("a41f859c6608cc993b81cacb020cef05044b2181a2fd337dfd7b1c6396682f29b4393168e3c9e6bcfe6bc5b7a06d96bae424cc102c91745c24ad673dc7618f81");
        let mut block = [[0u32; 16]];
        load(&input, &mut block);
        let zero = [[0u32; 16]];
        let mut zero_perm = zero;
        load(&[0u8; 64], &mut zero_perm);
        salsa::xor_salsa8(&mut block[0], &zero_perm[0]);
        let mut out = [0u8; 64];
        store(&block, &mut out);
        assert_eq!(out.to_vec(), want);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }
}
