'use strict'
// json(options), the express.json() drop-in, over real HTTP. body-parser 2.4.0 (a devDependency) is
// the oracle: each case sends the same raw request to a server running bodyParser.json(options) and
// to one running offthread's json(options), and compares what reached `next` (req.body, or the
// error's class, name, message, status, statusCode, expose, type and extra properties). Then
// body-parser's own test/json.js, adapted to build offthread's json() (fixtures/body-parser), runs
// under mocha and must pass whole.

const test = require('ava')
const http = require('node:http')
const path = require('node:path')
const zlib = require('node:zlib')
const net = require('node:net')
const { spawn } = require('node:child_process')
const bodyParser = require('body-parser')
const { json } = require('../lib/json/body')
const native = require('../lib/native')
const { describe } = require('../lib/errors')

const PROPS = ['name', 'message', 'status', 'statusCode', 'expose', 'type', 'limit', 'length', 'expected', 'received', 'charset', 'encoding', 'code', 'body', 'errors', 'truncated']

/** What reached next(): the body, or the error's observable properties (a Buffer body as hex). */
function outcome (req, err) {
  if (!err) return { body: req.body, own: Object.prototype.hasOwnProperty.call(req, 'body'), proto: req.body !== null && typeof req.body === 'object' ? Object.getPrototypeOf(req.body) === Object.prototype : null }
  const out = { syntaxError: err instanceof SyntaxError, ownKeys: Object.keys(err).sort() }
  for (const k of PROPS) {
    const value = err[k]
    out[k] = Buffer.isBuffer(value) ? { hex: value.toString('hex') } : value
  }
  return out
}

/** A server that runs `middleware` and answers with the outcome as JSON (undefined as the string 'undefined'). */
function serve (middleware) {
  const server = http.createServer((req, res) => {
    middleware(req, res, (err) => {
      res.setHeader('content-type', 'application/json')
      const o = outcome(req, err)
      res.end(JSON.stringify(o, (k, v) => v === undefined ? '(undefined)' : v))
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Sends raw `chunks` with `headers` (no Content-Length unless given: chunked) and resolves the JSON answer. */
function send (server, headers, chunks) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
      const parts = []
      res.on('data', (c) => parts.push(c))
      res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString())))
    })
    req.on('error', reject)
    for (const c of [].concat(chunks)) req.write(c)
    req.end()
  })
}

/** The outcome of the same request through body-parser and through json(), with the same options. */
async function both (options, headers, chunks) {
  const a = await serve(bodyParser.json(options))
  const b = await serve(json(options))
  try {
    return [await send(a, headers, chunks), await send(b, headers, chunks)]
  } finally {
    a.close()
    b.close()
  }
}

const JSON_TYPE = { 'content-type': 'application/json' }

/** Declares a test comparing json() with body-parser on one request. */
function same (title, options, headers, chunks, check) {
  test(title, async (t) => {
    const [expected, actual] = await both(options, headers, chunks)
    t.deepEqual(actual, expected)
    if (check) check(t, actual)
  })
}

// ---------------------------------------------------------------- bodies and syntax errors

