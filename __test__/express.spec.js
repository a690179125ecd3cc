'use strict'
// The Express demo (examples/express) over real HTTP on an ephemeral port.

const test = require('ava')
const offthread = require('..')

// Before anything starts the pool: one thread and a short queue, so a burst can fill it.
offthread.configure({ threads: 1, maxQueue: 2 })

const { createApp } = require('../examples/express/app')
const { attachTicker } = require('../examples/express/ticker')

const users = new Map()
const logged = []
let server
let base
let closeTicker

test.before(async () => {
  const app = createApp({ users, logger: { error: (...args) => logged.push(args) } })
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  base = `http://127.0.0.1:${server.address().port}`
  closeTicker = attachTicker(server)
})

test.after.always(async () => {
  if (server !== undefined) await new Promise((resolve) => server.close(resolve))
  await offthread.close()
})

function post (path, body, headers = { 'content-type': 'application/json' }) {
  return fetch(base + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

async function json (t, res, status) {
  t.is(res.status, status)
  t.regex(res.headers.get('content-type'), /^application\/json/)
  return res.json()
}

// Serial: the pool has one thread and a queue of 2, so only the queue-full test runs a burst.
test.serial('signup, then login with the right password', async (t) => {
  t.deepEqual(await json(t, await post('/signup', { username: 'ann', password: 'correct horse' }), 201), { ok: true })
  t.true(users.get('ann').startsWith('$argon2id$v=19$m=19456,t=2,p=1$'))
  t.deepEqual(await json(t, await post('/login', { username: 'ann', password: 'correct horse' }), 200),
    { ok: true, rehashed: false })
})

test.serial('signup with a taken username is 409', async (t) => {
  await post('/signup', { username: 'bea', password: 'pw' })
  const body = await json(t, await post('/signup', { username: 'bea', password: 'other' }), 409)
  t.is(body.code, 'ERR_USER_EXISTS')
})

test.serial('a wrong password is 401', async (t) => {
  await post('/signup', { username: 'cal', password: 'right' })
  t.deepEqual(await json(t, await post('/login', { username: 'cal', password: 'wrong' }), 401),
    { error: 'invalid credentials', code: 'ERR_INVALID_CREDENTIALS' })
})

test.serial('an unknown user is 401, like a wrong password', async (t) => {
  const before = offthread.stats().completed
  t.deepEqual(await json(t, await post('/login', { username: 'nobody', password: 'x' }), 401),
    { error: 'invalid credentials', code: 'ERR_INVALID_CREDENTIALS' })
  t.true(offthread.stats().completed > before, 'a dummy verify ran on the pool')
})

test.serial('malformed JSON is 400 with a JSON body', async (t) => {
  const body = await json(t, await post('/login', '{"username": "ann",'), 400)
  t.deepEqual(body, { error: 'malformed JSON body', code: 'ERR_MALFORMED_JSON' })
})

test.serial('missing or non-string fields are 400', async (t) => {
  for (const bad of [{ username: 'ann' }, { password: 'pw' }, { username: 'ann', password: 42 }, [], {}]) {
    const body = await json(t, await post('/signup', bad), 400)
    t.is(body.code, 'ERR_INVALID_ARG_TYPE')
    t.is(typeof body.error, 'string')
  }
  // Not JSON at all: no body is parsed, so the fields are missing.
  const form = await json(t, await post('/login', 'username=ann', { 'content-type': 'application/x-www-form-urlencoded' }), 400)
  t.is(form.code, 'ERR_INVALID_ARG_TYPE')
})

test.serial('a password over offthread\'s 4 KiB cap is 400 ERR_PASSWORD_TOO_LONG', async (t) => {
  const body = await json(t, await post('/login', { username: 'ann', password: 'x'.repeat(5000) }), 400)
  t.is(body.code, 'ERR_PASSWORD_TOO_LONG')
})

test.serial('a body over 16 KiB is 413', async (t) => {
  const body = await json(t, await post('/login', { username: 'ann', password: 'x'.repeat(20000) }), 413)
  t.is(body.code, 'ERR_BODY_TOO_LARGE')
})

test.serial('unknown routes are 404 JSON', async (t) => {
  t.is((await json(t, await fetch(`${base}/nope`), 404)).code, 'ERR_NOT_FOUND')
})

test.serial('GET /health is 200', async (t) => {
  t.deepEqual(await json(t, await fetch(`${base}/health`), 200), { ok: true })
})

test.serial('GET /stats has pool counters and event-loop delay in ms', async (t) => {
  const body = await json(t, await fetch(`${base}/stats`), 200)
  for (const key of ['threads', 'queued', 'running', 'completed', 'failed', 'cancelled', 'rejected',
    'waitP50Ms', 'waitP99Ms', 'runP50Ms', 'runP99Ms']) {
    t.is(typeof body.pool[key], 'number', key)
  }
  t.is(body.pool.threads, 1)
  for (const key of ['p50Ms', 'p99Ms', 'maxMs', 'samples', 'windowMs']) {
    t.true(Number.isFinite(body.eventLoopDelay[key]), key)
  }
  t.true(body.eventLoopDelay.samples > 0)
  t.true(body.eventLoopDelay.p50Ms >= 10, 'includes the 10 ms sampling interval')
})

test.serial('a bcrypt user is migrated to argon2id at login', async (t) => {
  users.set('old', offthread.hashPasswordSync('legacy pw', { algorithm: 'bcrypt', cost: 4 }))
  t.true(users.get('old').startsWith('$2b$04$'))
  t.deepEqual(await json(t, await post('/login', { username: 'old', password: 'wrong' }), 401),
    { error: 'invalid credentials', code: 'ERR_INVALID_CREDENTIALS' })
  t.true(users.get('old').startsWith('$2b$04$'), 'a failed login does not rehash')
  t.deepEqual(await json(t, await post('/login', { username: 'old', password: 'legacy pw' }), 200),
    { ok: true, rehashed: true })
  t.true(users.get('old').startsWith('$argon2id$'))
  t.deepEqual(await json(t, await post('/login', { username: 'old', password: 'legacy pw' }), 200),
    { ok: true, rehashed: false })
})

test.serial('a corrupt stored hash is 500 with a code and no stack trace', async (t) => {
  users.set('broken', '$argon2id$v=19$not-a-hash')
  const res = await post('/login', { username: 'broken', password: 'pw' })
  const text = await res.text()
  t.is(res.status, 500)
  t.deepEqual(JSON.parse(text), { error: 'internal error', code: 'ERR_INVALID_HASH' })
  t.notRegex(text, /at |\.js/)
  t.is(logged.length, 1, 'logged on the server side')
})

test.serial('a full queue is 503 with Retry-After', async (t) => {
  // One thread and maxQueue 2: of 12 logins at once, most are refused at admission.
  const responses = await Promise.all(Array.from({ length: 12 }, () =>
    post('/login', { username: 'ann', password: 'correct horse' })))
  const busy = responses.filter((res) => res.status === 503)
  t.true(busy.length > 0)
  t.true(responses.some((res) => res.status === 200))
  for (const res of busy) {
    t.is(res.headers.get('retry-after'), '1')
    t.deepEqual(await res.json(), { error: 'server busy, retry later', code: 'ERR_QUEUE_FULL' })
  }
  t.is(responses.filter((res) => res.status !== 503 && res.status !== 200).length, 0)
  t.true(offthread.stats().rejected > 0)
})

test.serial('POST /thumbnail: a JPEG upload comes back as a thumbnail of the asked size and type; bad images are 400/413 with a code', async (t) => {
  const sharp = require('sharp')
  const fs = require('node:fs')
  const path = require('node:path')
  const photo = fs.readFileSync(path.join(__dirname, 'fixtures/images/exif/Landscape_1.jpg'))
  const raw = { 'content-type': 'image/jpeg' }
  let res = await fetch(`${base}/thumbnail?w=200&format=png`, { method: 'POST', headers: raw, body: photo })
  t.is(res.status, 200)
  t.is(res.headers.get('content-type'), 'image/png')
  const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata()
  t.deepEqual([meta.format, meta.width, meta.height], ['png', 200, 133])
  res = await fetch(`${base}/thumbnail?w=64&h=64`, { method: 'POST', headers: raw, body: photo })
  t.is(res.headers.get('content-type'), 'image/webp')
  t.is(res.headers.get('x-image-size'), '64x43')
  // Not an image; corrupt; a pixel bomb; bad query values.
  t.like(await json(t, await fetch(`${base}/thumbnail`, { method: 'POST', headers: raw, body: 'not an image' }), 400), { code: 'ERR_IMAGE_FORMAT' })
  t.like(await json(t, await fetch(`${base}/thumbnail`, { method: 'POST', headers: raw, body: photo.subarray(0, 2000) }), 400), { code: 'ERR_IMAGE_DECODE' })
  const bomb = Buffer.from(photo)
  const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]))
  bomb.writeUInt16BE(60000, sof + 5) // height
  bomb.writeUInt16BE(60000, sof + 7) // width
  t.like(await json(t, await fetch(`${base}/thumbnail`, { method: 'POST', headers: raw, body: bomb }), 413), { code: 'ERR_IMAGE_TOO_LARGE' })
  t.like(await json(t, await fetch(`${base}/thumbnail?w=0`, { method: 'POST', headers: raw, body: photo }), 400), { code: 'ERR_OUT_OF_RANGE' })
  t.like(await json(t, await fetch(`${base}/thumbnail?format=bmp`, { method: 'POST', headers: raw, body: photo }), 400), { code: 'ERR_INVALID_ARG_VALUE' })
})

