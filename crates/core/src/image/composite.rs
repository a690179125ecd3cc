//! `composite(images)`: layers blended over the base as sharp does it. The base becomes RGBA
//! (sharp adds alpha before compositing, so the result keeps it); each layer is placed by its
//! gravity or offset (or tiled), and every pixel folds all its layers in f32 before one
//! truncation back to 8 bits ([`super::blend`]), as libvips does, row by row. On an opaque base,
//! rows and columns no local-mode layer touches are left as they are (the round trip through
//! premultiplied f32 is exact there); a layer in a mode that clears what it does not cover (`in`,
//! `source`…) or a translucent base makes every pixel count.
//!
//! Also the inputs that are not encoded images: raw pixels and `create`.

use super::blend::{self, Px};
use super::composite_options::{Blend, Create, Layer, LayerInput, RawInput};
use super::geometry::{crop_position, Gravity};
use super::options::Spec;
use super::output_options::Output;
use super::{check, Cancel, Pixels};
use crate::error::{Error, ErrorKind, Result};

/// One layer, decoded and placed.
pub(crate) struct Placed {
    px: Pixels,
    blend: Blend,
    premultiplied: bool,
    at: Place,
}

enum Place {
    /// The layer's top-left corner on the base (it may lie partly off it).
    At(i64, i64),
    /// Tiled over the whole base: base pixel (x, y) shows layer pixel ((x + dx) mod w, (y + dy) mod h).
    Tiled(u32, u32),
}

fn invalid(why: String) -> Error {
    Error::new(ErrorKind::InvalidArgValue, why)
}

/// Raw 8-bit pixels of shape `raw` from `bytes` (which may be longer, as sharp allows).
pub(crate) fn raw_pixels(bytes: &[u8], raw: &RawInput) -> Result<Pixels> {
    let len = super::pixels::byte_len(raw.width, raw.height, raw.channels)?;
    let Some(data) = bytes.get(..len) else {
        return Err(invalid(format!(
            "Expected at least {len} bytes of raw pixels ({}×{}×{}) but received {}",
            raw.width,
            raw.height,
            raw.channels,
            bytes.len()
        )));
    };
    Ok(Pixels {
        width: raw.width,
        height: raw.height,
        channels: raw.channels,
        data: data.to_vec(),
    })
}

/// A `create` image: its background in 3 (alpha ignored) or 4 channels.
pub(crate) fn created(c: &Create) -> Result<Pixels> {
    Pixels::filled(c.width, c.height, c.channels, c.background)
}

/// Decodes every layer of `spec.ops.composite` from `inputs` (encoded images through the usual
/// decoder, under the base's pixel limit and `failOn`; each orients only if its `autoOrient`).
pub(crate) fn load(spec: &Spec, inputs: &[&[u8]], cancel: Cancel) -> Result<Vec<Pixels>> {
    let mut out = Vec::with_capacity(spec.ops.composite.len());
    for layer in &spec.ops.composite {
        let px = match layer.input {
            LayerInput::Create(c) => {
                super::check_size(c.width, c.height, spec.limit_pixels)?;
                created(&c)?
            }
            LayerInput::Input {
                index,
                raw,
                auto_orient,
            } => {
                let bytes = usize::try_from(index)
                    .ok()
                    .and_then(|i| inputs.get(i))
                    .ok_or_else(|| {
                        Error::new(ErrorKind::Internal, format!("no composite input {index}"))
                    })?;
                match raw {
                    Some(r) => {
                        super::check_size(r.width, r.height, spec.limit_pixels)?;
                        raw_pixels(bytes, &r)?
                    }
                    None => decode(bytes, spec, auto_orient, cancel)?,
                }
            }
        };
        check(cancel)?;
        out.push(px);
    }
    Ok(out)
}

fn decode(bytes: &[u8], spec: &Spec, auto_orient: bool, cancel: Cancel) -> Result<Pixels> {
    let layer_spec = Spec {
        limit_pixels: spec.limit_pixels,
        fail_on: spec.fail_on,
        auto_orient,
        max_input_bytes: spec.max_input_bytes,
        output: Some(Output::Raw),
        ..Spec::default()
    };
    let e = super::process(bytes, &layer_spec, cancel)?;
    Ok(Pixels {
        width: e.width,
        height: e.height,
        channels: e.channels,
        data: e.data,
    })
}

