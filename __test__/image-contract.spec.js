'use strict'
// The image contract (issue #10, item 2): lib/image.js hands the binding a plain object, which src/image.rs
// converts to core's types (crates/core/src/image/options.rs) on the JS thread, before anything is queued.
// (1) A field that does not fit is a synchronous ERR_INVALID_ARG_VALUE naming its path (a number outside core's
// range: ERR_OUT_OF_RANGE), and nothing is queued. (2) The defaults and ranges lib reads from the binding are
// the ones core applies. (3) Results are objects, not JSON text.

const test = require('ava')
const fs = require('node:fs')
const { ot, fix, tmp, pngHeader } = require('./helpers/image')
const { ERR, throws, rejects } = require('./helpers/errors')
const native = require('../lib/native')

const P = native.policy.image
const JPG = fs.readFileSync(fix('jpeg/ljt-testorig.jpg')) // 227 × 149 baseline
const PNG = fs.readFileSync(fix('png/pngsuite/basn2c08.png')) // 32 × 32 RGB
const GIF = fs.readFileSync(fix('gif/sample_1.gif')) // still
const ANIMATED = fs.readFileSync(fix('gif/anim-gr.gif'))

/** A ticket the scheduler never issued: if a call were queued, its result would have no taker. */
const TICKET = { id: 0x7fffffff, executor: 0, cancellable: false }
const COUNTERS = ['queued', 'running', 'completed', 'failed', 'cancelled', 'rejected']
const counters = () => Object.fromEntries(COUNTERS.map((k) => [k, ot.stats()[k]]))

// ---------------------------------------------------------------------------------------------
// (1) Contract mismatches: synchronous, named, nothing queued

const MISMATCHES = [
  [{ ops: { resize: { fit: 'covr' } } }, 'ops.resize.fit', /unknown variant `covr`/],
  [{ failOn: 'x' }, 'failOn', /unknown variant `x`/],
  [{ nope: 1 }, 'nope', /unknown field `nope`/],
  [{ ops: { resize: { kernel: 'lanczos4' } } }, 'ops.resize.kernel', /unknown variant/],
  [{ ops: { resize: { position: 'middle' } } }, 'ops.resize.position', /unknown variant/],
  [{ ops: { resize: { width: 1.5 } } }, 'ops.resize.width', /floating point `1.5`/],
  [{ ops: { resize: { width: -1 } } }, 'ops.resize.width', /-1/],
  [{ ops: { extractBefore: { left: 0, top: 0, width: 1 } } }, 'ops.extractBefore', /missing field `height`/],
  [{ ops: { flip: 'yes' } }, 'ops.flip', /expected a boolean/],
  [{ ops: { flatten: { background: [0, 0, 0, 256] } } }, 'ops.flatten.background[3]', /256/],
  [{ output: { tiff: {} } }, 'output', /unknown variant `tiff`/],
  [{ output: { jpeg: { qualty: 80 } } }, 'output.jpeg.qualty', /unknown field `qualty`/],
  [{ output: { jpeg: { quality: 300 } } }, 'output.jpeg.quality', /300/],
  [{ output: { jpeg: { chromaSubsampling: '4:2:2' } } }, 'output.jpeg.chromaSubsampling', /unknown variant `4:2:2`/],
  [{ output: { gif: { delay: [10, 'x'] } } }, 'output.gif.delay[1]', /expected u32/],
  [{ limitInputPixels: -1 }, 'limitInputPixels', /-1/]
]

