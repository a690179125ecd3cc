//! WebP through Google's libwebp: lossy, lossless, alpha; animations through its compositing
//! animation decoder (one frame, or a run of them: sharp's `page` and `pages`).

use super::{Decoded, Each, Hint, Meta};
use crate::error::Result;
use crate::image::pixels::{byte_len, zeroed, Pixels};
use crate::image::probe::{riff_chunks, Metadata};
use crate::image::{check, decode_error, Cancel};
use libwebp_sys as webp;

/// Decodes a still image, or an animation's frames `hint.first` to `hint.end()`, each kept frame
/// handed to `each` as soon as libwebp has composited it.
pub fn decode(
    input: &[u8],
    info: &Metadata,
    hint: &Hint,
    cancel: Cancel,
    each: Each,
) -> Result<Decoded> {
    let mut meta = Meta::default();
    for (tag, body) in riff_chunks(input) {
        match &tag {
            b"EXIF" => meta.exif = Some(strip_exif_header(body).to_vec()),
            b"XMP " => meta.xmp = Some(body.to_vec()),
            b"ICCP" => meta.icc = Some(body.to_vec()),
            _ => {}
        }
    }
    let orientation = meta
        .exif
        .as_deref()
        .and_then(crate::image::exif::orientation)
        .unwrap_or(1);
    if info.pages > 1 {
        let mut d = animated(input, hint, info, cancel, &meta, orientation, each)?;
        d.orientation = orientation;
        d.metadata = meta;
        return Ok(d);
    }
    let channels: u8 = if info.has_alpha { 4 } else { 3 };
    let (w, h) = (info.width, info.height);
    let mut data = zeroed(byte_len(w, h, channels)?)?;
    let stride =
        i32::try_from(byte_len(w, 1, channels)?).map_err(|_| decode_error("WebP row too long"))?;
    // SAFETY: `data` holds exactly h rows of `stride` bytes; libwebp writes within it or fails.
    let ok = unsafe {
        if channels == 4 {
            webp::WebPDecodeRGBAInto(
                input.as_ptr(),
                input.len(),
                data.as_mut_ptr(),
                data.len(),
                stride,
            )
        } else {
            webp::WebPDecodeRGBInto(
                input.as_ptr(),
                input.len(),
                data.as_mut_ptr(),
                data.len(),
                stride,
            )
        }
    };
    if ok.is_null() {
        return Err(decode_error("libwebp could not decode the bitstream"));
    }
    let px = Pixels {
        width: w,
        height: h,
        channels,
        data,
    };
    let px = each(&meta, orientation, px)?;
    Ok(Decoded::single(px, meta))
}

/// Some writers keep the JPEG-style "Exif\0\0" header inside the chunk.
fn strip_exif_header(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"Exif\0\0").unwrap_or(body)
}

fn animated(
    input: &[u8],
    hint: &Hint,
    info: &Metadata,
    cancel: Cancel,
    meta: &Meta,
    orientation: u8,
    each: Each,
) -> Result<Decoded> {
    let data = webp::WebPData {
        bytes: input.as_ptr(),
        size: input.len(),
    };
    // SAFETY: the options struct is initialised by libwebp; the decoder borrows `input`, which
    // outlives it, and is deleted on every path by the guard.
    unsafe {
        let mut options: webp::WebPAnimDecoderOptions = std::mem::zeroed();
        if webp::WebPAnimDecoderOptionsInit(&mut options) == 0 {
            return Err(decode_error("libwebp version mismatch"));
        }
        options.color_mode = webp::WEBP_CSP_MODE::MODE_RGBA;
        options.use_threads = 0;
        let dec = webp::WebPAnimDecoderNew(&data, &options);
        if dec.is_null() {
            return Err(decode_error("libwebp could not parse the animation"));
        }
        struct Guard(*mut webp::WebPAnimDecoder);
        impl Drop for Guard {
            fn drop(&mut self) {
                unsafe { webp::WebPAnimDecoderDelete(self.0) }
            }
        }
        let guard = Guard(dec);
        let mut anim: webp::WebPAnimInfo = std::mem::zeroed();
        let plays = if webp::WebPAnimDecoderGetInfo(guard.0, &mut anim) != 0 {
            u16::try_from(anim.loop_count).unwrap_or(0)
        } else {
            0
        };
        let (w, h) = (info.width, info.height);
        let len = byte_len(w, h, 4)?;
        let mut frames = Vec::new();
        let mut delays = Vec::new();
        let mut last_ts = 0;
        // Never more frames than the headers counted (and budget::plan allowed for).
        let end = hint.end().min(info.pages);
        let mut index = 0;
        while index < end && webp::WebPAnimDecoderHasMoreFrames(guard.0) != 0 {
            check(cancel)?;
            let mut buf: *mut u8 = std::ptr::null_mut();
            let mut ts: i32 = 0;
            if webp::WebPAnimDecoderGetNext(guard.0, &mut buf, &mut ts) == 0 || buf.is_null() {
                if frames.is_empty() {
                    return Err(decode_error(
                        "libwebp could not decode the animation's frames",
                    ));
                }
                break;
            }
            let delay = (ts - last_ts).max(0) as u32;
            last_ts = ts;
            index += 1;
            if index <= hint.first {
                continue; // composited by libwebp into the frames after it, not kept
            }
            let mut frame = zeroed(len)?;
            frame.copy_from_slice(std::slice::from_raw_parts(buf, len));
            let mut frame = Pixels {
                width: w,
                height: h,
                channels: 4,
                data: frame,
            };
            if !info.has_alpha {
                frame = frame.into_channels(3);
            }
            frames.push(each(meta, orientation, frame)?);
            delays.push(delay);
        }
        if frames.is_empty() {
            return Err(decode_error(
                "the WebP animation ends before the page asked for",
            ));
        }
        Ok(Decoded {
            frames,
            delays_ms: delays,
            plays,
            orientation: 1,
            metadata: Meta::default(),
        })
    }
}
