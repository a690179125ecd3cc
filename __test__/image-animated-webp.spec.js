'use strict'
// Animated WebP output (issue 14): with `animated: true` (or `pages: -1`), a GIF or animated WebP comes out as an
// animated WebP, every frame through the same pipeline, frame delays and the loop count kept (or set by
// webp({ loop, delay })). Checked with sharp as the decoder: page count, delays, loop and, with lossless WebP,
// every frame's pixels against sharp's own decode of the input.

const test = require('ava')
const { ot, sharp, fix } = require('./helpers/image')
const { ERR, throws } = require('./helpers/errors')

const meta = (buf) => sharp(buf, { animated: true }).metadata()

test('GIF → animated WebP: frames, delays and loop as sharp writes them; lossless frames are the input\'s', async (t) => {
  for (const name of ['gifplayer-muybridge.gif', 'image-rs-anim-mixed-disposal.gif', 'anim-gr.gif']) {
    const gif = fix('gif', name)
    const input = await meta(gif)
    const ours = await ot.image(gif, { animated: true }).webp({ lossless: true }).toBuffer({ resolveWithObject: true })
    const ref = await sharp(gif, { animated: true }).webp({ lossless: true }).toBuffer()
    const [got, want] = [await meta(ours.data), await meta(ref)]
    t.is(ours.info.pages, input.pages, `${name}: info.pages`)
    t.deepEqual([got.pages, got.pageHeight, got.width], [want.pages, want.pageHeight, want.width], `${name}: frames and size as sharp's`)
    t.deepEqual(got.delay, want.delay, `${name}: delays as sharp writes them (10 ms or less become 100)`)
    t.is(got.loop, want.loop, `${name}: loop`)
    // Every frame, decoded by sharp: the same RGBA as sharp's decode of the GIF.
    const frames = await sharp(ours.data, { animated: true }).ensureAlpha().raw().toBuffer()
    const source = await sharp(gif, { animated: true }).ensureAlpha().raw().toBuffer()
    t.true(frames.equals(source), `${name}: lossless frames equal the input's`)
  }
})

test('every frame is resized as one image; webp({ loop, delay }) set the loop and delays; pages: -1 is animated', async (t) => {
  const gif = fix('gif', 'gifplayer-muybridge.gif')
  const input = await meta(gif)
  const out = await ot.image(gif, { pages: -1 }).resize(64).webp({ loop: 3, delay: [40, 60] }).toBuffer({ resolveWithObject: true })
  const m = await meta(out.data)
  t.is(m.pages, input.pages)
  t.is(m.width, 64)
  t.is(m.pageHeight, Math.round(input.pageHeight * 64 / input.width))
  t.is(m.loop, 3)
  t.deepEqual(m.delay, [40, ...Array(input.pages - 1).fill(60)])
  // Each resized frame is close to sharp's resize of the same frame (lossy WebP: mean difference small).
  const ours = await sharp(out.data, { animated: true }).raw().toBuffer()
  const ref = await sharp(gif, { animated: true }).resize(64).raw().toBuffer()
  t.is(ours.length, ref.length)
  let sum = 0
  for (let i = 0; i < ours.length; i++) sum += Math.abs(ours[i] - ref[i])
  t.true(sum / ours.length < 6, `mean difference ${(sum / ours.length).toFixed(2)}`)
})

test('animated WebP in, animated WebP out; without animated: true one frame; bad loop and delay are refused', async (t) => {
  const webp = fix('webp', 'anim-random-lossless.webp')
  const input = await meta(webp)
  const all = await ot.image(webp, { animated: true }).webp({ lossless: true }).toBuffer({ resolveWithObject: true })
  const m = await meta(all.data)
  t.deepEqual([m.pages, m.loop, m.delay], [input.pages, input.loop, input.delay.map((d) => (d <= 10 ? 100 : d))])
  t.true((await sharp(all.data, { animated: true }).raw().toBuffer()).equals(await sharp(webp, { animated: true }).raw().toBuffer()))
  const one = await ot.image(webp).webp().toBuffer({ resolveWithObject: true })
  t.is(one.info.pages, 1)
  t.is((await meta(one.data)).pages ?? 1, 1) // sharp reports no pages for a still WebP
  const i = () => ot.image(webp, { animated: true })
  throws(t, () => i().webp({ loop: -1 }), ERR.range)
  throws(t, () => i().webp({ loop: 1.5 }), ERR.range)
  throws(t, () => i().webp({ delay: [10, -1] }), ERR.range)
  throws(t, () => i().webp({ delay: 'fast' }), ERR.type)
})
