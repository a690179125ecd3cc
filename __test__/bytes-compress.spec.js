'use strict'
// Compression through the public API: round trips, node:zlib interop both ways, levels, output caps,
// corrupt and truncated input, streams (interop, backpressure, caps, abort) and zip bombs with RSS
// measured in a child process. Helpers: helpers/bytes.js.

const test = require('ava')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const { pipeline } = require('node:stream/promises')
const { Readable, Writable } = require('node:stream')
const { getEventListeners } = require('node:events')
const ot = require('..')
const { MiB, FORMATS, LEVELS, NODE, ZLIB_FORMATS, random, text, collect, chunked, until, runChildOk } = require('./helpers/bytes')
const { ERR, mismatch, checkError, rejects, throws, aborted, checkSerialized } = require('./helpers/errors')
const { heavy } = require('./helpers/quick')

// ---------------------------------------------------------------------------------------------
// Compression

const TEXT_1M = text(MiB + 1)

test('every format round trips offthread → offthread (async and sync, one buffer and parts); sync output equals async', async (t) => {
  const inputs = [['empty', Buffer.alloc(0)], ['1 byte', Buffer.from('x')], ['text 5000', text(5000)], ['text 1 MiB+1', TEXT_1M], ['random 200 KiB', random(200 * 1024)],
    // Whole multiples of 128 KiB (zstd's block and the decoder's buffer size).
    ['zeros 128 KiB', Buffer.alloc(128 * 1024)], ['zeros 1 MiB', Buffer.alloc(MiB)], ['random 256 KiB', random(256 * 1024)]]
  for (const format of FORMATS) {
    for (const [label, data] of inputs) {
      const l = `${format}, ${label}`
      const packed = await ot.compress(data, { format })
      t.true(Buffer.isBuffer(packed), `${l}: a Buffer`)
      t.deepEqual(ot.compressSync(data, { format }), packed, `${l}: compressSync gives the same bytes`)
      t.true((await ot.decompress(packed, { format })).equals(data), `${l}: decompress`)
      t.true(ot.decompressSync(packed, { format }).equals(data), `${l}: decompressSync`)
      const cut = Math.floor(packed.length / 3)
      t.true((await ot.decompress([packed.subarray(0, cut), packed.subarray(cut)], { format })).equals(data), `${l}: compressed input in parts`)
      const half = data.length >> 1
      t.true((await ot.decompress(await ot.compress([data.subarray(0, half), data.subarray(half)], { format }), { format })).equals(data), `${l}: input in parts`)
      if (/^(text|zeros)/.test(label) && data.length > 1000) t.true(packed.length < data.length / 2, `${l}: compresses (${packed.length} of ${data.length})`)
    }
  }
})

test('node:zlib interop both ways for gzip, deflate, deflate-raw and brotli, at several levels', async (t) => {
  const inputs = [['empty', Buffer.alloc(0)], ['text 3000', text(3000)], ['text 1 MiB+1', TEXT_1M], ['random 100 KiB', random(100 * 1024)]]
  for (const format of ZLIB_FORMATS) {
    const [lo, hi, def] = LEVELS[format]
    for (const [label, data] of inputs) {
      const heavy = data.length > MiB
      const ourLevels = heavy ? [lo, def] : [lo, 1, def, hi]
      const nodeLevels = heavy ? [1, def] : [0, 1, def, hi]
      for (const level of ourLevels) {
        const packed = await ot.compress(data, { format, level })
        t.true(NODE[format].decompress(packed).equals(data), `node decompresses offthread's ${format} level ${level}, ${label}`)
      }
      t.true(NODE[format].decompress(ot.compressSync(data, { format })).equals(data), `node decompresses compressSync ${format}, ${label}`)
      for (const level of nodeLevels) {
        const packed = NODE[format].compress(data, level)
        t.true((await ot.decompress(packed, { format })).equals(data), `offthread decompresses node's ${format} level ${level}, ${label}`)
        t.true(ot.decompressSync(packed, { format }).equals(data), `decompressSync of node's ${format} level ${level}, ${label}`)
      }
    }
  }
  // gzip members concatenated: both sides read them all.
  const a = text(1000)
  const b = random(500)
  const twoNode = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(b)])
  t.true((await ot.decompress(twoNode)).equals(Buffer.concat([a, b])), 'two node gzip members')
  const twoOurs = Buffer.concat([await ot.compress(a), await ot.compress(b)])
  t.true(zlib.gunzipSync(twoOurs).equals(Buffer.concat([a, b])), 'node reads two offthread gzip members')
})

