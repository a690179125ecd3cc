'use strict'
// Image decoding through the public API, with sharp (libvips: libpng, libjpeg-turbo, libwebp, cgif/nsgif)
// as the independent reference: every valid PngSuite file pixel for pixel, the other PNG, JPEG, WebP and
// GIF fixtures, and the corrupt, fuzzed and truncated inputs (exact error codes, never a crash or hang).
// Fixtures: fixtures/images (see fixtures/README.md). Helpers: helpers/image.js.

const test = require('ava')
const fs = require('node:fs')
const path = require('node:path')
const { ot, sharp, fix, MANIFEST, toRGBA, diff, sharpRGBA, oursRaw, outcome } = require('./helpers/image')
const { ERR, checkError, rejects, checkSerialized } = require('./helpers/errors')

const listPng = (dir) => fs.readdirSync(fix(dir)).filter((f) => f.endsWith('.png')).sort()

/** IHDR fields and whether a tRNS chunk is present. */
function pngHeader (buf) {
  const info = { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bitDepth: buf[24], colorType: buf[25], interlace: buf[28], trns: false }
  for (let i = 8; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i)
    const type = buf.toString('latin1', i + 4, i + 8)
    if (type === 'tRNS') info.trns = true
    if (type === 'IDAT' || type === 'IEND') break
    i += 12 + len
  }
  return info
}

/** The channel count offthread's raw output keeps for a PNG: grey 1, grey+alpha 2, RGB 3, RGBA 4; tRNS adds alpha. */
function pngChannels ({ colorType, trns }) {
  return { 0: trns ? 2 : 1, 2: trns ? 4 : 3, 3: trns ? 4 : 3, 4: 2, 6: 4 }[colorType]
}

/**
 * Decodes `file` with offthread (raw) and sharp (RGBA), checks the raw info and compares the pixels in RGBA.
 * `tolerance`: the largest per-channel difference allowed; `mean`: the largest mean difference allowed.
 * `ignoreHidden`: ignore the colour of pixels both decoders make fully transparent (GIF).
 */
async function compareWithSharp (t, file, { tolerance = 1, mean = Infinity, channels, ignoreHidden = false, options, chain, sharpChain } = {}) {
  const label = path.relative(fix(), file)
  const ref = await sharpRGBA(file, {}, sharpChain)
  let ours
  try {
    ours = await oursRaw(file, options, chain)
  } catch (err) {
    t.fail(`${label}: rejected ${err.code} ${err.message}`)
    return
  }
  const { info, data, rgba } = ours
  t.is(info.format, 'raw', `${label}: info.format`)
  t.is(info.width, ref.width, `${label}: width`)
  t.is(info.height, ref.height, `${label}: height`)
  t.is(info.size, data.length, `${label}: info.size is the byte count`)
  t.is(data.length, info.width * info.height * info.channels, `${label}: ${info.channels}-channel pixels`)
  if (channels !== undefined) t.is(info.channels, channels, `${label}: channels`)
  if (info.width !== ref.width || info.height !== ref.height) return
  if (ignoreHidden) {
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i + 3] === 0 && ref.data[i + 3] === 0) rgba[i] = rgba[i + 1] = rgba[i + 2] = ref.data[i] = ref.data[i + 1] = ref.data[i + 2] = 0
    }
  }
  const d = diff(rgba, ref.data, tolerance)
  t.true(d.over === 0 && d.mean <= mean, `${label}: ${d.over} of ${rgba.length} channel values differ from sharp by more than ${tolerance} (max ${d.max}, mean ${d.mean.toFixed(3)}, first at pixel ${d.first >> 2})`)
  return d
}

// ---------------------------------------------------------------------------------------------
// PngSuite

const SUITE = listPng('png/pngsuite')
const SUITE_VALID = SUITE.filter((f) => !f.startsWith('x'))
const SUITE_CORRUPT = SUITE.filter((f) => f.startsWith('x'))

test('the fixtures are all there: 161 valid PngSuite files, 14 corrupt ones', (t) => {
  t.is(SUITE_VALID.length, 161)
  t.is(SUITE_CORRUPT.length, 14)
})

// Neither sharp nor offthread applies gAMA (g*.png) or sBIT (cs*.png), so those files compare like the others;
// 16-bit samples are reduced to 8 bits by both (±1 for the rounding).
test('every valid PngSuite file decodes to sharp\'s pixels (±1), keeping its channel count', async (t) => {
  for (const f of SUITE_VALID) {
    const file = fix('png/pngsuite', f)
    await compareWithSharp(t, file, { channels: pngChannels(pngHeader(fs.readFileSync(file))) })
  }
})

