//! Resampling with fast_image_resize (SIMD chosen at run time: SSE4.1/AVX2/NEON), alpha handled
//! premultiplied. The resizer and its scratch buffers live per thread and are reused by tasks, up
//! to [`KEEP_SCRATCH_BYTES`]: a larger scratch is freed when its task's resize ends.

use super::geometry::{embed, plan};
use super::pixels::{byte_len, Pixels};
use super::smartcrop::Smart;
use super::{check, Cancel, Kernel, Resize};
use crate::error::{Error, ErrorKind, Result};
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::cell::RefCell;

thread_local! {
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

/// The most scratch memory (premultiplied copy, intermediate pass) a pool thread keeps between
/// resizes: 16 MiB, enough for the usual thumbnail of a 12-megapixel photo to reuse its buffers.
/// A larger scratch (one 8000×8000 RGBA resize needs 244 MiB) is freed at the end of its resize,
/// and glibc is asked to return freed heap pages (`malloc_trim`), so RSS returns to its baseline.
pub const KEEP_SCRATCH_BYTES: usize = 16 << 20;

/// Frees `resizer`'s scratch if it is over [`KEEP_SCRATCH_BYTES`], or, under the machine budget,
/// over the size from which freed blocks go back to the system (most pool threads wait for a slot
/// most of the time there, and a scratch kept per thread would hold memory for threads that do not
/// run; a smaller one would only move to the allocator's arena).
fn trim(resizer: &mut Resizer) {
    let keep = if crate::pool::has_machine_budget() {
        crate::pool::machine::MMAP_THRESHOLD
    } else {
        KEEP_SCRATCH_BYTES
    };
    if resizer.size_of_internal_buffers() <= keep {
        return;
    }
    resizer.reset_internal_buffers();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's heaps (glibc 2.0+).
    unsafe {
        libc::malloc_trim(0);
    }
}

fn pixel_type(channels: u8) -> PixelType {
    match channels {
        1 => PixelType::U8,
        2 => PixelType::U8x2,
        3 => PixelType::U8x3,
        _ => PixelType::U8x4,
    }
}

fn algorithm(kernel: Kernel) -> ResizeAlg {
    match kernel {
        Kernel::Nearest => ResizeAlg::Nearest,
        Kernel::Linear => ResizeAlg::Convolution(FilterType::Bilinear),
        Kernel::Cubic => ResizeAlg::Convolution(FilterType::CatmullRom),
        Kernel::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
        Kernel::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
    }
}

/// Resamples the region (left, top, width, height) of `px` (in its own pixels) to `dw` × `dh`.
pub fn resample(
    px: &Pixels,
    crop: (f64, f64, f64, f64),
    dw: u32,
    dh: u32,
    kernel: Kernel,
) -> Result<Pixels> {
    let internal =
        |e: &dyn std::fmt::Display| Error::new(ErrorKind::Internal, format!("resize: {e}"));
    let src = ImageRef::new(px.width, px.height, &px.data, pixel_type(px.channels))
        .map_err(|e| internal(&e))?;
    let mut data = super::pixels::zeroed(byte_len(dw, dh, px.channels)?)?;
    let mut dst = Image::from_slice_u8(dw, dh, &mut data, pixel_type(px.channels))
        .map_err(|e| internal(&e))?;
    let options = ResizeOptions::new()
        .resize_alg(algorithm(kernel))
        .crop(crop.0, crop.1, crop.2, crop.3)
        .use_alpha(px.has_alpha());
    RESIZER
        .with(|r| {
            let mut r = r.borrow_mut();
            let done = r.resize(&src, &mut dst, &options);
            trim(&mut r);
            done
        })
        .map_err(|e| internal(&e))?;
    drop(dst);
    Ok(Pixels {
        width: dw,
        height: dh,
        channels: px.channels,
        data,
    })
}

/// `resize()` on `px`, whose geometry is that of a `logical` image (the input before
/// shrink-on-load reduced it by a DCT scale). With a smart-crop strategy and a crop to make, the
/// whole image is resampled and the strategy picks the box on it (as libvips's smartcrop).
pub fn resize(
    px: Pixels,
    r: &Resize,
    logical: (u32, u32),
    cancel: Cancel,
) -> Result<(Pixels, Option<Smart>)> {
    let p = plan(logical.0, logical.1, r);
    let (rw, rh) = p.resized;
    if let (Some(strategy), Some((_, _, cw, ch))) = (r.strategy, p.crop) {
        check(cancel)?;
        let whole = if (rw, rh) == (px.width, px.height) {
            px
        } else {
            let full = (0.0, 0.0, f64::from(px.width), f64::from(px.height));
            resample(&px, full, rw, rh, r.kernel)?
        };
        let (corner, point) = super::smartcrop::choose(&whole, cw, ch, strategy, cancel)?;
        let region = super::options::Region {
            left: corner.0,
            top: corner.1,
            width: cw,
            height: ch,
        };
        return Ok((
            super::geometry::extract(&whole, region)?,
            Some((corner, point)),
        ));
    }
    // The part of the resized image to keep, mapped back onto the pixels held.
    let (cl, ct, cw, ch) = p.crop.unwrap_or((0, 0, rw, rh));
    let sx = f64::from(px.width) / f64::from(rw);
    let sy = f64::from(px.height) / f64::from(rh);
    // Clamped to the pixels held: scaled coordinates may overshoot by a rounding error.
    let (left, top) = (f64::from(cl) * sx, f64::from(ct) * sy);
    let width = (f64::from(cw) * sx).min(f64::from(px.width) - left);
    let height = (f64::from(ch) * sy).min(f64::from(px.height) - top);
    let crop = (left, top, width, height);
    check(cancel)?;
    let same = (cw, ch) == (px.width, px.height) && (cl, ct) == (0, 0);
    let out = if same {
        px
    } else {
        resample(&px, crop, cw, ch, r.kernel)?
    };
    match p.embed {
        Some((ew, eh, left, top)) => Ok((embed(&out, ew, eh, left, top, r.background)?, None)),
        None => Ok((out, None)),
    }
}

/// Shrinks `px` to fit within `max` × `max` (never enlarging), for placeholders.
#[expect(
    clippy::cast_possible_truncation,
    reason = "scale = max / the longer side, so each side times scale rounds into 0..=max"
)]
pub fn fit_within(px: Pixels, max: u32, cancel: Cancel) -> Result<Pixels> {
    check(cancel)?;
    if px.width <= max && px.height <= max {
        return Ok(px);
    }
    let scale = f64::from(max) / f64::from(px.width.max(px.height));
    let w = ((f64::from(px.width) * scale).round() as u32).clamp(1, max);
    let h = ((f64::from(px.height) * scale).round() as u32).clamp(1, max);
    let full = (0.0, 0.0, f64::from(px.width), f64::from(px.height));
    resample(&px, full, w, h, Kernel::Linear)
}
