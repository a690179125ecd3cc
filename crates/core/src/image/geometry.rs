//! Geometry: where `resize` lands for each fit mode (sharp's rules), crops, mirrors, quarter turns
//! and EXIF orientation.

use super::pixels::{byte_len, zeroed, Pixels};
use super::{Region, Resize};
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// How the image fits the requested box (sharp's `fit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fit {
    #[default]
    Cover,
    Contain,
    Fill,
    Inside,
    Outside,
}

impl Fit {
    /// Every fit, for the policy table exported to JS.
    pub const ALL: [Fit; 5] = [
        Fit::Cover,
        Fit::Contain,
        Fit::Fill,
        Fit::Inside,
        Fit::Outside,
    ];
}

/// Where to crop (cover) or place (contain), as compass points. The order is sharp's numbering of
/// its gravity constants (0 centre … 8 northwest), which `position` also accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gravity {
    #[default]
    Centre,
    North,
    East,
    South,
    West,
    NorthEast,
    SouthEast,
    SouthWest,
    NorthWest,
}

impl Gravity {
    /// Every gravity, in sharp's numbering.
    pub const ALL: [Gravity; 9] = [
        Gravity::Centre,
        Gravity::North,
        Gravity::East,
        Gravity::South,
        Gravity::West,
        Gravity::NorthEast,
        Gravity::SouthEast,
        Gravity::SouthWest,
        Gravity::NorthWest,
    ];
}

/// What `resize` does to a `width` × `height` image: resample to `resized`, then crop (cover) or
/// pad (contain) to the box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub resized: (u32, u32),
    /// (left, top, width, height) of the resampled image to keep.
    pub crop: Option<(u32, u32, u32, u32)>,
    /// (canvas width, canvas height, left, top) to pad into.
    pub embed: Option<(u32, u32, u32, u32)>,
}

/// The shrink factors per axis, as sharp resolves them (`> 1` reduces).
pub fn shrink_factors(width: u32, height: u32, r: &Resize) -> (f64, f64) {
    let (w, h) = (f64::from(width), f64::from(height));
    let (mut hs, mut vs) = (1.0, 1.0);
    match (r.width, r.height) {
        (Some(tw), Some(th)) => {
            hs = w / f64::from(tw);
            vs = h / f64::from(th);
            match r.fit {
                Fit::Cover | Fit::Outside => {
                    let m = hs.min(vs);
                    (hs, vs) = (m, m);
                }
                Fit::Contain | Fit::Inside => {
                    let m = hs.max(vs);
                    (hs, vs) = (m, m);
                }
                Fit::Fill => {}
            }
        }
        (Some(tw), None) => {
            hs = w / f64::from(tw);
            if r.fit != Fit::Fill {
                vs = hs;
            }
        }
        (None, Some(th)) => {
            vs = h / f64::from(th);
            if r.fit != Fit::Fill {
                hs = vs;
            }
        }
        (None, None) => {}
    }
    if r.without_reduction {
        (hs, vs) = (hs.min(1.0), vs.min(1.0));
    } else if r.without_enlargement {
        (hs, vs) = (hs.max(1.0), vs.max(1.0));
    }
    (hs.min(w), vs.min(h))
}

/// The size of `len` pixels shrunk by `shrink`, rounded exactly as sharp's sizes come out: it
/// hands libvips the scale 1/shrink, which reduces by dividing by the reciprocal again and
/// enlarges by multiplying (the float rounding of each decides the .5 cases).
#[expect(
    clippy::cast_possible_truncation,
    reason = "float-to-int `as` saturates: an enlargement past u32::MAX gives u32::MAX, never a wrap"
)]
fn scaled(len: u32, shrink: f64) -> u32 {
    let scale = 1.0 / shrink;
    let size = if scale > 1.0 {
        f64::from(len) * scale
    } else {
        f64::from(len) / (1.0 / scale)
    };
    (size.round() as u32).max(1)
}

