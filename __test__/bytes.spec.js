'use strict'
// Bytes through the public API: every digest and HMAC against node:crypto (sizes 0 to 100 MiB) and
// published vectors, encodings and input types (copied and borrowed), hashFile, compression round
// trips and node:zlib interop both ways, levels, output caps, corrupt and truncated input, streams
// (interop, backpressure, caps, abort), zip bombs with RSS measured in a child process, aborts,
// argument errors, and worker teardown while tasks read borrowed buffers.

const test = require('ava')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { execFile } = require('node:child_process')
const { pipeline } = require('node:stream/promises')
const { Readable, Writable } = require('node:stream')
const { getEventListeners } = require('node:events')
const ot = require('..')

// ---------------------------------------------------------------------------------------------
// Helpers

const ERR = {
  type: ['ERR_INVALID_ARG_TYPE', TypeError],
  value: ['ERR_INVALID_ARG_VALUE', TypeError],
  range: ['ERR_OUT_OF_RANGE', RangeError],
  tooLarge: ['ERR_BUFFER_TOO_LARGE', RangeError],
  corrupt: ['ERR_DECOMPRESS', Error],
  abort: ['ABORT_ERR', ot.AbortError],
  enoent: ['ENOENT', Error],
  eisdir: ['EISDIR', Error]
}

/** Checks an error's exact code and exact class (not a subclass), and its message if given. */
function checkError (t, err, [code, Class], { message, label = '' } = {}) {
  t.is(err.code, code, `${label}: code (${err.message})`)
  t.is(Object.getPrototypeOf(err), Class.prototype, `${label}: ${code} should be a ${Class.name}`)
  if (message !== undefined) t.is(err.message, message, `${label}: message`)
}

/** `fn()` must return a promise (never throw synchronously) that rejects with `expected`. */
async function rejects (t, fn, expected, details = {}) {
  let promise
  try {
    promise = fn()
  } catch (err) {
    t.fail(`${details.label}: threw synchronously instead of rejecting: ${err && err.code} ${err && err.message}`)
    return
  }
  t.true(promise instanceof Promise, `${details.label}: returns a promise`)
  const err = await t.throwsAsync(promise, undefined, details.label)
  if (err) checkError(t, err, expected, details)
  return err
}

/** `fn()` must throw `expected` synchronously. */
function throws (t, fn, expected, details = {}) {
  const err = t.throws(fn, undefined, details.label)
  if (err) checkError(t, err, expected, details)
  return err
}

/** `promise` must reject with an AbortError carrying the signal's reason. */
async function aborted (t, promise, signal, label) {
  const err = await t.throwsAsync(promise, undefined, label)
  if (!err) return
  checkError(t, err, ERR.abort, { label })
  t.is(err.name, 'AbortError', `${label}: name`)
  t.is(err.cause, signal.reason, `${label}: cause is the signal's reason`)
  return err
}

const MiB = 1 << 20
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const NODE_ALGS = ['sha1', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512', 'md5']
const ALL_ALGS = [...NODE_ALGS, 'blake3', 'xxh3-64', 'xxh3-128', 'xxh64', 'crc32', 'crc32c']
const FORMATS = ['gzip', 'deflate', 'deflate-raw', 'brotli', 'zstd', 'lz4']
const LEVELS = { gzip: [0, 9, 6], deflate: [0, 9, 6], 'deflate-raw': [0, 9, 6], brotli: [0, 11, 4], zstd: [-7, 22, 3], lz4: [0, 0, 0] }
const SIZES = [0, 1, 63, 64, 65, MiB + 1]

const nodeDigest = (alg, data, enc = 'hex') => crypto.createHash(alg).update(data).digest(enc)
const nodeHmac = (alg, key, data, enc = 'hex') => crypto.createHmac(alg, key).update(data).digest(enc)
const crc32hex = (data) => zlib.crc32(data).toString(16).padStart(8, '0')
const sha256 = (data) => nodeDigest('sha256', data)

/** node:zlib's one-shot functions per format. */
const NODE = {
  gzip: { compress: (b, level) => zlib.gzipSync(b, { level }), decompress: zlib.gunzipSync, createCompress: zlib.createGzip, createDecompress: zlib.createGunzip },
  deflate: { compress: (b, level) => zlib.deflateSync(b, { level }), decompress: zlib.inflateSync, createCompress: zlib.createDeflate, createDecompress: zlib.createInflate },
  'deflate-raw': { compress: (b, level) => zlib.deflateRawSync(b, { level }), decompress: zlib.inflateRawSync, createCompress: zlib.createDeflateRaw, createDecompress: zlib.createInflateRaw },
  brotli: {
    compress: (b, level) => zlib.brotliCompressSync(b, level === undefined ? {} : { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } }),
    decompress: zlib.brotliDecompressSync,
    createCompress: zlib.createBrotliCompress,
    createDecompress: zlib.createBrotliDecompress
  }
}
const ZLIB_FORMATS = Object.keys(NODE)

/** Random bytes (crypto.randomFillSync: fast enough for 100 MiB). */
function random (n) {
  return crypto.randomFillSync(Buffer.allocUnsafe(n))
}

/** Compressible JSON-like text of exactly `n` bytes, with some randomness so that levels differ. */
function text (n) {
  const rows = []
  let len = 0
  for (let i = 0; len < n; i++) {
    const row = `{"id":${i},"name":"item ${i}","score":${(i * 7919) % 1000},"tag":"${crypto.randomBytes(3).toString('hex')}"},\n`
    rows.push(row)
    len += row.length
  }
  return Buffer.from(rows.join('')).subarray(0, n)
}

/** The BLAKE3 test-vector input: bytes 0, 1, ..., 250, 0, 1, ... */
function pattern251 (n) {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}

let big100
/** One 100 MiB random buffer, generated once and shared by the 100 MiB cases. */
function hundredMiB () {
  if (big100 === undefined) big100 = random(100 * MiB)
  return big100
}

/** Concatenates what a readable stream produces. */
function collect () {
  const chunks = []
  const sink = new Writable({
    write (chunk, encoding, callback) {
      chunks.push(chunk)
      callback()
    }
  })
  sink.result = () => Buffer.concat(chunks)
  return sink
}

/** A readable of `data` in chunks of the given sizes, cycling (0 means an empty chunk). */
function chunked (data, sizes = [1000, 1, 65536, 7, 0, 300000]) {
  return Readable.from((function * () {
    let at = 0
    for (let i = 0; at < data.length; i++) {
      const n = sizes[i % sizes.length]
      yield data.subarray(at, at + n)
      at += n
    }
  })(), { objectMode: false })
}

async function until (predicate, what, timeoutMs = 10000) {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

const CHILD = path.join(__dirname, 'fixtures', 'bytes-child.js')

/** Runs fixtures/bytes-child.js; resolves { code, signal, out (last stdout line as JSON), stderr, ms }. */
function runChild (args, { nodeArgs = [], timeout = 120000 } = {}) {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeArgs, CHILD, ...args], { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      let out
      try {
        out = JSON.parse(stdout.trim().split('\n').pop())
      } catch {
        out = undefined
      }
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, out, stdout, stderr, ms: Math.round(performance.now() - started) })
    })
  })
}

async function runChildOk (t, args, options) {
  const r = await runChild(args, options)
  t.is(r.signal, null, `killed by ${r.signal}\n${r.stderr}`)
  t.is(r.code, 0, `exit code ${r.code}\n${r.stderr}`)
  if (r.out === undefined) throw new Error(`no JSON from the child:\n${r.stdout}\n${r.stderr}`)
  t.log(`child ${args[0]}: ${r.ms} ms`)
  return r.out
}

let tmpDir
function tmp (name) {
  if (tmpDir === undefined) tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-bytes-'))
  return path.join(tmpDir, name)
}
test.after.always(() => {
  if (tmpDir !== undefined) fs.rmSync(tmpDir, { recursive: true, force: true })
})

// ---------------------------------------------------------------------------------------------
// Digests and HMAC against node:crypto

test('every digest and HMAC equals node:crypto at sizes 0, 1, 63, 64, 65 and 1 MiB+1 (async and sync)', async (t) => {
  for (const size of SIZES) {
    const data = random(size)
    for (const alg of NODE_ALGS) {
      const label = `${alg} of ${size} bytes`
      const expected = nodeDigest(alg, data)
      t.is(await ot.digest(alg, data), expected, label)
      t.is(ot.digestSync(alg, data), expected, `${label} (sync)`)
      const key = random(1 + (size % 100))
      const mac = nodeHmac(alg, key, data)
      t.is(await ot.hmac(alg, key, data), mac, `hmac ${label}`)
      t.is(ot.hmacSync(alg, key, data), mac, `hmac ${label} (sync)`)
    }
    t.is(await ot.digest('crc32', data), crc32hex(data), `crc32 of ${size} bytes vs zlib.crc32`)
    t.is(ot.digestSync('crc32', data), crc32hex(data), `crc32 of ${size} bytes vs zlib.crc32 (sync)`)
  }
})

