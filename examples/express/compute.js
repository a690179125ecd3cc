'use strict'
// GET /compute?mode=main|offthread|piscina&n=300000000: the tutorial's heavyCalculation() route, three ways.
//   main       on the event loop: nothing else runs until it returns (the tutorial's starting point)
//   offthread  offthread.workers(): a worker thread at the pool's low priority, holding one of the pool's
//              threads, so hashes, images and this route's JS together never run more than `threads` at once
//   piscina    piscina's defaults: its own workers, sized to the cores, at the loop's priority
// Answers { mode, n, result, ms }. A client that leaves aborts its queued or running task (offthread, piscina).

const path = require('node:path')
const express = require('express')
const offthread = require('offthread')
const { heavyCalculation } = require('./compute-task')

const TASK = path.join(__dirname, 'compute-task.js')
const MODES = ['main', 'offthread', 'piscina']
const MAX_N = 1e10

function computeRoutes () {
  const router = express.Router()
  let workers
  let piscina

  router.get('/compute', (req, res, next) => {
    const mode = String(req.query.mode ?? 'offthread')
    const n = Number(req.query.n ?? 3e8)
    if (!MODES.includes(mode)) return res.status(400).json({ error: `mode must be one of ${MODES.join(', ')}`, code: 'ERR_INVALID_ARG_VALUE' })
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_N) return res.status(400).json({ error: `n must be an integer from 1 to ${MAX_N}`, code: 'ERR_OUT_OF_RANGE' })
    const controller = new AbortController()
    res.on('close', () => { if (!res.writableFinished) controller.abort() })
    const start = performance.now()
    const answer = (result) => res.json({ mode, n, result, ms: Math.round((performance.now() - start) * 100) / 100 })
    if (mode === 'main') return answer(heavyCalculation(n))
    if (mode === 'offthread') {
      workers ??= offthread.workers(TASK)
      return workers.run('heavyCalculation', [n], { signal: controller.signal }).then(answer, next)
    }
    try {
      piscina ??= new (require('piscina').Piscina)({ filename: TASK })
    } catch {
      return res.status(501).json({ error: 'piscina is not installed (npm install piscina)', code: 'ERR_NOT_INSTALLED' })
    }
    piscina.run(n, { name: 'heavyCalculation', signal: controller.signal }).then(answer, next)
  })

  return router
}

module.exports = { computeRoutes }
