//! Images: decode → orient → operations → encode, a sharp-compatible subset.
//!
//! Everything works on 8-bit interleaved [`Pixels`] (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). A
//! [`Spec`] describes the whole pipeline; [`process`] runs it on one thread, checking its cancel
//! flag between stages and between row bands, and [`metadata`] reads headers only.

mod color;
mod decode;
mod encode;
mod exif;
mod filter;
mod geometry;
mod pixels;
mod probe;
mod resize;

use crate::error::{Error, ErrorKind, Result};

pub use geometry::{Fit, Gravity};
pub use pixels::Pixels;
pub use probe::{Format, Metadata};

/// sharp's default `limitInputPixels`: 0x3FFF × 0x3FFF.
pub const DEFAULT_LIMIT_PIXELS: u64 = 0x3FFF * 0x3FFF;

/// When a damaged input is refused, from least to most strict (sharp's `failOn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailOn {
    /// Decode whatever can be decoded.
    None,
    /// Refuse truncated data.
    Truncated,
    /// Refuse corrupt data.
    Error,
    /// Refuse anything a decoder warns about.
    Warning,
}

/// An RGBA colour, alpha 0–255.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Rgba(pub [u8; 4]);

/// Resampling kernels, as sharp names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Nearest,
    Linear,
    Cubic,
    Mitchell,
    Lanczos3,
}

/// `resize(width, height, options)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub position: Gravity,
    pub kernel: Kernel,
    pub without_enlargement: bool,
    pub without_reduction: bool,
    pub background: Rgba,
}

/// A crop rectangle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// The operations, applied in sharp's fixed order (see [`process`]), not in call order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ops {
    /// Rotation in degrees (any angle), and the background of the uncovered corners.
    pub rotate: Option<(f64, Rgba)>,
    /// `extract` before `resize`.
    pub extract_before: Option<Region>,
    pub flip: bool,
    pub flop: bool,
    pub resize: Option<Resize>,
    /// `extract` after `resize`.
    pub extract_after: Option<Region>,
    pub flatten: Option<Rgba>,
    /// Gaussian sigma; `Some(0.0)` is sharp's fast 3×3 box blur.
    pub blur: Option<f32>,
    /// Unsharp mask: (sigma, flat gain m1, jagged gain m2); sigma 0 = the fast mild 3×3 sharpen.
    pub sharpen: Option<(f32, f32, f32)>,
    pub grayscale: bool,
}

/// Output encoders and their settings.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Jpeg {
        quality: u8,
        progressive: bool,
        chroma_444: bool,
        optimize_coding: bool,
        mozjpeg: bool,
    },
    Png {
        level: u8,
        adaptive_filtering: bool,
        progressive: bool,
        palette: Option<Palette>,
    },
    Webp {
        quality: u8,
        alpha_quality: u8,
        lossless: bool,
        near_lossless: bool,
        smart_subsample: bool,
        effort: u8,
    },
    Gif {
        palette: Palette,
        /// Plays (0 = forever); `None` keeps the input's.
        looping: Option<u16>,
        delay_ms: Vec<u32>,
    },
    Raw,
}

/// Palette quantisation settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palette {
    pub colours: u16,
    pub quality: u8,
    pub effort: u8,
    pub dither: f32,
}

/// The whole pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// 0 = no limit.
    pub limit_pixels: u64,
    pub auto_orient: bool,
    pub fail_on: FailOn,
    pub animated: bool,
    pub ops: Ops,
    /// `None`: the input's format (TIFF and BMP fall back to PNG).
    pub output: Option<Output>,
    pub keep_metadata: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            limit_pixels: DEFAULT_LIMIT_PIXELS,
            auto_orient: true,
            fail_on: FailOn::Warning,
            animated: false,
            ops: Ops::default(),
            output: None,
            keep_metadata: false,
        }
    }
}

/// An encoded image and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    pub data: Vec<u8>,
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub pages: u32,
}

/// Checked between stages and row bands; returns true when the task was cancelled.
pub type Cancel<'a> = &'a (dyn Fn() -> bool + Sync);

pub(crate) fn check(cancel: Cancel) -> Result<()> {
    if cancel() {
        Err(Error::aborted())
    } else {
        Ok(())
    }
}

pub(crate) fn decode_error(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::ImageDecode,
        format!("Input image is corrupt or truncated: {why}"),
    )
}

pub(crate) fn encode_error(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::ImageEncode,
        format!("Could not encode the image: {why}"),
    )
}

/// Runs the pipeline on `input` (the encoded bytes).
pub fn process(input: &[u8], spec: &Spec, cancel: Cancel) -> Result<Encoded> {
    let info = probe::probe(input)?;
    check_limit(&info, spec.limit_pixels)?;
    let target = spec
        .output
        .clone()
        .unwrap_or_else(|| default_output(info.format));
    let (shrink, logical) = shrink_on_load(&info, spec);
    let hint = decode::Hint {
        fail_on: spec.fail_on,
        shrink,
        animated: spec.animated && matches!(target, Output::Gif { .. }),
    };
    let mut image = decode::decode(input, &info, &hint, cancel)?;
    check(cancel)?;
    if !spec.keep_metadata {
        color::to_srgb(&mut image);
    }
    let orientation = if spec.auto_orient {
        image.orientation
    } else {
        1
    };
    let frames = std::mem::take(&mut image.frames);
    let mut out = Vec::with_capacity(frames.len());
    for frame in frames {
        let frame = geometry::orient(frame, orientation)?;
        out.push(apply(frame, &spec.ops, logical, cancel)?);
        check(cancel)?;
    }
    image.frames = out;
    let mut meta = if spec.keep_metadata {
        std::mem::take(&mut image.metadata)
    } else {
        Default::default()
    };
    if orientation != 1 {
        if let Some(exif) = meta.exif.as_mut() {
            exif::reset_orientation(exif);
        }
    }
    encode::encode(image, &target, &meta, cancel)
}

