'use strict'
// The compression() middleware over real HTTP: an Express app on an ephemeral port, read with
// node:http (raw bytes: nothing is decoded on the way, unlike fetch) and decoded with node:zlib,
// or with offthread for zstd (Node 20 has none), then compared byte for byte with the body.

const test = require('ava')
const crypto = require('node:crypto')
const http = require('node:http')
const zlib = require('node:zlib')
const { PassThrough, Readable } = require('node:stream')
const { promisify } = require('node:util')
const { setTimeout: delay } = require('node:timers/promises')
const express = require('express')
const offthread = require('..')
const bytes = require('../lib/bytes')
const { ERR, checkError, throws } = require('./helpers/errors')

const { compression } = offthread
const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)
const brotliDecompress = promisify(zlib.brotliDecompress)

// A seam for the error and abort tests: a route sets `onNextCompressor` just before its first
// write, and receives the stream the middleware creates (synchronously, within that write).
const realCreateCompress = bytes.createCompress
let onNextCompressor
bytes.createCompress = (options) => {
  const stream = realCreateCompress(options)
  const hook = onNextCompressor
  onNextCompressor = undefined
  if (hook !== undefined) hook(stream)
  return stream
}

// Bodies: deterministic text made of words, so that ratios are those of real text.
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ')
function words (n, seed) {
  let x = seed
  const out = []
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out.push(WORDS[x % WORDS.length])
  }
  return out.join(' ')
}
const ITEMS = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `user ${i}`, email: `user${i}@example.com`, bio: words(8, i), tags: ['a', String(i % 7)] }))
const JSON_BODY = Buffer.from(JSON.stringify(ITEMS))
const TEXT = words(20000, 7) // ~120 KB
const STREAM_CHUNKS = Array.from({ length: 8 }, (_, i) => `chunk ${i}: ${words(600, i + 100)}\n`)
const STREAM_BODY = Buffer.from(STREAM_CHUNKS.join(''))
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(30000)])
const HEX = crypto.randomBytes(4 * 1024 * 1024).toString('hex') // 8 MiB that compresses to about half
const HEX_CHUNKS = Array.from({ length: HEX.length / 65536 }, (_, i) => HEX.slice(i * 65536, (i + 1) * 65536))
const GZIPPED = zlib.gzipSync(TEXT)
const EVENTS = 4

const reports = new Map() // what routes observed, by the request's ?id=
function report (req, value) {
  reports.set(req.query.id, value)
  return value
}

