'use strict'
// Digests, HMAC and hashFile through the public API: node:crypto at sizes 0 to 100 MiB, published
// vectors, encodings and input types (copied and borrowed). Helpers: helpers/bytes.js.

const test = require('ava')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { pipeline } = require('node:stream/promises')
const ot = require('..')
const { MiB, NODE_ALGS, SIZES, nodeDigest, nodeHmac, crc32hex, sha256, random, pattern251, hundredMiB, collect, until, tmp } = require('./helpers/bytes')
const { ERR, rejects, throws, aborted } = require('./helpers/errors')
const { heavy } = require('./helpers/quick')

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

heavy('100 MiB inputs')('100 MiB: sha1, sha256, sha512, md5 and HMAC-SHA-256 equal node:crypto; crc32 equals zlib.crc32', async (t) => {
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

heavy('100 MiB inputs')('100 MiB: blake3, xxh3-64, xxh3-128, xxh64 and crc32c agree async, sync and as an array of uneven parts', async (t) => {
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
  await rejects(t, () => ot.hashFile(new URL('https://example.com/x'), 'sha256'), ERR.urlScheme, { label: 'a non-file URL' })
  const controller = new AbortController()
  controller.abort(new Error('stop'))
  await aborted(t, ot.hashFile(file, 'sha256', { signal: controller.signal }), controller.signal, 'hashFile, aborted signal')
})
