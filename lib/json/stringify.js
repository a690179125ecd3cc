'use strict'
// stringifyJson: the bytes of JSON.stringify(value, replacer, space) without a long event-loop stall.
//
// V8 objects can only be read on their own thread, so the walk (lib/json/walk.js) stays on the loop; it is
// split into turns of about `sliceMs`, with setImmediate between them. Output strings are encoded to UTF-8
// chunks of about `stringifyChunkBytes` as they come; the stream form pushes them (only while the
// consumer reads), the Promise form collects them (past stringifySinkFromBytes in a native sink, joined
// on the pool). Compression runs on the pool (lib/bytes.js createCompress), overlapping the walk.
// sendJson (lib/json/send.js) builds on the same pieces.

const { Readable } = require('node:stream')
const { pipeline } = require('node:stream/promises')
const native = require('../native')
const scheduler = require('../scheduler')
const bytes = require('../bytes')
const { abortError, invalidType } = require('../errors')
const v = require('../validate')
const { Walker, propertyList, gapOf } = require('./walk')

/** Core's JSON policy: sliceBytes, sliceMs, stringifyChunkBytes, stringifySinkFromBytes (src/json.rs). */
const J = native.policy.json
const CHUNK_BYTES = J.stringifyChunkBytes
const SINK_FROM = J.stringifySinkFromBytes
/** The most UTF-8 bytes one UTF-16 code unit becomes (U+FFFF: 3). */
const UTF8_PER_UNIT = Buffer.byteLength('\uFFFF')

/** `compress` values → offthread's compression formats (HTTP content-coding names, as in the issue). */
const FORMATS = { gzip: 'gzip', br: 'brotli', zstd: 'zstd', deflate: 'deflate' }
const KEYS = new Set(['replacer', 'space', 'sliceMs', 'sliceBytes', 'compress', 'level', 'signal', 'executor'])

const now = () => performance.now()