function createApp () {
  const app = express()
  app.get('/opts/deflate', compression({ encodings: ['deflate', 'gzip'] }), (req, res) => res.json(ITEMS))
  app.get('/opts/level0', compression({ level: 0 }), (req, res) => res.json(ITEMS))
  app.get('/opts/levels', compression({ gzip: { level: 9 }, brotli: { level: 11 }, zstd: { level: 19 } }), (req, res) => res.json(ITEMS))
  app.get('/opts/threshold0', compression({ threshold: 0 }), (req, res) => res.type('text').send('hello'))
  app.get('/opts/threshold2k', compression({ threshold: '2kb' }), (req, res) => res.type('text').send('x'.repeat(Number(req.query.n))))
  app.get('/opts/filter', compression({ filter: (req, res) => req.query.raw === undefined && compression.filter(req, res) }),
    (req, res) => res.json(ITEMS))
  app.get('/opts/everything', compression({ filter: () => true }), (req, res) => res.type('png').send(PNG))

  app.use(compression())
  app.get('/json', (req, res) => res.json(ITEMS)) // also serves HEAD
  app.get('/small', (req, res) => res.type('text').send('hello, small world'))
  app.get('/stream', async (req, res) => {
    res.type('text/plain')
    for (const chunk of STREAM_CHUNKS.slice(0, -1)) {
      res.write(chunk)
      await delay(2)
    }
    res.end(STREAM_CHUNKS.at(-1))
  })
  app.get('/pipe', (req, res) => {
    res.type('text/plain')
    Readable.from(STREAM_CHUNKS.map((c) => Buffer.from(c))).pipe(res)
  })
  app.get('/pipe-big', (req, res) => {
    res.type('text/plain')
    Readable.from(HEX_CHUNKS.map((c) => Buffer.from(c))).pipe(res)
  })
  app.get('/encoded', (req, res) => res.set('Content-Encoding', 'gzip').type('text/plain').send(GZIPPED))
  app.get('/png', (req, res) => res.type('png').send(PNG))
  app.get('/no-content', (req, res) => res.status(204).end())
  app.get('/no-transform', (req, res) => res.set('Cache-Control', 'public, no-transform').type('text').send(TEXT))
  app.get('/sse', (req, res) => {
    res.type('text/event-stream')
    res.write('data: hello\n\n'.repeat(200))
    res.flush()
    res.end()
  })
  app.get('/events', async (req, res) => { // Server-Sent Events: each one must reach the client before the next is written
    const r = report(req, { timedOut: false })
    res.type('text/event-stream')
    for (let i = 0; i < EVENTS; i++) {
      const seen = new Promise((resolve) => { r.seen = resolve })
      res.write(`data: ${i}\n\n`)
      res.flush()
      // A flush that held the bytes back would leave the client waiting: give up after 5 s.
      if (await Promise.race([seen.then(() => false), delay(5000).then(() => true)])) { r.timedOut = true; break }
    }
    res.end('data: end\n\n')
  })
  app.get('/no-type', (req, res) => res.end(Buffer.from(TEXT)))
  app.get('/exact', (req, res) => res.type('text').send('x'.repeat(Number(req.query.n))))
  app.get('/raw-end', (req, res) => { // no Content-Length: the size of the single res.end decides
    res.setHeader('Content-Type', 'text/plain')
    res.end('y'.repeat(Number(req.query.n)))
  })
  app.get('/write-small', (req, res) => { // size unknown when the headers go: compressed, like `compression`
    res.type('text')
    res.write('tiny')
    res.end()
  })
  app.get('/write-head', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(TEXT) })
    res.end(TEXT)
  })
  app.get('/write-head-array', (req, res) => {
    res.writeHead(201, 'Made', ['Content-Type', 'application/json', 'X-Thing', 'kept'])
    res.end(JSON_BODY)
  })
  app.get('/vary', (req, res) => res.set('Vary', req.query.vary).type('text').send(TEXT))
  app.get('/callbacks', (req, res) => {
    const r = report(req, { order: [] })
    let settle
    r.done = new Promise((resolve) => { settle = resolve })
    res.type('text')
    r.write1 = res.write('a'.repeat(3000), () => r.order.push('write1'))
    r.write2 = res.write(Buffer.from('b'.repeat(3000)), (err) => r.order.push(err ? 'error' : 'write2'))
    r.write3 = res.write('Y2NjYw==', 'base64', () => r.order.push('write3'))
    r.write4 = res.write(new Uint8Array([100, 100]), () => r.order.push('write4'))
    r.endReturnsRes = res.end('eee', 'utf8', () => r.order.push('end')) === res
    r.afterEnd = res.write('late', (err) => { r.lateError = err; settle() })
  })
  app.get('/backpressure', (req, res) => {
    const r = report(req, { writes: 0, falses: 0, drains: 0, callbacks: 0 })
    r.done = new Promise((resolve) => {
      res.type('text/plain')
      let i = 0
      const pump = () => {
        while (i < HEX_CHUNKS.length) {
          r.writes++
          if (!res.write(HEX_CHUNKS[i++], () => { r.callbacks++ })) {
            r.falses++
            res.once('drain', () => { r.drains++; pump() })
            return
          }
        }
        res.end(resolve)
      }
      pump()
    })
  })
  app.get('/tiny-writes', (req, res) => {
    const r = report(req, { tasks: 0 })
    onNextCompressor = (stream) => {
      const transform = stream._transform
      stream._transform = function (...args) { r.tasks++; return transform.apply(this, args) }
    }
    res.type('text')
    for (let i = 0; i < 5000; i++) res.write(`line ${i}\n`)
    res.end()
  })
  app.get('/fail', async (req, res) => {
    const r = report(req, {})
    r.closed = new Promise((resolve) => res.once('close', resolve))
    let compressor
    onNextCompressor = (stream) => { compressor = stream }
    res.type('text/plain')
    res.write(req.query.when === 'first' ? 'x'.repeat(2000) : HEX.slice(0, 1 << 20))
    if (req.query.when !== 'first') await delay(50) // let the first output reach the client
    r.sent = res.socket?.bytesWritten ?? 0
    compressor.destroy(Object.assign(new Error('simulated pool failure'), { code: 'ERR_QUEUE_FULL' }))
    await delay(10)
    r.writeAfter = res.write('more') // neither of these may throw
    res.end('tail')
  })
  app.get('/endless', async (req, res) => {
    const r = report(req, {})
    r.closed = new Promise((resolve) => res.once('close', resolve))
    onNextCompressor = (stream) => { r.compressor = stream }
    res.type('text/plain')
    while (!res.destroyed) {
      res.write(HEX_CHUNKS[0])
      await delay(5)
    }
    r.writeAfterClose = res.write('x')
    res.end()
  })
  app.get('/bad-chunk', (req, res) => {
    res.type('text')
    res.write(12345) // throws ERR_INVALID_ARG_TYPE, as node:http does; the error handler answers
  })
  app.use((err, req, res, next) => { // clears the headers first, as Express's finalhandler does
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    res.status(500).type('text').send(`${err.code}\n${'e'.repeat(2000)}`)
  })
  return app
}

