'use strict'
// The Express demo under node:cluster: `npm run start:cluster`, or
// `WORKERS=4 PORT=8080 node examples/cluster/server.js`. The primary forks WORKERS processes (default:
// the available parallelism) that all run examples/express's app on one port, with offthread's
// machine-wide budget on (worker.js). It restarts a worker that dies and, on SIGINT/SIGTERM, stops
// them gracefully and exits when they have.

const cluster = require('node:cluster')
const os = require('node:os')
const path = require('node:path')
const { relayUsers } = require('./users')

const workers = Number(process.env.WORKERS || os.availableParallelism())
if (!Number.isInteger(workers) || workers < 1) {
  console.error(`WORKERS must be a positive integer, got ${process.env.WORKERS}`)
  process.exit(2)
}

cluster.setupPrimary({ exec: path.join(__dirname, 'worker.js') })
relayUsers()

let stopping = false
let listening = 0
// Announced once every worker listens, so that the first requests already spread across all of them.
cluster.on('listening', (worker, address) => {
  if (++listening !== workers) return
  console.log(`offthread cluster demo: ${workers} workers on http://localhost:${address.port} (machine budget on)`)
})
cluster.on('exit', (worker, code, signal) => {
  if (stopping) {
    if (Object.keys(cluster.workers).length === 0) {
      console.log('bye')
      process.exit(0)
    }
    return
  }
  // A crash (even kill -9) frees the worker's slots at once: the kernel drops its file locks.
  console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
  setTimeout(() => cluster.fork(), 1000)
})
for (let i = 0; i < workers; i++) cluster.fork()

function shutdown (signal) {
  if (stopping) process.exit(1) // a second signal: at once
  stopping = true
  console.log(`${signal} received, stopping ${Object.keys(cluster.workers).length} workers`)
  setTimeout(() => process.exit(1), 12_000).unref()
  for (const w of Object.values(cluster.workers)) w.send('shutdown')
  if (Object.keys(cluster.workers).length === 0) process.exit(0)
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
