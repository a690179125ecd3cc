'use strict'
// parseJson: JSON.parse of large documents without long event-loop stalls (issue 11).
//
// 1. On the pool, native.jsonScan (crates/core/src/json/scan.rs) decodes and validates the whole
//    document and returns a plan: which byte ranges (UTF-16 ranges for string input) JSON.parse gets
//    slice by slice, and where containers larger than a slice open and close.
// 2. On the loop, the plan's slices are parsed within `sliceMs` per turn, with setImmediate between
//    turns, and assembled with an explicit stack (no recursion: any depth JSON.parse takes, works).
// 3. With a reviver, JSON.parse's own walk (InternalizeJSONProperty) runs over the result, iteratively
//    and time-sliced too, calling the reviver with the same arguments in the same order.
//
// Documents up to `inlineBytes` are one JSON.parse on the loop: a pool round trip costs more.

const native = require('../native')
const scheduler = require('../scheduler')
const { codedError, invalidType } = require('../errors')
const v = require('../validate')
const { source, tooLarge, turn, checkSignal, triples, encode, parseMessage, syntaxError } = require('./input')

/** Core's JSON policy: sliceBytes, sliceMs ({ min, max, default }), inlineBytes, exactMessageBytes, parseErrorCode. */
const J = native.policy.json

// The plan: triples [op, a, b] (src/json.rs documents them).
const STRIDE = 3
const VALUE = 0
const ARRAY = 1
const OBJECT = 2
const CLOSE = 3
const ITEMS = 4
const MEMBERS = 5
const KEY = 6

const KEYS = new Set(['sliceMs', 'sliceBytes', 'reviver', 'maxBytes', 'signal', 'executor'])
const hasOwn = Object.prototype.hasOwnProperty

/**
 * `JSON.parse`'s result for `input`, built without blocking the event loop for long.
 * @param {string | Buffer | ArrayBufferView | ArrayBuffer} input UTF-8 bytes (decoded as buf.toString('utf8')) or a string
 * @param {{ sliceMs?: number, sliceBytes?: number, reviver?: Function, maxBytes?: number, signal?: AbortSignal, executor?: string }} [options]
 * @returns {Promise<any>}
 */
