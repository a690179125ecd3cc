//! Input-only formats: TIFF (image-rs's tiff, first page) and BMP (zune-bmp).

use super::{Decoded, Hint, Meta};
use crate::error::Result;
use crate::image::pixels::Pixels;
use crate::image::{check, decode_error, Cancel};
use std::io::Cursor;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::ColorType;

/// A TIFF decoder over `input`, once every entry of the first directory (the one the decoder
/// reads) is known to claim no more data than the file holds. Such a claim is corrupt anyway,
/// and tiff 0.11 prints a `dbg!` line to stderr when an ASCII one exceeds its buffer limit: a
/// server must not write to its log whatever a client sends.
pub(crate) fn open_tiff(input: &[u8]) -> Result<Decoder<Cursor<&[u8]>>> {
    check_first_ifd(input)?;
    Decoder::new(Cursor::new(input)).map_err(decode_error)
}

fn check_first_ifd(b: &[u8]) -> Result<()> {
    let Some((_, entries)) = crate::image::exif::ifd0(b) else {
        // Not a TIFF header, or a directory out of bounds: the decoder's to refuse.
        return Ok(());
    };
    for e in entries {
        let size = match e.kind {
            3 | 8 => 2,
            4 | 9 | 11 | 13 => 4,
            5 | 10 | 12 | 16..=18 => 8,
            _ => 1,
        };
        if e.count.saturating_mul(size) > b.len() as u64 {
            return Err(decode_error(format!(
                "TIFF tag {} claims {} values, more than the file holds",
                e.tag, e.count
            )));
        }
    }
    Ok(())
}

pub fn decode_tiff(input: &[u8], hint: &Hint, cancel: Cancel) -> Result<Decoded> {
    let _ = hint;
    let mut d = open_tiff(input)?;
    let (w, h) = d.dimensions().map_err(decode_error)?;
    let colour = d.colortype().map_err(decode_error)?;
    let icc = d.get_tag_u8_vec(tiff::tags::Tag::IccProfile).ok();
    check(cancel)?;
    let samples: Vec<u8> = match d.read_image().map_err(decode_error)? {
        DecodingResult::U8(v) => v,
        DecodingResult::U16(v) => v.iter().map(|s| (s >> 8) as u8).collect(),
        _ => return Err(decode_error("unsupported TIFF sample format")),
    };
    #[expect(
        clippy::cast_possible_truncation,
        reason = "CMYK: both factors <= 255, so (c * k + 127) / 255 <= 255"
    )]
    let (channels, data) = match colour {
        ColorType::Gray(8 | 16) => (1, samples),
        ColorType::GrayA(8 | 16) => (2, samples),
        ColorType::RGB(8 | 16) => (3, samples),
        ColorType::RGBA(8 | 16) => (4, samples),
        ColorType::CMYK(8) => (
            3,
            samples
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u32::from(p[3]);
                    [0, 1, 2].map(|c| (((255 - u32::from(p[c])) * k + 127) / 255) as u8)
                })
                .collect(),
        ),
        other => {
            return Err(decode_error(format!(
                "unsupported TIFF colour type {other:?}"
            )))
        }
    };
    if data.len() != w as usize * h as usize * channels as usize {
        return Err(decode_error("TIFF strips do not cover the image"));
    }
    let px = Pixels {
        width: w,
        height: h,
        channels,
        data,
    };
    Ok(Decoded::single(
        px,
        Meta {
            icc,
            ..Meta::default()
        },
    ))
}

pub fn decode_bmp(input: &[u8], hint: &Hint) -> Result<Decoded> {
    let _ = hint;
    let mut d = zune_bmp::BmpDecoder::new(zune_core::bytestream::ZCursor::new(input));
    d.decode_headers()
        .map_err(|e| decode_error(format!("{e:?}")))?;
    let (w, h) = d
        .dimensions()
        .ok_or_else(|| decode_error("no BMP header"))?;
    let channels = match d.colorspace() {
        Some(zune_core::colorspace::ColorSpace::RGBA) => 4,
        Some(zune_core::colorspace::ColorSpace::Luma) => 1,
        _ => 3,
    };
    let data = d.decode().map_err(|e| decode_error(format!("{e:?}")))?;
    if data.len() != w * h * channels as usize {
        return Err(decode_error("BMP pixel data does not match its header"));
    }
    let dim = |n: usize| u32::try_from(n).map_err(|_| decode_error("BMP size out of range"));
    let px = Pixels {
        width: dim(w)?,
        height: dim(h)?,
        channels,
        data,
    };
    Ok(Decoded::single(px, Meta::default()))
}
