'use strict'
// Task module for bench/workers.js, shared by every pool (piscina, tinypool and offthread load it;
// workerpool through bench/workers-wp.js). Each task takes one argument object, as piscina passes it.
// `sab` (optional): [running now, most running at once], updated by the tasks themselves.

function enter (sab) {
  if (sab === undefined) return
  const a = new Int32Array(sab)
  const now = Atomics.add(a, 0, 1) + 1
  let most = Atomics.load(a, 1)
  while (now > most) {
    const seen = Atomics.compareExchange(a, 1, most, now)
    if (seen === most) break
    most = seen
  }
}

function leave (sab) {
  if (sab !== undefined) Atomics.sub(new Int32Array(sab), 0, 1)
}

/** Nothing: the round trip. */
function noop () {}

/** CPU-bound for `ms` (a busy loop of integer work). */
function spin ({ ms, sab } = {}) {
  enter(sab)
  const end = performance.now() + ms
  let x = 0
  while (performance.now() < end) for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0
  leave(sab)
  return x
}

/** Allocation-heavy for `ms`: short-lived objects and arrays, so V8's GC (platform threads) works too. */
function alloc ({ ms, sab } = {}) {
  enter(sab)
  const end = performance.now() + ms
  let keep = []
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) keep.push({ i, s: `item ${i}`, a: new Array(8).fill(i) })
    if (keep.length > 50000) keep = []
  }
  leave(sab)
  return keep.length
}

module.exports = { noop, spin, alloc }
