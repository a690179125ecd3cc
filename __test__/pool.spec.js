'use strict'
// The pool: stats, the no-op round trip, AbortSignal (already aborted, queued, running; pool and
// libuv), listener hygiene, priority, and, in fresh processes (the pool is process-wide):
// configure, environment variables, queue full, close, idle exit and forced panics.

const test = require('ava')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { getEventListeners, setMaxListeners } = require('node:events')
const ot = require('..')
const native = require('../lib/native')
const { ERR, mismatch, checkError, rejects, aborted, checkSerialized } = require('./helpers/errors')

const SCENARIOS = path.join(__dirname, 'fixtures', 'pool-scenarios.js')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const bcrypt = (cost, extra) => ({ algorithm: 'bcrypt', cost, ...extra })
const BCRYPT_RE = /^\$2b\$\d\d\$[./A-Za-z0-9]{53}$/

async function until (predicate, what, timeoutMs = 10000) {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

/** Awaits `promise`, expecting an AbortError; returns how long after `since` it rejected. */
async function abortedAfter (t, promise, since) {
  const err = await rejects(t, promise, ERR.abort, { label: 'aborted' })
  const elapsed = performance.now() - since
  if (err) t.is(err.name, 'AbortError')
  return elapsed
}

/**
 * CPU milliseconds this process has used (all threads: JS, pool, libuv). Abort tests count work in CPU time, not
 * wall time: the pool runs at nice +10, so on a busy machine its wall time says more about the neighbours than
 * about when a task noticed its abort.
 */
function cpuMs () {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** CPU milliseconds of one bcrypt hash at `cost` (to scale limits to this machine). */
async function cpuOfBcrypt (cost, executor) {
  const start = cpuMs()
  await ot.hashPassword('pw', bcrypt(cost, { executor }))
  return cpuMs() - start
}

/** Runs a pool-scenarios.js scenario in a fresh Node process; resolves its exit and parsed JSON. */
function scenario (name, { arg, env = {}, timeout = 60000 } = {}) {
  const base = { ...process.env }
  for (const key of ['OFFTHREAD_THREADS', 'RAYON_NUM_THREADS', 'OFFTHREAD_TEST_HOOKS', 'UV_THREADPOOL_SIZE']) delete base[key]
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, [SCENARIOS, name, ...(arg === undefined ? [] : [arg])], {
      env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr += d })
    child.on('error', reject)
    child.on('close', (status, signal) => {
      const line = stdout.trim().split('\n').pop()
      let out
      try {
        out = JSON.parse(line)
      } catch {
        out = undefined
      }
      resolve({ status, signal, out, stdout, stderr, wall: performance.now() - started })
    })
  })
}

/** A scenario that must exit 0 and print JSON. */
async function runScenario (t, name, options) {
  const r = await scenario(name, options)
  t.is(r.signal, null, `${name}: killed by ${r.signal}\n${r.stderr}`)
  t.is(r.status, 0, `${name}: exit ${r.status}\n${r.stderr}`)
  if (r.out === undefined) throw new Error(`${name} printed no JSON:\n${r.stdout}\n${r.stderr}`)
  return r
}

// ---------------------------------------------------------------------------------------------
// In this process (serial: they watch the pool's counters and timing)

