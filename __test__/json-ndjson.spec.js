'use strict'
// parseNdjson / createNdjsonParser against JSON.parse line by line as the oracle: the same records (exactly,
// -0 and key order included), the same SyntaxError message with the line number, from every input form and
// every split of the bytes into chunks (multi-byte characters cut anywhere), with blank lines, '\r\n' and a BOM.

const test = require('ava')
const { Readable, pipeline } = require('node:stream')
const { parseNdjson, createNdjsonParser } = require('../lib/json/ndjson')
const native = require('../lib/native')
const { ERR, throws, rejects, checkError } = require('./helpers/errors')
const { same, prng, randomDoc } = require('./helpers/json')

const J = native.policy.json
const SEED = Number(process.env.OFFTHREAD_SEED ?? 0xd1ce)
const PARSE = ['ERR_JSON_PARSE', SyntaxError]

/** The oracle: JSON.parse of each line ('\r' before '\n' dropped, lines of spaces/tabs skipped, BOM dropped). */
function expected (text, reviver) {
  if (text.startsWith('\uFEFF')) text = text.slice(1)
  const out = []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (/^[ \t\r]*$/.test(line)) continue
    try {
      out.push(JSON.parse(line, reviver))
    } catch (err) {
      return { records: out, error: { line: i + 1, message: err.message } }
    }
  }
  return { records: out }
}

async function collect (iterable) {
  const records = []
  try {
    for await (const r of iterable) records.push(r)
  } catch (err) {
    return { records, err }
  }
  return { records }
}

/** The Transform's records; `unwrap`: with withLine, the values (null records included). */
function streamRecords (chunks, options, unwrap = false) {
  return new Promise((resolve) => {
    const records = []
    const parser = createNdjsonParser(unwrap ? { ...options, withLine: true } : options)
    parser.on('data', (r) => records.push(unwrap ? r.value : r))
    parser.on('error', (err) => resolve({ records, err }))
    parser.on('end', () => resolve({ records }))
    Readable.from(chunks, { objectMode: false }).pipe(parser)
  })
}

/** '' when `got` ({ records, err }) is the oracle's outcome for `text`. */
function compare (got, text, reviver) {
  const want = expected(text, reviver)
  if (got.records.length !== want.records.length) return `${got.records.length} records, expected ${want.records.length}${got.err ? ` (error ${got.err.code} ${got.err.message})` : ''}`
  for (let i = 0; i < want.records.length; i++) {
    const d = same(got.records[i], want.records[i])
    if (d) return `record ${i}: ${d}`
  }
  if (want.error === undefined) return got.err ? `unexpected error ${got.err.code}: ${got.err.message}` : ''
  if (!got.err) return `no error, expected line ${want.error.line}`
  if (!(got.err instanceof SyntaxError) || got.err.code !== 'ERR_JSON_PARSE') return `error ${got.err.constructor.name} ${got.err.code}`
  if (got.err.line !== want.error.line) return `line ${got.err.line}, expected ${want.error.line}`
  if (got.err.message !== want.error.message) return `message ${JSON.stringify(got.err.message)}, expected ${JSON.stringify(want.error.message)}`
  return ''
}

/** Random NDJSON: records (one line each, with spaces and tabs in them), blank lines, '\r\n' endings. */
function randomNdjson (rand, lines = 200) {
  let out = ''
  for (let i = 0; i < lines; i++) {
    const r = rand()
    if (r < 0.05) out += rand() < 0.5 ? '' : ' \t '
    else out += JSON.stringify(JSON.parse(randomDoc(rand, { depth: 4, width: 6, maxLength: 2000 }))).replace(/,/g, () => (rand() < 0.1 ? ' ,\t' : ','))
    out += rand() < 0.2 ? '\r\n' : '\n'
  }
  return out
}

test('records equal JSON.parse of each line, from every input form', async (t) => {
  const rand = prng(SEED)
  for (let round = 0; round < 5; round++) {
    const text = randomNdjson(rand)
    const buf = Buffer.from(text)
    const pieces = []
    for (let off = 0; off < buf.length;) {
      const n = 1 + Math.floor(rand() * 300)
      pieces.push(buf.subarray(off, off + n))
      off += n
    }
    const forms = {
      string: text,
      Buffer: buf,
      Uint8Array: new Uint8Array(buf),
      ArrayBuffer: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length),
      DataView: new DataView(buf.buffer, buf.byteOffset, buf.length),
      Readable: Readable.from(pieces, { objectMode: false }),
      'async iterable of strings': (async function * () { for (const line of text.split(/(?<=\n)/)) yield line })(),
      'iterable of Buffers': pieces
    }
    for (const [form, input] of Object.entries(forms)) {
      t.is(compare(await collect(parseNdjson(input, { sliceMs: J.sliceMs.min })), text), '', `round ${round}, ${form}`)
    }
    t.is(compare(await streamRecords(pieces, {}, true), text), '', `round ${round}, createNdjsonParser`)
  }
})

