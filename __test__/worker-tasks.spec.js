'use strict'
// Issue 12: your own JavaScript on worker threads that share offthread's CPU budget, priority, queue and
// cancellation (lib/workers.js, lib/worker-host.js, src/slot.rs). Serial: the pool is configured with
// 2 threads and the budget is shared by every case. Process-wide endings (close(), idle exit) run in
// child processes.

const test = require('ava')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { threadId } = require('node:worker_threads')
const ot = require('..')
const { ERR, rejects, throws, aborted, checkError } = require('./helpers/errors')

const THREADS = 2
const MAX_QUEUE = 16
ot.configure({ threads: THREADS, maxQueue: MAX_QUEUE })

const TASKS = path.join(__dirname, 'fixtures', 'tasks', 'tasks.cjs')
const ESM = path.join(__dirname, 'fixtures', 'tasks', 'tasks.mjs')
const EXITED = ['ERR_WORKER_EXITED', Error]
const pool = ot.workers(TASKS)

test.after.always(() => pool.close())

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits (up to 2 s) until `read()` returns `want`; returns the last value read. Pool counters settle a moment after a promise. */
async function until (read, want) {
  const end = Date.now() + 2000
  let value = read()
  while (value !== want && Date.now() < end) {
    await sleep(5)
    value = read()
  }
  return value
}

/**
 * Occupies both pool threads with JS tasks that wait on a latch; resolves once both run. `open()`
 * lets them finish and resolves with their results.
 */
async function occupy (t) {
  const latch = new SharedArrayBuffer(4)
  const wait = (sab) => { Atomics.wait(new Int32Array(sab), 0, 0); return 'released' }
  const blockers = Array.from({ length: THREADS }, () => ot.run(wait, latch))
  t.is(await until(() => ot.stats().kinds.js.running, THREADS), THREADS, 'both threads held')
  return () => {
    Atomics.store(new Int32Array(latch), 0, 1)
    Atomics.notify(new Int32Array(latch), 0)
    return Promise.all(blockers)
  }
}

/** Runs `code` in a fresh Node process with the repo as cwd; resolves { code, out (last stdout line, parsed), ms }. */
function child (code, timeout = 60000) {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', code], { cwd: path.join(__dirname, '..'), timeout }, (err, stdout, stderr) => {
      let out
      try { out = JSON.parse(stdout.trim().split('\n').pop()) } catch {}
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, out, stderr, ms: Date.now() - started })
    })
  })
}

test.serial('results and arguments travel both ways (structured clone), async functions are awaited', async (t) => {
  t.is(await pool.run('add', [2, 3]), 5)
  t.is(await pool.run('asyncAdd', [2, 3]), 5)
  const value = { n: 1, s: 'x', big: 2n ** 70n, date: new Date(0), map: new Map([[1, 'a']]), nested: [new Uint8Array([1, 2])] }
  t.deepEqual(await pool.run('echo', [value]), value)
  const me = await pool.run('whoami')
  t.not(me.threadId, threadId, 'ran on another thread')
})

test.serial('a thrown error rejects with the same class, name, message, stack, code, cause and own properties', async (t) => {
  const err = await rejects(t, pool.run('fail'), ['ERR_TASK_TOO_FAR', RangeError])
  t.is(err.name, 'RangeError')
  t.is(err.message, 'too far')
  t.regex(err.stack, /^RangeError: too far\n\s+at exports\.fail .*tasks\.cjs:\d+:\d+/)
  t.true(err.cause instanceof Error)
  t.is(err.cause.message, 'the cause')
  t.regex(err.cause.stack, /tasks\.cjs/)
  t.deepEqual(err.extra, { n: 1 })
  const custom = await t.throwsAsync(pool.run('failCustom'))
  t.is(Object.getPrototypeOf(custom), Error.prototype)
  t.is(custom.name, 'QuotaError')
  t.is(custom.message, 'over quota')
  t.is(custom.code, undefined)
  t.is(await pool.run('throwValue').then(() => 'resolved', (v) => v), 42, 'a thrown non-error is the rejection value')
  await rejects(t, pool.run('nope'), ERR.value, { message: /Expected the name of a function exported by file:.*tasks\.cjs for name but received 'nope'/ })
  await rejects(t, pool.run('notAFunction'), ERR.value)
  // A result that cannot be cloned rejects with the worker's DataCloneError.
  const clone = await t.throwsAsync(ot.run(() => () => 1))
  t.is(clone.name, 'DataCloneError')
})

