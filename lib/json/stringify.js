'use strict'
// stringifyJson: the bytes of JSON.stringify(value, replacer, space) without a long event-loop stall.
//
// V8 objects can only be read on their own thread, so the walk stays on the loop; it is split into turns
// of about `sliceMs`, with setImmediate between them:
// - an explicit stack of open arrays and objects (no recursion: any depth works, and V8's own stack
//   limit for JSON.stringify does not apply);
// - the children of an open container go to JSON.stringify in batches whose estimated text is at most
//   `sliceBytes` (a whole small subtree is one call: V8's serializer is much faster than any walk in
//   JavaScript); a child whose estimate is larger is opened in turn;
// - everything JSON.stringify does per property is kept: toJSON(key), the replacer function (with the
//   right holder as `this` and the right key), the property list of a replacer array, the gap of
//   `space`, unboxing of Number/String/Boolean/BigInt objects, cycles (TypeError with V8's message),
//   BigInt (TypeError).
// Output strings are encoded to UTF-8 chunks of about `stringifyChunkBytes` as they come; the stream
// form pushes them (only while the consumer reads), the Promise form collects them and concatenates them
// in time-sliced copies. Compression runs on the pool (lib/bytes.js createCompress), overlapping the walk.

const { Readable } = require('node:stream')
const { pipeline, finished } = require('node:stream/promises')
const { types } = require('node:util')
const native = require('../native')
const scheduler = require('../scheduler')
const bytes = require('../bytes')
const { abortError, invalidType } = require('../errors')
const v = require('../validate')

/** Core's JSON policy: sliceBytes, sliceMs, stringifyChunkBytes, stringifyValueCost (src/json.rs). */
const J = native.policy.json
const CHUNK_BYTES = J.stringifyChunkBytes
const COST = J.stringifyValueCost
const PIECE_DEPTH = J.stringifyPieceDepth
const SINK_FROM = J.stringifySinkFromBytes
/** The most UTF-8 bytes one UTF-16 code unit becomes (U+FFFF: 3). */
const UTF8_PER_UNIT = Buffer.byteLength('\uFFFF')

/** `compress` values → offthread's compression formats (HTTP content-coding names, as in the issue). */
const FORMATS = { gzip: 'gzip', br: 'brotli', zstd: 'zstd', deflate: 'deflate' }
const KEYS = new Set(['replacer', 'space', 'sliceMs', 'sliceBytes', 'compress', 'level', 'signal', 'executor'])

const CIRCULAR = 'Converting circular structure to JSON'
// V8's CircularStructureMessageBuilder (src/json/json-stringifier.cc): the prefixes of its lines and how
// many lines it prints after the start (kCircularErrorMessagePrefixCount) and before the end (…PostfixCount).
const START_LINE = '\n    --> '
const END_LINE = '\n    --- '
const LINE = '\n    |     '
const PREFIX_LINES = [0, 1].length
const POSTFIX_LINES = [0].length
const BIGINT_MESSAGE = 'Do not know how to serialize a BigInt'
/** V8's RangeError when JSON.stringify recurses past the stack. */
const STACK_OVERFLOW = 'Maximum call stack size exceeded'
// What JSON.stringify puts around the members of a container when there is a gap.
const OPEN_GAP = '[\n'.length
const CLOSE_GAP = '\n]'.length

const hasOwn = Object.prototype.hasOwnProperty
const now = () => performance.now()

function turn () {
  return new Promise((resolve) => setImmediate(resolve))
}

/** JSON.stringify's property list of a replacer array (ECMA-262 JSON.stringify step 4.b), computed once. */
function propertyList (replacer) {
  const list = []
  const seen = new Set()
  const length = Math.min(Math.max(Math.trunc(Number(replacer.length)) || 0, 0), Number.MAX_SAFE_INTEGER)
  for (let k = 0; k < length; k++) {
    const x = replacer[k]
    let item
    if (typeof x === 'string') item = x
    else if (typeof x === 'number') item = String(x)
    else if (typeof x === 'object' && x !== null && (types.isStringObject(x) || types.isNumberObject(x))) item = String(x)
    if (item !== undefined && !seen.has(item)) {
      seen.add(item)
      list.push(item)
    }
  }
  return list
}

