'use strict'
// Digests and compression, offthread against node:crypto and node:zlib, in one process.
//
//   npm run bench:bytes
//   BENCH_SECONDS=1 BENCH_FILTER='gzip|gunzip' node bench/bytes.js
//
// Env: BENCH_SECONDS (per case, default 3), BENCH_DIGEST_CONCURRENCY (default 1),
// BENCH_CODEC_CONCURRENCY (default 2), BENCH_IDLE_SECONDS (default 3), BENCH_DIGEST_MB (default
// 256), BENCH_JSON_MB (default 16), BENCH_FILTER (case-insensitive regex on "<case> / <library>").
//
// Inputs: one 256 MB buffer of random bytes (MB = 2^20 bytes, throughout) for the digests, and
// a ~16 MB JSON document of API-like records built from a seeded PRNG (gzip-6 ratio ≈ 5.8) for
// compression. Each case runs one untimed warm-up (which also checks the output: round trip
// through the other implementation, or the same digest as node:crypto), then calls the
// operation back to back for BENCH_SECONDS with the event-loop and fs probes running
// (harness.js). Digests run one at a time (each is a 256 MB operation); compression and
// decompression run 2 at a time, a server compressing two responses at once.
//
// MB/s is bytes / elapsed, counting the input for digests and compression and the OUTPUT for
// decompression. Ratio is uncompressed / compressed. "stall" is the longest event-loop stall seen
// during the case: the larger of monitorEventLoopDelay's max (1 ms resolution) and a
// setInterval(1 ms) watchdog's longest gap minus 1 ms (the histogram alone can miss a stall that
// lasts until the case ends, as node:crypto's 600 ms sha512 does in a 1 s case). "fs p99" is the
// p99 latency of a 4 KiB fs.promises.readFile issued every 20 ms during the load, which shows
// libuv's threadpool being busy. node:crypto hashes on the JS thread: each hash runs in its own
// setImmediate callback, so the loop gets a turn between hashes, as it would between requests.
//
// The middleware: one Express app in this process serves the same JSON bytes (a prefix of the
// document above: 2 KB, 64 KB, 1 MB) under /offthread/<size>, behind offthread's compression(),
// and /compression/<size>, behind the `compression` package (1.8.1, node:zlib streams on libuv's
// threadpool), each at its defaults (gzip level 6, brotli quality 4 for both). ETags are off so
// that only compression differs. autocannon drives it from a child process (under
// `nice -n BENCH_LOADER_NICE`, default 10, standing in for clients on other machines) with
// BENCH_HTTP_CONNECTIONS keep-alive connections (default 8) for BENCH_HTTP_SECONDS (default 5)
// per case, Accept-Encoding gzip or br; each case first checks one response (its coding, and that
// it decodes to the body). Measured in the server process during the load: requests/s, the event
// loop's p99 delay, the fs probe's p99, and CPU per request (this process's user+system time, all
// threads: the loop, the pool or libuv's threadpool). Env BENCH_HTTP=0 skips the middleware cases.

const crypto = require('node:crypto')
const { performance } = require('node:perf_hooks')
const zlib = require('node:zlib')
const { promisify } = require('node:util')
const h = require('./harness')
const offthread = require('..')

const SECONDS = h.envNumber('BENCH_SECONDS', 3)
const DIGEST_CONCURRENCY = h.envNumber('BENCH_DIGEST_CONCURRENCY', 1)
const CODEC_CONCURRENCY = h.envNumber('BENCH_CODEC_CONCURRENCY', 2)
const IDLE_SECONDS = h.envNumber('BENCH_IDLE_SECONDS', 3)
const DIGEST_MB = h.envNumber('BENCH_DIGEST_MB', 256)
const JSON_MB = h.envNumber('BENCH_JSON_MB', 16)
const FILTER = h.envFilter()
const HTTP = h.envNumber('BENCH_HTTP', 1) !== 0
const HTTP_SECONDS = h.envNumber('BENCH_HTTP_SECONDS', 5)
const HTTP_CONNECTIONS = h.envNumber('BENCH_HTTP_CONNECTIONS', 8)
const LOADER_NICE = h.envNumber('BENCH_LOADER_NICE', 10)
const MB = 2 ** 20
const PAUSE_MS = 250

const gzip = promisify(zlib.gzip)
const gunzip = promisify(zlib.gunzip)
const brotliCompress = promisify(zlib.brotliCompress)
const brotliDecompress = promisify(zlib.brotliDecompress)
const BROTLI_Q4 = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }

