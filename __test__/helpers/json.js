'use strict'
// Shared helpers of the parseJson specs (json-parse, json-suite): an exact comparison with JSON.parse's
// result (iterative, so it works at any depth), a seeded PRNG and random documents, and the plan the
// scanner made for a document (to show a test does exercise the splitting paths).

const native = require('../../lib/native')
const scheduler = require('../../lib/scheduler')

const J = native.policy.json

/**
 * '' if `actual` is exactly `expected` (as JSON.parse builds it): same types, Object.is on every number
 * (-0, rounding), the same keys in the same order as own enumerable data properties, plain prototypes.
 * Otherwise the path and what differs. Iterative: no recursion limit.
 */
function same (actual, expected) {
  const work = [[actual, expected, '$']]
  while (work.length > 0) {
    const [a, e, path] = work.pop()
    if (e === null || typeof e !== 'object') {
      if (!Object.is(a, e)) return `${path}: ${show(a)}, expected ${show(e)}`
      continue
    }
    if (a === null || typeof a !== 'object') return `${path}: ${show(a)}, expected an ${Array.isArray(e) ? 'array' : 'object'}`
    if (Array.isArray(e) !== Array.isArray(a)) return `${path}: array/object mismatch`
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(e)) return `${path}: prototype differs`
    const ak = Reflect.ownKeys(a)
    const ek = Reflect.ownKeys(e)
    if (ak.length !== ek.length || ak.some((k, i) => k !== ek[i])) {
      return `${path}: keys ${JSON.stringify(ak.slice(0, 8).map(String))}..., expected ${JSON.stringify(ek.slice(0, 8).map(String))}...`
    }
    for (let i = ek.length - 1; i >= 0; i--) {
      const k = ek[i]
      if (k === 'length' && Array.isArray(e)) continue
      const d = Object.getOwnPropertyDescriptor(a, k)
      if (!('value' in d) || !d.enumerable || !d.writable || !d.configurable) return `${path}.${String(k)}: not a plain data property`
      work.push([d.value, e[k], `${path}[${JSON.stringify(k)}]`])
    }
  }
  return ''
}

function show (x) {
  if (typeof x === 'number' && Object.is(x, -0)) return '-0'
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? x.slice(0, 40) + '...' : x)
  return String(x)
}

/** mulberry32: a small seeded PRNG; returns floats in [0, 1). */
function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NUMBERS = ['0', '-0', '1', '-1', '0.5', '-0.0', '1e400', '-1e400', '1e-400', '5e-324', '1.7976931348623157e308',
  '12345678901234567890', '-98765432109876543210', '9007199254740993', '0.1', '1E+2', '2.5e-3', '123.456e78', '0e0',
  '2.2250738585072011e-308', '100000000000000000000000000000000000001']
const PIECES = ['a', 'é', '€', '😀', '\\n', '\\t', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\r', '\\u0000', '\\u001f', '\\ud800',
  '\\udc00', '\\ud83d\\ude00', '\\u2028', '\u2028', 'key', '__proto__', ' ', '\\u00e9', 'Ω']

/**
 * Random JSON text (escapes, unicode, lone surrogates as escapes, odd numbers, whitespace, duplicate keys):
 * containers up to `depth` deep, of up to `width` elements (a tenth of them 20 times wider), and once the text
 * passes `maxLength` every open container closes.
 */
function randomDoc (rand, { depth = 6, width = 12, strings = 8, maxLength = Infinity } = {}) {
  const pick = (list) => list[Math.floor(rand() * list.length)]
  const ws = () => (rand() < 0.2 ? pick([' ', '\n', '\t', '\r\n  ']) : '')
  const str = () => {
    let s = '"'
    const n = Math.floor(rand() * strings)
    for (let i = 0; i < n; i++) s += pick(PIECES)
    return s + '"'
  }
  // Iterative generation: a stack of open containers with remaining element counts.
  let out = ''
  const stack = []
  const scalar = () => {
    const r = rand()
    if (r < 0.35) return pick(NUMBERS)
    if (r < 0.45) return String(Math.floor(rand() * 2 ** 32) - 2 ** 31)
    if (r < 0.55) return pick(['true', 'false', 'null'])
    return str()
  }
  const value = () => {
    if (stack.length < depth && rand() < (out.trim() === '' ? 0.8 : 0.3)) {
      const isArray = rand() < 0.5
      out += isArray ? '[' : '{'
      stack.push({ isArray, left: Math.floor(rand() * width * (rand() < 0.1 ? 20 : 1)), first: true })
    } else {
      out += scalar()
    }
  }
  out += ws()
  value()
  while (stack.length > 0) {
    const top = stack[stack.length - 1]
    if (top.left === 0) {
      out += ws() + (top.isArray ? ']' : '}')
      stack.pop()
      continue
    }
    top.left = out.length > maxLength ? 0 : top.left - 1
    if (top.left === 0 && out.length > maxLength) continue
    out += (top.first ? '' : ',') + ws()
    top.first = false
    if (!top.isArray) out += (rand() < 0.1 ? pick(['"__proto__"', '"dup"', '"1"', '"10"']) : str()) + ws() + ':' + ws()
    value()
  }
  return out + ws()
}

/** The plan native.jsonScan makes for `input` at `sliceBytes`: counts of each op. */
async function planOf (input, sliceBytes = J.sliceBytes.min) {
  const units = typeof input === 'string'
  const bytes = units ? Buffer.from(input, 'utf8') : input
  const [buf] = await scheduler.run((t) => native.jsonScan(t, bytes, sliceBytes, units), scheduler.taskOptions({}))
  const ops = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8)
  const count = { value: 0, array: 0, object: 0, close: 0, items: 0, members: 0, key: 0 }
  const names = Object.keys(count)
  for (let i = 0; i < ops.length; i += 3) count[names[ops[i]]]++
  return count
}

/** Whether the plan splits: more than one slice. */
function splits (count) {
  return count.items + count.members + count.array + count.object > 1
}

module.exports = { same, prng, randomDoc, planOf, splits, NUMBERS, PIECES, J }
