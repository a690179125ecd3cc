'use strict'
// Leak check: many tasks of every kind, then the heap and RSS must be where they were after warm-up.
//
//   npm run bench:leak                           (node --expose-gc bench/leak.js)
//   node --expose-gc bench/leak.js --scale 0.1   a smoke run with a tenth of the counts
//
// Flags: --scale (multiplies every count, default 1), --concurrency (tasks in flight, default 64),
// --warmup (the warm-up's share of each count, default 1: a full pass), --heap-snapshots DIR (writes
// after-warmup.heapsnapshot and after-run.heapsnapshot there, to diff in Chrome DevTools), --out
// (results name, default 'leak': bench/results/leak.json).
//
// Phases, at scale 1:
// - 100,000 hashPassword + verifyPassword pairs, alternating bcrypt cost 4 and argon2id
//   m=1024 t=1, strings and Buffers; every 10th verify uses a wrong password and must be false;
// - 20,000 image pipelines: image(jpeg).resize(64).jpeg().toBuffer() on a 227×149 JPEG;
// - 20,000 compress + decompress round trips over gzip, deflate, deflate-raw, brotli, zstd and lz4,
//   on 8 KiB (copied) and 96 KiB (borrowed, zero-copy) inputs, each compared with its input;
// - 5,000 tasks aborted while queued: one lane per pool thread keeps that thread busy with bcrypt
//   cost 8 while the other lanes submit a task (hash, verify, image, compress, digest, noop) and
//   abort it in the same tick;
// - 5,000 tasks aborted while running: one lane per pool thread submits a long task (bcrypt
//   cost 12, argon2id 64 MiB, scrypt, a 1800×1200 image pipeline, gzip 9 of 4 MiB, SHA-512 of
//   32 MiB) and aborts it 1–4 ms later.
// The warm-up is one full pass of the same work (--warmup 1), the run a second one: a leak grows
// with the work, so it shows again in the second pass, while one-time growth does not. Shorter
// warm-ups (10 %, 25 %) left V8's optimised code and the capacity of Node's internal WeakMap and
// WeakSet tables (abort events, DOMException) still growing in the run: +0.3 to +0.5 MiB of a
// ~4 MiB heap (+6.8 % to +13.7 %), which heap snapshot diffs put on code and table capacity, not
// on retained objects.
// After each phase, global.gc() runs several times and process.memoryUsage() is recorded;
// heapUsed and RSS after the run must be within 10% of their values after the warm-up (exit
// code 1 otherwise).
// Figures: Markdown on stdout, bench/results/leak.json.

const fs = require('node:fs')
const path = require('node:path')
const v8 = require('node:v8')
const { setTimeout: sleep, setImmediate: tick } = require('node:timers/promises')
const ot = require('..')
const h = require('./harness')

const FIXTURES = path.join(__dirname, '..', '__test__', 'fixtures', 'images')
const SMALL_JPEG = fs.readFileSync(path.join(FIXTURES, 'jpeg', 'ljt-testorig.jpg'))
const LARGE_JPEG = fs.readFileSync(path.join(FIXTURES, 'exif', 'Landscape_1.jpg'))
const LIMIT = 0.10
const BCRYPT = { algorithm: 'bcrypt', cost: 4 }
const ARGON2 = { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1, parallelism: 1 }
const FORMATS = ['gzip', 'deflate', 'deflate-raw', 'brotli', 'zstd', 'lz4']

