//! Images: decode → orient → operations → encode, a sharp-compatible subset.
//!
//! Everything works on 8-bit interleaved [`Pixels`] (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). A
//! [`Spec`] describes the whole pipeline; [`process`] runs it on one thread, checking its cancel
//! flag between stages and between row bands, and [`metadata`] reads headers only.

mod blend;
mod budget;
mod color;
mod composite;
mod composite_options;
mod decode;
mod encode;
mod exif;
mod filter;
mod geometry;
mod lab;
mod options;
mod output_options;
mod pixels;
mod probe;
mod rank;
mod resize;
mod smartcrop;
mod source;
mod tone;
mod tone_options;
mod trim;

use crate::error::{Error, ErrorKind, Result};

pub use composite_options::*;
pub use geometry::{Fit, Gravity};
pub use options::*;
pub use output_options::*;
pub use pixels::Pixels;
pub use probe::{Format, Metadata};
pub use source::{metadata_path, read_path};
pub use tone_options::*;

/// Palette quantisation settings (PNG palette, GIF), taken from their encoder options.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Palette {
    pub colours: u16,
    pub effort: u8,
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
    /// Where trim and a smart crop cut.
    pub offsets: Offsets,
}

impl Encoded {
    /// What the output is, without its bytes.
    pub fn info(&self) -> Info {
        Info {
            format: self.format,
            width: self.width,
            height: self.height,
            channels: self.channels,
            size: self.data.len(),
            pages: self.pages,
            offsets: self.offsets,
        }
    }
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
    process_with(input, &[], spec, cancel)
}

/// Runs the pipeline on `input`: encoded bytes, raw pixels (`spec.raw`), or nothing
/// (`spec.create`). `inputs` are the extra images the composite layers name by index.
pub fn process_with(
    input: &[u8],
    inputs: &[&[u8]],
    spec: &Spec,
    cancel: Cancel,
) -> Result<Encoded> {
    if spec.raw.is_some() || spec.create.is_some() {
        return process_pixels(input, inputs, spec, cancel);
    }
    let info = probe::probe(input)?;
    check_limit(&info, spec.limit_pixels)?;
    budget::plausible(input, &info, spec.limit_pixels)?;
    let target = spec
        .output
        .clone()
        .unwrap_or_else(|| default_output(info.format));
    let (shrink, logical) = shrink_on_load(&info, spec);
    let (first, count) = frames(
        &info,
        spec,
        matches!(target, Output::Gif(_) | Output::Webp(_)),
    )?;
    let hint = decode::Hint {
        fail_on: spec.fail_on,
        shrink,
        first,
        count,
    };
    let size = budget::plan(&info, spec, count)?;
    budget::fits_encoder(&target, size)?;
    let layers = composite::load(spec, inputs, cancel)?;
    let mut run = Run {
        spec,
        layers: &layers,
        opaque: matches!(target, Output::Jpeg(_)),
        logical,
        offsets: Offsets::default(),
    };
    // Each frame is converted, oriented and processed as soon as it is decoded: an animation
    // holds its processed frames (planned above) and one decoded frame, never all of them.
    let mut each = |meta: &decode::Meta, orientation: u8, mut frame: Pixels| -> Result<Pixels> {
        if !spec.keep_metadata {
            color::to_srgb(meta, &mut frame);
        }
        let orientation = if spec.auto_orient { orientation } else { 1 };
        let frame = geometry::orient(frame, orientation)?;
        let out = run.apply(frame, cancel)?;
        check(cancel)?;
        Ok(out)
    };
    let mut image = decode::decode(input, &info, &hint, cancel, &mut each)?;
    let offsets = run.offsets;
    check(cancel)?;
    let orientation = if spec.auto_orient {
        image.orientation
    } else {
        1
    };
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
    let mut out = encode::encode(image, &target, &meta, cancel)?;
    out.offsets = offsets;
    Ok(out)
}

