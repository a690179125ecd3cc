'use strict'
// negate, gamma, threshold, extend, median, modulate, normalise and tint (issue 14, geometry and tone), against sharp on the same input:
// exact where libvips's arithmetic is exact (negate, extend in every mode, threshold without grey
// conversion), within a stated tolerance where a grey conversion or a resampler rounds differently.

const test = require('ava')
const { ot, sharp, fix, toRGBA, diff, encodedCard } = require('./helpers/image')
const { ERR, rejects, throws } = require('./helpers/errors')

const raw = (pipeline) => pipeline.raw().toBuffer({ resolveWithObject: true })

/** Runs `chain` on ours and on sharp; returns both raw outputs and their RGBA difference at `tolerance`. */
async function against (input, chain, tolerance = 0) {
  const ours = await raw(chain(ot.image(input)))
  const ref = await raw(chain(sharp(input)))
  const a = toRGBA(ours.data, ours.info.channels)
  const d = diff(a, toRGBA(ref.data, ref.info.channels), tolerance)
  d.count = a.length
  return { ours, ref, d }
}

function sameShape (t, { ours, ref }, label) {
  // sharp's info gives the post-resize extract's size even when extend() grew the image after it
  // (its data is the extended image): compare the data's length there.
  if (label.includes('after resize and extract')) return t.is(ours.data.length, ref.data.length, `${label}: as many bytes as sharp's`)
  t.deepEqual([ours.info.width, ours.info.height, ours.info.channels], [ref.info.width, ref.info.height, ref.info.channels], `${label}: size and channels as sharp's`)
}

test('negate(): 255 − value on every channel, alpha too unless { alpha: false }; exactly sharp\'s', async (t) => {
  for (const channels of [1, 2, 3, 4]) {
    const input = await encodedCard(48, 32, 'png', channels)
    for (const [label, chain] of Object.entries({
      'negate()': (i) => i.negate(),
      'negate(true)': (i) => i.negate(true),
      'negate({ alpha: false })': (i) => i.negate({ alpha: false }),
      'negate({ alpha: true })': (i) => i.negate({ alpha: true })
    })) {
      const r = await against(input, chain)
      sameShape(t, r, `${channels} channels, ${label}`)
      t.is(r.d.over, 0, `${channels} channels, ${label}: ${r.d.over} values differ (max ${r.d.max})`)
    }
    const off = await raw(ot.image(input).negate().negate(false))
    const plain = await raw(ot.image(input))
    t.true(off.data.equals(plain.data), 'negate(false) turns it off')
  }
})

test('gamma(): darkened before the resize and brightened after, as sharp; alpha untouched', async (t) => {
  // The photo as PNG: a JPEG would be decoded at a DCT scale without gamma but not with it (in sharp as
  // here), and the baseline below must resample the same pixels.
  const photo = await sharp(fix('exif', 'Landscape_1.jpg')).png().toBuffer()
  const card = await encodedCard(96, 64, 'png', 4)
  const cases = {
    'gamma() alone (round trip)': [card, (i) => i.gamma(), 0],
    'gamma(2.2, 1.2) alone': [card, (i) => i.gamma(2.2, 1.2), 0],
    'gamma(2.2) + resize': [card, (i) => i.gamma(2.2).resize(40, 27, { fit: 'fill' }), 3, (i) => i.resize(40, 27, { fit: 'fill' })],
    'gamma(1.5, 2.8) + resize': [card, (i) => i.gamma(1.5, 2.8).resize(40, 27, { fit: 'fill' }), 3, (i) => i.resize(40, 27, { fit: 'fill' })],
    'photo: gamma() + resize(300)': [photo, (i) => i.gamma().resize(300), 3, (i) => i.resize(300)]
  }
  for (const [label, [input, chain, tolerance, resize]] of Object.entries(cases)) {
    const r = await against(input, chain, tolerance)
    sameShape(t, r, label)
    // Measured against the same pipeline without gamma: what the resamplers' own rounding differs by.
    const base = resize === undefined ? { mean: 0 } : (await against(input, resize, tolerance)).d
    t.true(r.d.mean <= base.mean + 0.5, `${label}: mean difference ${r.d.mean.toFixed(3)} (without gamma ${base.mean.toFixed(3)})`)
    // Without a resize both pipelines use the same 8-bit tables: exact. With one, a resampler's ±1 in the
    // darkened image becomes up to ±20 in the shadows once brightened, so only the mean is held.
    if (resize === undefined) t.is(r.d.over, 0, `${label}: ${r.d.over} of ${r.d.count} values differ (max ${r.d.max})`)
  }
  // gammaOut below gamma darkens overall, above it brightens: the operation is not a no-op.
  const plain = await raw(ot.image(card).resize(40, 27, { fit: 'fill' }))
  const darker = await raw(ot.image(card).gamma(2.2, 1.0).resize(40, 27, { fit: 'fill' }))
  const sum = (b) => b.reduce((a, x) => a + x, 0)
  t.true(sum(darker.data) < sum(plain.data) * 0.8, 'gamma(2.2, 1) darkens')
})

