//! The blend modes of `composite`, per pixel, as libvips computes them for 8-bit RGBA in its
//! vector path: every value scaled to 0–1 in f32, colours premultiplied by their alpha, each
//! step rounded to f32 in libvips's order (Rust neither reorders nor fuses f32 arithmetic), and
//! the result truncated back to 8 bits. Byte for byte what sharp 0.35 (libvips 8.18) gives,
//! including where its formulas differ from the PDF/Cairo ones: the separable modes apply their
//! function to premultiplied values, and `dest-atop` does not scale the base by the layer's alpha.

use super::composite_options::Blend;

/// A premultiplied pixel: colour × alpha in 0–1, then alpha.
pub(crate) type Px = [f32; 4];

const MAX: f32 = 255.0;

/// An 8-bit RGBA pixel, premultiplied.
#[inline]
pub(crate) fn load(p: &[u8]) -> Px {
    let a = f32::from(p[3]) / MAX;
    [
        f32::from(p[0]) / MAX * a,
        f32::from(p[1]) / MAX * a,
        f32::from(p[2]) / MAX * a,
        a,
    ]
}

/// An 8-bit RGB pixel, opaque: what [`load`] gives for alpha 255 (× 1.0 is exact).
#[inline]
pub(crate) fn load_opaque(p: &[u8]) -> Px {
    [
        f32::from(p[0]) / MAX,
        f32::from(p[1]) / MAX,
        f32::from(p[2]) / MAX,
        1.0,
    ]
}

/// An 8-bit RGBA pixel whose colours are already premultiplied: libvips first divides them by
/// the alpha (an f32 image), then premultiplies again.
#[inline]
pub(crate) fn load_premultiplied(p: &[u8]) -> Px {
    let alpha = f32::from(p[3]);
    let factor = if alpha == 0.0 { 0.0 } else { MAX / alpha };
    let a = alpha / MAX;
    let c = |v: u8| factor * f32::from(v) / MAX * a;
    [c(p[0]), c(p[1]), c(p[2]), a]
}

/// Back to 8-bit RGBA (or RGB, when `out` has 3 bytes: the colours of the RGBA result):
/// colours divided by alpha, scaled, clipped and truncated.
#[inline]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to 0–255 first; truncation is libvips's cast"
)]
pub(crate) fn store(b: &Px, out: &mut [u8]) {
    let a = b[3];
    let byte = |v: f32| (v * MAX).clamp(0.0, MAX) as u8;
    for k in 0..3 {
        out[k] = if a == 0.0 { 0 } else { byte(b[k] / a) };
    }
    if let Some(alpha) = out.get_mut(3) {
        *alpha = byte(a);
    }
}

/// The separable blend function of a PDF mode, on premultiplied channel values.
#[inline]
fn separable(mode: Blend, a: f32, b: f32) -> f32 {
    let hard = |a: f32, b: f32| 1.0 - (2.0 * (1.0 - a)) * (1.0 - b);
    match mode {
        Blend::Multiply => a * b,
        Blend::Screen => (a + b) - a * b,
        Blend::Overlay if b <= 0.5 => (2.0 * a) * b,
        Blend::Overlay => hard(a, b),
        Blend::Darken => a.min(b),
        Blend::Lighten => a.max(b),
        Blend::ColourDodge if a < 1.0 => (b / (1.0 - a)).min(1.0),
        Blend::ColourDodge => 1.0,
        Blend::ColourBurn if a > 0.0 => 1.0 - ((1.0 - b) / a).min(1.0),
        Blend::ColourBurn => 0.0,
        Blend::HardLight if a <= 0.5 => (2.0 * a) * b,
        Blend::HardLight => hard(a, b),
        Blend::SoftLight => {
            let g = if b <= 0.25 {
                (((16.0 * b - 12.0) * b) + 4.0) * b
            } else {
                b.sqrt()
            };
            if a <= 0.5 {
                b - ((1.0 - 2.0 * a) * b) * (1.0 - b)
            } else {
                b + ((2.0 * a) - 1.0) * (g - b)
            }
        }
        Blend::Difference => (b - a).abs(),
        Blend::Exclusion => (a + b) - (2.0 * a) * b,
        _ => unreachable!("not a separable mode"),
    }
}

