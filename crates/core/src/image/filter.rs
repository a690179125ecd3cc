//! Neighbourhood operations: Gaussian blur, unsharp-mask sharpening, arbitrary-angle rotation.
//! Each works row by row and looks at the cancel flag between bands.

use super::geometry::rotate_quarters;
use super::pixels::{byte_len, zeroed, Pixels};
use super::{check, Cancel, Rgba};
use crate::error::Result;

const BAND: usize = 64;

/// A normalised 1-D Gaussian kernel of radius ⌈3σ⌉.
fn gaussian(sigma: f32) -> Vec<f32> {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "sigma <= 1000 (BLUR_SIGMA; SHARPEN_SIGMA <= 10), so the radius is at most 3000"
    )]
    let radius = (3.0 * sigma).ceil().max(1.0) as i32;
    let k: Vec<f32> = (-radius..=radius)
        .map(|x| (-(x * x) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    k.into_iter().map(|v| v / sum).collect()
}

/// Convolves every channel of `px` with `k` along rows then columns (edges clamped), handing
/// each output row to `row_out(y, values)`. Works in a window of rows: the horizontal pass keeps
/// only the 2r + 1 rows (or the image's height, if less) the vertical pass needs, in f32, so the
/// scratch is that window, never a whole image in f32 (which was 4× the image's bytes, twice).
fn separable(
    px: &Pixels,
    k: &[f32],
    cancel: Cancel,
    mut row_out: impl FnMut(usize, &[f32]),
) -> Result<()> {
    let (w, h, n) = (px.width as usize, px.height as usize, px.channels as usize);
    let r = (k.len() / 2) as isize;
    let stride = w * n;
    let window = (k.len()).min(h);
    let mut ring = vec![0f32; window * stride];
    let mut out = vec![0f32; stride];
    let mut next = 0; // the next row for the horizontal pass
    for y in 0..h {
        if y % BAND == 0 {
            check(cancel)?;
        }
        let last = (y as isize + r).min(h as isize - 1) as usize;
        while next <= last {
            let row = &px.data[next * stride..(next + 1) * stride];
            let slot = &mut ring[(next % window) * stride..(next % window + 1) * stride];
            for x in 0..w {
                for c in 0..n {
                    let mut acc = 0.0;
                    for (i, kv) in k.iter().enumerate() {
                        let sx = (x as isize + i as isize - r).clamp(0, w as isize - 1) as usize;
                        acc += kv * f32::from(row[sx * n + c]);
                    }
                    slot[x * n + c] = acc;
                }
            }
            next += 1;
        }
        out.fill(0.0);
        for (i, kv) in k.iter().enumerate() {
            let sy = (y as isize + i as isize - r).clamp(0, h as isize - 1) as usize;
            let src = &ring[(sy % window) * stride..(sy % window + 1) * stride];
            for (d, s) in out.iter_mut().zip(src) {
                *d += kv * s;
            }
        }
        row_out(y, &out);
    }
    Ok(())
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "clamped to 0..=255 first (NaN casts to 0)"
)]
fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Gaussian blur of `sigma`; 0 is sharp's fast 3×3 box blur.
pub fn blur(px: Pixels, sigma: f32, cancel: Cancel) -> Result<Pixels> {
    let k = if sigma == 0.0 {
        vec![1.0 / 3.0; 3]
    } else {
        gaussian(sigma)
    };
    let mut data = zeroed(px.data.len())?;
    let stride = px.row_len();
    separable(&px, &k, cancel, |y, row| {
        for (d, &v) in data[y * stride..(y + 1) * stride].iter_mut().zip(row) {
            *d = to_u8(v);
        }
    })?;
    Ok(Pixels { data, ..px })
}

/// Unsharp mask on the colour channels (alpha untouched): differences below 2 levels gain
/// `m1`, larger ones `m2`. Sigma 0 is a mild 3×3 sharpen.
pub fn sharpen(px: Pixels, sigma: f32, m1: f32, m2: f32, cancel: Cancel) -> Result<Pixels> {
    let (k, m1, m2) = if sigma == 0.0 {
        (vec![0.25, 0.5, 0.25], 0.5, 0.5)
    } else {
        (gaussian(sigma), m1, m2)
    };
    let n = px.channels as usize;
    let colour = if px.has_alpha() { n - 1 } else { n };
    let mut data = px.data.clone();
    let stride = px.row_len();
    separable(&px, &k, cancel, |y, blurred| {
        for (i, v) in data[y * stride..(y + 1) * stride].iter_mut().enumerate() {
            if i % n >= colour {
                continue;
            }
            let d = f32::from(*v) - blurred[i];
            let gain = if d.abs() < 2.0 { m1 } else { m2 };
            *v = to_u8(f32::from(*v) + gain * d);
        }
    })?;
    Ok(Pixels { data, ..px })
}

