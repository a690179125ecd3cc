'use strict'
// NDJSON (one JSON text per line): parseNdjson, an async iterator of records, and createNdjsonParser, a
// Transform from bytes to records. Both run JSON.parse line by line on the loop for at most `sliceMs` per
// turn, then yield (setImmediate), so a large file or body never holds the loop for long; one line is one
// JSON.parse (`maxLineBytes` bounds it, and the memory a line without an end can take).
//
// Lines end at '\n'; a '\r' before it is dropped ('\r\n' files). A line of nothing but spaces, tabs and
// '\r' is skipped (it still counts for line numbers); a UTF-8 BOM (U+FEFF) at the very start is dropped.
// Bytes are split into lines before they are decoded, and each line is decoded as a whole as
// buf.toString('utf8') does: a multi-byte character split between two chunks is decoded once both halves
// are there (0x0A never occurs inside a UTF-8 sequence), with no StringDecoder needed.

const { Transform } = require('node:stream')
const native = require('../native')
const scheduler = require('../scheduler')
const { codedError, invalidType, abortError } = require('../errors')
const v = require('../validate')

/** Core's JSON policy: sliceMs ({ min, max, default }), ndjsonMaxLineBytes, parseErrorCode (src/json.rs). */
const J = native.policy.json
const KEYS = new Set(['sliceMs', 'maxLineBytes', 'reviver', 'signal'])
const STREAM_KEYS = new Set([...KEYS, 'withLine'])

const LF = '\n'.charCodeAt(0)
const CR = '\r'.charCodeAt(0)
const SPACE = ' '.charCodeAt(0)
const BOM = '\uFEFF'
const BLANK = /^[ \t\r]*$/

const now = () => performance.now()

function turn () {
  return new Promise((resolve) => setImmediate(resolve))
}

function parseOptions (options, keys) {
  const o = v.knownKeys('options', v.options(options), keys)
  const sliceMs = v.optInt('sliceMs', o.sliceMs, J.sliceMs.min, J.sliceMs.max) ?? J.sliceMs.default
  const L = J.ndjsonMaxLineBytes
  const maxLineBytes = v.optInt('maxLineBytes', o.maxLineBytes, L.min, L.max) ?? L.default
  if (o.reviver !== undefined && typeof o.reviver !== 'function') throw invalidType('reviver', 'function', o.reviver)
  const { signal } = scheduler.taskOptions(o)
  return { sliceMs, maxLineBytes, reviver: o.reviver, signal, withLine: v.bool('withLine', o.withLine) ?? false }
}

/** The error of a line over `maxLineBytes` (ERR_BUFFER_TOO_LARGE, as parseJson's maxBytes), with `line`. */
function lineTooLong (line, max) {
  const err = codedError('ERR_BUFFER_TOO_LARGE', `NDJSON line ${line} is longer than maxLineBytes (${max} bytes)`)
  err.line = line
  err.limit = max
  return err
}

/** JSON.parse's SyntaxError for a line, with code ERR_JSON_PARSE and the 1-based `line`. */
function parseError (cause, line) {
  const err = new SyntaxError(cause.message)
  err.code = J.parseErrorCode
  err.line = line
  err.cause = cause
  return err
}

/**
 * Splits chunks (Buffers or strings) into lines. `push(chunk)` hands over a chunk, `next()` returns the
 * next complete line's text (undefined when the chunk is used up), `end()` the last line when it has no
 * '\n' (undefined if none). `line` is the number of the line last returned.
 */
class Lines {
  constructor (maxLineBytes) {
    this.max = maxLineBytes
    this.line = 0
    this.chunk = undefined
    this.pos = 0
    this.parts = [] // the start of the current line, from earlier chunks (all Buffers or all strings)
    this.partBytes = 0
    this.started = false
  }

  push (chunk) {
    if (typeof chunk !== 'string' && this.parts.length > 0 && typeof this.parts[0] === 'string') {
      this.parts = [Buffer.from(this.parts.join(''), 'utf8')]
    } else if (typeof chunk === 'string' && this.parts.length > 0 && typeof this.parts[0] !== 'string') {
      chunk = Buffer.from(chunk, 'utf8')
    }
    this.chunk = chunk
    this.pos = 0
  }