test.serial('stats() returns plain numbers, and the counters move with the tasks', async (t) => {
  const before = ot.stats()
  t.is(Object.getPrototypeOf(before), Object.prototype)
  t.deepEqual(Object.keys(before).sort(), ['cancelled', 'closed', 'completed', 'failed', 'inFlight', 'kinds', 'machine', 'maxQueue',
    'priority', 'queued', 'rejected', 'runP50Ms', 'runP99Ms', 'running', 'threads', 'waitP50Ms', 'waitP99Ms'])
  t.is(before.machine, null, 'no machine-wide budget unless asked (machine-budget.spec.js)')
  for (const key of ['threads', 'maxQueue', 'queued', 'running', 'completed', 'failed', 'cancelled', 'rejected', 'inFlight']) {
    t.true(Number.isSafeInteger(before[key]) && before[key] >= 0, `${key} = ${before[key]}`)
  }
  for (const key of ['waitP50Ms', 'waitP99Ms', 'runP50Ms', 'runP99Ms']) {
    t.true(typeof before[key] === 'number' && Number.isFinite(before[key]) && before[key] >= 0, key)
  }
  // By kind (issue 12): native tasks and JS tasks (workers()/run()) share the same budget.
  t.deepEqual(before.kinds, { native: { queued: 0, running: 0 }, js: { queued: 0, running: 0 } })
  t.is(before.priority, 'background')
  t.is(before.closed, false)
  t.is(before.threads, os.availableParallelism())
  t.is(before.maxQueue, 64 * before.threads)
  t.deepEqual(JSON.parse(JSON.stringify(before)), before)

  const pending = [ot.noop(), ot.hashPassword('pw', bcrypt(10)), ot.verifyPassword('garbage', 'pw').catch((e) => e)]
  t.is(ot.stats().inFlight, 3)
  const [, hash, failure] = await Promise.all(pending)
  t.regex(hash, BCRYPT_RE)
  checkError(t, failure, ERR.hash, { label: 'verifyPassword(\'garbage\')' })
  const after = ot.stats()
  t.is(after.completed, before.completed + 2)
  t.is(after.failed, before.failed + 1)
  t.is(after.queued, 0)
  t.is(after.running, 0)
  t.is(after.inFlight, 0)
  t.true(after.runP99Ms > 0, 'a ~50 ms hash is in the run-time window')
  t.true(after.runP99Ms >= after.runP50Ms)
})

test.serial('noop round trip resolves undefined, on both executors', async (t) => {
  for (const executor of [undefined, 'pool', 'libuv']) {
    const results = await Promise.all(Array.from({ length: 50 }, () => ot.noop({ executor })))
    t.deepEqual(results, Array(50).fill(undefined), String(executor))
  }
})

test.serial('priority: pool threads run at nice +10 over the process by default', (t) => {
  t.is(native.poolThreadNice(), Math.min(19, os.getPriority() + 10))
})

test.serial('an already-aborted signal rejects with AbortError without calling native code or queuing', async (t) => {
  const reason = new Error('stop')
  const signal = AbortSignal.abort(reason)
  const calls = []
  const spied = ['hashPassword', 'verifyPassword', 'noop']
  const originals = Object.fromEntries(spied.map((name) => [name, native[name]]))
  for (const name of spied) native[name] = (...args) => { calls.push(name); return originals[name](...args) }
  try {
    const before = ot.stats()
    for (const executor of ['pool', 'libuv']) {
      for (const call of [
        () => ot.hashPassword('pw', bcrypt(4, { signal, executor })),
        () => ot.verifyPassword('$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm', 'pw', { signal, executor }),
        () => ot.noop({ signal, executor })
      ]) {
        const promise = call()
        t.true(promise instanceof Promise)
        t.is(ot.stats().inFlight, 0)
        const err = await aborted(t, promise, signal, `${executor}: already aborted`)
        if (err) t.is(err.cause, reason)
      }
    }
    t.deepEqual(calls, [])
    t.deepEqual(ot.stats(), before)
    t.is(getEventListeners(signal, 'abort').length, 0)
  } finally {
    Object.assign(native, originals)
  }
})

test.serial('abort of a queued pool task rejects at once, and the task never runs', async (t) => {
  const { threads } = ot.stats()
  const before = ot.stats()
  let fillSettled = 0
  const fill = Array.from({ length: threads }, () => ot.hashPassword('pw', bcrypt(13)).finally(() => { fillSettled++ }))
  await until(() => ot.stats().running === threads, 'the pool to be busy')
  const controller = new AbortController()
  const victim = ot.hashPassword('pw', bcrypt(4, { signal: controller.signal }))
  t.is(ot.stats().queued, 1)
  const since = performance.now()
  controller.abort()
  const latency = await abortedAfter(t, victim, since)
  t.true(latency < 150, `rejected ${latency} ms after abort`)
  t.is(fillSettled, 0, 'the running tasks are still running')
  t.is(ot.stats().queued, 0)
  t.is(getEventListeners(controller.signal, 'abort').length, 0)
  for (const hash of await Promise.all(fill)) t.regex(hash, BCRYPT_RE)
  const after = ot.stats()
  t.is(after.completed - before.completed, threads, 'only the fill tasks ran')
  t.is(after.cancelled - before.cancelled, 1)
  t.is(after.running, 0)
})

