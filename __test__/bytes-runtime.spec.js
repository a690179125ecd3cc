'use strict'
// Bytes functions at run time: aborts, argument errors, the libuv executor, worker teardown while
// tasks read borrowed buffers, and garbage collection of borrowed inputs. Helpers: helpers/bytes.js.

const test = require('ava')
const zlib = require('node:zlib')
const fs = require('node:fs')
const { pipeline } = require('node:stream/promises')
const { Readable, Writable } = require('node:stream')
const ot = require('..')
const { MiB, sleep, nodeDigest, nodeHmac, sha256, random, text, hundredMiB, collect, chunked, until, runChildOk, tmp } = require('./helpers/bytes')
const { ERR, rejects, throws, aborted } = require('./helpers/errors')
const { heavy } = require('./helpers/quick')

// ---------------------------------------------------------------------------------------------
// Aborts

test.serial('an already-aborted signal rejects every async call with ABORT_ERR (its reason as cause)', async (t) => {
  const controller = new AbortController()
  const reason = new Error('no longer needed')
  controller.abort(reason)
  const { signal } = controller
  const file = tmp('abort-file')
  fs.writeFileSync(file, 'x')
  const calls = {
    digest: () => ot.digest('sha256', 'x', { signal }),
    'digest borrowed': () => ot.digest('sha256', random(MiB), { signal }),
    hmac: () => ot.hmac('sha256', 'k', 'x', { signal }),
    hashFile: () => ot.hashFile(file, 'sha256', { signal }),
    compress: () => ot.compress('x', { signal }),
    decompress: () => ot.decompress(zlib.gzipSync('x'), { signal }),
    'digest libuv': () => ot.digest('sha256', 'x', { signal, executor: 'libuv' })
  }
  for (const [label, fn] of Object.entries(calls)) {
    const err = await aborted(t, fn(), signal, label)
    if (err) t.is(err.cause, reason)
  }
})

