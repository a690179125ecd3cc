'use strict'
// Overload test: autocannon against the Express demo (examples/express/server.js) with logins,
// thumbnails and health checks at once, far more than the pool can serve.
//
//   npm run bench:load                                   60 s, 200 connections, closed loop
//   node bench/load.js --rate 1 --out load-paced            logins and thumbnails ≤ 1/s per connection
//   node bench/load.js --seconds 10                      a short smoke run
//
// Flags: --seconds (default 60); --connections (total, default 200); --health-connections (of the
// total, default 10; the rest are split evenly between login and thumbnail); --users (signed up
// before the run, default 8); --rate (requests/s per login or thumbnail connection, default 0:
// closed loop, each connection sends again as soon as it is answered); --health-rate (the same for
// /health, default 0; autocannon sends a connection's quota at the start of each second, so a
// rate makes bursts); --loader-nice (niceness of the load generator process, default 10);
// --baseline-seconds (the /health client alone before the run, default 10; 0 skips it);
// --out (results name, default 'load': bench/results/load.json). BENCH_SERVER_NODE_ARGS: extra
// node flags for the server (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof').
//
// Three processes: the server (started on an ephemeral port, niceness 0); the login and thumbnail
// load (one autocannon instance each) in a child process under `nice`, standing in for clients on
// other machines, so that on a small machine it does not take the server's core; and the /health
// client, alone in this process (its own autocannon instance, so /health has its own latencies,
// not slowed by the heavy load generator), with a probe beside it: one keep-alive connection, one
// GET /health every 10 ms (what a load balancer's health check would see). Logins rotate over the
// signed-up users with their right passwords; thumbnails post Landscape_1.jpg (1800×1200, 347 KB)
// as image/jpeg to /thumbnail?w=320.
//
// What is checked (issue #5):
// - no failure other than 503 (the demo answers 503 ERR_QUEUE_FULL when offthread's queue is full):
//   other statuses, connection errors and autocannon's 10 s timeouts all count as failures;
// - /health p99 ≤ 8 ms in every 10 s window;
// - the server's RSS (/proc/<pid>/status, every second) averaged over the last 30 s is within 10%
//   of its average over the first 30 s (for runs under 60 s: the last half against the first half).
// Also reported, to explain the figures: where the machine's CPU went (server JS thread, offthread
// pool, server's other threads, the load generator, other processes; from /proc) and the server's
// own event-loop delay (its GET /stats, polled every second). Linux only (/proc).
// The figures go to stdout as Markdown tables and to bench/results/<out>.json; the exit code is 1
// when a target is missed.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const ROOT = path.join(__dirname, '..')
const SERVER = path.join(ROOT, 'examples', 'express', 'server.js')
const THUMBNAIL_INPUT = path.join(ROOT, '__test__', 'fixtures', 'images', 'exif', 'Landscape_1.jpg')
const HEALTH_P99_TARGET_MS = 8
const RSS_DRIFT_TARGET = 0.10
const WINDOW_SECONDS = 10
const CLOCK_TICKS = 100 // USER_HZ of /proc/*/stat on Linux

// ---------------------------------------------------------------------------------------------
// Shared

/** Loads autocannon, with a hint when the devDependency is missing. */
function loadAutocannon () {
  try {
    return require('autocannon')
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') throw new Error('autocannon is missing: run `npm install` in the repository')
    throw err
  }
}

/**
 * Runs one autocannon instance and counts its responses by status code, keeping every latency
 * (ms); with `keepTimes`, also each response's time since `t0` (ms). The figures come from these
 * events rather than autocannon's summary, which it only aggregates on the main thread.
 */
function runInstance (autocannon, opts, { t0, keepTimes = false } = {}) {
  return new Promise((resolve, reject) => {
    const statuses = {}
    const errors = {}
    const latencies = []
    const times = keepTimes ? [] : null
    const instance = autocannon(opts, (err, result) => {
      if (err) reject(err)
      else resolve({ result, statuses, errors, latencies, times })
    })
    instance.on('response', (client, statusCode, resBytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
      latencies.push(responseTime)
      if (times !== null) times.push(performance.now() - t0)
    })
    instance.on('reqError', (err) => {
      const key = err.code ?? err.message
      errors[key] = (errors[key] ?? 0) + 1
    })
  })
}

