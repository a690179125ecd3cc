//! Encoders. Each takes the processed frames and returns the file bytes; alpha is flattened
//! onto black for formats without it, as libvips does.

mod avif;
mod gif;
mod jpeg;
mod png;
mod webp;

use super::decode::{Decoded, Meta};
use super::{Cancel, Encoded, Output, Pixels};
use crate::error::Result;

pub fn encode(image: Decoded, target: &Output, meta: &Meta, cancel: Cancel) -> Result<Encoded> {
    let pages = u32::try_from(image.frames.len())
        .map_err(|_| super::encode_error("more than 2^32 frames"))?;
    let first = image
        .frames
        .first()
        .ok_or_else(|| super::encode_error("no frame"))?;
    let (width, height, channels) = (first.width, first.height, first.channels);
    let (format, data, out_channels) = match target {
        Output::Jpeg(o) => {
            let px = flat(image.frames, 0);
            let ch = px.channels;
            ("jpeg", jpeg::encode(&px, o, meta, cancel)?, ch)
        }
        Output::Png(o) => {
            let px = image.frames.into_iter().next().expect("one frame");
            let ch = px.channels;
            ("png", png::encode(&px, o, meta, cancel)?, ch)
        }
        Output::Webp(o) if image.frames.len() > 1 => {
            let data =
                webp::encode_animation(image.frames, &image.delays_ms, image.plays, o, cancel)?;
            ("webp", data, 4)
        }
        Output::Webp(o) => {
            let px = image.frames.into_iter().next().expect("one frame");
            let ch = if px.channels == 4 || px.channels == 2 {
                4
            } else {
                3
            };
            ("webp", webp::encode(px, o, meta, cancel)?, ch)
        }
        Output::Gif(o) => {
            let delays = image.delays_ms.clone();
            (
                "gif",
                gif::encode(image.frames, &delays, image.plays, o, cancel)?,
                4,
            )
        }
        Output::Avif(o) => {
            let px = image.frames.into_iter().next().expect("one frame");
            let ch = if px.has_alpha() { 4 } else { 3 };
            ("avif", avif::encode(px, o, cancel)?, ch)
        }
        Output::Raw => {
            let px = image.frames.into_iter().next().expect("one frame");
            ("raw", px.data, channels)
        }
    };
    Ok(Encoded {
        data,
        format,
        width,
        height,
        channels: out_channels,
        pages: if format == "gif" || format == "webp" {
            pages
        } else {
            1
        },
        offsets: super::Offsets::default(),
    })
}

/// The first frame without alpha (flattened onto black).
fn flat(frames: Vec<Pixels>, _index: usize) -> Pixels {
    let px = frames.into_iter().next().expect("one frame");
    px.flatten(super::Rgba([0, 0, 0, 255]))
}
