'use strict'
// Image outputs through the public API, with sharp reading back what offthread wrote: metadata() against
// sharp's, each encoder and its options, the default output format, toFile and the info objects.
// Helpers: helpers/image.js.

const test = require('ava')
const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')
const { ot, sharp, fix, toRGBA, diff, sharpRGBA, tmp, testCard, encodedCard } = require('./helpers/image')
const { ERR, rejects, throws } = require('./helpers/errors')

// ---------------------------------------------------------------------------------------------
// metadata()

const META_SAMPLES = [
  'jpeg/ljt-testorig.jpg', 'jpeg/progressive3.jpg', 'jpeg/mozilla/jpg-gray.jpg', 'jpeg/mozilla/jpg-cmyk-1.jpg', 'jpeg/mozilla/jpg-srgb-icc.jpg',
  'jpeg/exif-xmp-metadata.jpg', 'exif/Landscape_6.jpg',
  'png/pngsuite/basn0g08.png', 'png/pngsuite/basn4a08.png', 'png/pngsuite/basn2c08.png', 'png/pngsuite/basn6a16.png', 'png/pngsuite/basn3p08.png',
  'png/pngsuite/tbbn3p08.png', 'png/pngsuite/tbbn0g04.png', 'png/pngsuite/basi0g16.png', 'png/pngsuite/basi6a08.png', 'png/extra/monkey16.png', 'png/extra/F-exif-chunk-early.png',
  'png/apng/ball.png', 'png/apng/wpt/fcTL-dispose-in-region-previous.png',
  'webp/gallery1-2-lossy.webp', 'webp/gallery2-2-lossy-alpha.webp', 'webp/gallery2-2-lossless-alpha.webp', 'webp/lossless_indexed_1bit_palette.webp',
  'webp/image-rs-anim.webp', 'webp/anim-random-lossy.webp', 'webp/anim-random-lossless.webp',
  'gif/sample_1.gif', 'gif/alpha_gif_a.gif', 'gif/interlaced.gif', 'gif/moon_impact.gif', 'gif/gifplayer-muybridge.gif', 'gif/anim-gr.gif'
]
/** num_frames of an APNG's acTL chunk. */
function apngFrames (buf) {
  const at = buf.indexOf('acTL', 8, 'latin1')
  return buf.readUInt32BE(at + 4)
}
const SPACE = { srgb: 'srgb', rgb16: 'srgb', 'b-w': 'b-w', grey16: 'b-w', cmyk: 'cmyk' }

test('metadata(): format, size, channels, hasAlpha, isProgressive, pages, space, hasProfile and size in bytes agree with sharp', async (t) => {
  for (const f of META_SAMPLES) {
    const file = fix(f)
    const m = await ot.image(file).metadata()
    const s = await sharp(file).metadata()
    t.is(m.format, s.format, `${f}: format`)
    t.deepEqual([m.width, m.height], [s.width, s.height], `${f}: size`)
    t.is(m.hasAlpha, s.hasAlpha, `${f}: hasAlpha`)
    // sharp reports the channels libvips decodes to; for GIF that is 3 or 4 by the presence of transparency, as ours.
    t.is(m.channels, s.channels, `${f}: channels`)
    t.is(m.isProgressive, s.isProgressive, `${f}: isProgressive`)
    t.is(m.space, SPACE[s.space], `${f}: space (sharp ${s.space})`)
    t.is(m.hasProfile, s.hasProfile, `${f}: hasProfile`)
    t.is(m.size, fs.statSync(file).size, `${f}: size in bytes`)
    // sharp has no page count for APNG (libvips reads its default image): the acTL chunk's num_frames is the count.
    const pages = f.startsWith('png/apng') ? apngFrames(fs.readFileSync(file)) : (s.pages ?? 1)
    t.is(m.pages, pages, `${f}: pages`)
    t.is(m.orientation, s.orientation, `${f}: orientation`)
  }
  t.is((await ot.image(fix('jpeg/exif-xmp-metadata.jpg')).metadata()).density, 300, 'density from the file')
})

test('metadata() of a Buffer gives the same as of the path, and decodes no pixels (a 2880×2160 JPEG cut at 30%)', async (t) => {
  const file = fix('png/pngsuite/basn6a08.png')
  t.deepEqual(await ot.image(fs.readFileSync(file)).metadata(), await ot.image(file).metadata())
  const m = await ot.image(fix('malformed/truncated/free_by_Peter_Nerlich.30pct.jpg')).metadata()
  t.deepEqual([m.format, m.width, m.height, m.channels], ['jpeg', 2880, 2160, 3])
})

