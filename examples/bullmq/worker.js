'use strict'
// A BullMQ worker process: `REDIS_URL=redis://host:6379 node examples/bullmq/worker.js`. Start as many as you
// like, on as many machines: they share nothing but Redis. Each takes jobs from the queue and runs them with
// offthread (jobs.js) in an ordinary in-process processor, with no sandbox file.
//
// Environment (all optional):
//   REDIS_URL            default redis://127.0.0.1:6379
//   QUEUE                the queue's name, default 'offthread-jobs'
//   CONCURRENCY          jobs in flight in this process, default 2 × offthread's threads (so the pool always
//                        has the next job queued while one finishes)
//   LOCK_DURATION_MS     BullMQ's lockDuration (default 30000); LOCK_RENEW_TIME_MS its lockRenewTime (default
//                        half the lock); STALLED_INTERVAL_MS its stalledInterval (default 30000);
//                        MAX_STALLED_COUNT its maxStalledCount (default 1)
//   PROCESSOR            'offthread' (default) or 'main-thread': the same jobs on the JS thread (main-thread.js),
//                        to watch them stall
// offthread reads its own variables too (OFFTHREAD_THREADS, ...; see the main README).

const { Worker } = require('bullmq')
const offthread = require('offthread')
const { processJob } = require('./jobs')

const DEFAULT_QUEUE = 'offthread-jobs'
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

/** A positive integer from the environment, or undefined when unset. */
function envInteger (env, name) {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`)
  return n
}

/** The worker's options from environment variables (the names above). */
function optionsFromEnv (env = process.env) {
  const processor = env.PROCESSOR || 'offthread'
  if (processor !== 'offthread' && processor !== 'main-thread') {
    throw new Error(`PROCESSOR must be 'offthread' or 'main-thread', not ${JSON.stringify(processor)}`)
  }
  return {
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
    queueName: env.QUEUE || DEFAULT_QUEUE,
    processor,
    concurrency: envInteger(env, 'CONCURRENCY'),
    lockDuration: envInteger(env, 'LOCK_DURATION_MS'),
    lockRenewTime: envInteger(env, 'LOCK_RENEW_TIME_MS'),
    stalledInterval: envInteger(env, 'STALLED_INTERVAL_MS'),
    maxStalledCount: envInteger(env, 'MAX_STALLED_COUNT')
  }
}

/**
 * A running Worker on `queueName`. `processor` 'offthread' runs jobs.js's processJob with `concurrency`
 * (default 2 × offthread's threads) jobs in flight; 'main-thread' runs main-thread.js's with 1 (more would only
 * queue work behind the blocked loop). The BullMQ options left undefined keep BullMQ's defaults.
 */
function createWorker ({ redisUrl = DEFAULT_REDIS_URL, queueName = DEFAULT_QUEUE, processor = 'offthread', concurrency, lockDuration, lockRenewTime, stalledInterval, maxStalledCount } = {}) {
  const onMainThread = processor === 'main-thread'
  const fn = onMainThread ? require('./main-thread').processJobOnMainThread : processJob
  const opts = {
    // Workers block on Redis between jobs: BullMQ requires ioredis's maxRetriesPerRequest null for them.
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    concurrency: concurrency ?? (onMainThread ? 1 : 2 * offthread.stats().threads)
  }
  if (lockDuration !== undefined) opts.lockDuration = lockDuration
  if (lockRenewTime !== undefined) opts.lockRenewTime = lockRenewTime
  if (stalledInterval !== undefined) opts.stalledInterval = stalledInterval
  if (maxStalledCount !== undefined) opts.maxStalledCount = maxStalledCount
  return new Worker(queueName, fn, opts)
}

if (require.main === module) {
  const options = optionsFromEnv()
  const worker = createWorker(options)
  const tag = `[worker ${process.pid}]`
  worker.on('ready', () => {
    console.log(`${tag} ${options.processor} processor on queue ${options.queueName} at ${options.redisUrl}, concurrency ${worker.concurrency}`)
  })
  worker.on('completed', (job) => console.log(`${tag} ${job.name} ${job.id} completed in ${job.finishedOn - job.processedOn} ms`))
  worker.on('failed', (job, err) => console.log(`${tag} ${job?.name} ${job?.id} failed: ${err.message}`))
  worker.on('stalled', (jobId) => console.log(`${tag} job ${jobId} stalled: moved back to wait`))
  worker.on('error', (err) => console.error(`${tag} ${err.message}`))

  // Graceful shutdown: take no new jobs, let the running ones finish, then wait for offthread's tasks.
  // A second signal exits at once.
  let stopping = false
  const shutdown = async (signal) => {
    if (stopping) process.exit(1)
    stopping = true
    console.log(`${tag} ${signal} received, finishing running jobs`)
    await worker.close()
    await offthread.close()
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

module.exports = { createWorker, optionsFromEnv, DEFAULT_QUEUE, DEFAULT_REDIS_URL }
