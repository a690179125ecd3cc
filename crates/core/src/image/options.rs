//! The image contract: what a pipeline may ask for, its defaults and its ranges.
//!
//! These types are what the binding deserializes from the JS object lib/image.js builds (field
//! names in camelCase, every field optional: a missing one takes the `Default` below, an unknown
//! one is refused), and the ranges and defaults here are the ones lib/ validates against (read
//! through the binding's policy table). Adding an option: its field here (and its value in the
//! `Default` impl; for a number, a [`RANGES`] row and a check in [`Spec::validate`]), one table
//! entry in lib/image-options.js or lib/image.js, one line in index.d.ts. The binding is unchanged.

use super::composite_options::{self as composite, Create, Layer, RawInput};
use super::geometry::{Fit, Gravity};
use super::output_options::Output;
use super::tone_options::{Extend, Gamma, Modulate, Negate, Normalise, Threshold, Trim};
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::ops::RangeInclusive;

/// sharp's default `limitInputPixels`: 0x3FFF × 0x3FFF.
pub const DEFAULT_LIMIT_PIXELS: u64 = 0x3FFF * 0x3FFF;
/// Default `maxInputBytes`: the largest file a path input may be (512 MiB; an uncompressed BMP or TIFF
/// near the default pixel limit is larger: raise it for those). Buffers are already in memory and
/// are not limited by it.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 512 << 20;
/// `maxInputBytes`: from 1 byte to JS's largest safe integer.
pub const MAX_INPUT_BYTES: RangeInclusive<u64> = 1..=(1 << 53) - 1;
/// A width or height in pixels (resize, extract); offsets run from 0 to the same maximum.
pub const DIMENSION: RangeInclusive<u32> = 1..=0x3FFF_FFFF;
/// sharp's `pages` option of `image()`: -1 is every frame from `page` on (the same as
/// `animated: true`); 0 is refused (sharp takes it, then libvips finds no page to read).
pub const PAGES: RangeInclusive<i32> = -1..=100_000;
/// sharp's `page`: the first frame to read, from 0.
pub const PAGE: RangeInclusive<u32> = 0..=100_000;
/// Gaussian blur sigma (0, outside the range, is the fast 3×3 box blur).
pub const BLUR_SIGMA: RangeInclusive<f64> = 0.3..=1000.0;
/// Unsharp-mask sigma (0, outside the range, is the fast mild 3×3 sharpen).
pub const SHARPEN_SIGMA: RangeInclusive<f64> = 0.000_001..=10.0;
/// Unsharp-mask gains `m1` (flat areas) and `m2` (jagged areas).
pub const SHARPEN_GAIN: RangeInclusive<f64> = 0.0..=1_000_000.0;
/// `gamma(gamma, gammaOut)`: sharp's range for both exponents.
pub const GAMMA: RangeInclusive<f64> = 1.0..=3.0;
/// `extend`: pixels added on one side (sharp's range; a single number for every side starts at 1).
pub const EXTEND: RangeInclusive<u32> = 0..=100_000_000;
/// `extend(n)`: one number for every side.
pub const EXTEND_ALL: RangeInclusive<u32> = 1..=100_000_000;
/// `threshold`: the level at or above which a channel becomes 255 (0 turns the operation off).
pub const THRESHOLD: RangeInclusive<u8> = 0..=255;
/// `modulate`: `brightness` and `saturation` multipliers (sharp: any number ≥ 0; capped here).
pub const MODULATE_FACTOR: RangeInclusive<f64> = 0.0..=1_000_000.0;
/// `modulate`: `lightness`, added to L* (0–100).
pub const LIGHTNESS: RangeInclusive<f64> = -1_000_000.0..=1_000_000.0;
/// `modulate`: `hue` rotation in whole degrees (taken modulo 360, as sharp does).
pub const HUE: RangeInclusive<i32> = -1_000_000_000..=1_000_000_000;
/// `median`: the window's side in pixels (sharp's range; 1 is no operation).
pub const MEDIAN: RangeInclusive<u32> = 1..=1000;
/// `normalise`: the lower percentile (sharp's range).
pub const NORMALISE_LOWER: RangeInclusive<u8> = 0..=99;
/// `normalise`: the upper percentile (sharp's range; above `lower`).
pub const NORMALISE_UPPER: RangeInclusive<u8> = 1..=100;
/// `trim`: the largest difference from the background that is still background (sharp: any
/// finite number ≥ 0).
pub const TRIM_THRESHOLD: RangeInclusive<f64> = 0.0..=1_000_000.0;
/// `trim`: pixels kept around the content (sharp's range).
pub const TRIM_MARGIN: RangeInclusive<u32> = 0..=10_000_000;
/// `avif`: sharp's effort range.
pub const AVIF_EFFORT: RangeInclusive<u8> = 0..=9;
/// `avif`: sharp's `bitdepth`, 8 only here (ravif is asked for 8-bit AV1).
pub const AVIF_BITDEPTH: RangeInclusive<u8> = 8..=8;
/// `median()` without a size.
pub const MEDIAN_DEFAULT: u32 = 3;
/// JPEG and WebP `quality`.
pub const QUALITY: RangeInclusive<u8> = 1..=100;
/// WebP `alphaQuality`, PNG palette `quality`.
pub const QUALITY_0: RangeInclusive<u8> = 0..=100;
/// PNG `compressionLevel` (zlib's levels).
pub const COMPRESSION_LEVEL: RangeInclusive<u8> = 0..=9;
/// WebP `effort` (libwebp's method).
pub const WEBP_EFFORT: RangeInclusive<u8> = 0..=6;
/// Palette `effort` (PNG palette, GIF): 1 fastest, 10 best.
pub const PALETTE_EFFORT: RangeInclusive<u8> = 1..=10;
/// Palette size (PNG palette, GIF).
pub const COLOURS: RangeInclusive<u16> = 2..=256;
/// Dither level (PNG palette, GIF).
pub const DITHER: RangeInclusive<f64> = 0.0..=1.0;
/// GIF `loop`: plays, 0 = forever.
pub const LOOP: RangeInclusive<u16> = 0..=u16::MAX;
/// GIF frame `delay` in ms (GIF stores centiseconds in 16 bits).
pub const DELAY_MS: RangeInclusive<u32> = 0..=655_350;

