//! PNG: image-rs's png writes the chunks; rows are filtered (`rows`) and deflated with zlib-rs,
//! whose strategy is chosen per image (`idat`). Optionally quantised with NeuQuant.

mod idat;
mod rows;

use crate::error::Result;
use crate::image::decode::Meta;
use crate::image::pixels::Pixels;
use crate::image::{check, encode_error, Cancel, Palette, PngOptions};
use png::{BitDepth, ColorType, Encoder};
use zlib_rs::Strategy;

pub fn encode(px: &Pixels, target: &PngOptions, meta: &Meta, cancel: Cancel) -> Result<Vec<u8>> {
    let PngOptions {
        compression_level: level,
        adaptive_filtering,
        palette,
        colours,
        effort,
        ..
    } = *target;
    let palette = palette.then_some(Palette { colours, effort });
    let mut out = Vec::with_capacity(px.data.len() / 2 + 1024);
    let mut info = png::Info::with_size(px.width, px.height);
    info.icc_profile = meta.icc.as_deref().map(|p| p.to_vec().into());
    info.exif_metadata = meta.exif.as_deref().map(|p| p.to_vec().into());
    let quantised = palette.map(|p| quantise(px, p));
    match &quantised {
        Some((_, rgb, alpha)) => {
            info.color_type = ColorType::Indexed;
            info.bit_depth = BitDepth::Eight;
            info.palette = Some(rgb.clone().into());
            if let Some(a) = alpha {
                info.trns = Some(a.clone().into());
            }
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
    let encoder = Encoder::with_info(&mut out, info).map_err(encode_error)?;
    let mut writer = encoder.write_header().map_err(encode_error)?;
    let (data, bpp) = match &quantised {
        Some(q) => (&q.0, 1),
        None => (&px.data, usize::from(px.channels)),
    };
    let row = px.width as usize * bpp;
    let filter = if adaptive_filtering {
        rows::RowFilter::Adaptive
    } else if quantised.is_none() && level > 0 {
        rows::RowFilter::Paeth
    } else {
        rows::RowFilter::None
    };
    check(cancel)?;
    let filtered = rows::filter_rows(data, row, bpp, filter);
    check(cancel)?;
    // A palette's indices repeat in long matches: full LZ77 there. Otherwise choose by a sample.
    let idat = if level == 0 || quantised.is_some() || level > 6 {
        idat::deflate(&filtered, level, Strategy::Default, cancel)?
    } else {
        idat::deflate_chosen(&filtered, row + 1, level, cancel)?
    };
    drop(filtered);
    for chunk in idat.chunks(IDAT_CHUNK) {
        writer
            .write_chunk(png::chunk::IDAT, chunk)
            .map_err(encode_error)?;
    }
    writer.finish().map_err(encode_error)?;
    Ok(out)
}

/// IDAT chunks of 1 MiB, as common encoders write (a decoder may read a chunk whole).
const IDAT_CHUNK: usize = 1 << 20;

/// NeuQuant quantisation: (indices, RGB palette, tRNS alphas when any colour is translucent).
fn quantise(px: &Pixels, p: Palette) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>) {
    let rgba = px.clone().into_rgba();
    // effort 1..10 → NeuQuant sample factor 30..1 (1 = every pixel, best).
    let sample = (31 - i32::from(p.effort) * 3).clamp(1, 30);
    let nq = color_quant::NeuQuant::new(sample, usize::from(p.colours.clamp(2, 256)), &rgba.data);
    let map = nq.color_map_rgba();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "NeuQuant indexes a palette of at most 256 colours"
    )]
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

// Test images are built by truncating counters to bytes on purpose.
#[allow(clippy::cast_possible_truncation)]
#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Pixels that vary smoothly with some noise (photo-like) or repeat a 37-pixel motif (pattern-like).
    pub(super) fn image(width: u32, height: u32, channels: u8, motif: bool) -> Pixels {
        let mut seed = 0x2545_f491_u32;
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                for c in 0..u32::from(channels) {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    data.push(if motif {
                        // A random 37-pixel motif, shifted on each row: no vertical runs.
                        let i = ((x + 13 * y * y) % 37) * 4 + c;
                        (i.wrapping_mul(2_654_435_761) >> 24) as u8
                    } else {
                        (x + 2 * y + c * 40 + seed % 9) as u8
                    });
                }
            }
        }
        Pixels {
            width,
            height,
            channels,
            data,
        }
    }

    fn decode(png: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn every_filter_and_strategy_decodes_to_the_same_pixels() {
        let meta = Meta::default();
        for channels in 1..=4 {
            for (w, h) in [(1, 1), (3, 2), (161, 97), (300, 300)] {
                for motif in [false, true] {
                    let px = image(w, h, channels, motif);
                    for (level, adaptive_filtering) in
                        [(0, false), (1, false), (6, false), (6, true), (9, false)]
                    {
                        let target = PngOptions {
                            compression_level: level,
                            adaptive_filtering,
                            ..PngOptions::default()
                        };
                        let out = encode(&px, &target, &meta, &|| false).unwrap();
                        let (info, pixels) = decode(&out);
                        assert_eq!((info.width, info.height), (w, h));
                        assert!(pixels == px.data, "{channels} channels {w}×{h} motif {motif} level {level} adaptive {adaptive_filtering}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_abort_stops_the_deflate() {
        let px = image(2000, 1000, 3, false);
        let target = PngOptions::default();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let cancel = || calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 3;
        assert!(encode(&px, &target, &Meta::default(), &cancel).is_err());
    }
}
