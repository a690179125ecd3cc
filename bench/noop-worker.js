'use strict'
// piscina's worker for bench/noop.js: a task that does nothing.
module.exports = () => {}
