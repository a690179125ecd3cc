'use strict'
// `npm run bench:scale`, the cluster half: node:cluster with 2 and 4 processes, each with offthread's
// default pool (one thread per CPU), under argon2id 64 MiB and image load, without and with the machine-wide
// budget (configure({ machine }) via OFFTHREAD_MACHINE=1 and a private OFFTHREAD_MACHINE_DIR per run).
// Then bench/scale-bullmq.js, when it exists, for the BullMQ rows (BENCH_SCALE_SKIP_BULLMQ=1 skips it).
//
// Per (processes, load, budget), with fresh processes:
//   1. idle baseline: the sum of the workers' RSS (/proc/<pid>/status VmRSS) once they have loaded offthread and
//      their input, before any task;
//   2. closed loop, BENCH_SECONDS (8): every process keeps 2 x threads tasks in flight. Throughput (tasks begun
//      before the deadline, over the time until the last settled), task latency p50/p99 (submit to settle, in
//      the worker), the peak of the summed RSS (sampled every 25 ms) minus the idle baseline, and each
//      process's event-loop p99 (monitorEventLoopDelay, 1 ms resolution), and tasks per CPU-second the
//      processes used (/proc/<pid>/stat), which a busy host's other processes do not skew;
//   3. open loop, BENCH_OPEN_SECONDS (12): Poisson arrivals (seeded, the same sequence for both budgets) at
//      BENCH_LOAD (0.7) x the capacity measured in step 2 without the budget, sent round-robin to the
//      processes over IPC; latency from a task's arrival at its process to its settle. A closed loop cannot
//      show a median gain: with N tasks always in flight, Little's law fixes the mean latency at N/throughput.
// Targets (issue 13), budget against none: memory above idle <= 0.6x, throughput >= 0.95x, open-loop median
// <= 0.8x. Writes bench/results/scale.json. BENCH_SIZES ("2,4"), BENCH_LOADS ("argon2id,image,image-png":
// the bench photo as JPEG, which decodes at a reduced scale, and as PNG, which decodes whole).

const cluster = require('node:cluster')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { monitorEventLoopDelay, performance } = require('node:perf_hooks')

const ARGON2 = { algorithm: 'argon2id', memoryCost: 65536, timeCost: 3, parallelism: 1 }
const IMAGE_WIDTH = 800
const PHOTO = process.env.BENCH_IMAGE ||
  path.join(__dirname, '..', '..', 'shared', 'corpus', 'images', 'bench', '2569067123_aca715a2ee_o.jpg')

/** One task of `load`. 'image-png' reads the PNG the primary made of PHOTO (SCALE_PNG). */
function makeTask (load) {
  const ot = require('..')
  if (load === 'argon2id') return () => ot.hashPassword('correct horse battery staple', ARGON2)
  if (load === 'image' || load === 'image-png') {
    const input = fs.readFileSync(load === 'image' ? PHOTO : process.env.SCALE_PNG)
    return () => ot.image(input).resize(IMAGE_WIDTH).webp({ quality: 80 }).toBuffer()
  }
  throw new Error(`unknown load ${load}`)
}

/**
 * The 'image-png' load's input: PHOTO as a PNG, in a temporary file. A JPEG decodes at a reduced scale
 * (shrink-on-load: 1362×1112 for 800 px), so its task needs a few MiB; a PNG decodes whole (2725×2225 RGB,
 * 17 MiB), the working set of a memory-heavy image task.
 */
async function makePng () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-bench-scale-png-'))
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'photo.png')
  fs.writeFileSync(file, await require('..').image(fs.readFileSync(PHOTO)).png({ compressionLevel: 1 }).toBuffer())
  return file
}

// ---------------------------------------------------------------------------------------------
// Worker: runs tasks as the primary says, reports over IPC.

