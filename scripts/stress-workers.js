'use strict'
// Worker teardown stress: worker_threads that start offthread tasks are terminated at random
// points while the main thread keeps using offthread. The process must never crash, the main
// thread's results must stay right, and after each round the pool must drain (stats().running
// and stats().queued back to 0).
//
//   npm run stress:workers                               50 rounds
//   node scripts/stress-workers.js --rounds 5 --json     what __test__/workers.spec.js runs
//
// Flags: --rounds (default 50), --workers (per round, default 8), --tasks (started by each worker,
// default 50), --max-delay (ms, default 30), --drain-timeout (ms, default 10000), --max-queue (the
// pool's queue, default 1024 so the workers' tasks queue up instead of being refused), --seed
// (default: random, printed), --json (print one JSON line at the end).
//
// Each round: the main thread runs 4 lanes of its own tasks (bcrypt hash + verify, compress +
// decompress, an image pipeline, a SHA-256 digest, each checked against the expected result);
// 8 workers each load the addon and start 50 mixed tasks (argon2id and bcrypt hashes, verifies,
// digests of 1 MiB buffers read in place and of small copied strings, compress then decompress of
// 256 KiB, image pipelines on a 347 KB JPEG read in place and on a small one, metadata and hashFile
// of a path, libuv-executor tasks, noops), half of them with an AbortSignal that fires 0–15 ms
// later. Half the workers are terminated 0–30 ms after creation (often while the addon is still
// loading), the other half 0–30 ms after their tasks started. Then the main lanes stop, and the
// pool must reach running = 0 and queued = 0 within the drain timeout.

const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const IMAGES = path.join(ROOT, '__test__', 'fixtures', 'images')
const LARGE_JPEG_PATH = path.join(IMAGES, 'exif', 'Landscape_1.jpg')
const SMALL_JPEG_PATH = path.join(IMAGES, 'jpeg', 'ljt-testorig.jpg')
const CHEAP_ARGON2 = { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1, parallelism: 1 }

