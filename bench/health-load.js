'use strict'
// The event loop under a paced overload (issue 10, section 8): how long does GET /health wait while
// the Express demo gets N logins a second, more than its pool can verify?
//
//   node bench/health-load.js                               none, login and control at 300/s, 20 s each
//   node bench/health-load.js --rates 300,900 --seconds 30 --repeat 3
//   BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' node bench/health-load.js --loads login
//   node bench/health-load.js --server path/to/other-server.js   (the same measurement of another server script)
//
// Each step starts a fresh server (examples/express/server.js, niceness 0), signs up --users users,
// lets a /health probe run alone for 2 s (warm-up, not counted), then measures for --seconds:
// - the probe: one keep-alive connection, one GET /health every 10 ms (what a load balancer's health
//   check sees; a request that waits shows how long the loop kept it waiting);
// - the load: autocannon in its own process at nice --loader-nice (default 10), standing in for
//   clients on other machines, --connections (default 200) connections capped at the rate overall
//   (autocannon's overallRate: each connection gets its share, sent at the start of each of its seconds);
// - the server's threads' CPU (/proc: JS thread, offthread pool, the rest) and its /stats loop delay.
// Loads: `none`; `login`, POST /login with the right password of a signed-up user (an argon2id verify
// at the OWASP parameters on the pool; above capacity the demo answers 503 ERR_QUEUE_FULL);
// `control`, POST /signup of a taken username, the same JSON body through the same middleware to a
// 409 without any hashing: Express's own per-request cost at the same rate.
// Flags: --seconds a step (20), --rates (300; comma-separated), --loads (none,login,control), --repeat (1),
// --connections (200), --loader-nice (10), --users (8), --out, --server (another server script, e.g. an
// older server.js for a before/after), --pool-policy idle (an experiment: moves the server's offthread-N
// threads to SCHED_IDLE with chrt once they exist). The table also gives the JS thread's time runnable but
// waiting for a CPU (/proc/<pid>/task/<pid>/schedstat), and the JSON where in autocannon's second the
// /health answers over 8 ms fell (slowProbePhase: counts per 100 ms).
// Prints a Markdown table; writes bench/results/<out>.json (default health-load). Linux only (/proc).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const ROOT = path.join(__dirname, '..')
const DEFAULT_SERVER = path.join(ROOT, 'examples', 'express', 'server.js')
const CLOCK_TICKS = 100 // USER_HZ of /proc/*/stat
const WARMUP_MS = 2000
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** p-th percentile (nearest rank) of an unsorted array. */
function percentile (values, p) {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

// ---------------------------------------------------------------------------------------------
// Loader process

async function loaderMain ({ url, seconds, rate, connections, load, users }) {
  const autocannon = require('autocannon')
  let next = 0
  const body = load === 'control'
    ? () => JSON.stringify({ username: users[next++ % users.length].username, password: 'taken anyway' })
    : () => { const u = users[next++ % users.length]; return JSON.stringify({ username: u.username, password: u.password }) }
  const statuses = {}
  const errors = {}
  const latencies = []
  process.send('ready')
  await new Promise((resolve) => process.once('message', resolve))
  const cpu0 = process.cpuUsage()
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon({
      url,
      connections,
      duration: seconds,
      overallRate: rate,
      requests: [{
        method: 'POST',
        path: load === 'control' ? '/signup' : '/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: body() })
      }]
    }, (err, res) => (err ? reject(err) : resolve(res)))
    instance.on('response', (client, statusCode, resBytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
      latencies.push(responseTime)
    })
    instance.on('reqError', (err) => { errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1 })
  })
  const cpu = process.cpuUsage(cpu0)
  process.send({
    requests: latencies.length,
    statuses,
    errors,
    timeouts: result.timeouts,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuSeconds: (cpu.user + cpu.system) / 1e6
  }, () => process.disconnect())
}

// ---------------------------------------------------------------------------------------------
// Main

function flag (name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i < 0 ? fallback : process.argv[i + 1]
}