test('a spec that does not fit core\'s types throws ERR_INVALID_ARG_VALUE at once, naming the field; nothing is queued', (t) => {
  const before = counters()
  for (const [spec, field, why] of MISMATCHES) {
    const label = JSON.stringify(spec)
    const escaped = field.replace(/[.[\]]/g, '\\$&')
    const message = new RegExp(`^invalid image spec at ${escaped}: .*${why.source}`)
    throws(t, () => native.imageProcess(TICKET, spec, null, null, JPG), ERR.value, { message, label: `imageProcess ${label}` })
    throws(t, () => native.imageThumbhash(TICKET, spec, null, JPG), ERR.value, { message, label: `imageThumbhash ${label}` })
  }
  for (const spec of ['{}', 42, null, undefined, [], [1e9]]) {
    throws(t, () => native.imageProcess(TICKET, spec, null, null, JPG), ERR.value, { message: /^invalid image spec: expected an object/, label: String(spec) })
  }
  t.deepEqual(counters(), before, 'no task was queued, run or refused')
})

test('a number outside core\'s range is ERR_OUT_OF_RANGE from core\'s Spec::validate, before queuing', (t) => {
  const before = counters()
  const cases = [
    [{ output: { jpeg: { quality: P.jpeg.quality.min - 1 } } }, 'output.jpeg.quality'],
    [{ output: { webp: { effort: P.webp.effort.max + 1 } } }, 'output.webp.effort'],
    [{ output: { png: { colours: P.png.colours.min - 1 } } }, 'output.png.colours'],
    [{ output: { png: { compressionLevel: P.png.compressionLevel.max + 1 } } }, 'output.png.compressionLevel'],
    [{ output: { gif: { delay: [P.gif.delay.max + 1] } } }, 'output.gif.delay[0]'],
    [{ ops: { blur: P.blur.sigma.min / 2 } }, 'ops.blur'],
    [{ ops: { sharpen: { m1: -1 } } }, 'ops.sharpen.m1'],
    [{ ops: { resize: { width: 0 } } }, 'ops.resize.width'],
    [{ ops: { extractAfter: { left: P.dimension.max + 1, top: 0, width: 1, height: 1 } } }, 'ops.extractAfter.left']
  ]
  for (const [spec, field] of cases) {
    throws(t, () => native.imageProcess(TICKET, spec, null, null, JPG), ERR.range, { message: new RegExp(` for ${field.replace(/[.[\]]/g, '\\$&')} but received`), label: JSON.stringify(spec) })
  }
  throws(t, () => native.imageProcess(TICKET, { output: { png: { progressive: true } } }, null, null, JPG), ERR.value, { message: /output\.png\.progressive/ })
  t.deepEqual(counters(), before)
})

test('a NUL byte in the input path is refused at once by image() and by the binding', (t) => {
  throws(t, () => ot.image(`${fix('jpeg/ljt-testorig.jpg')}\0.jpg`), ERR.value, { message: /NUL/ })
  const before = counters()
  throws(t, () => native.imageMetadata(TICKET, {}, '/x\0.jpg', null), ERR.value, { message: /NUL/ })
  throws(t, () => native.imageProcess(TICKET, {}, '/x\0.jpg', null, null), ERR.value, { message: /NUL/ })
  t.deepEqual(counters(), before)
})

test('through lib, a contract error is impossible: every builder call yields a spec the binding accepts', async (t) => {
  // Every option of every method at once, in sharp's names: lib's spec must convert (the call resolves).
  const full = ot.image(JPG, { failOn: 'truncated', autoOrient: false, limitInputPixels: 10 ** 6 })
    .rotate(30, { background: 'rgba(10, 20, 30, 0.5)' }).extract({ left: 1, top: 1, width: 200, height: 140 })
    .flip().flop().resize(50, 40, { fit: 'contain', position: 'left top', kernel: 'cubic', withoutEnlargement: true, background: '#123' })
    .extract({ left: 0, top: 0, width: 40, height: 30 }).flatten({ background: 'white' }).blur(0.5)
    .sharpen({ sigma: 1, m1: 0.5, m2: 3 }).grayscale().keepMetadata()
  for (const [format, options] of [
    ['jpeg', { quality: 50, progressive: true, chromaSubsampling: '4:4:4', optimiseCoding: false, mozjpeg: true }],
    ['png', { compressionLevel: 9, adaptiveFiltering: true, palette: true, quality: 50, colors: 16, effort: 3, dither: 0.5 }],
    ['webp', { quality: 50, alphaQuality: 50, lossless: false, nearLossless: true, smartSubsample: true, effort: 1 }],
    ['gif', { colours: 8, effort: 2, dither: 0, loop: 3, delay: [20] }],
    ['raw', { depth: 'uchar' }]
  ]) {
    const { info } = await full.clone().toFormat(format, options).toBuffer({ resolveWithObject: true })
    t.deepEqual([info.format, info.width, info.height], [format, 40, 30], format)
  }
})

