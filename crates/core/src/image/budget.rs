//! Memory budgets, planned from the headers before any pixel is decoded (issue 17, items 2, 3, 5).
//!
//! - **Every stage's output** (rotate's canvas, extract, resize's resample, the resampler's
//!   one-pass intermediate and contain's padding, extract after resize) and **every frame of an
//!   animation** (frames × canvas, as sharp counts it) must stay within `limitInputPixels`. So a
//!   254-byte 60000×1 PNG cannot ask `rotate(45)` for a 42427² canvas, nor a 16×65535 one ask
//!   `resize(300)` for 300×1,228,781 pixels: both are `ERR_IMAGE_TOO_LARGE` before allocating.
//! - **With no limit** (`limitInputPixels: false` or 0) the ceiling is the larger of the input's
//!   own pixels and [`UNLIMITED_CEILING`] (0x3FFF², sharp's default limit: 1 GiB as RGBA), so no
//!   stage may outgrow its input, or a 1 GiB image, whichever is larger.
//! - **A header must be backed by data** ([`plausible`]): PNG's deflate expands at most 1032:1
//!   and JPEG's Huffman coding needs a bit per 8×8 block, so a 57-byte PNG claiming 65535² is
//!   `ERR_IMAGE_DECODE` at once. Formats whose codes have no such bound (WebP, arithmetic JPEG,
//!   TIFF, BMP, a GIF's screen) are held to the ceiling above when the limit is off, and decode
//!   into zeroed memory that is not committed until written ([`super::pixels::zeroed`]).
//! - **An output its encoder cannot write** (JPEG over 65500, WebP over 16383, GIF over 65535 a
//!   side) is `ERR_IMAGE_ENCODE` before decoding ([`fits_encoder`]), not after all the work.
//!
//! Within these budgets memory stays proportional to the largest stage: there is no banded
//! processing (what lets sharp rotate a 60000×1 strip by 45° in 60 MB). Animations stream frame
//! by frame (see `decode::Each`), so they hold one decoded frame and the processed ones.

use super::filter::rotated_size;
use super::geometry;
use super::probe::{Format, Metadata};
use super::{decode_error, Output, Spec, DEFAULT_LIMIT_PIXELS};
use crate::error::{Error, ErrorKind, Result};

/// The pixels any stage may hold when `limitInputPixels` is off, unless the input has more.
pub const UNLIMITED_CEILING: u64 = DEFAULT_LIMIT_PIXELS;

/// Deflate's largest expansion: 258 bytes from a 2-bit code, plus the zlib framing (1032.3:1).
const DEFLATE_RATIO: u64 = 1033;

/// The ceiling of every stage: the limit, or with none, the larger of the input and
/// [`UNLIMITED_CEILING`].
pub fn ceiling(limit: u64, input_pixels: u64) -> u64 {
    if limit > 0 {
        limit
    } else {
        input_pixels.max(UNLIMITED_CEILING)
    }
}

fn pixels(w: u32, h: u32) -> u64 {
    u64::from(w) * u64::from(h)
}

fn over(spec: &Spec, ceiling: u64) -> String {
    if spec.limit_pixels > 0 {
        format!("limitInputPixels is {}", spec.limit_pixels)
    } else {
        format!("the ceiling with no limitInputPixels is {ceiling} (the input's pixels or 0x3FFF², whichever is more)")
    }
}