let server
let port
const agent = new http.Agent({ keepAlive: true })

test.before(async () => {
  server = await new Promise((resolve) => {
    const s = createApp().listen(0, '127.0.0.1', () => resolve(s))
  })
  port = server.address().port
})

test.after.always(async () => {
  agent.destroy()
  if (server !== undefined) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await offthread.close()
})

/** A raw request: the body as received, not decoded. */
function request (path, { method = 'GET', acceptEncoding, pauseMs = 0, onFirstData } = {}) {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      const chunks = []
      res.on('error', reject)
      res.on('close', () => { if (!res.complete) reject(new Error('response closed before its end')) })
      res.on('end', () => resolve({ status: res.statusCode, statusMessage: res.statusMessage, headers: res.headers, body: Buffer.concat(chunks) }))
      const read = () => res.on('data', (c) => {
        chunks.push(c)
        if (onFirstData !== undefined) { onFirstData(req); onFirstData = undefined }
      })
      if (pauseMs > 0) setTimeout(read, pauseMs)
      else read()
    })
    req.on('error', reject)
    req.end()
  })
}

async function decode (r) {
  const body = r.body
  switch (r.headers['content-encoding']) {
    case undefined: return body
    case 'gzip': return gunzip(body)
    case 'deflate': return inflate(body)
    case 'br': return brotliDecompress(body)
    case 'zstd': return offthread.decompress(body, { format: 'zstd' })
    default: throw new Error(`unexpected Content-Encoding ${r.headers['content-encoding']}`)
  }
}

/** Asserts a compressed response: the coding, Vary, no Content-Length, and the decoded body. */
async function assertCompressed (t, r, encoding, expected) {
  t.is(r.status, 200)
  t.is(r.headers['content-encoding'], encoding)
  t.regex(r.headers.vary ?? '', /\bAccept-Encoding\b/)
  t.is(r.headers['content-length'], undefined)
  t.is(r.headers['transfer-encoding'], 'chunked')
  t.true(r.body.length > 0)
  const body = await decode(r)
  t.true(body.equals(expected), `${encoding}: ${body.length} bytes decoded, ${expected.length} expected`)
  return body
}

function assertIdentity (t, r, expected) {
  t.is(r.headers['content-encoding'], undefined)
  t.true(r.body.equals(expected), `${r.body.length} bytes received, ${expected.length} expected`)
}

for (const encoding of ['zstd', 'br', 'gzip']) {
  test(`a large res.json is sent with ${encoding} and decodes to the same bytes`, async (t) => {
    const r = await request('/json', { acceptEncoding: encoding })
    await assertCompressed(t, r, encoding, JSON_BODY)
    t.regex(r.headers['content-type'], /^application\/json/)
    t.true(r.body.length < JSON_BODY.length / 4, `${encoding}: ${r.body.length} bytes for ${JSON_BODY.length}`)
    if (encoding === 'zstd') t.is(r.body.readUInt32LE(0), 0xfd2fb528) // zstd frame magic
  })

  test(`a streamed response (several res.write, then res.end) is sent with ${encoding}`, async (t) => {
    await assertCompressed(t, await request('/stream', { acceptEncoding: encoding }), encoding, STREAM_BODY)
  })
}

