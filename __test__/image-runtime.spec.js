'use strict'
// Images at run time: aborts (before and during work), pixel bombs and limitInputPixels (run in a child
// process with a capped address space, so that a crash or an absurd allocation shows as a failure and
// never takes the machine's memory), and argument errors with their exact codes and sharp-style messages.
// Helpers: helpers/image.js.

const test = require('ava')
const fs = require('node:fs')
const { ot, sharp, fix, sleep, cpuMs, until, runIsolated, tmp, encodedCard, pngHeader } = require('./helpers/image')
const { ERR, mismatch, rejects, aborted, checkSerialized } = require('./helpers/errors')
const { heavy: heavyTest } = require('./helpers/quick')

// ---------------------------------------------------------------------------------------------
// Aborts

let bigInput
/** A 2400×2400 RGB PNG (stored with zlib level 1): decoding, resizing and blurring it takes a while. */
async function big () {
  if (bigInput === undefined) bigInput = await encodedCard(2400, 2400, 'png', 3, { compressionLevel: 1 })
  return bigInput
}
const heavy = (input, options) => ot.image(input, options).resize(2300, 2300, { kernel: 'lanczos3', fit: 'fill' }).blur(12).sharpen({ sigma: 2 }).png()

test.serial('an already-aborted signal rejects toBuffer, toFile, metadata and thumbhash with ABORT_ERR, without work', async (t) => {
  const controller = new AbortController()
  const reason = new Error('no longer needed')
  controller.abort(reason)
  const { signal } = controller
  const input = await big()
  const out = tmp('aborted.png')
  const before = ot.stats()
  const cpu = cpuMs()
  const calls = {
    'toBuffer (Buffer input)': () => heavy(input).toBuffer({ signal }),
    'toBuffer resolveWithObject': () => heavy(input).toBuffer({ signal, resolveWithObject: true }),
    'toBuffer (path input)': () => heavy(fix('exif/Landscape_1.jpg')).toBuffer({ signal }),
    toFile: () => heavy(input).toFile(out, { signal }),
    metadata: () => ot.image(input).metadata({ signal }),
    thumbhash: () => ot.image(input).thumbhash({ signal }),
    'signal in image() options': () => heavy(input, { signal }).toBuffer()
  }
  for (const [label, fn] of Object.entries(calls)) {
    const err = await aborted(t, fn(), signal, label)
    if (err) t.is(err.cause, reason, `${label}: the reason itself`)
  }
  const used = cpuMs() - cpu
  t.true(used < 100, `${used.toFixed(0)} CPU ms spent on ${Object.keys(calls).length} aborted calls`)
  t.false(fs.existsSync(out), 'toFile wrote no file')
  const after = ot.stats()
  t.is(after.completed, before.completed, 'no task completed')
  t.is(after.running, 0, 'nothing running')
})

test.serial('aborting a running pipeline (2400² PNG → lanczos3 resize, blur, sharpen, PNG) rejects early with AbortError', async (t) => {
  const input = await big()
  let cpu = cpuMs()
  let start = performance.now()
  const { info } = await heavy(input).toBuffer({ resolveWithObject: true })
  const full = cpuMs() - cpu
  const fullWall = performance.now() - start
  t.deepEqual([info.width, info.height], [2300, 2300])
  // At most a third of the full run's CPU time in: the task is one thread, so a wall delay of that length
  // cannot finish it, whatever the load (fullWall alone, stretched by a busy moment, could).
  for (const delayMs of [30, Math.min(400, full / 3, fullWall / 3)]) {
    const controller = new AbortController()
    start = performance.now()
    const promise = heavy(input).toBuffer({ signal: controller.signal })
    await until(() => ot.stats().running >= 1, 'the pipeline to start')
    await sleep(delayMs)
    t.true(ot.stats().running >= 1, `aborted at ${delayMs.toFixed(0)} ms: still running`)
    cpu = cpuMs() // from the abort on: a late timer only lets the task run longer before it
    const abortedAt = performance.now()
    controller.abort()
    await aborted(t, promise, controller.signal, `aborted ${delayMs.toFixed(0)} ms in`)
    const after = performance.now() - abortedAt
    const used = cpuMs() - cpu
    t.log(`full run ${full.toFixed(0)} CPU ms (${fullWall.toFixed(0)} ms wall); aborted ${delayMs.toFixed(0)} ms in: ${used.toFixed(0)} CPU ms, rejected ${after.toFixed(1)} ms after the abort`)
    t.true(used < Math.max(150, full / 2), `aborted ${delayMs.toFixed(0)} ms in: ${used.toFixed(0)} CPU ms after the abort, of ${full.toFixed(0)} for a full run`)
    await until(() => ot.stats().running === 0, 'the aborted task to stop', 5000)
  }
  // Aborting after the result arrived changes nothing.
  const controller = new AbortController()
  const done = await ot.image(fix('png/pngsuite/basn2c08.png')).raw().toBuffer({ signal: controller.signal })
  controller.abort()
  t.is(done.length, 32 * 32 * 3)
})

