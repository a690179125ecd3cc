//! JPEG through libjpeg-turbo (mozjpeg build): DCT-domain shrink-on-load, CMYK/YCCK, grey,
//! restart markers. libjpeg reports fatal errors by unwinding (no panic hook runs) and warnings
//! through `emit_message`, which this module counts per thread to implement `failOn`.

use super::{CancelRead, Decoded, Hint, Meta, BAND};
use crate::error::Result;
use crate::image::pixels::{byte_len, zeroed, Pixels};
use crate::image::{check, decode_error, Cancel, FailOn};
use mozjpeg::decompress::DecompressBuilder;
use mozjpeg::Marker;
use mozjpeg_sys::{jpeg_common_struct, jpeg_error_mgr, J_COLOR_SPACE};
use std::cell::Cell;
use std::os::raw::c_int;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

thread_local! {
    /// The `failOn` level of the decode running on this thread.
    static FAIL_ON: Cell<FailOn> = const { Cell::new(FailOn::Warning) };
}

/// libjpeg's message for the error or warning in `cinfo`.
fn message(cinfo: &mut jpeg_common_struct) -> String {
    type Format = unsafe extern "C-unwind" fn(&mut jpeg_common_struct, *mut u8);
    // SAFETY: `err` is set by the decompressor for its whole life. The binding declares
    // format_message's buffer as `&[u8; 80]` though C writes it, so the function is called
    // through a pointer type that says so; it writes at most 80 bytes, NUL-terminated.
    unsafe {
        let Some(err) = cinfo.err.as_ref() else {
            return "libjpeg error".into();
        };
        let Some(format) = err.format_message else {
            return format!("libjpeg error {}", err.msg_code);
        };
        let format: Format = std::mem::transmute(format);
        let mut buffer = [0u8; 80];
        format(cinfo, buffer.as_mut_ptr());
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    }
}

extern "C-unwind" fn error_exit(cinfo: &mut jpeg_common_struct) {
    // resume_unwind runs no panic hook: a corrupt upload prints nothing.
    resume_unwind(Box::new(message(cinfo)));
}

extern "C-unwind" fn emit_message(cinfo: &mut jpeg_common_struct, level: c_int) {
    if level >= 0 {
        return; // trace messages
    }
    // SAFETY: as in `message`.
    let code = unsafe { cinfo.err.as_ref().map_or(0, |e| e.msg_code) };
    // Only truncation refuses the image. libjpeg recovers from corrupt entropy data (it
    // resynchronises at the next marker) and sharp keeps such images at every `failOn` level.
    let truncated = code == mozjpeg_sys::JWRN_JPEG_EOF as c_int;
    let refuse = truncated && FAIL_ON.with(Cell::get) != FailOn::None;
    if refuse {
        resume_unwind(Box::new(message(cinfo)));
    }
}

fn error_mgr() -> jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills every field of a zeroed struct.
    let mut err: jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { mozjpeg_sys::jpeg_std_error(&mut err) };
    err.error_exit = Some(error_exit);
    err.emit_message = Some(emit_message);
    err
}

pub fn decode(input: &[u8], hint: &Hint, cancel: Cancel) -> Result<Decoded> {
    FAIL_ON.with(|f| f.set(hint.fail_on));
    match catch_unwind(AssertUnwindSafe(|| decode_inner(input, hint, cancel))) {
        Ok(result) => result,
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "libjpeg failed".into());
            Err(decode_error(why))
        }
    }
}

const MARKERS: &[Marker] = &[Marker::APP(1), Marker::APP(2), Marker::APP(14)];

fn decode_inner(input: &[u8], hint: &Hint, cancel: Cancel) -> Result<Decoded> {
    let mut d = DecompressBuilder::new()
        .with_err(error_mgr())
        .with_markers(MARKERS)
        .from_reader(CancelRead::new(input, cancel))
        .map_err(decode_error)?;
    let mut meta = Meta::default();
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut adobe = false;
    for m in d.markers() {
        match m.marker {
            Marker::APP(1) if m.data.starts_with(b"Exif\0\0") => {
                meta.exif = Some(m.data[6..].to_vec())
            }
            Marker::APP(1) if m.data.starts_with(b"http://ns.adobe.com/xap/1.0/\0") => {
                meta.xmp = Some(m.data[29..].to_vec())
            }
            Marker::APP(2) if m.data.starts_with(b"ICC_PROFILE\0") && m.data.len() > 14 => {
                icc_chunks.push((m.data[12], &m.data[14..]))
            }
            Marker::APP(14) if m.data.starts_with(b"Adobe") => adobe = true,
            _ => {}
        }
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|c| c.0);
        meta.icc = Some(
            icc_chunks
                .iter()
                .flat_map(|c| c.1.iter().copied())
                .collect(),
        );
    }
    if hint.shrink > 1 {
        d.scale(8 / hint.shrink);
    }
    let cmyk = matches!(
        d.color_space(),
        J_COLOR_SPACE::JCS_CMYK | J_COLOR_SPACE::JCS_YCCK
    );
    let (mut started, channels) = match d.color_space() {
        J_COLOR_SPACE::JCS_GRAYSCALE => (d.grayscale().map_err(decode_error)?, 1u8),
        _ if cmyk => (
            d.to_colorspace(J_COLOR_SPACE::JCS_CMYK)
                .map_err(decode_error)?,
            4,
        ),
        _ => (d.rgb().map_err(decode_error)?, 3),
    };
    let dim = |n: usize| u32::try_from(n).map_err(|_| decode_error("JPEG size out of range"));
    let (w, h) = (dim(started.width())?, dim(started.height())?);
    let mut data = zeroed(byte_len(w, h, channels)?)?;
    let row = w as usize * channels as usize;
    for band in data.chunks_mut(row * BAND) {
        check(cancel)?;
        started.read_scanlines_into(band).map_err(decode_error)?;
    }
    started.finish().map_err(decode_error)?;
    let mut px = Pixels {
        width: w,
        height: h,
        channels,
        data,
    };
    if cmyk {
        px = cmyk_to_rgb(px, adobe);
        // A CMYK profile does not describe the RGB pixels now held.
        meta.icc = None;
    }
    Ok(Decoded::single(px, meta))
}

/// Naive CMYK → RGB. Adobe writes inverted CMYK (0 = full ink), which libjpeg passes through.
#[expect(
    clippy::cast_possible_truncation,
    reason = "ink(c), k <= 255, so (ink(c) * k + 127) / 255 <= 255"
)]
fn cmyk_to_rgb(px: Pixels, inverted: bool) -> Pixels {
    let mut data = Vec::with_capacity(px.data.len() / 4 * 3);
    for p in px.data.chunks_exact(4) {
        let ink = |v: u8| {
            if inverted {
                u32::from(v)
            } else {
                255 - u32::from(v)
            }
        };
        let k = ink(p[3]);
        for &c in &p[..3] {
            data.push(((ink(c) * k + 127) / 255) as u8);
        }
    }
    Pixels {
        width: px.width,
        height: px.height,
        channels: 3,
        data,
    }
}
