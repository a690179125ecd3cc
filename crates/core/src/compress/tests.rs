//! `Encoder::flush`: the output so far decodes, with the reference decoders (flate2, Google's
//! brotli as node:zlib has it, zstd), to exactly the bytes pushed so far, and small pushes stay
//! gathered until then.

use super::{compress, Decoder, Encoder, Format, GATHER};
use crate::pool::TaskState;
use std::io::Write;

/// What a streaming decoder of `format` yields for `prefix`, a stream not yet finished.
fn decode_prefix(format: Format, prefix: &[u8]) -> Vec<u8> {
    fn run<W: Write>(mut w: W, prefix: &[u8], get: impl FnOnce(W) -> Vec<u8>) -> Vec<u8> {
        w.write_all(prefix).expect("decodes");
        w.flush().expect("flushes");
        get(w)
    }
    match format {
        Format::Gzip => run(flate2::write::GzDecoder::new(Vec::new()), prefix, |w| {
            w.get_ref().clone()
        }),
        Format::Deflate => run(flate2::write::ZlibDecoder::new(Vec::new()), prefix, |w| {
            w.get_ref().clone()
        }),
        Format::DeflateRaw => run(
            flate2::write::DeflateDecoder::new(Vec::new()),
            prefix,
            |w| w.get_ref().clone(),
        ),
        // Google's decoder, as a browser's or node:zlib's: it hands out all it decoded. (The
        // `brotli` crate's DecompressorWriter keeps up to its buffer back until more input comes.)
        Format::Brotli => run(brotlic::DecompressorWriter::new(Vec::new()), prefix, |w| {
            w.get_ref().clone()
        }),
        Format::Zstd => run(
            zstd::stream::write::Decoder::new(Vec::new()).expect("decoder"),
            prefix,
            |w| w.get_ref().clone(),
        ),
        // No reference streaming decoder of partial LZ4 frames: offthread's own (lz4_flex blocks).
        Format::Lz4 => {
            let mut d = Decoder::new(Format::Lz4, u64::MAX).expect("decoder");
            d.push(prefix, &TaskState::new()).expect("decodes")
        }
    }
}