// ---------------------------------------------------------------------------------------------
// Pixel bombs and limitInputPixels

// Runs in a child with a 4 GiB address space: a decoder that tries to allocate the claimed size (40 GB for the
// PNG) fails there; if it aborts the process, the exit status says so. Each case prints its outcome, time and the
// growth of peak RSS.
const BOMB_SCRIPT = `
const { pngHeader, patchJpegSize, patchGifFrame, webpCanvas, fix } = require(${JSON.stringify(require.resolve('./helpers/image'))})
const { serialize } = require(${JSON.stringify(require.resolve('./helpers/errors'))})
const fs = require('node:fs')
const inputs = {
  png: pngHeader(100000, 100000),
  jpeg: patchJpegSize(fs.readFileSync(fix('jpeg/ljt-testorig.jpg')), 65500, 65500),
  gif: patchGifFrame(fs.readFileSync(fix('gif/sample_1.gif')), 65535, 65535),
  webp: webpCanvas(fs.readFileSync(fix('webp/gallery1-2-lossy.webp')), 100000, 100000)
}
const cases = []
for (const [format, input] of Object.entries(inputs)) {
  cases.push([format + ' default', () => ot.image(input).raw().toBuffer()])
  cases.push([format + ' default, resize(100)', () => ot.image(input).resize(100).jpeg().toBuffer()])
  cases.push([format + ' limitInputPixels false', () => ot.image(input, { limitInputPixels: false }).raw().toBuffer()])
  cases.push([format + ' limitInputPixels 0', () => ot.image(input, { limitInputPixels: 0 }).raw().toBuffer()])
  cases.push([format + ' limitInputPixels false, failOn none', () => ot.image(input, { limitInputPixels: false, failOn: 'none' }).resize(64).png().toBuffer()])
  cases.push([format + ' metadata', () => ot.image(input).metadata().then((m) => ({ length: 0, meta: [m.width, m.height] }))])
}
;(async () => {
  for (const [label, run] of cases) {
    const rss = process.resourceUsage().maxRSS
    const start = performance.now()
    let out
    try {
      const r = await run()
      out = { label, ok: true, bytes: r.length, meta: r.meta }
    } catch (err) {
      out = { label, ok: false, ...serialize(err), message: String(err.message).slice(0, 200) }
    }
    out.ms = Math.round(performance.now() - start)
    out.rssGrowthMiB = Math.round((process.resourceUsage().maxRSS - rss) / 1024)
    console.log(JSON.stringify(out))
  }
  console.log(JSON.stringify({ done: true }))
})()
`

/**
 * Where a bomb may end either way (metadata, failOn 'none', the limit off), which error is right depends on whether
 * the data runs out first (ERR_IMAGE_DECODE) or the claimed buffer cannot be had (ERR_IMAGE_TOO_LARGE): the
 * expectation is the one of the two the error claims to be, ERR_IMAGE_DECODE for anything else.
 */
const eitherImageError = (line) => line.code === 'ERR_IMAGE_TOO_LARGE' ? ERR.imageTooLarge : ERR.imageDecode