test('threshold(): 255 at or above the level, 0 below; grey first by default, each channel with an options object', async (t) => {
  for (const channels of [3, 4]) {
    const input = await encodedCard(64, 40, 'png', channels)
    // Without grey conversion it is a comparison per byte: exact.
    for (const [label, chain] of Object.entries({
      'threshold(100, {})': (i) => i.threshold(100, {}),
      'threshold(200, { grayscale: false })': (i) => i.threshold(200, { grayscale: false })
    })) {
      const r = await against(input, chain)
      sameShape(t, r, `${channels} channels, ${label}`)
      t.is(r.d.over, 0, `${channels} channels, ${label}: ${r.d.over} values differ`)
    }
    // With it, values are 0 or 255; core compares Rec. 709 luminance in linear light as libvips's b-w
    // does, so only a pixel whose grey value rounds right at the level may fall the other way.
    for (const [label, chain] of Object.entries({
      'threshold()': (i) => i.threshold(),
      'threshold(true)': (i) => i.threshold(true),
      'threshold(60, { greyscale: true })': (i) => i.threshold(60, { greyscale: true })
    })) {
      const r = await against(input, chain)
      sameShape(t, r, `${channels} channels, ${label}`)
      t.true(r.ours.data.every((v) => v === 0 || v === 255), `${label}: only 0 and 255`)
      t.true(r.d.over <= r.d.count * 0.005, `${channels} channels, ${label}: ${r.d.over} of ${r.d.count} values differ`)
    }
    const off = await raw(ot.image(input).threshold(0))
    t.is(off.info.channels, channels, 'threshold(0) is no operation (as sharp)')
    t.is((await raw(ot.image(input).threshold(false))).info.channels, channels, 'threshold(false) too')
  }
})