const OFF = 'offthread (pool)'
const NODE_CRYPTO = 'node:crypto (JS thread)'
const NODE_ZLIB = 'node:zlib (libuv)'
const NODE_CRC32 = 'node:zlib crc32 (JS thread)'

// ---- inputs --------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so the JSON document is the same on every run. */
function mulberry32 (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FIRST = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'John', 'Radia',
  'Edsger', 'Katherine', 'Donald', 'Sophie', 'Tim', 'Hedy', 'Guido', 'Anita', 'Bjarne', 'Mary', 'James', 'Shafi', 'Leslie']
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen',
  'McCarthy', 'Perlman', 'Dijkstra', 'Johnson', 'Knuth', 'Wilson', 'Berners-Lee', 'Lamarr', 'van Rossum', 'Borg',
  'Stroustrup']
const WORDS = ('the of and to in is for on with as by at from that this be are or an it not which have has but was ' +
  'were can data server request response cache user account order payment invoice shipping product review rating ' +
  'stock warehouse delivery customer session token refresh update create delete list search filter page limit offset ' +
  'total price discount tax currency region country city street postal code phone email verified pending active ' +
  'archived failed retry timeout quickly slowly reliable fast secure simple robust minor major critical feature ' +
  'release version build deploy rollback').split(' ')
const CITIES = ['Paris', 'Berlin', 'Lisbon', 'Austin', 'Osaka', 'Toronto', 'Nairobi', 'Lima', 'Oslo', 'Seoul', 'Perth',
  'Cairo']
const TAGS = ['new', 'sale', 'eco', 'bulk', 'gift', 'limited', 'import', 'local', 'premium', 'clearance', 'bundle',
  'refurb']

/**
 * A JSON array of user records like an API's list response (ids, uuids, names, emails, dates,
 * floats, nested address/settings/orders, free text, nulls), compact, of about `targetBytes`.
 */
function makeJson (targetBytes, seed = 42) {
  const rnd = mulberry32(seed)
  const int = (n) => Math.floor(rnd() * n)
  const pick = (a) => a[int(a.length)]
  const hex = (n) => { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[int(16)]; return s }
  const sentence = (n) => {
    const w = []
    for (let i = 0; i < n; i++) w.push(pick(WORDS))
    const s = w.join(' ')
    return s[0].toUpperCase() + s.slice(1) + '.'
  }
  const t0 = Date.UTC(2020, 0, 1)
  const parts = []
  let size = 2
  for (let id = 1; size < targetBytes; id++) {
    const first = pick(FIRST)
    const last = pick(LAST)
    const rec = {
      id,
      uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`,
      name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${last.toLowerCase().replace(/[^a-z]/g, '')}${int(1000)}@example.${pick(['com', 'org', 'net'])}`,
      status: pick(['active', 'pending', 'suspended', 'closed']),
      verified: rnd() < 0.7,
      score: Math.round(rnd() * 10000) / 100,
      createdAt: new Date(t0 + int(5 * 365 * 86400) * 1000).toISOString(),
      address: {
        street: `${1 + int(999)} ${pick(LAST)} ${pick(['St', 'Ave', 'Rd', 'Blvd'])}`,
        city: pick(CITIES),
        postalCode: String(10000 + int(89999)),
        geo: { lat: Math.round((rnd() * 180 - 90) * 1e5) / 1e5, lng: Math.round((rnd() * 360 - 180) * 1e5) / 1e5 }
      },
      tags: Array.from({ length: int(4) }, () => pick(TAGS)),
      orders: Array.from({ length: int(4) }, () => ({
        orderId: 100000 + int(900000),
        total: Math.round(rnd() * 50000) / 100,
        currency: pick(['EUR', 'USD', 'GBP', 'JPY', 'CAD']),
        items: 1 + int(9),
        shipped: rnd() < 0.8
      })),
      bio: sentence(6 + int(20)),
      avatarUrl: `https://cdn.example.com/avatars/${id % 5000}.png`,
      profileUrl: `https://api.example.com/v2/users/${id}`,
      locale: pick(['en-US', 'en-GB', 'fr-FR', 'de-DE', 'ja-JP']),
      timezone: pick(['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC']),
      settings: {
        newsletter: rnd() < 0.3,
        twoFactor: rnd() < 0.5,
        theme: pick(['light', 'dark', 'system']),
        notifications: { email: true, sms: rnd() < 0.2, push: rnd() < 0.6 }
      },
      roles: rnd() < 0.9 ? ['user'] : ['user', 'admin'],
      deletedAt: null,
      metadata: {
        source: pick(['web', 'ios', 'android', 'api']),
        campaign: rnd() < 0.5 ? null : pick(['spring-sale', 'newsletter-2024', 'referral', 'partner']),
        version: 3
      }
    }
    const s = JSON.stringify(rec)
    parts.push(s)
    size += s.length + 1
  }
  return Buffer.from('[' + parts.join(',') + ']')
}

