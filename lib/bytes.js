'use strict'
// Digests, HMAC, file hashing and compression: argument checks, output encodings and streams.
// The algorithms live in crates/core (digest.rs, compress.rs).

const { Transform } = require('node:stream')
const native = require('./native')
const scheduler = require('./scheduler')
const { codedError, callNative, invalidType, invalidValue } = require('./errors')
const v = require('./validate')

// Algorithms, formats, level tables and limits are core's (crates/core/src/{digest,compress}.rs).
const B = native.policy.bytes
const DIGESTS = B.digests
const HMACS = B.hmacs
const ENCODINGS = ['hex', 'base64', 'base64url', 'buffer']
const FORMATS = B.formats
/** { min, max, default } level per format. */
const LEVELS = B.levels

const TASK = ['signal', 'executor']
const DIGEST_KEYS = new Set(['encoding', 'key', ...TASK])
const HMAC_KEYS = new Set(['encoding', ...TASK])
const FILE_KEYS = new Set(['encoding', 'key', 'hmacKey', ...TASK])
const COMPRESS_KEYS = new Set(['format', 'level', ...TASK])
const DECOMPRESS_KEYS = new Set(['format', 'maxOutputLength', ...TASK])

function isBytes (x) {
  return typeof x === 'string' || ArrayBuffer.isView(x) || x instanceof ArrayBuffer
}

/** Every element, holes included (Array#every skips holes, which native code then refuses). */
function allBytes (array) {
  for (let i = 0; i < array.length; i++) if (!isBytes(array[i])) return false
  return true
}

/** A string, TypedArray, DataView or ArrayBuffer, or an array of them (taken as one stream). */
function checkData (data, name = 'data') {
  if (isBytes(data)) return data
  if (Array.isArray(data) && allBytes(data)) return data
  throw invalidType(name, 'string, Buffer, TypedArray, DataView, ArrayBuffer or an array of them', data)
}

function toKey (name, key) {
  if (typeof key === 'string') return Buffer.from(key, 'utf8')
  if (key instanceof Uint8Array) return key
  throw invalidType(name, 'string or Uint8Array', key, true)
}

function encode (buf, encoding) {
  return encoding === 'buffer' ? buf : buf.toString(encoding)
}

function digestArgs (algorithm, data, options) {
  const o = v.knownKeys('options', v.options(options), DIGEST_KEYS)
  if (algorithm === undefined) throw invalidType('algorithm', `one of: ${DIGESTS.join(', ')}`, algorithm)
  v.oneOf('algorithm', algorithm, DIGESTS)
  checkData(data)
  const encoding = v.oneOf('encoding', o.encoding, ENCODINGS) ?? 'hex'
  let key
  if (o.key !== undefined) {
    if (algorithm !== 'blake3') throw codedError('ERR_INVALID_ARG_VALUE', `key is supported by blake3 only, not ${algorithm} (use hmac)`)
    key = toKey('key', o.key)
    if (key.byteLength !== B.blake3KeyLength) {
      throw codedError('ERR_OUT_OF_RANGE', `Expected ${B.blake3KeyLength} bytes for key but received ${key.byteLength}`)
    }
  }
  return { o, encoding, key }
}

/** Digest of `data` on the pool; resolves a hex string (or `encoding`). */
function digest (algorithm, data, options) {
  return scheduler.reject(() => {
    const { o, encoding, key } = digestArgs(algorithm, data, options)
    const opts = scheduler.taskOptions(o)
    return scheduler.run((t) => native.digest(t, algorithm, data, key), opts)
      .then((buf) => encode(buf, encoding))
  })
}

/** Digest on the calling thread: for small inputs (it blocks the event loop while it hashes). */
function digestSync (algorithm, data, options) {
  const { encoding, key } = digestArgs(algorithm, data, options)
  return encode(callNative(native.digestSync, algorithm, data, key), encoding)
}

