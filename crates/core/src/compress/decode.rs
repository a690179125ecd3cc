//! Decompression: the streaming `Decoder` (gzip members, zlib, raw deflate, brotli, zstd, LZ4
//! frames) behind an output cap (`Limited`), and one-shot `decompress`. Cancellation is checked
//! between input chunks and as the output grows.

use super::{encode_error, lz4, Format, CHUNK};
use crate::pool::TaskState;
use crate::{Error, ErrorKind, Result};
use std::cell::Cell;
use std::io::{self, Write};
use std::marker::PhantomData;

/// A `Write` sink that refuses to grow past `max` bytes in total.
struct Limited {
    buf: Vec<u8>,
    total: u64,
    max: u64,
}

const TOO_LARGE: &str = "offthread: output limit";
const ABORTED: &str = "offthread: aborted";

thread_local! {
    /// The task decoding on this thread, polled by `Limited` before each write: a small input
    /// that expands a lot (a bomb) produces its output without reaching an input checkpoint.
    static DECODING: Cell<*const TaskState> = const { Cell::new(std::ptr::null()) };
}

/// Publishes a task to `Limited` on this thread for as long as it lives (it borrows the task).
struct Decoding<'a>(PhantomData<&'a TaskState>);

impl<'a> Decoding<'a> {
    fn enter(task: &'a TaskState) -> Decoding<'a> {
        DECODING.with(|c| c.set(task));
        Decoding(PhantomData)
    }
}

impl Drop for Decoding<'_> {
    fn drop(&mut self) {
        DECODING.with(|c| c.set(std::ptr::null()));
    }
}

fn decoding_cancelled() -> bool {
    DECODING.with(|c| {
        let task = c.get();
        // SAFETY: non-null only while a `Decoding` lives, and it borrows the task.
        !task.is_null() && unsafe { (*task).is_cancelled() }
    })
}

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if decoding_cancelled() {
            return Err(io::Error::other(ABORTED));
        }
        if self.total + data.len() as u64 > self.max {
            return Err(io::Error::other(TOO_LARGE));
        }
        self.total += data.len() as u64;
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// gzip members one after another, read as node:zlib reads them: after a complete member, a zero
/// byte ends the stream and whatever follows is ignored (padding, e.g. of tape blocks); any other
/// byte starts another member.
struct GzMembers {
    member: flate2::write::GzDecoder<Limited>,
    /// Set once padding was seen: the rest of the input is ignored.
    padded: bool,
}

impl GzMembers {
    fn new(sink: Limited) -> GzMembers {
        GzMembers {
            member: flate2::write::GzDecoder::new(sink),
            padded: false,
        }
    }
}

impl Write for GzMembers {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.padded || buf.is_empty() {
            return Ok(buf.len());
        }
        match self.member.write(buf)? {
            // The member (trailer included) is complete and consumed nothing more.
            0 if buf[0] == 0 => {
                self.padded = true;
                Ok(buf.len())
            }
            0 => {
                let placeholder = flate2::write::GzDecoder::new(Limited {
                    buf: Vec::new(),
                    total: 0,
                    max: 0,
                });
                let sink = std::mem::replace(&mut self.member, placeholder).finish()?;
                self.member = flate2::write::GzDecoder::new(sink);
                self.member.write(buf)
            }
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.member.flush()
    }
}

enum Dec {
    Gzip(GzMembers),
    Deflate(flate2::write::ZlibDecoder<Limited>),
    DeflateRaw(flate2::write::DeflateDecoder<Limited>),
    Brotli(Box<brotli::DecompressorWriter<Limited>>),
    /// Streams (`Decoder::streaming`): Google's decoder hands out everything a flushed prefix
    /// holds as soon as it arrives; the pure-Rust one keeps part of it until more input comes.
    BrotliStream(Box<brotlic::DecompressorWriter<Limited>>),
    Zstd(Box<zstd::stream::raw::Decoder<'static>>, Limited, ZstdFrame),
    /// LZ4 frames, decoded block by block as they arrive.
    Lz4(Box<lz4::Lz4Decoder>, Limited),
}

/// A streaming decompressor with an output cap. `push` returns what was decoded so far.
pub struct Decoder {
    dec: Dec,
    max: u64,
}

/// True when `e` (or the error it wraps) carries `marker`.
fn carries(e: &io::Error, marker: &str) -> bool {
    e.to_string().contains(marker)
        || e.get_ref()
            .is_some_and(|inner| inner.to_string().contains(marker))
}

fn decode_error(e: io::Error, max: u64) -> Error {
    if carries(&e, ABORTED) {
        Error::aborted()
    } else if carries(&e, TOO_LARGE) {
        Error::new(
            ErrorKind::BufferTooLarge,
            format!("Decompressed output exceeds maxOutputLength ({max} bytes)"),
        )
    } else {
        Error::new(
            ErrorKind::Decompress,
            format!("Invalid or corrupt compressed data: {e}"),
        )
    }
}

impl Decoder {
    /// A decompressor for a stream that arrives in pieces (`createDecompress`): as `new`, but
    /// brotli is decoded by Google's library, which hands out all that a sender's flush made
    /// decodable.
    pub fn streaming(format: Format, max_output: u64) -> Result<Decoder> {
        let mut decoder = Decoder::new(format, max_output)?;
        if format == Format::Brotli {
            decoder.dec = Dec::BrotliStream(Box::new(brotlic::DecompressorWriter::new(Limited {
                buf: Vec::new(),
                total: 0,
                max: max_output,
            })));
        }
        Ok(decoder)
    }