function worker () {
  const run = makeTask(process.env.SCALE_LOAD)
  const ot = require('..')
  const loop = monitorEventLoopDelay({ resolution: 1 })
  const threads = ot.stats().threads
  process.on('message', async (m) => {
    if (m.cmd === 'closed') {
      loop.reset()
      loop.enable()
      const latencies = []
      let errors = 0
      const start = performance.now()
      const deadline = start + m.seconds * 1000
      const one = async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now()
          try { await run(); latencies.push(performance.now() - t0) } catch { errors++ }
        }
      }
      await Promise.all(Array.from({ length: threads * 2 }, one))
      loop.disable()
      process.send({ ev: 'closed', latencies, errors, elapsedMs: performance.now() - start, loopP99Ms: loop.percentile(99) / 1e6 })
    } else if (m.cmd === 'open-start') {
      loop.reset()
      loop.enable()
    } else if (m.cmd === 'task') {
      const t0 = performance.now()
      run().then(() => process.send({ ev: 'task', id: m.id, ms: performance.now() - t0 }),
        () => process.send({ ev: 'task', id: m.id, error: true }))
    } else if (m.cmd === 'open-end') {
      loop.disable()
      process.send({ ev: 'open-end', loopP99Ms: loop.percentile(99) / 1e6, stats: ot.stats() })
    }
  })
  process.send({ ev: 'ready', threads })
}

// ---------------------------------------------------------------------------------------------
// Primary: the runs and the table.

const h = require('./harness')
const SECONDS = h.envNumber('BENCH_SECONDS', 8)
const OPEN_SECONDS = h.envNumber('BENCH_OPEN_SECONDS', 12)
const OPEN_LOAD = h.envNumber('BENCH_LOAD', 0.7)
const SIZES = (process.env.BENCH_SIZES || '2,4').split(',').map(Number)
const LOADS = (process.env.BENCH_LOADS || 'argon2id,image,image-png').split(',')
const RSS_INTERVAL_MS = 25
const SEED = 0x5eed
const CLOCK_TICKS = 100 // USER_HZ on Linux

function rssBytes (pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
    return m ? Number(m[1]) * 1024 : 0
  } catch { return 0 }
}

/** CPU time (user + system, seconds) used so far by process `pid` (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds (pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS // utime, stime
  } catch { return 0 }
}

/** A seeded uniform PRNG in (0, 1) (mulberry32). */
function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297
  }
}

function nextMessage (w, ev) {
  return new Promise((resolve) => {
    const on = (m) => { if (m.ev === ev) { w.off('message', on); resolve(m) } }
    w.on('message', on)
  })
}

/** Forks `n` workers for `load`, with or without the budget; resolves once all are ready. */
async function startWorkers (n, load, budget, dir, png) {
  const env = { SCALE_LOAD: load, OFFTHREAD_MACHINE: budget ? '1' : '', OFFTHREAD_MACHINE_DIR: dir, SCALE_PNG: png }
  const workers = Array.from({ length: n }, () => cluster.fork(env))
  await Promise.all(workers.map((w) => nextMessage(w, 'ready')))
  return workers
}

async function stopWorkers (workers) {
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    if (w.isDead()) return resolve()
    w.once('exit', resolve)
    w.kill('SIGKILL')
  })))
}

/** Samples the summed RSS of `pids` every RSS_INTERVAL_MS; `stop()` returns the peak. */
function sampleRss (pids) {
  let peak = 0
  const sample = () => { peak = Math.max(peak, pids.reduce((s, pid) => s + rssBytes(pid), 0)) }
  sample()
  const timer = setInterval(sample, RSS_INTERVAL_MS)
  return () => { clearInterval(timer); sample(); return peak }
}

async function idleBaseline (pids) {
  await h.sleep(1000)
  let sum = 0
  for (let i = 0; i < 5; i++) {
    sum += pids.reduce((s, pid) => s + rssBytes(pid), 0)
    await h.sleep(100)
  }
  return sum / 5
}

const sorted = (xs) => [...xs].sort((a, b) => a - b)

async function closedLoop (workers) {
  const pids = workers.map((w) => w.process.pid)
  const stop = sampleRss(pids)
  const cpu0 = pids.reduce((s, pid) => s + cpuSeconds(pid), 0)
  const results = await Promise.all(workers.map((w) => {
    const p = nextMessage(w, 'closed')
    w.send({ cmd: 'closed', seconds: SECONDS })
    return p
  }))
  const peak = stop()
  const cpu = pids.reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0
  const lat = sorted(results.flatMap((r) => r.latencies))
  const elapsedS = Math.max(...results.map((r) => r.elapsedMs)) / 1000
  return {
    tasks: lat.length,
    errors: results.reduce((s, r) => s + r.errors, 0),
    throughput: lat.length / elapsedS,
    // Tasks per CPU-second the processes used: what the work costs, apart from the CPU share the host's
    // other processes leave to the (nice +10) pool threads.
    cpuSeconds: cpu,
    perCpuSecond: lat.length / cpu,
    p50Ms: h.percentile(lat, 50),
    p99Ms: h.percentile(lat, 99),
    peakRss: peak,
    loopP99Ms: results.map((r) => r.loopP99Ms)
  }
}