/** JSON.stringify's gap for `space` (step 5-8): unboxed once here, then measured by V8 itself. */
function gapOf (space) {
  if (typeof space === 'object' && space !== null) {
    if (types.isNumberObject(space)) space = +space
    else if (types.isStringObject(space)) space = String(space)
  }
  if (typeof space !== 'number' && typeof space !== 'string') return ''
  const probe = JSON.stringify([0], null, space)
  return probe.slice(OPEN_GAP, probe.length - '0\n]'.length)
}

/** V8's constructor name of an object in circular-structure messages (JSReceiver::GetConstructorName, approximated). */
function constructorName (o) {
  if (types.isProxy(o)) return 'Object'
  const proto = Object.getPrototypeOf(o)
  const named = (f) => typeof f === 'function' && typeof f.name === 'string' && f.name !== '' && f.name !== 'Object'
  if (proto !== null) {
    // An instance made by `new F()`: the map's constructor, F, which is its prototype's constructor.
    const c = Object.getOwnPropertyDescriptor(proto, 'constructor')
    if (c !== undefined && named(c.value) && c.value.prototype === proto) return c.value.name
  }
  for (let cur = o; cur !== null; cur = Object.getPrototypeOf(cur)) {
    if (types.isProxy(cur)) break
    const tag = Object.getOwnPropertyDescriptor(cur, Symbol.toStringTag)
    if (tag !== undefined && typeof tag.value === 'string') return tag.value
    if (cur !== o) {
      const c = Object.getOwnPropertyDescriptor(cur, 'constructor')
      if (c !== undefined && named(c.value)) return c.value.name
    }
  }
  return typeof o === 'function' ? 'Function' : 'Object'
}

function messageKey (key) {
  if (typeof key === 'number') return `index ${key}`
  return key === '' ? '<anonymous>' : `property '${key}'`
}

/** The TypeError JSON.stringify throws for a cycle, worded as V8 words it (stack: the open frames). */
function circularError (frames, start, closingKey) {
  const object = (f) => `object with constructor '${constructorName(f.holder)}'`
  let text = `${CIRCULAR}${START_LINE}starting at ${object(frames[start])}`
  let i = start + 1
  const prefixEnd = Math.min(frames.length, i + PREFIX_LINES)
  for (; i < prefixEnd; i++) text += `${LINE}${messageKey(frames[i].key)} -> ${object(frames[i])}`
  if (frames.length > i + POSTFIX_LINES) text += `${LINE}...`
  for (i = Math.max(i, frames.length - POSTFIX_LINES); i < frames.length; i++) {
    text += `${LINE}${messageKey(frames[i].key)} -> ${object(frames[i])}`
  }
  text += `${END_LINE}${messageKey(closingKey)} closes the circle`
  return new TypeError(text)
}

/**
 * An error of JSON.stringify on a piece that the walk may not meet: a cycle through containers open
 * above the piece (JSON.stringify of the piece alone cannot see them), or V8's stack limit. The piece is
 * then walked here, where the whole stack is known and depth is not limited.
 */
function walkInstead (err) {
  if (err instanceof TypeError) return typeof err.message === 'string' && err.message.startsWith(CIRCULAR)
  return err instanceof RangeError && err.message === STACK_OVERFLOW
}

/** A value JSON.stringify looks up `toJSON` on (an object, a function or a BigInt). */
function hasToJSON (x) {
  const t = typeof x
  return ((t === 'object' && x !== null) || t === 'function' || t === 'bigint') && typeof x.toJSON === 'function'
}

// The estimate's depth-first path: each open container, its keys (undefined for arrays) and the next index.
const pathNodes = []
const pathKeys = []
const pathNext = []

/**
 * An estimate of the text JSON.stringify makes of `x` (strings count their length, other values
 * `stringifyValueCost`), stopping as soon as it passes `limit` (it then returns more than `limit`), or
 * when containers nest deeper than `stringifyPieceDepth` (V8's serializer is recursive: a piece that deep
 * is walked instead). Then every container on the path down to that depth joins `deep`, so the walk opens
 * them without estimating each again (a chain of 100,000 levels costs one visit per level, not one
 * estimate of `stringifyPieceDepth` levels per level). A value with a toJSON method counts as one value.
 */
