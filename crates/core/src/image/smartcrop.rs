//! Smart crops for `resize(w, h, { fit: 'cover', position: 'entropy' | 'attention' })`, as libvips's
//! `smartcrop` chooses the box on the resized image (sharp's strategies):
//!
//! - entropy: from the whole image, cut a slice of at most 1/8 of the excess off one side at a time,
//!   horizontally then vertically, dropping whichever of the two opposite slices has the lower
//!   Shannon entropy (histogram of every band, alpha included; ties drop the right or bottom one);
//! - attention: on a 32×32 reduction, per pixel |5 × Laplacian of Y| + a skin-tone score + Lab a*
//!   (the last two where Y > 5), blurred with libvips's integer Gaussian, and the crop centred on
//!   the maximum, clamped to the image.
//!
//! Transparent pixels count premultiplied (black), as in libvips. The 32×32 reduction is our
//! Lanczos3, not libvips's: the attention point can differ from sharp's by a few pixels of the
//! reduction (W/32 in the image).

use super::options::{Kernel, Strategy};
use super::pixels::Pixels;
use super::{check, lab, Cancel};
use crate::error::Result;

/// A smart crop's choice: the box's top-left corner, and the attention point (attention only).
pub type Smart = ((u32, u32), Option<(u32, u32)>);

/// Where a `w`×`h` box goes in `px`.
pub fn choose(px: &Pixels, w: u32, h: u32, strategy: Strategy, cancel: Cancel) -> Result<Smart> {
    let scored = premultiplied(px);
    match strategy {
        Strategy::Entropy => Ok((entropy(&scored, w, h, cancel)?, None)),
        Strategy::Attention => {
            let (corner, point) = attention(&scored, w, h)?;
            Ok((corner, Some(point)))
        }
    }
}

/// Colours multiplied by alpha (truncated, as libvips casts its premultiplied image back to 8 bits).
fn premultiplied(px: &Pixels) -> std::borrow::Cow<'_, Pixels> {
    if !px.has_alpha() {
        return std::borrow::Cow::Borrowed(px);
    }
    let n = usize::from(px.channels);
    let mut out = px.clone();
    for p in out.data.chunks_exact_mut(n) {
        let a = u32::from(p[n - 1]);
        for v in &mut p[..n - 1] {
            *v = u8::try_from(u32::from(*v) * a / 255).unwrap_or(u8::MAX);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Shannon entropy (bits) of the values of every band in the rectangle, as libvips's
/// `hist_entropy` of `hist_find`: one 256-bin histogram per band, p = count / (pixels × bands).
#[expect(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "libvips works in f32 here"
)]
fn score(px: &Pixels, (left, top, w, h): (u32, u32, u32, u32)) -> f64 {
    let n = usize::from(px.channels);
    let mut hist = vec![0u64; 256 * n];
    let row = px.width as usize * n;
    for y in top..top + h {
        let start = y as usize * row + left as usize * n;
        for p in px.data[start..start + w as usize * n].chunks_exact(n) {
            for (b, &v) in p.iter().enumerate() {
                hist[b * 256 + usize::from(v)] += 1;
            }
        }
    }
    let scale = 1.0 / (f64::from(w) * f64::from(h) * n as f64);
    let ln2 = 1.0 / std::f64::consts::LN_2;
    -hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = (c as f64 * scale) as f32;
            let log2 = (f64::from(f64::from(p).ln() as f32) * ln2) as f32;
            f64::from(p * log2)
        })
        .sum::<f64>()
}

fn entropy(px: &Pixels, w: u32, h: u32, cancel: Cancel) -> Result<(u32, u32)> {
    let (mut left, mut top, mut cw, mut ch) = (0, 0, px.width, px.height);
    let step = (px.width - w).div_ceil(8).max((px.height - h).div_ceil(8));
    while cw > w || ch > h {
        check(cancel)?;
        let sw = (cw - w).min(step);
        let sh = (ch - h).min(step);
        if sw > 0 {
            let a = score(px, (left, top, sw, ch));
            let b = score(px, (left + cw - sw, top, sw, ch));
            cw -= sw;
            if a < b {
                left += sw;
            }
        }
        if sh > 0 {
            let a = score(px, (left, top, cw, sh));
            let b = score(px, (left, top + ch - sh, cw, sh));
            ch -= sh;
            if a < b {
                top += sh;
            }
        }
    }
    Ok((left, top))
}

/// libvips's integer Gaussian mask for `sigma` (minimum amplitude 0.2): taps of 20 × e^(−d²/2σ²),
/// rounded, over the half-width where the curve is still at least 0.2.
#[expect(clippy::cast_precision_loss, reason = "half-widths are small")]
fn gauss_mask(sigma: f64) -> Vec<f64> {
    let at = |d: f64| (-(d * d) / (2.0 * sigma * sigma)).exp();
    let mut k = 0u32;
    while at(f64::from(k)) >= 0.2 {
        k += 1;
    }
    let half = i64::from(k.saturating_sub(1));
    (-half..=half)
        .map(|d| (20.0 * at(d as f64)).round_ties_even())
        .collect()
}