test.serial('ESM and CJS task modules: named exports, a default export, module.exports = function', async (t) => {
  const esm = ot.workers(ESM, { maxThreads: 1 })
  const cjsDefault = ot.workers(path.join(__dirname, 'fixtures', 'tasks', 'default.cjs'), { maxThreads: 1 })
  try {
    t.is(await esm.run('mul', [6, 7]), 42)
    t.is(await esm.run('default', ['you']), 'hello you')
    t.is(await esm.run(undefined, ['all']), 'hello all', 'the name defaults to the default export')
    t.is(await cjsDefault.run('default', [21]), 42)
    // A file: URL works as well as a path.
    const byUrl = ot.workers(new URL(`file://${ESM}`), { maxThreads: 1 })
    t.is(await byUrl.run('mul', [2, 2]), 4)
    await byUrl.close()
  } finally {
    await Promise.all([esm.close(), cjsDefault.close()])
  }
})

test.serial('run(fn): the source is compiled once per worker; free identifiers that are not worker globals are refused by name', async (t) => {
  t.is(await ot.run((a, b) => a * b, 6, 7), 42)
  const one = ot.workers(null, { maxThreads: 1 })
  // The same function object on the same worker: its own property persists, so it was compiled once.
  function counter () { counter.calls = (counter.calls || 0) + 1; return counter.calls }
  t.deepEqual([await one.exec(counter), await one.exec(counter), await one.exec(counter)], [1, 2, 3])
  t.is(await one.exec(({ sq (x) { return x * x } }).sq, [9]), 81, 'a method')
  t.is(await one.exec((name) => require('node:path').basename(name), ['/a/b.txt']), 'b.txt', 'require inside fn')
  await one.close()
  const config = { factor: 3 }
  const secret = 'x'
  await rejects(t, ot.workers(null).exec((x) => x * config.factor + secret.length, [1]), ERR.value,
    { message: "fn runs on a worker thread, where 'config', 'secret' are not globals: closures do not travel; pass values as arguments, or require() modules inside fn" })
  await rejects(t, ot.run(() => config), ERR.value, { message: /'config' is not a global/ })
  await rejects(t, ot.run(class A {}), ERR.value)
  await rejects(t, ot.run(Math.max), ERR.value)
  await rejects(t, ot.run('x => x'), ERR.type)
})

test.serial('transfer detaches the sender\'s buffer; a SharedArrayBuffer is shared by a parallel kernel with Atomics', async (t) => {
  const buf = new Uint8Array(1 << 20).fill(7)
  t.is(await pool.run('byteLength', [buf], { transfer: [buf.buffer] }), 1 << 20)
  t.is(buf.byteLength, 0, 'detached')
  const copied = new Uint8Array(16)
  t.is(await pool.run('byteLength', [copied]), 16)
  t.is(copied.byteLength, 16, 'copied without transfer')
  const n = 100000
  const sab = new SharedArrayBuffer(n * 4)
  const parts = 4
  const done = await Promise.all(Array.from({ length: parts }, (_, i) => pool.run('addOne', [sab, (i * n) / parts, ((i + 1) * n) / parts])))
  t.deepEqual(done, [n / parts, n / parts, n / parts, n / parts])
  const a = new Int32Array(sab)
  t.true(a.every((x) => x === 1), 'every element incremented once, in place')
})

test.serial('abort while queued: rejects at once and the task never runs', async (t) => {
  const marks = new SharedArrayBuffer(4)
  const open = await occupy(t)
  const ac = new AbortController()
  const queued = ot.workers(null).exec((sab) => Atomics.add(new Int32Array(sab), 0, 1), [marks], { signal: ac.signal })
  await sleep(20)
  t.is(ot.stats().kinds.js.queued, 1)
  const started = Date.now()
  ac.abort(new Error('changed my mind'))
  await aborted(t, queued, ac.signal, 'queued')
  t.true(Date.now() - started < 1000, `rejected at once (${Date.now() - started} ms), the threads still held`)
  t.deepEqual(await open(), ['released', 'released'])
  await sleep(50)
  t.is(new Int32Array(marks)[0], 0, 'never ran')
  t.is(await until(() => ot.stats().kinds.js.queued, 0), 0)
  // An already-aborted signal: rejected without queuing.
  const pre = AbortSignal.abort()
  await aborted(t, pool.run('add', [1, 2], { signal: pre }), pre, 'pre-aborted')
})