test('HMAC keys of every length around the block sizes (64, 72, 128, 136, 144) equal node:crypto', async (t) => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog')
  for (const keyLength of [0, 1, 20, 63, 64, 65, 71, 72, 73, 104, 127, 128, 129, 135, 136, 137, 143, 144, 145, 300]) {
    const key = random(keyLength)
    for (const alg of NODE_ALGS) {
      const label = `hmac ${alg} with a ${keyLength}-byte key`
      t.is(await ot.hmac(alg, key, data), nodeHmac(alg, key, data), label)
      t.is(ot.hmacSync(alg, key, data), nodeHmac(alg, key, data), `${label} (sync)`)
    }
  }
  // A string key is UTF-8.
  t.is(await ot.hmac('sha256', 'clé 🔑', data), nodeHmac('sha256', Buffer.from('clé 🔑'), data))
  t.is(ot.hmacSync('sha3-512', 'clé 🔑', 'msg'), nodeHmac('sha3-512', 'clé 🔑', 'msg'))
})

test('100 MiB: sha1, sha256, sha512, md5 and HMAC-SHA-256 equal node:crypto; crc32 equals zlib.crc32', async (t) => {
  const data = hundredMiB()
  for (const alg of ['sha256', 'sha1', 'md5', 'sha512']) {
    const started = performance.now()
    const ours = await ot.digest(alg, data)
    const ms = performance.now() - started
    t.is(ours, nodeDigest(alg, data), alg)
    t.log(`${alg} of 100 MiB on the pool: ${ms.toFixed(0)} ms`)
  }
  t.is(await ot.hmac('sha256', 'webhook secret', data), nodeHmac('sha256', 'webhook secret', data), 'hmac sha256')
  t.is(await ot.digest('crc32', data), crc32hex(data), 'crc32')
})

test('100 MiB: blake3, xxh3-64, xxh3-128, xxh64 and crc32c agree async, sync and as an array of uneven parts', async (t) => {
  const data = hundredMiB()
  const parts = [data.subarray(0, 12345), data.subarray(12345, 12345 + 33 * MiB + 7), data.subarray(12345 + 33 * MiB + 7)]
  const hashes = {}
  for (const alg of ['blake3', 'xxh3-64', 'xxh3-128', 'xxh64', 'crc32c']) {
    const whole = await ot.digest(alg, data)
    t.is(await ot.digest(alg, parts), whole, `${alg}: parts`)
    t.is(ot.digestSync(alg, data), whole, `${alg}: sync`)
    hashes[alg] = whole
  }
  t.is(hashes.blake3.length, 64)
  t.is(hashes['xxh3-64'].length, 16)
  t.is(hashes['xxh3-128'].length, 32)
  t.is(hashes.xxh64.length, 16)
  t.is(hashes.crc32c.length, 8)
  // One changed byte in the middle changes every one of them.
  const copy = Buffer.from(data)
  copy[50 * MiB] ^= 1
  for (const alg of Object.keys(hashes)) t.not(await ot.digest(alg, copy), hashes[alg], `${alg}: one bit flipped`)
})

// ---------------------------------------------------------------------------------------------
// Published vectors

// BLAKE3-team/BLAKE3 test_vectors/test_vectors.json @ 2f6f56f3477321c9e4742f1c863e45f2cfcbfb5e: input i % 251,
// first 32 bytes of `hash` and of `keyed_hash` (key "whats the Elvish word for friend").
const BLAKE3_VECTORS = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262', '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213', '6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11', 'c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7', '75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444', '357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a', '879cf1fa2ea0e79126cb1063617a05b6ad9d0b696d0d757cf053439f60a99dd1'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030', '9f29700902f7c86e514ddc4df1e3049f258b2472b6dd5267f61bf13983b78dd5'],
  [8192, 'aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63', 'dc9637c8845a770b4cbf76b8daec0eebf7dc2eac11498517f08d44c8fc00d58a'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b', '954a2a75420c8d6547e3ba5b98d963e6fa6491addc8c023189cc519821b4a1f5'],
  [16384, 'f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4', '9e9fc4eb7cf081ea7c47d1807790ed211bfec56aa25bb7037784c13c4b707b0d'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47', 'efa53b389ab67c593dba624d898d0f7353ab99e4ac9d42302ee64cbf9939a419'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085', '1c35d1a5811083fd7119f5d5d1ba027b4d01c0c6c49fb6ff2cf75393ea5db4a7']
]
const BLAKE3_KEY = 'whats the Elvish word for friend'

test('blake3: published vectors, plain and keyed (async, sync, 102400 bytes on the borrowed path)', async (t) => {
  for (const [len, hash, keyed] of BLAKE3_VECTORS) {
    const data = pattern251(len)
    t.is(await ot.digest('blake3', data), hash, `blake3 ${len}`)
    t.is(ot.digestSync('blake3', data), hash, `blake3 ${len} (sync)`)
    t.is(await ot.digest('blake3', data, { key: BLAKE3_KEY }), keyed, `keyed blake3 ${len}`)
    t.is(ot.digestSync('blake3', data, { key: Buffer.from(BLAKE3_KEY) }), keyed, `keyed blake3 ${len} (sync, Buffer key)`)
  }
  t.is(await ot.digest('blake3', ''), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262')
})

test('xxh3-64, xxh3-128, xxh64, crc32 and crc32c: published vectors', async (t) => {
  const vectors = [
    ['xxh3-64', '', '2d06800538d394c2'],
    ['xxh3-128', '', '99aa06d3014798d86001c324468d497f'],
    ['xxh64', '', 'ef46db3751d8e999'],
    ['crc32', '', '00000000'],
    ['crc32', '123456789', 'cbf43926'],
    ['crc32c', '', '00000000'],
    ['crc32c', '123456789', 'e3069283'],
    // RFC 3720 (iSCSI) appendix B.4.
    ['crc32c', Buffer.alloc(32), '8a9136aa'],
    ['crc32c', Buffer.alloc(32, 0xff), '62a8ab43'],
    ['crc32c', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), '46dd794e'],
    ['crc32c', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), '113fdb5c']
  ]
  for (const [alg, data, expected] of vectors) {
    const label = `${alg}(${typeof data === 'string' ? JSON.stringify(data) : data.toString('hex').slice(0, 16)})`
    t.is(await ot.digest(alg, data), expected, label)
    t.is(ot.digestSync(alg, data), expected, `${label} (sync)`)
  }
  t.is(crc32hex(Buffer.from('123456789')), 'cbf43926', 'zlib.crc32 agrees on the check value')
  // Integer hashes are big-endian in 'buffer' encoding, as their hex.
  const crc = await ot.digest('crc32', '123456789', { encoding: 'buffer' })
  t.is(crc.readUInt32BE(0), zlib.crc32('123456789'))
})

test('keyed blake3: deterministic, differs from unkeyed and per key; the key must be exactly 32 bytes', async (t) => {
  const data = random(3000)
  const keyA = random(32)
  const keyB = Buffer.from(keyA)
  keyB[31] ^= 1
  const a = await ot.digest('blake3', data, { key: keyA })
  t.regex(a, /^[0-9a-f]{64}$/)
  t.is(await ot.digest('blake3', data, { key: keyA }), a, 'deterministic')
  t.is(ot.digestSync('blake3', data, { key: keyA }), a, 'sync agrees')
  t.not(a, await ot.digest('blake3', data), 'differs from unkeyed')
  t.not(a, await ot.digest('blake3', data, { key: keyB }), 'differs per key')
  t.is(await ot.digest('blake3', [data.subarray(0, 1000), data.subarray(1000)], { key: keyA }), a, 'parts')
  for (const n of [0, 16, 31, 33, 64]) {
    await rejects(t, () => ot.digest('blake3', data, { key: random(n) }), ERR.range, { label: `${n}-byte key` })
    throws(t, () => ot.digestSync('blake3', data, { key: random(n) }), ERR.range, { label: `${n}-byte key (sync)` })
  }
  // 32 characters but 33 UTF-8 bytes.
  await rejects(t, () => ot.digest('blake3', data, { key: 'é' + 'x'.repeat(31) }), ERR.range, { label: 'multibyte string key' })
  await rejects(t, () => ot.digest('blake3', data, { key: 42 }), ERR.type, { label: 'numeric key' })
  await rejects(t, () => ot.digest('sha256', data, { key: keyA }), ERR.value, { label: 'key on sha256' })
  throws(t, () => ot.digestSync('crc32', data, { key: keyA }), ERR.value, { label: 'key on crc32 (sync)' })
})