test('zstd and lz4 read concatenated frames', async (t) => {
  const a = text(2000)
  const b = random(3000)
  for (const format of ['zstd', 'lz4']) {
    const two = Buffer.concat([await ot.compress(a, { format }), await ot.compress(b, { format })])
    t.true((await ot.decompress(two, { format })).equals(Buffer.concat([a, b])), format)
  }
})

test('levels: every level in range is accepted and applied; others are refused per format', async (t) => {
  const data = text(64 * 1024)
  for (const format of FORMATS) {
    const [lo, hi] = LEVELS[format]
    const sizes = {}
    for (let level = lo; level <= hi; level++) {
      const packed = await ot.compress(data, { format, level })
      t.true((await ot.decompress(packed, { format })).equals(data), `${format} level ${level}`)
      sizes[level] = packed.length
    }
    t.deepEqual(ot.compressSync(data, { format, level: hi }), await ot.compress(data, { format, level: hi }), `${format}: sync level ${hi}`)
    if (hi > lo) t.true(sizes[hi] < sizes[lo], `${format}: level ${hi} (${sizes[hi]}) smaller than level ${lo} (${sizes[lo]})`)
    for (const level of [lo - 1, hi + 1, 0.5, lo + 0.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1]) {
      const label = `${format} level ${level}`
      await rejects(t, () => ot.compress(data, { format, level }), ERR.range, { label })
      throws(t, () => ot.compressSync(data, { format, level }), ERR.range, { label: `${label} (sync)` })
      throws(t, () => ot.createCompress({ format, level }), ERR.range, { label: `${label} (stream)` })
    }
    for (const level of ['6', null, true, 6n]) {
      await rejects(t, () => ot.compress(data, { format, level }), ERR.type, { label: `${format} level ${typeof level}` })
    }
  }
  // Level 0 of deflate stores: output larger than the input.
  t.true((await ot.compress(data, { format: 'gzip', level: 0 })).length > data.length, 'gzip level 0 stores')
  await rejects(t, () => ot.compress(data, { format: 'gzip', level: 10 }), ERR.range,
    { label: 'message', message: 'Expected integer between 0 and 9 for level but received 10 of type number' })
  await rejects(t, () => ot.compress(data, { format: 'zstd', level: -8 }), ERR.range,
    { label: 'message', message: 'Expected integer between -7 and 22 for level but received -8 of type number' })
  await rejects(t, () => ot.decompress(data, { level: 1 }), ERR.value, { label: 'level is not a decompress option' })
})

test('formats: unknown names are ERR_INVALID_ARG_VALUE, non-strings ERR_INVALID_ARG_TYPE (one-shot, sync and streams)', async (t) => {
  const data = Buffer.from('data')
  for (const format of ['zip', 'GZIP', 'br', 'x-gzip', 'deflateRaw', 'zlib', '']) {
    await rejects(t, () => ot.compress(data, { format }), ERR.value, { label: `compress ${format}` })
    await rejects(t, () => ot.decompress(data, { format }), ERR.value, { label: `decompress ${format}` })
    throws(t, () => ot.compressSync(data, { format }), ERR.value, { label: `compressSync ${format}` })
    throws(t, () => ot.decompressSync(data, { format }), ERR.value, { label: `decompressSync ${format}` })
    throws(t, () => ot.createCompress({ format }), ERR.value, { label: `createCompress ${format}` })
    throws(t, () => ot.createDecompress({ format }), ERR.value, { label: `createDecompress ${format}` })
  }
  for (const format of [5, null, ['gzip'], {}]) {
    await rejects(t, () => ot.compress(data, { format }), ERR.type, { label: `compress format ${JSON.stringify(format)}` })
    throws(t, () => ot.decompressSync(data, { format }), ERR.type, { label: `decompressSync format ${JSON.stringify(format)}` })
    throws(t, () => ot.createDecompress({ format }), ERR.type, { label: `createDecompress format ${JSON.stringify(format)}` })
  }
  // gzip is the default.
  t.true(zlib.gunzipSync(await ot.compress(data)).equals(data))
  t.true(zlib.gunzipSync(await ot.compress(data, { format: undefined })).equals(data))
})