/// What `process` will allocate for `spec` on an input described by `info`, decoded as `frames`
/// frames: refuses a stage over the ceiling with `ERR_IMAGE_TOO_LARGE`, else returns the output's
/// width and height (before encoding), or (0, 0) when an extract falls outside the image (which
/// the pipeline reports as `ERR_OUT_OF_RANGE`). Costs a few float operations; allocates nothing unless
/// it refuses.
pub fn plan(info: &Metadata, spec: &Spec, frames: u32) -> Result<(u32, u32)> {
    let (mut w, mut h) = (info.width, info.height);
    let limit = ceiling(spec.limit_pixels, pixels(w, h));
    let n = u64::from(frames.max(1));
    if n > 1 && pixels(w, h).saturating_mul(n) > limit {
        return Err(Error::new(
            ErrorKind::ImageTooLarge,
            format!(
                "Input image exceeds pixel limit: {n} frames of {w}×{h} = {} pixels, {}",
                pixels(w, h).saturating_mul(n),
                over(spec, limit)
            ),
        ));
    }
    let fits = |stage: &str, sw: u32, sh: u32| -> Result<()> {
        let total = pixels(sw, sh).saturating_mul(n);
        if total <= limit {
            return Ok(());
        }
        let frames = if n > 1 {
            format!(" × {n} frames")
        } else {
            String::new()
        };
        Err(Error::new(
            ErrorKind::ImageTooLarge,
            format!(
                "{stage} would make a {sw}×{sh} image{frames} ({total} pixels): {}",
                over(spec, limit)
            ),
        ))
    };
    if spec.auto_orient && info.orientation.unwrap_or(1) >= 5 {
        (w, h) = (h, w);
    }
    let ops = &spec.ops;
    if let Some(r) = ops.rotate {
        (w, h) = rotated_size(w, h, r.angle);
        fits(&format!("rotate({})", r.angle), w, h)?;
    }
    if let Some(r) = ops.extract_before {
        if !inside(r, w, h) {
            return Ok((0, 0)); // extract() reports it as ERR_OUT_OF_RANGE
        }
        (w, h) = (r.width, r.height);
    }
    if let Some(r) = &ops.resize {
        let p = geometry::plan(w, h, r);
        let (_, _, cw, ch) = p.crop.unwrap_or((0, 0, p.resized.0, p.resized.1));
        fits("resize", cw, ch)?;
        // The resampler's intermediate holds one pass: the output's width by the input's height,
        // or the input's width by the output's height.
        fits("resize (one resampling pass)", cw, h)?;
        fits("resize (one resampling pass)", w, ch)?;
        (w, h) = (cw, ch);
        if let Some((ew, eh, _, _)) = p.embed {
            fits("resize (contain's padding)", ew, eh)?;
            (w, h) = (ew, eh);
        }
    }
    if let Some(r) = ops.extract_after {
        if !inside(r, w, h) {
            return Ok((0, 0));
        }
        (w, h) = (r.width, r.height);
    }
    if let Some(e) = ops.extend {
        let grow = |n: u32, a: u32, b: u32| n.saturating_add(a).saturating_add(b);
        (w, h) = (grow(w, e.left, e.right), grow(h, e.top, e.bottom));
        fits("extend", w, h)?;
    }
    Ok((w, h))
}

/// Refuses, before decoding, an output larger than its encoder can write (libjpeg 65500, WebP
/// 16383, GIF 65535 per side): `ERR_IMAGE_ENCODE`, as the encoder would say after all the work.
pub fn fits_encoder(target: &Output, (w, h): (u32, u32)) -> Result<()> {
    let (name, max) = match target {
        Output::Jpeg(_) => ("JPEG", 65500),
        Output::Webp(_) => ("WebP", 16383),
        Output::Gif(_) => ("GIF", 65535),
        Output::Avif(_) => ("AVIF", 65536),
        Output::Png(_) | Output::Raw => return Ok(()),
    };
    if w <= max && h <= max {
        return Ok(());
    }
    Err(super::encode_error(format!(
        "a {w}×{h} image is too large for the {name} format (at most {max} pixels a side)"
    )))
}

fn inside(r: super::Region, w: u32, h: u32) -> bool {
    r.width > 0
        && r.height > 0
        && u64::from(r.left) + u64::from(r.width) <= u64::from(w)
        && u64::from(r.top) + u64::from(r.height) <= u64::from(h)
}

/// Refuses a header that its data cannot fill, before anything is allocated for it: PNG needs
/// 1/1033 of its raw rows in IDAT (or fdAT), Huffman-coded JPEG a bit of scan data per 8×8 block.
/// With no pixel limit, formats with no such bound are held to [`UNLIMITED_CEILING`] unless the
/// input is at least 1/1033 of the pixels in bytes. Reads the chunk or segment headers only.
pub fn plausible(input: &[u8], info: &Metadata, limit: u64) -> Result<()> {
    let declared = pixels(info.width, info.height);
    let need = match info.format {
        Format::Png => png_needs(input, info),
        Format::Jpeg if !jpeg_arithmetic(input) => {
            let blocks = u64::from(info.width.div_ceil(8)) * u64::from(info.height.div_ceil(8));
            Some((blocks.div_ceil(8), input.len() as u64))
        }
        _ if limit == 0 && declared > UNLIMITED_CEILING => {
            Some((declared / DEFLATE_RATIO, input.len() as u64))
        }
        _ => None,
    };
    match need {
        Some((need, have)) if have < need => Err(decode_error(format!(
            "a {}×{} {} needs at least {need} bytes of image data, this one has {have}",
            info.width,
            info.height,
            info.format.name()
        ))),
        _ => Ok(()),
    }
}

