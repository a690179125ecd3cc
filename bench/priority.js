'use strict'
// Pool priority: offthread throughput and event-loop delay with the pool at 'normal', 'background'
// (nice +10) and SCHED_IDLE (applied with `chrt -i` to the pool threads, for comparison only),
// alone and beside CPU-bound processes that stand for other tenants of the machine.
//
//   node bench/priority.js            # runs every case, each in its own process
//   node bench/priority.js <mode> <hogs>   # one case, prints one JSON line

const { execFileSync, spawn } = require('node:child_process')
const fs = require('node:fs')
const { monitorEventLoopDelay } = require('node:perf_hooks')

const SECONDS = Number(process.env.BENCH_SECONDS || 5)

async function one (mode, hogs) {
  const ot = require('..')
  ot.configure({ priority: mode === 'normal' ? 'normal' : 'background' })
  await ot.hashPassword('x', { algorithm: 'bcrypt', cost: 4 }) // starts the pool
  if (mode === 'idle') {
    for (const tid of fs.readdirSync(`/proc/${process.pid}/task`)) {
      const comm = fs.readFileSync(`/proc/${process.pid}/task/${tid}/comm`, 'utf8').trim()
      if (comm.startsWith('offthread')) execFileSync('chrt', ['-i', '-p', '0', tid])
    }
  }
  const children = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  let done = 0
  const end = Date.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (Date.now() < end) {
      await ot.hashPassword('x', { algorithm: 'bcrypt', cost: 8 })
      done++
    }
  }))
  loop.disable()
  for (const c of children) c.kill()
  return { mode, hogs, opsPerSec: done / SECONDS, loopP99: loop.percentile(99) / 1e6 }
}

if (process.argv[2]) {
  one(process.argv[2], Number(process.argv[3] || 0)).then((r) => console.log(JSON.stringify(r)))
} else {
  const rows = []
  for (const hogs of [0, 2]) {
    for (const mode of ['normal', 'background', 'idle']) {
      rows.push(JSON.parse(execFileSync(process.execPath, [__filename, mode, String(hogs)], { encoding: 'utf8' })))
    }
  }
  console.log(`bcrypt cost 8, concurrency 8, ${SECONDS} s per case; Node ${process.version}\n`)
  console.log('| pool threads | CPU hogs | ops/s | loop p99 ms |\n|---|---:|---:|---:|')
  for (const r of rows) console.log(`| ${r.mode} | ${r.hogs} | ${r.opsPerSec.toFixed(1)} | ${r.loopP99.toFixed(2)} |`)
}