/// A numeric option's range as lib/ checks it: `(area, option, min, max)` in JS names, `area` ""
/// for image()'s own options. The binding exports every row (`policy().image[area][option]`), so a
/// new ranged option is one row here and one check in [`Spec::validate`]; the binding is unchanged.
#[allow(clippy::unnecessary_cast)] // the macro widens every range to f64, some already are
pub const RANGES: [(&str, &str, f64, f64); 44] = {
    macro_rules! row {
        ($area:literal, $name:literal, $range:expr) => {
            ($area, $name, *$range.start() as f64, *$range.end() as f64)
        };
    }
    [
        row!("", "dimension", DIMENSION),
        row!("", "pages", PAGES),
        row!("", "page", PAGE),
        row!("", "maxInputBytes", MAX_INPUT_BYTES),
        row!("blur", "sigma", BLUR_SIGMA),
        row!("sharpen", "sigma", SHARPEN_SIGMA),
        row!("sharpen", "m1", SHARPEN_GAIN),
        row!("sharpen", "m2", SHARPEN_GAIN),
        row!("gamma", "gamma", GAMMA),
        row!("extend", "size", EXTEND),
        row!("extend", "all", EXTEND_ALL),
        row!("threshold", "threshold", THRESHOLD),
        row!("modulate", "brightness", MODULATE_FACTOR),
        row!("modulate", "saturation", MODULATE_FACTOR),
        row!("modulate", "lightness", LIGHTNESS),
        row!("modulate", "hue", HUE),
        row!("median", "size", MEDIAN),
        row!("normalise", "lower", NORMALISE_LOWER),
        row!("trim", "threshold", TRIM_THRESHOLD),
        row!("trim", "margin", TRIM_MARGIN),
        row!("normalise", "upper", NORMALISE_UPPER),
        row!("composite", "offset", composite::OFFSET),
        row!("composite", "layers", composite::LAYERS),
        row!("raw", "channels", composite::RAW_CHANNELS),
        row!("create", "channels", composite::CREATE_CHANNELS),
        row!("jpeg", "quality", QUALITY),
        row!("png", "compressionLevel", COMPRESSION_LEVEL),
        row!("png", "quality", QUALITY_0),
        row!("png", "colours", COLOURS),
        row!("png", "effort", PALETTE_EFFORT),
        row!("png", "dither", DITHER),
        row!("webp", "quality", QUALITY),
        row!("webp", "alphaQuality", QUALITY_0),
        row!("webp", "effort", WEBP_EFFORT),
        row!("gif", "colours", COLOURS),
        row!("gif", "effort", PALETTE_EFFORT),
        row!("gif", "dither", DITHER),
        row!("gif", "loop", LOOP),
        row!("avif", "quality", QUALITY),
        row!("avif", "effort", AVIF_EFFORT),
        row!("avif", "bitdepth", AVIF_BITDEPTH),
        row!("webp", "loop", LOOP),
        row!("gif", "delay", DELAY_MS),
        row!("webp", "delay", DELAY_MS),
    ]
};

