'use strict'
// stringifyJson / stringifyJsonStream / sendJson against JSON.stringify as the oracle: the same bytes
// (Buffer.from(JSON.stringify(value, replacer, space))), the same calls of toJSON and the replacer (recorded),
// the same TypeErrors (cycles with V8's message, BigInt). Each value is also checked at the smallest
// sliceBytes and wrapped in padding, so that the walk (frames, batches, single members) runs, not just one
// JSON.stringify call. Deeper than V8's own stack allows JSON.stringify, the oracle runs in a worker with a
// 256 MB stack.

const test = require('ava')
const http = require('node:http')
const zlib = require('node:zlib')
const { Worker } = require('node:worker_threads')
const { Readable } = require('node:stream')
const express = require('express')
const { stringifyJson, stringifyJsonStream, sendJson } = require('..')
const bytes = require('../lib/bytes')
const native = require('../lib/native')
const { ERR, rejects, aborted, throws, checkError } = require('./helpers/errors')
const { prng, randomDoc } = require('./helpers/json')

const J = native.policy.json
const MIN = J.sliceBytes.min
const SEED = Number(process.env.OFFTHREAD_SEED ?? 0x5eed)

/** JSON.stringify's outcome: { bytes } or { error: [class, message] }. */
function oracle (value, replacer, space) {
  try {
    const s = JSON.stringify(value, replacer, space)
    return { bytes: s === undefined ? undefined : Buffer.from(s, 'utf8') }
  } catch (err) {
    return { error: [err.constructor.name, err.message] }
  }
}

async function ours (value, options) {
  try {
    const b = await stringifyJson(value, options)
    return { bytes: b }
  } catch (err) {
    return { error: [err.constructor.name, err.message] }
  }
}

/** '' when stringifyJson's outcome is JSON.stringify's; otherwise what differs. */
async function differs (value, replacer, space, options = {}) {
  const want = oracle(value, replacer, space)
  const got = await ours(value, { replacer, space, ...options })
  if (want.error || got.error) {
    return JSON.stringify(want.error) === JSON.stringify(got.error) ? '' : `error ${JSON.stringify(got.error)}, expected ${JSON.stringify(want.error ?? 'none')}`
  }
  if (want.bytes === undefined || got.bytes === undefined) return want.bytes === got.bytes ? '' : `got ${got.bytes}, expected ${want.bytes}`
  if (!Buffer.isBuffer(got.bytes)) return 'not a Buffer'
  if (got.bytes.equals(want.bytes)) return ''
  let i = 0
  while (i < got.bytes.length && got.bytes[i] === want.bytes[i]) i++
  return `bytes differ at ${i}: ...${got.bytes.subarray(Math.max(0, i - 30), i + 30)}... expected ...${want.bytes.subarray(Math.max(0, i - 30), i + 30)}...`
}

/** A large array of numbers: wrapping a value with it makes the whole larger than any slice. */
const PAD = Array.from({ length: 2000 }, (_, i) => i * 1.5)

/** Checks `value` whole and padded, at the default and the smallest slice, for each space. */
async function check (t, label, value, { replacer, spaces = [undefined, 2, '\t'] } = {}) {
  for (const space of spaces) {
    for (const sliceBytes of [undefined, MIN]) {
      for (const [form, v] of [['whole', value], ['padded', [PAD, value, { k: value, pad: PAD }, value]]]) {
        const d = await differs(v, replacer, space, { sliceBytes })
        if (d !== '') return t.fail(`${label} (${form}, space ${JSON.stringify(space)}, sliceBytes ${sliceBytes}): ${d}`)
      }
    }
  }
  t.pass()
}

function boxedBigInt () {
  return Object(BigInt(7))
}