test('a PngSuite file decodes the same from a Buffer, a Uint8Array and a path', async (t) => {
  for (const f of ['basn6a08.png', 'basi3p02.png', 'tbbn0g04.png', 'basn2c16.png']) {
    const file = fix('png/pngsuite', f)
    const buf = fs.readFileSync(file)
    const fromPath = await ot.image(file).raw().toBuffer()
    t.deepEqual(await ot.image(buf).raw().toBuffer(), fromPath, `${f}: Buffer`)
    t.deepEqual(await ot.image(new Uint8Array(buf)).raw().toBuffer(), fromPath, `${f}: Uint8Array`)
    // A view into a larger buffer (offset ≠ 0): only the view is the input.
    const big = Buffer.alloc(buf.length + 100, 0xee)
    buf.copy(big, 37)
    t.deepEqual(await ot.image(big.subarray(37, 37 + buf.length)).raw().toBuffer(), fromPath, `${f}: offset view`)
  }
})

test('interlaced (Adam7) PngSuite files decode to the same pixels as their non-interlaced twins', async (t) => {
  const pairs = SUITE_VALID.filter((f) => /^(bas|s\d\d)i/.test(f))
  t.true(pairs.length >= 30, `${pairs.length} interlaced files`)
  for (const f of pairs) {
    const twin = f.replace(/^(bas|s\d\d)i/, '$1n')
    if (!SUITE_VALID.includes(twin)) continue
    const a = await ot.image(fix('png/pngsuite', f)).raw().toBuffer()
    const b = await ot.image(fix('png/pngsuite', twin)).raw().toBuffer()
    t.true(a.equals(b), `${f} = ${twin}`)
  }
})

// ---------------------------------------------------------------------------------------------
// Other PNG, JPEG, WebP, GIF

test('other PNGs (sBIT, zTXt, iCCP, eXIf, bad ancillary CRCs, APNG first frames) decode like sharp', async (t) => {
  const icc = new Set(['monkey16.png', 'vgl_5674_0098.png'])
  for (const f of listPng('png/extra')) {
    const file = fix('png/extra', f)
    if (f === 'F-exif-chunk-early.png') {
      // EXIF orientation 6 in an eXIf chunk: offthread orients by default, sharp when asked with rotate().
      await compareWithSharp(t, file, { sharpChain: (s) => s.rotate() })
    } else if (icc.has(f)) {
      // An embedded ICC profile: both convert to sRGB (lcms vs offthread's), so allow small differences.
      const d = await compareWithSharp(t, file, { tolerance: 24, mean: 1.5 })
      if (d) t.log(`${f}: ICC → sRGB differs from sharp by max ${d.max}, mean ${d.mean.toFixed(3)}`)
    } else {
      await compareWithSharp(t, file)
    }
  }
  for (const f of [...listPng('png/apng'), ...listPng('png/apng/wpt').map((x) => `wpt/${x}`)]) {
    await compareWithSharp(t, fix('png/apng', f))
  }
})

test('JPEG: baseline, progressive, grey, restart markers, odd sizes decode like sharp (same libjpeg-turbo family: ±2)', async (t) => {
  const files = [
    ...fs.readdirSync(fix('jpeg')).filter((f) => f.endsWith('.jpg')).map((f) => `jpeg/${f}`),
    ...fs.readdirSync(fix('jpeg/mozilla')).filter((f) => f.endsWith('.jpg')).map((f) => `jpeg/mozilla/${f}`)
  ].sort()
  // 12-bit and lossless (SOF3) JPEG: libjpeg-turbo's 8-bit API refuses them (so does sharp); they must fail cleanly.
  const refused = new Set(['jpeg/ljt-monkey12.jpg', 'jpeg/lossless-sof3-sel1.jpg'])
  const cmyk = new Set(['jpeg/mozilla/jpg-cmyk-1.jpg', 'jpeg/mozilla/jpg-cmyk-2.jpg'])
  for (const f of files) {
    const file = fix(f)
    if (refused.has(f)) {
      await rejects(t, ot.image(file).raw().toBuffer(), ERR.imageDecode, { label: f })
    } else if (cmyk.has(f)) {
      // CMYK without a profile: sharp uses lcms and a generic CMYK profile, ImageMagick (the .png beside it) a
      // naive formula; they differ by a mean of 13.7 on jpg-cmyk-1. Ours must be close to one of them, and RGB.
      const ours = await oursRaw(file)
      t.is(ours.info.channels, 3, `${f}: CMYK comes out as RGB`)
      const bySharp = diff(ours.rgba, (await sharpRGBA(file)).data).mean
      const byMagick = diff(ours.rgba, (await sharpRGBA(file.replace(/\.jpg$/, '.png'))).data).mean
      t.true(Math.min(bySharp, byMagick) < 8, `${f}: mean difference ${bySharp.toFixed(2)} from sharp, ${byMagick.toFixed(2)} from ImageMagick`)
    } else {
      await compareWithSharp(t, file, { tolerance: 2, mean: 0.2 })
    }
  }
})