/** `bytes` random bytes, filled 16 MB at a time. */
function randomBuffer (bytes) {
  const buf = Buffer.allocUnsafe(bytes)
  for (let off = 0; off < bytes; off += 16 * MB) crypto.randomFillSync(buf, off, Math.min(16 * MB, bytes - off))
  return buf
}

/** Inputs, built on first use so that a BENCH_FILTER run builds only what it needs. */
const inputs = {
  _digest: undefined,
  _json: undefined,
  _packed: new Map(),
  get digest () {
    if (this._digest === undefined) this._digest = randomBuffer(DIGEST_MB * MB)
    return this._digest
  },
  get json () {
    if (this._json === undefined) this._json = makeJson(JSON_MB * MB)
    return this._json
  },
  /** The JSON compressed once (untimed) by `how`, the input of the decompression cases. */
  packed (key, how) {
    if (!this._packed.has(key)) this._packed.set(key, how(this.json))
    return this._packed.get(key)
  }
}

// Decompression inputs. gzip and brotli come from node:zlib, so offthread and node decompress the
// same stream (and offthread shows that it reads Node's output); zstd and lz4 from offthread.
const packedGzip = () => inputs.packed('gzip', (b) => zlib.gzipSync(b, { level: 6 }))
const packedBrotli = () => inputs.packed('brotli', (b) => zlib.brotliCompressSync(b, BROTLI_Q4))
const packedZstd = () => inputs.packed('zstd', (b) => offthread.compressSync(b, { format: 'zstd', level: 3 }))
const packedLz4 = () => inputs.packed('lz4', (b) => offthread.compressSync(b, { format: 'lz4' }))

// ---- cases ---------------------------------------------------------------------------------

/** Runs a synchronous `fn` in its own setImmediate callback: the loop gets a turn between calls. */
function onLoop (fn) {
  return () => new Promise((resolve, reject) => {
    setImmediate(() => {
      try { resolve(fn()) } catch (err) { reject(err) }
    })
  })
}

function fail (message) {
  const err = new Error(message)
  err.code = 'ERR_BENCH_CHECK'
  throw err
}

/**
 * A digest case. Every digest is kept as a hex string in `state.hex`, which main() compares
 * across the libraries of one algorithm.
 */
function digestCase (algorithm, name, run) {
  const state = { hex: undefined }
  return {
    kind: 'digest',
    group: `${algorithm} ${DIGEST_MB} MB`,
    algorithm,
    name,
    concurrency: DIGEST_CONCURRENCY,
    state,
    bytesPerOp: () => inputs.digest.length,
    setup: () => {
      const data = inputs.digest
      return async () => { state.hex = await run(data) }
    }
  }
}

function offDigest (algorithm) {
  return digestCase(algorithm, OFF, (data) => offthread.digest(algorithm, data))
}

function nodeDigest (algorithm) {
  return digestCase(algorithm, NODE_CRYPTO, (data) => onLoop(() => crypto.createHash(algorithm).update(data).digest('hex'))())
}

/**
 * A compression case: `run(json)` resolves the compressed Buffer; the warm-up's output must
 * decompress to the document with `verify` (the other implementation).
 */
function compressCase (group, name, run, verify) {
  const state = { outBytes: NaN }
  return {
    kind: 'compress',
    group,
    name,
    concurrency: CODEC_CONCURRENCY,
    state,
    bytesPerOp: () => inputs.json.length,
    setup: () => {
      const json = inputs.json
      let checked = false
      return async () => {
        const out = await run(json)
        state.outBytes = out.length
        if (!checked) {
          checked = true
          if (!verify(out).equals(json)) fail(`${group} / ${name}: round trip differs`)
        }
      }
    }
  }
}

/** A decompression case: `run(packed)` must resolve the document. MB/s counts the output. */
function decompressCase (group, name, packed, run) {
  const state = { outBytes: NaN, inBytes: NaN }
  return {
    kind: 'decompress',
    group,
    name,
    concurrency: CODEC_CONCURRENCY,
    state,
    bytesPerOp: () => inputs.json.length,
    setup: () => {
      const json = inputs.json
      const input = packed()
      state.inBytes = input.length
      let checked = false
      return async () => {
        const out = await run(input)
        state.outBytes = out.length
        if (!checked) {
          checked = true
          if (!out.equals(json)) fail(`${group} / ${name}: output differs from the document`)
        }
      }
    }
  }
}