// ---------------------------------------------------------------------------------------------
// (2) Defaults and ranges: read from the binding, applied by core

test('the policy\'s values are the documented ones (a change to core\'s defaults must be deliberate)', (t) => {
  t.deepEqual(P.limitInputPixels, { default: 0x3FFF * 0x3FFF, min: 0 })
  t.is(ot.imageDefaults.limitInputPixels, P.limitInputPixels.default)
  t.is(ot.imageDefaults.maxInputBytes, P.defaults.maxInputBytes)
  t.deepEqual(P.maxInputBytes, { min: 1, max: Number.MAX_SAFE_INTEGER })
  t.deepEqual(P.defaults, {
    limitInputPixels: 0x3FFF * 0x3FFF,
    maxInputBytes: 512 * 2 ** 20,
    autoOrient: true,
    failOn: 'warning',
    animated: false,
    pages: 1,
    page: 0,
    ops: { rotate: null, extractBefore: null, flip: false, flop: false, resize: null, extractAfter: null, flatten: null, blur: null, sharpen: null, grayscale: false, negate: null, gamma: null, threshold: null, extend: null, modulate: null, median: null, tint: null, composite: [], normalise: null, trim: null },
    output: null,
    keepMetadata: false,
    raw: null,
    create: null
  })
  t.deepEqual(P.resize, { width: null, height: null, fit: 'cover', position: 'centre', kernel: 'lanczos3', withoutEnlargement: false, withoutReduction: false, background: [0, 0, 0, 255], strategy: null })
  t.deepEqual([P.strategies, P.strategyNumbers], [['entropy', 'attention'], [16, 17]])
  t.deepEqual(P.jpeg.defaults, { quality: 80, progressive: false, chromaSubsampling: '4:2:0', optimizeCoding: true, mozjpeg: false })
  t.deepEqual(P.png.defaults, { compressionLevel: 6, adaptiveFiltering: false, progressive: false, palette: false, quality: 100, colours: 256, effort: 7, dither: 1 })
  t.deepEqual(P.webp.defaults, { quality: 80, alphaQuality: 100, lossless: false, nearLossless: false, smartSubsample: false, effort: 4, loop: null, delay: [] })
  t.deepEqual(P.gif.defaults, { colours: 256, effort: 7, dither: 1, loop: null, delay: [] })
  t.deepEqual(P.sharpen.defaults, { sigma: 1, m1: 1, m2: 2 })
  // sharp's defaults: negate() negates alpha, gamma() is 2.2 both ways, threshold() is 128 in grey.
  t.deepEqual(P.negate.defaults, { alpha: true })
  t.deepEqual(P.gamma.defaults, { gamma: 2.2, gammaOut: 2.2 })
  t.deepEqual(P.threshold.defaults, { threshold: 128, grayscale: true })
  t.deepEqual(P.extend.defaults, { top: 0, bottom: 0, left: 0, right: 0, background: [0, 0, 0, 255], extendWith: 'background' })
  t.deepEqual(P.extendWith, ['background', 'copy', 'repeat', 'mirror'])
  t.deepEqual(P.modulate.defaults, { brightness: 1, saturation: 1, hue: 0, lightness: 0 })
  t.deepEqual(P.median, { default: 3, size: { min: 1, max: 1000 } })
  t.deepEqual(P.trim, { defaults: { background: null, threshold: 10, lineArt: false, margin: 0 }, threshold: { min: 0, max: 1e6 }, margin: { min: 0, max: 1e7 } })
  t.deepEqual(P.normalise, { defaults: { lower: 1, upper: 99 }, lower: { min: 0, max: 99 }, upper: { min: 1, max: 100 } })
  t.deepEqual([P.composite, P.raw, P.create], [{ offset: { min: -1e8, max: 1e8 }, layers: { min: 0, max: 1000 } }, { channels: { min: 1, max: 4 } }, { channels: { min: 3, max: 4 } }])
  t.deepEqual(P.blends, ['clear', 'source', 'over', 'in', 'out', 'atop', 'dest', 'dest-over', 'dest-in', 'dest-out', 'dest-atop', 'xor', 'add', 'saturate',
    'multiply', 'screen', 'overlay', 'darken', 'lighten', 'colour-dodge', 'colour-burn', 'hard-light', 'soft-light', 'difference', 'exclusion'])
  t.deepEqual([P.modulate.brightness, P.modulate.saturation, P.modulate.lightness, P.modulate.hue], [{ min: 0, max: 1e6 }, { min: 0, max: 1e6 }, { min: -1e6, max: 1e6 }, { min: -1e9, max: 1e9 }])
  t.deepEqual([P.gamma.gamma, P.extend.size, P.extend.all, P.threshold.threshold], [{ min: 1, max: 3 }, { min: 0, max: 1e8 }, { min: 1, max: 1e8 }, { min: 0, max: 255 }])
  t.deepEqual(P.failOn, ['none', 'truncated', 'error', 'warning'])
  t.deepEqual(P.fits, ['cover', 'contain', 'fill', 'inside', 'outside'])
  t.deepEqual(P.kernels, ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos3'])
  // sharp's gravity numbering: 0 centre … 8 northwest.
  t.deepEqual(P.positions, ['centre', 'north', 'east', 'south', 'west', 'northeast', 'southeast', 'southwest', 'northwest'])
  t.deepEqual(P.formats, ['jpeg', 'png', 'webp', 'gif', 'avif', 'raw'])
  t.deepEqual(P.avif.defaults, { quality: 50, lossless: false, effort: 4, chromaSubsampling: '4:4:4' })
  t.deepEqual([P.avif.quality, P.avif.effort, P.avif.bitdepth], [{ min: 1, max: 100 }, { min: 0, max: 9 }, { min: 8, max: 8 }])
  t.deepEqual(P.jpeg.quality, { min: 1, max: 100 })
  t.deepEqual(P.png.colours, { min: 2, max: 256 })
  t.deepEqual(P.dimension, { min: 1, max: 0x3FFFFFFF })
})

/** Both outputs, byte for byte. */
async function same (t, a, b, label) {
  const [x, y] = await Promise.all([a.toBuffer(), b.toBuffer()])
  t.true(x.equals(y), `${label}: ${x.length} vs ${y.length} bytes`)
}

test('each default in the policy is what core does when the option is left out (same bytes)', async (t) => {
  const base = () => ot.image(JPG).resize(64)
  const d = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null))
  await same(t, base().jpeg(), base().jpeg(d(P.jpeg.defaults)), 'jpeg')
  const { progressive, ...png } = P.png.defaults
  t.false(progressive)
  await same(t, base().png(), base().png(png), 'png')
  const { loop: webpLoop, ...webp } = P.webp.defaults
  t.is(webpLoop, null) // null: keep the input's loop count
  await same(t, base().webp(), base().webp(webp), 'webp')
  const { loop, ...gif } = P.gif.defaults
  t.is(loop, null) // null: keep the input's loop count
  await same(t, base().gif(), base().gif(gif), 'gif')
  await same(t, base().avif(), base().avif(P.avif.defaults), 'avif')
  // No output format: the input's format with its encoder's defaults.
  await same(t, ot.image(JPG).resize(64), base().jpeg(d(P.jpeg.defaults)), 'JPEG input keeps JPEG')
  await same(t, ot.image(PNG), ot.image(PNG).png(png), 'PNG input keeps PNG')
  await same(t, ot.image(GIF), ot.image(GIF).gif(gif), 'GIF input keeps GIF')
  const { background, width, height, strategy, ...resize } = P.resize
  t.is(strategy, null) // no smart crop unless position names one
  await same(t, ot.image(JPG).resize(64, 64), ot.image(JPG).resize(64, 64, { ...resize, background: `#${Buffer.from(background).toString('hex')}` }), 'resize')
  await same(t, ot.image(JPG).sharpen({}), ot.image(JPG).sharpen(P.sharpen.defaults), 'sharpen')
  await same(t, ot.image(PNG).negate(), ot.image(PNG).negate(P.negate.defaults), 'negate')
  await same(t, ot.image(JPG).resize(64).gamma(), ot.image(JPG).resize(64).gamma(P.gamma.defaults.gamma, P.gamma.defaults.gammaOut), 'gamma')
  await same(t, ot.image(PNG).threshold(), ot.image(PNG).threshold(P.threshold.defaults.threshold, { grayscale: P.threshold.defaults.grayscale }), 'threshold')
  const { background: extendBackground, ...extend } = P.extend.defaults
  await same(t, ot.image(PNG).modulate({ hue: 30 }), ot.image(PNG).modulate({ ...P.modulate.defaults, hue: 30 }), 'modulate')
  await same(t, ot.image(PNG).extend({ top: 1 }), ot.image(PNG).extend({ ...extend, top: 1, background: `#${Buffer.from(extendBackground).toString('hex')}` }), 'extend')
  await same(t, ot.image(JPG).rotate(30), ot.image(JPG).rotate(30, { background: '#000000ff' }), 'rotate background')
  await same(t, ot.image(JPG, { failOn: P.defaults.failOn, autoOrient: P.defaults.autoOrient }), ot.image(JPG), 'failOn, autoOrient')
  await same(t, ot.image(JPG).normalise(), ot.image(JPG).normalise(P.normalise.defaults), 'normalise')
  const { background: trimBackground, ...trim } = P.trim.defaults
  t.is(trimBackground, null) // null: the top-left pixel
  await same(t, ot.image(PNG).trim(), ot.image(PNG).trim(trim), 'trim')
})

