'use strict'
// json(options): a drop-in for express.json() (body-parser 2.x's json parser) whose inflating and
// parsing leave the event loop: gzip, deflate and br bodies are inflated on the pool (the limit
// applies to the inflated size and bounds the decoder's output), and the text is parsed by
// parseJson (lib/json/parse.js): scanned on the pool, then JSON.parse slice by slice.
//
// Written to match body-parser 2.4.0 and raw-body 3 (their options, the order of their checks, their
// errors' status, type, expose, message and extra properties), not copied from them. The README's
// json() section lists what differs.

const { AsyncResource } = require('node:async_hooks')
const { STATUS_CODES } = require('node:http')
const zlib = require('node:zlib')
const native = require('../native')
const bytes = require('../bytes')
const { describe } = require('../errors')
const schemaModule = require('./schema')
const { parseJson } = require('./parse')
const { decodeBody, hasDecoder } = require('./charset')

const P = native.policy.json
/** body-parser's default `limit` (100kb). */
const DEFAULT_LIMIT = P.bodyLimit
/** Bodies up to this many bytes get exactly body-parser's strict-mode message (built from the whole text). */
const EXACT_MESSAGE_BYTES = P.exactMessageBytes

/** Units of `limit` strings, as the `bytes` package reads them (powers of 1024). */
const UNITS = { b: 1, kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30, tb: 2 ** 40, pb: 2 ** 50 }
const LIMIT_RE = /^((-|\+)?(\d+(?:\.\d+)?)) *(kb|mb|gb|tb|pb)$/i

/** Content-codings inflated on the pool, and their offthread formats. */
const CODINGS = { gzip: 'gzip', deflate: 'deflate', br: 'brotli' }
/** body-parser 2.4 inflates zstd where node:zlib can (Node >= 22.15); it answers 415 elsewhere, and so does json(). */
if ('createZstdDecompress' in zlib) CODINGS.zstd = 'zstd'

/** JSON's whitespace (RFC 8259): space, tab, line feed, carriage return. */
const WS = new Set([' ', '\t', '\n', '\r'])

/** http-errors' class names of the statuses json() answers with. */
const NAMES = { 400: 'BadRequestError', 403: 'ForbiddenError', 413: 'PayloadTooLargeError', 415: 'UnsupportedMediaTypeError', 500: 'InternalServerError' }

// ---------------------------------------------------------------- errors (http-errors' shape)

/** Prototypes of json()'s own errors, per status: status, statusCode and expose live there, as in http-errors. */
const PROTOTYPES = new Map()

/** A new error as http-errors' createError(status, message, props) makes it (own message, name and props only). */
function httpError (status, message, props) {
  let proto = PROTOTYPES.get(status)
  if (proto === undefined) {
    proto = Object.assign(Object.create(Error.prototype), { status, statusCode: status, expose: status < 500 })
    PROTOTYPES.set(status, proto)
  }
  const err = new Error(message)
  Error.captureStackTrace(err, httpError)
  Object.setPrototypeOf(err, proto)
  Object.defineProperty(err, 'message', { value: message, writable: true, configurable: true, enumerable: true })
  Object.defineProperty(err, 'name', { value: NAMES[status], writable: true, configurable: true, enumerable: false })
  return Object.assign(err, props)
}

/**
 * An existing error given a status as http-errors' createError(status, err, props) does: its own
 * status (or statusCode) wins when it is an HTTP error status; 500 when it is not a status at all.
 */
function withStatus (status, err, props) {
  let s = err.status || err.statusCode || status
  if (typeof s !== 'number' || (STATUS_CODES[s] === undefined && (s < 400 || s >= 600))) s = 500
  if (Object.getPrototypeOf(err) !== PROTOTYPES.get(s)) { // one of json()'s own keeps its prototype's
    err.expose = s < 500
    err.status = err.statusCode = s
  }
  for (const key in props) if (key !== 'status' && key !== 'statusCode') err[key] = props[key]
  return err
}

/** The pool refused the task (its queue is full, or it is closed): 503 service.unavailable (not exposed), else undefined. */
function busy (err) {
  if (err instanceof Error && (err.code === 'ERR_QUEUE_FULL' || err.code === 'ERR_POOL_CLOSED')) return withStatus(503, err, { type: 'service.unavailable' })
  return undefined
}

