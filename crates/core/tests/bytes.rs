//! Digests against published vectors, and compression round trips, limits and corrupt input.

// Test data is built by truncating counters to bytes on purpose.
#![allow(clippy::cast_possible_truncation)]

use offthread_core::compress::{compress, decompress, Format};
use offthread_core::digest::{digest, hash_file, hmac, Algorithm};
use offthread_core::pool::TaskState;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn d(name: &str, data: &[u8]) -> String {
    let alg = Algorithm::from_name(name).expect("algorithm");
    hex(&digest(alg, None, &[data], &TaskState::new()).expect("digest"))
}

#[test]
fn published_vectors() {
    let check = b"123456789";
    assert_eq!(d("crc32", check), "cbf43926");
    assert_eq!(d("crc32c", check), "e3069283");
    assert_eq!(d("xxh64", b""), "ef46db3751d8e999");
    assert_eq!(d("xxh3-64", b""), "2d06800538d394c2");
    assert_eq!(d("xxh3-128", b""), "99aa06d3014798d86001c324468d497f");
    assert_eq!(
        d("blake3", b""),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
    assert_eq!(
        d("sha256", b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        d("sha1", b"abc"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(d("md5", b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(
        d("sha3-256", b""),
        "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
    );
    // RFC 4231 test case 2.
    let mac = hmac(
        Algorithm::Sha256,
        b"Jefe",
        &[b"what do ya want ", b"for nothing?"],
        &TaskState::new(),
    )
    .expect("hmac");
    assert_eq!(
        hex(&mac),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn parts_hash_as_one_stream_and_blake3_parallel_matches_serial() {
    let data: Vec<u8> = (0..5_000_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let (a, b) = data.split_at(1_234_567);
    for name in ["sha256", "blake3", "xxh3-128", "crc32c"] {
        let alg = Algorithm::from_name(name).expect("alg");
        let whole = digest(alg, None, &[&data], &TaskState::new()).expect("whole");
        let split = digest(alg, None, &[a, b], &TaskState::new()).expect("split");
        assert_eq!(whole, split, "{name}");
    }
    let serial = blake3::hash(&data);
    let ours = digest(Algorithm::Blake3, None, &[&data], &TaskState::new()).expect("blake3");
    assert_eq!(ours, serial.as_bytes());
}

#[test]
fn hash_file_streams_and_maps_io_errors() {
    let dir = std::env::temp_dir().join(format!("offthread-hash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("data.bin");
    let data: Vec<u8> = (0..3_000_001u32).map(|i| i as u8).collect();
    std::fs::write(&path, &data).expect("write");
    let got = hash_file(&path, Algorithm::Sha256, None, None, &TaskState::new()).expect("hash");
    assert_eq!(
        got,
        digest(Algorithm::Sha256, None, &[&data], &TaskState::new()).expect("digest")
    );
    let missing = hash_file(
        &dir.join("nope"),
        Algorithm::Sha256,
        None,
        None,
        &TaskState::new(),
    );
    assert_eq!(missing.map_err(|e| e.code()), Err("ENOENT"));
    let is_dir = hash_file(&dir, Algorithm::Sha256, None, None, &TaskState::new());
    assert_eq!(is_dir.map_err(|e| e.code()), Err("EISDIR"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn every_format_round_trips_in_pieces() {
    let text: Vec<u8> = (0..200_000)
        .flat_map(|i: u32| format!("{{\"id\":{i},\"name\":\"item {i}\"}},").into_bytes())
        .collect();
    for (name, format) in Format::ALL {
        let packed = compress(
            format,
            None,
            &[&text[..1000], &text[1000..]],
            &TaskState::new(),
        )
        .expect(name);
        assert!(packed.len() < text.len() / 3, "{name} compresses");
        let (x, y) = packed.split_at(packed.len() / 2);
        let back = decompress(format, u64::MAX, &[x, y], &TaskState::new()).expect(name);
        assert_eq!(back, text, "{name}");
    }
}

#[test]
fn output_limit_stops_a_bomb_and_corrupt_input_is_refused() {
    let zeros = vec![0u8; 64 << 20];
    for (name, format) in Format::ALL {
        let packed = compress(format, None, &[&zeros], &TaskState::new()).expect(name);
        let r = decompress(format, 1 << 20, &[&packed], &TaskState::new());
        assert_eq!(
            r.map_err(|e| e.code()),
            Err("ERR_BUFFER_TOO_LARGE"),
            "{name}"
        );
        let mut bad = packed.clone();
        let at = bad.len() / 2;
        bad[at] ^= 0x55;
        bad.truncate(bad.len() - 3);
        let r = decompress(format, u64::MAX, &[&bad], &TaskState::new());
        assert_eq!(
            r.map(|v| v.len()).map_err(|e| e.code()),
            Err("ERR_DECOMPRESS"),
            "{name} corrupt"
        );
        let r = decompress(
            format,
            u64::MAX,
            &[&packed[..packed.len() / 2]],
            &TaskState::new(),
        );
        assert_eq!(
            r.map(|v| v.len()).map_err(|e| e.code()),
            Err("ERR_DECOMPRESS"),
            "{name} truncated"
        );
    }
}

#[test]
fn empty_input_is_truncated_and_zstd_frames_carry_a_checksum() {
    for (name, format) in Format::ALL {
        let r = decompress(format, u64::MAX, &[], &TaskState::new());
        assert_eq!(
            r.map_err(|e| e.code()),
            Err("ERR_DECOMPRESS"),
            "{name} empty"
        );
        let packed = compress(format, None, &[], &TaskState::new()).expect(name);
        let back = decompress(format, u64::MAX, &[&packed], &TaskState::new()).expect(name);
        assert!(back.is_empty(), "{name} empty round trip");
    }
    let text = b"a zstd frame whose literals would decode silently if changed, without a checksum";
    let packed = compress(Format::Zstd, None, &[text], &TaskState::new()).expect("zstd");
    // Frame header descriptor: the content checksum flag (bit 2).
    assert_ne!(packed[4] & 0x04, 0, "checksum flag");
    for at in 4..packed.len() {
        let mut bad = packed.clone();
        bad[at] ^= 0x20;
        let r = decompress(Format::Zstd, u64::MAX, &[&bad], &TaskState::new());
        assert!(
            matches!(&r, Err(e) if e.code() == "ERR_DECOMPRESS") || r.as_deref() == Ok(&text[..]),
            "flip at {at}: {:?}",
            r.map(|v| v.len())
        );
    }
}

#[test]
fn concatenated_lz4_frames_all_decode() {
    let a = b"first frame ".repeat(100);
    let b = b"second".to_vec();
    let mut two = compress(Format::Lz4, None, &[&a], &TaskState::new()).expect("lz4");
    two.extend(compress(Format::Lz4, None, &[&[]], &TaskState::new()).expect("lz4 empty"));
    two.extend(compress(Format::Lz4, None, &[&b], &TaskState::new()).expect("lz4"));
    let back = decompress(Format::Lz4, u64::MAX, &[&two], &TaskState::new()).expect("frames");
    assert!(back == [a, b].concat(), "{} bytes back", back.len());
}

#[test]
fn cancelling_stops_a_decompression_whose_small_input_expands_a_lot() {
    let zeros = vec![0u8; 256 << 20];
    for (name, format) in Format::ALL {
        let packed = compress(format, Some(1), &[&zeros], &TaskState::new())
            .or_else(|_| compress(format, None, &[&zeros], &TaskState::new()))
            .expect(name);
        let task = std::sync::Arc::new(TaskState::new());
        assert!(task.start());
        let canceller = {
            let task = task.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(5));
                task.cancel();
            })
        };
        let r = decompress(format, u64::MAX, &[&packed], &task);
        canceller.join().expect("canceller");
        assert_eq!(
            r.map(|v| v.len()).map_err(|e| e.code()),
            Err("ABORT_ERR"),
            "{name} ({} bytes in)",
            packed.len()
        );
    }
}

#[test]
fn outputs_of_whole_multiples_of_128_kib_round_trip() {
    for size in [128 << 10, 256 << 10, 1 << 20, (1 << 20) + 1] {
        let zeros = vec![0u8; size];
        let noise: Vec<u8> = (0..size as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data in [&zeros, &noise] {
            for (name, format) in Format::ALL {
                let packed = compress(format, None, &[data], &TaskState::new()).expect(name);
                let back = decompress(format, u64::MAX, &[&packed], &TaskState::new());
                assert_eq!(
                    back.map(|v| v.len()).map_err(|e| e.code()),
                    Ok(size),
                    "{name} {size}"
                );
            }
        }
    }
}

#[test]
fn gzip_reads_members_and_ignores_zero_padding_as_node_zlib_does() {
    let t = TaskState::new();
    let gz = |s: &[u8]| compress(Format::Gzip, Some(6), &[s], &t).expect("gzip");
    let (a, b) = (gz(b"hello "), gz(b"world"));
    let gunzip = |parts: &[&[u8]]| decompress(Format::Gzip, 1 << 20, parts, &t);
    // Padding after a member: zeros, or a zero then anything (node:zlib stops at a zero byte).
    let padded = [a.as_slice(), &[0u8; 512]].concat();
    assert_eq!(gunzip(&[&padded]).expect("padded"), b"hello ");
    let zero_then_junk = [a.as_slice(), &[0, 0, 1, 0x1f, 0x8b]].concat();
    assert_eq!(
        gunzip(&[&zero_then_junk]).expect("zero, then junk"),
        b"hello "
    );
    // Two members, then padding, split at every byte: the same answer however the input arrives.
    let two = [a.as_slice(), &b, &[0u8; 7]].concat();
    for cut in 0..=two.len() {
        let (x, y) = two.split_at(cut);
        assert_eq!(
            gunzip(&[x, y]).expect("split"),
            b"hello world",
            "cut at {cut}"
        );
    }
    // Anything but a zero after a member starts another one: garbage is an error, as in node:zlib.
    let junk = [a.as_slice(), b"garbage"].concat();
    let e = gunzip(&[&junk]).expect_err("garbage after a member");
    assert_eq!(e.code(), "ERR_DECOMPRESS");
    // Padding never stands in for a member: zeros alone are not gzip.
    assert!(gunzip(&[&[0u8; 16]]).is_err());
}

/// LZ4 frames as lz4_flex writes them with `info`, of `data`.
fn lz4_frame(data: &[u8], info: lz4_flex::frame::FrameInfo) -> Vec<u8> {
    use std::io::Write;
    let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    e.write_all(data).expect("lz4 write");
    e.finish().expect("lz4 finish")
}

#[test]
fn lz4_frames_of_every_shape_decode_in_any_pieces() {
    use lz4_flex::frame::{BlockMode, BlockSize, FrameInfo};
    let t = TaskState::new();
    // Compressible but not trivial, and longer than several 64 KiB blocks and windows.
    let data: Vec<u8> = (0..700_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
        .collect();
    let infos = [
        FrameInfo::new(),
        FrameInfo::new().block_mode(BlockMode::Linked),
        FrameInfo::new()
            .block_mode(BlockMode::Linked)
            .block_checksums(true)
            .content_checksum(true),
        FrameInfo::new()
            .block_size(BlockSize::Max4MB)
            .content_size(Some(data.len() as u64)),
        FrameInfo::new()
            .block_size(BlockSize::Max64KB)
            .block_checksums(true),
    ];
    for (i, info) in infos.into_iter().enumerate() {
        let frame = lz4_frame(&data, info);
        assert_eq!(
            decompress(Format::Lz4, 1 << 30, &[&frame], &t).expect("whole"),
            data,
            "frame {i}"
        );
        for cut in [1, 7, 4096, frame.len() / 2, frame.len() - 1] {
            let (a, b) = frame.split_at(cut);
            assert_eq!(
                decompress(Format::Lz4, 1 << 30, &[a, b], &t).expect("split"),
                data,
                "frame {i}, cut {cut}"
            );
        }
        // Every proper prefix is truncated; a flipped byte in a checksummed frame is corrupt.
        for cut in [0, 3, 6, frame.len() / 3, frame.len() - 1] {
            let e = decompress(Format::Lz4, 1 << 30, &[&frame[..cut]], &t).expect_err("prefix");
            assert_eq!(e.code(), "ERR_DECOMPRESS", "frame {i}, prefix {cut}");
        }
    }
    let mut flipped = lz4_frame(&data, FrameInfo::new().content_checksum(true));
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    let e = decompress(Format::Lz4, 1 << 30, &[&flipped], &t).expect_err("flipped");
    assert_eq!(e.code(), "ERR_DECOMPRESS");
    // A skippable frame between two frames is skipped.
    let mut skippable = lz4_frame(b"ab", FrameInfo::new());
    skippable.extend_from_slice(&[0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    skippable.extend(lz4_frame(b"cd", FrameInfo::new()));
    assert_eq!(
        decompress(Format::Lz4, 100, &[&skippable], &t).expect("skippable"),
        b"abcd"
    );
}

#[test]
fn lz4_streams_emit_as_they_decode_and_stop_at_the_cap() {
    use offthread_core::compress::Decoder;
    let t = TaskState::new();
    // 64 MiB of zeros: one frame of 64 KiB blocks, about 260 bytes each once compressed.
    let info = lz4_flex::frame::FrameInfo::new().block_size(lz4_flex::frame::BlockSize::Max64KB);
    let frame = lz4_frame(&vec![0u8; 64 << 20], info);
    let mut dec = Decoder::new(Format::Lz4, 1 << 20).expect("decoder");
    let mut out = 0usize;
    let mut refused = None;
    for (i, piece) in frame.chunks(256).enumerate() {
        match dec.push(piece, &t) {
            Ok(bytes) => out += bytes.len(),
            Err(e) => {
                refused = Some((i, e));
                break;
            }
        }
    }
    let (at, e) = refused.expect("the cap stops the stream");
    assert_eq!(e.code(), "ERR_BUFFER_TOO_LARGE");
    assert!(out > 0, "output left before the end");
    assert!(out <= 1 << 20);
    // The cap (16 blocks) is crossed within the first ~4 KiB of a ~270 KiB input.
    assert!(at < 64, "refused at piece {at} of {}", frame.len() / 256);
}
