'use strict'
// The tutorial's heavy route, as a task module: plain CPU-bound JavaScript. The demo runs it on the
// main thread, on offthread's workers (workers(__filename)) and on piscina (GET /compute).

/** Adds the integers below `n`, one at a time: about 1 ms per million on a current core. */
function heavyCalculation (n) {
  let total = 0
  for (let i = 0; i < n; i++) total += i
  return total
}

module.exports = { heavyCalculation }