test('deflate is negotiated by default (as in compression), and the server\'s order breaks ties', async (t) => {
  await assertCompressed(t, await request('/opts/deflate', { acceptEncoding: 'gzip, deflate' }), 'deflate', JSON_BODY)
  await assertCompressed(t, await request('/opts/deflate', { acceptEncoding: 'gzip, deflate;q=0' }), 'gzip', JSON_BODY)
  await assertCompressed(t, await request('/json', { acceptEncoding: 'deflate' }), 'deflate', JSON_BODY)
  await assertCompressed(t, await request('/json', { acceptEncoding: 'deflate, gzip' }), 'gzip', JSON_BODY)
})

test('Accept-Encoding negotiation: q-values, identity, * and the server\'s preference order', async (t) => {
  const cases = [
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZip', 'gzip'],
    ['br', 'br'],
    ['zstd', 'zstd'],
    ['gzip, deflate, br, zstd', 'zstd'],
    ['gzip, deflate, br', 'br'],
    ['gzip;q=0, br', 'br'],
    ['gzip;q=1.0, br;q=0.1', 'gzip'], // the highest q wins; the server's order only breaks ties
    ['gzip, br;q=0.8', 'gzip'],
    ['gzip;q=0.5, identity', undefined], // identity preferred over every offered coding
    ['gzip;q=0.001', 'gzip'], // as acceptable as identity (the least q named): the coding wins the tie
    ['br;q=0, gzip;q=0.000', undefined],
    ['zstd;q=0.001', 'zstd'],
    ['*', 'zstd'],
    ['*;q=0', undefined],
    ['zstd;q=0, *', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['zstd;q=0, br;q=0, *;q=0.2', 'gzip'],
    ['identity, *;q=0', undefined],
    ['gzip;q=bogus, br', 'br'], // a malformed q-value: the entry is ignored
    [' gzip ; q=1 , br ; Q=0 ', 'gzip'],
    ['compress, identity;q=1', undefined]
  ]
  await Promise.all(cases.map(async ([acceptEncoding, expected]) => {
    const r = await request('/json', { acceptEncoding })
    t.is(r.headers['content-encoding'], expected, `Accept-Encoding: ${acceptEncoding}`)
    t.is(r.headers.vary, 'Accept-Encoding', `Accept-Encoding: ${acceptEncoding}`)
    t.true((await decode(r)).equals(JSON_BODY), `Accept-Encoding: ${acceptEncoding}`)
    if (expected === undefined) t.is(r.headers['content-length'], String(JSON_BODY.length))
  }))
})

test('a small response below the threshold is sent as is, with its Content-Length', async (t) => {
  const r = await request('/small', { acceptEncoding: 'gzip, br, zstd' })
  assertIdentity(t, r, Buffer.from('hello, small world'))
  t.is(r.headers['content-length'], '18')
  t.is(r.headers.vary, 'Accept-Encoding') // the URL's representation still varies
})

test('threshold: below it is not compressed, at it is; a single res.end without Content-Length counts too', async (t) => {
  const ae = { acceptEncoding: 'gzip' }
  assertIdentity(t, await request('/exact?n=1023', ae), Buffer.from('x'.repeat(1023)))
  await assertCompressed(t, await request('/exact?n=1024', ae), 'gzip', Buffer.from('x'.repeat(1024)))
  const small = await request('/raw-end?n=500', ae)
  assertIdentity(t, small, Buffer.from('y'.repeat(500)))
  t.is(small.headers['content-length'], '500') // node:http still computes it
  await assertCompressed(t, await request('/raw-end?n=5000', ae), 'gzip', Buffer.from('y'.repeat(5000)))
  // res.write before res.end: the size is unknown when the headers go, so it is compressed.
  await assertCompressed(t, await request('/write-small', ae), 'gzip', Buffer.from('tiny'))
})

test('threshold option: a string such as \'2kb\', and 0', async (t) => {
  const ae = { acceptEncoding: 'br' }
  assertIdentity(t, await request('/opts/threshold2k?n=2047', ae), Buffer.from('x'.repeat(2047)))
  await assertCompressed(t, await request('/opts/threshold2k?n=2048', ae), 'br', Buffer.from('x'.repeat(2048)))
  await assertCompressed(t, await request('/opts/threshold0', ae), 'br', Buffer.from('hello'))
})

test('the default filter skips an image/png and a response without Content-Type; text/event-stream is compressed, as in compression', async (t) => {
  const png = await request('/png', { acceptEncoding: 'gzip, br' })
  assertIdentity(t, png, PNG)
  t.is(png.headers['content-length'], String(PNG.length))
  t.is(png.headers.vary, undefined) // filtered out: nothing varies
  assertIdentity(t, await request('/no-type', { acceptEncoding: 'gzip' }), Buffer.from(TEXT))
  await assertCompressed(t, await request('/sse', { acceptEncoding: 'gzip' }), 'gzip', Buffer.from('data: hello\n\n'.repeat(200)))
})

test('a custom filter, which can build on compression.filter', async (t) => {
  await assertCompressed(t, await request('/opts/filter', { acceptEncoding: 'gzip' }), 'gzip', JSON_BODY)
  const raw = await request('/opts/filter?raw', { acceptEncoding: 'gzip' })
  assertIdentity(t, raw, JSON_BODY)
  t.is(raw.headers.vary, undefined)
  await assertCompressed(t, await request('/opts/everything', { acceptEncoding: 'zstd' }), 'zstd', PNG)
})

test('an already-encoded response passes through untouched', async (t) => {
  const r = await request('/encoded', { acceptEncoding: 'br, gzip, zstd' })
  t.is(r.headers['content-encoding'], 'gzip')
  t.true(r.body.equals(GZIPPED))
  t.is(r.headers['content-length'], String(GZIPPED.length))
  t.is((await gunzip(r.body)).toString(), TEXT)
})

test('Cache-Control: no-transform is respected', async (t) => {
  const r = await request('/no-transform', { acceptEncoding: 'gzip, br, zstd' })
  assertIdentity(t, r, Buffer.from(TEXT))
  t.is(r.headers['content-length'], String(Buffer.byteLength(TEXT)))
  t.is(r.headers.vary, undefined)
})

test('HEAD gets the GET headers without Content-Encoding, and no body', async (t) => {
  const r = await request('/json', { method: 'HEAD', acceptEncoding: 'gzip, br, zstd' })
  t.is(r.status, 200)
  t.is(r.headers['content-encoding'], undefined)
  t.is(r.headers.vary, 'Accept-Encoding')
  t.is(r.headers['content-length'], String(JSON_BODY.length))
  t.is(r.body.length, 0)
})

test('204 is not compressed', async (t) => {
  const r = await request('/no-content', { acceptEncoding: 'gzip, br, zstd' })
  t.is(r.status, 204)
  t.is(r.headers['content-encoding'], undefined)
  t.is(r.body.length, 0)
})

test('headers given to res.writeHead (object or flat array) are seen, and the status line kept', async (t) => {
  await assertCompressed(t, await request('/write-head', { acceptEncoding: 'br' }), 'br', Buffer.from(TEXT))
  const r = await request('/write-head-array', { acceptEncoding: 'zstd' })
  t.is(r.status, 201)
  t.is(r.statusMessage, 'Made')
  t.is(r.headers['x-thing'], 'kept')
  t.is(r.headers['content-encoding'], 'zstd')
  t.true((await decode(r)).equals(JSON_BODY))
})

test('Vary is appended to, not clobbered', async (t) => {
  const origin = await request('/vary?vary=Origin', { acceptEncoding: 'gzip' })
  t.is(origin.headers.vary, 'Origin, Accept-Encoding')
  t.true((await decode(origin)).equals(Buffer.from(TEXT)))
  t.is((await request('/vary?vary=accept-encoding', { acceptEncoding: 'gzip' })).headers.vary, 'accept-encoding')
  t.is((await request('/vary?vary=*', { acceptEncoding: 'gzip' })).headers.vary, '*')
})

test('levels reach the encoders: gzip level 0 stores, brotli 11 and zstd 19 beat the defaults', async (t) => {
  const stored = await request('/opts/level0', { acceptEncoding: 'gzip' })
  await assertCompressed(t, stored, 'gzip', JSON_BODY)
  t.true(stored.body.length > JSON_BODY.length)
  for (const encoding of ['br', 'zstd', 'gzip']) {
    const best = await request('/opts/levels', { acceptEncoding: encoding })
    await assertCompressed(t, best, encoding, JSON_BODY)
    const normal = await request('/json', { acceptEncoding: encoding })
    t.true(best.body.length < normal.body.length, `${encoding}: ${best.body.length} vs ${normal.body.length}`)
  }
})

test('Readable#pipe(res) is compressed', async (t) => {
  await assertCompressed(t, await request('/pipe', { acceptEncoding: 'br' }), 'br', STREAM_BODY)
})

test('res.write / res.end keep their callbacks, encodings and return values', async (t) => {
  const r = await request('/callbacks?id=cb', { acceptEncoding: 'gzip' })
  await assertCompressed(t, r, 'gzip', Buffer.from('a'.repeat(3000) + 'b'.repeat(3000) + 'cccc' + 'dd' + 'eee'))
  const seen = reports.get('cb')
  await seen.done
  await delay(20) // 'finish' may come after the client has the last byte
  t.deepEqual(seen.order, ['write1', 'write2', 'write3', 'write4', 'end'])
  t.is(typeof seen.write1, 'boolean')
  t.true(seen.endReturnsRes)
  t.false(seen.afterEnd)
  checkError(t, seen.lateError, ['ERR_STREAM_WRITE_AFTER_END', Error, 'node'], { label: 'a write after end()' })
})

test('backpressure: res.write returns false and \'drain\' follows, through a slow client', async (t) => {
  t.timeout(30e3) // a lost 'drain' would hang
  const r = await request('/backpressure?id=bp', { acceptEncoding: 'gzip', pauseMs: 300 })
  await assertCompressed(t, r, 'gzip', Buffer.from(HEX))
  const seen = reports.get('bp')
  await seen.done
  t.is(seen.writes, HEX_CHUNKS.length)
  t.true(seen.falses > 0)
  t.is(seen.drains, seen.falses)
  t.is(seen.callbacks, seen.writes)
})

test('Readable#pipe(res) follows the compressor\'s backpressure through a slow client', async (t) => {
  t.timeout(30e3)
  await assertCompressed(t, await request('/pipe-big', { acceptEncoding: 'zstd', pauseMs: 300 }), 'zstd', Buffer.from(HEX))
})

/** A streaming decoder for a Content-Encoding: node:zlib's (it hands out what a flush made decodable), offthread's for zstd. */
function decoderFor (encoding) {
  switch (encoding) {
    case undefined: return new PassThrough()
    case 'gzip': return zlib.createGunzip()
    case 'deflate': return zlib.createInflate()
    case 'br': return zlib.createBrotliDecompress()
    case 'zstd': return offthread.createDecompress({ format: 'zstd' })
  }
}

/** Reads /events, telling the route each time a whole event more has been decoded; returns what was decoded at each. */
function readEvents (id, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const steps = []
    const raw = []
    http.get({ host: '127.0.0.1', port, path: `/events?id=${id}`, headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      let text = ''
      const decoder = decoderFor(res.headers['content-encoding'])
      res.on('data', (c) => raw.push(c))
      res.pipe(decoder)
      decoder.on('data', (chunk) => {
        text += chunk
        if (text.endsWith('\n\n')) {
          steps.push(text)
          reports.get(id).seen()
        }
      })
      decoder.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(raw), steps }))
      decoder.on('error', reject)
    }).on('error', reject)
  })
}

