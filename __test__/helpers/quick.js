'use strict'
// `npm run test:quick` (the edit loop) sets OFFTHREAD_QUICK=1 and leaves out consumer.spec.js and
// workers.spec.js. The heavy tests of the other specs (GiB-scale inputs, child processes that take
// tens of seconds) are declared through `heavy`, which under OFFTHREAD_QUICK=1 registers them as
// skipped, with the reason in the title, so the run's output says what it left out. `npm test` runs
// everything.

const test = require('ava')

const QUICK = process.env.OFFTHREAD_QUICK === '1'

/**
 * `declare` (test, test.serial, ...) unchanged, or under OFFTHREAD_QUICK=1 a test.skip titled
 * "<title> [test:quick skips: <why>]".
 */
function heavy (why, declare = test) {
  if (!QUICK) return declare
  return (title, ...rest) => test.skip(`${title} [test:quick skips: ${why}]`, ...rest)
}

module.exports = { heavy }
