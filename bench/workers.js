'use strict'
// Your own JavaScript on worker threads (issue 12): offthread's workers() against piscina (with and
// without niceIncrement), workerpool and tinypool, each in its own process, all with `threads` workers
// (the machine's available parallelism, what each sizes itself to).
//
//   npm run bench:workers
//   BENCH_SECONDS=4 BENCH_SERIAL_N=5000 BENCH_FILTER=piscina npm run bench:workers
//
// The pools' processes are all up at once and each phase below runs for every pool before the next phase
// (rotating which pool goes first), so a column's rows are measured seconds apart on a noisy machine.
// Per pool: the no-op round trip (serial mean and p99, then 64 in flight for BENCH_SECONDS); the
// throughput of a 5 ms CPU-bound task at concurrency 32; while CPU-bound tasks saturate every thread
// (2 × threads in flight): the loop's p99 (monitorEventLoopDelay), an Express /health's latency seen by
// a client process (one GET every 10 ms), and a 4 KiB fs.readFile's p99 (every 20 ms), beside the
// same figures idle; the same with allocation-heavy tasks (V8's GC and compiler threads are the
// process's, at normal priority, whatever the worker's nice); and a mixed load, offthread's argon2id
// (OWASP parameters) beside the pool's JS tasks: the most CPU-heavy things running at once (sampled
// every 0.5 ms from another thread: native tasks from offthread's counters, JS tasks from a counter the
// tasks update) and the loop's p99.

const path = require('node:path')
const http = require('node:http')
const { fork, execFileSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { performance } = require('node:perf_hooks')
const os = require('node:os')
const h = require('./harness')

const SECONDS = h.envNumber('BENCH_SECONDS', 3)
const SERIAL_N = h.envNumber('BENCH_SERIAL_N', 5000)
const IN_FLIGHT = h.envNumber('BENCH_INFLIGHT', 64)
const FILTER = h.envFilter()
const THREADS = os.availableParallelism()
const TASKS = path.join(__dirname, 'workers-tasks.js')
const PEERS = ['offthread', 'piscina', 'piscina (niceIncrement 10)', 'workerpool', 'tinypool']

/** A pool of `THREADS` workers: `run(name, arg)` → Promise, `close()`. */
async function openPool (peer) {
  if (peer === 'offthread') {
    const ot = require('..')
    const pool = ot.workers(TASKS, { minThreads: THREADS, maxThreads: THREADS })
    return { run: (name, arg) => pool.run(name, [arg]), close: () => pool.close() }
  }
  if (peer.startsWith('piscina')) {
    const { Piscina } = require('piscina')
    const pool = new Piscina({
      filename: TASKS, minThreads: THREADS, maxThreads: THREADS, ...(peer.includes('nice') ? { niceIncrement: 10 } : {})
    })
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() }
  }
  if (peer === 'workerpool') {
    const workerpool = require('workerpool')
    const pool = workerpool.pool(path.join(__dirname, 'workers-wp.js'), { minWorkers: THREADS, maxWorkers: THREADS, workerType: 'thread' })
    return { run: (name, arg) => pool.exec(name, [arg]), close: () => pool.terminate() }
  }
  if (peer === 'tinypool') {
    const { Tinypool } = await import('tinypool')
    const pool = new Tinypool({ filename: TASKS, minThreads: THREADS, maxThreads: THREADS })
    return { run: (name, arg) => pool.run(arg, { name }), close: () => pool.destroy() }
  }
  throw new Error(`unknown pool ${peer}`)
}

// ---------------------------------------------------------------------------------------------
// The /health client (its own process, so that its timing is not the measured loop's)

