//! `median(size)`: each channel's median over a `size` × `size` window, as libvips's rank filter at
//! the middle index (`size² / 2` in ascending order), the edges extended by copying the nearest pixel.
//! Huang's sliding histogram: per output pixel, one window column leaves and one enters, and the
//! median moves by a few bins, so a large window costs O(size) per pixel, not O(size²).

use super::pixels::Pixels;
use super::{check, Cancel};
use crate::error::{Error, ErrorKind, Result};

/// Moves `m` (with `below`, how many window values are under it) to the bin holding rank `rank`.
fn settle(hist: &[u32; 256], m: &mut usize, below: &mut u32, rank: u32) {
    while *below + hist[*m] <= rank {
        *below += hist[*m];
        *m += 1;
    }
    while *below > rank {
        *m -= 1;
        *below -= hist[*m];
    }
}

/// The median filter of `px` with a `size` × `size` window; size 1 is the identity, a window larger
/// than the image `ERR_OUT_OF_RANGE` (as libvips refuses it). Checks `cancel` once per row.
pub fn median(px: &Pixels, size: u32, cancel: Cancel) -> Result<Pixels> {
    if size > px.width || size > px.height {
        // libvips refuses it too ("rank: window too large").
        return Err(Error::new(
            ErrorKind::OutOfRange,
            format!(
                "median: a {size}×{size} window is larger than the {}×{} image",
                px.width, px.height
            ),
        ));
    }
    if size <= 1 {
        return Ok(px.clone());
    }
    let (w, h, n) = (px.width as usize, px.height as usize, px.channels as usize);
    let s = size as usize;
    let before = s / 2;
    let rank = u32::try_from(s * s / 2).unwrap_or(u32::MAX);
    let at = |v: usize, len: usize| v.saturating_sub(before).min(len - 1);
    let mut data = vec![0u8; px.data.len()];
    for y in 0..h {
        check(cancel)?;
        let rows: Vec<usize> = (0..s).map(|k| at(y + k, h) * w).collect();
        for c in 0..n {
            let value = |row: usize, x: usize| px.data[(row + x) * n + c] as usize;
            let mut hist = [0u32; 256];
            for k in 0..s {
                let x = at(k, w);
                for &row in &rows {
                    hist[value(row, x)] += 1;
                }
            }
            let (mut m, mut below) = (0usize, 0u32);
            settle(&hist, &mut m, &mut below, rank);
            data[y * w * n + c] = u8::try_from(m).unwrap_or(u8::MAX);
            for x in 1..w {
                // Window columns x - before … x - before + s - 1, clamped: one leaves, one enters.
                let (out, inn) = (at(x - 1, w), at(x + s - 1, w));
                for &row in &rows {
                    let o = value(row, out);
                    hist[o] -= 1;
                    if o < m {
                        below -= 1;
                    }
                    let i = value(row, inn);
                    hist[i] += 1;
                    if i < m {
                        below += 1;
                    }
                }
                settle(&hist, &mut m, &mut below, rank);
                data[(y * w + x) * n + c] = u8::try_from(m).unwrap_or(u8::MAX);
            }
        }
    }
    Ok(Pixels {
        width: px.width,
        height: px.height,
        channels: px.channels,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same filter by sorting each window: the reference.
    fn by_sorting(px: &Pixels, size: usize) -> Vec<u8> {
        let (w, h, n) = (px.width as usize, px.height as usize, px.channels as usize);
        let clamp = |v: isize, len: usize| v.clamp(0, len as isize - 1) as usize;
        let mut out = Vec::with_capacity(px.data.len());
        for y in 0..h {
            for x in 0..w {
                for c in 0..n {
                    let mut window = Vec::with_capacity(size * size);
                    for dy in 0..size {
                        for dx in 0..size {
                            let yy = clamp(y as isize + dy as isize - (size / 2) as isize, h);
                            let xx = clamp(x as isize + dx as isize - (size / 2) as isize, w);
                            window.push(px.data[(yy * w + xx) * n + c]);
                        }
                    }
                    window.sort_unstable();
                    out.push(window[size * size / 2]);
                }
            }
        }
        out
    }

    #[test]
    fn equals_sorting_each_window_for_odd_and_even_sizes() {
        let (w, h, n) = (23u32, 17u32, 3u8);
        let mut state = 12345u32;
        let data = (0..w * h * u32::from(n))
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                state.to_le_bytes()[2]
            })
            .collect();
        let px = Pixels {
            width: w,
            height: h,
            channels: n,
            data,
        };
        for size in [1u32, 2, 3, 4, 5, 9, 17] {
            let got = median(&px, size, &|| false).expect("median");
            assert_eq!(got.data, by_sorting(&px, size as usize), "size {size}");
        }
        assert!(
            median(&px, 18, &|| false).is_err(),
            "a window taller than the image"
        );
    }
}