function turn () {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * Encodes the output strings to UTF-8 chunks of about `chunkBytes` and hands them to `onChunk`. Each
 * string is written into the current chunk as it comes (never joined first: a joined 64 Ki-character
 * string would be a large object, allocated in V8's old generation); a string larger than a chunk is a
 * chunk of its own.
 */
class Output {
  constructor (chunkBytes, onChunk) {
    this.chunkBytes = chunkBytes
    this.onChunk = onChunk
    this.buf = undefined
    this.off = 0
    this.bytes = 0
    // The first string of a chunk waits here: a small value is one string, encoded alone by flush()
    // (Buffer.from, from Node's pool) instead of into a fresh chunk.
    this.first = undefined
  }

  write (s) {
    let buf = this.buf
    if (buf === undefined) {
      if (this.first === undefined) {
        this.first = s
        return
      }
      const first = this.first
      this.first = undefined
      buf = this.buf = Buffer.allocUnsafe(this.chunkBytes)
      this.write(first)
      buf = this.buf
    }
    if (this.off + s.length * UTF8_PER_UNIT > buf.length) {
      const n = Buffer.byteLength(s, 'utf8')
      if (this.off + n > buf.length) {
        this.flush()
        if (n > this.chunkBytes) {
          this.bytes += n
          this.onChunk(Buffer.from(s, 'utf8'))
          return
        }
        buf = this.buf = Buffer.allocUnsafe(this.chunkBytes)
      }
    }
    this.off += buf.write(s, this.off)
  }

  flush () {
    if (this.first !== undefined) {
      const chunk = Buffer.from(this.first, 'utf8')
      this.first = undefined
      this.bytes += chunk.length
      this.onChunk(chunk)
      return
    }
    if (this.off === 0) return
    const chunk = this.buf.subarray(0, this.off)
    this.buf = undefined
    this.bytes += this.off
    this.off = 0
    this.onChunk(chunk)
  }
}

/**
 * The Promise form's output. The first `stringifySizeFromBytes` go to chunks (a small result stays one
 * of Node's Buffers). Past that, the text goes to a native JsonSink: memory outside V8's heap, which V8
 * does not count, so a result growing to tens of MB does not start a full garbage collection mid-walk
 * (its pause, with the value itself live, is tens of ms); the sink's pieces are joined on the pool.
 */
class SinkOutput {
  constructor () {
    this.chunks = []
    this.bytes = 0
    this.sink = undefined
    this.pending = new Output(CHUNK_BYTES, (b) => {
      this.chunks.push(b)
      this.bytes += b.length
    })
  }

  write (s) {
    if (this.sink === undefined) {
      if (this.bytes < SINK_FROM) return this.pending.write(s)
      this.pending.flush()
      this.sink = new native.JsonSink()
      for (const c of this.chunks) this.sink.pushBytes(c)
      this.chunks = []
    }
    this.bytes += this.sink.push(s)
  }

  flush () {
    if (this.sink === undefined) this.pending.flush()
  }

  /** The whole text as one Buffer. */
  result (p) {
    if (this.sink === undefined) return concat(this.chunks, this.bytes, p.sliceMs, p.task.signal)
    const sink = this.sink
    this.sink = undefined
    return scheduler.run((t) => native.jsonSinkFinish(t, sink), p.task)
  }
}


/** Validated options: the walk's spec, the turn budget, compression, the task options. */
function parseOptions (options, extraKeys) {
  const o = v.knownKeys('options', v.options(options), extraKeys === undefined ? KEYS : new Set([...KEYS, ...extraKeys]))
  const sliceMs = v.optInt('sliceMs', o.sliceMs, J.sliceMs.min, J.sliceMs.max) ?? J.sliceMs.default
  const sliceBytes = v.optInt('sliceBytes', o.sliceBytes, J.sliceBytes.min, J.sliceBytes.max) ?? J.stringifySliceBytes
  const task = scheduler.taskOptions(o)
  let format
  let level
  if (o.compress !== undefined && o.compress !== false) {
    format = FORMATS[v.oneOf('compress', o.compress, Object.keys(FORMATS))]
    const { min, max } = bytes.LEVELS[format]
    level = v.optInt('level', o.level, min, max)
  } else if (o.level !== undefined) {
    throw invalidType('compress', 'one of: gzip, br, zstd, deflate when level is given', o.compress)
  }
  // replacer and space are taken as JSON.stringify takes them: other types are ignored, as there.
  const replacer = o.replacer
  const spec = {
    replacerFn: typeof replacer === 'function' ? replacer : undefined,
    list: typeof replacer !== 'function' && Array.isArray(replacer) ? propertyList(replacer) : undefined,
    gap: undefined,
    sliceBytes
  }
  spec.gap = gapOf(o.space) // after the property list, as JSON.stringify's steps go
  return { o, spec, sliceMs, task, format, level }
}

/**
 * The raw text as a byte stream. Each turn of the event loop walks for up to `sliceMs`; the walk pauses
 * while the consumer does not read (push() returned false) and resumes in `_read`. `early`: chunks
 * already produced by the walker (sendJson's first turn), pushed first.
 */
class JsonReadable extends Readable {
  constructor (walker, sliceMs, signal, early = []) {
    super({ highWaterMark: CHUNK_BYTES })
    this._walker = walker
    walker.out.onChunk = (buf) => { if (!this.push(buf)) this._full = true }
    for (const buf of early) this.push(buf)
    this._sliceMs = sliceMs
    this._signal = signal
    this._full = false
    this._scheduled = false
    this._turnBound = () => this._turn()
    if (signal !== undefined) {
      this._onAbort = () => this.destroy(abortError(signal))
      signal.addEventListener('abort', this._onAbort, { once: true })
    }
    if (walker.done) this.push(null)
  }

  /** True once the walk found that JSON.stringify would return undefined (the stream then ends empty). */
  get undefinedResult () {
    return this._walker.undefinedResult
  }

  _read () {
    this._full = false
    if (this._scheduled || this._walker.done) return
    this._scheduled = true
    setImmediate(this._turnBound)
  }

  _turn () {
    this._scheduled = false
    if (this.destroyed) return
    if (this._signal !== undefined && this._signal.aborted) return this.destroy(abortError(this._signal))
    const w = this._walker
    const deadline = now() + this._sliceMs
    try {
      do w.step(); while (!w.done && !this._full && now() < deadline)
    } catch (err) {
      this.destroy(err)
      return
    }
    if (w.done) {
      this.push(null)
    } else if (!this._full) {
      this._scheduled = true
      setImmediate(this._turnBound)
    }
  }

  _destroy (err, callback) {
    if (this._onAbort !== undefined) this._signal.removeEventListener('abort', this._onAbort)
    callback(err)
  }
}

function newWalker (value, spec) {
  return new Walker(value, spec, new Output(CHUNK_BYTES, undefined))
}

/** The text stream, compressed on the pool when a format is given. */
function textStream (value, p) {
  const raw = new JsonReadable(newWalker(value, p.spec), p.sliceMs, p.task.signal)
  if (p.format === undefined) return { raw, out: raw }
  const comp = bytes.createCompress({ format: p.format, level: p.level, signal: p.task.signal, executor: p.o.executor })
  pipeline(raw, comp).catch(() => {}) // errors reach the consumer through `comp` (pipeline destroys it with them)
  return { raw, out: comp }
}

/** Concatenates `chunks` into one Buffer, copying for at most `sliceMs` per turn. */
async function concat (chunks, total, sliceMs, signal) {
  if (chunks.length === 1) return chunks[0]
  const out = Buffer.allocUnsafe(total)
  let offset = 0
  let deadline = now() + sliceMs
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i], offset)
    offset += chunks[i].length
    chunks[i] = undefined
    if (now() >= deadline && i + 1 < chunks.length) {
      await turn()
      if (signal !== undefined && signal.aborted) throw abortError(signal)
      deadline = now() + sliceMs
    }
  }
  return out
}