function estimate (x, limit, deep) {
  if (typeof x === 'string') return x.length + COST
  if (typeof x !== 'object' || x === null) return COST
  if (deep.has(x)) return limit + 1
  let cost = COST
  if (Array.isArray(x)) {
    pathNodes.push(x)
    pathKeys.push(undefined)
  } else if (typeof x.toJSON !== 'function') {
    pathNodes.push(x)
    pathKeys.push(Object.keys(x))
  } else {
    return cost
  }
  pathNext.push(0)
  while (pathNodes.length > 0) {
    const top = pathNodes.length - 1
    const o = pathNodes[top]
    const keys = pathKeys[top]
    const i = pathNext[top]
    let e
    if (keys === undefined) {
      if (i >= o.length) { pathNodes.pop(); pathKeys.pop(); pathNext.pop(); continue }
      e = o[i]
    } else {
      if (i >= keys.length) { pathNodes.pop(); pathKeys.pop(); pathNext.pop(); continue }
      cost += keys[i].length
      e = o[keys[i]]
    }
    pathNext[top] = i + 1
    cost += COST
    if (typeof e === 'string') {
      cost += e.length
    } else if (typeof e === 'object' && e !== null) {
      if (deep.has(e)) { cost = limit + 1; break }
      if (Array.isArray(e)) {
        pathNodes.push(e)
        pathKeys.push(undefined)
        pathNext.push(0)
      } else if (typeof e.toJSON !== 'function') {
        pathNodes.push(e)
        pathKeys.push(Object.keys(e))
        pathNext.push(0)
      }
      if (pathNodes.length > PIECE_DEPTH) {
        for (const node of pathNodes) deep.add(node)
        cost = limit + 1
        break
      }
    }
    if (cost > limit) break
  }
  pathNodes.length = 0
  pathKeys.length = 0
  pathNext.length = 0
  return cost
}

/**
 * Encodes the output strings to UTF-8 chunks of about `chunkBytes` and hands them to `onChunk`. Each
 * string is written into the current chunk as it comes (never joined first: a joined 64 Ki-character
 * string would be a large object, allocated in V8's old generation); a string larger than a chunk is a
 * chunk of its own.
 */
class Output {
  constructor (chunkBytes, onChunk) {
    this.chunkBytes = chunkBytes
    this.onChunk = onChunk
    this.buf = undefined
    this.off = 0
    this.bytes = 0
    // The first string of a chunk waits here: a small value is one string, encoded alone by flush()
    // (Buffer.from, from Node's pool) instead of into a fresh chunk.
    this.first = undefined
  }

  write (s) {
    let buf = this.buf
    if (buf === undefined) {
      if (this.first === undefined) {
        this.first = s
        return
      }
      const first = this.first
      this.first = undefined
      buf = this.buf = Buffer.allocUnsafe(this.chunkBytes)
      this.write(first)
      buf = this.buf
    }
    if (this.off + s.length * UTF8_PER_UNIT > buf.length) {
      const n = Buffer.byteLength(s, 'utf8')
      if (this.off + n > buf.length) {
        this.flush()
        if (n > this.chunkBytes) {
          this.bytes += n
          this.onChunk(Buffer.from(s, 'utf8'))
          return
        }
        buf = this.buf = Buffer.allocUnsafe(this.chunkBytes)
      }
    }
    this.off += buf.write(s, this.off)
  }

  flush () {
    if (this.first !== undefined) {
      const chunk = Buffer.from(this.first, 'utf8')
      this.first = undefined
      this.bytes += chunk.length
      this.onChunk(chunk)
      return
    }
    if (this.off === 0) return
    const chunk = this.buf.subarray(0, this.off)
    this.buf = undefined
    this.bytes += this.off
    this.off = 0
    this.onChunk(chunk)
  }
}

/**
 * The Promise form's output. The first `stringifySizeFromBytes` go to chunks (a small result stays one
 * of Node's Buffers). Past that, the text goes to a native JsonSink: memory outside V8's heap, which V8
 * does not count, so a result growing to tens of MB does not start a full garbage collection mid-walk
 * (its pause, with the value itself live, is tens of ms); the sink's pieces are joined on the pool.
 */
class SinkOutput {
  constructor () {
    this.chunks = []
    this.bytes = 0
    this.sink = undefined
    this.pending = new Output(CHUNK_BYTES, (b) => {
      this.chunks.push(b)
      this.bytes += b.length
    })
  }

  write (s) {
    if (this.sink === undefined) {
      if (this.bytes < SINK_FROM) return this.pending.write(s)
      this.pending.flush()
      this.sink = new native.JsonSink()
      for (const c of this.chunks) this.sink.pushBytes(c)
      this.chunks = []
    }
    this.bytes += this.sink.push(s)
  }

