//! Compression and decompression: gzip, deflate (zlib), raw deflate, brotli, zstd and LZ4 frames,
//! one-shot or chunk by chunk, with a hard limit on decompressed output (zip bombs stop there).
//!
//! None of the encoders starts threads of its own: zstd is built without its multi-threaded mode
//! and brotli's encoder (Google's C library) is single-threaded, so work stays on the pool that
//! called it. One-shot brotli decoding uses the pure-Rust `brotli` decoder, which measured faster;
//! streams use Google's (see `decode.rs`).

use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
pub use decode::{decompress, Decoder};
mod decode;
mod lz4;
#[cfg(test)]
mod tests;

use std::io::{self, Write};

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Gzip,
    Deflate,
    DeflateRaw,
    Brotli,
    Zstd,
    Lz4,
}

impl Format {
    /// Every format with its name, as the JS API spells it.
    pub const ALL: [(&'static str, Format); 6] = [
        ("gzip", Format::Gzip),
        ("deflate", Format::Deflate),
        ("deflate-raw", Format::DeflateRaw),
        ("brotli", Format::Brotli),
        ("zstd", Format::Zstd),
        ("lz4", Format::Lz4),
    ];

    /// Looks a format up by name.
    pub fn from_name(name: &str) -> Result<Format> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidArgValue,
                    format!("Unknown compression format '{name}'"),
                )
            })
    }

    /// The accepted levels and the default: gzip/deflate 0–9 (6), brotli 0–11 (4), zstd
    /// -7–22 (3). LZ4 has a single level (0).
    pub const fn levels(self) -> (i32, i32, i32) {
        match self {
            Format::Gzip | Format::Deflate | Format::DeflateRaw => (0, 9, 6),
            Format::Brotli => (0, 11, 4),
            Format::Zstd => (-7, 22, 3),
            Format::Lz4 => (0, 0, 0),
        }
    }
}

/// `compression()`'s default threshold: responses smaller than this (bytes) are sent as they are,
/// as the `compression` package does.
pub const MIDDLEWARE_THRESHOLD: u64 = 1024;

/// The default cap on decompressed output: 1 GiB.
pub const DEFAULT_MAX_OUTPUT: u64 = 1 << 30;

/// Bytes of input decoded between two cancellation checks (a decoder also checks as its output
/// grows: see `Limited`).
const CHUNK: usize = 1 << 20;

/// Bytes of input compressed between two cancellation checks. Small, for the slow levels: zstd 19
/// compresses ~0.5 MB/s here and brotli 11 ~0.3 MB/s; brotli 10 and 11 also work in 64 KiB input
/// blocks (see `Encoder::with_size`).
const ENCODE_CHUNK: usize = 64 * 1024;

fn level_of(format: Format, level: Option<i32>) -> Result<i32> {
    let (lo, hi, default) = format.levels();
    match level {
        None => Ok(default),
        Some(l) if (lo..=hi).contains(&l) => Ok(l),
        Some(l) => Err(Error::new(
            ErrorKind::OutOfRange,
            format!("Expected integer between {lo} and {hi} for level but received {l}"),
        )),
    }
}

fn encode_error(e: io::Error) -> Error {
    Error::new(ErrorKind::Internal, format!("compression failed: {e}"))
}

