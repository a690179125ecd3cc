'use strict'
// Routes behind the demo page (public/index.html):
//   GET  /events                      Server-Sent Events, 10 a second: event-loop delay, offthread stats(), fs probe
//   POST /demo/hash?mode=sync|pool|libuv&n=8   runs n password hashes at once, answers {ms, n, mode}
//   POST /demo/json?mode=sync|offthread        parses a 20 MB JSON document the server holds (json-document.js)
//                                              with JSON.parse or offthread's parseJson, answers {ms, mb, records, mode}
// Sampling runs only while at least one /events client is connected.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const express = require('express')
const offthread = require('offthread')
const { jsonDocument } = require('./json-document')

const TICK_MS = 100 // one SSE message per tick: 10 samples a second
const PROBE_MS = 100 // one fs.readFile of a 4 KiB file per 100 ms
const MAX_JOBS = 64
const MODES = new Set(['sync', 'pool', 'libuv'])
const JSON_MODES = new Set(['sync', 'offthread'])
const JSON_MB = 20

const ms = (ns) => Math.round(ns / 1e4) / 100
const round = (x) => Math.round(x * 100) / 100

/** Samples the loop and the fs probe while clients listen, and broadcasts one message per tick. */
function createSampler () {
  const clients = new Set()
  let loopDelay, tickTimer, probeTimer, probeFile
  let probeLast = 0
  let probeMax = 0
  let probeCount = 0
  let probeInFlight = false

  function probe () {
    if (probeInFlight) return // a read still waiting (libuv pool starved) counts when it ends
    probeInFlight = true
    const start = performance.now()
    fs.readFile(probeFile, () => {
      probeInFlight = false
      probeLast = performance.now() - start
      probeMax = Math.max(probeMax, probeLast)
      probeCount++
    })
  }

  function tick () {
    const sample = {
      t: Date.now(),
      loop: loopDelay.count === 0
        ? { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 }
        : { p50Ms: ms(loopDelay.percentile(50)), p99Ms: ms(loopDelay.percentile(99)), maxMs: ms(loopDelay.max), samples: loopDelay.count },
      fs: { lastMs: round(probeLast), maxMs: round(probeMax), reads: probeCount, pending: probeInFlight },
      pool: pickStats(offthread.stats())
    }
    loopDelay.reset()
    probeMax = 0
    probeCount = 0
    const message = `data: ${JSON.stringify(sample)}\n\n`
    for (const res of clients) res.write(message)
  }

  function start () {
    probeFile = path.join(os.tmpdir(), `offthread-demo-probe-${process.pid}.bin`)
    fs.writeFileSync(probeFile, Buffer.alloc(4096, 1))
    loopDelay = monitorEventLoopDelay({ resolution: 10 })
    loopDelay.enable()
    tickTimer = setInterval(tick, TICK_MS)
    probeTimer = setInterval(probe, PROBE_MS)
  }

  function stop () {
    clearInterval(tickTimer)
    clearInterval(probeTimer)
    loopDelay.disable()
    fs.rm(probeFile, { force: true }, () => {})
  }

  return {
    add (res) {
      clients.add(res)
      if (clients.size === 1) start()
    },
    remove (res) {
      if (clients.delete(res) && clients.size === 0) stop()
    }
  }
}

function pickStats (s) {
  const { threads, queued, running, completed, rejected, waitP99Ms, runP99Ms } = s
  return { threads, queued, running, completed, rejected, waitP99Ms, runP99Ms }
}

/** An Express router with the demo routes. `hashOptions`: the parameters every demo hash uses. */
function demoRoutes ({ hashOptions }) {
  const router = express.Router()
  const sampler = createSampler()

  router.get('/events', (req, res) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive'
    })
    res.write('retry: 1000\n\n')
    sampler.add(res)
    res.on('close', () => sampler.remove(res))
  })

  router.post('/demo/hash', (req, res, next) => {
    const mode = String(req.query.mode ?? '')
    const n = Number(req.query.n ?? 8)
    if (!MODES.has(mode)) return res.status(400).json({ error: 'mode must be sync, pool or libuv', code: 'ERR_INVALID_ARG_VALUE' })
    if (!Number.isInteger(n) || n < 1 || n > MAX_JOBS) {
      return res.status(400).json({ error: `n must be an integer from 1 to ${MAX_JOBS}`, code: 'ERR_OUT_OF_RANGE' })
    }
    const password = 'demo password'
    const start = performance.now()
    if (mode === 'sync') {
      // On purpose: n hashes on the main thread, one after another. Nothing else runs meanwhile.
      for (let i = 0; i < n; i++) offthread.hashPasswordSync(password, hashOptions)
      return res.json({ ms: round(performance.now() - start), n, mode })
    }
    const options = { ...hashOptions, executor: mode === 'libuv' ? 'libuv' : 'pool' }
    Promise.all(Array.from({ length: n }, () => offthread.hashPassword(password, options)))
      .then(() => res.json({ ms: round(performance.now() - start), n, mode }), next)
  })

  router.post('/demo/json', (req, res, next) => {
    const mode = String(req.query.mode ?? '')
    if (!JSON_MODES.has(mode)) return res.status(400).json({ error: 'mode must be sync or offthread', code: 'ERR_INVALID_ARG_VALUE' })
    if (mode === 'offthread' && typeof offthread.parseJson !== 'function') {
      return res.status(501).json({ error: 'this build of offthread has no parseJson', code: 'ERR_NOT_IMPLEMENTED' })
    }
    jsonDocument(JSON_MB).then(async ({ buffer, records }) => {
      const start = performance.now()
      // On purpose for mode=sync: one JSON.parse of 20 MB on the main thread; nothing else runs meanwhile.
      // parseJson validates the bytes on the pool, then parses them on the loop a few ms per turn.
      const value = mode === 'sync' ? JSON.parse(buffer.toString()) : await offthread.parseJson(buffer)
      const ms = round(performance.now() - start)
      if (!Array.isArray(value) || value.length !== records) throw new Error(`parsed ${value?.length} records, expected ${records}`)
      res.json({ ms, mb: round(buffer.length / 2 ** 20), records, mode })
    }).catch(next)
  })

  return router
}

module.exports = { demoRoutes }