  /** Counts `bytes` more of the current line; throws past maxLineBytes. */
  grow (bytes) {
    this.partBytes += bytes
    if (this.partBytes > this.max) throw lineTooLong(this.line + 1, this.max)
  }

  /** Byte length of a piece of a line (UTF-8, as the line will be decoded from or encoded to). */
  size (piece) {
    return typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.length
  }

  next () {
    const c = this.chunk
    if (c === undefined) return undefined
    const nl = c.indexOf(typeof c === 'string' ? '\n' : LF, this.pos)
    if (nl === -1) {
      if (this.pos < c.length) {
        const rest = typeof c === 'string' ? c.slice(this.pos) : c.subarray(this.pos)
        this.grow(this.size(rest))
        this.parts.push(rest)
      }
      this.chunk = undefined
      return undefined
    }
    const piece = typeof c === 'string' ? c.slice(this.pos, nl) : c.subarray(this.pos, nl)
    this.pos = nl + 1
    return this.finish(piece)
  }

  end () {
    if (this.parts.length === 0) return undefined
    return this.finish(undefined)
  }

  /** The text of the line made of the parts so far and `piece`. */
  finish (piece) {
    if (piece !== undefined) {
      this.grow(this.size(piece))
      this.parts.push(piece)
    }
    const parts = this.parts
    let text
    if (typeof parts[0] === 'string') text = parts.length === 1 ? parts[0] : parts.join('')
    else text = parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8')
    this.parts = []
    this.partBytes = 0
    this.line++
    if (!this.started) {
      this.started = true
      if (text.startsWith(BOM)) text = text.slice(BOM.length)
    }
    if (text.charCodeAt(text.length - 1) === CR) text = text.slice(0, -1)
    return text
  }
}

/** A sentinel for a blank line. */
const SKIP = Symbol('blank line')

function parseLine (text, line, reviver) {
  if (text.length === 0 || (text.charCodeAt(0) <= SPACE && BLANK.test(text))) return SKIP
  try {
    return reviver === undefined ? JSON.parse(text) : JSON.parse(text, reviver)
  } catch (err) {
    if (err instanceof SyntaxError) throw parseError(err, line)
    throw err
  }
}

/** A chunk of the input as a Buffer or a string; ERR_INVALID_ARG_TYPE for anything else. */
function chunkOf (chunk) {
  if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) return chunk
  if (ArrayBuffer.isView(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
  if (chunk instanceof ArrayBuffer) return Buffer.from(chunk)
  throw invalidType('chunk', 'string, Buffer, TypedArray, DataView or ArrayBuffer', chunk)
}

function isWhole (input) {
  return typeof input === 'string' || ArrayBuffer.isView(input) || input instanceof ArrayBuffer
}

/** Resolves with `promise`, or rejects with an AbortError as soon as `signal` aborts. */
function raceAbort (promise, signal) {
  if (signal === undefined) return promise
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then((x) => { signal.removeEventListener('abort', onAbort); resolve(x) },
      (err) => { signal.removeEventListener('abort', onAbort); reject(err) })
  })
}

async function * records (input, o) {
  const lines = new Lines(o.maxLineBytes)
  const { signal, sliceMs, reviver } = o
  let deadline = now() + sliceMs
  let waiting = false // a next() of the input is pending (an abort came while it waited)
  const pending = isWhole(input) ? [chunkOf(input)][Symbol.iterator]() : undefined
  const it = pending ?? (typeof input[Symbol.asyncIterator] === 'function' ? input[Symbol.asyncIterator]() : input[Symbol.iterator]())
  try {
    for (;;) {
      if (signal !== undefined && signal.aborted) throw abortError(signal)
      let step
      if (pending !== undefined) {
        step = it.next()
      } else {
        waiting = true
        step = await raceAbort(Promise.resolve(it.next()), signal)
        waiting = false
      }
      let text
      if (step.done) {
        text = lines.end()
        if (text === undefined) return
        const rec = parseLine(text, lines.line, reviver)
        if (rec !== SKIP) yield rec
        return
      }
      lines.push(chunkOf(step.value))
      while ((text = lines.next()) !== undefined) {
        if (now() >= deadline) {
          await turn()
          deadline = now() + sliceMs
        }
        if (signal !== undefined && signal.aborted) throw abortError(signal)
        const rec = parseLine(text, lines.line, reviver)
        if (rec !== SKIP) yield rec
      }
    }
  } finally {
    if (pending === undefined) {
      // An async generator (a Readable's iterator is one) runs return() only after its pending next():
      // a stream that sends nothing more is destroyed first, so that next() ends.
      if (waiting && typeof input.destroy === 'function') input.destroy()
      if (typeof it.return === 'function') {
        const ended = Promise.resolve().then(() => it.return()).catch(() => {})
        if (!waiting) await ended
      }
    }
  }
}