const EVENT_TEXTS = Array.from({ length: EVENTS }, (_, i) => `data: ${i}\n\n`)
/** What the client must have decoded after each event: every event so far, then the last with res.end's. */
const EVENT_STEPS = [...EVENT_TEXTS.map((_, i) => EVENT_TEXTS.slice(0, i + 1).join('')), EVENT_TEXTS.join('') + 'data: end\n\n']

for (const encoding of ['gzip', 'deflate', 'br', 'zstd']) {
  test(`res.flush() sends what was written so far with ${encoding}: each event decodes before the next is written`, async (t) => {
    t.timeout(30e3)
    const id = `events-${encoding}`
    const r = await readEvents(id, encoding)
    t.is(r.headers['content-encoding'], encoding)
    t.is(r.headers['content-type'], 'text/event-stream; charset=utf-8')
    t.false(reports.get(id).timedOut, 'every flushed event reached the client while the server waited for it')
    t.deepEqual(r.steps, EVENT_STEPS)
    t.is((await decode(r)).toString(), EVENT_STEPS.at(-1), 'the whole body decodes in one go too')
  })
}

test('res.flush() on a response that is not compressed changes nothing', async (t) => {
  const r = await readEvents('events-identity', 'identity')
  t.is(r.headers['content-encoding'], undefined)
  t.false(reports.get('events-identity').timedOut)
  t.deepEqual(r.steps, EVENT_STEPS)
  t.is(r.body.toString(), EVENT_STEPS.at(-1))
})

