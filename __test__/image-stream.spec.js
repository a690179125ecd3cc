'use strict'
// Streams (issue 14): image(readable) and image() as a Duplex. The input is gathered whole (up to maxInputBytes),
// then the pipeline runs as one task, as in sharp: the output is the same bytes as from the Buffer.

const test = require('ava')
const http = require('node:http')
const { Readable, Writable } = require('node:stream')
const { pipeline } = require('node:stream/promises')
const { ot, sharp, fix } = require('./helpers/image')
const { ERR, rejects } = require('./helpers/errors')

const photo = require('node:fs').readFileSync(fix('exif', 'Landscape_1.jpg'))
/** `buffer` as a Readable of `size`-byte chunks. */
const chunked = (buffer, size = 4096) => Readable.from(Array.from({ length: Math.ceil(buffer.length / size) }, (_, i) => buffer.subarray(i * size, (i + 1) * size)))
/** Everything a stream yields, as one Buffer. */
async function drain (stream) {
  const chunks = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

test('image(readable): the same output as from the Buffer, for toBuffer, toFile, metadata and thumbhash', async (t) => {
  const want = await ot.image(photo).resize(120).png().toBuffer()
  t.true((await ot.image(chunked(photo)).resize(120).png().toBuffer()).equals(want))
  t.deepEqual(await ot.image(chunked(photo)).metadata(), await ot.image(photo).metadata())
  t.is(await ot.image(chunked(photo)).thumbhash(), await ot.image(photo).thumbhash())
  const file = require('node:path').join(require('node:os').tmpdir(), `offthread-stream-${process.pid}.png`)
  await ot.image(chunked(photo)).resize(120).toFile(file)
  t.true(require('node:fs').readFileSync(file).equals(want))
  require('node:fs').rmSync(file)
  // Raw pixels from a stream, and clone() of a stream input.
  const raw = Buffer.alloc(6 * 4 * 3, 90)
  t.deepEqual((await ot.image(chunked(raw, 7), { raw: { width: 6, height: 4, channels: 3 } }).png().toBuffer({ resolveWithObject: true })).info.width, 6)
  const source = ot.image(chunked(photo)).resize(50)
  const copy = source.clone().webp()
  t.deepEqual([(await source.toBuffer({ resolveWithObject: true })).info.format, (await copy.toBuffer({ resolveWithObject: true })).info.format], ['jpeg', 'webp'])
})

test('image() is a Duplex: piped in and out, through stream.pipeline and over HTTP, as sharp\'s streams', async (t) => {
  const want = await ot.image(photo).resize(64).webp().toBuffer()
  const out = []
  await pipeline(chunked(photo), ot.image().resize(64).webp(), new Writable({ write (c, e, cb) { out.push(c); cb() } }))
  t.true(Buffer.concat(out).equals(want))
  // Written to, then toBuffer() instead of reading the stream side.
  const d = ot.image().resize(64).webp()
  chunked(photo).pipe(d)
  t.true((await d.toBuffer()).equals(want))
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'image/webp')
    req.pipe(ot.image().resize(64).webp()).pipe(res)
  })
  await new Promise((resolve) => server.listen(0, resolve))
  const r = await fetch(`http://127.0.0.1:${server.address().port}/`, { method: 'POST', body: photo })
  t.true(Buffer.from(await r.arrayBuffer()).equals(want))
  server.close()
  t.is((await sharp(want).metadata()).width, 64)
})

test('limits and failures: maxInputBytes, a source error, an early end, an empty stream, a destroyed Duplex', async (t) => {
  await rejects(t, () => ot.image(chunked(photo), { maxInputBytes: 10000 }).toBuffer(), ERR.imageTooLarge, { message: /maxInputBytes \(10000 bytes\)/ })
  const duplexLimit = pipeline(chunked(photo), ot.image({ maxInputBytes: 10000 }), new Writable({ write (c, e, cb) { cb() } }))
  await rejects(t, () => duplexLimit, ERR.imageTooLarge)
  const failing = new Readable({ read () { this.destroy(new Error('source failed')) } })
  await t.throwsAsync(ot.image(failing).toBuffer(), { message: 'source failed' })
  // A stream that ends early: the truncated image does not decode.
  await rejects(t, () => pipeline(chunked(photo.subarray(0, 5000)), ot.image().resize(10), drain), ERR.imageDecode)
  await rejects(t, () => pipeline(Readable.from([]), ot.image().resize(10), drain), ERR.imageFormat)
  // Destroyed before its input ended: toBuffer() rejects, nothing runs.
  const d = ot.image().resize(10)
  d.write(photo.subarray(0, 100))
  const pending = d.toBuffer()
  d.destroy()
  await t.throwsAsync(pending, { code: 'ERR_STREAM_PREMATURE_CLOSE' })
  // A closed source (no end) rejects the same way.
  const closed = new Readable({ read () {} })
  const waiting = ot.image(closed).toBuffer()
  closed.destroy()
  await t.throwsAsync(waiting, { code: 'ERR_STREAM_PREMATURE_CLOSE' })
})