test('metadata() channels equal the channels of the raw decode (no operations)', async (t) => {
  for (const f of META_SAMPLES.filter((x) => !x.includes('cmyk'))) {
    const m = await ot.image(fix(f)).metadata()
    const { info } = await ot.image(fix(f)).raw().toBuffer({ resolveWithObject: true })
    t.is(info.channels, m.channels, `${f}: raw channels = metadata channels`)
  }
})

// ---------------------------------------------------------------------------------------------
// Encoders

/** The filter type of each row of an 8-bit, non-interlaced PNG (read from its inflated IDAT). */
function pngRowFilters (png) {
  const width = png.readUInt32BE(16)
  const height = png.readUInt32BE(20)
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[png[25]]
  if (png[24] !== 8 || png[28] !== 0) throw new Error('expected an 8-bit non-interlaced PNG')
  const idat = []
  for (let at = 8; at < png.length; at += 12 + png.readUInt32BE(at)) {
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + png.readUInt32BE(at)))
  }
  const rows = zlib.inflateSync(Buffer.concat(idat))
  const stride = width * channels + 1
  if (rows.length !== stride * height) throw new Error(`IDAT holds ${rows.length} bytes, expected ${stride * height}`)
  return Array.from({ length: height }, (_, y) => rows[y * stride])
}

/** libpng's adaptive filter choice for each row of `data` (rows of `row` bytes, `bpp` per pixel): the filter (0–4) whose output has the least sum of |byte as int8|, the lowest on a tie. */
function adaptiveFilters (data, row, bpp) {
  const paeth = (a, b, c) => {
    const p = a + b - c
    const pa = Math.abs(p - a)
    const pb = Math.abs(p - b)
    const pc = Math.abs(p - c)
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
  }
  const choices = []
  for (let y = 0; y * row < data.length; y++) {
    const cost = [0, 0, 0, 0, 0]
    for (let i = 0; i < row; i++) {
      const x = data[y * row + i]
      const a = i >= bpp ? data[y * row + i - bpp] : 0
      const b = y > 0 ? data[(y - 1) * row + i] : 0
      const c = i >= bpp && y > 0 ? data[(y - 1) * row + i - bpp] : 0
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)]
      for (let f = 0; f < 5; f++) cost[f] += Math.abs(((x - predicted[f]) << 24) >> 24)
    }
    choices.push(cost.indexOf(Math.min(...cost)))
  }
  return choices
}

const FORMATS = ['jpeg', 'png', 'webp', 'gif']

test('each encoder writes its format at the requested size, decodable by sharp, close to the raw pixels', async (t) => {
  const input = await encodedCard(200, 150)
  const raw = await ot.image(input).resize(120, 90).raw().toBuffer({ resolveWithObject: true })
  const rawRGBA = toRGBA(raw.data, raw.info.channels)
  // The same raw pixels through sharp's encoder (same defaults): ours may lose at most a little more.
  // (The test card's 8-pixel blue checkerboard is hard on 4:2:0 chroma: both JPEGs are ~11.6 off on average.)
  const sharpRaw = () => sharp(raw.data, { raw: { width: 120, height: 90, channels: raw.info.channels } })
  for (const format of FORMATS) {
    const { data, info } = await ot.image(input).resize(120, 90)[format]().toBuffer({ resolveWithObject: true })
    t.is(info.format, format, `${format}: info.format`)
    t.deepEqual([info.width, info.height], [120, 90], `${format}: info size`)
    t.is(info.size, data.length, `${format}: info.size`)
    t.true(Buffer.isBuffer(data), `${format}: a Buffer`)
    const s = await sharp(data).metadata()
    t.is(s.format, format, `${format}: sharp reads the format`)
    t.deepEqual([s.width, s.height], [120, 90], `${format}: sharp reads the size`)
    const ours = diff((await sharpRGBA(data)).data, rawRGBA).mean
    if (format === 'png') {
      t.is(ours, 0, 'png: lossless')
    } else {
      const theirs = diff((await sharpRGBA(await sharpRaw()[format]().toBuffer())).data, rawRGBA).mean
      // GIF: offthread quantises with NeuQuant (libimagequant, sharp's, is GPL-3.0), so allow twice sharp's error.
      const slack = format === 'gif' ? theirs * 2 + 2 : theirs * 1.25 + 1
      t.true(ours <= slack, `${format}: mean difference from the raw pixels ${ours.toFixed(2)}, sharp's encoder ${theirs.toFixed(2)}`)
      t.true(ours > 0, `${format}: lossy, so not exact (proves the comparison compares)`)
    }
    if (format !== 'gif') t.is(info.channels, 3, `${format}: RGB in, 3 channels`)
  }
  // toFormat with each name, and 'jpg' as an alias.
  for (const name of ['jpeg', 'jpg', 'png', 'webp', 'gif']) {
    const { info } = await ot.image(input).toFormat(name).toBuffer({ resolveWithObject: true })
    t.is(info.format, name === 'jpg' ? 'jpeg' : name, `toFormat('${name}')`)
  }
  const { data, info } = await ot.image(input).toFormat('raw').toBuffer({ resolveWithObject: true })
  t.deepEqual([info.format, info.width, info.height, info.channels, data.length], ['raw', 200, 150, 3, 200 * 150 * 3], 'toFormat(\'raw\')')
})

