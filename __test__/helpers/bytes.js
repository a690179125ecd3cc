'use strict'
// Shared helpers of the bytes specs (bytes-digest, bytes-compress, bytes-runtime): inputs, node reference
// functions, the child-process runner and a temp dir. Error assertions: helpers/errors.js.

const test = require('ava')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { Readable, Writable } = require('node:stream')

const MiB = 1 << 20
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const NODE_ALGS = ['sha1', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512', 'md5']
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

const CHILD = path.join(__dirname, '..', 'fixtures', 'bytes-child.js')

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

module.exports = { MiB, sleep, NODE_ALGS, FORMATS, LEVELS, SIZES, nodeDigest, nodeHmac, crc32hex, sha256, NODE, ZLIB_FORMATS, random, text, pattern251, hundredMiB, collect, chunked, until, runChildOk, tmp }
