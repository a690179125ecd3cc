//! The one EXIF field the pipeline needs: Orientation (tag 0x0112 in IFD0), read and reset.

/// One entry of a TIFF directory: its tag, field type, value count, and where its value (or the
/// value's offset) is stored.
pub(crate) struct IfdEntry {
    pub tag: u16,
    pub kind: u16,
    pub count: u64,
    pub value_at: usize,
}

/// IFD0's entries of a TIFF structure (classic or BigTIFF), and whether it is big-endian; `None`
/// when `tiff` does not start with a TIFF header. The entries end at the first that lies out of
/// bounds.
pub(crate) fn ifd0(tiff: &[u8]) -> Option<(bool, impl Iterator<Item = IfdEntry> + '_)> {
    let big = match tiff.get(..2)? {
        b"II" => false,
        b"MM" => true,
        _ => return None,
    };
    let uint = move |at: usize, n: usize| -> Option<u64> {
        let bytes = tiff.get(at..at.checked_add(n)?)?;
        let fold = |acc: u64, &x: &u8| acc << 8 | u64::from(x);
        Some(if big {
            bytes.iter().fold(0, fold)
        } else {
            bytes.iter().rev().fold(0, fold)
        })
    };
    // Classic TIFF: 4-byte IFD offset, 2-byte entry count, 12-byte entries with 4-byte counts;
    // BigTIFF: 8, 8, 20 and 8.
    let (ifd, count_len, entry_len, value_len) = match uint(2, 2)? {
        42 => (uint(4, 4)?, 2, 12, 4),
        43 => (uint(8, 8)?, 8, 20, 8),
        _ => return None,
    };
    let ifd = usize::try_from(ifd).ok()?;
    let entries = usize::try_from(uint(ifd, count_len)?).unwrap_or(usize::MAX);
    let first = ifd.checked_add(count_len)?;
    let entries = (0..entries).map_while(move |i| {
        let at = first.checked_add(i.checked_mul(entry_len)?)?;
        Some(IfdEntry {
            tag: u16::try_from(uint(at, 2)?).ok()?,
            kind: u16::try_from(uint(at + 2, 2)?).ok()?,
            count: uint(at + 4, value_len)?,
            value_at: at
                .checked_add(4 + value_len)
                .filter(|&v| v + value_len <= tiff.len())?,
        })
    });
    Some((big, entries))
}

/// The byte offset of IFD0's Orientation value in a TIFF-structured EXIF block, and the byte order.
fn orientation_at(tiff: &[u8]) -> Option<(usize, bool)> {
    let (big, entries) = ifd0(tiff)?;
    let e = entries.take(512).find(|e| e.tag == 0x0112 && e.kind == 3)?;
    Some((e.value_at, big))
}

/// Strips the "Exif\0\0" header some containers keep in front of the TIFF structure.
fn tiff_part(exif: &[u8]) -> (usize, &[u8]) {
    if exif.starts_with(b"Exif\0\0") {
        (6, &exif[6..])
    } else {
        (0, exif)
    }
}

/// Orientation 1–8 from an EXIF block; `None` when absent or out of range.
pub fn orientation(exif: &[u8]) -> Option<u8> {
    let (_, tiff) = tiff_part(exif);
    let (at, big) = orientation_at(tiff)?;
    let b = tiff.get(at..at + 2)?;
    let v = if big {
        u16::from_be_bytes([b[0], b[1]])
    } else {
        u16::from_le_bytes([b[0], b[1]])
    };
    u8::try_from(v).ok().filter(|v| (1..=8).contains(v))
}

/// Sets the Orientation to 1 (upright) in place, after the pixels were turned.
pub fn reset_orientation(exif: &mut [u8]) {
    let (skip, tiff) = tiff_part(exif);
    if let Some((at, big)) = orientation_at(tiff) {
        let one = if big {
            1u16.to_be_bytes()
        } else {
            1u16.to_le_bytes()
        };
        exif[skip + at..skip + at + 2].copy_from_slice(&one);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(big: bool, value: u16) -> Vec<u8> {
        let mut v = b"Exif\0\0".to_vec();
        if big {
            v.extend_from_slice(&[
                b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
            ]);
            v.extend_from_slice(&value.to_be_bytes());
        } else {
            v.extend_from_slice(&[
                b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
            ]);
            v.extend_from_slice(&value.to_le_bytes());
        }
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        v
    }

    #[test]
    fn reads_and_resets_both_byte_orders() {
        for big in [false, true] {
            let mut b = block(big, 6);
            assert_eq!(orientation(&b), Some(6));
            reset_orientation(&mut b);
            assert_eq!(orientation(&b), Some(1));
            assert_eq!(orientation(&block(big, 9)), None);
        }
        assert_eq!(orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), None);
        assert_eq!(orientation(b""), None);
    }
}
