'use strict'
// createCompress().flush(): what compression()'s res.flush() runs on. After a flush, the output so far
// decodes (node:zlib for gzip, deflate, deflate-raw and brotli; offthread's stream decoder for zstd
// and LZ4) to exactly the bytes written; without one, small writes are gathered and produce nothing.

const test = require('ava')
const zlib = require('node:zlib')
const { once } = require('node:events')
const ot = require('../..')

const FORMATS = ['gzip', 'deflate', 'deflate-raw', 'brotli', 'zstd', 'lz4']

/** What a streaming decoder of `format` yields for `prefix`, a stream not yet finished. */
async function decodePrefix (format, prefix) {
  const sync = { finishFlush: zlib.constants.Z_SYNC_FLUSH }
  switch (format) {
    case 'gzip': return zlib.gunzipSync(prefix, sync)
    case 'deflate': return zlib.inflateSync(prefix, sync)
    case 'deflate-raw': return zlib.inflateRawSync(prefix, sync)
    case 'brotli': return zlib.brotliDecompressSync(prefix, { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    default: {
      const d = ot.createDecompress({ format })
      const out = []
      d.on('data', (c) => out.push(c))
      await new Promise((resolve, reject) => d.write(prefix, (err) => err ? reject(err) : resolve()))
      d.destroy()
      return Buffer.concat(out)
    }
  }
}

/** A compressing stream whose output is gathered in `out`. */
function compressor (format) {
  const stream = ot.createCompress({ format })
  const out = []
  stream.on('data', (c) => out.push(c))
  return { stream, out, sent: () => Buffer.concat(out) }
}

const flushed = (stream) => new Promise((resolve) => stream.flush(resolve))

for (const format of FORMATS) {
  test(`${format}: after flush(), the output so far decodes to exactly what was written`, async (t) => {
    const { stream, sent } = compressor(format)
    let written = ''
    for (const piece of ['..', 'data: 1\n\n', 'x'.repeat(100_000) + 'tail', '!']) {
      stream.write(piece)
      written += piece
      await flushed(stream)
      t.is((await decodePrefix(format, sent())).toString(), written, `${format}: after ${written.length} bytes`)
    }
    stream.end('end')
    await once(stream, 'end')
    t.is((await ot.decompress(sent(), { format })).toString(), written + 'end', 'the finished stream decodes whole')
  })
}

test('without flush(), small writes produce no output until 64 KiB are gathered or the stream ends', async (t) => {
  for (const format of FORMATS) {
    const { stream, out, sent } = compressor(format)
    for (let i = 0; i < 100; i++) await new Promise((resolve) => stream.write(`line ${i}\n`, resolve))
    t.is(out.length, 0, `${format}: nothing before a flush`)
    await flushed(stream)
    t.true(out.length > 0, `${format}: the flush produced output`)
    stream.end()
    await once(stream, 'end')
    const expected = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('')
    t.is((await ot.decompress(sent(), { format })).toString(), expected)
  }
})

test('flush() queues behind writes, calls back after its output, and is harmless after end or on a decompressor', async (t) => {
  const { stream, sent } = compressor('gzip')
  const order = []
  stream.write('a', () => order.push('write'))
  stream.flush(() => order.push(`flush (${zlib.gunzipSync(sent(), { finishFlush: zlib.constants.Z_SYNC_FLUSH })})`))
  stream.end()
  await once(stream, 'end')
  t.deepEqual(order, ['write', 'flush (a)'])
  await flushed(stream) // after the end: calls back, no error
  const d = ot.createDecompress({ format: 'gzip' })
  const out = []
  d.on('data', (c) => out.push(c))
  d.write(zlib.gzipSync('hello'))
  await flushed(d)
  d.end()
  await once(d, 'end')
  t.is(Buffer.concat(out).toString(), 'hello')
})

/** offthread's stream decoder fed a flushed prefix: what it hands out before the stream ends. */
async function decodeWithOffthread (format, prefix) {
  const d = ot.createDecompress({ format })
  const out = []
  d.on('data', (c) => out.push(c))
  await new Promise((resolve, reject) => d.write(prefix, (err) => err ? reject(err) : resolve()))
  d.destroy()
  return Buffer.concat(out).toString()
}

/** A flushed stream: `pieces` written, each followed by flush(); the output after each flush. */
async function flushedPrefixes (format, pieces) {
  const { stream, sent } = compressor(format)
  const prefixes = []
  for (const piece of pieces) {
    stream.write(piece)
    await flushed(stream)
    prefixes.push(sent())
  }
  stream.destroy()
  return prefixes
}

const PIECES = ['data: 1\n\n', 'y'.repeat(3000), 'z'.repeat(90_000) + '.']

for (const format of FORMATS) {
  const title = `createDecompress (${format}) hands out all of a flushed stream as it arrives, not when the next bytes come`
  const run = async (t) => {
    const prefixes = await flushedPrefixes(format, PIECES)
    for (let i = 0; i < PIECES.length; i++) {
      t.is(await decodeWithOffthread(format, prefixes[i]), PIECES.slice(0, i + 1).join(''), `${format}: after flush ${i}`)
    }
  }
  test(title, run)
}