test('many small writes are coalesced into few pool tasks', async (t) => {
  const expected = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''))
  await assertCompressed(t, await request('/tiny-writes?id=tiny', { acceptEncoding: 'zstd' }), 'zstd', expected)
  const { tasks } = reports.get('tiny')
  t.true(tasks >= 1 && tasks <= 50, `${tasks} tasks for 5000 writes`)
})

test('50 concurrent requests all decode to their bodies', async (t) => {
  const kinds = [
    ['/json', 'zstd', JSON_BODY], ['/json', 'br', JSON_BODY], ['/json', 'gzip', JSON_BODY],
    ['/stream', 'zstd', STREAM_BODY], ['/stream', 'br', STREAM_BODY], ['/stream', 'gzip', STREAM_BODY],
    ['/opts/deflate', 'deflate', JSON_BODY], ['/small', 'gzip', Buffer.from('hello, small world')]
  ]
  const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const [path, encoding, expected] = kinds[i % kinds.length]
    const r = await request(path, { acceptEncoding: encoding })
    const compressed = expected.length >= 1024
    t.is(r.headers['content-encoding'], compressed ? encoding : undefined, `request ${i}: ${path} ${encoding}`)
    return (await decode(r)).equals(expected)
  }))
  t.is(results.filter(Boolean).length, 50)
})