/// Blends layer pixel `a` onto `b` (both premultiplied) with `mode`.
#[inline]
pub(crate) fn blend(mode: Blend, a: &Px, b: &mut Px) {
    let (aa, ab) = (a[3], b[3]);
    let ar;
    match mode {
        Blend::Clear => {
            ar = 0.0;
            b[..3].fill(0.0);
        }
        Blend::Source => {
            ar = aa;
            b[..3].copy_from_slice(&a[..3]);
        }
        Blend::Over | Blend::Atop => {
            ar = if mode == Blend::Over {
                aa + ab * (1.0 - aa)
            } else {
                ab
            };
            let t = 1.0 - aa;
            for k in 0..3 {
                b[k] = a[k] + t * b[k];
            }
        }
        Blend::In | Blend::Out => {
            ar = if mode == Blend::In {
                aa * ab
            } else {
                aa * (1.0 - ab)
            };
            if aa != 0.0 {
                for k in 0..3 {
                    b[k] = (a[k] * ar) / aa;
                }
            }
        }
        Blend::Dest => ar = ab,
        Blend::DestOver => {
            ar = ab + aa * (1.0 - ab);
            let t = 1.0 - ab;
            for k in 0..3 {
                b[k] += t * a[k];
            }
        }
        Blend::DestIn | Blend::DestOut => {
            ar = if mode == Blend::DestIn {
                aa * ab
            } else {
                (1.0 - aa) * ab
            };
            if ab != 0.0 {
                let f = ar / ab;
                for v in &mut b[..3] {
                    *v *= f;
                }
            }
        }
        Blend::DestAtop => {
            ar = aa;
            let t = 1.0 - ab;
            for k in 0..3 {
                b[k] += t * a[k];
            }
        }
        Blend::Xor => {
            ar = (aa + ab) - (2.0 * aa) * ab;
            let (t1, t2) = (1.0 - ab, 1.0 - aa);
            for k in 0..3 {
                b[k] = t1 * a[k] + t2 * b[k];
            }
        }
        Blend::Add => {
            ar = (aa + ab).min(1.0);
            for k in 0..3 {
                b[k] += a[k];
            }
        }
        Blend::Saturate => {
            ar = (aa + ab).min(1.0);
            let t = aa.min(1.0 - ab);
            for k in 0..3 {
                b[k] += t * a[k];
            }
        }
        _ => {
            ar = aa + ab * (1.0 - aa);
            let (t1, t2, t3) = (1.0 - ab, 1.0 - aa, aa * ab);
            for k in 0..3 {
                let f = separable(mode, a[k], b[k]);
                b[k] = (t1 * a[k] + t2 * b[k]) + t3 * f;
            }
        }
    }
    b[3] = ar;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(mode: Blend, base: [u8; 4], layer: [u8; 4]) -> [u8; 4] {
        let mut b = load(&base);
        blend(mode, &load(&layer), &mut b);
        let mut out = [0; 4];
        store(&b, &mut out);
        out
    }

    #[test]
    fn over_truncates_as_libvips() {
        // 200 + (255 − 200) × 128/255 = 227.6: libvips's cast truncates.
        assert_eq!(
            one(Blend::Over, [200, 100, 50, 255], [255, 0, 0, 128]),
            [227, 49, 24, 255]
        );
    }

    #[test]
    fn an_opaque_base_round_trips_exactly_under_a_transparent_layer() {
        for v in 0..=255u8 {
            for mode in Blend::ALL.into_iter().filter(|m| m.is_local()) {
                assert_eq!(
                    one(mode, [v, 255 - v, v / 2, 255], [0; 4]),
                    [v, 255 - v, v / 2, 255]
                );
            }
        }
    }

    #[test]
    fn the_porter_duff_extremes() {
        let (base, layer) = ([10, 20, 30, 255], [200, 100, 50, 255]);
        assert_eq!(one(Blend::Clear, base, layer), [0, 0, 0, 0]);
        assert_eq!(one(Blend::Source, base, layer), layer);
        assert_eq!(one(Blend::Over, base, layer), layer);
        assert_eq!(one(Blend::Dest, base, layer), base);
        assert_eq!(one(Blend::DestOver, base, layer), base);
        assert_eq!(one(Blend::Xor, base, layer), [0, 0, 0, 0]);
        assert_eq!(one(Blend::Out, base, layer), [0, 0, 0, 0]);
        assert_eq!(one(Blend::DestOut, base, layer), [0, 0, 0, 0]);
    }
}