  flush () {
    if (this.sink === undefined) this.pending.flush()
  }

  /** The whole text as one Buffer. */
  result (p) {
    if (this.sink === undefined) return concat(this.chunks, this.bytes, p.sliceMs, p.task.signal)
    const sink = this.sink
    this.sink = undefined
    return scheduler.run((t) => native.jsonSinkFinish(t, sink), p.task)
  }
}

/**
 * The walk: JSON.stringify's SerializeJSONProperty / SerializeJSONArray / SerializeJSONObject with an
 * explicit stack, one bounded step at a time. `step()` writes to `out` and returns; `done` says when the
 * whole text is written. `undefinedResult` is true when JSON.stringify would return undefined.
 */
class Walker {
  constructor (value, spec, out) {
    this.out = out
    this.fn = spec.replacerFn
    this.list = spec.list
    this.gap = spec.gap
    this.sliceBytes = spec.sliceBytes
    this.frames = []
    this.open = new Set()
    /** Containers known to nest deeper than stringifyPieceDepth (see estimate). */
    this.deep = new WeakSet()
    this.done = false
    this.undefinedResult = false
    // The replacer JSON.stringify gets for the pieces it serializes for us: the first call (the
    // root of that call, already replaced by us) passes through; calls for a batch's elements get
    // the real holder and key; deeper calls are the user's replacer unchanged.
    this.root = false
    this.batch = undefined
    this.batchHolder = undefined
    this.batchOffset = 0
    const walker = this
    const fn = this.fn
    this.wrapped = fn === undefined
      ? undefined
      : function (key, val) {
        if (walker.root) {
          walker.root = false
          return val
        }
        if (this === walker.batch) {
          if (walker.batchOffset < 0) return fn.call(walker.batchHolder, key, val)
          return fn.call(walker.batchHolder, String(walker.batchOffset + Number(key)), val)
        }
        return fn.call(this, key, val)
      }
    this.replacerArg = this.list ?? this.wrapped
    this.wrapper = { '': value }
  }

  /** JSON.stringify of a piece whose root is already resolved (toJSON and replacer applied by us). */
  native (x) {
    this.root = true
    try {
      return JSON.stringify(x, this.replacerArg, this.gap)
    } finally {
      this.root = false
    }
  }

  /** SerializeJSONProperty steps 1-4: toJSON(key), the replacer, unboxing. */
  resolve (holder, key, x) {
    if (hasToJSON(x)) x = x.toJSON(typeof key === 'number' ? String(key) : key)
    if (this.fn !== undefined) x = this.fn.call(holder, typeof key === 'number' ? String(key) : key, x)
    if (typeof x === 'object' && x !== null) {
      if (types.isNumberObject(x)) x = +x
      else if (types.isStringObject(x)) x = String(x)
      else if (types.isBooleanObject(x)) x = Boolean.prototype.valueOf.call(x)
      else if (types.isBigIntObject(x)) x = BigInt.prototype.valueOf.call(x)
    }
    return x
  }

  /** The text of a resolved primitive, or undefined (undefined, functions, symbols). */
  primitive (x) {
    if (x === null) return 'null'
    switch (typeof x) {
      case 'string': return JSON.stringify(x)
      case 'number': return Number.isFinite(x) ? String(x) : 'null'
      case 'boolean': return x ? 'true' : 'false'
      case 'bigint': throw new TypeError(BIGINT_MESSAGE)
      default: return undefined
    }
  }

  /** Writes what comes before a member of `f`: the comma, the newline and indent, the key. */
  prefix (f, key) {
    let s = f.wrote ? ',' : ''
    if (this.gap !== '') s += '\n' + f.inner
    if (!f.isArray) s += JSON.stringify(key) + (this.gap !== '' ? ': ' : ':')
    f.wrote = true
    return s
  }

  /** Re-indents a piece JSON.stringify indented from column 0 to `indent`. */
  indent (s, indent) {
    return indent === '' || this.gap === '' ? s : s.replaceAll('\n', '\n' + indent)
  }

