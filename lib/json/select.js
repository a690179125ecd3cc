'use strict'
// selectJson: the parts of a large JSON document that JSON Pointers select, without building the rest.
//
// 1. On the pool, native.jsonSelect (crates/core/src/json/select.rs) validates the whole document in
//    one pass of the JSON scanner and records the text range of each selected value: f64 triples
//    [pointer, start, end] in bytes (UTF-16 units for string input), in each result's order.
// 2. On the loop, each range is given to JSON.parse within `sliceMs` per turn; a range of
//    `slicedFromBytes` or more goes through parseJson (pool scan, then time-sliced assembly).
//
// Pointers are RFC 6901 JSON Pointers; the token `~*` (invalid in RFC 6901, whose `~` escapes are only
// `~0` and `~1`) matches every element of an array and every member of an object. A member literally
// named `*` is the plain token `*`, and one named `~*` is `~0*`.

const native = require('../native')
const scheduler = require('../scheduler')
const { codedError, invalidType } = require('../errors')
const v = require('../validate')
const { parseJson, setMember } = require('./parse')
const { source, tooLarge, turn, checkSignal, triples, encode, parseMessage, syntaxError } = require('./input')

/** Core's JSON policy; `select` is { maxPointers, maxMatches: { min, max, default }, slicedFromBytes }. */
const J = native.policy.json
const S = J.select

const STRIDE = 3
const WILDCARD = '~*'
const KEYS = new Set(['maxBytes', 'maxMatches', 'sliceMs', 'paths', 'signal', 'executor'])
const SURROGATE_OR_FFFD = /[\uD800-\uDFFF\uFFFD]/
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/

/** True when one of the pointer's tokens is the wildcard `~*` (its result is then an array). */
function hasWildcard (pointer) {
  return pointer.split('/').includes(WILDCARD)
}

/**
 * The pointers as a flat list, and how to shape the results: one pointer (a string), an array of
 * them, or an object of them ({ name: pointer }; the result has the same keys).
 */
