'use strict'
// selectJson (lib/json/select.js): the values JSON Pointers select, each exactly as JSON.parse gives it.
// Oracle: a reference pointer walk (below, written from RFC 6901 and the documented `~*` wildcard) over
// JSON.parse's result on the running Node, compared with helpers/json.js `same` (Object.is on numbers,
// key order, own data properties). Pointers are drawn from the parsed documents themselves (every path,
// paths with wildcards at several levels, absent paths), so escapes in keys, duplicate keys and
// JavaScript's property order are exercised where the documents have them.

const test = require('ava')
const fs = require('node:fs')
const path = require('node:path')
const { selectJson } = require('../lib/json/select')
const { parseJson } = require('../lib/json/parse')
const { same, prng, randomDoc, J } = require('./helpers/json')
const { ERR, rejects, aborted } = require('./helpers/errors')

const S = J.select
const SYNTAX = [J.parseErrorCode, SyntaxError]
const ANY = '~*'

// ---------------------------------------------------------------------------------------------
// The reference: RFC 6901 over JSON.parse's result, plus `~*` (every element / every member, in
// Object.keys order). An exact pointer gives the value or undefined; a wildcard pointer an array.

const EVERY = Symbol('every element or member')

function tokens (pointer) {
  if (pointer === '') return []
  if (pointer[0] !== '/') throw new Error(`bad pointer ${pointer}`)
  return pointer.slice(1).split('/').map((t) => t === ANY ? EVERY : t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** With `paths`, a wildcard pointer gives [concrete pointer, value] entries. */
function refSelect (doc, pointer, paths = false) {
  const toks = pointer.split('/').slice(1)
  const wild = toks.includes(ANY)
  let here = [['', doc]]
  for (const tok of tokens(pointer)) {
    const next = []
    for (const [at, v] of here) {
      if (v === null || typeof v !== 'object') continue
      if (tok === EVERY) {
        for (const k of Object.keys(v)) next.push([`${at}/${escape(k)}`, v[k]])
      } else if (Array.isArray(v)) {
        if (/^(0|[1-9][0-9]*)$/.test(tok) && Number(tok) < v.length) next.push([`${at}/${tok}`, v[Number(tok)]])
      } else if (Object.hasOwn(v, tok)) {
        next.push([`${at}/${escape(tok)}`, v[tok]])
      }
    }
    here = next
  }
  if (!wild) return here.length === 0 ? undefined : here[0][1]
  return paths ? here : here.map(([, v]) => v)
}

/** A pointer token for a key: RFC 6901's escapes, and `*`-only tokens stay literal. */
function escape (key) {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1')
}

/** Every path of the parsed document (up to `limit`), as pointers, in a breadth-first walk. */
function allPointers (doc, limit = 400) {
  const out = ['']
  const work = [[doc, '']]
  while (work.length > 0 && out.length < limit) {
    const [v, p] = work.shift()
    if (v === null || typeof v !== 'object') continue
    for (const k of Object.keys(v)) {
      const q = `${p}/${escape(k)}`
      out.push(q)
      work.push([v[k], q])
    }
  }
  return out
}

/** Pointers with some tokens replaced by `~*`, and absent ones, from the document's own paths. */
function variants (pointers, rand) {
  const out = []
  for (const p of pointers) {
    const toks = p.split('/').slice(1)
    if (toks.length === 0) continue
    const w = toks.map((t) => rand() < 0.4 ? ANY : t)
    out.push('/' + w.join('/'))
    out.push('/' + toks.map((t, i) => i === 0 ? ANY : t).join('/'))
    out.push(p + '/nope', p + '/0', p + '/-', p + '/01', p + '/' + ANY)
  }
  return out
}

/** selectJson(text, pointers) against the reference, in calls of at most maxPointers pointers. */
async function check (t, text, pointers, label, options) {
  const doc = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'))
  for (let at = 0; at < pointers.length; at += S.maxPointers) {
    const batch = pointers.slice(at, at + S.maxPointers)
    const got = await selectJson(text, batch, options)
    const expected = batch.map((p) => refSelect(doc, p, options !== undefined && options.paths))
    if (same(got, expected) !== '') {
      const i = expected.findIndex((e, k) => same(got[k], e) !== '')
      return t.fail(`${label}: pointer ${JSON.stringify(batch[i])}: ${same(got[i], expected[i])}`)
    }
  }
  t.pass()
}

const FIXTURES = path.join(__dirname, 'fixtures', 'json')

test('twitter.json: every path (and wildcard variants) against JSON.parse and the reference walk', async (t) => {
  const buf = fs.readFileSync(path.join(FIXTURES, 'twitter.json'))
  const doc = JSON.parse(buf.toString('utf8'))
  const rand = prng(11)
  const exact = allPointers(doc, 600)
  const pointers = [...exact, ...variants(exact.slice(0, 200), rand),
    '/statuses/~*/user/screen_name', '/statuses/~*/entities/hashtags/~*/text', '/~*/~*/id_str', '/search_metadata/count']
  await check(t, buf, pointers, 'twitter Buffer')
  await check(t, buf.toString('utf8'), pointers, 'twitter string')
  await check(t, buf, pointers, 'twitter Buffer, paths', { paths: true })
  // The wildcard results are not trivially empty.
  const [names] = await selectJson(buf, ['/statuses/~*/user/screen_name'])
  t.is(names.length, doc.statuses.length)
})

const DOCS = {
  'unicode keys': '{"é": 1, "😀": {"Ω": [true]}, "\\u00e9t\\u00e9": 2, "a\\u0062": 3, "ab": 4, "\\ud83d\\ude00x": 5}',
  'escaped keys': '{"a/b": 1, "m~n": 2, "~1": 3, "/": 4, "": {"": 5}, " ": 6, "\\"": 7, "\\\\": 8, "\\n": 9, "\\u0000": 10}',
  'duplicate keys': '{"a": 1, "b": {"x": 1}, "a": 2, "b": {"y": 2}, "c": [1], "c": 3, "d": {"e": 1}, "d": {"e": 2, "e": 3}}',
  'property order': '{"b": 1, "2": 2, "a": 3, "1": 4, "01": 5, "4294967295": 6, "4294967294": 7, "-1": 8, "1.5": 9, "\\u0031\\u0030": 10}',
  'literal star': '{"*": 1, "a": {"*": [2, 3]}, "~*": 4, "**": 5, "[*]": 6}',
  arrays: '[[1, [2, [3, []]]], {"0": "zero", "1": "one"}, [], [{}], "s", 0, -0, 1e400, 12345678901234567890]',
  scalars: '"just a string"',
  nested: JSON.stringify({ users: [{ name: 'x', tags: ['a', 'b'], addr: { city: 'P' } }, { name: 'y', tags: [] }, 7, null, { tags: [{ t: 1 }] }] }),
  'proto keys': '{"__proto__": {"polluted": 1}, "constructor": 2, "toString": 3, "x": {"__proto__": [1]}}',
  whitespace: ' \n\t{ "a" : [ 1 , 2 ] , "b" : { } }\r\n'
}

for (const [name, text] of Object.entries(DOCS)) {
  test(`${name}: every path, wildcard variants and absent paths`, async (t) => {
    const doc = JSON.parse(text)
    const exact = allPointers(doc)
    const pointers = [...exact, ...variants(exact, prng(name.length)), '/' + ANY, `/${ANY}/${ANY}`, `/${ANY}/${ANY}/${ANY}`]
    await check(t, text, pointers, `${name} string`)
    await check(t, Buffer.from(text), pointers, `${name} Buffer`)
    await check(t, text, pointers, `${name} string, paths`, { paths: true })
    await check(t, Buffer.from(text), pointers, `${name} Buffer, paths`, { paths: true })
  })
}

test('keys as JSON.parse decodes them: escapes, ~0/~1, duplicates (last wins), literal *', async (t) => {
  t.is(await selectJson('{"a\\u0062": 1}', '/ab'), 1)
  t.is(await selectJson('{"a/b": 1, "m~n": 2}', '/a~1b'), 1)
  t.is(await selectJson('{"a/b": 1, "m~n": 2}', '/m~0n'), 2)
  t.is(await selectJson('{"~1": 7}', '/~01'), 7) // RFC 6901: ~01 is "~1", not "/"
  t.is(await selectJson('{"a": 1, "a": 2}', '/a'), 2)
  t.is(await selectJson('{"a": {"b": 1}, "a": 5}', '/a/b'), undefined)
  t.deepEqual(await selectJson('{"a": 1, "b": 2, "a": 3}', '/~*'), [3, 2])
  t.is(await selectJson('{"*": 1, "a": 2}', '/*'), 1)
  t.deepEqual(await selectJson('{"*": 1, "a": 2}', '/~*'), [1, 2])
  t.is(await selectJson('{"~*": 1, "a": 2}', '/~0*'), 1)
  t.deepEqual(await selectJson('[1, 2]', ['/-', '/01', '/2', '/1', '/length']), [undefined, undefined, undefined, 2, undefined])
  t.is(await selectJson('{"01": "k"}', '/01'), 'k')
})

test('keys with invalid UTF-8 or lone surrogates match as buf.toString() and JSON.parse give them', async (t) => {
  const buf = Buffer.concat([Buffer.from('{"a'), Buffer.from([0xff]), Buffer.from('b": 1, "\\ud800": 2, "\\udc00\\ud800": 3}')])
  const doc = JSON.parse(buf.toString('utf8'))
  for (const p of ['/a\uFFFDb', '/\uD800', '/\uDC00\uD800', '/\uFFFD']) {
    t.is(await selectJson(buf, p), refSelect(doc, p), p)
  }
  t.is(await selectJson(buf, '/a\uFFFDb'), 1)
  t.is(await selectJson(buf, '/\uD800'), 2)
})

test('string input with raw (unescaped) lone surrogates in keys: matched as JSON.parse(string) gives them', async (t) => {
  const text = '{"\uD800": 1, "\uFFFD": 2, "k": {"\uDC00x": [3]}, "\uD800": 4, "ok": 5}'
  const doc = JSON.parse(text)
  const pointers = ['/\uD800', '/\uFFFD', '/k/\uDC00x/0', '/~*/\uDC00x', '/~*', '/ok', '/\uFFFD/x']
  t.is(same(await selectJson(text, pointers), pointers.map((p) => refSelect(doc, p))), '')
  t.is(same(await selectJson(text, pointers, { paths: true }), pointers.map((p) => refSelect(doc, p, true))), '')
  t.is(await selectJson(text, '/\uD800'), 4)
  // Buffers hold no lone surrogates: there they are U+FFFD, as buf.toString() gives them.
  t.is(await selectJson(Buffer.from(text), '/\uFFFD'), 4)
})

test('random documents (escapes, unicode, duplicate and index-like keys) at random pointers', async (t) => {
  const seed = Number(process.env.OFFTHREAD_SEED ?? 20261205)
  const rand = prng(seed)
  for (let i = 0; i < 60; i++) {
    let text = randomDoc(rand, { depth: 5, width: 8 })
    // Every fourth document: escaped surrogates written raw (lone ones in keys too), as a string only.
    if (i % 4 === 1) text = text.replace(/\\u(d[89a-f][0-9a-f]{2})/gi, (m, hex) => String.fromCharCode(parseInt(hex, 16)))
    const doc = JSON.parse(text)
    const exact = allPointers(doc, 120)
    const pointers = [...exact, ...variants(exact.slice(0, 40), rand)]
    await check(t, i % 2 ? text : Buffer.from(text), pointers, `seed ${seed} doc ${i}`, { paths: i % 3 === 0 })
  }
})

// ---------------------------------------------------------------------------------------------
// Shapes and input forms

test('pointers as a string, an array or an object: the result has the same shape', async (t) => {
  const text = '{"id": 7, "users": [{"name": "a"}, {"name": "b"}]}'
  t.is(await selectJson(text, '/id'), 7)
  t.deepEqual(await selectJson(text, '/users/~*/name'), ['a', 'b'])
  t.deepEqual(await selectJson(text, ['/id', '/users/~*/name', '/x', '/x/~*']), [7, ['a', 'b'], undefined, []])
  t.deepEqual(await selectJson(text, { id: '/id', names: '/users/~*/name', none: '/x' }), { id: 7, names: ['a', 'b'], none: undefined })
  t.deepEqual(await selectJson(text, []), [])
  t.deepEqual(await selectJson(text, {}), {})
  // A key named __proto__ is an own property of the result, never its prototype.
  const out = await selectJson(text, JSON.parse('{"__proto__": "/id"}'))
  t.is(Object.getPrototypeOf(out), Object.prototype)
  t.true(Object.hasOwn(out, '__proto__'))
  t.is(out.__proto__, 7) // eslint-disable-line no-proto
  // The whole document, and the same value twice.
  t.deepEqual(await selectJson(text, ['', '/id', '/id']), [JSON.parse(text), 7, 7])
})

test('paths: wildcard results as [concrete pointer, value] entries; exact pointers unchanged', async (t) => {
  const text = '{"users": [{"name": "a"}, {"x": 1}, {"name": "b"}], "m/~": {"k": 1, "k": 2}, "id": 3}'
  t.deepEqual(await selectJson(text, { names: '/users/~*/name', id: '/id', all: '/~*/k' }, { paths: true }), {
    names: [['/users/0/name', 'a'], ['/users/2/name', 'b']],
    id: 3,
    all: [['/m~1~0/k', 2]]
  })
  const entries = await selectJson(Buffer.from('{"b": [true], "é": null, "😀": {"a\\u0062": 0}}'), '/~*/~*', { paths: true })
  t.deepEqual(entries, [['/b/0', true], ['/😀/ab', 0]])
  // Each concrete pointer selects its value.
  for (const [p, value] of entries) t.is(await selectJson(Buffer.from('{"b": [true], "é": null, "😀": {"a\\u0062": 0}}'), p), value)
  await rejects(t, selectJson(text, '/id', { paths: 1 }), ERR.type)
})

test('every input form gives the same result', async (t) => {
  const text = '{"k": ["é", {"😀": 2}]}'
  const buf = Buffer.from(text)
  const ab = new ArrayBuffer(buf.length)
  new Uint8Array(ab).set(buf)
  const padded = Buffer.concat([Buffer.from('xyz'), buf])
  for (const input of [text, buf, new Uint8Array(buf), ab, padded.subarray(3), new DataView(padded.buffer, padded.byteOffset + 3, buf.length)]) {
    t.deepEqual(await selectJson(input, ['/k/0', '/k/1/😀', '/k/~*']), ['é', 2, ['é', { '😀': 2 }]])
  }
})

test('string input: offsets in UTF-16 units (astral characters and U+FFFD before the match)', async (t) => {
  const text = '{"a": "😀é\uFFFD", "b": ["\\ud800", "x"], "😀": {"c": "d"}}'
  t.deepEqual(await selectJson(text, ['/a', '/b/1', '/😀/c', '/b/0']), ['😀é\uFFFD', 'x', 'd', '\ud800'])
})

test('a large document: three fields, a big selected value parsed in slices, the whole document', async (t) => {
  const items = Array.from({ length: 30000 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', 'é'], n: i / 7 }))
  const doc = { meta: { count: items.length }, items, tail: 'end' }
  const text = JSON.stringify(doc)
  t.true(JSON.stringify(items).length > S.slicedFromBytes, 'the items array goes through parseJson')
  const got = await selectJson(Buffer.from(text), { count: '/meta/count', last: '/items/29999/name', tail: '/tail', items: '/items', ids: '/items/~*/id' })
  t.is(same(got, { count: 30000, last: 'n29999', tail: 'end', items, ids: items.map((x) => x.id) }), '')
  t.is(same(await selectJson(text, ''), doc), '')
})

// ---------------------------------------------------------------------------------------------
// Errors

test('malformed pointers: ERR_INVALID_ARG_VALUE naming the pointer', async (t) => {
  for (const bad of ['a', '#/a', '/~', '/a~', '/a~2', '/~*x', '/x~*', '/a/~~']) {
    await rejects(t, selectJson('{}', bad), ERR.value, { message: new RegExp(`'${bad.replace(/[*~]/g, '\\$&')}'`) })
    await rejects(t, selectJson('{}', ['/ok', bad]), ERR.value, { message: new RegExp(`'${bad.replace(/[*~]/g, '\\$&')}'`) })
  }
})

test('pointer and option types and ranges', async (t) => {
  await rejects(t, selectJson('{}', 5), ERR.type)
  await rejects(t, selectJson('{}', null), ERR.type)
  await rejects(t, selectJson('{}', undefined), ERR.type)
  await rejects(t, selectJson('{}', ['/a', 1]), ERR.type, { message: /pointers\[1\]/ })
  await rejects(t, selectJson('{}', { a: '/a', b: null }), ERR.type, { message: /pointers\.b/ })
  // eslint-disable-next-line no-sparse-arrays
  await rejects(t, selectJson('{}', ['/a', , '/b']), ERR.type)
  await rejects(t, selectJson('{}', Array(S.maxPointers + 1).fill('/a')), ERR.range)
  t.is((await selectJson('{"a": 1}', Array(S.maxPointers).fill('/a'))).length, S.maxPointers)
  await rejects(t, selectJson(5, '/a'), ERR.type)
  await rejects(t, selectJson('{}', '/a', { maxMatches: 0 }), ERR.range)
  await rejects(t, selectJson('{}', '/a', { maxMatches: S.maxMatches.max + 1 }), ERR.range)
  await rejects(t, selectJson('{}', '/a', { maxMatches: 1.5 }), ERR.range)
  await rejects(t, selectJson('{}', '/a', { nope: 1 }), ERR.value)
  await rejects(t, selectJson('{}', '/a', { signal: 'x' }), ERR.type)
})

test('more values than maxMatches: ERR_OUT_OF_RANGE; exactly maxMatches is fine', async (t) => {
  await rejects(t, selectJson('[1, 2, 3]', '/~*', { maxMatches: 2 }), ERR.range, { message: /maxMatches/ })
  t.deepEqual(await selectJson('[1, 2, 3]', '/~*', { maxMatches: 3 }), [1, 2, 3])
  t.deepEqual(await selectJson('[1, 2, 3]', ['/~*', '/0'], { maxMatches: 4 }), [[1, 2, 3], 1])
  await rejects(t, selectJson('[1, 2, 3]', ['/~*', '/0'], { maxMatches: 3 }), ERR.range)
})

test('invalid JSON rejects as parseJson does (SyntaxError ERR_JSON_PARSE, offset, line, column), even past the matches', async (t) => {
  const cases = ['{"a": 1,}', '{"a": 1} x', '{"a": 1', '{"a": 01}', '[1, 2', '', '{"a":\n "b\\x"}', '{"é": 1, "a": tru}']
  for (const text of cases) {
    for (const input of [text, Buffer.from(text)]) {
      const expected = await parseJson(input).then(() => t.fail(`${text} parsed`), (e) => e)
      let message
      try { JSON.parse(text) } catch (e) { message = e.message }
      const err = await rejects(t, selectJson(input, '/a'), SYNTAX, { message })
      t.is(err.offset, expected.offset, text)
      t.is(err.line, expected.line, text)
      t.is(err.column, expected.column, text)
    }
  }
})

test('maxBytes: ERR_BUFFER_TOO_LARGE past it, as parseJson', async (t) => {
  await rejects(t, selectJson(Buffer.from('{"a": 1}'), '/a', { maxBytes: 7 }), ERR.tooLarge)
  t.is(await selectJson(Buffer.from('{"a": 1}'), '/a', { maxBytes: 8 }), 1)
  await rejects(t, selectJson('{"a": "é"}', '/a', { maxBytes: 10 }), ERR.tooLarge)
  t.is(await selectJson('{"a": "é"}', '/a', { maxBytes: 11 }), 'é')
})

test('abort: before, during the pool pass, during the parses on the loop', async (t) => {
  const done = new AbortController()
  done.abort(new Error('why'))
  await aborted(t, selectJson('{}', '/a', { signal: done.signal }), done.signal)
  // During the pool pass: a 40 MB document, aborted once the task is queued.
  const big = Buffer.from('[' + '1234567,'.repeat(5_000_000) + '0]')
  const pool = new AbortController()
  const p1 = selectJson(big, '/0', { signal: pool.signal })
  setImmediate(() => pool.abort())
  await aborted(t, p1, pool.signal, 'pool pass')
  // On the loop: many matches at the smallest sliceMs, aborted after the first turn.
  const many = JSON.stringify(Array.from({ length: 200000 }, (_, i) => ({ s: 'x'.repeat(20) + i })))
  const loop = new AbortController()
  const p2 = selectJson(many, '/~*/s', { signal: loop.signal, sliceMs: J.sliceMs.min })
  let turns = 0
  const tick = () => { if (++turns === 3) loop.abort(); else setImmediate(tick) }
  setImmediate(tick)
  await aborted(t, p2, loop.signal, 'loop')
})
