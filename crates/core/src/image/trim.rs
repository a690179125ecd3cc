//! `trim({ background, threshold, lineArt, margin })` as sharp does it with libvips's
//! `find_trim`: alpha flattened onto the background (truncating), a 3×3 median per channel
//! (skipped for line art), a pixel is content when any channel differs from the background by
//! more than the threshold; the box of the content columns and rows is kept. An image with alpha
//! also gets a pass over its alpha channel, and the union of both boxes is kept. The default
//! background is the top-left pixel as decoded (not filtered). No content: the image is kept.

use super::pixels::Pixels;
use super::tone_options::Trim;
use super::{check, rank, Cancel};
use crate::error::{Error, ErrorKind, Result};

/// A box: left, top, width, height.
type Area = (u32, u32, u32, u32);

/// `px` trimmed, and the offsets sharp reports (`trimOffsetLeft`/`Top`: minus the box's corner).
pub fn trim(px: Pixels, t: &Trim, cancel: Cancel) -> Result<(Pixels, (i32, i32))> {
    let (w, h) = (px.width, px.height);
    if !t.line_art && (w < 3 || h < 3) {
        // sharp refuses below 3×3 itself, and libvips's median needs a 3×3 window.
        return Err(Error::new(
            ErrorKind::OutOfRange,
            format!("Image to trim must be at least 3x3 pixels (or use lineArt): it is {w}×{h}"),
        ));
    }
    let ch = usize::from(px.channels);
    let alpha = px.has_alpha();
    let colour = if alpha { ch - 1 } else { ch };
    let first = &px.data[..ch];
    let (bg, bg_alpha) = match t.background {
        // The colour's first channels: red alone for grey, as sharp trims a 1-band image.
        Some(c) => (c.0[..colour].to_vec(), c.0[3]),
        None => (
            first[..colour].to_vec(),
            if alpha { first[ch - 1] } else { 255 },
        ),
    };
    let flat: Vec<u8> = if alpha {
        px.data
            .chunks_exact(ch)
            .flat_map(|p| {
                let a = f64::from(p[ch - 1]);
                (0..colour).map(move |k| (f64::from(p[k]), k, a))
            })
            .map(|(v, k, a)| {
                let b = f64::from(bg[k]);
                // libvips's flatten: (v·a + bg·(255 − a)) / 255, truncated.
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "0–255 by construction"
                )]
                let out = ((v * a + b * (255.0 - a)) / 255.0) as u8;
                out
            })
            .collect()
    } else {
        px.data.clone()
    };
    let channels = u8::try_from(colour).unwrap_or(3);
    let mut area = find(flat, w, h, channels, &bg, t, cancel)?;
    if alpha {
        let a: Vec<u8> = px.data.iter().skip(ch - 1).step_by(ch).copied().collect();
        if let Some(b) = find(a, w, h, 1, &[bg_alpha], t, cancel)? {
            area = Some(match area {
                Some(c) => union(c, b),
                None => b,
            });
        }
    }
    let Some((mut l, mut top, mut bw, mut bh)) = area else {
        return Ok((px, (0, 0)));
    };
    if t.margin > 0 {
        // As sharp: a margin clipped at the left or top edge is added on the right or bottom.
        let m = t.margin;
        let (nl, nt) = (l.saturating_sub(m), top.saturating_sub(m));
        bw = (w - nl).min(bw.saturating_add(m.saturating_mul(2)));
        bh = (h - nt).min(bh.saturating_add(m.saturating_mul(2)));
        (l, top) = (nl, nt);
    }
    check(cancel)?;
    let out = super::geometry::extract(
        &px,
        super::options::Region {
            left: l,
            top,
            width: bw,
            height: bh,
        },
    )?;
    let neg = |v: u32| -i32::try_from(v).unwrap_or(i32::MAX);
    Ok((out, (neg(l), neg(top))))
}

fn union(a: Area, b: Area) -> Area {
    let (l, t) = (a.0.min(b.0), a.1.min(b.1));
    let r = (a.0 + a.2).max(b.0 + b.2);
    let bottom = (a.1 + a.3).max(b.1 + b.3);
    (l, t, r - l, bottom - t)
}

/// The box of the pixels of `data` (`channels` bands) differing from `bg` by more than the
/// threshold in some band, after the median unless line art; `None` when there are none.
fn find(
    data: Vec<u8>,
    w: u32,
    h: u32,
    channels: u8,
    bg: &[u8],
    t: &Trim,
    cancel: Cancel,
) -> Result<Option<Area>> {
    let img = Pixels {
        width: w,
        height: h,
        channels,
        data,
    };
    let img = if t.line_art {
        img
    } else {
        rank::median(&img, 3, cancel)?
    };
    let n = usize::from(channels);
    let mut cols = vec![false; w as usize];
    let mut rows = vec![false; h as usize];
    for (y, row) in img.data.chunks_exact(w as usize * n).enumerate() {
        for (x, p) in row.chunks_exact(n).enumerate() {
            let hit = p
                .iter()
                .zip(bg)
                .any(|(&v, &b)| (f64::from(v) - f64::from(b)).abs() > t.threshold);
            if hit {
                cols[x] = true;
                rows[y] = true;
            }
        }
    }
    let span = |flags: &[bool]| -> Option<(u32, u32)> {
        let first = flags.iter().position(|&f| f)?;
        let last = flags.iter().rposition(|&f| f)?;
        Some((
            u32::try_from(first).ok()?,
            u32::try_from(last - first + 1).ok()?,
        ))
    };
    Ok(span(&cols)
        .zip(span(&rows))
        .map(|((l, bw), (top, bh))| (l, top, bw, bh)))
}