/**
 * The records of NDJSON `input` (a string, Buffer, TypedArray, DataView, ArrayBuffer, or a Readable /
 * async iterable / iterable of such chunks) as an async iterator: each line's JSON.parse(line, reviver),
 * parsed for at most `sliceMs` per event-loop turn. Blank lines are skipped. Errors: SyntaxError with code
 * ERR_JSON_PARSE, JSON.parse's message and the 1-based `line`; ERR_BUFFER_TOO_LARGE with `line` for a line
 * over `maxLineBytes` (default 64 MiB); ABORT_ERR on `signal` (also while waiting for the next chunk). Breaking
 * out of the loop (or an error) ends the input's iterator (a Readable is destroyed). Options are checked at
 * once (a synchronous throw).
 * @returns {AsyncIterableIterator<any>}
 */
function parseNdjson (input, options) {
  const o = parseOptions(options, KEYS)
  if (!isWhole(input) && (input === null || typeof input !== 'object' ||
      (typeof input[Symbol.asyncIterator] !== 'function' && typeof input[Symbol.iterator] !== 'function'))) {
    throw invalidType('input', 'string, Buffer, TypedArray, DataView, ArrayBuffer, Readable or (async) iterable of chunks', input)
  }
  return records(input, o)
}

/** The Transform behind createNdjsonParser. */
class NdjsonParser extends Transform {
  constructor (o) {
    super({ readableObjectMode: true })
    this._o = o
    this._lines = new Lines(o.maxLineBytes)
    if (o.signal !== undefined) {
      const signal = o.signal
      this._onAbort = () => this.destroy(abortError(signal))
      if (signal.aborted) process.nextTick(this._onAbort)
      else signal.addEventListener('abort', this._onAbort, { once: true })
    }
  }

  _emit (text) {
    const rec = parseLine(text, this._lines.line, this._o.reviver)
    if (rec === SKIP) return
    if (this._o.withLine) this.push({ line: this._lines.line, value: rec })
    else if (rec === null) {
      throw codedError('ERR_STREAM_NULL_VALUES', `NDJSON line ${this._lines.line} is null, which an object-mode stream cannot carry (use withLine: true)`)
    } else this.push(rec)
  }

  /** Parses the lines of the current chunk for up to sliceMs, then continues in the next turn. */
  _drain (callback) {
    if (this.destroyed) return
    const deadline = now() + this._o.sliceMs
    let text
    try {
      while ((text = this._lines.next()) !== undefined) {
        this._emit(text)
        if (now() >= deadline) {
          setImmediate(() => this._drain(callback))
          return
        }
      }
    } catch (err) {
      callback(err)
      return
    }
    callback()
  }

  _transform (chunk, encoding, callback) {
    this._lines.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk)
    this._drain(callback)
  }

  _flush (callback) {
    try {
      const text = this._lines.end()
      if (text !== undefined) this._emit(text)
    } catch (err) {
      callback(err)
      return
    }
    callback()
  }

  _destroy (err, callback) {
    if (this._onAbort !== undefined) this._o.signal.removeEventListener('abort', this._onAbort)
    callback(err)
  }
}

/**
 * A Transform from NDJSON bytes to records (object mode): for `fs.createReadStream(file).pipe(...)` or a
 * request body. Same parsing, options and errors as parseNdjson (the stream is destroyed with them), plus
 * `withLine: true` to push `{ line, value }` instead of the value. An object-mode stream cannot carry
 * `null` (push(null) ends it): without withLine a line `null` fails with ERR_STREAM_NULL_VALUES.
 * @returns {import('node:stream').Transform}
 */
function createNdjsonParser (options) {
  return new NdjsonParser(parseOptions(options, STREAM_KEYS))
}

module.exports = { parseNdjson, createNdjsonParser }
