'use strict'
// The offthread Express demo: signup and login with argon2id hashes kept in memory.
// `createApp()` builds the app without listening, so tests can start it on port 0.

const { randomBytes } = require('node:crypto')
const path = require('node:path')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const express = require('express')
const offthread = require('offthread')
const { demoRoutes } = require('./demo-routes')
const { computeRoutes } = require('./compute')

/** OWASP argon2id parameters (also offthread's defaults), spelled out so hash and needsRehash agree. */
const HASH_OPTIONS = Object.freeze({ algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1 })
const MAX_USERNAME_LENGTH = 128

/** An error the error middleware turns into `{ error, code }` with `status`. */
function httpError (status, code, message) {
  return Object.assign(new Error(message), { status, code, expose: true })
}

/** Express 4 does not catch rejected promises: hand them to the error middleware. */
const route = (handler) => (req, res, next) => handler(req, res).catch(next)

/** Aborts when the client goes away before the response is sent: its queued hash never runs. */
function requestSignal (res) {
  const controller = new AbortController()
  res.on('close', () => { if (!res.writableFinished) controller.abort() })
  return controller.signal
}

/** `{ username, password }` from the JSON body, both non-empty strings, or a 400. */
function credentials (body) {
  const { username, password } = body ?? {}
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    throw httpError(400, 'ERR_INVALID_ARG_TYPE', 'username and password must be non-empty strings')
  }
  if (username.length > MAX_USERNAME_LENGTH) {
    throw httpError(400, 'ERR_INVALID_ARG_VALUE', `username must be at most ${MAX_USERNAME_LENGTH} characters`)
  }
  return { username, password }
}

/** Maps an error to `[status, body, headers]`. Only 4xx messages are shown; 5xx bodies never carry details. */
function describeError (err) {
  const code = typeof err.code === 'string' ? err.code : undefined
  switch (code) {
    case 'ERR_QUEUE_FULL': return [503, { error: 'server busy, retry later', code }, { 'Retry-After': '1' }]
    case 'ERR_POOL_CLOSED': return [503, { error: 'server shutting down', code }, {}]
    case 'ERR_PASSWORD_TOO_LONG': // offthread's checks on the password itself (length, NUL byte for bcrypt)
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_OUT_OF_RANGE':
    case 'ERR_IMAGE_FORMAT': // offthread's image errors: the upload is at fault
    case 'ERR_IMAGE_DECODE':
      return [400, { error: err.message, code }, {}]
    case 'ERR_IMAGE_TOO_LARGE':
      return [413, { error: err.message, code }, {}]
  }
  // body-parser errors carry a `type` and a 4xx status.
  if (err.type === 'entity.parse.failed') return [400, { error: 'malformed JSON body', code: 'ERR_MALFORMED_JSON' }, {}]
  if (err.type === 'entity.too.large') return [413, { error: 'request body too large', code: 'ERR_BODY_TOO_LARGE' }, {}]
  if (err.status >= 400 && err.status < 500) {
    return [err.status, { error: err.expose ? err.message : 'bad request', code: code ?? 'ERR_BAD_REQUEST' }, {}]
  }
  return [500, { error: 'internal error', code: code ?? 'ERR_INTERNAL' }, {}]
}

/**
 * Options (all optional): `users`, the Map username -> stored hash (tests pass their own);
 * `hashOptions`, what new hashes use and what needsRehash compares against;
 * `logger`, where 5xx errors are logged (default console).
 */
const THUMBNAIL_FORMATS = ['webp', 'jpeg', 'png', 'gif']

