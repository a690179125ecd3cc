//! The fuzzers' findings, kept fixed: every file under `tests/fuzz-regressions/<target>/` is
//! replayed through the same harness as the cargo-fuzz target of that name (`fuzz/src/lib.rs`,
//! included here so that this runs on stable Rust under `cargo test`), and the named tests below
//! pin what each reproducer must now give.

#[path = "../../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

use offthread_core::compress::{self, Format};
use offthread_core::image::{self, Output, Spec};
use offthread_core::pool::TaskState;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions")
}

fn read(target: &str, name: &str) -> Vec<u8> {
    let path = dir().join(target).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn harness_of(target: &str) -> fn(&[u8]) {
    match target {
        "hash_parse" => harness::hash_parse,
        "image_metadata" => harness::image_metadata,
        "image_pipeline" => harness::image_pipeline,
        "image_encode" => harness::image_encode,
        "decompress" => harness::decompress,
        "image_geometry" => harness::image_geometry,
        "image_composite" => harness::image_composite,
        "json_scan" => harness::json_scan,
        other => panic!("tests/fuzz-regressions/{other}: no fuzz target of that name"),
    }
}

/// Every saved reproducer passes its target's harness (no panic, only the expected error codes).
#[test]
fn every_reproducer_passes_its_harness() {
    let mut targets: Vec<_> = std::fs::read_dir(dir())
        .expect("tests/fuzz-regressions")
        .map(|e| e.expect("directory entry").path())
        .collect();
    targets.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for target_dir in targets {
        let target = target_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name")
            .to_owned();
        let run = harness_of(&target);
        let mut files: Vec<_> = std::fs::read_dir(&target_dir)
            .expect("target directory")
            .map(|e| e.expect("directory entry").path())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("reproducer");
            count += 1;
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(count > 0, "no reproducers found");
    assert!(failures.is_empty(), "failing reproducers: {failures:#?}");
}

/// The message of the error `input` gives in the pipeline (any output: decoding fails first).
fn pipeline_error(input: &[u8]) -> (&'static str, String) {
    let spec = Spec {
        output: Some(Output::Raw),
        ..Spec::default()
    };
    let e = image::process(input, &spec, &|| false).expect_err("a decode error");
    (e.code(), e.message().to_owned())
}

/// A GIF frame of 65286×65535 on a 6×6 screen: the gif crate allocated the whole frame (16 GiB)
/// before decoding it. Frames are now held to the screen's (or the input's) size.
#[test]
fn gif_frame_far_larger_than_the_screen_is_refused_before_allocating() {
    let input = read("image_pipeline", "gif-frame-65286x65535-on-6x6-screen.gif");
    assert_frame_larger_than_screen(&input);
}

/// The same on a 32×32 screen with a 65519×8208 frame (2 GiB), found through GIF output.
#[test]
fn gif_frame_larger_than_the_screen_in_an_animation_is_refused() {
    let input = read("image_encode", "gif-frame-65519x8208-on-32x32-screen");
    // image_encode's first byte picks the output; the GIF follows.
    assert_frame_larger_than_screen(&input[1..]);
}

fn assert_frame_larger_than_screen(gif: &[u8]) {
    let (code, message) = pipeline_error(gif);
    assert_eq!(code, "ERR_IMAGE_DECODE");
    assert!(
        message.ends_with("a frame holds more pixels than the screen"),
        "{message}"
    );
}

/// A zstd frame that declares 84 bytes of content, then ends with an empty last block and the
/// checksum of nothing. Whole, libzstd's one-pass decoder refused it; split in two, its streaming
/// decoder returned 0 bytes without complaint. Both are now `ERR_DECOMPRESS`, however it is split.
#[test]
fn zstd_frame_shorter_than_its_declared_size_is_refused_in_any_split() {
    let input = read(
        "decompress",
        "zstd-declares-84-bytes-empty-last-block-split",
    );
    let frame = &input[1..];
    let task = TaskState::new();
    for at in 0..=frame.len() {
        let (a, b) = frame.split_at(at);
        let e = compress::decompress(Format::Zstd, 1 << 20, &[a, b], &task)
            .expect_err("a corrupt frame");
        assert_eq!(e.code(), "ERR_DECOMPRESS", "split at {at}: {}", e.message());
    }
    let mut decoder = compress::Decoder::new(Format::Zstd, 1 << 20).expect("decoder");
    let mut result = Ok(Vec::new());
    for byte in frame.chunks(1) {
        result = decoder.push(byte, &task);
        if result.is_err() {
            break;
        }
    }
    let result = result.and_then(|_| decoder.finish(&task));
    assert_eq!(result.map_err(|e| e.code()), Err("ERR_DECOMPRESS"));
}

/// A TIFF whose Orientation entry is typed ASCII with 2^31 − 1 values: tiff 0.11 refused it but
/// first printed a `dbg!` line to stderr (seen in the image_metadata fuzzer's log). Entries that
/// claim more data than the file holds are now refused before the tiff crate reads them.
#[test]
fn tiff_entry_claiming_more_than_the_file_is_refused_before_the_tiff_crate() {
    let input = read("image_metadata", "tiff-ascii-orientation-claims-2-gib.tif");
    let e = image::metadata(&input).expect_err("a decode error");
    assert_eq!(e.code(), "ERR_IMAGE_DECODE");
    assert!(
        e.message()
            .ends_with("TIFF tag 274 claims 2147483647 values, more than the file holds"),
        "{}",
        e.message()
    );
    let (code, message) = pipeline_error(&input);
    assert_eq!(code, "ERR_IMAGE_DECODE");
    assert!(message.contains("TIFF tag 274 claims"), "{message}");
}

/// The seeded generator of the stand-in fuzz runs: xorshift64 (13, 7, 17) from `state`.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Fills `data` with `next`'s output, 8 little-endian bytes at a time (the last piece cut short).
fn fill(next: &mut impl FnMut() -> u64, data: &mut [u8]) {
    for chunk in data.chunks_mut(8) {
        chunk.copy_from_slice(&next().to_le_bytes()[..chunk.len()]);
    }
}

/// `image_geometry` on pseudo-random inputs (a fixed xorshift seed): rotate / extract / resize
/// output sizes and animated inputs, without cargo-fuzz. The plan and the pipeline must agree.
/// `IMAGE_GEOMETRY_RUNS=n` runs n inputs instead of 400 (and `IMAGE_GEOMETRY_SEED` another seed).
#[test]
fn image_geometry_on_random_inputs() {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let runs = env("IMAGE_GEOMETRY_RUNS").unwrap_or(400);
    let mut next = xorshift(env("IMAGE_GEOMETRY_SEED").unwrap_or(0x9E37_79B9_7F4A_7C15) | 1);
    for _ in 0..runs {
        let mut data = [0u8; 32];
        fill(&mut next, &mut data);
        // Mostly moderate sizes: the shift bytes pick 2^0..2^24 ranges for dimensions.
        if next().is_multiple_of(2) {
            for i in [8, 9, 14, 15, 22, 25] {
                data[i] %= 14;
            }
        }
        let run = std::panic::catch_unwind(|| harness::image_geometry(&data));
        assert!(run.is_ok(), "image_geometry failed on {data:?}");
    }
}

/// json_scan's harness on token soup from a seeded generator: the differential check runs here on
/// stable Rust too, not only under cargo-fuzz.
#[test]
fn json_scan_token_soup() {
    #[rustfmt::skip]
    const TOKENS: &[&str] = &[
        "[", "]", "{", "}", ":", ",", " ", "\n", "\"k\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"\\ud800\"",
        "\"\\x\"", "\"\u{1}\"", "\"", "0", "-0", "12", "1.5", "1e400", "-", "1.", "1e", "01", "true",
        "tru", "null", "false", "\u{feff}", "\u{e9}", "\\",
    ];
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        #[allow(clippy::cast_possible_truncation)]
        let mut data = vec![next() as u8];
        let n = next() % 40;
        for _ in 0..n {
            #[allow(clippy::cast_possible_truncation)]
            let t = TOKENS[(next() % TOKENS.len() as u64) as usize];
            data.extend_from_slice(t.as_bytes());
        }
        harness::json_scan(&data);
    }
}

/// A seeded stand-in for a fuzz run of `image_geometry` with `extend` on (byte 32 odd): plan and
/// pipeline agree for every mode and size, up to sizes over the pixel limit.
#[test]
fn image_geometry_with_extend_agrees_on_seeded_inputs() {
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let mut data = [0u8; 37];
        fill(&mut next, &mut data);
        data[32] |= 1;
        harness::image_geometry(&data);
    }
}

