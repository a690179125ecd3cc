'use strict'
// The cross-platform smoke suite (issue 16): every area of offthread once, against known answers,
// plus a worker_threads worker terminated with tasks in flight. Plain Node, no test framework, so it
// runs wherever a Node binary does: under qemu-user (linux-arm64), under wine (win32-x64), and on
// the host (__test__/smoke.spec.js). Prints one line per check and exits 1 if any failed.
//
//   node __test__/smoke/smoke.js

const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const zlib = require('node:zlib')
const { Worker, isMainThread, parentPort } = require('node:worker_threads')
const ot = require('../..')

const FIXTURES = path.join(__dirname, '..', 'fixtures')
const VECTORS = require(path.join(FIXTURES, 'hash-vectors.json')).rows
const TEXT = 'offthread smoke '.repeat(2000)

if (!isMainThread) {
  // Worker side of the termination check: keep heavy tasks in flight until terminated.
  for (let i = 0; i < 8; i++) {
    ot.hashPassword(`pw${i}`, { memoryCost: 16384, timeCost: 3, parallelism: 1 }).catch(() => {})
    ot.compress(Buffer.alloc(1 << 20, i), { format: 'brotli', level: 9 }).catch(() => {})
  }
  parentPort.postMessage('busy')
  setInterval(() => {}, 1000)
  return
}

const vector = (id) => VECTORS.find((r) => r.id === id)

