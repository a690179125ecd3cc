'use strict'
// examples/bullmq against a real Redis (Debian's redis-server, started here on a free port of 127.0.0.1 with no
// persistence; .ci/run installs it, and without it every test fails). Two worker processes run the example's
// offthread processor: every job completes exactly once and none stalls. The same jobs on the JS thread
// (bcryptjs, a JS pixel loop, zlib's synchronous brotli) under the same short lockDuration stall and run twice.
// A job's time limit, and BullMQ's own cancellation, abort the running offthread task.

const test = require('ava')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const bcrypt = require('bcryptjs')
const { Queue } = require('bullmq')
const { heavy } = require('./helpers/quick')
const { startRedis } = require('./fixtures/bullmq/redis')
const { runJobs, startWorkers, nextMessage } = require('./fixtures/bullmq/run')
const { sampleJobs, passwordJob, imageJob } = require('../examples/bullmq/producer')

// Locks of 1.5 s, renewed every 100–200 ms while the loop is free (lockRenewTime 200 ms), and the stalled check
// every 1 s (BullMQ's defaults: a 30 s lock renewed every 15 s, the check every 30 s). An offthread worker's
// loop would have to wait ~1.3 s to lose a lock. The test logs the longest loop delay its workers saw after they
// were ready: 20–55 ms on this 2 vCPU EPYC when idle, 70–170 ms with three busy loops beside the test, and
// 469 and 688 ms while cargo and other benchmarks kept the load at 8–11 (CPU pressure ~90 %): then even an
// idle Node process waited up to 520 ms for a core. On the JS thread a password job (bcryptjs: hash, then compare) must block
// 1.5 × the lock at least: the bcrypt cost is chosen from the CPU time of a bcryptjs hash measured here (CPU
// time, so that a busy machine does not pick too low a cost; the wall time of the block is never shorter). A
// cost-10 hash takes ~72 ms of CPU on this machine under Node 20, so cost 14: ~2.3 s of blocked loop per run.
const LOCK_DURATION_MS = 1500
const LOCK_RENEW_TIME_MS = 200
const STALLED_INTERVAL_MS = 1000
const BLOCK_OVER_LOCK = 1.5
const JOBS = { passwords: 2, images: 4, jsons: 4 }
// A generous time limit: on a machine busy with other work the pool (at background priority) runs slowly, and
// this test is about stalls, not speed.
const TIME_LIMIT_MS = 120_000
const KEEP = { removeOnComplete: false, removeOnFail: false }
const SETTINGS = {
  LOCK_DURATION_MS: String(LOCK_DURATION_MS),
  LOCK_RENEW_TIME_MS: String(LOCK_RENEW_TIME_MS),
  STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS)
}

/** The lowest bcrypt cost (12–17) whose hash and compare on the JS thread take BLOCK_OVER_LOCK × the lock of CPU time. */
function chooseCost () {
  let cost10Ms = Infinity
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage()
    bcrypt.hashSync('calibration', 10)
    const used = process.cpuUsage(before)
    cost10Ms = Math.min(cost10Ms, (used.user + used.system) / 1000)
  }
  for (let cost = 12; cost < 17; cost++) {
    if (2 * cost10Ms * 2 ** (cost - 10) >= BLOCK_OVER_LOCK * LOCK_DURATION_MS) return { cost, cost10Ms }
  }
  return { cost: 17, cost10Ms }
}

let redis
let cost
let cost10Ms
const results = {}

test.before(async () => {
  redis = await startRedis() // throws, failing every test, when redis-server is not installed
  const calibration = chooseCost()
  cost = calibration.cost
  cost10Ms = calibration.cost10Ms
})

test.after.always(async () => {
  if (redis) await redis.stop()
})

/** The same 10 jobs for both processors. */
const theJobs = () => sampleJobs({ ...JOBS, cost, timeoutMs: TIME_LIMIT_MS, opts: KEEP })

// The two runs take ~25 s together on an idle 2-core machine: test:quick skips them.
const comparison = heavy('two runs of 10 jobs on 2 worker processes, ~25 s', test.serial)