/** CPU milliseconds this process has used, all threads (work, unlike wall time, does not stretch on a busy machine). */
function cpuMs () {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * Runs `start(signal)` once to completion, then again aborted `delayMs` in: it must reject with an AbortError
 * having spent, from the abort on, far less work than the full run (a quarter of its CPU time, or 100 ms).
 * CPU time, not wall time: the pool runs at nice +10 and a loaded CI machine stretches its wall time at random.
 * Counted from the abort: before it, a timer late on a loaded machine only lets the task run longer.
 */
async function abortsEarly (t, label, start, delayMs = 20) {
  let cpu = cpuMs()
  await start(undefined)
  const full = cpuMs() - cpu
  const controller = new AbortController()
  const promise = start(controller.signal)
  await until(() => ot.stats().running >= 1, `${label} to start`)
  await sleep(delayMs)
  t.true(ot.stats().running >= 1, `${label}: running when aborted`)
  cpu = cpuMs()
  const abortedAt = performance.now()
  controller.abort()
  await aborted(t, promise, controller.signal, label)
  const after = performance.now() - abortedAt
  const used = cpuMs() - cpu
  t.log(`${label}: ${full.toFixed(0)} CPU ms in full; ${used.toFixed(0)} when aborted, rejected ${after.toFixed(1)} ms after the abort`)
  t.true(used < Math.max(100, full / 4), `${label}: ${used.toFixed(0)} CPU ms spent, rejected ${after.toFixed(1)} ms after the abort (full run ${full.toFixed(0)} CPU ms)`)
}

heavy('100 MiB and 512 MiB inputs, run in full and aborted', test.serial)('aborting a running digest (100 MiB sha3-512), compression and decompression (small input, 512 MiB out) rejects early', async (t) => {
  const data = hundredMiB()
  await abortsEarly(t, 'sha3-512 of 100 MiB', (signal) => ot.digest('sha3-512', data, { signal }))
  await abortsEarly(t, 'hmac sha512 of 100 MiB', (signal) => ot.hmac('sha512', 'k', data, { signal }))
  await abortsEarly(t, 'gzip level 9 of 32 MiB random', (signal) => ot.compress(data.subarray(0, 32 * MiB), { level: 9, signal }))
  // The slowest levels (~0.3–0.5 MB/s): checked every 64 KiB of input, brotli 10–11 in 64 KiB blocks.
  const json = text(MiB)
  await abortsEarly(t, 'brotli 11 of 512 KiB of JSON', (signal) => ot.compress(json.subarray(0, MiB / 2), { format: 'brotli', level: 11, signal }))
  await abortsEarly(t, 'zstd 19 of 1 MiB of JSON', (signal) => ot.compress(json, { format: 'zstd', level: 19, signal }))
  const member = zlib.gzipSync(Buffer.alloc(64 * MiB), { level: 9 })
  const gzip512 = Buffer.concat(Array(8).fill(member))
  await abortsEarly(t, 'gunzip of 512 MiB of zeros', (signal) => ot.decompress(gzip512, { signal }))
  const zstd512 = await ot.compress(Buffer.alloc(512 * MiB), { format: 'zstd' })
  await abortsEarly(t, 'zstd of 512 MiB of zeros', (signal) => ot.decompress(zstd512, { format: 'zstd', signal }))
  const brotli256 = zlib.brotliCompressSync(Buffer.alloc(256 * MiB), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
  await abortsEarly(t, 'brotli of 256 MiB of zeros', (signal) => ot.decompress(brotli256, { format: 'brotli', signal }))
  // A stream decompressing a bomb chunk, aborted.
  const controller = new AbortController()
  const stream = ot.createDecompress({ signal: controller.signal, maxOutputLength: 2 ** 40 })
  let cpu
  const done = pipeline(Readable.from([gzip512]), stream, new Writable({ write (c, e, cb) { cb() } }))
  setTimeout(() => { cpu = cpuMs(); controller.abort() }, 20)
  await aborted(t, done, controller.signal, 'stream')
  // Inflating the whole 512 MiB costs over a second of CPU. Counted from the abort (a late timer only adds before it).
  t.true(cpuMs() - cpu < 400, `the stream spent ${(cpuMs() - cpu).toFixed(0)} CPU ms after the abort before it rejected`)
  await until(() => ot.stats().running === 0, 'the aborted stream task to stop', 2000)
  // The pool is free again and correct.
  t.is(await ot.digest('sha256', 'abc'), nodeDigest('sha256', 'abc'))
})

// ---------------------------------------------------------------------------------------------
// Argument errors: async functions reject, sync ones throw

test('argument errors: wrong types, unknown values and options, out-of-range numbers (async reject, sync throw)', async (t) => {
  const asyncCases = [
    ['digest data 42', () => ot.digest('sha256', 42), ERR.type],
    ['digest data null', () => ot.digest('sha256', null), ERR.type],
    ['digest data undefined', () => ot.digest('sha256'), ERR.type],
    ['digest data object', () => ot.digest('sha256', { length: 3 }), ERR.type],
    ['digest data array of numbers', () => ot.digest('sha256', [1, 2, 3]), ERR.type],
    ['digest data nested array', () => ot.digest('sha256', [['a']]), ERR.type],
    ['digest data array with 42', () => ot.digest('sha256', ['a', 42]), ERR.type],
    ['digest algorithm 5', () => ot.digest(5, 'x'), ERR.type],
    ['digest algorithm undefined', () => ot.digest(undefined, 'x'), ERR.type],
    ['digest algorithm unknown', () => ot.digest('sha-256', 'x'), ERR.value],
    ['digest algorithm upper case', () => ot.digest('SHA256', 'x'), ERR.value],
    ['digest algorithm sha224', () => ot.digest('sha224', 'x'), ERR.value],
    ['digest encoding unknown', () => ot.digest('sha256', 'x', { encoding: 'latin1' }), ERR.value],
    ['digest encoding 5', () => ot.digest('sha256', 'x', { encoding: 5 }), ERR.type],
    ['digest option misspelt', () => ot.digest('sha256', 'x', { encodng: 'hex' }), ERR.value],
    ['digest options string', () => ot.digest('sha256', 'x', 'hex'), ERR.type],
    ['digest options null', () => ot.digest('sha256', 'x', null), ERR.type],
    ['digest signal', () => ot.digest('sha256', 'x', { signal: {} }), ERR.type],
    ['digest executor', () => ot.digest('sha256', 'x', { executor: 'threads' }), ERR.value],
    ['hmac blake3', () => ot.hmac('blake3', 'k', 'x'), ERR.value],
    ['hmac crc32', () => ot.hmac('crc32', 'k', 'x'), ERR.value],
    ['hmac xxh3-64', () => ot.hmac('xxh3-64', 'k', 'x'), ERR.value],
    ['hmac algorithm 5', () => ot.hmac(5, 'k', 'x'), ERR.type],
    ['hmac key 42', () => ot.hmac('sha256', 42, 'x'), ERR.type],
    ['hmac key undefined', () => ot.hmac('sha256', undefined, 'x'), ERR.type],
    ['hmac data 42', () => ot.hmac('sha256', 'k', 42), ERR.type],
    ['hmac option key', () => ot.hmac('sha256', 'k', 'x', { key: 'k' }), ERR.value],
    ['hmac encoding', () => ot.hmac('sha256', 'k', 'x', { encoding: 'binary' }), ERR.value],
    ['compress data 42', () => ot.compress(42), ERR.type],
    ['compress data null', () => ot.compress(null), ERR.type],
    ['compress format', () => ot.compress('x', { format: 'zip' }), ERR.value],
    ['compress level', () => ot.compress('x', { level: 1.5 }), ERR.range],
    ['compress option misspelt', () => ot.compress('x', { levle: 1 }), ERR.value],
    ['decompress data 42', () => ot.decompress(42), ERR.type],
    ['decompress maxOutputLength -1', () => ot.decompress(zlib.gzipSync('x'), { maxOutputLength: -1 }), ERR.range],
    ['decompress option misspelt', () => ot.decompress(zlib.gzipSync('x'), { maxOutputLenght: 1 }), ERR.value],
    ['hashFile path 3', () => ot.hashFile(3), ERR.type]
  ]
  for (const [label, fn, expected] of asyncCases) await rejects(t, fn, expected, { label })
  const syncCases = [
    ['digestSync data 42', () => ot.digestSync('sha256', 42), ERR.type],
    ['digestSync algorithm 5', () => ot.digestSync(5, 'x'), ERR.type],
    ['digestSync algorithm unknown', () => ot.digestSync('nope', 'x'), ERR.value],
    ['digestSync encoding unknown', () => ot.digestSync('sha256', 'x', { encoding: 'utf8' }), ERR.value],
    ['digestSync option misspelt', () => ot.digestSync('sha256', 'x', { keys: 1 }), ERR.value],
    ['hmacSync blake3', () => ot.hmacSync('blake3', 'k', 'x'), ERR.value],
    ['hmacSync crc32', () => ot.hmacSync('crc32', 'k', 'x'), ERR.value],
    ['hmacSync key 42', () => ot.hmacSync('sha256', 42, 'x'), ERR.type],
    ['hmacSync data 42', () => ot.hmacSync('sha256', 'k', 42), ERR.type],
    ['compressSync data 42', () => ot.compressSync(42), ERR.type],
    ['compressSync format', () => ot.compressSync('x', { format: 'zip' }), ERR.value],
    ['compressSync level', () => ot.compressSync('x', { level: -1 }), ERR.range],
    ['decompressSync data 42', () => ot.decompressSync(42), ERR.type],
    ['decompressSync maxOutputLength -1', () => ot.decompressSync('x', { maxOutputLength: -1 }), ERR.range],
    ['decompressSync option', () => ot.decompressSync('x', { level: 1 }), ERR.value],
    ['createCompress options', () => ot.createCompress('gzip'), ERR.type],
    ['createDecompress maxOutputLength -1', () => ot.createDecompress({ maxOutputLength: -1 }), ERR.range]
  ]
  for (const [label, fn, expected] of syncCases) throws(t, fn, expected, { label })
  await rejects(t, () => ot.digest('sha256', 42), ERR.type, {
    label: 'message',
    message: 'Expected string, Buffer, TypedArray, DataView, ArrayBuffer or an array of them for data but received 42 of type number'
  })
  // A secret key is never shown.
  const err = throws(t, () => ot.hmacSync('sha256', 12345678, 'x'), ERR.type, { label: 'key hidden' })
  if (err) t.false(err.message.includes('12345678'))
})

// ---------------------------------------------------------------------------------------------
// Executors, worker teardown, garbage collection

test('the libuv executor gives the same answers, borrowed inputs included', async (t) => {
  const data = random(2 * MiB)
  t.is(await ot.digest('sha256', data, { executor: 'libuv' }), sha256(data))
  t.is(await ot.hmac('sha1', 'k', data, { executor: 'libuv' }), nodeHmac('sha1', 'k', data))
  const packed = await ot.compress(data, { format: 'zstd', executor: 'libuv' })
  t.true((await ot.decompress(packed, { format: 'zstd', executor: 'libuv' })).equals(data))
  const file = tmp('libuv-file')
  fs.writeFileSync(file, data)
  t.is(await ot.hashFile(file, 'sha256', { executor: 'libuv' }), sha256(data))
  const sink = collect()
  await pipeline(chunked(data, [300000]), ot.createCompress({ format: 'gzip', executor: 'libuv' }), sink)
  t.true(zlib.gunzipSync(sink.result()).equals(data))
})

heavy('worker-teardown rounds')('10 rounds of 4 workers terminated 0–20 ms into digests and compressions of 4–32 MiB borrowed buffers: no crash', async (t) => {
  const out = await runChildOk(t, ['churn', '10'])
  t.is(out.rounds, 10)
  t.is(out.terminated.beforeStart + out.terminated.inFlight, 40, 'every worker was terminated by the main thread')
  t.true(out.terminated.inFlight >= 10, `${out.terminated.inFlight} workers terminated with tasks in flight`)
  t.true(out.digestOk, 'the main thread still hashes (borrowed 16 MiB)')
  t.true(out.compressOk, 'the main thread still compresses and decompresses')
  t.true(out.fileOk, 'the main thread still hashes files')
  t.is(out.stats.running, 0, 'the pool drained the orphaned tasks')
  t.is(out.stats.queued, 0)
  t.is(out.stats.inFlight, 0)
  t.log(`terminate() → exit: p50 ${out.exit.p50} ms, max ${out.exit.max} ms`)
  // Loose (the pool runs at background priority on a possibly busy machine): a reader that never
  // reached a checkpoint (the 512 MiB gunzip each worker starts) would hold its worker for seconds.
  t.true(out.exit.max < 3000, `a terminated worker exits soon (slowest: ${out.exit.max} ms), its readers stop at a checkpoint`)
})

test('borrowed inputs stay alive and unchanged when JS drops every reference and collects garbage', async (t) => {
  const out = await runChildOk(t, ['gc'], { nodeArgs: ['--expose-gc'] })
  t.deepEqual(out.mismatches, [])
  t.is(out.ok, 6)
  t.true(out.collections > 0, `${out.collections} collections while the tasks ran`)
})
