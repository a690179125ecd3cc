'use strict'
// sharp's `page` and `pages` (issue 14): a run of frames of a GIF or animated WebP, `pages` of them from `page`
// (-1: every frame from `page` on). Checked against sharp 0.35.5 reading the same frames: page count, delays,
// loop, and with lossless WebP output every frame's pixels; a run past the last frame is "bad page number" in
// libvips and ERR_OUT_OF_RANGE here. An output that cannot animate (JPEG, PNG) keeps the first frame of the run.

const test = require('ava')
const { ot, sharp, fix } = require('./helpers/image')
const { ERR, throws, rejects } = require('./helpers/errors')

const meta = (buf) => sharp(buf, { animated: true }).metadata()
const rgba = (buf, options = { animated: true }) => sharp(buf, options).ensureAlpha().raw().toBuffer()

const INPUTS = [['gif', 'gifplayer-muybridge.gif'], ['gif', 'image-rs-anim-mixed-disposal.gif'], ['webp', 'anim-random-lossless.webp']]

test('pages n from page p: the frames, delays and loop sharp reads; lossless frames equal sharp\'s decode of them', async (t) => {
  for (const [dir, name] of INPUTS) {
    const input = fix(dir, name)
    const total = (await meta(input)).pages
    t.true(total >= 3, `${name} has ${total} frames`)
    for (const [page, pages] of [[1, 2], [total - 3, 3], [Math.max(1, total - 4), -1], [0, 1], [total - 1, 1]]) {
      const label = `${name} page ${page} pages ${pages}`
      const ours = await ot.image(input, { page, pages }).webp({ lossless: true }).toBuffer({ resolveWithObject: true })
      const want = await meta(await sharp(input, { page, pages }).webp({ lossless: true }).toBuffer())
      const got = await meta(ours.data)
      const n = pages === -1 ? total - page : pages
      t.is(ours.info.pages, n, `${label}: info.pages`)
      t.deepEqual([got.pages ?? 1, got.pageHeight ?? got.height, got.width], [want.pages ?? 1, want.pageHeight ?? want.height, want.width], `${label}: frames and size`)
      if (n > 1) {
        // The run's own delays. (sharp writes the input's first n delays whatever the page: libvips' loaders
        // set "delay" to every frame's, from frame 0.)
        const delays = (await meta(input)).delay.slice(page, page + n)
        t.deepEqual(got.delay, delays.map((d) => (d <= 10 ? 100 : d)), `${label}: delays`)
        t.deepEqual(want.delay, (await meta(input)).delay.slice(0, n).map((d) => (d <= 10 ? 100 : d)), `${label}: sharp's delays start at frame 0`)
        t.is(got.loop, want.loop, `${label}: loop`)
      }
      const frames = await rgba(ours.data)
      const source = await rgba(input, { page, pages })
      t.true(frames.equals(source), `${label}: frames equal sharp's decode of the same frames`)
    }
  }
})

test('animated: true with pages n reads n frames (pages wins, as in sharp); resize applies to each', async (t) => {
  const gif = fix('gif', 'gifplayer-muybridge.gif')
  const out = await ot.image(gif, { animated: true, pages: 2, page: 3 }).resize(40).gif().toBuffer({ resolveWithObject: true })
  const m = await meta(out.data)
  t.deepEqual([out.info.pages, m.pages, m.width], [2, 2, 40])
  const one = await ot.image(gif, { animated: true, pages: 1 }).gif().toBuffer({ resolveWithObject: true })
  t.is(one.info.pages, 1)
})

test('a still output keeps the first frame of the run: page p to PNG is frame p', async (t) => {
  for (const [dir, name] of INPUTS) {
    const input = fix(dir, name)
    for (const page of [0, 1]) {
      const png = await ot.image(input, { page, pages: 2 }).png().toBuffer({ resolveWithObject: true })
      t.is(png.info.pages, 1)
      const frame = await rgba(input, { page })
      t.true((await rgba(png.data, {})).equals(frame), `${name}: page ${page} to PNG is that frame`)
    }
  }
})

test('page and pages do not apply to formats with one page (sharp ignores them for JPEG and PNG)', async (t) => {
  const jpg = fix('jpeg', 'progressive-cat.jpg')
  const a = await ot.image(jpg, { page: 5, pages: 3 }).png().toBuffer()
  const b = await ot.image(jpg).png().toBuffer()
  t.true(a.equals(b))
})

test('a run past the last frame, or a page of a still GIF, is ERR_OUT_OF_RANGE ("bad page number", as libvips)', async (t) => {
  const gif = fix('gif', 'gifplayer-muybridge.gif')
  const total = (await meta(gif)).pages
  for (const options of [{ page: total }, { page: total - 1, pages: 2 }, { page: total, pages: -1 }, { pages: total + 1 }]) {
    await rejects(t, ot.image(gif, options).gif().toBuffer(), ERR.range, { message: /bad page number/, label: JSON.stringify(options) })
    // sharp refuses too; its wording varies between runs for a run starting past the end ("bad page number",
    // once "Input file has corrupt header:" for { page: 380, pages: -1 }), so only the refusal is the oracle.
    await t.throwsAsync(sharp(gif, options).gif().toBuffer(), { instanceOf: Error }, `sharp also refuses ${JSON.stringify(options)}`)
  }
  await rejects(t, ot.image(fix('gif', '2x2.gif'), { page: 1 }).png().toBuffer(), ERR.range, { message: /bad page number/ })
  await t.throwsAsync(sharp(fix('gif', '2x2.gif'), { page: 1 }).png().toBuffer(), { message: /bad page number/ })
  await rejects(t, ot.image(fix('webp', 'anim-random-lossless.webp'), { page: 1000 }).webp().toBuffer(), ERR.range)
})

test('page and pages are checked at the call: integers, pages -1 or 1 to 100000, page 0 to 100000', (t) => {
  const gif = fix('gif', 'anim-gr.gif')
  throws(t, () => ot.image(gif, { pages: 0 }), ERR.range)
  throws(t, () => ot.image(gif, { page: -1 }), ERR.range)
  throws(t, () => ot.image(gif, { page: 1.5 }), ERR.range)
  throws(t, () => ot.image(gif, { page: '1' }), ERR.type)
  throws(t, () => ot.image(gif, { pages: 100001 }), ERR.range)
})

test('trim is refused on a run of frames, as on an animation', async (t) => {
  const gif = fix('gif', 'gifplayer-muybridge.gif')
  await rejects(t, ot.image(gif, { pages: 2 }).trim().gif().toBuffer(), ERR.value)
  t.truthy(await ot.image(gif, { page: 2 }).trim().png().toBuffer())
})