heavyTest('GiB-scale pixel bombs in a 4 GiB child process')('pixel bombs (PNG 100000², JPEG 65500², GIF 65535², WebP 100000²): ERR_IMAGE_TOO_LARGE at once; with the limit off, a clean error, no crash', async (t) => {
  const r = await runIsolated(BOMB_SCRIPT, { limitMiB: 4096, timeout: 170000 })
  t.is(r.signal, null, `the child was not killed by a signal (${r.signal}); stderr: ${r.stderr.slice(-2000)}`)
  t.is(r.code, 0, `the child exited normally; stderr: ${r.stderr.slice(-2000)}`)
  t.true(r.lines.some((l) => l.done), 'every case ran')
  for (const line of r.lines.filter((l) => l.label)) {
    t.log(JSON.stringify(line))
    const { label } = line
    if (label.endsWith('metadata')) {
      // Headers only: either the claimed size, or refused by the limit. Never a pixel buffer.
      if (line.ok) t.true(line.meta[0] >= 65500 && line.meta[1] >= 65500, `${label}: ${line.meta}`)
      else checkSerialized(t, line, eitherImageError(line), { label })
      t.true(line.rssGrowthMiB < 64, `${label}: peak RSS grew ${line.rssGrowthMiB} MiB`)
      continue
    }
    if (label.includes('failOn none')) {
      // failOn 'none' never gives up on damaged data: a JPEG shrunk on load (1/8 of 65500²) may come out, grey
      // where the data ran out. Otherwise the same clean errors as below.
      if (line.ok) t.true(line.bytes > 0, `${label}: resolved ${line.bytes} bytes`)
      else checkSerialized(t, line, eitherImageError(line), { label })
      t.true(line.ms < 60000, `${label}: ${line.ms} ms`)
      t.true(line.rssGrowthMiB < 1024, `${label}: peak RSS grew ${line.rssGrowthMiB} MiB`)
      continue
    }
    t.false(line.ok, `${label}: must not resolve (${line.bytes} bytes)`)
    if (label.includes('default')) {
      checkSerialized(t, line, ERR.imageTooLarge, { label })
      t.true(line.ms < 1000, `${label}: refused in ${line.ms} ms`)
      t.true(line.rssGrowthMiB < 64, `${label}: peak RSS grew ${line.rssGrowthMiB} MiB`)
    } else {
      // The limit is off: the data ends long before the claimed size (ERR_IMAGE_DECODE), or the buffer the
      // claimed size needs cannot be had (ERR_IMAGE_TOO_LARGE). Not a crash, not a hang, not gigabytes.
      checkSerialized(t, line, eitherImageError(line), { label })
      t.true(line.ms < 20000, `${label}: failed in ${line.ms} ms`)
      t.true(line.rssGrowthMiB < 1024, `${label}: peak RSS grew ${line.rssGrowthMiB} MiB`)
    }
  }
  t.is(r.lines.filter((l) => l.label).length, 24, 'all 24 cases reported')
})

test('limitInputPixels: width × height above the limit is refused; at the limit it passes; true = the default', async (t) => {
  const input = await encodedCard(64, 48)
  t.is((await ot.image(input, { limitInputPixels: 64 * 48 }).raw().toBuffer()).length, 64 * 48 * 3, 'exactly at the limit')
  await rejects(t, ot.image(input, { limitInputPixels: 64 * 48 - 1 }).raw().toBuffer(), ERR.imageTooLarge, { label: 'one pixel over' })
  await rejects(t, ot.image(input, { limitInputPixels: 100 }).png().toBuffer(), ERR.imageTooLarge, { label: 'a small limit' })
  t.is(ot.imageDefaults.limitInputPixels, 0x3fff * 0x3fff, 'the default is 0x3FFF²')
  // 16384 × 16384 is just over the default limit (16383²); built as a header-only PNG.
  const over = pngHeader(16384, 16384)
  for (const options of [undefined, { limitInputPixels: true }]) {
    await rejects(t, ot.image(over, options).toBuffer(), ERR.imageTooLarge, { label: `16384² with ${JSON.stringify(options)}` })
  }
  // The limit applies to the input, before any resize.
  await rejects(t, ot.image(input, { limitInputPixels: 1000 }).resize(10).toBuffer(), ERR.imageTooLarge, { label: 'resize does not dodge the limit' })
  // And to the canvas of an animated GIF (logical screen), not only the first frame.
  const moon = fs.readFileSync(fix('gif/moon_impact.gif'))
  await rejects(t, ot.image(moon, { limitInputPixels: 116 * 100 - 1, animated: true }).gif().toBuffer(), ERR.imageTooLarge, { label: 'animated GIF' })
})

