'use strict'
// parseJson (lib/json/parse.js): JSON.parse's exact result from strings and binary inputs, split into
// slices by the scanner on the pool and assembled on the loop. Oracle: JSON.parse on the running Node
// (for binary input, JSON.parse(buf.toString('utf8'))), compared with helpers/json.js `same` (Object.is on
// numbers, key order, own data properties, prototypes). Most documents are run at the smallest slice size
// (policy minimum), where the plan splits them (checked with planOf), and at the default.

const test = require('ava')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { parseJson } = require('../lib/json/parse')
const scheduler = require('../lib/scheduler')
const { same, planOf, splits, J } = require('./helpers/json')
const { ERR, rejects, aborted } = require('./helpers/errors')
const { heavy } = require('./helpers/quick')

const MIN = J.sliceBytes.min
const SYNTAX = [J.parseErrorCode, SyntaxError]
const turn = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Every input form of the same UTF-8 text: string, Buffer, Uint8Array, offset subarray, Buffer over an
 * ArrayBuffer at an odd offset, DataView, ArrayBuffer, Uint16Array, Float64Array at an offset, and a view of
 * a SharedArrayBuffer (a bare SharedArrayBuffer is refused, as bytes.js refuses it).
 */
function forms (text) {
  const buf = Buffer.from(text, 'utf8')
  const padded = Buffer.concat([Buffer.from('xyz'), buf, Buffer.from(' ')])
  const even = buf.length % 2 === 0 ? buf : Buffer.concat([buf, Buffer.from(' ')])
  const ab = new ArrayBuffer(buf.length)
  new Uint8Array(ab).set(buf)
  const odd = new ArrayBuffer(buf.length + 9)
  new Uint8Array(odd).fill(0x7b).set(buf, 7) // '{' around it: only the view's bytes may be read
  const eights = Float64Array.BYTES_PER_ELEMENT
  const wide = new ArrayBuffer(eights + Math.ceil(buf.length / eights) * eights)
  new Uint8Array(wide).fill(0x20).fill(0x7b, 0, eights).set(buf, eights)
  const shared = new SharedArrayBuffer(buf.length)
  new Uint8Array(shared).set(buf)
  return {
    'Buffer.from(arrayBuffer, 7, n)': Buffer.from(odd, 7, buf.length),
    'Float64Array at byteOffset 8': new Float64Array(wide, eights),
    'Uint8Array over a SharedArrayBuffer': new Uint8Array(shared),
    string: text,
    Buffer: buf,
    Uint8Array: new Uint8Array(buf),
    'Buffer subarray': padded.subarray(3, 3 + buf.length),
    DataView: new DataView(padded.buffer, padded.byteOffset + 3, buf.length),
    ArrayBuffer: ab,
    Uint16Array: new Uint16Array(new Uint8Array(even).buffer)
  }
}

/** Asserts parseJson(input, options) is exactly `expected` (JSON.parse's result). */
async function equal (t, input, expected, options, label) {
  const actual = await parseJson(input, options)
  t.is(same(actual, expected), '', label)
}

// ---------------------------------------------------------------------------------------------
// Documents

/** One row with every hard case: -0, overflow, 20-digit integers, escapes, lone surrogates, duplicates, __proto__, integer keys. */
function row (i) {
  return `{"id":${i},"neg":-0,"negf":-0.0e5,"big":1e400,"nbig":-1e400,"tiny":1e-400,"digits":1234567890123456789${i % 10},` +
    `"f":0.1${i},"e":1.5E+${i % 300},"s":"a\\n\\t\\"\\\\\\/\\b\\f\\r\\u0000\\u001f\\ud800 \\udc00x\\ud83d\\ude00\\u00e9é😀\u2028\u2029${i}",` +
    `"\\ud800k${i % 3}":[],"dup":1,"10":"ten","2":"two","dup":${i},"__proto__":{"polluted":${i}},"constructor":{"prototype":{"p":1}}}`
}

/** About `n` rows (~340 bytes each) in an object with duplicates and __proto__ at the top, arrays of numbers. */
function featureDoc (n) {
  const rows = Array.from({ length: n }, (_, i) => row(i))
  const numbers = Array.from({ length: n * 4 }, (_, i) => (i % 7 === 0 ? '-0' : i % 11 === 0 ? '12345678901234567890' : String(i * 1.5)))
  return `{"dup":"first","rows":[${rows.join(',\n')}],"__proto__":{"polluted":true},"tail":[${numbers.join(', ')}],` +
    `"dup":{"big":[${rows.slice(0, n / 4).join(',')}]},"9":"nine","1":[${rows.slice(0, n / 4).join(',')}],"last":"é"}`
}