  /**
   * One member (key `key` of holder `f`, value `x` read already): resolved, then written as text,
   * serialized whole by JSON.stringify when its estimate fits a slice, or opened as a frame.
   * `f` is undefined for the root.
   */
  single (f, key, x) {
    const holder = f === undefined ? this.wrapper : f.holder
    x = this.resolve(holder, key, x)
    if (typeof x !== 'object' || x === null) {
      let s = this.primitive(x)
      if (s === undefined) {
        if (f === undefined) { this.undefinedResult = true; return }
        if (!f.isArray) return
        s = 'null'
      }
      this.out.write(f === undefined ? s : this.prefix(f, key) + s)
      return
    }
    if (this.open.has(x)) throw this.circular(x, key)
    const indent = f === undefined ? '' : f.inner
    if (typeof x.toJSON !== 'function' && estimate(x, this.sliceBytes, this.deep) <= this.sliceBytes) {
      let s
      try {
        s = this.native(x)
      } catch (err) {
        if (!walkInstead(err)) throw err
        s = undefined
      }
      if (s !== undefined) {
        this.out.write((f === undefined ? '' : this.prefix(f, key)) + this.indent(s, indent))
        return
      }
    }
    if (f !== undefined) this.out.write(this.prefix(f, key))
    this.push(x, key, indent)
  }

  circular (x, key) {
    let start = 0
    while (this.frames[start].holder !== x) start++
    return circularError(this.frames, start, key)
  }

  /** Opens container `x` (already resolved, not on the stack): writes its bracket and pushes a frame. */
  push (x, key, stepback) {
    const isArray = Array.isArray(x)
    let keys
    let len
    if (isArray) {
      len = Math.min(Math.max(Math.trunc(Number(x.length)) || 0, 0), Number.MAX_SAFE_INTEGER)
    } else {
      keys = this.list ?? Object.keys(x)
      len = keys.length
    }
    if (len === 0) {
      this.out.write(isArray ? '[]' : '{}')
      return
    }
    this.out.write(isArray ? '[' : '{')
    this.frames.push({
      holder: x, key, isArray, keys, len, i: 0, stepback, inner: stepback + this.gap, wrote: false,
      // values read ahead (by a batch that stopped before them, or one that met a cycle), in order
      ahead: [],
      singles: 0
    })
    this.open.add(x)
  }

  close () {
    const f = this.frames.pop()
    this.open.delete(f.holder)
    const end = f.isArray ? ']' : '}'
    this.out.write(f.wrote && this.gap !== '' ? '\n' + f.stepback + end : end)
  }

  /** The value of the member at `f.i + n` (`n` < what is read ahead, or the next one to read). */
  read (f, n) {
    if (n < f.ahead.length) return f.ahead[n]
    const x = f.isArray ? f.holder[f.i + n] : f.holder[f.keys[f.i + n]]
    f.ahead.push(x)
    return x
  }

  /** One bounded piece of work. */
  step () {
    if (this.frames.length === 0) {
      if (this.done) return
      const x = this.wrapper['']
      this.single(undefined, '', x)
      if (this.frames.length === 0) this.finish()
      return
    }
    const f = this.frames[this.frames.length - 1]
    if (f.i >= f.len) {
      this.close()
      if (this.frames.length === 0) this.finish()
      return
    }
    // A batch: the next members whose estimates fit one slice together, none with its own toJSON
    // (JSON.stringify would call it with the batch's key, not the member's) and, in objects, not a
    // member named toJSON (it would be the batch object's own toJSON). With a replacer array, objects go
    // member by member: the batch object would carry only some of the list's keys.
    const budget = this.sliceBytes
    let cost = 0
    let n = 0
    const batchable = f.isArray || this.list === undefined
    if (batchable && f.singles === 0) {
      while (f.i + n < f.len) {
        const x = this.read(f, n)
        if (hasToJSON(x) || (!f.isArray && f.keys[f.i + n] === 'toJSON')) break
        const c = estimate(x, budget - cost, this.deep)
        if (cost + c > budget) break
        cost += c
        n++
      }
    }
    if (n === 0) {
      if (f.singles > 0) f.singles--
      const x = this.read(f, 0)
      const key = f.isArray ? f.i : f.keys[f.i]
      f.ahead.shift()
      f.i++
      this.single(f, key, x)
      return
    }
    if (this.batchOf(f, n)) {
      f.ahead.splice(0, n)
      f.i += n
    } else {
      f.singles = n // walk these members one by one (a cycle passes through one of them)
    }
  }