test('the default pixel limit is the policy\'s, and lib accepts exactly core\'s ranges', async (t) => {
  const limit = P.limitInputPixels.default
  const err = await rejects(t, () => ot.image(pngHeader(0x4000, 0x4000)).toBuffer(), ERR.imageTooLarge)
  t.true(err !== undefined && err.message.endsWith(`limitInputPixels is ${limit}`), err && err.message)
  const img = () => ot.image(JPG)
  const cases = [
    ['jpeg quality', P.jpeg.quality, (x) => img().jpeg({ quality: x })],
    ['png compressionLevel', P.png.compressionLevel, (x) => img().png({ compressionLevel: x })],
    ['png quality', P.png.quality, (x) => img().png({ quality: x })],
    ['png colours', P.png.colours, (x) => img().png({ colours: x })],
    ['png effort', P.png.effort, (x) => img().png({ effort: x })],
    ['webp quality', P.webp.quality, (x) => img().webp({ quality: x })],
    ['webp alphaQuality', P.webp.alphaQuality, (x) => img().webp({ alphaQuality: x })],
    ['webp effort', P.webp.effort, (x) => img().webp({ effort: x })],
    ['gif colours', P.gif.colours, (x) => img().gif({ colours: x })],
    ['gif effort', P.gif.effort, (x) => img().gif({ effort: x })],
    ['gif loop', P.gif.loop, (x) => img().gif({ loop: x })],
    ['gif delay', P.gif.delay, (x) => img().gif({ delay: x })],
    ['resize width', P.dimension, (x) => img().resize(x)],
    ['pages', P.pages, (x) => ot.image(JPG, { pages: x })],
    ['page', P.page, (x) => ot.image(JPG, { page: x })]
  ]
  for (const [label, range, call] of cases) {
    t.notThrows(() => call(range.min), `${label} = ${range.min}`)
    t.notThrows(() => call(range.max), `${label} = ${range.max}`)
    for (const bad of [range.min - 1, range.max + 1]) throws(t, () => call(bad), ERR.range, { label: `${label} = ${bad}` })
  }
  for (const [label, range, call] of [
    ['blur sigma', P.blur.sigma, (x) => img().blur(x)],
    ['sharpen sigma', P.sharpen.sigma, (x) => img().sharpen({ sigma: x })],
    ['sharpen m2', P.sharpen.m2, (x) => img().sharpen({ m2: x })],
    ['png dither', P.png.dither, (x) => img().png({ dither: x })]
  ]) {
    t.notThrows(() => call(range.min), `${label} = ${range.min}`)
    t.notThrows(() => call(range.max), `${label} = ${range.max}`)
    throws(t, () => call(range.max * 1.0001 + 1e-9), ERR.range, { label: `${label} above the range` })
  }
  // What lib accepts at the ends, core accepts too (the bounds meet exactly, also for f32 fields).
  const edge = ot.image(JPG).resize(16).blur(P.blur.sigma.min).sharpen({ sigma: P.sharpen.sigma.min, m1: P.sharpen.m1.max })
  for (const [format, options] of [['jpeg', { quality: P.jpeg.quality.min }], ['webp', { effort: P.webp.effort.max }], ['png', { colours: P.png.colours.min, dither: P.png.dither.max }]]) {
    const { info } = await edge.clone().toFormat(format, options).toBuffer({ resolveWithObject: true })
    t.is(info.format, format)
  }
})

