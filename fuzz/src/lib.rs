//! What each fuzz target does with one input, and the properties it asserts.
//!
//! Plain functions over `offthread_core`, with no libFuzzer in sight: the targets in
//! `fuzz_targets/` call them, and `crates/core/tests/fuzz_regressions.rs` includes this file to
//! replay the saved reproducers under `cargo test` on stable Rust. A panic, an abort, a hang or
//! an allocation past the fuzzer's RSS limit is a finding; so is an error with an unexpected code.

use offthread_core::compress::{self, Format as Compression};
use offthread_core::image::{
    self, Chroma, FailOn, Fit, GifOptions, Gravity, JpegOptions, Kernel, Ops, Output, PngOptions,
    Region, Resize, Rotate, Spec, WebpOptions,
};
use offthread_core::password::{self, bcrypt, phc::Phc, Limits, Params, VerifyOptions};
use offthread_core::pool::TaskState;
use offthread_core::{Error, ErrorKind};

#[path = "json.rs"]
mod json;
pub use json::json_scan;
#[path = "composite.rs"]
mod composite;
pub use composite::image_composite;

/// The password every fuzzed hash string is verified against.
pub const PASSWORD: &[u8] = b"password";

/// Cost ceilings low enough that no accepted hash takes more than ~1 ms: argon2 m ≤ 64 KiB and
/// t = 1, scrypt 128·r·N ≤ 64 KiB and p = 1, bcrypt cost 4 (the minimum).
pub const HASH_LIMITS: Limits = Limits {
    max_memory: 64 << 10,
    max_time_cost: 1,
    max_bcrypt_cost: 4,
    max_iterations: 2_000,
    max_rounds: 1_000,
};

/// Pixel ceiling of the image targets (sharp's `limitInputPixels`).
pub const LIMIT_PIXELS: u64 = 1 << 20;

/// `maxOutputLength` of the decompress target.
pub const MAX_OUTPUT: u64 = 1 << 20;

fn expect_kind(what: &str, e: &Error, allowed: &[ErrorKind]) {
    assert!(
        allowed.contains(&e.kind()),
        "{what}: unexpected {}: {}",
        e.code(),
        e.message()
    );
}

/// The PHC and bcrypt parsers, `params_of`, `needs_rehash` and `verify` on `data` taken as a
/// stored hash string. Every failure must be `ERR_INVALID_HASH`.
pub fn hash_parse(data: &[u8]) {
    let hash = String::from_utf8_lossy(data);
    let hash = hash.as_ref();
    if let Ok(phc) = Phc::parse(hash) {
        for (key, _) in &phc.params {
            let _ = phc.int(key);
        }
        let _ = phc.only(&["m", "t", "p"]);
    }
    let parsed_bcrypt = bcrypt::parse(hash);
    if let Ok(p) = &parsed_bcrypt {
        assert!((bcrypt::MIN_COST..=bcrypt::MAX_COST).contains(&p.cost));
    }
    let params = password::params_of(hash);
    let rehash = password::needs_rehash(hash, &Params::default());
    assert_eq!(
        params.is_ok(),
        rehash.is_ok(),
        "params_of and needs_rehash disagree"
    );
    let options = VerifyOptions {
        limits: HASH_LIMITS,
        ..VerifyOptions::default()
    };
    match password::verify(hash, PASSWORD, &options, &TaskState::new()) {
        // A hash that verifies (either way) must also parse without limits.
        Ok(_) => assert!(params.is_ok(), "verify accepted what params_of refused"),
        Err(e) => expect_kind("verify", &e, &[ErrorKind::InvalidHash]),
    }
}

/// `image::metadata`: headers only, so it must never fail other than as a bad image.
pub fn image_metadata(data: &[u8]) {
    match image::metadata(data) {
        Ok(m) => {
            assert_eq!(m.size, data.len());
            assert!((1..=4).contains(&m.channels), "channels {}", m.channels);
            assert!(m.pages >= 1);
        }
        Err(e) => expect_kind(
            "metadata",
            &e,
            &[
                ErrorKind::ImageFormat,
                ErrorKind::ImageDecode,
                ErrorKind::ImageTooLarge,
            ],
        ),
    }
}

fn resize(width: u32, height: u32, fit: Fit) -> Resize {
    Resize {
        width: Some(width),
        height: Some(height),
        fit,
        ..Resize::default()
    }
}