  /** JSON.stringify of `n` members of `f` at once; false if it met a cycle (then nothing is written). */
  batchOf (f, n) {
    const gap = this.gap
    let s
    try {
      if (f.isArray) {
        s = this.nativeBatch(f.ahead.length === n ? f.ahead : f.ahead.slice(0, n), f.holder, f.i)
      } else {
        // No prototype: no inherited toJSON or setter (a polluted Object.prototype) can act on it, and
        // '__proto__' is an own key like any other.
        const tmp = Object.create(null)
        for (let j = 0; j < n; j++) tmp[f.keys[f.i + j]] = f.ahead[j]
        s = this.nativeBatch(tmp, f.holder, -1)
      }
    } catch (err) {
      if (walkInstead(err)) return false
      throw err
    }
    // s is '[…]' / '{…}' around the members (with a gap: '[\n' + gap … '\n]'); '{}' when none was written.
    if (s.length === '{}'.length) return true
    const body = gap === ''
      ? s.slice(1, s.length - 1)
      : s.slice(OPEN_GAP + gap.length, s.length - CLOSE_GAP)
    let pre = f.wrote ? ',' : ''
    if (gap !== '') pre += '\n' + f.inner
    f.wrote = true
    this.out.write(pre + this.indent(body, f.stepback))
    return true
  }

  nativeBatch (tmp, holder, offset) {
    this.root = true
    this.batch = tmp
    this.batchHolder = holder
    this.batchOffset = offset
    try {
      return JSON.stringify(tmp, this.replacerArg, this.gap)
    } finally {
      this.root = false
      this.batch = undefined
      this.batchHolder = undefined
    }
  }

  finish () {
    this.done = true
    this.out.flush()
  }
}

/** Validated options: the walk's spec, the turn budget, compression, the task options. */
function parseOptions (options, extraKeys) {
  const o = v.knownKeys('options', v.options(options), extraKeys === undefined ? KEYS : new Set([...KEYS, ...extraKeys]))
  const sliceMs = v.optInt('sliceMs', o.sliceMs, J.sliceMs.min, J.sliceMs.max) ?? J.sliceMs.default
  const sliceBytes = v.optInt('sliceBytes', o.sliceBytes, J.sliceBytes.min, J.sliceBytes.max) ?? J.stringifySliceBytes
  const task = scheduler.taskOptions(o)
  let format
  let level
  if (o.compress !== undefined && o.compress !== false) {
    format = FORMATS[v.oneOf('compress', o.compress, Object.keys(FORMATS))]
    const { min, max } = bytes.LEVELS[format]
    level = v.optInt('level', o.level, min, max)
  } else if (o.level !== undefined) {
    throw invalidType('compress', 'one of: gzip, br, zstd, deflate when level is given', o.compress)
  }
  // replacer and space are taken as JSON.stringify takes them: other types are ignored, as there.
  const replacer = o.replacer
  const spec = {
    replacerFn: typeof replacer === 'function' ? replacer : undefined,
    list: typeof replacer !== 'function' && Array.isArray(replacer) ? propertyList(replacer) : undefined,
    gap: undefined,
    sliceBytes
  }
  spec.gap = gapOf(o.space) // after the property list, as JSON.stringify's steps go
  return { o, spec, sliceMs, task, format, level }
}

/**
 * The raw text as a byte stream. Each turn of the event loop walks for up to `sliceMs`; the walk pauses
 * while the consumer does not read (push() returned false) and resumes in `_read`. `early`: chunks
 * already produced by the walker (sendJson's first turn), pushed first.
 */
class JsonReadable extends Readable {
  constructor (walker, sliceMs, signal, early = []) {
    super({ highWaterMark: CHUNK_BYTES })
    this._walker = walker
    walker.out.onChunk = (buf) => { if (!this.push(buf)) this._full = true }
    for (const buf of early) this.push(buf)
    this._sliceMs = sliceMs
    this._signal = signal
    this._full = false
    this._scheduled = false
    this._turnBound = () => this._turn()
    if (signal !== undefined) {
      this._onAbort = () => this.destroy(abortError(signal))
      signal.addEventListener('abort', this._onAbort, { once: true })
    }
    if (walker.done) this.push(null)
  }

  /** True once the walk found that JSON.stringify would return undefined (the stream then ends empty). */
  get undefinedResult () {
    return this._walker.undefinedResult
  }

  _read () {
    this._full = false
    if (this._scheduled || this._walker.done) return
    this._scheduled = true
    setImmediate(this._turnBound)
  }

