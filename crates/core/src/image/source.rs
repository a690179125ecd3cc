//! Path inputs: only regular files (a FIFO or device is refused before any read that could block),
//! at most `maxInputBytes`, read in pieces with the cancel flag checked between them; `metadata()`
//! of a path reads a prefix and grows it only while the headers run past it.

use super::probe::{self, Format, Metadata};
use super::{Cancel, Spec};
use crate::error::{ErrorKind, Result};
use crate::file;
use std::path::Path;

/// The first read of `metadata()` on a path; each further read quadruples the prefix.
pub const FIRST_READ: usize = 64 << 10;

/// The JS name of the byte limit, for messages.
const LIMIT: &str = "maxInputBytes";

/// The bytes of the image file at `path`, refused (`ERR_FS_FILE_TOO_LARGE`) before reading when
/// larger than `spec.max_input_bytes`. Costs one buffer of the file's size.
pub fn read_path(path: &Path, spec: &Spec, cancel: Cancel) -> Result<Vec<u8>> {
    file::read_limited(path, spec.max_input_bytes, LIMIT, cancel)
}

/// The headers of the image file at `path`, read from a prefix: 64 KiB for most JPEG, PNG, WebP and
/// BMP files, grown while a header runs past it (large EXIF/ICC segments before a JPEG frame
/// header). GIF and TIFF are read whole (frames are counted across the file; a TIFF directory may
/// sit at its end), animated or EXIF-carrying WebP too, never past `max_bytes`.
pub fn metadata_path(path: &Path, max_bytes: u64, cancel: Cancel) -> Result<Metadata> {
    let (mut f, size) = file::open_regular(path)?;
    let limit = size.min(max_bytes);
    let mut buf = Vec::new();
    let mut want = FIRST_READ;
    loop {
        let target = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .min(want)
            .max(buf.len());
        let more = target - buf.len();
        file::read_into(&mut f, &mut buf, more, cancel)?;
        // At the end of the file, or of what the file held when opened.
        let whole = buf.len() < target || buf.len() as u64 >= size;
        match probe::probe(&buf) {
            Ok(mut m) if whole || complete(&buf, &m) => {
                m.size = usize::try_from(size).unwrap_or(usize::MAX);
                return Ok(m);
            }
            Err(e) if whole || e.kind() == ErrorKind::ImageFormat => return Err(e),
            _ => {}
        }
        if buf.len() as u64 >= max_bytes {
            return Err(file::too_large(LIMIT, size, max_bytes));
        }
        want = want.saturating_mul(4);
    }
}

/// Whether `m`, probed from the prefix `b` of a longer file, says all that the whole file would.
fn complete(b: &[u8], m: &Metadata) -> bool {
    match m.format {
        // The probe stops at the frame header, or has the fixed-size header.
        Format::Jpeg | Format::Bmp => true,
        // Chunks up to the first IDAT carry everything read (acTL, iCCP, pHYs, eXIf).
        Format::Png => {
            let mut at = 8usize;
            while let Some(head) = b.get(at..at + 8) {
                if &head[4..8] == b"IDAT" || &head[4..8] == b"IEND" {
                    return true;
                }
                let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
                at = at.saturating_add(12).saturating_add(len as usize);
            }
            false
        }
        // A simple file, or an extended one without animation (frames counted) or EXIF (at the end).
        Format::Webp => match b.get(12..16) {
            Some(b"VP8 " | b"VP8L") => true,
            Some(b"VP8X") => b.get(20).is_some_and(|flags| flags & 0x0A == 0),
            _ => false,
        },
        Format::Gif | Format::Tiff => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> bool {
        false
    }

    #[test]
    fn png_metadata_reads_a_prefix_of_a_large_file() {
        // A 1×1 PNG header, then 8 MiB of IDAT the probe never needs.
        let mut b = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&(8u32 << 20).to_be_bytes());
        b.extend_from_slice(b"IDAT");
        b.resize(b.len() + (8 << 20), 0);
        let path = std::env::temp_dir().join(format!("offthread-meta-{}.png", std::process::id()));
        std::fs::write(&path, &b).unwrap();
        let m = metadata_path(&path, u64::MAX, &never).unwrap();
        assert_eq!((m.width, m.height, m.size), (1, 1, b.len()));
        // The limit does not apply to what is not read.
        assert!(metadata_path(&path, 1 << 20, &never).is_ok());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn jpeg_header_past_the_first_read_grows_the_prefix() {
        // SOI, then 20 APP15 segments of 65533 bytes (1.3 MB) before the frame header.
        let mut b = vec![0xFF, 0xD8];
        for _ in 0..20 {
            b.extend_from_slice(&[0xFF, 0xEF, 0xFF, 0xFF]);
            b.resize(b.len() + 0xFFFD, 0);
        }
        b.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 7, 0, 9, 1, 1, 0x11, 0]);
        b.extend_from_slice(&[0xFF, 0xD9]);
        let path = std::env::temp_dir().join(format!("offthread-meta-{}.jpg", std::process::id()));
        std::fs::write(&path, &b).unwrap();
        let m = metadata_path(&path, u64::MAX, &never).unwrap();
        assert_eq!((m.width, m.height), (9, 7));
        let e = metadata_path(&path, 1 << 20, &never).unwrap_err();
        assert_eq!(e.code(), "ERR_FS_FILE_TOO_LARGE");
        std::fs::remove_file(&path).unwrap();
    }
}