comparison('offthread: 10 jobs across 2 worker processes each complete exactly once, none stalls', async (t) => {
  const jobs = theJobs()
  const r = await runJobs({ redisUrl: redis.url, queueName: 'offthread', jobs, workers: 2, env: { ...SETTINGS, PROCESSOR: 'offthread' }, timeoutMs: TIME_LIMIT_MS })
  results.offthread = r
  t.log(`offthread: bcrypt cost ${cost} (bcryptjs cost 10: ${cost10Ms.toFixed(0)} ms CPU), ${r.seconds.toFixed(1)} s, workers' longest loop delay ${r.loopMaxMs.toFixed(0)} ms, jobs per process ${JSON.stringify(Object.fromEntries(r.byPid))}`)

  t.is(r.jobs.length, 10)
  t.is(r.stalledEvents, 0, 'no stalled event on the queue')
  t.deepEqual(r.messages.filter((m) => ['stalled', 'lockRenewalFailed', 'error', 'failed'].includes(m.type)), [])
  for (const j of r.jobs) {
    t.is(j.state, 'completed', `job ${j.id} (${j.name}): ${j.failedReason}`)
    t.is(j.starts, 1, `job ${j.id} (${j.name}) was processed ${j.starts} times`)
    t.is(j.attemptsStarted, 1)
    t.is(j.stalledCounter, 0)
    t.is(j.progress, 100)
  }
  t.is(r.messages.filter((m) => m.type === 'completed').length, 10, 'each job completed once')
  t.is(r.byPid.size, 2, 'both worker processes took jobs')

  // The results, checked against other implementations.
  const byName = (name) => r.jobs.filter((j) => j.name === name)
  for (const j of byName('password')) {
    t.true(j.returnvalue.verified)
    t.regex(j.returnvalue.hash, new RegExp(`^\\$2b\\$${cost}\\$[./A-Za-z0-9]{53}$`))
  }
  const first = byName('password')[0]
  t.true(bcrypt.compareSync(first.data.password, first.returnvalue.hash), 'bcryptjs accepts the hash')
  for (const j of byName('image')) {
    t.like(j.returnvalue, { format: 'webp', width: 320, height: 213 })
    const webp = Buffer.from(j.returnvalue.data, 'base64')
    t.is(webp.length, j.returnvalue.size)
    t.is(webp.toString('latin1', 0, 4) + webp.toString('latin1', 8, 12), 'RIFFWEBP')
  }
  for (const j of byName('json')) {
    const body = Buffer.from(JSON.stringify(j.data.doc))
    t.is(j.returnvalue.bytes, body.length)
    t.is(j.returnvalue.sha256, crypto.createHash('sha256').update(body).digest('hex'))
    t.true(zlib.brotliDecompressSync(Buffer.from(j.returnvalue.brotli, 'base64')).equals(body), 'node:zlib decodes the archive')
  }
})

comparison('main thread: the same jobs under the same locks stall and are processed twice', async (t) => {
  const jobs = theJobs()
  const r = await runJobs({ redisUrl: redis.url, queueName: 'main-thread', jobs, workers: 2, env: { ...SETTINGS, PROCESSOR: 'main-thread' }, timeoutMs: TIME_LIMIT_MS })
  results.mainThread = r
  const stalledJobs = r.jobs.filter((j) => j.stalledCounter > 0)
  t.log(`main thread: ${r.seconds.toFixed(1)} s, ${r.stalledEvents} stalled events, ${stalledJobs.length} jobs stalled, ` +
    `starts per job ${JSON.stringify(r.jobs.map((j) => j.starts))}, workers' longest loop delay ${r.loopMaxMs.toFixed(0)} ms`)

  // Each password job blocks the loop longer than its lock: every run of it loses the lock and stalls.
  for (const j of r.jobs.filter((j) => j.name === 'password')) {
    t.true(j.stalledCounter >= 1, `password job ${j.id} did not stall`)
    t.true(j.starts >= 2, `password job ${j.id} was processed ${j.starts} time(s)`)
    t.not(j.state, 'completed', 'a job whose every run loses its lock never completes')
    t.is(j.failedReason, 'job stalled more than allowable limit')
  }
  t.true(r.messages.some((m) => m.type === 'error' && /Missing lock/i.test(m.message)), 'a run whose lock expired could not complete')

  // The comparison with the offthread run above: same jobs, same settings.
  t.truthy(results.offthread, 'the offthread run above finished')
  t.true(r.stalledEvents > 0)
  t.is(results.offthread.stalledEvents, 0)
  t.is(r.stalledEvents, r.jobs.reduce((n, j) => n + j.stalledCounter, 0), 'the stream and the jobs agree')
  t.true(Math.max(...r.starts.values()) >= 2)
  t.is(Math.max(...results.offthread.starts.values()), 1)
})