/// When a damaged input is refused, from least to most strict (sharp's `failOn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Decode whatever can be decoded.
    None,
    /// Refuse truncated data.
    Truncated,
    /// Refuse corrupt data.
    Error,
    /// Refuse anything a decoder warns about.
    #[default]
    Warning,
}

impl FailOn {
    /// Every value, least strict first.
    pub const ALL: [FailOn; 4] = [
        FailOn::None,
        FailOn::Truncated,
        FailOn::Error,
        FailOn::Warning,
    ];
}

/// An RGBA colour, alpha 0–255; `[r, g, b, a]` in JS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Rgba(pub [u8; 4]);

impl Rgba {
    /// Opaque black: the default background of rotate, flatten and resize's padding.
    pub const BLACK: Rgba = Rgba([0, 0, 0, 255]);
}

impl Default for Rgba {
    fn default() -> Self {
        Rgba::BLACK
    }
}

/// Resampling kernels, as sharp names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    Nearest,
    Linear,
    Cubic,
    Mitchell,
    #[default]
    Lanczos3,
}

impl Kernel {
    /// Every kernel.
    pub const ALL: [Kernel; 5] = [
        Kernel::Nearest,
        Kernel::Linear,
        Kernel::Cubic,
        Kernel::Mitchell,
        Kernel::Lanczos3,
    ];
}

/// `resize(width, height, options)`.
#[derive(Clone, Debug, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub position: Gravity,
    pub kernel: Kernel,
    pub without_enlargement: bool,
    pub without_reduction: bool,
    /// The padding of fit `contain`.
    pub background: Rgba,
    /// `position: 'entropy' | 'attention'`: a smart crop for fit `cover` (instead of `position`).
    pub strategy: Option<Strategy>,
}

/// sharp's smart-crop strategies (`sharp.strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Entropy,
    Attention,
}

impl Strategy {
    /// Every strategy, in sharp's numbering (16, 17).
    pub const ALL: [Strategy; 2] = [Strategy::Entropy, Strategy::Attention];
}

/// A crop rectangle (`extract`); every field is required.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// `rotate(angle, { background })`.
#[derive(Clone, Copy, Debug, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rotate {
    /// Degrees clockwise, any angle.
    pub angle: f64,
    /// The uncovered corners of an angle that is not a multiple of 90.
    pub background: Rgba,
}

