'use strict'
// One source of truth (issue #10, item 1): every range, default, level table, threshold and code lives in
// crates/core; the binding exports them (`policy()`, src/policy.rs) and lib/ reads them. This spec checks
// (1) that lib's public tables are the binding's, (2) that lib accepts exactly core's ranges, boundary by
// boundary, (3) that the values themselves are the documented ones (OWASP parameters, zlib's levels), and
// (4) that no numeric policy literal is left in lib's policy modules: a scan of their syntax trees, where
// every number other than 0 and 1 must be listed below with the reason it is not a policy.
// This file never starts the pool: it also checks that the *Sync functions leave configure() usable.

const test = require('ava')
const fs = require('node:fs')
const path = require('node:path')
const acorn = require('acorn')
const walk = require('acorn-walk')
const ot = require('..')
const native = require('../lib/native')
const errors = require('../lib/errors')
const bytes = require('../lib/bytes')
const password = require('../lib/password')
const scheduler = require('../lib/scheduler')
const { ERR, throws } = require('./helpers/errors')

const P = require('../lib/loader').load().policy()

test('lib reads the binding\'s tables: the exported ones are deep-equal to policy()', (t) => {
  t.deepEqual(native.policy, P)
  t.deepEqual(ot.passwordDefaults, P.password.defaults)
  t.deepEqual(ot.verifyLimits, P.password.verifyLimits)
  t.deepEqual(password.ALGORITHMS, P.password.algorithms)
  t.deepEqual(bytes.DIGESTS, P.bytes.digests)
  t.deepEqual(bytes.HMACS, P.bytes.hmacs)
  t.deepEqual(bytes.FORMATS, P.bytes.formats)
  t.deepEqual(bytes.LEVELS, P.bytes.levels)
  t.deepEqual(scheduler.EXECUTORS, Object.keys(P.pool.executors))
  t.deepEqual(ot.imageDefaults.limitInputPixels, P.image.limitInputPixels.default)
})

test('the values are the documented ones (a change to core\'s policy must be deliberate)', (t) => {
  t.deepEqual(P.password.defaults, {
    algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1, hashLength: 32, saltLength: 16,
    cost: 10, logN: 17, r: 8, p: 1, maxPasswordLength: 4096
  })
  t.deepEqual(P.password.verifyLimits, {
    maxMemory: 256 * 1024 * 1024, maxTimeCost: 32, maxCost: 20, maxIterations: 5e6, maxRounds: 1e6
  })
  t.deepEqual(P.password.algorithms, ['argon2id', 'argon2i', 'argon2d', 'bcrypt', 'scrypt', 'pbkdf2'])
  // OWASP's FIPS-140 settings (Password Storage Cheat Sheet).
  t.deepEqual(P.password.pbkdf2.defaultIterations, { sha256: 600000, sha512: 210000 })
  t.deepEqual(P.password.pbkdf2.digests, ['sha256', 'sha512'])
  t.deepEqual(P.bytes.levels, {
    gzip: { min: 0, max: 9, default: 6 },
    deflate: { min: 0, max: 9, default: 6 },
    'deflate-raw': { min: 0, max: 9, default: 6 },
    brotli: { min: 0, max: 11, default: 4 },
    zstd: { min: -7, max: 22, default: 3 },
    lz4: { min: 0, max: 0, default: 0 }
  })
  t.is(P.bytes.defaultMaxOutputLength, 2 ** 30)
  t.is(P.bytes.defaultFormat, 'gzip')
  t.is(P.bytes.defaultFileAlgorithm, 'sha256')
  t.is(P.bytes.middlewareThreshold, 1024)
  t.is(P.pool.readInPlaceFrom, 64 * 1024)
  t.deepEqual(P.pool.executors, { pool: 0, libuv: 1 })
  // Key order is part of the table: the first executor is the default, and tables list in core's order.
  t.deepEqual(Object.keys(P.pool.executors), ['pool', 'libuv'])
  t.deepEqual(Object.keys(P.bytes.levels), P.bytes.formats)
  t.deepEqual(P.pool.admission, { accepted: 0, queueFull: 1, poolClosed: 2 })
  t.deepEqual(P.pool.cancel, { wasQueued: 0, wasRunning: 1, tooLate: 2 })
  // selectJson's limits (README: 1024 pointers, 1,048,576 values by default).
  t.deepEqual(P.json.select, { maxPointers: 1024, maxMatches: { min: 1, max: 2 ** 24, default: 2 ** 20 }, slicedFromBytes: 256 * 1024 })
  // The README's JSON figures: 64 KiB slices, 4 ms per turn, 16 KiB inline, V8's message up to 1 MiB,
  // body-parser's 100kb, ajv-like 1000 errors, 64 MiB NDJSON lines, 16 KiB stringify pieces.
  t.deepEqual([P.json.sliceBytes.default, P.json.sliceMs.default, P.json.inlineBytes, P.json.exactMessageBytes],
    [64 * 1024, 4, 16 * 1024, 1024 * 1024])
  t.is(P.json.bodyLimit, 100 * 1024)
  t.is(P.json.parseErrorCode, 'ERR_JSON_PARSE')
  t.deepEqual([P.json.schema.maxErrors.default, P.json.schema.maxDepth, P.json.schema.defaultDraft], [1000, 127, '2020-12'])
  t.is(P.json.ndjsonMaxLineBytes.default, 64 * 1024 * 1024)
  t.is(P.json.stringifySliceBytes, 16 * 1024)
  t.deepEqual(P.pool.priorities, ['background', 'normal'])
  t.deepEqual(P.workers, {
    abortGraceMs: { min: 0, max: 2 ** 31 - 1, default: 1000 },
    idleTimeout: { min: 0, max: 2 ** 31 - 1, default: 10000 },
    threads: { min: 1, max: 1024 },
    minThreads: 0,
    maxMemoryLimitBeforeRecycle: { min: 1, max: Number.MAX_SAFE_INTEGER },
    outcomes: { completed: 0, failed: 1, cancelled: 2 }
  })
})

