'use strict'
// worker_threads: the addon is context-aware (loads in several environments at once), and a worker
// terminated with tasks in flight does not crash the process. Each case runs fixtures/workers-child.js
// in a child process, so that a crash shows as an exit code or signal instead of killing ava.

const test = require('ava')
const path = require('node:path')
const { execFile } = require('node:child_process')

const CHILD = path.join(__dirname, 'fixtures', 'workers-child.js')
const STRESS = path.join(__dirname, '..', 'scripts', 'stress-workers.js')

/** Runs `script` (default the child fixture) with `args`; resolves { code, signal, out (parsed last stdout line), stderr }. */
function runChild (args, timeout = 120000, script = CHILD) {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      let out
      try {
        out = JSON.parse(stdout.trim().split('\n').pop())
      } catch {
        out = undefined
      }
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, out, stdout, stderr })
    })
  })
}

async function runOk (t, args, script) {
  const r = await runChild(args, 120000, script)
  t.is(r.signal, null, `killed by ${r.signal}\n${r.stderr}`)
  t.is(r.code, 0, `exit code ${r.code}\n${r.stderr}`)
  if (r.out === undefined) throw new Error(`no JSON from the child:\n${r.stdout}\n${r.stderr}`)
  return r.out
}

test('the addon loads in 4 worker_threads at once; each hashes and verifies (pool, libuv, sync)', async (t) => {
  const out = await runOk(t, ['load'])
  t.is(out.results.length, 4)
  t.deepEqual(out.exitCodes, [0, 0, 0, 0], 'each worker exits by itself once idle')
  t.deepEqual(new Set(out.results.map((r) => r.threadId)).size, 4)
  for (const r of out.results) {
    t.regex(r.bcrypt, /^\$2b\$04\$[./A-Za-z0-9]{53}$/)
    t.regex(r.argon2, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    t.like(r, { bcryptOk: true, bcryptWrong: false, argon2Ok: true, argon2Wrong: false, syncOk: true, noop: true })
  }
  t.is(new Set(out.results.map((r) => r.bcrypt)).size, 4)
  t.true(out.mainOk, 'the main thread hashed at the same time')
})

test('10 rounds of 4 workers terminated 0–20 ms in, with ~20 tasks each in flight: no crash', async (t) => {
  const out = await runOk(t, ['churn', '10'])
  t.is(out.rounds, 10)
  t.is(out.terminated.beforeStart + out.terminated.inFlight, 40, 'every worker was terminated by the main thread')
  t.true(out.terminated.inFlight >= 10)
  t.true(out.verified, 'the main thread still hashes and verifies (argon2)')
  t.true(out.bcrypt, 'the main thread still hashes and verifies (bcrypt)')
  t.is(out.stats.running, 0, 'the pool drained the orphaned tasks')
  t.is(out.stats.queued, 0)
  t.is(out.stats.inFlight, 0)
  t.true(out.stats.completed > 0)
})

// The stress script (npm run stress:workers runs 50 rounds) with 5: its mix adds images (a 347 KB JPEG
// read in place, a path), compression and 1 MiB digests read in place to the hashes above.
test('5 rounds of 8 workers × 50 mixed tasks (hash, verify, digest, compress, image; some with a signal) terminated 0–30 ms in, while the main thread works: no crash, the pool drains', async (t) => {
  const out = await runOk(t, ['--rounds', '5', '--json'], STRESS)
  t.is(out.rounds, 5)
  t.is(out.workers, 40)
  t.is(out.terminated.fromCreation + out.terminated.withTasksInFlight, 40, 'every worker was terminated by the main thread')
  t.true(out.terminated.withTasksInFlight >= 20, 'half the workers were terminated with their tasks started')
  t.true(out.tasksStarted >= 20 * 50, `${out.tasksStarted} worker tasks started`)
  t.deepEqual(out.workerErrors, [])
  t.deepEqual(out.wrongResults, [], 'every task that settled in a worker gave the right result')
  t.true(out.mainOps > 0, 'the main thread kept working (its results are checked in the script)')
  t.true(out.pool.cancelled > 0, 'terminations and signals cancelled tasks')
  t.is(out.pool.failed, 0)
  t.deepEqual(out.stats, { running: 0, queued: 0, inFlight: 0 }, 'the pool drained after every round')
})

test('terminating a worker cancels its tasks: queued ones never run, the pool drains at once', async (t) => {
  const { Worker } = require('node:worker_threads')
  const ot = require('..')
  const root = path.join(__dirname, '..')
  const before = ot.stats()
  // 40 scrypt hashes of ~0.3 s each: ~6 s of work on 2 threads if they all ran.
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads')
    const ot = require(${JSON.stringify(root)})
    for (let i = 0; i < 40; i++) ot.hashPassword('pw', { algorithm: 'scrypt' }).catch(() => {})
    parentPort.postMessage('queued')
  `, { eval: true })
  await new Promise((resolve) => worker.once('message', resolve))
  t.true(ot.stats().queued > 0, 'tasks are waiting')
  const atTerminate = ot.stats()
  const since = Date.now()
  await worker.terminate()
  while ((ot.stats().queued > 0 || ot.stats().running > 0) && Date.now() - since < 20000) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const drained = Date.now() - since
  const after = ot.stats()
  t.is(after.queued, 0)
  t.is(after.running, 0)
  // Wall time depends on the machine's load (the pool runs at background priority), so count work
  // instead, from the terminate() call: at most the tasks running then (one per thread, or the next
  // one a thread took in the moment before the teardown) may complete; every other one is cancelled.
  // How many completed before terminate() depends on how fast the worker got there: not checked.
  const completed = after.completed - atTerminate.completed
  const cancelled = after.cancelled - before.cancelled
  t.true(completed <= 2 * atTerminate.threads, `${completed} of the 40 tasks completed after terminate() (drained in ${drained} ms)`)
  t.is(after.completed - before.completed + cancelled, 40, `every task completed or was cancelled (${cancelled} cancelled)`)
})

// Found by scripts/stress-workers.js on Node 24.21.0: a Buffer that offthread returned (an external buffer) of
// 64 KiB or more, passed back to an async function and still alive at exit, made the exit abort with "FATAL
// ERROR: v8::FromJust Maybe value is Nothing" in node::Environment::RunCleanup once its ArrayBuffer had been
// marked untransferable. Such buffers are now copied instead of pinned (lib/native.js).
test('a ≥ 64 KiB Buffer from offthread, passed back as a task input and alive at exit: the process exits 0', async (t) => {
  const script = `
    const ot = require(${JSON.stringify(path.join(__dirname, '..'))})
    const crypto = require('node:crypto')
    ot.compress(crypto.randomBytes(96 * 1024)) // ~96 KiB of output: an external buffer
      .then((z) => ot.digest('sha256', z)) // read in place through a reference
      .then((hex) => console.log(JSON.stringify({ hex })))
  `
  const r = await new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, stdout, stderr })
    })
  })
  t.regex(r.stdout, /"hex":"[0-9a-f]{64}"/, 'the tasks settled')
  t.is(r.signal, null, `killed by ${r.signal}\n${r.stderr}`)
  t.is(r.code, 0, `exit code ${r.code}\n${r.stderr}`)
})
