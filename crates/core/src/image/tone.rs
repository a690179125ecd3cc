//! Per-pixel tone operations with sharp's semantics: `negate`, `gamma` and `threshold` map one
//! 8-bit value to another through a 256-entry table (one lookup per byte); `modulate`, `normalise`
//! and `tint` work in LCh / Lab as libvips does ([`super::lab`]).

use super::lab;
use super::options::Rgba;
use super::tone_options::{Modulate, Normalise, Threshold};
use super::Pixels;

/// Applies `table` to the colour channels of `px`, and to alpha too when `alpha` is true.
fn map(px: &mut Pixels, table: &[u8; 256], alpha: bool) {
    let colour = if px.has_alpha() && !alpha {
        px.channels as usize - 1
    } else {
        px.channels as usize
    };
    for chunk in px.data.chunks_exact_mut(px.channels as usize) {
        for v in &mut chunk[..colour] {
            *v = table[*v as usize];
        }
    }
}

fn table(f: impl Fn(u8) -> u8) -> [u8; 256] {
    let mut t = [0u8; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = f(u8::try_from(i).unwrap_or(u8::MAX));
    }
    t
}

/// `negate`: 255 − value on the colour channels, and on alpha when `alpha` (libvips's `invert`).
pub fn negate(mut px: Pixels, alpha: bool) -> Pixels {
    map(&mut px, &table(|v| 255 - v), alpha);
    px
}

/// libvips's `gamma` for 8-bit images: `255 · (v / 255)^(1 / exponent)` on the colour channels,
/// truncated to an integer as libvips casts it back (sharp's output, measured: 0.94 → 0, 1.98 → 1);
/// alpha is kept as it is (sharp separates it first).
pub fn gamma(mut px: Pixels, exponent: f64) -> Pixels {
    let e = 1.0 / exponent;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "255 · x^e with x in [0, 1] lies in [0, 255]"
    )]
    let t = table(|v| (255.0 * (f64::from(v) / 255.0).powf(e)) as u8);
    map(&mut px, &t, false);
    px
}

/// `threshold`: every channel, alpha included, becomes 255 at or above the level and 0 below it
/// (libvips's `>=`). With `grayscale` the colour channels are first one grey value, as libvips's
/// `b-w` computes it: Rec. 709 luminance in linear light, encoded back to sRGB; the comparison is
/// made in linear light against the level decoded, so no power is taken per pixel. A colour image
/// stays in its channels (grey replicated), as sharp converts it back to its colour space. Level 0
/// is no operation, as in sharp.
pub fn threshold(mut px: Pixels, t: Threshold) -> Pixels {
    if t.threshold == 0 {
        return px;
    }
    let level = t.threshold;
    let cut = table(|v| if v >= level { 255 } else { 0 });
    let n = px.channels as usize;
    if !t.grayscale || n < 3 {
        for v in &mut px.data {
            *v = cut[*v as usize];
        }
        return px;
    }
    // The grey value rounds to `level` or more exactly when its linear luminance reaches this.
    let at = lab::to_linear_f(f64::from(level) - 0.5);
    for chunk in px.data.chunks_exact_mut(n) {
        let y = luminance(chunk);
        let grey = if y >= at { 255 } else { 0 };
        chunk[..3].fill(grey);
        if n == 4 {
            chunk[3] = cut[chunk[3] as usize];
        }
    }
    px
}

/// `modulate`: each pixel to LCh, L* × brightness + lightness, C* × saturation, h + hue, and back
/// (clipped to sRGB). Grey images change in L* only, as sharp converts them back to grey.
pub fn modulate(mut px: Pixels, m: Modulate) -> Pixels {
    let n = px.channels as usize;
    let hue = f64::from(m.hue % 360);
    if n < 3 {
        let t = table(|v| {
            let l = lab::lab_of_srgb([v, v, v])[0] * m.brightness + m.lightness;
            lab::srgb_of_lab([l, 0.0, 0.0])[1]
        });
        map(&mut px, &t, false);
        return px;
    }
    for chunk in px.data.chunks_exact_mut(n) {
        let [l, c, h] = lab::lch_of_lab(lab::lab_of_srgb([chunk[0], chunk[1], chunk[2]]));
        let lch = [l * m.brightness + m.lightness, c * m.saturation, h + hue];
        chunk[..3].copy_from_slice(&lab::srgb_of_lab(lab::lab_of_lch(lch)));
    }
    px
}