const TABLE = {
  numbers: [0, -0, 1.5, -1e-7, 1e21, 5e-324, 1.7976931348623157e308, NaN, Infinity, -Infinity, 2 ** 53 + 2],
  'booleans and null': [true, false, null],
  strings: ['', 'plain', 'é€😀', '\u0000\u001f\n\r\t"\\/\b\f', '\u2028\u2029', '\ud800', '\udc00', 'a\ud83dz', '\ude00\ud83d', 'x'.repeat(70000)],
  'undefined, functions, symbols': [undefined, () => 1, Symbol('s'), [undefined, () => 1, Symbol('s')], { a: undefined, b: () => 1, c: Symbol('s'), d: 1 }],
  dates: [new Date(0), new Date(8.64e15), new Date(NaN), [new Date(1e12)], { at: new Date(1e12) }],
  'boxed primitives': [Object(3), Object(-0), Object('str'), Object(false), [Object(NaN), Object('x')], { n: Object(1), s: Object('') }],
  'arrays and holes': [[], [[]], [1, [2, [3, [4]]]], [, 1, , 2], new Array(5), Array.from({ length: 3000 }, (_, i) => [i, String(i)])], // eslint-disable-line no-sparse-arrays
  objects: [{}, { a: { b: { c: {} } } }, { 2: 'b', 1: 'a', z: 0, y: 1 }, JSON.parse('{"__proto__":{"x":1},"a":1}'),
    Object.assign(Object.create(null), { n: 1 }), Object.defineProperty({ v: 1 }, 'hidden', { value: 2, enumerable: false }),
    { [Symbol('k')]: 1, k: 2 }, { get g () { return [1, 2] } }, new Map([[1, 2]]), new Set([1]), new Uint8Array([1, 2, 3]),
    new (class Point { constructor () { this.x = 1; this.y = 2 } })(), Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]))],
  'toJSON': [
    { toJSON: (k) => `key=${k}` },
    [{ toJSON: (k) => `key=${k}` }, { toJSON: (k) => `key=${k}` }],
    { a: { toJSON: (k) => ({ got: k, inner: { toJSON: (k2) => `inner ${k2}` } }) } },
    { a: { toJSON () { return { toJSON: () => 'not called' } } } },
    { a: { toJSON: () => undefined }, b: [{ toJSON: () => undefined }] },
    { toJSON: 'not a function', x: 1 },
    Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? { toJSON: (k) => `#${k}` } : { i }))
  ]
}

for (const [label, values] of Object.entries(TABLE)) {
  test(`bytes equal JSON.stringify's: ${label}`, async (t) => {
    for (const [i, value] of values.entries()) await check(t, `${label}[${i}]`, value)
  })
}

test('BigInt: TypeError as JSON.stringify throws it, anywhere; BigInt.prototype.toJSON is called with the right key', async (t) => {
  for (const value of [1n, [1, 2n], { a: { b: 3n } }, [PAD, { x: 1n }], boxedBigInt()]) {
    const d = await differs(value, undefined, undefined, { sliceBytes: MIN })
    t.is(d, '', String(value))
    const got = await ours(value, {})
    t.is(got.error[0], 'TypeError')
  }
  const keys = []
  BigInt.prototype.toJSON = function (k) { keys.push(k); return `${this}n` } // eslint-disable-line no-extend-native
  try {
    const value = [PAD, [1n, 2n], { a: 3n }, Array.from({ length: 300 }, (_, i) => BigInt(i))]
    t.is(await differs(value, undefined, undefined, { sliceBytes: MIN }), '')
    keys.length = 0
    JSON.stringify(value)
    const theirs = keys.splice(0)
    await stringifyJson(value, { sliceBytes: MIN })
    t.deepEqual(keys, theirs)
  } finally {
    delete BigInt.prototype.toJSON
  }
})

// Serial: ava runs serial tests before the concurrent ones, so no other test sees the polluted prototype.
test.serial('a polluted Object.prototype (toJSON, a setter) acts as in JSON.stringify, no more', async (t) => {
  const members = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, { v: i }]))
  Object.defineProperty(Object.prototype, 'k5', { set () { throw new Error('setter ran') }, configurable: true }) // eslint-disable-line no-extend-native
  try {
    t.is(await differs({ members, pad: PAD }, undefined, undefined, { sliceBytes: MIN }), '')
    t.is(await differs(JSON.parse('{"__proto__":{"a":1},"b":[1]}'), undefined, 2, { sliceBytes: MIN }), '')
  } finally {
    delete Object.prototype.k5
  }
  Object.defineProperty(Object.prototype, 'toJSON', { value (k) { return Array.isArray(this) ? this : `obj ${k}` }, configurable: true, writable: true }) // eslint-disable-line no-extend-native
  try {
    const replacer = (k, v) => (k === 'r' ? { a: 1, b: [2] } : v)
    t.is(await differs({ members, r: 0, pad: PAD }, replacer, undefined, { sliceBytes: MIN }), '')
  } finally {
    delete Object.prototype.toJSON
  }
})