test.serial('abort of a running pool task (bcrypt cost 14) stops it at its next round', async (t) => {
  const cost10 = await cpuOfBcrypt(10)
  const before = ot.stats()
  const controller = new AbortController()
  const task = ot.hashPassword('pw', bcrypt(14, { signal: controller.signal }))
  await until(() => ot.stats().running === 1, 'the task to start')
  await sleep(30)
  t.is(ot.stats().running, 1, 'running when aborted')
  // CPU from the abort on: before it, a timer late on a loaded machine only lets the task run longer.
  const cpu = cpuMs()
  const since = performance.now()
  controller.abort()
  const latency = await abortedAfter(t, task, since)
  const used = cpuMs() - cpu
  // A full cost-14 hash costs 16 × a cost-10 one; had the abort waited for the end, the process would have spent ~15× after it.
  t.true(used < 4 * cost10, `${used} CPU ms spent (rejected ${latency} ms after abort); a cost-14 hash costs ~${16 * cost10}`)
  t.is(ot.stats().running, 0, 'the pool thread stopped, not only the promise')
  t.is(ot.stats().cancelled, before.cancelled + 1)
  t.is(getEventListeners(controller.signal, 'abort').length, 0)
})

/**
 * Costs a full hash with `options`, then aborts a second one 30 ms in: from the abort on it must spend well
 * under a full hash's work (CPU counted from the abort: a late timer only lets the task run longer before it).
 */
async function abortsWhileRunning (t, options) {
  const start = cpuMs()
  await ot.hashPassword('pw', options)
  const full = cpuMs() - start
  const controller = new AbortController()
  const task = ot.hashPassword('pw', { ...options, signal: controller.signal })
  await until(() => ot.stats().running === 1, 'the task to start')
  await sleep(30)
  t.is(ot.stats().running, 1, 'running when aborted')
  const cpu = cpuMs()
  const since = performance.now()
  controller.abort()
  const latency = await abortedAfter(t, task, since)
  const used = cpuMs() - cpu
  // Not stopping would spend the remaining ~90 % of a full hash; a stop between slices spends far less. The bound
  // is half a hash: on a loaded 2-core host full suites measured 103–113 ms against full hashes of 285–304 ms
  // (a third, the earlier bound, flaked there; the cause of the extra ~70 ms was not established).
  t.true(used < full / 2, `${used} CPU ms spent (rejected ${latency} ms after abort); the full hash costs ${full}`)
  t.is(ot.stats().running, 0)
}

test.serial('abort of a running argon2 task stops it between slices', (t) =>
  abortsWhileRunning(t, { memoryCost: 65536, timeCost: 16, parallelism: 1 }))

test.serial('abort of a running scrypt task stops it within its ROMix loop', (t) =>
  abortsWhileRunning(t, { algorithm: 'scrypt', logN: 18, r: 8, p: 1 }))

test.serial('executor "libuv": abort of a running task stops it early', async (t) => {
  const cost10 = await cpuOfBcrypt(10, 'libuv')
  const controller = new AbortController()
  const task = ot.hashPassword('pw', bcrypt(14, { signal: controller.signal, executor: 'libuv' }))
  await sleep(50)
  const cpu = cpuMs() // from the abort on (see above)
  const since = performance.now()
  controller.abort()
  // A running task only settles when its work returns, so an early rejection means it stopped.
  const latency = await abortedAfter(t, task, since)
  const used = cpuMs() - cpu
  t.true(used < 4 * cost10, `${used} CPU ms spent (rejected ${latency} ms after abort); a cost-14 hash costs ~${16 * cost10}`)
  t.is(getEventListeners(controller.signal, 'abort').length, 0)
})

test.serial('executor "libuv": abort of a task queued behind a busy threadpool rejects at once', async (t) => {
  const size = Number(process.env.UV_THREADPOOL_SIZE) || 4
  let fillSettled = 0
  const fill = Array.from({ length: size }, () =>
    ot.hashPassword('pw', bcrypt(12, { executor: 'libuv' })).finally(() => { fillSettled++ }))
  await sleep(20)
  const controller = new AbortController()
  // scrypt has no checkpoint inside: had it started, the abort would wait for the whole hash.
  const victim = ot.hashPassword('pw', { algorithm: 'scrypt', logN: 17, signal: controller.signal, executor: 'libuv' })
  const since = performance.now()
  controller.abort()
  const latency = await abortedAfter(t, victim, since)
  t.true(latency < 150, `rejected ${latency} ms after abort`)
  t.is(fillSettled, 0)
  for (const hash of await Promise.all(fill)) t.regex(hash, BCRYPT_RE)
  t.is(getEventListeners(controller.signal, 'abort').length, 0)
})