/// Decodes, applies the pipeline, and returns the ThumbHash of the result (at most 100×100 px).
pub fn thumbhash(input: &[u8], spec: &Spec, cancel: Cancel) -> Result<Vec<u8>> {
    let mut spec = spec.clone();
    spec.output = Some(Output::Raw);
    spec.animated = false;
    let raw = process(input, &spec, cancel)?;
    let pixels = Pixels {
        width: raw.width,
        height: raw.height,
        channels: raw.channels,
        data: raw.data,
    };
    let small = resize::fit_within(pixels.into_rgba(), 100, cancel)?;
    Ok(thumbhash::rgba_to_thumb_hash(
        small.width as usize,
        small.height as usize,
        &small.data,
    ))
}

/// Reads the headers of `input`: never decodes pixels.
pub fn metadata(input: &[u8]) -> Result<Metadata> {
    probe::probe(input)
}

fn check_limit(info: &Metadata, limit: u64) -> Result<()> {
    let pixels = u64::from(info.width) * u64::from(info.height);
    if info.width == 0 || info.height == 0 {
        return Err(decode_error("the header gives a zero dimension"));
    }
    if limit > 0 && pixels > limit {
        return Err(Error::new(
            ErrorKind::ImageTooLarge,
            format!(
                "Input image exceeds pixel limit: {}×{} = {pixels} pixels, limitInputPixels is {limit}",
                info.width, info.height
            ),
        ));
    }
    Ok(())
}

fn default_output(format: Format) -> Output {
    match format {
        Format::Jpeg => Output::Jpeg {
            quality: 80,
            progressive: false,
            chroma_444: false,
            optimize_coding: true,
            mozjpeg: false,
        },
        Format::Webp => Output::Webp {
            quality: 80,
            alpha_quality: 100,
            lossless: false,
            near_lossless: false,
            smart_subsample: false,
            effort: 4,
        },
        Format::Gif => Output::Gif {
            palette: Palette {
                colours: 256,
                quality: 100,
                effort: 7,
                dither: 1.0,
            },
            looping: None,
            delay_ms: Vec::new(),
        },
        Format::Png | Format::Tiff | Format::Bmp => Output::Png {
            level: 6,
            adaptive_filtering: false,
            progressive: false,
            palette: None,
        },
    }
}

/// The JPEG DCT scale (1, 2, 4 or 8) to decode at, as sharp's shrink-on-load picks it: the
/// largest not above the resize's shrink factor. With it, the upright size of the image before
/// the scale (what `resize` plans against).
fn shrink_on_load(info: &Metadata, spec: &Spec) -> (u8, Option<(u32, u32)>) {
    let ops = &spec.ops;
    let Some(resize) = &ops.resize else {
        return (1, None);
    };
    if info.format != Format::Jpeg
        || ops.extract_before.is_some()
        || ops.rotate.is_some_and(|(a, _)| a.rem_euclid(90.0) != 0.0)
    {
        return (1, None);
    }
    let oriented = spec.auto_orient && info.orientation.unwrap_or(1) >= 5;
    let quarter = ops.rotate.is_some_and(|(a, _)| a.rem_euclid(180.0) == 90.0);
    let (w, h) = if oriented != quarter {
        (info.height, info.width)
    } else {
        (info.width, info.height)
    };
    let (hs, vs) = geometry::shrink_factors(w, h, resize);
    let factor = hs.min(vs);
    let scale = [8u8, 4, 2]
        .into_iter()
        .find(|&s| factor >= f64::from(s))
        .unwrap_or(1);
    (scale, (scale > 1).then_some((w, h)))
}

/// The operations on one frame, in sharp's order.
fn apply(mut px: Pixels, ops: &Ops, logical: Option<(u32, u32)>, cancel: Cancel) -> Result<Pixels> {
    if let Some((angle, bg)) = ops.rotate {
        px = filter::rotate(px, angle, bg, cancel)?;
    }
    if let Some(r) = ops.extract_before {
        px = geometry::extract(&px, r)?;
    }
    if ops.flip {
        px = geometry::flip(px);
    }
    if ops.flop {
        px = geometry::flop(px);
    }
    if let Some(r) = &ops.resize {
        let size = logical.unwrap_or((px.width, px.height));
        px = resize::resize(px, r, size, cancel)?;
    }
    check(cancel)?;
    if let Some(r) = ops.extract_after {
        px = geometry::extract(&px, r)?;
    }
    if let Some(bg) = ops.flatten {
        px = px.flatten(bg);
    }
    if let Some(sigma) = ops.blur {
        px = filter::blur(px, sigma, cancel)?;
    }
    if let Some((sigma, m1, m2)) = ops.sharpen {
        px = filter::sharpen(px, sigma, m1, m2, cancel)?;
    }
    if ops.grayscale {
        px = px.into_grey();
    }
    Ok(px)
}