function readPointers (pointers) {
  let list
  let keys
  if (typeof pointers === 'string') {
    list = [pointers]
  } else if (Array.isArray(pointers)) {
    list = Array.from(pointers) // holes become undefined, refused below
  } else if (pointers !== null && typeof pointers === 'object') {
    keys = Object.keys(pointers)
    list = keys.map((k) => pointers[k])
  } else {
    throw invalidType('pointers', 'a JSON Pointer string, an array or an object of them', pointers)
  }
  if (list.length > S.maxPointers) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected at most ${S.maxPointers} pointers but received ${list.length}`)
  }
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'string') {
      const name = typeof pointers === 'string' ? 'pointers' : keys === undefined ? `pointers[${i}]` : `pointers.${keys[i]}`
      throw invalidType(name, 'a JSON Pointer string', list[i])
    }
  }
  return { list, keys, single: typeof pointers === 'string' }
}

/**
 * The values of a JSON document that JSON Pointers select, each as `JSON.parse` would give it,
 * without building the rest of the document on the event loop.
 *
 * `pointers` is one pointer, an array or an object of them: the result has the same shape. An exact
 * pointer (RFC 6901: `''` is the whole document, `/a/b/0`, `~0` for `~`, `~1` for `/`) gives its value,
 * or undefined when absent. A pointer with a wildcard token `~*` (any array element or object member,
 * at any level) gives an array of the values found, in the order of the parsed document (array order;
 * an object's members in `Object.keys` order); with `paths: true`, an array of `[pointer, value]`
 * entries, `pointer` being the concrete RFC 6901 pointer of the value. A member named `*` is the token `*`.
 * @param {string | Buffer | ArrayBufferView | ArrayBuffer} input UTF-8 bytes or a string of JSON
 * @param {string | string[] | Record<string, string>} pointers
 * @param {{ maxBytes?: number, maxMatches?: number, sliceMs?: number, paths?: boolean, signal?: AbortSignal, executor?: string }} [options]
 * @returns {Promise<any>}
 */
function selectJson (input, pointers, options) {
  return scheduler.reject(() => {
    const o = v.knownKeys('options', v.options(options), KEYS)
    const src = source(input)
    const ptrs = readPointers(pointers)
    const maxBytes = v.optInt('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER)
    const maxMatches = v.optInt('maxMatches', o.maxMatches, S.maxMatches.min, S.maxMatches.max) ?? S.maxMatches.default
    const sliceMs = v.optInt('sliceMs', o.sliceMs, J.sliceMs.min, J.sliceMs.max) ?? J.sliceMs.default
    const paths = v.bool('paths', o.paths) ?? false
    const task = scheduler.taskOptions(o)
    checkSignal(task.signal)
    const units = typeof src === 'string'
    // At least one byte per UTF-16 unit: more units than maxBytes is over it without counting.
    if (maxBytes !== undefined && src.length > maxBytes) throw tooLarge(maxBytes, units ? undefined : src.length)
    return run({ src, units, ptrs, maxBytes, maxMatches, sliceMs, paths, task, wellFormed: true })
  })
}

async function run (job) {
  const { src, units, ptrs, task } = job
  const bytes = units ? await encode(src, job.maxBytes, job.sliceMs, task.signal, job) : src
  const [found, meta] = await scheduler.run((t) => native.jsonSelect(t, bytes, ptrs.list, job.maxMatches, units, job.paths), task)
  if (meta.error) throw syntaxError(meta.error, units, parseMessage(meta.error, bytes.length, () => units ? src : bytes.toString('utf8')))
  checkSignal(task.signal)
  const text = units ? (a, b) => src.slice(a, b) : (a, b) => src.utf8Slice(a, b)
  const whole = units ? (a, b) => src.slice(a, b) : (a, b) => src.subarray(a, b)
  const wild = ptrs.list.map(hasWildcard)
  const results = wild.map((w) => w ? [] : undefined)
  const ops = triples(found)
  const end = meta.matches * STRIDE
  // With paths, each match's steps follow the triples: count, then [0, index, 0] or [1, keyStart, keyEnd].
  let step = end
  let start = performance.now()
  for (let i = 0; i < end; i += STRIDE) {
    const p = ops[i]
    const a = ops[i + 1]
    const b = ops[i + STRIDE - 1]
    let value
    if (b - a >= S.slicedFromBytes) {
      value = await parseJson(whole(a, b), { sliceMs: job.sliceMs, signal: task.signal, executor: executorName(task) })
      start = performance.now()
    } else {
      value = JSON.parse(text(a, b))
    }
    // An exact pointer has at most one match (the core keeps the last of repeated keys).
    if (!wild[p]) {
      results[p] = value
    } else if (job.paths) {
      let pointer = ''
      const count = ops[step++]
      for (let k = 0; k < count; k++, step += STRIDE) {
        const token = ops[step] === 0 ? String(ops[step + 1]) : JSON.parse(text(ops[step + 1], ops[step + STRIDE - 1]))
        pointer += '/' + token.replace(/~/g, '~0').replace(/\//g, '~1')
      }
      results[p].push([pointer, value])
    } else {
      results[p].push(value)
    }
    if (job.paths && !wild[p]) step++ // its count, 0
    if (performance.now() - start >= job.sliceMs && i + STRIDE < end) {
      await turn()
      checkSignal(task.signal)
      start = performance.now()
    }
  }
  // The scanner read the string's UTF-8, where a raw lone surrogate is U+FFFD: keys holding one, or U+FFFD,
  // cannot be told apart there (nor as repeated keys under a wildcard). In a string that has lone
  // surrogates, pointers naming such keys, and wildcards, are evaluated on the parsed document instead.
  const unsure = (p, i) => wild[i] || SURROGATE_OR_FFFD.test(p)
  if (units && !job.wellFormed && ptrs.list.some(unsure)) {
    const doc = await parseJson(src, { sliceMs: job.sliceMs, signal: task.signal, executor: executorName(task) })
    ptrs.list.forEach((p, i) => {
      if (unsure(p, i)) results[i] = walk(doc, p, wild[i], job.paths)
    })
  }
  if (ptrs.single) return results[0]
  if (ptrs.keys === undefined) return results
  const out = {}
  for (let i = 0; i < ptrs.keys.length; i++) setMember(out, ptrs.keys[i], results[i])
  return out
}

/**
 * RFC 6901 and `~*` over a parsed document, for the rare pointers `run` cannot match from the bytes (the
 * core's matcher is the one for everything else; the spec checks both against the same reference).
 */
function walk (doc, pointer, wild, paths) {
  let here = [['', doc]]
  for (const raw of pointer.split('/').slice(1)) {
    const next = []
    for (const [at, v] of here) {
      if (v === null || typeof v !== 'object') continue
      if (raw === WILDCARD) {
        for (const k of Object.keys(v)) next.push([`${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, v[k]])
        continue
      }
      const tok = raw.replace(/~1/g, '/').replace(/~0/g, '~')
      const has = Array.isArray(v) ? ARRAY_INDEX.test(tok) && Number(tok) < v.length : Object.hasOwn(v, tok)
      if (has) next.push([`${at}/${raw}`, v[tok]])
    }
    here = next
  }
  if (!wild) return here.length === 0 ? undefined : here[0][1]
  return paths ? here : here.map((entry) => entry[1])
}

/** The executor name parseJson takes for a task's executor code. */
function executorName (task) {
  const codes = native.policy.pool.executors
  return Object.keys(codes).find((name) => codes[name] === task.executor)
}

module.exports = { selectJson }
