'use strict'
// Loads the compiled addon through the generated loader, with one readable error when no
// binary fits this platform.

const SHIPPED = ['linux-x64-gnu']

function platformName () {
  let abi = ''
  if (process.platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    abi = report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl'
  }
  return `${process.platform}-${process.arch}${abi}`
}

function load () {
  try {
    return require('../binding.js')
  } catch (cause) {
    const err = new Error(
      `offthread has no native binary for ${platformName()} (Node ${process.version}). ` +
      `Prebuilt binaries: ${SHIPPED.join(', ')}. ` +
      'To build one: install Rust (https://rustup.rs), clone the offthread repository, run ' +
      '`npm install` there (it builds the addon), then `npm pack` and install the tarball.',
      { cause }
    )
    err.code = 'ERR_OFFTHREAD_NO_BINARY'
    throw err
  }
}

/**
 * Inputs of 64 KiB or more are read in place by the worker thread (src/input.rs), so their memory
 * must outlive the task. A transfer (postMessage, structuredClone, ArrayBuffer#transfer) would
 * detach the ArrayBuffer and let the new owner free it under a running task: such ArrayBuffers are
 * marked untransferable, as Node marks its own Buffer pool. A transfer then copies (Node 20) or
 * throws DataCloneError (Node 22+) instead of detaching. SharedArrayBuffers cannot be detached.
 */
const PIN_FROM = 64 * 1024
const { markAsUntransferable } = require('node:worker_threads')

function backing (x) {
  if (ArrayBuffer.isView(x)) return x.buffer
  return x instanceof ArrayBuffer ? x : undefined
}

function pin (data) {
  const parts = Array.isArray(data) ? data : [data]
  let total = 0
  for (const p of parts) {
    // A DataView over a detached buffer throws on byteLength: it holds nothing to pin.
    try { if (backing(p) !== undefined) total += p.byteLength } catch {}
  }
  if (total < PIN_FROM) return
  for (const p of parts) {
    const ab = backing(p)
    if (ab instanceof ArrayBuffer && ab.byteLength > 0) markAsUntransferable(ab)
  }
}

const native = load()
// The task-submitting functions that may borrow their input: every binary argument is pinned.
const BORROWING = ['digest', 'hmac', 'compress', 'decompress', 'streamPush', 'imageProcess', 'imageMetadata', 'imageThumbhash']
const exported = Object.create(null)
for (const key of Object.keys(native)) exported[key] = native[key]
for (const name of BORROWING) {
  const fn = native[name]
  exported[name] = (...args) => {
    for (const arg of args) pin(arg)
    return fn(...args)
  }
}
exported.SHIPPED_PLATFORMS = SHIPPED
module.exports = exported