async function openLoop (workers, rate) {
  const pids = workers.map((w) => w.process.pid)
  const random = prng(SEED)
  const latencies = []
  let errors = 0
  let sent = 0
  let settled = 0
  let allSettled
  const done = new Promise((resolve) => { allSettled = resolve })
  let sending = true
  const onTask = (m) => {
    if (m.ev !== 'task') return
    if (m.error) errors++
    else latencies.push(m.ms)
    if (++settled === sent && !sending) allSettled()
  }
  for (const w of workers) { w.on('message', onTask); w.send({ cmd: 'open-start' }) }
  const stop = sampleRss(pids)
  const start = performance.now()
  let next = start
  while (true) {
    next += (-Math.log(random()) / rate) * 1000
    if (next - start > OPEN_SECONDS * 1000) break
    const wait = next - performance.now()
    if (wait > 1) await h.sleep(wait)
    workers[sent % workers.length].send({ cmd: 'task', id: sent })
    sent++
  }
  sending = false
  if (settled === sent) allSettled()
  await done
  const peak = stop()
  const ends = await Promise.all(workers.map((w) => {
    const p = nextMessage(w, 'open-end')
    w.send({ cmd: 'open-end' })
    return p
  }))
  for (const w of workers) w.off('message', onTask)
  const lat = sorted(latencies)
  return {
    rate,
    tasks: sent,
    errors,
    p50Ms: h.percentile(lat, 50),
    p99Ms: h.percentile(lat, 99),
    peakRss: peak,
    loopP99Ms: ends.map((e) => e.loopP99Ms)
  }
}