/// Where `layer` (`w`×`h`) goes on a `bw`×`bh` base; a layer larger than the base on either
/// side is refused, as in sharp.
fn place(layer: &Layer, bw: u32, bh: u32, w: u32, h: u32) -> Result<Place> {
    if w > bw || h > bh {
        return Err(invalid(format!(
            "Image to composite must have same dimensions or smaller: the layer is {w}×{h}, the image {bw}×{bh}"
        )));
    }
    if !layer.tile {
        let (left, top) = match layer.offset {
            Some((l, t)) => (i64::from(l), i64::from(t)),
            None => {
                let (l, t) = crop_position(bw, bh, w, h, layer.gravity);
                (i64::from(l), i64::from(t))
            }
        };
        return Ok(Place::At(left, top));
    }
    // Repeated across and down (an odd count where the gravity centres that axis), then the
    // base's window of the repetition: by gravity, or at the offset (at most the last window).
    let g = layer.gravity;
    let odd_across = matches!(g, Gravity::Centre | Gravity::North | Gravity::South);
    let odd_down = matches!(g, Gravity::Centre | Gravity::East | Gravity::West);
    // At most base + 2 × side per axis: within u32 for any dimension core accepts.
    let count = |base: u32, side: u32, odd: bool| {
        let n = base.div_ceil(side);
        if odd {
            n | 1
        } else {
            n
        }
    };
    let rep_w = count(bw, w, odd_across) * w;
    let rep_h = count(bh, h, odd_down) * h;
    let (dx, dy) = match layer.offset {
        Some((l, t)) => (
            u32::try_from(l).unwrap_or(0).min(rep_w - bw),
            u32::try_from(t).unwrap_or(0).min(rep_h - bh),
        ),
        None => crop_position(rep_w, rep_h, bw, bh, g),
    };
    Ok(Place::Tiled(dx % w, dy % h))
}

impl Placed {
    /// The columns `[from, to)` of base row `y` this layer covers.
    fn span(&self, y: u32, bw: u32) -> Option<(u32, u32)> {
        match self.at {
            Place::Tiled(..) => Some((0, bw)),
            Place::At(left, top) => {
                let (w, h) = (i64::from(self.px.width), i64::from(self.px.height));
                let y = i64::from(y);
                if y < top || y >= top + h {
                    return None;
                }
                let from = left.clamp(0, i64::from(bw));
                let to = (left + w).clamp(0, i64::from(bw));
                (from < to).then(|| (clip(from), clip(to)))
            }
        }
    }

    /// The layer's pixel over base pixel (x, y), premultiplied; transparent black off the layer.
    /// A pixel of alpha 0 is all zeros either way, and leaves a local mode's result exactly as it
    /// was (every formula reduces to the base's own values), so the caller may skip it.
    #[inline]
    fn pixel(&self, x: u32, y: u32) -> Px {
        let (w, h) = (self.px.width, self.px.height);
        let (lx, ly) = match self.at {
            Place::Tiled(dx, dy) => (
                (u64::from(x) + u64::from(dx)) % u64::from(w),
                (u64::from(y) + u64::from(dy)) % u64::from(h),
            ),
            Place::At(left, top) => {
                let (lx, ly) = (i64::from(x) - left, i64::from(y) - top);
                if lx < 0 || ly < 0 || lx >= i64::from(w) || ly >= i64::from(h) {
                    return [0.0; 4];
                }
                (lx.unsigned_abs(), ly.unsigned_abs())
            }
        };
        let i = usize::try_from((ly * u64::from(w) + lx) * 4).unwrap_or(usize::MAX);
        let p = &self.px.data[i..i + 4];
        if self.premultiplied {
            blend::load_premultiplied(p)
        } else {
            blend::load(p)
        }
    }
}