test('a PNG named .jpg is decoded as PNG (the format comes from the bytes, not the name)', async (t) => {
  const file = fix('jpeg/mozilla/jpg-size-6x6.jpg')
  t.is((await ot.image(file).metadata()).format, 'png')
  await compareWithSharp(t, file, { tolerance: 0, channels: 4 })
})

test('WebP: lossless exactly as libwebp (sharp) and the reference PNGs; lossy within ±1', async (t) => {
  const lossless = ['gallery2-2-lossless-alpha.webp', 'gallery2-4-lossless-alpha.webp', 'regression-color_index.webp', 'lossless_indexed_1bit_palette.webp', 'image-rs-simple_xmp.webp']
  const lossy = ['gallery1-1-lossy.webp', 'gallery1-2-lossy.webp', 'gallery2-2-lossy-alpha.webp', 'image-rs-lossy_alpha.webp', 'image-rs-simple-gray.webp', 'regression-tiny.webp', 'regression-dark.webp']
  for (const f of lossless) {
    await compareWithSharp(t, fix('webp', f), { tolerance: 0 })
    const ref = fix('webp', `${f}.ref.png`)
    if (fs.existsSync(ref)) {
      const ours = await oursRaw(fix('webp', f))
      const d = diff(ours.rgba, (await sharpRGBA(ref)).data, 0)
      t.is(d.over, 0, `${f}: equals ${path.basename(ref)} (max ${d.max})`)
    }
  }
  for (const f of lossy) await compareWithSharp(t, fix('webp', f), { tolerance: 1 })
})

test('animated WebP and GIF: the first frame by default, as sharp\'s first page', async (t) => {
  for (const f of ['webp/image-rs-anim.webp', 'webp/anim-random-lossless.webp']) await compareWithSharp(t, fix(f), { tolerance: 0, ignoreHidden: true })
  await compareWithSharp(t, fix('webp/anim-random-lossy.webp'), { tolerance: 1 })
  // anim-random-lossless frame 1 is also given as a PNG (webpmux + convert).
  const ours = await oursRaw(fix('webp/anim-random-lossless.webp'))
  t.is(diff(ours.rgba, (await sharpRGBA(fix('webp/anim-random-lossless.frame1.ref.png'))).data, 0).over, 0, 'anim-random-lossless: frame 1 reference')
  for (const f of ['gif/moon_impact.gif', 'gif/gifplayer-muybridge.gif', 'gif/anim-gr.gif', 'gif/beacon.gif']) await compareWithSharp(t, fix(f), { tolerance: 0, ignoreHidden: true })
})