test('space: numbers clamped to 10, strings cut to 10, boxed, ignored types (as JSON.stringify takes it)', async (t) => {
  const value = { a: [1, { b: [] }, {}], c: 'x', d: [PAD.slice(0, 300)] }
  const spaces = [0, 1, 3.9, 10, 11, -1, '', ' ', '--', 'abcdefghijklmnop', Object(4), Object('ab'), true, null, {}, [], 1e10]
  await check(t, 'space', value, { spaces })
})

test('replacer function: same calls (holder, key, value) in the same order as JSON.stringify, same bytes', async (t) => {
  const rand = prng(SEED)
  const value = JSON.parse(randomDoc(rand, { depth: 5, width: 40 }))
  const big = [value, PAD, { nested: [value, { deeper: value }] }, Array.from({ length: 400 }, (_, i) => ({ i, d: new Date(i) }))]
  const record = (calls, ids) => function (key, val) {
    if (!ids.has(this)) ids.set(this, ids.size)
    const v = typeof val === 'object' && val !== null ? (ids.has(val) ? ids.get(val) : (ids.set(val, ids.size), ids.size - 1)) : val
    calls.push([ids.get(this), Array.isArray(this), key, typeof val, typeof v === 'number' ? v : String(v)])
    if (typeof val === 'number' && val > 1000) return undefined // drops members, null in arrays
    if (key === 'i') return { replaced: val }
    return val
  }
  for (const space of [undefined, 2]) {
    for (const sliceBytes of [undefined, MIN]) {
      const theirs = []
      const mine = []
      const expected = JSON.stringify(big, record(theirs, new Map()), space)
      const got = await stringifyJson(big, { replacer: record(mine, new Map()), space, sliceBytes })
      t.is(got.toString(), expected, `bytes, space ${space}, sliceBytes ${sliceBytes}`)
      t.is(mine.length, theirs.length)
      t.deepEqual(mine, theirs, `calls, space ${space}, sliceBytes ${sliceBytes}`)
    }
  }
})

test('replacer function: the root call gets the wrapper { "": value } as this; what it returns is serialized, toJSON not called on it', async (t) => {
  const toJSON = () => 'should not be called'
  const replacer = function (k, v) {
    if (k === '') return { root: Object.keys(this), list: [{ toJSON }, PAD] }
    return v
  }
  await check(t, 'root replacer', { x: 1 }, { replacer })
  await check(t, 'undefined root', { x: 1 }, { replacer: (k, v) => (k === '' ? undefined : v) })
})

test('replacer array: the property list (strings, numbers, String/Number objects, duplicates) applies to objects at every depth', async (t) => {
  const value = { a: 1, b: { a: 2, c: 3, 1: 'one' }, c: [{ a: 4, z: 5 }], 1: 'x', z: Array.from({ length: 500 }, (_, i) => ({ a: i, b: -i, c: { a: 1 } })) }
  for (const replacer of [['a', 'b'], ['a', 'b', 'c', 'z', 1], [Object('a'), Object(1), 'a', 'b', 'c', 'z', 'zz', {}, null, true], []]) {
    await check(t, `list ${JSON.stringify(replacer)}`, value, { replacer })
  }
})

test('cycles: TypeError with V8\'s message, wherever the cycle is (inside a piece, through open containers, through toJSON)', async (t) => {
  const makes = [
    () => { const a = {}; a.self = a; return a },
    () => { const a = { x: { y: { z: { w: { v: {} } } } } }; a.x.y.z.w.v.back = a; return a },
    () => { const a = [1, [2, [3]]]; a[1][1].push(a); return a },
    () => { const a = [PAD, { k: [] }]; a[1].k.push(PAD, a[1]); return a },
    () => { const a = { list: Array.from({ length: 500 }, (_, i) => ({ i })) }; a.list[400].up = a; return a },
    () => { const a = { pad: PAD }; a.x = { toJSON: () => a }; return a },
    () => { class Foo {}; const f = new Foo(); f.k = [f]; return { root: f, pad: PAD } },
    () => { const m = new Map(); m.x = { y: m }; return [PAD, m] },
    () => { const a = Object.create(null); a.a = { b: { c: { d: { e: a } } } }; return a },
    () => { const a = {}; a[''] = { q: a }; return a },
    () => { const shared = { s: 1 }; return [shared, shared, { shared }] } // no cycle: shared references are fine
  ]
  for (const [i, make] of makes.entries()) {
    for (const sliceBytes of [undefined, MIN]) {
      const value = make()
      t.is(await differs(value, undefined, undefined, { sliceBytes }), '', `case ${i}, sliceBytes ${sliceBytes}`)
      t.is(await differs(value, undefined, 2, { sliceBytes }), '', `case ${i} with space, sliceBytes ${sliceBytes}`)
    }
  }
})

