//! What each fuzz target does with one input, and the properties it asserts.
//!
//! Plain functions over `offthread_core`, with no libFuzzer in sight: the targets in
//! `fuzz_targets/` call them, and `crates/core/tests/fuzz_regressions.rs` includes this file to
//! replay the saved reproducers under `cargo test` on stable Rust. A panic, an abort, a hang or
//! an allocation past the fuzzer's RSS limit is a finding; so is an error with an unexpected code.

use offthread_core::compress::{self, Format as Compression};
use offthread_core::image::{
    self, Chroma, FailOn, Fit, GifOptions, JpegOptions, Ops, Output, PngOptions, Resize, Spec,
    WebpOptions,
};
use offthread_core::password::{self, bcrypt, phc::Phc, Limits, Params, VerifyOptions};
use offthread_core::pool::TaskState;
use offthread_core::{Error, ErrorKind};

/// The password every fuzzed hash string is verified against.
pub const PASSWORD: &[u8] = b"password";

/// Cost ceilings low enough that no accepted hash takes more than ~1 ms: argon2 m ≤ 64 KiB and
/// t = 1, scrypt 128·r·N ≤ 64 KiB and p = 1, bcrypt cost 4 (the minimum).
pub const HASH_LIMITS: Limits = Limits {
    max_memory: 64 << 10,
    max_time_cost: 1,
    max_bcrypt_cost: 4,
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