function client (port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  let latencies = []
  let timer
  const once = () => {
    const t0 = performance.now()
    http.get({ port, path: '/health', agent }, (res) => {
      res.resume()
      res.on('end', () => latencies.push(performance.now() - t0))
    }).on('error', () => {})
  }
  process.on('message', (m) => {
    if (m === 'start') {
      latencies = []
      timer = setInterval(once, 10)
    } else if (m === 'stop') {
      clearInterval(timer)
      setTimeout(() => {
        latencies.sort((a, b) => a - b)
        process.send({ p50: h.percentile(latencies, 50), p99: h.percentile(latencies, 99), n: latencies.length })
      }, 100)
    } else if (m === 'exit') {
      process.exit(0)
    }
  })
}

/** Starts the Express app and its client; `measure(seconds)` → /health { p50, p99, n } over that time. */
async function health () {
  const express = require('express')
  const app = express()
  app.get('/health', (req, res) => res.json({ ok: true }))
  const server = await new Promise((resolve) => { const s = app.listen(0, () => resolve(s)) })
  const child = fork(__filename, ['--client', String(server.address().port)], { stdio: 'inherit' })
  const reply = () => new Promise((resolve) => child.once('message', resolve))
  return {
    start: () => child.send('start'),
    stop: async () => { child.send('stop'); return reply() },
    close: () => { child.send('exit'); server.close() }
  }
}

/** Samples (another thread, every 0.5 ms) native tasks running (offthread's counters) + JS tasks running (the tasks' counter). */
function sampler (sab) {
  const code = `
    const { workerData } = require('node:worker_threads')
    const native = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'native.js'))})
    const a = new Int32Array(workerData.sab)
    const out = new Int32Array(workerData.out)
    const nap = new Int32Array(new SharedArrayBuffer(4))
    while (Atomics.load(out, 1) === 0) {
      const s = native.stats()
      const js = native.slotStats()
      const total = Math.max(0, s.running - js.running) + Atomics.load(a, 0)
      if (total > out[0]) out[0] = total
      Atomics.wait(nap, 0, 0, 0.5)
    }`
  const out = new SharedArrayBuffer(8)
  const worker = new Worker(code, { eval: true, workerData: { sab, out } })
  return {
    stop: async () => {
      Atomics.store(new Int32Array(out), 1, 1)
      await new Promise((resolve) => worker.once('exit', resolve))
      return new Int32Array(out)[0]
    }
  }
}

/** Closed loops of `concurrency` calls of `fn` for `seconds`, with the loop/fs probes and /health. */
async function underLoad (probeFile, web, fn, concurrency, seconds) {
  await Promise.all(Array.from({ length: concurrency }, fn)) // warm-up
  const probes = h.startProbes(probeFile)
  web.start()
  const r = await h.load({ fn, concurrency, seconds, record: false })
  const webStats = await web.stop()
  return { opsPerSec: r.opsPerSec, errors: r.errors, firstError: r.firstError, ...(await probes.stop()), healthP99Ms: webStats.p99, healthN: webStats.n }
}

/**
 * One peer's process: opens its pool, /health server and probe file, then runs the phases the parent
 * asks for one at a time (each answers the row fields it measured), so that every phase of every peer
 * runs seconds apart from the same phase of the others and the machine's changing load hits them alike.
 */
