'use strict'
// BullMQ workers on one Redis, 1 → 2 → 4 worker processes: jobs/s and stalled jobs, with the example's offthread
// processor (examples/bullmq/jobs.js) and, for contrast, the same jobs on the JS thread (main-thread.js).
// `node bench/scale-bullmq.js` (npm run bench:scale runs it after the cluster half, bench/scale.js).
//
// Redis: Debian's redis-server, started here on a free port with no persistence (as the test does). Each run
// uses a fresh queue, starts its worker processes (the example worker, reporting over IPC), waits until they are
// ready, adds every job at once and times from the first add to the last job finished. Locks are short (1.5 s,
// renewed every 100–200 ms, the stalled check every 1 s; BullMQ's defaults are 30 s, 15 s and 30 s) so that a
// blocked loop shows as stalled jobs within the run, as in __test__/bullmq.spec.js. A stalled job goes back to the wait list and runs again; after its second stall it fails
// (maxStalledCount 1, BullMQ's default). jobs/s counts completed jobs only.
//
// Environment: BENCH_JOBS (each of password, image, JSON; default 10), BENCH_COST (bcrypt cost, default 14:
// bcryptjs blocks the loop ~2.3 s per job here, past the 1.5 s lock), BENCH_SIZES (default "1,2,4"),
// BENCH_MODES (default "offthread,offthread+machine,main-thread"; offthread+machine sets OFFTHREAD_MACHINE=1 in
// the workers, so that all of them share one set of slots, one per CPU). Writes bench/results/scale-bullmq.json.

const os = require('node:os')
const h = require('./harness')
const { startRedis } = require('../__test__/fixtures/bullmq/redis')
const { runJobs } = require('../__test__/fixtures/bullmq/run')
const { sampleJobs } = require('../examples/bullmq/producer')

const LOCK_DURATION_MS = 1500
const LOCK_RENEW_TIME_MS = 200
const STALLED_INTERVAL_MS = 1000
const RUN_TIMEOUT_MS = 600_000

const JOBS_EACH = h.envNumber('BENCH_JOBS', 10)
const COST = h.envNumber('BENCH_COST', 14)
const SIZES = (process.env.BENCH_SIZES || '1,2,4').split(',').map(Number)
const MODES = (process.env.BENCH_MODES || 'offthread,offthread+machine,main-thread').split(',')

/** The worker processes' environment for `mode`. */
function envFor (mode) {
  const env = {
    LOCK_DURATION_MS: String(LOCK_DURATION_MS),
    LOCK_RENEW_TIME_MS: String(LOCK_RENEW_TIME_MS),
    STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
    PROCESSOR: mode === 'main-thread' ? 'main-thread' : 'offthread'
  }
  if (mode === 'offthread+machine') env.OFFTHREAD_MACHINE = '1'
  return env
}

