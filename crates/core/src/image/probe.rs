//! Format sniffing and header-only metadata. Nothing here decodes pixels or allocates in
//! proportion to the image: `metadata()` and the pixel limit rely on it.

use super::decode_error;
use crate::error::{Error, ErrorKind, Result};
use serde::Serialize;

/// Input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
    Bmp,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
            Format::Tiff => "tiff",
            Format::Bmp => "bmp",
        }
    }
}

/// What the headers say: what `metadata()` resolves (camelCase in JS; absent options are left out).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub has_alpha: bool,
    /// The EXIF orientation, 1–8, when the file carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u8>,
    pub is_progressive: bool,
    /// Frames of an animated GIF/WebP/APNG, else 1.
    pub pages: u32,
    /// Pixels per inch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub density: Option<f64>,
    /// "srgb", "b-w" or "cmyk".
    pub space: &'static str,
    pub has_profile: bool,
    pub size: usize,
}

impl Metadata {
    /// What a base of raw or created pixels is, for the size checks (format: a stand-in).
    pub(crate) fn of_pixels(width: u32, height: u32, channels: u8) -> Metadata {
        Metadata {
            width,
            height,
            channels,
            has_alpha: channels == 2 || channels == 4,
            ..Metadata::new(Format::Png, 0)
        }
    }

    fn new(format: Format, size: usize) -> Metadata {
        Metadata {
            format,
            width: 0,
            height: 0,
            channels: 3,
            has_alpha: false,
            orientation: None,
            is_progressive: false,
            pages: 1,
            density: None,
            space: "srgb",
            has_profile: false,
            size,
        }
    }
}

pub fn sniff(input: &[u8]) -> Option<Format> {
    match input {
        [0xFF, 0xD8, 0xFF, ..] => Some(Format::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Format::Png),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Format::Webp),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Format::Gif),
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Some(Format::Tiff),
        [b'B', b'M', ..] if input.len() >= 26 => Some(Format::Bmp),
        _ => None,
    }
}

/// Reads the headers of `input`.
pub fn probe(input: &[u8]) -> Result<Metadata> {
    let format = sniff(input).ok_or_else(|| {
        Error::new(
            ErrorKind::ImageFormat,
            "Input buffer contains unsupported image format",
        )
    })?;
    let mut m = Metadata::new(format, input.len());
    match format {
        Format::Jpeg => jpeg(input, &mut m)?,
        Format::Png => png(input, &mut m)?,
        Format::Webp => webp(input, &mut m)?,
        Format::Gif => gif(input, &mut m)?,
        Format::Tiff => tiff(input, &mut m)?,
        Format::Bmp => bmp(input, &mut m)?,
    }
    if m.width == 0 || m.height == 0 {
        return Err(decode_error("the header gives a zero dimension"));
    }
    m.has_alpha = m.channels == 2 || m.channels == 4 && m.space != "cmyk";
    Ok(m)
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn truncated() -> Error {
    decode_error("the header is truncated")
}

fn jpeg(b: &[u8], m: &mut Metadata) -> Result<()> {
    let mut at = 2;
    loop {
        // Skip fill bytes to the next marker.
        while b.get(at) == Some(&0xFF) && b.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if b.get(at) != Some(&0xFF) {
            return Err(decode_error("no frame header before the image data"));
        }
        let marker = *b.get(at + 1).ok_or_else(truncated)?;
        if (0xD0..=0xD9).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let len = be16(b, at + 2).ok_or_else(truncated)? as usize;
        if len < 2 {
            return Err(decode_error("a segment length is below 2"));
        }
        let seg = b.get(at + 4..at + 2 + len).ok_or_else(truncated)?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if seg.len() < 6 {
                    return Err(truncated());
                }
                m.height = be16(seg, 1).ok_or_else(truncated)?;
                m.width = be16(seg, 3).ok_or_else(truncated)?;
                let components = seg[5];
                m.is_progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
                (m.channels, m.space) = match components {
                    1 => (1, "b-w"),
                    3 => (3, "srgb"),
                    4 => (4, "cmyk"),
                    n => return Err(decode_error(format!("{n} colour components"))),
                };
                return Ok(());
            }
            0xE0 if seg.starts_with(b"JFIF\0") && seg.len() >= 12 => {
                let (unit, x) = (seg[7], be16(seg, 8).unwrap_or(0));
                m.density = density(unit, x);
            }
            0xE1 if seg.starts_with(b"Exif\0\0") => {
                m.orientation = super::exif::orientation(&seg[6..])
            }
            0xE2 if seg.starts_with(b"ICC_PROFILE\0") => m.has_profile = true,
            0xDA => return Err(decode_error("image data before the frame header")),
            _ => {}
        }
        at += 2 + len;
    }
}

