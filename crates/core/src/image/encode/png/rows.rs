//! PNG's row filters (none, sub, up, average, Paeth) and libpng's adaptive choice among them.

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum RowFilter {
    None,
    Paeth,
    /// Per row, the filter whose output has the least sum of absolute values (libpng's heuristic).
    Adaptive,
}

/// Filters `data` (rows of `row` bytes, `bpp` bytes per pixel) into PNG's scanline layout: each
/// row preceded by its filter type. Predictors read the unfiltered bytes only, so each loop is
/// free of carried dependencies and vectorises.
pub(super) fn filter_rows(data: &[u8], row: usize, bpp: usize, how: RowFilter) -> Vec<u8> {
    let rows = data.len().checked_div(row).unwrap_or(0);
    let mut out = vec![0u8; rows * (row + 1)];
    let zero = vec![0u8; row];
    let mut trial = if how == RowFilter::Adaptive {
        vec![0u8; row]
    } else {
        Vec::new()
    };
    for (y, (line, dst)) in data
        .chunks_exact(row)
        .zip(out.chunks_exact_mut(row + 1))
        .enumerate()
    {
        let prev = if y == 0 {
            &zero[..]
        } else {
            &data[(y - 1) * row..y * row]
        };
        let (kind, body) = dst.split_at_mut(1);
        match how {
            RowFilter::None => body.copy_from_slice(line),
            RowFilter::Paeth => {
                kind[0] = 4;
                apply(4, line, prev, bpp, body);
            }
            RowFilter::Adaptive => {
                let mut best = u64::MAX;
                for f in 0..5u8 {
                    apply(f, line, prev, bpp, &mut trial);
                    let cost: u64 = trial
                        .iter()
                        .map(|&b| u64::from((b as i8).unsigned_abs()))
                        .sum();
                    if cost < best {
                        best = cost;
                        kind[0] = f;
                        body.copy_from_slice(&trial);
                    }
                }
            }
        }
    }
    out
}

/// PNG filter `f` (0 none, 1 sub, 2 up, 3 average, 4 Paeth) of `line` over `prev` into `out`.
#[expect(
    clippy::cast_possible_truncation,
    reason = "average: (a + up) >> 1 of two bytes is <= 255"
)]
fn apply(f: u8, line: &[u8], prev: &[u8], bpp: usize, out: &mut [u8]) {
    let n = line.len();
    let b = bpp.min(n);
    match f {
        0 => out.copy_from_slice(line),
        1 => {
            out[..b].copy_from_slice(&line[..b]);
            for ((o, &x), &a) in out[b..].iter_mut().zip(&line[b..]).zip(&line[..n - b]) {
                *o = x.wrapping_sub(a);
            }
        }
        2 => {
            for ((o, &x), &up) in out.iter_mut().zip(line).zip(prev) {
                *o = x.wrapping_sub(up);
            }
        }
        3 => {
            for ((o, &x), &up) in out[..b].iter_mut().zip(&line[..b]).zip(prev) {
                *o = x.wrapping_sub(up >> 1);
            }
            let it = out[b..].iter_mut().zip(&line[b..]).zip(&line[..n - b]);
            for (((o, &x), &a), &up) in it.zip(&prev[b..]) {
                *o = x.wrapping_sub(((u16::from(a) + u16::from(up)) >> 1) as u8);
            }
        }
        _ => {
            // Paeth with a = 0 and c = 0 for the first pixel is Up.
            for ((o, &x), &up) in out[..b].iter_mut().zip(&line[..b]).zip(prev) {
                *o = x.wrapping_sub(up);
            }
            let it = out[b..].iter_mut().zip(&line[b..]).zip(&line[..n - b]);
            for ((((o, &x), &a), &up), &c) in it.zip(&prev[b..]).zip(&prev[..n - b]) {
                *o = x.wrapping_sub(paeth(a, up, c));
            }
        }
    }
}

#[inline(always)]
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (ia, ib, ic) = (i16::from(a), i16::from(b), i16::from(c));
    let pa = (ib - ic).abs();
    let pb = (ia - ic).abs();
    let pc = (ia + ib - 2 * ic).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filters_match_their_definitions() {
        let line = [10u8, 200, 30, 40, 250, 60, 7];
        let prev = [5u8, 100, 255, 0, 80, 90, 1];
        for bpp in 1..=4 {
            for f in 0..5u8 {
                let mut out = [0u8; 7];
                apply(f, &line, &prev, bpp, &mut out);
                for i in 0..line.len() {
                    let a = if i >= bpp { line[i - bpp] } else { 0 };
                    let c = if i >= bpp { prev[i - bpp] } else { 0 };
                    let b = prev[i];
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    let paeth = if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    };
                    let pred = [
                        0,
                        a,
                        b,
                        u8::try_from((u16::from(a) + u16::from(b)) / 2).unwrap(),
                        paeth,
                    ][usize::from(f)];
                    assert_eq!(
                        out[i],
                        line[i].wrapping_sub(pred),
                        "filter {f} bpp {bpp} byte {i}"
                    );
                }
            }
        }
    }
}
