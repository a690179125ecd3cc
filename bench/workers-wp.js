'use strict'
// workerpool's worker script for bench/workers.js: the same tasks.
const workerpool = require('workerpool')
workerpool.worker(require('./workers-tasks'))
