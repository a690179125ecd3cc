'use strict'
// composite(images), image({ create }) and image(buffer, { raw }) (issue 14), against sharp on the same input.
// libvips blends in f32 and truncates once, and so does core: every blend mode, placement, tile and input
// kind is compared byte for byte on raw output. Where our own resampler is involved (resize), the
// composite is compared with our two-step pipeline exactly and with sharp's within the resize's own difference.

const fs = require('node:fs')
const test = require('ava')
const { ot, sharp, fix, diff, toRGBA, encodedCard, pngHeader, tmp } = require('./helpers/image')
const { ERR, rejects, throws, aborted } = require('./helpers/errors')

/** `size` deterministic bytes from a small LCG (Numerical Recipes' constants), the top byte of each step. */
function bytes (size, seed) {
  const out = Buffer.alloc(size)
  let s = seed >>> 0
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s >>> 24
  }
  return out
}

/**
 * Random `channels`-channel pixels. With 4 channels, alpha is random too unless `opaque`; every 7th
 * pixel is then fully transparent and every 5th fully opaque, so both ends of alpha are always present.
 */
function noise (width, height, channels, seed, { opaque = false } = {}) {
  const data = bytes(width * height * channels, seed)
  if (channels === 4) {
    for (let p = 0; p < width * height; p++) {
      if (opaque || p % 5 === 0) data[p * 4 + 3] = 255
      else if (p % 7 === 0) data[p * 4 + 3] = 0
    }
  }
  return data
}

const rawOf = (width, height, channels) => ({ raw: { width, height, channels } })
/** A composite item of random raw RGBA pixels. */
const rawLayer = (width, height, seed, extra = {}) => ({ input: noise(width, height, 4, seed), ...rawOf(width, height, 4), ...extra })
const shape = (info) => [info.width, info.height, info.channels]
const raw = (pipeline) => pipeline.raw().toBuffer({ resolveWithObject: true })

/** Raw output of `chain` on ours and on sharp, from the same input and options. */
async function both (input, options, chain) {
  return { ours: await raw(chain(ot.image(input, options))), ref: await raw(chain(sharp(input, options))) }
}

/** Same size, channels and bytes as sharp's. */
function same (t, { ours, ref }, label) {
  t.deepEqual(shape(ours.info), shape(ref.info), `${label}: width, height, channels as sharp's`)
  const d = diff(ours.data, ref.data, 0)
  t.is(d.over, 0, `${label}: ${d.over} of ${ours.data.length} bytes differ from sharp's (max ${d.max}, first at byte ${d.first}: ${ours.data[d.first]} vs ${ref.data[d.first]})`)
}

/** Asserts `chain` gives sharp's exact bytes on `input`. */
async function exact (t, input, options, chain, label) {
  same(t, await both(input, options, chain), label)
}

// Bases: 40×30 opaque (raw RGBA), 48×40 translucent (under 128×128, so libvips's premultiplied round trip covers
// the whole base as it does here; a larger translucent base differs from sharp away from the layers, see composite.rs).
const OPAQUE = [noise(40, 30, 4, 1, { opaque: true }), rawOf(40, 30, 4)]
const TRANSLUCENT = [noise(48, 40, 4, 2), rawOf(48, 40, 4)]
const MODES = Object.keys(sharp.blend).filter((name) => !name.startsWith('color-'))

