'use strict'
// The walk behind stringifyJson (lib/json/stringify.js): JSON.stringify's own steps with an explicit stack,
// one bounded step at a time, so that the caller can stop between steps (a turn of the event loop) and
// go on later.
// - an explicit stack of open arrays and objects (no recursion: any depth works, and V8's own stack
//   limit for JSON.stringify does not apply);
// - the children of an open container go to JSON.stringify in batches whose estimated text is at most
//   `sliceBytes` (a whole small subtree is one call: V8's serializer is much faster than any walk in
//   JavaScript); a child whose estimate is larger is opened in turn;
// - everything JSON.stringify does per property is kept: toJSON(key), the replacer function (with the
//   right holder as `this` and the right key), the property list of a replacer array, the gap of
//   `space`, unboxing of Number/String/Boolean/BigInt objects, cycles (TypeError with V8's message),
//   BigInt (TypeError).

const { types } = require('node:util')
const native = require('../native')

/** Core's JSON policy: stringifyValueCost, stringifyPieceDepth (src/json.rs). */
const J = native.policy.json
const COST = J.stringifyValueCost
const PIECE_DEPTH = J.stringifyPieceDepth

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

module.exports = { Walker, propertyList, gapOf }