test('GIF: still, interlaced, transparent, ICC/XMP extensions decode like sharp (exact; hidden colours ignored)', async (t) => {
  const files = fs.readdirSync(fix('gif')).filter((f) => f.endsWith('.gif')).sort()
  t.true(files.length >= 18)
  for (const f of files) {
    // Files with an image-rs first-frame reference are checked against it below: their first frame leaves part of
    // the screen uncovered, which image-rs (and browsers) leave transparent and sharp fills with opaque black.
    if (fs.existsSync(fix('gif', `${f}.ref.png`))) continue
    await compareWithSharp(t, fix('gif', f), { tolerance: 0, ignoreHidden: true })
  }
  // image-rs's first-frame references of the disposal cases (same canvas size as the screen).
  for (const f of files.filter((x) => fs.existsSync(fix('gif', `${x}.ref.png`)))) {
    const ref = await sharpRGBA(fix('gif', `${f}.ref.png`))
    const ours = await outcome(ot.image(fix('gif', f)).raw().toBuffer({ resolveWithObject: true }))
    if (!ours.ok) {
      t.fail(`${f}: ${ours.code} ${ours.message}`)
      continue
    }
    if (ours.width !== ref.width || ours.height !== ref.height) {
      t.log(`${f}: ${ours.width}×${ours.height}, image-rs's reference ${ref.width}×${ref.height} (frame vs screen size)`)
      continue
    }
    const rgba = toRGBA(ours.data, ours.channels)
    let over = 0
    for (let i = 0; i < rgba.length; i += 4) {
      if (rgba[i + 3] === 0 && ref.data[i + 3] === 0) continue
      for (let c = 0; c < 4; c++) if (rgba[i + c] !== ref.data[i + c]) over++
    }
    t.is(over, 0, `${f}: image-rs's first frame`)
  }
})

// ---------------------------------------------------------------------------------------------
// Corrupt, fuzzed and truncated inputs