test('every blend mode, over an opaque and a translucent base: sharp\'s bytes', async (t) => {
  t.is(MODES.length, 25, 'libvips\'s 25 modes')
  for (const blend of MODES) {
    // Partly off the base at the top left, so uncovered pixels (cleared by clear, in, out…) count too.
    const layer = rawLayer(23, 17, 3, { blend, left: -5, top: 4 })
    await exact(t, ...OPAQUE, (i) => i.composite([layer]), `${blend} over an opaque base`)
    await exact(t, ...TRANSLUCENT, (i) => i.composite([{ ...layer, left: 30, top: 28 }]), `${blend} over a translucent base`)
  }
  for (const alias of ['color-dodge', 'color-burn']) {
    const colour = alias.replace('color', 'colour')
    const a = await raw(ot.image(...TRANSLUCENT).composite([rawLayer(23, 17, 4, { blend: alias })]))
    const b = await raw(ot.image(...TRANSLUCENT).composite([rawLayer(23, 17, 4, { blend: colour })]))
    t.true(a.data.equals(b.data), `${alias} is ${colour}`)
    await exact(t, ...TRANSLUCENT, (i) => i.composite([rawLayer(23, 17, 4, { blend: alias })]), alias)
  }
})

test('placement: the 9 gravities by name and number, offsets on and off the base, as sharp', async (t) => {
  // 40×30 base, 13×9 layer: odd margins (27, 21), so a centred layer shows which way it rounds.
  const layer = rawLayer(13, 9, 5)
  for (const gravity of [...Object.keys(sharp.gravity), 0, 1, 2, 3, 4, 5, 6, 7, 8]) {
    await exact(t, ...OPAQUE, (i) => i.composite([{ ...layer, gravity }]), `gravity ${gravity}`)
  }
  const offsets = [[0, 0], [3, 5], [27, 21], [-5, -4], [35, 25], [-12, 26], [39, -8], [40, 30], [-13, -9], [1000, -1000]]
  for (const [left, top] of offsets) {
    await exact(t, ...OPAQUE, (i) => i.composite([{ ...layer, left, top }]), `left ${left}, top ${top}`)
    // An offset wins over a gravity.
    await exact(t, ...OPAQUE, (i) => i.composite([{ ...layer, left, top, gravity: 'southeast' }]), `left ${left}, top ${top} with a gravity`)
  }
})

test('tile: repeated across the base, windowed by gravity or offset, as sharp', async (t) => {
  const layers = { '13×9': rawLayer(13, 9, 6), '40×7 (full width)': rawLayer(40, 7, 7), '1×1': rawLayer(1, 1, 8), '40×30': rawLayer(40, 30, 9) }
  for (const [name, layer] of Object.entries(layers)) {
    for (const gravity of ['centre', 'north', 'east', 'south', 'west', 'northeast', 'southeast', 'southwest', 'northwest']) {
      await exact(t, ...OPAQUE, (i) => i.composite([{ ...layer, tile: true, gravity }]), `${name} tiled, ${gravity}`)
    }
    for (const [left, top] of [[0, 0], [5, 7], [12, 8], [39, 29], [1000, 1000]]) {
      await exact(t, ...OPAQUE, (i) => i.composite([{ ...layer, tile: true, left, top }]), `${name} tiled at ${left}, ${top}`)
    }
  }
  await exact(t, ...TRANSLUCENT, (i) => i.composite([rawLayer(13, 9, 6, { tile: true, blend: 'multiply' })]), 'tiled multiply over a translucent base')
})

test('premultiplied: true unpremultiplies the layer first, as sharp', async (t) => {
  const data = noise(17, 13, 4, 10)
  const premultiplied = Buffer.from(data)
  for (let i = 0; i < premultiplied.length; i += 4) {
    for (let k = 0; k < 3; k++) premultiplied[i + k] = Math.round((premultiplied[i + k] * premultiplied[i + 3]) / 255)
  }
  for (const [name, input] of Object.entries({ 'colours ≤ alpha': premultiplied, 'colours above alpha': data })) {
    for (const blend of ['over', 'multiply', 'dest-over', 'xor']) {
      const layer = { input, ...rawOf(17, 13, 4), premultiplied: true, blend, gravity: 'northeast' }
      await exact(t, ...OPAQUE, (i) => i.composite([layer]), `${name}, ${blend}, opaque base`)
      await exact(t, ...TRANSLUCENT, (i) => i.composite([layer]), `${name}, ${blend}, translucent base`)
    }
  }
  const off = await raw(ot.image(...OPAQUE).composite([{ input: premultiplied, ...rawOf(17, 13, 4), premultiplied: false }]))
  const on = await raw(ot.image(...OPAQUE).composite([{ input: premultiplied, ...rawOf(17, 13, 4), premultiplied: true }]))
  t.false(off.data.equals(on.data), 'the flag changes the result')
})

