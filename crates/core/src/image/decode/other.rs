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
    let le = match b.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Ok(()),
    };
    let uint = |at: usize, n: usize| -> Option<u64> {
        let bytes = b.get(at..at.checked_add(n)?)?;
        let fold = |acc: u64, &x: &u8| acc << 8 | u64::from(x);
        Some(if le {
            bytes.iter().rev().fold(0, fold)
        } else {
            bytes.iter().fold(0, fold)
        })
    };
    // Classic TIFF: 2-byte entry count, 12-byte entries with 4-byte counts; BigTIFF: 8, 20, 8.
    let (ifd, count_len, entry_len, value_count_len) = match uint(2, 2) {
        Some(42) => (uint(4, 4), 2, 12, 4),
        Some(43) => (uint(8, 8), 8, 20, 8),
        _ => return Ok(()),
    };
    // A directory out of bounds is the decoder's to refuse.
    let Some(ifd) = ifd.and_then(|o| usize::try_from(o).ok()) else {
        return Ok(());
    };
    let Some(entries) = uint(ifd, count_len) else {
        return Ok(());
    };
    let first = ifd.saturating_add(count_len);
    for i in 0..entries.min(b.len() as u64) as usize {
        let at = first.saturating_add(i.saturating_mul(entry_len));
        let (Some(tag), Some(kind), Some(count)) =
            (uint(at, 2), uint(at + 2, 2), uint(at + 4, value_count_len))
        else {
            break;
        };
        let size = match kind {
            3 | 8 => 2,
            4 | 9 | 11 | 13 => 4,
            5 | 10 | 12 | 16..=18 => 8,
            _ => 1,
        };
        if count.saturating_mul(size) > b.len() as u64 {
            return Err(decode_error(format!(
                "TIFF tag {tag} claims {count} values, more than the file holds"
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
    let px = Pixels {
        width: w as u32,
        height: h as u32,
        channels,
        data,
    };
    Ok(Decoded::single(px, Meta::default()))
}