/// `flatten({ background })`.
#[derive(Clone, Copy, Debug, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Flatten {
    pub background: Rgba,
}

/// `sharpen({ sigma, m1, m2 })`: an unsharp mask on the colour channels.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sharpen {
    /// 0 is sharp's fast mild 3×3 sharpen (what `sharpen()` without options does); the gains are
    /// then fixed.
    pub sigma: f32,
    /// Gain in flat areas.
    pub m1: f32,
    /// Gain in jagged areas.
    pub m2: f32,
}

impl Default for Sharpen {
    fn default() -> Self {
        Sharpen {
            sigma: 1.0,
            m1: 1.0,
            m2: 2.0,
        }
    }
}

/// The operations, applied in sharp's fixed order (see [`super::process`]), not in call order.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Ops {
    pub rotate: Option<Rotate>,
    /// `extract` before `resize`.
    pub extract_before: Option<Region>,
    pub flip: bool,
    pub flop: bool,
    pub resize: Option<Resize>,
    /// `extract` after `resize`.
    pub extract_after: Option<Region>,
    pub flatten: Option<Flatten>,
    /// Gaussian sigma; `Some(0.0)` is sharp's fast 3×3 box blur.
    pub blur: Option<f32>,
    pub sharpen: Option<Sharpen>,
    pub grayscale: bool,
    pub negate: Option<Negate>,
    pub gamma: Option<Gamma>,
    pub threshold: Option<Threshold>,
    pub extend: Option<Extend>,
    pub modulate: Option<Modulate>,
    /// `median(size)`: the window's side.
    pub median: Option<u32>,
    /// `tint(colour)`: the chroma of this colour on the image's luminance (alpha of the colour unused).
    pub tint: Option<Rgba>,
    /// `composite(images)`: layers over the base, in order, after the other geometry and filters.
    pub composite: Vec<Layer>,
    pub normalise: Option<Normalise>,
    /// `trim()`: on the upright image, before everything else.
    pub trim: Option<Trim>,
}

/// The whole pipeline.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// 0 = no limit.
    #[serde(rename = "limitInputPixels")]
    pub limit_pixels: u64,
    /// Apply the EXIF orientation.
    pub auto_orient: bool,
    pub fail_on: FailOn,
    /// Decode every frame from `page` on (sharp's `pages: -1`); GIF and WebP output keep them.
    pub animated: bool,
    /// Frames to decode from `page` when not `animated` (sharp's `pages`, 1 to 100,000).
    pub pages: u32,
    /// The first frame of a GIF or WebP to decode (sharp's `page`); other formats have one.
    pub page: u32,
    /// The largest file a path input may be, [`MAX_INPUT_BYTES`]; `metadata()` reads only the
    /// headers' bytes of any file, up to this.
    pub max_input_bytes: u64,
    pub ops: Ops,
    /// `None`: the input's format (TIFF and BMP fall back to PNG).
    pub output: Option<Output>,
    /// Keep EXIF, XMP and the ICC profile (else stripped, pixels converted to sRGB).
    pub keep_metadata: bool,
    /// The input is raw pixels of this shape, not an encoded image.
    pub raw: Option<RawInput>,
    /// No input: the base is an image of one colour.
    pub create: Option<Create>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            limit_pixels: DEFAULT_LIMIT_PIXELS,
            auto_orient: true,
            fail_on: FailOn::Warning,
            animated: false,
            pages: 1,
            page: 0,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            ops: Ops::default(),
            output: None,
            keep_metadata: false,
            raw: None,
            create: None,
        }
    }
}

fn out_of_range(name: &str, range: impl Display, value: impl Display) -> Error {
    Error::new(
        ErrorKind::OutOfRange,
        format!("Expected {range} for {name} but received {value}"),
    )
}

