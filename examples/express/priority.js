'use strict'
// Health checks first: a request handler wrapper for `http.createServer` that runs GET and HEAD
// requests at once and the others (the POSTs: logins, signups, uploads) a few per event-loop turn.
//
// Why: Node runs a request's handler as soon as it has parsed it, so when a burst of N logins arrives
// together (a load balancer's retries, clients on a one-second timer) the loop runs all N handlers
// before it even reads the next request: a GET /health that arrives behind them waits for N × the
// per-request cost of Express (body parsing, routing, the 503 or the submission to offthread), about
// 0.1–0.3 ms each here, though none of that work is offthread's hashing. Measured with 300 logins/s
// from 200 paced connections (bench/health-load.js): /health p99 went from ~3 ms to 5–10 ms, and to
// 10–20 ms with a route that does no hashing at all.
//
// With this wrapper a POST only joins a FIFO line when parsed (cheap), and the line is worked off
// `perTurn` requests per turn of the loop (setImmediate), so a GET waits at most for one such slice.
// Every POST still runs, in arrival order. Beyond `maxWaiting` waiting requests the server is overloaded
// anyway: it answers 503 at once, without reading the body or routing (cheaper than Express's 503).

const BUSY_BODY = JSON.stringify({ error: 'server busy, retry later', code: 'ERR_SERVER_BUSY' })

/**
 * Wraps `handler(req, res)` (an Express app). Options: `urgent(req)`, which requests run at once
 * (default: GET and HEAD); `perTurn`, how many others run per loop turn (default 8); `maxWaiting`,
 * how many may wait before the rest are refused with 503 (default 1024). `waiting()` on the result
 * tells how many wait now.
 */
function prioritize (handler, { urgent = (req) => req.method === 'GET' || req.method === 'HEAD', perTurn = 8, maxWaiting = 1024 } = {}) {
  let line = [] // [req, res, req, res, ...] from `head` on
  let head = 0
  let scheduled = false

  function turn () {
    scheduled = false
    for (let i = 0; i < perTurn && head < line.length; i++) {
      const req = line[head]
      const res = line[head + 1]
      line[head] = line[head + 1] = undefined
      head += 2
      if (!res.destroyed) handler(req, res) // a client that left while waiting gets no work
    }
    if (head === line.length) {
      line = []
      head = 0
    } else {
      if (head > 4096 && head * 2 > line.length) { // a line that never empties: drop the spent slots
        line = line.slice(head)
        head = 0
      }
      scheduled = true
      setImmediate(turn)
    }
  }

  function prioritized (req, res) {
    if (urgent(req)) return handler(req, res)
    if ((line.length - head) / 2 >= maxWaiting) {
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' })
      res.end(BUSY_BODY)
      return
    }
    line.push(req, res)
    if (!scheduled) {
      scheduled = true
      setImmediate(turn)
    }
  }
  prioritized.waiting = () => (line.length - head) / 2
  return prioritized
}

module.exports = { prioritize }