test('every core error code is built with its class, by lib and by the binding alike', (t) => {
  const CLASSES = { TypeError, RangeError, Error }
  t.true(Object.keys(P.errorClasses).length >= 20)
  for (const [code, cls] of Object.entries(P.errorClasses)) {
    const err = errors.codedError(code, 'm')
    t.is(err.code, code)
    if (code === 'ABORT_ERR') t.true(err instanceof ot.AbortError, code)
    else t.is(Object.getPrototypeOf(err), CLASSES[cls].prototype, code)
  }
  t.is(P.errorClasses.ERR_INVALID_ARG_VALUE, 'TypeError')
  t.is(P.errorClasses.ERR_OUT_OF_RANGE, 'RangeError')
  t.is(P.errorClasses.ERR_WORKER_EXITED, 'Error', 'workers() rejects with it (lib/workers.js builds it by this code)')
  t.is(P.errorClasses.ERR_BUFFER_TOO_LARGE, 'RangeError')
  t.is(P.errorClasses.ERR_QUEUE_FULL, 'Error')
  // The binding's own errors carry the same classes: an out-of-range level refused by core (below lib).
  throws(t, () => native.compressSync('gzip', 99, 'x'), ERR.range, { label: 'native compressSync level 99' })
})

/** Each { min, max } range: both ends accepted, one past each end refused with ERR_OUT_OF_RANGE. */
function boundaries (t, label, range, call) {
  t.notThrows(() => call(range.min), `${label} = ${range.min}`)
  t.notThrows(() => call(range.max), `${label} = ${range.max}`)
  for (const bad of [range.min - 1, range.max + 1]) {
    if (!Number.isSafeInteger(bad)) continue
    throws(t, () => call(bad), ERR.range, { label: `${label} = ${bad}` })
  }
}

test('hash options accept exactly core\'s ranges (checked through needsRehash, which hashes nothing)', (t) => {
  const hash = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
  const pw = P.password
  const cases = [
    ['argon2id', pw.argon2, ['parallelism', 'timeCost', 'hashLength', 'saltLength']],
    ['bcrypt', pw.bcrypt, ['cost']],
    ['scrypt', pw.scrypt, ['r', 'p', 'hashLength', 'saltLength']]
  ]
  for (const [algorithm, ranges, keys] of cases) {
    for (const key of keys) {
      // Hold the other parameters where the one under test can reach both ends of its range.
      const extra = key === 'parallelism' ? { memoryCost: pw.argon2.memoryCost.max } : algorithm === 'scrypt' ? { logN: 4 } : {}
      boundaries(t, `${algorithm}.${key}`, ranges[key], (x) => ot.needsRehash(hash, { algorithm, ...extra, [key]: x }))
    }
  }
  // scrypt's logN is also bounded by its memory (bytesPerR · r · 2^logN ≤ maxMemory) and by RFC 7914's
  // logN < 16 · r: with r = 2 the whole range holds.
  boundaries(t, 'scrypt.logN', pw.scrypt.logN, (x) => ot.needsRehash(hash, { algorithm: 'scrypt', r: 2, logN: x }))
  t.is(pw.scrypt.logNBelowPerR, 16)
  t.notThrows(() => ot.needsRehash(hash, { algorithm: 'scrypt', r: 1, logN: 15 }))
  throws(t, () => ot.needsRehash(hash, { algorithm: 'scrypt', r: 1, logN: 16 }), ERR.range)
  // argon2's memoryCost: at least memoryCostPerLane per lane.
  for (const p of [1, 4]) {
    const range = { min: pw.argon2.memoryCostPerLane * p, max: pw.argon2.memoryCost.max }
    boundaries(t, `memoryCost (p=${p})`, range, (x) => ot.needsRehash(hash, { parallelism: p, memoryCost: x }))
  }
  boundaries(t, 'maxPasswordLength', pw.maxPasswordLength, (x) => ot.needsRehash(hash, { maxPasswordLength: x }))
})