/// Pixels per inch from a JFIF/pHYs-style unit (1 = per inch, 2 = per cm).
fn density(unit: u8, value: u32) -> Option<f64> {
    match unit {
        1 if value > 0 => Some(f64::from(value)),
        2 if value > 0 => Some((f64::from(value) * 2.54 * 100.0).round() / 100.0),
        _ => None,
    }
}

fn png(b: &[u8], m: &mut Metadata) -> Result<()> {
    if b.get(12..16) != Some(b"IHDR") || be32(b, 8) != Some(13) {
        return Err(decode_error("the first chunk is not IHDR"));
    }
    if b.len() < 33 {
        return Err(truncated());
    }
    m.width = be32(b, 16).ok_or_else(truncated)?;
    m.height = be32(b, 20).ok_or_else(truncated)?;
    if m.width > i32::MAX as u32 || m.height > i32::MAX as u32 {
        return Err(decode_error("PNG dimensions are limited to 2^31 - 1"));
    }
    let colour = *b.get(25).ok_or_else(truncated)?;
    m.is_progressive = b.get(28) == Some(&1);
    (m.channels, m.space) = match colour {
        0 => (1, "b-w"),
        2 | 3 => (3, "srgb"),
        4 => (2, "b-w"),
        6 => (4, "srgb"),
        c => return Err(decode_error(format!("colour type {c}"))),
    };
    let mut at = 8;
    while let (Some(len), Some(kind)) = (be32(b, at), b.get(at + 4..at + 8)) {
        let body = b.get(at + 8..at + 8 + len as usize);
        match kind {
            b"tRNS" if m.channels == 1 || m.channels == 3 => m.channels += 1,
            b"acTL" => m.pages = body.and_then(|d| be32(d, 0)).unwrap_or(1).max(1),
            b"iCCP" => m.has_profile = true,
            b"pHYs" => {
                if let Some(d) = body.filter(|d| d.len() >= 9 && d[8] == 1) {
                    let per_m = f64::from(be32(d, 0).unwrap_or(0));
                    m.density = (per_m > 0.0).then(|| (per_m * 0.0254 * 100.0).round() / 100.0);
                }
            }
            b"eXIf" => m.orientation = body.and_then(super::exif::orientation),
            b"IDAT" | b"IEND" => break,
            _ => {}
        }
        at += 12 + len as usize;
    }
    Ok(())
}

/// The chunks of a RIFF WebP file: (fourcc, body).
pub fn riff_chunks(b: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut at = 12;
    std::iter::from_fn(move || {
        let tag: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        let len = le32(b, at + 4)? as usize;
        let body = b.get(at + 8..(at + 8).checked_add(len)?.min(b.len()))?;
        at = at.checked_add(8 + len + (len & 1))?;
        Some((tag, body))
    })
}

fn webp(b: &[u8], m: &mut Metadata) -> Result<()> {
    let mut frames = 0;
    let mut seen = false;
    for (tag, body) in riff_chunks(b) {
        match &tag {
            b"VP8X" if body.len() >= 10 => {
                let flags = body[0];
                m.has_profile = flags & 0x20 != 0;
                m.channels = if flags & 0x10 != 0 { 4 } else { 3 };
                m.width = le24(body, 4).ok_or_else(truncated)? + 1;
                m.height = le24(body, 7).ok_or_else(truncated)? + 1;
                seen = true;
            }
            b"VP8 " if !seen => {
                if body.get(3..6) != Some(&[0x9D, 0x01, 0x2A]) {
                    return Err(decode_error("bad VP8 start code"));
                }
                m.width = le16(body, 6).ok_or_else(truncated)? & 0x3FFF;
                m.height = le16(body, 8).ok_or_else(truncated)? & 0x3FFF;
                seen = true;
            }
            b"VP8L" if !seen => {
                if body.first() != Some(&0x2F) {
                    return Err(decode_error("bad VP8L signature"));
                }
                let bits = le32(body, 1).ok_or_else(truncated)?;
                m.width = (bits & 0x3FFF) + 1;
                m.height = ((bits >> 14) & 0x3FFF) + 1;
                m.channels = if bits >> 28 & 1 == 1 { 4 } else { 3 };
                seen = true;
            }
            b"ANMF" => frames += 1,
            b"EXIF" => {
                let tiff = body.strip_prefix(b"Exif\0\0").unwrap_or(body);
                m.orientation = super::exif::orientation(tiff);
            }
            _ => {}
        }
    }
    if !seen {
        return Err(decode_error("no VP8, VP8L or VP8X chunk"));
    }
    m.pages = frames.max(1);
    Ok(())
}

