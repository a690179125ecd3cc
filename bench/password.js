'use strict'
// Password hashing throughput and event-loop impact, offthread against its peers, in one process.
//
//   npm run bench:password
//   BENCH_SECONDS=1 BENCH_FILTER='bcrypt' node bench/password.js
//
// Env: BENCH_SECONDS (per case, default 4), BENCH_CONCURRENCY (default 8), BENCH_BCRYPT_CONCURRENCY
// (the concurrencies bcrypt runs at, default "8,32"), BENCH_IDLE_SECONDS (default 3), BENCH_FILTER
// (case-insensitive regex on "<params> / <library>").
// bcrypt runs at cost 10 and 12, at each of its concurrencies: offthread hashes queued bcrypt tasks
// several at a time on one pool thread, so how many wait matters.
// Each case hashes a fresh password hash with a random salt per operation, after one untimed
// warm-up. libuv's threadpool keeps its default size (4) unless UV_THREADPOOL_SIZE is set.

const crypto = require('node:crypto')
const { promisify } = require('node:util')
const h = require('./harness')

const offthread = require('..')
const nodeArgon2 = require('argon2')
const nodeRsArgon2 = require('@node-rs/argon2')
const bcrypt = require('bcrypt')
const nodeRsBcrypt = require('@node-rs/bcrypt')
const bcryptjs = require('bcryptjs')

const scrypt = promisify(crypto.scrypt)
const pbkdf2 = promisify(crypto.pbkdf2)

const SECONDS = h.envNumber('BENCH_SECONDS', 4)
const CONCURRENCY = h.envNumber('BENCH_CONCURRENCY', 8)
const BCRYPT_CONCURRENCY = (process.env.BENCH_BCRYPT_CONCURRENCY ?? '8,32')
  .split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0)
const IDLE_SECONDS = h.envNumber('BENCH_IDLE_SECONDS', 3)
const FILTER = h.envFilter()

const PASSWORD = 'correct horse battery staple'
const OFFTHREAD = /^offthread/
const ARGON2ID_RS = 2 // @node-rs/argon2's Algorithm.Argon2id: a `const enum`, absent at run time

/** The fixed parameter sets, and each library's call for one hash. */
function argon2Cases (m, t, p) {
  const group = `argon2id m=${m} t=${t} p=${p}`
  const opts = { algorithm: 'argon2id', memoryCost: m, timeCost: t, parallelism: p }
  return [
    { group, name: 'offthread (pool)', fn: () => offthread.hashPassword(PASSWORD, opts) },
    { group, name: 'offthread (libuv)', fn: () => offthread.hashPassword(PASSWORD, { ...opts, executor: 'libuv' }) },
    {
      group,
      name: 'argon2 (node-argon2)',
      fn: () => nodeArgon2.hash(PASSWORD, { type: nodeArgon2.argon2id, memoryCost: m, timeCost: t, parallelism: p })
    },
    {
      group,
      name: '@node-rs/argon2',
      fn: () => nodeRsArgon2.hash(PASSWORD, { algorithm: ARGON2ID_RS, memoryCost: m, timeCost: t, parallelism: p })
    }
  ]
}

function bcryptCases (cost, concurrency) {
  const group = `bcrypt cost=${cost} c=${concurrency}`
  const opts = { algorithm: 'bcrypt', cost }
  const cases = [
    { group, name: 'offthread (pool)', fn: () => offthread.hashPassword(PASSWORD, opts) },
    { group, name: 'offthread (libuv)', fn: () => offthread.hashPassword(PASSWORD, { ...opts, executor: 'libuv' }) },
    { group, name: 'bcrypt', fn: () => bcrypt.hash(PASSWORD, cost) },
    { group, name: '@node-rs/bcrypt', fn: () => nodeRsBcrypt.hash(PASSWORD, { cost }) }
  ]
  // Pure JS: runs on the event loop in chunks. Kept on purpose, for its loop delay; once (cost 10 at the
  // first concurrency), since at cost 12 and c=32 draining its in-flight hashes alone takes a minute.
  if (cost === 10 && concurrency === BCRYPT_CONCURRENCY[0]) {
    cases.push({ group, name: 'bcryptjs', fn: () => bcryptjs.hash(PASSWORD, cost) })
  }
  return cases
}

function scryptCases (logN, r, p) {
  const group = `scrypt N=2^${logN} r=${r} p=${p}`
  const opts = { algorithm: 'scrypt', logN, r, p }
  // node:crypto refuses above 32 MiB by default; N=2^17, r=8 needs 128 MiB.
  const maxmem = 2 * 128 * r * 2 ** logN
  return [
    { group, name: 'offthread (pool)', fn: () => offthread.hashPassword(PASSWORD, opts) },
    { group, name: 'offthread (libuv)', fn: () => offthread.hashPassword(PASSWORD, { ...opts, executor: 'libuv' }) },
    {
      group,
      name: 'node:crypto scrypt',
      fn: () => scrypt(PASSWORD, crypto.randomBytes(16), 32, { N: 2 ** logN, r, p, maxmem })
    }
  ]
}