same('an object', undefined, JSON_TYPE, '{"user":"tobi","n":[1,-0,1e400,12345678901234567890]}', (t, a) => t.is(a.body.user, 'tobi'))
same('an array', undefined, JSON_TYPE, '[1,2,{"a":null}]', (t, a) => t.deepEqual(a.body, [1, 2, { a: null }]))
same('__proto__ is an own property, the prototype untouched', undefined, JSON_TYPE, '{"__proto__":{"polluted":1},"a":1}', (t, a) => {
  t.deepEqual(a.body, { ['__proto__']: { polluted: 1 }, a: 1 })
  t.true(a.proto)
})
same('an empty body is {}', undefined, { ...JSON_TYPE, 'content-length': '0' }, [], (t, a) => t.deepEqual(a.body, {}))
same('whitespace only: 400 with JSON.parse\'s message', undefined, JSON_TYPE, ' \t\n\r', (t, a) => t.is(a.status, 400))
for (const bad of ['{:', '{"user"', '{"a":1,}', '[1,2', '{"a":tru}', '{"a":"\u0001"}', '[1] x', '{"a":01}', '{"\\x":1}']) {
  same(`invalid JSON ${JSON.stringify(bad)}: 400 entity.parse.failed with JSON.parse's message`, undefined, JSON_TYPE, bad, (t, a) => {
    t.is(a.type, 'entity.parse.failed')
    t.true(a.syntaxError)
  })
}
same('strict: a primitive is refused with body-parser\'s message', undefined, JSON_TYPE, 'true', (t, a) => t.is(a.message, (() => { try { JSON.parse('#rue') } catch (e) { return e.message.replace(/#/g, 't') } })()))
for (const primitive of ['  "tobi"', '123', 'null', '\r\n-1', 'x', '\u00e9t\u00e9']) {
  same(`strict: ${JSON.stringify(primitive)} refused`, { strict: true }, JSON_TYPE, primitive)
  same(`strict: false parses ${JSON.stringify(primitive)} as JSON.parse does`, { strict: false }, JSON_TYPE, primitive)
}
same('strict: a long primitive body (a 300 kB string) refused with the same message', { limit: '1mb' }, JSON_TYPE, JSON.stringify('x'.repeat(300000)))
same('strict: a primitive body over exactMessageBytes refused with the same message (its start only decoded)', { limit: '5mb' }, JSON_TYPE, '  ' + JSON.stringify('\u00e9'.repeat(native.policy.json.exactMessageBytes)))
same('strict: whitespace only, over exactMessageBytes', { limit: '5mb' }, JSON_TYPE, ' '.repeat(native.policy.json.exactMessageBytes + 10))
same('a UTF-8 BOM is stripped', undefined, JSON_TYPE, Buffer.from('\ufeff{"a":"\u00e9"}'), (t, a) => t.deepEqual(a.body, { a: '\u00e9' }))
same('invalid UTF-8 becomes U+FFFD', undefined, JSON_TYPE, Buffer.from('7b2261223a22ff227d', 'hex'), (t, a) => t.deepEqual(a.body, { a: '\ufffd' }))
same('reviver: called as JSON.parse calls it', { reviver: (k, v) => typeof v === 'number' ? v * 2 : v }, JSON_TYPE, '{"a":1,"b":[2,3]}', (t, a) => t.deepEqual(a.body, { a: 2, b: [4, 6] }))
// body-parser answers a reviver's non-Error with the TypeError its own normalize then throws ("Cannot delete
// property '0' of [object String]", "Cannot read properties of null (reading 'message')"...): that text is an
// accident of its code, so json() says what happened instead. Everything else must match.
for (const [what, thrown] of [['a string', 'nope'], ['a number', 7], ['null', null]]) {
  for (const [size, doc] of [['small', '{"x":1}'], ['large', `{"x":${JSON.stringify('y'.repeat(native.policy.json.inlineBytes))}}`]]) {
    test(`reviver throwing ${what} (not an Error), ${size} body: 400 entity.parse.failed TypeError as in body-parser`, async (t) => {
      const [expected, actual] = await both({ reviver () { throw thrown }, limit: '1mb' }, JSON_TYPE, doc)
      t.is(expected.name, 'TypeError')
      t.is(actual.message, `The reviver threw ${describe(thrown)}, not an Error`)
      t.deepEqual({ ...actual, message: undefined }, { ...expected, message: undefined })
    })
  }
}
same('reviver throwing: 400 entity.parse.failed with its error', { reviver: (k, v) => { if (k === 'x') throw new RangeError('no x'); return v } }, JSON_TYPE, '{"x":1}', (t, a) => {
  t.is(a.status, 400)
  t.is(a.message, 'no x')
})

// Bodies larger than parseJson's inline size go through the pool's scanner.
const BIG = JSON.stringify(Array.from({ length: 20000 }, (_, i) => ({ id: i, name: `n\u00e9${i}`, tags: ['a', 'b'], v: i / 7 })))
same(`a ${Math.round(BIG.length / 1024)} kB array (through the pool) is JSON.parse's value`, { limit: '10mb' }, JSON_TYPE, BIG, (t, a) => t.deepEqual(a.body, JSON.parse(BIG)))
same('a reviver that is not a function is ignored, as JSON.parse ignores it (a large body too)', { reviver: 'x', limit: '10mb' }, JSON_TYPE, BIG, (t, a) => t.is(a.body.length, 20000))
same(`an invalid ${Math.round(BIG.length / 1024)} kB body (under exactMessageBytes): JSON.parse's exact message`, { limit: '10mb' }, JSON_TYPE, BIG.slice(0, -1) + ',')
test('an invalid body over exactMessageBytes: 400 entity.parse.failed, a SyntaxError with the position (parseJson\'s own message)', async (t) => {
  const text = JSON.stringify(Array.from({ length: 2 * native.policy.json.exactMessageBytes / 8 }, (_, i) => i)).slice(0, -1) + ',}'
  const [expected, actual] = await both({ limit: '50mb' }, JSON_TYPE, text)
  for (const k of ['syntaxError', 'name', 'status', 'statusCode', 'expose', 'type', 'body', 'ownKeys']) t.deepEqual(actual[k], expected[k], k)
  t.regex(actual.message, new RegExp(`position ${text.length - 1}\\b`))
})

// ---------------------------------------------------------------- limit

same('413 at once when Content-Length is over the limit (expected, length, limit)', { limit: '1kb' }, { ...JSON_TYPE, 'content-length': '1032' }, JSON.stringify({ s: '.'.repeat(1024) }))
same('413 when a chunked body passes the limit (limit, received)', { limit: '1kb' }, JSON_TYPE, ['{"s":"', '.'.repeat(1024), '"}'])
same('the default limit is 100kb', undefined, JSON_TYPE, JSON.stringify({ s: '.'.repeat(102400) }), (t, a) => t.is(a.limit, native.policy.json.bodyLimit))
same('just under the default limit parses', undefined, JSON_TYPE, JSON.stringify({ s: '.'.repeat(102400 - 8) }))
for (const limit of [1024, '1.5kb', '100', '2KB', '0.001mb', -1]) {
  same(`limit ${JSON.stringify(limit)} read as the bytes package reads it`, { limit }, JSON_TYPE, JSON.stringify({ s: '.'.repeat(1530) }))
}
test('an unreadable limit throws body-parser\'s TypeError', (t) => {
  for (const limit of ['lots', {}, true]) {
    const expected = t.throws(() => bodyParser.json({ limit }))
    const actual = t.throws(() => json({ limit }), { instanceOf: TypeError })
    t.is(actual.message, expected.message)
  }
  t.throws(() => json({ verify: 'lol' }), { instanceOf: TypeError, message: 'option verify must be function' })
})

// ---------------------------------------------------------------- charsets

const UTF16 = (s, be) => { const b = Buffer.from(s, 'utf16le'); if (be) b.swap16(); return b }
same('utf-16 with a BOM (big-endian)', undefined, { 'content-type': 'application/json; charset=utf-16' }, UTF16('\ufeff{"a":"\u8bba\ud83d\ude00"}', true))
same('utf-16 without a BOM (byte order guessed: big-endian)', undefined, { 'content-type': 'application/json; charset=utf-16' }, UTF16('{"a":"b"}', true))
same('utf-16 without a BOM (byte order guessed: little-endian)', undefined, { 'content-type': 'application/json; charset=utf-16' }, UTF16('{"a":"b"}', false))
same('utf-16le, BOM stripped', undefined, { 'content-type': 'application/json; charset=UTF-16LE' }, UTF16('\ufeff{"a":1}', false))
same('utf-16be with an odd last byte', undefined, { 'content-type': 'application/json; charset="utf-16be"' }, Buffer.concat([UTF16('{"a":1}', true), Buffer.from([0x20])]))
same('utf-32le', undefined, { 'content-type': 'application/json; charset=utf-32le' }, Buffer.from('7b0000002200000061000000220000003a00000031000000', 'hex').subarray(0, 20))
same('utf-32 big-endian without a BOM, an astral character and an invalid unit', undefined, { 'content-type': 'application/json; charset=utf-32' },
  Buffer.from('0000005b' + '00000022' + '0001f600' + '00110000' + '00000022' + '0000005d', 'hex'))
same('utf-7', undefined, { 'content-type': 'application/json; charset=utf-7' }, Buffer.from('{"a":"+AOk-+-1","b":"+2D3eAA"}', 'latin1'))
same('utf-7-imap', undefined, { 'content-type': 'application/json; charset=utf-7-imap' }, Buffer.from('{"a":"&AOk-&-1"}', 'latin1'))
same('a charset that is not utf-*: 415 charset.unsupported', undefined, { 'content-type': 'application/json; charset=koi8-r' }, '{}')
same('an unknown utf-* charset: 415 charset.unsupported', undefined, { 'content-type': 'application/json; charset=utf-9' }, '{}')
same('an unknown utf-* charset with a Content-Length over the limit: raw-body\'s 413 comes first', { limit: 10 }, { 'content-type': 'application/json; charset=utf-9', 'content-length': '20' }, '{"a":"012345678901"}')
same('an unknown utf-* charset with verify: 415 before reading', { verify () { throw new Error('no call') } }, { 'content-type': 'application/json; charset=utf-9' }, '{}')
same('defaultCharset that is not utf-*: 415', { defaultCharset: 'latin1' }, JSON_TYPE, '{}')
same('the first charset parameter wins', undefined, { 'content-type': 'application/json; charset=utf-8; charset=koi8-r' }, '{"a":1}')

// ---------------------------------------------------------------- content encodings (inflated on the pool)

const DOC = JSON.stringify({ name: '\u8bba', list: Array.from({ length: 50 }, (_, i) => i) })
same('gzip', undefined, { ...JSON_TYPE, 'content-encoding': 'gzip' }, zlib.gzipSync(DOC), (t, a) => t.deepEqual(a.body, JSON.parse(DOC)))
same('deflate', undefined, { ...JSON_TYPE, 'content-encoding': 'Deflate' }, zlib.deflateSync(DOC))
same('br', undefined, { ...JSON_TYPE, 'content-encoding': 'br' }, zlib.brotliCompressSync(DOC))
same('zstd: as body-parser on this Node (415 where node:zlib has no zstd)', undefined, { ...JSON_TYPE, 'content-encoding': 'zstd' }, Buffer.from('28b52ffd200e7100007b226e616d65223a22e8aeba227d', 'hex'))
same('an unknown encoding: 415 encoding.unsupported', undefined, { ...JSON_TYPE, 'content-encoding': 'nulls' }, '{}')
same('inflate: false refuses an encoding: 415', { inflate: false }, { ...JSON_TYPE, 'content-encoding': 'gzip' }, zlib.gzipSync(DOC))
same('identity is no encoding', { inflate: false }, { ...JSON_TYPE, 'content-encoding': 'identity' }, DOC)
test('a gzip bomb: 413 with limit, the inflated size bounded on the pool', async (t) => {
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
  const [expected, actual] = await both({ limit: '1mb' }, { ...JSON_TYPE, 'content-encoding': 'gzip' }, bomb)
  // received: body-parser counts zlib's 16 KiB output chunks; the pool's decoder stops at the limit.
  for (const k of ['name', 'message', 'status', 'statusCode', 'expose', 'type', 'limit', 'ownKeys']) t.deepEqual(actual[k], expected[k], k)
  t.true(actual.received > actual.limit)
})
test('corrupt gzip: 400 (the decoder\'s message differs from zlib\'s)', async (t) => {
  const [expected, actual] = await both(undefined, { ...JSON_TYPE, 'content-encoding': 'gzip' }, Buffer.from('1f8b080000000000000bab56cc4d55b2527ab16e97522d00515be1cc0e000000', 'hex'))
  for (const k of ['status', 'statusCode', 'expose', 'type']) t.deepEqual(actual[k], expected[k], k)
  t.is(actual.status, 400)
})
test('a truncated gzip body over the limit: 413 (not the truncation)', async (t) => {
  const [expected, actual] = await both({ limit: '1kb' }, { ...JSON_TYPE, 'content-encoding': 'gzip' }, zlib.gzipSync('[' + '1,'.repeat(2000) + '1]').subarray(0, -8))
  for (const k of ['name', 'message', 'status', 'statusCode', 'expose', 'type', 'limit', 'ownKeys']) t.deepEqual(actual[k], expected[k], k)
  t.true(actual.received > actual.limit) // body-parser's count is per zlib chunk (4003 here); the pool's decoder stops past the limit
})

// ---------------------------------------------------------------- requests without a body, or not of the type

/** A server whose answer carries the outcome in a header, so that HEAD answers carry it too. */
function serveInHeader (middleware) {
  const server = http.createServer((req, res) => {
    middleware(req, res, (err) => {
      res.setHeader('x-outcome', encodeURIComponent(JSON.stringify(outcome(req, err), (k, v) => v === undefined ? '(undefined)' : v)))
      res.end()
    })
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Sends `head` (request line and headers, CRLF-separated, without the blank line) and `body` as they are, and resolves the outcome. */
function sendRaw (server, head, body) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.address().port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (d) => { answer += d })
    socket.on('error', reject)
    socket.on('end', () => {
      const m = /^x-outcome: (.*)$/im.exec(answer)
      if (m) resolve(JSON.parse(decodeURIComponent(m[1].trim())))
      else reject(new Error(`no outcome in ${JSON.stringify(answer)}`))
    })
    socket.write(`${head}\r\nHost: x\r\nConnection: close\r\n\r\n${body}`)
  })
}

// req.body is left as body-parser 2 leaves it: undefined (an own property) when nothing was parsed.
for (const [title, head, body, expected] of [
  ['GET without a body', 'GET / HTTP/1.1\r\nContent-Type: application/json', '', '(undefined)'],
  ['HEAD', 'HEAD / HTTP/1.1\r\nContent-Type: application/json', '', '(undefined)'],
  ['no Content-Type', 'POST / HTTP/1.1\r\nContent-Length: 7', '{"a":1}', '(undefined)'],
  ['a type that does not match (text/plain)', 'POST / HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 7', '{"a":1}', '(undefined)'],
  ['empty Content-Type parameters (type-is still reads the type)', 'POST / HTTP/1.1\r\nContent-Type: application/json;;;\r\nContent-Length: 7', '{"a":1}', { a: 1 }],
  ['a Content-Type that is not a media type', 'POST / HTTP/1.1\r\nContent-Type: json\r\nContent-Length: 7', '{"a":1}', '(undefined)'],
  ['chunked, empty', 'POST / HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked', '0\r\n\r\n', {}],
  ['chunked, split inside a string', 'POST / HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked', '3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n', { a: 1 }],
  ['DELETE with a body', 'DELETE / HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2', '[]', []],
  ['a quoted upper-case charset, spaces around the type', 'POST / HTTP/1.1\r\nContent-Type:  Application/JSON  ; charset="UTF-8"\r\nContent-Length: 7', '{"a":1}', { a: 1 }]
]) {
  test(`${title}: req.body as body-parser leaves it`, async (t) => {
    const a = await serveInHeader(bodyParser.json())
    const b = await serveInHeader(json())
    try {
      const [bp, ours] = [await sendRaw(a, head, body), await sendRaw(b, head, body)]
      t.deepEqual(bp.body, expected) // the case tests what its title says
      t.true(bp.own)
      t.deepEqual(ours, bp)
    } finally {
      a.close()
      b.close()
    }
  })
}

// ---------------------------------------------------------------- type, verify

for (const [type, ct] of [['application/vnd.api+json', 'application/vnd.api+json'], ['+json', 'application/ld+json'], ['*/*', 'text/plain'], ['json', 'application/json'], [['text/*', 'application/json'], 'text/html'], ['application/*', 'application/json; charset=utf-8'], ['application/json', 'application/x-json']]) {
  same(`type ${JSON.stringify(type)} with Content-Type ${ct}`, { type }, { 'content-type': ct }, '{"a":1}')
}
same('type as a function', { type: (req) => req.headers['x-json'] === 'yes' }, { 'x-json': 'yes' }, '{"a":1}')
same('verify throwing: 403 entity.verify.failed with the raw body', { verify (req, res, buf) { if (buf[0] === 0x5b) throw new Error('no arrays') } }, JSON_TYPE, '["tobi"]')
same('verify with its own status and type', { verify () { const e = new Error('nope'); e.status = 422; e.type = 'my.type'; throw e } }, JSON_TYPE, '{}')
same('verify throwing a string: its text is the message', { verify () { throw 'nope' } }, JSON_TYPE, '{}') // eslint-disable-line no-throw-literal
same('verify with a status that is not one: 500, not exposed', { verify () { const e = new Error('odd'); e.status = 'x'; throw e } }, JSON_TYPE, '{}')
test('verify gets the inflated bytes and the charset', async (t) => {
  const calls = []
  const server = await serve(json({ verify: (req, res, buf, encoding) => calls.push([buf.toString(), encoding]) }))
  const out = await send(server, { 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'gzip' }, zlib.gzipSync('{"a":1}'))
  server.close()
  t.deepEqual(out.body, { a: 1 })
  t.deepEqual(calls, [['{"a":1}', 'utf-8']])
})

// ---------------------------------------------------------------- request errors

/** Sends `head` with a Content-Length promising more, then resets the connection: the error next() got. */
function abort (middleware) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      middleware(req, res, (err) => { server.close(); resolve(outcome(req, err)) })
    })
    server.listen(0, '127.0.0.1', () => {
      const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'POST', headers: { ...JSON_TYPE, 'content-length': '100' } })
      req.on('error', () => {})
      req.write('{"a":', () => setTimeout(() => req.destroy(), 50))
    })
  })
}
test('an aborted request: 400 request.aborted with ECONNABORTED, expected, received', async (t) => {
  const expected = await abort(bodyParser.json())
  const actual = await abort(json())
  t.deepEqual(actual, expected)
  t.is(actual.type, 'request.aborted')
  t.is(actual.received, 5)
})
test('a body shorter than Content-Length says: 400 request.size.invalid', async (t) => {
  const run = (mw) => serve((req, res, next) => { req.headers['content-length'] = '20'; mw(req, res, next) })
  const results = []
  for (const mw of [bodyParser.json(), json()]) {
    const server = await run(mw)
    results.push(await send(server, { ...JSON_TYPE, 'content-length': '7' }, '{"str":'))
    server.close()
  }
  t.deepEqual(results[1], results[0])
  t.is(results[1].type, 'request.size.invalid')
})