/// The errors a pipeline may give on untrusted input.
const IMAGE_ERRORS: &[ErrorKind] = &[
    ErrorKind::ImageFormat,
    ErrorKind::ImageDecode,
    ErrorKind::ImageTooLarge,
];

/// Decode → resize to 32×32 (cover) → raw pixels, at most 2^20 input pixels.
pub fn image_pipeline(data: &[u8]) {
    let spec = Spec {
        limit_pixels: LIMIT_PIXELS,
        ops: Ops {
            resize: Some(resize(32, 32, Fit::Cover)),
            ..Ops::default()
        },
        output: Some(Output::Raw),
        ..Spec::default()
    };
    match image::process(data, &spec, &|| false) {
        Ok(out) => {
            assert_eq!((out.width, out.height), (32, 32));
            assert!((1..=4).contains(&out.channels));
            assert_eq!(out.data.len(), 32 * 32 * usize::from(out.channels));
        }
        Err(e) => expect_kind("process", &e, IMAGE_ERRORS),
    }
}

/// The pipeline with the encoder, `failOn`, animation and metadata picked by the first byte:
/// bits 0–1 the output (jpeg, png, webp, gif), bits 2–3 `failOn`, bit 4 animated, bit 5 the
/// encoder's alternative mode (progressive, palette, lossless, no dither), bit 6 keep
/// metadata, bit 7 `contain` into 24×40 instead of `cover` into 32×32. The encoded result must
/// read back with the size it claims.
pub fn image_encode(data: &[u8]) {
    let Some((&sel, input)) = data.split_first() else {
        return;
    };
    let alt = sel & 0x20 != 0;
    let colours = if alt { 16 } else { 256 };
    let dither = if alt { 0.0 } else { 1.0 };
    let output = match sel & 3 {
        0 => Output::Jpeg(JpegOptions {
            progressive: alt,
            chroma_subsampling: if alt { Chroma::Yuv444 } else { Chroma::Yuv420 },
            ..JpegOptions::default()
        }),
        1 => Output::Png(PngOptions {
            adaptive_filtering: alt,
            palette: alt,
            colours,
            dither,
            ..PngOptions::default()
        }),
        2 => Output::Webp(WebpOptions {
            lossless: alt,
            ..WebpOptions::default()
        }),
        _ => Output::Gif(GifOptions {
            colours,
            dither,
            ..GifOptions::default()
        }),
    };
    let fail_on = [
        FailOn::None,
        FailOn::Truncated,
        FailOn::Error,
        FailOn::Warning,
    ][usize::from(sel >> 2 & 3)];
    let (w, h, fit) = if sel & 0x80 != 0 {
        (24, 40, Fit::Contain)
    } else {
        (32, 32, Fit::Cover)
    };
    let spec = Spec {
        limit_pixels: LIMIT_PIXELS,
        fail_on,
        animated: sel & 0x10 != 0,
        keep_metadata: sel & 0x40 != 0,
        ops: Ops {
            resize: Some(resize(w, h, fit)),
            ..Ops::default()
        },
        output: Some(output),
        ..Spec::default()
    };
    match image::process(input, &spec, &|| false) {
        Ok(out) => {
            assert_eq!((out.width, out.height), (w, h));
            let back = image::metadata(&out.data)
                .unwrap_or_else(|e| panic!("our {} output does not parse: {e:?}", out.format));
            assert_eq!((back.width, back.height, back.pages), (w, h, out.pages));
        }
        Err(e) => expect_kind("process", &e, IMAGE_ERRORS),
    }
}

/// Pixel ceiling of the animated inputs of `image_geometry` (GIF output quantises every frame).
pub const LIMIT_ANIMATED: u64 = 1 << 16;