    /// A decompressor for `format` producing at most `max_output` bytes in all.
    pub fn new(format: Format, max_output: u64) -> Result<Decoder> {
        let sink = || Limited {
            buf: Vec::new(),
            total: 0,
            max: max_output,
        };
        let dec = match format {
            Format::Gzip => Dec::Gzip(GzMembers::new(sink())),
            Format::Deflate => Dec::Deflate(flate2::write::ZlibDecoder::new(sink())),
            Format::DeflateRaw => Dec::DeflateRaw(flate2::write::DeflateDecoder::new(sink())),
            Format::Brotli => {
                Dec::Brotli(Box::new(brotli::DecompressorWriter::new(sink(), 64 * 1024)))
            }
            Format::Zstd => Dec::Zstd(
                Box::new(zstd::stream::raw::Decoder::new().map_err(encode_error)?),
                sink(),
                ZstdFrame::default(),
            ),
            Format::Lz4 => Dec::Lz4(Box::default(), sink()),
        };
        Ok(Decoder {
            dec,
            max: max_output,
        })
    }

    fn sink(&mut self) -> &mut Limited {
        match &mut self.dec {
            Dec::Gzip(d) => d.member.get_mut(),
            Dec::Deflate(d) => d.get_mut(),
            Dec::DeflateRaw(d) => d.get_mut(),
            Dec::Brotli(d) => d.get_mut(),
            Dec::BrotliStream(d) => d.get_mut(),
            Dec::Zstd(_, s, _) | Dec::Lz4(_, s) => s,
        }
    }

    /// Decodes `data`; returns the bytes decoded so far: all that the input received makes
    /// decodable (the end of a sender's flush included), not only what the decoder let out.
    pub fn push(&mut self, data: &[u8], task: &TaskState) -> Result<Vec<u8>> {
        self.feed(data, task)?;
        // flate2's writers keep their last output until the next write; a sync flush hands it out.
        let _decoding = Decoding::enter(task);
        let max = self.max;
        match &mut self.dec {
            Dec::Gzip(d) => d.flush(),
            Dec::Deflate(d) => d.flush(),
            Dec::DeflateRaw(d) => d.flush(),
            Dec::Brotli(_) | Dec::BrotliStream(_) | Dec::Zstd(..) | Dec::Lz4(..) => Ok(()),
        }
        .map_err(|e| decode_error(e, max))?;
        Ok(std::mem::take(&mut self.sink().buf))
    }

    /// Decodes `data`, keeping the output in the decoder (`finish` returns all of it).
    fn feed(&mut self, data: &[u8], task: &TaskState) -> Result<()> {
        let _decoding = Decoding::enter(task);
        let max = self.max;
        for chunk in data.chunks(CHUNK) {
            task.checkpoint()?;
            let r = match &mut self.dec {
                Dec::Gzip(d) => d.write_all(chunk),
                Dec::Deflate(d) => d.write_all(chunk),
                Dec::DeflateRaw(d) => d.write_all(chunk),
                Dec::Brotli(d) => d.write_all(chunk),
                Dec::BrotliStream(d) => d.write_all(chunk),
                Dec::Zstd(d, sink, frame) => zstd_run(d, sink, frame, chunk),
                Dec::Lz4(d, sink) => d.push(chunk, sink, &mut || {
                    if task.is_cancelled() {
                        Err(io::Error::other(ABORTED))
                    } else {
                        Ok(())
                    }
                }),
            };
            r.map_err(|e| decode_error(e, max))?;
        }
        Ok(())
    }

