'use strict'
// Hardening, round 2 (issue #17): memory safety of inputs read in place, admission on every
// executor, cancellation of stream chunks, and zlib's reading of gzip padding. Each case states
// the right answer; crashes are checked in child processes.

const test = require('ava')
const path = require('node:path')
const zlib = require('node:zlib')
const { execFile } = require('node:child_process')
const ot = require('..')
const { ERR, rejects, throws } = require('./helpers/errors')

// Set before this file's first task: the libuv admission test needs a small queue bound.
ot.configure({ maxQueue: 4, threads: 2 })

function runChild (script, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, 'fixtures', script), ...args], { timeout: 120000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? error.signal) : 0, signal: error?.signal, stdout, stderr }))
  })
}

test.serial('inputs read in place survive resize, grow, transfer and postMessage at random times (every entry point)', async (t) => {
  for (const seed of [1, 2, 3]) {
    const r = await runChild('mutate-inputs.js', ['50', String(seed)])
    t.is(r.signal ?? undefined, undefined, `seed ${seed}: killed by ${r.signal}\n${r.stderr}`)
    t.is(r.code, 0, `seed ${seed}: ${r.stderr}`)
    const summary = JSON.parse(r.stdout.trim().split('\n').pop())
    t.deepEqual(summary.wrong, [], `seed ${seed}`)
    t.is(summary.correct, summary.calls, `seed ${seed}`)
    t.true(summary.calls >= 45, `seed ${seed}: ${summary.calls} calls`)
  }
})

test.serial('executor "libuv" honours maxQueue like the pool: the overflow is refused at once with ERR_QUEUE_FULL', async (t) => {
  const calls = []
  // Cost 12 (~250 ms each): none of the first eight can finish while the loop submits.
  for (let i = 0; i < 200; i++) calls.push(ot.hashPassword('pw', { algorithm: 'bcrypt', cost: 12, executor: 'libuv' }))
  const settled = await Promise.allSettled(calls)
  const ok = settled.filter((s) => s.status === 'fulfilled')
  const refused = settled.filter((s) => s.status === 'rejected')
  // At most maxQueue (4) wait while libuv's 4 threads run 4: never more than 8 accepted.
  t.true(ok.length >= 4 && ok.length <= 8, `${ok.length} accepted`)
  for (const s of refused) t.is(s.reason.code, 'ERR_QUEUE_FULL')
  for (const s of ok) t.regex(s.value, /^\$2b\$12\$/)
  // Once they have run, the queue admits again.
  t.regex(await ot.hashPassword('pw', { algorithm: 'bcrypt', cost: 4, executor: 'libuv' }), /^\$2b\$04\$/)
})

test.serial('createCompress().destroy() cancels the chunk it has queued or running', async (t) => {
  const before = ot.stats()
  const s = ot.createCompress({ format: 'brotli', level: 11 })
  s.on('error', () => {})
  s.write(require('node:crypto').randomBytes(8 << 20)) // brotli 11 takes seconds for this
  await new Promise((resolve) => setTimeout(resolve, 50))
  s.destroy()
  const started = Date.now()
  while (ot.stats().running + ot.stats().queued > 0 && Date.now() - started < 20000) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const after = ot.stats()
  t.is(after.running + after.queued, 0)
  t.is(after.cancelled - before.cancelled, 1, 'the chunk ended as cancelled')
  t.is(after.completed - before.completed, 0, 'and did not run to completion')
})

test.serial('gzip: zero padding after a member is ignored and anything else is another member, as in zlib.gunzip', async (t) => {
  const a = zlib.gzipSync('hello ')
  const b = zlib.gzipSync('world')
  const cases = {
    'zero padding': Buffer.concat([a, Buffer.alloc(512)]),
    'a zero, then junk': Buffer.concat([a, Buffer.from([0, 0, 1, 0x1f, 0x8b])]),
    'two members and padding': Buffer.concat([a, b, Buffer.alloc(7)]),
    'junk after a member': Buffer.concat([a, Buffer.from('garbage')]),
    'a lone gzip magic byte after a member': Buffer.concat([a, Buffer.from([0x1f])])
  }
  for (const [label, input] of Object.entries(cases)) {
    let want
    try { want = zlib.gunzipSync(input) } catch { want = undefined }
    if (want === undefined) {
      await rejects(t, ot.decompress(input), ERR.corrupt, { label })
      throws(t, () => ot.decompressSync(input), ERR.corrupt, { label })
    } else {
      t.deepEqual(await ot.decompress(input), want, label)
      t.deepEqual(ot.decompressSync(input), want, label)
      const chunks = []
      const d = ot.createDecompress()
      d.on('data', (c) => chunks.push(c))
      await new Promise((resolve, reject) => d.on('end', resolve).on('error', reject).end(input))
      t.deepEqual(Buffer.concat(chunks), want, `${label} (stream)`)
    }
  }
})

test.serial('LZ4 streams emit as they decode and stop at maxOutputLength, holding a block, not the input', async (t) => {
  const r = await runChild('lz4-stream.js', ['256'])
  t.is(r.code, 0, r.stderr)
  const s = JSON.parse(r.stdout.trim().split('\n').pop())
  t.is(s.code, 'ERR_BUFFER_TOO_LARGE')
  t.true(s.chunks >= 1, 'output left before the error')
  t.true(s.out <= 1 << 20)
  t.true(s.written <= 16 << 20, `stopped after ${s.written} bytes of a ${s.inputMiB} MiB input`)
  t.true(s.growthMiB < 64, `RSS grew ${s.growthMiB} MiB past the input's own`)
  t.true(s.peakRssMiB <= 512, `peak RSS ${s.peakRssMiB} MiB, the 256 MiB input included`)
})

test.serial('compression() at zstd 22: whole bodies go one-shot, streams get a capped window (memory stays low)', async (t) => {
  const r = await runChild('middleware-zstd22.js', [])
  t.is(r.code, 0, r.stderr)
  const s = JSON.parse(r.stdout.trim().split('\n').pop())
  t.true(s.ok, 'every response is zstd and decodes to the body')
  // Before: three 2 KB responses grew RSS by ~1.4 GB (a 128 MiB window and ~1 GB of tables per stream).
  t.true(s.growthMiB < 256, `RSS grew ${s.growthMiB} MiB`)
})