test.serial('one signal shared by 200 tasks: each listener is removed when its task settles', async (t) => {
  const { signal } = new AbortController()
  setMaxListeners(100, signal) // 50 at a time is intended here
  const kinds = [
    () => ot.noop({ signal }),
    () => ot.noop({ signal, executor: 'libuv' }),
    () => ot.hashPassword('pw', bcrypt(4, { signal })),
    () => ot.hashPassword('pw', { memoryCost: 64, timeCost: 1, signal, executor: 'libuv' }),
    () => ot.verifyPassword('garbage', 'pw', { signal }).catch((e) => mismatch(e, ERR.hash) || 'rejected ERR_INVALID_HASH') // settles as an error
  ]
  for (let batch = 0; batch < 4; batch++) {
    const tasks = Array.from({ length: 50 }, (_, i) => kinds[i % kinds.length]())
    t.is(getEventListeners(signal, 'abort').length, 50, 'one listener per task in flight')
    const results = await Promise.all(tasks)
    t.is(results.filter((r) => r === 'rejected ERR_INVALID_HASH').length, 10)
    t.is(getEventListeners(signal, 'abort').length, 0, `after batch ${batch}`)
  }
  t.is(ot.stats().inFlight, 0)
})

// ---------------------------------------------------------------------------------------------
// Fresh processes

test('queue full: configure({ threads: 1, maxQueue: 2 }) refuses the overflow at once with ERR_QUEUE_FULL', async (t) => {
  const { out } = await runScenario(t, 'queue-full')
  const { results, stats } = out
  t.is(stats.threads, 1)
  t.is(stats.maxQueue, 2)
  const accepted = results.filter((r) => r.value !== undefined)
  const refused = results.filter((r) => r.error !== undefined)
  t.is(accepted.length + refused.length, 10)
  t.is(accepted.length, 2, 'the queue holds 2 while the only thread is busy')
  for (const r of accepted) t.regex(r.value, /^\$2b\$08\$/)
  for (const r of refused) checkSerialized(t, r.error, ERR.queueFull, { label: 'refused' })
  const firstDone = Math.min(...accepted.map((r) => r.at))
  t.true(refused.every((r) => r.at < firstDone), 'refusals settle before any accepted task finishes')
  t.is(stats.rejected, refused.length)
  t.is(stats.completed, accepted.length + 1, 'the two and the blocker')
})

test('configure after the pool started throws ERR_POOL_STARTED', async (t) => {
  const { out } = await runScenario(t, 'configure-after-start')
  checkSerialized(t, out.afterHash.error, ERR.started, { label: 'after a hash' })
  checkSerialized(t, out.afterStats.error, ERR.started, { label: 'after stats()' })
  t.is(out.stats.threads, os.availableParallelism(), 'the refused configure changed nothing')
})

test('stats() does not start the pool: configure() works after it, and not after a noop', async (t) => {
  const { out } = await runScenario(t, 'configure-after-stats')
  t.is(out.before.completed, 0)
  t.false('error' in out.afterStats)
  checkSerialized(t, out.afterNoop.error, ERR.started, { label: 'after a noop' })
  t.is(out.stats.maxQueue, 5)
  t.is(out.stats.completed, 1)
})

test('configure validates its options and a refused call changes nothing', async (t) => {
  const { out } = await runScenario(t, 'configure-validation')
  const expected = {
    threads0: ERR.range,
    threadsFraction: ERR.range,
    threadsTooMany: ERR.range,
    threadsString: ERR.type,
    priorityHigh: ERR.value,
    priorityNumber: ERR.type,
    maxQueue0: ERR.range,
    options: ERR.type
  }
  t.deepEqual(Object.keys(out.errors).sort(), Object.keys(expected).sort())
  for (const [key, err] of Object.entries(expected)) checkSerialized(t, out.errors[key] && out.errors[key].error, err, { label: key })
  t.is(out.errors.threads0.error.message, 'Expected integer between 1 and 1024 for threads but received 0 of type number')
  t.false(out.startedAfterErrors)
  t.false('error' in out.valid)
  t.is(out.stats.threads, 1)
  t.is(out.stats.maxQueue, 64)
  t.is(out.stats.priority, 'background')
})

