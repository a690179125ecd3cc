'use strict'
// sendJson: a value as a JSON response, made in turns by stringifyJson's walk (lib/json/stringify.js),
// written with the socket's backpressure and compressed on the pool when the client accepts it.

const { pipeline, finished } = require('node:stream/promises')
const native = require('../native')
const scheduler = require('../scheduler')
const bytes = require('../bytes')
const { abortError, invalidType } = require('../errors')
const v = require('../validate')
const { parseOptions, newWalker, JsonReadable, KEYS, FORMATS } = require('./stringify')

const now = () => performance.now()

const SEND_KEYS = ['threshold']
/** The codings sendJson offers with `compress: true`, in the server's order of preference (as the middleware). */
const CODINGS = ['zstd', 'br', 'gzip', 'deflate']

/** The codings `compress` offers: true → all, an array of names → those, false/undefined → none. */
function codingsOf (compress) {
  if (compress === undefined || compress === false) return []
  if (compress === true) return CODINGS
  if (!Array.isArray(compress)) throw invalidType('compress', `boolean or an array of: ${CODINGS.join(', ')}`, compress)
  for (const c of compress) v.oneOf('compress', c, CODINGS)
  return compress
}

/**
 * Sends `value` as JSON on an http.ServerResponse (Express's `res` too): Content-Type
 * application/json; charset=utf-8 (unless set), the bytes of JSON.stringify(value, replacer, space) made
 * in turns of `sliceMs` and written with the socket's backpressure (the walk waits while the client reads
 * slowly). A body done in the first turn is sent whole with Content-Length; a larger one is streamed
 * (chunked). `compress: true` (or an array of codings among zstd, br, gzip, deflate) negotiates a coding
 * from the request's Accept-Encoding as the compression middleware does, compresses on the pool, and adds
 * Vary: Accept-Encoding; bodies under `threshold` bytes (default 1 KiB) go uncompressed. In Express,
 * `replacer` and `space` default to the app's 'json replacer' and 'json spaces' settings. Resolves when
 * the response is finished; rejects with JSON.stringify's errors (before anything is written, when they
 * happen in the first turn: the caller can still answer 500), ABORT_ERR on `signal`, or the stream error
 * when the client goes away (the walk stops).
 * @returns {Promise<void>}
 */
function sendJson (res, value, options) {
  return scheduler.reject(() => {
    if (res === null || typeof res !== 'object' || typeof res.setHeader !== 'function' || typeof res.end !== 'function') {
      throw invalidType('res', 'http.ServerResponse', res)
    }
    const o = v.knownKeys('options', v.options(options), new Set([...KEYS, ...SEND_KEYS]))
    if (o.level !== undefined) throw invalidType('level', 'undefined (sendJson compresses at each format\'s default level)', o.level)
    const codings = codingsOf(o.compress)
    const threshold = v.optInt('threshold', o.threshold, 0, Number.MAX_SAFE_INTEGER) ?? native.policy.bytes.middlewareThreshold
    const app = res.app !== undefined && res.app !== null && typeof res.app.get === 'function' ? res.app : undefined // Express's app (a function)
    const p = parseOptions({
      replacer: o.replacer === undefined && app !== undefined ? app.get('json replacer') : o.replacer,
      space: o.space === undefined && app !== undefined ? app.get('json spaces') : o.space,
      sliceMs: o.sliceMs,
      sliceBytes: o.sliceBytes,
      signal: o.signal,
      executor: o.executor
    })
    const signal = p.task.signal
    if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
    // The first turn, before any header: a small body is whole after it.
    const walker = newWalker(value, p.spec)
    const early = []
    walker.out.onChunk = (buf) => early.push(buf)
    const deadline = now() + p.sliceMs
    do walker.step(); while (!walker.done && now() < deadline)
    const req = res.req
    const head = req !== undefined && req !== null && req.method === 'HEAD'
    let coding = codings.length > 0 && req !== undefined && req !== null ? middleware().negotiate(req.headers?.['accept-encoding'], codings) : undefined
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8')
    if (codings.length > 0) middleware().varyOnAcceptEncoding(res)
    if (walker.done) {
      const body = walker.undefinedResult ? Buffer.alloc(0) : Buffer.concat(early)
      if (body.length < threshold) coding = undefined
      const encoded = coding === undefined ? Promise.resolve(body) : bytes.compress(body, { format: FORMATS[coding], signal, executor: o.executor })
      return encoded.then((out) => {
        if (coding !== undefined) res.setHeader('Content-Encoding', coding)
        res.setHeader('Content-Length', out.length)
        const done = finished(res)
        res.end(head ? undefined : out)
        return done
      })
    }
    if (coding !== undefined) res.setHeader('Content-Encoding', coding)
    res.removeHeader('Content-Length')
    if (head) {
      const done = finished(res)
      res.end()
      return done
    }
    const raw = new JsonReadable(walker, p.sliceMs, signal, early)
    const streams = [raw]
    if (coding !== undefined) streams.push(bytes.createCompress({ format: FORMATS[coding], signal, executor: o.executor }))
    streams.push(res)
    return pipeline(...streams)
  })
}

let middlewareModule
function middleware () {
  middlewareModule ??= require('../middleware')
  return middlewareModule
}

module.exports = { sendJson }