// Expected outcome with the default failOn ('error'), per file. 'FORMAT' = ERR_IMAGE_FORMAT (not an image offthread
// knows: the magic bytes are wrong), 'DECODE' = ERR_IMAGE_DECODE, 'LARGE' = ERR_IMAGE_TOO_LARGE, 'ok' = decodes to
// the size sharp finds. An array lists every acceptable outcome, where the references disagree: sharp (libvips) and
// Pillow 13 (manifest.jsonl's pillow_probe).
const MALFORMED = {
  // PngSuite x-files: damaged signature → not a PNG at all.
  'png/pngsuite/xs1n0g01.png': 'FORMAT', // signature byte 1 is 0x09
  'png/pngsuite/xs2n0g01.png': 'FORMAT', // 'Q' for 'P'
  'png/pngsuite/xs4n0g01.png': 'FORMAT', // 'g' for 'G'
  // The first four bytes are still \x89PNG, the CR/LF bytes are damaged: a 4-byte sniff sees a PNG and the decoder
  // refuses it, an 8-byte sniff sees no PNG. Both are fine.
  'png/pngsuite/xs7n0g01.png': ['FORMAT', 'DECODE'],
  'png/pngsuite/xcrn0g04.png': ['FORMAT', 'DECODE'],
  'png/pngsuite/xlfn0g04.png': ['FORMAT', 'DECODE'],
  'png/pngsuite/xc1n0g08.png': 'DECODE', // colour type 1
  'png/pngsuite/xc9n2c08.png': 'DECODE', // colour type 9
  'png/pngsuite/xd0n2c08.png': 'DECODE', // bit depth 0
  'png/pngsuite/xd3n2c08.png': 'DECODE', // bit depth 3
  'png/pngsuite/xd9n2c08.png': 'DECODE', // bit depth 99
  'png/pngsuite/xdtn0g01.png': 'DECODE', // no IDAT
  'png/pngsuite/xhdn0g08.png': 'DECODE', // IHDR CRC wrong
  'png/pngsuite/xcsn0g01.png': 'DECODE', // IDAT CRC wrong
  // image-png's own bugfix cases (it expects an error for each); sharp agrees, and refuses every fuzz case too.
  'malformed/png/x_consecutive_idat.png': 'DECODE',
  'malformed/png/x_ihdr_missing.png': 'DECODE',
  'malformed/png/x_image-issue-1075.png': 'DECODE',
  'malformed/png/x_interlaced_chck.png': 'DECODE',
  'malformed/png/x_issue-214.png': 'DECODE',
  'malformed/png/x_issue-230.0.png': 'DECODE',
  'malformed/png/x_issue-230.1.png': ['DECODE', 'LARGE'], // IHDR says 4294967295×536883232: invalid (> 2³¹−1) and over the limit
  'malformed/png/x_unexpected_eof.png': 'DECODE',
  'malformed/png/fuzz-clusterfuzz-testcase-minimized-buf_independent-5790077345660928.png': 'DECODE',
  'malformed/png/fuzz-clusterfuzz-testcase-minimized-buf_independent-6611224761008128.png': 'DECODE',
  'malformed/png/fuzz-minimized-from-110a360793767757e44c9e4b95c495666e39e672.png': 'DECODE',
  'malformed/png/fuzz-minimized-from-32e60253faddfdf03b267e0b55c7b91a674d74bd.png': 'DECODE',
  'malformed/png/fuzz-minimized-from-a1a0f9ae81d63ecf08d1cd0efbc73e40e7909681.png': 'DECODE',
  // JPEG (offthread and sharp both read JPEG with libjpeg-turbo's code).
  'malformed/jpeg/empty.jpg': 'FORMAT', // 0 bytes
  'malformed/jpeg/imagetestsuite-f012a4321f00f12af6b1eee7580ffb9c.jpg': 'FORMAT', // starts FF 00: no SOI
  'malformed/jpeg/max_size.jpg': 'LARGE', // SOF says 65535×65535
  'malformed/jpeg/missing-frame-image-1410.jpg': 'DECODE', // SOI EOI
  'malformed/jpeg/missing-sof.jpg': 'DECODE',
  'malformed/jpeg/missing-sos.jpg': 'DECODE',
  'malformed/jpeg/null_height.jpg': 'DECODE', // height 0 (DNL)
  'malformed/jpeg/invalid-dimensions.jpg': 'DECODE',
  'malformed/jpeg/invalid-prediction-shift.jpg': 'DECODE',
  'malformed/jpeg/derive-huffman-codes-overflow.jpg': 'DECODE',
  'malformed/jpeg/oss-fuzz-36829.jpeg': 'DECODE',
  'malformed/jpeg/imagetestsuite-4085c929e00c446d3fee18b5b20a27f9.jpg': 'DECODE',
  'malformed/jpeg/imagetestsuite-627c0779eb46b98f751187c5c9f43aa3.jpg': 'DECODE',
  'malformed/jpeg/imagetestsuite-72d091e08c93c9e590360130fa35221b.jpg': 'DECODE',
  'malformed/jpeg/imagetestsuite-9efd60f04cd971daa83d3131e6d6f389.jpg': 'DECODE',
  'malformed/jpeg/imagetestsuite-fddcfc778ada60229380c2493fc4c243.jpg': 'DECODE',
  // Decodable: sharp and Pillow both decode these fuzz/crash-test inputs.
  'malformed/jpeg/dc-predictor-overflow.jpg': 'ok',
  'malformed/jpeg/extraneous-bytes-after-sos.jpg': 'ok',
  'malformed/jpeg/imagetestsuite-28c74d9284d9836017fd519f6932efd8.jpg': 'ok',
  'malformed/jpeg/multiple-0xff-before-eoi.jpg': 'ok',
  'malformed/jpeg/subtract-with-overflow.jpg': 'ok',
  // sharp decodes, Pillow refuses.
  'malformed/jpeg/imagetestsuite-96b3e939852157613fa2e48d58fe35fe.jpg': ['ok', 'DECODE'],
  'malformed/jpeg/imagetestsuite-a7326ba8f3f4559991126474dd30083d.jpg': ['ok', 'DECODE'],
  'malformed/jpeg/imagetestsuite-f006e96f3b27fdfaa075322d759ea2e8.jpg': ['ok', 'DECODE'],
  // FF D8 FE FF: an SOI followed by a non-marker; a 3-byte JPEG sniff (FF D8 FF) says 'not a JPEG' (Pillow),
  // a 2-byte one reads on (sharp decodes d15b, and 75e4 only with failOn 'none').
  'malformed/jpeg/imagetestsuite-d15b71b8cebe35a57cc6e996cc09218b.jpg': ['ok', 'FORMAT', 'DECODE'],
  'malformed/jpeg/imagetestsuite-75e4bd7544a85af6438497980b62fba5.jpg': ['FORMAT', 'DECODE'],
  // GIF
  'malformed/gif/image-rs-zero-loop-count.gif': 'DECODE', // header only, no frame
  'malformed/gif/stall-issue-101-infinite-empty-loop.gif': 'LARGE', // screen 6727×65351
  // Screen 11390×12595 (under the limit), one frame placed far outside it with no data.
  'malformed/gif/crashtest-issue-96-small-codesize-2.gif': ['DECODE', 'LARGE'],
  // Screen 185×0 (sharp uses the frame's 12337×1), and a frame overflowing a 3×23850 screen (sharp: 256×513).
  'malformed/gif/crashtest-issue-96-small-codesize.gif': ['DECODE', 'any'],
  'malformed/gif/crashtest-issue-117-out-of-range.gif': ['DECODE', 'any'],
  'malformed/gif/regression-issue-208-block-type-beta.gif': 'ok',
  'malformed/gif/regression-issue-208-block-type.gif': 'ok',
  'malformed/gif/regression-issue-209-extension-block-type.gif': 'ok',
  // WebP: used to panic image-rs; libwebp, sharp and Pillow decode it.
  'malformed/webp/image-rs-panic.webp': 'ok'
}
const EXPECTED = { FORMAT: ERR.imageFormat, DECODE: ERR.imageDecode, LARGE: ERR.imageTooLarge }
/** The image error whose code `err` has (ERR_IMAGE_DECODE if none: the check then names what differs). */
const imageError = (err) => Object.values(EXPECTED).find(([code]) => code === (err && err.code)) || ERR.imageDecode