const FEATURE = featureDoc(400)

test('the feature document splits at the smallest slice size: arrays, objects and keys of split members', async (t) => {
  t.true(FEATURE.length > J.inlineBytes * 4)
  const count = await planOf(FEATURE)
  t.true(count.items > 10 && count.members > 2 && count.key >= 3 && count.array >= 3, JSON.stringify(count))
  t.true(splits(await planOf(Buffer.from(FEATURE))))
})

test('every input form gives JSON.parse\'s result, small (inline) and large, at the smallest and the default slice size', async (t) => {
  const small = row(7)
  t.true(small.length < J.inlineBytes)
  for (const [text, what] of [[small, 'small'], [FEATURE, 'feature']]) {
    const expected = JSON.parse(text)
    for (const [form, input] of Object.entries(forms(text))) {
      // A Uint16Array or Float64Array carries up to 1 or 7 more bytes (spaces): still the same JSON.
      await equal(t, input, expected, { sliceBytes: MIN }, `${what} ${form} (sliceBytes ${MIN})`)
      await equal(t, input, expected, undefined, `${what} ${form} (default)`)
    }
  }
})

test('numbers: -0, 1e400, 20-digit integers, subnormals round as JSON.parse rounds them (Object.is)', async (t) => {
  const nums = ['-0', '-0.0', '0e-5', '1e400', '-1e400', '1e-400', '5e-324', '2.2250738585072011e-308', '1.7976931348623157e308',
    '1.7976931348623158e308', '12345678901234567890', '-98765432109876543210', '9007199254740993', '0.1', '0.30000000000000004',
    '123456789012345678901234567890e-10', '1E+2', '1e-7', '4.9406564584124654e-324', '100000000000000000000000000000000000001']
  const doc = '[' + Array.from({ length: 4000 }, (_, i) => nums[i % nums.length]).join(',') + ']'
  const count = await planOf(doc)
  t.true(count.items > 10)
  const expected = JSON.parse(doc)
  t.true(Object.is(expected[0], -0))
  await equal(t, doc, expected, { sliceBytes: MIN }, 'string')
  await equal(t, Buffer.from(doc), expected, { sliceBytes: MIN }, 'Buffer')
  for (const n of nums) t.true(Object.is(await parseJson(n), JSON.parse(n)), n)
  // A large document that is one number.
  const long = '1' + '0'.repeat(J.inlineBytes * 2)
  t.true(Object.is(await parseJson(long), JSON.parse(long)))
})

test('strings: escapes, lone surrogates (escaped, and raw in a string input), astral characters, U+2028', async (t) => {
  const pieces = ['\\ud800', '\\udbff\\u0041', '\\udc00', '\\ud83d\\ude00', '\\uDFAA', '\\u0000', '\\"', '\\\\', '\\/', '\\b\\f\\n\\r\\t',
    'é', '😀', '\u2028', '\u2029', '\uD800', '\uDC00x', '\uDBFF\uDFFF', 'plain']
  const doc = '{' + Array.from({ length: 3000 }, (_, i) => `"k${pieces[i % pieces.length]}${i}":"${pieces[(i * 7) % pieces.length]}${i}"`).join(',') + '}'
  t.true((await planOf(doc)).members > 10)
  const expected = JSON.parse(doc)
  t.true(Object.keys(expected).some((k) => k.startsWith('k\uD800')), 'raw lone surrogates survive in string input')
  await equal(t, doc, expected, { sliceBytes: MIN }, 'string')
  await equal(t, doc, expected, undefined, 'string, default slices')
  // Binary input: the raw lone surrogates were encoded as U+FFFD by Buffer.from, so the oracle is JSON.parse(buf.toString()).
  const buf = Buffer.from(doc)
  await equal(t, buf, JSON.parse(buf.toString('utf8')), { sliceBytes: MIN }, 'Buffer')
  // A large document that is one string.
  const one = '"' + pieces.join('').repeat(2000) + '"'
  t.is(same(await parseJson(one, { sliceBytes: MIN }), JSON.parse(one)), '')
  t.is(same(await parseJson(Buffer.from(one), { sliceBytes: MIN }), JSON.parse(Buffer.from(one).toString())), '')
})