test('a zero-sized PNG header (0 × 10) is ERR_IMAGE_DECODE, not a division by zero', async (t) => {
  for (const [w, h] of [[0, 10], [10, 0], [0, 0]]) {
    const png = pngHeader(w, h)
    await rejects(t, ot.image(png).toBuffer(), ERR.imageDecode, { label: `${w}×${h}` })
    await rejects(t, ot.image(png).resize(5).toBuffer(), ERR.imageDecode, { label: `${w}×${h} resized` })
  }
})

test('40 concurrent pipelines: each result has sharp\'s size, and equals the same computed alone', async (t) => {
  const input = await encodedCard(300, 200)
  const widths = Array.from({ length: 40 }, (_, i) => 20 + i * 7)
  const results = await Promise.all(widths.map((w) => ot.image(input).resize(w).raw().toBuffer({ resolveWithObject: true })))
  const single = await ot.image(input).resize(widths[17]).raw().toBuffer()
  for (let i = 0; i < widths.length; i++) {
    const ref = await sharp(input).resize(widths[i]).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([results[i].info.width, results[i].info.height], [ref.info.width, ref.info.height], `resize(${widths[i]})`)
    t.is(results[i].data.length, ref.info.width * ref.info.height * 3)
  }
  t.true(results[17].data.equals(single), 'a result computed among 40 concurrent tasks equals the same computed alone')
  await until(() => ot.stats().running === 0 && ot.stats().queued === 0, 'the pool to drain', 5000)
})

// ---------------------------------------------------------------------------------------------
// Argument errors

const { type: TYPE, value: VALUE, range: RANGE } = ERR

/** How lib/errors.js shows a received value: "-1 of type number", "a of type string", "a value of type object". */
function shown (value) {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  if (type === 'object' || type === 'function' || type === 'array') return `a value of type ${type}`
  return `${String(value)} of type ${type}`
}
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * What is wrong with `err` given the expectation: '' when it has the code, the exact class and the sharp-style
 * message "Expected … for <name> but received <value> of type <type>" (the name may carry a prefix such as
 * "options." or "resize options."; `name` may be a RegExp for the name part).
 */
function argErrorMismatch (err, expected, name, value) {
  const namePart = name instanceof RegExp ? name.source : escape(name)
  const message = new RegExp(`^Expected .+ for (?:[\\w .\\[\\]]+[. ])?(?:${namePart}) but received ${escape(shown(value))}$`)
  return mismatch(err, expected, { message })
}

test('image() and image(options) are Duplex streams, as sharp() is; image(readable) reads a stream', (t) => {
  const { Duplex, Readable } = require('node:stream')
  t.true(ot.image() instanceof Duplex)
  t.true(ot.image({ failOn: 'none' }) instanceof Duplex)
  t.true(ot.image(Readable.from([])) instanceof Duplex)
})