/// The resize plan for a `width` × `height` input.
pub fn plan(width: u32, height: u32, r: &Resize) -> Plan {
    let (hs, vs) = shrink_factors(width, height, r);
    let rw = scaled(width, hs);
    let rh = scaled(height, vs);
    let mut plan = Plan {
        resized: (rw, rh),
        crop: None,
        embed: None,
    };
    if r.width.is_none() && r.height.is_none() {
        return plan;
    }
    // A missing dimension is the resampled one: cover still crops, contain still pads, the other.
    let (tw, th) = (r.width.unwrap_or(rw), r.height.unwrap_or(rh));
    match r.fit {
        Fit::Cover if (rw, rh) != (tw, th) => {
            let (cw, ch) = (rw.min(tw), rh.min(th));
            let (left, top) = crop_position(rw, rh, cw, ch, r.position);
            plan.crop = Some((left, top, cw, ch));
        }
        Fit::Contain if (rw, rh) != (tw, th) => {
            let (cw, ch) = (rw.max(tw), rh.max(th));
            let (left, top) = embed_position(rw, rh, cw, ch, r.position);
            plan.embed = Some((cw, ch, left, top));
        }
        _ => {}
    }
    plan
}

/// Where an `ow`×`oh` box goes in an `iw`×`ih` one by gravity, as sharp's `CalculateCrop`: centred
/// boxes round to the right and down (resize's cover crop, composite's placement and tiles).
pub(crate) fn crop_position(iw: u32, ih: u32, ow: u32, oh: u32, g: Gravity) -> (u32, u32) {
    let (dx, dy) = (iw - ow, ih - oh);
    let (cx, cy) = (dx.div_ceil(2), dy.div_ceil(2));
    place(g, dx, dy, cx, cy)
}

fn embed_position(iw: u32, ih: u32, ow: u32, oh: u32, g: Gravity) -> (u32, u32) {
    let (dx, dy) = (ow - iw, oh - ih);
    place(g, dx, dy, dx / 2, dy / 2)
}

fn place(g: Gravity, dx: u32, dy: u32, cx: u32, cy: u32) -> (u32, u32) {
    match g {
        Gravity::Centre => (cx, cy),
        Gravity::North => (cx, 0),
        Gravity::East => (dx, cy),
        Gravity::South => (cx, dy),
        Gravity::West => (0, cy),
        Gravity::NorthEast => (dx, 0),
        Gravity::SouthEast => (dx, dy),
        Gravity::SouthWest => (0, dy),
        Gravity::NorthWest => (0, 0),
    }
}

/// Copies `region` out of `px`; a region outside the image is `ERR_OUT_OF_RANGE`, as in sharp.
pub fn extract(px: &Pixels, r: Region) -> Result<Pixels> {
    let fits = r.width > 0
        && r.height > 0
        && u64::from(r.left) + u64::from(r.width) <= u64::from(px.width)
        && u64::from(r.top) + u64::from(r.height) <= u64::from(px.height);
    if !fits {
        return Err(Error::new(
            ErrorKind::OutOfRange,
            format!(
                "extract_area: bad extract area: {}×{} at ({}, {}) is outside the {}×{} image",
                r.width, r.height, r.left, r.top, px.width, px.height
            ),
        ));
    }
    let ch = px.channels as usize;
    let mut data = Vec::with_capacity(byte_len(r.width, r.height, px.channels)?);
    for y in r.top..r.top + r.height {
        let start = y as usize * px.row_len() + r.left as usize * ch;
        data.extend_from_slice(&px.data[start..start + r.width as usize * ch]);
    }
    Ok(Pixels {
        width: r.width,
        height: r.height,
        channels: px.channels,
        data,
    })
}