test.serial('abort while running: a cooperative task stops through this.signal; its worker is kept', async (t) => {
  const one = ot.workers(TASKS, { maxThreads: 1, abortGraceMs: 5000 })
  const before = (await one.run('whoami')).threadId
  const ac = new AbortController()
  const task = one.run('cooperate', [10000], { signal: ac.signal })
  await sleep(100)
  const started = Date.now()
  ac.abort()
  await aborted(t, task, ac.signal, 'cooperative')
  t.true(Date.now() - started < 1000, 'well within the grace period')
  t.is((await one.run('whoami')).threadId, before, 'same worker')
  await one.close()
})

test.serial('abort while running: an uncooperative task is terminated after abortGraceMs and its worker replaced', async (t) => {
  const one = ot.workers(TASKS, { maxThreads: 1, abortGraceMs: 150 })
  const before = (await one.run('whoami')).threadId
  const ac = new AbortController()
  const task = one.run('spin', [20000], { signal: ac.signal })
  await sleep(100)
  const started = Date.now()
  ac.abort()
  await aborted(t, task, ac.signal, 'terminated')
  const took = Date.now() - started
  t.true(took >= 150 && took < 3000, `rejected after the grace period (${took} ms)`)
  t.not((await one.run('whoami')).threadId, before, 'a new worker')
  t.is(await until(() => ot.stats().kinds.js.running, 0), 0, 'its slot was released')
  await one.close()
})

test.serial('process.exit, an uncaught error in a timer and running out of memory reject with ERR_WORKER_EXITED; neighbours unaffected', async (t) => {
  const two = ot.workers(TASKS, { maxThreads: 2, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } })
  const neighbour = two.run('window', [300])
  const exit = await rejects(t, two.run('exit', [7]), EXITED, { message: 'The worker thread running this task exited with code 7' })
  t.is(exit.exitCode, 7)
  const timer = await rejects(t, two.run('timerThrow'), EXITED)
  t.is(timer.exitCode, 1)
  t.is(timer.cause.message, 'thrown in a timer')
  const oom = await rejects(t, two.run('oom'), EXITED)
  t.is(oom.cause.code, 'ERR_WORKER_OUT_OF_MEMORY')
  t.is((await neighbour).length, 2, 'the neighbour finished')
  t.is(await two.run('add', [1, 1]), 2, 'replaced workers serve the next task')
  await two.close()
})

