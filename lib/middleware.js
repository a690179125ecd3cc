'use strict'
// An Express / Connect / node:http middleware compressing responses on offthread's pool, meant as a
// drop-in for the `compression` npm package: zstd, br, gzip or deflate negotiated from
// Accept-Encoding, a size threshold, a filter, and the response's write/end/drain semantics kept.
//
// How it works: res.writeHead, res.write and res.end are wrapped on each response. The decision
// to compress is made once, when the headers are about to be written (status, Content-Type,
// Content-Length and Cache-Control are known by then). When compressing, the body goes through a
// createCompress stream; its output is written to the socket with the original res.write, pausing
// on the socket's backpressure. Writes queued while the pool works on a chunk are coalesced into
// one task (`writev`), and the encoder gathers small writes (up to 64 KiB) before compressing, so
// many small res.write calls cost few pool round trips and compress as well as one large write.
// res.flush() ends that gathering: what was written is compressed and flushed (Z_SYNC_FLUSH,
// BROTLI_OPERATION_FLUSH, zstd's flush) in one pool task and written out, as zlib's flush() does in
// the `compression` package (Server-Sent Events and progress streams rely on it).

const bytes = require('./bytes')
const native = require('./native')
const { codedError, invalidType, invalidValue } = require('./errors')
const v = require('./validate')

/** HTTP content-coding → offthread format, which is also the option holding its level. */
const CODINGS = { zstd: 'zstd', br: 'brotli', gzip: 'gzip', deflate: 'deflate' }
const DEFAULT_ENCODINGS = ['zstd', 'br', 'gzip', 'deflate']
const DEFAULT_THRESHOLD = native.policy.bytes.middlewareThreshold
const OPTION_KEYS = new Set(['encodings', 'threshold', 'filter', 'level', 'gzip', 'deflate', 'brotli', 'zstd', 'enforceEncoding'])
const LEVEL_KEYS = new Set(['level'])
const BROTLI_KEYS = new Set(['level', 'params'])
/** zlib's BROTLI_PARAM_QUALITY: the one brotli parameter (`brotli.params`, zlib's form) offthread's encoder takes. */
const BROTLI_PARAM_QUALITY = require('node:zlib').constants.BROTLI_PARAM_QUALITY
const UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }
/**
 * Options `compression` hands to node:zlib (the whole options object for gzip/deflate, `brotli` for
 * brotli) that offthread's encoders do not take. Refused by name rather than ignored: each changes
 * the output, its memory or its flushing, and a silent difference is worse than an error at startup.
 */
const ZLIB_ONLY = new Set(['chunkSize', 'memLevel', 'strategy', 'windowBits', 'dictionary', 'flush', 'finishFlush', 'info', 'maxOutputLength'])

/** Types worth compressing besides text/*, *+json, *+xml and *+text (the usual entries of mime-db). */
const COMPRESSIBLE = new Set([
  'application/json', 'application/javascript', 'application/x-javascript', 'application/ecmascript',
  'application/xml', 'application/x-www-form-urlencoded', 'application/graphql', 'application/x-ndjson',
  'application/yaml', 'application/x-yaml', 'application/toml', 'application/sql', 'application/rtf',
  'application/postscript', 'application/wasm', 'application/x-tar', 'application/vnd.ms-fontobject',
  'application/x-font-ttf', 'font/ttf', 'font/otf', 'font/collection', 'image/svg+xml', 'image/bmp',
  'image/x-icon', 'image/vnd.microsoft.icon'
])
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i

/** A byte count: a number, or a string such as '1kb', '1.5mb' or '500' (units of 1024). */
function parseThreshold (value) {
  if (value === undefined) return DEFAULT_THRESHOLD
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw codedError('ERR_OUT_OF_RANGE', `Expected a byte count of 0 or more for threshold but received ${value}`)
  }
  const m = typeof value === 'string' && /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value)
  if (m) return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()])
  if (typeof value === 'string') throw invalidValue('threshold', 'a byte count such as \'1kb\' or \'500\'', value)
  throw invalidType('threshold', 'number or string such as \'1kb\'', value)
}