/** JSON.stringify in a worker with a 256 MB stack, for values deeper than the main thread's stack allows. */
function bigStackStringify (makeSource, arg) {
  return new Promise((resolve, reject) => {
    const code = `const { parentPort, workerData } = require('node:worker_threads')
      const make = ${makeSource}
      parentPort.postMessage(Buffer.from(JSON.stringify(make(workerData.arg), null, workerData.space)))`
    const w = new Worker(code, { eval: true, workerData: { arg, space: arg.space }, resourceLimits: { stackSizeMb: 256 } })
    w.once('message', (m) => resolve(Buffer.from(m)))
    w.once('error', reject)
  })
}

const makeDeep = `({ depth, kind }) => {
  let x = 'leaf'
  for (let i = 0; i < depth; i++) x = kind === 'array' ? [i, x] : kind === 'object' ? { i, x } : (i % 2 ? [x] : { x, n: [i] })
  return x
}`

test('deep nesting: 10,000 and 100,000 levels give the text (JSON.stringify throws RangeError past ~4,500 levels here; oracle: a worker with a large stack)', async (t) => {
  const make = eval(makeDeep) // eslint-disable-line no-eval
  for (const [depth, space] of [[10000, undefined], [10000, undefined], [100000, undefined], [2000, 2]]) {
    for (const kind of ['array', 'object', 'mixed']) {
      const arg = { depth, kind, space }
      const expected = await bigStackStringify(makeDeep, arg)
      const got = await stringifyJson(make(arg), { space })
      t.true(got.equals(expected), `${kind} ${depth} levels, space ${space}`)
    }
  }
  let shallow = 0
  for (let i = 0; i < 10000; i++) shallow = [shallow]
  t.throws(() => JSON.stringify(shallow), { instanceOf: RangeError }, 'JSON.stringify overflows at 10,000 levels on the main thread')
})

test('large values: an array of 100,000 objects and an object of 100,000 keys, with and without space', async (t) => {
  const arr = Array.from({ length: 100000 }, (_, i) => ({ i, s: 'é'.repeat(i % 9), n: [i / 3, -i], d: i % 1000 === 0 ? new Date(i) : null, u: undefined }))
  const obj = Object.fromEntries(Array.from({ length: 100000 }, (_, i) => [`key ${i} ${'😀'.repeat(i % 3)}`, i % 2 ? [i] : i]))
  for (const value of [arr, obj]) {
    for (const space of [undefined, 1]) t.is(await differs(value, undefined, space), '')
  }
})

test('the Promise form past stringifySinkFromBytes (text gathered outside V8\'s heap, joined on the pool) gives JSON.stringify\'s bytes with no slack held', async (t) => {
  const small = Array.from({ length: 200000 }, (_, i) => i % 10)
  const large = Array.from({ length: 20000 }, (_, i) => ({ i, text: 'ü'.repeat(200) }))
  t.true(JSON.stringify(large).length > 2 * J.stringifySinkFromBytes, 'the sink is used')
  // Small numbers first, then large objects (multi-byte text), and the other way round.
  for (const [label, value] of [['numbers first', [small, large]], ['objects first', [large.slice(0, 6000), [1]]]]) {
    const out = await stringifyJson(value)
    t.true(out.equals(Buffer.from(JSON.stringify(value))), label)
    t.true(out.buffer.byteLength < out.length * 2, `${label}: ${out.buffer.byteLength} bytes held for ${out.length}`)
  }
})

