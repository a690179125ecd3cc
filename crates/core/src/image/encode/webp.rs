//! WebP through Google's libwebp, single-threaded; its progress hook carries cancellation.

use crate::error::Result;
use crate::image::decode::Meta;
use crate::image::pixels::Pixels;
use crate::image::{check, encode_error, Cancel, WebpOptions};
use libwebp_sys as webp;
use std::os::raw::c_int;

/// What the progress hook sees through `picture.user_data`.
struct Hook<'a> {
    cancel: Cancel<'a>,
}

unsafe extern "C" fn progress(_percent: c_int, picture: *const webp::WebPPicture) -> c_int {
    // SAFETY: user_data points at the Hook on `encode`'s stack for the whole WebPEncode call.
    let hook = unsafe { &*((*picture).user_data as *const Hook) };
    c_int::from(!(hook.cancel)())
}

/// libwebp's settings for `target`, single-threaded.
fn config(target: &WebpOptions) -> Result<webp::WebPConfig> {
    // SAFETY: WebPInitConfig initialises the whole struct before it is read.
    unsafe {
        let mut config: webp::WebPConfig = std::mem::zeroed();
        if !webp::WebPInitConfig(&mut config) {
            return Err(encode_error("libwebp version mismatch"));
        }
        config.quality = f32::from(target.quality);
        config.alpha_quality = c_int::from(target.alpha_quality);
        config.method = c_int::from(target.effort);
        config.lossless = c_int::from(target.lossless);
        if target.near_lossless {
            config.lossless = 1;
            config.near_lossless = c_int::from(target.quality);
        }
        config.use_sharp_yuv = c_int::from(target.smart_subsample);
        config.thread_level = 0;
        if webp::WebPValidateConfig(&config) == 0 {
            return Err(encode_error("invalid WebP settings"));
        }
        Ok(config)
    }
}

/// An animated WebP of `frames` (libwebp's animation encoder, which picks each frame's
/// sub-rectangle and blending): each frame's delay from `target.delay` (the last repeats) or the
/// input's (10 ms or less becomes 100 ms, as libvips writes it), plays from `target.loop` or the
/// input's (0 = forever).
pub fn encode_animation(
    frames: Vec<Pixels>,
    delays_ms: &[u32],
    plays: u16,
    target: &WebpOptions,
    cancel: Cancel,
) -> Result<Vec<u8>> {
    let config = config(target)?;
    let first = frames.first().ok_or_else(|| encode_error("no frame"))?;
    let (w, h) = (
        c_int::try_from(first.width).map_err(encode_error)?,
        c_int::try_from(first.height).map_err(encode_error)?,
    );
    struct Guard(*mut webp::WebPAnimEncoder);
    impl Drop for Guard {
        fn drop(&mut self) {
            // SAFETY: created by WebPAnimEncoderNewInternal, deleted once.
            unsafe { webp::WebPAnimEncoderDelete(self.0) }
        }
    }
    // SAFETY: the options are initialised by libwebp; each picture imports (copies) a frame and
    // is freed after it was added; the encoder is deleted by its guard on every path and the
    // assembled data freed after copying.
    unsafe {
        let mut options: webp::WebPAnimEncoderOptions = std::mem::zeroed();
        let abi = webp::WEBP_MUX_ABI_VERSION as c_int;
        if webp::WebPAnimEncoderOptionsInitInternal(&mut options, abi) == 0 {
            return Err(encode_error("libwebp version mismatch"));
        }
        options.anim_params.loop_count = c_int::from(target.looping.unwrap_or(plays));
        let enc = webp::WebPAnimEncoderNewInternal(w, h, &options, abi);
        if enc.is_null() {
            return Err(encode_error("libwebp could not start the animation"));
        }
        let guard = Guard(enc);
        let mut timestamp: c_int = 0;
        for (i, px) in frames.into_iter().enumerate() {
            check(cancel)?;
            let rgba = px.into_rgba();
            let mut picture: webp::WebPPicture = std::mem::zeroed();
            if !webp::WebPPictureInit(&mut picture) {
                return Err(encode_error("libwebp version mismatch"));
            }
            picture.use_argb = 1;
            picture.width = w;
            picture.height = h;
            let imported = webp::WebPPictureImportRGBA(&mut picture, rgba.data.as_ptr(), w * 4);
            let added = imported != 0
                && webp::WebPAnimEncoderAdd(guard.0, &mut picture, timestamp, &config) != 0;
            webp::WebPPictureFree(&mut picture);
            if !added {
                return Err(encode_error("libwebp could not add a frame"));
            }
            let delay = target
                .delay
                .get(i)
                .or(target.delay.last())
                .or(delays_ms.get(i))
                .copied()
                .unwrap_or(100);
            // As libvips's webpsave (and browsers): a delay of 10 ms or less shows for 100 ms.
            let delay = if delay <= 10 { 100 } else { delay };
            timestamp = timestamp.saturating_add(c_int::try_from(delay).unwrap_or(c_int::MAX));
        }
        if webp::WebPAnimEncoderAdd(guard.0, std::ptr::null_mut(), timestamp, std::ptr::null()) == 0
        {
            return Err(encode_error("libwebp could not end the animation"));
        }
        let mut data: webp::WebPData = std::mem::zeroed();
        webp::WebPDataInit(&mut data);
        if webp::WebPAnimEncoderAssemble(guard.0, &mut data) == 0 {
            return Err(encode_error("libwebp could not assemble the animation"));
        }
        let out = std::slice::from_raw_parts(data.bytes, data.size).to_vec();
        webp::WebPDataClear(&mut data);
        Ok(out)
    }
}

