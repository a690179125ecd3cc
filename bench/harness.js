'use strict'
// Shared benchmark helpers: a closed-loop load driver, the event-loop and fs probes, the idle
// baseline, markdown tables and JSON results. Nothing here knows about passwords, so image or
// bytes benches can reuse it.
//
//   const h = require('./harness')
//   const results = await h.runSuite({ name: 'password', cases: [{ group, name, fn }], ... })
//
// A case's `fn` starts one operation and returns a Promise. `concurrency` copies of a loop
// call it back to back for `seconds`; operations begun before the deadline all complete and
// count, and ops/s divides by the time until the last one settled.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')

const RESULTS_DIR = path.join(__dirname, 'results')
const FS_PROBE_INTERVAL_MS = 20
const FS_PROBE_BYTES = 4096

/** A number from the environment, or `fallback`. */
function envNumber (name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`)
  return n
}

/** BENCH_FILTER as a case-insensitive RegExp, or null for every case. */
function envFilter (name = 'BENCH_FILTER') {
  const raw = process.env[name]
  return raw ? new RegExp(raw, 'i') : null
}

/** The p-th percentile (0..100) of an ascending-sorted array, nearest rank; NaN when empty. */
function percentile (sorted, p) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Creates the fs probe's 4 KiB file in the OS temp dir; `cleanup()` removes it. */
function createProbeFile () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-bench-'))
  const file = path.join(dir, 'probe.bin')
  fs.writeFileSync(file, Buffer.alloc(FS_PROBE_BYTES, 0x61))
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

/**
 * Starts the probes: event-loop delay (monitorEventLoopDelay, resolution 1 ms) and a 4 KiB
 * fs.promises.readFile issued every 20 ms. An fs read's latency runs from its call to its
 * settlement; a read delayed by a blocked loop shows in the loop delay instead. `stop()`
 * waits for the reads still in flight and returns the figures in ms.
 */
function startProbes (probeFile) {
  const loop = monitorEventLoopDelay({ resolution: 1 })
  const fsLatencies = []
  const inFlight = new Set()
  let fsErrors = 0
  const readOnce = () => {
    const t0 = performance.now()
    const p = fs.promises.readFile(probeFile).then(
      () => { fsLatencies.push(performance.now() - t0) },
      () => { fsErrors++ }
    ).finally(() => inFlight.delete(p))
    inFlight.add(p)
  }
  const timer = setInterval(readOnce, FS_PROBE_INTERVAL_MS)
  loop.enable()
  return {
    async stop () {
      clearInterval(timer)
      loop.disable()
      await Promise.all(inFlight)
      fsLatencies.sort((a, b) => a - b)
      return {
        loopP50Ms: loop.count > 0 ? loop.percentile(50) / 1e6 : NaN,
        loopP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : NaN,
        loopMaxMs: loop.count > 0 ? loop.max / 1e6 : NaN,
        loopSamples: loop.count,
        fsP50Ms: percentile(fsLatencies, 50),
        fsP99Ms: percentile(fsLatencies, 99),
        fsMaxMs: fsLatencies.length > 0 ? fsLatencies[fsLatencies.length - 1] : NaN,
        fsReads: fsLatencies.length,
        fsErrors
      }
    }
  }
}

/**
 * Closed-loop load: `concurrency` loops each await `fn()` back to back until `seconds` have
 * passed. With `record`, keeps each operation's latency (ms). A failing operation counts as an
 * error and the loop goes on; the first error is kept.
 */
async function load ({ fn, concurrency, seconds, record = true }) {
  const latencies = record ? [] : null
  let ops = 0
  let errors = 0
  let firstError
  const start = performance.now()
  const deadline = start + seconds * 1000
  async function worker () {
    while (performance.now() < deadline) {
      const t0 = performance.now()
      try {
        await fn()
        ops++
        if (record) latencies.push(performance.now() - t0)
      } catch (err) {
        errors++
        if (firstError === undefined) firstError = err
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = performance.now() - start
  if (record) latencies.sort((a, b) => a - b)
  return {
    ops,
    errors,
    firstError: firstError === undefined ? undefined : String(firstError.code ?? firstError.message ?? firstError),
    elapsedMs,
    opsPerSec: ops / (elapsedMs / 1000),
    p50Ms: record ? percentile(latencies, 50) : NaN,
    p99Ms: record ? percentile(latencies, 99) : NaN
  }
}

/** One case: one untimed warm-up call, then `load` with the probes running. */
async function measureCase ({ fn, concurrency, seconds, probeFile }) {
  await fn() // untimed warm-up: lazy pools start, JIT and allocators settle
  const probes = startProbes(probeFile)
  const result = await load({ fn, concurrency, seconds })
  return { ...result, ...(await probes.stop()) }
}

/** The probes with no load, for `seconds`: the baseline the loaded figures compare with. */
async function measureIdle ({ seconds, probeFile }) {
  const probes = startProbes(probeFile)
  await sleep(seconds * 1000)
  return probes.stop()
}

/** What the figures were measured on. */
function machineInfo () {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ? Number(process.env.UV_THREADPOOL_SIZE) : 4,
    date: new Date().toISOString()
  }
}

/** Formats a number for a table: '—' for NaN/undefined, fewer decimals as it grows. */
function fmt (n, digits) {
  if (n === undefined || n === null || Number.isNaN(n)) return '—'
  if (digits !== undefined) return n.toFixed(digits)
  const abs = Math.abs(n)
  return n.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2)
}

/** A markdown table. `columns`: [{ header, value: (row) => string, align: 'left' | 'right' }]. */
function markdownTable (columns, rows) {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row))))
  const widths = columns.map((c, i) => Math.max(c.header.length, 3, ...cells.map((r) => r[i].length)))
  const pad = (s, i) => (columns[i].align === 'left' ? s.padEnd(widths[i]) : s.padStart(widths[i]))
  const line = (parts) => `| ${parts.join(' | ')} |`
  return [
    line(columns.map((c, i) => pad(c.header, i))),
    line(columns.map((c, i) => (c.align === 'left' ? ':' + '-'.repeat(widths[i] - 1) : '-'.repeat(widths[i] - 1) + ':'))),
    ...cells.map((r) => line(r.map(pad)))
  ].join('\n')
}

/** Writes `bench/results/<name>.json` with the machine info; returns its path. */
function writeResults (name, data) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `${name}.json`)
  fs.writeFileSync(file, JSON.stringify({ name, machine: machineInfo(), ...data }, null, 2) + '\n')
  return file
}

/**
 * Runs a suite in this process: the idle baseline first, then each case (`{ group, name, fn,
 * setup?, teardown? }`) whose "group / name" matches `filter`, one after another. `setup()` may
 * return the case's `fn`. Prints progress to stderr and returns `{ idle, results }`.
 */
async function runSuite ({ cases, seconds, concurrency, idleSeconds = 3, filter = null, pauseMs = 250 }) {
  const probe = createProbeFile()
  try {
    const selected = cases.filter((c) => filter === null || filter.test(`${c.group} / ${c.name}`))
    if (selected.length === 0) throw new Error(`no case matches ${filter}`)
    process.stderr.write(`idle baseline (${idleSeconds} s)... `)
    const idle = await measureIdle({ seconds: idleSeconds, probeFile: probe.file })
    process.stderr.write(`loop p99 ${fmt(idle.loopP99Ms)} ms\n`)
    const results = []
    for (const c of selected) {
      process.stderr.write(`${c.group} / ${c.name} (c=${concurrency}, ${seconds} s)... `)
      let r
      try {
        const fn = (c.setup ? await c.setup() : undefined) ?? c.fn
        r = await measureCase({ fn, concurrency, seconds, probeFile: probe.file })
        if (c.teardown) await c.teardown()
      } catch (err) { // setup or warm-up failed: report the case, go on with the others
        r = { ops: 0, errors: 1, firstError: String(err.code ?? err.message ?? err), opsPerSec: NaN }
      }
      results.push({ group: c.group, name: c.name, ...r })
      process.stderr.write(`${fmt(r.opsPerSec)} ops/s${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}\n`)
      if (global.gc) global.gc()
      await sleep(pauseMs) // let the previous case's memory and threads settle
    }
    return { idle, results }
  } finally {
    probe.cleanup()
  }
}

module.exports = {
  envNumber,
  envFilter,
  percentile,
  sleep,
  createProbeFile,
  startProbes,
  load,
  measureCase,
  measureIdle,
  machineInfo,
  fmt,
  markdownTable,
  writeResults,
  runSuite
}
