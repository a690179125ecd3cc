//! AVIF through ravif (rav1e): 8-bit, 4:4:4, single-threaded; alpha as its own AV1 plane.
//! rav1e has no progress hook: cancellation is checked before the encode starts.

use crate::error::Result;
use crate::image::pixels::Pixels;
use crate::image::{check, encode_error, AvifOptions, Cancel};
use ravif::{BitDepth, Encoder, Img};

pub fn encode(px: Pixels, target: &AvifOptions, cancel: Cancel) -> Result<Vec<u8>> {
    check(cancel)?;
    let encoder = Encoder::new()
        .with_quality(target.ravif_quality())
        .with_alpha_quality(target.ravif_quality())
        .with_speed(target.speed())
        .with_bit_depth(BitDepth::Eight)
        .with_num_threads(Some(1));
    let (w, h) = (px.width as usize, px.height as usize);
    let encoded = if px.has_alpha() {
        let rgba = px.into_rgba();
        let pixels: Vec<rgb::RGBA8> = rgba
            .data
            .chunks_exact(4)
            .map(|p| rgb::RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder.encode_rgba(Img::new(&pixels[..], w, h))
    } else {
        let rgb = px.into_channels(3);
        let pixels: Vec<rgb::RGB8> = rgb
            .data
            .chunks_exact(3)
            .map(|p| rgb::RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder.encode_rgb(Img::new(&pixels[..], w, h))
    };
    encoded
        .map(|e| e.avif_file)
        .map_err(|e| encode_error(format!("ravif: {e}")))
}