test('blake3 of 8 MiB (parallel path): one buffer, 3 uneven parts, digestSync, a busy pool and hashFile agree', async (t) => {
  const data = random(8 * MiB)
  const whole = await ot.digest('blake3', data)
  t.is(await ot.digest('blake3', [data.subarray(0, 1), data.subarray(1, 5 * MiB + 3), data.subarray(5 * MiB + 3)]), whole, 'parts')
  t.is(await ot.digest('blake3', [data.subarray(0, 3 * MiB), Buffer.alloc(0), data.subarray(3 * MiB)]), whole, 'with an empty part')
  t.is(ot.digestSync('blake3', data), whole, 'sync')
  t.is(await ot.digest('blake3', data, { executor: 'libuv' }), whole, 'libuv executor')
  // With no idle pool thread, blake3 hashes serially: same answer.
  const blockers = [0, 1].map(() => ot.digest('sha3-512', data))
  t.is(await ot.digest('blake3', data), whole, 'busy pool')
  await Promise.all(blockers)
  const file = tmp('blake3-8mib')
  fs.writeFileSync(file, data)
  t.is(await ot.hashFile(file, 'blake3'), whole, 'hashFile')
  const key = random(32)
  const keyed = await ot.digest('blake3', data, { key })
  t.is(ot.digestSync('blake3', [data.subarray(0, 7), data.subarray(7)], { key }), keyed, 'keyed: parts, sync')
  t.is(await ot.hashFile(file, 'blake3', { key }), keyed, 'keyed: hashFile')
})

// ---------------------------------------------------------------------------------------------
// Encodings and input types

test('encodings: hex (default), base64, base64url and buffer equal node:crypto for digest, hmac and their sync forms', async (t) => {
  const data = random(1000)
  for (const alg of NODE_ALGS) {
    for (const encoding of ['hex', 'base64', 'base64url']) {
      t.is(await ot.digest(alg, data, { encoding }), nodeDigest(alg, data, encoding), `${alg} ${encoding}`)
      t.is(ot.digestSync(alg, data, { encoding }), nodeDigest(alg, data, encoding), `${alg} ${encoding} sync`)
      t.is(await ot.hmac(alg, 'k', data, { encoding }), nodeHmac(alg, 'k', data, encoding), `hmac ${alg} ${encoding}`)
      t.is(ot.hmacSync(alg, 'k', data, { encoding }), nodeHmac(alg, 'k', data, encoding), `hmac ${alg} ${encoding} sync`)
    }
    const buf = await ot.digest(alg, data, { encoding: 'buffer' })
    t.true(Buffer.isBuffer(buf), `${alg} buffer is a Buffer`)
    t.deepEqual(buf, nodeDigest(alg, data, 'buffer'))
    t.deepEqual(ot.hmacSync(alg, 'k', data, { encoding: 'buffer' }), nodeHmac(alg, 'k', data, 'buffer'))
  }
  for (const alg of ['blake3', 'xxh3-64', 'xxh3-128', 'xxh64', 'crc32', 'crc32c']) {
    const hex = await ot.digest(alg, data)
    const raw = Buffer.from(hex, 'hex')
    t.is(await ot.digest(alg, data, { encoding: 'base64' }), raw.toString('base64'), `${alg} base64`)
    t.is(ot.digestSync(alg, data, { encoding: 'base64url' }), raw.toString('base64url'), `${alg} base64url`)
    t.deepEqual(await ot.digest(alg, data, { encoding: 'buffer' }), raw, `${alg} buffer`)
  }
  t.is(await ot.digest('sha256', data, {}), nodeDigest('sha256', data), 'empty options')
  t.is(await ot.digest('sha256', data, { encoding: undefined }), nodeDigest('sha256', data), 'encoding undefined')
})

/** The same bytes as every accepted input shape. `bytes` must have an even length and a multiple of 8 at 8..end. */
function shapes (bytes) {
  const ab = new ArrayBuffer(bytes.length + 16)
  const u8 = new Uint8Array(ab, 8, bytes.length)
  u8.set(bytes)
  const n = bytes.length
  const list = [
    ['Buffer', Buffer.from(bytes)],
    ['Uint8Array with an offset', u8],
    ['Uint8ClampedArray', new Uint8ClampedArray(ab, 8, n)],
    ['Uint16Array', new Uint16Array(ab, 8, n / 2)],
    ['DataView with an offset', new DataView(ab, 8, n)],
    ['ArrayBuffer', u8.slice().buffer],
    ['Buffer.subarray of a larger buffer', Buffer.concat([Buffer.from('xyz'), bytes, Buffer.from('xyz')]).subarray(3, 3 + n)]
  ]
  if (n % 8 === 0) {
    list.push(['Int32Array', new Int32Array(ab, 8, n / 4)], ['Float64Array', new Float64Array(ab, 8, n / 8)],
      ['BigUint64Array', new BigUint64Array(ab, 8, n / 8)])
  }
  // Arrays hashed as one stream, mixing shapes.
  const a = Math.floor(n / 3) & ~1
  const b = Math.floor((2 * n) / 3) & ~1
  list.push(['array of mixed parts', [
    new Uint16Array(ab, 8, a / 2),
    Buffer.alloc(0),
    new DataView(ab, 8 + a, b - a),
    u8.slice(b).buffer
  ]])
  list.push(['array of one Buffer', [Buffer.from(bytes)]])
  return list
}

for (const [size, route] of [[1000, 'copied'], [MiB + 8, 'borrowed']]) {
  test(`input types of ${size} bytes (${route}): TypedArrays, DataView, ArrayBuffer and mixed arrays hash and compress as their bytes`, async (t) => {
    const bytes = random(size)
    const expected = sha256(bytes)
    const mac = nodeHmac('sha512', 'key', bytes)
    for (const [label, input] of shapes(bytes)) {
      t.is(await ot.digest('sha256', input), expected, label)
      t.is(ot.digestSync('sha256', input), expected, `${label} (sync)`)
      t.is(await ot.hmac('sha512', 'key', input), mac, `hmac ${label}`)
      t.is(ot.hmacSync('sha512', 'key', input), mac, `hmac ${label} (sync)`)
      t.true(zlib.gunzipSync(await ot.compress(input, { level: 1 })).equals(bytes), `compress ${label}`)
      t.true(zlib.inflateSync(ot.compressSync(input, { format: 'deflate', level: 1 })).equals(bytes), `compressSync ${label}`)
    }
    // The same input through node's Hash for TypedArrays it accepts (element bytes, not values).
    t.is(await ot.digest('md5', new Uint16Array(bytes.buffer, bytes.byteOffset, size / 2)), nodeDigest('md5', new Uint16Array(bytes.buffer, bytes.byteOffset, size / 2)))
    // compressed input in any shape decompresses.
    const packed = zlib.gzipSync(bytes, { level: 1 })
    const packedAb = new Uint8Array(packed).buffer
    t.true((await ot.decompress(packedAb)).equals(bytes), 'decompress an ArrayBuffer')
    t.true((await ot.decompress(new DataView(packedAb))).equals(bytes), 'decompress a DataView')
    t.true((await ot.decompress([packed.subarray(0, 10), packed.subarray(10)])).equals(bytes), 'decompress parts')
  })
}

test('strings are UTF-8 (non-ASCII, emoji, NUL, lone surrogates), alone and mixed with binary parts', async (t) => {
  const strings = ['', 'a', 'héllo wörld', '日本語テキスト', '😀👍🏽', 'a\u0000b', 'lone \ud800 surrogate', 'x\udfffy', 'é'.repeat(600000)]
  for (const s of strings) {
    const label = `${JSON.stringify(s.slice(0, 20))} (${s.length} chars)`
    for (const alg of ['sha256', 'sha3-256', 'md5']) {
      t.is(await ot.digest(alg, s), nodeDigest(alg, s), `${alg} ${label}`)
      t.is(ot.digestSync(alg, s), nodeDigest(alg, s), `${alg} ${label} (sync)`)
    }
    t.is(await ot.hmac('sha256', 'k', s), nodeHmac('sha256', 'k', s), `hmac ${label}`)
    t.is(await ot.digest('crc32', s), crc32hex(Buffer.from(s)), `crc32 ${label}`)
    t.true(zlib.gunzipSync(await ot.compress(s)).equals(Buffer.from(s)), `compress ${label}`)
  }
  const bin = random(100 * 1024)
  const parts = ['héllo', bin, '😀', new Uint16Array(4)]
  const bytes = Buffer.concat([Buffer.from('héllo'), bin, Buffer.from('😀'), Buffer.alloc(8)])
  t.is(await ot.digest('sha512', parts), nodeDigest('sha512', bytes), 'mixed strings and binary, borrowed')
  t.is(await ot.digest('sha512', ['a', 'b', 'c']), nodeDigest('sha512', 'abc'), 'strings only')
  t.is(await ot.digest('sha512', []), nodeDigest('sha512', ''), 'an empty array is the empty stream')
})

test('arrays of many small parts adding up past 64 KiB (each borrowed) and under it (each copied) hash as one stream', async (t) => {
  for (const count of [10, 100, 1000]) {
    const parts = Array.from({ length: count }, () => random(1024))
    const bytes = Buffer.concat(parts)
    t.is(await ot.digest('sha256', parts), sha256(bytes), `${count} × 1 KiB`)
    t.is(await ot.digest('xxh64', parts), await ot.digest('xxh64', bytes), `${count} × 1 KiB xxh64`)
    t.is(await ot.hmac('md5', 'k', parts), nodeHmac('md5', 'k', bytes), `${count} × 1 KiB hmac`)
    t.true(zlib.inflateRawSync(await ot.compress(parts, { format: 'deflate-raw' })).equals(bytes), `${count} × 1 KiB compress`)
  }
})