function createApp ({ users = new Map(), hashOptions = HASH_OPTIONS, logger = console } = {}) {
  const app = express()
  app.disable('x-powered-by')
  app.locals.users = users

  // Unknown usernames are verified against this hash (same parameters), so a 401 takes as long
  // either way. Hashed on the pool; the first login waits for it if it is not ready yet.
  const dummyHash = offthread.hashPassword(randomBytes(16).toString('base64'), hashOptions)
  dummyHash.catch(() => {}) // reported by the first login that awaits it

  // Event-loop delay, sampled every 10 ms. Each GET /stats reports the window since the
  // previous one and resets it. Values include the 10 ms sampling interval itself.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  let windowStart = performance.now()
  app.locals.loopDelay = loopDelay

  app.use(express.json({ limit: '16kb' }))

  app.get('/health', (req, res) => res.json({ ok: true }))

  app.get('/stats', (req, res) => {
    const ms = (ns) => (loopDelay.count === 0 ? 0 : Math.round(ns / 1e4) / 100)
    const now = performance.now()
    const eventLoopDelay = {
      p50Ms: ms(loopDelay.percentile(50)),
      p99Ms: ms(loopDelay.percentile(99)),
      maxMs: ms(loopDelay.max),
      samples: loopDelay.count,
      windowMs: Math.round(now - windowStart)
    }
    loopDelay.reset()
    windowStart = now
    res.json({ pool: offthread.stats(), eventLoopDelay })
  })

  app.post('/signup', route(async (req, res) => {
    const { username, password } = credentials(req.body)
    if (users.has(username)) throw httpError(409, 'ERR_USER_EXISTS', 'username already taken')
    const hash = await offthread.hashPassword(password, { ...hashOptions, signal: requestSignal(res) })
    if (users.has(username)) throw httpError(409, 'ERR_USER_EXISTS', 'username already taken') // a concurrent signup won
    users.set(username, hash)
    res.status(201).json({ ok: true })
  }))

  app.post('/login', route(async (req, res) => {
    const { username, password } = credentials(req.body)
    const signal = requestSignal(res)
    const stored = users.get(username)
    const ok = await offthread.verifyPassword(stored ?? await dummyHash, password, { signal })
    if (!ok || stored === undefined) throw httpError(401, 'ERR_INVALID_CREDENTIALS', 'invalid credentials')
    // Migrates old hashes (bcrypt, weaker argon2 parameters) while the plain password is at hand.
    let rehashed = false
    if (offthread.needsRehash(stored, hashOptions)) {
      const hash = await offthread.hashPassword(password, { ...hashOptions, signal })
      if (users.get(username) === stored) users.set(username, hash)
      rehashed = true
    }
    res.json({ ok: true, rehashed })
  }))

  // POST /thumbnail?w=&h=&format=: the raw image body (up to 25 MB) → the thumbnail, on the pool.
  app.post('/thumbnail', express.raw({ type: () => true, limit: '25mb' }), route(async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw httpError(400, 'ERR_IMAGE_FORMAT', 'send the image as the request body')
    const size = (name, fallback) => {
      if (req.query[name] === undefined) return fallback
      const n = Number(req.query[name])
      if (!Number.isInteger(n) || n < 1 || n > 4096) throw httpError(400, 'ERR_OUT_OF_RANGE', `${name} must be an integer from 1 to 4096`)
      return n
    }
    const format = req.query.format ?? 'webp'
    if (!THUMBNAIL_FORMATS.includes(format)) throw httpError(400, 'ERR_INVALID_ARG_VALUE', `format must be one of ${THUMBNAIL_FORMATS.join(', ')}`)
    const { data, info } = await offthread.image(req.body, { signal: requestSignal(res) })
      .resize(size('w', 320), size('h', undefined), { fit: 'inside', withoutEnlargement: true })
      .toFormat(format)
      .toBuffer({ resolveWithObject: true })
    res.type(format).set('X-Image-Size', `${info.width}x${info.height}`).send(data)
  }))

  // POST /watermark?gravity=&w=&format=: the raw image body → resized to fit w (default 1280) with the
  // offthread badge (public/watermark.png) composited at `gravity` (default southeast), on the pool.
  const badge = path.join(__dirname, 'public', 'watermark.png')
  app.post('/watermark', express.raw({ type: () => true, limit: '25mb' }), route(async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw httpError(400, 'ERR_IMAGE_FORMAT', 'send the image as the request body')
    const width = req.query.w === undefined ? 1280 : Number(req.query.w)
    if (!Number.isInteger(width) || width < 1 || width > 4096) throw httpError(400, 'ERR_OUT_OF_RANGE', 'w must be an integer from 1 to 4096')
    const format = req.query.format ?? 'jpeg'
    if (!THUMBNAIL_FORMATS.includes(format)) throw httpError(400, 'ERR_INVALID_ARG_VALUE', `format must be one of ${THUMBNAIL_FORMATS.join(', ')}`)
    // An unknown gravity throws ERR_INVALID_ARG_VALUE (400); a photo smaller than the badge rejects with it too.
    const { data, info } = await offthread.image(req.body, { signal: requestSignal(res) })
      .resize(width, undefined, { fit: 'inside', withoutEnlargement: true })
      .composite([{ input: badge, gravity: req.query.gravity ?? 'southeast' }])
      .toFormat(format)
      .toBuffer({ resolveWithObject: true })
    res.type(format).set('X-Image-Size', `${info.width}x${info.height}`).send(data)
  }))

  // The demo page (GET /) and its routes: GET /events, POST /demo/hash. See demo-routes.js.
  app.use(express.static(path.join(__dirname, 'public')))
  app.use(demoRoutes({ hashOptions }))
  // GET /compute: your own heavy JavaScript on the main thread, offthread's workers or piscina. See compute.js.
  app.use(computeRoutes())

  app.use((req, res) => res.status(404).json({ error: 'not found', code: 'ERR_NOT_FOUND' }))

  // Every error becomes JSON `{ error, code }`; stack traces go to the log, never to the client.
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err)
    if (res.destroyed) return // the client left (its request's signal aborted the task): no one to answer
    const [status, body, headers] = describeError(err)
    if (status >= 500 && body.code !== 'ERR_QUEUE_FULL' && body.code !== 'ERR_POOL_CLOSED') {
      logger.error(`${req.method} ${req.path} failed:`, err)
    }
    res.status(status).set(headers).json(body)
  })

  return app
}

module.exports = { createApp, HASH_OPTIONS }
