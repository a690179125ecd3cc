//! A streaming LZ4 frame decoder (the frame format of lz4 and `lz4_flex::frame`): input is taken
//! in any pieces, each complete block is decoded as soon as it has arrived and its output leaves
//! at once, so memory is one block (at most 4 MiB) plus the 64 KiB window of linked blocks, and
//! an output cap stops a bomb at the block that crosses it. Blocks are decoded by lz4_flex; the
//! frame structure, the checksums (xxHash-32) and the declared content size are checked here.

use std::io::{self, Write};
use xxhash_rust::xxh32::{xxh32, Xxh32};

const MAGIC: u32 = 0x184D_2204;
/// Skippable frames: magics 0x184D2A50 to 0x184D2A5F.
const SKIPPABLE: u32 = 0x184D_2A50;
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
/// How far back a linked block may refer.
const WINDOW: usize = 64 * 1024;

/// What the decoder expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    /// A frame's magic number (or the end of the input).
    Magic,
    /// The rest of a skippable frame.
    Skip(u64),
    /// A normal frame's descriptor (after the magic).
    Descriptor,
    /// A block size word, or the end mark.
    Block,
    /// The content checksum after the end mark.
    ContentChecksum,
}

/// The current frame's settings.
#[derive(Default)]
struct Frame {
    independent: bool,
    block_checksum: bool,
    content_checksum: bool,
    declared_size: Option<u64>,
    block_max: usize,
    decoded: u64,
    hasher: Option<Xxh32>,
    /// The last WINDOW bytes of output, for linked blocks.
    window: Vec<u8>,
}

/// Decodes LZ4 frames pushed in pieces, writing each block's output as it completes.
pub struct Lz4Decoder {
    pending: Vec<u8>,
    next: Next,
    frame: Frame,
    frames: u64,
    block: Vec<u8>,
}

fn corrupt(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("LZ4: {why}"))
}

fn u32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

impl Default for Lz4Decoder {
    fn default() -> Self {
        Lz4Decoder {
            pending: Vec::new(),
            next: Next::Magic,
            frame: Frame::default(),
            frames: 0,
            block: Vec::new(),
        }
    }
}