test('layers from PNG (RGBA, grey), JPEG, a file, raw pixels and { create }, stacked: sharp\'s bytes', async (t) => {
  const png = await sharp(noise(21, 15, 4, 11), rawOf(21, 15, 4)).png().toBuffer()
  const grey = await sharp(noise(9, 30, 1, 12), rawOf(9, 30, 1)).png().toBuffer()
  const greyAlpha = await sharp(noise(12, 12, 2, 13), rawOf(12, 12, 2)).png().toBuffer()
  const jpeg = await encodedCard(24, 16, 'jpeg', 3)
  const file = tmp('composite-layer.png')
  fs.writeFileSync(file, png)
  const items = {
    'RGBA PNG': { input: png, gravity: 'southwest' },
    'RGBA PNG as a Uint8Array': { input: new Uint8Array(png), gravity: 'northeast', blend: 'atop' },
    'grey PNG': { input: grey, gravity: 'east' },
    'grey + alpha PNG': { input: greyAlpha, left: 30, top: -3 },
    JPEG: { input: jpeg, left: 7, top: 11 },
    'file path': { input: file, blend: 'overlay' },
    'raw RGB': { input: noise(11, 7, 3, 14), ...rawOf(11, 7, 3) },
    'raw grey': { input: noise(11, 7, 1, 15), ...rawOf(11, 7, 1), gravity: 'north' },
    '{ create }': { input: { create: { width: 10, height: 8, channels: 4, background: 'rgba(200, 100, 50, 0.4)' } }, blend: 'screen' },
    '{ create } RGB, tiled': { input: { create: { width: 6, height: 5, channels: 3, background: '#3366cc' } }, tile: true, blend: 'difference' }
  }
  for (const [name, item] of Object.entries(items)) {
    await exact(t, ...OPAQUE, (i) => i.composite([item]), `${name} layer`)
    await exact(t, ...TRANSLUCENT, (i) => i.composite([item]), `${name} layer, translucent base`)
  }
  // A JPEG has no alpha: in the area it covers, the output is the JPEG's own pixels, opaque.
  const decoded = await raw(ot.image(jpeg))
  const out = await raw(ot.image(...OPAQUE).composite([items.JPEG]))
  const covered = Buffer.alloc(24 * 16 * 4)
  for (let y = 0; y < 16; y++) out.data.copy(covered, y * 24 * 4, ((y + 11) * 40 + 7) * 4, ((y + 11) * 40 + 7 + 24) * 4)
  t.true(covered.equals(toRGBA(decoded.data, decoded.info.channels)), 'the JPEG covers what is below it')

  // autoOrient (false for a layer by default, as in sharp): an EXIF orientation 6 JPEG stands up only when asked.
  const sideways = await sharp(fix('exif', 'Landscape_1.jpg')).resize(30, 24, { fit: 'fill' }).withMetadata({ orientation: 6 }).jpeg().toBuffer()
  for (const autoOrient of [undefined, false, true]) {
    await exact(t, ...OPAQUE, (i) => i.composite([{ input: sideways, autoOrient, gravity: 'northwest' }]), `orientation 6, autoOrient ${autoOrient}`)
  }

  const stack = [items['RGBA PNG'], { ...items['{ create }'], gravity: 'northwest' }, { ...items['raw RGB'], blend: 'exclusion', left: 15, top: 10 }]
  await exact(t, ...OPAQUE, (i) => i.composite(stack), 'three layers, over / screen / exclusion')
  await exact(t, ...TRANSLUCENT, (i) => i.composite(stack), 'three layers over a translucent base')
})