test('maxOutputLength: the exact size passes, one byte less is ERR_BUFFER_TOO_LARGE (async, sync, stream) for every format', async (t) => {
  const data = text(300 * 1024)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    t.true((await ot.decompress(packed, { format, maxOutputLength: data.length })).equals(data), `${format}: exact`)
    t.true(ot.decompressSync(packed, { format, maxOutputLength: data.length }).equals(data), `${format}: exact (sync)`)
    await rejects(t, () => ot.decompress(packed, { format, maxOutputLength: data.length - 1 }), ERR.tooLarge, { label: `${format}: one less` })
    throws(t, () => ot.decompressSync(packed, { format, maxOutputLength: data.length - 1 }), ERR.tooLarge, { label: `${format}: one less (sync)` })
    await rejects(t, () => ot.decompress(packed, { format, maxOutputLength: 0 }), ERR.tooLarge, { label: `${format}: 0` })
    const empty = await ot.compress('', { format })
    t.is((await ot.decompress(empty, { format, maxOutputLength: 0 })).length, 0, `${format}: empty within 0`)
    const sink = collect()
    await pipeline(chunked(packed, [777]), ot.createDecompress({ format, maxOutputLength: data.length }), sink)
    t.true(sink.result().equals(data), `${format}: stream exact`)
    await rejects(t, pipeline(chunked(packed, [777]), ot.createDecompress({ format, maxOutputLength: data.length - 1 }), collect()), ERR.tooLarge, { label: `${format}: stream one less` })
  }
  const packed = await ot.compress(data)
  const err = await rejects(t, () => ot.decompress(packed, { maxOutputLength: 1000 }), ERR.tooLarge, { label: 'message' })
  if (err) t.regex(err.message, /maxOutputLength/)
  for (const maxOutputLength of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53]) {
    await rejects(t, () => ot.decompress(packed, { maxOutputLength }), ERR.range, { label: `maxOutputLength ${maxOutputLength}` })
    throws(t, () => ot.decompressSync(packed, { maxOutputLength }), ERR.range, { label: `maxOutputLength ${maxOutputLength} (sync)` })
    throws(t, () => ot.createDecompress({ maxOutputLength }), ERR.range, { label: `maxOutputLength ${maxOutputLength} (stream)` })
  }
  await rejects(t, () => ot.decompress(packed, { maxOutputLength: -1 }), ERR.range,
    { label: 'message', message: 'Expected integer between 0 and 9007199254740991 for maxOutputLength but received -1 of type number' })
  await rejects(t, () => ot.decompress(packed, { maxOutputLength: '1000' }), ERR.type, { label: 'maxOutputLength as a string' })
  await rejects(t, () => ot.compress(data, { maxOutputLength: 10 }), ERR.value, { label: 'maxOutputLength is not a compress option' })
})

test('truncated input (every proper prefix, the empty one too) rejects with ERR_DECOMPRESS for every format', async (t) => {
  const data = text(2000)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    const accepted = []
    const otherCodes = []
    for (let n = 0; n < packed.length; n++) {
      try {
        ot.decompressSync(packed.subarray(0, n), { format })
        accepted.push(n)
      } catch (err) {
        const wrong = mismatch(err, ERR.corrupt)
        if (wrong) otherCodes.push(`${n}: ${wrong}`)
      }
    }
    t.deepEqual(accepted, [], `${format}: prefixes that decompressed (of ${packed.length} bytes)`)
    t.deepEqual(otherCodes, [], `${format}: prefixes with another error`)
    for (const n of [0, 1, packed.length >> 1, packed.length - 1]) {
      await rejects(t, () => ot.decompress(packed.subarray(0, n), { format }), ERR.corrupt, { label: `${format} prefix ${n} (async)` })
    }
    // Node's own output, truncated.
    if (NODE[format]) {
      const theirs = NODE[format].compress(data)
      await rejects(t, () => ot.decompress(theirs.subarray(0, theirs.length - 1), { format }), ERR.corrupt, { label: `${format}: node's, truncated` })
    }
  }
})

