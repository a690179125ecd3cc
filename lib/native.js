'use strict'
// The compiled addon (found by ./loader), wrapped so that large inputs outlive the tasks that read
// them in place, with core's policy tables read once.

const { load, SHIPPED } = require('./loader')

/**
 * Inputs of `readInPlaceFrom` bytes or more (64 KiB, core's READ_IN_PLACE_FROM) are read in place by
 * the worker thread (src/input.rs), so their memory
 * must outlive the task. A transfer (postMessage, structuredClone, ArrayBuffer#transfer) would
 * detach the ArrayBuffer and let the new owner free it under a running task: such ArrayBuffers are
 * marked untransferable, as Node marks its own Buffer pool. A transfer then copies (Node 20) or
 * throws DataCloneError (Node 22+) instead of detaching. SharedArrayBuffers cannot be detached.
 */
const { markAsUntransferable } = require('node:worker_threads')

function backing (x) {
  if (ArrayBuffer.isView(x)) return x.buffer
  return x instanceof ArrayBuffer ? x : undefined
}

/**
 * Buffers offthread itself returned are external (their memory is a Rust Vec). Node 24 aborts at exit
 * when such an ArrayBuffer was marked untransferable ("v8::FromJust Maybe value is Nothing" in
 * Environment::RunCleanup), so one passed back as a large input is copied instead of pinned.
 */
const produced = new WeakSet()
// Node 24 also aborts at exit for any external ArrayBuffer marked untransferable (sharp's outputs, other
// addons' buffers), which JavaScript cannot tell apart. Marking is used where verified harmless (Node 20);
// newer Node copies large inputs instead.
const MARK = Number(process.versions.node.split('.')[0]) <= 20

function remember (value) {
  if (Buffer.isBuffer(value)) produced.add(value.buffer)
  else if (Array.isArray(value) && Buffer.isBuffer(value[0])) produced.add(value[0].buffer)
  return value
}

/** A copy of a binary part (Buffer.from copies a Uint8Array, but would only view an ArrayBuffer). */
function copy (p) {
  return Buffer.from(ArrayBuffer.isView(p) ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : new Uint8Array(p))
}

/**
 * Pins a task's large binary input so its memory outlives the task, or copies it where pinning cannot
 * hold: offthread's own buffers and every input on Node 22+ (see MARK), and resizable ArrayBuffers,
 * whose resize() can release the pages a running task reads. SharedArrayBuffers are read in place:
 * they cannot be detached, and a growable one only grows (its pages are reserved up front and never
 * released), so the range captured at submission stays valid. Returns what to pass.
 */
function pin (data) {
  const parts = Array.isArray(data) ? data : [data]
  let total = 0
  for (const p of parts) {
    // A DataView over a detached buffer throws on byteLength: it holds nothing to pin.
    try { if (backing(p) !== undefined) total += p.byteLength } catch {}
  }
  if (total < PIN_FROM) return data
  const out = parts.map((p) => {
    const ab = backing(p)
    if (!(ab instanceof ArrayBuffer) || ab.byteLength === 0) return p
    if (!MARK || ab.resizable || produced.has(ab)) return copy(p)
    markAsUntransferable(ab)
    return p
  })
  return Array.isArray(data) ? out : out[0]
}

const native = load()
/** Core's policy tables (ranges, defaults, levels, thresholds, codes): lib/ reads its numbers here. */
const policy = native.policy()
const PIN_FROM = policy.pool.readInPlaceFrom
// The task-submitting functions that may borrow their input: every binary argument is pinned.
const BORROWING = ['digest', 'hmac', 'compress', 'decompress', 'streamPush', 'imageProcess', 'imageMetadata', 'imageThumbhash',
  'jsonScan', 'jsonSchemaValidate', 'jsonSelect']
const exported = Object.create(null)
for (const key of Object.keys(native)) exported[key] = native[key]
for (const name of BORROWING) {
  const fn = native[name]
  exported[name] = (...args) => fn(...args.map(pin))
}
// Sync functions returning Buffers: remember them as offthread's own.
for (const name of ['digestSync', 'hmacSync', 'compressSync', 'decompressSync']) {
  const fn = native[name]
  exported[name] = (...args) => remember(fn(...args))
}
exported.remember = remember
exported.policy = policy
exported.SHIPPED_PLATFORMS = SHIPPED
module.exports = exported