/// Text that compresses, different at every offset (so a flush cannot be mistaken for a repeat).
fn text(len: usize, seed: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(format!("{} ", x % 1000).as_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn a_flushed_prefix_decodes_to_exactly_the_bytes_pushed() {
    let task = TaskState::new();
    for (name, format) in Format::ALL {
        let mut enc = Encoder::new(format, None).expect("encoder");
        let mut sent = Vec::new(); // the compressed bytes handed out so far
        let mut pushed = Vec::new();
        // Tiny writes (as `res.write('..')`), a 200 KB one (past GATHER), and tiny ones again.
        for (i, piece) in [text(2, 1), text(11, 2), text(200_000, 3), text(5, 4)]
            .into_iter()
            .enumerate()
        {
            sent.extend(enc.push(&piece, &task).expect("push"));
            pushed.extend_from_slice(&piece);
            sent.extend(enc.flush(&task).expect("flush"));
            assert_eq!(
                decode_prefix(format, &sent),
                pushed,
                "{name}: after flush {i}, the output decodes to the {} bytes pushed",
                pushed.len()
            );
        }
        sent.extend(enc.finish().expect("finish"));
        let mut dec = Decoder::new(format, u64::MAX).expect("decoder");
        let mut all = dec.push(&sent, &task).expect("decodes");
        all.extend(dec.finish(&task).expect("complete stream"));
        assert_eq!(all, pushed, "{name}: the finished stream decodes whole");
    }
}

#[test]
fn small_pushes_are_gathered_until_a_flush() {
    let task = TaskState::new();
    for (name, format) in Format::ALL {
        let mut enc = Encoder::new(format, None).expect("encoder");
        let piece = text(100, 7);
        let mut pushed = Vec::new();
        while pushed.len() + piece.len() < GATHER {
            assert!(
                enc.push(&piece, &task).expect("push").is_empty(),
                "{name}: a push below GATHER produces nothing"
            );
            pushed.extend_from_slice(&piece);
        }
        let out = enc.flush(&task).expect("flush");
        assert_eq!(decode_prefix(format, &out), pushed, "{name}");
        // A second flush with nothing new adds no data (zlib writes one more empty block).
        let mut both = out.clone();
        both.extend(enc.flush(&task).expect("flush again"));
        assert_eq!(decode_prefix(format, &both), pushed, "{name}: nothing new");
    }
}

#[test]
fn a_flush_before_any_data_decodes_to_nothing() {
    let task = TaskState::new();
    for (name, format) in Format::ALL {
        let mut enc = Encoder::new(format, None).expect("encoder");
        let mut out = enc.flush(&task).expect("flush");
        assert!(decode_prefix(format, &out).is_empty(), "{name}");
        out.extend(enc.push(b"after", &task).expect("push"));
        out.extend(enc.finish().expect("finish"));
        let mut dec = Decoder::new(format, u64::MAX).expect("decoder");
        let mut all = dec.push(&out, &task).expect("decodes");
        all.extend(dec.finish(&task).expect("complete stream"));
        assert_eq!(all, b"after", "{name}");
    }
}

#[test]
fn a_cancelled_flush_is_an_abort() {
    let task = TaskState::new();
    let mut enc = Encoder::new(Format::Gzip, None).expect("encoder");
    enc.push(b"pending", &task).expect("push");
    task.cancel();
    let err = enc.flush(&task).expect_err("cancelled");
    assert_eq!(err.code(), "ABORT_ERR");
}

/// Feeds each flushed piece of a stream to offthread's `Decoder`: all of it comes out at once.
fn decoder_keeps_up_with_flushes(format: Format) {
    let task = TaskState::new();
    let mut enc = Encoder::new(format, None).expect("encoder");
    let mut dec = Decoder::streaming(format, u64::MAX).expect("decoder");
    let mut decoded = Vec::new();
    let mut pushed = Vec::new();
    for piece in [text(12, 5), text(3000, 6), text(90_000, 7)] {
        let mut out = enc.push(&piece, &task).expect("push");
        pushed.extend_from_slice(&piece);
        out.extend(enc.flush(&task).expect("flush"));
        decoded.extend(dec.push(&out, &task).expect("decodes"));
        assert_eq!(
            decoded.len(),
            pushed.len(),
            "{format:?}: decoded as soon as flushed"
        );
        assert_eq!(decoded, pushed, "{format:?}");
    }
}

#[test]
fn offthreads_stream_decoder_hands_out_everything_a_flushed_prefix_holds() {
    for (_, format) in Format::ALL {
        decoder_keeps_up_with_flushes(format);
    }
}

#[test]
fn the_brotli_stream_decoder_refuses_truncation_and_caps_output() {
    let task = TaskState::new();
    let data = text(200_000, 8);
    let packed = compress(Format::Brotli, None, &[&data], &task).expect("compress");
    let mut dec = Decoder::streaming(Format::Brotli, u64::MAX).expect("decoder");
    dec.push(&packed[..packed.len() / 2], &task)
        .expect("prefix");
    let err = dec.finish(&task).expect_err("truncated");
    assert_eq!(err.code(), "ERR_DECOMPRESS");

    let mut capped = Decoder::streaming(Format::Brotli, 1000).expect("decoder");
    let err = capped.push(&packed, &task).expect_err("over the cap");
    assert_eq!(err.code(), "ERR_BUFFER_TOO_LARGE");

    let mut whole = Decoder::streaming(Format::Brotli, u64::MAX).expect("decoder");
    let mut out = whole.push(&packed, &task).expect("push");
    out.extend(whole.finish(&task).expect("finish"));
    assert_eq!(out, data);
}