function hmacArgs (algorithm, key, data, options) {
  const o = v.knownKeys('options', v.options(options), HMAC_KEYS)
  if (algorithm === undefined) throw invalidType('algorithm', `one of: ${HMACS.join(', ')}`, algorithm)
  if (typeof algorithm === 'string' && algorithm === 'blake3') {
    throw codedError('ERR_INVALID_ARG_VALUE', 'For keyed blake3 use digest(\'blake3\', data, { key })')
  }
  v.oneOf('algorithm', algorithm, HMACS)
  checkData(data)
  return { o, encoding: v.oneOf('encoding', o.encoding, ENCODINGS) ?? 'hex', key: toKey('key', key) }
}

/** HMAC of `data` with `key` on the pool; resolves a hex string (or `encoding`). */
function hmac (algorithm, key, data, options) {
  return scheduler.reject(() => {
    const a = hmacArgs(algorithm, key, data, options)
    const opts = scheduler.taskOptions(a.o)
    return scheduler.run((t) => native.hmac(t, algorithm, a.key, data), opts)
      .then((buf) => encode(buf, a.encoding))
  })
}

/** HMAC on the calling thread: for small inputs. */
function hmacSync (algorithm, key, data, options) {
  const a = hmacArgs(algorithm, key, data, options)
  return encode(callNative(native.hmacSync, algorithm, a.key, data), a.encoding)
}

/** Digest of a file, read on a pool thread with a 1 MiB buffer (no libuv thread, bounded memory). */
function hashFile (path, algorithm, options) {
  return scheduler.reject(() => {
    if (typeof path !== 'string' && !(path instanceof URL)) throw invalidType('path', 'string or file URL', path)
    const file = path instanceof URL ? require('node:url').fileURLToPath(path) : path
    if (file.includes('\0')) throw invalidValue('path', 'a path without NUL bytes', path)
    const o = v.knownKeys('options', v.options(options), FILE_KEYS)
    const alg = algorithm ?? B.defaultFileAlgorithm
    const { encoding, key } = digestArgs(alg, '', { encoding: o.encoding, key: o.key })
    let hmacKey
    if (o.hmacKey !== undefined) {
      v.oneOf('algorithm', alg, HMACS)
      hmacKey = toKey('hmacKey', o.hmacKey)
    }
    const opts = scheduler.taskOptions(o)
    return scheduler.run((t) => native.hashFile(t, file, alg, key, hmacKey), opts)
      .then((buf) => encode(buf, encoding))
  })
}

function formatOf (o) {
  return v.oneOf('format', o.format, FORMATS) ?? B.defaultFormat
}

function levelOf (format, level) {
  const { min, max } = LEVELS[format]
  return v.optInt('level', level, min, max)
}

function maxOf (o) {
  const { min, max } = B.maxOutputLength
  return v.optInt('maxOutputLength', o.maxOutputLength, min, max) ?? B.defaultMaxOutputLength
}

/** Compresses `data` on the pool; resolves a Buffer. */
function compress (data, options) {
  return scheduler.reject(() => {
    const o = v.knownKeys('options', v.options(options), COMPRESS_KEYS)
    const format = formatOf(o)
    const level = levelOf(format, o.level)
    checkData(data)
    const opts = scheduler.taskOptions(o)
    return scheduler.run((t) => native.compress(t, format, level, data), opts)
  })
}

/** Decompresses `data` on the pool; rejects ERR_BUFFER_TOO_LARGE past `maxOutputLength` (1 GiB). */
function decompress (data, options) {
  return scheduler.reject(() => {
    const o = v.knownKeys('options', v.options(options), DECOMPRESS_KEYS)
    const format = formatOf(o)
    const max = maxOf(o)
    checkData(data)
    const opts = scheduler.taskOptions(o)
    return scheduler.run((t) => native.decompress(t, format, max, data), opts)
  })
}

/** `compress` on the calling thread: for small inputs. */
function compressSync (data, options) {
  const o = v.knownKeys('options', v.options(options), COMPRESS_KEYS)
  const format = formatOf(o)
  const level = levelOf(format, o.level)
  return callNative(native.compressSync, format, level, checkData(data))
}

/** `decompress` on the calling thread: for small inputs. */
function decompressSync (data, options) {
  const o = v.knownKeys('options', v.options(options), DECOMPRESS_KEYS)
  const format = formatOf(o)
  return callNative(native.decompressSync, format, maxOf(o), checkData(data))
}