test('bases without alpha get it, as in sharp: RGB, grey, grey + alpha, PNG and { create } bases give 4 channels', async (t) => {
  const layer = rawLayer(17, 13, 16, { blend: 'soft-light' })
  const bases = {
    'raw RGB': [noise(40, 30, 3, 17), rawOf(40, 30, 3)],
    'raw grey': [noise(40, 30, 1, 18), rawOf(40, 30, 1)],
    'raw grey + alpha': [noise(40, 30, 2, 19), rawOf(40, 30, 2)],
    'RGB PNG': [await encodedCard(40, 30, 'png', 3)],
    'grey PNG': [await sharp(noise(40, 30, 1, 20), rawOf(40, 30, 1)).png().toBuffer()],
    '{ create } RGB': [{ create: { width: 40, height: 30, channels: 3, background: '#808040' } }],
    '{ create } RGBA': [{ create: { width: 40, height: 30, channels: 4, background: { r: 9, g: 99, b: 199, alpha: 0.6 } } }]
  }
  for (const [name, [input, options]] of Object.entries(bases)) {
    const r = await both(input, options, (i) => i.composite([layer]))
    same(t, r, `${name} base`)
    t.is(r.ours.info.channels, 4, `${name} base: RGBA out`)
  }
})

/** A smooth RGB PNG (gradients and a slow wave): resamplers agree on it within a few levels. */
function smoothPng (width, height) {
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      data[i] = x * 4
      data[i + 1] = y * 5
      data[i + 2] = 128 + Math.round(100 * Math.sin((x + y) / 6))
    }
  }
  return sharp(data, rawOf(width, height, 3)).png().toBuffer()
}

const LAYERS = [rawLayer(30, 20, 21, { gravity: 'southeast' }), rawLayer(9, 9, 22, { blend: 'multiply', tile: true })]

/** `d` (ours vs sharp after `chain` + composite) is no worse than `d0` (ours vs sharp after `chain` alone). */
function noWorse (t, d, d0, label) {
  t.true(d.max <= Math.max(d0.max, 1) && d.mean <= d0.mean + 0.05,
    `${label}: max ${d.max}, mean ${d.mean.toFixed(3)} from sharp (without the layers: max ${d0.max}, mean ${d0.mean.toFixed(3)})`)
}

test('resize, then the layers on the resized image: exactly our resize + composite, within the resize\'s difference of sharp', async (t) => {
  const input = await smoothPng(64, 48)
  for (const [name, resize] of Object.entries({
    'resize(100, 75, fill)': (i) => i.resize(100, 75, { fit: 'fill' }),
    'resize(30, 20, fill)': (i) => i.resize(30, 20, { fit: 'fill' }),
    'resize(90, 90, contain, translucent)': (i) => i.resize(90, 90, { fit: 'contain', background: 'rgba(255, 0, 0, 0.25)' })
  })) {
    // Exact against our own resize handed over as raw pixels.
    const ours = await raw(resize(ot.image(input)).composite(LAYERS))
    const resized = await raw(resize(ot.image(input)))
    const twoStep = await raw(ot.image(resized.data, rawOf(...shape(resized.info))).composite(LAYERS))
    t.deepEqual(shape(ours.info), shape(twoStep.info), `${name}: shape as resize → raw → composite`)
    t.true(ours.data.equals(twoStep.data), `${name} + composite: our resize's pixels, then the layers`)
    // Against sharp: our resampler rounds differently (up to 13 levels here, upscaling); the layers add nothing to that.
    const alone = await both(input, undefined, resize)
    const r = await both(input, undefined, (i) => resize(i).composite(LAYERS))
    t.deepEqual(shape(r.ours.info), shape(r.ref.info), `${name}: shape as sharp's`)
    noWorse(t, diff(r.ours.data, r.ref.data, 0), diff(toRGBA(alone.ours.data, alone.ours.info.channels), toRGBA(alone.ref.data, alone.ref.info.channels), 0), name)
  }
})