/** A random JavaScript value: JSON from randomDoc, with things JSON.stringify treats specially mixed in. */
function randomValue (rand) {
  const value = JSON.parse(randomDoc(rand, { depth: 7, width: 10, maxLength: 30000 }))
  const specials = [undefined, () => 0, Symbol('x'), new Date(Math.floor(rand() * 1e12)), Object(rand()), Object('s'), Object(true),
    -0, NaN, Infinity, { toJSON: (k) => [k] }, 'lone \ud800', [, 1], new Map()] // eslint-disable-line no-sparse-arrays
  const work = [value]
  while (work.length > 0) {
    const x = work.pop()
    if (x === null || typeof x !== 'object') continue
    for (const k of Object.keys(x)) {
      if (rand() < 0.08) x[k] = specials[Math.floor(rand() * specials.length)]
      else work.push(x[k])
    }
  }
  return value
}

test('property test: random values at random slice sizes and spaces equal JSON.stringify byte for byte (OFFTHREAD_SEED reruns)', async (t) => {
  const rand = prng(SEED)
  const spaces = [undefined, 0, 1, 4, '\t', 'ab']
  for (let i = 0; i < 400; i++) {
    const value = randomValue(rand)
    const space = spaces[Math.floor(rand() * spaces.length)]
    const sliceBytes = MIN + Math.floor(rand() * rand() * 20000)
    const d = await differs(value, undefined, space, { sliceBytes })
    if (d !== '') return t.fail(`seed ${SEED}, case ${i} (space ${JSON.stringify(space)}, sliceBytes ${sliceBytes}): ${d}`)
  }
  t.pass()
})

test('top-level undefined: resolves undefined (JSON.stringify returns undefined); the stream ends without data', async (t) => {
  for (const value of [undefined, () => 1, Symbol('x'), { toJSON: () => undefined }]) {
    t.is(await stringifyJson(value), undefined)
    const chunks = []
    for await (const c of stringifyJsonStream(value)) chunks.push(c)
    t.deepEqual(chunks, [])
  }
  t.is(await stringifyJson(undefined, { compress: 'gzip' }), undefined)
})

test('compress: the output decompresses (node:zlib for gzip, deflate and br; offthread\'s decompress for zstd) to JSON.stringify\'s bytes', async (t) => {
  const value = Array.from({ length: 30000 }, (_, i) => ({ i, name: `city ${i}`, tags: ['a', 'b'] }))
  const expected = Buffer.from(JSON.stringify(value))
  const decode = {
    gzip: (b) => zlib.gunzipSync(b),
    deflate: (b) => zlib.inflateSync(b),
    br: (b) => zlib.brotliDecompressSync(b),
    zstd: (b) => bytes.decompress(b, { format: 'zstd' })
  }
  for (const [format, level] of [['gzip', undefined], ['gzip', 9], ['deflate', 1], ['br', 5], ['zstd', undefined], ['zstd', 19]]) {
    const out = await stringifyJson(value, { compress: format, level })
    t.true(out.length < expected.length / 3, `${format} compresses`)
    t.true((await decode[format](out)).equals(expected), `${format} level ${level}`)
    const streamed = []
    for await (const c of stringifyJsonStream(value, { compress: format, level })) streamed.push(c)
    t.true((await decode[format](Buffer.concat(streamed))).equals(expected), `stream ${format}`)
  }
})

test('options: unknown names, bad ranges and bad compress values are refused with coded errors', async (t) => {
  await rejects(t, () => stringifyJson(1, { spaces: 2 }), ERR.value)
  await rejects(t, () => stringifyJson(1, { sliceMs: 0 }), ERR.range)
  await rejects(t, () => stringifyJson(1, { sliceMs: 1.5 }), ERR.range)
  await rejects(t, () => stringifyJson(1, { sliceBytes: MIN - 1 }), ERR.range)
  await rejects(t, () => stringifyJson(1, { compress: 'lz4' }), ERR.value)
  await rejects(t, () => stringifyJson(1, { compress: 1 }), ERR.type)
  await rejects(t, () => stringifyJson(1, { compress: 'gzip', level: 10 }), ERR.range)
  await rejects(t, () => stringifyJson(1, { level: 3 }), ERR.type)
  await rejects(t, () => stringifyJson(1, { signal: 'x' }), ERR.type)
  await rejects(t, () => stringifyJson(1, 'options'), ERR.type)
  throws(t, () => stringifyJsonStream(1, { sliceMs: -1 }), ERR.range)
  // replacer and space of other types are ignored, as JSON.stringify ignores them
  t.is((await stringifyJson({ a: 1 }, { replacer: 'x', space: true })).toString(), '{"a":1}')
})