test('the malformed table covers every corrupt PngSuite file and every file in malformed/ (but truncated/)', (t) => {
  const listed = new Set(Object.keys(MALFORMED))
  const files = [
    ...SUITE_CORRUPT.map((f) => `png/pngsuite/${f}`),
    ...['png', 'jpeg', 'gif', 'webp'].flatMap((d) => fs.readdirSync(fix('malformed', d)).filter((f) => !f.endsWith('.md')).map((f) => `malformed/${d}/${f}`))
  ]
  t.deepEqual(files.filter((f) => !listed.has(f)), [], 'files without an expectation')
  t.deepEqual([...listed].filter((f) => !files.includes(f)), [], 'expectations without a file')
})

for (const [file, expected] of Object.entries(MALFORMED)) {
  test(`malformed: ${file} → ${[].concat(expected).join(' or ')}`, async (t) => {
    const accept = [].concat(expected)
    const buf = fs.readFileSync(fix(file))
    const result = await outcome(ot.image(buf).raw().toBuffer({ resolveWithObject: true }))
    if (result.ok) {
      t.true(accept.includes('ok') || accept.includes('any'), `resolved ${result.text}, expected ${accept.join(' or ')}`)
      t.is(result.data.length, result.width * result.height * result.channels, 'the pixel buffer matches the info')
      if (accept.includes('ok')) {
        const ref = await sharp(buf, { failOn: 'none' }).metadata()
        t.deepEqual([result.width, result.height], [ref.width, ref.height], 'the size sharp reads')
      }
    } else {
      // One of the table's outcomes (two only where the reference decoders disagree, as said beside the row),
      // then the error's class and message.
      const codes = accept.filter((a) => EXPECTED[a]).map((a) => EXPECTED[a][0])
      t.true(codes.includes(result.code), `rejected ${result.code} (${result.message}), expected ${accept.join(' or ')}`)
      checkError(t, result.err, imageError(result.err), { label: 'the error' })
    }
    // metadata() reads headers only: it must agree on the files that are not images, and never crash.
    const meta = await outcome(ot.image(buf).metadata().then((m) => ({ info: m })))
    if (accept.every((a) => a === 'FORMAT')) checkError(t, meta.err, ERR.imageFormat, { label: `metadata(): ${meta.text}` })
    else if (!meta.ok) checkError(t, meta.err, imageError(meta.err), { label: 'metadata(): an image error' })
  })
}

// Truncated copies (head -c N) of corpus files. With the default failOn ('error'), 'truncated' and 'warning' they must
// be refused; with 'none' offthread may return what it decoded, at the header's size.
const TRUNCATED = {
  'basn6a08.60pct.png': { width: 32, height: 32 }, // cut inside IDAT
  'basn2c16.10pct.png': null, // cut in IHDR's CRC: the size is there, no pixel data
  'ljt-testorig.half.jpg': { width: 227, height: 149 },
  'ljt-testorig.header-only.jpg': null, // cut inside the header segments
  'progressive3.40pct.jpg': { width: 650, height: 470 },
  'free_by_Peter_Nerlich.30pct.jpg': { width: 2880, height: 2160 },
  'gallery1-1-lossy.half.webp': { width: 550, height: 368 },
  'gallery2-2-lossless-alpha.half.webp': { width: 386, height: 395 },
  'anim-random-lossy.half.webp': { width: 99, height: 87 },
  'gifplayer-muybridge.half.gif': { width: 472, height: 298 }
}

test('the truncated table covers malformed/truncated/', (t) => {
  t.deepEqual(fs.readdirSync(fix('malformed/truncated')).sort(), Object.keys(TRUNCATED).sort())
  for (const f of Object.keys(TRUNCATED)) t.truthy(MANIFEST[`malformed/truncated/${f}`].derived_from, `${f}: derived_from in the manifest`)
})