test('invalid UTF-8 in strings and keys becomes U+FFFD exactly as buf.toString(\'utf8\') decodes it', async (t) => {
  const BAD = [[0xff], [0xfe], [0x80], [0xbf, 0x80], [0xc0, 0x80], [0xc1, 0xbf], [0xc3], [0xc3, 0x28], [0xe0, 0x80, 0xaf],
    [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf0, 0x9f, 0x98], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82, 0xac, 0x80], [0xc3, 0xa9]]
  const parts = [Buffer.from('{')]
  for (let i = 0; i < 2000; i++) {
    const bad = Buffer.from(BAD[i % BAD.length])
    parts.push(Buffer.from(`${i ? ',' : ''}"k${i}`), bad, Buffer.from('":["x'), bad, Buffer.from('y", "'), bad, Buffer.from('"]'))
  }
  parts.push(Buffer.from('}'))
  const buf = Buffer.concat(parts)
  const expected = JSON.parse(buf.toString('utf8'))
  t.true(splits(await planOf(buf)))
  await equal(t, buf, expected, { sliceBytes: MIN }, 'sliceBytes min')
  await equal(t, buf, expected, undefined, 'default')
  // Outside a string, an invalid byte is a syntax error (JSON.parse meets U+FFFD).
  const outside = Buffer.concat([Buffer.from('[1,'), Buffer.from([0xff]), Buffer.from(']'), Buffer.alloc(J.inlineBytes, 0x20)])
  t.throws(() => JSON.parse(outside.toString()), { instanceOf: SyntaxError })
  const err = await rejects(t, parseJson(outside), SYNTAX)
  if (err) t.is(err.offset, 3)
})

test('key order and duplicate keys: integer keys first, last value wins at the first position, across slices', async (t) => {
  const members = []
  for (let i = 0; i < 3000; i++) members.push(`"m${i % 1000}":${i}`, `"${(i * 37) % 5000}":"n${i}"`)
  const big = `[${Array.from({ length: 2000 }, (_, i) => i).join(',')}]`
  const doc = `{"first":0,"dup":1,${members.join(',')},"dup":${big},"x":{"dup":${big},"dup":2},"first":${big},"4294967295":1,"4294967294":2}`
  const count = await planOf(doc)
  t.true(count.members > 10 && count.key >= 2, JSON.stringify(count))
  const expected = JSON.parse(doc)
  t.is(Object.keys(expected)[0], '0', 'integer keys first')
  await equal(t, doc, expected, { sliceBytes: MIN }, 'string')
  await equal(t, Buffer.from(doc), expected, { sliceBytes: MIN }, 'Buffer')
})

test('__proto__ becomes an own data property, never the prototype: in a slice, as a split member and nested', async (t) => {
  const big = JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ i })))
  const docs = {
    small: '{"__proto__":{"polluted":"yes"},"a":1}',
    'in a slice': `{"pad":${JSON.stringify('x'.repeat(J.inlineBytes))},"__proto__":{"polluted":"yes"},"a":1}`,
    'split member': `{"a":1,"__proto__":${big.replace('{"i":0}', '{"i":0,"polluted":"yes"}')},"b":2}`,
    'split member holding __proto__': `{"outer":[${big}, {"__proto__":{"polluted":"yes"}}],"x":{"__proto__":${big}}}`,
    array: `[${big}, {"__proto__": {"polluted": "yes"}}, {"__proto__": null}]`
  }
  for (const [label, doc] of Object.entries(docs)) {
    for (const input of [doc, Buffer.from(doc)]) {
      const value = await parseJson(input, { sliceBytes: MIN })
      t.is(same(value, JSON.parse(doc)), '', label)
      // Walk every object: none has a changed prototype; ({}).polluted is still undefined.
      const work = [value]
      let protoKeys = 0
      while (work.length > 0) {
        const x = work.pop()
        if (x === null || typeof x !== 'object') continue
        t.is(Object.getPrototypeOf(x), Array.isArray(x) ? Array.prototype : Object.prototype, label)
        if (Object.prototype.hasOwnProperty.call(x, '__proto__')) protoKeys++
        for (const k of Object.keys(x)) work.push(x[k])
      }
      t.true(protoKeys >= 1, `${label}: __proto__ kept as an own key`)
      t.is(({}).polluted, undefined)
      t.is(Object.prototype.polluted, undefined)
    }
  }
  // A setter on Object.prototype (a polluted environment) is not called either: members are defined.
  let called = 0
  Object.defineProperty(Object.prototype, 'trap', { set () { called++ }, get () { return undefined }, configurable: true })
  try {
    const doc = `{"trap":1,"rows":${big},"x":{"trap":${big}}}`
    const value = await parseJson(doc, { sliceBytes: MIN })
    t.is(called, 0)
    t.is(value.trap, 1)
    t.is(same(value, JSON.parse(doc)), '')
  } finally {
    delete Object.prototype.trap
  }
})