test.serial('small inputs are copied: changing them right after the call does not change the result', async (t) => {
  // Keep both pool threads busy so that the small tasks run only after the buffers were changed.
  const blockers = [0, 1].map(() => ot.digest('sha3-512', Buffer.alloc(24 * MiB, 7)))
  await until(() => ot.stats().running >= 2, 'the blockers to run')
  const cases = []
  const mk = (label, input, mutate, bytes) => cases.push({ label, input, mutate, bytes: Buffer.from(bytes) })
  const b = random(1024)
  mk('Buffer', b, () => b.fill(0xaa), b)
  const u16 = new Uint16Array(512).fill(0x1234)
  mk('Uint16Array', u16, () => u16.fill(0), new Uint8Array(u16.buffer))
  // A 4 KiB ArrayBuffer of its own (a Buffer's .buffer may be a larger shared pool slab).
  const ab = new ArrayBuffer(4096)
  new Uint8Array(ab).set(random(4096))
  mk('ArrayBuffer', ab, () => new Uint8Array(ab).fill(1), new Uint8Array(ab))
  const dvBuf = random(2000)
  mk('DataView', new DataView(dvBuf.buffer, dvBuf.byteOffset + 5, 1000), () => dvBuf.fill(3), dvBuf.subarray(5, 1005))
  const p1 = random(30000)
  const p2 = random(30000)
  mk('array of two parts under 64 KiB', [p1, p2], () => { p1.fill(0); p2.fill(0) }, Buffer.concat([p1, p2]))
  const promises = []
  for (const c of cases) {
    promises.push(ot.digest('sha256', c.input).then((r) => [c, 'digest', r, sha256(c.bytes)]))
    promises.push(ot.hmac('sha256', 'k', c.input).then((r) => [c, 'hmac', r, nodeHmac('sha256', 'k', c.bytes)]))
    promises.push(ot.compress(c.input, { format: 'deflate' }).then((r) => [c, 'compress', sha256(zlib.inflateSync(r)), sha256(c.bytes)]))
  }
  const stream = ot.createCompress({ format: 'gzip' })
  const sink = collect()
  const done = pipeline(stream, sink)
  const chunk = random(5000)
  const original = Buffer.from(chunk)
  stream.write(chunk)
  t.true(ot.stats().queued >= cases.length * 3 + 1, 'the small tasks are queued behind the blockers')
  t.is(ot.stats().running, 2, 'the blockers still run')
  for (const c of cases) c.mutate()
  chunk.fill(0)
  stream.end()
  for (const [c, what, got, expected] of await Promise.all(promises)) t.is(got, expected, `${what} of ${c.label}`)
  await done
  t.true(zlib.gunzipSync(sink.result()).equals(original), 'a small stream chunk')
  await Promise.all(blockers)
})

// ---------------------------------------------------------------------------------------------
// hashFile

test('hashFile equals node:crypto on files of 0 bytes, 1 MiB+1 and 3 MiB+5, for every algorithm, with hmacKey and encodings', async (t) => {
  for (const size of [0, MiB + 1, 3 * MiB + 5]) {
    const data = random(size)
    const file = tmp(`file-${size}`)
    fs.writeFileSync(file, data)
    for (const alg of NODE_ALGS) {
      const label = `${alg} of a ${size}-byte file`
      t.is(await ot.hashFile(file, alg), nodeDigest(alg, data), label)
      t.is(await ot.hashFile(file, alg, { hmacKey: 'secret' }), nodeHmac(alg, 'secret', data), `hmac ${label}`)
    }
    for (const alg of ['blake3', 'xxh3-64', 'xxh3-128', 'xxh64', 'crc32c']) {
      t.is(await ot.hashFile(file, alg), await ot.digest(alg, data), `${alg} of a ${size}-byte file`)
    }
    t.is(await ot.hashFile(file, 'crc32'), crc32hex(data), `crc32 of a ${size}-byte file`)
    t.is(await ot.hashFile(file), nodeDigest('sha256', data), 'sha256 by default')
    t.is(await ot.hashFile(file, undefined, { hmacKey: Buffer.from('k') }), nodeHmac('sha256', 'k', data), 'hmac sha256 by default')
    t.is(await ot.hashFile(file, 'sha512', { encoding: 'base64url' }), nodeDigest('sha512', data, 'base64url'), 'base64url')
    t.deepEqual(await ot.hashFile(file, 'md5', { encoding: 'buffer', hmacKey: 'k' }), nodeHmac('md5', 'k', data, 'buffer'), 'buffer')
  }
})

test('hashFile takes a file URL and names with spaces, % and non-ASCII', async (t) => {
  const data = random(5000)
  const file = tmp('a file with spaces, 100% ünïcode 😀.bin')
  fs.writeFileSync(file, data)
  const url = pathToFileURL(file)
  t.true(url.href.includes('%20'), 'the URL is percent-encoded')
  t.is(await ot.hashFile(url, 'sha256'), sha256(data), 'URL')
  t.is(await ot.hashFile(file, 'sha256'), sha256(data), 'path')
  t.is(await ot.hashFile(path.relative(process.cwd(), file), 'sha1'), nodeDigest('sha1', data), 'relative path')
})

test('hashFile: ENOENT, EISDIR, argument errors and an aborted signal reject', async (t) => {
  const missing = tmp('does-not-exist')
  const enoent = await rejects(t, () => ot.hashFile(missing, 'sha256'), ERR.enoent, { label: 'missing file' })
  if (enoent) t.true(enoent.message.length > 0)
  await rejects(t, () => ot.hashFile(pathToFileURL(missing)), ERR.enoent, { label: 'missing file URL' })
  await rejects(t, () => ot.hashFile(os.tmpdir(), 'sha256'), ERR.eisdir, { label: 'directory' })
  await rejects(t, () => ot.hashFile(os.tmpdir(), 'sha256', { hmacKey: 'k' }), ERR.eisdir, { label: 'directory, hmac' })
  const file = tmp('small-for-errors')
  fs.writeFileSync(file, 'x')
  await rejects(t, () => ot.hashFile(3), ERR.type, { label: 'path 3' })
  await rejects(t, () => ot.hashFile(Buffer.from(file)), ERR.type, { label: 'path as Buffer' })
  await rejects(t, () => ot.hashFile(file, 5), ERR.type, { label: 'algorithm 5' })
  await rejects(t, () => ot.hashFile(file, 'sha257'), ERR.value, { label: 'unknown algorithm' })
  await rejects(t, () => ot.hashFile(file, 'blake3', { hmacKey: 'k' }), ERR.value, { label: 'hmacKey with blake3' })
  await rejects(t, () => ot.hashFile(file, 'crc32', { hmacKey: 'k' }), ERR.value, { label: 'hmacKey with crc32' })
  await rejects(t, () => ot.hashFile(file, 'sha256', { hmacKey: 42 }), ERR.type, { label: 'hmacKey 42' })
  await rejects(t, () => ot.hashFile(file, 'sha256', { key: random(32) }), ERR.value, { label: 'key with sha256' })
  await rejects(t, () => ot.hashFile(file, 'blake3', { key: random(31) }), ERR.range, { label: '31-byte blake3 key' })
  await rejects(t, () => ot.hashFile(file, 'sha256', { encoding: 'utf8' }), ERR.value, { label: 'unknown encoding' })
  await rejects(t, () => ot.hashFile(file, 'sha256', { hmackey: 'k' }), ERR.value, { label: 'misspelt option' })
  await rejects(t, () => ot.hashFile(file, 'sha256', 'hex'), ERR.type, { label: 'options as a string' })
  const err = await t.throwsAsync(ot.hashFile(new URL('https://example.com/x'), 'sha256'))
  t.is(err.code, 'ERR_INVALID_URL_SCHEME', 'a non-file URL')
  t.true(err instanceof TypeError)
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  await aborted(t, ot.hashFile(file, 'sha256', { signal: controller.signal }), controller.signal, 'hashFile, aborted signal')
})

// ---------------------------------------------------------------------------------------------
// Compression

const TEXT_1M = text(MiB + 1)

test('every format round trips offthread → offthread (async and sync, one buffer and parts); sync output equals async', async (t) => {
  const inputs = [['empty', Buffer.alloc(0)], ['1 byte', Buffer.from('x')], ['text 5000', text(5000)], ['text 1 MiB+1', TEXT_1M], ['random 200 KiB', random(200 * 1024)],
    // Whole multiples of 128 KiB (zstd's block and the decoder's buffer size).
    ['zeros 128 KiB', Buffer.alloc(128 * 1024)], ['zeros 1 MiB', Buffer.alloc(MiB)], ['random 256 KiB', random(256 * 1024)]]
  for (const format of FORMATS) {
    for (const [label, data] of inputs) {
      const l = `${format}, ${label}`
      const packed = await ot.compress(data, { format })
      t.true(Buffer.isBuffer(packed), `${l}: a Buffer`)
      t.deepEqual(ot.compressSync(data, { format }), packed, `${l}: compressSync gives the same bytes`)
      t.true((await ot.decompress(packed, { format })).equals(data), `${l}: decompress`)
      t.true(ot.decompressSync(packed, { format }).equals(data), `${l}: decompressSync`)
      const cut = Math.floor(packed.length / 3)
      t.true((await ot.decompress([packed.subarray(0, cut), packed.subarray(cut)], { format })).equals(data), `${l}: compressed input in parts`)
      const half = data.length >> 1
      t.true((await ot.decompress(await ot.compress([data.subarray(0, half), data.subarray(half)], { format }), { format })).equals(data), `${l}: input in parts`)
      if (/^(text|zeros)/.test(label) && data.length > 1000) t.true(packed.length < data.length / 2, `${l}: compresses (${packed.length} of ${data.length})`)
    }
  }
})