for (const [f, size] of Object.entries(TRUNCATED)) {
  test(`truncated: ${f}`, async (t) => {
    const file = fix('malformed/truncated', f)
    const gifFirstFrameWhole = f === 'gifplayer-muybridge.half.gif'
    for (const failOn of [undefined, 'error', 'truncated', 'warning']) {
      const label = `failOn ${failOn}`
      const fo = failOn === undefined ? {} : { failOn }
      const run = (options) => ot.image(file, { ...options, ...fo }).raw().toBuffer({ resolveWithObject: true })
      if (gifFirstFrameWhole) {
        // The first 274 of 380 frames are whole: the first frame decodes (as sharp, Pillow); all frames do not.
        const first = await outcome(run({}))
        if (first.ok) t.deepEqual([first.width, first.height], [472, 298], `${label}: first frame`)
        else checkError(t, first.err, ERR.imageDecode, { label: `${label}: first frame ${first.message}` })
        await rejects(t, ot.image(file, { ...fo, animated: true }).gif().toBuffer(), ERR.imageDecode, { label: `${label}, animated` })
      } else {
        await rejects(t, run({}), ERR.imageDecode, { label })
      }
    }
    const lenient = await outcome(ot.image(file, { failOn: 'none' }).raw().toBuffer({ resolveWithObject: true }))
    if (size === null) {
      t.false(lenient.ok, `failOn none: nothing to decode, yet ${lenient.text}`)
      if (!lenient.ok) checkError(t, lenient.err, ERR.imageDecode, { label: `failOn none: ${lenient.message}` })
    } else if (lenient.ok) {
      t.deepEqual([lenient.width, lenient.height], [size.width, size.height], 'failOn none: the header\'s size')
      t.is(lenient.data.length, lenient.width * lenient.height * lenient.channels)
    } else {
      checkError(t, lenient.err, ERR.imageDecode, { label: `failOn none: ${lenient.message}` })
    }
    t.log(`failOn none: ${lenient.text}`)
        const meta = await outcome(ot.image(file).metadata().then((m) => ({ info: m })))
    // basn2c16.10pct.png keeps IHDR's 13 data bytes (only its CRC is cut): its size may be read.
    const header = size || (f === 'basn2c16.10pct.png' ? { width: 32, height: 32 } : null)
    if (meta.ok) t.deepEqual([meta.width, meta.height], [header && header.width, header && header.height], `metadata(): ${meta.text}`)
    else checkError(t, meta.err, ERR.imageDecode, { label: `metadata(): ${meta.message}` })
    // A whole PNG/JPEG/GIF header must be read (libwebp wants the whole RIFF, so WebP may refuse).
    if (size !== null && !f.endsWith('.webp')) t.true(meta.ok, `metadata() reads the whole header: ${meta.text} ${meta.message || ''}`)
  })
}

test('failOn: an IDAT CRC error is refused unless failOn is none; bad ancillary CRCs and junk bytes before EOI are not errors', async (t) => {
  // xcsn0g01: the IDAT CRC is wrong but the data is intact (it is basn0g01). 'error' refuses a corrupt critical
  // chunk; 'none' may read it, and then it must be basn0g01's pixels.
  const xcsn = fix('png/pngsuite/xcsn0g01.png')
  await rejects(t, ot.image(xcsn).raw().toBuffer(), ERR.imageDecode, { label: 'xcsn0g01 default' })
  await rejects(t, ot.image(xcsn, { failOn: 'truncated' }).raw().toBuffer(), ERR.imageDecode, { label: 'xcsn0g01 failOn truncated' })
  const lenient = await outcome(ot.image(xcsn, { failOn: 'none' }).raw().toBuffer({ resolveWithObject: true }))
  if (lenient.ok) {
    const twin = await ot.image(fix('png/pngsuite/basn0g01.png')).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([lenient.width, lenient.height], [32, 32], 'xcsn0g01 failOn none: 32×32')
    t.true(toRGBA(lenient.data, lenient.channels).equals(toRGBA(twin.data, twin.info.channels)), 'xcsn0g01 failOn none: the pixels of basn0g01')
  } else {
    checkError(t, lenient.err, ERR.imageDecode, { label: `xcsn0g01 failOn none: ${lenient.message}` })
  }
  // cicp_pq.png, issue-430.png: bad CRCs in ancillary chunks only; extraneous-data.jpg: 6 junk bytes before EOI.
  // The image data is intact: sharp decodes all three even with failOn 'warning'; offthread with the default.
  for (const f of ['png/extra/cicp_pq.png', 'png/extra/issue-430.png', 'jpeg/extraneous-data.jpg']) {
    const r = await outcome(ot.image(fix(f)).raw().toBuffer({ resolveWithObject: true }))
    const ref = await sharp(fix(f)).metadata()
    t.deepEqual(r.ok && [r.width, r.height], [ref.width, ref.height], `${f}: decodes (${r.text} ${r.message || ''})`)
  }
})