/// A seeded stand-in for a fuzz run of `image_geometry` on runs of GIF frames (`page`/`pages`, bytes
/// 37–38): plan and pipeline agree, a run keeps exactly its frames, and one past the last frame is
/// `ERR_OUT_OF_RANGE` from both.
#[test]
fn image_geometry_with_page_runs_agrees_on_seeded_inputs() {
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    for _ in 0..3_000 {
        let mut data = [0u8; 39];
        fill(&mut next, &mut data);
        data[0] |= 1; // a GIF
        data[37] |= 1; // with a run of frames
        for i in [8, 9, 14, 15, 22, 25] {
            data[i] %= 14; // moderate sizes
        }
        let run = std::panic::catch_unwind(|| harness::image_geometry(&data));
        assert!(run.is_ok(), "image_geometry failed on {data:?}");
    }
}

/// `image_composite` on pseudo-random inputs (a fixed xorshift seed): layers of every kind, mode
/// and placement over raw bases. `IMAGE_COMPOSITE_RUNS=n` runs n inputs instead of 5,000.
#[test]
fn image_composite_on_random_inputs() {
    let runs = std::env::var("IMAGE_COMPOSITE_RUNS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(5_000);
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    for _ in 0..runs {
        let mut data = [0u8; 48];
        fill(&mut next, &mut data);
        let run = std::panic::catch_unwind(|| harness::image_composite(&data));
        assert!(run.is_ok(), "image_composite failed on {data:?}");
    }
}