test('node:zlib interop both ways for gzip, deflate, deflate-raw and brotli, at several levels', async (t) => {
  const inputs = [['empty', Buffer.alloc(0)], ['text 3000', text(3000)], ['text 1 MiB+1', TEXT_1M], ['random 100 KiB', random(100 * 1024)]]
  for (const format of ZLIB_FORMATS) {
    const [lo, hi, def] = LEVELS[format]
    for (const [label, data] of inputs) {
      const heavy = data.length > MiB
      const ourLevels = heavy ? [lo, def] : [lo, 1, def, hi]
      const nodeLevels = heavy ? [1, def] : [0, 1, def, hi]
      for (const level of ourLevels) {
        const packed = await ot.compress(data, { format, level })
        t.true(NODE[format].decompress(packed).equals(data), `node decompresses offthread's ${format} level ${level}, ${label}`)
      }
      t.true(NODE[format].decompress(ot.compressSync(data, { format })).equals(data), `node decompresses compressSync ${format}, ${label}`)
      for (const level of nodeLevels) {
        const packed = NODE[format].compress(data, level)
        t.true((await ot.decompress(packed, { format })).equals(data), `offthread decompresses node's ${format} level ${level}, ${label}`)
        t.true(ot.decompressSync(packed, { format }).equals(data), `decompressSync of node's ${format} level ${level}, ${label}`)
      }
    }
  }
  // gzip members concatenated: both sides read them all.
  const a = text(1000)
  const b = random(500)
  const twoNode = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)])
  t.true((await ot.decompress(twoNode)).equals(Buffer.concat([a, b])), 'two node gzip members')
  const twoOurs = Buffer.concat([await ot.compress(a), await ot.compress(b)])
  t.true(zlib.gunzipSync(twoOurs).equals(Buffer.concat([a, b])), 'node reads two offthread gzip members')
})

test('zstd and lz4 read concatenated frames', async (t) => {
  const a = text(2000)
  const b = random(3000)
  for (const format of ['zstd', 'lz4']) {
    const two = Buffer.concat([await ot.compress(a, { format }), await ot.compress(b, { format })])
    t.true((await ot.decompress(two, { format })).equals(Buffer.concat([a, b])), format)
  }
})

test('levels: every level in range is accepted and applied; others are refused per format', async (t) => {
  const data = text(64 * 1024)
  for (const format of FORMATS) {
    const [lo, hi] = LEVELS[format]
    const sizes = {}
    for (let level = lo; level <= hi; level++) {
      const packed = await ot.compress(data, { format, level })
      t.true((await ot.decompress(packed, { format })).equals(data), `${format} level ${level}`)
      sizes[level] = packed.length
    }
    t.deepEqual(ot.compressSync(data, { format, level: hi }), await ot.compress(data, { format, level: hi }), `${format}: sync level ${hi}`)
    if (hi > lo) t.true(sizes[hi] < sizes[lo], `${format}: level ${hi} (${sizes[hi]}) smaller than level ${lo} (${sizes[lo]})`)
    for (const level of [lo - 1, hi + 1, 0.5, lo + 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1]) {
      const label = `${format} level ${level}`
      await rejects(t, () => ot.compress(data, { format, level }), ERR.range, { label })
      throws(t, () => ot.compressSync(data, { format, level }), ERR.range, { label: `${label} (sync)` })
      throws(t, () => ot.createCompress({ format, level }), ERR.range, { label: `${label} (stream)` })
    }
    for (const level of ['6', null, true, 6n]) {
      await rejects(t, () => ot.compress(data, { format, level }), ERR.type, { label: `${format} level ${typeof level}` })
    }
  }
  // Level 0 of deflate stores: output larger than the input.
  t.true((await ot.compress(data, { format: 'gzip', level: 0 })).length > data.length, 'gzip level 0 stores')
  await rejects(t, () => ot.compress(data, { format: 'gzip', level: 10 }), ERR.range,
    { label: 'message', message: 'Expected integer between 0 and 9 for level but received 10 of type number' })
  await rejects(t, () => ot.compress(data, { format: 'zstd', level: -8 }), ERR.range,
    { label: 'message', message: 'Expected integer between -7 and 22 for level but received -8 of type number' })
  await rejects(t, () => ot.decompress(data, { level: 1 }), ERR.value, { label: 'level is not a decompress option' })
})

test('formats: unknown names are ERR_INVALID_ARG_VALUE, non-strings ERR_INVALID_ARG_TYPE (one-shot, sync and streams)', async (t) => {
  const data = Buffer.from('data')
  for (const format of ['zip', 'GZIP', 'br', 'x-gzip', 'deflateRaw', 'zlib', '']) {
    await rejects(t, () => ot.compress(data, { format }), ERR.value, { label: `compress ${format}` })
    await rejects(t, () => ot.decompress(data, { format }), ERR.value, { label: `decompress ${format}` })
    throws(t, () => ot.compressSync(data, { format }), ERR.value, { label: `compressSync ${format}` })
    throws(t, () => ot.decompressSync(data, { format }), ERR.value, { label: `decompressSync ${format}` })
    throws(t, () => ot.createCompress({ format }), ERR.value, { label: `createCompress ${format}` })
    throws(t, () => ot.createDecompress({ format }), ERR.value, { label: `createDecompress ${format}` })
  }
  for (const format of [5, null, ['gzip'], {}]) {
    await rejects(t, () => ot.compress(data, { format }), ERR.type, { label: `compress format ${JSON.stringify(format)}` })
    throws(t, () => ot.decompressSync(data, { format }), ERR.type, { label: `decompressSync format ${JSON.stringify(format)}` })
    throws(t, () => ot.createDecompress({ format }), ERR.type, { label: `createDecompress format ${JSON.stringify(format)}` })
  }
  // gzip is the default.
  t.true(zlib.gunzipSync(await ot.compress(data)).equals(data))
  t.true(zlib.gunzipSync(await ot.compress(data, { format: undefined })).equals(data))
})

test('maxOutputLength: the exact size passes, one byte less is ERR_BUFFER_TOO_LARGE (async, sync, stream) for every format', async (t) => {
  const data = text(300 * 1024)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    t.true((await ot.decompress(packed, { format, maxOutputLength: data.length })).equals(data), `${format}: exact`)
    t.true(ot.decompressSync(packed, { format, maxOutputLength: data.length }).equals(data), `${format}: exact (sync)`)
    await rejects(t, () => ot.decompress(packed, { format, maxOutputLength: data.length - 1 }), ERR.tooLarge, { label: `${format}: one less` })
    throws(t, () => ot.decompressSync(packed, { format, maxOutputLength: data.length - 1 }), ERR.tooLarge, { label: `${format}: one less (sync)` })
    await rejects(t, () => ot.decompress(packed, { format, maxOutputLength: 0 }), ERR.tooLarge, { label: `${format}: 0` })
    const empty = await ot.compress('', { format })
    t.is((await ot.decompress(empty, { format, maxOutputLength: 0 })).length, 0, `${format}: empty within 0`)
    const sink = collect()
    await pipeline(chunked(packed, [777]), ot.createDecompress({ format, maxOutputLength: data.length }), sink)
    t.true(sink.result().equals(data), `${format}: stream exact`)
    const err = await t.throwsAsync(pipeline(chunked(packed, [777]), ot.createDecompress({ format, maxOutputLength: data.length - 1 }), collect()))
    if (err) checkError(t, err, ERR.tooLarge, { label: `${format}: stream one less` })
  }
  const packed = await ot.compress(data)
  const err = await rejects(t, () => ot.decompress(packed, { maxOutputLength: 1000 }), ERR.tooLarge, { label: 'message' })
  if (err) t.regex(err.message, /maxOutputLength/)
  for (const maxOutputLength of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53]) {
    await rejects(t, () => ot.decompress(packed, { maxOutputLength }), ERR.range, { label: `maxOutputLength ${maxOutputLength}` })
    throws(t, () => ot.decompressSync(packed, { maxOutputLength }), ERR.range, { label: `maxOutputLength ${maxOutputLength} (sync)` })
    throws(t, () => ot.createDecompress({ maxOutputLength }), ERR.range, { label: `maxOutputLength ${maxOutputLength} (stream)` })
  }
  await rejects(t, () => ot.decompress(packed, { maxOutputLength: -1 }), ERR.range,
    { label: 'message', message: 'Expected integer between 0 and 9007199254740991 for maxOutputLength but received -1 of type number' })
  await rejects(t, () => ot.decompress(packed, { maxOutputLength: '1000' }), ERR.type, { label: 'maxOutputLength as a string' })
  await rejects(t, () => ot.compress(data, { maxOutputLength: 10 }), ERR.value, { label: 'maxOutputLength is not a compress option' })
})