/// The pipeline on a base that is not decoded: raw pixels or a `create` image (default output:
/// raw, as sharp). Its size is checked against the pixel limit before anything is allocated.
fn process_pixels(input: &[u8], inputs: &[&[u8]], spec: &Spec, cancel: Cancel) -> Result<Encoded> {
    let (width, height, channels) = match (&spec.create, &spec.raw) {
        (Some(c), _) => (c.width, c.height, c.channels),
        (None, Some(r)) => (r.width, r.height, r.channels),
        (None, None) => unreachable!("process_with checked"),
    };
    check_size(width, height, spec.limit_pixels)?;
    let info = probe::Metadata::of_pixels(width, height, channels);
    let target = spec.output.clone().unwrap_or(Output::Raw);
    budget::fits_encoder(&target, budget::plan(&info, spec, 1)?)?;
    let base = match (&spec.create, &spec.raw) {
        (Some(c), _) => composite::created(c)?,
        // Grey raw pixels are b-w to sharp, which writes them as sRGB, as a grey PNG is decoded.
        (None, Some(r)) => match composite::raw_pixels(input, r)? {
            px if px.channels < 3 => {
                let channels = px.channels + 2;
                px.into_channels(channels)
            }
            px => px,
        },
        (None, None) => unreachable!("process_with checked"),
    };
    let layers = composite::load(spec, inputs, cancel)?;
    let mut run = Run {
        spec,
        layers: &layers,
        opaque: matches!(target, Output::Jpeg(_)),
        logical: None,
        offsets: Offsets::default(),
    };
    let out = run.apply(base, cancel)?;
    check(cancel)?;
    let meta = decode::Meta::default();
    let single = decode::Decoded::single(out, meta.clone());
    let mut encoded = encode::encode(single, &target, &meta, cancel)?;
    encoded.offsets = run.offsets;
    Ok(encoded)
}

/// The width and height `process` would give `input` (before encoding), from its headers alone:
/// the same size checks, no decoding. What the fuzz target compares against the pipeline.
pub fn plan(input: &[u8], spec: &Spec) -> Result<(u32, u32)> {
    let info = probe::probe(input)?;
    check_limit(&info, spec.limit_pixels)?;
    budget::plausible(input, &info, spec.limit_pixels)?;
    let animation = match &spec.output {
        Some(o) => matches!(o, Output::Gif(_) | Output::Webp(_)),
        None => matches!(info.format, Format::Gif | Format::Webp),
    };
    let (_, count) = frames(&info, spec, animation)?;
    budget::plan(&info, spec, count)
}

/// sharp's `page` and `pages` on a GIF or WebP: the first frame to keep and how many, checked
/// against the frames the headers count (libvips' "bad page number"). An output that cannot
/// animate keeps the first of them (sharp stacks them into one tall image). Other formats have
/// one page, and the options do not apply to them, as in sharp.
fn frames(info: &probe::Metadata, spec: &Spec, animation: bool) -> Result<(u32, u32)> {
    if !matches!(info.format, Format::Gif | Format::Webp) {
        return Ok((0, 1));
    }
    let (first, total) = (spec.page, info.pages.max(1));
    let n = if spec.animated {
        total.saturating_sub(first)
    } else {
        spec.pages
    };
    if n == 0 || u64::from(first) + u64::from(n) > u64::from(total) {
        let asked = if spec.animated {
            format!("page {first} and every frame after it")
        } else {
            format!("{n} frame(s) from page {first}")
        };
        return Err(Error::new(
            ErrorKind::OutOfRange,
            format!("bad page number: {asked} asked of an image with {total} frame(s)"),
        ));
    }
    Ok((first, if animation { n } else { 1 }))
}