/** p-th percentile (nearest rank) of an unsorted array. */
function percentile (values, p) {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** The figures of one route kept in the report. */
function summarise (route, connections, { result, statuses, errors, latencies }) {
  return {
    route,
    connections,
    requests: latencies.length,
    statuses,
    errors,
    timeouts: result.timeouts,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: percentile(latencies, 100)
  }
}

// ---------------------------------------------------------------------------------------------
// Loader process: the login and thumbnail load

async function loaderMain ({ url, seconds, rate, loginConnections, thumbnailConnections, users }) {
  const paced = rate > 0 ? { connectionRate: rate } : {}
  const autocannon = loadAutocannon()
  const thumbnail = fs.readFileSync(THUMBNAIL_INPUT)
  let next = 0
  const loginBody = () => {
    const u = users[next++ % users.length]
    return JSON.stringify({ username: u.username, password: u.password })
  }
  process.send('ready')
  await new Promise((resolve) => process.once('message', resolve)) // start together with the /health client
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const [login, thumb] = await Promise.all([
    runInstance(autocannon, {
      url,
      connections: loginConnections,
      duration: seconds,
      ...paced,
      requests: [{
        method: 'POST',
        path: '/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: loginBody() })
      }]
    }, { t0 }),
    runInstance(autocannon, {
      url: `${url}/thumbnail?w=320`,
      connections: thumbnailConnections,
      duration: seconds,
      ...paced,
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: thumbnail
    }, { t0 })
  ])
  const cpu = process.cpuUsage(cpu0)
  process.send({
    routes: [summarise('POST /login', loginConnections, login), summarise('POST /thumbnail?w=320', thumbnailConnections, thumb)],
    cpuSeconds: (cpu.user + cpu.system) / 1e6
  }, () => process.disconnect())
}

// ---------------------------------------------------------------------------------------------
// Main: server, users, /health, RSS, report

/** A flag `--name value` as a positive number (or 0 with `zero`), else `fallback`. */
function flag (name, fallback, zero = false) {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return fallback
  const n = Number(process.argv[i + 1])
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) throw new Error(`--${name} must be a positive number, not ${process.argv[i + 1]}`)
  return n
}