/**
 * `Buffer.from(JSON.stringify(value, replacer, space))`, produced on the event loop in turns of about
 * `sliceMs` (default 4 ms) so the loop keeps turning; with `compress` ('gzip' | 'br' | 'zstd' | 'deflate',
 * optional `level`) the bytes are compressed on the pool while the walk goes on. Resolves undefined where
 * JSON.stringify returns undefined (an undefined, function or symbol value). Rejects with JSON.stringify's
 * TypeError for a cycle or a BigInt, with whatever toJSON or the replacer throws, with ABORT_ERR on `signal`.
 * The value must not change until the promise settles: it is read over several turns.
 * @returns {Promise<Buffer | undefined>}
 */
function stringifyJson (value, options) {
  return scheduler.reject(() => {
    const p = parseOptions(options)
    const signal = p.task.signal
    if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
    if (p.format === undefined) return walkToBuffer(value, p)
    const { raw, out } = textStream(value, p)
    const chunks = []
    let total = 0
    return new Promise((resolve, reject) => {
      out.on('data', (buf) => { chunks.push(buf); total += buf.length })
      out.once('error', reject)
      out.once('end', () => {
        if (raw.undefinedResult) return resolve(undefined)
        concat(chunks, total, p.sliceMs, signal).then(resolve, reject)
      })
    })
  })
}

/** The uncompressed Promise form: the walk in turns of sliceMs, written into a SinkOutput. */
async function walkToBuffer (value, p) {
  const signal = p.task.signal
  const out = new SinkOutput()
  const w = new Walker(value, p.spec, out)
  for (;;) {
    const deadline = now() + p.sliceMs
    do w.step(); while (!w.done && now() < deadline)
    if (w.done) break
    await turn()
    if (signal !== undefined && signal.aborted) throw abortError(signal)
  }
  if (w.undefinedResult) return undefined
  return out.result(p)
}

/**
 * The same bytes as a Readable stream of Buffers (compressed when `compress` is given), produced only while
 * the consumer reads: a slow client holds back the walk instead of the memory filling up. An undefined
 * result ends the stream without data. Errors destroy the stream with them.
 * @returns {import('node:stream').Readable}
 */
function stringifyJsonStream (value, options) {
  const p = parseOptions(options)
  return textStream(value, p).out
}

module.exports = { stringifyJson, stringifyJsonStream, parseOptions, newWalker, JsonReadable, KEYS, FORMATS }