test.serial('one budget: with threads 2, argon2 tasks and JS tasks together never run more than 2 at once (sampled)', async (t) => {
  const seen = { max: 0, js: 0, native: 0, both: 0 }
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const s = ot.stats()
      const k = s.kinds
      seen.max = Math.max(seen.max, s.running, k.js.running + k.native.running)
      seen.js = Math.max(seen.js, k.js.running)
      seen.native = Math.max(seen.native, k.native.running)
      if (k.js.running > 0 && k.native.running > 0) seen.both++
      await sleep(1)
    }
  })()
  const work = []
  for (let i = 0; i < 6; i++) {
    work.push(ot.hashPassword(`pw${i}`))
    work.push(pool.run('window', [30]))
  }
  const results = await Promise.all(work)
  sampling = false
  await sampler
  t.is(results.length, 12)
  const windows = results.filter(Array.isArray)
  t.is(windows.length, 6)
  t.true(seen.max <= THREADS, `at most ${THREADS} running (saw ${seen.max})`)
  t.true(seen.js >= 1 && seen.native >= 1, 'both kinds ran')
  t.true(seen.both > 0, 'both kinds shared the budget at the same moment')
  // JS windows alone: never more than 2 overlap.
  const events = windows.flatMap(([s, e]) => [[s, 1], [e, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let open = 0
  let most = 0
  for (const [, d] of events) most = Math.max(most, (open += d))
  t.true(most <= THREADS)
})

test.serial('one queue: maxQueue counts JS and native tasks; past it, ERR_QUEUE_FULL', async (t) => {
  const open = await occupy(t)
  t.is(ot.stats().queued, 0)
  const queued = []
  for (let i = 0; i < MAX_QUEUE / 2; i++) queued.push(pool.run('add', [i, 1]), ot.noop())
  await rejects(t, pool.run('add', [0, 0]), ERR.queueFull)
  await rejects(t, ot.noop(), ERR.queueFull)
  const s = ot.stats()
  t.is(s.kinds.js.queued, MAX_QUEUE / 2)
  t.is(s.kinds.native.queued, MAX_QUEUE / 2)
  await open()
  const results = await Promise.all(queued)
  t.deepEqual(results.filter((x) => x !== undefined), Array.from({ length: MAX_QUEUE / 2 }, (_, i) => i + 1))
  t.true(ot.stats().rejected >= 2)
})

test.serial('one FIFO: a native task queued between two JS tasks runs before the second; a finished JS task hands its thread over only when no native task waits', async (t) => {
  t.timeout(30000)
  const open = await occupy(t)
  // Both long enough (~1 s) that a loaded machine's slow polling still sees them run together.
  const first = pool.run('window', [1000])
  const hash = ot.hashPassword('fifo', { timeCost: 60 }).then(() => performance.timeOrigin + performance.now())
  const second = pool.run('window', [20])
  let k = ot.stats().kinds
  t.deepEqual([k.js.queued, k.native.queued], [2, 1], 'queued in order: JS, native, JS')
  await open()
  const both = () => { k = ot.stats().kinds; return k.native.running === 1 && k.js.running === 1 }
  t.true(await until(both, true), `the first JS task and the native task started (last seen ${JSON.stringify(k)})`)
  t.deepEqual(k, { native: { queued: 0, running: 1 }, js: { queued: 1, running: 1 } }, 'the second JS task waits for one of them')
  const [[firstStart], hashEnd, [secondStart]] = await Promise.all([first, hash, second])
  t.true(secondStart > firstStart && hashEnd > firstStart)
  t.deepEqual(ot.stats().kinds, { native: { queued: 0, running: 0 }, js: { queued: 0, running: 0 } })
})

test.serial('exact counts under churn: every JS task in flight counts once (queued or running), across pools, with aborts at any moment', async (t) => {
  t.timeout(60000)
  const other = ot.workers(TASKS, { maxThreads: 1 })
  const pools = [pool, other]
  const problems = []
  let checks = 0
  const check = (where) => {
    checks++
    const s = ot.stats()
    const k = s.kinds
    const inFlight = pools.reduce((n, p) => n + p.threads.tasks, 0)
    if (k.js.queued + k.js.running !== inFlight) problems.push(`${where}: js ${JSON.stringify(k.js)} with ${inFlight} in flight`)
    if (k.js.running > THREADS || k.js.running + k.native.running > THREADS) problems.push(`${where}: over budget ${JSON.stringify(k)}`)
    if (k.native.queued < 0 || k.native.running < 0) problems.push(`${where}: negative ${JSON.stringify(k.native)}`)
  }
  const sampler = setInterval(() => check('sampled'), 1)
  let resolved = 0
  let abortedCount = 0
  const lanes = Array.from({ length: 6 }, async (_, lane) => {
    for (let i = 0; i < 50; i++) {
      const ac = (i + lane) % 4 === 0 ? new AbortController() : undefined
      const task = pools[lane % 2].run('add', [i, lane], ac && { signal: ac.signal })
      check('submitted')
      if (ac !== undefined) {
        if (i % 3 === 0) ac.abort()
        else if (i % 3 === 1) setImmediate(() => ac.abort())
        else queueMicrotask(() => ac.abort())
      }
      try {
        const v = await task
        if (v !== i + lane) problems.push(`lane ${lane} task ${i}: ${v}`)
        resolved++
      } catch (err) {
        if (err.name !== 'AbortError') problems.push(`lane ${lane} task ${i}: ${err.stack}`)
        abortedCount++
      }
      check('settled')
      if (lane === 0 && i % 10 === 0) await ot.hashPassword(`churn${i}`)
    }
  })
  await Promise.all(lanes)
  clearInterval(sampler)
  await other.close()
  t.deepEqual(problems, [])
  t.is(resolved + abortedCount, 300)
  t.true(resolved > 0 && abortedCount > 0, `${resolved} resolved, ${abortedCount} aborted`)
  t.true(checks > 600)
  t.deepEqual(ot.stats().kinds.js, { queued: 0, running: 0 }, 'exact at once, no settling delay')
})

test.serial('priority: each worker thread runs at nice +10 over the process (read from /proc/self/task/*/stat)', async (t) => {
  if (process.platform !== 'linux') return t.pass('Linux only')
  const nice = (tid) => Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16])
  const mainNice = os.getPriority()
  t.is(nice(process.pid), mainNice, 'the JS thread keeps its priority')
  const two = ot.workers(TASKS, { minThreads: 2, maxThreads: 2 })
  const tids = new Set(await Promise.all([two.run('window', [100]).then(() => two.run('tid')), two.run('tid'), two.run('tid')]))
  t.true(tids.size >= 1)
  for (const tid of tids) {
    t.not(tid, process.pid)
    t.is(nice(tid), Math.min(19, mainNice + 10), `worker thread ${tid}`)
  }
  await two.close()
})