function startServer (script) {
  return new Promise((resolve, reject) => {
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
    const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    child.stdout.on('data', (d) => {
      stdout += d
      const m = /listening on http:\/\/localhost:(\d+)/.exec(stdout)
      if (m) resolve({ child, port: Number(m[1]), stderr: () => stderr })
    })
    child.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before listening:\n${stderr}`)))
  })
}

function stopServer (child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once('exit', (code, signal) => resolve(code ?? signal))
    child.kill('SIGTERM')
  })
}

/** CPU seconds so far of `pid`'s threads: { main, pool (offthread-N), other }. */
function threadCpu (pid) {
  const out = { main: 0, pool: 0, other: 0 }
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let stat
    try { stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8') } catch { continue }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
    out[tid === String(pid) ? 'main' : comm.startsWith('offthread-') ? 'pool' : 'other'] += seconds
  }
  return out
}

/** Seconds the JS thread of `pid` has spent runnable but waiting for a CPU (/proc/…/schedstat, field 2). */
function runQueueWait (pid) {
  return Number(fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9
}

/** Sets SCHED_IDLE on `pid`'s offthread pool threads (an experiment: `--pool-policy idle`). */
function poolToSchedIdle (pid) {
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()
    if (comm.startsWith('offthread-')) require('node:child_process').execFileSync('chrt', ['--idle', '-p', '0', tid])
  }
}

/** Busy and total CPU seconds of the machine so far (/proc/stat). */
function machineCpu () {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0)
  return { busy: (total - ticks[3] - ticks[4]) / CLOCK_TICKS, total: total / CLOCK_TICKS }
}

/** One GET /health every `intervalMs` on one keep-alive connection; `stop()` resolves the latencies (ms). */
function startProbe (url, intervalMs = 10) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const latencies = []
  const starts = []
  let stopped = false
  let recording = false
  let t0 = 0
  const once = () => new Promise((resolve, reject) => {
    const start = performance.now()
    http.get(`${url}/health`, { agent }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === 200 && recording) { latencies.push(performance.now() - start); starts.push(start - t0) }
        resolve()
      })
    }).on('error', reject)
  })
  const loop = (async () => {
    while (!stopped) {
      await once()
      await sleep(intervalMs)
    }
  })()
  return {
    record () { recording = true; t0 = performance.now() },
    async stop () { stopped = true; await loop; agent.destroy(); return { latencies, starts } }
  }
}

async function signUp (url, count) {
  const users = Array.from({ length: count }, (_, i) => ({ username: `load-user-${i}`, password: `load password ${i} ${Math.random()}` }))
  for (const u of users) {
    const res = await fetch(`${url}/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u) })
    if (res.status !== 201) throw new Error(`signup of ${u.username} answered ${res.status}`)
  }
  return users
}