/** PBKDF2-HMAC-SHA256 at OWASP's FIPS setting, against node:crypto on libuv's threadpool. */
function pbkdf2Cases (iterations) {
  const group = `pbkdf2-sha256 i=${iterations}`
  const opts = { algorithm: 'pbkdf2', iterations }
  return [
    { group, name: 'offthread (pool)', fn: () => offthread.hashPassword(PASSWORD, opts) },
    { group, name: 'offthread (libuv)', fn: () => offthread.hashPassword(PASSWORD, { ...opts, executor: 'libuv' }) },
    { group, name: 'node:crypto pbkdf2', fn: () => pbkdf2(PASSWORD, crypto.randomBytes(16), iterations, 32, 'sha256') }
  ]
}

const CASES = [
  ...argon2Cases(19456, 2, 1),
  ...argon2Cases(65536, 3, 4),
  ...scryptCases(17, 8, 1),
  ...pbkdf2Cases(600000)
]
/** bcrypt's cases, one suite per concurrency. */
const BCRYPT_RUNS = BCRYPT_CONCURRENCY.map((c) => ({ concurrency: c, cases: [...bcryptCases(10, c), ...bcryptCases(12, c)] }))

/** Per group: each offthread row's ops/s over the fastest peer's. */
function ratios (results) {
  const out = []
  for (const group of [...new Set(results.map((r) => r.group))]) {
    const rows = results.filter((r) => r.group === group && r.opsPerSec > 0)
    const peers = rows.filter((r) => !OFFTHREAD.test(r.name))
    if (peers.length === 0) continue
    const best = peers.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a))
    for (const own of rows.filter((r) => OFFTHREAD.test(r.name))) {
      out.push({ group, name: own.name, peer: best.name, ratio: own.opsPerSec / best.opsPerSec })
    }
  }
  return out
}

/** Runs the cases that match the filter at `concurrency`; none matching is not an error here. */
async function runMatching (cases, concurrency, idleSeconds) {
  const matching = cases.filter((c) => FILTER === null || FILTER.test(`${c.group} / ${c.name}`))
  if (matching.length === 0) return { idle: null, results: [] }
  const run = await h.runSuite({ cases: matching, seconds: SECONDS, concurrency, idleSeconds, filter: FILTER })
  return { idle: run.idle, results: run.results.map((r) => ({ ...r, concurrency })) }
}

async function main () {
  const runs = [await runMatching(CASES, CONCURRENCY, IDLE_SECONDS)]
  for (const b of BCRYPT_RUNS) runs.push(await runMatching(b.cases, b.concurrency, runs[0].idle ? 1 : IDLE_SECONDS))
  const results = runs.flatMap((r) => r.results)
  if (results.length === 0) throw new Error(`no case matches ${FILTER}`)
  const idle = runs.find((r) => r.idle !== null).idle
  const pool = offthread.stats()
  await offthread.close()

  const machine = h.machineInfo()
  const table = h.markdownTable([
    { header: 'parameters', value: (r) => r.group, align: 'left' },
    { header: 'library', value: (r) => r.name + (r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''), align: 'left' },
    { header: 'ops/s', value: (r) => h.fmt(r.opsPerSec) },
    { header: 'p50 ms', value: (r) => h.fmt(r.p50Ms) },
    { header: 'loop p99 ms', value: (r) => h.fmt(r.loopP99Ms) },
    { header: 'loop max ms', value: (r) => h.fmt(r.loopMaxMs) },
    { header: 'fs p99 ms', value: (r) => h.fmt(r.fsP99Ms) }
  ], results)
  const rs = ratios(results)

  console.log(`\n## Password hashing: concurrency ${CONCURRENCY} (bcrypt: ${BCRYPT_CONCURRENCY.join(' and ')}), ` +
    `${SECONDS} s per case, one process\n`)
  console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.totalMemGiB} GiB, ${machine.platform}, ` +
    `Node ${machine.node}, libuv threadpool ${machine.uvThreadpoolSize}, offthread pool ${pool.threads} threads ` +
    `(${pool.priority}), ${machine.date}\n`)
  console.log(table)
  console.log(`\nIdle (no load, ${IDLE_SECONDS} s): loop p99 ${h.fmt(idle.loopP99Ms)} ms, ` +
    `loop max ${h.fmt(idle.loopMaxMs)} ms, fs p99 ${h.fmt(idle.fsP99Ms)} ms`)
  if (rs.length > 0) {
    console.log('\noffthread ops/s over the fastest peer:\n')
    for (const r of rs) console.log(`- ${r.group}, ${r.name}: ${r.ratio.toFixed(2)}× ${r.peer}`)
  }
  const file = h.writeResults('password', {
    config: {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      bcryptConcurrency: BCRYPT_CONCURRENCY,
      idleSeconds: IDLE_SECONDS,
      filter: FILTER?.source ?? null
    },
    offthread: { threads: pool.threads, priority: pool.priority, maxQueue: pool.maxQueue },
    idle,
    results,
    ratios: rs
  })
  console.log(`\nJSON: ${file}`)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