test('extend(): every extendWith mode, per side and all sides, pixel for pixel as sharp', async (t) => {
  const sides = { top: 3, bottom: 7, left: 11, right: 2 }
  for (const channels of [1, 3, 4]) {
    const input = await encodedCard(20, 14, 'png', channels)
    const chains = {
      'extend(5)': (i) => i.extend(5),
      'background (default black)': (i) => i.extend(sides),
      'background colour': (i) => i.extend({ ...sides, background: '#3366cc' }),
      'background translucent': (i) => i.extend({ ...sides, background: { r: 10, g: 200, b: 30, alpha: 0.5 } }),
      copy: (i) => i.extend({ ...sides, extendWith: 'copy' }),
      repeat: (i) => i.extend({ ...sides, extendWith: 'repeat' }),
      mirror: (i) => i.extend({ ...sides, extendWith: 'mirror' }),
      'mirror, wider than the image': (i) => i.extend({ top: 30, left: 45, extendWith: 'mirror' }),
      'repeat, wider than the image': (i) => i.extend({ bottom: 29, right: 41, extendWith: 'repeat' }),
      'after resize and extract': (i) => i.resize(40, 28, { kernel: 'nearest' }).extract({ left: 2, top: 2, width: 30, height: 20 }).extend({ left: 4, bottom: 6, extendWith: 'copy' })
    }
    for (const [label, chain] of Object.entries(chains)) {
      // A grey background is converted as libvips converts it (Rec. 709 weights), which may round by one.
      // The resize premultiplies alpha in sharp, which moves values by up to 2 (as in image-ops.spec.js).
      const tolerance = label.includes('resize') ? 2 : channels === 1 && label.startsWith('background') ? 1 : 0
      const r = await against(input, chain, tolerance)
      sameShape(t, r, `${channels} channels, ${label}`)
      t.is(r.d.over, 0, `${channels} channels, ${label}: ${r.d.over} values differ (max ${r.d.max})`)
    }
  }
})

test('extend() of a photo to JPEG: the output decodes to sharp\'s size, its border as sharp\'s', async (t) => {
  const photo = fix('exif', 'Landscape_1.jpg')
  const chain = (i) => i.resize(200).extend({ top: 10, bottom: 10, left: 20, right: 20, extendWith: 'mirror' })
  const ours = await chain(ot.image(photo)).jpeg().toBuffer({ resolveWithObject: true })
  const ref = await chain(sharp(photo)).jpeg().toBuffer({ resolveWithObject: true })
  t.deepEqual([ours.info.width, ours.info.height], [ref.info.width, ref.info.height])
  const a = await sharp(ours.data).raw().toBuffer()
  const b = await sharp(ref.data).raw().toBuffer()
  const d = diff(a, b, 12)
  t.true(d.mean < 3, `mean difference after JPEG ${d.mean.toFixed(2)}`)
})

/** A one-channel grey PNG (sharp writes it from raw grey bytes). */
async function greyPng (width, height) {
  const data = Buffer.alloc(width * height)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 256
  return sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer()
}

test('modulate(): brightness, saturation, hue and lightness in LCh within 1 of sharp\'s, on colour, alpha, grey and a photo', async (t) => {
  const inputs = {
    'RGBA card': await encodedCard(64, 40, 'png', 4),
    'grey (1 channel)': await greyPng(40, 30),
    photo: await sharp(fix('exif', 'Landscape_1.jpg')).resize(300).png().toBuffer()
  }
  const cases = {
    'brightness 1.5': { brightness: 1.5 },
    'saturation 0.3': { saturation: 0.3 },
    'saturation 2': { saturation: 2 },
    'hue 90': { hue: 90 },
    'hue -400 (modulo 360)': { hue: -400 },
    'lightness 20': { lightness: 20 },
    'all four': { brightness: 0.8, saturation: 1.4, hue: 200, lightness: -5 }
  }
  for (const [name, input] of Object.entries(inputs)) {
    for (const [label, options] of Object.entries(cases)) {
      const r = await against(input, (i) => i.modulate(options), 1)
      sameShape(t, r, `${name}, ${label}`)
      t.is(r.d.over, 0, `${name}, ${label}: ${r.d.over} values off by more than 1 (max ${r.d.max})`)
      t.true(r.d.mean < 0.25, `${name}, ${label}: mean difference ${r.d.mean.toFixed(3)}`)
    }
  }
  // modulate({}) converts to LCh and back: the identity up to one step of rounding.
  const plain = await raw(ot.image(inputs.photo))
  const identity = await raw(ot.image(inputs.photo).modulate({}))
  t.is(diff(identity.data, plain.data, 1).over, 0, 'modulate({}) moves no value by more than 1')
})