// ---------------------------------------------------------------- body-parser's own suite

/** test/json.js of expressjs/body-parser (fixtures/body-parser/SOURCE.md): 67 tests, one of them skipped by its own zstd switch. */
const SUITE_PASSING = 66
const SUITE_PENDING = 1
test(`body-parser's test/json.js against json(): ${SUITE_PASSING} passing, ${SUITE_PENDING} pending, 0 failing`, async (t) => {
  const mocha = require.resolve('mocha/bin/mocha')
  const child = spawn(process.execPath, [mocha, '--reporter', 'dot', path.join(__dirname, 'fixtures', 'body-parser', 'json.js')], { cwd: path.join(__dirname, '..') })
  let out = ''
  child.stdout.on('data', (c) => { out += c })
  child.stderr.on('data', (c) => { out += c })
  const code = await new Promise((resolve) => child.on('close', resolve))
  t.is(code, 0, out)
  t.regex(out, new RegExp(`\\b${SUITE_PASSING} passing\\b`), out)
  t.regex(out, new RegExp(`\\b${SUITE_PENDING} pending\\b`), out)
  t.notRegex(out, /failing/, out)
})

// ---------------------------------------------------------------- schema (offthread's own option)

const Ajv = require('ajv')
const { compileSchema, validateJson } = require('../lib/json/schema')
const USER = { type: 'object', required: ['user'], properties: { user: { type: 'string' }, age: { type: 'integer', minimum: 0 } } }

