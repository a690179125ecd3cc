'use strict'
// Your own JavaScript off the loop: worker threads whose tasks share the pool's CPU budget, priority,
// queue and cancellation.
//
// Each task first takes one of the pool's threads (a slot, src/slot.rs and core's pool::slot): the same
// queue as native tasks, maxQueue / ERR_QUEUE_FULL, ERR_POOL_CLOSED and cancellation while queued.
// Core owns every slot's state; this file only learns, for each task, that it holds a thread (at once
// from slotAcquire, from the start notifier, or from slotRelease handing a finished task's thread
// over) and only then gives it to a worker. A slot's pool thread sleeps while its task runs, so native
// and JS tasks together never run more than `threads` at once. Workers lower their own thread to the
// pool's priority (lib/worker-host.js).

const path = require('node:path')
const { pathToFileURL } = require('node:url')
const { Worker } = require('node:worker_threads')
const native = require('./native')
const scheduler = require('./scheduler')
const { AbortError, codedError, invalidType, abortError, poolClosed, queueFull } = require('./errors')
const v = require('./validate')
const { portable } = require('./worker-scope')

const W = native.policy.workers
const OUTCOME = W.outcomes
const ADMISSION = native.policy.pool.admission
const HOST = path.join(__dirname, 'worker-host.js')
const POOL_KEYS = new Set(['minThreads', 'maxThreads', 'idleTimeout', 'abortGraceMs', 'resourceLimits', 'env', 'execArgv',
  'workerData', 'maxMemoryLimitBeforeRecycle'])
const RUN_KEYS = new Set(['signal', 'transfer'])

/** Tasks of this thread by slot id, from admission until they settle. */
const bySlot = new Map()
/** Open pools of this thread, for close(). */
const pools = new Set()
/** This copy's handle for the native slot functions (slotInit's), once connected. */
let handle
/** Tasks of this thread waiting for a thread: while there are any, the start notifier keeps the loop alive. */
let waiting = 0
let trimDue = false

function connect () {
  handle ??= native.slotInit(onStart)
}

function waitingHere (delta) {
  waiting += delta
  if (waiting === delta && delta > 0) native.slotRef(handle, true)
  else if (waiting === 0 && delta < 0) native.slotRef(handle, false)
}

/** Pool threads kept as spares by this turn's releases go back to the pool at the next turn. */
function trimLater () {
  if (trimDue) return
  trimDue = true
  setImmediate(() => {
    trimDue = false
    native.slotTrim(handle)
  })
}

function onStart (ids) {
  for (const id of ids) started(id)
}

/**
 * Task `id` of this thread holds a pool thread now. A task that settled meanwhile (aborted while its
 * start was on the way) gives the thread straight back, or to the next task it is handed to.
 */
function started (id) {
  for (let next = id; next !== 0;) {
    const task = bySlot.get(next)
    if (task !== undefined && task.state === 'queued') return task.pool._granted(task)
    bySlot.delete(next)
    next = native.slotRelease(handle, next, OUTCOME.cancelled)
  }
}

/** The error a task rejects with when its worker ends under it (code and class: core's ErrorKind::WorkerExited). */
function workerExited (code, cause) {
  const err = codedError('ERR_WORKER_EXITED', `The worker thread running this task exited with code ${code}` +
    (cause !== undefined ? ` (${cause && cause.message})` : ''))
  err.exitCode = code
  if (cause !== undefined) err.cause = cause
  return err
}

const CLASSES = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError }

/** An error packed by the worker (lib/worker-host.js pack) as an Error of the same class, name, message, stack, code, cause. */
function unpack (p) {
  if (!p.error) return p.value
  const err = p.name === 'AbortError' ? new AbortError(p.message) : new (CLASSES[p.name] ?? Error)(p.message)
  if (err.name !== p.name) err.name = p.name
  if (p.code !== undefined) err.code = p.code
  else delete err.code
  err.stack = p.stack
  if (p.cause !== undefined) {
    Object.defineProperty(err, 'cause', { value: unpack(p.cause), writable: true, configurable: true, enumerable: false })
  }
  Object.assign(err, p.props)
  return err
}

function optTimeout (name, value, range) {
  return v.optInt(name, value, range.min, range.max) ?? range.default
}