test('normalise(): L* stretched between libvips\'s percentiles, within 1 of sharp\'s on low-contrast colour, alpha, grey and a photo', async (t) => {
  // Low contrast (values 60–150): a percentile off by one L* step would move values by several levels.
  const lowContrast = (channels) => {
    const data = Buffer.alloc(64 * 48 * channels)
    let s = 5
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff
      data[i] = channels === 4 && i % 4 === 3 ? i & 255 : 60 + (s % 90)
    }
    return sharp(data, { raw: { width: 64, height: 48, channels } }).png().toBuffer()
  }
  const inputs = {
    RGB: await lowContrast(3),
    'RGBA (alpha kept)': await lowContrast(4),
    'grey (1 channel)': await greyPng(40, 30),
    photo: await sharp(fix('exif', 'Landscape_1.jpg')).resize(300).png().toBuffer()
  }
  const cases = { default: undefined, '0–100 (min and max)': { lower: 0, upper: 100 }, '5–95': { lower: 5, upper: 95 }, '30–60': { lower: 30, upper: 60 }, '0–50': { lower: 0, upper: 50 }, '2.9–97.5 (truncated)': { lower: 2.9, upper: 97.5 } }
  for (const [name, input] of Object.entries(inputs)) {
    for (const [label, options] of Object.entries(cases)) {
      const r = await against(input, (i) => i.normalise(options), 1)
      sameShape(t, r, `${name}, ${label}`)
      t.is(r.d.over, 0, `${name}, ${label}: ${r.d.over} values off by more than 1 (max ${r.d.max})`)
    }
  }
  const alias = await raw(ot.image(inputs.RGB).normalize({ lower: 5, upper: 95 }))
  t.true(alias.data.equals((await raw(ot.image(inputs.RGB).normalise({ lower: 5, upper: 95 }))).data), 'normalize() is normalise()')
  // A flat image has no range to stretch: unchanged, as in sharp.
  const flat = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer()
  t.true((await raw(ot.image(flat).normalise())).data.equals((await raw(ot.image(flat))).data))
  const i = () => ot.image(inputs.RGB)
  throws(t, () => i().normalise({ lower: 50, upper: 50 }), ERR.value, { message: /lower to be less than upper/ })
  throws(t, () => i().normalise({ lower: 100 }), ERR.range)
  throws(t, () => i().normalise({ upper: 0 }), ERR.range)
  throws(t, () => i().normalise({ lower: '1' }), ERR.type)
  throws(t, () => i().normalise({ lowr: 1 }), ERR.value)
})

test('tint(): the colour\'s chroma on the luminance, as sharp (a table per grey level; mean within 0.4, no value off by more than 8)', async (t) => {
  const inputs = {
    'RGBA card': await encodedCard(64, 40, 'png', 4),
    'grey (1 channel)': await greyPng(40, 30),
    photo: await sharp(fix('exif', 'Landscape_1.jpg')).resize(300).png().toBuffer()
  }
  for (const [name, input] of Object.entries(inputs)) {
    for (const colour of ['#ff0000', { r: 20, g: 60, b: 200 }, 'rgba(250, 200, 0, 0.5)']) {
      const label = `${name}, tint(${JSON.stringify(colour)})`
      const r = await against(input, (i) => i.tint(colour), 8)
      sameShape(t, r, label)
      t.is(r.d.over, 0, `${label}: ${r.d.over} values off by more than 8 (max ${r.d.max})`)
      t.true(r.d.mean < 0.4, `${label}: mean difference ${r.d.mean.toFixed(3)}`)
    }
  }
})

