//! GIF (image-rs's gif) with NeuQuant palettes, one per frame; fully transparent pixels get a
//! reserved palette entry.

use crate::error::Result;
use crate::image::pixels::Pixels;
use crate::image::{check, encode_error, Cancel, GifOptions};
use gif::{DisposalMethod, Encoder, Frame, Repeat};

pub fn encode(
    frames: Vec<Pixels>,
    delays_ms: &[u32],
    plays: u16,
    target: &GifOptions,
    cancel: Cancel,
) -> Result<Vec<u8>> {
    let GifOptions {
        colours,
        effort,
        looping,
        delay: delay_ms,
        ..
    } = target;
    let first = frames.first().ok_or_else(|| encode_error("no frame"))?;
    let (Ok(w), Ok(h)) = (u16::try_from(first.width), u16::try_from(first.height)) else {
        return Err(encode_error("GIF dimensions are limited to 65535"));
    };
    let mut out = Vec::new();
    {
        let mut enc = Encoder::new(&mut out, w, h, &[]).map_err(encode_error)?;
        if frames.len() > 1 {
            // sharp's `loop` counts plays (0 = forever); the NETSCAPE field counts repeats.
            let repeat = match looping.unwrap_or(plays) {
                0 => Some(Repeat::Infinite),
                1 => None,
                n => Some(Repeat::Finite(n - 1)),
            };
            if let Some(repeat) = repeat {
                enc.set_repeat(repeat).map_err(encode_error)?;
            }
        }
        let sample = (31 - i32::from(*effort) * 3).clamp(1, 30);
        let colours = usize::from((*colours).clamp(2, 256));
        for (i, px) in frames.into_iter().enumerate() {
            check(cancel)?;
            let rgba = px.into_rgba();
            let transparent = rgba.data.chunks_exact(4).any(|p| p[3] < 128);
            let slots = if transparent { colours - 1 } else { colours };
            let nq = color_quant::NeuQuant::new(sample, slots.max(2), &rgba.data);
            let mut pal = nq.color_map_rgb();
            // Transparent pixels take the entry after the palette (which then has <= 255 colours).
            let key = transparent
                .then(|| u8::try_from(pal.len() / 3))
                .transpose()
                .map_err(|_| encode_error("GIF palette has no free entry"))?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "NeuQuant indexes a palette of at most 256 colours"
            )]
            let indices: Vec<u8> = rgba
                .data
                .chunks_exact(4)
                .map(|p| match key {
                    Some(key) if p[3] < 128 => key,
                    _ => nq.index_of(p) as u8,
                })
                .collect();
            if transparent {
                pal.extend_from_slice(&[0, 0, 0]);
            }
            let mut frame = Frame::from_palette_pixels(w, h, indices, pal, key);
            let delay = delay_ms
                .get(i)
                .or(delay_ms.last())
                .or(delays_ms.get(i))
                .copied()
                .unwrap_or(100);
            frame.delay = (delay / 10).min(65535) as u16;
            frame.dispose = DisposalMethod::Background;
            enc.write_frame(&frame).map_err(encode_error)?;
        }
    }
    Ok(out)
}