/// Pads `px` into a `cw` × `ch` canvas of `fill` at (left, top).
pub fn embed(
    px: &Pixels,
    cw: u32,
    ch: u32,
    left: u32,
    top: u32,
    fill: super::Rgba,
) -> Result<Pixels> {
    let channels = if fill.0[3] < 255 && !px.has_alpha() {
        px.channels + 1
    } else {
        px.channels
    };
    let mut canvas = Pixels::filled(cw, ch, channels, fill)?;
    let src = if channels != px.channels {
        px.clone().into_channels(channels)
    } else {
        px.clone()
    };
    let row = src.row_len();
    let n = channels as usize;
    for y in 0..src.height as usize {
        let dst = (top as usize + y) * canvas.row_len() + left as usize * n;
        canvas.data[dst..dst + row].copy_from_slice(&src.data[y * row..(y + 1) * row]);
    }
    Ok(canvas)
}

/// `extend`: `e.left`/`e.right`/`e.top`/`e.bottom` pixels added around `px`, filled as
/// `e.extend_with` says: the background (through [`embed`]: an opaque image gains alpha for a
/// translucent background), the nearest edge pixel, the image tiled, or the image mirrored with
/// its edge pixel repeated (libvips's `embed` modes).
pub fn extend(px: &Pixels, e: &super::Extend) -> Result<Pixels> {
    let too_large = || {
        Error::new(
            ErrorKind::ImageTooLarge,
            "extend() makes the image too large",
        )
    };
    let cw = px
        .width
        .checked_add(e.left)
        .and_then(|w| w.checked_add(e.right))
        .ok_or_else(too_large)?;
    let ch = px
        .height
        .checked_add(e.top)
        .and_then(|h| h.checked_add(e.bottom))
        .ok_or_else(too_large)?;
    if e.extend_with == super::ExtendWith::Background {
        return embed(px, cw, ch, e.left, e.top, e.background);
    }
    let source = |pos: u32, start: u32, len: u32| -> usize {
        let x = i64::from(pos) - i64::from(start);
        let n = i64::from(len);
        let at = match e.extend_with {
            super::ExtendWith::Copy => x.clamp(0, n - 1),
            super::ExtendWith::Repeat => x.rem_euclid(n),
            // Period 2n: n pixels forward, then n mirrored (the edge pixel twice).
            _ => {
                let m = x.rem_euclid(2 * n);
                if m < n {
                    m
                } else {
                    2 * n - 1 - m
                }
            }
        };
        usize::try_from(at).unwrap_or(0)
    };
    let n = px.channels as usize;
    let columns: Vec<usize> = (0..cw).map(|x| source(x, e.left, px.width) * n).collect();
    let mut data = Vec::with_capacity(byte_len(cw, ch, px.channels)?);
    for y in 0..ch {
        let row = &px.data[source(y, e.top, px.height) * px.row_len()..][..px.row_len()];
        for &c in &columns {
            data.extend_from_slice(&row[c..c + n]);
        }
    }
    Ok(Pixels {
        width: cw,
        height: ch,
        channels: px.channels,
        data,
    })
}

/// Mirror top ↔ bottom.
pub fn flip(mut px: Pixels) -> Pixels {
    let row = px.row_len();
    let h = px.height as usize;
    for y in 0..h / 2 {
        let (top, bottom) = px.data.split_at_mut((h - 1 - y) * row);
        top[y * row..(y + 1) * row].swap_with_slice(&mut bottom[..row]);
    }
    px
}

/// Mirror left ↔ right.
pub fn flop(mut px: Pixels) -> Pixels {
    let n = px.channels as usize;
    let row = px.row_len();
    for line in px.data.chunks_exact_mut(row) {
        let w = line.len() / n;
        for x in 0..w / 2 {
            for c in 0..n {
                line.swap(x * n + c, (w - 1 - x) * n + c);
            }
        }
    }
    px
}