test.serial('POST /watermark: the badge is composited at the asked gravity, as sharp places it; a photo smaller than the badge is 400', async (t) => {
  const sharp = require('sharp')
  const fs = require('node:fs')
  const path = require('node:path')
  const photo = fs.readFileSync(path.join(__dirname, 'fixtures/images/exif/Landscape_1.jpg'))
  const badge = path.join(__dirname, '..', 'examples', 'express', 'public', 'watermark.png')
  const raw = { 'content-type': 'image/jpeg' }
  const res = await fetch(`${base}/watermark?w=400&gravity=northwest&format=png`, { method: 'POST', headers: raw, body: photo })
  t.is(res.status, 200)
  t.is(res.headers.get('content-type'), 'image/png')
  const got = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true })
  t.deepEqual([got.info.width, got.info.height, got.info.channels], [400, 267, 4])
  // Where the badge is: the same pixels as sharp compositing it on offthread's own resize.
  const resized = await offthread.image(photo).resize(400).raw().toBuffer({ resolveWithObject: true })
  const want = await sharp(resized.data, { raw: resized.info }).composite([{ input: badge, gravity: 'northwest' }]).raw().toBuffer()
  t.true(got.data.equals(want))
  const plain = await sharp(resized.data, { raw: resized.info }).ensureAlpha().raw().toBuffer()
  t.false(got.data.equals(plain), 'the badge is there')
  t.like(await json(t, await fetch(`${base}/watermark?w=100`, { method: 'POST', headers: raw, body: photo }), 400), { code: 'ERR_INVALID_ARG_VALUE' })
  t.like(await json(t, await fetch(`${base}/watermark?gravity=middle`, { method: 'POST', headers: raw, body: photo }), 400), { code: 'ERR_INVALID_ARG_VALUE' })
})

