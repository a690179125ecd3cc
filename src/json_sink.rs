//! `JsonSink`: stringifyJson's output, gathered outside V8's heap. Text pushed from JS is encoded
//! into Rust memory that V8 neither owns nor counts, so a 50 MB result growing during the walk does
//! not start a full garbage collection (whose pause, with the value itself live, is tens of ms);
//! the pieces are joined into one Buffer on the pool at the end.

use crate::schedule::{self, Ticket};
use crate::values::Output;
use napi::bindgen_prelude::Uint8Array;
use napi::{sys, Env, JsString, JsValue};
use napi_derive::napi;
use offthread_core::json::SINK_CHUNK_BYTES;
use std::ptr;

/// UTF-8 text gathered in chunks (never reallocated: no large copy on the JS thread).
#[napi]
pub struct JsonSink {
    chunks: Vec<Vec<u8>>,
    length: usize,
}

#[napi]
impl JsonSink {
    #[napi(constructor)]
    pub fn new() -> Self {
        JsonSink {
            chunks: Vec::new(),
            length: 0,
        }
    }

    /// Room for `n` more bytes in the last chunk (a new chunk when it is full).
    fn room(&mut self, n: usize) -> &mut Vec<u8> {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= n);
        if !fits {
            self.chunks
                .push(Vec::with_capacity(n.max(SINK_CHUNK_BYTES)));
        }
        let last = self.chunks.len() - 1;
        &mut self.chunks[last]
    }

    /// Appends `text` as UTF-8 (as `Buffer.from(text)` encodes it). Returns the bytes added.
    #[napi]
    pub fn push(&mut self, env: Env, text: JsString) -> napi::Result<u32> {
        let (env, value) = (env.raw(), text.raw());
        let mut n = 0usize;
        // SAFETY: on the JS thread of `env`; a NULL buffer asks for the length only.
        napi::check_status!(unsafe {
            sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut n)
        })?;
        let chunk = self.room(n + 1);
        let at = chunk.len();
        let mut written = 0usize;
        // SAFETY: `room` reserved n + 1 bytes past `at` (the terminating NUL is written, not kept);
        // napi writes at most n bytes plus the NUL and reports n.
        unsafe {
            napi::check_status!(sys::napi_get_value_string_utf8(
                env,
                value,
                chunk.as_mut_ptr().add(at).cast(),
                n + 1,
                &mut written,
            ))?;
            chunk.set_len(at + written);
        }
        self.length += written;
        u32::try_from(written).map_err(|_| napi::Error::from_reason("text too long"))
    }

    /// Appends bytes as they are.
    #[napi]
    pub fn push_bytes(&mut self, bytes: Uint8Array) {
        let n = bytes.len();
        self.room(n).extend_from_slice(&bytes);
        self.length += n;
    }

    /// Bytes gathered so far.
    #[napi(getter)]
    pub fn length(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let n = self.length as f64;
        n
    }
}

impl Default for JsonSink {
    fn default() -> Self {
        Self::new()
    }
}

/// Queues the joining of `sink`'s text into one Buffer on the pool (the sink is left empty).
/// Returns an admission code.
#[napi(catch_unwind)]
pub fn json_sink_finish(env: Env, ticket: Ticket, sink: &mut JsonSink) -> napi::Result<u32> {
    let chunks = std::mem::take(&mut sink.chunks);
    sink.length = 0;
    schedule::submit(
        &env,
        ticket,
        Box::new(move |_task| {
            let mut chunks = chunks.into_iter();
            let mut out = chunks.next().unwrap_or_default();
            out.reserve(chunks.as_slice().iter().map(Vec::len).sum());
            for c in chunks {
                out.extend_from_slice(&c);
            }
            Ok(Output::Bytes(out))
        }),
    )
}
