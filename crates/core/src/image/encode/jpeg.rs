//! JPEG through libjpeg-turbo (mozjpeg build), with libjpeg-turbo's fast defaults unless
//! `mozjpeg: true` asks for trellis quantisation and scan optimisation.

use crate::error::Result;
use crate::image::decode::Meta;
use crate::image::pixels::Pixels;
use crate::image::{check, encode_error, Cancel, Chroma, JpegOptions};
use mozjpeg::{ColorSpace, Compress, Marker, ScanMode};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn encode(px: &Pixels, target: &JpegOptions, meta: &Meta, cancel: Cancel) -> Result<Vec<u8>> {
    let result = catch_unwind(AssertUnwindSafe(|| encode_inner(px, target, meta, cancel)));
    match result {
        Ok(r) => r,
        Err(payload) => {
            let why = payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "libjpeg failed".into());
            Err(encode_error(why))
        }
    }
}

fn encode_inner(px: &Pixels, target: &JpegOptions, meta: &Meta, cancel: Cancel) -> Result<Vec<u8>> {
    let JpegOptions {
        quality,
        progressive,
        chroma_subsampling,
        optimize_coding,
        mozjpeg,
    } = *target;
    let space = if px.channels == 1 {
        ColorSpace::JCS_GRAYSCALE
    } else {
        ColorSpace::JCS_RGB
    };
    let mut c = Compress::new(space);
    if !mozjpeg {
        c.set_fastest_defaults();
    }
    c.set_size(px.width as usize, px.height as usize);
    c.set_quality(f32::from(quality));
    c.set_optimize_coding(optimize_coding);
    if progressive {
        c.set_progressive_mode();
    }
    if mozjpeg {
        c.set_scan_optimization_mode(ScanMode::AllComponentsTogether);
    }
    if px.channels != 1 {
        let s = if chroma_subsampling == Chroma::Yuv444 {
            1
        } else {
            2
        };
        c.set_chroma_sampling_pixel_sizes((s, s), (s, s));
    }
    let capacity = px.data.len() / 8 + 4096;
    let mut started = c
        .start_compress(Vec::with_capacity(capacity))
        .map_err(encode_error)?;
    if let Some(exif) = &meta.exif {
        let mut block = b"Exif\0\0".to_vec();
        block.extend_from_slice(exif);
        if block.len() <= 65533 {
            started.write_marker(Marker::APP(1), &block);
        }
    }
    if let Some(icc) = &meta.icc {
        let chunks: Vec<&[u8]> = icc.chunks(65519).collect();
        // APP2 sequence numbers run 1..=255: a longer profile is cut at 255 chunks.
        let count = u8::try_from(chunks.len()).unwrap_or(u8::MAX);
        for (seq, chunk) in (1..=u8::MAX).zip(&chunks) {
            let mut block = b"ICC_PROFILE\0".to_vec();
            block.push(seq);
            block.push(count);
            block.extend_from_slice(chunk);
            started.write_marker(Marker::APP(2), &block);
        }
    }
    if let Some(xmp) = &meta.xmp {
        let mut block = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        block.extend_from_slice(xmp);
        if block.len() <= 65533 {
            started.write_marker(Marker::APP(1), &block);
        }
    }
    let band = px.row_len() * 64;
    for rows in px.data.chunks(band) {
        check(cancel)?;
        started.write_scanlines(rows).map_err(encode_error)?;
    }
    started.finish().map_err(encode_error)
}
