//! Decoders: each turns one format into 8-bit [`Pixels`] frames plus the metadata the pipeline
//! keeps (EXIF, XMP, ICC), honouring `failOn` and checking the cancel flag between row bands.

mod gif;
mod jpeg;
pub(crate) mod other;
mod png;
mod webp;

use super::probe::{Format, Metadata};
use super::{Cancel, FailOn, Pixels};
use crate::error::Result;

/// Rows decoded between two looks at the cancel flag.
pub(crate) const BAND: usize = 64;

/// What the pipeline asks of a decoder.
#[derive(Clone, Copy, Debug)]
pub struct Hint {
    pub fail_on: FailOn,
    /// JPEG DCT scaling: decode at 1/shrink (1, 2, 4 or 8).
    pub shrink: u8,
    /// Decode every frame of an animation (else the first).
    pub animated: bool,
}

/// Metadata blocks carried from input to output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// EXIF as a TIFF structure (no "Exif\0\0" prefix).
    pub exif: Option<Vec<u8>>,
    pub xmp: Option<Vec<u8>>,
    pub icc: Option<Vec<u8>>,
}

/// A decoded image: one frame, or every frame of an animation composited onto the canvas.
#[derive(Debug)]
pub struct Decoded {
    pub frames: Vec<Pixels>,
    /// Per-frame delay in ms (animations only).
    pub delays_ms: Vec<u32>,
    /// GIF/WebP loop count (0 = forever).
    pub loop_count: u16,
    /// EXIF orientation, 1 when none.
    pub orientation: u8,
    pub metadata: Meta,
}

impl Decoded {
    pub(crate) fn single(px: Pixels, metadata: Meta) -> Decoded {
        let orientation = metadata
            .exif
            .as_deref()
            .and_then(super::exif::orientation)
            .unwrap_or(1);
        Decoded {
            frames: vec![px],
            delays_ms: Vec::new(),
            loop_count: 0,
            orientation,
            metadata,
        }
    }
}

/// Decodes `input`, whose headers `info` describes.
pub fn decode(input: &[u8], info: &Metadata, hint: &Hint, cancel: Cancel) -> Result<Decoded> {
    match info.format {
        Format::Jpeg => jpeg::decode(input, hint, cancel),
        Format::Png => png::decode(input, info, hint, cancel),
        Format::Webp => webp::decode(input, info, hint, cancel),
        Format::Gif => gif::decode(input, info, hint, cancel),
        Format::Tiff => other::decode_tiff(input, hint, cancel),
        Format::Bmp => other::decode_bmp(input, hint),
    }
}