/** The outcome through json(options), with the JSON.parse calls made between the request's arrival and next(). */
async function withParses (options, headers, chunks) {
  let parses = 0
  const realParse = JSON.parse
  const mw = json(options)
  const server = await serve((req, res, next) => {
    JSON.parse = function (...args) { parses++; return realParse.apply(this, args) }
    mw(req, res, (err) => { JSON.parse = realParse; next(err) })
  })
  try {
    const out = await send(server, headers, chunks)
    return { out, parses }
  } finally {
    server.close()
  }
}

test('schema: a matching body is parsed as without it', async (t) => {
  const { out } = await withParses({ schema: USER }, JSON_TYPE, '{"user":"tobi","age":3}')
  t.deepEqual(out.body, { user: 'tobi', age: 3 })
})

test('schema: a body that does not match is 400 entity.validation.failed with ajv-shaped errors, and JSON.parse never runs', async (t) => {
  const text = JSON.stringify({ user: 5, age: -1, pad: 'x'.repeat(50000) })
  const { out, parses } = await withParses({ schema: USER, reviver: () => t.fail('reviver called') }, JSON_TYPE, text)
  t.is(parses, 0)
  t.is(out.status, 400)
  t.is(out.type, 'entity.validation.failed')
  t.is(out.message, 'request body does not match the schema')
  t.true(out.expose)
  t.deepEqual(out.errors, (await validateJson(text, USER, { allErrors: true })).errors)
  const ajv = new Ajv({ allErrors: true })
  ajv.validate(USER, JSON.parse(text))
  t.deepEqual(out.errors.map((e) => [e.instancePath, e.keyword]).sort(), ajv.errors.map((e) => [e.instancePath, e.keyword]).sort())
})