test('extend before the layers, negate after them, as sharp; grayscale before them', async (t) => {
  const card = await encodedCard(64, 48, 'png', 3)
  for (const input of [card, await encodedCard(40, 30, 'png', 4)]) {
    const extend = { top: 3, left: 5, bottom: 2, right: 1, background: { r: 10, g: 200, b: 30, alpha: 0.5 } }
    await exact(t, input, undefined, (i) => i.extend(extend).composite(LAYERS), 'extend (translucent background) + composite')
    await exact(t, input, undefined, (i) => i.extend({ ...extend, extendWith: 'mirror' }).composite(LAYERS), 'extend (mirror) + composite')
    await exact(t, input, undefined, (i) => i.composite(LAYERS).negate(), 'composite + negate()')
    await exact(t, input, undefined, (i) => i.negate({ alpha: false }).composite(LAYERS), 'negate({ alpha: false }) + composite')
  }
  // grayscale: the base turns grey first, the layers stay in colour, the result is RGBA. sharp's raw output keeps
  // only band 0 when greyscale() was asked for (pipeline.cc, "Extract first band for greyscale image"), a quirk not
  // copied (README): compare the PNGs, decoded by sharp. Our grey is not libvips's b-w (up to 57 levels apart on
  // this card, image-ops.spec.js holds only the mean), so: exact against our grey handed over as raw pixels, and
  // no further from sharp than grayscale() alone.
  const chain = (i) => i.grayscale().composite(LAYERS)
  const ours = await raw(chain(ot.image(card)))
  t.is(ours.info.channels, 4, 'grayscale + composite: 4 channels in raw output')
  const grey = await raw(ot.image(card).grayscale())
  const twoStep = await raw(ot.image(grey.data, rawOf(...shape(grey.info))).composite(LAYERS))
  t.true(ours.data.equals(twoStep.data), 'grayscale + composite: our grey, then the layers')
  const png = async (p) => raw(sharp(await chain(p).png().toBuffer()))
  const r = { ours: await png(ot.image(card)), ref: await png(sharp(card)) }
  t.deepEqual(shape(r.ours.info), shape(r.ref.info), 'grayscale + composite, as PNG: RGBA as sharp\'s')
  const alone = await both(card, undefined, (i) => i.grayscale())
  noWorse(t, diff(r.ours.data, r.ref.data, 0), diff(toRGBA(alone.ours.data, 1), toRGBA(alone.ref.data, 1), 0), 'grayscale + composite, as PNG')
})

