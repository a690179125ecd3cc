'use strict'
// The pool's public controls: configure, stats, close, and the no-op round trip.

const native = require('./native')
const scheduler = require('./scheduler')
const workers = require('./workers')
const { codedError, invalidType, invalidValue } = require('./errors')
const v = require('./validate')

const P = native.policy.pool
const CONFIG_KEYS = new Set(['threads', 'priority', 'maxQueue', 'machine'])
const MACHINE_KEYS = new Set(['slots', 'dir'])
const TASK_KEYS = new Set(['signal', 'executor'])

/**
 * `machine`: true, false, or { slots, dir }, as the native side takes it ({ enabled, slots, dir }),
 * or undefined when not given (then OFFTHREAD_MACHINE decides when the pool starts).
 */
function machineOption (value) {
  if (value === undefined) return undefined
  if (typeof value === 'boolean') return { enabled: value }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidType('machine', 'boolean or object', value)
  }
  const m = v.knownKeys('machine', value, MACHINE_KEYS)
  const slots = v.optInt('machine.slots', m.slots, P.machine.slots.min, P.machine.slots.max)
  if (m.dir !== undefined && typeof m.dir !== 'string') throw invalidType('machine.dir', 'string', m.dir)
  if (m.dir === '' || (m.dir !== undefined && m.dir.includes('\0'))) {
    throw invalidValue('machine.dir', 'a non-empty path without NUL bytes', m.dir)
  }
  return { enabled: true, slots, dir: m.dir }
}

/** Sets pool options before first use. Throws ERR_POOL_STARTED afterwards. */
function configure (options) {
  const o = v.knownKeys('options', v.options(options), CONFIG_KEYS)
  const threads = v.optInt('threads', o.threads, P.threads.min, P.threads.max)
  const priority = v.oneOf('priority', o.priority, P.priorities)
  const maxQueue = v.optInt('maxQueue', o.maxQueue, P.maxQueue.min, P.maxQueue.max)
  const machine = machineOption(o.machine)
  if (native.isStarted()) {
    throw codedError('ERR_POOL_STARTED', 'configure() must be called before the pool is first used')
  }
  native.configure({ threads, priority, maxQueue, machine })
}

/** The pool's counters as plain numbers. Does not start the pool. */
function stats () {
  const s = native.stats()
  const js = workers.slotStats()
  return {
    threads: s.threads,
    maxQueue: s.maxQueue,
    priority: s.priority,
    queued: s.queued,
    running: s.running,
    completed: s.completed,
    failed: s.failed,
    cancelled: s.cancelled,
    rejected: s.rejected,
    waitP50Ms: s.waitP50Ms,
    waitP99Ms: s.waitP99Ms,
    runP50Ms: s.runP50Ms,
    runP99Ms: s.runP99Ms,
    closed: s.closed,
    // The machine-wide budget (configure({ machine }) / OFFTHREAD_MACHINE): slots shared by the host's
    // offthread processes and how many any of them holds now; null when off.
    machine: s.machine ? { slots: s.machine.slots, inUse: s.machine.inUse, dir: s.machine.dir } : null,
    inFlight: scheduler.inFlight(),
    // The same budget by kind: JS tasks (workers()/run()) hold a pool thread each while they run. Read
    // at one instant with the pool's totals (core moves both in one critical section), so exact.
    kinds: {
      native: { queued: js.poolQueued - js.queued, running: js.poolRunning - js.running },
      js: { queued: js.queued, running: js.running }
    }
  }
}

/** Stops admission (process-wide), ends this thread's worker pools once their tasks settle, and resolves when all have. */
function close () {
  const done = scheduler.close()
  return Promise.all([done, workers.closeAll()]).then(() => undefined)
}

/** A task that does nothing on the pool: measures the round trip. */
function noop (options) {
  return scheduler.reject(() => {
    const opts = scheduler.taskOptions(v.knownKeys('options', v.options(options), TASK_KEYS))
    return scheduler.run(native.noop, opts, false)
  })
}

// Test hooks, deliberately not exported from index.js. Natively they panic only when the process
// was started with OFFTHREAD_TEST_HOOKS=1; otherwise they fail with ERR_INVALID_ARG_VALUE.

/** A task that panics on `executor` ('pool' or 'libuv'): must reject with ERR_INTERNAL. */
function _testPanic (executor = 'pool') {
  return scheduler.reject(() => {
    const opts = scheduler.taskOptions({ executor })
    return scheduler.run((t) => native.testPanic(t), opts)
  })
}

/**
 * A task that keeps a pool thread busy for `ms` and resolves to [start, end] in microseconds on the
 * host's monotonic clock (process.hrtime's), for tests that compare tasks across processes.
 */
function _testSpin (ms, options) {
  return scheduler.reject(() => {
    const opts = scheduler.taskOptions(v.knownKeys('options', v.options(options), TASK_KEYS))
    return scheduler.run((t) => native.testSpin(t, ms), opts)
  })
}

/** A synchronous native call that panics: must throw ERR_INTERNAL. */
function _testPanicSync () {
  native.testPanicSync()
}

module.exports = { configure, stats, close, noop, _testPanic, _testPanicSync, _testSpin }
