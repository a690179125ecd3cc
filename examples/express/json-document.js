'use strict'
// The demo's large JSON document: a 20 MB array of order records, like a big API response or upload,
// the same bytes on every run (a seeded PRNG). Built once, on first use, a few milliseconds per
// event-loop turn, so that building it does not freeze the ticker either.

const MB = 2 ** 20
const TURN_MS = 4 // building time per loop turn

/** mulberry32: a small seeded PRNG. */
function mulberry32 (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const CITIES = ['Paris', 'Berlin', 'Lisbon', 'Austin', 'Ōsaka', 'Toronto', 'Nairobi', 'Lima', 'Oslo', 'Seoul', 'Perth', 'Zürich']
const ITEMS = ['keyboard', 'monitor', 'cable', 'lamp', 'chair', 'desk', 'notebook', 'pen', 'headset', 'webcam', 'dock', 'mouse']
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'refunded']

/** One order record, as JSON text. */
function record (id, rnd) {
  const int = (n) => Math.floor(rnd() * n)
  const pick = (list) => list[int(list.length)]
  return JSON.stringify({
    id,
    customer: { id: 1000 + int(90000), name: `customer ${int(100000)}`, city: pick(CITIES), vip: rnd() < 0.1 },
    status: pick(STATUSES),
    createdAt: new Date(Date.UTC(2024, 0, 1) + int(365 * 86400) * 1000).toISOString(),
    lines: Array.from({ length: 1 + int(4) }, () => ({ sku: `SKU-${int(1e6)}`, item: pick(ITEMS), qty: 1 + int(5), price: int(50000) / 100 })),
    total: int(200000) / 100,
    note: rnd() < 0.2 ? null : 'leave at the door, ring twice'
  })
}

let pending

/** The document as a Buffer of at least `mb` MB (first call builds it; later calls get the same one). */
function jsonDocument (mb = 20) {
  if (pending === undefined) {
    pending = new Promise((resolve) => {
      const rnd = mulberry32(20)
      const parts = []
      let size = 2
      let id = 0
      const step = () => {
        const until = performance.now() + TURN_MS
        while (size < mb * MB && performance.now() < until) {
          const s = record(++id, rnd)
          parts.push(s)
          size += Buffer.byteLength(s) + 1
        }
        if (size < mb * MB) return setImmediate(step)
        // Joined in pieces of 1,000 records per turn, then one concat of ~20 MB (a few ms).
        const pieces = []
        const join = (from) => {
          pieces.push(Buffer.from((from === 0 ? '[' : ',') + parts.slice(from, from + 1000).join(',')))
          if (from + 1000 < parts.length) return setImmediate(join, from + 1000)
          pieces.push(Buffer.from(']'))
          resolve({ buffer: Buffer.concat(pieces), records: parts.length })
        }
        join(0)
      }
      setImmediate(step)
    })
  }
  return pending
}

module.exports = { jsonDocument }