/** brotli's level from zlib's `params` form ({ [BROTLI_PARAM_QUALITY]: 11 }); other parameters are refused. */
function brotliQuality (params) {
  const p = v.options(params, 'brotli.params')
  for (const key of Object.keys(p)) {
    if (Number(key) !== BROTLI_PARAM_QUALITY) {
      throw invalidValue(`brotli.params[${key}]`, 'zlib.constants.BROTLI_PARAM_QUALITY (the only brotli parameter supported)', key)
    }
  }
  const { min, max } = bytes.LEVELS.brotli
  return v.optInt('brotli.params[BROTLI_PARAM_QUALITY]', p[BROTLI_PARAM_QUALITY], min, max)
}

/** Throws for a node:zlib option of `compression` that offthread does not take (see ZLIB_ONLY). */
function refuseZlibOnly (name, o) {
  for (const key of Object.keys(o)) {
    if (ZLIB_ONLY.has(key)) {
      throw codedError('ERR_INVALID_ARG_VALUE', `${name}.${key} is a node:zlib option of the compression package that offthread's encoders do not support (see the README's compression() section)`)
    }
  }
}

/** Reads and checks the options once, when the middleware is created. `null` is no options, as in `compression`. */
function configure (options) {
  refuseZlibOnly('options', v.options(options ?? undefined))
  const o = v.knownKeys('options', v.options(options ?? undefined), OPTION_KEYS)
  let encodings = DEFAULT_ENCODINGS
  if (o.encodings !== undefined) {
    if (!Array.isArray(o.encodings)) throw invalidType('encodings', 'array of \'zstd\', \'br\', \'gzip\', \'deflate\'', o.encodings)
    for (const e of o.encodings) v.oneOf('encodings[]', e, Object.keys(CODINGS))
    encodings = [...new Set(o.encodings)]
  }
  if (o.filter !== undefined && typeof o.filter !== 'function') throw invalidType('filter', 'function', o.filter)
  // A flat `level` is gzip's and deflate's (as in `compression`); -1 there means zlib's default.
  const flat = o.level === -1 ? undefined : v.optInt('level', o.level, bytes.LEVELS.gzip.min, bytes.LEVELS.gzip.max)
  const levels = {}
  for (const [coding, format] of Object.entries(CODINGS)) { // all checked: a typo must not pass
    if (format === 'brotli') refuseZlibOnly('brotli', v.options(o.brotli, 'brotli'))
    const sub = v.knownKeys(format, v.options(o[format], format), format === 'brotli' ? BROTLI_KEYS : LEVEL_KEYS)
    const { min, max } = bytes.LEVELS[format]
    const level = v.optInt(`${format}.level`, sub.level, min, max) ?? (format === 'brotli' && sub.params !== undefined ? brotliQuality(sub.params) : undefined)
    levels[coding] = level ?? (format === 'gzip' || format === 'deflate' ? flat : undefined)
  }
  // For requests without Accept-Encoding (as in `compression`): 'identity' by default; a coding the
  // server does not offer means identity too.
  if (o.enforceEncoding !== undefined && typeof o.enforceEncoding !== 'string') {
    throw invalidType('enforceEncoding', 'string such as \'gzip\' or \'identity\'', o.enforceEncoding)
  }
  const enforce = encodings.includes(o.enforceEncoding) ? o.enforceEncoding : undefined
  return { encodings, levels, enforce, threshold: parseThreshold(o.threshold), filter: o.filter ?? shouldCompress }
}

/**
 * The default filter: true when the response's Content-Type is compressible (text/*, Server-Sent
 * Events' text/event-stream included as in `compression`, JSON, JavaScript, XML, SVG, *+json, *+xml, *+text and a few more). Call it
 * from a custom `filter` to extend the default rather than replace it.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @returns {boolean}
 */
function shouldCompress (req, res) {
  const header = res.getHeader('Content-Type')
  if (header === undefined) return false
  const type = String(header).split(';', 1)[0].trim().toLowerCase()
  if (type.startsWith('text/')) return true // text/event-stream too, as in `compression`: call res.flush() after each event
  return COMPRESSIBLE.has(type) || /\+(?:json|xml|text)$/.test(type)
}