pub(crate) fn int<T: PartialOrd + Display + Copy>(
    name: &str,
    value: T,
    range: &RangeInclusive<T>,
) -> Result<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        let r = format!("integer between {} and {}", range.start(), range.end());
        Err(out_of_range(name, r, value))
    }
}

/// A float field against a range given in f64: compared in f32, so that the f32 nearest to a
/// bound (what a JS number at the bound becomes) is inside.
#[expect(
    clippy::cast_possible_truncation,
    reason = "rounding the bounds to f32 is the point: the field is an f32"
)]
fn float(name: &str, value: f32, range: &RangeInclusive<f64>) -> Result<()> {
    if value >= *range.start() as f32 && value <= *range.end() as f32 {
        Ok(())
    } else {
        let r = format!("number between {} and {}", range.start(), range.end());
        Err(out_of_range(name, r, value))
    }
}

fn region(name: &str, r: &Region) -> Result<()> {
    let max = *DIMENSION.end();
    int(&format!("{name}.left"), r.left, &(0..=max))?;
    int(&format!("{name}.top"), r.top, &(0..=max))?;
    int(&format!("{name}.width"), r.width, &DIMENSION)?;
    int(&format!("{name}.height"), r.height, &DIMENSION)
}

fn palette(name: &str, colours: u16, effort: u8, dither: f32) -> Result<()> {
    int(&format!("{name}.colours"), colours, &COLOURS)?;
    int(&format!("{name}.effort"), effort, &PALETTE_EFFORT)?;
    float(&format!("{name}.dither"), dither, &DITHER)
}