test('whitespace around the document, a large top-level scalar, empty containers and a byte-order mark', async (t) => {
  const pad = ' \n\t\r'.repeat(J.inlineBytes)
  for (const doc of [pad + '[1, [], {}, [[]], {"a":{}}]' + pad, pad + '"x"' + pad, pad + 'null', 'true' + pad, '[' + pad + ']', '{' + pad + '}']) {
    await equal(t, doc, JSON.parse(doc), { sliceBytes: MIN }, JSON.stringify(doc.trim()))
    await equal(t, Buffer.from(doc), JSON.parse(doc), { sliceBytes: MIN }, JSON.stringify(doc.trim()))
  }
  // JSON.parse refuses a BOM (buf.toString keeps U+FEFF): so does parseJson, small and large.
  for (const doc of ['\uFEFF[1]', '\uFEFF[' + '1,'.repeat(J.inlineBytes) + '1]']) {
    t.throws(() => JSON.parse(doc), { instanceOf: SyntaxError })
    const err = await rejects(t, parseJson(Buffer.from(doc)), SYNTAX, { label: 'BOM, Buffer' })
    if (err) t.deepEqual([err.offset, err.line, err.column], [0, 1, 1])
    await rejects(t, parseJson(doc), SYNTAX, { label: 'BOM, string' })
  }
})

// ---------------------------------------------------------------------------------------------
// Depth

/** Depth of a chain of single-element arrays or single-key objects, iteratively; and what is at the bottom. */
function chain (x) {
  let depth = 0
  while (x !== null && typeof x === 'object') {
    const keys = Object.keys(x)
    if (keys.length === 0) return { depth: depth + 1, bottom: Array.isArray(x) ? '[]' : '{}' }
    depth++
    x = x[keys[0]]
  }
  return { depth, bottom: x }
}

test('1,000,000 levels of arrays (string and Buffer input) parse as JSON.parse does: no recursion limit', async (t) => {
  const N = 1000000
  const doc = '['.repeat(N) + ']'.repeat(N)
  t.deepEqual(chain(JSON.parse(doc)), { depth: N, bottom: '[]' }, 'JSON.parse takes it')
  t.deepEqual(chain(await parseJson(doc)), { depth: N, bottom: '[]' })
  t.deepEqual(chain(await parseJson(Buffer.from(doc), { sliceBytes: MIN })), { depth: N, bottom: '[]' })
})

heavy('two more million-level documents (about 3 s)')('1,000,000 levels of objects and of mixed containers', async (t) => {
  const N = 1000000
  const objects = '{"a":'.repeat(N) + '1' + '}'.repeat(N)
  t.deepEqual(chain(await parseJson(Buffer.from(objects))), { depth: N, bottom: 1 })
  const mixed = '[{"k":'.repeat(N / 2) + '"end"' + '}]'.repeat(N / 2)
  t.deepEqual(chain(await parseJson(mixed, { sliceBytes: MIN })), chain(JSON.parse(mixed)))
})

// ---------------------------------------------------------------------------------------------
// Reviver

/** A reviver that records each call (holder by identity, key, value or its JSON, argument count, context) and applies `f`. */
function recorder (log, f = (k, v) => v) {
  const holders = new Map()
  return function (key, value, ...rest) {
    if (!holders.has(this)) holders.set(this, holders.size)
    const shown = value !== null && typeof value === 'object' ? JSON.stringify(value) : value
    log.push([holders.get(this), key, shown, 2 + rest.length, rest.length > 0 ? JSON.stringify(rest[0]) : 'none'])
    return f.call(this, key, value)
  }
}

const REVIVERS = {
  identity: (k, v) => v,
  'transforms and deletes': (k, v) => (typeof v === 'number' ? v * 2 : k === 's' || k === '3' ? undefined : v),
  'mutates its holder (deletes later siblings, shrinks arrays, adds keys)': function (k, v) {
    if (k === 'id') { delete this.neg; delete this.s; this.added = 1 }
    if (Array.isArray(this) && k === '0') this.length = Math.max(0, this.length - 2)
    return v
  },
  // On Node >= 21 a value changed before its turn loses its context.source (the spec's SameValue), one set to
  // itself keeps it. Not tested: a double-valued member set to another number, which V8 12.4 (Node 22) still
  // passes the old source for (its snapshot shares the mutable number box); parseJson follows the spec there.
  'rewrites later siblings': function (k, v) {
    if (k === 'id') { this.s = 'changed'; this.dup = -1; this.digits = this.digits; this.constructor = 5; this['10'] = 10 }
    return v
  },
  'replaces the root': (k, v) => (k === '' ? { root: v } : v)
}