  _turn () {
    this._scheduled = false
    if (this.destroyed) return
    if (this._signal !== undefined && this._signal.aborted) return this.destroy(abortError(this._signal))
    const w = this._walker
    const deadline = now() + this._sliceMs
    try {
      do w.step(); while (!w.done && !this._full && now() < deadline)
    } catch (err) {
      this.destroy(err)
      return
    }
    if (w.done) {
      this.push(null)
    } else if (!this._full) {
      this._scheduled = true
      setImmediate(this._turnBound)
    }
  }

  _destroy (err, callback) {
    if (this._onAbort !== undefined) this._signal.removeEventListener('abort', this._onAbort)
    callback(err)
  }
}

function newWalker (value, spec) {
  return new Walker(value, spec, new Output(CHUNK_BYTES, undefined))
}

/** The text stream, compressed on the pool when a format is given. */
function textStream (value, p) {
  const raw = new JsonReadable(newWalker(value, p.spec), p.sliceMs, p.task.signal)
  if (p.format === undefined) return { raw, out: raw }
  const comp = bytes.createCompress({ format: p.format, level: p.level, signal: p.task.signal, executor: p.o.executor })
  pipeline(raw, comp).catch(() => {}) // errors reach the consumer through `comp` (pipeline destroys it with them)
  return { raw, out: comp }
}

/** Concatenates `chunks` into one Buffer, copying for at most `sliceMs` per turn. */
async function concat (chunks, total, sliceMs, signal) {
  if (chunks.length === 1) return chunks[0]
  const out = Buffer.allocUnsafe(total)
  let offset = 0
  let deadline = now() + sliceMs
  for (let i = 0; i < chunks.length; i++) {
    out.set(chunks[i], offset)
    offset += chunks[i].length
    chunks[i] = undefined
    if (now() >= deadline && i + 1 < chunks.length) {
      await turn()
      if (signal !== undefined && signal.aborted) throw abortError(signal)
      deadline = now() + sliceMs
    }
  }
  return out
}

/**
 * `Buffer.from(JSON.stringify(value, replacer, space))`, produced on the event loop in turns of about
 * `sliceMs` (default 4 ms) so the loop keeps turning; with `compress` ('gzip' | 'br' | 'zstd' | 'deflate',
 * optional `level`) the bytes are compressed on the pool while the walk goes on. Resolves undefined where
 * JSON.stringify returns undefined (an undefined, function or symbol value). Rejects with JSON.stringify's
 * TypeError for a cycle or a BigInt, with whatever toJSON or the replacer throws, with ABORT_ERR on `signal`.
 * The value must not change until the promise settles: it is read over several turns.
 * @returns {Promise<Buffer | undefined>}
 */
function stringifyJson (value, options) {
  return scheduler.reject(() => {
    const p = parseOptions(options)
    const signal = p.task.signal
    if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
    if (p.format === undefined) return walkToBuffer(value, p)
    const { raw, out } = textStream(value, p)
    const chunks = []
    let total = 0
    return new Promise((resolve, reject) => {
      out.on('data', (buf) => { chunks.push(buf); total += buf.length })
      out.once('error', reject)
      out.once('end', () => {
        if (raw.undefinedResult) return resolve(undefined)
        concat(chunks, total, p.sliceMs, signal).then(resolve, reject)
      })
    })
  })
}

/** The uncompressed Promise form: the walk in turns of sliceMs, written into a SinkOutput. */
async function walkToBuffer (value, p) {
  const signal = p.task.signal
  const out = new SinkOutput()
  const w = new Walker(value, p.spec, out)
  for (;;) {
    const deadline = now() + p.sliceMs
    do w.step(); while (!w.done && now() < deadline)
    if (w.done) break
    await turn()
    if (signal !== undefined && signal.aborted) throw abortError(signal)
  }
  if (w.undefinedResult) return undefined
  return out.result(p)
}

/**
 * The same bytes as a Readable stream of Buffers (compressed when `compress` is given), produced only while
 * the consumer reads: a slow client holds back the walk instead of the memory filling up. An undefined
 * result ends the stream without data. Errors destroy the stream with them.
 * @returns {import('node:stream').Readable}
 */
function stringifyJsonStream (value, options) {
  const p = parseOptions(options)
  return textStream(value, p).out
}


const SEND_KEYS = ['threshold']
/** The codings sendJson offers with `compress: true`, in the server's order of preference (as the middleware). */
const CODINGS = ['zstd', 'br', 'gzip', 'deflate']