/** One step: a fresh server, `load` at `rate` for `seconds`, the probe throughout. */
async function step ({ load, rate, seconds, connections, loaderNice, userCount, poolPolicy, server: script }) {
  const server = await startServer(script)
  const url = `http://127.0.0.1:${server.port}`
  try {
    const users = await signUp(url, userCount)
    if (poolPolicy === 'idle') poolToSchedIdle(server.child.pid)
    const probe = startProbe(url)
    let loader = null
    let loaderResult = null
    if (load !== 'none') {
      loader = spawn('nice', ['-n', String(loaderNice), process.execPath, __filename, '--loader'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      const messages = []
      let wake = () => {}
      loader.on('message', (m) => { messages.push(m); wake() })
      const next = () => new Promise((resolve, reject) => {
        const check = () => { if (messages.length > 0) resolve(messages.shift()) }
        wake = check
        loader.once('exit', (code) => reject(new Error(`the loader exited (${code}) without results`)))
        check()
      })
      loader.send({ url, seconds, rate, connections, load, users })
      await next() // ready
      loaderResult = next()
    }
    await sleep(WARMUP_MS)
    await fetch(`${url}/stats`) // resets the server's loop-delay window
    const cpu0 = threadCpu(server.child.pid)
    const wait0 = runQueueWait(server.child.pid)
    const machine0 = machineCpu()
    const t0 = performance.now()
    probe.record()
    if (loader !== null) loader.send('go')
    const loaded = loader !== null ? await loaderResult : null
    if (loader === null) await sleep(seconds * 1000)
    const wall = (performance.now() - t0) / 1000
    const cpu1 = threadCpu(server.child.pid)
    const wait1 = runQueueWait(server.child.pid)
    const machine1 = machineCpu()
    const stats = await (await fetch(`${url}/stats`)).json()
    const { latencies, starts } = await probe.stop()
    // Where in autocannon's second the slow answers fall (its connections send at the start of each second).
    const slow = starts.filter((_, i) => latencies[i] > 8).map((t) => Math.floor((t % 1000) / 100))
    const phase = Array.from({ length: 10 }, (_, d) => slow.filter((x) => x === d).length)
    const busy = machine1.busy - machine0.busy
    const serverCpu = (cpu1.main - cpu0.main) + (cpu1.pool - cpu0.pool) + (cpu1.other - cpu0.other)
    return {
      load,
      rate: load === 'none' ? 0 : rate,
      seconds: wall,
      probe: { requests: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100) },
      loaded,
      serverLoopP99Ms: stats.eventLoopDelay.p99Ms,
      serverLoopMaxMs: stats.eventLoopDelay.maxMs,
      jsThreadWaitMsPerS: ((wait1 - wait0) * 1000) / wall,
      slowProbePhase: phase,
      cores: {
        main: (cpu1.main - cpu0.main) / wall,
        pool: (cpu1.pool - cpu0.pool) / wall,
        other: (cpu1.other - cpu0.other) / wall,
        loader: loaded ? loaded.cpuSeconds / wall : 0,
        rest: Math.max(0, busy - serverCpu - (loaded ? loaded.cpuSeconds : 0)) / wall
      },
      serverStderr: server.stderr().split('\n').filter((l) => l.includes('failed:')).length
    }
  } finally {
    await stopServer(server.child)
  }
}

async function main () {
  const h = require('./harness')
  const seconds = Number(flag('seconds', 20))
  const rates = String(flag('rates', '300')).split(',').map(Number)
  const loads = String(flag('loads', 'none,login,control')).split(',')
  const repeat = Number(flag('repeat', 1))
  const connections = Number(flag('connections', 200))
  const loaderNice = Number(flag('loader-nice', 10))
  const userCount = Number(flag('users', 8))
  const outName = flag('out', 'health-load')
  const poolPolicy = flag('pool-policy', 'default')
  const server = path.resolve(flag('server', DEFAULT_SERVER))
  for (const l of loads) if (!['none', 'login', 'control'].includes(l)) throw new Error(`--loads: none, login or control, not ${l}`)
  const plan = []
  for (let r = 0; r < repeat; r++) {
    for (const load of loads) {
      for (const rate of load === 'none' ? [0] : rates) plan.push({ load, rate, seconds, connections, loaderNice, userCount, poolPolicy, server })
    }
  }
  const results = []
  for (const p of plan) {
    const rustc = (() => { try { return require('node:child_process').execFileSync('pgrep', ['-c', 'rustc'], { encoding: 'utf8' }).trim() } catch { return '0' } })()
    process.stderr.write(`${p.load}${p.load === 'none' ? '' : ` at ${p.rate}/s`}, ${seconds} s (rustc processes: ${rustc})... `)
    const r = await step(p)
    r.rustcAtStart = Number(rustc)
    results.push(r)
    process.stderr.write(`/health p50 ${h.fmt(r.probe.p50Ms)} p99 ${h.fmt(r.probe.p99Ms)} ms\n`)
  }
  const fmt = h.fmt
  const machine = h.machineInfo()
  const count = (r, pred) => (r.loaded ? Object.entries(r.loaded.statuses).filter(([s]) => pred(Number(s))).reduce((a, [, n]) => a + n, 0) : 0)
  console.log([
    `## /health under a paced load: ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`,
    '',
    `Server: ${path.relative(ROOT, server)}. ${seconds} s a step, ${connections} connections capped at the rate overall (autocannon overallRate), loader at nice +${loaderNice}; ` +
      '/health: one keep-alive connection, one GET every 10 ms.',
    '',
    h.markdownTable([
      { header: 'load', value: (r) => (r.load === 'none' ? 'none' : `${r.load === 'login' ? 'POST /login' : 'POST /signup 409 (control)'} at ${r.rate}/s`), align: 'left' },
      { header: 'sent/s', value: (r) => (r.loaded ? fmt(r.loaded.requests / r.seconds, 0) : '0') },
      { header: '2xx', value: (r) => count(r, (s) => s >= 200 && s < 300) },
      { header: '4xx', value: (r) => count(r, (s) => s >= 400 && s < 500) },
      { header: '503', value: (r) => count(r, (s) => s === 503) },
      { header: 'other/errors', value: (r) => (r.loaded ? count(r, (s) => s < 200 || (s >= 300 && s < 400) || (s >= 500 && s !== 503)) + Object.values(r.loaded.errors).reduce((a, b) => a + b, 0) + r.loaded.timeouts : 0) },
      { header: '/health p50 ms', value: (r) => fmt(r.probe.p50Ms) },
      { header: '/health p99 ms', value: (r) => fmt(r.probe.p99Ms) },
      { header: '/health max ms', value: (r) => fmt(r.probe.maxMs) },
      { header: 'server loop p99 / max ms (+10 ms resolution)', value: (r) => `${fmt(r.serverLoopP99Ms)} / ${fmt(r.serverLoopMaxMs)}` },
      { header: 'JS thread waiting for a CPU, ms/s', value: (r) => fmt(r.jsThreadWaitMsPerS, 1) },
      { header: 'cores: JS / pool / other / loader / rest', value: (r) => [r.cores.main, r.cores.pool, r.cores.other, r.cores.loader, r.cores.rest].map((c) => fmt(c, 2)).join(' / ') },
      { header: 'rustc', value: (r) => r.rustcAtStart }
    ], results)
  ].join('\n'))
  const file = h.writeResults(outName, { parameters: { seconds, rates, loads, repeat, connections, loaderNice, users: userCount, poolPolicy, server: path.relative(ROOT, server), serverNodeArgs: process.env.BENCH_SERVER_NODE_ARGS ?? '' }, results })
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`)
}

if (process.argv.includes('--loader')) {
  process.once('message', (config) => loaderMain(config).catch((err) => { console.error(err); process.exit(1) }))
} else {
  main().catch((err) => { console.error(err); process.exitCode = 1 })
}