test.serial('offthread\'s own functions work inside these workers, and so do workers inside workers', async (t) => {
  t.true(await pool.run('hashInside', ['pw']))
  const nested = await pool.run('nested', [20, 22])
  t.is(nested.sum, 42)
  t.not(nested.outer, threadId)
})

test.serial('no deadlock: with every thread held by JS tasks that await offthread\'s own work (native or a nested pool\'s), that work runs on the threads they hold', async (t) => {
  t.timeout(30000)
  const { createHash } = require('node:crypto')
  const wide = ot.workers(TASKS, { maxThreads: 4 })
  try {
    // 4 tasks on a budget of 2: the first two hold both threads while they await, twice over.
    const inside = await Promise.all(['a', 'b', 'c', 'd'].map((pw) => wide.run('nativeInside', [pw])))
    t.deepEqual(inside, ['a', 'b', 'c', 'd'].map((pw) => ({ ok: true, digest: createHash('sha256').update(pw).digest('hex') })))
    const nested = await Promise.all([1, 2, 3, 4].map((i) => wide.run('nested', [i, 40])))
    t.deepEqual(nested.map((n) => n.sum), [41, 42, 43, 44])
    await until(() => ot.stats().kinds.js.running, 0)
    t.deepEqual(ot.stats().kinds, { native: { queued: 0, running: 0 }, js: { queued: 0, running: 0 } })
  } finally {
    await wide.close()
  }
})

test.serial('options: workerData, env, execArgv, idleTimeout; recycling past maxMemoryLimitBeforeRecycle', async (t) => {
  const p = ot.workers(TASKS, { maxThreads: 1, workerData: { hello: 'world' }, env: { OFFTHREAD_TASK_ENV: 'yes' }, execArgv: [] })
  t.deepEqual((await p.run('whoami')).workerData, { hello: 'world' })
  t.is(await p.run('env', ['OFFTHREAD_TASK_ENV']), 'yes')
  await p.close()
  const recycled = ot.workers(TASKS, { maxThreads: 1, maxMemoryLimitBeforeRecycle: 4 * 1024 * 1024 })
  const first = (await recycled.run('whoami')).threadId
  await recycled.run('heapHog')
  t.not((await recycled.run('whoami')).threadId, first, 'a worker whose heap exceeded the limit was replaced')
  await recycled.close()
  const idle = ot.workers(TASKS, { maxThreads: 1, idleTimeout: 50 })
  await idle.run('add', [1, 2])
  t.is(idle.threads.workers, 1)
  await sleep(300)
  t.is(idle.threads.workers, 0, 'the idle worker ended')
  t.is(await idle.run('add', [1, 2]), 3, 'and a new one starts on demand')
  await idle.close()
})

test.serial('validation: sharp-style errors with codes, synchronous for workers(), rejections for run()', async (t) => {
  throws(t, () => ot.workers(42), ERR.type)
  throws(t, () => ot.workers(TASKS, { maxThreadz: 2 }), ERR.value)
  throws(t, () => ot.workers(TASKS, { maxThreads: 0 }), ERR.range)
  throws(t, () => ot.workers(TASKS, { abortGraceMs: 0.5 }), ERR.range)
  throws(t, () => ot.workers(TASKS, { execArgv: 'x' }), ERR.type)
  await rejects(t, pool.run(42), ERR.type)
  await rejects(t, pool.run('add', 1), ERR.type)
  await rejects(t, pool.run('add', [], { signal: 'no' }), ERR.type)
  await rejects(t, pool.run('add', [], { transfer: 'no' }), ERR.type)
  await rejects(t, pool.run('add', [], { priority: 1 }), ERR.value)
  await rejects(t, ot.workers(null).run('add'), ERR.value)
})