for (const when of ['first', 'later']) {
  test.serial(`a compressor error (${when === 'first' ? 'before any byte' : 'mid-body'}) destroys the response, and nothing throws`, async (t) => {
    t.timeout(10e3) // a response left open would hang
    const id = `fail-${when}`
    const err = await t.throwsAsync(request(`/fail?id=${id}&when=${when}`, { acceptEncoding: 'gzip' }))
    t.truthy(err)
    const seen = reports.get(id)
    await seen.closed
    await delay(20)
    t.false(seen.writeAfter)
    if (when === 'later') t.true(seen.sent > 0, 'some of the body had reached the client')
    // The server goes on serving.
    await assertCompressed(t, await request('/json', { acceptEncoding: 'gzip' }), 'gzip', JSON_BODY)
  })
}

test.serial('a client that goes away stops the compressor', async (t) => {
  t.timeout(10e3)
  await request('/endless?id=gone', {
    acceptEncoding: 'br',
    onFirstData: (req) => req.destroy()
  }).catch(() => {})
  const seen = reports.get('gone')
  await seen.closed
  await delay(20)
  t.true(seen.compressor.destroyed)
  t.false(seen.writeAfterClose)
})

test('a chunk of the wrong type throws before anything is decided, so the error response is sound', async (t) => {
  const r = await request('/bad-chunk', { acceptEncoding: 'gzip' })
  t.is(r.status, 500)
  t.is(r.headers['content-encoding'], 'gzip')
  t.is((await decode(r)).toString(), `ERR_INVALID_ARG_TYPE\n${'e'.repeat(2000)}`)
})

