//! WebP through Google's libwebp, single-threaded; its progress hook carries cancellation.

use crate::error::Result;
use crate::image::decode::Meta;
use crate::image::pixels::Pixels;
use crate::image::{encode_error, Cancel, WebpOptions};
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

pub fn encode(px: Pixels, target: &WebpOptions, meta: &Meta, cancel: Cancel) -> Result<Vec<u8>> {
    let WebpOptions {
        quality,
        alpha_quality,
        lossless,
        near_lossless,
        smart_subsample,
        effort,
    } = *target;
    let _ = meta; // libwebp's simple container carries no metadata; keepMetadata applies to JPEG/PNG
    let px = match px.channels {
        1 => px.into_channels(3),
        2 => px.into_channels(4),
        _ => px,
    };
    let hook = Hook { cancel };
    // SAFETY: config and picture are initialised by libwebp before use; the picture imports
    // (copies) our pixels and is freed on every path; the writer's buffer is freed after copying.
    unsafe {
        let mut config: webp::WebPConfig = std::mem::zeroed();
        if !webp::WebPInitConfig(&mut config) {
            return Err(encode_error("libwebp version mismatch"));
        }
        config.quality = f32::from(quality);
        config.alpha_quality = c_int::from(alpha_quality);
        config.method = c_int::from(effort);
        config.lossless = c_int::from(lossless);
        if near_lossless {
            config.lossless = 1;
            config.near_lossless = c_int::from(quality);
        }
        config.use_sharp_yuv = c_int::from(smart_subsample);
        config.thread_level = 0;
        if webp::WebPValidateConfig(&config) == 0 {
            return Err(encode_error("invalid WebP settings"));
        }
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