async function peerMain (peer) {
  const probe = h.createProbeFile()
  const web = await health()
  const pool = await openPool(peer)
  // Warm-up: the pool's workers started, the client's connection, Express's first requests.
  await Promise.all(Array.from({ length: THREADS * 4 }, () => pool.run('noop')))
  web.start()
  await h.sleep(1000)
  await web.stop()
  for (let i = 0; i < 1000; i++) await pool.run('noop')
  const phases = {
    // Idle baseline: the same probes with the pool's workers started and nothing running.
    idle: async () => {
      const idleProbes = h.startProbes(probe.file)
      web.start()
      await h.sleep(SECONDS * 1000)
      const idleWeb = await web.stop()
      return { idle: { ...(await idleProbes.stop()), healthP99Ms: idleWeb.p99 } }
    },
    serial: async () => {
      for (let i = 0; i < 200; i++) await pool.run('noop') // warm again after the other peers ran
      const us = new Float64Array(SERIAL_N)
      for (let i = 0; i < SERIAL_N; i++) {
        const t0 = performance.now()
        await pool.run('noop')
        us[i] = (performance.now() - t0) * 1000
      }
      us.sort()
      return { serialMeanUs: us.reduce((a, b) => a + b, 0) / us.length, serialP99Us: h.percentile(us, 99) }
    },
    pipelined: async () => ({
      pipelinedOpsPerSec: (await h.load({ fn: () => pool.run('noop'), concurrency: IN_FLIGHT, seconds: SECONDS, record: false })).opsPerSec
    }),
    cpu: async () => ({
      cpu5ms: (await h.load({ fn: () => pool.run('spin', { ms: 5 }), concurrency: 32, seconds: SECONDS + 1, record: false })).opsPerSec
    }),
    saturated: async () => ({ saturated: await underLoad(probe.file, web, () => pool.run('spin', { ms: 20 }), THREADS * 2, SECONDS) }),
    allocating: async () => ({ allocating: await underLoad(probe.file, web, () => pool.run('alloc', { ms: 20 }), THREADS * 2, SECONDS) }),
    // Mixed: offthread's argon2id beside this pool's JS tasks.
    mixed: async () => {
      const ot = require('..')
      const sab = new SharedArrayBuffer(8)
      const watch = sampler(sab)
      let hashes = 0
      let jsTasks = 0
      const probes = h.startProbes(probe.file)
      const end = performance.now() + SECONDS * 1000
      await Promise.all([
        ...Array.from({ length: THREADS * 2 }, async () => { while (performance.now() < end) { await ot.hashPassword('pw'); hashes++ } }),
        ...Array.from({ length: THREADS * 2 }, async () => { while (performance.now() < end) { await pool.run('spin', { ms: 10, sab }); jsTasks++ } })
      ])
      const loop = await probes.stop()
      return { mixed: { mostRunning: await watch.stop(), jsMostRunning: new Int32Array(sab)[1], hashesPerSec: hashes / SECONDS, jsPerSec: jsTasks / SECONDS, loopP99Ms: loop.loopP99Ms } }
    }
  }
  process.on('message', (m) => {
    if (m === 'close') {
      Promise.resolve(pool.close()).finally(() => {
        web.close()
        probe.cleanup()
        process.exit(0)
      })
      return
    }
    phases[m]().then((fields) => process.send(fields), (err) => { console.error(err); process.exit(1) })
  })
  process.send('ready')
}

/** The phases, in the order they run; each runs for every peer before the next starts. */
const PHASES = ['idle', 'serial', 'pipelined', 'cpu', 'saturated', 'allocating', 'mixed']

function cpuModel () {
  try {
    return execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: 'utf8' }).trim()
  } catch {
    return os.cpus()[0]?.model ?? 'unknown'
  }
}