test('argument errors of image() and the builder methods: thrown at once, exact code, class and sharp-style message', async (t) => {
  const buf = await encodedCard(8, 8)
  const img = () => ot.image(buf)
  const region = (patch) => ({ left: 0, top: 0, width: 4, height: 4, ...patch })
  // [label, call, expected, name in the message, the received value]
  const rows = [
    ['image(123)', () => ot.image(123), TYPE, /input|image/, 123],
    ['image(null)', () => ot.image(null), TYPE, /input|image/, null],
    ['image({ nope: 1 }) (an options object alone: a Duplex, whose options are checked)', () => ot.image({ nope: 1 }), VALUE, 'options.nope', 'nope'],
    ['image(buf, "x")', () => ot.image(buf, 'x'), TYPE, 'options', 'x'],
    ['failOn x', () => ot.image(buf, { failOn: 'x' }), VALUE, 'failOn', 'x'],
    ['failOn 1', () => ot.image(buf, { failOn: 1 }), TYPE, 'failOn', 1],
    ['limitInputPixels -1', () => ot.image(buf, { limitInputPixels: -1 }), RANGE, 'limitInputPixels', -1],
    ['limitInputPixels 1.5', () => ot.image(buf, { limitInputPixels: 1.5 }), RANGE, 'limitInputPixels', 1.5],
    ['limitInputPixels NaN', () => ot.image(buf, { limitInputPixels: NaN }), RANGE, 'limitInputPixels', NaN],
    ['limitInputPixels "a"', () => ot.image(buf, { limitInputPixels: 'a' }), TYPE, 'limitInputPixels', 'a'],
    ['autoOrient 1', () => ot.image(buf, { autoOrient: 1 }), TYPE, 'autoOrient', 1],
    ['animated "yes"', () => ot.image(buf, { animated: 'yes' }), TYPE, 'animated', 'yes'],
    ['unknown option', () => ot.image(buf, { limitInputPixel: 10 }), VALUE, 'limitInputPixel', 'limitInputPixel'],
    ['executor x', () => ot.image(buf, { executor: 'x' }), VALUE, 'executor', 'x'],
    ['resize(-1)', () => img().resize(-1), RANGE, 'width', -1],
    ['resize(0)', () => img().resize(0), RANGE, 'width', 0],
    ['resize(1.5)', () => img().resize(1.5), RANGE, 'width', 1.5],
    ['resize(NaN)', () => img().resize(NaN), RANGE, 'width', NaN],
    ['resize(Infinity)', () => img().resize(Infinity), RANGE, 'width', Infinity],
    ['resize("a")', () => img().resize('a'), TYPE, 'width', 'a'],
    ['resize(10, -1)', () => img().resize(10, -1), RANGE, 'height', -1],
    ['resize({ width: -5 })', () => img().resize({ width: -5 }), RANGE, 'width', -5],
    ['resize fit x', () => img().resize(10, 10, { fit: 'x' }), VALUE, 'fit', 'x'],
    ['resize kernel x', () => img().resize(10, 10, { kernel: 'x' }), VALUE, 'kernel', 'x'],
    ['resize position x', () => img().resize(10, 10, { position: 'x' }), VALUE, 'position', 'x'],
    ['resize withoutEnlargement 1', () => img().resize({ width: 10, withoutEnlargement: 1 }), TYPE, 'withoutEnlargement', 1],
    ['resize background x', () => img().resize({ width: 10, background: 'notacolour' }), VALUE, 'background', 'notacolour'],
    ['resize background 123', () => img().resize({ width: 10, background: 123 }), TYPE, 'background', 123],
    ['resize unknown option', () => img().resize({ width: 10, fitt: 'cover' }), VALUE, 'fitt', 'fitt'],
    ['resize options "cover"', () => img().resize(10, 10, 'cover'), TYPE, 'options', 'cover'],
    ['extract left -1', () => img().extract(region({ left: -1 })), RANGE, 'left', -1],
    ['extract top 1.5', () => img().extract(region({ top: 1.5 })), RANGE, 'top', 1.5],
    ['extract width 0', () => img().extract(region({ width: 0 })), RANGE, 'width', 0],
    ['extract height missing', () => img().extract({ left: 0, top: 0, width: 1 }), TYPE, 'height', undefined],
    ['extract()', () => img().extract(), TYPE, /region|extract/, undefined],
    ['rotate("90")', () => img().rotate('90'), TYPE, 'angle', '90'],
    ['rotate(NaN)', () => img().rotate(NaN), RANGE, 'angle', NaN],
    ['rotate(Infinity)', () => img().rotate(Infinity), RANGE, 'angle', Infinity],
    ['rotate background x', () => img().rotate(30, { background: 'notacolour' }), VALUE, 'background', 'notacolour'],
    ['blur(0.1)', () => img().blur(0.1), RANGE, 'sigma', 0.1],
    ['blur(1001)', () => img().blur(1001), RANGE, 'sigma', 1001],
    ['blur(-1)', () => img().blur(-1), RANGE, 'sigma', -1],
    ['blur("a")', () => img().blur('a'), TYPE, 'sigma', 'a'],
    ['blur({ sigma: 0.1 })', () => img().blur({ sigma: 0.1 }), RANGE, 'sigma', 0.1],
    ['sharpen("a")', () => img().sharpen('a'), TYPE, /sigma|options/, 'a'],
    ['flip(1)', () => img().flip(1), TYPE, 'flip', 1],
    ['flop("x")', () => img().flop('x'), TYPE, 'flop', 'x'],
    ['grayscale(1)', () => img().grayscale(1), TYPE, /gr[ae]yscale/, 1],
    ['flatten background x', () => img().flatten({ background: 'notacolour' }), VALUE, 'background', 'notacolour'],
    ['jpeg quality 0', () => img().jpeg({ quality: 0 }), RANGE, 'quality', 0],
    ['jpeg quality 101', () => img().jpeg({ quality: 101 }), RANGE, 'quality', 101],
    ['jpeg quality 50.5', () => img().jpeg({ quality: 50.5 }), RANGE, 'quality', 50.5],
    ['jpeg quality "80"', () => img().jpeg({ quality: '80' }), TYPE, 'quality', '80'],
    ['jpeg chromaSubsampling 4:2:2', () => img().jpeg({ chromaSubsampling: '4:2:2' }), VALUE, 'chromaSubsampling', '4:2:2'],
    ['jpeg progressive 1', () => img().jpeg({ progressive: 1 }), TYPE, 'progressive', 1],
    ['jpeg unknown option', () => img().jpeg({ qualty: 80 }), VALUE, 'qualty', 'qualty'],
    ['jpeg("x")', () => img().jpeg('x'), TYPE, 'options', 'x'],
    ['png compressionLevel 10', () => img().png({ compressionLevel: 10 }), RANGE, 'compressionLevel', 10],
    ['png compressionLevel -1', () => img().png({ compressionLevel: -1 }), RANGE, 'compressionLevel', -1],
    ['png colours 1', () => img().png({ colours: 1 }), RANGE, 'colours', 1],
    ['png colors 257', () => img().png({ colors: 257 }), RANGE, /colou?rs/, 257],
    ['png effort 0', () => img().png({ effort: 0 }), RANGE, 'effort', 0],
    ['png quality 101', () => img().png({ quality: 101 }), RANGE, 'quality', 101],
    ['png dither 2', () => img().png({ dither: 2 }), RANGE, 'dither', 2],
    ['webp effort 7', () => img().webp({ effort: 7 }), RANGE, 'effort', 7],
    ['webp quality 0', () => img().webp({ quality: 0 }), RANGE, 'quality', 0],
    ['webp alphaQuality 101', () => img().webp({ alphaQuality: 101 }), RANGE, 'alphaQuality', 101],
    ['webp lossless "yes"', () => img().webp({ lossless: 'yes' }), TYPE, 'lossless', 'yes'],
    ['gif colours 1', () => img().gif({ colours: 1 }), RANGE, 'colours', 1],
    ['gif effort 11', () => img().gif({ effort: 11 }), RANGE, 'effort', 11],
    ['gif loop -1', () => img().gif({ loop: -1 }), RANGE, 'loop', -1],
    ['gif loop 65536', () => img().gif({ loop: 65536 }), RANGE, 'loop', 65536],
    ['gif delay -1', () => img().gif({ delay: -1 }), RANGE, 'delay', -1],
    ['gif delay "a"', () => img().gif({ delay: 'a' }), TYPE, 'delay', 'a'],
    ['gif delay [10, -1]', () => img().gif({ delay: [10, -1] }), RANGE, /delay(\[1\])?/, -1],
    ['toFormat("bmp")', () => img().toFormat('bmp'), VALUE, 'format', 'bmp'],
    ['toFormat("x")', () => img().toFormat('x'), VALUE, 'format', 'x'],
    ['toFormat(1)', () => img().toFormat(1), TYPE, 'format', 1],
    ['toFormat("jpeg", { quality: 0 })', () => img().toFormat('jpeg', { quality: 0 }), RANGE, 'quality', 0]
  ]
  const mismatches = []
  for (const [label, call, expected, name, value] of rows) {
    let err
    try {
      call()
    } catch (e) {
      err = e
    }
    const wrong = err ? argErrorMismatch(err, expected, name, value) : 'did not throw'
    if (wrong) mismatches.push(`${label}: ${wrong}`)
  }
  t.deepEqual(mismatches, [], `${mismatches.length} of ${rows.length} rows differ`)
})

