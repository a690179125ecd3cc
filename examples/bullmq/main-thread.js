'use strict'
// For comparison only, do not copy: the same three jobs done on the worker's JS thread, as a processor without
// offthread would do them (bcryptjs, a pixel loop in JavaScript, node:zlib's synchronous brotli). While one
// runs, the event loop cannot renew the job's lock. When the work takes longer than `lockDuration`, the lock
// expires, a stalled-job check (in any worker) moves the job back to the wait list, and a worker runs it again:
// BullMQ's "Stalled jobs". The run whose lock expired cannot complete ("Missing lock"). After `maxStalledCount`
// stalls the job fails ("job stalled more than allowable limit"). BullMQ's own answer is a sandboxed processor
// (a separate file run in a child process); offthread's is `jobs.js`.

const crypto = require('node:crypto')
const zlib = require('node:zlib')
const bcrypt = require('bcryptjs')
const offthread = require('offthread')
const { DEFAULT_COST } = require('./jobs')

/** bcryptjs's hash then check, both synchronous: one stretch of the JS thread. */
function password (job) {
  const { password, cost = DEFAULT_COST } = job.data
  const hash = bcrypt.hashSync(password, cost)
  return { hash, verified: bcrypt.compareSync(password, hash) }
}

/**
 * A box-filter thumbnail computed in JavaScript, as a pure-JS image library does. The JPEG is decoded to raw
 * pixels first (with offthread, for want of a JS decoder here): only the pixel loop runs on the JS thread, so
 * this understates what a JS library costs.
 */
async function image (job) {
  const { image, width, height = width } = job.data
  const { data: src, info } = await offthread.image(Buffer.from(image, 'base64')).raw()
    .toBuffer({ resolveWithObject: true })
  const scale = Math.max(info.width / width, info.height / height, 1)
  const w = Math.max(1, Math.round(info.width / scale))
  const h = Math.max(1, Math.round(info.height / scale))
  const c = info.channels
  const out = Buffer.alloc(w * h * c)
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y * scale)
    const y1 = Math.min(info.height, Math.max(y0 + 1, Math.floor((y + 1) * scale)))
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x * scale)
      const x1 = Math.min(info.width, Math.max(x0 + 1, Math.floor((x + 1) * scale)))
      for (let k = 0; k < c; k++) {
        let sum = 0
        for (let sy = y0; sy < y1; sy++) {
          for (let sx = x0; sx < x1; sx++) sum += src[(sy * info.width + sx) * c + k]
        }
        out[(y * w + x) * c + k] = Math.round(sum / ((y1 - y0) * (x1 - x0)))
      }
    }
  }
  return { format: 'raw', width: w, height: h, size: out.length, data: out.toString('base64') }
}

/** SHA-256 and brotli level 11 with node:crypto and node:zlib's synchronous calls. */
function json (job) {
  const body = Buffer.from(JSON.stringify(job.data.doc))
  const sha256 = crypto.createHash('sha256').update(body).digest('hex')
  const packed = zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })
  return { bytes: body.length, sha256, brotli: packed.toString('base64') }
}

const PROCESSORS = { password, image, json }

/** The main-thread processor (no time limit: synchronous work cannot be aborted). */
async function processJobOnMainThread (job) {
  const run = PROCESSORS[job.name]
  if (run === undefined) throw new Error(`unknown job name ${JSON.stringify(job.name)}`)
  const result = await run(job)
  await job.updateProgress(100)
  return result
}

module.exports = { processJobOnMainThread }
