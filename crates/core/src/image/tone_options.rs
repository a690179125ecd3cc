//! The options of the tone and edge operations (`negate`, `gamma`, `threshold`, `modulate`,
//! `normalise`, `extend`, `trim`), part of the image contract in [`super::options`]: sharp's names and defaults; their
//! ranges are rows of [`super::options::RANGES`].

use super::options::Rgba;
use serde::{Deserialize, Serialize};

/// `negate({ alpha })`: every colour channel becomes 255 − value; alpha too unless `alpha` is false.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Negate {
    pub alpha: bool,
}

impl Default for Negate {
    fn default() -> Self {
        Negate { alpha: true }
    }
}

/// `gamma(gamma, gammaOut)`: the colour channels are darkened by `1/gamma` before resizing and
/// brightened by `gammaOut` after the other operations, as sharp does (alpha untouched).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Gamma {
    pub gamma: f64,
    pub gamma_out: f64,
}

impl Default for Gamma {
    fn default() -> Self {
        Gamma {
            gamma: 2.2,
            gamma_out: 2.2,
        }
    }
}

/// `threshold(threshold, { grayscale })`: each channel (after conversion to grey, by default)
/// becomes 255 at or above `threshold` and 0 below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Threshold {
    pub threshold: u8,
    pub grayscale: bool,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold {
            threshold: 128,
            grayscale: true,
        }
    }
}

/// `modulate({ brightness, saturation, hue, lightness })`: in LCh, L* × brightness + lightness,
/// C* × saturation, h + hue degrees (alpha untouched).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Modulate {
    pub brightness: f64,
    pub saturation: f64,
    pub hue: i32,
    pub lightness: f64,
}

impl Default for Modulate {
    fn default() -> Self {
        Modulate {
            brightness: 1.0,
            saturation: 1.0,
            hue: 0,
            lightness: 0.0,
        }
    }
}

/// `normalise({ lower, upper })`: L* stretched so that the `lower` percentile becomes 0 and the
/// `upper` one 100 (chroma and alpha kept), as sharp does it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Normalise {
    pub lower: u8,
    pub upper: u8,
}

impl Default for Normalise {
    fn default() -> Self {
        Normalise {
            lower: 1,
            upper: 99,
        }
    }
}

/// `trim({ background, threshold, lineArt, margin })`: the edges that differ from the background by
/// at most `threshold` in every channel are cut off (see `image/trim.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Trim {
    /// `None`: the top-left pixel.
    pub background: Option<Rgba>,
    pub threshold: f64,
    /// No 3×3 median first (thin lines count).
    pub line_art: bool,
    /// Pixels kept around the content.
    pub margin: u32,
}

impl Default for Trim {
    fn default() -> Self {
        Trim {
            background: None,
            threshold: 10.0,
            line_art: false,
            margin: 0,
        }
    }
}

/// What `extend` fills the new edges with, as sharp names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtendWith {
    /// The `background` colour.
    #[default]
    Background,
    /// The nearest edge pixel, repeated.
    Copy,
    /// The image, tiled.
    Repeat,
    /// The image, mirrored at each edge.
    Mirror,
}

impl ExtendWith {
    /// Every value.
    pub const ALL: [ExtendWith; 4] = [
        ExtendWith::Background,
        ExtendWith::Copy,
        ExtendWith::Repeat,
        ExtendWith::Mirror,
    ];
}

/// `extend({ top, bottom, left, right, background, extendWith })`: pixels added around the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Extend {
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
    pub background: Rgba,
    pub extend_with: ExtendWith,
}