fn gif(b: &[u8], m: &mut Metadata) -> Result<()> {
    m.width = le16(b, 6).ok_or_else(truncated)?;
    m.height = le16(b, 8).ok_or_else(truncated)?;
    let flags = *b.get(10).ok_or_else(truncated)?;
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 7) + 1);
    }
    let mut frames = 0;
    let mut alpha = false;
    // Walk the blocks, skipping image data sub-blocks: no LZW decoding.
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let n = *b.get(at)? as usize;
            at += 1 + n;
            if n == 0 {
                return Some(at);
            }
        }
    };
    while let Some(&block) = b.get(at) {
        match block {
            0x21 => {
                let label = b.get(at + 1).copied();
                if label == Some(0xF9) && b.get(at + 3).is_some_and(|f| f & 1 == 1) {
                    alpha = true;
                }
                match skip_sub_blocks(at + 2) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            0x2C => {
                frames += 1;
                let Some(&f) = b.get(at + 9) else { break };
                if frames == 1 {
                    m.is_progressive = f & 0x40 != 0;
                }
                at += 10;
                if f & 0x80 != 0 {
                    at += 3 << ((f & 7) + 1);
                }
                match skip_sub_blocks(at + 1) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            _ => break,
        }
    }
    m.pages = frames.max(1);
    m.channels = if alpha { 4 } else { 3 };
    Ok(())
}

fn tiff(b: &[u8], m: &mut Metadata) -> Result<()> {
    let mut d = crate::image::decode::other::open_tiff(b)?;
    let (w, h) = d.dimensions().map_err(decode_error)?;
    (m.width, m.height) = (w, h);
    (m.channels, m.space) = match d.colortype().map_err(decode_error)? {
        tiff::ColorType::Gray(_) => (1, "b-w"),
        tiff::ColorType::GrayA(_) => (2, "b-w"),
        tiff::ColorType::RGBA(_) => (4, "srgb"),
        tiff::ColorType::CMYK(_) => (4, "cmyk"),
        _ => (3, "srgb"),
    };
    m.orientation = d
        .get_tag_u32(tiff::tags::Tag::Orientation)
        .ok()
        .and_then(|o| u8::try_from(o).ok())
        .filter(|o| (1..=8).contains(o));
    m.has_profile = d.get_tag_u8_vec(tiff::tags::Tag::IccProfile).is_ok();
    Ok(())
}

fn bmp(b: &[u8], m: &mut Metadata) -> Result<()> {
    m.width = (le32(b, 18).ok_or_else(truncated)? as i32).unsigned_abs();
    m.height = (le32(b, 22).ok_or_else(truncated)? as i32).unsigned_abs();
    let bpp = le16(b, 28).unwrap_or(24);
    m.channels = if bpp == 32 { 4 } else { 3 };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_bytes_are_a_format_error() {
        assert_eq!(
            probe(b"hello world").unwrap_err().kind(),
            ErrorKind::ImageFormat
        );
        assert_eq!(probe(b"").unwrap_err().kind(), ErrorKind::ImageFormat);
    }

    #[test]
    fn png_header_without_pixels() {
        let mut b = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&100_000u32.to_be_bytes());
        b.extend_from_slice(&100_000u32.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0]);
        b.extend_from_slice(&[0; 4]); // CRC (not checked by the probe)
        let m = probe(&b).unwrap();
        assert_eq!((m.width, m.height, m.channels), (100_000, 100_000, 4));
    }
}