impl Spec {
    /// Checks every number against its range (names as the JS spec's field paths); what serde
    /// cannot say from the types alone. Cheap: no allocation unless a check fails.
    pub fn validate(&self) -> Result<()> {
        let ops = &self.ops;
        int("maxInputBytes", self.max_input_bytes, &MAX_INPUT_BYTES)?;
        int("pages", self.pages, &(1..=PAGES.end().unsigned_abs()))?;
        int("page", self.page, &PAGE)?;
        if let Some(raw) = &self.raw {
            composite::check_raw("raw", raw)?;
        }
        if let Some(c) = &self.create {
            composite::check_create("create", c)?;
        }
        composite::check_layers(&ops.composite)?;
        if let Some(r) = &ops.rotate {
            if !r.angle.is_finite() {
                return Err(out_of_range("ops.rotate.angle", "finite number", r.angle));
            }
        }
        if let Some(r) = &ops.extract_before {
            region("ops.extractBefore", r)?;
        }
        if let Some(r) = &ops.extract_after {
            region("ops.extractAfter", r)?;
        }
        if let Some(r) = &ops.resize {
            if let Some(w) = r.width {
                int("ops.resize.width", w, &DIMENSION)?;
            }
            if let Some(h) = r.height {
                int("ops.resize.height", h, &DIMENSION)?;
            }
        }
        if let Some(sigma) = ops.blur {
            if sigma != 0.0 {
                float("ops.blur", sigma, &BLUR_SIGMA)?;
            }
        }
        if let Some(s) = &ops.sharpen {
            if s.sigma != 0.0 {
                float("ops.sharpen.sigma", s.sigma, &SHARPEN_SIGMA)?;
            }
            float("ops.sharpen.m1", s.m1, &SHARPEN_GAIN)?;
            float("ops.sharpen.m2", s.m2, &SHARPEN_GAIN)?;
        }
        if let Some(g) = &ops.gamma {
            for (name, value) in [("gamma", g.gamma), ("gammaOut", g.gamma_out)] {
                if !GAMMA.contains(&value) {
                    let range = format!("number between {} and {}", GAMMA.start(), GAMMA.end());
                    return Err(out_of_range(&format!("ops.gamma.{name}"), range, value));
                }
            }
        }
        if let Some(m) = &ops.modulate {
            for (name, value, range) in [
                ("brightness", m.brightness, &MODULATE_FACTOR),
                ("saturation", m.saturation, &MODULATE_FACTOR),
                ("lightness", m.lightness, &LIGHTNESS),
            ] {
                if !range.contains(&value) {
                    let r = format!("number between {} and {}", range.start(), range.end());
                    return Err(out_of_range(&format!("ops.modulate.{name}"), r, value));
                }
            }
            int("ops.modulate.hue", m.hue, &HUE)?;
        }
        if let Some(size) = ops.median {
            int("ops.median", size, &MEDIAN)?;
        }
        if let Some(t) = ops.trim {
            if !TRIM_THRESHOLD.contains(&t.threshold) {
                let r = format!(
                    "number between {} and {}",
                    TRIM_THRESHOLD.start(),
                    TRIM_THRESHOLD.end()
                );
                return Err(out_of_range("ops.trim.threshold", r, t.threshold));
            }
            int("ops.trim.margin", t.margin, &TRIM_MARGIN)?;
            if self.animated || self.pages > 1 {
                return Err(Error::new(
                    ErrorKind::InvalidArgValue,
                    "trim is not supported for animated images (as in sharp): decode one frame",
                ));
            }
        }
        if let Some(n) = ops.normalise {
            int("ops.normalise.lower", n.lower, &NORMALISE_LOWER)?;
            int("ops.normalise.upper", n.upper, &NORMALISE_UPPER)?;
            if n.lower >= n.upper {
                return Err(out_of_range(
                    "ops.normalise",
                    "lower less than upper",
                    format!("{} >= {}", n.lower, n.upper),
                ));
            }
        }
        if let Some(e) = &ops.extend {
            for (side, n) in [
                ("top", e.top),
                ("bottom", e.bottom),
                ("left", e.left),
                ("right", e.right),
            ] {
                int(&format!("ops.extend.{side}"), n, &EXTEND)?;
            }
        }
        match &self.output {
            Some(Output::Jpeg(o)) => int("output.jpeg.quality", o.quality, &QUALITY)?,
            Some(Output::Png(o)) => {
                int(
                    "output.png.compressionLevel",
                    o.compression_level,
                    &COMPRESSION_LEVEL,
                )?;
                int("output.png.quality", o.quality, &QUALITY_0)?;
                palette("output.png", o.colours, o.effort, o.dither)?;
                if o.progressive {
                    return Err(Error::new(
                        ErrorKind::InvalidArgValue,
                        "Expected false (interlaced PNG output is not supported) for output.png.progressive but received true",
                    ));
                }
            }
            Some(Output::Webp(o)) => {
                int("output.webp.quality", o.quality, &QUALITY)?;
                int("output.webp.alphaQuality", o.alpha_quality, &QUALITY_0)?;
                int("output.webp.effort", o.effort, &WEBP_EFFORT)?;
                for (i, &d) in o.delay.iter().enumerate() {
                    int(&format!("output.webp.delay[{i}]"), d, &DELAY_MS)?;
                }
            }
            Some(Output::Gif(o)) => {
                palette("output.gif", o.colours, o.effort, o.dither)?;
                for (i, &d) in o.delay.iter().enumerate() {
                    int(&format!("output.gif.delay[{i}]"), d, &DELAY_MS)?;
                }
            }
            Some(Output::Avif(o)) => {
                int("output.avif.quality", o.quality, &QUALITY)?;
                int("output.avif.effort", o.effort, &AVIF_EFFORT)?;
                if o.lossless {
                    return Err(Error::new(
                        ErrorKind::InvalidArgValue,
                        "Expected false (lossless AVIF is not supported: ravif has no lossless mode) for output.avif.lossless but received true",
                    ));
                }
            }
            Some(Output::Raw) | None => {}
        }
        Ok(())
    }
}