test('truncated input (every proper prefix, the empty one too) rejects with ERR_DECOMPRESS for every format', async (t) => {
  const data = text(2000)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    const accepted = []
    const otherCodes = []
    for (let n = 0; n < packed.length; n++) {
      try {
        ot.decompressSync(packed.subarray(0, n), { format })
        accepted.push(n)
      } catch (err) {
        if (err.code !== 'ERR_DECOMPRESS' || Object.getPrototypeOf(err) !== Error.prototype) otherCodes.push(`${n}: ${err.code}`)
      }
    }
    t.deepEqual(accepted, [], `${format}: prefixes that decompressed (of ${packed.length} bytes)`)
    t.deepEqual(otherCodes, [], `${format}: prefixes with another error`)
    for (const n of [0, 1, packed.length >> 1, packed.length - 1]) {
      await rejects(t, () => ot.decompress(packed.subarray(0, n), { format }), ERR.corrupt, { label: `${format} prefix ${n} (async)` })
    }
    // Node's own output, truncated.
    if (NODE[format]) {
      const theirs = NODE[format].compress(data)
      await rejects(t, () => ot.decompress(theirs.subarray(0, theirs.length - 1), { format }), ERR.corrupt, { label: `${format}: node's, truncated` })
    }
  }
})

test('corrupt input rejects with ERR_DECOMPRESS: garbage and other formats everywhere; any flipped byte where the format has a checksum', async (t) => {
  const data = text(3000)
  const packed = {}
  for (const format of FORMATS) packed[format] = await ot.compress(data, { format })
  const garbage = [Buffer.from('this is not compressed data, not at all'), Buffer.alloc(100, 0xff), Buffer.alloc(100, 0), Buffer.from('\x1f\x8b\x08garbage')]
  for (const format of FORMATS) {
    for (const g of garbage) {
      await rejects(t, () => ot.decompress(g, { format }), ERR.corrupt, { label: `${format}: garbage ${g.subarray(0, 8).toString('hex')}` })
    }
    for (const other of FORMATS) {
      if (other === format) continue
      throws(t, () => ot.decompressSync(packed[other], { format }), ERR.corrupt, { label: `${other} data read as ${format}` })
    }
  }
  // gzip (CRC-32), deflate (Adler-32), zstd and lz4 (content checksums): no flipped byte may pass unnoticed.
  for (const format of ['gzip', 'deflate', 'zstd', 'lz4']) {
    const silent = []
    let rejected = 0
    for (let at = 0; at < packed[format].length; at++) {
      for (const mask of [0x01, 0x80]) {
        const bad = Buffer.from(packed[format])
        bad[at] ^= mask
        try {
          const out = ot.decompressSync(bad, { format })
          if (!out.equals(data)) silent.push(at)
        } catch (err) {
          t.is(err.code, 'ERR_DECOMPRESS', `${format}: flip at ${at}`)
          rejected++
        }
      }
    }
    t.deepEqual(silent, [], `${format}: flipped bytes that decoded to wrong data`)
    t.true(rejected > packed[format].length, `${format}: ${rejected} flips rejected`)
    const bad = Buffer.from(packed[format])
    bad[bad.length >> 1] ^= 0x55
    await rejects(t, () => ot.decompress(bad, { format }), ERR.corrupt, { label: `${format}: flip in the middle (async)` })
  }
  // Node's gzip with a broken CRC.
  const theirs = zlib.gzipSync(data)
  theirs[theirs.length - 6] ^= 1
  await rejects(t, () => ot.decompress(theirs), ERR.corrupt, { label: 'node gzip with a bad CRC' })
})

// ---------------------------------------------------------------------------------------------
// Streams

test('streams: createCompress → createDecompress round trips for every format with uneven chunks; each side interoperates with one-shot', async (t) => {
  const data = Buffer.concat([TEXT_1M, random(300 * 1024)])
  for (const format of FORMATS) {
    const packedSink = collect()
    await pipeline(chunked(data), ot.createCompress({ format }), packedSink)
    const packed = packedSink.result()
    t.true(packed.length < data.length, `${format}: compressed`)
    t.true((await ot.decompress(packed, { format })).equals(data), `${format}: stream → one-shot`)
    const out = collect()
    await pipeline(chunked(packed, [1, 4096, 0, 100000, 13]), ot.createDecompress({ format }), out)
    t.true(out.result().equals(data), `${format}: stream → stream`)
    const out2 = collect()
    await pipeline(chunked(await ot.compress(data, { format }), [65536]), ot.createDecompress({ format }), out2)
    t.true(out2.result().equals(data), `${format}: one-shot → stream`)
    // Empty streams.
    const empty = collect()
    await pipeline(Readable.from([]), ot.createCompress({ format }), empty)
    t.is((await ot.decompress(empty.result(), { format })).length, 0, `${format}: empty stream`)
  }
})

test('streams: 1-byte chunks decompress for every format', async (t) => {
  const data = text(700)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    const out = collect()
    await pipeline(chunked(packed, [1]), ot.createDecompress({ format }), out)
    t.true(out.result().equals(data), format)
  }
})

test('streams interoperate with zlib streams both ways (gzip, deflate, deflate-raw, brotli); levels apply', async (t) => {
  const data = Buffer.concat([text(500 * 1024), random(64 * 1024)])
  for (const format of ZLIB_FORMATS) {
    const a = collect()
    await pipeline(chunked(data, [10000, 3]), ot.createCompress({ format, level: 1 }), NODE[format].createDecompress(), a)
    t.true(a.result().equals(data), `offthread ${format} stream → zlib stream`)
    const b = collect()
    await pipeline(chunked(data, [10000, 3]), NODE[format].createCompress(), ot.createDecompress({ format }), b)
    t.true(b.result().equals(data), `zlib ${format} stream → offthread stream`)
  }
  const stored = collect()
  await pipeline(chunked(data), ot.createCompress({ format: 'gzip', level: 0 }), stored)
  t.true(stored.result().length > data.length, 'gzip level 0 stream stores')
  t.true(zlib.gunzipSync(stored.result()).equals(data))
  // String chunks are UTF-8.
  const s = ot.createCompress({ format: 'deflate' })
  const sink = collect()
  const done = pipeline(s, sink)
  s.write('héllo ')
  s.end('wörld 😀')
  await done
  t.is(zlib.inflateSync(sink.result()).toString(), 'héllo wörld 😀')
})

test('streams: backpressure holds while 16 MiB in 256 chunks go through compress → decompress into a slow sink, intact', async (t) => {
  const chunkSize = 64 * 1024
  const count = 256
  const seed = random(MiB)
  const source = new Readable({
    read () {
      if (this.produced === count) return this.push(null)
      const i = this.produced++
      const chunk = Buffer.allocUnsafe(chunkSize)
      // Half random, half repeated: compressible, not trivially.
      seed.copy(chunk, 0, (i * 7919) % (MiB - chunkSize / 2), (i * 7919) % (MiB - chunkSize / 2) + chunkSize / 2)
      chunk.fill(i & 0xff, chunkSize / 2)
      this.hash.update(chunk)
      this.bytes += chunk.length
      this.push(chunk)
    }
  })
  Object.assign(source, { produced: 0, bytes: 0, hash: crypto.createHash('sha256') })
  const compress = ot.createCompress({ format: 'gzip', level: 1 })
  const decompress = ot.createDecompress({ format: 'gzip' })
  let received = 0
  let maxLead = 0
  let writes = 0
  const outHash = crypto.createHash('sha256')
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write (chunk, encoding, callback) {
      received += chunk.length
      outHash.update(chunk)
      maxLead = Math.max(maxLead, source.bytes - received)
      if (++writes % 16 === 0) setTimeout(callback, 1)
      else setImmediate(callback)
    }
  })
  const started = performance.now()
  await pipeline(source, compress, decompress, sink)
  t.log(`16 MiB through gzip streams: ${(performance.now() - started).toFixed(0)} ms, source at most ${(maxLead / MiB).toFixed(1)} MiB ahead`)
  t.is(received, chunkSize * count)
  t.is(outHash.digest('hex'), source.hash.digest('hex'), 'intact')
  t.true(maxLead < 8 * MiB, `the source ran at most ${maxLead} bytes ahead of the slow sink`)
})