test('without an output format the input\'s format is kept; the last format call wins', async (t) => {
  const inputs = {
    jpeg: fix('jpeg/ljt-testorig.jpg'),
    png: fix('png/pngsuite/basn2c08.png'),
    webp: fix('webp/gallery1-2-lossy.webp'),
    gif: fix('gif/sample_1.gif')
  }
  for (const [format, file] of Object.entries(inputs)) {
    const { data, info } = await ot.image(file).resize(20, 10).toBuffer({ resolveWithObject: true })
    t.is(info.format, format, `${format} in: info.format`)
    t.is((await sharp(data).metadata()).format, format, `${format} in: ${format} out`)
  }
  const { info } = await ot.image(inputs.png).jpeg().webp().png().toBuffer({ resolveWithObject: true })
  t.is(info.format, 'png', 'jpeg().webp().png() → png')
})

test('toFile: the format follows the extension unless one was chosen; it resolves the info', async (t) => {
  const input = await encodedCard(80, 60, 'png', 4)
  const cases = [['a.jpg', 'jpeg'], ['b.jpeg', 'jpeg'], ['c.JPG', 'jpeg'], ['d.png', 'png'], ['e.webp', 'webp'], ['f.gif', 'gif']]
  for (const [name, format] of cases) {
    const file = tmp(name)
    const info = await ot.image(input).resize(40).toFile(file)
    t.is(info.format, format, `${name}: info.format`)
    t.deepEqual([info.width, info.height], [40, 30], `${name}: info size`)
    t.is(info.size, fs.statSync(file).size, `${name}: info.size is the file size`)
    const s = await sharp(file).metadata()
    t.is(s.format, format, `${name}: the file is ${format}`)
    t.deepEqual([s.width, s.height], [40, 30], `${name}: the file's size`)
  }
  const chosen = tmp('chosen.jpg')
  t.is((await ot.image(input).png().toFile(chosen)).format, 'png', 'png() then a .jpg name: png')
  t.is((await sharp(chosen).metadata()).format, 'png')
  // An unknown extension with no format chosen keeps the input's format (png here), as toBuffer() does and as
  // sharp does (sharp writes a PNG to g.bin too).
  const unknown = tmp('g.bin')
  const info = await ot.image(input).toFile(unknown)
  t.like(info, { format: 'png', width: 80, height: 60, size: fs.statSync(unknown).size }, '.bin: the input\'s format')
  t.is((await sharp(unknown).metadata()).format, 'png', '.bin: the file is a PNG')
  t.is((await sharp(input).toFile(tmp('g-sharp.bin'))).format, 'png', '.bin: sharp agrees')
  // A directory that does not exist: the fs error code.
  await rejects(t, ot.image(input).toFile(path.join(tmp('none'), 'x', 'y.png')), ERR.enoent, { label: 'missing directory' })
})