test('corrupt input rejects with ERR_DECOMPRESS: garbage and other formats everywhere; any flipped byte where the format has a checksum', async (t) => {
  const data = text(3000)
  const packed = {}
  for (const format of FORMATS) packed[format] = await ot.compress(data, { format })
  const garbage = [Buffer.from('this is not compressed data, not at all'), Buffer.alloc(100, 0xff), Buffer.alloc(100, 0), Buffer.from('\x1f\x8b\x08garbage')]
  for (const format of FORMATS) {
    for (const g of garbage) {
      await rejects(t, () => ot.decompress(g, { format }), ERR.corrupt, { label: `${format}: garbage ${g.subarray(0, 8).toString('hex')}` })
    }
    for (const other of FORMATS) {
      if (other === format) continue
      throws(t, () => ot.decompressSync(packed[other], { format }), ERR.corrupt, { label: `${other} data read as ${format}` })
    }
  }
  // gzip (CRC-32), deflate (Adler-32), zstd and lz4 (content checksums): no flipped byte may pass unnoticed.
  for (const format of ['gzip', 'deflate', 'zstd', 'lz4']) {
    const silent = []
    let rejected = 0
    for (let at = 0; at < packed[format].length; at++) {
      for (const mask of [0x01, 0x80]) {
        const bad = Buffer.from(packed[format])
        bad[at] ^= mask
        try {
          const out = ot.decompressSync(bad, { format })
          if (!out.equals(data)) silent.push(at)
        } catch (err) {
          checkError(t, err, ERR.corrupt, { label: `${format}: flip at ${at}` })
          rejected++
        }
      }
    }
    t.deepEqual(silent, [], `${format}: flipped bytes that decoded to wrong data`)
    t.true(rejected > packed[format].length, `${format}: ${rejected} flips rejected`)
    const bad = Buffer.from(packed[format])
    bad[bad.length >> 1] ^= 0x55
    await rejects(t, () => ot.decompress(bad, { format }), ERR.corrupt, { label: `${format}: flip in the middle (async)` })
  }
  // Node's gzip with a broken CRC.
  const theirs = zlib.gzipSync(data)
  theirs[theirs.length - 6] ^= 1
  await rejects(t, () => ot.decompress(theirs), ERR.corrupt, { label: 'node gzip with a bad CRC' })
})

// ---------------------------------------------------------------------------------------------
// Streams

test('streams: createCompress → createDecompress round trips for every format with uneven chunks; each side interoperates with one-shot', async (t) => {
  const data = Buffer.concat([TEXT_1M, random(300 * 1024)])
  for (const format of FORMATS) {
    const packedSink = collect()
    await pipeline(chunked(data), ot.createCompress({ format }), packedSink)
    const packed = packedSink.result()
    t.true(packed.length < data.length, `${format}: compressed`)
    t.true((await ot.decompress(packed, { format })).equals(data), `${format}: stream → one-shot`)
    const out = collect()
    await pipeline(chunked(packed, [1, 4096, 0, 100000, 13]), ot.createDecompress({ format }), out)
    t.true(out.result().equals(data), `${format}: stream → stream`)
    const out2 = collect()
    await pipeline(chunked(await ot.compress(data, { format }), [65536]), ot.createDecompress({ format }), out2)
    t.true(out2.result().equals(data), `${format}: one-shot → stream`)
    // Empty streams.
    const empty = collect()
    await pipeline(Readable.from([]), ot.createCompress({ format }), empty)
    t.is((await ot.decompress(empty.result(), { format })).length, 0, `${format}: empty stream`)
  }
})

test('streams: 1-byte chunks decompress for every format', async (t) => {
  const data = text(700)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    const out = collect()
    await pipeline(chunked(packed, [1]), ot.createDecompress({ format }), out)
    t.true(out.result().equals(data), format)
  }
})