/** Opens a raw connection, sends an upgrade request for `path`; resolves the socket and the first bytes back. */
function upgrade (path) {
  const net = require('node:net')
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.address().port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
        'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n')
    })
    socket.once('data', (head) => resolve({ socket, head: head.toString('latin1') }))
    socket.once('error', reject)
  })
}

/** The next `count` bytes from `socket`. */
function read (socket, count) {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0)
    const onData = (d) => {
      got = Buffer.concat([got, d])
      if (got.length >= count) { socket.off('data', onData); resolve(got) }
    }
    socket.on('data', onData)
  })
}

test.serial('GET /ticker (WebSocket) echoes each message; other upgrade paths are 404; close() ends the connections', async (t) => {
  const { socket, head } = await upgrade('/ticker')
  t.regex(head, /^HTTP\/1\.1 101 /)
  t.regex(head, /\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i, 'RFC 6455 §1.3 sample key')
  // Two masked text frames in one write: "tick" and "t".
  const mask = Buffer.from([1, 2, 3, 4])
  const masked = (text) => {
    const payload = Buffer.from(text).map((b, i) => b ^ mask[i & 3])
    return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload])
  }
  const echoed = read(socket, 9)
  socket.write(Buffer.concat([masked('tick'), masked('t')]))
  t.deepEqual(await echoed, Buffer.from([0x81, 4, ...Buffer.from('tick'), 0x81, 1, ...Buffer.from('t')]))
  // close(): a close frame (1001 going away), then the connection ends.
  const closing = read(socket, 4)
  const ended = new Promise((resolve) => socket.once('close', resolve))
  closeTicker()
  t.deepEqual(await closing, Buffer.from([0x88, 2, 0x03, 0xe9]))
  await ended
  const other = await upgrade('/elsewhere')
  t.regex(other.head, /^HTTP\/1\.1 404 /)
  other.socket.destroy()
})

test('prioritize(): GETs run at once, POSTs wait in arrival order and run 8 per loop turn; a line over maxWaiting is 503 at once', async (t) => {
  const { prioritize } = require('../examples/express/priority')
  const ran = []
  const wrapped = prioritize((req) => ran.push(req.id), { maxWaiting: 20 })
  const res = () => ({ destroyed: false })
  for (let i = 0; i < 20; i++) wrapped({ method: 'POST', id: `post${i}` }, res())
  wrapped({ method: 'GET', id: 'health' }, res())
  t.deepEqual(ran, ['health'], 'the GET ran before any POST')
  t.is(wrapped.waiting(), 20)
  // Over maxWaiting: answered 503 without the handler.
  const refused = { destroyed: false, writeHead (status, headers) { this.status = status; this.headers = headers }, end (body) { this.body = body } }
  wrapped({ method: 'POST', id: 'over' }, refused)
  t.is(refused.status, 503)
  t.is(refused.headers['retry-after'], '1')
  t.deepEqual(JSON.parse(refused.body), { error: 'server busy, retry later', code: 'ERR_SERVER_BUSY' })
  await new Promise((resolve) => setImmediate(resolve))
  t.deepEqual(ran.slice(1), Array.from({ length: 8 }, (_, i) => `post${i}`), 'one turn: the first 8, in order')
  // A client that left while waiting: its request is skipped.
  wrapped({ method: 'POST', id: 'gone' }, { destroyed: true })
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.deepEqual(ran.slice(1), Array.from({ length: 20 }, (_, i) => `post${i}`))
  t.is(wrapped.waiting(), 0)
})
