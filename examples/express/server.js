'use strict'
// Starts the demo: `npm start`, or `PORT=8080 node examples/express/server.js`.

const http = require('node:http')
const offthread = require('offthread')
const { createApp } = require('./app')
const { prioritize } = require('./priority')
const { attachTicker } = require('./ticker')

const app = createApp()
// GETs (/health, /stats, the page) at once, POSTs a few per loop turn: priority.js says why.
const server = http.createServer(prioritize(app)).listen(Number(process.env.PORT || 3000), () => {
  console.log(`offthread demo listening on http://localhost:${server.address().port}`)
})
const closeTicker = attachTicker(server) // the demo page's ticker: a WebSocket of its own (ticker.js says why)

// Graceful shutdown: stop accepting connections, let requests in flight finish, then wait for
// offthread's tasks to settle. A second signal, or 10 s, exits at once.
let stopping = false
function shutdown (signal) {
  if (stopping) process.exit(1)
  stopping = true
  console.log(`${signal} received, shutting down`)
  setTimeout(() => process.exit(1), 10_000).unref()
  closeTicker()
  server.close(async (err) => {
    await offthread.close()
    app.locals.loopDelay.disable()
    console.log('bye')
    process.exitCode = err ? 1 : 0
  })
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