test('reviver: the same calls, in the same order, with the same arguments as JSON.parse, on split documents', async (t) => {
  const doc = featureDoc(120)
  t.true(splits(await planOf(doc)))
  for (const [label, f] of Object.entries(REVIVERS)) {
    for (const input of [doc, Buffer.from(doc)]) {
      const expectedLog = []
      const expected = JSON.parse(doc, recorder(expectedLog, f))
      const log = []
      const actual = await parseJson(input, { sliceBytes: MIN, reviver: recorder(log, f) })
      t.true(expectedLog.length > 1000)
      t.is(same(log, expectedLog), '', `${label}: call records`)
      t.is(same(actual, expected), '', `${label}: result`)
    }
  }
  // Small (inline) documents too.
  const log = []
  const expectedLog = []
  t.is(same(await parseJson(row(1), { reviver: recorder(log) }), JSON.parse(row(1), recorder(expectedLog))), '')
  t.is(same(log, expectedLog), '')
})

test('reviver: its exceptions reject the promise as they are (a SyntaxError it throws is not a parse error)', async (t) => {
  for (const doc of [row(1), FEATURE]) {
    const boom = new SyntaxError('from the reviver')
    const err = await t.throwsAsync(parseJson(doc, { reviver: (k) => { if (k === 'big') throw boom } }))
    t.is(err, boom)
  }
})

test('reviver: deep nesting has JSON.parse\'s outcome: RangeError at 1,000,000 levels, the same result at 1,000', async (t) => {
  const N = 1000000
  const deep = '['.repeat(N) + ']'.repeat(N)
  t.throws(() => JSON.parse(deep, (k, v) => v), { instanceOf: RangeError })
  for (const input of [deep, Buffer.from(deep)]) {
    const err = await t.throwsAsync(parseJson(input, { reviver: (k, v) => v }))
    t.is(Object.getPrototypeOf(err), RangeError.prototype, err.message)
  }
  const mid = '[{"a":['.repeat(500) + '1' + ']}]'.repeat(500) + ' '.repeat(J.inlineBytes)
  const log = []
  const expectedLog = []
  const expected = JSON.parse(mid, recorder(expectedLog))
  t.is(same(await parseJson(mid, { sliceBytes: MIN, reviver: recorder(log) }), expected), '')
  t.is(same(log, expectedLog), '')
})

// ---------------------------------------------------------------------------------------------
// Syntax errors

/** Invalid fragments inside an array, with the index (in the fragment) where JSON.parse stops. */
const INVALID = [
  ['1,}', 2], ['{"a" 1}', 5], ['"ab\u0001"', 3], ['01', 1], ['tru]', 3], ['-', 1], ['1.', 2], ['1e', 2], ['[1 2]', 3],
  ['{"a":1,}', 7], ['{1:2}', 1], ['é', 0], ['1,,2', 2], ['"\\x"', 2], ['"\\u12g4"', 5], ['1]x', 2]
]

/** `[` + `pad` lines of `"é😀",` + fragment + `]`: expected position (units), offset (bytes), line, column. */
function invalidDoc (fragment, at, pad) {
  const prefix = '[' + '"é😀",\n'.repeat(pad)
  const text = prefix + fragment + ']'
  const before = text.slice(0, prefix.length + at)
  return {
    text,
    position: before.length,
    offset: Buffer.byteLength(before),
    line: pad + 1,
    column: pad === 0 ? at + 2 : at + 1
  }
}

test('syntax errors: SyntaxError ERR_JSON_PARSE with JSON.parse\'s message, offset, line and column (inline and on the pool)', async (t) => {
  for (const [fragment, at] of INVALID) {
    for (const pad of [0, 2, 3000]) {
      const d = invalidDoc(fragment, at, pad)
      let message
      try {
        JSON.parse(d.text)
      } catch (err) {
        message = err.message
      }
      t.is(typeof message, 'string', `${fragment}: JSON.parse throws`)
      // Where V8 names a position, it is the one the table says.
      const named = /at position (\d+)/.exec(message)
      if (named) t.is(Number(named[1]), d.position, `${fragment}: V8's position`)
      const label = `${JSON.stringify(fragment)} after ${pad} lines`
      const fromString = await rejects(t, parseJson(d.text), SYNTAX, { label, message })
      if (fromString) t.deepEqual([fromString.offset, fromString.line, fromString.column], [d.position, d.line, d.column], label)
      const fromBuffer = await rejects(t, parseJson(Buffer.from(d.text), { sliceBytes: MIN }), SYNTAX, { label, message })
      if (fromBuffer) t.deepEqual([fromBuffer.offset, fromBuffer.line, fromBuffer.column], [d.offset, d.line, d.column], label)
    }
  }
})