/// (bytes of IDAT/fdAT a complete PNG needs, bytes it has).
fn png_needs(b: &[u8], info: &Metadata) -> Option<(u64, u64)> {
    let depth = u64::from(*b.get(24)?);
    let samples = match b.get(25)? {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        _ => 4,
    };
    let row = (u64::from(info.width) * depth * samples).div_ceil(8);
    let raw = row * u64::from(info.height);
    let mut have = 0u64;
    let mut at = 8usize;
    while let (Some(len), Some(kind)) = (b.get(at..at + 4), b.get(at + 4..at + 8)) {
        let len = u64::from(u32::from_be_bytes(len.try_into().ok()?));
        if kind == b"IDAT" || kind == b"fdAT" {
            // The bytes there are, not the length the chunk claims.
            let present = b.len().saturating_sub(at + 8) as u64;
            have += len.min(present);
        }
        if kind == b"IEND" {
            break;
        }
        at = at.checked_add(12 + usize::try_from(len).ok()?)?;
    }
    Some((raw / DEFLATE_RATIO, have))
}

/// Whether the JPEG's frame header is an arithmetic-coded one (SOF9–SOF15), whose coder can
/// spend less than a bit per block.
fn jpeg_arithmetic(b: &[u8]) -> bool {
    let mut at = 2;
    while let (Some(&0xFF), Some(&marker)) = (b.get(at), b.get(at + 1)) {
        match marker {
            0xFF => at += 1,
            0xD0..=0xD9 | 0x01 => at += 2,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => return marker >= 0xC9,
            _ => {
                let Some(len) = b.get(at + 2..at + 4) else {
                    return false;
                };
                at += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{probe, Ops, Resize, Rotate};

    fn info(w: u32, h: u32) -> Metadata {
        let mut b = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        probe::probe(&b).unwrap()
    }

    fn spec(ops: Ops) -> Spec {
        Spec {
            ops,
            ..Spec::default()
        }
    }

    #[test]
    fn the_issues_cases_are_refused_before_allocating() {
        let rotate = Ops {
            rotate: Some(Rotate {
                angle: 45.0,
                ..Rotate::default()
            }),
            ..Ops::default()
        };
        let e = plan(&info(60000, 1), &spec(rotate.clone()), 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ImageTooLarge);
        assert!(e.message().contains("42427×42427"), "{}", e.message());
        assert!(plan(&info(32768, 32), &spec(rotate.clone()), 1).is_err());
        assert_eq!(plan(&info(100, 50), &spec(rotate), 1).unwrap(), (106, 106));
        let resize = Ops {
            resize: Some(Resize {
                width: Some(300),
                ..Resize::default()
            }),
            ..Ops::default()
        };
        let e = plan(&info(16, 65535), &spec(resize.clone()), 1).unwrap_err();
        assert!(e.message().contains("300×1228781"), "{}", e.message());
        assert_eq!(plan(&info(600, 400), &spec(resize), 1).unwrap(), (300, 200));
    }

    #[test]
    fn animations_count_every_frame() {
        let e = plan(&info(2048, 2048), &Spec::default(), 200).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ImageTooLarge);
        assert!(e.message().starts_with("Input image exceeds pixel limit"));
        assert!(plan(&info(2048, 2048), &Spec::default(), 60).is_ok());
        let off = Spec {
            limit_pixels: 0,
            ..Spec::default()
        };
        assert!(plan(&info(2048, 2048), &off, 200).is_err());
    }

    #[test]
    fn with_no_limit_a_stage_may_not_outgrow_its_input_or_the_ceiling() {
        assert_eq!(ceiling(0, 10), UNLIMITED_CEILING);
        assert_eq!(ceiling(0, 1 << 30), 1 << 30);
        assert_eq!(ceiling(5, 1 << 30), 5);
        let mut s = spec(Ops {
            rotate: Some(Rotate {
                angle: 45.0,
                ..Rotate::default()
            }),
            ..Ops::default()
        });
        s.limit_pixels = 0;
        assert!(plan(&info(60000, 1), &s, 1).is_err());
        assert!(plan(&info(10000, 10000), &s, 1).is_ok());
    }

    #[test]
    fn a_png_header_needs_its_data() {
        let mut b = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&65535u32.to_be_bytes());
        b.extend_from_slice(&65535u32.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(b"IDAT");
        b.extend_from_slice(&[0; 4]);
        let i = probe::probe(&b).unwrap();
        let e = plausible(&b, &i, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ImageDecode);
        // An IDAT that claims 2 GiB but holds nothing counts for nothing.
        let at = b.len() - 8;
        b[at..at + 4].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        assert_eq!(
            plausible(&b, &i, 0).unwrap_err().kind(),
            ErrorKind::ImageDecode
        );
        let small = info(100, 100);
        assert!(plausible(&[0; 60], &small, 0).is_ok());
    }
}