test('argument errors of toBuffer, toFile, metadata and thumbhash reject (never throw synchronously)', async (t) => {
  const buf = await encodedCard(8, 8)
  const rows = [
    ['toBuffer("x")', () => ot.image(buf).toBuffer('x'), TYPE, 'options', 'x'],
    ['toBuffer resolveWithObject 1', () => ot.image(buf).toBuffer({ resolveWithObject: 1 }), TYPE, 'resolveWithObject', 1],
    ['toBuffer signal "x"', () => ot.image(buf).toBuffer({ signal: 'x' }), TYPE, 'signal', 'x'],
    ['toBuffer unknown option', () => ot.image(buf).toBuffer({ resolveWithObjects: true }), VALUE, 'resolveWithObjects', 'resolveWithObjects'],
    ['toFile()', () => ot.image(buf).toFile(), TYPE, /path|file(Out)?/, undefined],
    ['toFile(123)', () => ot.image(buf).toFile(123), TYPE, /path|file(Out)?/, 123],
    ['toFile signal 1', () => ot.image(buf).toFile(tmp('never.png'), { signal: 1 }), TYPE, 'signal', 1],
    ['metadata signal {}', () => ot.image(buf).metadata({ signal: {} }), TYPE, 'signal', {}],
    ['thumbhash("x")', () => ot.image(buf).thumbhash('x'), TYPE, 'options', 'x']
  ]
  const mismatches = []
  for (const [label, call, expected, name, value] of rows) {
    let promise
    try {
      promise = call()
    } catch (err) {
      mismatches.push(`${label}: threw synchronously (${err.code} ${err.message})`)
      continue
    }
    if (!(promise instanceof Promise)) {
      mismatches.push(`${label}: returned ${typeof promise}, not a promise`)
      continue
    }
    const wrong = await promise.then(() => 'resolved', (err) => argErrorMismatch(err, expected, name, value))
    if (wrong) mismatches.push(`${label}: ${wrong}`)
  }
  t.deepEqual(mismatches, [], `${mismatches.length} of ${rows.length} rows differ`)
  t.false(fs.existsSync(tmp('never.png')), 'nothing written')
})