test('abort: an aborted signal rejects at once; aborting during the walk rejects with AbortError and stops the stream', async (t) => {
  const value = Array.from({ length: 300000 }, (_, i) => ({ i, s: `v${i}` }))
  const pre = AbortSignal.abort(new Error('before'))
  await aborted(t, () => stringifyJson(value, { signal: pre }), pre, 'pre-aborted')
  const ac = new AbortController()
  const p = stringifyJson(value, { signal: ac.signal })
  setImmediate(() => ac.abort(new Error('during')))
  await aborted(t, p, ac.signal, 'during the walk')
  const ac2 = new AbortController()
  const stream = stringifyJsonStream(value, { signal: ac2.signal })
  let n = 0
  const err = await new Promise((resolve) => {
    stream.on('data', () => { if (++n === 2) ac2.abort() })
    stream.on('error', resolve)
    stream.on('end', () => resolve(undefined))
  })
  checkError(t, err, ERR.abort, { label: 'stream' })
  const ac3 = new AbortController()
  const gz = stringifyJson(value, { signal: ac3.signal, compress: 'gzip' })
  setTimeout(() => ac3.abort(), 5)
  await aborted(t, gz, ac3.signal, 'with compression')
})

test('the loop keeps turning: setImmediate callbacks run between the turns of a large value', async (t) => {
  const value = Array.from({ length: 200000 }, (_, i) => ({ i, s: `v${i}`, a: [i, i] }))
  let turns = 0
  let done = false
  const tick = () => { if (!done) { turns++; setImmediate(tick) } }
  setImmediate(tick)
  const out = await stringifyJson(value, { sliceMs: J.sliceMs.min })
  done = true
  t.true(out.equals(Buffer.from(JSON.stringify(value))))
  t.true(turns >= 5, `${turns} turns`)
})

test('stream: backpressure holds the walk (nothing is produced past the buffer until read), then the bytes are JSON.stringify\'s', async (t) => {
  const value = Array.from({ length: 200000 }, (_, i) => ({ i, s: `v${i}` }))
  const expected = Buffer.from(JSON.stringify(value))
  const stream = stringifyJsonStream(value)
  t.true(stream instanceof Readable)
  await new Promise((resolve) => stream.once('readable', resolve))
  for (let i = 0; i < 20; i++) await new Promise(setImmediate)
  const buffered = stream.readableLength
  t.true(buffered >= stream.readableHighWaterMark, `${buffered} buffered`)
  t.true(buffered < stream.readableHighWaterMark + 4 * J.stringifyChunkBytes, `${buffered} buffered: the walk stops while nobody reads`)
  t.true(buffered < expected.length / 10)
  const chunks = []
  for await (const c of stream) chunks.push(c)
  t.true(Buffer.concat(chunks).equals(expected))
  t.true(chunks.length > 10)
})

test('stream: an error later in the walk destroys the stream with it', async (t) => {
  const value = [...Array.from({ length: 100000 }, (_, i) => ({ i })), { toJSON () { throw new RangeError('from toJSON') } }]
  const err = await new Promise((resolve) => {
    const s = stringifyJsonStream(value)
    s.on('data', () => {})
    s.on('error', resolve)
  })
  t.true(err instanceof RangeError)
  t.is(err.message, 'from toJSON')
})

// ---- sendJson over real HTTP ---------------------------------------------------------------------------