test('schema: a compileSchema() handle is taken as it is', async (t) => {
  const { out } = await withParses({ schema: compileSchema(USER) }, JSON_TYPE, '{"age":1}')
  t.is(out.type, 'entity.validation.failed')
  t.deepEqual(out.errors.map((e) => e.keyword), ['required'])
})

test('schema: an empty body is {} and must match too', async (t) => {
  const { out } = await withParses({ schema: USER }, { ...JSON_TYPE, 'content-length': '0' }, [])
  t.is(out.type, 'entity.validation.failed')
  const open = await withParses({ schema: { type: 'object' } }, { ...JSON_TYPE, 'content-length': '0' }, [])
  t.deepEqual(open.out.body, {})
})

test('schema: invalid JSON is still 400 entity.parse.failed with body-parser\'s message', async (t) => {
  const [expected] = await both(undefined, JSON_TYPE, '{"user":')
  const { out } = await withParses({ schema: USER }, JSON_TYPE, '{"user":')
  t.deepEqual(out, expected)
})

test('schema: an invalid schema throws when the middleware is made', (t) => {
  t.throws(() => json({ schema: { type: 'nonsense' } }), { code: 'ERR_INVALID_ARG_VALUE' })
})

// ---------------------------------------------------------------- details

test('type short names resolve as type-is resolves them (mime-types)', async (t) => {
  const mime = require(require.resolve('mime-types', { paths: [path.dirname(require.resolve('type-is', { paths: [path.dirname(require.resolve('body-parser'))] }))] }))
  for (const name of ['json', 'txt', 'text', 'html', 'htm', 'xml', 'csv', 'js', 'bin']) {
    const [expected, actual] = await both({ type: name }, { 'content-type': mime.lookup(name) }, '{"a":1}')
    t.deepEqual(actual, expected, name)
    t.deepEqual(actual.body, { a: 1 }, name)
  }
})