    /// Ends the stream: an error if it was truncated. Returns the remaining bytes.
    pub fn finish(self, task: &TaskState) -> Result<Vec<u8>> {
        let _decoding = Decoding::enter(task);
        let max = self.max;
        let err = |e| decode_error(e, max);
        let sink = match self.dec {
            Dec::Gzip(d) => d.member.finish().map_err(err)?,
            Dec::Deflate(d) => d.finish().map_err(err)?,
            Dec::DeflateRaw(d) => d.finish().map_err(err)?,
            Dec::Brotli(mut d) => {
                d.close().map_err(err)?;
                d.into_inner()
                    .map_err(|_| Error::new(ErrorKind::Decompress, "Truncated brotli stream"))?
            }
            Dec::BrotliStream(d) => d
                .into_inner()
                .map_err(|_| Error::new(ErrorKind::Decompress, "Truncated brotli stream"))?,
            Dec::Zstd(_, sink, frame) => {
                // zstd answers 0 exactly when the last frame is complete and flushed.
                if frame.hint != 0 {
                    return Err(Error::new(ErrorKind::Decompress, "Truncated zstd stream"));
                }
                sink
            }
            Dec::Lz4(d, sink) => {
                d.finish().map_err(err)?;
                sink
            }
        };
        Ok(sink.buf)
    }
}

/// Where a zstd stream stands: zstd's last hint (0 once a frame is complete) and the current
/// frame's header and decoded length. libzstd decodes a frame in one pass when it arrives whole
/// and refuses one whose output differs from its declared content size; its streaming path
/// skips that check when the last block is empty, so split input would accept what whole
/// input refuses (found by the decompress fuzz target). The check is made here for both.
struct ZstdFrame {
    hint: usize,
    /// The frame's first bytes, until its header can be read.
    header: Vec<u8>,
    /// The declared content size once the header was read (`Some(None)`: not declared).
    declared: Option<Option<u64>>,
    decoded: u64,
}

impl Default for ZstdFrame {
    fn default() -> Self {
        ZstdFrame {
            // Non-zero: an input without any frame (empty) is truncated.
            hint: 1,
            header: Vec::new(),
            declared: None,
            decoded: 0,
        }
    }
}

impl ZstdFrame {
    /// The longest frame header (ZSTD_FRAMEHEADERSIZE_MAX).
    const MAX_HEADER: usize = 18;

    /// Keeps the bytes at the start of `input` while the current frame's header is incomplete.
    fn read_header(&mut self, input: &[u8]) {
        if self.declared.is_some() {
            return;
        }
        let take = (Self::MAX_HEADER - self.header.len()).min(input.len());
        self.header.extend_from_slice(&input[..take]);
        match zstd::zstd_safe::get_frame_content_size(&self.header) {
            Ok(size) => self.declared = Some(size),
            // Not a header: libzstd refuses it itself.
            Err(_) if self.header.len() == Self::MAX_HEADER => self.declared = Some(None),
            Err(_) => {}
        }
    }

    /// Closes the frame zstd just completed: an error if it decoded another length than declared.
    fn end(&mut self) -> io::Result<()> {
        let declared = self.declared.take().flatten();
        let decoded = std::mem::take(&mut self.decoded);
        self.header.clear();
        match declared {
            Some(n) if n != decoded => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a zstd frame declares {n} bytes and holds {decoded}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Feeds `input` to a zstd decoder, writing everything it produces into `sink`.
fn zstd_run(
    d: &mut zstd::stream::raw::Decoder<'static>,
    sink: &mut Limited,
    frame: &mut ZstdFrame,
    input: &[u8],
) -> io::Result<()> {
    use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
    let mut src = InBuffer::around(input);
    let mut buf = vec![0u8; 128 * 1024];
    frame.read_header(input);
    loop {
        let mut dst = OutBuffer::around(&mut buf[..]);
        // One call never goes past the end of a frame.
        frame.hint = d.run(&mut src, &mut dst)?;
        let produced = dst.pos();
        sink.write_all(&buf[..produced])?;
        frame.decoded += produced as u64;
        if frame.hint == 0 {
            frame.end()?;
            // The next frame, if it starts in this input.
            frame.read_header(&input[src.pos()..]);
        }
        // Done with this input once zstd has nothing more to flush: the buffer was not filled,
        // or the frame is complete (0). Calling again after a 0 would open a next frame and
        // turn the hint non-zero, as if the input were truncated.
        if src.pos() >= input.len() && (produced < buf.len() || frame.hint == 0) {
            return Ok(());
        }
    }
}

/// Decompresses several slices, taken as one stream, refusing to produce more than `max_output`.
/// The output is gathered in one buffer and never copied, so memory peaks near `max_output`.
pub fn decompress(
    format: Format,
    max_output: u64,
    parts: &[&[u8]],
    task: &TaskState,
) -> Result<Vec<u8>> {
    let mut dec = Decoder::new(format, max_output)?;
    for p in parts {
        dec.feed(p, task)?;
    }
    dec.finish(task)
}
