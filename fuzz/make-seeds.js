// Writes the committed seed inputs of the hash_parse and decompress fuzz targets into
// fuzz/seeds/<target>/ (the image targets are seeded from __test__/fixtures/images at run time by
// scripts/fuzz.sh). Needs the built addon: `npm run build`, then `node fuzz/make-seeds.js`.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')
const offthread = require('..')

const seeds = path.join(__dirname, 'seeds')

function write(target, name, bytes) {
  const dir = path.join(seeds, target)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, name), bytes)
}

// hash_parse: every stored hash string of the shared vectors, and cheap hashes of the target's
// fixed password ('password') so that the fuzzer starts from inputs that reach the computation.
const { rows } = require('../__test__/fixtures/hash-vectors.json')
const strings = new Set()
for (const row of rows) {
  for (const key of ['expected_phc', 'expected_mcf', 'encoded', 'setting']) {
    if (typeof row[key] === 'string') strings.add(row[key])
  }
}
const cheap = [
  { algorithm: 'argon2id', memoryCost: 8, timeCost: 1, parallelism: 1 },
  { algorithm: 'argon2i', memoryCost: 64, timeCost: 1, parallelism: 2, hashLength: 4, saltLength: 8 },
  { algorithm: 'argon2d', memoryCost: 16, timeCost: 1, parallelism: 1, associatedData: Buffer.from('ad') },
  { algorithm: 'scrypt', logN: 1, r: 1, p: 1 },
  { algorithm: 'scrypt', logN: 9, r: 1, p: 1, hashLength: 16, saltLength: 8 },
  { algorithm: 'bcrypt', cost: 4 },
]
for (const options of cheap) strings.add(offthread.hashPasswordSync('password', options))
// bcrypt's other prefixes, with the same salt and hash bytes.
const bcrypt = [...strings].find((s) => s.startsWith('$2b$04$'))
strings.add(bcrypt.replace('$2b$', '$2a$'))
strings.add(bcrypt.replace('$2b$', '$2y$'))
// PBKDF2 (PHC and passlib notation) and the inherited formats, at costs within the target's limits.
const crypto = require('node:crypto')
const pbkdf2 = offthread.hashPasswordSync('password', { algorithm: 'pbkdf2', iterations: 1000 })
strings.add(pbkdf2)
const [, , , salt, out] = pbkdf2.split('$')
const ab64 = (b64) => b64.replace(/\+/g, '.')
strings.add(`$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(out)}`)
const django = crypto.pbkdf2Sync('password', 'seedsalt', 1000, 32, 'sha256').toString('base64')
strings.add(`pbkdf2_sha256$1000$seedsalt$${django}`)
strings.add(`bcrypt$${bcrypt}`)
strings.add(`bcrypt_sha256$${bcrypt}`)
strings.add(`$bcrypt-sha256$v=2,t=2b,r=4$${bcrypt.slice(7, 29)}$${bcrypt.slice(29)}`)
strings.add(`scrypt$2$seedsalt$1$1$${crypto.scryptSync('password', 'seedsalt', 64, { N: 2, r: 1, p: 1 }).toString('base64')}`)
strings.add('$5$rounds=1000$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5')
strings.add('$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.')
let i = 0
for (const s of [...strings].sort()) write('hash_parse', `vector-${String(i++).padStart(3, '0')}`, s)

// decompress: the first byte picks the format (index in compress::Format::ALL: gzip, deflate,
// deflate-raw, brotli, zstd, lz4), bit 7 also feeds it in two parts, bit 6 also round-trips it.
const formats = ['gzip', 'deflate', 'deflate-raw', 'brotli', 'zstd', 'lz4']
const samples = {
  empty: Buffer.alloc(0),
  hello: Buffer.from('hello, world\n'),
  text: Buffer.from('offthread hands CPU-heavy work to native threads. '.repeat(40)),
  zeros: Buffer.alloc(20000),
  bytes: Buffer.from(Array.from({ length: 600 }, (_, k) => (k * 7919) & 255)),
}
for (const [index, format] of formats.entries()) {
  for (const [name, data] of Object.entries(samples)) {
    const packed = offthread.compressSync(data, { format })
    write('decompress', `${format}-${name}`, Buffer.concat([Buffer.from([index]), packed]))
    write('decompress', `${format}-${name}-split`, Buffer.concat([Buffer.from([index | 0x80]), packed]))
  }
  // Round-trip seeds: the payload is plain data.
  write('decompress', `${format}-roundtrip`, Buffer.concat([Buffer.from([index | 0x40]), samples.text]))
}
// Shapes the encoders above do not produce.
const text = samples.text
write('decompress', 'gzip-two-members', Buffer.concat([Buffer.from([0]), zlib.gzipSync(text), zlib.gzipSync(samples.hello)]))
write('decompress', 'deflate-node', Buffer.concat([Buffer.from([1]), zlib.deflateSync(text, { level: 9 })]))
write('decompress', 'deflate-raw-stored', Buffer.concat([Buffer.from([2]), zlib.deflateRawSync(text, { level: 0 })]))
write('decompress', 'brotli-node', Buffer.concat([Buffer.from([3]), zlib.brotliCompressSync(text)]))
const zstd = offthread.compressSync(text, { format: 'zstd' })
write('decompress', 'zstd-two-frames', Buffer.concat([Buffer.from([4 | 0x80]), zstd, zstd]))
const lz4 = offthread.compressSync(text, { format: 'lz4' })
const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3])
write('decompress', 'lz4-skippable', Buffer.concat([Buffer.from([5]), skippable, lz4, lz4]))
console.log(`hash_parse: ${strings.size} seeds; decompress: ${fs.readdirSync(path.join(seeds, 'decompress')).length} seeds`)
