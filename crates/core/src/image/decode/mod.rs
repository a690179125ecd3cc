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

/// Encoded bytes a decoder reads between two looks at the cancel flag (through [`CancelRead`]).
pub(crate) const PIECE: usize = 64 << 10;

/// The encoded input as a reader that hands out at most [`PIECE`] bytes at a time and fails once
/// the task is cancelled. Decoders that consume input as they go stop within one piece of a
/// cancel, including where no row loop runs: libjpeg's whole-image first pass over a progressive
/// file, PNG's interlaced passes. The decoder reports the failure as its own error; callers map
/// it to `ABORT_ERR` by asking `cancel` again.
pub(crate) struct CancelRead<'a> {
    input: &'a [u8],
    at: usize,
    cancel: Cancel<'a>,
}

impl<'a> CancelRead<'a> {
    pub(crate) fn new(input: &'a [u8], cancel: Cancel<'a>) -> Self {
        CancelRead {
            input,
            at: 0,
            cancel,
        }
    }
}

impl std::io::Read for CancelRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let piece = std::io::BufRead::fill_buf(self)?;
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        self.at += n;
        Ok(n)
    }
}

impl std::io::BufRead for CancelRead<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if (self.cancel)() {
            return Err(std::io::Error::other("cancelled"));
        }
        let rest = self.input.get(self.at..).unwrap_or(&[]);
        Ok(&rest[..rest.len().min(PIECE)])
    }

    fn consume(&mut self, n: usize) {
        self.at = self.at.saturating_add(n).min(self.input.len());
    }
}

impl std::io::Seek for CancelRead<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let len = self.input.len() as u64;
        let target = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => (self.at as u64).checked_add_signed(d),
        };
        let target = target.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        self.at = usize::try_from(target.min(len)).unwrap_or(self.input.len());
        Ok(target)
    }
}

/// What the pipeline asks of a decoder.
#[derive(Clone, Copy, Debug)]
pub struct Hint {
    pub fail_on: FailOn,
    /// JPEG DCT scaling: decode at 1/shrink (1, 2, 4 or 8).
    pub shrink: u8,
    /// The frames of a GIF or WebP to hand to `each`: `count` of them from `first` (frames
    /// before `first` are composited, as later ones build on them, but not kept). Other formats
    /// have one frame: (0, 1).
    pub first: u32,
    pub count: u32,
}

impl Hint {
    /// The frames the decoder reads: up to the last one kept.
    pub(crate) fn end(&self) -> u32 {
        self.first.saturating_add(self.count.max(1))
    }
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
    /// How many times the animation plays (0 = forever), as sharp's `loop`.
    pub plays: u16,
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
            plays: 0,
            orientation,
            metadata,
        }
    }
}

/// What the pipeline does to each frame as soon as it is decoded, given the input's metadata and
/// EXIF orientation: it returns the frame to keep (processed, usually smaller). GIF and WebP
/// animations call it frame by frame, so no more than one decoded frame is held at a time.
pub type Each<'a> = &'a mut dyn FnMut(&Meta, u8, Pixels) -> Result<Pixels>;

/// Decodes `input`, whose headers `info` describes, passing each frame through `each`.
/// A decoder's failure after a cancel (its reader refused to read on) is `ABORT_ERR`.
pub fn decode(
    input: &[u8],
    info: &Metadata,
    hint: &Hint,
    cancel: Cancel,
    each: Each,
) -> Result<Decoded> {
    let decoded = decode_format(input, info, hint, cancel, each);
    match decoded {
        Err(_) if cancel() => Err(crate::error::Error::aborted()),
        other => other,
    }
}

fn decode_format(
    input: &[u8],
    info: &Metadata,
    hint: &Hint,
    cancel: Cancel,
    each: Each,
) -> Result<Decoded> {
    let mut d = match info.format {
        Format::Webp => return webp::decode(input, info, hint, cancel, each),
        Format::Gif => return gif::decode(input, info, hint, cancel, each),
        Format::Jpeg => jpeg::decode(input, hint, cancel)?,
        Format::Png => png::decode(input, info, hint, cancel)?,
        Format::Tiff => other::decode_tiff(input, hint, cancel)?,
        Format::Bmp => other::decode_bmp(input, hint)?,
    };
    let frames = std::mem::take(&mut d.frames);
    d.frames = frames
        .into_iter()
        .map(|f| each(&d.metadata, d.orientation, f))
        .collect::<Result<_>>()?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::image::probe::probe;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn fixture(path: &str) -> Vec<u8> {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../__test__/fixtures/images/"
        );
        std::fs::read(format!("{root}{path}")).expect("fixture")
    }

    /// Decodes `input` with a cancel flag that turns true at its `at`-th look (never if `None`);
    /// returns the result and how many looks were taken.
    fn decode_cancelled_at(input: &[u8], at: Option<usize>) -> (Result<Decoded>, usize) {
        let info = probe(input).expect("probe");
        let hint = Hint {
            fail_on: FailOn::Warning,
            shrink: 1,
            first: 0,
            count: 1,
        };
        let looks = AtomicUsize::new(0);
        let cancel = || at.is_some_and(|at| looks.fetch_add(1, Ordering::Relaxed) + 1 >= at);
        let counting = || {
            looks.fetch_add(1, Ordering::Relaxed);
            false
        };
        let result = match at {
            Some(_) => decode(input, &info, &hint, &cancel, &mut |_, _, px| Ok(px)),
            None => decode(input, &info, &hint, &counting, &mut |_, _, px| Ok(px)),
        };
        (result, looks.load(Ordering::Relaxed))
    }

    /// Every look at the cancel flag of a full decode (the reader's and the row bands') stops it with
    /// ABORT_ERR, never a decode error: libjpeg's read failure and png's are mapped.
    #[test]
    fn a_cancel_at_any_look_is_an_abort() {
        for path in [
            "jpeg/progressive-cat.jpg",
            "jpeg/ljt-testorig.jpg",
            "png/pngsuite/basi6a08.png",
        ] {
            let input = fixture(path);
            let (full, looks) = decode_cancelled_at(&input, None);
            assert!(full.is_ok(), "{path}: {:?}", full.err());
            assert!(looks >= 2, "{path}: {looks} looks");
            for at in 1..=looks {
                let (r, _) = decode_cancelled_at(&input, Some(at));
                let kind = r.as_ref().err().map(|e| e.kind());
                assert_eq!(
                    kind,
                    Some(ErrorKind::Aborted),
                    "{path}: cancel at look {at}"
                );
            }
        }
    }

    #[test]
    fn cancel_read_hands_out_pieces_and_seeks() {
        use std::io::{BufRead, Read, Seek, SeekFrom};
        let input = vec![5u8; PIECE * 2 + 3];
        let never = || false;
        let mut r = CancelRead::new(&input, &never);
        assert_eq!(r.fill_buf().unwrap().len(), PIECE);
        r.consume(PIECE);
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), PIECE + 3);
        assert_eq!(r.seek(SeekFrom::End(-3)).unwrap(), input.len() as u64 - 3);
        assert_eq!(r.fill_buf().unwrap().len(), 3);
        assert!(r.seek(SeekFrom::Current(-(input.len() as i64))).is_err());
        let always = || true;
        let mut cancelled = CancelRead::new(&input, &always);
        assert!(cancelled.fill_buf().is_err());
    }
}
