//! PNG and the first frame of APNG (image-rs's png): every bit depth and colour type, expanded to
//! 8 bits; 16-bit samples keep their high byte.

use super::{CancelRead, Decoded, Hint, Meta, BAND};
use crate::error::Result;
use crate::image::pixels::{byte_len, zeroed, Pixels};
use crate::image::probe::Metadata;
use crate::image::{check, decode_error, Cancel, FailOn};
use png::{ColorType, Decoder, Limits, Transformations};

/// Checks the CRC of every critical chunk (IHDR, PLTE, IDAT, IEND): a damaged one is corrupt
/// data. Ancillary chunks with bad CRCs are left to the decoder, which skips them.
fn check_critical_crcs(input: &[u8]) -> Result<()> {
    let mut at = 8;
    while let Some(head) = input.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(end) = at.checked_add(12 + len).filter(|&e| e <= input.len()) else {
            return Ok(()); // truncated: the decoder reports it
        };
        if head[4].is_ascii_uppercase() {
            let stored = u32::from_be_bytes(input[end - 4..end].try_into().expect("4 bytes"));
            if crc32fast::hash(&input[at + 4..end - 4]) != stored {
                let kind = String::from_utf8_lossy(&head[4..8]).into_owned();
                return Err(decode_error(format!("CRC error in the {kind} chunk")));
            }
        }
        if &head[4..8] == b"IEND" {
            break;
        }
        at = end;
    }
    Ok(())
}

pub fn decode(input: &[u8], info: &Metadata, hint: &Hint, cancel: Cancel) -> Result<Decoded> {
    if hint.fail_on != FailOn::None {
        check_critical_crcs(input)?;
    }
    // Limits were checked from the header; the buffers below are allocated fallibly.
    // Read in pieces with the cancel flag checked between them: interlaced passes have no row loop.
    let source = CancelRead::new(input, cancel);
    let mut decoder = Decoder::new_with_limits(source, Limits { bytes: usize::MAX });
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    decoder.ignore_checksums(hint.fail_on == FailOn::None);
    decoder.set_ignore_text_chunk(true);
    let mut reader = decoder.read_info().map_err(decode_error)?;
    let (colour, _) = reader.output_color_type();
    let channels = match colour {
        ColorType::Grayscale => 1,
        ColorType::GrayscaleAlpha => 2,
        ColorType::Rgb => 3,
        _ => 4,
    };
    let png_info = reader.info();
    let (w, h) = (png_info.width, png_info.height);
    let meta = Meta {
        exif: png_info.exif_metadata.as_ref().map(|e| e.to_vec()),
        xmp: png_info
            .utf8_text
            .iter()
            .find(|t| t.keyword == "XML:com.adobe.xmp")
            .and_then(|t| t.get_text().ok())
            .map(String::into_bytes),
        icc: png_info.icc_profile.as_ref().map(|p| p.to_vec()),
    };
    let _ = info;
    let row = byte_len(w, 1, channels)?;
    let mut data = zeroed(byte_len(w, h, channels)?)?;
    if png_info.interlaced {
        check(cancel)?;
        if let Err(e) = reader.next_frame(&mut data) {
            return Err(decode_error(e));
        }
    } else {
        for (y, line) in data.chunks_exact_mut(row).enumerate() {
            if y % BAND == 0 {
                check(cancel)?;
            }
            match reader.read_row(line) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                // Truncated or corrupt: keep the rows read so far when nothing is to fail.
                Err(_) if hint.fail_on == FailOn::None => break,
                Err(e) => return Err(decode_error(e)),
            }
        }
    }
    let px = Pixels {
        width: w,
        height: h,
        channels,
        data,
    };
    Ok(Decoded::single(px, meta))
}