/** The q-value of each coding in an Accept-Encoding value (lower case; x-gzip is gzip). */
function parseAcceptEncoding (header) {
  const accepted = new Map()
  for (const item of header.split(',')) {
    const [name, ...params] = item.split(';')
    let coding = name.trim().toLowerCase()
    if (coding === '') continue
    if (coding === 'x-gzip') coding = 'gzip'
    let q = 1
    for (const param of params) {
      const eq = param.indexOf('=')
      if (eq !== -1 && param.slice(0, eq).trim().toLowerCase() === 'q') q = Number(param.slice(eq + 1).trim())
    }
    if (!(q >= 0 && q <= 1)) continue // a malformed q-value: the entry is ignored
    accepted.set(coding, Math.max(q, accepted.get(coding) ?? 0))
  }
  return accepted
}

/**
 * The coding to answer with, as `compression` (negotiator) picks it: the highest q-value wins; among equal
 * q-values, the server's order (`encodings`) decides. A coding unnamed takes the q of '*'. identity, unless
 * named, is as acceptable as the least acceptable coding named, and wins over every coding with a lower q:
 * then, or when nothing is acceptable, undefined (no compression). No header, or an empty one: undefined.
 */
function negotiate (header, encodings) {
  if (typeof header !== 'string' || header.trim() === '') return undefined
  const accepted = parseAcceptEncoding(header)
  const star = accepted.get('*')
  let best
  let bestQ = 0
  for (const coding of encodings) {
    const q = accepted.get(coding) ?? star ?? 0
    if (q > bestQ) { best = coding; bestQ = q }
  }
  const identity = accepted.get('identity') ?? (accepted.size > 0 ? Math.min(1, ...accepted.values()) : 1)
  return identity > bestQ ? undefined : best
}

/** Adds Accept-Encoding to the Vary header, keeping what is there. */
function varyOnAcceptEncoding (res) {
  const current = res.getHeader('Vary')
  const value = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current)
  const fields = value.split(',').map((f) => f.trim().toLowerCase())
  if (fields.includes('*') || fields.includes('accept-encoding')) return
  res.setHeader('Vary', value.trim() === '' ? 'Accept-Encoding' : `${value}, Accept-Encoding`)
}

/** Applies writeHead's headers argument (object or flat [name, value, ...] array) as node:http does. */
function applyHeaders (res, headers) {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]) res.setHeader(headers[i], headers[i + 1])
  } else if (headers !== null && typeof headers === 'object') {
    for (const name of Object.keys(headers)) if (name) res.setHeader(name, headers[name])
  }
}

/** Coalesces the chunks queued while the pool was busy into one compression task (flushed if res.flush() was among them). */
function writev (chunks, callback) {
  const { data, flush } = bytes.splitFlush(chunks)
  this._push(data.length === 1 ? data[0] : Buffer.concat(data), flush, callback)
}

/** Throws as node:http's res.write does for a chunk that is not a string, Buffer or Uint8Array. */
function checkChunk (chunk) {
  if (typeof chunk === 'string' || chunk instanceof Uint8Array) return
  if (chunk === null) throw codedError('ERR_STREAM_NULL_VALUES', 'May not write null values to stream')
  throw invalidType('chunk', 'string, Buffer or Uint8Array', chunk)
}

function toBuffer (chunk, encoding) {
  checkChunk(chunk)
  return typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : chunk
}

function byteLength (chunk, encoding) {
  if (!chunk) return 0
  return typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding ?? 'utf8') : chunk.byteLength
}