test('threads: OFFTHREAD_THREADS sets the count, configure overrides it, RAYON_NUM_THREADS is ignored', async (t) => {
  const env = await runScenario(t, 'settings', { env: { OFFTHREAD_THREADS: '3', RAYON_NUM_THREADS: '1' } })
  t.is(env.out.stats.threads, 3)
  t.is(env.out.stats.maxQueue, 192)
  const rayon = await runScenario(t, 'settings', { env: { RAYON_NUM_THREADS: '1' } })
  t.is(rayon.out.stats.threads, rayon.out.availableParallelism)
  const configured = await runScenario(t, 'settings', { arg: '1', env: { OFFTHREAD_THREADS: '3' } })
  t.is(configured.out.stats.threads, 1)
})

test('priority "normal" runs pool threads at the process\'s own nice value', async (t) => {
  const normal = await runScenario(t, 'priority', { arg: 'normal' })
  t.is(normal.out.nice, normal.out.processNice)
  t.is(normal.out.stats.priority, 'normal')
  const background = await runScenario(t, 'priority')
  t.is(background.out.nice, Math.min(19, background.out.processNice + 10))
})

test('close() resolves after the tasks in flight settle; later calls reject ERR_POOL_CLOSED', async (t) => {
  const { out } = await runScenario(t, 'close')
  t.is(out.inFlightAtClose, 4)
  t.is(out.order.length, 5)
  t.is(out.order[4], 'close', `order: ${out.order}`)
  t.deepEqual(out.order.slice(0, 4).sort(), ['libuv', 'pool-1', 'pool-2', 'pool-3'])
  for (const hash of out.hashes) t.regex(hash, /^\$2b\$10\$/)
  for (const key of ['hash', 'verify', 'noop', 'libuv']) {
    checkSerialized(t, out.after[key].error, ERR.closed, { label: key })
  }
  t.false('error' in out.after.closeAgain, 'close() again resolves')
  t.true(out.stats.closed)
  t.is(out.stats.completed, 3)
})

test('the process exits by itself when idle, after every kind of settle (channel unref\'d)', async (t) => {
  for (const env of [{}, { OFFTHREAD_TEST_HOOKS: '1' }]) {
    const r = await runScenario(t, 'idle-exit', { env, timeout: 30000 })
    const { codes } = r.out
    t.true(codes.includes('ERR_QUEUE_FULL'))
    t.is(codes.filter((c) => c === 'ABORT_ERR').length, 2)
    if (env.OFFTHREAD_TEST_HOOKS) t.is(codes.at(-1), 'ERR_INTERNAL')
    const exitLag = r.wall - r.out.doneAt
    t.true(exitLag < 2000, `exited ${exitLag} ms after its last task`)
  }
})

test('the process does not exit while a promise is pending (pool and libuv)', async (t) => {
  const { out } = await runScenario(t, 'pending-keeps-alive')
  t.is(out.results.length, 2)
  for (const r of out.results) t.regex(r.value, /^\$2b\$12\$/)
})

test('a panic in a task or a sync call becomes ERR_INTERNAL, and the process keeps working', async (t) => {
  const { out, stderr } = await runScenario(t, 'panic', { env: { OFFTHREAD_TEST_HOOKS: '1' } })
  for (const key of ['pool', 'libuv', 'sync']) checkSerialized(t, out.results[key].error, ERR.internal, { label: key })
  t.regex(out.results.pool.error.message, /panic/)
  t.deepEqual(out.many, Array(8).fill('ERR_INTERNAL'))
  t.true(out.verified)
  t.true(out.verifiedSync)
  t.true(out.afterMany)
  t.is(out.stats.failed, 9)
  t.is(out.stats.running, 0)
  t.regex(stderr, /test panic requested/)
})

test('without OFFTHREAD_TEST_HOOKS=1 the panic hooks are harmless: ERR_INVALID_ARG_VALUE', async (t) => {
  const { out, stderr } = await runScenario(t, 'panic')
  for (const key of ['pool', 'libuv', 'sync']) checkSerialized(t, out.results[key].error, ERR.value, { label: key })
  t.deepEqual(out.many, Array(8).fill('ERR_INVALID_ARG_VALUE'))
  t.true(out.verified)
  t.notRegex(stderr, /panicked/)
})

test('the panic hooks are not part of the public API', (t) => {
  t.false(Object.keys(ot).some((k) => /panic/i.test(k)))
})