/** The chunk `flush()` writes: an empty Buffer known by its identity, as zlib's streams do. */
const FLUSH = Buffer.alloc(0)

/** Buffered Writable chunks → the byte chunks among them, and whether a flush was asked for. */
function splitFlush (chunks) {
  const data = []
  let flush = false
  for (const { chunk, encoding } of chunks) {
    if (chunk === FLUSH) flush = true
    else data.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk)
  }
  return { data, flush }
}

/** A Transform whose chunks are compressed or decompressed on the pool, one at a time, in order. */
class CodecStream extends Transform {
  constructor (compressing, options) {
    const o = v.options(options)
    const format = formatOf(o)
    const level = compressing ? levelOf(format, o.level) : undefined
    const max = compressing ? 0 : maxOf(o)
    const { signal, executor } = scheduler.taskOptions(o)
    const streamOptions = { ...o }
    for (const k of ['format', 'level', 'maxOutputLength', 'signal', 'executor']) delete streamOptions[k]
    super(streamOptions)
    this._handle = callNative(native.streamNew, compressing, format, level, max)
    // Every chunk's task carries the stream's own signal, so destroy() cancels the one in flight
    // (queued: never runs; running: stops at its next checkpoint).
    this._cancel = new AbortController()
    this._task = { signal: this._cancel.signal, executor }
    if (signal !== undefined) {
      const onAbort = () => this.destroy(require('./errors').abortError(signal))
      if (signal.aborted) process.nextTick(onAbort)
      else signal.addEventListener('abort', onAbort, { once: true })
      this.once('close', () => signal.removeEventListener('abort', onAbort))
    }
  }

  /** Runs one native stream step on the pool and pushes what it produced. */
  _step (submit, callback) {
    scheduler.run(submit, this._task).then((out) => {
      if (this.destroyed) return
      if (out.length > 0) this.push(out)
      callback()
    }, (err) => { if (!this.destroyed) callback(err) })
  }

  _destroy (err, callback) {
    this._cancel.abort()
    callback(err)
  }

  /** Compresses (or decompresses) `data` on the pool; with `flush`, then flushes the encoder. */
  _push (data, flush, callback) {
    this._step((t) => native.streamPush(t, this._handle, data, flush), callback)
  }

  _transform (chunk, encoding, callback) {
    if (chunk === FLUSH) return this._push(chunk, true, callback)
    this._push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk, false, callback)
  }

  /** Several buffered chunks go to the pool as one task (they are taken as one stream). */
  _writev (chunks, callback) {
    const { data, flush } = splitFlush(chunks)
    this._push(data, flush, callback)
  }

  /**
   * Makes the compressed output so far decodable to every byte written before this call, as
   * zlib's `flush()` does: gzip/deflate Z_SYNC_FLUSH, brotli BROTLI_OPERATION_FLUSH, zstd's flush,
   * LZ4's current block. Queued behind the writes before it; `callback` runs once its output has
   * been pushed. Each flush costs a few bytes of output; without flushes, small writes are gathered
   * (up to 64 KiB) before they are compressed. A decompression stream has nothing to flush.
   * @param {() => void} [callback]
   */
  flush (callback) {
    if (this.writableEnded || this.destroyed) {
      if (typeof callback === 'function') process.nextTick(callback)
      return
    }
    this.write(FLUSH, callback)
  }

  _flush (callback) {
    this._step((t) => native.streamFinish(t, this._handle), callback)
  }
}

/** A Transform stream compressing on the pool: `createCompress({ format, level, ...streamOptions })`. */
function createCompress (options) {
  return new CodecStream(true, options)
}

/** A Transform stream decompressing on the pool, with `maxOutputLength` over the whole stream. */
function createDecompress (options) {
  return new CodecStream(false, options)
}

module.exports = {
  digest, digestSync, hmac, hmacSync, hashFile, compress, decompress, compressSync, decompressSync,
  createCompress, createDecompress, splitFlush, DIGESTS, HMACS, FORMATS, LEVELS
}