// ---------------------------------------------------------------------------------------------
// (3) Results are objects

const INFO_KEYS = ['channels', 'format', 'height', 'pages', 'size', 'width']

test('toBuffer info, toFile info and metadata() are plain objects with numbers, not JSON text', async (t) => {
  const { data, info } = await ot.image(JPG).resize(20).png().toBuffer({ resolveWithObject: true })
  t.is(Object.getPrototypeOf(info), Object.prototype)
  t.deepEqual(Object.keys(info).sort(), INFO_KEYS)
  t.deepEqual(info, { format: 'png', width: 20, height: 13, channels: 3, size: data.length, pages: 1 })
  const file = tmp('contract.webp')
  const fileInfo = await ot.image(JPG).resize(20).toFile(file)
  t.deepEqual(fileInfo, { format: 'webp', width: 20, height: 13, channels: 3, size: fs.statSync(file).size, pages: 1 })
  const animated = await ot.image(ANIMATED, { animated: true }).gif().toBuffer({ resolveWithObject: true })
  t.true(animated.info.pages > 1, `pages ${animated.info.pages}`)
  t.is(Object.getPrototypeOf(animated.info), Object.prototype)
  const m = await ot.image(JPG).metadata()
  t.is(Object.getPrototypeOf(m), Object.prototype)
  t.deepEqual(m, { format: 'jpeg', size: JPG.length, width: 227, height: 149, space: 'srgb', channels: 3, isProgressive: false, pages: 1, hasProfile: false, hasAlpha: false })
  // Optional fields are absent, not null, when the file has none; present as numbers when it has them.
  const dense = await ot.image(fix('exif', 'Landscape_6.jpg')).metadata()
  t.is(dense.orientation, 6)
  t.is(typeof dense.orientation, 'number')
})