test('syntax errors: unexpected end (empty and whitespace-only documents too); above exactMessageBytes the scanner\'s message with the position', async (t) => {
  for (const doc of ['', ' \t\r\n', ' \n'.repeat(J.inlineBytes), '[1,', '{"a":', '"abc', '[' + '1,'.repeat(J.inlineBytes)]) {
    let message
    try { JSON.parse(doc) } catch (err) { message = err.message }
    const err = await rejects(t, parseJson(Buffer.from(doc)), SYNTAX, { message, label: doc.slice(0, 8) })
    if (err) t.is(err.offset, doc.length)
  }
  // Rejected before any work on the loop: no slice is assembled, the reviver is never called.
  let calls = 0
  const late = '[' + '{"a":1},'.repeat(J.inlineBytes) + '{"a":}]'
  await rejects(t, parseJson(late, { sliceBytes: MIN, reviver: (k, v) => { calls++; return v } }), SYNTAX)
  t.is(calls, 0)
  const pad = Math.ceil(J.exactMessageBytes / 7)
  const d = invalidDoc('{"a" 1}', 5, pad)
  t.true(Buffer.byteLength(d.text) > J.exactMessageBytes)
  for (const input of [d.text, Buffer.from(d.text)]) {
    const err = await rejects(t, parseJson(input), SYNTAX, {
      message: `Expected ':' after property name in JSON at position ${d.position} (line ${d.line} column ${d.column})`
    })
    if (err) t.deepEqual([err.offset, err.line, err.column], [typeof input === 'string' ? d.position : d.offset, d.line, d.column])
  }
})

// ---------------------------------------------------------------------------------------------
// Options, aborts, the loop

test('argument errors reject (never throw) with coded errors', async (t) => {
  const cases = [
    ['input 42', () => parseJson(42), ERR.type],
    ['input undefined', () => parseJson(), ERR.type],
    ['input null', () => parseJson(null), ERR.type],
    ['input object', () => parseJson({ length: 1 }), ERR.type],
    ['input array', () => parseJson(['[1]']), ERR.type],
    ['input SharedArrayBuffer', () => parseJson(new SharedArrayBuffer(4)), ERR.type],
    ['options string', () => parseJson('1', 'x'), ERR.type],
    ['options null', () => parseJson('1', null), ERR.type],
    ['unknown option', () => parseJson('1', { slicems: 4 }), ERR.value],
    ['sliceBytes below', () => parseJson('1', { sliceBytes: J.sliceBytes.min - 1 }), ERR.range],
    ['sliceBytes above', () => parseJson('1', { sliceBytes: J.sliceBytes.max + 1 }), ERR.range],
    ['sliceBytes fraction', () => parseJson('1', { sliceBytes: MIN + 0.5 }), ERR.range],
    ['sliceBytes string', () => parseJson('1', { sliceBytes: '4096' }), ERR.type],
    ['sliceMs 0', () => parseJson('1', { sliceMs: J.sliceMs.min - 1 }), ERR.range],
    ['sliceMs above', () => parseJson('1', { sliceMs: J.sliceMs.max + 1 }), ERR.range],
    ['reviver', () => parseJson('1', { reviver: 'f' }), ERR.type],
    ['maxBytes -1', () => parseJson('1', { maxBytes: -1 }), ERR.range],
    ['maxBytes NaN', () => parseJson('1', { maxBytes: NaN }), ERR.range],
    ['signal', () => parseJson('1', { signal: {} }), ERR.type],
    ['executor', () => parseJson('1', { executor: 'threads' }), ERR.value]
  ]
  for (const [label, fn, expected] of cases) await rejects(t, fn, expected, { label })
  t.is(await parseJson('[1]', { sliceBytes: J.sliceBytes.max, sliceMs: J.sliceMs.max, maxBytes: 3, executor: 'libuv' }).then((x) => x[0]), 1)
})