async function main () {
  const peers = PEERS.filter((p) => FILTER === null || FILTER.test(p))
  // Every peer's process is up at once (idle between its phases); each phase runs peer after peer, starting
  // with a different peer each phase, so no peer always measures first or last.
  const children = await Promise.all(peers.map((peer) => new Promise((resolve, reject) => {
    const child = fork(__filename, ['--peer', peer], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    child.once('message', () => resolve(child))
    child.once('exit', (code) => reject(new Error(`${peer} exited with ${code}`)))
  })))
  const ask = (child, phase) => new Promise((resolve) => { child.once('message', resolve); child.send(phase) })
  const rows = peers.map((peer) => ({ peer }))
  for (const [i, phase] of PHASES.entries()) {
    process.stderr.write(`${phase}: `)
    for (let j = 0; j < peers.length; j++) {
      const k = (i + j) % peers.length
      Object.assign(rows[k], await ask(children[k], phase))
      process.stderr.write(`${peers[k]}; `)
      await h.sleep(200)
    }
    process.stderr.write('\n')
  }
  await Promise.all(children.map((child) => new Promise((resolve) => { child.once('exit', resolve); child.send('close') })))
  const f = (n, d) => h.fmt(n, d)
  const best = Math.max(...rows.filter((r) => r.peer !== 'offthread').map((r) => r.cpu5ms))
  console.log(`\n## Worker tasks: ${THREADS} workers each; ${cpuModel()} (${os.cpus().length} vCPU), Node ${process.version}, ${new Date().toISOString()}\n`)
  console.log(`Round trip: ${SERIAL_N} serial no-ops after 1000; pipelined: ${IN_FLIGHT} in flight for ${SECONDS} s. CPU: 5 ms tasks at concurrency 32 ` +
    `for ${SECONDS + 1} s. Saturated: ${THREADS * 2} CPU-bound 20 ms tasks in flight for ${SECONDS} s (allocating: the same with ` +
    `allocation-heavy tasks); /health: one GET every 10 ms from another process. Mixed: ${THREADS * 2} argon2id hashes ` +
    `(offthread, 19 MiB, t=2) + ${THREADS * 2} JS 10 ms tasks in flight; "most running" sampled every 0.5 ms. ` +
    'Each pool in its own process, all up at once; each phase runs pool after pool (a different one first each phase), ' +
    'so the rows of one column were measured within seconds of each other.\n')
  console.log(h.markdownTable([
    { header: 'pool', value: (r) => r.peer, align: 'left' },
    { header: 'no-op mean µs', value: (r) => f(r.serialMeanUs, 1) },
    { header: 'no-op p99 µs', value: (r) => f(r.serialP99Us, 1) },
    { header: 'pipelined ops/s', value: (r) => Math.round(r.pipelinedOpsPerSec).toLocaleString('en-US') },
    { header: '5 ms tasks/s', value: (r) => f(r.cpu5ms, 1) },
    { header: 'vs best peer', value: (r) => f(r.cpu5ms / best, 2) }
  ], rows))
  console.log('\nLatency in ms, idle → saturated (CPU-bound) / allocating:\n')
  console.log(h.markdownTable([
    { header: 'pool', value: (r) => r.peer, align: 'left' },
    { header: 'loop p99 idle', value: (r) => f(r.idle.loopP99Ms) },
    { header: 'loop p99 saturated', value: (r) => f(r.saturated.loopP99Ms) },
    { header: 'loop p99 allocating', value: (r) => f(r.allocating.loopP99Ms) },
    { header: '/health p99 idle', value: (r) => f(r.idle.healthP99Ms) },
    { header: '/health p99 saturated', value: (r) => f(r.saturated.healthP99Ms) },
    { header: '/health p99 allocating', value: (r) => f(r.allocating.healthP99Ms) },
    { header: 'readFile p99 idle', value: (r) => f(r.idle.fsP99Ms) },
    { header: 'readFile p99 saturated', value: (r) => f(r.saturated.fsP99Ms) }
  ], rows))
  console.log(`\nMixed load (threads = ${THREADS}):\n`)
  console.log(h.markdownTable([
    { header: 'pool', value: (r) => r.peer, align: 'left' },
    { header: 'most running at once', value: (r) => String(r.mixed.mostRunning) },
    { header: 'JS tasks at once', value: (r) => String(r.mixed.jsMostRunning) },
    { header: 'argon2id/s', value: (r) => f(r.mixed.hashesPerSec, 1) },
    { header: 'JS tasks/s', value: (r) => f(r.mixed.jsPerSec, 1) },
    { header: 'loop p99 ms', value: (r) => f(r.mixed.loopP99Ms) }
  ], rows))
  const file = h.writeResults('workers', { config: { seconds: SECONDS, serialN: SERIAL_N, inFlight: IN_FLIGHT, threads: THREADS }, rows })
  console.log(`\nJSON: ${file}`)
}

if (process.argv[2] === '--client') {
  client(Number(process.argv[3]))
} else if (process.argv[2] === '--peer') {
  peerMain(process.argv[3]).catch((err) => { console.error(err); process.exit(1) })
} else {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