const off = (format, level) => (b) => offthread.compress(b, { format, level })
const offUn = (format) => (b) => offthread.decompress(b, { format })
const offUnSync = (format) => (b) => offthread.decompressSync(b, { format })

const CASES = [
  offDigest('sha256'),
  nodeDigest('sha256'),
  offDigest('blake3'),
  offDigest('sha512'),
  nodeDigest('sha512'),
  offDigest('md5'),
  nodeDigest('md5'),
  offDigest('xxh3-64'),
  offDigest('crc32'),
  ...(typeof zlib.crc32 === 'function' // Node >= 20.15
    ? [digestCase('crc32', NODE_CRC32, (data) => onLoop(() => zlib.crc32(data).toString(16).padStart(8, '0'))())]
    : []),
  offDigest('crc32c'),

  compressCase('gzip level 6', OFF, off('gzip', 6), zlib.gunzipSync),
  compressCase('gzip level 6', NODE_ZLIB, (b) => gzip(b, { level: 6 }), offUnSync('gzip')),
  decompressCase('gunzip', OFF, packedGzip, offUn('gzip')),
  decompressCase('gunzip', NODE_ZLIB, packedGzip, (b) => gunzip(b)),
  compressCase('brotli quality 4', OFF, off('brotli', 4), zlib.brotliDecompressSync),
  compressCase('brotli quality 4', NODE_ZLIB, (b) => brotliCompress(b, BROTLI_Q4), offUnSync('brotli')),
  decompressCase('brotli decompress', OFF, packedBrotli, offUn('brotli')),
  decompressCase('brotli decompress', NODE_ZLIB, packedBrotli, (b) => brotliDecompress(b)),
  compressCase('zstd level 3', OFF, off('zstd', 3), offUnSync('zstd')),
  decompressCase('zstd decompress', OFF, packedZstd, offUn('zstd')),
  compressCase('lz4', OFF, off('lz4'), offUnSync('lz4')),
  decompressCase('lz4 decompress', OFF, packedLz4, offUn('lz4'))
]

// ---- the middleware over HTTP ------------------------------------------------------------------

const HTTP_SIZES = [['2 KB', 2 * 1024], ['64 KB', 64 * 1024], ['1 MB', MB]]
const HTTP_CODINGS = [['gzip', zlib.gunzipSync], ['br', zlib.brotliDecompressSync]]
const HTTP_LIBS = [['offthread', 'offthread compression() (pool)'], ['compression', 'compression 1.8.1 (node:zlib, libuv)']]
const HTTP_CASES = HTTP_SIZES.flatMap(([size, bytes]) => HTTP_CODINGS.flatMap(([coding, decode]) =>
  HTTP_LIBS.map(([route, name]) => ({ group: `middleware ${size} ${coding}`, name, route, size, bytes, coding, decode }))))

/** The Express app: the same bodies behind each middleware, ETags off. Resolves { url, close }. */
async function startHttpServer (bodies) {
  const express = require('express')
  let peer
  try {
    peer = require('compression')
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') throw new Error('the compression package is missing: run `npm install` in the repository')
    throw err
  }
  const app = express()
  app.set('etag', false)
  app.use('/offthread', offthread.compression())
  app.use('/compression', peer())
  app.get(['/offthread/:size', '/compression/:size'], (req, res) => res.type('json').send(bodies.get(req.params.size)))
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) })
  }
}