/// CRC-32 (PNG's) and Adler-32 (zlib's), for the inputs `image_geometry` builds.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    b << 16 | a
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(
        &u32::try_from(body.len())
            .expect("small chunk")
            .to_be_bytes(),
    );
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A complete 8-bit RGB PNG of `w` × `h` (stored deflate blocks: no compressor needed), its
/// pixels a pattern of `seed`.
pub fn tiny_png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w * 3 {
            raw.push((x ^ y).to_le_bytes()[0].wrapping_mul(seed | 1));
        }
    }
    let mut z = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65535).peekable();
    while let Some(block) = blocks.next() {
        z.push(u8::from(blocks.peek().is_none()));
        let len = u16::try_from(block.len()).expect("65535 at most");
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &z);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A GIF with a `w` × `h` screen and `frames` one-pixel frames (as the 4.6 KB bomb).
pub fn one_pixel_frames_gif(w: u16, h: u16, frames: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&w.to_le_bytes());
    out.extend_from_slice(&h.to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    out.extend_from_slice(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00");
    for i in 0..frames {
        out.extend_from_slice(&[0x21, 0xF9, 4, 0x04, 2, 0, 0, 0, 0x2C]);
        out.extend_from_slice(&(i % w).to_le_bytes());
        out.extend_from_slice(&(i / w % h).to_le_bytes());
        // 1×1, no local table; LZW code size 2: clear, index 1, end.
        out.extend_from_slice(&[1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0]);
    }
    out.push(0x3B);
    out
}

/// rotate / extract / resize / extract output sizes, and animated inputs: the bytes pick a
/// small real PNG (or, bit 0 of byte 0, a GIF of up to 64 one-pixel frames on a screen of up to 96²,
/// decoded as an animation, or with byte 37 odd a run of its frames: sharp's `page` and `pages`)
/// and the operations' parameters, which may ask for anything up to
/// sharp's largest dimensions, and an extend in any mode. `image::plan` (headers only) and `image::process` must agree:
/// the same size when both succeed, `ERR_IMAGE_TOO_LARGE` from both when a stage or the frames
/// exceed the limit, and no output over the limit; a run keeps exactly its frames. Past-the-edge extracts are
/// `ERR_OUT_OF_RANGE` from the pipeline only; a run past the last frame is `ERR_OUT_OF_RANGE` from both.
pub fn image_geometry(data: &[u8]) {
    let mut b = [0u8; 39];
    for (d, s) in b.iter_mut().zip(data) {
        *d = *s;
    }
    let u24 = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], 0]);
    let gif = b[0] & 1 != 0;
    let frames = 1 + u16::from(b[3] % 64);
    let (input, limit, output) = if gif {
        let (w, h) = (1 + u16::from(b[1] % 96), 1 + u16::from(b[2] % 96));
        (
            one_pixel_frames_gif(w, h, frames),
            LIMIT_ANIMATED,
            Output::Gif(GifOptions {
                effort: 1,
                ..GifOptions::default()
            }),
        )
    } else {
        let (w, h) = (1 + u32::from(b[1] % 48), 1 + u32::from(b[2] % 48));
        (tiny_png(w, h, b[3]), LIMIT_PIXELS, Output::Raw)
    };
    let flags = b[4];
    let region = |i: usize| Region {
        left: u24(i) % 64,
        top: u24(i + 3) % 64,
        width: 1 + u24(i + 6) % (1 << (b[i] % 24)).max(1),
        height: 1 + u24(i + 9) % (1 << (b[i + 1] % 24)).max(1),
    };
    let dim = |i: usize| 1 + u24(i) % (1 << (b[i + 2] % 25)).max(1);
    let ops = Ops {
        rotate: (flags & 1 != 0).then(|| Rotate {
            angle: f64::from(i16::from_le_bytes([b[5], b[6]])) + f64::from(b[7]) / 256.0,
            ..Rotate::default()
        }),
        extract_before: (flags & 2 != 0).then(|| region(8)),
        resize: (flags & 4 != 0).then(|| Resize {
            width: (flags & 16 != 0).then(|| dim(20)),
            height: (flags & 32 != 0).then(|| dim(23)),
            fit: Fit::ALL[usize::from(b[26] % 5)],
            position: Gravity::ALL[usize::from(b[27] % 9)],
            kernel: Kernel::Nearest,
            without_enlargement: flags & 64 != 0,
            without_reduction: flags & 128 != 0,
            strategy: None,
            background: image::Rgba([b[28], b[29], b[30], b[31]]),
        }),
        extract_after: (flags & 8 != 0).then(|| region(14)),
        // Bytes 32–36 (absent from the older corpus files: no extend there).
        extend: (b[32] & 1 != 0).then(|| {
            let side = |i: usize| u32::from(b[i]) << ((b[32] >> 4) & 15);
            image::Extend {
                top: side(33),
                bottom: side(34),
                left: side(35),
                right: side(36),
                background: image::Rgba([b[28], b[29], b[30], b[31]]),
                extend_with: image::ExtendWith::ALL[usize::from((b[32] >> 1) % 4)],
            }
        }),
        ..Ops::default()
    };
    // Bytes 37–38 (absent from the older corpus files: every frame there): a run of frames.
    let run = (gif && b[37] & 1 != 0).then(|| {
        let page = u32::from(b[38] % 72);
        let pages = (b[37] & 2 == 0).then(|| 1 + u32::from((b[37] >> 2) % 64));
        (page, pages)
    });
    let spec = Spec {
        limit_pixels: limit,
        animated: gif && run.is_none_or(|(_, pages)| pages.is_none()),
        pages: run.and_then(|(_, pages)| pages).unwrap_or(1),
        page: run.map_or(0, |(page, _)| page),
        ops,
        output: Some(output),
        ..Spec::default()
    };
    // The frames the run keeps, or None when it is past the last frame.
    let kept = match run {
        Some((page, pages)) => {
            let n = pages.unwrap_or_else(|| u32::from(frames).saturating_sub(page));
            (n > 0 && page + n <= u32::from(frames)).then_some(n)
        }
        None => Some(if gif { u32::from(frames) } else { 1 }),
    };
    let planned = image::plan(&input, &spec);
    match image::process(&input, &spec, &|| false) {
        Ok(out) => {
            assert_eq!(
                planned.as_ref().ok(),
                Some(&(out.width, out.height)),
                "plan and pipeline disagree"
            );
            let total = u64::from(out.width) * u64::from(out.height) * u64::from(out.pages);
            assert!(
                total <= limit,
                "{total} output pixels over the limit {limit}"
            );
            assert_eq!(Some(out.pages), kept, "the frames kept");
        }
        Err(e) if e.kind() == ErrorKind::ImageTooLarge => {
            let p = planned.expect_err("the pipeline refused a size the plan accepted");
            assert_eq!(p.kind(), ErrorKind::ImageTooLarge, "{}", p.message());
        }
        Err(e) if e.kind() == ErrorKind::OutOfRange && kept.is_none() => {
            // A run past the last frame: refused by the plan too, before anything is decoded.
            let p = planned.expect_err("the plan accepted a run past the last frame");
            assert_eq!(p.kind(), ErrorKind::OutOfRange, "{}", p.message());
        }
        Err(e) if e.kind() == ErrorKind::OutOfRange => {
            // A past-the-edge extract: the pipeline's to report; the plan says (0, 0).
            assert_eq!(
                planned.ok(),
                Some((0, 0)),
                "plan accepted a past-the-edge extract"
            );
        }
        Err(e) => {
            // A GIF side over 65535 (refused before decoding).
            let allowed: &[ErrorKind] = if gif { &[ErrorKind::ImageEncode] } else { &[] };
            expect_kind("process", &e, allowed);
            assert!(planned.is_ok(), "plan refused {:?}", planned.err());
        }
    }
}