/** A small deterministic PRNG (xorshift32) returning floats in [0, 1). */
function random (seed) {
  let x = (seed >>> 0) || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// Worker side

function workerMain ({ tasks, seed, largeJpeg, smallJpeg, bcryptHash, argon2Hash }) {
  const ot = require(ROOT)
  const rand = random(seed)
  const mib = Buffer.alloc(1 << 20, seed & 0xff)
  const text = Buffer.from('offthread worker teardown '.repeat(10083)) // 262,158 bytes: read in place
  const report = (what) => parentPort.postMessage({ wrong: what })
  const kinds = [
    (o) => ot.hashPassword(`pw ${seed}`, { ...CHEAP_ARGON2, memoryCost: 1024 + 1024 * Math.floor(rand() * 4), ...o }),
    (o) => ot.hashPassword(Buffer.from(`pw ${seed}`), { algorithm: 'bcrypt', cost: 4 + Math.floor(rand() * 3), ...o }),
    (o) => ot.verifyPassword(bcryptHash, 'stress', o).then((ok) => ok === true || report('bcrypt verify')),
    (o) => ot.verifyPassword(argon2Hash, 'wrong', o).then((ok) => ok === false || report('argon2 verify')),
    (o) => ot.digest('sha256', mib, o),
    (o) => ot.digest('blake3', `small ${seed}`, o),
    (o) => ot.compress(text, { format: ['zstd', 'gzip', 'brotli'][Math.floor(rand() * 3)], ...o }),
    (o) => ot.compress(text, { format: 'zstd', ...o })
      .then((z) => ot.decompress(z, { format: 'zstd', ...o }))
      .then((back) => back.equals(text) || report('zstd round trip')),
    (o) => ot.image(largeJpeg, o).resize(320).webp().toBuffer(),
    (o) => ot.image(smallJpeg, o).resize(64).jpeg().toBuffer(),
    (o) => ot.image(LARGE_JPEG_PATH, o).metadata().then((m) => m.width === 1800 || report('metadata')),
    (o) => ot.hashFile(SMALL_JPEG_PATH, 'sha256', o),
    (o) => ot.hashPassword('libuv', { ...CHEAP_ARGON2, executor: 'libuv', ...o }),
    (o) => ot.noop(o)
  ]
  const early = new AbortController()
  const never = new AbortController()
  // offthread adds one abort listener per task; ~12 tasks share each signal here, over Node's
  // default of 10 listeners that warns of a leak.
  require('node:events').setMaxListeners(tasks, early.signal, never.signal)
  let started = 0
  for (let i = 0; i < tasks; i++) {
    const kind = kinds[Math.floor(rand() * kinds.length)]
    const r = rand()
    const o = r < 0.25 ? { signal: early.signal } : r < 0.5 ? { signal: never.signal } : {}
    let p
    try {
      p = kind(o)
    } catch (err) {
      report(`threw synchronously: ${err.code} ${err.message}`)
      continue
    }
    started++
    // Aborts and a full queue are expected; anything else is a finding.
    p.catch((err) => {
      if (err.code !== 'ABORT_ERR' && err.code !== 'ERR_QUEUE_FULL') report(`${err.code}: ${err.message}`)
    })
  }
  setTimeout(() => early.abort(), rand() * 15)
  parentPort.postMessage({ started })
  setInterval(() => {}, 1000) // stay alive until terminated
}

// ---------------------------------------------------------------------------------------------
// Main side

function flag (name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const n = Number(process.argv[i + 1])
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, not ${process.argv[i + 1]}`)
  return n
}

/** The main thread's own work: `lanes` loops of checked tasks until `stop()` is called. */
function mainWork (ot, lanes, fixtures, tally) {
  let stopped = false
  // Random, so its gzip is over 64 KiB too: an offthread-made Buffer passed back as a large input
  // (on Node 24 this once aborted the process at exit; see __test__/workers.spec.js).
  const blob = crypto.randomBytes(96 * 1024)
  const blobSha = crypto.createHash('sha256').update(blob).digest('hex')
  const fail = (what) => { throw new Error(`main thread: wrong result from ${what}`) }
  const kinds = [
    async () => {
      const hash = await ot.hashPassword('main', { algorithm: 'bcrypt', cost: 4 })
      if (await ot.verifyPassword(hash, 'main') !== true) fail('bcrypt verify')
    },
    async () => {
      const z = await ot.compress(blob, { format: 'gzip', level: 1 })
      if (!(await ot.decompress(z)).equals(blob)) fail('gzip round trip')
    },
    async () => {
      const out = await ot.image(fixtures.smallJpeg).resize(64).jpeg().toBuffer({ resolveWithObject: true })
      if (out.info.width !== 64 || out.data[0] !== 0xff) fail('image pipeline')
    },
    async () => {
      if (await ot.digest('sha256', blob) !== blobSha) fail('digest')
    }
  ]
  const lane = async (k) => {
    for (let i = k; !stopped; i++) {
      await kinds[i % kinds.length]()
      tally.mainOps++
    }
  }
  const running = Promise.all(Array.from({ length: lanes }, (_, k) => lane(k)))
  return () => { stopped = true; return running }
}

async function waitDrained (ot, timeoutMs) {
  const t0 = performance.now()
  for (;;) {
    const s = ot.stats()
    if (s.running === 0 && s.queued === 0) return performance.now() - t0
    if (performance.now() - t0 > timeoutMs) return null
    await sleep(5)
  }
}

async function main () {
  const ot = require(ROOT)
  const rounds = flag('rounds', 50)
  const workersPerRound = flag('workers', 8)
  const tasks = flag('tasks', 50)
  const maxDelay = flag('max-delay', 30)
  const drainTimeout = flag('drain-timeout', 10000)
  const seed = flag('seed', crypto.randomInt(1, 2 ** 31))
  const json = process.argv.includes('--json')
  ot.configure({ maxQueue: flag('max-queue', 1024) })
  const rand = random(seed)
  const fixtures = {
    largeJpeg: fs.readFileSync(LARGE_JPEG_PATH),
    smallJpeg: fs.readFileSync(SMALL_JPEG_PATH),
    bcryptHash: await ot.hashPassword('stress', { algorithm: 'bcrypt', cost: 4 }),
    argon2Hash: await ot.hashPassword('stress', CHEAP_ARGON2)
  }
  const tally = {
    rounds: 0,
    workers: 0,
    tasksStarted: 0,
    terminated: { fromCreation: 0, withTasksInFlight: 0 },
    workerErrors: [],
    wrongResults: [],
    mainOps: 0,
    drainMs: []
  }
  const first = ot.stats()
  const t0 = performance.now()
  const log = (line) => { if (!json) console.log(line) }
  log(`seed ${seed}: ${rounds} rounds of ${workersPerRound} workers × ${tasks} tasks, terminated 0–${maxDelay} ms in`)

  for (let round = 0; round < rounds; round++) {
    const stopMain = mainWork(ot, 4, fixtures, tally)
    const exits = []
    for (let i = 0; i < workersPerRound; i++) {
      const worker = new Worker(__filename, { workerData: { tasks, seed: Math.floor(rand() * 2 ** 31), ...fixtures } })
      const fromCreation = (round + i) % 2 === 0
      const delay = rand() * maxDelay
      let timer
      const stop = (kind) => { tally.terminated[kind]++; worker.terminate() }
      if (fromCreation) timer = setTimeout(() => stop('fromCreation'), delay)
      // A worker that never reports (it failed to start) is stopped after 5 s and counted as an error below.
      const guard = setTimeout(() => { tally.workerErrors.push('no start message within 5 s'); worker.terminate() }, 5000)
      worker.on('message', (msg) => {
        if (msg.started !== undefined) {
          tally.tasksStarted += msg.started
          clearTimeout(guard)
          if (!fromCreation) timer = setTimeout(() => stop('withTasksInFlight'), delay)
        }
        if (msg.wrong !== undefined) tally.wrongResults.push(`round ${round}: ${msg.wrong}`)
      })
      worker.on('error', (err) => tally.workerErrors.push(`round ${round}: ${err.stack ?? err}`))
      exits.push(new Promise((resolve) => worker.once('exit', () => {
        clearTimeout(timer)
        clearTimeout(guard)
        resolve()
      })))
      tally.workers++
    }
    await Promise.all(exits)
    await stopMain()
    const drained = await waitDrained(ot, drainTimeout)
    if (drained === null) {
      throw new Error(`round ${round}: the pool did not drain within ${drainTimeout} ms: ${JSON.stringify(ot.stats())}`)
    }
    tally.drainMs.push(drained)
    tally.rounds++
    if (!json && (round + 1) % 10 === 0) log(`  ${round + 1} rounds, ${tally.tasksStarted} worker tasks started, ${tally.mainOps} main-thread ops`)
  }

  const last = ot.stats()
  const out = {
    seed,
    rounds: tally.rounds,
    workers: tally.workers,
    tasksStarted: tally.tasksStarted,
    terminated: tally.terminated,
    mainOps: tally.mainOps,
    maxDrainMs: Math.round(Math.max(...tally.drainMs)),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    pool: { completed: last.completed - first.completed, cancelled: last.cancelled - first.cancelled, failed: last.failed - first.failed, rejected: last.rejected - first.rejected },
    stats: { running: last.running, queued: last.queued, inFlight: last.inFlight },
    workerErrors: tally.workerErrors,
    wrongResults: tally.wrongResults,
    node: process.version
  }
  if (json) {
    console.log(JSON.stringify(out))
  } else {
    log(`done: ${out.rounds} rounds, ${out.workers} workers (${out.terminated.fromCreation} terminated from creation, ` +
      `${out.terminated.withTasksInFlight} with tasks in flight), ${out.tasksStarted} worker tasks started, ` +
      `${out.mainOps} main-thread ops, ${out.seconds} s`)
    log(`pool: ${out.pool.completed} completed, ${out.pool.cancelled} cancelled, ${out.pool.failed} failed, ` +
      `${out.pool.rejected} refused (queue full); drained within ${out.maxDrainMs} ms after every round; ` +
      `now running ${out.stats.running}, queued ${out.stats.queued}`)
    for (const e of [...out.workerErrors, ...out.wrongResults]) log(`  problem: ${e}`)
  }
  if (out.workerErrors.length > 0 || out.wrongResults.length > 0) process.exitCode = 1
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
} else {
  workerMain(workerData)
}