/** Starts the demo server on an ephemeral port; resolves `{ child, port, stderr() }`. */
function startServer () {
  return new Promise((resolve, reject) => {
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
    const child = spawn(process.execPath, [...nodeArgs, SERVER], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    child.stdout.on('data', (d) => {
      stdout += d
      const m = /listening on http:\/\/localhost:(\d+)/.exec(stdout)
      if (m) resolve({ child, port: Number(m[1]), stdout: () => stdout, stderr: () => stderr })
    })
    child.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening:\n${stderr}`)))
  })
}

/** The resident set size of `pid` in bytes, from /proc (Linux). */
function rssOf (pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : NaN
}

/** CPU seconds used so far by the threads of `pid`: { main, pool (offthread-N threads), other }. */
function threadCpu (pid) {
  const out = { main: 0, pool: 0, other: 0 }
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat
    try { stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8') } catch { continue } // the thread ended
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields[0] is field 3 (state)
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS // utime + stime
    const group = tid === String(pid) ? 'main' : comm.startsWith('offthread-') ? 'pool' : 'other'
    out[group] += seconds
  }
  return out
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat. */
function machineCpu () {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
  const idle = ticks[3] + ticks[4] // idle + iowait
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0) // user … steal
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS }
}

async function signUp (url, count) {
  const users = Array.from({ length: count }, (_, i) => ({ username: `load-user-${i}`, password: `load password ${i} ${Math.random()}` }))
  for (const u of users) {
    const res = await fetch(`${url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(u)
    })
    if (res.status !== 201) throw new Error(`signup of ${u.username} answered ${res.status}: ${await res.text()}`)
  }
  return users
}

/**
 * A /health probe beside autocannon: one keep-alive connection, one request every `intervalMs`
 * (like a load balancer's health check, or the demo page's ticker), so its latency shows how long
 * the event loop keeps a request waiting rather than how many requests autocannon queued.
 * `stop()` resolves `{ latencies, times }` (ms; times since `t0`).
 */
function startProbe (url, t0, intervalMs = 10) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const latencies = []
  const times = []
  let stopped = false
  const once = () => new Promise((resolve, reject) => {
    const start = performance.now()
    http.get(`${url}/health`, { agent }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === 200) {
          latencies.push(performance.now() - start)
          times.push(start - t0)
        }
        resolve()
      })
    }).on('error', reject)
  })
  const loop = (async () => {
    while (!stopped) {
      await once()
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  return async () => {
    stopped = true
    await loop
    agent.destroy()
    return { latencies, times }
  }
}

/** Polls GET /stats once a second (never two at once); returns `stop()` → the samples. */
function pollStats (url, t0) {
  const samples = []
  let busy = false
  const timer = setInterval(async () => {
    if (busy) return
    busy = true
    const t = performance.now() - t0
    try {
      const s = await (await fetch(`${url}/stats`)).json()
      samples.push({ t, loopP99Ms: s.eventLoopDelay.p99Ms, queued: s.pool.queued, rejected: s.pool.rejected, completed: s.pool.completed })
    } catch {
      // a /stats that fails under load is not a finding of this test; /health is
    } finally {
      busy = false
    }
  }, 1000)
  return () => { clearInterval(timer); return samples }
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length

async function main () {
  const h = require('./harness')
  const seconds = flag('seconds', 60)
  const connections = flag('connections', 200)
  const healthConnections = flag('health-connections', 10)
  const userCount = flag('users', 8)
  const rate = flag('rate', 0, true)
  const loaderNice = flag('loader-nice', 10, true)
  const healthRate = flag('health-rate', 0, true)
  const baselineSeconds = flag('baseline-seconds', 10, true)
  const outIndex = process.argv.indexOf('--out')
  const outName = outIndex >= 0 ? process.argv[outIndex + 1] : 'load'
  if (!/^[\w-]+$/.test(outName ?? '')) throw new Error('--out takes a name such as load-paced')
  if (healthConnections >= connections - 1) throw new Error('--health-connections must leave connections for login and thumbnail')
  const loginConnections = Math.ceil((connections - healthConnections) / 2)
  const thumbnailConnections = connections - healthConnections - loginConnections
  const autocannon = loadAutocannon()

  const server = await startServer()
  const url = `http://127.0.0.1:${server.port}`
  let serverExit = null
  server.child.once('exit', (code, signal) => { serverExit = { code, signal } })
  try {
    process.stderr.write(`server pid ${server.child.pid} on ${url}; signing up ${userCount} users... `)
    const users = await signUp(url, userCount)
    const healthOptions = (duration) => ({
      url: `${url}/health`,
      connections: healthConnections,
      duration,
      ...(healthRate > 0 ? { connectionRate: healthRate } : {})
    })
    // The same /health client with nothing else running: what this machine gives without overload.
    let baseline = null
    if (baselineSeconds > 0) {
      process.stderr.write(`done.\nbaseline: /health alone for ${baselineSeconds} s... `)
      const stopProbe = startProbe(url, performance.now())
      const b = await runInstance(autocannon, healthOptions(baselineSeconds), { t0: performance.now() })
      const probe = await stopProbe()
      baseline = { seconds: baselineSeconds, ...summarise('GET /health', healthConnections, b), probeP50Ms: percentile(probe.latencies, 50), probeP99Ms: percentile(probe.latencies, 99), probeMaxMs: percentile(probe.latencies, 100) }
      process.stderr.write(`p99 ${h.fmt(baseline.latencyP99Ms)} ms, probe p99 ${h.fmt(baseline.probeP99Ms)} ms`)
    }
    process.stderr.write(`\n${seconds} s: ${loginConnections} login + ${thumbnailConnections} thumbnail + ${healthConnections} health connections\n`)

    // The loader runs under `nice`, standing for a load generator on another machine: on a small
    // machine it would otherwise take the server's core and the figures would measure the contention.
    const loader = spawn('nice', ['-n', String(loaderNice), process.execPath, __filename, '--loader'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const loaderMessages = []
    let onLoaderMessage = () => {}
    loader.on('message', (m) => { loaderMessages.push(m); onLoaderMessage() })
    const nextLoaderMessage = () => new Promise((resolve, reject) => {
      const check = () => { if (loaderMessages.length > 0) resolve(loaderMessages.shift()) }
      onLoaderMessage = check
      loader.once('exit', (code) => reject(new Error(`the load generator exited (${code}) without results`)))
      check()
    })
    loader.send({ url, seconds, rate, loginConnections, thumbnailConnections, users })
    await nextLoaderMessage() // 'ready': autocannon loaded, the fixture read
    const loaderResult = nextLoaderMessage()

    const cpu0 = { server: threadCpu(server.child.pid), health: process.cpuUsage(), machine: machineCpu() }
    const t0 = performance.now()
    const rss = []
    const rssTimer = setInterval(() => {
      try { rss.push({ t: performance.now() - t0, bytes: rssOf(server.child.pid) }) } catch {}
    }, 1000)
    const stopStats = pollStats(url, t0)
    const stopProbe = startProbe(url, t0)
    loader.send('go')
    const health = await runInstance(autocannon, healthOptions(seconds), { t0, keepTimes: true })
    const { routes: [login, thumbnail], cpuSeconds: loaderCpuSeconds } = await loaderResult
    clearInterval(rssTimer)
    const statsSamples = stopStats()
    const probe = await stopProbe()
    // Where the machine's CPU went during the run: the server's threads, this load generator, the rest.
    const wall = (performance.now() - t0) / 1000
    const serverCpu = threadCpu(server.child.pid)
    const healthCpu = process.cpuUsage(cpu0.health)
    const machineNow = machineCpu()
    const cpu = {
      wallSeconds: wall,
      serverMain: serverCpu.main - cpu0.server.main,
      serverPool: serverCpu.pool - cpu0.server.pool,
      serverOther: serverCpu.other - cpu0.server.other,
      loadGenerator: loaderCpuSeconds,
      healthClient: (healthCpu.user + healthCpu.system) / 1e6,
      machineBusy: machineNow.busy - cpu0.machine.busy,
      machineTotal: machineNow.total - cpu0.machine.total
    }
    cpu.otherProcesses = Math.max(0, cpu.machineBusy - cpu.serverMain - cpu.serverPool - cpu.serverOther - cpu.loadGenerator - cpu.healthClient)

    // /health p99 per 10 s window, next to the server's own loop delay in that window.
    const windows = []
    const windowCount = Math.ceil(seconds / WINDOW_SECONDS)
    for (let w = 0; w < windowCount; w++) {
      const from = w * WINDOW_SECONDS * 1000
      const to = Math.min(seconds, (w + 1) * WINDOW_SECONDS) * 1000
      const lat = health.latencies.filter((_, i) => health.times[i] >= from && health.times[i] < to)
      const probed = probe.latencies.filter((_, i) => probe.times[i] >= from && probe.times[i] < to)
      const loop = statsSamples.filter((s) => s.t >= from && s.t < to).map((s) => s.loopP99Ms)
      windows.push({
        fromS: from / 1000,
        toS: to / 1000,
        healthResponses: lat.length,
        healthP50Ms: percentile(lat, 50),
        healthP99Ms: percentile(lat, 99),
        healthMaxMs: percentile(lat, 100),
        probeResponses: probed.length,
        probeP50Ms: percentile(probed, 50),
        probeP99Ms: percentile(probed, 99),
        probeMaxMs: percentile(probed, 100),
        serverLoopP99MaxMs: loop.length ? Math.max(...loop) : NaN
      })
    }

    // RSS: the first and last 30 s (or halves of a shorter run).
    const span = Math.min(30, seconds / 2) * 1000
    const first = rss.filter((s) => s.t <= span).map((s) => s.bytes)
    const last = rss.filter((s) => s.t > seconds * 1000 - span).map((s) => s.bytes)
    const rssFirst = mean(first)
    const rssLast = mean(last)
    const rssDrift = rssLast / rssFirst - 1

    const routes = [login, thumbnail, summarise('GET /health', healthConnections, health)]
    const failures = {}
    for (const r of routes) {
      for (const [status, n] of Object.entries(r.statuses)) {
        if (!(status >= 200 && status < 300) && status !== '503') failures[`${r.route} ${status}`] = n
      }
      for (const [code, n] of Object.entries(r.errors)) failures[`${r.route} ${code}`] = n
    }
    const serverErrorLines = server.stderr().split('\n').filter((l) => l.includes('failed:')).length

    process.kill(server.child.pid, 'SIGTERM')
    await new Promise((resolve) => (serverExit ? resolve() : server.child.once('exit', resolve)))

    const worstHealthP99 = Math.max(...windows.map((w) => w.healthP99Ms))
    const targets = {
      noFailuresBut503: Object.keys(failures).length === 0 && serverErrorLines === 0,
      healthP99: windows.every((w) => w.healthP99Ms <= HEALTH_P99_TARGET_MS),
      rss: Math.abs(rssDrift) <= RSS_DRIFT_TARGET,
      serverExitedCleanly: serverExit?.code === 0
    }

    const machine = h.machineInfo()
    const fmt = h.fmt
    const count = (r, pred) => Object.entries(r.statuses).filter(([s]) => pred(Number(s))).reduce((a, [, n]) => a + n, 0)
    const lines = [
      `## Load test: ${seconds} s, ${connections} connections`,
      '',
      h.markdownTable([
        { header: 'machine', value: (r) => r[0], align: 'left' },
        { header: '', value: (r) => r[1], align: 'left' }
      ], [
        ['CPU', `${machine.cpu} (${machine.cores} cores)`],
        ['Node', machine.node],
        ['pool', 'offthread defaults (threads = cores, maxQueue 64 × threads, nice +10)'],
        ['connections', `${loginConnections} login, ${thumbnailConnections} thumbnail (Landscape_1.jpg, 1800×1200, 347 KB → 320 w WebP), ${healthConnections} health`],
        ['pacing', `login and thumbnail ${rate > 0 ? `≤ ${rate} request/s per connection` : 'closed loop'}; /health ${healthRate > 0 ? `≤ ${healthRate} requests/s per connection` : 'closed loop'}`],
        ['load generator', `its own process at nice +${loaderNice}; the /health client in another`]
      ]),
      '',
      h.markdownTable([
        { header: 'route', value: (r) => r.route, align: 'left' },
        { header: 'conns', value: (r) => r.connections },
        { header: 'requests', value: (r) => r.requests },
        { header: '2xx', value: (r) => count(r, (s) => s >= 200 && s < 300) },
        { header: '503', value: (r) => r.statuses[503] ?? 0 },
        { header: 'other status', value: (r) => Object.entries(r.statuses).filter(([s]) => !(s >= 200 && s < 300) && s !== '503').map(([s, n]) => `${s}: ${n}`).join(', ') || '0' },
        { header: 'errors', value: (r) => Object.entries(r.errors).map(([c, n]) => `${c}: ${n}`).join(', ') || '0' },
        { header: 'p50 ms', value: (r) => fmt(r.latencyP50Ms) },
        { header: 'p99 ms', value: (r) => fmt(r.latencyP99Ms) },
        { header: 'max ms', value: (r) => fmt(r.latencyMaxMs) }
      ], routes),
      '',
      h.markdownTable([
        { header: 'window', value: (w) => w.label ?? `${w.fromS}–${w.toS} s`, align: 'left' },
        { header: '/health responses', value: (w) => w.healthResponses },
        { header: '/health p50 ms', value: (w) => fmt(w.healthP50Ms) },
        { header: '/health p99 ms', value: (w) => fmt(w.healthP99Ms) },
        { header: '/health max ms', value: (w) => fmt(w.healthMaxMs) },
        { header: 'probe p50 ms', value: (w) => fmt(w.probeP50Ms) },
        { header: 'probe p99 ms', value: (w) => fmt(w.probeP99Ms) },
        { header: 'probe max ms', value: (w) => fmt(w.probeMaxMs) },
        { header: 'server loop p99 ms (worst 1 s, +10 ms resolution)', value: (w) => fmt(w.serverLoopP99MaxMs) },
        { header: `≤ ${HEALTH_P99_TARGET_MS} ms`, value: (w) => (w.label !== undefined ? '' : w.healthP99Ms <= HEALTH_P99_TARGET_MS ? 'yes' : '**no**') }
      ], [
        ...(baseline === null
          ? []
          : [{ label: `baseline: /health alone, ${baseline.seconds} s`, healthResponses: baseline.requests, healthP50Ms: baseline.latencyP50Ms, healthP99Ms: baseline.latencyP99Ms, healthMaxMs: baseline.latencyMaxMs, probeP50Ms: baseline.probeP50Ms, probeP99Ms: baseline.probeP99Ms, probeMaxMs: baseline.probeMaxMs, serverLoopP99MaxMs: NaN }]),
        ...windows
      ]),
      '',
      h.markdownTable([
        { header: 'server RSS', value: (r) => r[0], align: 'left' },
        { header: 'MiB', value: (r) => r[1] }
      ], [
        [`mean, first ${span / 1000} s`, fmt(rssFirst / 2 ** 20, 1)],
        [`mean, last ${span / 1000} s`, fmt(rssLast / 2 ** 20, 1)],
        ['change', `${rssDrift >= 0 ? '+' : ''}${fmt(rssDrift * 100, 1)} % (target ±${RSS_DRIFT_TARGET * 100} %)`],
        ['peak', fmt(Math.max(...rss.map((s) => s.bytes)) / 2 ** 20, 1)]
      ]),
      '',
      h.markdownTable([
        { header: 'CPU during the run', value: (r) => r[0], align: 'left' },
        { header: 'cores (CPU s / wall s)', value: (r) => fmt(r[1] / cpu.wallSeconds, 2) }
      ], [
        ['server: JS thread', cpu.serverMain],
        ['server: offthread pool (nice +10)', cpu.serverPool],
        ['server: other threads (GC, libuv)', cpu.serverOther],
        [`load generator (autocannon, nice +${loaderNice})`, cpu.loadGenerator],
        ['/health client (autocannon)', cpu.healthClient],
        ['other processes', cpu.otherProcesses],
        ['idle', cpu.machineTotal - cpu.machineBusy]
      ]),
      '',
      `Targets: failures other than 503 ${targets.noFailuresBut503 ? 'none' : `**${JSON.stringify(failures)}, ${serverErrorLines} 5xx logged**`}; ` +
        `/health p99 ≤ ${HEALTH_P99_TARGET_MS} ms ${targets.healthP99 ? 'met' : `**missed** (worst window ${fmt(worstHealthP99)} ms)`}; ` +
        `RSS within ${RSS_DRIFT_TARGET * 100} % ${targets.rss ? 'met' : '**missed**'}; ` +
        `server shut down ${targets.serverExitedCleanly ? 'cleanly' : `**with ${JSON.stringify(serverExit)}**`}.`
    ]
    console.log(lines.join('\n'))

    const file = h.writeResults(outName, {
      parameters: { seconds, connections, rate, healthRate, loaderNice, loginConnections, thumbnailConnections, healthConnections, users: userCount, thumbnailInput: path.relative(ROOT, THUMBNAIL_INPUT) },
      routes,
      healthBaseline: baseline,
      healthWindows: windows,
      rss: { firstMeanBytes: rssFirst, lastMeanBytes: rssLast, spanSeconds: span / 1000, change: rssDrift, samples: rss.map((s) => [Math.round(s.t), s.bytes]) },
      cpu,
      serverStats: statsSamples.map((s) => ({ ...s, t: Math.round(s.t) })),
      failures,
      serverErrorLines,
      serverExit,
      targets
    })
    process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`)
    if (!Object.values(targets).every(Boolean)) process.exitCode = 1
  } finally {
    if (serverExit === null) server.child.kill('SIGKILL')
  }
}

if (process.argv.includes('--loader')) {
  process.once('message', (config) => loaderMain(config).catch((err) => {
    console.error(err)
    process.exit(1)
  }))
} else {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