test.serial('close() of a pool: its tasks settle, its workers exit, later tasks reject with ERR_POOL_CLOSED', async (t) => {
  const p = ot.workers(TASKS, { maxThreads: 2 })
  const inflight = p.run('window', [100])
  const closing = p.close()
  await rejects(t, p.run('add', [1, 1]), ERR.closed)
  t.is((await inflight).length, 2)
  await closing
  t.deepEqual(p.threads, { workers: 0, idle: 0, tasks: 0 })
})

test('offthread close() ends the workers once their tasks settle; an idle process exits with workers alive', async (t) => {
  const closed = await child(`
    const ot = require('.')
    const p = ot.workers(${JSON.stringify(TASKS)}, { minThreads: 1 })
    const task = p.run('spin', [100])
    ot.close().then(async () => {
      const later = await p.run('add', [1, 1]).catch((e) => e.code)
      console.log(JSON.stringify({ result: await task, later, workers: p.threads.workers }))
    })`)
  t.is(closed.code, 0, closed.stderr)
  t.true(closed.out.result > 0)
  t.is(closed.out.later, 'ERR_POOL_CLOSED')
  t.is(closed.out.workers, 0)
  // Nothing in flight: idle workers hold no ref, so the process ends by itself (long before idleTimeout).
  const idle = await child(`
    const ot = require('.')
    const p = ot.workers(${JSON.stringify(TASKS)}, { minThreads: 2, idleTimeout: 60000 })
    p.run('add', [1, 2]).then((v) => console.log(JSON.stringify({ v, workers: p.threads.workers })))`)
  t.is(idle.code, 0, idle.stderr)
  t.deepEqual(idle.out, { v: 3, workers: 2 })
  t.true(idle.ms < 20000, `exited by itself in ${idle.ms} ms`)
})

test('two copies of the library in one process (a cleared require cache) each get their own tasks\' starts; the process exits by itself', async (t) => {
  const r = await child(`
    const first = require('.')
    first.configure({ threads: 1 })
    const p1 = first.workers(${JSON.stringify(TASKS)})
    p1.run('add', [1, 2]).then(async (a) => {
      for (const k of Object.keys(require.cache)) if (!k.includes('node_modules') && !k.endsWith('.node')) delete require.cache[k]
      const second = require('.')
      const p2 = second.workers(${JSON.stringify(TASKS)})
      // One pool thread: the tasks of both copies queue behind each other and start through each one's notifier.
      const results = await Promise.all([p2.run('window', [30]), p1.run('add', [5, 6]), p2.run('add', [3, 4]), p1.run('add', [7, 8])])
      console.log(JSON.stringify([a, results[0].length, ...results.slice(1)]))
    })`, 30000)
  t.is(r.code, 0, r.stderr)
  t.deepEqual(r.out, [3, 2, 11, 7, 15])
})

test.serial('stats() by kind and the error class of ERR_WORKER_EXITED', async (t) => {
  t.deepEqual(Object.keys(ot.stats().kinds), ['native', 'js'])
  t.is(await until(() => ot.stats().kinds.js.running, 0), 0)
  t.deepEqual(ot.stats().kinds.js, { queued: 0, running: 0 })
  const running = pool.run('window', [150])
  await sleep(60)
  t.is(ot.stats().kinds.js.running, 1)
  await running
  checkError(t, await pool.run('exit', [0]).catch((e) => e), EXITED)
})

test.serial('the Express demo\'s GET /compute runs heavyCalculation on the main thread, offthread workers and piscina alike', async (t) => {
  const { createApp } = require('../examples/express/app')
  const app = createApp({ logger: { error: () => {} } })
  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)) })
  const base = `http://127.0.0.1:${server.address().port}`
  try {
    for (const mode of ['main', 'offthread', 'piscina']) {
      const res = await fetch(`${base}/compute?mode=${mode}&n=1000`)
      t.is(res.status, 200, mode)
      const body = await res.json()
      t.like(body, { mode, n: 1000, result: 499500 }, mode)
      t.true(body.ms >= 0)
    }
    const bad = await fetch(`${base}/compute?mode=gpu`)
    t.is(bad.status, 400)
    t.is((await bad.json()).code, 'ERR_INVALID_ARG_VALUE')
    t.is((await fetch(`${base}/compute?n=0.5`)).status, 400)
  } finally {
    server.close()
  }
})
