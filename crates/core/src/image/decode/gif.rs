//! GIF (image-rs's gif): one frame, or a run of frames (sharp's `page` and `pages`), each
//! composited onto the logical screen with the earlier frames' disposal, as browsers show them.

use super::{Decoded, Each, Hint, Meta};
use crate::error::Result;
use crate::image::pixels::{byte_len, zeroed, Pixels};
use crate::image::probe::Metadata;
use crate::image::{check, decode_error, Cancel, FailOn};
use gif::{ColorOutput, DecodeOptions, DisposalMethod, MemoryLimit, Repeat};
use std::num::NonZeroU64;

/// Decodes frames `hint.first` to `hint.end()`, each kept frame handed to `each` as soon as it is
/// composited: the decoder holds the canvas and one shown frame, never the animation.
pub fn decode(
    input: &[u8],
    info: &Metadata,
    hint: &Hint,
    cancel: Cancel,
    each: Each,
) -> Result<Decoded> {
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::RGBA);
    // Frames reaching outside the screen are clipped, as browsers (and sharp) do. The decoder
    // allocates each whole frame before decoding it, so a 10-byte frame header could ask for
    // 16 GiB: its buffers are held to the screen's size (which the pixel limit covered) or the
    // input's (which bounds the ICC and XMP blocks it also collects), whichever is larger.
    options.check_frame_consistency(false);
    options.allow_unknown_blocks(true);
    let screen = byte_len(info.width, info.height, 4)?;
    let limit = NonZeroU64::new(screen.max(input.len()) as u64)
        .ok_or_else(|| decode_error("the header gives a zero dimension"))?;
    options.set_memory_limit(MemoryLimit::Bytes(limit));
    let mut decoder = options.read_info(input).map_err(gif_error)?;
    let (w, h) = (u32::from(decoder.width()), u32::from(decoder.height()));
    let meta = Meta {
        exif: None,
        xmp: decoder.xmp_metadata().map(<[u8]>::to_vec),
        icc: decoder.icc_profile().map(<[u8]>::to_vec),
    };
    // NETSCAPE counts repeats after the first play; no extension (Finite(0)) plays once.
    let plays = match decoder.repeat() {
        Repeat::Infinite => 0,
        Repeat::Finite(n) => n.saturating_add(1),
    };
    let len = byte_len(w, h, 4)?;
    let mut canvas = zeroed(len)?;
    let mut frames = Vec::new();
    let mut delays = Vec::new();
    // Never more frames than the headers counted (and budget::plan allowed for).
    let end = hint.end().min(info.pages.max(1));
    let mut index = 0;
    loop {
        check(cancel)?;
        if index >= end {
            break;
        }
        let frame = match decoder.read_next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // A cut-off animation keeps its whole frames only when nothing is to fail.
            Err(_) if !frames.is_empty() && hint.fail_on == FailOn::None => break,
            Err(e) => return Err(gif_error(e)),
        };
        let keep = index >= hint.first;
        index += 1;
        let last = index >= end;
        let previous = (!last && frame.dispose == DisposalMethod::Previous).then(|| canvas.clone());
        let (fl, ft, fw, fh) = (
            u32::from(frame.left),
            u32::from(frame.top),
            u32::from(frame.width),
            u32::from(frame.height),
        );
        paint(&mut canvas, w, h, &frame.buffer, (fl, ft, fw, fh));
        if keep {
            // The last frame read takes the canvas itself: for a still image, its pages
            // untouched by the frame stay uncommitted (a 100-byte GIF may declare a 16000² screen).
            let shown = if last {
                std::mem::take(&mut canvas)
            } else {
                let mut shown = zeroed(len)?;
                shown.copy_from_slice(&canvas);
                shown
            };
            let mut shown = Pixels {
                width: w,
                height: h,
                channels: 4,
                data: shown,
            };
            if info.channels == 3 && shown.data.chunks_exact(4).all(|p| p[3] == 255) {
                // No transparency declared and none shown: RGB, as the metadata says. (A frame
                // that leaves part of the screen uncovered keeps its alpha.)
                shown = shown.into_channels(3);
            }
            frames.push(each(&meta, 1, shown)?);
            delays.push(u32::from(frame.delay) * 10);
        }
        if last {
            break;
        }
        match (frame.dispose, previous) {
            (DisposalMethod::Background, _) => {
                for y in ft..(ft + fh).min(h) {
                    let row = y as usize * w as usize;
                    let start = (row + fl.min(w) as usize) * 4;
                    let end = (row + (fl + fw).min(w) as usize) * 4;
                    canvas[start..end].fill(0);
                }
            }
            (DisposalMethod::Previous, Some(prev)) => canvas = prev,
            _ => {}
        }
    }
    if frames.is_empty() {
        return Err(decode_error("the GIF has no image"));
    }
    Ok(Decoded {
        frames,
        delays_ms: delays,
        plays,
        orientation: 1,
        metadata: meta,
    })
}

/// Paints a frame's opaque pixels onto the `w`×`h` RGBA canvas at `(left, top)`, clipped to it.
fn paint(canvas: &mut [u8], w: u32, h: u32, buffer: &[u8], (fl, ft, fw, fh): (u32, u32, u32, u32)) {
    for y in 0..fh {
        let cy = ft + y;
        if cy >= h {
            break;
        }
        for x in 0..fw {
            let cx = fl + x;
            if cx >= w {
                break;
            }
            let s = (y as usize * fw as usize + x as usize) * 4;
            let Some(src) = buffer.get(s..s + 4) else {
                break;
            };
            if src[3] != 0 {
                let d = (cy as usize * w as usize + cx as usize) * 4;
                canvas[d..d + 4].copy_from_slice(src);
            }
        }
    }
}

/// The decoder's error as ours. Over the memory limit it says `OutOfMemory` for a frame and
/// `MemoryLimit` for a metadata block, which the input's size already bounds.
fn gif_error(e: gif::DecodingError) -> crate::error::Error {
    match e {
        gif::DecodingError::OutOfMemory | gif::DecodingError::MemoryLimit => {
            decode_error("a frame holds more pixels than the screen")
        }
        e => decode_error(e),
    }
}