/** Runs `fn(queue, pool, child)` with one offthread worker process on a fresh queue `queueName`. */
async function withOneWorker (queueName, fn) {
  const queue = new Queue(queueName, { connection: { url: redis.url } })
  const pool = await startWorkers({ count: 1, redisUrl: redis.url, queueName, env: { PROCESSOR: 'offthread' } })
  try {
    await fn(queue, pool, pool.children[0])
  } finally {
    await pool.close()
    await queue.obliterate({ force: true })
    await queue.close()
  }
}

test.serial('a job past its time limit fails with ABORT_ERR and its offthread task stops', (t) => withOneWorker('time-limit', async (queue, pool, child) => {
  // bcrypt cost 18 runs for tens of seconds; the limit is 300 ms.
  const failed = nextMessage(child, (m) => m.type === 'failed', 30_000)
  const job = await add(queue, passwordJob('pw', { cost: 18, timeoutMs: 300, opts: KEEP }))
  const { error } = await failed
  t.like(error, { name: 'AbortError', code: 'ABORT_ERR', causeName: 'TimeoutError' })
  t.regex(error.message, /^ABORT_ERR: time limit of 300 ms exceeded \(/)

  const j = await queue.getJob(job.id)
  t.is(await j.getState(), 'failed')
  t.is(j.failedReason, error.message, 'the job fails with the AbortError\'s message')
  t.is(j.attemptsMade, 1)
  t.true(j.finishedOn - j.processedOn < 5000, `failed ${j.finishedOn - j.processedOn} ms after it started`)
  await assertTaskStopped(t, pool, child)
}))

test.serial('worker.cancelJob aborts the running offthread task through BullMQ\'s signal', (t) => withOneWorker('cancel', async (queue, pool, child) => {
  const started = nextMessage(child, (m) => m.type === 'start', 30_000)
  const job = await add(queue, passwordJob('pw', { cost: 18, opts: { ...KEEP, attempts: 3 } }))
  await started
  const failed = nextMessage(child, (m) => m.type === 'failed', 30_000)
  t.like(await pool.cancel(child, job.id, 'user asked'), { found: true })
  const { error } = await failed
  t.like(error, { name: 'UnrecoverableError', code: 'ABORT_ERR', causeName: 'AbortError', message: 'ABORT_ERR: cancelled (user asked)' })
  const j = await queue.getJob(job.id)
  t.is(await j.getState(), 'failed')
  t.is(j.attemptsMade, 1, 'a cancelled job is not retried, although attempts is 3')
  await assertTaskStopped(t, pool, child)
}))

test.serial('a job with bad data fails once with offthread\'s code and is not retried', (t) => withOneWorker('bad-data', async (queue, pool, child) => {
  const failed = nextMessage(child, (m) => m.type === 'failed', 30_000)
  const job = await add(queue, imageJob(Buffer.from('not an image'), { opts: { ...KEEP, attempts: 3 } }))
  const { error } = await failed
  t.like(error, { name: 'UnrecoverableError', code: 'ERR_IMAGE_FORMAT', causeName: 'Error' })
  t.regex(error.message, /^ERR_IMAGE_FORMAT: /)
  const j = await queue.getJob(job.id)
  t.is(await j.getState(), 'failed')
  t.is(j.attemptsMade, 1, 'not retried, although attempts is 3')
  t.is(pool.messages.filter((m) => m.type === 'start').length, 1)
}))

/** Adds one job built by the producer's builders. */
const add = (queue, { name, data, opts }) => queue.add(name, data, opts)

/** The aborted task left offthread's pool in `child` within 2 s (it would run for tens of seconds). */
async function assertTaskStopped (t, pool, child) {
  let stats
  for (let i = 0; i < 40; i++) {
    ({ stats } = await pool.stats(child))
    if (stats.running === 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.is(stats.running, 0, 'the aborted bcrypt task stopped')
  t.is(stats.cancelled, 1)
  t.is(stats.completed, 0)
}
