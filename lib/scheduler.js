'use strict'
// Turns native task submissions into Promises. One `settle` callback per environment receives
// batches of results from the native completion channel; AbortSignals are wired here with one
// `{ once: true }` listener per task, removed when the task settles.

const native = require('./native')
const { abortError, codedError, queueFull, poolClosed, internal } = require('./errors')
const { oneOf } = require('./validate')

const { executors: EXECUTOR_CODES, admission: ADMISSION, cancel: CANCEL, settlePerTurn, batchStride: STRIDE } = native.policy.pool
const EXECUTORS = Object.keys(EXECUTOR_CODES)
const pending = new Map()
let nextId = 0
let closeWaiters = []

// Fairness. Node delivers thread-safe-function calls in a loop (up to 1000 in one go) without returning
// to the event loop, and each settle lets callers submit again. With tasks of a few microseconds
// (metadata(), noop) that loop can hold the event loop for hundreds of milliseconds and starve timers
// and I/O. So each loop turn settles at most TURN_BUDGET tasks (core's SETTLE_PER_TURN); later
// results wait for the next turn (setImmediate), in order.
const TURN_BUDGET = settlePerTurn
const deferred = []
let settledThisTurn = 0
let turnScheduled = false

function settle (batch) {
  if (settledThisTurn >= TURN_BUDGET || deferred.length > 0) {
    deferred.push(batch)
  } else {
    settledThisTurn += batch.length / STRIDE
    settleNow(batch)
  }
  scheduleTurn()
}

function scheduleTurn () {
  if (turnScheduled) return
  turnScheduled = true
  setImmediate(nextTurn)
}

function nextTurn () {
  turnScheduled = false
  settledThisTurn = 0
  while (deferred.length > 0 && settledThisTurn < TURN_BUDGET) {
    const batch = deferred.shift()
    settledThisTurn += batch.length / STRIDE
    settleNow(batch)
  }
  // Keep resetting the budget while results flow; an idle process schedules nothing.
  if (settledThisTurn > 0) scheduleTurn()
}

function settleNow (batch) {
  for (let i = 0; i < batch.length; i += STRIDE) {
    const id = batch[i]
    const task = pending.get(id)
    if (task === undefined) continue // already rejected (aborted while queued)
    pending.delete(id)
    if (task.signal !== undefined) task.signal.removeEventListener('abort', task.onAbort)
    const code = batch[i + 1]
    if (code === undefined) {
      task.resolve(native.remember(batch[i + 2]))
    } else {
      task.reject(nativeError(code, batch[i + 2], task))
    }
  }
  if (pending.size === 0 && closeWaiters.length > 0) flushClose()
}

function nativeError (code, message, task) {
  if (code === 'ABORT_ERR') return abortError(task.signal)
  const err = codedError(code, message)
  if (task.stack !== undefined) {
    // Formatted only now, when an error needs it (capturing is cheap; formatting is not).
    const caller = task.stack.stack
    err.stack = `${err.name} [${code}]: ${message}\n${caller.slice(caller.indexOf('\n') + 1)}`
  }
  return err
}

native.init(settle)

/** Reads `{ signal, executor }`; throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE. */
function taskOptions (opts) {
  const signal = opts.signal
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean' ||
      typeof signal.addEventListener !== 'function')) {
    const { invalidType } = require('./errors')
    throw invalidType('signal', 'AbortSignal', signal)
  }
  const executor = EXECUTOR_CODES[oneOf('executor', opts.executor, EXECUTORS) ?? EXECUTORS[0]]
  return { signal, executor }
}

/**
 * Runs `submit(ticket)` (a native call given `{ id, executor, cancellable }`, returning an admission
 * code: accepted, queue full or closed) and returns the task's Promise. `opts` are the caller's
 * validated `{ signal, executor }`; `captureStack` keeps the caller's stack for native errors.
 */
function run (submit, opts, captureStack = true) {
  const { signal, executor } = opts
  if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
  const id = nextId = (nextId + 1) >>> 0
  let status
  try {
    status = submit({ id, executor, cancellable: signal !== undefined })
  } catch (err) {
    return Promise.reject(internal(err))
  }
  if (status !== ADMISSION.accepted) return Promise.reject(status === ADMISSION.queueFull ? queueFull() : poolClosed())
  return new Promise((resolve, reject) => {
    const task = { resolve, reject, signal, onAbort: undefined, stack: undefined }
    if (captureStack) {
      const holder = {}
      Error.captureStackTrace(holder, run)
      task.stack = holder
    }
    pending.set(id, task)
    if (signal !== undefined) {
      task.onAbort = () => {
        if (native.cancel(id) === CANCEL.wasQueued) { // still queued: it will never run
          pending.delete(id)
          reject(abortError(signal))
          if (pending.size === 0 && closeWaiters.length > 0) flushClose()
        }
        // running: the task stops at its next checkpoint and rejects with ABORT_ERR
      }
      signal.addEventListener('abort', task.onAbort, { once: true })
    }
  })
}

/** Validates and returns a rejected promise instead of throwing, for async APIs. */
function reject (fn) {
  try {
    return fn()
  } catch (err) {
    return Promise.reject(err)
  }
}

function flushClose () {
  const waiters = closeWaiters
  closeWaiters = []
  for (const resolve of waiters) resolve()
}

/** Stops admission (process-wide) and resolves when this thread's tasks have all settled. */
function close () {
  native.close()
  if (pending.size === 0) return Promise.resolve()
  return new Promise((resolve) => closeWaiters.push(resolve))
}

/** Tasks this thread is waiting for. */
function inFlight () {
  return pending.size
}

module.exports = { run, reject, close, inFlight, taskOptions, EXECUTORS }