impl Lz4Decoder {
    /// Takes `data` and writes out the output of every block it completes. `between` runs before
    /// each block (a cancellation check).
    pub fn push(
        &mut self,
        data: &[u8],
        out: &mut impl Write,
        between: &mut impl FnMut() -> io::Result<()>,
    ) -> io::Result<()> {
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(data);
        let mut at = 0;
        let result = loop {
            match self.step(&pending[at..], out, between) {
                Ok(Some(used)) => at += used,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        pending.drain(..at);
        self.pending = pending;
        result
    }

    /// Ends the input: an error unless it held one or more complete frames.
    pub fn finish(&self) -> io::Result<()> {
        if self.next != Next::Magic || !self.pending.is_empty() || self.frames == 0 {
            return Err(corrupt("truncated or malformed frame"));
        }
        Ok(())
    }

    /// Decodes one unit at the start of `input` (the pending bytes); returns the bytes it used,
    /// or `None` until more input arrives.
    fn step(
        &mut self,
        input: &[u8],
        out: &mut impl Write,
        between: &mut impl FnMut() -> io::Result<()>,
    ) -> io::Result<Option<usize>> {
        match self.next {
            Next::Magic => {
                if input.len() < 4 {
                    return Ok(None);
                }
                let magic = u32_le(input);
                if magic & SKIPPABLE_MASK == SKIPPABLE {
                    if input.len() < 8 {
                        return Ok(None);
                    }
                    self.next = Next::Skip(u64::from(u32_le(&input[4..])));
                    return Ok(Some(8));
                }
                if magic != MAGIC {
                    return Err(corrupt("not an LZ4 frame"));
                }
                self.next = Next::Descriptor;
                Ok(Some(4))
            }
            Next::Skip(left) => {
                if left == 0 {
                    self.next = Next::Magic;
                    return Ok(Some(0));
                }
                let take = usize::try_from(left).map_or(input.len(), |l| l.min(input.len()));
                if take == 0 {
                    return Ok(None);
                }
                self.next = Next::Skip(left - take as u64);
                Ok(Some(take))
            }
            Next::Descriptor => self.descriptor(input),
            Next::Block => self.block(input, out, between),
            Next::ContentChecksum => {
                if input.len() < 4 {
                    return Ok(None);
                }
                let stored = u32_le(input);
                let computed = self.frame.hasher.take().map(|h| h.digest());
                if computed != Some(stored) {
                    return Err(corrupt("content checksum mismatch"));
                }
                self.end_frame()?;
                Ok(Some(4))
            }
        }
    }

    fn descriptor(&mut self, input: &[u8]) -> io::Result<Option<usize>> {
        if input.len() < 2 {
            return Ok(None);
        }
        let (flg, bd) = (input[0], input[1]);
        if flg >> 6 != 0b01 || flg & 0b10 != 0 || bd & 0b1000_1111 != 0 {
            return Err(corrupt("unsupported version or reserved bits set"));
        }
        if flg & 0b1 != 0 {
            return Err(corrupt("frames that need a dictionary are not supported"));
        }
        let content_size = flg & 0b1000 != 0;
        let len = 2 + if content_size { 8 } else { 0 } + 1;
        if input.len() < len {
            return Ok(None);
        }
        // The header checksum: the second byte of xxHash-32 over the descriptor.
        let [_, check, ..] = xxh32(&input[..len - 1], 0).to_le_bytes();
        if check != input[len - 1] {
            return Err(corrupt("header checksum mismatch"));
        }
        let block_max = match (bd >> 4) & 0b111 {
            4 => 64 << 10,
            5 => 256 << 10,
            6 => 1 << 20,
            7 => 4 << 20,
            _ => return Err(corrupt("invalid block maximum size")),
        };
        let content_checksum = flg & 0b100 != 0;
        self.frame = Frame {
            independent: flg & 0b10_0000 != 0,
            block_checksum: flg & 0b1_0000 != 0,
            content_checksum,
            declared_size: content_size.then(|| {
                u64::from_le_bytes([
                    input[2], input[3], input[4], input[5], input[6], input[7], input[8], input[9],
                ])
            }),
            block_max,
            decoded: 0,
            hasher: content_checksum.then(|| Xxh32::new(0)),
            window: Vec::new(),
        };
        self.next = Next::Block;
        Ok(Some(len))
    }

    fn block(
        &mut self,
        input: &[u8],
        out: &mut impl Write,
        between: &mut impl FnMut() -> io::Result<()>,
    ) -> io::Result<Option<usize>> {
        if input.len() < 4 {
            return Ok(None);
        }
        let word = u32_le(input);
        if word == 0 {
            if self.frame.content_checksum {
                self.next = Next::ContentChecksum;
            } else {
                self.end_frame()?;
            }
            return Ok(Some(4));
        }
        let stored = word & 0x8000_0000 != 0;
        let size = (word & 0x7FFF_FFFF) as usize;
        if size > self.frame.block_max {
            return Err(corrupt("block larger than the frame's maximum"));
        }
        let checksum = if self.frame.block_checksum { 4 } else { 0 };
        let len = 4 + size + checksum;
        if input.len() < len {
            return Ok(None);
        }
        between()?;
        let data = &input[4..4 + size];
        if checksum > 0 && xxh32(data, 0) != u32_le(&input[4 + size..]) {
            return Err(corrupt("block checksum mismatch"));
        }
        let decoded: &[u8] = if stored {
            data
        } else {
            self.block.resize(self.frame.block_max, 0);
            let dict: &[u8] = if self.frame.independent {
                &[]
            } else {
                &self.frame.window
            };
            let n = lz4_flex::block::decompress_into_with_dict(data, &mut self.block, dict)
                .map_err(|e| corrupt(&e.to_string()))?;
            &self.block[..n]
        };
        self.frame.decoded += decoded.len() as u64;
        if let Some(h) = self.frame.hasher.as_mut() {
            h.update(decoded);
        }
        if !self.frame.independent {
            let w = &mut self.frame.window;
            w.extend_from_slice(decoded);
            if w.len() > WINDOW {
                w.drain(..w.len() - WINDOW);
            }
        }
        out.write_all(decoded)?;
        Ok(Some(len))
    }

    fn end_frame(&mut self) -> io::Result<()> {
        if let Some(size) = self.frame.declared_size {
            if size != self.frame.decoded {
                return Err(corrupt(
                    "content size differs from the frame's declared size",
                ));
            }
        }
        self.frames += 1;
        self.next = Next::Magic;
        self.frame = Frame::default();
        Ok(())
    }
}