enum Enc {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Deflate(flate2::write::ZlibEncoder<Vec<u8>>),
    DeflateRaw(flate2::write::DeflateEncoder<Vec<u8>>),
    Brotli(Box<brotlic::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    Lz4(lz4_flex::frame::FrameEncoder<Vec<u8>>),
}

/// A streaming compressor: `push` chunks, each returning the output produced so far, then
/// `finish` for the rest.
pub struct Encoder(Enc, Vec<u8>);

/// The largest zstd window and match tables (log2) a stream of unknown size gets: level 19's
/// (an 8 MiB window, ~90 MB of encoder state). Levels 20–22 would take 32–128 MiB windows and
/// up to ~1 GB of tables for every stream, however short; with a known size (one-shot calls)
/// zstd sizes them to the input itself.
pub const ZSTD_STREAM_WINDOW_LOG: u32 = 23;
const ZSTD_STREAM_CHAIN_LOG: u32 = 24;
const ZSTD_STREAM_HASH_LOG: u32 = 22;
/// The first zstd level whose tables are larger than level 19's.
const ZSTD_LARGE_WINDOW_LEVEL: i32 = 20;

/// Stream chunks smaller than this are gathered before they reach the encoder, so that many
/// small writes compress as well (and as fast) as a few large ones.
const GATHER: usize = 64 * 1024;

impl Encoder {
    /// A compressor for `format` at `level` (the format's default when `None`).
    pub fn new(format: Format, level: Option<i32>) -> Result<Encoder> {
        Self::with_size(format, level, None)
    }

    /// A compressor that knows the total input size in advance (one-shot calls): brotli and
    /// zstd then pick the parameters their one-shot APIs would.
    pub fn with_size(format: Format, level: Option<i32>, size: Option<u64>) -> Result<Encoder> {
        let level = level_of(format, level)?;
        let flate = || flate2::Compression::new(level.unsigned_abs());
        Ok(Encoder(
            match format {
                Format::Gzip => Enc::Gzip(flate2::write::GzEncoder::new(Vec::new(), flate())),
                Format::Deflate => {
                    Enc::Deflate(flate2::write::ZlibEncoder::new(Vec::new(), flate()))
                }
                Format::DeflateRaw => {
                    Enc::DeflateRaw(flate2::write::DeflateEncoder::new(Vec::new(), flate()))
                }
                // Google's C encoder (as node:zlib uses), with the input size as a hint when
                // known, like node's one-shot calls: the same output size as node's.
                Format::Brotli => {
                    let bad = |_| Error::new(ErrorKind::OutOfRange, "invalid brotli parameters");
                    let quality =
                        brotlic::Quality::new(u8::try_from(level).unwrap_or(4)).map_err(bad)?;
                    let window = brotlic::WindowSize::new(22).map_err(bad)?;
                    let mut options = brotlic::BrotliEncoderOptions::new();
                    options.quality(quality).window_size(window);
                    // Qualities 10 and 11 work each input block (256 KiB by default) in one call,
                    // over a second at 11: 64 KiB blocks let an abort land within ~0.2 s, for a
                    // size within 0.2 % of the default's (measured on JSON and JavaScript).
                    if level >= 10 {
                        options.block_size(brotlic::BlockSize::new(16).map_err(bad)?);
                    }
                    if let Some(n) = size {
                        options.size_hint(u32::try_from(n).unwrap_or(u32::MAX));
                    }
                    let encoder = options.build().map_err(bad)?;
                    Enc::Brotli(Box::new(brotlic::CompressorWriter::with_encoder(
                        encoder,
                        Vec::new(),
                    )))
                }
                // With a content checksum (as the zstd CLI writes), so that corruption is detected
                // on decode.
                Format::Zstd => {
                    let mut e = zstd::stream::write::Encoder::new(Vec::new(), level)
                        .map_err(encode_error)?;
                    e.include_checksum(true).map_err(encode_error)?;
                    e.set_pledged_src_size(size).map_err(encode_error)?;
                    if size.is_none() && level >= ZSTD_LARGE_WINDOW_LEVEL {
                        use zstd::stream::raw::CParameter;
                        for p in [
                            CParameter::WindowLog(ZSTD_STREAM_WINDOW_LOG),
                            CParameter::ChainLog(ZSTD_STREAM_CHAIN_LOG),
                            CParameter::HashLog(ZSTD_STREAM_HASH_LOG),
                        ] {
                            e.set_parameter(p).map_err(encode_error)?;
                        }
                    }
                    Enc::Zstd(e)
                }
                // With a content checksum, so that corruption is detected on decode.
                Format::Lz4 => Enc::Lz4(lz4_flex::frame::FrameEncoder::with_frame_info(
                    lz4_flex::frame::FrameInfo::new().content_checksum(true),
                    Vec::new(),
                )),
            },
            Vec::new(),
        ))
    }

