//! sRGB ↔ CIE L\*a\*b\* (D65) ↔ LCh, as libvips converts 8-bit sRGB: the sRGB transfer function,
//! the sRGB primaries' matrix to XYZ (scaled to 0–100), and Lab with D65's white point. For the
//! operations sharp runs in those spaces (`modulate`, `tint`).

use std::sync::OnceLock;

/// D65's white in XYZ (0–100), libvips's `VIPS_D65_*`.
const WHITE: [f64; 3] = [95.047, 100.0, 108.883];

/// The sRGB transfer function inverted: a code value on the 8-bit scale (fractions allowed) to
/// linear light (0–1).
pub fn to_linear_f(code: f64) -> f64 {
    let c = code / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// [`to_linear_f`] of every 8-bit code value, computed once.
fn linear_table() -> &'static [f64; 256] {
    static TABLE: OnceLock<[f64; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0.0; 256];
        for (v, l) in (0u8..=255).zip(t.iter_mut()) {
            *l = to_linear_f(f64::from(v));
        }
        t
    })
}

/// An 8-bit code value to linear light (0–1): a table lookup.
pub fn to_linear(v: u8) -> f64 {
    linear_table()[v as usize]
}

/// Linear light (0–1, clipped) to an 8-bit code value, rounded to nearest.
pub fn to_code(l: f64) -> u8 {
    let l = l.clamp(0.0, 1.0);
    let c = if l <= 0.003_130_8 {
        12.92 * l
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "c is in [0, 1] after the clamp"
    )]
    let out = (c * 255.0).round() as u8;
    out
}

fn f(t: f64) -> f64 {
    if t > 0.008_856 {
        t.cbrt()
    } else {
        7.787 * t + 16.0 / 116.0
    }
}

fn f_inv(t: f64) -> f64 {
    let cube = t * t * t;
    if cube > 0.008_856 {
        cube
    } else {
        (t - 16.0 / 116.0) / 7.787
    }
}

/// Linear sRGB (0–1 each) to Lab.
pub fn lab_of_linear([r, g, b]: [f64; 3]) -> [f64; 3] {
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) * 100.0;
    let y = (0.2126 * r + 0.7152 * g + 0.0722 * b) * 100.0;
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) * 100.0;
    lab_of_xyz([x, y, z])
}

/// XYZ (Y of white = 100) to Lab.
pub fn lab_of_xyz([x, y, z]: [f64; 3]) -> [f64; 3] {
    let (fx, fy, fz) = (f(x / WHITE[0]), f(y / WHITE[1]), f(z / WHITE[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Lab to linear sRGB (0–1 each, not clipped).
pub fn linear_of_lab([l, a, b]: [f64; 3]) -> [f64; 3] {
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let (x, y, z) = (
        f_inv(fx) * WHITE[0] / 100.0,
        f_inv(fy) * WHITE[1] / 100.0,
        f_inv(fz) * WHITE[2] / 100.0,
    );
    [
        3.240_6 * x - 1.537_2 * y - 0.498_6 * z,
        -0.968_9 * x + 1.875_8 * y + 0.041_5 * z,
        0.055_7 * x - 0.204_0 * y + 1.057_0 * z,
    ]
}

/// Lab to LCh (h in degrees, 0–360).
pub fn lch_of_lab([l, a, b]: [f64; 3]) -> [f64; 3] {
    let h = b.atan2(a).to_degrees();
    [l, a.hypot(b), if h < 0.0 { h + 360.0 } else { h }]
}

/// LCh to Lab.
pub fn lab_of_lch([l, c, h]: [f64; 3]) -> [f64; 3] {
    let (s, co) = h.to_radians().sin_cos();
    [l, c * co, c * s]
}

/// An 8-bit sRGB triple to Lab.
pub fn lab_of_srgb(rgb: [u8; 3]) -> [f64; 3] {
    lab_of_linear(rgb.map(to_linear))
}

/// L* of an 8-bit sRGB triple: what [`lab_of_srgb`] gives first, computed alone.
pub fn lightness_of_srgb(rgb: [u8; 3]) -> f64 {
    let [r, g, b] = rgb.map(to_linear);
    let y = (0.2126 * r + 0.7152 * g + 0.0722 * b) * 100.0;
    116.0 * f(y / WHITE[1]) - 16.0
}

/// Lab to an 8-bit sRGB triple (clipped).
pub fn srgb_of_lab(lab: [f64; 3]) -> [u8; 3] {
    linear_of_lab(lab).map(to_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        for rgb in [
            [0, 0, 0],
            [255, 255, 255],
            [255, 0, 0],
            [12, 200, 77],
            [128, 128, 128],
        ] {
            assert_eq!(srgb_of_lab(lab_of_srgb(rgb)), rgb, "{rgb:?}");
        }
        // sRGB red in Lab (D65): about (53.24, 80.09, 67.20).
        let red = lab_of_srgb([255, 0, 0]);
        assert!(
            (red[0] - 53.24).abs() < 0.05
                && (red[1] - 80.09).abs() < 0.1
                && (red[2] - 67.20).abs() < 0.1
        );
        let white = lab_of_srgb([255, 255, 255]);
        assert!((white[0] - 100.0).abs() < 0.02 && white[1].abs() < 0.02 && white[2].abs() < 0.02);
        let lch = lch_of_lab(red);
        let back = lab_of_lch(lch);
        assert!((back[1] - red[1]).abs() < 1e-9 && (back[2] - red[2]).abs() < 1e-9);
    }
}
