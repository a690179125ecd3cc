//! PNG (image-rs's png over zlib-rs), optionally quantised to a palette with NeuQuant.

use crate::error::Result;
use crate::image::decode::Meta;
use crate::image::pixels::Pixels;
use crate::image::{check, encode_error, Cancel, Output, Palette};
use png::{BitDepth, ColorType, DeflateCompression, Encoder, Filter};

pub fn encode(px: &Pixels, target: &Output, meta: &Meta, cancel: Cancel) -> Result<Vec<u8>> {
    let Output::Png {
        level,
        adaptive_filtering,
        progressive: _,
        palette,
    } = target
    else {
        unreachable!("png::encode takes PNG settings")
    };
    let mut out = Vec::with_capacity(px.data.len() / 2 + 1024);
    let mut info = png::Info::with_size(px.width, px.height);
    info.icc_profile = meta.icc.as_deref().map(|p| p.to_vec().into());
    info.exif_metadata = meta.exif.as_deref().map(|p| p.to_vec().into());
    let quantised = palette.map(|p| quantise(px, p));
    match &quantised {
        Some((indices, rgb, alpha)) => {
            info.color_type = ColorType::Indexed;
            info.bit_depth = BitDepth::Eight;
            info.palette = Some(rgb.clone().into());
            if let Some(a) = alpha {
                info.trns = Some(a.clone().into());
            }
            let _ = indices;
        }
        None => {
            info.color_type = match px.channels {
                1 => ColorType::Grayscale,
                2 => ColorType::GrayscaleAlpha,
                3 => ColorType::Rgb,
                _ => ColorType::Rgba,
            };
            info.bit_depth = BitDepth::Eight;
        }
    }
    let mut encoder = Encoder::with_info(&mut out, info).map_err(encode_error)?;
    encoder.set_deflate_compression(if *level == 0 {
        DeflateCompression::NoCompression
    } else {
        DeflateCompression::Level(*level)
    });
    encoder.set_filter(
        if *adaptive_filtering || quantised.is_none() && *level > 0 {
            if *adaptive_filtering {
                Filter::Adaptive
            } else {
                Filter::Paeth
            }
        } else {
            Filter::NoFilter
        },
    );
    check(cancel)?;
    let mut writer = encoder.write_header().map_err(encode_error)?;
    let data = quantised.as_ref().map_or(&px.data, |q| &q.0);
    writer.write_image_data(data).map_err(encode_error)?;
    writer.finish().map_err(encode_error)?;
    Ok(out)
}

/// NeuQuant quantisation: (indices, RGB palette, tRNS alphas when any colour is translucent).
fn quantise(px: &Pixels, p: Palette) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>) {
    let rgba = px.clone().into_rgba();
    // effort 1..10 → NeuQuant sample factor 30..1 (1 = every pixel, best).
    let sample = (31 - i32::from(p.effort) * 3).clamp(1, 30);
    let nq = color_quant::NeuQuant::new(sample, usize::from(p.colours.clamp(2, 256)), &rgba.data);
    let map = nq.color_map_rgba();
    let indices: Vec<u8> = rgba
        .data
        .chunks_exact(4)
        .map(|c| nq.index_of(c) as u8)
        .collect();
    let rgb: Vec<u8> = map
        .chunks_exact(4)
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let alpha: Vec<u8> = map.chunks_exact(4).map(|c| c[3]).collect();
    let translucent = alpha.iter().any(|&a| a < 255);
    (indices, rgb, translucent.then_some(alpha))
}
