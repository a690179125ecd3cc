'use strict'
// Where the event loop's p99 delay under load comes from (issue 12's mixed-load target): CPU taken from
// the JS thread, or the wake-ups themselves? monitorEventLoopDelay (resolution 1 ms) beside offthread's
// pool running spin tasks (a test hook: a pool thread busy for N ms), with:
//
//   - idle: nothing runs;
//   - free core: threads = 1 on a 2-core machine, so one core stays free for the JS thread, and tasks
//     finish (waking the loop) 200 or 1000 times a second;
//   - both cores: threads = 2, the same tasks;
//   - a timer-only control: the loop woken ~900 times a second by its own timers, no pool.
//
//   npm run bench:loop-wakeups          (BENCH_SECONDS=4, BENCH_ROUNDS=2)
//
// Each case runs in its own process (the pool's thread count is fixed at start); rounds alternate the
// cases. A rise with a core free and no CPU contention is the loop's own timer arithmetic after
// wake-ups (libuv keeps time in whole milliseconds), which no pool can remove.

const { execFileSync } = require('node:child_process')
const os = require('node:os')
const h = require('./harness')

const SECONDS = h.envNumber('BENCH_SECONDS', 4)
const ROUNDS = h.envNumber('BENCH_ROUNDS', 2)

const CASES = [
  { name: 'idle', threads: 1, task: null },
  { name: 'timers only (~900 wake-ups/s)', threads: 1, task: 'timer', concurrency: 1 },
  { name: 'free core: 5 ms tasks (~200/s)', threads: 1, task: 5, concurrency: 2 },
  { name: 'free core: 1 ms tasks (~1000/s)', threads: 1, task: 1, concurrency: 2 },
  { name: 'both cores: 5 ms tasks (~400/s)', threads: 2, task: 5, concurrency: 4 },
  { name: 'both cores: 20 ms tasks (~100/s)', threads: 2, task: 20, concurrency: 4 }
]

async function child (index) {
  const c = CASES[index]
  const ot = require('..')
  ot.configure({ threads: c.threads })
  const { _testSpin } = require('../lib/pool')
  const { monitorEventLoopDelay } = require('node:perf_hooks')
  await ot.noop()
  const once = c.task === 'timer'
    ? () => new Promise((resolve) => setTimeout(resolve, 0)).then(() => new Promise((resolve) => setImmediate(resolve)))
    : () => _testSpin(c.task)
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const end = Date.now() + SECONDS * 1000
  let ops = 0
  if (c.task === null) await h.sleep(SECONDS * 1000)
  else await Promise.all(Array.from({ length: c.concurrency }, async () => { while (Date.now() < end) { await once(); ops++ } }))
  loop.disable()
  process.stdout.write(JSON.stringify({
    p50: loop.percentile(50) / 1e6, p90: loop.percentile(90) / 1e6, p99: loop.percentile(99) / 1e6, opsPerSec: ops / SECONDS
  }))
}

function main () {
  const results = CASES.map(() => [])
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i] of CASES.entries()) {
      const out = execFileSync(process.execPath, [__filename, '--case', String(i)], {
        env: { ...process.env, OFFTHREAD_TEST_HOOKS: '1', OFFTHREAD_MACHINE: '' }, encoding: 'utf8'
      })
      results[i].push(JSON.parse(out))
      process.stderr.write('.')
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const rows = CASES.map((c, i) => ({
    case: c.name,
    p50: median(results[i].map((x) => x.p50)),
    p90: median(results[i].map((x) => x.p90)),
    p99: median(results[i].map((x) => x.p99)),
    opsPerSec: median(results[i].map((x) => x.opsPerSec))
  }))
  const model = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 || true"], { encoding: 'utf8' }).trim()
  console.log(`\n## Loop delay and wake-ups: ${model} (${os.cpus().length} vCPU), Node ${process.version}, ${new Date().toISOString()}, ` +
    `load average ${os.loadavg()[0].toFixed(2)}\n`)
  console.log(`monitorEventLoopDelay (resolution 1 ms), ${SECONDS} s per case, median of ${ROUNDS} rounds.\n`)
  console.log(h.markdownTable([
    { header: 'case', value: (r) => r.case, align: 'left' },
    { header: 'tasks/s', value: (r) => h.fmt(r.opsPerSec, 0) },
    { header: 'loop p50 ms', value: (r) => h.fmt(r.p50) },
    { header: 'loop p90 ms', value: (r) => h.fmt(r.p90) },
    { header: 'loop p99 ms', value: (r) => h.fmt(r.p99) }
  ], rows))
  console.log(`\nJSON: ${h.writeResults('loop-wakeups', { config: { seconds: SECONDS, rounds: ROUNDS }, rows })}`)
}

if (process.argv[2] === '--case') child(Number(process.argv[3])).catch((err) => { console.error(err); process.exit(1) })
else main()
