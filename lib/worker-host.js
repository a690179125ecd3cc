'use strict'
// The worker-thread side of lib/workers.js: lowers this thread to the pool's priority, loads the task
// module (CJS or ESM, through import()), runs one task at a time and posts its result or its error
// (packed so that the caller gets the same class, name, message, stack, code and cause).

const { parentPort, workerData } = require('node:worker_threads')
const { createRequire } = require('node:module')
const path = require('node:path')
const v8 = require('node:v8')
const native = require('./native')

// Before any task code: this thread competes with the event loop at the pool's priority (nice +10 on
// Linux for 'background'). V8's GC and compiler helper threads are the process's, at normal priority.
native.lowerThreadPriority()

let loaded // the task module's namespace (a promise), when the pool has a module
let moduleUrl
let reportHeap = false
let current // { id, controller, signal, aborted } of the running task
let abortFlag // Int32Array over a SharedArrayBuffer: the id of the task the pool aborted
const compiled = new Map()
// Functions sent with exec()/run() see `require` resolving from the working directory.
const requireFromCwd = createRequire(path.join(process.cwd(), 'noop.js'))

parentPort.on('message', (m) => {
  if (m.t === 'init') {
    moduleUrl = m.module
    reportHeap = m.heap
    abortFlag = new Int32Array(m.abort)
    if (moduleUrl !== null) {
      loaded = import(moduleUrl)
      loaded.catch(() => {}) // each task reports the failure
    }
  } else if (m.t === 'abort') {
    if (current === undefined || current.id !== m.id) return
    current.aborted = true
    if (current.controller !== undefined && !current.controller.signal.aborted) current.controller.abort(abortReason())
  } else {
    runTask(m)
  }
})

function notFound (name) {
  const err = new TypeError(`Expected the name of a function exported by ${moduleUrl} for name but received '${name}'`)
  err.code = 'ERR_INVALID_ARG_VALUE'
  return err
}

async function lookup (name) {
  const ns = await loaded
  let fn = ns[name]
  // A CommonJS module.exports object whose properties the named-export detection did not see.
  if (typeof fn !== 'function' && ns.default !== null && typeof ns.default === 'object') fn = ns.default[name]
  if (typeof fn !== 'function') throw notFound(name)
  return fn
}

function compile (src) {
  let fn = compiled.get(src)
  if (fn === undefined) {
    fn = new Function('require', `return ${src}`)(requireFromCwd) // eslint-disable-line no-new-func
    compiled.set(src, fn)
  }
  return fn
}

/**
 * The task's AbortSignal. A synchronous loop never lets this thread read messages, so `aborted`,
 * `reason` and `throwIfAborted()` also look at the shared abort flag (set by the pool before it posts
 * the abort message) and abort the signal at once, 'abort' listeners included.
 */
function taskSignal (id, controller) {
  const signal = controller.signal
  const proto = AbortSignal.prototype
  const aborted = Object.getOwnPropertyDescriptor(proto, 'aborted').get
  let polling = false // controller.abort() reads signal.aborted itself
  const poll = () => {
    if (polling || aborted.call(signal) || Atomics.load(abortFlag, 0) !== (id | 0)) return
    polling = true
    try { controller.abort(abortReason()) } finally { polling = false }
  }
  const reason = Object.getOwnPropertyDescriptor(proto, 'reason').get
  Object.defineProperties(signal, {
    aborted: { get () { poll(); return aborted.call(signal) }, configurable: true },
    reason: { get () { poll(); return reason.call(signal) }, configurable: true },
    throwIfAborted: { value () { poll(); return proto.throwIfAborted.call(signal) }, configurable: true }
  })
  return signal
}

function abortReason () {
  return new DOMException('The operation was aborted', 'AbortError')
}

/** `this` of a task: its signal is made on first use (most tasks never look). */
function context (task) {
  return {
    get signal () {
      if (task.controller === undefined) {
        task.controller = new AbortController()
        task.signal = taskSignal(task.id, task.controller)
        if (task.aborted) task.controller.abort(abortReason())
      }
      return task.signal
    },
    workerData
  }
}

/** Exported functions already looked up, by name: later tasks call them without awaiting the module. */
const functions = new Map()

function runTask (m) {
  const task = { id: m.id, controller: undefined, signal: undefined, aborted: false }
  current = task
  // offthread work this task submits (native, or a nested pool's) may run on the thread it holds.
  native.slotEnter(m.id)
  let fn
  try {
    fn = m.t === 'fn' ? compile(m.src) : functions.get(m.name)
  } catch (err) {
    return finish(task, false, err)
  }
  if (fn !== undefined) return call(task, fn, m.args)
  lookup(m.name).then((found) => {
    functions.set(m.name, found)
    call(task, found, m.args)
  }, (err) => finish(task, false, err))
}

/** Calls the task's function; a synchronous result is posted at once, a thenable's once it settles. */
function call (task, fn, args) {
  let value
  try {
    value = fn.apply(context(task), args)
  } catch (err) {
    return finish(task, false, err)
  }
  if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function') {
    Promise.resolve(value).then((v) => finish(task, true, v), (err) => finish(task, false, err))
  } else {
    finish(task, true, value)
  }
}

/** Posts the task's result (or its packed error) to the pool. */
function finish (task, ok, result) {
  const reply = ok ? { id: task.id, ok: true, value: result } : { id: task.id, ok: false, error: pack(result, new Set()) }
  if (current === task) {
    current = undefined
    native.slotEnter(0)
  }
  if (reportHeap) reply.heap = v8.getHeapStatistics().used_heap_size
  try {
    parentPort.postMessage(reply)
  } catch (err) { // a result that cannot be cloned (a function, a class instance with private state…)
    parentPort.postMessage({ id: task.id, ok: false, error: pack(err, new Set()), heap: reply.heap })
  }
}

const OWN = new Set(['name', 'message', 'stack', 'code', 'cause'])

function cloneable (value) {
  try {
    return structuredClone(value)
  } catch {
    return String(value)
  }
}

/** A thrown value as data: errors field by field (their own enumerable properties too), others cloned. */
function pack (err, seen) {
  const isError = err !== null && typeof err === 'object' && typeof err.message === 'string' && typeof err.stack === 'string'
  if (!isError || seen.has(err)) return { error: false, value: cloneable(err) }
  seen.add(err)
  const p = { error: true, name: String(err.name), message: err.message, stack: err.stack, code: err.code, props: {} }
  if (p.code !== undefined) p.code = cloneable(p.code)
  if ('cause' in err) p.cause = pack(err.cause, seen)
  for (const key of Object.keys(err)) {
    if (!OWN.has(key)) p.props[key] = cloneable(err[key])
  }
  return p
}