/// Decodes, applies the pipeline, and returns the ThumbHash of the result (at most 100×100 px).
/// `inputs`: the composite layers' images, as for [`process_with`].
pub fn thumbhash(input: &[u8], inputs: &[&[u8]], spec: &Spec, cancel: Cancel) -> Result<Vec<u8>> {
    let mut spec = spec.clone();
    spec.output = Some(Output::Raw);
    spec.animated = false;
    spec.pages = 1;
    let raw = process_with(input, inputs, &spec, cancel)?;
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
    if info.width == 0 || info.height == 0 {
        return Err(decode_error("the header gives a zero dimension"));
    }
    check_size(info.width, info.height, limit)
}

/// `ERR_IMAGE_TOO_LARGE` when a `width`×`height` input exceeds `limit` pixels (0: no limit).
pub(crate) fn check_size(width: u32, height: u32, limit: u64) -> Result<()> {
    let pixels = u64::from(width) * u64::from(height);
    if limit > 0 && pixels > limit {
        return Err(Error::new(
            ErrorKind::ImageTooLarge,
            format!(
                "Input image exceeds pixel limit: {width}×{height} = {pixels} pixels, limitInputPixels is {limit}"
            ),
        ));
    }
    Ok(())
}

fn default_output(format: Format) -> Output {
    match format {
        Format::Jpeg => Output::Jpeg(JpegOptions::default()),
        Format::Webp => Output::Webp(WebpOptions::default()),
        Format::Gif => Output::Gif(GifOptions::default()),
        Format::Png | Format::Tiff | Format::Bmp => Output::Png(PngOptions::default()),
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
    // sharp reloads at a DCT scale only without gamma (it would change what gamma acts on).
    if info.format != Format::Jpeg
        || ops.gamma.is_some()
        || ops.trim.is_some()
        || ops.extract_before.is_some()
        || ops.rotate.is_some_and(|r| r.angle.rem_euclid(90.0) != 0.0)
    {
        return (1, None);
    }
    let oriented = spec.auto_orient && info.orientation.unwrap_or(1) >= 5;
    let quarter = ops
        .rotate
        .is_some_and(|r| r.angle.rem_euclid(180.0) == 90.0);
    let (w, h) = if oriented != quarter {
        (info.height, info.width)
    } else {
        (info.width, info.height)
    };
    let (hs, vs) = geometry::shrink_factors(w, h, resize);
    let factor = hs.min(vs);
    let mut scale = [8u8, 4, 2]
        .into_iter()
        .find(|&s| factor >= f64::from(s))
        .unwrap_or(1);
    // As sharp: one step less when the whole factor is the scale itself (4.08 → 4), which would
    // leave the resampler almost nothing to smooth the DCT scaling's block edges with (on an 8 MP
    // photo to 800w, SSIM 0.922 instead of sharp's 0.939).
    if scale > 1 && factor.trunc() == f64::from(scale) {
        scale /= 2;
    }
    (scale, (scale > 1).then_some((w, h)))
}

/// One run of the pipeline over its frames: what every frame's operations need, and what they
/// report.
struct Run<'a> {
    spec: &'a Spec,
    /// The composite layers, decoded.
    layers: &'a [Pixels],
    /// The output drops alpha (JPEG): an opaque base then never gains it.
    opaque: bool,
    /// The upright size before shrink-on-load, when the decoder shrank.
    logical: Option<(u32, u32)>,
    offsets: Offsets,
}

impl Run<'_> {
    /// The operations on one frame, in sharp's order.
    fn apply(&mut self, mut px: Pixels, cancel: Cancel) -> Result<Pixels> {
        let spec = self.spec;
        let mut logical = self.logical;
        if let Some(t) = &spec.ops.trim {
            let (out, (left, top)) = trim::trim(px, t, cancel)?;
            px = out;
            self.offsets.trim_offset_left = Some(left);
            self.offsets.trim_offset_top = Some(top);
            // What follows was planned on the untrimmed size: plan it again on the trimmed one (a
            // narrow strip resized to a width could otherwise grow past the pixel limit).
            let rest = Spec {
                ops: Ops {
                    trim: None,
                    ..spec.ops.clone()
                },
                ..spec.clone()
            };
            let info = probe::Metadata::of_pixels(px.width, px.height, px.channels);
            budget::plan(&info, &rest, 1)?;
            logical = None;
        }
        let layers = (self.layers, self.opaque);
        apply(px, &spec.ops, layers, logical, &mut self.offsets, cancel)
    }
}