test('streams interoperate with zlib streams both ways (gzip, deflate, deflate-raw, brotli); levels apply', async (t) => {
  const data = Buffer.concat([text(500 * 1024), random(64 * 1024)])
  for (const format of ZLIB_FORMATS) {
    const a = collect()
    await pipeline(chunked(data, [10000, 3]), ot.createCompress({ format, level: 1 }), NODE[format].createDecompress(), a)
    t.true(a.result().equals(data), `offthread ${format} stream → zlib stream`)
    const b = collect()
    await pipeline(chunked(data, [10000, 3]), NODE[format].createCompress(), ot.createDecompress({ format }), b)
    t.true(b.result().equals(data), `zlib ${format} stream → offthread stream`)
  }
  const stored = collect()
  await pipeline(chunked(data), ot.createCompress({ format: 'gzip', level: 0 }), stored)
  t.true(stored.result().length > data.length, 'gzip level 0 stream stores')
  t.true(zlib.gunzipSync(stored.result()).equals(data))
  // String chunks are UTF-8.
  const s = ot.createCompress({ format: 'deflate' })
  const sink = collect()
  const done = pipeline(s, sink)
  s.write('héllo ')
  s.end('wörld 😀')
  await done
  t.is(zlib.inflateSync(sink.result()).toString(), 'héllo wörld 😀')
})

test('streams: backpressure holds while 16 MiB in 256 chunks go through compress → decompress into a slow sink, intact', async (t) => {
  const chunkSize = 64 * 1024
  const count = 256
  const seed = random(MiB)
  const source = new Readable({
    read () {
      if (this.produced === count) return this.push(null)
      const i = this.produced++
      const chunk = Buffer.allocUnsafe(chunkSize)
      // Half random, half repeated: compressible, not trivially.
      seed.copy(chunk, 0, (i * 7919) % (MiB - chunkSize / 2), (i * 7919) % (MiB - chunkSize / 2) + chunkSize / 2)
      chunk.fill(i & 0xff, chunkSize / 2)
      this.hash.update(chunk)
      this.bytes += chunk.length
      this.push(chunk)
    }
  })
  Object.assign(source, { produced: 0, bytes: 0, hash: crypto.createHash('sha256') })
  const compress = ot.createCompress({ format: 'gzip', level: 1 })
  const decompress = ot.createDecompress({ format: 'gzip' })
  let received = 0
  let maxLead = 0
  let writes = 0
  const outHash = crypto.createHash('sha256')
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write (chunk, encoding, callback) {
      received += chunk.length
      outHash.update(chunk)
      maxLead = Math.max(maxLead, source.bytes - received)
      if (++writes % 16 === 0) setTimeout(callback, 1)
      else setImmediate(callback)
    }
  })
  const started = performance.now()
  await pipeline(source, compress, decompress, sink)
  t.log(`16 MiB through gzip streams: ${(performance.now() - started).toFixed(0)} ms, source at most ${(maxLead / MiB).toFixed(1)} MiB ahead`)
  t.is(received, chunkSize * count)
  t.is(outHash.digest('hex'), source.hash.digest('hex'), 'intact')
  t.true(maxLead < 8 * MiB, `the source ran at most ${maxLead} bytes ahead of the slow sink`)
})

test('streams: corrupt and truncated input error with ERR_DECOMPRESS for every format', async (t) => {
  const data = text(100 * 1024)
  for (const format of FORMATS) {
    const packed = await ot.compress(data, { format })
    await rejects(t, pipeline(chunked(packed.subarray(0, packed.length >> 1), [1000]), ot.createDecompress({ format }), collect()), ERR.corrupt, { label: `${format}: truncated stream` })
    await rejects(t, pipeline(chunked(packed.subarray(0, packed.length - 1), [1000]), ot.createDecompress({ format }), collect()), ERR.corrupt, { label: `${format}: last byte missing` })
    await rejects(t, pipeline(Readable.from([]), ot.createDecompress({ format }), collect()), ERR.corrupt, { label: `${format}: empty stream` })
    await rejects(t, pipeline(chunked(Buffer.from('definitely not compressed at all, just text'.repeat(10)), [50]), ot.createDecompress({ format }), collect()), ERR.corrupt, { label: `${format}: garbage stream` })
    if (['gzip', 'deflate', 'zstd', 'lz4'].includes(format)) {
      const bad = Buffer.from(packed)
      bad[bad.length >> 1] ^= 0x55
      await rejects(t, pipeline(chunked(bad, [1000]), ot.createDecompress({ format }), collect()), ERR.corrupt, { label: `${format}: flipped byte in the stream` })
    }
  }
})