/**
 * A middleware compressing responses on offthread's pool, for Express, Connect or a plain
 * node:http server (`compression()(req, res, () => handle(req, res))`).
 *
 * - Coding: negotiated from Accept-Encoding as the `compression` package does (negotiator): the
 *   highest q-value among `encodings` (default ['zstd', 'br', 'gzip', 'deflate']) wins, by name
 *   or through '*'; the server's order breaks ties; identity wins over lower q-values. A request
 *   without Accept-Encoding gets `enforceEncoding` (default identity). `Vary: Accept-Encoding`
 *   is added to every response the filter lets through.
 * - Skipped when: `filter(req, res)` is false (default: a compressible Content-Type), the
 *   Cache-Control has no-transform, the request is HEAD, the status is 1xx, 204 or 304, the
 *   response already has a Content-Encoding (other than identity) or a Content-Range, or its
 *   size is known (Content-Length, or a single res.end(body)) and below `threshold`.
 * - Levels: `{ gzip: { level }, deflate: { level }, brotli: { level }, zstd: { level } }`, or a
 *   flat `level` for gzip and deflate; offthread's defaults otherwise (gzip 6, brotli 4, zstd 3).
 * - res.write and res.end keep their arguments, callbacks and return values; a false return
 *   means the compressor is full, and 'drain' follows. res.flush() compresses and flushes what
 *   was written so far, in one pool task, and writes it out (see above).
 * - If compression fails (e.g. ERR_QUEUE_FULL when the pool's queue is full), the response is
 *   destroyed: the client sees a reset connection rather than a truncated body.
 *
 * Options are checked here: an unknown key, one of the package's node:zlib options offthread does
 * not take (chunkSize, memLevel, strategy, windowBits, ...), or an out-of-range level throws at once.
 * @param {import('../index').CompressionOptions} [options]
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: (err?: unknown) => void) => void}
 */