test('JPEG options: quality, progressive, chroma subsampling, mozjpeg; alpha is dropped', async (t) => {
  const input = await encodedCard(256, 192)
  const size = async (options) => (await ot.image(input).jpeg(options).toBuffer()).length
  const q10 = await size({ quality: 10 })
  const q95 = await size({ quality: 95 })
  t.true(q10 < q95 / 2, `quality 10 (${q10} B) much smaller than 95 (${q95} B)`)
  t.true((await sharp(await ot.image(input).jpeg({ progressive: true }).toBuffer()).metadata()).isProgressive, 'progressive: true')
  t.false((await sharp(await ot.image(input).jpeg().toBuffer()).metadata()).isProgressive, 'baseline by default')
  t.is((await sharp(await ot.image(input).jpeg().toBuffer()).metadata()).chromaSubsampling, '4:2:0', '4:2:0 by default')
  t.is((await sharp(await ot.image(input).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer()).metadata()).chromaSubsampling, '4:4:4', '4:4:4')
  const moz = await ot.image(input).jpeg({ mozjpeg: true }).toBuffer({ resolveWithObject: true })
  t.is((await sharp(moz.data).metadata()).format, 'jpeg', 'mozjpeg: true writes a JPEG')
  // As faithful as sharp's mozjpeg setting on the same pixels.
  const raw = await ot.image(input).raw().toBuffer({ resolveWithObject: true })
  const rawRGBA = toRGBA(raw.data, raw.info.channels)
  const ours = diff((await sharpRGBA(moz.data)).data, rawRGBA).mean
  const theirs = diff((await sharpRGBA(await sharp(input).jpeg({ mozjpeg: true }).toBuffer())).data, rawRGBA).mean
  t.true(ours <= theirs * 1.25 + 1, `mozjpeg: mean difference ${ours.toFixed(2)}, sharp's ${theirs.toFixed(2)}`)
  // RGBA in → 3-channel JPEG.
  const rgba = await encodedCard(64, 64, 'png', 4)
  const { info } = await ot.image(rgba).jpeg().toBuffer({ resolveWithObject: true })
  t.is(info.channels, 3, 'RGBA → JPEG: 3 channels')
  // Grey in → a one-channel grey JPEG: the raw decode of a grey image has one channel (see the metadata tests), and
  // a third of the samples to encode. (sharp writes three: libvips converts to sRGB first.) Same grey values.
  const greyFile = fix('png/pngsuite/basn0g08.png')
  const grey = await ot.image(greyFile).jpeg({ quality: 95 }).toBuffer({ resolveWithObject: true })
  t.is(grey.info.channels, 1, 'grey → JPEG: info.channels')
  const gm = await sharp(grey.data).metadata()
  t.deepEqual([gm.format, gm.channels, gm.space], ['jpeg', 1, 'b-w'], 'grey → JPEG: sharp reads a one-channel grey JPEG')
  const greyDiff = diff((await sharpRGBA(grey.data)).data, (await sharpRGBA(greyFile)).data)
  t.true(greyDiff.mean < 1.5, `grey → JPEG at quality 95: mean difference ${greyDiff.mean.toFixed(2)} from the input`)
})

test('PNG options: compression level, palette, colours; progressive (interlaced) output is refused, not ignored; lossless by default', async (t) => {
  const input = await encodedCard(256, 192, 'png', 4)
  const l0 = (await ot.image(input).png({ compressionLevel: 0 }).toBuffer()).length
  const l9 = (await ot.image(input).png({ compressionLevel: 9 }).toBuffer()).length
  t.true(l0 > 256 * 192 * 4, `level 0 stores (${l0} B)`)
  t.true(l9 < l0 / 2, `level 9 (${l9} B) compresses`)
  // Lossless: exactly the input pixels, alpha kept.
  const back = await sharpRGBA(await ot.image(input).png().toBuffer())
  t.true(back.data.equals(toRGBA(testCard(256, 192, 4), 4)), 'png() round trips the pixels exactly')
  const pal = await ot.image(input).png({ palette: true }).toBuffer()
  const pm = await sharp(pal).metadata()
  t.true(pm.isPalette, 'palette: true writes an indexed PNG')
  const four = await ot.image(input).png({ colours: 4 }).toBuffer()
  const px = (await sharpRGBA(four)).data
  const distinct = new Set()
  for (let i = 0; i < px.length; i += 4) distinct.add(px.readUInt32BE(i))
  t.true(distinct.size <= 4, `colours: 4 → ${distinct.size} colours`)
  // Interlaced PNG output is not implemented: asking for it throws rather than writing a plain PNG.
  throws(t, () => ot.image(input).png({ progressive: true }), ERR.value, {
    label: 'png({ progressive: true })',
    message: 'Expected false (interlaced PNG output is not supported) for progressive but received true of type boolean'
  })
  t.false((await sharp(await ot.image(input).png({ progressive: false }).toBuffer()).metadata()).isProgressive)
  // Row filters: Paeth on every row by default (level > 0), none at level 0 and for palettes; adaptiveFiltering
  // picks libpng's choice per row (least sum of |byte|, computed here from the pixels). Lossless either way.
  const pixels = testCard(256, 192, 4)
  const adaptive = await ot.image(input).png({ adaptiveFiltering: true }).toBuffer()
  t.deepEqual(pngRowFilters(adaptive), adaptiveFilters(pixels, 256 * 4, 4), 'adaptiveFiltering: libpng\'s filter per row')
  t.true(new Set(pngRowFilters(adaptive)).size > 1, 'adaptiveFiltering: more than one filter type on this image')
  t.true((await sharpRGBA(adaptive)).data.equals(toRGBA(pixels, 4)), 'adaptiveFiltering: lossless')
  t.deepEqual(pngRowFilters(await ot.image(input).png().toBuffer()), Array(192).fill(4), 'default: Paeth on every row')
  t.deepEqual(pngRowFilters(await ot.image(input).png({ compressionLevel: 0 }).toBuffer()), Array(192).fill(0), 'level 0: no filter')
  t.deepEqual(pngRowFilters(pal), Array(192).fill(0), 'palette: no filter')
})