/** `err.body` of a parse error: the decoded text, made only if someone reads it (a huge body costs a stall to decode). */
function lazyBody (err, text) {
  let value
  Object.defineProperty(err, 'body', {
    configurable: true,
    enumerable: true,
    get () { if (value === undefined) value = text(); return value },
    set (v) { value = v }
  })
}

/** A SyntaxError reduced to what body-parser leaves on JSON.parse's: its message and stack, no other own property. */
function normalizeSyntaxError (err, message) {
  for (const key of Object.getOwnPropertyNames(err)) if (key !== 'stack' && key !== 'message') delete err[key]
  if (message !== undefined && message !== err.message) {
    err.stack = String(err.stack).replace(err.message, message)
    err.message = message
  }
  return err
}

// ---------------------------------------------------------------- options

/** A byte count as the `bytes` package's parse() reads it: a number, or '100kb', '1.5mb', '500'; null if unreadable. */
function parseLimit (value) {
  if (typeof value === 'number' && !Number.isNaN(value)) return value
  if (typeof value !== 'string') return null
  const m = LIMIT_RE.exec(value)
  const n = m ? Number.parseFloat(m[1]) : Number.parseInt(value, 10)
  if (Number.isNaN(n)) return null
  return Math.floor(UNITS[m ? m[4].toLowerCase() : 'b'] * n)
}

/** Short names of `type` (no '/') that type-is resolves through mime-types: the common ones. */
const SHORT_TYPES = {
  json: 'application/json',
  txt: 'text/plain',
  text: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  csv: 'text/csv',
  js: 'text/javascript',
  bin: 'application/octet-stream',
  urlencoded: 'application/x-www-form-urlencoded',
  multipart: 'multipart/*'
}
const TYPE_RE = /^ *([A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126})\/([A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}) *$/

/** A `type` entry as type-is reads it ('json', '+json', 'application/*'), or false. */
function normalizeType (type) {
  if (typeof type !== 'string') return false
  if (type === 'urlencoded' || type === 'multipart') return SHORT_TYPES[type]
  if (type[0] === '+') return '*/*' + type
  if (type.includes('/')) return type
  return SHORT_TYPES[type.toLowerCase()] ?? false
}

/** Whether `expected` (type-is' pattern: exact, 'a/*', '*\/b', '*\/*+json') matches the media type `actual`. */
function mimeMatch (expected, actual) {
  if (expected === false) return false
  const a = actual.split('/')
  const e = expected.split('/')
  if (a.length !== 2 || e.length !== 2) return false
  if (e[0] !== '*' && e[0] !== a[0]) return false
  if (e[1].startsWith('*+')) return e[1].length <= a[1].length + 1 && e[1].slice(1) === a[1].slice(1 - e[1].length)
  return e[1] === '*' || e[1] === a[1]
}

/** The media type of a Content-Type value (lower case, parameters off), or null when it is not one. */
function mediaType (header) {
  if (!header) return null
  const semi = header.indexOf(';')
  const type = (semi === -1 ? header : header.slice(0, semi)).replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase()
  return TYPE_RE.test(type) ? type : null
}

/** The request-matching function of `type` (a string, an array of them, or a function). */
function typeChecker (type) {
  if (typeof type === 'function') return type
  const types = Array.isArray(type) ? type : [type]
  return function checkType (req) {
    const actual = mediaType(req.headers['content-type'])
    return actual !== null && types.some((t) => mimeMatch(normalizeType(t), actual))
  }
}

/** The `charset` parameter of a Content-Type value, lower case (the first one, quotes and escapes undone). */
function charsetOf (header) {
  if (!header) return undefined
  const re = /;[ \t]*([^;=]*?)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"?|([^;]*))/g
  let m
  while ((m = re.exec(header)) !== null) {
    if (m[1].toLowerCase() !== 'charset') continue
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].replace(/[ \t]+$/, '')
    return value.toLowerCase()
  }
  return undefined
}