/// What an encoded image is: `info` of `toBuffer({ resolveWithObject: true })` and of `toFile`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Info {
    /// 'jpeg', 'png', 'webp', 'gif' or 'raw'.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    /// 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
    pub channels: u8,
    /// Bytes of output.
    pub size: usize,
    /// Frames in the output: those of the animation for GIF output, else 1.
    pub pages: u32,
    /// Where `trim` and a smart crop cut (see [`Offsets`]).
    #[serde(flatten)]
    pub offsets: Offsets,
}

/// Where the pipeline cut, as sharp reports it: minus the kept box's corner (so ≤ 0), and the
/// attention crop's centre. Only what ran is reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Offsets {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trim_offset_left: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trim_offset_top: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crop_offset_left: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crop_offset_top: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention_x: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention_y: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::super::output_options::*;
    use super::*;
    use serde_json::json;

    fn spec(v: serde_json::Value) -> std::result::Result<Spec, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn an_empty_object_is_the_default_pipeline() {
        assert_eq!(spec(json!({})).unwrap(), Spec::default());
        assert_eq!(Spec::default().limit_pixels, 0x3FFF * 0x3FFF);
        assert_eq!(Spec::default().fail_on, FailOn::Warning);
    }

    #[test]
    fn missing_encoder_fields_take_the_defaults() {
        let s = spec(json!({ "output": { "jpeg": { "quality": 90 } } })).unwrap();
        let expected = JpegOptions {
            quality: 90,
            ..JpegOptions::default()
        };
        assert_eq!(s.output, Some(Output::Jpeg(expected)));
        assert_eq!(JpegOptions::default().quality, 80);
        assert!(JpegOptions::default().optimize_coding);
        let s = spec(json!({ "output": "raw", "ops": { "resize": { "width": 8 } } })).unwrap();
        assert_eq!(s.output, Some(Output::Raw));
        let r = s.ops.resize.unwrap();
        assert_eq!((r.width, r.height, r.fit), (Some(8), None, Fit::Cover));
        assert_eq!((r.kernel, r.background), (Kernel::Lanczos3, Rgba::BLACK));
    }

    #[test]
    fn the_wire_names_are_sharps() {
        let s = spec(json!({
            "limitInputPixels": 0, "failOn": "truncated", "autoOrient": false,
            "ops": {
                "rotate": { "angle": 45, "background": [1, 2, 3, 4] },
                "extractBefore": { "left": 1, "top": 2, "width": 3, "height": 4 },
                "resize": { "fit": "inside", "position": "northeast", "kernel": "mitchell",
                            "withoutEnlargement": true },
                "flatten": {}, "blur": 0.5, "sharpen": { "sigma": 2 }, "grayscale": true
            },
            "output": { "webp": { "alphaQuality": 50, "nearLossless": true } }
        }))
        .unwrap();
        assert_eq!(s.limit_pixels, 0);
        assert_eq!(s.fail_on, FailOn::Truncated);
        assert_eq!(s.ops.rotate.unwrap().background, Rgba([1, 2, 3, 4]));
        assert_eq!(s.ops.extract_before.unwrap().height, 4);
        let r = s.ops.resize.unwrap();
        assert_eq!(
            (r.fit, r.position, r.kernel, r.without_enlargement),
            (Fit::Inside, Gravity::NorthEast, Kernel::Mitchell, true)
        );
        assert_eq!(s.ops.flatten.unwrap().background, Rgba::BLACK);
        assert_eq!(
            s.ops.sharpen.unwrap(),
            Sharpen {
                sigma: 2.0,
                ..Sharpen::default()
            }
        );
        let Some(Output::Webp(w)) = s.output else {
            panic!("webp")
        };
        assert_eq!(
            (w.alpha_quality, w.near_lossless, w.quality),
            (50, true, 80)
        );
        let g = spec(json!({ "output": { "gif": { "loop": 3, "delay": [10, 20] } } })).unwrap();
        let Some(Output::Gif(g)) = g.output else {
            panic!("gif")
        };
        assert_eq!((g.looping, g.delay), (Some(3), vec![10, 20]));
        let j = spec(json!({ "output": { "jpeg": { "chromaSubsampling": "4:4:4" } } })).unwrap();
        let Some(Output::Jpeg(j)) = j.output else {
            panic!("jpeg")
        };
        assert_eq!(j.chroma_subsampling, Chroma::Yuv444);
    }

    #[test]
    fn unknown_fields_and_values_are_refused() {
        for bad in [
            json!({ "nope": 1 }),
            json!({ "ops": { "resize": { "fit": "covr" } } }),
            json!({ "failOn": "x" }),
            json!({ "ops": { "extractAfter": { "left": 0, "top": 0, "width": 1, "height": 1, "x": 1 } } }),
            json!({ "ops": { "extractAfter": { "left": 0, "top": 0, "width": 1 } } }),
            json!({ "output": { "jpeg": { "qualty": 80 } } }),
            json!({ "output": { "jpeg": { "quality": 300 } } }),
            json!({ "output": { "tiff": {} } }),
            json!({ "limitInputPixels": -1 }),
        ] {
            assert!(spec(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn validate_checks_the_ranges() {
        assert!(Spec::default().validate().is_ok());
        let with = |output| Spec {
            output: Some(output),
            ..Spec::default()
        };
        let jpeg = |quality| {
            with(Output::Jpeg(JpegOptions {
                quality,
                ..JpegOptions::default()
            }))
        };
        assert!(jpeg(1).validate().is_ok());
        assert!(jpeg(100).validate().is_ok());
        let e = jpeg(0).validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfRange);
        assert!(
            e.message().contains("output.jpeg.quality"),
            "{}",
            e.message()
        );
        let png = |o: PngOptions| with(Output::Png(o));
        let progressive = PngOptions {
            progressive: true,
            ..PngOptions::default()
        };
        assert_eq!(
            png(progressive).validate().unwrap_err().kind(),
            ErrorKind::InvalidArgValue
        );
        let one = PngOptions {
            colours: 1,
            ..PngOptions::default()
        };
        assert!(png(one).validate().is_err());
        // The f32 nearest a bound given in f64 is inside.
        let mut s = Spec::default();
        s.ops.sharpen = Some(Sharpen {
            sigma: 0.000_001,
            ..Sharpen::default()
        });
        s.ops.blur = Some(0.3);
        assert!(s.validate().is_ok());
        s.ops.blur = Some(0.2);
        assert!(s.validate().is_err());
        s.ops.blur = Some(0.0);
        s.ops.rotate = Some(Rotate {
            angle: f64::NAN,
            ..Rotate::default()
        });
        assert!(s.validate().is_err());
        s.ops.rotate = None;
        s.ops.resize = Some(Resize {
            width: Some(0),
            ..Resize::default()
        });
        assert!(s.validate().is_err());
    }

    #[test]
    fn results_serialize_in_camel_case() {
        let info = Info {
            format: "png",
            width: 2,
            height: 3,
            channels: 4,
            size: 5,
            pages: 1,
            offsets: Offsets::default(),
        };
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            json!({ "format": "png", "width": 2, "height": 3, "channels": 4, "size": 5, "pages": 1 })
        );
        let trimmed = Info {
            offsets: Offsets {
                trim_offset_left: Some(-3),
                trim_offset_top: Some(0),
                ..Offsets::default()
            },
            ..info
        };
        assert_eq!(
            serde_json::to_value(trimmed).unwrap(),
            json!({ "format": "png", "width": 2, "height": 3, "channels": 4, "size": 5, "pages": 1,
                    "trimOffsetLeft": -3, "trimOffsetTop": 0 })
        );
        assert_eq!(
            serde_json::to_value(Gravity::NorthWest).unwrap(),
            json!("northwest")
        );
        assert_eq!(serde_json::to_value(Output::Raw).unwrap(), json!("raw"));
    }
}