/// `normalise`: sharp's contrast stretch. L* of every pixel (sRGB → D65 Lab, as libvips), its
/// `lower` and `upper` percentiles found as libvips's `percent` finds them (a histogram of L*
/// truncated to integers, up to the largest value seen; the cumulative count scaled so its last
/// entry is that value and truncated; the first bin above `p`% of the histogram's size), or the
/// minimum and maximum (truncated) for 0 and 100; then L* × 100 / (max − min) − min × that, back to
/// sRGB with a* and b* (and alpha) kept. A range of 1 or less leaves the image as it is.
pub fn normalise(mut px: Pixels, n: Normalise) -> Pixels {
    let ch = px.channels as usize;
    let grey = ch < 3;
    let lightness = |p: &[u8]| {
        let rgb = if grey { [p[0]; 3] } else { [p[0], p[1], p[2]] };
        lab::lightness_of_srgb(rgb)
    };
    let mut hist = [0u64; 128];
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in px.data.chunks_exact(ch) {
        let l = lightness(p);
        lo = lo.min(l);
        hi = hi.max(l);
        hist[bin(l)] += 1;
    }
    if px.data.is_empty() {
        return px;
    }
    let min = if n.lower == 0 {
        truncate(lo)
    } else {
        percent(&hist, n.lower)
    };
    let max = if n.upper == 100 {
        truncate(hi)
    } else {
        percent(&hist, n.upper)
    };
    if (max - min).abs() <= 1 {
        return px;
    }
    let f = 100.0 / f64::from(max - min);
    let a = -(f64::from(min) * f);
    if grey {
        let t = table(|v| lab::srgb_of_lab([lab::lab_of_srgb([v, v, v])[0] * f + a, 0.0, 0.0])[1]);
        map(&mut px, &t, false);
        return px;
    }
    for p in px.data.chunks_exact_mut(ch) {
        let [l, la, lb] = lab::lab_of_srgb([p[0], p[1], p[2]]);
        p[..3].copy_from_slice(&lab::srgb_of_lab([l * f + a, la, lb]));
    }
    px
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "L* is 0–100: libvips casts it to an integer by truncation"
)]
fn bin(l: f64) -> usize {
    (l.max(0.0) as usize).min(127)
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "L* is 0–100; sharp stores min and max in an int"
)]
fn truncate(l: f64) -> i32 {
    l as i32
}

/// libvips's `percent` over a histogram of truncated L*.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "counts and bins are small; truncation is hist_norm's cast"
)]
fn percent(hist: &[u64], p: u8) -> i32 {
    let mx = hist.iter().rposition(|&c| c > 0).unwrap_or(0);
    let size = mx + 1;
    let total: u64 = hist[..size].iter().sum();
    let scale = mx as f64 / total as f64;
    let threshold = f64::from(p) / 100.0 * size as f64;
    let mut cum = 0u64;
    for (i, &c) in hist[..size].iter().enumerate() {
        cum += c;
        if ((cum as f64 * scale) as u64) as f64 > threshold {
            return i as i32;
        }
    }
    size as i32
}

/// `tint`: sharp's tint, a table from the pixel's grey level (libvips's `b-w`) to a colour with that
/// L* and the tint's a*/b*, weighted towards mid-tones by `1 − 4(L*/100 − ½)²`. Colour images come
/// out in colour (alpha kept); grey images stay grey, as sharp converts them back.
pub fn tint(px: Pixels, colour: Rgba) -> Pixels {
    let [_, ta, tb] = lab::lab_of_srgb([colour.0[0], colour.0[1], colour.0[2]]);
    let lut: Vec<[u8; 3]> = (0..=255u8)
        .map(|v| {
            let l = lab::lab_of_srgb([v, v, v])[0];
            let w = 1.0 - 4.0 * (l / 100.0 - 0.5) * (l / 100.0 - 0.5);
            lab::srgb_of_lab([l, w * ta, w * tb])
        })
        .collect();
    let n = px.channels as usize;
    if n < 3 {
        return px;
    }
    let mut px = px;
    for chunk in px.data.chunks_exact_mut(n) {
        let rgb = lut[lab::to_code(luminance(chunk)) as usize];
        chunk[..3].copy_from_slice(&rgb);
    }
    px
}

/// Rec. 709 luminance in linear light of an RGB pixel's first three bytes (libvips's `b-w` before
/// it encodes the result back to sRGB).
fn luminance(rgb: &[u8]) -> f64 {
    0.2126 * lab::to_linear(rgb[0])
        + 0.7152 * lab::to_linear(rgb[1])
        + 0.0722 * lab::to_linear(rgb[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(channels: u8, data: &[u8]) -> Pixels {
        Pixels {
            width: u32::try_from(data.len() / channels as usize).unwrap_or(0),
            height: 1,
            channels,
            data: data.to_vec(),
        }
    }

    #[test]
    fn negate_keeps_or_inverts_alpha() {
        assert_eq!(
            negate(px(4, &[0, 10, 255, 40]), true).data,
            [255, 245, 0, 215]
        );
        assert_eq!(
            negate(px(4, &[0, 10, 255, 40]), false).data,
            [255, 245, 0, 40]
        );
        assert_eq!(negate(px(1, &[3]), false).data, [252]);
    }

    #[test]
    fn gamma_round_trips_the_ends_and_leaves_alpha() {
        // As sharp measures: 255 · (128/255)^2.2 = 55.98 → 55; 255 · (28/255)^2.2 = 1.98 → 1.
        let out = gamma(px(2, &[0, 7, 255, 7, 128, 7, 28, 7]), 1.0 / 2.2);
        assert_eq!(out.data, [0, 7, 255, 7, 55, 7, 1, 7]);
        let back = gamma(px(1, &[1, 2]), 2.2);
        assert_eq!(back.data, [20, 28]);
    }

    #[test]
    fn threshold_levels_every_channel() {
        let t = Threshold {
            threshold: 128,
            grayscale: false,
        };
        assert_eq!(
            threshold(px(4, &[127, 128, 0, 200]), t).data,
            [0, 255, 0, 255]
        );
        let off = Threshold {
            threshold: 0,
            grayscale: true,
        };
        assert_eq!(threshold(px(3, &[1, 2, 3]), off).data, [1, 2, 3]);
    }
}
