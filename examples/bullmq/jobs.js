'use strict'
// The jobs a BullMQ worker runs with offthread: passwords, images and JSON documents.
//
// Each processor is an ordinary async function in the worker's own process, with no sandbox file. The heavy
// part runs on offthread's pool, so the event loop stays free to renew the job's lock and a busy worker never
// has its job marked stalled and run a second time (BullMQ's "Stalled jobs" page).
//
// BullMQ has no job timeout of its own. `processJob` gives every job a time limit (`data.timeoutMs`, else the
// type's default) and passes one signal to offthread that aborts on the limit or on BullMQ's own signal
// (`worker.cancelJob(id)`, `worker.cancelAllJobs()`): the offthread task stops at its next checkpoint, and the
// job fails with offthread's AbortError (code ABORT_ERR).

const offthread = require('offthread')
const { UnrecoverableError } = require('bullmq')

/** Each job type's time limit in ms when the job's data has no `timeoutMs`. */
const TIME_LIMIT_MS = Object.freeze({ password: 30_000, image: 30_000, json: 30_000 })

/** The bcrypt cost of a password job without `data.cost` (node.bcrypt.js's option name). */
const DEFAULT_COST = 12

/**
 * `password`: `{ password, cost? }`. Hashes the password with bcrypt, then checks the hash against it (a
 * signup or a bulk import of users would store `hash`). Resolves `{ hash, verified }`.
 */
async function password (job, signal) {
  const { password, cost = DEFAULT_COST } = job.data
  const hash = await offthread.hashPassword(password, { algorithm: 'bcrypt', cost, signal })
  await job.updateProgress(50)
  const verified = await offthread.verifyPassword(hash, password, { signal })
  await job.updateProgress(100)
  return { hash, verified }
}

/**
 * `image`: `{ image (base64), width, height?, format? ('webp', 'jpeg', 'png', 'gif'), quality? }`. A thumbnail
 * that fits in width × height.
 * The job carries the bytes because the worker may run on another machine; for large files put a URL or an
 * object-store key in the data instead. Resolves `{ format, width, height, size, data (base64) }`.
 */
async function image (job, signal) {
  const { image, width, height = width, format = 'webp', quality = 80 } = job.data
  const { data, info } = await offthread.image(Buffer.from(image, 'base64'))
    .resize(width, height, { fit: 'inside', withoutEnlargement: true })
    .toFormat(format, format === 'gif' ? {} : { quality }) // gif() has no quality
    .toBuffer({ signal, resolveWithObject: true })
  await job.updateProgress(100)
  return { format: info.format, width: info.width, height: info.height, size: info.size, data: data.toString('base64') }
}

/**
 * `json`: `{ doc }`, any JSON value (an export, a webhook batch). Serialises it, fingerprints it (SHA-256) and
 * compresses it for the archive (brotli at its densest, level 11). Resolves `{ bytes, sha256, brotli (base64) }`.
 */
async function json (job, signal) {
  const body = Buffer.from(JSON.stringify(job.data.doc))
  const sha256 = await offthread.digest('sha256', body, { signal })
  await job.updateProgress(50)
  const packed = await offthread.compress(body, { format: 'brotli', level: 11, signal })
  await job.updateProgress(100)
  return { bytes: body.length, sha256, brotli: packed.toString('base64') }
}

const PROCESSORS = { password, image, json }

/** offthread's codes for input that will fail the same way on every attempt. */
const BAD_INPUT = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE', 'ERR_PASSWORD_TOO_LONG',
  'ERR_IMAGE_FORMAT', 'ERR_IMAGE_DECODE', 'ERR_IMAGE_TOO_LARGE'])

/** The time limit of `job` in ms: `data.timeoutMs`, else its type's default. */
function timeLimitOf (job) {
  return job.data.timeoutMs ?? TIME_LIMIT_MS[job.name]
}

/**
 * The worker's processor. It is declared with three parameters on purpose: BullMQ passes its abort signal
 * only to a processor whose `length` is 3 or more.
 */
async function processJob (job, token, signal) {
  const run = PROCESSORS[job.name]
  if (run === undefined) throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`)
  const ms = timeLimitOf(job)
  const limit = AbortSignal.timeout(ms)
  // An older BullMQ passes no signal: the limit alone then aborts the task.
  const jobSignal = signal ? AbortSignal.any([signal, limit]) : limit
  try {
    return await run(job, jobSignal)
  } catch (err) {
    if (BAD_INPUT.has(err?.code)) {
      // Bad job data: retrying cannot help, so BullMQ should not (UnrecoverableError), whatever `attempts` says.
      throw Object.assign(new UnrecoverableError(`${err.code}: ${err.message}`), { code: err.code, cause: err })
    }
    if (err?.code !== 'ABORT_ERR') throw err
    if (limit.aborted) {
      // offthread's AbortError (name, code ABORT_ERR, cause: the TimeoutError), its message saying which limit.
      // With `attempts` above 1 in the job's options BullMQ retries it, as any failure.
      err.message = `ABORT_ERR: time limit of ${ms} ms exceeded (${err.message})`
      throw err
    }
    // worker.cancelJob(id) or cancelAllJobs(): as BullMQ's guide advises, a cancelled job is not retried.
    throw Object.assign(new UnrecoverableError(`ABORT_ERR: cancelled (${signal?.reason ?? err.message})`),
      { code: err.code, cause: err })
  }
}

module.exports = { processJob, PROCESSORS, TIME_LIMIT_MS, DEFAULT_COST, timeLimitOf }