test('median(): each channel\'s median over the window, pixel for pixel as sharp, odd and even sizes, edges included', async (t) => {
  const noisy = Buffer.alloc(40 * 30 * 4)
  let state = 7
  for (let i = 0; i < noisy.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0
    noisy[i] = state >>> 24
  }
  const inputs = {
    'RGBA noise': await sharp(noisy, { raw: { width: 40, height: 30, channels: 4 } }).png().toBuffer(),
    'RGB card': await encodedCard(48, 32, 'png', 3),
    'grey (1 channel)': await greyPng(40, 30)
  }
  for (const [name, input] of Object.entries(inputs)) {
    for (const [label, chain] of Object.entries({
      'median()': (i) => i.median(),
      'median(1)': (i) => i.median(1),
      'median(2)': (i) => i.median(2),
      'median(5)': (i) => i.median(5),
      'median(8)': (i) => i.median(8),
      'median(30), as tall as the image': (i) => i.median(30)
    })) {
      const r = await against(input, chain)
      sameShape(t, r, `${name}, ${label}`)
      t.is(r.d.over, 0, `${name}, ${label}: ${r.d.over} values differ (max ${r.d.max})`)
    }
  }
  // A window larger than the image: sharp says "rank: window too large"; here ERR_OUT_OF_RANGE.
  await t.throwsAsync(sharp(inputs['grey (1 channel)']).median(31).toBuffer(), { message: /window too large/ })
  await rejects(t, ot.image(inputs['grey (1 channel)']).median(31).toBuffer(), ERR.range)
})

test('bad arguments: Node\'s codes, sharp\'s ranges; an extend past limitInputPixels is refused before any work', async (t) => {
  const input = await encodedCard(20, 14, 'png', 3)
  const i = () => ot.image(input)
  throws(t, () => i().gamma(0.9), ERR.range)
  throws(t, () => i().gamma(2, 3.5), ERR.range)
  throws(t, () => i().gamma('2'), ERR.type)
  throws(t, () => i().threshold(256), ERR.range)
  throws(t, () => i().threshold(1.5), ERR.range)
  throws(t, () => i().threshold('128'), ERR.type)
  throws(t, () => i().threshold(128, { grayscale: 'yes' }), ERR.type)
  throws(t, () => i().threshold(128, { greyscal: true }), ERR.value)
  throws(t, () => i().negate(5), ERR.type)
  throws(t, () => i().negate({ alpha: 1 }), ERR.type)
  throws(t, () => i().negate({ alfa: false }), ERR.value)
  throws(t, () => i().extend(0), ERR.range)
  throws(t, () => i().extend(-1), ERR.range)
  throws(t, () => i().extend(100000001), ERR.range)
  throws(t, () => i().extend({ top: -1 }), ERR.range)
  throws(t, () => i().extend({ left: 2.5 }), ERR.range)
  throws(t, () => i().extend({ extendWith: 'wrap' }), ERR.value)
  throws(t, () => i().extend({ topp: 1 }), ERR.value)
  throws(t, () => i().extend('5'), ERR.type)
  throws(t, () => i().extend(), ERR.type)
  throws(t, () => i().extend({ background: 'nocolour' }), ERR.value)
  throws(t, () => i().modulate(), ERR.type)
  throws(t, () => i().modulate({ brightness: -1 }), ERR.range)
  throws(t, () => i().modulate({ saturation: '2' }), ERR.type)
  throws(t, () => i().modulate({ hue: 1.5 }), ERR.range)
  throws(t, () => i().modulate({ lightnes: 1 }), ERR.value)
  throws(t, () => i().median(0), ERR.range)
  throws(t, () => i().median(1001), ERR.range)
  throws(t, () => i().median(2.5), ERR.range)
  throws(t, () => i().median('3'), ERR.type)
  throws(t, () => i().tint(), ERR.type)
  throws(t, () => i().tint('not a colour'), ERR.value)
  // 20×14 grown by 100000000 on one side: refused from the plan, before decoding or allocating.
  await rejects(t, i().extend({ right: 100000000 }).toBuffer(), ERR.imageTooLarge)
  await rejects(t, ot.image(input, { limitInputPixels: 1000 }).extend(10).toBuffer(), ERR.imageTooLarge)
  t.is((await raw(ot.image(input, { limitInputPixels: 1000 }).extend(2))).info.width, 24, 'within the limit: fine')
})
