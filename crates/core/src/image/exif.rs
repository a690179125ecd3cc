//! The one EXIF field the pipeline needs: Orientation (tag 0x0112 in IFD0), read and reset.

/// The byte offset of IFD0's Orientation value in a TIFF-structured EXIF block, and the byte order.
fn orientation_at(tiff: &[u8]) -> Option<(usize, bool)> {
    let big = match tiff.get(..4)? {
        [b'I', b'I', 42, 0] => false,
        [b'M', b'M', 0, 42] => true,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = tiff.get(o..o + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(o..o + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    for i in 0..count.min(512) {
        let entry = ifd.checked_add(2 + i * 12)?;
        if u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3 {
            return Some((entry + 8, big));
        }
    }
    None
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
    (1..=8).contains(&v).then_some(v as u8)
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