test.serial('inflating runs on the pool: createDecompress with the limit as maxOutputLength', async (t) => {
  const bytes = require('../lib/bytes')
  const real = bytes.createDecompress
  const calls = []
  bytes.createDecompress = (o) => { calls.push(o); return real(o) }
  try {
    const server = await serve(json({ limit: '2kb' }))
    const out = await send(server, { ...JSON_TYPE, 'content-encoding': 'br' }, zlib.brotliCompressSync(DOC))
    server.close()
    t.deepEqual(out.body, JSON.parse(DOC))
    t.deepEqual(calls, [{ format: 'brotli', maxOutputLength: 2048 }])
  } finally {
    bytes.createDecompress = real
  }
})

test('a full pool queue: 503 service.unavailable (ERR_QUEUE_FULL, not exposed) for parsing and for inflating, a small invalid body still 400 as in body-parser, then bodies parse again', async (t) => {
  const { execFile } = require('node:child_process')
  const root = path.join(__dirname, '..')
  const script = `
    const http = require('node:http')
    const zlib = require('node:zlib')
    const ot = require(${JSON.stringify(root)})
    const { json } = require(${JSON.stringify(path.join(root, 'lib/json/body'))})
    ot.configure({ threads: 1, maxQueue: 1 })
    const doc = JSON.stringify(Array.from({ length: 20000 }, (_, i) => i))
    const mw = json({ limit: '1mb' })
    const server = http.createServer((req, res) => mw(req, res, (err) => res.end(JSON.stringify(err ? { status: err.status, expose: err.expose, type: err.type, code: err.code } : { n: req.body.length }))))
    const post = (headers, body) => new Promise((resolve) => {
      const r = http.request({ port: server.address().port, method: 'POST', headers }, (res) => { let s = ''; res.on('data', (c) => { s += c }); res.on('end', () => resolve(JSON.parse(s))) })
      r.end(body)
    })
    server.listen(0, async () => {
      const hashes = [ot.hashPassword('x', { algorithm: 'bcrypt', cost: 11 })]
      while (ot.stats().running < 1) await new Promise((r) => setTimeout(r, 1))
      hashes.push(ot.hashPassword('x', { algorithm: 'bcrypt', cost: 4 }))
      const parse = await post({ 'content-type': 'application/json' }, doc)
      const inflate = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, zlib.gzipSync(doc))
      // A small body needs no pool, even invalid (body-parser's 400, not a 503).
      const small = await post({ 'content-type': 'application/json' }, '{"user"')
      await Promise.all(hashes)
      const after = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, zlib.gzipSync(doc))
      console.log(JSON.stringify({ parse, inflate, small, after }))
      server.close()
    })`
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 60000 }, (err, stdout, stderr) => err ? reject(new Error(stderr)) : resolve(stdout))
  })
  const busy = { status: 503, expose: false, type: 'service.unavailable', code: 'ERR_QUEUE_FULL' }
  const small = { status: 400, expose: true, type: 'entity.parse.failed' }
  t.deepEqual(JSON.parse(out.trim().split('\n').pop()), { parse: busy, inflate: busy, small, after: { n: 20000 } })
})