function configure (options) {
  const o = options ?? {}
  const limit = o.limit === undefined || o.limit === null ? DEFAULT_LIMIT : parseLimit(o.limit)
  if (limit === null) {
    const err = new TypeError(`option limit "${String(o.limit)}" is invalid`)
    err.code = 'ERR_INVALID_ARG_VALUE'
    throw err
  }
  const verify = o.verify || false
  if (verify !== false && typeof verify !== 'function') {
    const err = new TypeError('option verify must be function')
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  let schema
  if (o.schema !== undefined && o.schema !== null) {
    // A compileSchema() handle as it is; a schema object compiled once, here (an invalid one throws now).
    schema = o.schema instanceof schemaModule.CompiledSchema ? o.schema : schemaModule.compileSchema(o.schema)
  }
  return {
    limit,
    inflate: o.inflate !== false,
    strict: o.strict !== false,
    reviver: typeof o.reviver === 'function' ? o.reviver : undefined, // JSON.parse ignores any other value
    verify,
    schema,
    defaultCharset: o.defaultCharset || 'utf-8',
    shouldParse: typeChecker(o.type || 'application/json')
  }
}

// ---------------------------------------------------------------- reading the body (raw-body's rules)

/** on-finished's test: the request has been read (or cannot be). */
function isFinished (req) {
  const socket = req.socket
  return Boolean(req.upgrade || !socket || !socket.readable || (req.complete && !req.readable))
}

/** Reads off the rest of a request, then calls `callback` (body-parser does this before answering an error). */
function dump (req, callback) {
  if (isFinished(req)) return callback()
  let called = false
  const once = () => {
    if (called) return
    called = true
    req.removeListener('end', once)
    req.removeListener('close', once)
    req.removeListener('error', once)
    callback()
  }
  req.on('end', once)
  req.on('close', once)
  req.on('error', once)
  req.resume()
}

/**
 * Reads `stream` into one Buffer as raw-body does: 413 as soon as more than `limit` bytes came (or
 * at once when Content-Length says so), 400 when the request is aborted or its size does not match
 * Content-Length. `callback(err, buf)`. `req` is the request: its 'aborted' is heard also while `stream`
 * is its inflated form. `refuse`, if given, is the error to end with instead of reading, after the checks
 * raw-body makes first (an unknown charset: raw-body fails to make its decoder there).
 */
function readStream (stream, length, limit, callback, req, refuse) {
  let complete = false
  let received = 0
  let chunks = []
  const finish = (err, buf) => {
    if (complete) return
    complete = true
    cleanup()
    if (err) { // leave the stream paused, as raw-body's halt() does
      if (typeof stream.unpipe === 'function') stream.unpipe()
      if (typeof stream.pause === 'function') stream.pause()
    }
    callback(err, buf)
  }
  if (length !== null && length > limit) {
    return process.nextTick(finish, httpError(413, 'request entity too large', { expected: length, length, limit, type: 'entity.too.large' }))
  }
  const state = stream._readableState
  if (stream._decoder || (state && (state.encoding || state.decoder))) {
    return process.nextTick(finish, httpError(500, 'stream encoding should not be set', { type: 'stream.encoding.set' }))
  }
  if (stream.readable !== undefined && !stream.readable) {
    return process.nextTick(finish, httpError(500, 'stream is not readable', { type: 'stream.not.readable' }))
  }
  if (refuse !== undefined) return process.nextTick(finish, refuse)
  function onAborted () {
    finish(httpError(400, 'request aborted', { code: 'ECONNABORTED', expected: length, length, received, type: 'request.aborted' }))
  }
  function onData (chunk) {
    if (complete) return
    received += chunk.length
    if (received > limit) finish(httpError(413, 'request entity too large', { limit, received, type: 'entity.too.large' }))
    else chunks.push(chunk)
  }
  function onEnd (err) {
    if (complete) return
    if (err) return finish(err)
    if (length !== null && received !== length) {
      return finish(httpError(400, 'request size did not match content length', { expected: length, length, received, type: 'request.size.invalid' }))
    }
    finish(null, Buffer.concat(chunks))
  }
  function cleanup () {
    chunks = null
    req.removeListener('aborted', onAborted)
    stream.removeListener('data', onData)
    stream.removeListener('end', onEnd)
    stream.removeListener('error', onEnd)
    stream.removeListener('close', cleanup)
  }
  req.on('aborted', onAborted) // the request's, also when reading its inflated form (body-parser would wait forever)
  stream.on('close', cleanup)
  stream.on('data', onData)
  stream.on('end', onEnd)
  stream.on('error', onEnd)
}

/** An inflating stream on the pool whose output stops past `limit` bytes (so a bomb is cut short on the pool thread). */
function inflater (format, limit) {
  const max = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(limit)))
  return bytes.createDecompress({ format, maxOutputLength: max })
}