test('inputs that are not images: ERR_IMAGE_FORMAT from toBuffer() and metadata()', async (t) => {
  const inputs = {
    'empty buffer': Buffer.alloc(0),
    'one byte': Buffer.from([0x89]),
    text: Buffer.from('hello, world\n'),
    'PDF header': Buffer.from('%PDF-1.7\n%âãÏÓ\n'),
    'zip header': Buffer.from('PK\u0003\u0004' + '\0'.repeat(40), 'latin1'),
    'gzip of a PNG': require('node:zlib').gzipSync(fs.readFileSync(fix('png/pngsuite/basn0g08.png'))),
    zeros: Buffer.alloc(4096),
    'HTML': Buffer.from('<!doctype html><title>x</title>'),
    'SVG (not supported)': Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
  }
  for (const [label, buf] of Object.entries(inputs)) {
    await rejects(t, ot.image(buf).toBuffer(), ERR.imageFormat, { label: `${label}: toBuffer` })
    await rejects(t, ot.image(buf).metadata(), ERR.imageFormat, { label: `${label}: metadata` })
  }
  // A text file by path, and a missing path (ENOENT, as fs does).
  await rejects(t, ot.image(fix('png/pngsuite/PngSuite.README')).toBuffer(), ERR.imageFormat, { label: 'README by path' })
  await rejects(t, ot.image(fix('no-such-file.png')).toBuffer(), ERR.enoent, { label: 'missing file' })
  await rejects(t, ot.image(fix('png')).toBuffer(), ERR.eisdir, { label: 'a directory' })
})

// A 1×1 grey TIFF whose Orientation entry is typed ASCII with 2^31 − 1 values. The tiff crate refuses such an entry,
// but first wrote a dbg! line to stderr: a client must not be able to write to a server's log. Refused before it.
test('a TIFF entry claiming more data than the file holds is refused, with nothing written to stderr', async (t) => {
  const entries = [[256, 3, 1, 1], [257, 3, 1, 1], [258, 3, 1, 8], [262, 3, 1, 1], [273, 4, 1, 98], [274, 2, 0x7fffffff, 0], [279, 4, 1, 1]]
  const tiff = Buffer.alloc(99)
  tiff.write('II', 0, 'latin1')
  tiff.writeUInt16LE(42, 2)
  tiff.writeUInt32LE(8, 4)
  tiff.writeUInt16LE(entries.length, 8)
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + 12 * i
    tiff.writeUInt16LE(tag, at)
    tiff.writeUInt16LE(type, at + 2)
    tiff.writeUInt32LE(count, at + 4)
    tiff.writeUInt32LE(value, at + 8)
  })
  tiff[98] = 0x80
  const script = `
    const ot = require(${JSON.stringify(path.join(__dirname, '..'))})
    const { serialize } = require(${JSON.stringify(require.resolve('./helpers/errors'))})
    const tiff = Buffer.from(${JSON.stringify(tiff.toString('base64'))}, 'base64')
    Promise.all([ot.image(tiff).metadata(), ot.image(tiff).toBuffer(), ot.image(tiff).resize(8).png().toBuffer()]
      .map((p) => p.then(() => 'ok', serialize)))
      .then((r) => console.log(JSON.stringify(r)))`
  const { spawnSync } = require('node:child_process')
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 })
  t.is(r.status, 0, r.stderr)
  t.is(r.stderr, '')
  for (const error of JSON.parse(r.stdout)) {
    checkSerialized(t, error, ERR.imageDecode, { label: 'TIFF' })
    t.is(error.message, 'Input image is corrupt or truncated: TIFF tag 274 claims 2147483647 values, more than the file holds')
  }
})