    fn sink(&mut self) -> &mut Vec<u8> {
        match &mut self.0 {
            Enc::Gzip(e) => e.get_mut(),
            Enc::Deflate(e) => e.get_mut(),
            Enc::DeflateRaw(e) => e.get_mut(),
            Enc::Brotli(e) => e.get_mut(),
            Enc::Zstd(e) => e.get_mut(),
            Enc::Lz4(e) => e.get_mut(),
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.0 {
            Enc::Gzip(e) => e,
            Enc::Deflate(e) => e,
            Enc::DeflateRaw(e) => e,
            Enc::Brotli(e) => e.as_mut(),
            Enc::Zstd(e) => e,
            Enc::Lz4(e) => e,
        }
    }

    /// Compresses `data`, keeping the output in the encoder (`finish` returns all of it).
    fn feed(&mut self, data: &[u8], task: &TaskState) -> Result<()> {
        for chunk in data.chunks(ENCODE_CHUNK) {
            task.checkpoint()?;
            self.writer().write_all(chunk).map_err(encode_error)?;
        }
        Ok(())
    }

    /// Compresses `data`; returns the compressed bytes ready so far (possibly none).
    pub fn push(&mut self, data: &[u8], task: &TaskState) -> Result<Vec<u8>> {
        if self.1.len() + data.len() < GATHER {
            self.1.extend_from_slice(data);
            return Ok(Vec::new());
        }
        let gathered = std::mem::take(&mut self.1);
        self.feed(&gathered, task)?;
        self.feed(data, task)?;
        Ok(std::mem::take(self.sink()))
    }

    /// Compresses what `push` gathered, then flushes the encoder so that the output so far
    /// decodes to every byte pushed: zlib's `Z_SYNC_FLUSH` (gzip, deflate), brotli's
    /// `BROTLI_OPERATION_FLUSH`, zstd's `ZSTD_e_flush`, LZ4's current block. Returns the
    /// compressed bytes ready (all of them). Each flush ends a block: a few bytes and some ratio
    /// per call (zlib's empty stored block is 5 bytes), so flush only when a reader is waiting.
    pub fn flush(&mut self, task: &TaskState) -> Result<Vec<u8>> {
        let gathered = std::mem::take(&mut self.1);
        self.feed(&gathered, task)?;
        self.writer().flush().map_err(encode_error)?;
        Ok(std::mem::take(self.sink()))
    }

    /// Ends the stream; returns the remaining compressed bytes.
    pub fn finish(mut self) -> Result<Vec<u8>> {
        let gathered = std::mem::take(&mut self.1);
        if !gathered.is_empty() {
            self.writer().write_all(&gathered).map_err(encode_error)?;
        }
        match self.0 {
            Enc::Gzip(e) => e.finish(),
            Enc::Deflate(e) => e.finish(),
            Enc::DeflateRaw(e) => e.finish(),
            Enc::Brotli(e) => e.into_inner().map_err(|e| io::Error::other(e.to_string())),
            Enc::Zstd(e) => e.finish(),
            Enc::Lz4(e) => e.finish().map_err(io::Error::other),
        }
        .map_err(encode_error)
    }
}

/// Compresses several slices, taken as one stream, into one buffer (the encoder's own: the
/// output is never copied).
pub fn compress(
    format: Format,
    level: Option<i32>,
    parts: &[&[u8]],
    task: &TaskState,
) -> Result<Vec<u8>> {
    let total = parts.iter().map(|p| p.len() as u64).sum();
    let mut enc = Encoder::with_size(format, level, Some(total))?;
    for p in parts {
        enc.feed(p, task)?;
    }
    // The last block is compressed in `finish`: not worth starting if the task was aborted.
    task.checkpoint()?;
    enc.finish()
}