test('streams: an AbortSignal destroys the stream with an AbortError; an aborted one at once; listeners are removed', async (t) => {
  // Aborted while flowing.
  const controller = new AbortController()
  const stream = ot.createCompress({ format: 'brotli', level: 9, signal: controller.signal })
  let produced = 0
  const source = new Readable({
    read () {
      produced++
      this.push(random(64 * 1024))
    }
  })
  setTimeout(() => controller.abort(), 50)
  const started = performance.now()
  const err = await aborted(t, pipeline(source, stream, collect()), controller.signal, 'flowing stream')
  t.true(performance.now() - started < 5000, 'stopped')
  t.true(stream.destroyed, 'destroyed')
  t.true(produced > 0, 'data flowed before the abort')
  // The 'error' event itself.
  const c2 = new AbortController()
  const s2 = ot.createDecompress({ signal: c2.signal })
  const errored = new Promise((resolve) => s2.once('error', resolve))
  s2.write(zlib.gzipSync('partial'))
  c2.abort(new Error('client went away'))
  const e2 = await errored
  checkError(t, e2, ERR.abort, { label: 'error event' })
  t.is(e2.cause, c2.signal.reason)
  // Already aborted: destroyed on the next tick.
  const c3 = new AbortController()
  c3.abort()
  const s3 = ot.createCompress({ signal: c3.signal })
  const e3 = await new Promise((resolve) => s3.once('error', resolve))
  checkError(t, e3, ERR.abort, { label: 'already aborted' })
  t.true(s3.destroyed)
  // A stream that ends normally leaves no listener on its signal.
  const c4 = new AbortController()
  const s4 = ot.createCompress({ signal: c4.signal })
  t.is(getEventListeners(c4.signal, 'abort').length, 1)
  await pipeline(Readable.from([Buffer.from('x')]), s4, collect())
  await until(() => s4.closed, 'the stream to close', 2000)
  t.is(getEventListeners(c4.signal, 'abort').length, 0, 'listener removed on close')
  throws(t, () => ot.createCompress({ signal: 'nope' }), ERR.type, { label: 'signal not an AbortSignal' })
})

// ---------------------------------------------------------------------------------------------
// Zip bombs (in a child process, so that RSS is this work's alone)

heavy('~10 GiB zip bombs in a child process')('zip bombs of ~10 GiB (gzip members, zstd frames) stop at maxOutputLength with ERR_BUFFER_TOO_LARGE; RSS stays low', async (t) => {
  const out = await runChildOk(t, ['bomb'])
  t.log(JSON.stringify(out))
  t.true(out.memberOk, 'one member is 64 MiB of zeros')
  t.true(out.gzipBomb < 16 * MiB, `the gzip bomb is ${out.gzipBomb} bytes`)
  t.is(out.gzipExpands, 10 * 1024 * MiB)
  t.true(out.zstdBomb < 16 * MiB, `the zstd bomb is ${out.zstdBomb} bytes`)
  const cases = {
    gzipDefault: 1536, // 1 GiB default cap: the output buffer reaches 1 GiB before the stop
    zstdCap: 512,
    gzipSmallCap: 256,
    gzipSync: 256,
    gzipStream: 512
  }
  for (const [name, limitMiB] of Object.entries(cases)) {
    const r = out[name]
    t.truthy(r.error, `${name}: rejected`)
    if (!r.error) continue
    checkSerialized(t, r.error, ERR.tooLarge, { label: name })
    t.true(r.growthMiB < limitMiB, `${name}: peak RSS grew ${r.growthMiB} MiB (limit ${limitMiB})`)
    t.true(r.afterMiB < 256, `${name}: RSS afterwards ${r.afterMiB} MiB above the start`)
    t.log(`${name}: ${r.ms} ms, peak +${r.growthMiB} MiB`)
  }
  t.true(out.gzipStream.delivered <= 256 * MiB, 'the stream delivered at most its cap')
  t.true(out.gzipStream.delivered > 128 * MiB, 'the stream delivered until near the cap')
  // A legitimate output does not cost twice its size.
  t.is(out.legit512.value, 512 * MiB)
  t.true(out.legit512.growthMiB < 768, `a 512 MiB output: peak RSS grew ${out.legit512.growthMiB} MiB`)
})