/** A flag `--name value` as a positive number, else `fallback`. */
function flag (name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const n = Number(process.argv[i + 1])
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${process.argv[i + 1]}`)
  return n
}

/** Compressible text of `bytes` bytes: JSON-ish lines with varying numbers. */
function text (bytes) {
  let s = ''
  for (let i = 0; s.length < bytes; i++) s += `{"id":${i},"name":"item ${i % 97}","score":${(i * 7919) % 1000},"tags":["a","b${i % 13}"]}\n`
  return Buffer.from(s.slice(0, bytes))
}
const SMALL_TEXT = text(8 * 1024)
const LARGE_TEXT = text(96 * 1024) // over offthread's 64 KiB copy threshold: read in place
const MIB_TEXT = text(1 << 20)
const FOUR_MIB_TEXT = text(4 << 20)
const BIG_BLOB = Buffer.alloc(32 << 20, 0x5a)

/** Throws when `cond` is false: a wrong result stops the run. */
function check (cond, what) {
  if (!cond) throw new Error(`wrong result: ${what}`)
}

const isAbort = (err) => err?.code === 'ABORT_ERR' && err.name === 'AbortError'

// ---------------------------------------------------------------------------------------------
// Phases. Each `fn(i, tally)` runs one unit of work and checks its result.

async function hashVerify (i) {
  const opts = i % 2 === 0 ? BCRYPT : ARGON2
  const password = i % 4 < 2 ? `password ${i}` : Buffer.from(`password ${i}`)
  const hash = await ot.hashPassword(password, opts)
  if (i % 10 === 9) {
    check(await ot.verifyPassword(hash, `password ${i}!`) === false, 'wrong password verified')
  } else {
    check(await ot.verifyPassword(hash, password) === true, 'right password refused')
  }
}

async function imagePipeline () {
  const out = await ot.image(SMALL_JPEG).resize(64).jpeg().toBuffer()
  check(out[0] === 0xff && out[1] === 0xd8 && out.length > 100, 'not a JPEG')
}

async function roundTrip (i) {
  const format = FORMATS[i % FORMATS.length]
  const input = i % 2 === 0 ? SMALL_TEXT : LARGE_TEXT
  const packed = await ot.compress(input, { format })
  check(packed.length < input.length, `${format} did not compress`)
  const unpacked = await ot.decompress(packed, { format })
  check(unpacked.equals(input), `${format} round trip differs`)
}

/** Tasks to abort: quick ones (aborted while queued) and long ones (aborted while running). */
const QUEUED_KINDS = [
  (signal) => ot.hashPassword('queued', { algorithm: 'bcrypt', cost: 6, signal }),
  (signal) => ot.verifyPassword('$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm', 'x', { signal }),
  (signal) => ot.image(SMALL_JPEG).resize(64).jpeg().toBuffer({ signal }),
  (signal) => ot.compress(LARGE_TEXT, { format: 'zstd', signal }),
  (signal) => ot.digest('sha256', MIB_TEXT, { signal }),
  (signal) => ot.noop({ signal })
]
const RUNNING_KINDS = [
  (signal) => ot.hashPassword('running', { algorithm: 'bcrypt', cost: 12, signal }),
  (signal) => ot.hashPassword('running', { algorithm: 'argon2id', memoryCost: 65536, timeCost: 3, signal }),
  (signal) => ot.hashPassword('running', { algorithm: 'scrypt', logN: 15, signal }),
  (signal) => ot.image(LARGE_JPEG).resize(1000).webp({ effort: 6 }).toBuffer({ signal }),
  // gzip 9 checks the signal after each MiB (~30 ms of work). Not brotli 11 or zstd 19: they
  // take seconds per MiB and only check between MiBs, so an abort waits that long.
  (signal) => ot.compress(FOUR_MIB_TEXT, { format: 'gzip', level: 9, signal }),
  (signal) => ot.digest('sha512', BIG_BLOB, { signal })
]

/** Submits a task and aborts it in the same tick, while blockers keep every pool thread busy. */
async function abortQueued (i, tally) {
  const controller = new AbortController()
  const p = QUEUED_KINDS[i % QUEUED_KINDS.length](controller.signal)
  controller.abort()
  try {
    await p
    tally.completed++
  } catch (err) {
    if (!isAbort(err)) throw err
    tally.aborted++
  }
}

/** Submits a long task to an idle pool thread and aborts it 1–4 ms later. */
async function abortRunning (i, tally) {
  const controller = new AbortController()
  const p = RUNNING_KINDS[i % RUNNING_KINDS.length](controller.signal)
  const timer = setTimeout(() => controller.abort(), 1 + Math.random() * 3)
  try {
    await p
    tally.completed++
  } catch (err) {
    if (!isAbort(err)) throw err
    tally.aborted++
  } finally {
    clearTimeout(timer)
  }
}

/** `lanes` loops taking the next index until `count` units have run. */
async function runLanes (count, lanes, fn, tally) {
  let next = 0
  const lane = async () => {
    while (next < count) await fn(next++, tally)
  }
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, lane))
}

/** The queued-abort phase: blocker lanes (one per pool thread) run until the aborting lanes are done. */
async function runAbortQueued (count, lanes, tally) {
  let done = false
  const threads = ot.stats().threads
  const blocker = async () => {
    while (!done) {
      await ot.hashPassword('blocker', { algorithm: 'bcrypt', cost: 8 })
      tally.blockers++
    }
  }
  const blockers = Array.from({ length: threads }, blocker)
  await sleep(5) // the blockers are running
  try {
    await runLanes(count, Math.max(1, lanes - threads), abortQueued, tally)
  } finally {
    done = true
    await Promise.all(blockers)
  }
}

function phases (scale, concurrency) {
  const threads = ot.stats().threads
  const n = (x) => Math.max(1, Math.round(x * scale))
  return [
    { name: 'hash + verify', unit: 'pairs', count: n(100000), run: (c, t) => runLanes(c, concurrency, hashVerify, t) },
    { name: 'image pipelines', unit: 'pipelines', count: n(20000), run: (c, t) => runLanes(c, concurrency, imagePipeline, t) },
    { name: 'compress round trips', unit: 'round trips', count: n(20000), run: (c, t) => runLanes(c, concurrency, roundTrip, t) },
    { name: 'aborted while queued', unit: 'tasks', count: n(5000), run: (c, t) => runAbortQueued(c, concurrency, t) },
    { name: 'aborted while running', unit: 'tasks', count: n(5000), run: (c, t) => runLanes(c, threads, abortRunning, t) }
  ]
}

async function runAll (list, share) {
  const rows = []
  for (const phase of list) {
    const count = Math.max(1, Math.round(phase.count * share))
    const tally = { aborted: 0, completed: 0, blockers: 0 }
    const before = ot.stats()
    const t0 = performance.now()
    await phase.run(count, tally)
    const after = ot.stats()
    rows.push({
      phase: phase.name,
      unit: phase.unit,
      count,
      seconds: (performance.now() - t0) / 1000,
      aborted: tally.aborted,
      completedDespiteAbort: tally.completed,
      blockers: tally.blockers,
      poolCompleted: after.completed - before.completed,
      poolCancelled: after.cancelled - before.cancelled,
      poolFailed: after.failed - before.failed,
      memoryAfter: await settle() // heap and RSS after each phase: where growth happens, if any
    })
    const m = rows.at(-1).memoryAfter
    process.stderr.write(`  ${phase.name}: ${count} ${phase.unit} in ${h.fmt(rows.at(-1).seconds)} s; ` +
      `then heapUsed ${h.fmt(m.heapUsed / 2 ** 20, 2)} MiB, RSS ${h.fmt(m.rss / 2 ** 20, 1)} MiB\n`)
  }
  return rows
}

/** Several full GCs with turns of the event loop between them (finalizers release native refs). */
async function settle () {
  for (let i = 0; i < 8; i++) {
    global.gc()
    await tick()
    await sleep(50)
  }
  const s = ot.stats()
  check(s.running === 0 && s.queued === 0 && s.inFlight === 0, `pool not idle: ${JSON.stringify(s)}`)
  const m = process.memoryUsage()
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_used_size]))
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, spaces }
}

async function main () {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc bench/leak.js')
  const scale = flag('scale', 1)
  const concurrency = flag('concurrency', 64)
  const warmupShare = flag('warmup', 1)
  const outAt = process.argv.indexOf('--out')
  const outName = outAt >= 0 ? process.argv[outAt + 1] : 'leak'
  if (!/^[\w-]+$/.test(outName ?? '')) throw new Error('--out takes a name such as leak-node24')
  const snapshotAt = process.argv.indexOf('--heap-snapshots')
  const snapshotDir = snapshotAt >= 0 ? process.argv[snapshotAt + 1] : null
  const list = phases(scale, concurrency)
  const t0 = performance.now()

  process.stderr.write(`warm-up (${warmupShare * 100} % of each count):\n`)
  const warmup = await runAll(list, warmupShare)
  const afterWarmup = warmup.at(-1).memoryAfter
  if (snapshotDir) v8.writeHeapSnapshot(path.join(snapshotDir, 'after-warmup.heapsnapshot'))
  process.stderr.write(`run (scale ${scale}, ${concurrency} in flight):\n`)
  const run = await runAll(list, 1)
  const afterRun = run.at(-1).memoryAfter
  if (snapshotDir) v8.writeHeapSnapshot(path.join(snapshotDir, 'after-run.heapsnapshot'))
  const totalSeconds = (performance.now() - t0) / 1000

  const keys = ['heapUsed', 'rss', 'external', 'arrayBuffers', 'heapTotal']
  const memory = keys.map((key) => ({
    key,
    afterWarmup: afterWarmup[key],
    afterRun: afterRun[key],
    change: afterRun[key] / afterWarmup[key] - 1,
    checked: key === 'heapUsed' || key === 'rss'
  }))
  const pass = memory.filter((m) => m.checked).every((m) => Math.abs(m.change) <= LIMIT)

  const machine = h.machineInfo()
  const fmt = h.fmt
  const mib = (b) => fmt(b / 2 ** 20, 2)
  console.log([
    `## Leak check: scale ${scale}, ${concurrency} in flight`,
    '',
    `${machine.cpu} (${machine.cores} cores), Node ${machine.node}, pool of ${ot.stats().threads} threads; ${fmt(totalSeconds, 0)} s in all.`,
    '',
    h.markdownTable([
      { header: 'phase', value: (r) => r.phase, align: 'left' },
      { header: 'count', value: (r) => `${r.count} ${r.unit}` },
      { header: 's', value: (r) => fmt(r.seconds, 1) },
      { header: 'pool tasks completed', value: (r) => r.poolCompleted },
      { header: 'cancelled', value: (r) => r.poolCancelled },
      { header: 'ABORT_ERR', value: (r) => r.aborted || '—' },
      { header: 'finished before the abort', value: (r) => (r.aborted ? r.completedDespiteAbort : '—') }
    ], run),
    '',
    h.markdownTable([
      { header: 'after gc, following', value: (r) => r.phase, align: 'left' },
      { header: 'warm-up: heapUsed MiB', value: (r) => mib(r.warm.heapUsed) },
      { header: 'RSS MiB', value: (r) => fmt(r.warm.rss / 2 ** 20, 1) },
      { header: 'run: heapUsed MiB', value: (r) => mib(r.memoryAfter.heapUsed) },
      { header: 'RSS MiB ', value: (r) => fmt(r.memoryAfter.rss / 2 ** 20, 1) }
    ], run.map((r, i) => ({ ...r, warm: warmup[i].memoryAfter }))),
    '',
    h.markdownTable([
      { header: 'after gc', value: (m) => m.key + (m.checked ? ` (≤ ${LIMIT * 100} %)` : ''), align: 'left' },
      { header: 'after warm-up MiB', value: (m) => mib(m.afterWarmup) },
      { header: 'after run MiB', value: (m) => mib(m.afterRun) },
      { header: 'change', value: (m) => `${m.change >= 0 ? '+' : ''}${fmt(m.change * 100, 1)} %` }
    ], memory),
    '',
    `heapUsed by V8 space, after warm-up → after run (KiB): ${Object.keys(afterRun.spaces).filter((k) => afterRun.spaces[k] + afterWarmup.spaces[k] > 0)
      .map((k) => `${k} ${fmt(afterWarmup.spaces[k] / 1024, 0)} → ${fmt(afterRun.spaces[k] / 1024, 0)}`).join(', ')}.`,
    '',
    pass ? 'heapUsed and RSS within 10 %: met.' : '**heapUsed or RSS moved by more than 10 %: missed.**'
  ].join('\n'))

  const file = h.writeResults(outName, {
    parameters: { scale, concurrency, warmupShare, bcrypt: BCRYPT, argon2: ARGON2, smallJpeg: 'jpeg/ljt-testorig.jpg (227×149)' },
    totalSeconds,
    warmup,
    run,
    memory,
    heapSpaces: { afterWarmup: afterWarmup.spaces, afterRun: afterRun.spaces },
    pass
  })
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`)
  if (!pass) process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