test('streams: corrupt and truncated input error with ERR_DECOMPRESS for every format', async (t) => {
  const data = text(100 * 1024)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    let err = await t.throwsAsync(pipeline(chunked(packed.subarray(0, packed.length >> 1), [1000]), ot.createDecompress({ format }), collect()))
    if (err) checkError(t, err, ERR.corrupt, { label: `${format}: truncated stream` })
    err = await t.throwsAsync(pipeline(chunked(packed.subarray(0, packed.length - 1), [1000]), ot.createDecompress({ format }), collect()))
    if (err) checkError(t, err, ERR.corrupt, { label: `${format}: last byte missing` })
    err = await t.throwsAsync(pipeline(Readable.from([]), ot.createDecompress({ format }), collect()))
    if (err) checkError(t, err, ERR.corrupt, { label: `${format}: empty stream` })
    err = await t.throwsAsync(pipeline(chunked(Buffer.from('definitely not compressed at all, just text'.repeat(10)), [50]), ot.createDecompress({ format }), collect()))
    if (err) checkError(t, err, ERR.corrupt, { label: `${format}: garbage stream` })
    if (['gzip', 'deflate', 'zstd', 'lz4'].includes(format)) {
      const bad = Buffer.from(packed)
      bad[bad.length >> 1] ^= 0x55
      err = await t.throwsAsync(pipeline(chunked(bad, [1000]), ot.createDecompress({ format }), collect()))
      if (err) checkError(t, err, ERR.corrupt, { label: `${format}: flipped byte in the stream` })
    }
  }
})

test('streams: an AbortSignal destroys the stream with an AbortError; an aborted one at once; listeners are removed', async (t) => {
  // Aborted while flowing.
  const controller = new AbortController()
  const stream = ot.createCompress({ format: 'brotli', level: 9, signal: controller.signal })
  let produced = 0
  const source = new Readable({
    read () {
      produced++
      this.push(random(64 * 1024))
    }
  })
  setTimeout(() => controller.abort(), 50)
  const started = performance.now()
  const err = await aborted(t, pipeline(source, stream, collect()), controller.signal, 'flowing stream')
  t.true(performance.now() - started < 5000, 'stopped')
  t.true(stream.destroyed, 'destroyed')
  t.true(produced > 0, 'data flowed before the abort')
  if (err) t.true(err instanceof ot.AbortError)
  // The 'error' event itself.
  const c2 = new AbortController()
  const s2 = ot.createDecompress({ signal: c2.signal })
  const errored = new Promise((resolve) => s2.once('error', resolve))
  s2.write(zlib.gzipSync('partial'))
  c2.abort(new Error('client went away'))
  const e2 = await errored
  checkError(t, e2, ERR.abort, { label: 'error event' })
  t.is(e2.cause, c2.signal.reason)
  // Already aborted: destroyed on the next tick.
  const c3 = new AbortController()
  c3.abort()
  const s3 = ot.createCompress({ signal: c3.signal })
  const e3 = await new Promise((resolve) => s3.once('error', resolve))
  checkError(t, e3, ERR.abort, { label: 'already aborted' })
  t.true(s3.destroyed)
  // A stream that ends normally leaves no listener on its signal.
  const c4 = new AbortController()
  const s4 = ot.createCompress({ signal: c4.signal })
  t.is(getEventListeners(c4.signal, 'abort').length, 1)
  await pipeline(Readable.from([Buffer.from('x')]), s4, collect())
  await until(() => s4.closed, 'the stream to close', 2000)
  t.is(getEventListeners(c4.signal, 'abort').length, 0, 'listener removed on close')
  throws(t, () => ot.createCompress({ signal: 'nope' }), ERR.type, { label: 'signal not an AbortSignal' })
})

// ---------------------------------------------------------------------------------------------
// Zip bombs (in a child process, so that RSS is this work's alone)

test('zip bombs of ~10 GiB (gzip members, zstd frames) stop at maxOutputLength with ERR_BUFFER_TOO_LARGE; RSS stays low', async (t) => {
  const out = await runChildOk(t, ['bomb'])
  t.log(JSON.stringify(out))
  t.true(out.memberOk, 'one member is 64 MiB of zeros')
  t.true(out.gzipBomb < 16 * MiB, `the gzip bomb is ${out.gzipBomb} bytes`)
  t.is(out.gzipExpands, 10 * 1024 * MiB)
  t.true(out.zstdBomb < 16 * MiB, `the zstd bomb is ${out.zstdBomb} bytes`)
  const cases = {
    gzipDefault: 1536, // 1 GiB default cap: the output buffer reaches 1 GiB before the stop
    zstdCap: 512,
    gzipSmallCap: 256,
    gzipSync: 256,
    gzipStream: 512
  }
  for (const [name, limitMiB] of Object.entries(cases)) {
    const r = out[name]
    t.truthy(r.error, `${name}: rejected`)
    if (!r.error) continue
    t.is(r.error.code, 'ERR_BUFFER_TOO_LARGE', `${name}: code`)
    t.true(r.error.isRangeError, `${name}: a RangeError`)
    t.true(r.growthMiB < limitMiB, `${name}: peak RSS grew ${r.growthMiB} MiB (limit ${limitMiB})`)
    t.true(r.afterMiB < 256, `${name}: RSS afterwards ${r.afterMiB} MiB above the start`)
    t.log(`${name}: ${r.ms} ms, peak +${r.growthMiB} MiB`)
  }
  t.true(out.gzipStream.delivered <= 256 * MiB, 'the stream delivered at most its cap')
  t.true(out.gzipStream.delivered > 128 * MiB, 'the stream delivered until near the cap')
  // A legitimate output does not cost twice its size.
  t.is(out.legit512.value, 512 * MiB)
  t.true(out.legit512.growthMiB < 768, `a 512 MiB output: peak RSS grew ${out.legit512.growthMiB} MiB`)
})

// ---------------------------------------------------------------------------------------------
// Aborts

test.serial('an already-aborted signal rejects every async call with ABORT_ERR (its reason as cause)', async (t) => {
  const controller = new AbortController()
  const reason = new Error('no longer needed')
  controller.abort(reason)
  const { signal } = controller
  const file = tmp('abort-file')
  fs.writeFileSync(file, 'x')
  const calls = {
    digest: () => ot.digest('sha256', 'x', { signal }),
    'digest borrowed': () => ot.digest('sha256', random(MiB), { signal }),
    hmac: () => ot.hmac('sha256', 'k', 'x', { signal }),
    hashFile: () => ot.hashFile(file, 'sha256', { signal }),
    compress: () => ot.compress('x', { signal }),
    decompress: () => ot.decompress(zlib.gzipSync('x'), { signal }),
    'digest libuv': () => ot.digest('sha256', 'x', { signal, executor: 'libuv' })
  }
  for (const [label, fn] of Object.entries(calls)) {
    const err = await aborted(t, fn(), signal, label)
    if (err) t.is(err.cause, reason)
  }
})

/**
 * Runs `start(signal)` once to completion, then again aborted `delayMs` in: it must reject with
 * an AbortError soon after the abort (within a quarter of the full run, or 100 ms).
 */
async function abortsEarly (t, label, start, delayMs = 20) {
  let since = performance.now()
  await start(undefined)
  const full = performance.now() - since
  const controller = new AbortController()
  since = performance.now()
  const promise = start(controller.signal)
  await until(() => ot.stats().running >= 1, `${label} to start`)
  await sleep(delayMs)
  t.true(ot.stats().running >= 1, `${label}: running when aborted`)
  const abortedAt = performance.now()
  controller.abort()
  await aborted(t, promise, controller.signal, label)
  const after = performance.now() - abortedAt
  t.log(`${label}: ${full.toFixed(0)} ms in full; rejected ${after.toFixed(1)} ms after the abort`)
  t.true(after < Math.max(100, full / 4), `${label}: rejected ${after.toFixed(1)} ms after the abort (full run ${full.toFixed(0)} ms)`)
}

test.serial('aborting a running digest (100 MiB sha3-512), compression and decompression (small input, 512 MiB out) rejects early', async (t) => {
  const data = hundredMiB()
  await abortsEarly(t, 'sha3-512 of 100 MiB', (signal) => ot.digest('sha3-512', data, { signal }))
  await abortsEarly(t, 'hmac sha512 of 100 MiB', (signal) => ot.hmac('sha512', 'k', data, { signal }))
  await abortsEarly(t, 'gzip level 9 of 32 MiB random', (signal) => ot.compress(data.subarray(0, 32 * MiB), { level: 9, signal }))
  const member = zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 9 })
  const gzip512 = Buffer.concat(Array(8).fill(member))
  await abortsEarly(t, 'gunzip of 512 MiB of zeros', (signal) => ot.decompress(gzip512, { signal }))
  const zstd512 = await ot.compress(Buffer.alloc(512 * MiB), { format: 'zstd' })
  await abortsEarly(t, 'zstd of 512 MiB of zeros', (signal) => ot.decompress(zstd512, { format: 'zstd', signal }))
  const brotli256 = zlib.brotliCompressSync(Buffer.alloc(256 * MiB), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
  await abortsEarly(t, 'brotli of 256 MiB of zeros', (signal) => ot.decompress(brotli256, { format: 'brotli', signal }))
  // A stream decompressing a bomb chunk, aborted.
  const controller = new AbortController()
  const stream = ot.createDecompress({ signal: controller.signal, maxOutputLength: 2 ** 40 })
  const since = performance.now()
  const done = pipeline(Readable.from([gzip512]), stream, new Writable({ write (c, e, cb) { cb() } }))
  setTimeout(() => controller.abort(), 20)
  await aborted(t, done, controller.signal, 'stream')
  t.true(performance.now() - since < 400, `stream rejected after ${(performance.now() - since).toFixed(0)} ms`)
  await until(() => ot.stats().running === 0, 'the aborted stream task to stop', 2000)
  // The pool is free again and correct.
  t.is(await ot.digest('sha256', 'abc'), nodeDigest('sha256', 'abc'))
})