function compression (options) {
  const config = configure(options)

  return function compressionMiddleware (req, res, next) {
    const _writeHead = res.writeHead
    const _write = res.write
    const _end = res.end
    const _emit = res.emit
    let decided = false
    let stream // the compressor, once the decision is to compress
    let ended = false // res.end was called on a compressed response
    let length // the body's size when res.end(body) is called before the headers

    /** Decides whether to compress (and sets Vary); returns the content-coding to use, or undefined. */
    function decide (status) {
      decided = true
      if (!config.filter(req, res)) return
      const cacheControl = res.getHeader('Cache-Control')
      if (cacheControl !== undefined && NO_TRANSFORM.test(String(cacheControl))) return
      varyOnAcceptEncoding(res)
      if (req.method === 'HEAD' || status < 200 || status === 204 || status === 304) return
      const encoding = res.getHeader('Content-Encoding')
      if (encoding !== undefined && String(encoding).trim().toLowerCase() !== 'identity') return
      if (res.hasHeader('Content-Range')) return
      const contentLength = res.getHeader('Content-Length')
      const size = contentLength !== undefined ? Number(contentLength) : length
      if (size < config.threshold) return
      const header = req.headers['accept-encoding']
      if (!header && config.enforce !== undefined) return config.enforce
      return negotiate(header, config.encodings)
    }

    /** The whole body is known (res.end(body) before any write): one pool task, one-shot. */
    function oneShot (coding, body, callback) {
      ended = true
      res.setHeader('Content-Encoding', coding)
      res.removeHeader('Content-Length')
      bytes.compress(body, { format: CODINGS[coding], level: config.levels[coding] }).then((out) => {
        if (res.destroyed) return
        // Sent chunked, as the compression package sends every compressed body.
        _write.call(res, out)
        _end.call(res, callback)
      }, () => { res.destroy() })
    }

    function start (coding) {
      stream = bytes.createCompress({ format: CODINGS[coding], level: config.levels[coding], writev })
      res.setHeader('Content-Encoding', coding)
      res.removeHeader('Content-Length')
      stream.on('data', (out) => { if (_write.call(res, out) === false) stream.pause() })
      stream.on('end', () => { _end.call(res) })
      stream.on('error', () => { res.destroy() }) // nothing sensible can follow a partial body
      stream.on('drain', () => { _emit.call(res, 'drain') })
      // The socket's 'drain' resumes the compressor's output; the caller's 'drain' listeners hear
      // the compressor's, which is what res.write's return value reported.
      res.emit = function emit (type) {
        if (type === 'drain') { stream.resume(); return true }
        return _emit.apply(this, arguments)
      }
      Object.defineProperty(res, 'writableNeedDrain', { // read by Readable#pipe
        configurable: true,
        get: () => !res.destroyed && !ended && stream.writableNeedDrain
      })
      res.once('close', () => { if (!stream.destroyed) stream.destroy() }) // client gone: stop
    }

    res.writeHead = function writeHead (statusCode, reason, headers) {
      const code = statusCode | 0
      const hasReason = typeof reason === 'string'
      const given = hasReason ? headers : headers ?? reason
      const valid = code >= 100 && code <= 999 && !(Array.isArray(given) && given.length % 2 !== 0)
      if (!decided && valid) { // else node:http throws
        applyHeaders(this, given)
        this.statusCode = code // for the filter
        const coding = decide(code)
        if (coding !== undefined) start(coding)
        return hasReason ? _writeHead.call(this, statusCode, reason) : _writeHead.call(this, statusCode)
      }
      return _writeHead.apply(this, arguments)
    }

    res.write = function write (chunk, encoding, callback) {
      if (ended) { // a compressed response has ended: false, as in `compression`
        const cb = typeof encoding === 'function' ? encoding : callback
        if (typeof cb === 'function') process.nextTick(cb, codedError('ERR_STREAM_WRITE_AFTER_END', 'write after end'))
        return false
      }
      if (!decided && !this.headersSent) {
        checkChunk(chunk) // before deciding: a throw must leave the headers as they were
        const coding = decide(this.statusCode)
        if (coding !== undefined) start(coding)
      }
      if (stream === undefined) return _write.apply(this, arguments)
      if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
      const buf = toBuffer(chunk, encoding)
      // The headers go out now, as they do for an uncompressed write (the encoder may hold its
      // first output back for a while); flushHeaders is node:http's and http2's.
      if (!this.headersSent) this.flushHeaders()
      if (buf.byteLength === 0) {
        if (typeof callback === 'function') process.nextTick(callback)
        return !stream.writableNeedDrain
      }
      return stream.write(buf, callback)
    }

    res.end = function end (chunk, encoding, callback) {
      if (ended) { // a compressed response has ended: false, as in `compression`
        const cb = [chunk, encoding, callback].find((x) => typeof x === 'function')
        if (cb !== undefined) process.nextTick(cb, codedError('ERR_STREAM_ALREADY_FINISHED', 'Cannot call end after a stream was finished'))
        return false
      }
      if (!decided && !this.headersSent) {
        const body = typeof chunk === 'function' ? undefined : chunk
        if (body) checkChunk(body) // node:http ignores a falsy chunk
        if (!this.hasHeader('Content-Length')) length = byteLength(body, typeof encoding === 'string' ? encoding : undefined)
        const coding = decide(this.statusCode)
        if (coding !== undefined && body) {
          if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
          oneShot(coding, toBuffer(body, encoding), callback)
          return this
        }
        if (coding !== undefined) start(coding)
      }
      if (stream === undefined) return _end.apply(this, arguments)
      if (typeof chunk === 'function') { callback = chunk; chunk = undefined } else if (typeof encoding === 'function') { callback = encoding; encoding = undefined }
      const buf = chunk ? toBuffer(chunk, encoding) : undefined
      if (typeof callback === 'function') {
        if (this.writableFinished) process.nextTick(callback, codedError('ERR_STREAM_ALREADY_FINISHED', 'Cannot call end after a stream was finished'))
        else this.once('finish', callback)
      }
      ended = true
      if (!this.headersSent) this.writeHead(this.statusCode) // http2's response has no _implicitHeader
      if (buf !== undefined && buf.byteLength > 0) stream.write(buf)
      stream.end()
      return this
    }

    /** Compresses and flushes what was written so far, then writes it out; nothing to do when not compressing. */
    res.flush = function flush () {
      if (stream !== undefined && !ended) stream.flush()
    }

    next()
  }
}

compression.filter = shouldCompress

module.exports = { compression, shouldCompress, negotiate, varyOnAcceptEncoding }