test('multi-byte characters split at every byte offset (two chunks, and one byte per chunk), parseNdjson and the Transform', async (t) => {
  const text = '{"é":"€😀"}\r\n["\u2028ü", "\ud83d\ude00"]\n\n"Ω"\n{"a":[1,-0,"😀😀"]}'
  const buf = Buffer.from(text)
  for (let k = 0; k <= buf.length; k++) {
    const chunks = [buf.subarray(0, k), buf.subarray(k)]
    t.is(compare(await collect(parseNdjson(chunks)), text), '', `split at ${k}`)
    t.is(compare(await streamRecords(chunks), text), '', `stream split at ${k}`)
  }
  const bytes = [...buf].map((b) => Buffer.from([b]))
  t.is(compare(await collect(parseNdjson(Readable.from(bytes))), text), '', 'one byte per chunk')
  t.is(compare(await streamRecords(bytes), text), '', 'stream, one byte per chunk')
  // A surrogate pair split between two string chunks.
  t.is(compare(await collect(parseNdjson(['"\ud83d', '\ude00"\n'])), '"😀"\n'), '')
})

test('errors: SyntaxError ERR_JSON_PARSE with JSON.parse\'s message and the 1-based line (blank lines and \\r\\n counted), after the records before it', async (t) => {
  const cases = [
    '1\n2\n{"a":}\n4\n',
    '\n\n  \r\n[1,\n',
    '{"user"\n',
    '1\r\n2\r\n3 4\r\n',
    'nul\n',
    '"\ud800" x',
    '{"a":1}\n{"a":1} trailing'
  ]
  for (const text of cases) {
    const got = await collect(parseNdjson(text))
    t.is(compare(got, text), '', JSON.stringify(text))
    checkError(t, got.err, PARSE, { label: JSON.stringify(text) })
    t.true(got.err.cause instanceof SyntaxError)
    t.is(compare(await streamRecords([Buffer.from(text)]), text), '', `stream ${JSON.stringify(text)}`)
  }
})

test('blank lines are skipped, a BOM at the start is dropped, the last line needs no \\n, an empty input has no records', async (t) => {
  for (const text of ['', '\n', '\n\n \t\n', '\uFEFF{"a":1}\n', '1\n2', '1\r\n\r\n2\r\n', ' 1 \n\t2\t']) {
    t.is(compare(await collect(parseNdjson(text)), text), '', JSON.stringify(text))
    t.is(compare(await collect(parseNdjson(Buffer.from(text))), text), '', `Buffer ${JSON.stringify(text)}`)
  }
  t.deepEqual((await collect(parseNdjson('\uFEFF1\n'))).records, [1])
})

test('reviver: each line is JSON.parse(line, reviver)', async (t) => {
  const reviver = (k, v) => (k === 'drop' ? undefined : typeof v === 'number' ? v * 10 : v)
  const text = '{"a":1,"drop":2,"b":[3]}\n4\n"s"\n'
  t.is(compare(await collect(parseNdjson(text, { reviver })), text, reviver), '')
  const stream = await streamRecords([text], { reviver })
  t.deepEqual(stream.records, [{ a: 10, b: [30] }, 40, 's'])
})

test('maxLineBytes: a line of exactly the limit passes, one byte more fails with ERR_BUFFER_TOO_LARGE and its line; an endless line fails before the input ends', async (t) => {
  const line = '"' + 'é'.repeat(10) + '"' // 22 bytes
  const ok = await collect(parseNdjson(`1\n${line}\n`, { maxLineBytes: 22 }))
  t.deepEqual(ok.records, [1, 'é'.repeat(10)])
  t.is(ok.err, undefined)
  for (const input of [`1\n${line}x\n`, Buffer.from(`1\n${line}x\n`), [Buffer.from('1\n"éé'), Buffer.from(line.slice(3) + 'x')]]) {
    const bad = await collect(parseNdjson(input, { maxLineBytes: 22 }))
    t.deepEqual(bad.records, [1])
    checkError(t, bad.err, ERR.tooLarge)
    t.is(bad.err.line, 2)
  }
  let pulled = 0
  const endless = (async function * () { for (;;) { pulled++; yield Buffer.alloc(1000, 0x20) } })()
  const r = await collect(parseNdjson(endless, { maxLineBytes: 10000 }))
  checkError(t, r.err, ERR.tooLarge)
  t.true(pulled <= 11, `${pulled} chunks read`)
  const s = await streamRecords([Buffer.alloc(5000, 0x31)], { maxLineBytes: 4999 })
  checkError(t, s.err, ERR.tooLarge)
  t.is(s.err.line, 1)
})