// ---------------------------------------------------------------------------------------------
// Argument errors: async functions reject, sync ones throw

test('argument errors: wrong types, unknown values and options, out-of-range numbers (async reject, sync throw)', async (t) => {
  const asyncCases = [
    ['digest data 42', () => ot.digest('sha256', 42), ERR.type],
    ['digest data null', () => ot.digest('sha256', null), ERR.type],
    ['digest data undefined', () => ot.digest('sha256'), ERR.type],
    ['digest data object', () => ot.digest('sha256', { length: 3 }), ERR.type],
    ['digest data array of numbers', () => ot.digest('sha256', [1, 2, 3]), ERR.type],
    ['digest data nested array', () => ot.digest('sha256', [['a']]), ERR.type],
    ['digest data array with 42', () => ot.digest('sha256', ['a', 42]), ERR.type],
    ['digest algorithm 5', () => ot.digest(5, 'x'), ERR.type],
    ['digest algorithm undefined', () => ot.digest(undefined, 'x'), ERR.type],
    ['digest algorithm unknown', () => ot.digest('sha-256', 'x'), ERR.value],
    ['digest algorithm upper case', () => ot.digest('SHA256', 'x'), ERR.value],
    ['digest algorithm sha224', () => ot.digest('sha224', 'x'), ERR.value],
    ['digest encoding unknown', () => ot.digest('sha256', 'x', { encoding: 'latin1' }), ERR.value],
    ['digest encoding 5', () => ot.digest('sha256', 'x', { encoding: 5 }), ERR.type],
    ['digest option misspelt', () => ot.digest('sha256', 'x', { encodng: 'hex' }), ERR.value],
    ['digest options string', () => ot.digest('sha256', 'x', 'hex'), ERR.type],
    ['digest options null', () => ot.digest('sha256', 'x', null), ERR.type],
    ['digest signal', () => ot.digest('sha256', 'x', { signal: {} }), ERR.type],
    ['digest executor', () => ot.digest('sha256', 'x', { executor: 'threads' }), ERR.value],
    ['hmac blake3', () => ot.hmac('blake3', 'k', 'x'), ERR.value],
    ['hmac crc32', () => ot.hmac('crc32', 'k', 'x'), ERR.value],
    ['hmac xxh3-64', () => ot.hmac('xxh3-64', 'k', 'x'), ERR.value],
    ['hmac algorithm 5', () => ot.hmac(5, 'k', 'x'), ERR.type],
    ['hmac key 42', () => ot.hmac('sha256', 42, 'x'), ERR.type],
    ['hmac key undefined', () => ot.hmac('sha256', undefined, 'x'), ERR.type],
    ['hmac data 42', () => ot.hmac('sha256', 'k', 42), ERR.type],
    ['hmac option key', () => ot.hmac('sha256', 'k', 'x', { key: 'k' }), ERR.value],
    ['hmac encoding', () => ot.hmac('sha256', 'k', 'x', { encoding: 'binary' }), ERR.value],
    ['compress data 42', () => ot.compress(42), ERR.type],
    ['compress data null', () => ot.compress(null), ERR.type],
    ['compress format', () => ot.compress('x', { format: 'zip' }), ERR.value],
    ['compress level', () => ot.compress('x', { level: 1.5 }), ERR.range],
    ['compress option misspelt', () => ot.compress('x', { levle: 1 }), ERR.value],
    ['decompress data 42', () => ot.decompress(42), ERR.type],
    ['decompress maxOutputLength -1', () => ot.decompress(zlib.gzipSync('x'), { maxOutputLength: -1 }), ERR.range],
    ['decompress option misspelt', () => ot.decompress(zlib.gzipSync('x'), { maxOutputLenght: 1 }), ERR.value],
    ['hashFile path 3', () => ot.hashFile(3), ERR.type]
  ]
  for (const [label, fn, expected] of asyncCases) await rejects(t, fn, expected, { label })
  const syncCases = [
    ['digestSync data 42', () => ot.digestSync('sha256', 42), ERR.type],
    ['digestSync algorithm 5', () => ot.digestSync(5, 'x'), ERR.type],
    ['digestSync algorithm unknown', () => ot.digestSync('nope', 'x'), ERR.value],
    ['digestSync encoding unknown', () => ot.digestSync('sha256', 'x', { encoding: 'utf8' }), ERR.value],
    ['digestSync option misspelt', () => ot.digestSync('sha256', 'x', { keys: 1 }), ERR.value],
    ['hmacSync blake3', () => ot.hmacSync('blake3', 'k', 'x'), ERR.value],
    ['hmacSync crc32', () => ot.hmacSync('crc32', 'k', 'x'), ERR.value],
    ['hmacSync key 42', () => ot.hmacSync('sha256', 42, 'x'), ERR.type],
    ['hmacSync data 42', () => ot.hmacSync('sha256', 'k', 42), ERR.type],
    ['compressSync data 42', () => ot.compressSync(42), ERR.type],
    ['compressSync format', () => ot.compressSync('x', { format: 'zip' }), ERR.value],
    ['compressSync level', () => ot.compressSync('x', { level: -1 }), ERR.range],
    ['decompressSync data 42', () => ot.decompressSync(42), ERR.type],
    ['decompressSync maxOutputLength -1', () => ot.decompressSync('x', { maxOutputLength: -1 }), ERR.range],
    ['decompressSync option', () => ot.decompressSync('x', { level: 1 }), ERR.value],
    ['createCompress options', () => ot.createCompress('gzip'), ERR.type],
    ['createDecompress maxOutputLength -1', () => ot.createDecompress({ maxOutputLength: -1 }), ERR.range]
  ]
  for (const [label, fn, expected] of syncCases) throws(t, fn, expected, { label })
  await rejects(t, () => ot.digest('sha256', 42), ERR.type, {
    label: 'message',
    message: 'Expected string, Buffer, TypedArray, DataView, ArrayBuffer or an array of them for data but received 42 of type number'
  })
  // A secret key is never shown.
  const err = throws(t, () => ot.hmacSync('sha256', 12345678, 'x'), ERR.type, { label: 'key hidden' })
  if (err) t.false(err.message.includes('12345678'))
})

// ---------------------------------------------------------------------------------------------
// Executors, worker teardown, garbage collection

test('the libuv executor gives the same answers, borrowed inputs included', async (t) => {
  const data = random(2 * MiB)
  t.is(await ot.digest('sha256', data, { executor: 'libuv' }), sha256(data))
  t.is(await ot.hmac('sha1', 'k', data, { executor: 'libuv' }), nodeHmac('sha1', 'k', data))
  const packed = await ot.compress(data, { format: 'zstd', executor: 'libuv' })
  t.true((await ot.decompress(packed, { format: 'zstd', executor: 'libuv' })).equals(data))
  const file = tmp('libuv-file')
  fs.writeFileSync(file, data)
  t.is(await ot.hashFile(file, 'sha256', { executor: 'libuv' }), sha256(data))
  const sink = collect()
  await pipeline(chunked(data, [300000]), ot.createCompress({ format: 'gzip', executor: 'libuv' }), sink)
  t.true(zlib.gunzipSync(sink.result()).equals(data))
})

test('10 rounds of 4 workers terminated 0–20 ms into digests and compressions of 4–32 MiB borrowed buffers: no crash', async (t) => {
  const out = await runChildOk(t, ['churn', '10'])
  t.is(out.rounds, 10)
  t.is(out.terminated.beforeStart + out.terminated.inFlight, 40, 'every worker was terminated by the main thread')
  t.true(out.terminated.inFlight >= 10, `${out.terminated.inFlight} workers terminated with tasks in flight`)
  t.true(out.digestOk, 'the main thread still hashes (borrowed 16 MiB)')
  t.true(out.compressOk, 'the main thread still compresses and decompresses')
  t.true(out.fileOk, 'the main thread still hashes files')
  t.is(out.stats.running, 0, 'the pool drained the orphaned tasks')
  t.is(out.stats.queued, 0)
  t.is(out.stats.inFlight, 0)
  t.log(`terminate() → exit: p50 ${out.exit.p50} ms, max ${out.exit.max} ms`)
  // Loose (the pool runs at background priority on a possibly busy machine): a reader that never
  // reached a checkpoint (the 512 MiB gunzip each worker starts) would hold its worker for seconds.
  t.true(out.exit.max < 3000, `a terminated worker exits soon (slowest: ${out.exit.max} ms), its readers stop at a checkpoint`)
})

test('borrowed inputs stay alive and unchanged when JS drops every reference and collects garbage', async (t) => {
  const out = await runChildOk(t, ['gc'], { nodeArgs: ['--expose-gc'] })
  t.deepEqual(out.mismatches, [])
  t.is(out.ok, 6)
  t.true(out.collections > 0, `${out.collections} collections while the tasks ran`)
})