test('maxBytes: refused with ERR_BUFFER_TOO_LARGE (limit set) before any work, at exactly maxBytes accepted', async (t) => {
  const small = '["' + 'é'.repeat(60) + '"]' // 64 units, 124 bytes
  const large = '["' + 'é'.repeat(J.inlineBytes * 2) + '"]'
  for (const doc of [small, large]) {
    const bytes = Buffer.byteLength(doc)
    for (const input of [doc, Buffer.from(doc)]) {
      const err = await rejects(t, parseJson(input, { maxBytes: bytes - 1 }), ERR.tooLarge, { label: `${bytes} bytes` })
      if (err) t.is(err.limit, bytes - 1)
      // Fewer UTF-16 units than maxBytes, more bytes: still refused (string input counts UTF-8 bytes).
      await rejects(t, parseJson(input, { maxBytes: doc.length }), ERR.tooLarge)
      t.is(same(await parseJson(input, { maxBytes: bytes }), JSON.parse(doc)), '')
    }
  }
  // Refused before the scan: an invalid document over the limit gives the size error, not a syntax error.
  await rejects(t, parseJson(Buffer.alloc(J.inlineBytes * 2, '['), { maxBytes: J.inlineBytes }), ERR.tooLarge)
})

// Serial: the assembly case waits until nothing is in flight (its scan settled).
test.serial('abort: an aborted signal rejects at once; aborting during the string encoding, the assembly or the reviver walk rejects with AbortError', async (t) => {
  const reason = new Error('gone')
  const done = new AbortController()
  done.abort(reason)
  for (const input of ['[1]', FEATURE, Buffer.from(FEATURE)]) {
    const err = await aborted(t, parseJson(input, { signal: done.signal }), done.signal)
    if (err) t.is(err.cause, reason)
  }
  const doc = '[' + Array.from({ length: 200000 }, (_, i) => `{"i":${i},"s":"${'x'.repeat(20)}"}`).join(',') + ']' // ~7 MB
  // During the encoding of a string (pieces of encodeUnits units, sliceMs per turn).
  const encoding = new AbortController()
  const p1 = parseJson(doc + ' '.repeat(J.encodeUnits * 8), { signal: encoding.signal, sliceMs: J.sliceMs.min })
  setImmediate(() => encoding.abort(reason))
  await aborted(t, p1, encoding.signal, 'encoding')
  // During the assembly: the scan has settled (nothing in flight), the slices are being parsed.
  const assembling = new AbortController()
  const p2 = parseJson(Buffer.from(doc), { signal: assembling.signal, sliceMs: J.sliceMs.min })
  let turns = 0
  while (scheduler.inFlight() > 0) await turn()
  while (turns < 2) { await turn(); turns++ }
  assembling.abort(reason)
  await aborted(t, p2, assembling.signal, 'assembly')
  // During the reviver walk: the reviver aborts on its first call.
  const reviving = new AbortController()
  let calls = 0
  const p3 = parseJson(Buffer.from(doc), { signal: reviving.signal, sliceMs: J.sliceMs.min, reviver: (k, v) => { if (calls++ === 0) reviving.abort(reason); return v } })
  await aborted(t, p3, reviving.signal, 'reviver walk')
  t.true(calls < 1000000, `${calls} reviver calls before the walk stopped`)
})

test.serial('an input changed after the scan (a documented misuse): ERR_INVALID_ARG_VALUE saying so, not a slice\'s SyntaxError', async (t) => {
  const doc = Buffer.from('[' + Array.from({ length: 50000 }, (_, i) => `{"i":${i},"s":"x"}`).join(',') + ']')
  for (const fill of ['}', ':', '0', '"']) { // each makes every changed slice invalid (spaces could leave valid, wrong slices: the limit is documented)
    const input = Buffer.from(doc)
    const promise = parseJson(input, { sliceBytes: MIN, sliceMs: J.sliceMs.min })
    await turn()
    while (scheduler.inFlight() > 0) await turn() // the plan is made: the slices are being parsed
    input.fill(fill, 100, input.length - 100)
    const err = await rejects(t, promise, ERR.value, { label: JSON.stringify(fill) })
    if (err) t.true(err.cause instanceof SyntaxError, JSON.stringify(fill))
  }
})

test.serial('abort while the scan runs on the pool: AbortError, and the pool stops the scan', async (t) => {
  const ot = require('..')
  const element = '{"k":[1,2,3],"s":"' + 'q'.repeat(100) + '"},'
  const doc = Buffer.from('[' + element.repeat(Math.ceil((64 << 20) / element.length)) + '1]') // 64 MiB
  const controller = new AbortController()
  const promise = parseJson(doc, { signal: controller.signal })
  while (ot.stats().running < 1) await new Promise((resolve) => setTimeout(resolve, 1))
  controller.abort()
  await aborted(t, promise, controller.signal, 'scan')
  const stopped = Date.now()
  while (ot.stats().running > 0 && Date.now() - stopped < 5000) await new Promise((resolve) => setTimeout(resolve, 2))
  t.is(ot.stats().running, 0, 'the scan stopped')
  t.deepEqual(await parseJson(Buffer.from('[' + '7,'.repeat(J.inlineBytes) + '7]')).then((x) => x[J.inlineBytes]), 7)
})

