//! 8-bit interleaved pixel buffers and the per-pixel conversions between channel layouts.

use super::Rgba;
use crate::error::{Error, ErrorKind, Result};

/// An 8-bit image: `channels` is 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

/// A zeroed buffer of `len` bytes, or `ERR_IMAGE_TOO_LARGE` when memory cannot be had: never an
/// abort. It comes from the allocator's zeroed path (calloc: fresh pages for large sizes), so
/// nothing is committed until a decoder writes it: a header whose data runs out early costs only
/// the rows it had.
pub fn zeroed(len: usize) -> Result<Vec<u8>> {
    let too_large = || {
        Error::new(
            ErrorKind::ImageTooLarge,
            format!("Cannot allocate {len} bytes for the pixels"),
        )
    };
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(len).map_err(|_| too_large())?;
    // SAFETY: the layout's size is non-zero.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return Err(too_large());
    }
    // SAFETY: `ptr` comes from the global allocator with the layout of `len` u8s (so capacity
    // `len`, alignment 1), and all `len` bytes are initialised (zero).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Bytes of a `width` × `height` × `channels` image, refusing sizes that overflow.
pub fn byte_len(width: u32, height: u32, channels: u8) -> Result<usize> {
    (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(channels as usize))
        .ok_or_else(|| Error::new(ErrorKind::ImageTooLarge, "Image dimensions overflow"))
}

impl Pixels {
    /// A new image filled with `colour`, in `channels` channels.
    pub fn filled(width: u32, height: u32, channels: u8, colour: Rgba) -> Result<Pixels> {
        let mut data = zeroed(byte_len(width, height, channels)?)?;
        let px = convert_one(&colour.0, 4, channels);
        for chunk in data.chunks_exact_mut(channels as usize) {
            chunk.copy_from_slice(&px[..channels as usize]);
        }
        Ok(Pixels {
            width,
            height,
            channels,
            data,
        })
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }

    pub fn row_len(&self) -> usize {
        self.width as usize * self.channels as usize
    }

    /// The same pixels in `channels` channels (grey is replicated; alpha added opaque or dropped).
    pub fn into_channels(self, channels: u8) -> Pixels {
        if channels == self.channels {
            return self;
        }
        let from = self.channels as usize;
        let to = channels as usize;
        let mut data = Vec::with_capacity(self.data.len() / from * to);
        for px in self.data.chunks_exact(from) {
            data.extend_from_slice(&convert_one(px, self.channels, channels)[..to]);
        }
        Pixels {
            width: self.width,
            height: self.height,
            channels,
            data,
        }
    }

    pub fn into_rgba(self) -> Pixels {
        self.into_channels(4)
    }

    /// Luminance (Rec. 601 weights, as libvips's `b-w`), keeping alpha.
    pub fn into_grey(self) -> Pixels {
        if self.channels <= 2 {
            return self;
        }
        let alpha = self.channels == 4;
        let out_ch: u8 = if alpha { 2 } else { 1 };
        let mut data =
            Vec::with_capacity(self.data.len() / self.channels as usize * usize::from(out_ch));
        for px in self.data.chunks_exact(self.channels as usize) {
            data.push(luma(px[0], px[1], px[2]));
            if alpha {
                data.push(px[3]);
            }
        }
        Pixels {
            width: self.width,
            height: self.height,
            channels: out_ch,
            data,
        }
    }

    /// Composites onto an opaque `background`, dropping alpha.
    pub fn flatten(self, background: Rgba) -> Pixels {
        if !self.has_alpha() {
            return self;
        }
        let grey = self.channels == 2;
        let bg = background.0;
        let out_ch: u8 = if grey { 1 } else { 3 };
        let mut data =
            Vec::with_capacity(self.data.len() / self.channels as usize * usize::from(out_ch));
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a <= 255, so (c * a + b * (255 - a) + 127) / 255 <= 255"
        )]
        let blend = |c: u8, b: u8, a: u32| {
            ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8
        };
        for px in self.data.chunks_exact(self.channels as usize) {
            if grey {
                let a = u32::from(px[1]);
                data.push(blend(px[0], luma(bg[0], bg[1], bg[2]), a));
            } else {
                let a = u32::from(px[3]);
                for c in 0..3 {
                    data.push(blend(px[c], bg[c], a));
                }
            }
        }
        Pixels {
            width: self.width,
            height: self.height,
            channels: out_ch,
            data,
        }
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "the weights sum to 1000, so the result is <= (1000 * 255 + 500) / 1000 = 255"
)]
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
}

/// One pixel from `from` channels to `to` channels, as RGBA-sized scratch.
fn convert_one(px: &[u8], from: u8, to: u8) -> [u8; 4] {
    let (r, g, b, a) = match from {
        1 => (px[0], px[0], px[0], 255),
        2 => (px[0], px[0], px[0], px[1]),
        3 => (px[0], px[1], px[2], 255),
        _ => (px[0], px[1], px[2], px[3]),
    };
    match to {
        1 => [luma(r, g, b), 0, 0, 0],
        2 => [luma(r, g, b), a, 0, 0],
        3 => [r, g, b, 0],
        _ => [r, g, b, a],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_round_trips() {
        let px = Pixels {
            width: 2,
            height: 1,
            channels: 3,
            data: vec![10, 20, 30, 200, 100, 0],
        };
        let rgba = px.clone().into_rgba();
        assert_eq!(rgba.data, vec![10, 20, 30, 255, 200, 100, 0, 255]);
        assert_eq!(rgba.into_channels(3), px);
        let grey = px.into_grey();
        assert_eq!(grey.channels, 1);
        assert_eq!(grey.data, vec![luma(10, 20, 30), luma(200, 100, 0)]);
    }

    #[test]
    fn flatten_blends_onto_the_background() {
        let px = Pixels {
            width: 2,
            height: 1,
            channels: 4,
            data: vec![255, 0, 0, 0, 255, 0, 0, 255],
        };
        let flat = px.flatten(Rgba([0, 0, 255, 255]));
        assert_eq!(flat.data, vec![0, 0, 255, 255, 0, 0]);
    }

    #[test]
    fn huge_buffers_fail_cleanly() {
        assert_eq!(
            zeroed(usize::MAX / 2).unwrap_err().kind(),
            ErrorKind::ImageTooLarge
        );
    }
}