pub fn encode(px: Pixels, target: &WebpOptions, meta: &Meta, cancel: Cancel) -> Result<Vec<u8>> {
    let lossless = target.lossless;
    let near_lossless = target.near_lossless;
    let _ = meta; // libwebp's simple container carries no metadata; keepMetadata applies to JPEG/PNG
    let px = match px.channels {
        1 => px.into_channels(3),
        2 => px.into_channels(4),
        _ => px,
    };
    let hook = Hook { cancel };
    let config = config(target)?;
    // SAFETY: the picture is initialised by libwebp before use, imports (copies) our pixels and
    // is freed on every path; the writer's buffer is freed after copying.
    unsafe {
        let mut picture: webp::WebPPicture = std::mem::zeroed();
        if !webp::WebPPictureInit(&mut picture) {
            return Err(encode_error("libwebp version mismatch"));
        }
        picture.use_argb = c_int::from(lossless || near_lossless);
        picture.width = px.width as c_int;
        picture.height = px.height as c_int;
        let stride = (px.width * u32::from(px.channels)) as c_int;
        let imported = if px.channels == 4 {
            webp::WebPPictureImportRGBA(&mut picture, px.data.as_ptr(), stride)
        } else {
            webp::WebPPictureImportRGB(&mut picture, px.data.as_ptr(), stride)
        };
        drop(px);
        if imported == 0 {
            webp::WebPPictureFree(&mut picture);
            return Err(encode_error(
                "libwebp could not import the pixels (out of memory?)",
            ));
        }
        let mut writer: webp::WebPMemoryWriter = std::mem::zeroed();
        webp::WebPMemoryWriterInit(&mut writer);
        picture.writer = Some(webp::WebPMemoryWrite);
        picture.custom_ptr = (&mut writer as *mut webp::WebPMemoryWriter).cast();
        picture.progress_hook = Some(progress);
        picture.user_data = (&hook as *const Hook).cast_mut().cast();
        let ok = webp::WebPEncode(&config, &mut picture);
        let error = picture.error_code;
        webp::WebPPictureFree(&mut picture);
        let out = if ok != 0 && !writer.mem.is_null() {
            Ok(std::slice::from_raw_parts(writer.mem, writer.size).to_vec())
        } else if (hook.cancel)() {
            Err(crate::error::Error::aborted())
        } else {
            Err(encode_error(format!("libwebp error {error:?}")))
        };
        webp::WebPMemoryWriterClear(&mut writer);
        out
    }
}