/// The operations after trim on one frame, in sharp's order. `layers`: the composite layers,
/// decoded, and whether the output drops alpha (JPEG: an opaque base then never gains it).
fn apply(
    mut px: Pixels,
    ops: &Ops,
    (layers, opaque): (&[Pixels], bool),
    logical: Option<(u32, u32)>,
    offsets: &mut Offsets,
    cancel: Cancel,
) -> Result<Pixels> {
    let compositing = !ops.composite.is_empty();
    if compositing && !opaque && !px.has_alpha() && fills_background(ops) {
        // sharp adds alpha before resizing when it will composite: backgrounds keep their alpha.
        let channels = px.channels + 1;
        px = px.into_channels(channels);
    }
    if let Some(r) = ops.rotate {
        px = filter::rotate(px, r.angle, r.background, cancel)?;
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
    if let Some(g) = ops.gamma {
        px = tone::gamma(px, 1.0 / g.gamma); // darkened before resizing, as in sharp
    }
    if let Some(r) = &ops.resize {
        let size = logical.unwrap_or((px.width, px.height));
        let (out, smart) = resize::resize(px, r, size, cancel)?;
        px = out;
        if let Some(((left, top), point)) = smart {
            let neg = |v: u32| -i32::try_from(v).unwrap_or(i32::MAX);
            let pos = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
            offsets.crop_offset_left = Some(neg(left));
            offsets.crop_offset_top = Some(neg(top));
            let (ax, ay) = point.unwrap_or((0, 0)); // sharp reports 0, 0 for entropy
            offsets.attention_x = Some(pos(ax));
            offsets.attention_y = Some(pos(ay));
        }
    }
    check(cancel)?;
    if let Some(r) = ops.extract_after {
        px = geometry::extract(&px, r)?;
    }
    if let Some(f) = ops.flatten {
        px = px.flatten(f.background);
    }
    if let Some(e) = &ops.extend {
        px = geometry::extend(&px, e)?;
    }
    if let Some(size) = ops.median {
        px = rank::median(&px, size, cancel)?;
    }
    if let Some(t) = ops.threshold {
        px = tone::threshold(px, t);
    }
    if let Some(sigma) = ops.blur {
        px = filter::blur(px, sigma, cancel)?;
    }
    if let Some(m) = ops.modulate {
        px = tone::modulate(px, m);
    }
    if let Some(s) = ops.sharpen {
        px = filter::sharpen(px, s.sigma, s.m1, s.m2, cancel)?;
    }
    if compositing {
        if ops.grayscale {
            px = px.into_grey(); // sharp: grey before compositing (colour layers stay colour)
        }
        px = composite::composite(px, &ops.composite, layers, opaque, cancel)?;
    }
    if let Some(g) = ops.gamma {
        px = tone::gamma(px, g.gamma_out); // brightened after the other operations
    }
    if let Some(n) = ops.normalise {
        px = tone::normalise(px, n);
    }
    if let Some(colour) = ops.tint {
        px = tone::tint(px, colour);
    }
    if ops.grayscale && !compositing {
        px = px.into_grey();
    }
    if let Some(n) = ops.negate {
        px = tone::negate(px, n.alpha);
    }
    Ok(px)
}

/// True when an operation before compositing fills new pixels with a background colour (whose
/// alpha the image then needs, as in sharp).
fn fills_background(ops: &Ops) -> bool {
    ops.rotate.is_some()
        || ops.extend.is_some()
        || ops.resize.as_ref().is_some_and(|r| r.fit == Fit::Contain)
}