fn clip(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// Blends `layers` (decoded, in `spec` order) over `base`; the result is RGBA, or RGB when
/// `opaque` (the output drops alpha) and the base has none: the RGBA result's colours, without
/// widening a photo to four channels and back.
pub(crate) fn composite(
    base: Pixels,
    specs: &[Layer],
    layers: &[Pixels],
    opaque: bool,
    cancel: Cancel,
) -> Result<Pixels> {
    let translucent = base.has_alpha() && {
        let step = usize::from(base.channels);
        base.data
            .iter()
            .skip(step - 1)
            .step_by(step)
            .any(|&a| a < 255)
    };
    let channels = if opaque && !base.has_alpha() { 3 } else { 4 };
    let mut base = base.into_channels(channels);
    let ch = usize::from(channels);
    let load_base = if ch == 4 {
        blend::load
    } else {
        blend::load_opaque
    };
    let (bw, bh) = (base.width, base.height);
    let placed = specs
        .iter()
        .zip(layers)
        .map(|(spec, px)| {
            let px = px.clone().into_rgba();
            let at = place(spec, bw, bh, px.width, px.height)?;
            Ok(Placed {
                px,
                blend: spec.blend,
                premultiplied: spec.premultiplied,
                at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // A translucent base goes through libvips's premultiplied round trip (which moves some
    // values by one and clears the colour of transparent pixels): everywhere, here; libvips only
    // in the tiles it composites, so a large base may differ from sharp away from the layers.
    let whole_rows = translucent || placed.iter().any(|p| !p.blend.is_local());
    let row_len = bw as usize * ch;
    for (y, row) in (0..bh).zip(base.data.chunks_exact_mut(row_len)) {
        if y % 64 == 0 {
            check(cancel)?;
        }
        let (from, to) = if whole_rows {
            (0, bw)
        } else {
            let spans = placed.iter().filter_map(|p| p.span(y, bw));
            match spans.reduce(|(a, b), (c, d)| (a.min(c), b.max(d))) {
                Some(s) => s,
                None => continue,
            }
        };
        for x in from..to {
            let i = x as usize * ch;
            let out = &mut row[i..i + ch];
            let mut acc = load_base(out);
            for p in &placed {
                let a = p.pixel(x, y);
                if a[3] == 0.0 && p.blend.is_local() {
                    continue; // a transparent layer pixel leaves a local mode's result as it is
                }
                blend::blend(p.blend, &a, &mut acc);
            }
            blend::store(&acc, out);
        }
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_boxes_round_right_and_down_as_sharp() {
        assert_eq!(crop_position(7, 5, 2, 2, Gravity::Centre), (3, 2));
        assert_eq!(crop_position(7, 5, 2, 2, Gravity::SouthEast), (5, 3));
        assert_eq!(crop_position(7, 5, 2, 2, Gravity::West), (0, 2));
        assert_eq!(crop_position(7, 5, 7, 5, Gravity::Centre), (0, 0));
    }

    #[test]
    fn a_centred_tile_is_offset_as_sharp() {
        let layer = Layer {
            input: LayerInput::Create(Create {
                width: 2,
                height: 2,
                channels: 4,
                background: super::super::Rgba::BLACK,
            }),
            blend: Blend::Over,
            gravity: Gravity::Centre,
            offset: None,
            tile: true,
            premultiplied: false,
        };
        // 7×5 base, 2×2 tile: 5 across (odd) = 10 wide, 3 down = 6 high; window at (2, 1).
        let Place::Tiled(dx, dy) = place(&layer, 7, 5, 2, 2).unwrap() else {
            panic!("tiled")
        };
        assert_eq!((dx, dy), (0, 1));
    }

    #[test]
    fn a_layer_larger_than_the_base_is_refused() {
        let layer = Layer {
            input: LayerInput::Input {
                index: 0,
                raw: None,
                auto_orient: false,
            },
            blend: Blend::Over,
            gravity: Gravity::Centre,
            offset: None,
            tile: false,
            premultiplied: false,
        };
        let e = place(&layer, 4, 4, 5, 1).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgValue);
        assert!(e.to_string().contains("same dimensions or smaller"), "{e}");
    }
}