/// Rotates clockwise by `quarters` × 90°.
pub fn rotate_quarters(px: Pixels, quarters: u32) -> Result<Pixels> {
    match quarters % 4 {
        0 => Ok(px),
        2 => Ok(flop(flip(px))),
        q => {
            let (w, h, n) = (px.width as usize, px.height as usize, px.channels as usize);
            let mut data = zeroed(px.data.len())?;
            // Output is h wide, w high.
            for y in 0..h {
                for x in 0..w {
                    let (ox, oy) = if q == 1 {
                        (h - 1 - y, x)
                    } else {
                        (y, w - 1 - x)
                    };
                    let s = (y * w + x) * n;
                    let d = (oy * h + ox) * n;
                    data[d..d + n].copy_from_slice(&px.data[s..s + n]);
                }
            }
            Ok(Pixels {
                width: px.height,
                height: px.width,
                channels: px.channels,
                data,
            })
        }
    }
}

/// Applies EXIF orientation `o` (1–8; anything else is left as is) so that the image is upright.
pub fn orient(px: Pixels, o: u8) -> Result<Pixels> {
    match o {
        2 => Ok(flop(px)),
        3 => rotate_quarters(px, 2),
        4 => Ok(flip(px)),
        5 => rotate_quarters(px, 1).map(flop),
        6 => rotate_quarters(px, 1),
        7 => rotate_quarters(px, 3).map(flop),
        8 => rotate_quarters(px, 3),
        _ => Ok(px),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Kernel, Rgba};

    fn r(w: Option<u32>, h: Option<u32>, fit: Fit) -> Resize {
        Resize {
            width: w,
            height: h,
            fit,
            position: Gravity::Centre,
            kernel: Kernel::Lanczos3,
            without_enlargement: false,
            without_reduction: false,
            strategy: None,
            background: Rgba([0, 0, 0, 255]),
        }
    }

    #[test]
    fn plans_follow_sharps_rules() {
        let p = plan(2725, 2225, &r(Some(800), None, Fit::Cover));
        assert_eq!(p.resized, (800, 653));
        let p = plan(400, 300, &r(Some(200), Some(200), Fit::Cover));
        assert_eq!(p.resized, (267, 200));
        assert_eq!(p.crop, Some((34, 0, 200, 200)));
        let p = plan(400, 300, &r(Some(200), Some(200), Fit::Contain));
        assert_eq!(p.resized, (200, 150));
        assert_eq!(p.embed, Some((200, 200, 0, 25)));
        assert_eq!(
            plan(400, 300, &r(Some(200), Some(200), Fit::Inside)).resized,
            (200, 150)
        );
        assert_eq!(
            plan(400, 300, &r(Some(200), Some(200), Fit::Outside)).resized,
            (267, 200)
        );
        assert_eq!(
            plan(400, 300, &r(Some(200), Some(50), Fit::Fill)).resized,
            (200, 50)
        );
        let mut small = r(Some(800), Some(800), Fit::Inside);
        small.without_enlargement = true;
        assert_eq!(plan(400, 300, &small).resized, (400, 300));
    }

    #[test]
    fn quarter_turns_and_mirrors() {
        let px = Pixels {
            width: 3,
            height: 2,
            channels: 1,
            data: vec![1, 2, 3, 4, 5, 6],
        };
        let cw = rotate_quarters(px.clone(), 1).unwrap();
        assert_eq!((cw.width, cw.height), (2, 3));
        assert_eq!(cw.data, vec![4, 1, 5, 2, 6, 3]);
        let ccw = rotate_quarters(px.clone(), 3).unwrap();
        assert_eq!(ccw.data, vec![3, 6, 2, 5, 1, 4]);
        assert_eq!(flip(px.clone()).data, vec![4, 5, 6, 1, 2, 3]);
        assert_eq!(flop(px.clone()).data, vec![3, 2, 1, 6, 5, 4]);
        assert_eq!(
            rotate_quarters(px.clone(), 2).unwrap().data,
            vec![6, 5, 4, 3, 2, 1]
        );
        let e = extract(
            &px,
            Region {
                left: 1,
                top: 1,
                width: 2,
                height: 1,
            },
        )
        .unwrap();
        assert_eq!(e.data, vec![5, 6]);
        assert!(extract(
            &px,
            Region {
                left: 2,
                top: 0,
                width: 2,
                height: 1
            }
        )
        .is_err());
    }
}
