//! The `image_composite` target: `composite` over a raw or created base, with up to three layers
//! (raw pixels, `create`, or a small PNG), any blend mode, gravity or offset (negative, partly or
//! wholly off the base), tiled or not, premultiplied or not, to raw or JPEG output.
//!
//! Asserted: no panic; errors only `ERR_INVALID_ARG_VALUE` (a layer larger than the base) or
//! `ERR_IMAGE_TOO_LARGE`, and the first exactly when a layer is larger; the output has the base's
//! size and four channels (raw); with only offset-placed layers in modes that leave the uncovered
//! base alone, every pixel outside the layers' rectangles is the base's own (the row and column
//! skipping agrees with blending every pixel); JPEG output is accepted wherever raw output is.

use offthread_core::image::{
    self, Blend, Create, Gravity, JpegOptions, Layer, LayerInput, Ops, Output, RawInput, Rgba, Spec,
};
use offthread_core::ErrorKind;

/// Reads bytes from the input, then zeros.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn i16(&mut self) -> i16 {
        i16::from_le_bytes([self.u8(), self.u8()])
    }
}

/// The index of the last input.
fn last(inputs: &[Vec<u8>]) -> u32 {
    u32::try_from(inputs.len() - 1).expect("three layers at most")
}

/// One fuzzed layer: its spec and, for raw or PNG input, its bytes.
fn layer(b: &mut Bytes, inputs: &mut Vec<Vec<u8>>) -> Layer {
    let kind = b.u8();
    let (w, h) = (1 + u32::from(b.u8() % 24), 1 + u32::from(b.u8() % 24));
    let seed = b.u8();
    let input = match kind % 3 {
        0 => {
            let channels = 1 + kind / 3 % 4;
            let len = (w * h * u32::from(channels)) as usize;
            inputs.push(
                (0..len)
                    .map(|i| i.to_le_bytes()[0].wrapping_mul(seed | 1))
                    .collect(),
            );
            LayerInput::Input {
                index: last(inputs),
                raw: Some(RawInput {
                    width: w,
                    height: h,
                    channels,
                }),
                auto_orient: false,
            }
        }
        1 => LayerInput::Create(Create {
            width: w,
            height: h,
            channels: 3 + kind / 3 % 2,
            background: Rgba([seed, seed ^ 0x5a, seed.wrapping_mul(3), seed.rotate_left(3)]),
        }),
        _ => {
            inputs.push(super::tiny_png(w, h, seed));
            LayerInput::Input {
                index: last(inputs),
                raw: None,
                auto_orient: false,
            }
        }
    };
    let flags = b.u8();
    let offset = (flags & 3 != 0).then(|| (i32::from(b.i16() % 40), i32::from(b.i16() % 40)));
    let tile = flags & 12 == 12;
    Layer {
        input,
        blend: Blend::ALL[usize::from(b.u8()) % Blend::ALL.len()],
        gravity: Gravity::ALL[usize::from(flags >> 4) % 9],
        // A tiled layer's offset is at least 0 (core refuses negative ones before running).
        offset: offset.map(|(l, t)| if tile { (l.abs(), t.abs()) } else { (l, t) }),
        tile,
        premultiplied: flags & 64 != 0,
    }
}

pub fn image_composite(data: &[u8]) {
    let mut b = Bytes(data);
    let (bw, bh) = (1 + u32::from(b.u8() % 48), 1 + u32::from(b.u8() % 48));
    let base_kind = b.u8();
    let channels = 1 + base_kind % 4;
    let seed = b.u8();
    let base: Vec<u8> = (0..bw * bh * u32::from(channels))
        .map(|i| i.to_le_bytes()[0].wrapping_mul(base_kind | 1) ^ seed.rotate_left(i % 8))
        .collect();
    let mut inputs = Vec::new();
    let layers: Vec<Layer> = (0..1 + b.u8() % 3)
        .map(|_| layer(&mut b, &mut inputs))
        .collect();
    let jpeg = b.u8() & 1 != 0;
    let spec = Spec {
        raw: Some(RawInput {
            width: bw,
            height: bh,
            channels,
        }),
        ops: Ops {
            composite: layers.clone(),
            ..Ops::default()
        },
        output: Some(if jpeg {
            Output::Jpeg(JpegOptions::default())
        } else {
            Output::Raw
        }),
        ..Spec::default()
    };
    assert!(spec.validate().is_ok(), "fuzzed spec out of range");
    let slices: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let sizes: Vec<(u32, u32)> = layers
        .iter()
        .map(|l| match l.input {
            LayerInput::Create(c) => (c.width, c.height),
            LayerInput::Input { raw: Some(r), .. } => (r.width, r.height),
            LayerInput::Input { index, .. } => png_size(&inputs[index as usize]),
        })
        .collect();
    let larger = sizes.iter().any(|&(w, h)| w > bw || h > bh);
    let result = image::process_with(&base, &slices, &spec, &|| false);
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            super::expect_kind(
                "image_composite",
                &e,
                &[ErrorKind::InvalidArgValue, ErrorKind::ImageTooLarge],
            );
            if e.kind() == ErrorKind::InvalidArgValue {
                assert!(e.to_string().contains("same dimensions or smaller"), "{e}");
                assert!(larger, "refused, but no layer is larger than the base: {e}");
            }
            return;
        }
    };
    assert!(!larger, "a layer larger than the base was accepted");
    if jpeg {
        return;
    }
    assert_eq!((out.width, out.height, out.channels), (bw, bh, 4));
    let untouched_outside = layers
        .iter()
        .all(|l| l.offset.is_some() && !l.tile && l.blend.is_local());
    if !untouched_outside || !(channels == 1 || channels == 3) {
        return; // a translucent base is round-tripped everywhere
    }
    for y in 0..bh {
        for x in 0..bw {
            let covered = layers.iter().zip(&sizes).any(|(l, &(w, h))| {
                let (left, top) = l.offset.expect("offset layers only");
                let (x, y) = (i64::from(x), i64::from(y));
                x >= i64::from(left)
                    && x < i64::from(left) + i64::from(w)
                    && y >= i64::from(top)
                    && y < i64::from(top) + i64::from(h)
            });
            if covered {
                continue;
            }
            let i = (y * bw + x) as usize;
            let c = usize::from(channels);
            let want = if channels == 1 {
                [base[i], base[i], base[i], 255]
            } else {
                [base[i * c], base[i * c + 1], base[i * c + 2], 255]
            };
            assert_eq!(
                &out.data[i * 4..i * 4 + 4],
                &want,
                "pixel ({x}, {y}) outside every layer changed"
            );
        }
    }
}

/// Width and height from a PNG's IHDR.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    (be(16), be(20))
}
