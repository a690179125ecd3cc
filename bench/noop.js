'use strict'
// No-op round trip: what it costs to hand a task to another thread and get its Promise back.
//
//   npm run bench:noop
//
// Serial: await one task at a time, BENCH_SERIAL_N (default 20000) after a warm-up; mean and p50 µs.
// Pipelined: 64 in flight (BENCH_INFLIGHT) for BENCH_SECONDS (default 3); ops/s.
// BENCH_FILTER (case-insensitive regex) picks cases by name.

const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { Piscina } = require('piscina')
const h = require('./harness')
const offthread = require('..')

const SERIAL_N = h.envNumber('BENCH_SERIAL_N', 20000)
const WARMUP_N = Math.min(2000, SERIAL_N)
const IN_FLIGHT = h.envNumber('BENCH_INFLIGHT', 64)
const SECONDS = h.envNumber('BENCH_SECONDS', 3)
const FILTER = h.envFilter()

let piscina
const CASES = [
  { name: 'offthread noop (pool)', fn: () => offthread.noop() },
  { name: 'offthread noop (libuv)', fn: () => offthread.noop({ executor: 'libuv' }) },
  {
    name: 'piscina (no-op worker)',
    setup: () => {
      piscina = new Piscina({ filename: path.join(__dirname, 'noop-worker.js') })
      return () => piscina.run(null)
    },
    teardown: () => piscina.destroy()
  }
]

/** Awaits `fn()` `n` times, one at a time; per-call latencies in µs, sorted. */
async function serial (fn, n) {
  const us = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    us[i] = (performance.now() - t0) * 1000
  }
  return us.sort()
}

async function main () {
  const selected = CASES.filter((c) => FILTER === null || FILTER.test(c.name))
  if (selected.length === 0) throw new Error(`no case matches ${FILTER}`)
  const results = []
  for (const c of selected) {
    process.stderr.write(`${c.name}... `)
    const fn = c.setup ? c.setup() : c.fn
    await serial(fn, WARMUP_N) // untimed: threads start, JIT settles
    const us = await serial(fn, SERIAL_N)
    const serialMeanUs = us.reduce((a, b) => a + b, 0) / us.length
    const pipelined = await h.load({ fn, concurrency: IN_FLIGHT, seconds: SECONDS, record: false })
    if (c.teardown) await c.teardown()
    results.push({
      name: c.name,
      serialN: SERIAL_N,
      serialMeanUs,
      serialP50Us: h.percentile(us, 50),
      serialP99Us: h.percentile(us, 99),
      inFlight: IN_FLIGHT,
      pipelinedOpsPerSec: pipelined.opsPerSec,
      pipelinedOps: pipelined.ops,
      errors: pipelined.errors,
      firstError: pipelined.firstError
    })
    process.stderr.write(`${h.fmt(serialMeanUs)} µs, ${Math.round(pipelined.opsPerSec)} ops/s\n`)
    await h.sleep(250)
  }
  const pool = offthread.stats()
  await offthread.close()

  const machine = h.machineInfo()
  console.log(`\n## No-op round trip: serial ${SERIAL_N} after ${WARMUP_N} warm-up; pipelined ${IN_FLIGHT} in flight for ${SECONDS} s\n`)
  console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, offthread pool ${pool.threads} threads, ` +
    `${machine.date}\n`)
  console.log(h.markdownTable([
    { header: 'case', value: (r) => r.name + (r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''), align: 'left' },
    { header: 'serial mean µs', value: (r) => h.fmt(r.serialMeanUs, 1) },
    { header: 'serial p50 µs', value: (r) => h.fmt(r.serialP50Us, 1) },
    { header: 'serial p99 µs', value: (r) => h.fmt(r.serialP99Us, 1) },
    { header: 'pipelined ops/s', value: (r) => Math.round(r.pipelinedOpsPerSec).toLocaleString('en-US') }
  ], results))
  const file = h.writeResults('noop', {
    config: { serialN: SERIAL_N, warmupN: WARMUP_N, inFlight: IN_FLIGHT, seconds: SECONDS, filter: FILTER?.source ?? null },
    offthread: { threads: pool.threads, priority: pool.priority, maxQueue: pool.maxQueue },
    results
  })
  console.log(`\nJSON: ${file}`)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
