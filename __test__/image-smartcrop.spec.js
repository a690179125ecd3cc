'use strict'
// resize(w, h, { fit: 'cover', position: 'entropy' | 'attention' }) (issue 14): libvips's smartcrop, against
// sharp on scenes with one interesting blob (noise, a skin tone, a saturated red) on flat grey. Both strategies
// work on the resized image, whose pixels differ from libvips's by a level here and there (our Lanczos3), and
// attention scores a 32×32 reduction made by our resampler: the box is the same as sharp's in most scenes and
// never far off; the blob is always inside it.

const test = require('ava')
const { lcg, ot, sharp } = require('./helpers/image')
const { ERR, throws } = require('./helpers/errors')

const raw = (pipeline) => pipeline.raw().toBuffer({ resolveWithObject: true })

/** Flat grey with one `size`² blob: noise (kind 0), a skin tone (1) or saturated red (2). */
function scene (rnd, kind) {
  const [width, height] = [120 + Math.floor(rnd() * 300), 120 + Math.floor(rnd() * 300)]
  const data = Buffer.alloc(width * height * 3, 128)
  const size = 15 + Math.floor(rnd() * 30)
  const [bx, by] = [Math.floor(rnd() * (width - size)), Math.floor(rnd() * (height - size))]
  for (let y = by; y < by + size; y++) {
    for (let x = bx; x < bx + size; x++) {
      const colour = [[rnd() * 256, rnd() * 256, rnd() * 256], [224, 172, 140], [230, 20, 20]][kind]
      data.set(colour.map(Math.floor), (y * width + x) * 3)
    }
  }
  return { data, options: { raw: { width, height, channels: 3 } }, blob: { x: bx, y: by, size } }
}

test('entropy and attention: sharp\'s box in most scenes, within a few pixels in the others, the blob inside', async (t) => {
  const rnd = lcg(3)
  const tally = { entropy: { same: 0, n: 0 }, attention: { same: 0, n: 0 } }
  for (let k = 0; k < 45; k++) {
    const { data, options, blob } = scene(rnd, k % 3)
    const [w, h] = [40 + Math.floor(rnd() * 80), 40 + Math.floor(rnd() * 80)]
    for (const position of ['entropy', 'attention']) {
      if (position === 'entropy' && k % 3 !== 0) continue // a flat colour has no entropy to find
      const ours = await raw(ot.image(data, options).resize(w, h, { position }))
      const ref = await raw(sharp(data, options).resize(w, h, { position }))
      const label = `${position}, ${options.raw.width}×${options.raw.height} → ${w}×${h}`
      t.deepEqual([ours.info.width, ours.info.height], [w, h], label)
      const [ol, ot_, rl, rt] = [ours.info.cropOffsetLeft, ours.info.cropOffsetTop, ref.info.cropOffsetLeft, ref.info.cropOffsetTop]
      tally[position].n++
      if (ol === rl && ot_ === rt) tally[position].same++
      // Off by at most a step of the 32×32 reduction (attention) or a few pixels (entropy's slices).
      const scale = Math.min(options.raw.width / w, options.raw.height / h) // resized = input / scale
      const slack = position === 'attention' ? Math.ceil(Math.max(options.raw.width, options.raw.height) / scale / 32) + 1 : 3
      t.true(Math.abs(ol - rl) <= slack && Math.abs(ot_ - rt) <= slack, `${label}: (${ol}, ${ot_}) vs sharp's (${rl}, ${rt})`)
      // The blob's centre, in resized pixels, lies inside the box.
      const [cx, cy] = [(blob.x + blob.size / 2) / scale, (blob.y + blob.size / 2) / scale]
      t.true(cx >= -ol - 1 && cx <= -ol + w + 1 && cy >= -ot_ - 1 && cy <= -ot_ + h + 1, `${label}: blob at (${cx.toFixed(0)}, ${cy.toFixed(0)}) outside the box at (${-ol}, ${-ot_})`)
      if (position === 'entropy') t.deepEqual([ours.info.attentionX, ours.info.attentionY], [0, 0], 'entropy reports 0, 0 as sharp')
    }
  }
  t.log(`same box as sharp: entropy ${tally.entropy.same}/${tally.entropy.n}, attention ${tally.attention.same}/${tally.attention.n}`)
  t.true(tally.entropy.same >= tally.entropy.n * 0.8, `entropy: ${tally.entropy.same}/${tally.entropy.n}`)
  t.true(tally.attention.same >= tally.attention.n * 0.8, `attention: ${tally.attention.same}/${tally.attention.n}`)
})

test('sharp\'s numbers 16 and 17 are the strategies; no crop to make reports no offsets; other fits ignore the strategy', async (t) => {
  const { data, options } = scene(lcg(9), 0)
  const byName = await raw(ot.image(data, options).resize(60, 60, { position: 'attention' }))
  const byNumber = await raw(ot.image(data, options).resize(60, 60, { position: 17 }))
  t.true(byName.data.equals(byNumber.data))
  t.deepEqual(byNumber.info.cropOffsetLeft, byName.info.cropOffsetLeft)
  const entropy = await raw(ot.image(data, options).resize(60, 60, { position: 16 }))
  t.true(entropy.data.equals((await raw(ot.image(data, options).resize(60, 60, { position: 'entropy' }))).data))
  // The same aspect ratio: nothing to crop, nothing reported (as sharp).
  const exact = await raw(ot.image(data, options).resize(options.raw.width, options.raw.height, { position: 'entropy' }))
  t.false('cropOffsetLeft' in exact.info)
  const contain = await raw(ot.image(data, options).resize(60, 60, { fit: 'contain', position: 'attention' }))
  t.false('cropOffsetLeft' in contain.info)
  t.true(contain.data.equals((await raw(ot.image(data, options).resize(60, 60, { fit: 'contain' }))).data))
  throws(t, () => ot.image(data, options).resize(60, 60, { position: 'interesting' }), ERR.value)
  throws(t, () => ot.image(data, options).resize(60, 60, { position: 18 }), ERR.range)
})