/// The size of a `width` × `height` image rotated by `angle` degrees: swapped for an odd number
/// of quarter turns, else the bounding box of the turned rectangle (what [`rotate`] allocates).
#[expect(
    clippy::cast_possible_truncation,
    reason = "float-to-int `as` saturates: a box past u32::MAX gives u32::MAX, never a wrap"
)]
pub fn rotated_size(width: u32, height: u32, angle: f64) -> (u32, u32) {
    let a = angle.rem_euclid(360.0);
    if a % 90.0 == 0.0 {
        return if a % 180.0 == 0.0 {
            (width, height)
        } else {
            (height, width)
        };
    }
    let (sin, cos) = a.to_radians().sin_cos();
    let (w, h) = (f64::from(width), f64::from(height));
    let ow = (w * cos.abs() + h * sin.abs()).round().max(1.0) as u32;
    let oh = (w * sin.abs() + h * cos.abs()).round().max(1.0) as u32;
    (ow, oh)
}

/// Rotates clockwise by `angle` degrees. Multiples of 90 are exact; other angles resample
/// bilinearly into the bounding box, filling the corners with `background`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "a / 90 is 0..=3; the bounding box saturates rather than wraps; floor()ed sample \
              coordinates saturate and are bounds-checked before use as indices; the blend of \
              two bytes fits f32"
)]
pub fn rotate(px: Pixels, angle: f64, background: Rgba, cancel: Cancel) -> Result<Pixels> {
    let a = angle.rem_euclid(360.0);
    if a % 90.0 == 0.0 {
        return rotate_quarters(px, (a / 90.0) as u32);
    }
    let px = if background.0[3] < 255 && !px.has_alpha() {
        let channels = px.channels + 1;
        px.into_channels(channels)
    } else {
        px
    };
    let n = px.channels as usize;
    let (sin, cos) = a.to_radians().sin_cos();
    let (w, h) = (f64::from(px.width), f64::from(px.height));
    let (ow, oh) = rotated_size(px.width, px.height, angle);
    let mut data = zeroed(byte_len(ow, oh, px.channels)?)?;
    let bg = Pixels::filled(1, 1, px.channels, background)?.data;
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (ocx, ocy) = (f64::from(ow) / 2.0, f64::from(oh) / 2.0);
    let sample = |x: i64, y: i64, c: usize| -> f64 {
        if x < 0 || y < 0 || x >= i64::from(px.width) || y >= i64::from(px.height) {
            f64::from(bg[c])
        } else {
            f64::from(px.data[(y as usize * px.width as usize + x as usize) * n + c])
        }
    };
    for oy in 0..oh as usize {
        if oy % BAND == 0 {
            check(cancel)?;
        }
        for ox in 0..ow as usize {
            // Inverse map: output pixel centre → input coordinates.
            let (dx, dy) = (ox as f64 + 0.5 - ocx, oy as f64 + 0.5 - ocy);
            let sx = dx * cos + dy * sin + cx - 0.5;
            let sy = -dx * sin + dy * cos + cy - 0.5;
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            for c in 0..n {
                let top = sample(x0, y0, c) * (1.0 - fx) + sample(x0 + 1, y0, c) * fx;
                let bottom = sample(x0, y0 + 1, c) * (1.0 - fx) + sample(x0 + 1, y0 + 1, c) * fx;
                data[(oy * ow as usize + ox) * n + c] =
                    to_u8((top * (1.0 - fy) + bottom * fy) as f32);
            }
        }
    }
    Ok(Pixels {
        width: ow,
        height: oh,
        channels: px.channels,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> bool {
        false
    }

    #[test]
    fn blur_keeps_flat_images_flat_and_spreads_a_dot() {
        let mut px = Pixels::filled(9, 9, 1, Rgba([100, 100, 100, 255])).unwrap();
        let flat = blur(px.clone(), 1.5, &never).unwrap();
        assert!(flat.data.iter().all(|&v| v == 100));
        px.data[4 * 9 + 4] = 255;
        let spread = blur(px, 1.0, &never).unwrap();
        assert!(spread.data[4 * 9 + 4] < 255 && spread.data[4 * 9 + 5] > 100);
    }

    #[test]
    fn rotate_45_grows_the_canvas_and_fills_corners() {
        let px = Pixels::filled(10, 10, 3, Rgba([255, 255, 255, 255])).unwrap();
        let r = rotate(px, 45.0, Rgba([0, 0, 0, 255]), &never).unwrap();
        assert_eq!((r.width, r.height), (14, 14));
        assert_eq!(&r.data[..3], &[0, 0, 0]);
        let mid = (7 * 14 + 7) * 3;
        assert_eq!(&r.data[mid..mid + 3], &[255, 255, 255]);
    }
}