test('the Transform: object mode, withLine envelopes, null records need withLine (ERR_STREAM_NULL_VALUES otherwise)', async (t) => {
  const text = '{"a":1}\n\nnull\n[2]\n'
  const wrapped = await streamRecords([text], { withLine: true })
  t.deepEqual(wrapped.records, [{ line: 1, value: { a: 1 } }, { line: 3, value: null }, { line: 4, value: [2] }])
  const plain = await streamRecords([text])
  t.deepEqual(plain.records, [{ a: 1 }])
  checkError(t, plain.err, ['ERR_STREAM_NULL_VALUES', Error])
  const parser = createNdjsonParser()
  t.true(parser.readableObjectMode)
  t.false(parser.writableObjectMode)
  await new Promise((resolve, reject) => {
    const got = []
    pipeline(Readable.from([Buffer.from('1\n2\n')]), parser, async function (source) { for await (const r of source) got.push(r) }, (err) => {
      if (err) return reject(err)
      t.deepEqual(got, [1, 2])
      resolve()
    })
  })
})

test('time-sliced: the loop turns while many lines are parsed, in the iterator and in the Transform', async (t) => {
  const text = Array.from({ length: 200000 }, (_, i) => JSON.stringify({ i, s: `v${i}`, a: [i, i / 2] })).join('\n')
  let turns = 0
  let done = false
  const tick = () => { if (!done) { turns++; setImmediate(tick) } }
  setImmediate(tick)
  let n = 0
  for await (const r of parseNdjson(text, { sliceMs: J.sliceMs.min })) if (r.i === n) n++
  t.is(n, 200000)
  t.true(turns >= 5, `${turns} turns during the iterator`)
  const before = turns
  const s = await streamRecords([Buffer.from(text)], { sliceMs: J.sliceMs.min })
  done = true
  t.is(s.records.length, 200000)
  t.true(turns - before >= 5, `${turns - before} turns during the Transform`)
})

test('abort: pre-aborted, while parsing, while waiting for the next chunk (the Readable is destroyed), and the Transform', async (t) => {
  const text = Array.from({ length: 100000 }, (_, i) => `{"i":${i}}`).join('\n')
  const pre = AbortSignal.abort()
  checkError(t, (await collect(parseNdjson(text, { signal: pre }))).err, ERR.abort)
  const ac = new AbortController()
  let n = 0
  const during = await collect((async function * () { for await (const r of parseNdjson(text, { signal: ac.signal, sliceMs: J.sliceMs.min })) { if (++n === 10) ac.abort(); yield r } })())
  checkError(t, during.err, ERR.abort)
  t.true(n < 100000)
  const ac2 = new AbortController()
  const stalled = new Readable({ read () {} })
  stalled.push('1\n')
  setTimeout(() => ac2.abort(), 20)
  const waiting = await collect(parseNdjson(stalled, { signal: ac2.signal }))
  t.deepEqual(waiting.records, [1])
  checkError(t, waiting.err, ERR.abort)
  t.true(stalled.destroyed, 'the input stream is destroyed')
  const ac3 = new AbortController()
  const parser = createNdjsonParser({ signal: ac3.signal })
  const err = await new Promise((resolve) => {
    parser.on('error', resolve)
    parser.on('data', () => {})
    parser.write('1\n')
    setImmediate(() => ac3.abort())
  })
  checkError(t, err, ERR.abort)
})

test('breaking out of the loop ends the input (a Readable is destroyed)', async (t) => {
  const input = Readable.from(['1\n2\n', '3\n4\n'], { objectMode: false })
  for await (const r of parseNdjson(input)) if (r === 2) break
  t.true(input.destroyed)
})

test('options and inputs: coded errors (options at once, a bad chunk when it comes)', async (t) => {
  throws(t, () => parseNdjson('1', { maxLines: 1 }), ERR.value)
  throws(t, () => parseNdjson('1', { maxLineBytes: 0 }), ERR.range)
  throws(t, () => parseNdjson('1', { maxLineBytes: J.ndjsonMaxLineBytes.max + 1 }), ERR.range)
  throws(t, () => parseNdjson('1', { sliceMs: 0 }), ERR.range)
  throws(t, () => parseNdjson('1', { reviver: 'x' }), ERR.type)
  throws(t, () => parseNdjson('1', { signal: {} }), ERR.type)
  throws(t, () => parseNdjson(42), ERR.type)
  throws(t, () => parseNdjson(null), ERR.type)
  throws(t, () => createNdjsonParser({ withLine: 'yes' }), ERR.type)
  await rejects(t, async () => { for await (const r of parseNdjson([Buffer.from('1\n'), 7])) t.is(r, 1) }, ERR.type)
  t.is(J.ndjsonMaxLineBytes.default, 64 * 1024 * 1024)
})