/** A module to load in workers, as a file: URL string (a path is resolved from process.cwd()). */
function moduleUrl (module) {
  if (module instanceof URL) return module.href
  if (typeof module !== 'string' || module === '') throw invalidType('module', 'file path or URL', module)
  if (/^(file|data):/.test(module)) return module
  return pathToFileURL(path.resolve(module)).href
}

/** Worker threads running the functions a module exports (or functions sent with exec()). */
class WorkerPool {
  #module
  #o
  #workers = new Set()
  #idle = []
  /** Tasks whose slot started but that wait for a worker (maxThreads below the pool's threads). */
  #waiting = []
  #tasks = new Set()
  #closing = undefined

  constructor (module, options) {
    const o = v.knownKeys('options', v.options(options), POOL_KEYS)
    const threads = native.stats().threads
    const maxThreads = v.optInt('maxThreads', o.maxThreads, W.threads.min, W.threads.max) ?? threads
    const minThreads = v.optInt('minThreads', o.minThreads, 0, maxThreads) ?? Math.min(W.minThreads, maxThreads)
    const heap = v.optInt('maxMemoryLimitBeforeRecycle', o.maxMemoryLimitBeforeRecycle, W.maxMemoryLimitBeforeRecycle.min,
      W.maxMemoryLimitBeforeRecycle.max)
    if (o.execArgv !== undefined && !(Array.isArray(o.execArgv) && o.execArgv.every((a) => typeof a === 'string'))) {
      throw invalidType('execArgv', 'array of strings', o.execArgv)
    }
    if (o.resourceLimits !== undefined) v.options(o.resourceLimits, 'resourceLimits')
    this.#module = module === null ? null : moduleUrl(module)
    this.#o = {
      maxThreads,
      minThreads,
      idleTimeout: optTimeout('idleTimeout', o.idleTimeout, W.idleTimeout),
      abortGraceMs: optTimeout('abortGraceMs', o.abortGraceMs, W.abortGraceMs),
      maxHeapBytes: heap ?? 0,
      worker: { workerData: o.workerData, env: o.env, execArgv: o.execArgv, resourceLimits: o.resourceLimits }
    }
    pools.add(this)
    for (let i = 0; i < minThreads; i++) this.#parkIdle(this.#spawn())
  }

  /**
   * Runs the module's export `name` ('default' for a default export) with `args` on a worker; resolves
   * with its (awaited) result. `transfer` moves ArrayBuffers/ports instead of copying them; `signal` aborts.
   */
  run (name = 'default', args = [], options = undefined) {
    return scheduler.reject(() => {
      if (this.#module === null) throw codedError('ERR_INVALID_ARG_VALUE', 'This pool has no module: use exec(fn, args)')
      if (typeof name !== 'string') throw invalidType('name', 'string', name)
      return this.#submit({ t: 'call', name, args: argList(args) }, options)
    })
  }

  /** Runs a self-contained function (its source is sent; closures do not travel) with `args` on a worker. */
  exec (fn, args = [], options = undefined) {
    return scheduler.reject(() => this.#submit({ t: 'fn', src: portable(fn), args: argList(args) }, options))
  }

  /** This pool's workers and tasks, as plain numbers. */
  get threads () {
    return { workers: this.#workers.size, idle: this.#idle.length, tasks: this.#tasks.size }
  }

  /** Stops accepting tasks; resolves once the pool's tasks have settled and its workers have exited. */
  close () {
    if (this.#closing === undefined) {
      this.#closing = new Promise((resolve) => { this.#closeDone = resolve })
      this.#maybeClosed()
    }
    return this.#closing
  }

  #closeDone = undefined

  #maybeClosed () {
    if (this.#closing === undefined || this.#tasks.size > 0 || this.#closeDone === undefined) return
    const done = this.#closeDone
    this.#closeDone = undefined
    pools.delete(this)
    const exits = [...this.#workers].map((w) => w.exited)
    for (const w of this.#workers) w.handle.terminate()
    Promise.all(exits).then(() => done())
  }

  #submit (message, options) {
    if (this.#closing !== undefined) throw poolClosed()
    const o = v.knownKeys('options', v.options(options), RUN_KEYS)
    const opts = scheduler.taskOptions({ signal: o.signal })
    let transfer = []
    if (o.transfer !== undefined) {
      if (!Array.isArray(o.transfer)) throw invalidType('transfer', 'array', o.transfer)
      // Move the buffers now, as postMessage would: the caller's are detached at the call.
      const moved = structuredClone({ args: message.args, transfer: o.transfer }, { transfer: o.transfer })
      message.args = moved.args
      transfer = moved.transfer
    }
    connect()
    if (opts.signal !== undefined && opts.signal.aborted) throw abortError(opts.signal)
    const acquired = native.slotAcquire(handle)
    if (acquired === 0) throw native.slotRefused(handle) === ADMISSION.queueFull ? queueFull() : poolClosed()
    message.id = Math.abs(acquired)
    const task = {
      pool: this, id: message.id, message, transfer, signal: opts.signal, onAbort: undefined,
      resolve: undefined, reject: undefined, settled: false, state: 'queued', worker: undefined, aborted: false,
      grace: undefined
    }
    const promise = new Promise((resolve, reject) => { task.resolve = resolve; task.reject = reject })
    bySlot.set(task.id, task)
    this.#tasks.add(task)
    if (task.signal !== undefined) {
      task.onAbort = () => this.#abort(task)
      task.signal.addEventListener('abort', task.onAbort, { once: true })
    }
    if (acquired > 0) this._granted(task, false) // a spare thread: no wait, no notification
    else waitingHere(1)
    return promise
  }

  /** The task holds a pool thread (called by started()): hand it to an idle worker, a new one, or wait for one. */
  _granted (task, waited = true) {
    task.state = 'granted'
    if (waited) waitingHere(-1)
    this.#serve(task)
  }

  /** Hands a task holding a slot to an idle worker, a new one, or the line of tasks waiting for one. */
  #serve (task) {
    const worker = this.#idle.pop() ?? (this.#workers.size < this.#o.maxThreads ? this.#spawn() : undefined)
    if (worker === undefined) this.#waiting.push(task)
    else this.#dispatch(task, worker)
  }

  #dispatch (task, worker) {
    clearTimeout(worker.idleTimer)
    task.state = 'running'
    task.worker = worker
    worker.task = task
    worker.handle.ref()
    try {
      worker.handle.postMessage(task.message, task.transfer)
    } catch (err) { // DataCloneError: an argument that cannot be sent
      worker.task = undefined
      this.#parkIdle(worker)
      this.#settle(task, OUTCOME.failed, err)
    }
  }

  /**
   * Settles the task once, as `outcome` (policy.workers.outcomes): resolves with `result` when completed,
   * else rejects with it. Its slot is released: a waiting one never starts; a held thread goes on to the
   * next waiting task (served here when it is this thread's) or back to the pool.
   */
  #settle (task, outcome, result) {
    if (task.settled) return
    task.settled = true
    bySlot.delete(task.id)
    if (task.state === 'queued') waitingHere(-1)
    if (task.onAbort !== undefined) task.signal.removeEventListener('abort', task.onAbort)
    clearTimeout(task.grace)
    this.#tasks.delete(task)
    if (outcome === OUTCOME.completed) task.resolve(result)
    else task.reject(result)
    const next = native.slotRelease(handle, task.id, outcome)
    if (next !== 0) started(next)
    else trimLater()
    this.#maybeClosed()
  }

  #abort (task) {
    if (task.settled) return
    const err = abortError(task.signal)
    if (task.state === 'queued') return this.#settle(task, OUTCOME.cancelled, err) // never runs (or, just started, frees its thread)
    if (task.state === 'granted') {
      this.#waiting.splice(this.#waiting.indexOf(task), 1)
      return this.#settle(task, OUTCOME.cancelled, err)
    }
    // Running: the task sees this.signal abort; past the grace period its worker is terminated.
    task.aborted = true
    const worker = task.worker
    Atomics.store(worker.abort, 0, task.id | 0) // seen by a synchronous loop polling this.signal.aborted
    worker.handle.postMessage({ t: 'abort', id: task.id }) // fires 'abort' listeners of an awaiting task
    task.grace = setTimeout(() => {
      if (worker.task === task) {
        worker.retired = true
        worker.handle.terminate() // #exited rejects the task with AbortError and releases its slot
      }
    }, this.#o.abortGraceMs)
  }

  #spawn () {
    const handle = new Worker(HOST, this.#o.worker)
    let exited
    const abort = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)
    const worker = { handle, task: undefined, idleTimer: undefined, error: undefined, retired: false, exited: undefined, abort: new Int32Array(abort) }
    worker.exited = new Promise((resolve) => { exited = resolve })
    handle.postMessage({ t: 'init', module: this.#module, heap: this.#o.maxHeapBytes > 0, abort })
    handle.on('message', (m) => this.#message(worker, m))
    handle.on('error', (err) => { worker.error = err })
    handle.on('exit', (code) => { this.#exited(worker, code); exited() })
    this.#workers.add(worker)
    return worker
  }

  #message (worker, m) {
    const task = worker.task
    if (task === undefined || m.id !== task.id) return
    worker.task = undefined
    // The worker is free first, so that a task its thread is handed to can take it.
    if (this.#o.maxHeapBytes > 0 && m.heap > this.#o.maxHeapBytes) {
      this.#retire(worker)
      this.#replace()
    } else if (!worker.retired) {
      this.#parkIdle(worker)
    }
    if (task.aborted) this.#settle(task, OUTCOME.cancelled, abortError(task.signal))
    else if (m.ok) this.#settle(task, OUTCOME.completed, m.value)
    else this.#settle(task, OUTCOME.failed, unpack(m.error))
  }

  #parkIdle (worker) {
    const next = this.#waiting.shift()
    if (next !== undefined) return this.#dispatch(next, worker)
    if (this.#closing !== undefined) return worker.handle.terminate()
    worker.handle.unref()
    this.#idle.push(worker)
    if (this.#workers.size > this.#o.minThreads) {
      worker.idleTimer = setTimeout(() => {
        if (worker.task === undefined && this.#workers.size > this.#o.minThreads) this.#retire(worker)
      }, this.#o.idleTimeout)
      worker.idleTimer.unref()
    }
  }

  #retire (worker) {
    worker.retired = true
    const i = this.#idle.indexOf(worker)
    if (i >= 0) this.#idle.splice(i, 1)
    this.#workers.delete(worker)
    worker.handle.terminate()
  }

  #exited (worker, code) {
    this.#workers.delete(worker)
    const i = this.#idle.indexOf(worker)
    if (i >= 0) this.#idle.splice(i, 1)
    clearTimeout(worker.idleTimer)
    const task = worker.task
    worker.task = undefined
    if (task !== undefined) {
      if (task.aborted) this.#settle(task, OUTCOME.cancelled, abortError(task.signal))
      else this.#settle(task, OUTCOME.failed, workerExited(code, worker.error))
    }
    this.#replace()
  }

  /** Keeps minThreads workers, and serves tasks that wait for one. */
  #replace () {
    if (this.#closing !== undefined) return this.#maybeClosed()
    while (this.#waiting.length > 0 && this.#workers.size < this.#o.maxThreads) this.#dispatch(this.#waiting.shift(), this.#spawn())
    while (this.#workers.size < this.#o.minThreads) this.#parkIdle(this.#spawn())
  }
}

function argList (args) {
  if (!Array.isArray(args)) throw invalidType('args', 'array', args)
  return args
}

/** A pool of worker threads for the functions `module` (a path or file: URL, CJS or ESM) exports. */
function workers (module = null, options = undefined) {
  return new WorkerPool(module, options)
}

let shared

/** Runs a self-contained function on a worker thread of a shared pool: `run((a, b) => a + b, 1, 2)`. */
function run (fn, ...args) {
  return scheduler.reject(() => {
    shared ??= new WorkerPool(null, undefined)
    return shared.exec(fn, args)
  })
}

/** Closes every pool of this thread (offthread's close() calls it). */
function closeAll () {
  shared = undefined
  return Promise.all([...pools].map((p) => p.close())).then(() => undefined)
}

/** JS tasks' slots (process-wide): queued and running. */
function slotStats () {
  return native.slotStats()
}

module.exports = { workers, run, closeAll, slotStats, WorkerPool }