/** The codings `compress` offers: true → all, an array of names → those, false/undefined → none. */
function codingsOf (compress) {
  if (compress === undefined || compress === false) return []
  if (compress === true) return CODINGS
  if (!Array.isArray(compress)) throw invalidType('compress', `boolean or an array of: ${CODINGS.join(', ')}`, compress)
  for (const c of compress) v.oneOf('compress', c, CODINGS)
  return compress
}

/**
 * Sends `value` as JSON on an http.ServerResponse (Express's `res` too): Content-Type
 * application/json; charset=utf-8 (unless set), the bytes of JSON.stringify(value, replacer, space) made
 * in turns of `sliceMs` and written with the socket's backpressure (the walk waits while the client reads
 * slowly). A body done in the first turn is sent whole with Content-Length; a larger one is streamed
 * (chunked). `compress: true` (or an array of codings among zstd, br, gzip, deflate) negotiates a coding
 * from the request's Accept-Encoding as the compression middleware does, compresses on the pool, and adds
 * Vary: Accept-Encoding; bodies under `threshold` bytes (default 1 KiB) go uncompressed. In Express,
 * `replacer` and `space` default to the app's 'json replacer' and 'json spaces' settings. Resolves when
 * the response is finished; rejects with JSON.stringify's errors (before anything is written, when they
 * happen in the first turn: the caller can still answer 500), ABORT_ERR on `signal`, or the stream error
 * when the client goes away (the walk stops).
 * @returns {Promise<void>}
 */
function sendJson (res, value, options) {
  return scheduler.reject(() => {
    if (res === null || typeof res !== 'object' || typeof res.setHeader !== 'function' || typeof res.end !== 'function') {
      throw invalidType('res', 'http.ServerResponse', res)
    }
    const o = v.knownKeys('options', v.options(options), new Set([...KEYS, ...SEND_KEYS]))
    if (o.level !== undefined) throw invalidType('level', 'undefined (sendJson compresses at each format\'s default level)', o.level)
    const codings = codingsOf(o.compress)
    const threshold = v.optInt('threshold', o.threshold, 0, Number.MAX_SAFE_INTEGER) ?? native.policy.bytes.middlewareThreshold
    const app = res.app !== undefined && res.app !== null && typeof res.app.get === 'function' ? res.app : undefined // Express's app (a function)
    const p = parseOptions({
      replacer: o.replacer === undefined && app !== undefined ? app.get('json replacer') : o.replacer,
      space: o.space === undefined && app !== undefined ? app.get('json spaces') : o.space,
      sliceMs: o.sliceMs,
      sliceBytes: o.sliceBytes,
      signal: o.signal,
      executor: o.executor
    })
    const signal = p.task.signal
    if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
    // The first turn, before any header: a small body is whole after it.
    const walker = newWalker(value, p.spec)
    const early = []
    walker.out.onChunk = (buf) => early.push(buf)
    const deadline = now() + p.sliceMs
    do walker.step(); while (!walker.done && now() < deadline)
    const req = res.req
    const head = req !== undefined && req !== null && req.method === 'HEAD'
    let coding = codings.length > 0 && req !== undefined && req !== null ? middleware().negotiate(req.headers?.['accept-encoding'], codings) : undefined
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8')
    if (codings.length > 0) middleware().varyOnAcceptEncoding(res)
    if (walker.done) {
      const body = walker.undefinedResult ? Buffer.alloc(0) : Buffer.concat(early)
      if (body.length < threshold) coding = undefined
      const encoded = coding === undefined ? Promise.resolve(body) : bytes.compress(body, { format: FORMATS[coding], signal, executor: o.executor })
      return encoded.then((out) => {
        if (coding !== undefined) res.setHeader('Content-Encoding', coding)
        res.setHeader('Content-Length', out.length)
        const done = finished(res)
        res.end(head ? undefined : out)
        return done
      })
    }
    if (coding !== undefined) res.setHeader('Content-Encoding', coding)
    res.removeHeader('Content-Length')
    if (head) {
      const done = finished(res)
      res.end()
      return done
    }
    const raw = new JsonReadable(walker, p.sliceMs, signal, early)
    const streams = [raw]
    if (coding !== undefined) streams.push(bytes.createCompress({ format: FORMATS[coding], signal, executor: o.executor }))
    streams.push(res)
    return pipeline(...streams)
  })
}

let middlewareModule
function middleware () {
  middlewareModule ??= require('../middleware')
  return middlewareModule
}

module.exports = { stringifyJson, stringifyJsonStream, sendJson }