test('WebP options: lossless is exact, quality orders the sizes, alpha survives lossy', async (t) => {
  const input = await encodedCard(256, 192, 'png', 4)
  const lossless = await ot.image(input).webp({ lossless: true }).toBuffer()
  t.true((await sharpRGBA(lossless)).data.equals(toRGBA(testCard(256, 192, 4), 4)), 'lossless: the exact pixels')
  const q10 = (await ot.image(input).webp({ quality: 10 }).toBuffer()).length
  const q95 = (await ot.image(input).webp({ quality: 95 }).toBuffer()).length
  t.true(q10 < q95, `quality 10 (${q10} B) < 95 (${q95} B)`)
  const lossy = await ot.image(input).webp().toBuffer({ resolveWithObject: true })
  t.is(lossy.info.channels, 4, 'RGBA in: 4 channels out')
  t.true((await sharp(lossy.data).metadata()).hasAlpha, 'sharp sees alpha')
  for (const effort of [0, 6]) t.is((await sharp(await ot.image(input).webp({ effort }).toBuffer()).metadata()).format, 'webp', `effort ${effort}`)
})

test('GIF output: colours, animation (all frames with animated: true), loop and delay', async (t) => {
  const input = await encodedCard(64, 48)
  const four = await ot.image(input).gif({ colours: 4 }).toBuffer()
  const px = (await sharpRGBA(four)).data
  const distinct = new Set()
  for (let i = 0; i < px.length; i += 4) distinct.add(px.readUInt32BE(i))
  t.true(distinct.size <= 4, `colours: 4 → ${distinct.size} colours`)
  // An animated GIF in, animated: true → every frame out.
  const moon = fix('gif/moon_impact.gif')
  const anim = await ot.image(moon, { animated: true }).gif({ loop: 3, delay: 50 }).toBuffer({ resolveWithObject: true })
  t.is(anim.info.pages, 14, 'info.pages')
  const s = await sharp(anim.data).metadata()
  t.is(s.pages, 14, 'sharp counts 14 frames')
  t.is(s.loop, 3, 'loop: 3 plays, as sharp writes it (NETSCAPE repeat count 2)')
  const forever = await ot.image(moon, { animated: true }).gif({ loop: 0 }).toBuffer()
  t.is((await sharp(forever).metadata()).loop, 0, 'loop: 0 loops forever, whatever the input said (moon_impact says 11 plays)')
  t.deepEqual(s.delay, Array(14).fill(50), 'delay')
  t.deepEqual([anim.info.width, anim.info.height], [116, 100])
  // Resized animation: every frame resized.
  const small = await ot.image(moon, { animated: true }).resize(58).gif().toBuffer({ resolveWithObject: true })
  const sm = await sharp(small.data).metadata()
  t.deepEqual([sm.width, sm.height, sm.pages], [58, 50, 14], 'resized animation (sharp\'s metadata gives one page\'s height)')
  t.deepEqual([small.info.width, small.info.height, small.info.pages], [58, 50, 14], 'info of the resized animation')
  // An animated WebP → animated GIF.
  const fromWebp = await ot.image(fix('webp/image-rs-anim.webp'), { animated: true }).gif().toBuffer({ resolveWithObject: true })
  t.is((await sharp(fromWebp.data).metadata()).pages, 6, 'animated WebP → 6-frame GIF')
  // Without animated: the first frame only, no pages.
  const still = await ot.image(moon).gif().toBuffer({ resolveWithObject: true })
  t.is((await sharp(still.data).metadata()).pages, 1, 'default: one frame')
  t.is(still.info.pages, 1, 'default: info.pages is 1 (set for every output, not only animations)')
})