async function main () {
  const redis = await startRedis()
  const rows = []
  try {
    for (const mode of MODES) {
      for (const workers of SIZES) {
        process.stderr.write(`${mode}, ${workers} worker process${workers > 1 ? 'es' : ''}... `)
        const jobs = sampleJobs({
          passwords: JOBS_EACH,
          images: JOBS_EACH,
          jsons: JOBS_EACH,
          cost: COST,
          timeoutMs: RUN_TIMEOUT_MS,
          opts: { removeOnComplete: false, removeOnFail: false }
        })
        const r = await runJobs({ redisUrl: redis.url, queueName: `scale-${mode}-${workers}`, jobs, workers, env: envFor(mode), timeoutMs: RUN_TIMEOUT_MS })
        const completed = r.jobs.filter((j) => j.state === 'completed').length
        const row = {
          mode,
          workers,
          jobs: r.jobs.length,
          completed,
          failed: r.jobs.filter((j) => j.state === 'failed').length,
          runs: [...r.starts.values()].reduce((a, b) => a + b, 0),
          runTwice: r.jobs.filter((j) => j.starts > 1).length,
          stalled: r.stalledEvents,
          seconds: r.seconds,
          jobsPerSec: completed / r.seconds,
          loopMaxMs: r.loopMaxMs,
          // The host's 1-minute load average as the run ends: this bench shares the machine with whatever else runs.
          load: os.loadavg()[0],
          jobsPerProcess: [...r.byPid.values()],
          threadsPerProcess: Object.values(r.statsByPid).map((s) => s.stats.threads),
          // null: no machine budget (stats().machine is null until a process's pool starts)
          machineSlots: Object.values(r.statsByPid).map((s) => s.stats.machine?.slots).find((n) => n !== undefined && n !== null) ?? null
        }
        if (mode === 'offthread+machine' && row.machineSlots === null) throw new Error('OFFTHREAD_MACHINE=1 did not turn on the machine budget (stats().machine missing)')
        rows.push(row)
        process.stderr.write(`${h.fmt(row.jobsPerSec)} jobs/s, ${row.stalled} stalled, ${row.failed} failed\n`)
      }
    }
  } finally {
    await redis.stop()
  }

  for (const row of rows) {
    const base = rows.find((r) => r.mode === row.mode && r.workers === SIZES[0])
    row.vsFirst = row.jobsPerSec / base.jobsPerSec
  }
  const table = h.markdownTable([
    { header: 'processor', value: (r) => r.mode, align: 'left' },
    { header: 'worker processes', value: (r) => r.workers },
    { header: 'jobs/s', value: (r) => h.fmt(r.jobsPerSec) },
    { header: `vs ${SIZES[0]}`, value: (r) => `${h.fmt(r.vsFirst, 2)}×` },
    { header: 'completed', value: (r) => `${r.completed}/${r.jobs}` },
    { header: 'stalled', value: (r) => r.stalled },
    { header: 'run twice', value: (r) => r.runTwice },
    { header: 'failed', value: (r) => r.failed },
    { header: 'loop max (ms)', value: (r) => h.fmt(r.loopMaxMs, 0) },
    { header: 'host load', value: (r) => h.fmt(r.load, 1) }
  ], rows)
  const m = h.machineInfo()
  console.log(`\nBullMQ ${require('bullmq/package.json').version}, Redis on 127.0.0.1; ${m.cpu}, ${m.availableParallelism} CPUs, Node ${m.node}`)
  console.log(`${JOBS_EACH} password (bcrypt cost ${COST}: hash, then verify), ${JOBS_EACH} image (1800×1200 JPEG → 320 px WebP) and ` +
    `${JOBS_EACH} JSON (290 KB: SHA-256 + brotli 11) jobs per run; lockDuration ${LOCK_DURATION_MS} ms, lockRenewTime ${LOCK_RENEW_TIME_MS} ms, stalledInterval ${STALLED_INTERVAL_MS} ms\n`)
  console.log(table)
  const offthread = rows.filter((r) => r.mode === 'offthread')
  const one = offthread.find((r) => r.workers === 1)
  const two = offthread.find((r) => r.workers === 2)
  const targets = {
    offthreadZeroStalled: offthread.every((r) => r.stalled === 0),
    twoOverOne: one && two ? two.jobsPerSec / one.jobsPerSec : null
  }
  console.log(`\ntargets: 0 stalled with offthread at every size: ${targets.offthreadZeroStalled ? 'met' : 'NOT met'}; ` +
    `jobs/s at 2 processes ${targets.twoOverOne === null ? '—' : `${h.fmt(targets.twoOverOne, 2)}× 1 process (target ≥ 1.0×: ${targets.twoOverOne >= 1 ? 'met' : 'NOT met'})`}`)
  const file = h.writeResults('scale-bullmq', {
    bullmq: require('bullmq/package.json').version,
    settings: { jobsEach: JOBS_EACH, cost: COST, lockDurationMs: LOCK_DURATION_MS, lockRenewTimeMs: LOCK_RENEW_TIME_MS, stalledIntervalMs: STALLED_INTERVAL_MS, sizes: SIZES, modes: MODES },
    rows,
    targets,
    table
  })
  console.log(`\nwrote ${file}`)
}

main().catch((err) => { console.error(err); process.exit(1) })