function parseJson (input, options) {
  return scheduler.reject(() => {
    const o = v.knownKeys('options', v.options(options), KEYS)
    const src = source(input)
    const sliceBytes = v.optInt('sliceBytes', o.sliceBytes, J.sliceBytes.min, J.sliceBytes.max) ?? J.sliceBytes.default
    const sliceMs = v.optInt('sliceMs', o.sliceMs, J.sliceMs.min, J.sliceMs.max) ?? J.sliceMs.default
    const reviver = o.reviver
    if (reviver !== undefined && typeof reviver !== 'function') throw invalidType('reviver', 'function', reviver)
    const maxBytes = v.optInt('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER)
    const task = scheduler.taskOptions(o)
    checkSignal(task.signal)
    // The caller's stack, for a syntax error found turns later (formatted only if one is).
    const caller = {}
    Error.captureStackTrace(caller, parseJson)
    const job = { src, sliceBytes, sliceMs, reviver, maxBytes, task, units: typeof src === 'string', caller }
    const small = src.length <= J.inlineBytes
    if (maxBytes !== undefined) {
      // A string counts its UTF-8 bytes, at least one per UTF-16 unit: more units than maxBytes is over it
      // without counting. A large string is counted while it is encoded.
      if (src.length > maxBytes) throw tooLarge(maxBytes, job.units ? undefined : src.length)
      const n = job.units && small ? Buffer.byteLength(src, 'utf8') : 0
      if (n > maxBytes) throw tooLarge(maxBytes, n)
    }
    return small ? inline(job) : large(job)
  })
}

/** A small document: one JSON.parse (with the reviver, JSON.parse's own walk) on the loop. */
function inline (job) {
  const text = job.units ? job.src : job.src.toString('utf8')
  try {
    return Promise.resolve(job.reviver === undefined ? JSON.parse(text) : JSON.parse(text, job.reviver))
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err
    // The reviver may throw a SyntaxError of its own: only a text JSON.parse refuses is a parse error.
    if (job.reviver !== undefined && parses(text)) throw err
    // The scanner gives the position; the message is JSON.parse's.
    return scan(job, bytesOf(job)).then(([, meta]) => {
      throw syntaxError(meta.error, job.units, err.message, job.caller)
    })
  }
}

/** Whether JSON.parse accepts `text` (without a reviver). */
function parses (text) {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** The bytes the scanner reads: the Buffer itself, or a small string's UTF-8. */
function bytesOf (job) {
  return job.units ? Buffer.from(job.src, 'utf8') : job.src
}

/** The scan task on the pool: resolves [plan (Buffer of f64 triples), meta]. */
function scan (job, bytes) {
  return scheduler.run((t) => native.jsonScan(t, bytes, job.sliceBytes, job.units), job.task)
}

/** A large document: encoded (a string), validated and planned on the pool, assembled slice by slice, then revived. */
async function large (job) {
  const { src, units, task } = job
  const bytes = units ? await encode(src, job.maxBytes, job.sliceMs, task.signal) : src
  const [planBuffer, meta] = await scan(job, bytes)
  if (meta.error) {
    const message = parseMessage(meta.error, bytes.length, () => units ? src : src.toString('utf8'))
    throw syntaxError(meta.error, units, message, job.caller)
  }
  checkSignal(task.signal)
  const text = units ? (a, b) => src.slice(a, b) : (a, b) => src.utf8Slice(a, b)
  const sources = job.reviver !== undefined && HAS_SOURCE
  const built = await assemble(triples(planBuffer), job.sliceMs, task.signal, sources ? new SourceBuilder(text) : new Builder(text))
    .catch((err) => { throw err instanceof SyntaxError ? sliceRefused(units, err) : err })
  if (job.reviver === undefined) return built.root
  return revive(built.root, job.reviver, job.sliceMs, task.signal, sources ? built.rootRecord : undefined)
}

/**
 * The error for a slice JSON.parse refused after the scanner validated the whole document: binary input
 * was changed by the caller meanwhile (it must not change until the promise settles); a string cannot
 * change, so for one it is offthread's bug.
 */
function sliceRefused (units, cause) {
  const err = units
    ? codedError('ERR_INTERNAL', `offthread internal error: a validated JSON slice did not parse (${cause.message})`)
    : codedError('ERR_INVALID_ARG_VALUE', 'The JSON input changed while parseJson read it: it must not change until the promise settles')
  err.cause = cause
  return err
}

/**
 * Defines `obj[key] = value` as JSON.parse does (CreateDataProperty): an own data property, even for
 * '__proto__' or a key the prototype chain holds as an accessor. Plain assignment would call
 * Object.prototype's __proto__ setter and change the object's prototype (prototype pollution).
 */
function setMember (obj, key, value) {
  if (key === '__proto__' || (!hasOwn.call(obj, key) && key in obj)) {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    obj[key] = value
  }
}

/** Builds the document from the plan's ops with an explicit stack of open containers. */
class Builder {
  constructor (text) {
    this.text = text
    this.stack = []
    this.top = undefined
    this.isArray = false
    this.key = undefined
    this.root = undefined
  }

  /** Puts `value` where the document is: the root, the open array's end, or the pending key. */
  place (value) {
    if (this.top === undefined) {
      this.root = value
    } else if (this.isArray) {
      this.top.push(value)
    } else {
      setMember(this.top, this.key, value)
      this.key = undefined
    }
  }

  open (container, isArray) {
    this.place(container)
    this.stack.push(container)
    this.top = container
    this.isArray = isArray
  }

  close () {
    const stack = this.stack
    stack.pop()
    this.top = stack.length === 0 ? undefined : stack[stack.length - 1]
    this.isArray = Array.isArray(this.top)
  }

  op (op, a, b) {
    switch (op) {
      case VALUE: return this.place(JSON.parse(this.text(a, b)))
      case ARRAY: return this.open([], true)
      case OBJECT: return this.open({}, false)
      case CLOSE: return this.close()
      case ITEMS: {
        const items = JSON.parse('[' + this.text(a, b) + ']')
        const top = this.top
        for (let i = 0; i < items.length; i++) top.push(items[i])
        return
      }
      case MEMBERS: {
        const members = JSON.parse('{' + this.text(a, b) + '}')
        const top = this.top
        const keys = Object.keys(members)
        for (let i = 0; i < keys.length; i++) setMember(top, keys[i], members[keys[i]])
        return
      }
      case KEY:
        this.key = JSON.parse(this.text(a, b))
        return
      default:
        throw codedError('ERR_INTERNAL', `offthread internal error: unknown JSON plan op ${op}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Source text for the reviver (Node >= 21, V8's JSON.parse source text access): the reviver's third
// argument is a context, { source } for a primitive still holding its parsed value, {} otherwise. The
// walk needs each primitive's source text: every slice is parsed with a capturing reviver, and the
// parse records (value, source; elements or entries) are assembled alongside the document.

/** Whether this V8 passes the reviver a context (ES proposal-json-parse-with-source, Node >= 21). */
const HAS_SOURCE = JSON.parse('0', (key, value, context) => context !== undefined)

/** Parse records of the slices: a WeakMap from each container to its record. */
class Records {
  constructor () {
    this.of = new WeakMap()
    this.last = undefined
    const records = this
    // Called post-order by JSON.parse for each value of a slice; the last call is the slice's root.
    this.capture = function (key, value, context) {
      const record = value !== null && typeof value === 'object' ? records.record(value) : { value, source: context.source }
      const parent = records.record(this)
      if (parent.elements !== undefined) parent.elements[key] = record
      else parent.entries.set(key, record)
      records.last = record
      return value
    }
  }

  record (container) {
    let record = this.of.get(container)
    if (record === undefined) {
      record = Array.isArray(container) ? { value: container, elements: [] } : { value: container, entries: new Map() }
      this.of.set(container, record)
    }
    return record
  }

  /** JSON.parse(text) and the record of its result. */
  parse (text) {
    const value = JSON.parse(text, this.capture)
    return [value, this.last]
  }
}

/** The Builder that also assembles the parse records the reviver walk reads sources from. */
class SourceBuilder extends Builder {
  constructor (text) {
    super(text)
    this.records = new Records()
    this.recordStack = []
    this.rootRecord = undefined
  }

  placeRecord (record) {
    const stack = this.recordStack
    if (stack.length === 0) this.rootRecord = record
    else if (this.isArray) stack[stack.length - 1].elements.push(record)
    else stack[stack.length - 1].entries.set(this.key, record)
  }

  op (op, a, b) {
    const records = this.records
    const stack = this.recordStack
    switch (op) {
      case VALUE: {
        const [value, record] = records.parse(this.text(a, b))
        this.placeRecord(record)
        return this.place(value)
      }
      case ARRAY:
      case OBJECT: {
        const container = op === ARRAY ? [] : {}
        const record = records.record(container)
        this.placeRecord(record)
        stack.push(record)
        return this.open(container, op === ARRAY)
      }
      case CLOSE:
        stack.pop()
        return this.close()
      case ITEMS: {
        const [items, record] = records.parse('[' + this.text(a, b) + ']')
        const top = this.top
        const elements = stack[stack.length - 1].elements
        for (let i = 0; i < items.length; i++) {
          top.push(items[i])
          elements.push(record.elements[i])
        }
        return
      }
      case MEMBERS: {
        const [members, record] = records.parse('{' + this.text(a, b) + '}')
        const top = this.top
        const entries = stack[stack.length - 1].entries
        const keys = Object.keys(members)
        for (let i = 0; i < keys.length; i++) {
          setMember(top, keys[i], members[keys[i]])
          entries.set(keys[i], record.entries.get(keys[i]))
        }
        return
      }
      default:
        return super.op(op, a, b)
    }
  }
}

/**
 * Runs the plan's ops within `sliceMs` per turn, yielding (setImmediate) between turns and checking
 * `signal` after each; resolves the builder (its `root` is the document).
 */
async function assemble (ops, sliceMs, signal, builder) {
  const n = ops.length
  let i = 0
  for (;;) {
    const start = performance.now()
    while (i < n) {
      builder.op(ops[i], ops[i + 1], ops[i + 2])
      i += STRIDE
      if (performance.now() - start >= sliceMs) break
    }
    if (i >= n) return builder
    await turn()
    checkSignal(signal)
  }
}

// ---------------------------------------------------------------------------------------------
// The reviver: ECMA-262 InternalizeJSONProperty, as an explicit stack of frames, time-sliced.

/**
 * Nesting depths known to work (ok) and to fail (fail) for JSON.parse with a reviver on this V8:
 * V8 walks recursively and throws RangeError past its stack (2,728 levels of arrays on Node 20
 * here). Probed lazily, only when a document nests deeper than `ok`.
 */
const reviverDepth = { ok: 0, fail: Infinity, error: undefined }

function probe (depth) {
  try {
    JSON.parse('['.repeat(depth) + ']'.repeat(depth), (k, value) => value)
    return true
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
    reviverDepth.error = err
    return false
  }
}

/** Whether JSON.parse with a reviver handles `depth` levels on this V8 (doubling, then bisection). */
function depthWorks (depth) {
  if (depth <= reviverDepth.ok) return true
  if (depth >= reviverDepth.fail) return false
  const tryDepth = Math.max(depth, reviverDepth.ok * 2)
  if (probe(tryDepth)) {
    reviverDepth.ok = tryDepth
    return true
  }
  let lo = reviverDepth.ok
  let hi = tryDepth
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (probe(mid)) lo = mid
    else hi = mid
  }
  reviverDepth.ok = lo
  reviverDepth.fail = hi
  return depth <= lo
}

/** V8's RangeError for a reviver walk past its stack. */
function tooDeep () {
  return new RangeError(reviverDepth.error ? reviverDepth.error.message : 'Maximum call stack size exceeded')
}

/**
 * JSON.parse's reviver walk over `value`: for each container, its elements (arrays: indices 0..length-1
 * read live; objects: Object.keys taken when the walk enters it), then reviver.call(holder, key, value);
 * undefined deletes the property, anything else is defined as an own data property. Post-order, like V8.
 */
async function revive (value, reviver, sliceMs, signal, rootRecord) {
  const root = { '': value }
  // With parse records (Node >= 21), the reviver gets a third argument, as JSON.parse gives it there.
  const sources = rootRecord !== undefined
  // A frame: the container `val` at holder[name], its keys (objects) or length (arrays), the next index,
  // and its parse record while it still holds the parsed value.
  const frames = []
  /** Enters holder[name]: a container pushes a frame (PENDING); a primitive returns the reviver's answer. */
  const enter = (holder, name, record) => {
    const val = holder[name]
    // A parse record counts only while the value is still the parsed one (SameValue).
    const current = record !== undefined && Object.is(record.value, val) ? record : undefined
    if (val === null || typeof val !== 'object') {
      if (!sources) return reviver.call(holder, name, val)
      return reviver.call(holder, name, val, current === undefined ? {} : { source: current.source })
    }
    if (frames.length + 1 > reviverDepth.ok && !depthWorks(frames.length + 1)) throw tooDeep()
    const isArray = Array.isArray(val)
    const keys = isArray ? undefined : Object.keys(val)
    frames.push({ holder, name, val, keys, count: isArray ? val.length : keys.length, i: 0, record: current })
    return PENDING
  }
  /** CreateDataProperty, or [[Delete]] for undefined; neither throws when refused, as in the spec. */
  const deliver = (val, prop, revived) => {
    if (revived === undefined) Reflect.deleteProperty(val, prop)
    else Reflect.defineProperty(val, prop, { value: revived, writable: true, enumerable: true, configurable: true })
  }
  const first = enter(root, '', rootRecord)
  if (first !== PENDING) return first
  let start = performance.now()
  for (;;) {
    const frame = frames[frames.length - 1]
    if (frame.i < frame.count) {
      const i = frame.i++
      const prop = frame.keys === undefined ? String(i) : frame.keys[i]
      const r = frame.record
      const child = r === undefined ? undefined : frame.keys === undefined ? r.elements[i] : r.entries.get(prop)
      const revived = enter(frame.val, prop, child)
      if (revived !== PENDING) deliver(frame.val, prop, revived)
    } else {
      frames.pop()
      const revived = sources
        ? reviver.call(frame.holder, frame.name, frame.val, {})
        : reviver.call(frame.holder, frame.name, frame.val)
      if (frames.length === 0) return revived
      deliver(frames[frames.length - 1].val, frame.name, revived)
    }
    if (performance.now() - start >= sliceMs) {
      await turn()
      checkSignal(signal)
      start = performance.now()
    }
  }
}

/** What `enter` returns for a container: its reviver call comes after its elements'. */
const PENDING = Symbol('pending')

// setMember is shared: select.js defines selected members with it.
module.exports = { parseJson, setMember }