test('verify options and secrets accept exactly core\'s ranges', (t) => {
  const cheap = ot.hashPasswordSync('pw', { algorithm: 'bcrypt', cost: 4 })
  for (const [key, range] of Object.entries(P.password.verifyLimitRanges)) {
    boundaries(t, key, range, (x) => t.true(ot.verifyPasswordSync(cheap, 'pw', { [key]: x, maxCost: key === 'maxCost' ? x : 31 })))
  }
  const { secretLength, associatedDataLength } = P.password.argon2
  const hash = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
  t.notThrows(() => ot.needsRehash(hash, { secret: Buffer.alloc(secretLength.max) }))
  throws(t, () => ot.needsRehash(hash, { secret: Buffer.alloc(secretLength.max + 1) }), ERR.range)
  t.notThrows(() => ot.needsRehash(hash, { associatedData: Buffer.alloc(associatedDataLength.max) }))
  throws(t, () => ot.needsRehash(hash, { associatedData: Buffer.alloc(associatedDataLength.max + 1) }), ERR.range)
  const n = P.password.bcrypt.maxPasswordBytes
  throws(t, () => ot.hashPasswordSync('x'.repeat(n + 1), { algorithm: 'bcrypt', cost: 4 }), ERR.tooLong)
  t.regex(ot.hashPasswordSync('x'.repeat(n), { algorithm: 'bcrypt', cost: 4 }), /^\$2b\$04\$/)
})

test('compression levels, blake3 keys and pool settings accept exactly core\'s ranges', (t) => {
  for (const [format, range] of Object.entries(P.bytes.levels)) {
    boundaries(t, `${format} level`, range, (level) => ot.compressSync('abc', { format, level }))
    t.deepEqual(ot.decompressSync(ot.compressSync('abc', { format }), { format }), Buffer.from('abc'))
  }
  const k = P.bytes.blake3KeyLength
  t.is(ot.digestSync('blake3', 'x', { key: Buffer.alloc(k) }).length, 64)
  throws(t, () => ot.digestSync('blake3', 'x', { key: Buffer.alloc(k + 1) }), ERR.range)
  for (const key of ['threads', 'maxQueue']) {
    const range = P.pool[key]
    for (const bad of [range.min - 1, range.max + 1]) {
      throws(t, () => ot.configure({ [key]: bad }), ERR.range, { label: `${key} = ${bad}` })
    }
  }
})