// ---------------------------------------------------------------- parsing

/** The first character of `text` that is not JSON whitespace, or undefined. */
function firstNonWhitespace (text) {
  for (let i = 0; i < text.length; i++) if (!WS.has(text[i])) return text[i]
  return undefined
}

/** The same for UTF-8 bytes: [index, character] (the character decoded), or undefined. */
function firstNonWhitespaceByte (buf) {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]
    if (b !== 0x20 && b !== 0x09 && b !== 0x0A && b !== 0x0D) return [i, b < 0x80 ? String.fromCharCode(b) : String.fromCodePoint(buf.toString('utf8', i, i + 4).codePointAt(0)).slice(0, 1)]
  }
  return undefined
}

/**
 * body-parser's strict-mode SyntaxError: JSON.parse's message for the text with everything from the
 * first non-whitespace character replaced, then those characters put back into the message.
 * `head` is the text's start (whitespace, then at least 64 characters, or all of it) and `whole`
 * whether it is the whole text.
 */
function strictError (head, whole, first) {
  const index = first === undefined ? -1 : head.indexOf(first)
  let partial = ''
  if (index !== -1) partial = head.slice(0, index) + '#'.repeat((whole ? head.length : index + 64) - index)
  try {
    JSON.parse(partial)
  } catch (e) {
    const message = e.message.replace(/#+/g, (run) => head.substring(index, index + run.length))
    return normalizeSyntaxError(e, message)
  }
  /* c8 ignore next */
  return new SyntaxError('strict violation')
}

/**
 * Validates the body against the compiled schema on the pool (parsed there, never on the loop);
 * throws 400 entity.validation.failed with the errors (ajv's shape, all of them up to the schema
 * module's maxErrors). A body that is not JSON rejects with validateJson's SyntaxError.
 */
async function validate (schema, input) {
  const result = await schemaModule.validateJson(input, schema, { allErrors: true })
  if (result.valid) return
  throw httpError(400, 'request body does not match the schema', { errors: result.errors, truncated: result.truncated, type: 'entity.validation.failed' })
}

// ---------------------------------------------------------------- the middleware

/**
 * Express / Connect middleware parsing JSON request bodies into `req.body`, as express.json()
 * (body-parser 2.x) does, with the same options (`limit`, `inflate`, `strict`, `type`, `verify`,
 * `reviver`, `defaultCharset`) and the same errors passed to `next` (status, type, expose, message);
 * plus `schema` (a compileSchema handle or a schema object): a body that does not match is answered
 * 400 `entity.validation.failed` with `errors`, before it is parsed. Inflating (gzip, deflate, br)
 * and parsing run on offthread's pool; only JSON.parse of each slice runs on the event loop.
 * @param {import('../../index').JsonBodyOptions} [options]
 */
function json (options) {
  const config = configure(options)

  return function jsonParser (req, res, next) {
    if (isFinished(req)) return next()
    if (!('body' in req)) req.body = undefined
    if (!(req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length'] ?? NaN)))) return next()
    if (!config.shouldParse(req)) return next()

    next = AsyncResource.bind(next) // the caller's async context (AsyncLocalStorage) for whatever comes next
    const charset = charsetOf(req.headers['content-type']) || config.defaultCharset
    if (charset.slice(0, 4) !== 'utf-') {
      return next(httpError(415, `unsupported charset "${charset.toUpperCase()}"`, { charset, type: 'charset.unsupported' }))
    }
    const unknownCharset = () => httpError(415, `unsupported charset "${charset.toUpperCase()}"`, { charset: charset.toLowerCase(), type: 'charset.unsupported' })
    if (config.verify && !hasDecoder(charset)) return next(unknownCharset())

    let stream = req
    let length = null
    const coding = String(req.headers['content-encoding'] || 'identity').toLowerCase()
    if (coding !== 'identity') {
      if (!config.inflate) return next(httpError(415, 'content encoding unsupported', { encoding: coding, type: 'encoding.unsupported' }))
      if (!Object.prototype.hasOwnProperty.call(CODINGS, coding)) {
        return next(httpError(415, `unsupported content encoding "${coding}"`, { encoding: coding, type: 'encoding.unsupported' }))
      }
      stream = inflater(CODINGS[coding], config.limit)
      req.pipe(stream)
    } else {
      const header = req.headers['content-length']
      length = header != null && !Number.isNaN(Number(header)) ? Number.parseInt(header, 10) : null
      if (Number.isNaN(length)) length = null
    }

    const fail = (err) => {
      if (stream !== req) {
        req.unpipe()
        stream.destroy()
      }
      dump(req, () => next(err))
    }

    readStream(stream, length, config.limit, done, req, hasDecoder(charset) ? undefined : unknownCharset())

    function done (err, buf) {
      if (err) {
        if (err.code === 'ERR_BUFFER_TOO_LARGE') { // the pool's decoder stopped at limit bytes of output
          err = httpError(413, 'request entity too large', { limit: config.limit, received: config.limit + 1, type: 'entity.too.large' })
        }
        return fail(busy(err) ?? withStatus(400, err))
      }
      if (stream !== req) {
        req.unpipe(stream)
        stream.on('error', () => {})
        stream.destroy()
        req.resume()
      }
      if (config.verify) {
        try {
          config.verify(req, res, buf, charset)
        } catch (e) {
          if (e instanceof Error) return next(withStatus(403, e, { body: buf, type: e.type || 'entity.verify.failed' }))
          // A thrown string is the message, as http-errors takes it; anything else gets the status's own.
          return next(httpError(403, typeof e === 'string' ? e : STATUS_CODES[403], { body: buf, type: 'entity.verify.failed' }))
        }
      }
      body(buf, charset).then((value) => {
        req.body = value
        next()
      }, next)
    }

    /** Decodes, validates (schema) and parses; rejects with body-parser's 400 errors. */
    async function body (buf, charset) {
      let input
      try {
        input = decodeBody(buf, charset)
      } catch (e) {
        throw withStatus(400, e, { body: buf, type: e.type || 'entity.parse.failed' })
      }
      const text = () => typeof input === 'string' ? input : input.toString('utf8')
      const parseFailed = (e) => {
        const err = withStatus(400, normalizeSyntaxError(e), {})
        lazyBody(err, text)
        err.type = 'entity.parse.failed'
        return err
      }
      if (input.length === 0) { // an empty body is {} (a common client mistake), as in body-parser
        if (config.schema !== undefined) await validate(config.schema, '{}') // and {} must match the schema
        return {}
      }
      if (config.strict) {
        if (typeof input === 'string') {
          const first = firstNonWhitespace(input)
          if (first !== '{' && first !== '[') throw parseFailed(strictError(input, true, first))
        } else {
          const found = firstNonWhitespaceByte(input)
          const first = found?.[1]
          if (first !== '{' && first !== '[') {
            // The message needs the text only up to V8's context: a body over exactMessageBytes is not decoded whole.
            const whole = input.length <= EXACT_MESSAGE_BYTES
            throw parseFailed(strictError(whole ? input.toString('utf8') : input.toString('utf8', 0, (found?.[0] ?? 0) + 4 * 64), whole, first))
          }
        }
      }
      try {
        if (config.schema !== undefined) await validate(config.schema, input) // the raw document, before any reviver
        // A small body is one JSON.parse, as in body-parser. parseJson would do the same, but then locate a
        // syntax error on the pool: a position body-parser's error drops, and a 503 when the pool is full.
        if (input.length <= P.inlineBytes) return JSON.parse(text(), config.reviver)
        return await parseJson(input, { reviver: config.reviver })
      } catch (e) {
        if (busy(e) !== undefined) throw e
        if (e instanceof Error && e.code === 'ERR_INTERNAL') throw withStatus(500, e, {})
        if (e instanceof Error && e.type === 'entity.validation.failed') throw e
        // A reviver that throws a non-Error: body-parser's normalize fails on it with a TypeError, which it answers
        // 400 entity.parse.failed; the same here, with a message that says what happened.
        if (!(e instanceof Error)) throw parseFailed(new TypeError(`The reviver threw ${describe(e)}, not an Error`))
        throw parseFailed(e) // JSON's SyntaxError, or what the reviver threw (body-parser answers 400 for both)
      }
    }
  }
}

module.exports = { json }