async function primary () {
  if (LOADS.some((l) => l.startsWith('image')) && !fs.existsSync(PHOTO)) throw new Error(`image load needs ${PHOTO} (BENCH_IMAGE)`)
  const png = LOADS.includes('image-png') ? await makePng() : ''
  cluster.setupPrimary({ exec: __filename })
  const machine = h.machineInfo()
  const loadBefore = os.loadavg()
  console.error(`bench:scale (cluster half): ${machine.cpu}, ${machine.availableParallelism} CPUs, Node ${machine.node}`)
  const runs = []
  for (const size of SIZES) {
    for (const load of LOADS) {
      let rate
      for (const budget of [false, true]) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-bench-scale-'))
        const label = `${size} processes, ${load}, ${budget ? 'machine budget' : 'no budget'}`
        process.stderr.write(`${label}: `)
        const workers = await startWorkers(size, load, budget, dir, png)
        try {
          const pids = workers.map((w) => w.process.pid)
          const idleRss = await idleBaseline(pids)
          const closed = await closedLoop(workers)
          rate ??= closed.throughput * OPEN_LOAD // capacity: the closed loop without the budget
          process.stderr.write(`closed ${h.fmt(closed.throughput)} tasks/s; open at ${h.fmt(rate)}/s... `)
          await h.sleep(500)
          const open = await openLoop(workers, rate)
          process.stderr.write(`p50 ${h.fmt(open.p50Ms)} ms\n`)
          runs.push({ size, load, budget, threadsPerProcess: machine.availableParallelism, idleRss, closed, open })
        } finally {
          await stopWorkers(workers)
          fs.rmSync(dir, { recursive: true, force: true })
        }
      }
    }
  }

  const MiB = (b) => b / 2 ** 20
  const aboveIdle = (r) => MiB(r.closed.peakRss - r.idleRss)
  const rows = runs.map((r) => ({ ...r, aboveIdleMiB: aboveIdle(r) }))
  console.log(`\nHost load average before/after (1 min): ${h.fmt(loadBefore[0])} / ${h.fmt(os.loadavg()[0])}`)
  console.log(`\n### bench:scale, cluster (${machine.cpu}, ${machine.availableParallelism} CPUs, Node ${machine.node}; ` +
    `closed loop ${SECONDS} s at 2 x threads in flight per process, open loop ${OPEN_SECONDS} s of Poisson arrivals at ${OPEN_LOAD} x the no-budget capacity)\n`)
  console.log(h.markdownTable([
    { header: 'processes', value: (r) => r.size },
    { header: 'load', value: (r) => r.load, align: 'left' },
    { header: 'budget', value: (r) => (r.budget ? 'machine' : 'none'), align: 'left' },
    { header: 'tasks/s', value: (r) => h.fmt(r.closed.throughput) },
    { header: 'tasks/CPU-s', value: (r) => h.fmt(r.closed.perCpuSecond) },
    { header: 'p50 ms', value: (r) => h.fmt(r.closed.p50Ms) },
    { header: 'p99 ms', value: (r) => h.fmt(r.closed.p99Ms) },
    { header: 'peak RSS above idle MiB', value: (r) => h.fmt(r.aboveIdleMiB, 0) },
    { header: 'loop p99 ms (each process)', value: (r) => r.closed.loopP99Ms.map((x) => h.fmt(x)).join(' / '), align: 'left' },
    { header: 'open rate/s', value: (r) => h.fmt(r.open.rate) },
    { header: 'open p50 ms', value: (r) => h.fmt(r.open.p50Ms) },
    { header: 'open p99 ms', value: (r) => h.fmt(r.open.p99Ms) }
  ], rows))

  const comparisons = []
  for (const size of SIZES) {
    for (const load of LOADS) {
      const off = rows.find((r) => r.size === size && r.load === load && !r.budget)
      const on = rows.find((r) => r.size === size && r.load === load && r.budget)
      if (!off || !on) continue
      comparisons.push({
        size,
        load,
        memory: on.aboveIdleMiB / off.aboveIdleMiB,
        throughput: on.closed.throughput / off.closed.throughput,
        perCpuSecond: on.closed.perCpuSecond / off.closed.perCpuSecond,
        openMedian: on.open.p50Ms / off.open.p50Ms,
        openP99: on.open.p99Ms / off.open.p99Ms
      })
    }
  }
  const mark = (ok) => (ok ? 'met' : 'NOT met')
  console.log('\nBudget against none (targets: memory above idle <= 0.6x, throughput >= 0.95x, open-loop median <= 0.8x):\n')
  console.log(h.markdownTable([
    { header: 'processes', value: (c) => c.size },
    { header: 'load', value: (c) => c.load, align: 'left' },
    { header: 'memory', value: (c) => `${h.fmt(c.memory, 2)}x (${mark(c.memory <= 0.6)})`, align: 'left' },
    { header: 'throughput', value: (c) => `${h.fmt(c.throughput, 2)}x (${mark(c.throughput >= 0.95)})`, align: 'left' },
    { header: 'tasks/CPU-s', value: (c) => `${h.fmt(c.perCpuSecond, 2)}x`, align: 'left' },
    { header: 'open median', value: (c) => `${h.fmt(c.openMedian, 2)}x (${mark(c.openMedian <= 0.8)})`, align: 'left' },
    { header: 'open p99', value: (c) => `${h.fmt(c.openP99, 2)}x`, align: 'left' }
  ], comparisons))
  const file = h.writeResults('scale', {
    params: { seconds: SECONDS, openSeconds: OPEN_SECONDS, openLoad: OPEN_LOAD, sizes: SIZES, loads: LOADS, argon2: ARGON2, image: { input: path.basename(PHOTO), png: 'the same photo as PNG (image-png)', width: IMAGE_WIDTH, format: 'webp' } },
    runs: rows,
    comparisons,
    // Other processes' load on the host (1/5/15 min), before and after: pool threads run at nice +10, so a
    // busy host takes more from 2 slot holders than from 4-8 unbudgeted threads.
    loadAverage: { before: loadBefore, after: os.loadavg() }
  })
  console.error(`\nwrote ${path.relative(process.cwd(), file)}`)

  const bullmq = path.join(__dirname, 'scale-bullmq.js')
  if (fs.existsSync(bullmq) && !process.env.BENCH_SCALE_SKIP_BULLMQ) {
    console.error('\nbench/scale-bullmq.js (the BullMQ rows):')
    const r = spawnSync(process.execPath, [bullmq], { stdio: 'inherit' })
    if (r.status !== 0) process.exitCode = r.status ?? 1
  }
}

if (cluster.isWorker) {
  worker()
} else {
  primary().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