test('worker termination: workers terminated while their parseJson scans or assembles never crash the process', async (t) => {
  const { Worker } = require('node:worker_threads')
  const source = `
    const { parentPort } = require('node:worker_threads')
    const { parseJson } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'json', 'parse'))})
    const doc = Buffer.from('[' + '{"a":[1,2,{"b":"${'x'.repeat(50)}"}]},'.repeat(200000) + '0]')
    parentPort.postMessage('ready')
    parseJson(doc, { sliceMs: 1 }).then((v) => parentPort.postMessage(v.length))`
  const errors = []
  for (const delay of [0, 5, 20, 60, 150]) {
    const worker = new Worker(source, { eval: true })
    worker.on('error', (err) => errors.push(err)) // a rejection or throw inside the worker while it is torn down
    await new Promise((resolve) => worker.once('message', resolve))
    await new Promise((resolve) => setTimeout(resolve, delay))
    await worker.terminate()
  }
  t.deepEqual(errors, [])
  const doc = '[' + '{"a":1},'.repeat(J.inlineBytes) + '2]'
  t.is(same(await parseJson(Buffer.from(doc)), JSON.parse(doc)), '', 'this thread still parses')
})

test.serial('the loop keeps turning while a large document is assembled (sliceMs per turn)', async (t) => {
  const doc = Buffer.from('[' + Array.from({ length: 100000 }, (_, i) => `{"i":${i},"s":"${'y'.repeat(30)}"}`).join(',') + ']')
  let ticks = 0
  let ticking = true
  const tick = () => { ticks++; if (ticking) setImmediate(tick) }
  setImmediate(tick)
  const value = await parseJson(doc, { sliceMs: J.sliceMs.min })
  ticking = false
  t.is(same(value, JSON.parse(doc.toString())), '')
  // 5 MB is ~50 ms of JSON.parse here: at 1 ms per turn, tens of turns.
  t.true(ticks >= 5, `${ticks} loop turns during the parse`)
})

test('queue full: with the pool busy and its queue full, parseJson rejects ERR_QUEUE_FULL at once, then works again', async (t) => {
  const root = path.join(__dirname, '..')
  const script = `
    const ot = require(${JSON.stringify(root)})
    const { parseJson } = require(${JSON.stringify(path.join(root, 'lib/json/parse'))})
    ot.configure({ threads: 1, maxQueue: 1 })
    const doc = Buffer.from(JSON.stringify(Array.from({ length: 20000 }, (_, i) => i)))
    ;(async () => {
      const hashes = [ot.hashPassword('x', { algorithm: 'bcrypt', cost: 11 })]
      while (ot.stats().running < 1) await new Promise((r) => setTimeout(r, 1))
      hashes.push(ot.hashPassword('x', { algorithm: 'bcrypt', cost: 4 }))
      const refused = await parseJson(doc).then(() => null, (e) => ({ code: e.code, class: e.constructor.name }))
      await Promise.all(hashes)
      const after = await parseJson(doc)
      console.log(JSON.stringify({ refused, after: after.length === 20000 && after[19999] === 19999 }))
    })()`
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 60000 }, (err, stdout, stderr) => err ? reject(new Error(stderr)) : resolve(stdout))
  })
  t.deepEqual(JSON.parse(out.trim().split('\n').pop()), { refused: { code: 'ERR_QUEUE_FULL', class: 'Error' }, after: true })
})

heavy('a 560 MB Buffer: about 6 s and over 1 GB of memory', test.serial)('a Buffer longer than V8\'s maximum string length parses when it is an array of smaller parts', async (t) => {
  t.timeout(600000)
  const { constants } = require('node:buffer')
  const element = JSON.stringify('z'.repeat(1000) + 'é')
  const count = Math.ceil((constants.MAX_STRING_LENGTH + 1024 * 1024) / (element.length + 2))
  const buf = Buffer.allocUnsafe(count * (element.length + 2) + 1)
  buf[0] = 0x5b
  const one = Buffer.from(element + ',')
  let at = 1
  for (let i = 0; i < count; i++) at += one.copy(buf, at)
  buf[at - 1] = 0x5d
  const doc = buf.subarray(0, at)
  t.true(doc.length > constants.MAX_STRING_LENGTH)
  t.throws(() => doc.toString('utf8'), { code: 'ERR_STRING_TOO_LONG' }, 'JSON.parse cannot even get the text')
  const value = await parseJson(doc)
  t.is(value.length, count)
  t.is(value[0], JSON.parse(element))
  t.is(value[count - 1], JSON.parse(element))
})
