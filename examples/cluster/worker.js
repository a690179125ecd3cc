'use strict'
// One worker of the cluster demo: the Express demo app (examples/express) with offthread's
// machine-wide budget on, so all workers together run at most as many heavy tasks as the host has
// CPUs, while each keeps a full-size pool and takes the whole machine when the others are idle.

const http = require('node:http')
const offthread = require('offthread')

// Before anything uses the pool (createApp hashes its dummy password at once). OFFTHREAD_MACHINE_SLOTS
// and OFFTHREAD_MACHINE_DIR still apply to what is not given here.
offthread.configure({ machine: true })

const { createApp } = require('../express/app')
const { prioritize } = require('../express/priority')
const { attachTicker } = require('../express/ticker')
const { SharedUsers } = require('./users')

const app = createApp({ users: new SharedUsers() })
const handle = prioritize(app)
const tagged = (req, res) => {
  res.setHeader('X-Worker', String(process.pid)) // which process answered: the demo shows the spread
  handle(req, res)
}
// Workers share the primary's listening socket (node:cluster); PORT=0 means one random port for all.
const server = http.createServer(tagged).listen(Number(process.env.PORT ?? 3000))
const closeTicker = attachTicker(server)

// The primary sends SIGTERM (or the 'shutdown' message) to stop: finish requests in flight, then
// offthread's tasks, then exit. The same steps as examples/express/server.js.
let stopping = false
function shutdown () {
  if (stopping) return
  stopping = true
  setTimeout(() => process.exit(1), 10_000).unref()
  closeTicker()
  server.close(async (err) => {
    await offthread.close()
    app.locals.loopDelay.disable()
    process.exit(err ? 1 : 0)
  })
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', () => {}) // Ctrl-C reaches the whole process group: the primary decides
process.on('message', (m) => { if (m === 'shutdown') shutdown() })