test('works on a plain node:http server', async (t) => {
  const middleware = compression({ encodings: ['br'] })
  const plain = http.createServer((req, res) => middleware(req, res, () => {
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON_BODY)
  }))
  await new Promise((resolve) => plain.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { plain.closeAllConnections(); plain.close() })
  const r = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: plain.address().port, headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
    }).on('error', reject)
  })
  await assertCompressed(t, r, 'br', JSON_BODY)
})

test('works on an http2 server (Http2ServerResponse): one res.end, streamed writes, res.flush()', async (t) => {
  t.timeout(30e3)
  const http2 = require('node:http2')
  const middleware = compression()
  const server = http2.createServer((req, res) => middleware(req, res, async () => {
    res.setHeader('Content-Type', 'text/plain')
    if (req.url === '/one') return res.end(TEXT)
    for (const chunk of STREAM_CHUNKS.slice(0, -1)) {
      res.write(chunk)
      res.flush()
      await delay(2)
    }
    res.end(STREAM_CHUNKS.at(-1))
  }))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = http2.connect(`http://127.0.0.1:${server.address().port}`)
  t.teardown(() => { client.close(); server.close() })
  const get = (path, acceptEncoding) => new Promise((resolve, reject) => {
    const req = client.request({ ':path': path, 'accept-encoding': acceptEncoding })
    const chunks = []
    let headers
    req.on('response', (h) => { headers = h })
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => resolve({ headers, body: Buffer.concat(chunks) }))
    req.on('error', reject)
    req.end()
  })
  for (const encoding of ['gzip', 'br', 'zstd']) {
    for (const [path, expected] of [['/one', Buffer.from(TEXT)], ['/stream', STREAM_BODY]]) {
      const r = await get(path, encoding)
      t.is(r.headers[':status'], 200)
      t.is(r.headers['content-encoding'], encoding, `${path} ${encoding}`)
      t.is(r.headers.vary, 'Accept-Encoding')
      t.true((await decode(r)).equals(expected), `${path} ${encoding} decodes to its body`)
    }
  }
})

test('options are checked when the middleware is created', (t) => {
  for (const [options, expected] of [
    [{ level: 10 }, ERR.range],
    [{ brotli: { level: 12 } }, ERR.range],
    [{ zstd: { level: -8 } }, ERR.range],
    [{ brotli: { quality: 5 } }, ERR.value],
    [{ encodings: ['brotli'] }, ERR.value],
    [{ encodings: 'gzip' }, ERR.type],
    [{ threshold: 'big' }, ERR.value],
    [{ threshold: -1 }, ERR.range],
    [{ filter: 'json' }, ERR.type],
    [{ chunkSize: 16384 }, ERR.value]
  ]) {
    throws(t, () => compression(options), expected, { label: JSON.stringify(options) })
  }
  // The package's node:zlib options are refused by name, never ignored (README: compression() options).
  for (const [options, name] of [
    [{ chunkSize: 16384 }, 'options.chunkSize'], [{ memLevel: 9 }, 'options.memLevel'], [{ strategy: 1 }, 'options.strategy'],
    [{ windowBits: 15 }, 'options.windowBits'], [{ dictionary: Buffer.from('a') }, 'options.dictionary'],
    [{ flush: 2 }, 'options.flush'], [{ brotli: { chunkSize: 16384 } }, 'brotli.chunkSize'],
    [{ brotli: { params: { [zlib.constants.BROTLI_PARAM_MODE]: 1 } } }, `brotli.params[${zlib.constants.BROTLI_PARAM_MODE}]`]
  ]) {
    const err = throws(t, () => compression(options), ERR.value, { label: JSON.stringify(options) })
    t.true(err?.message.includes(name), `${err?.message} names ${name}`)
  }
  t.is(typeof compression(), 'function')
  t.is(typeof compression({ brotli: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }, enforceEncoding: 'gzip' }), 'function')
  t.is(typeof compression({ level: -1, threshold: '1.5kb', encodings: ['gzip', 'deflate'], zstd: { level: 22 } }), 'function')
})