/// `compress::decompress` with a 1 MiB cap. The first byte picks the format (bits 0–2, modulo 6),
/// whether the stream also arrives split in two parts, which must give the same result (bit 7),
/// and whether the rest is also compressed and decompressed back unchanged (bit 6).
pub fn decompress(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let format = Compression::ALL[usize::from(sel & 7) % Compression::ALL.len()].1;
    let task = TaskState::new();
    let whole = compress::decompress(format, MAX_OUTPUT, &[payload], &task);
    match &whole {
        Ok(out) => assert!(out.len() as u64 <= MAX_OUTPUT),
        Err(e) => expect_kind(
            "decompress",
            e,
            &[ErrorKind::Decompress, ErrorKind::BufferTooLarge],
        ),
    }
    if sel & 0x80 != 0 {
        let (a, b) = payload.split_at(payload.len() / 2);
        let split = compress::decompress(format, MAX_OUTPUT, &[a, b], &task);
        assert_eq!(
            whole.as_ref().ok(),
            split.as_ref().ok(),
            "{format:?}: one part and two parts differ ({:?} / {:?})",
            whole.as_ref().err(),
            split.as_ref().err()
        );
    }
    if sel & 0x40 != 0 {
        let packed = compress::compress(format, None, &[payload], &task)
            .unwrap_or_else(|e| panic!("{format:?}: compress failed: {e:?}"));
        let back = compress::decompress(format, u64::MAX, &[&packed], &task)
            .unwrap_or_else(|e| panic!("{format:?}: our own output does not decompress: {e:?}"));
        assert!(back == payload, "{format:?}: round trip changed the data");
    }
}
