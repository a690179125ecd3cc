'use strict'
// Enqueues password, image and JSON jobs, waits for their results and prints them:
//   REDIS_URL=redis://host:6379 node examples/bullmq/producer.js [passwords] [images] [jsons]
// (default 8 4 4). Start one or more workers (worker.js) first, anywhere that reaches the same Redis.
// The job builders are exported for the tests and the benchmark.

const fs = require('node:fs')
const path = require('node:path')
const { Queue, QueueEvents } = require('bullmq')
const { DEFAULT_QUEUE, DEFAULT_REDIS_URL } = require('./worker')

/** The photo the Express demo uses (1800 × 1200 JPEG, 340 KB; licence next to it). */
const SAMPLE_IMAGE = path.join(__dirname, '..', 'express', 'public', 'sample.jpg')

/**
 * A password job. The password sits in Redis in the clear while the job exists, so by default the job is
 * removed as soon as it completes or fails (`opts` overrides that: the tests keep it to inspect it).
 */
function passwordJob (password, { cost, timeoutMs, opts } = {}) {
  return { name: 'password', data: { password, cost, timeoutMs }, opts: { removeOnComplete: true, removeOnFail: true, ...opts } }
}

/** A thumbnail job for `bytes` (a Buffer of JPEG, PNG, WebP, GIF, TIFF or BMP). */
function imageJob (bytes, { width = 320, height = width, format = 'webp', quality = 80, timeoutMs, opts } = {}) {
  return { name: 'image', data: { image: bytes.toString('base64'), width, height, format, quality, timeoutMs }, opts: { ...opts } }
}

/** A JSON job: `doc` is serialised, fingerprinted and compressed by the worker. */
function jsonJob (doc, { timeoutMs, opts } = {}) {
  return { name: 'json', data: { doc, timeoutMs }, opts: { ...opts } }
}

/** A made-up order export of `lines` lines (about 95 bytes of JSON each), the same for the same `seed`. */
function sampleOrder (seed, lines = 3000) {
  return {
    order: `ORD-${seed}`,
    lines: Array.from({ length: lines }, (_, i) => ({
      line: i,
      sku: `SKU-${(seed * 31 + i * 7919) % 100000}`,
      qty: (i % 7) + 1,
      price: ((seed + i * 37) % 1000) / 10,
      note: `order line ${i} ${'x'.repeat((seed + i) % 40)}`
    }))
  }
}

/** `passwords` password jobs, `images` image jobs and `jsons` JSON jobs, interleaved. */
function sampleJobs ({ passwords = 8, images = 4, jsons = 4, cost, timeoutMs, opts } = {}) {
  const photo = fs.readFileSync(SAMPLE_IMAGE)
  const jobs = []
  for (let i = 0; i < Math.max(passwords, images, jsons); i++) {
    if (i < passwords) jobs.push(passwordJob(`correct horse battery staple ${i}`, { cost, timeoutMs, opts }))
    if (i < images) jobs.push(imageJob(photo, { timeoutMs, opts }))
    if (i < jsons) jobs.push(jsonJob(sampleOrder(i), { timeoutMs, opts }))
  }
  return jobs
}

/** One line about a completed job's result. */
function summary (name, result) {
  if (name === 'password') return `verified ${result.verified}, ${result.hash.slice(0, 7)}…`
  if (name === 'image') return `${result.format} ${result.width}×${result.height}, ${result.size} bytes`
  return `${result.bytes} bytes, sha256 ${result.sha256.slice(0, 16)}…, brotli ${Buffer.from(result.brotli, 'base64').length} bytes`
}

async function main () {
  const [passwords = 8, images = 4, jsons = 4] = process.argv.slice(2).map(Number)
  const connection = { url: process.env.REDIS_URL || DEFAULT_REDIS_URL }
  const queueName = process.env.QUEUE || DEFAULT_QUEUE
  const queue = new Queue(queueName, { connection })
  const events = new QueueEvents(queueName, { connection })
  // Results come from the queue's event stream, subscribed before adding: a password job is removed once it
  // finishes, and a fast job can finish before addBulk returns.
  const finished = new Map()
  let wanted = null
  let allDone
  const done = new Promise((resolve) => { allDone = resolve })
  const check = () => { if (wanted !== null && [...wanted.keys()].every((id) => finished.has(id))) allDone() }
  const settle = (jobId, outcome) => { finished.set(jobId, outcome); check() }
  events.on('completed', ({ jobId, returnvalue }) => settle(jobId, { returnvalue }))
  events.on('failed', ({ jobId, failedReason }) => settle(jobId, { failedReason }))
  events.on('progress', ({ jobId, data }) => console.log(`job ${jobId}: ${data}%`))
  await events.waitUntilReady()
  const start = performance.now()
  const jobs = await queue.addBulk(sampleJobs({ passwords, images, jsons }))
  console.log(`added ${jobs.length} jobs to ${queueName}; waiting for the workers`)
  wanted = new Map(jobs.map((job) => [job.id, job.name]))
  check() // all may have finished already
  await done
  const seconds = (performance.now() - start) / 1000
  let failed = 0
  for (const [id, name] of wanted) {
    const { returnvalue, failedReason } = finished.get(id)
    if (failedReason !== undefined) failed++
    console.log(`job ${id} ${name}: ${failedReason !== undefined ? `failed: ${failedReason}` : summary(name, returnvalue)}`)
  }
  const completed = jobs.length - failed
  console.log(`${completed} completed, ${failed} failed in ${seconds.toFixed(1)} s (${(completed / seconds).toFixed(2)} jobs/s)`)
  await events.close()
  await queue.close()
  process.exitCode = failed === 0 ? 0 : 1
}

if (require.main === module) main().catch((err) => { console.error(err); process.exit(1) })

module.exports = { passwordJob, imageJob, jsonJob, sampleOrder, sampleJobs, SAMPLE_IMAGE }