test('*Sync functions run on the calling thread and never start the pool: configure() still works', (t) => {
  t.is(ot.digestSync('sha256', 'abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.is(ot.hmacSync('sha256', 'key', 'The quick brown fox jumps over the lazy dog'),
    'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8')
  t.deepEqual(ot.decompressSync(ot.compressSync(Buffer.alloc(100000, 7), { format: 'zstd' }), { format: 'zstd' }), Buffer.alloc(100000, 7))
  const h = ot.hashPasswordSync('pw', { algorithm: 'scrypt', logN: 4 })
  t.true(ot.verifyPasswordSync(h, 'pw'))
  t.false(native.isStarted())
  t.notThrows(() => ot.configure({ threads: 2 }))
  t.false(native.isStarted())
})

// ---------------------------------------------------------------------------------------------
// No numeric policy literal in lib's policy modules.

/** Numbers other than 0 and 1 that may appear, per file, each with the reason it is not a policy. */
const ALLOWED = {
  'password.js': {
    2: 'a power-of-two base: scrypt\'s N is 2^logN',
    3: 'a UTF-16 unit is at most 3 UTF-8 bytes (skips counting short strings)'
  },
  'scheduler.js': { 2: 'offset of the value in a settle-batch entry (id, code, value)' },
  'native.js': { 20: 'the last Node major on which marking untransferable is safe (Node 22+ copies)' },
  'loader.js': {},
  'errors.js': {
    37: 'messages show at most 40 characters of a received value: 37 and an ellipsis',
    40: 'messages show at most 40 characters of a received value'
  },
  'validate.js': {},
  'image-composite.js': {},
  'image-stream.js': {},
  'password-fips.js': {},
  'bytes.js': {},
  'pool.js': {},
  'workers.js': {},
  'worker-host.js': {},
  'worker-scope.js': {},
  'middleware.js': {
    2: 'header arrays are name/value pairs; 1024 ** 2 is a MiB',
    3: '1024 ** 3 is a GiB',
    100: 'HTTP status range (1xx)',
    200: 'HTTP status range (2xx)',
    204: 'HTTP 204 No Content',
    304: 'HTTP 304 Not Modified',
    999: 'the largest three-digit HTTP status',
    1024: 'the unit of kb/mb/gb in threshold strings'
  },
  'image.js': {},
  'json/index.js': {},
  'json/parse.js': {
    2: 'plan op OBJECT (native.jsonScan\'s plan format, src/json.rs); halving in a bisection',
    3: 'plan op CLOSE; a plan entry is a triple [op, a, b]',
    4: 'plan op ITEMS',
    5: 'plan op MEMBERS',
    6: 'plan op KEY'
  },
  'json/input.js': {},
  'json/schema.js': {},
  'json/select.js': { 3: 'jsonSelect returns [pointer, start, end] triples' },
  'json/stringify.js': {},
  'json/walk.js': {},
  'json/send.js': {},
  'json/ndjson.js': {},
  'json/body.js': {
    2: 'a media type is two parts (type/subtype); regex match groups 2, 3 and 4; 2 ** n powers of the kb..pb units of limit strings (the bytes package)',
    3: 'regex match group 3 (an unquoted parameter value)',
    4: 'a UTF-8 character is at most 4 bytes; regex match group 4 (the unit of a limit string)',
    9: 'tab, JSON whitespace',
    10: 'line feed, JSON whitespace; parseInt radix; 2 ** 10 (kb)',
    13: 'carriage return, JSON whitespace',
    20: 'exponent of mb (2 ** 20)',
    30: 'exponent of gb (2 ** 30)',
    32: 'space, JSON whitespace',
    40: 'exponent of tb (2 ** 40)',
    50: 'exponent of pb (2 ** 50)',
    64: 'characters of the strict-mode message\'s context built for bodies over exactMessageBytes (V8 shows 10)',
    128: 'ASCII ends at 0x80',
    400: 'HTTP 400 (body-parser\'s status)',
    403: 'HTTP 403 (body-parser\'s verify status)',
    413: 'HTTP 413 (body-parser\'s too-large status)',
    415: 'HTTP 415 (body-parser\'s unsupported-charset/encoding status)',
    500: 'HTTP 500 (http-errors: a non-status becomes 500; 5xx are not exposed)',
    503: 'HTTP 503 (the pool\'s queue is full)',
    600: 'HTTP statuses end at 599 (http-errors)'
  },
  'json/charset.js': {
    2: 'UTF-16 code units are 2 bytes',
    3: 'the UTF-8 BOM is 3 bytes',
    4: 'UTF-32 code units are 4 bytes',
    10: 'a code point above U+FFFF keeps its high 10 bits in the high surrogate',
    16: 'the largest Unicode plane (0x10) in iconv-lite\'s UTF-32 byte-order guess',
    200: 'iconv-lite guesses UTF-16\'s byte order from the first 100 units (200 bytes)',
    254: 'BOM byte 0xFE',
    255: 'BOM byte 0xFF',
    400: 'iconv-lite guesses UTF-32\'s byte order from the first 100 units (400 bytes)',
    1023: 'the low 10 bits of a code point above U+FFFF (0x3FF)',
    8192: 'code units per String.fromCharCode call when decoding UTF-32 (an argument-count bound)',
    55296: 'U+D800, high surrogates',
    56320: 'U+DC00, low surrogates',
    65533: 'U+FFFD, the replacement character',
    65536: 'U+10000, the first code point past the BMP',
    1114111: 'U+10FFFF, the last code point'
  },
  'image-options.js': {
    16: 'the radix of hex colour strings',
    255: 'the byte range of colour channels (alpha 0-1 scaled to 0-255)'
  }
}

test('no numeric policy literal is left in lib\'s policy modules (syntax-tree scan)', (t) => {
  const dir = path.join(__dirname, '..', 'lib')
  const modules = fs.readdirSync(dir, { recursive: true }).map((f) => f.split(path.sep).join('/'))
  t.deepEqual(Object.keys(ALLOWED).sort(), modules.filter((f) => f.endsWith('.js')).sort(),
    'every lib module is scanned (add new ones to ALLOWED)')
  const found = []
  for (const [file, allowed] of Object.entries(ALLOWED)) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8')
    const ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'script', locations: true })
    walk.full(ast, (node) => {
      if (node.type !== 'Literal' || (typeof node.value !== 'number' && typeof node.value !== 'bigint')) return
      const value = Number(node.value)
      if (value === 0 || value === 1 || allowed[value] !== undefined) return
      found.push(`lib/${file}:${node.loc.start.line}: ${node.raw}`)
    })
  }
  t.deepEqual(found, [], 'numbers that belong in crates/core (export them through src/policy.rs)')
})