test('in an Express app, as app.use(express.json()) would be', async (t) => {
  const express = require('express')
  const request = require('supertest')
  const app = express()
  app.use(json({ limit: '1kb' }))
  app.post('/', (req, res) => res.json({ got: req.body }))
  app.use((err, req, res, next) => res.status(err.status).json({ type: err.type, message: err.message, syntax: err instanceof SyntaxError && 'body' in err }))
  const ok = await request(app).post('/').send({ user: 'tobi' })
  t.deepEqual([ok.status, ok.body], [200, { got: { user: 'tobi' } }])
  const bad = await request(app).post('/').set('content-type', 'application/json').send('{"user"')
  t.deepEqual([bad.status, bad.body], [400, { type: 'entity.parse.failed', message: (() => { try { JSON.parse('{"user"') } catch (e) { return e.message } })(), syntax: true }])
  const big = await request(app).post('/').send({ s: 'x'.repeat(2000) })
  t.deepEqual([big.status, big.body.type], [413, 'entity.too.large'])
})

test('a request aborted while its body is inflating: 400 request.aborted (body-parser waits on zlib here)', async (t) => {
  const gz = zlib.gzipSync(JSON.stringify({ s: 'x'.repeat(100000) }))
  const err = await new Promise((resolve) => {
    const mw = json()
    const server = http.createServer((req, res) => mw(req, res, (e) => { server.close(); resolve(e) }))
    server.listen(0, '127.0.0.1', () => {
      const req = http.request({ port: server.address().port, host: '127.0.0.1', method: 'POST', headers: { ...JSON_TYPE, 'content-encoding': 'gzip', 'content-length': String(gz.length) } })
      req.on('error', () => {})
      req.write(gz.subarray(0, 20), () => setTimeout(() => req.destroy(), 100))
    })
  })
  t.like(err, { status: 400, statusCode: 400, expose: true, type: 'request.aborted', code: 'ECONNABORTED', message: 'request aborted', expected: null, length: null })
  t.is(typeof err.received, 'number')
})

