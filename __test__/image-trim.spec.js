'use strict'
// trim({ background, threshold, lineArt, margin }) (issue 14), against sharp on the same input: libvips's
// find_trim (alpha flattened onto the background, a 3×3 median unless lineArt, any channel past the threshold,
// a separate pass on alpha, the union of both boxes, sharp's margin) is integer arithmetic, so the box, the
// offsets and the pixels are compared exactly.

const test = require('ava')
const { lcg, ot, sharp, fix } = require('./helpers/image')
const { ERR, rejects, throws } = require('./helpers/errors')

const raw = (pipeline) => pipeline.raw().toBuffer({ resolveWithObject: true })
const box = ({ info }) => [info.trimOffsetLeft, info.trimOffsetTop, info.width, info.height, info.channels]

/** A `width`×`height` image of a (noisy) background colour with up to three blobs of other colours. */
function scene (rnd, channels) {
  const [width, height] = [5 + Math.floor(rnd() * 60), 5 + Math.floor(rnd() * 60)]
  const bg = Array.from({ length: channels }, () => Math.floor(rnd() * 256))
  if (channels % 2 === 0 && rnd() < 0.5) bg[channels - 1] = 0 // a transparent border
  const noise = rnd() < 0.5 ? Math.floor(rnd() * 30) : 0
  const blobs = Array.from({ length: Math.floor(rnd() * 4) }, () => ({
    x: Math.floor(rnd() * width), y: Math.floor(rnd() * height), w: 1 + Math.floor(rnd() * 6), h: 1 + Math.floor(rnd() * 6),
    colour: Array.from({ length: channels }, () => Math.floor(rnd() * 256))
  }))
  const data = Buffer.alloc(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const blob = blobs.findLast((b) => x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h)
      const colour = blob ? blob.colour : bg.map((v) => Math.max(0, Math.min(255, v + Math.round((rnd() - 0.5) * noise))))
      data.set(colour, (y * width + x) * channels)
    }
  }
  return { data, options: { raw: { width, height, channels } } }
}

test('random scenes in 1–4 channels, thresholds, line art and margins: sharp\'s box, offsets and pixels', async (t) => {
  const rnd = lcg(1)
  let trimmed = 0
  for (let k = 0; k < 240; k++) {
    const { data, options } = scene(rnd, 1 + (k % 4))
    const trim = { threshold: [0, 5, 10, 25][Math.floor(rnd() * 4)], lineArt: rnd() < 0.3, margin: rnd() < 0.3 ? Math.floor(rnd() * 10) : 0 }
    const label = `${JSON.stringify(options.raw)} ${JSON.stringify(trim)}`
    const ours = await raw(ot.image(data, options).trim(trim))
    const ref = await raw(sharp(data, options).trim(trim))
    t.deepEqual(box(ours), box(ref), label)
    t.true(ours.data.equals(ref.data), `${label}: pixels`)
    if (ref.info.width !== options.raw.width || ref.info.height !== options.raw.height) trimmed++
  }
  t.true(trimmed > 80, `${trimmed} of 240 scenes were trimmed`)
})

test('a photo with a white border: the border goes, the offsets are sharp\'s; a background colour and resize after', async (t) => {
  const photo = await sharp(fix('exif', 'Landscape_1.jpg')).resize(300).extend({ top: 17, bottom: 5, left: 30, right: 2, background: '#ffffff' }).png().toBuffer()
  for (const [label, chain] of Object.entries({
    'trim()': (i) => i.trim(),
    'trim({ background: white, threshold: 30 })': (i) => i.trim({ background: '#fff', threshold: 30 }),
    'trim({ margin: 3 }) then resize(100)': (i) => i.trim({ margin: 3 }).resize(100)
  })) {
    const ours = await raw(chain(ot.image(photo)))
    const ref = await raw(chain(sharp(photo)))
    t.deepEqual(box(ours), box(ref), label)
  }
  const { info } = await raw(ot.image(photo).trim())
  t.deepEqual([info.trimOffsetLeft, info.trimOffsetTop, info.width, info.height], [-30, -17, 300, 200])
  // Without trim(), no offsets are reported.
  t.false('trimOffsetLeft' in (await raw(ot.image(photo))).info)
})

test('an image that is all background is left whole, offsets 0; a JPEG path input trims with shrink-on-load off', async (t) => {
  const flat = Buffer.alloc(10 * 8 * 3, 200)
  const { info } = await raw(ot.image(flat, { raw: { width: 10, height: 8, channels: 3 } }).trim())
  t.deepEqual([info.trimOffsetLeft, info.trimOffsetTop, info.width, info.height], [0, 0, 10, 8])
  const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#fff' } })
    .composite([{ input: { create: { width: 100, height: 60, channels: 3, background: '#c03020' } }, left: 150, top: 90 }]).jpeg().toBuffer()
  const ours = await raw(ot.image(jpeg).trim({ threshold: 40 }).resize(50))
  const ref = await raw(sharp(jpeg).trim({ threshold: 40 }).resize(50))
  t.deepEqual(box(ours), box(ref))
})

test('bad options and inputs: Node\'s codes; limits checked again on the trimmed size', async (t) => {
  const i = () => ot.image(Buffer.alloc(48), { raw: { width: 4, height: 4, channels: 3 } })
  throws(t, () => i().trim({ threshold: -1 }), ERR.range)
  throws(t, () => i().trim({ threshold: Infinity }), ERR.range)
  throws(t, () => i().trim({ threshold: '1' }), ERR.type)
  throws(t, () => i().trim({ lineArt: 1 }), ERR.type)
  throws(t, () => i().trim({ margin: 1.5 }), ERR.range)
  throws(t, () => i().trim({ margin: 1e8 }), ERR.range)
  throws(t, () => i().trim({ background: 'nope' }), ERR.value)
  throws(t, () => i().trim({ colour: 'red' }), ERR.value)
  throws(t, () => i().trim('red'), ERR.type)
  // Too small for the median (libvips refuses a window larger than the image), unless line art.
  await rejects(t, () => ot.image(Buffer.alloc(12), { raw: { width: 2, height: 2, channels: 3 } }).trim().toBuffer(), ERR.range, { message: /3x3/ })
  t.is((await raw(ot.image(Buffer.alloc(12), { raw: { width: 2, height: 2, channels: 3 } }).trim({ lineArt: true }))).info.width, 2)
  // Animated input: not supported, as in sharp.
  await rejects(t, () => ot.image(fix('gif', 'anim-gr.gif'), { animated: true }).trim().gif().toBuffer(), ERR.value, { message: /animated/ })
  // A 4000×4 strip trimmed to its 4×4 dot, then resized to 4000 wide, would be 4000×4000: over the limit,
  // refused after the trim (the plan before it saw a 4000×4 image).
  const strip = Buffer.alloc(4000 * 4 * 3, 255)
  for (let y = 0; y < 4; y++) strip.fill(0, (y * 4000 + 1000) * 3, (y * 4000 + 1004) * 3)
  await rejects(t, () => ot.image(strip, { raw: { width: 4000, height: 4, channels: 3 }, limitInputPixels: 1_000_000 }).trim().resize(4000).toBuffer(), ERR.imageTooLarge)
})