/// Convolves the `w`×`h` plane with `mask` along x (`horizontal`) or y, edges replicated.
fn convolve(plane: &[f64], w: usize, h: usize, mask: &[f64], horizontal: bool) -> Vec<f64> {
    let half = mask.len() / 2;
    let total: f64 = mask.iter().sum();
    let mut out = vec![0.0; plane.len()];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (i, m) in mask.iter().enumerate() {
                let (sx, sy) = if horizontal {
                    ((x + i).saturating_sub(half).min(w - 1), y)
                } else {
                    (x, (y + i).saturating_sub(half).min(h - 1))
                };
                s += m * plane[sy * w + sx];
            }
            out[y * w + x] = s / total;
        }
    }
    out
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "the attention point maps a 32×32 pixel back onto the image, truncating as libvips"
)]
fn attention(px: &Pixels, w: u32, h: u32) -> Result<((u32, u32), (u32, u32))> {
    const SIDE: u32 = 32;
    let (iw, ih) = (px.width, px.height);
    let hs = f64::from(SIDE) / f64::from(iw);
    let vs = f64::from(SIDE) / f64::from(ih);
    let sigma = ((f64::from(w) * hs).hypot(f64::from(h) * vs) / 10.0).max(1.0);
    let full = (0.0, 0.0, f64::from(iw), f64::from(ih));
    let small = super::resize::resample(px, full, SIDE, SIDE, Kernel::Lanczos3)?;
    let n = usize::from(small.channels);
    let s = SIDE as usize;
    // XYZ (0–100) of each pixel; grey is replicated.
    let xyz: Vec<[f64; 3]> = small
        .data
        .chunks_exact(n)
        .map(|p| {
            let rgb = if n < 3 { [p[0]; 3] } else { [p[0], p[1], p[2]] };
            let [r, g, b] = rgb.map(|v| lab::to_linear(v) * 100.0);
            [
                0.4124 * r + 0.3576 * g + 0.1805 * b,
                0.2126 * r + 0.7152 * g + 0.0722 * b,
                0.0193 * r + 0.1192 * g + 0.9505 * b,
            ]
        })
        .collect();
    let luma = |x: usize, y: usize| xyz[y.min(s - 1) * s + x.min(s - 1)][1];
    let mut sum = vec![0.0; s * s];
    for y in 0..s {
        for x in 0..s {
            let lap = 4.0 * luma(x, y)
                - luma(x.saturating_sub(1), y)
                - luma(x + 1, y)
                - luma(x, y.saturating_sub(1))
                - luma(x, y + 1);
            let [cx, cy, cz] = xyz[y * s + x];
            let mut v = (5.0 * lap).abs();
            if cy > 5.0 {
                let norm = (cx * cx + cy * cy + cz * cz).sqrt();
                let (nx, ny, nz) = if norm == 0.0 {
                    (0.0, 0.0, 0.0)
                } else {
                    (cx / norm, cy / norm, cz / norm)
                };
                let d = ((nx - 0.78).powi(2) + (ny - 0.57).powi(2) + (nz - 0.44).powi(2)).sqrt();
                v += 100.0 - 100.0 * d;
                v += lab::lab_of_xyz([cx, cy, cz])[1];
            }
            sum[y * s + x] = v;
        }
    }
    let mask = gauss_mask(sigma);
    let blurred = convolve(&convolve(&sum, s, s, &mask, true), s, s, &mask, false);
    let mut best = 0;
    for (i, &v) in blurred.iter().enumerate() {
        if v > blurred[best] {
            best = i;
        }
    }
    let (bx, by) = ((best % s) as f64, (best / s) as f64);
    let (ax, ay) = ((bx / hs) as u32, (by / vs) as u32);
    let left = ax.saturating_sub(w / 2).min(iw - w);
    let top = ay.saturating_sub(h / 2).min(ih - h);
    Ok(((left, top), (ax, ay)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Pixels {
        let data = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .flat_map(|(x, y)| {
                let v = f(x, y);
                [v, v, v]
            });
        Pixels {
            width: w,
            height: h,
            channels: 3,
            data: data.collect(),
        }
    }

    #[test]
    fn entropy_keeps_the_busy_side() {
        // Flat on the left, noise on the right: the crop moves right.
        let px = grey(200, 50, |x, y| {
            if x < 100 {
                128
            } else {
                ((x * 31 + y * 17) % 251) as u8
            }
        });
        let ((left, top), point) = choose(&px, 50, 50, Strategy::Entropy, &|| false).unwrap();
        assert!(left >= 100, "left {left}");
        assert_eq!((top, point), (0, None));
    }

    #[test]
    fn the_integer_gaussian_is_libvips() {
        // sigma 1: taps 20·e^(−d²/2) rounded, while the curve is at least 0.2 (e^(−2) is not).
        assert_eq!(gauss_mask(1.0), vec![12.0, 20.0, 12.0]);
        assert_eq!(gauss_mask(3.2).len(), 11); // e^(−36/20.48) < 0.2 first at 6
    }
}