/** One request: its headers and raw (still encoded) body. */
function fetchRaw (url, coding) {
  return new Promise((resolve, reject) => {
    require('node:http').get(url, { headers: { 'accept-encoding': coding } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** The load generator, in a child process: one autocannon run per message. */
function loaderChild () {
  const autocannon = require('autocannon')
  process.on('message', (opts) => {
    if (opts === 'exit') return process.exit(0)
    autocannon(opts, (err, r) => {
      if (err) return process.send({ error: String(err) })
      process.send({
        requests: r.requests.total,
        seconds: r.duration,
        latencyP50Ms: r.latency.p50,
        latencyP99Ms: r.latency.p99,
        errors: r.errors + r.timeouts,
        non2xx: r.non2xx
      })
    })
  })
  process.send('ready')
}

/** Starts the loader child; `run(opts)` resolves autocannon's figures. */
async function startLoader () {
  const { spawn } = require('node:child_process')
  const child = spawn('nice', ['-n', String(LOADER_NICE), process.execPath, __filename, '--loader'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const next = () => new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`the autocannon child exited (${code})`))
    child.once('exit', onExit)
    child.once('message', (m) => { child.off('exit', onExit); resolve(m) })
  })
  await next() // 'ready'
  return {
    async run (opts) {
      child.send(opts)
      const r = await next()
      if (r.error) throw new Error(r.error)
      return r
    },
    stop () { child.send('exit') }
  }
}

/** Runs the middleware cases; each checks one response, then loads the app under the probes. */
async function runHttpCases (selected, probeFile) {
  const body = makeJson(MB, 7)
  const bodies = new Map(HTTP_SIZES.map(([size, bytes]) => [size, body.subarray(0, bytes)]))
  const server = await startHttpServer(bodies)
  const loader = await startLoader()
  const results = []
  try {
    for (const c of selected) {
      process.stderr.write(`${c.group} / ${c.name} (${HTTP_CONNECTIONS} connections, ${HTTP_SECONDS} s)... `)
      const url = `${server.url}/${c.route}/${encodeURIComponent(c.size)}`
      const expected = bodies.get(c.size)
      let row
      try {
        const check = await fetchRaw(url, c.coding)
        if (check.status !== 200 || check.headers['content-encoding'] !== c.coding || !c.decode(check.body).equals(expected)) {
          throw new Error(`check failed: ${check.status} ${check.headers['content-encoding']} (${check.body.length} bytes)`)
        }
        // Untimed warm-up: JIT, the pool's threads, zlib's and the sockets' buffers settle.
        await loader.run({ url, connections: HTTP_CONNECTIONS, duration: 1, headers: { 'accept-encoding': c.coding } })
        const probes = h.startProbes(probeFile)
        const cpu0 = process.cpuUsage()
        const r = await loader.run({
          url, connections: HTTP_CONNECTIONS, duration: HTTP_SECONDS, headers: { 'accept-encoding': c.coding }
        })
        const cpu = process.cpuUsage(cpu0)
        const p = await probes.stop()
        row = {
          ...c,
          decode: undefined,
          ratio: c.bytes / check.body.length,
          reqPerSec: r.requests / r.seconds,
          cpuMsPerReq: (cpu.user + cpu.system) / 1000 / Math.max(1, r.requests),
          ...r,
          ...p
        }
      } catch (err) {
        row = { ...c, decode: undefined, errors: 1, firstError: String(err.message ?? err), reqPerSec: NaN }
      }
      results.push(row)
      process.stderr.write(`${h.fmt(row.reqPerSec)} req/s, loop p99 ${h.fmt(row.loopP99Ms)} ms, fs p99 ${h.fmt(row.fsP99Ms)} ms` +
        `${row.errors || row.non2xx ? `, ${row.errors} errors, ${row.non2xx} non-2xx${row.firstError ? ` (${row.firstError})` : ''}` : ''}\n`)
      if (global.gc) global.gc()
      await h.sleep(PAUSE_MS)
    }
  } finally {
    loader.stop()
    await server.close()
  }
  return results
}

// ---- run -----------------------------------------------------------------------------------

/**
 * A setInterval(1 ms) watchdog: `stop()` returns the longest gap between its ticks (including the
 * one still open) minus the 1 ms period, in ms.
 */
function startWatchdog () {
  let last = performance.now()
  let max = 0
  const timer = setInterval(() => {
    const now = performance.now()
    if (now - last > max) max = now - last
    last = now
  }, 1)
  return {
    stop () {
      clearInterval(timer)
      max = Math.max(max, performance.now() - last)
      return Math.max(0, max - 1)
    }
  }
}

/** harness.measureCase plus the watchdog: an untimed warm-up, then the load under the probes. */
async function measure ({ fn, concurrency, probeFile }) {
  await fn() // untimed warm-up (and output check): lazy pools start, JIT and allocators settle
  const probes = h.startProbes(probeFile)
  const watchdog = startWatchdog()
  const result = await h.load({ fn, concurrency, seconds: SECONDS })
  const watchdogMaxMs = watchdog.stop()
  const p = await probes.stop()
  const stallMs = Math.max(Number.isNaN(p.loopMaxMs) ? 0 : p.loopMaxMs, watchdogMaxMs)
  return { ...result, ...p, watchdogMaxMs, stallMs }
}

/** Runs the selected cases one after another; each case with its own concurrency. */
async function runCases (selected, probeFile) {
  const results = []
  for (const c of selected) {
    process.stderr.write(`${c.group} / ${c.name} (c=${c.concurrency}, ${SECONDS} s)... `)
    let r
    try {
      const fn = await c.setup()
      r = await measure({ fn, concurrency: c.concurrency, probeFile })
    } catch (err) { // setup, warm-up or its check failed: report the case, go on with the others
      r = { ops: 0, errors: 1, firstError: String(err.code ?? err.message ?? err), opsPerSec: NaN }
    }
    const bytes = r.ops > 0 ? c.bytesPerOp() : NaN
    const row = {
      kind: c.kind,
      group: c.group,
      name: c.name,
      concurrency: c.concurrency,
      bytesPerOp: bytes,
      mbPerSec: r.ops > 0 ? (r.ops * bytes) / MB / (r.elapsedMs / 1000) : NaN,
      ratio: c.kind === 'compress'
        ? bytes / c.state.outBytes
        : c.kind === 'decompress' ? c.state.outBytes / c.state.inBytes : NaN,
      ...r
    }
    if (c.kind === 'digest') row.digest = c.state.hex
    results.push(row)
    process.stderr.write(`${h.fmt(row.mbPerSec)} MB/s, stall ${h.fmt(row.stallMs)} ms` +
      `${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}\n`)
    if (global.gc) global.gc()
    await h.sleep(PAUSE_MS) // let the previous case's memory and threads settle
  }
  return results
}

/** Marks digest rows whose value differs from another library's for the same algorithm. */
function checkDigests (results) {
  for (const group of new Set(results.filter((r) => r.kind === 'digest').map((r) => r.group))) {
    const rows = results.filter((r) => r.group === group && r.digest !== undefined)
    const values = new Set(rows.map((r) => r.digest))
    if (values.size > 1) {
      for (const r of rows) {
        r.errors = (r.errors ?? 0) + 1
        r.firstError = r.firstError ?? 'digest differs between libraries'
      }
    }
  }
}

/** The issue's targets, each with the measured figure and whether it is met. */
function targets (results, idle) {
  const row = (group, name) => results.find((r) => r.group === group && r.name === name && r.ops > 0)
  const x = (n) => `${h.fmt(n, 2)}×`
  const out = []
  const add = (label, target, parts) => {
    if (!parts) return out.push({ label, target, measured: 'not measured', met: null })
    out.push({ label, target, measured: parts.map((p) => p.text).join(', '), met: parts.every((p) => p.ok) })
  }

  const digestGroup = (alg) => `${alg} ${DIGEST_MB} MB`
  const sOff = row(digestGroup('sha256'), OFF)
  const sNode = row(digestGroup('sha256'), NODE_CRYPTO)
  add(`sha256 ${DIGEST_MB} MB`, '≥ 0.95× node MB/s, no stall > 5 ms', sOff && sNode && [
    { text: `${x(sOff.mbPerSec / sNode.mbPerSec)} node (${h.fmt(sOff.mbPerSec)} vs ${h.fmt(sNode.mbPerSec)} MB/s)`, ok: sOff.mbPerSec >= 0.95 * sNode.mbPerSec },
    {
      text: `offthread stall ${h.fmt(sOff.stallMs)} ms (node ${h.fmt(sNode.stallMs)} ms; idle loop max ${h.fmt(idle.loopMaxMs)} ms)`,
      ok: sOff.stallMs <= 5
    }
  ])
  const b3 = row(digestGroup('blake3'), OFF)
  add(`blake3 ${DIGEST_MB} MB`, '≥ 3× node sha256 MB/s', b3 && sNode && [
    { text: `${x(b3.mbPerSec / sNode.mbPerSec)} node sha256 (${h.fmt(b3.mbPerSec)} MB/s)`, ok: b3.mbPerSec >= 3 * sNode.mbPerSec }
  ])
  const gOff = row('gzip level 6', OFF)
  const gNode = row('gzip level 6', NODE_ZLIB)
  add('gzip level 6', '≥ 1.5× node MB/s at ≥ 0.98× its ratio', gOff && gNode && [
    { text: `${x(gOff.mbPerSec / gNode.mbPerSec)} node (${h.fmt(gOff.mbPerSec)} vs ${h.fmt(gNode.mbPerSec)} MB/s)`, ok: gOff.mbPerSec >= 1.5 * gNode.mbPerSec },
    { text: `ratio ${x(gOff.ratio / gNode.ratio)} node's (${h.fmt(gOff.ratio, 2)} vs ${h.fmt(gNode.ratio, 2)})`, ok: gOff.ratio >= 0.98 * gNode.ratio }
  ])
  const uOff = row('gunzip', OFF)
  const uNode = row('gunzip', NODE_ZLIB)
  add('gunzip', '≥ 1.5× node output MB/s', uOff && uNode && [
    { text: `${x(uOff.mbPerSec / uNode.mbPerSec)} node (${h.fmt(uOff.mbPerSec)} vs ${h.fmt(uNode.mbPerSec)} MB/s out)`, ok: uOff.mbPerSec >= 1.5 * uNode.mbPerSec }
  ])
  const bOff = row('brotli quality 4', OFF)
  const bNode = row('brotli quality 4', NODE_ZLIB)
  add('brotli quality 4', '≥ 1.2× node MB/s at equal ratio (≥ 0.99×)', bOff && bNode && [
    { text: `${x(bOff.mbPerSec / bNode.mbPerSec)} node (${h.fmt(bOff.mbPerSec)} vs ${h.fmt(bNode.mbPerSec)} MB/s)`, ok: bOff.mbPerSec >= 1.2 * bNode.mbPerSec },
    { text: `ratio ${x(bOff.ratio / bNode.ratio)} node's (${h.fmt(bOff.ratio, 2)} vs ${h.fmt(bNode.ratio, 2)})`, ok: bOff.ratio >= 0.99 * bNode.ratio }
  ])
  const z = row('zstd level 3', OFF)
  add('zstd level 3', '≥ 4× node gzip-6 MB/s at ≥ its ratio', z && gNode && [
    { text: `${x(z.mbPerSec / gNode.mbPerSec)} node gzip-6 (${h.fmt(z.mbPerSec)} vs ${h.fmt(gNode.mbPerSec)} MB/s)` +
      (gOff ? `; ${x(z.mbPerSec / gOff.mbPerSec)} offthread gzip-6` : ''), ok: z.mbPerSec >= 4 * gNode.mbPerSec },
    { text: `ratio ${h.fmt(z.ratio, 2)} vs gzip-6 ${h.fmt(gNode.ratio, 2)}`, ok: z.ratio >= gNode.ratio }
  ])
  return out
}

async function main () {
  const selected = CASES.filter((c) => FILTER === null || FILTER.test(`${c.group} / ${c.name}`))
  const selectedHttp = HTTP ? HTTP_CASES.filter((c) => FILTER === null || FILTER.test(`${c.group} / ${c.name}`)) : []
  if (selected.length === 0 && selectedHttp.length === 0) throw new Error(`no case matches ${FILTER}`)

  // Inputs first, outside every measurement.
  process.stderr.write('building inputs... ')
  const needsDigest = selected.some((c) => c.kind === 'digest')
  const needsJson = selected.some((c) => c.kind !== 'digest')
  if (needsDigest) void inputs.digest
  let docGzipRatio = NaN
  if (needsJson) docGzipRatio = inputs.json.length / packedGzip().length
  process.stderr.write(`${needsDigest ? `${DIGEST_MB} MB random` : ''}${needsDigest && needsJson ? ', ' : ''}` +
    `${needsJson ? `JSON ${h.fmt(inputs.json.length / MB, 1)} MB (gzip-6 ratio ${h.fmt(docGzipRatio, 2)})` : ''}\n`)

  const probe = h.createProbeFile()
  let idle, results, httpResults
  try {
    process.stderr.write(`idle baseline (${IDLE_SECONDS} s)... `)
    idle = await h.measureIdle({ seconds: IDLE_SECONDS, probeFile: probe.file })
    process.stderr.write(`loop p99 ${h.fmt(idle.loopP99Ms)} ms, max ${h.fmt(idle.loopMaxMs)} ms\n`)
    results = await runCases(selected, probe.file)
    httpResults = await runHttpCases(selectedHttp, probe.file)
  } finally {
    probe.cleanup()
  }
  checkDigests(results)
  const pool = offthread.stats()
  await offthread.close()

  const machine = h.machineInfo()
  const table = h.markdownTable([
    { header: 'case', value: (r) => r.group, align: 'left' },
    { header: 'library', value: (r) => r.name + (r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''), align: 'left' },
    { header: 'c', value: (r) => r.concurrency },
    { header: 'MB/s', value: (r) => h.fmt(r.mbPerSec) },
    { header: 'ratio', value: (r) => (Number.isNaN(r.ratio) ? '—' : h.fmt(r.ratio, 2)) },
    { header: 'op p50 ms', value: (r) => h.fmt(r.p50Ms) },
    { header: 'stall ms', value: (r) => h.fmt(r.stallMs) },
    { header: 'loop p99 ms', value: (r) => h.fmt(r.loopP99Ms) },
    { header: 'fs p99 ms', value: (r) => h.fmt(r.fsP99Ms) }
  ], results)
  const ts = targets(results, idle)

  console.log(`\n${machine.cpu}, ${machine.cores} cores, ${machine.totalMemGiB} GiB, ${machine.platform}, ` +
    `Node ${machine.node}, libuv threadpool ${machine.uvThreadpoolSize}, offthread pool ${pool.threads} threads ` +
    `(${pool.priority}), ${machine.date}\n`)
  if (results.length > 0) {
    console.log(`\n## Bytes: digests of ${DIGEST_MB} MB at concurrency ${DIGEST_CONCURRENCY}, compression of a ` +
      `${needsJson ? h.fmt(inputs.json.length / MB, 1) : JSON_MB} MB JSON document at concurrency ${CODEC_CONCURRENCY}, ` +
      `${SECONDS} s per case, one process\n`)
    console.log(table)
    console.log('\nMB = 2^20 bytes. MB/s counts the input, except for decompression (the output). Ratio = ' +
      'uncompressed / compressed. stall = longest event-loop stall during the case (loop delay max or ' +
      '1 ms watchdog gap); fs p99 = p99 of a 4 KiB ' +
      'fs.readFile every 20 ms.')
  }
  if (httpResults.length > 0) {
    console.log(`\n## The compression() middleware against the compression package: one Express app, ` +
      `autocannon with ${HTTP_CONNECTIONS} connections for ${HTTP_SECONDS} s per case (child process, nice +${LOADER_NICE})\n`)
    console.log(h.markdownTable([
      { header: 'response', value: (r) => `${r.size} ${r.coding}`, align: 'left' },
      { header: 'middleware', value: (r) => r.name + (r.errors || r.non2xx ? ` (${r.errors ?? 0} errors, ${r.non2xx ?? 0} non-2xx${r.firstError ? `: ${r.firstError}` : ''})` : ''), align: 'left' },
      { header: 'req/s', value: (r) => h.fmt(r.reqPerSec) },
      { header: 'ratio', value: (r) => h.fmt(r.ratio, 2) },
      { header: 'latency p99 ms', value: (r) => h.fmt(r.latencyP99Ms) },
      { header: 'CPU ms/req', value: (r) => h.fmt(r.cpuMsPerReq) },
      { header: 'loop p99 ms', value: (r) => h.fmt(r.loopP99Ms) },
      { header: 'loop max ms', value: (r) => h.fmt(r.loopMaxMs) },
      { header: 'fs p99 ms', value: (r) => h.fmt(r.fsP99Ms) }
    ], httpResults))
    console.log('\nreq/s and latency from autocannon; ratio = body / compressed body; CPU ms/req = this process\'s ' +
      'user+system CPU (loop, pool and libuv threads) / requests; loop p99/max = event-loop delay in the server ' +
      'process; fs p99 = p99 of a 4 KiB fs.readFile every 20 ms in the server process during the load.')
  }
  console.log(`\nIdle (no load, ${IDLE_SECONDS} s): loop p99 ${h.fmt(idle.loopP99Ms)} ms, ` +
    `loop max ${h.fmt(idle.loopMaxMs)} ms, fs p99 ${h.fmt(idle.fsP99Ms)} ms`)
  if (ts.length > 0 && results.length > 0) {
    console.log('\nAgainst the targets (issue 4):\n')
    for (const t of ts) {
      const mark = t.met === null ? '—' : t.met ? 'met' : 'NOT met'
      console.log(`- ${t.label} (${t.target}): ${t.measured} → ${mark}`)
    }
  }
  // A middleware-only run (BENCH_FILTER=middleware) has its own file: bytes.json keeps the codec cases.
  const file = h.writeResults(results.length === 0 ? 'bytes-middleware' : 'bytes', {
    config: {
      seconds: SECONDS,
      digestConcurrency: DIGEST_CONCURRENCY,
      codecConcurrency: CODEC_CONCURRENCY,
      idleSeconds: IDLE_SECONDS,
      filter: FILTER?.source ?? null,
      mb: MB
    },
    inputs: {
      digestBytes: needsDigest ? inputs.digest.length : null,
      jsonBytes: needsJson ? inputs.json.length : null,
      jsonGzip6Ratio: needsJson ? docGzipRatio : null
    },
    offthread: { threads: pool.threads, priority: pool.priority, maxQueue: pool.maxQueue },
    idle,
    results,
    http: { connections: HTTP_CONNECTIONS, seconds: HTTP_SECONDS, loaderNice: LOADER_NICE, results: httpResults },
    targets: ts
  })
  console.log(`\nJSON: ${file}`)
}

if (require.main === module && process.argv.includes('--loader')) {
  loaderChild()
} else if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}

module.exports = { makeJson }
