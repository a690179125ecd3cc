'use strict'
// bcrypt tasks batched on a pool thread (crates/core/src/password/bcrypt/batch.rs): concurrent hashes and
// verifies at mixed costs give the same answers as the `bcrypt` package, one aborted lane of a running batch
// rejects alone, a task aborted while queued behind full batches never runs, and the counters add up.

const test = require('ava')
const bcrypt = require('bcrypt')
const ot = require('..')
const { ERR, rejects } = require('./helpers/errors')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// offthread_core::password::bcrypt::lanes::MAX_LANES: tasks one pool thread hashes at once.
const LANES = 4
const BCRYPT_RE = /^\$2b\$(\d\d)\$[./A-Za-z0-9]{53}$/

async function until (predicate, what, timeoutMs = 30000) {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

/** Counter changes between two stats() snapshots. */
function delta (before, after) {
  const out = {}
  for (const key of ['completed', 'failed', 'cancelled', 'rejected']) out[key] = after[key] - before[key]
  return out
}

test.serial('concurrent bcrypt hashes and verifies at mixed costs match the bcrypt package both ways', async (t) => {
  const before = ot.stats()
  const costs = [4, 5, 6]
  const passwords = Array.from({ length: 24 }, (_, i) => `pässwörd ${i} ${'x'.repeat(i)}`)
  // Hashes made by the bcrypt package, to verify in offthread (right and wrong password).
  const theirs = await Promise.all(passwords.slice(0, 12).map((pw, i) => bcrypt.hash(pw, costs[i % 2])))
  const hashes = passwords.map((pw, i) => ot.hashPassword(pw, { algorithm: 'bcrypt', cost: costs[i % 3] }))
  const right = theirs.map((h, i) => ot.verifyPassword(h, passwords[i]))
  const wrong = theirs.map((h, i) => ot.verifyPassword(h, passwords[(i + 1) % 12]))
  const ours = await Promise.all(hashes)
  t.deepEqual(await Promise.all(right), theirs.map(() => true))
  t.deepEqual(await Promise.all(wrong), theirs.map(() => false))
  for (const [i, h] of ours.entries()) {
    const m = BCRYPT_RE.exec(h)
    t.truthy(m, h)
    t.is(Number(m?.[1]), costs[i % 3])
    t.true(await bcrypt.compare(passwords[i], h), `bcrypt.compare accepts offthread's hash ${i}`)
    t.false(await bcrypt.compare(passwords[(i + 1) % 24], h), `bcrypt.compare refuses a wrong password for ${i}`)
  }
  t.is(new Set(ours).size, ours.length, 'every hash has its own salt')
  await until(() => ot.stats().running === 0, 'the pool to be idle')
  const after = ot.stats()
  t.deepEqual(delta(before, after), { completed: 24 + 24, failed: 0, cancelled: 0, rejected: 0 })
  t.is(after.queued, 0)
})

test.serial('aborting one lane of a running batch rejects it with ABORT_ERR; the others resolve', async (t) => {
  const { threads } = ot.stats()
  const before = ot.stats()
  const controller = new AbortController()
  const n = LANES * threads
  const victimIndex = 1
  const tasks = Array.from({ length: n }, (_, i) => ot.hashPassword(`pw ${i}`, {
    algorithm: 'bcrypt',
    cost: 12,
    signal: i === victimIndex ? controller.signal : undefined
  }))
  // More tasks running than threads: they run as lanes of batches.
  await until(() => ot.stats().running === n, `${n} tasks running on ${threads} threads`)
  t.is(ot.stats().queued, 0)
  controller.abort()
  const victim = tasks[victimIndex]
  const settledFirst = await Promise.race([
    victim.then(() => 'victim resolved', () => 'victim rejected'),
    Promise.all(tasks.filter((_, i) => i !== victimIndex)).then(() => 'others')
  ])
  t.is(settledFirst, 'victim rejected', 'the aborted lane left at its next round, before its batch finished')
  const err = await rejects(t, victim, ERR.abort, { label: 'aborted lane' })
  if (err) t.is(err.name, 'AbortError')
  const others = await Promise.all(tasks.filter((_, i) => i !== victimIndex))
  for (const [k, h] of others.entries()) {
    const i = k < victimIndex ? k : k + 1
    t.regex(h, /^\$2b\$12\$/)
    t.true(await bcrypt.compare(`pw ${i}`, h), `task ${i}`)
  }
  await until(() => ot.stats().running === 0, 'the pool to be idle')
  t.deepEqual(delta(before, ot.stats()), { completed: n - 1, failed: 0, cancelled: 1, rejected: 0 })
})

test.serial('a bcrypt task aborted while queued behind full batches rejects at once and never runs', async (t) => {
  const { threads } = ot.stats()
  const before = ot.stats()
  const n = LANES * threads
  const fill = Array.from({ length: n }, (_, i) => ot.hashPassword(`fill ${i}`, { algorithm: 'bcrypt', cost: 12 }))
  await until(() => ot.stats().running === n, 'every lane to be busy')
  const controller = new AbortController()
  const victim = ot.hashPassword('victim', { algorithm: 'bcrypt', cost: 12, signal: controller.signal })
  await sleep(20)
  t.is(ot.stats().queued, 1, 'the same-cost task waits: every lane is taken')
  t.is(ot.stats().running, n)
  controller.abort()
  const err = await rejects(t, victim, ERR.abort, { label: 'queued task' })
  if (err) t.is(err.name, 'AbortError')
  t.is(ot.stats().queued, 0)
  const hashes = await Promise.all(fill)
  for (const [i, h] of hashes.entries()) t.true(await bcrypt.compare(`fill ${i}`, h), `fill ${i}`)
  await until(() => ot.stats().running === 0, 'the pool to be idle')
  t.deepEqual(delta(before, ot.stats()), { completed: n, failed: 0, cancelled: 1, rejected: 0 })
})

test.serial('verify of a bcrypt hash batches too: concurrent verifies at one cost give exact answers', async (t) => {
  const { threads } = ot.stats()
  const before = ot.stats()
  const n = 2 * LANES * threads
  const stored = await bcrypt.hash('the stored password', 10)
  const verdicts = Array.from({ length: n }, (_, i) =>
    ot.verifyPassword(stored, i % 3 === 0 ? 'the stored password' : `guess ${i}`))
  let settled = false
  const all = Promise.all(verdicts).finally(() => { settled = true })
  let maxRunning = 0
  while (!settled) {
    maxRunning = Math.max(maxRunning, ot.stats().running)
    await sleep(1)
  }
  t.is(maxRunning, LANES * threads, `${LANES} verifies at once on each of the ${threads} threads`)
  await all
  t.deepEqual(await Promise.all(verdicts), Array.from({ length: n }, (_, i) => i % 3 === 0))
  await until(() => ot.stats().running === 0, 'the pool to be idle')
  t.deepEqual(delta(before, ot.stats()), { completed: n, failed: 0, cancelled: 0, rejected: 0 })
})