const checks = {
  async platform () {
    const { platformName } = require('../../lib/loader')
    return `${platformName()} (Node ${process.version})`
  },

  async passwords () {
    for (const id of ['phc-testc-L241', 'phc-testc-L91', 'openwall-L279', 'openwall-L285']) {
      const row = vector(id)
      const stored = row.expected_phc ?? row.expected_mcf
      assert.equal(await ot.verifyPassword(stored, Buffer.from(row.password_hex, 'hex')), true, id)
      assert.equal(await ot.verifyPassword(stored, 'not the password'), false, `${id} with a wrong password`)
    }
    const argon2 = await ot.hashPassword('correct horse', { memoryCost: 4096, timeCost: 2, parallelism: 1 })
    assert.match(argon2, /^\$argon2id\$v=19\$m=4096,t=2,p=1\$/)
    assert.equal(await ot.verifyPassword(argon2, 'correct horse'), true)
    const scrypt = await ot.hashPassword('correct horse', { algorithm: 'scrypt', cost: 1024 })
    assert.equal(ot.verifyPasswordSync(scrypt, 'correct horse'), true)
    const bcrypt = await ot.hashPassword('correct horse', { algorithm: 'bcrypt', cost: 4 })
    assert.equal(await ot.verifyPassword(bcrypt, 'correct horse'), true)
    return 'argon2id/argon2i/bcrypt vectors, argon2id/scrypt/bcrypt round trips'
  },

  async digests () {
    assert.equal(await ot.digest('sha256', 'abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    assert.equal(await ot.digest('blake3', 'abc'), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
    assert.equal(ot.digestSync('md5', Buffer.from('abc')), '900150983cd24fb0d6963f7d28e17f72')
    for (const alg of ['sha1', 'sha512', 'sha3-256']) {
      assert.equal(await ot.digest(alg, TEXT), crypto.createHash(alg).update(TEXT).digest('hex'), alg)
    }
    // RFC 4231, test case 2.
    assert.equal(await ot.hmac('sha256', 'Jefe', 'what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
    const file = path.join(FIXTURES, 'hash-vectors.json')
    assert.equal(await ot.hashFile(file, 'sha256'), crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'))
    return 'sha256/blake3/md5 known answers, sha1/sha512/sha3 = node:crypto, HMAC RFC 4231, hashFile'
  },

  async compression () {
    const input = Buffer.from(TEXT)
    assert.deepEqual(zlib.gunzipSync(await ot.compress(input, { format: 'gzip' })), input)
    assert.deepEqual(zlib.brotliDecompressSync(await ot.compress(input, { format: 'brotli' })), input)
    assert.deepEqual(await ot.decompress(zlib.gzipSync(input)), input)
    assert.deepEqual(await ot.decompress(zlib.deflateSync(input), { format: 'deflate' }), input)
    for (const format of ['zstd', 'lz4']) {
      const packed = await ot.compress(input, { format })
      assert.ok(packed.length < input.length / 10, `${format} compresses`)
      assert.deepEqual(ot.decompressSync(packed, { format }), input, format)
    }
    await assert.rejects(ot.decompress(Buffer.from('not gzip at all')), { code: 'ERR_DECOMPRESS' })
    return 'gzip/brotli read by node:zlib, node:zlib gzip/deflate read, zstd/lz4 round trips, corrupt input refused'
  },

  async middleware () {
    const compression = ot.compression()
    const server = http.createServer((req, res) => compression(req, res, () => {
      res.setHeader('Content-Type', 'text/plain')
      res.end(TEXT)
    }))
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { headers, body } = await new Promise((resolve, reject) => {
        http.get({ port: server.address().port, host: '127.0.0.1', headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks = []
          res.on('data', (c) => chunks.push(c))
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }))
        }).on('error', reject)
      })
      assert.equal(headers['content-encoding'], 'gzip')
      assert.equal(zlib.gunzipSync(body).toString(), TEXT)
    } finally {
      server.close()
    }
    return 'compression() over http, gzip read by node:zlib'
  },

  async images () {
    const photo = path.join(FIXTURES, 'images', 'jpeg', 'ljt-testorig.jpg')
    const meta = await ot.image(photo).metadata()
    assert.equal(meta.format, 'jpeg')
    assert.deepEqual([meta.width, meta.height], [227, 149])
    const { data, info } = await ot.image(photo).resize(64).png().toBuffer({ resolveWithObject: true })
    assert.deepEqual([info.format, info.width, info.height, info.channels], ['png', 64, 42, 3])
    assert.equal(data.subarray(0, 8).toString('hex'), '89504e470d0a1a0a')
    // Decoded pixels, byte for byte: the same hashes as sharp (libvips) gives on x64. PNG decoding is
    // exact; libjpeg-turbo's integer IDCT and upsampling are bit-exact between its C, AVX2 and NEON code.
    const pixels = {
      'png/pngsuite/basn2c08.png': '3ff78c7d0ac9033c81fbcc389478d7a594ef5508979e1b6a63cfd5b7f1949beb',
      'jpeg/ljt-testorig.jpg': '37280c2751859a3cff4b45000b365aba7c102b6e7da5c1a39c95752269d4f34e'
    }
    for (const [file, sha256] of Object.entries(pixels)) {
      const raw = await ot.image(path.join(FIXTURES, 'images', file)).raw().toBuffer()
      assert.equal(crypto.createHash('sha256').update(raw).digest('hex'), sha256, file)
    }
    for (const format of ['jpeg', 'webp', 'gif']) {
      const out = await ot.image(photo).resize(32)[format]().toBuffer({ resolveWithObject: true })
      assert.equal(out.info.format, format)
      assert.equal((await ot.image(out.data).metadata()).width, 32)
    }
    assert.match(await ot.image(photo).thumbhash(), /^[A-Za-z0-9+/]{20,}={0,2}$/)
    return 'JPEG metadata, PNG/JPEG pixels = sharp\'s, resize to PNG/JPEG/WebP/GIF, thumbhash'
  },

  async pool () {
    const s = ot.stats()
    assert.ok(s.threads >= 1)
    await assert.rejects(ot.hashPassword('pw', { signal: AbortSignal.abort() }), { code: 'ABORT_ERR', name: 'AbortError' })
    assert.throws(() => ot.configure({ threads: 0 }), { code: 'ERR_OUT_OF_RANGE' })
    assert.equal(await ot.noop(), undefined)
    return `${s.threads} threads, abort refused with ABORT_ERR, bad configure refused`
  },

  async workerTerminated () {
    const worker = new Worker(__filename)
    await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
    const code = await worker.terminate()
    assert.equal(code, 1)
    // The process and its pool are unharmed.
    assert.equal(await ot.digest('sha256', 'abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    return 'a worker with 16 tasks in flight terminated; the main thread goes on'
  }
}

async function main () {
  let failed = 0
  const started = Date.now()
  for (const [name, check] of Object.entries(checks)) {
    const t0 = Date.now()
    try {
      const what = await check()
      console.log(`ok   ${name}: ${what} (${Date.now() - t0} ms)`)
    } catch (err) {
      failed++
      console.log(`FAIL ${name}: ${err.stack}`)
    }
  }
  console.log(`${failed ? 'FAILED' : 'PASSED'}: ${Object.keys(checks).length - failed}/${Object.keys(checks).length} in ${Date.now() - started} ms`)
  await ot.close()
  process.exitCode = failed ? 1 : 0
}

main()