test('random bytes in every utf-* charset decode as body-parser (iconv-lite) decodes them, strict or not', async (t) => {
  let seed = 0x2545F491
  const rand = (n) => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) % n }
  // Mostly JSON-ish text in the charset, with random bytes spliced in: odd lengths, BOMs, surrogates, invalid units.
  const pieces = ['{"a":"', '"}', '[1,', '2]', ' ', '\ufeff', '\u00e9', '\u8bba', '\ud83d\ude00', '\ud800', '+', '-', '&']
  for (const strict of [false, true]) {
    const a = await serve(bodyParser.json({ strict }))
    const b = await serve(json({ strict }))
    try {
      for (const charset of ['utf-8', 'utf-16', 'utf-16le', 'utf-16be', 'utf-32', 'utf-32le', 'utf-32be', 'utf-7', 'utf-7-imap']) {
        for (let i = 0; i < 60; i++) {
          const parts = []
          for (let j = rand(8); j >= 0; j--) {
            if (rand(3) === 0) parts.push(Buffer.from(Array.from({ length: 1 + rand(6) }, () => rand(256))))
            else {
              const text = pieces[rand(pieces.length)]
              const le = Buffer.from(text, 'utf16le')
              if (charset.startsWith('utf-16')) parts.push(charset === 'utf-16be' || (charset === 'utf-16' && i % 2) ? Buffer.from(le).swap16() : le)
              else if (charset.startsWith('utf-32')) {
                const cps = [...text].map((c) => c.codePointAt(0))
                const buf = Buffer.alloc(cps.length * 4)
                cps.forEach((cp, k) => charset === 'utf-32be' || (charset === 'utf-32' && i % 2) ? buf.writeUInt32BE(cp, k * 4) : buf.writeUInt32LE(cp, k * 4))
                parts.push(buf)
              } else parts.push(Buffer.from(text, charset === 'utf-8' ? 'utf8' : 'latin1'))
            }
          }
          const body = Buffer.concat(parts)
          if (body.length === 0) continue
          const headers = { 'content-type': `application/json; charset=${charset}` }
          const [expected, actual] = [await send(a, headers, body), await send(b, headers, body)]
          t.deepEqual(actual, expected, `strict ${strict} ${charset} ${body.toString('hex')}`)
        }
      }
    } finally {
      a.close()
      b.close()
    }
  }
})