test('image({ create }): one colour in 3 or 4 channels, raw by default, PNG as sharp\'s', async (t) => {
  const backgrounds = ['#ff8000', 'teal', 'transparent', 'rgba(10, 20, 30, 0.5)', { r: 200, g: 100, b: 50, alpha: 0.25 }, { r: 1, g: 2, b: 3 }]
  for (const background of backgrounds) {
    for (const channels of [3, 4]) {
      const create = { width: 7, height: 5, channels, background }
      const label = `create ${channels} channels, ${JSON.stringify(background)}`
      const ours = await ot.image({ create }).toBuffer({ resolveWithObject: true })
      const ref = await sharp({ create }).toBuffer({ resolveWithObject: true })
      t.is(ours.info.format, 'raw', `${label}: raw by default`)
      same(t, { ours, ref }, label)
      const png = await ot.image({ create }).png().toBuffer({ resolveWithObject: true })
      t.is(png.info.format, 'png', `${label}: png`)
      same(t, { ours: await raw(sharp(png.data)), ref: await raw(sharp({ create })) }, `${label}, as PNG`)
    }
  }
  const red = (await ot.image({ create: { width: 2, height: 1, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).toBuffer())
  t.deepEqual([...red], [255, 0, 0, 128, 255, 0, 0, 128], 'alpha 0.5 is 128')
})

test('image(buffer, { raw }): as sharp for 1–4 channels; a longer buffer is read up to its size', async (t) => {
  for (const channels of [1, 2, 3, 4]) {
    const data = noise(9, 6, channels, 30 + channels)
    // sharp reads 1 and 2 channels as b-w and writes sRGB: 3 or 4 channels out, as it (and offthread) does for a grey PNG.
    await exact(t, data, rawOf(9, 6, channels), (i) => i, `${channels} channels, no operation`)
    const padded = Buffer.concat([data, Buffer.alloc(5, 7)])
    await exact(t, padded, rawOf(9, 6, channels), (i) => i.negate({ alpha: false }), `${channels} channels, 5 bytes too many, negate`)
    if (channels >= 3) t.true((await raw(ot.image(padded, rawOf(9, 6, channels)))).data.equals(data), `${channels} channels: the bytes as given`)
  }
})

test('bad arguments and inputs: Node\'s codes, sharp\'s messages', async (t) => {
  const base = () => ot.image(...OPAQUE)
  const small = rawLayer(5, 5, 40)
  await rejects(t, () => base().composite([rawLayer(41, 10, 41)]).toBuffer(), ERR.value, { message: /same dimensions or smaller/ })
  await rejects(t, () => base().composite([rawLayer(10, 31, 42)]).toBuffer(), ERR.value, { message: /same dimensions or smaller/ })
  await rejects(t, () => base().composite([small, rawLayer(40, 31, 42, { tile: true })]).toBuffer(), ERR.value, { message: /same dimensions or smaller/ })
  throws(t, () => base().composite([{ ...small, blend: 'nope' }]), ERR.value, { message: /blend.*nope|nope.*blend/ })
  throws(t, () => base().composite([{ ...small, blend: 3 }]), ERR.type)
  throws(t, () => base().composite([{ ...small, left: 3 }]), ERR.value, { message: /both left and top/ })
  throws(t, () => base().composite([{ ...small, top: 3 }]), ERR.value, { message: /both left and top/ })
  throws(t, () => base().composite([{ ...small, left: 1e9, top: 0 }]), ERR.range, { message: /for left/ })
  throws(t, () => base().composite([{ ...small, left: 0, top: -1e9 }]), ERR.range, { message: /for top/ })
  throws(t, () => base().composite([{ ...small, left: 2.5, top: 0 }]), ERR.range, { message: /integer/ })
  throws(t, () => base().composite([{ ...small, left: '2', top: 0 }]), ERR.type)
  throws(t, () => base().composite([{ ...small, left: -1, top: 0, tile: true }]), ERR.range, { message: /tiled/ })
  throws(t, () => base().composite([{ ...small, left: 0, top: -1, tile: true }]), ERR.range, { message: /tiled/ })
  throws(t, () => base().composite(small), ERR.type, { message: /array/ })
  throws(t, () => base().composite(), ERR.type)
  throws(t, () => base().composite([{ ...small, blnd: 'over' }]), ERR.value, { message: /blnd/ })
  throws(t, () => base().composite([{}]), ERR.type)
  throws(t, () => base().composite([{ ...small, gravity: 'up' }]), ERR.value)
  throws(t, () => base().composite([{ ...small, gravity: 9 }]), ERR.range)
  throws(t, () => base().composite([{ ...small, tile: 'yes' }]), ERR.type)
  throws(t, () => base().composite([{ ...small, premultiplied: 1 }]), ERR.type)
  throws(t, () => base().composite([{ input: 'layer.png', ...rawOf(5, 5, 4) }]), ERR.value, { message: /Buffer/ })
  throws(t, () => base().composite([{ ...small, raw: { width: 5, height: 5, channels: 5 } }]), ERR.range)
  // Raw pixels shorter than width × height × channels: refused when run, base or layer.
  await rejects(t, () => base().composite([{ input: Buffer.alloc(99), ...rawOf(5, 5, 4) }]).toBuffer(), ERR.value, { message: /100 bytes/ })
  await rejects(t, () => ot.image(Buffer.alloc(99), rawOf(5, 5, 4)).toBuffer(), ERR.value, { message: /100 bytes/ })
  // create: channels 3 or 4 (sharp's range), a background required, no noise images.
  throws(t, () => ot.image({ create: { width: 5, height: 5, channels: 2, background: 'red' } }), ERR.range, { message: /channels/ })
  throws(t, () => ot.image({ create: { width: 5, height: 5, channels: 3 } }), ERR.value, { message: /background/ })
  throws(t, () => ot.image({ create: { width: 0, height: 5, channels: 3, background: 'red' } }), ERR.range)
  throws(t, () => base().composite([{ input: { create: { width: 5, height: 5, channels: 2, background: 'red' } } }]), ERR.range)
  throws(t, () => base().composite([{ input: { create: { width: 5, height: 5, channels: 4 } } }]), ERR.value, { message: /background/ })
  await rejects(t, () => ot.image({ create: { width: 5, height: 5, channels: 3, background: 'red' } }).metadata(), ERR.value)
  throws(t, () => ot.image({ create: { width: 5, height: 5, channels: 3, background: 'red' }, raw: rawOf(5, 5, 3).raw }), ERR.value, { message: /raw/ })
})

test('JPEG output: an RGB base is blended in three channels, the colours of the RGBA result', async (t) => {
  // Core skips widening the photo to RGBA when the output drops alpha; what JPEG gets must not change.
  const [photo, options] = [noise(64, 48, 3, 60), rawOf(64, 48, 3)]
  for (const blend of ['over', 'xor', 'multiply', 'dest-out', 'in']) {
    const layers = [rawLayer(20, 16, 61, { blend, gravity: 'southeast' }), rawLayer(9, 9, 62, { left: -3, top: 2 })]
    const jpeg = await ot.image(photo, options).composite(layers).jpeg().toBuffer()
    const rgba = await raw(ot.image(photo, options).composite(layers))
    t.is(rgba.info.channels, 4)
    const rgb = Buffer.alloc(64 * 48 * 3)
    for (let i = 0, j = 0; i < rgba.data.length; i += 4, j += 3) rgba.data.copy(rgb, j, i, i + 3)
    const viaRgba = await ot.image(rgb, options).jpeg().toBuffer()
    t.true(jpeg.equals(viaRgba), `${blend}: the same JPEG as the RGBA result without its alpha`)
  }
})

test('pixel limits, corrupt and missing layers: the image pipeline\'s codes', async (t) => {
  // Before anything is allocated: a create of 10^10 pixels, as the base or as a layer.
  const huge = { width: 100000, height: 100000, channels: 3, background: 'red' }
  const start = Date.now()
  await rejects(t, () => ot.image({ create: huge }).toBuffer(), ERR.imageTooLarge, { message: /pixel limit/ })
  await rejects(t, () => ot.image(...OPAQUE).composite([{ input: { create: huge } }]).toBuffer(), ERR.imageTooLarge)
  t.true(Date.now() - start < 2000, `refused in ${Date.now() - start} ms`)
  // A layer whose header claims 20000×20000 (one row of data): refused from its header, as a base would be.
  await rejects(t, () => ot.image(...OPAQUE).composite([{ input: pngHeader(20000, 20000, { colorType: 6 }) }]).toBuffer(), ERR.imageTooLarge)
  // The image's limitInputPixels applies to each layer, before its placement is checked.
  const limited = (limitInputPixels) => ot.image(OPAQUE[0], { ...OPAQUE[1], limitInputPixels })
  const big = await sharp(noise(50, 50, 4, 43), rawOf(50, 50, 4)).png().toBuffer()
  await rejects(t, () => limited(1200).composite([{ input: big }]).toBuffer(), ERR.imageTooLarge, { message: /limitInputPixels is 1200/ })
  await rejects(t, () => limited(1200).composite([rawLayer(50, 50, 44)]).toBuffer(), ERR.imageTooLarge)
  await rejects(t, () => limited(1200).composite([{ input: { create: { ...huge, width: 50, height: 50 } } }]).toBuffer(), ERR.imageTooLarge)
  await rejects(t, () => limited(false).composite([{ input: big }]).toBuffer(), ERR.value, { message: /same dimensions or smaller/ })
  // Bytes that are no image, a truncated PNG, a missing file.
  await rejects(t, () => ot.image(...OPAQUE).composite([{ input: Buffer.from('not an image at all') }]).toBuffer(), ERR.imageFormat)
  const png = await sharp(noise(20, 20, 4, 45), rawOf(20, 20, 4)).png().toBuffer()
  await rejects(t, () => ot.image(...OPAQUE).composite([{ input: png.subarray(0, png.length >> 1) }]).toBuffer(), ERR.imageDecode)
  await rejects(t, () => ot.image(...OPAQUE).composite([{ input: tmp('no-such-layer.png') }]).toBuffer(), ERR.enoent)
})

test('a second composite() replaces the first, as sharp; composite([]) is no layer', async (t) => {
  const first = [rawLayer(20, 20, 50, { blend: 'difference' })]
  const second = [rawLayer(10, 10, 51, { gravity: 'northwest' })]
  const twice = await raw(ot.image(...OPAQUE).composite(first).composite(second))
  const once = await raw(ot.image(...OPAQUE).composite(second))
  t.true(twice.data.equals(once.data), 'only the second list')
  await exact(t, ...OPAQUE, (i) => i.composite(first).composite(second), 'twice, against sharp')
  await exact(t, ...OPAQUE, (i) => i.composite([]), 'composite([])')
})

test('clone() keeps the layers; toFile and thumbhash see them', async (t) => {
  const layers = [rawLayer(20, 15, 60, { blend: 'hard-light' }), { input: { create: { width: 40, height: 6, channels: 3, background: 'white' } }, gravity: 'south' }]
  const pipeline = ot.image(...OPAQUE).composite(layers)
  const copy = pipeline.clone()
  copy.composite([]) // changing the copy's layers leaves the original's
  const ref = await raw(sharp(...OPAQUE).composite(layers))
  same(t, { ours: await raw(pipeline), ref }, 'original after its clone changed')
  same(t, { ours: await raw(pipeline.clone()), ref }, 'clone')
  same(t, { ours: await raw(copy), ref: await raw(sharp(...OPAQUE)) }, 'the clone with no layers')

  const file = tmp('composite-out.png')
  const info = await ot.image(...OPAQUE).composite(layers).toFile(file)
  t.deepEqual([info.format, info.width, info.height, info.channels], ['png', 40, 30, 4], 'toFile: PNG, RGBA')
  same(t, { ours: await raw(sharp(file)), ref }, 'toFile, read back')

  const hash = await ot.image(...OPAQUE).composite(layers).thumbhash()
  const flat = await ot.image(ref.data, rawOf(40, 30, 4)).thumbhash()
  t.is(hash, flat, 'thumbhash of the composite is the thumbhash of its pixels')
  t.not(hash, await ot.image(...OPAQUE).thumbhash(), 'and not the base\'s')
})

test('an AbortSignal already aborted rejects with ABORT_ERR', async (t) => {
  const signal = AbortSignal.abort()
  const layers = [rawLayer(20, 15, 70)]
  await aborted(t, () => ot.image(...OPAQUE).composite(layers).toBuffer({ signal }), signal, 'toBuffer({ signal })')
  await aborted(t, () => ot.image(OPAQUE[0], { ...OPAQUE[1], signal }).composite(layers).toBuffer(), signal, 'image(…, { signal })')
  await aborted(t, () => ot.image({ create: { width: 9, height: 9, channels: 3, background: 'red' }, signal }).toBuffer(), signal, 'create, { signal }')
})