function listen (handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

/** A request; resolves { status, headers, body } (the body raw, not decoded). */
function request (port, { path = '/', method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

test('sendJson: small and large bodies, Content-Type, Content-Length or chunked, Accept-Encoding negotiated, HEAD', async (t) => {
  const small = { ok: true, list: [1, 2, 3] }
  const large = Array.from({ length: 50000 }, (_, i) => ({ i, name: `n${i}` }))
  const results = []
  const server = await listen((req, res) => {
    const url = new URL(req.url, 'http://x')
    const value = url.pathname === '/small' ? small : large
    const compress = url.searchParams.get('compress') === '1'
    sendJson(res, value, { compress }).then(() => results.push('ok'), (err) => results.push(err))
  })
  const { port } = server.address()
  try {
    const decode = { gzip: zlib.gunzipSync, br: zlib.brotliDecompressSync, deflate: zlib.inflateSync, zstd: (b) => bytes.decompressSync(b, { format: 'zstd' }) }
    for (const path of ['/small', '/large']) {
      const expected = Buffer.from(JSON.stringify(path === '/small' ? small : large))
      const plain = await request(port, { path })
      t.is(plain.status, 200)
      t.is(plain.headers['content-type'], 'application/json; charset=utf-8')
      t.true(plain.body.equals(expected), `${path} plain`)
      t.is(plain.headers['content-encoding'], undefined)
      if (path === '/small') t.is(plain.headers['content-length'], String(expected.length))
      else t.is(plain.headers['transfer-encoding'], 'chunked')
      for (const ae of ['gzip', 'br', 'deflate', 'zstd', 'gzip;q=0.5, br', 'identity', '']) {
        const r = await request(port, { path: `${path}?compress=1`, headers: ae === '' ? {} : { 'accept-encoding': ae } })
        t.is(r.headers.vary, 'Accept-Encoding')
        const coding = r.headers['content-encoding']
        if (path === '/small' || ae === 'identity' || ae === '') {
          t.is(coding, undefined, `${path} ${ae}: below the threshold or not accepted`)
          t.true(r.body.equals(expected))
        } else {
          t.is(coding, ae === 'gzip;q=0.5, br' ? 'br' : ae)
          t.true(decode[coding](r.body).equals(expected), `${path} ${ae}`)
        }
      }
      const head = await request(port, { path, method: 'HEAD' })
      t.is(head.status, 200)
      t.is(head.body.length, 0)
      t.is(head.headers['content-type'], 'application/json; charset=utf-8')
    }
    t.true(results.every((r) => r === 'ok'), String(results.find((r) => r !== 'ok')))
  } finally {
    server.close()
  }
})

test('sendJson in Express: json spaces/replacer settings, an error in the first turn leaves the response to the app (500)', async (t) => {
  const app = express()
  app.set('json spaces', 2)
  app.set('json replacer', (k, v) => (k === 'secret' ? undefined : v))
  const value = { a: [1, 2], secret: 'x' }
  app.get('/ok', (req, res, next) => { sendJson(res, value).catch(next) })
  app.get('/big', (req, res, next) => { sendJson(res, 1n).catch(next) })
  app.use((err, req, res, next) => { res.status(500).json({ error: err.message }) })
  const server = await listen(app)
  const { port } = server.address()
  try {
    const ok = await request(port, { path: '/ok' })
    t.is(ok.body.toString(), JSON.stringify(value, (k, v) => (k === 'secret' ? undefined : v), 2))
    const bad = await request(port, { path: '/big' })
    t.is(bad.status, 500)
    t.deepEqual(JSON.parse(bad.body), { error: 'Do not know how to serialize a BigInt' })
  } finally {
    server.close()
  }
})

test('sendJson: a client that goes away stops the walk, and the promise rejects', async (t) => {
  const value = Array.from({ length: 2000000 }, (_, i) => ({ i, s: `v${i}` }))
  let settled
  const server = await listen((req, res) => {
    settled = sendJson(res, value).then(() => 'resolved', (err) => err)
  })
  const { port } = server.address()
  try {
    await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.once('data', () => { req.destroy(); resolve() })
      })
      req.on('error', () => {})
    })
    const outcome = await settled
    t.true(outcome instanceof Error, String(outcome))
    t.is(outcome.code, 'ERR_STREAM_PREMATURE_CLOSE')
  } finally {
    server.close()
  }
})

test('sendJson: refuses a non-response and bad options with coded errors', async (t) => {
  await rejects(t, () => sendJson({}, 1), ERR.type)
  const res = new http.ServerResponse(new http.IncomingMessage(null))
  await rejects(t, () => sendJson(res, 1, { compress: 'gzip' }), ERR.type)
  await rejects(t, () => sendJson(res, 1, { compress: ['lz4'] }), ERR.value)
  await rejects(t, () => sendJson(res, 1, { level: 3 }), ERR.type)
  await rejects(t, () => sendJson(res, 1, { threshold: -1 }), ERR.range)
})