test('valid edge arguments are accepted: rotate(45.5) (corners filled, sharp\'s size), blur() / blur(true) / blur(false) / blur(0.3), resize(null, 10), toFormat("jpg")', async (t) => {
  const buf = await encodedCard(40, 30)
  const turned = await ot.image(buf).rotate(45.5).raw().toBuffer({ resolveWithObject: true })
  const ref = await sharp(buf).rotate(45.5).raw().toBuffer({ resolveWithObject: true })
  t.deepEqual([turned.info.width, turned.info.height], [ref.info.width, ref.info.height], 'rotate(45.5): sharp\'s bounding box')
  for (const call of [(i) => i.blur(), (i) => i.blur(true), (i) => i.blur(false), (i) => i.blur(0.3), (i) => i.blur(1000), (i) => i.blur({ sigma: 2 }),
    (i) => i.resize(null, 10), (i) => i.resize(10, null), (i) => i.resize(undefined, 10), (i) => i.resize({ height: 10 }), (i) => i.toFormat('jpg'),
    (i) => i.sharpen(), (i) => i.sharpen({ sigma: 1, m1: 1, m2: 2 }), (i) => i.flatten(), (i) => i.flatten({ background: '#fff' }), (i) => i.rotate(-270),
    (i) => i.resize(10, 10, { background: { r: 1, g: 2, b: 3, alpha: 0.5 }, fit: 'contain' }), (i) => i.resize(10, 10, { background: 'rgba(10, 20, 30, 0.5)', fit: 'contain' })]) {
    const { info } = await call(ot.image(buf)).toBuffer({ resolveWithObject: true })
    t.true(info.width > 0 && info.height > 0, `${call.toString()}: ${info.width}×${info.height}`)
  }
})
