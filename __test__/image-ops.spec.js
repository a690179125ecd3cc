'use strict'
// Image operations through the public API, against sharp as the reference: EXIF orientation, resize
// dimensions for every fit mode, resampled and exact geometry, grayscale, clone() and thumbhash().
// Outputs and metadata(): image-output.spec.js. Helpers: helpers/image.js.

const test = require('ava')
const { ot, sharp, fix, toRGBA, diff, sharpRGBA, oursRaw, testCard, encodedCard } = require('./helpers/image')
const { ERR, rejects } = require('./helpers/errors')

// ---------------------------------------------------------------------------------------------
// EXIF orientation

const LANDSCAPE = (n) => fix('exif', `Landscape_${n}.jpg`)
const SMALL = (i) => i.resize(64, 43, { fit: 'fill' })

/** Mean absolute difference between two raw outputs, both as RGBA. */
const madRaw = (a, b) => diff(toRGBA(a.data, a.info.channels), toRGBA(b.data, b.info.channels)).mean

test('EXIF orientations 0–8 all come out upright (1800×1200, the pixels of Landscape_1), and clearly not without autoOrient', async (t) => {
  const upright = await SMALL(ot.image(LANDSCAPE(1))).raw().toBuffer({ resolveWithObject: true })
  const bySharp = await SMALL(sharp(LANDSCAPE(1))).raw().toBuffer({ resolveWithObject: true })
  t.true(madRaw(upright, bySharp) < 3, `Landscape_1 thumbnail: mean difference from sharp's ${madRaw(upright, bySharp).toFixed(2)}`)
  for (let n = 0; n <= 8; n++) {
    const full = await ot.image(LANDSCAPE(n)).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([full.info.width, full.info.height], [1800, 1200], `Landscape_${n}: upright size`)
    const small = await SMALL(ot.image(LANDSCAPE(n))).raw().toBuffer({ resolveWithObject: true })
    const d = madRaw(small, upright)
    t.true(d < 4, `Landscape_${n}: mean difference from Landscape_1 ${d.toFixed(2)} (< 4)`)
    // autoOrient: false keeps the stored pixels: 2–8 then differ clearly from Landscape_1 (this is what makes the
    // check above able to fail); 0 and 1 are already upright.
    const stored = await ot.image(LANDSCAPE(n), { autoOrient: false }).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([stored.info.width, stored.info.height], n >= 5 ? [1200, 1800] : [1800, 1200], `Landscape_${n} autoOrient false: stored size`)
    const raw = await SMALL(ot.image(LANDSCAPE(n), { autoOrient: false })).raw().toBuffer({ resolveWithObject: true })
    const r = madRaw(raw, upright)
    if (n >= 2) t.true(r > 30, `Landscape_${n} autoOrient false: mean difference ${r.toFixed(2)} (> 30)`)
    else t.true(r < 4, `Landscape_${n} autoOrient false: already upright (${r.toFixed(2)})`)
  }
})

test('rotate() with no angle auto-orients (also with autoOrient false), and does not turn twice', async (t) => {
  const upright = await SMALL(ot.image(LANDSCAPE(1))).raw().toBuffer({ resolveWithObject: true })
  for (const n of [3, 6, 8, 5]) {
    for (const options of [{ autoOrient: false }, {}]) {
      const label = `Landscape_${n} ${JSON.stringify(options)} rotate()`
      const full = await ot.image(LANDSCAPE(n), options).rotate().raw().toBuffer({ resolveWithObject: true })
      t.deepEqual([full.info.width, full.info.height], [1800, 1200], `${label}: size`)
      const small = await SMALL(ot.image(LANDSCAPE(n), options).rotate()).raw().toBuffer({ resolveWithObject: true })
      t.true(madRaw(small, upright) < 4, `${label}: mean difference ${madRaw(small, upright).toFixed(2)}`)
    }
  }
  // An explicit angle applies after the orientation: Landscape_6 upright, then 90° → 1200×1800, like sharp's rotate().rotate(90)
  const turned = await ot.image(LANDSCAPE(6)).rotate(90).resize(43, 64, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true })
  const ref = await sharp(LANDSCAPE(6)).rotate().toBuffer().then((b) => sharp(b).rotate(90).resize(43, 64, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true }))
  t.deepEqual([turned.info.width, turned.info.height], [43, 64])
  t.true(madRaw(turned, ref) < 4, `Landscape_6 + rotate(90): mean difference from sharp ${madRaw(turned, ref).toFixed(2)}`)
})

test('metadata() reports the EXIF orientation and the stored size (as sharp)', async (t) => {
  for (let n = 0; n <= 8; n++) {
    const m = await ot.image(LANDSCAPE(n)).metadata()
    const s = await sharp(LANDSCAPE(n)).metadata()
    t.deepEqual([m.width, m.height], [s.width, s.height], `Landscape_${n}: stored size`)
    if (n === 0) t.true(m.orientation === undefined || m.orientation === 1, `Landscape_0: orientation 0 is invalid, read as none or 1 (got ${m.orientation})`)
    else t.is(m.orientation, n, `Landscape_${n}: orientation`)
  }
  t.is((await ot.image(fix('exif/image-rs-portrait_2.jpg')).metadata()).orientation, 2)
  t.is((await ot.image(fix('png/extra/F-exif-chunk-early.png')).metadata()).orientation, 6, 'PNG eXIf chunk')
  t.is((await ot.image(fix('png/pngsuite/basn2c08.png')).metadata()).orientation, undefined, 'no EXIF: no orientation')
})

test('the output of an oriented image carries no orientation to apply again (stripped, or reset to 1 by keepMetadata)', async (t) => {
  for (const n of [6, 3, 8]) {
    const stripped = await ot.image(LANDSCAPE(n)).resize(300).jpeg().toBuffer()
    const s = await sharp(stripped).metadata()
    t.deepEqual([s.width, s.height], [300, 200], `Landscape_${n}: upright output`)
    t.true(s.orientation === undefined || s.orientation === 1, `Landscape_${n}: output orientation ${s.orientation}`)
    const kept = await ot.image(LANDSCAPE(n)).resize(300).keepMetadata().jpeg().toBuffer()
    const k = await sharp(kept).metadata()
    t.deepEqual([k.width, k.height], [300, 200], `Landscape_${n} keepMetadata: upright output`)
    t.truthy(k.exif, `Landscape_${n} keepMetadata: EXIF kept`)
    t.is(k.orientation, 1, `Landscape_${n} keepMetadata: orientation reset to 1`)
    // autoOrient false + keepMetadata: the pixels are not turned, so the orientation must stay for viewers.
    const asStored = await ot.image(LANDSCAPE(n), { autoOrient: false }).keepMetadata().jpeg().toBuffer()
    t.is((await sharp(asStored).metadata()).orientation, n, `Landscape_${n} autoOrient false + keepMetadata: orientation kept`)
  }
})

test('orientation 2 (mirror) on a small portrait: as sharp\'s rotate()', async (t) => {
  const file = fix('exif/image-rs-portrait_2.jpg')
  const ours = await oursRaw(file)
  const ref = await sharpRGBA(file, {}, (s) => s.rotate())
  t.deepEqual([ours.info.width, ours.info.height], [ref.width, ref.height])
  const d = diff(ours.rgba, ref.data, 2)
  t.true(d.mean < 0.3, `mean ${d.mean.toFixed(3)}, max ${d.max}`)
})

// ---------------------------------------------------------------------------------------------
// Resize dimensions: every fit × withoutEnlargement / withoutReduction × sizes, as sharp

const FITS = ['cover', 'contain', 'fill', 'inside', 'outside']
const TARGETS = [[100, 100], [150, null], [null, 150], [400, 300], [90, 300], [1, 1], [1000, 10], [37, 13], [300, 200], [301, null], [null, 1]]
const INPUTS = [[300, 200], [200, 300], [31, 17]]

test('resize: output size equals sharp\'s for every fit, withoutEnlargement and withoutReduction, width- and height-only', async (t) => {
  let checked = 0
  for (const [w, h] of INPUTS) {
    const input = await encodedCard(w, h)
    for (const fit of FITS) {
      for (const flags of [{}, { withoutEnlargement: true }, { withoutReduction: true }]) {
        for (const [tw, th] of TARGETS) {
          const options = { fit, ...flags }
          const ref = await sharp(input).resize(tw, th, options).raw().toBuffer({ resolveWithObject: true })
          const label = `${w}×${h} resize(${tw}, ${th}, ${JSON.stringify(options)})`
          const ours = await ot.image(input).resize(tw, th, options).raw().toBuffer({ resolveWithObject: true })
          t.deepEqual([ours.info.width, ours.info.height], [ref.info.width, ref.info.height], label)
          t.is(ours.data.length, ours.info.width * ours.info.height * ours.info.channels, `${label}: buffer size`)
          checked++
        }
      }
    }
  }
  // The same through the options-object form, and with null/undefined mixed.
  const input = await encodedCard(300, 200)
  for (const fit of FITS) {
    const ref = await sharp(input).resize({ width: 120, height: 50, fit }).raw().toBuffer({ resolveWithObject: true })
    const ours = await ot.image(input).resize({ width: 120, height: 50, fit }).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([ours.info.width, ours.info.height], [ref.info.width, ref.info.height], `resize({ width: 120, height: 50, fit: ${fit} })`)
    const refW = await sharp(input).resize({ width: 120, fit }).raw().toBuffer({ resolveWithObject: true })
    const oursW = await ot.image(input).resize(undefined, undefined, { width: 120, fit }).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([oursW.info.width, oursW.info.height], [refW.info.width, refW.info.height], `resize(undefined, undefined, { width: 120, fit: ${fit} })`)
  }
  t.is(checked, INPUTS.length * FITS.length * 3 * TARGETS.length)
})

test('resize to every width 1–640 and every height 1–420 of a 300×200 image: sharp\'s size, never an error', async (t) => {
  const input = await encodedCard(300, 200)
  const wrong = []
  const check = async (label, ours, ref) => {
    const r = await ours.raw().toBuffer({ resolveWithObject: true }).catch((err) => ({ err }))
    if (r.err) return wrong.push(`${label}: ${r.err.code} ${r.err.message}`)
    const s = await ref.raw().toBuffer({ resolveWithObject: true })
    if (r.info.width !== s.info.width || r.info.height !== s.info.height) wrong.push(`${label}: ${r.info.width}×${r.info.height}, sharp ${s.info.width}×${s.info.height}`)
  }
  for (let w = 1; w <= 640; w++) await check(`resize(${w})`, ot.image(input).resize(w), sharp(input).resize(w))
  for (let h = 1; h <= 420; h++) await check(`resize(null, ${h})`, ot.image(input).resize(null, h), sharp(input).resize(null, h))
  t.deepEqual(wrong, [], `${wrong.length} of 1060 sizes wrong`)
})

test('JPEG shrink-on-load picks sharp\'s DCT scale: one step less when the whole factor equals it (4.09 → 1/2, not 1/4)', async (t) => {
  // 1800 px wide to each width: factors 2.00–9.00. Measured before this rule, with a scale a step finer than
  // sharp's, the mean difference was 1.1–1.8 (1/4 decoding left 816 → 800 px to smooth the DCT scaling's block
  // edges: SSIM 0.922 instead of sharp's 0.939 on an 8 MP photo to 800w). With sharp's scale: under 0.15 where
  // the factor is 2, 3, 4 or 8 (what is left to resample is a whole factor, where the kernels agree), under 0.9
  // elsewhere (its kernel and ours differ).
  const src = LANDSCAPE(1)
  for (const w of [900, 850, 600, 450, 440, 400, 350, 225, 220, 200]) {
    const ours = await ot.image(src).resize(w).raw().toBuffer({ resolveWithObject: true })
    const ref = await sharp(src).resize(w).raw().toBuffer({ resolveWithObject: true })
    const d = madRaw(ours, ref)
    const bound = [2, 3, 4, 8].includes(1800 / w) ? 0.15 : 0.9
    t.true(d < bound, `${w} px (factor ${(1800 / w).toFixed(2)}): mean difference from sharp's ${d.toFixed(3)} (< ${bound})`)
  }
})

test('resize pixels: cover positions, contain background and the kernels stay close to sharp', async (t) => {
  const input = await encodedCard(300, 200)
  const cases = [
    [120, 120, { fit: 'cover' }],
    [120, 120, { fit: 'cover', position: 'left' }],
    [120, 120, { fit: 'cover', position: 'right' }],
    [200, 60, { fit: 'cover', position: 'top' }],
    [200, 60, { fit: 'cover', position: 'south' }],
    [120, 120, { fit: 'contain', background: '#ff0000' }],
    [120, 120, { fit: 'contain', background: { r: 0, g: 0, b: 255, alpha: 1 }, position: 'left' }],
    [150, 100, { kernel: 'nearest' }],
    [150, 100, { kernel: 'linear' }],
    [150, 100, { kernel: 'cubic' }],
    [150, 100, { kernel: 'mitchell' }],
    [150, 100, { kernel: 'lanczos3' }]
  ]
  for (const [w, h, options] of cases) {
    const label = `resize(${w}, ${h}, ${JSON.stringify(options)})`
    const ours = await ot.image(input).resize(w, h, options).raw().toBuffer({ resolveWithObject: true })
    const ref = await sharp(input).resize(w, h, options).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([ours.info.width, ours.info.height], [ref.info.width, ref.info.height], label)
    const d = madRaw(ours, ref)
    t.true(d < 4, `${label}: mean difference from sharp ${d.toFixed(2)}`)
  }
  // Enlarging: libvips samples an enlargement half an output pixel off centre (a step 0,0,0,0,255,… enlarged ×2 with
  // 'linear' gives …,0,0,128,255 where a centred sampler gives …,0,64,191,255), so only a loose comparison, plus a
  // symmetry check: enlarging the mirrored image gives the mirrored enlargement.
  for (const kernel of ['linear', 'lanczos3']) {
    const ours = await ot.image(input).resize(600, 400, { kernel }).raw().toBuffer({ resolveWithObject: true })
    const ref = await sharp(input).resize(600, 400, { kernel }).raw().toBuffer({ resolveWithObject: true })
    t.true(madRaw(ours, ref) < 8, `enlarge ×2 ${kernel}: mean difference from sharp ${madRaw(ours, ref).toFixed(2)}`)
    const flopped = await ot.image(await sharp(input).flop().png().toBuffer()).resize(600, 400, { kernel }).flop().raw().toBuffer({ resolveWithObject: true })
    t.true(diff(ours.data, flopped.data, 1).over === 0, `enlarge ×2 ${kernel}: mirror symmetric`)
  }
  // Proof that this comparison can fail: a wrong position is far off.
  const left = await ot.image(input).resize(120, 120, { fit: 'cover', position: 'left' }).raw().toBuffer({ resolveWithObject: true })
  const right = await sharp(input).resize(120, 120, { fit: 'cover', position: 'right' }).raw().toBuffer({ resolveWithObject: true })
  t.true(madRaw(left, right) > 20, `left vs right crop differ (${madRaw(left, right).toFixed(2)})`)
  // contain: the padding is exactly the background.
  const padded = await ot.image(input).resize(120, 120, { fit: 'contain', background: '#ff0000' }).raw().toBuffer({ resolveWithObject: true })
  const px = toRGBA(padded.data, padded.info.channels)
  t.deepEqual([...px.subarray(0, 4)], [255, 0, 0, 255], 'top-left pixel is the background')
  t.deepEqual([...px.subarray(px.length - 4)], [255, 0, 0, 255], 'bottom-right pixel is the background')
})

test('geometry without resampling is exact: extract, flip, flop, rotate by right angles, and their combinations', async (t) => {
  const input = await encodedCard(64, 40, 'png', 4)
  const chains = {
    'extract': (i) => i.extract({ left: 5, top: 7, width: 30, height: 20 }),
    'flip': (i) => i.flip(),
    'flop': (i) => i.flop(),
    'rotate(90)': (i) => i.rotate(90),
    'rotate(180)': (i) => i.rotate(180),
    'rotate(270)': (i) => i.rotate(270),
    'rotate(-90)': (i) => i.rotate(-90),
    'rotate(450)': (i) => i.rotate(450),
    'rotate(90) + extract': (i) => i.rotate(90).extract({ left: 3, top: 10, width: 20, height: 30 }),
    'flip + flop + extract': (i) => i.flip().flop().extract({ left: 0, top: 0, width: 64, height: 1 }),
    'extract + resize + extract': (i) => i.extract({ left: 4, top: 4, width: 32, height: 32 }).resize(16, 16, { kernel: 'nearest' }).extract({ left: 2, top: 3, width: 8, height: 5 }),
    'flip(false)': (i) => i.flip(false)
  }
  for (const [label, chain] of Object.entries(chains)) {
    const ours = await chain(ot.image(input)).raw().toBuffer({ resolveWithObject: true })
    const ref = await chain(sharp(input)).raw().toBuffer({ resolveWithObject: true })
    t.deepEqual([ours.info.width, ours.info.height], [ref.info.width, ref.info.height], `${label}: size`)
    // sharp premultiplies alpha around a resize, which moves some values by up to 2.
    const tol = label.includes('resize') ? 2 : 0
    const d = diff(toRGBA(ours.data, ours.info.channels), toRGBA(ref.data, ref.info.channels), tol)
    t.is(d.over, 0, `${label}: ${d.over} values off by more than ${tol} (max ${d.max})`)
  }
  // An extract outside the image is refused with ERR_OUT_OF_RANGE, as the region's numbers are out of the image's
  // range (sharp: "extract_area: bad extract area"; bad-input.spec.js has the same rows).
  await rejects(t, ot.image(input).extract({ left: 60, top: 0, width: 10, height: 10 }).toBuffer(), ERR.range, { label: 'extract beyond the right edge' })
  await t.throwsAsync(sharp(input).extract({ left: 60, top: 0, width: 10, height: 10 }).toBuffer(), undefined, 'sharp refuses it too')
})

test('grayscale(): one grey value per pixel, close to sharp\'s or to Rec. 601/709 luma; alpha kept', async (t) => {
  for (const channels of [3, 4]) {
    const input = await encodedCard(64, 40, 'png', channels)
    for (const call of [(i) => i.grayscale(), (i) => i.greyscale(), (i) => i.greyscale(true)]) {
      const { data, info } = await call(ot.image(input)).raw().toBuffer({ resolveWithObject: true })
      t.is(info.channels, channels === 4 ? 2 : 1, `${channels} channels in: grey${channels === 4 ? ' + alpha' : ''} out`)
      const ref = await sharp(input).grayscale().raw().toBuffer({ resolveWithObject: true })
      const card = testCard(64, 40, channels)
      let d601 = 0
      let d709 = 0
      let dSharp = 0
      let alphaOff = 0
      const n = 64 * 40
      for (let p = 0; p < n; p++) {
        const [r, g, b] = card.subarray(p * channels, p * channels + 3)
        const y = data[p * info.channels]
        d601 += Math.abs(y - (0.299 * r + 0.587 * g + 0.114 * b))
        d709 += Math.abs(y - (0.2126 * r + 0.7152 * g + 0.0722 * b))
        dSharp += Math.abs(y - ref.data[p * ref.info.channels])
        if (channels === 4 && data[p * 2 + 1] !== card[p * 4 + 3]) alphaOff++
      }
      const best = Math.min(d601, d709, dSharp) / n
      t.true(best < 3, `mean difference: ${(d601 / n).toFixed(2)} from Rec. 601, ${(d709 / n).toFixed(2)} from Rec. 709, ${(dSharp / n).toFixed(2)} from sharp`)
      t.is(alphaOff, 0, 'alpha unchanged')
    }
    const off = await ot.image(input).greyscale(false).raw().toBuffer({ resolveWithObject: true })
    t.is(off.info.channels, channels, 'greyscale(false): colour kept')
  }
})

test('clone(): an independent copy of the pipeline so far', async (t) => {
  const base = ot.image(await encodedCard(100, 80)).resize(50)
  const a = base.clone().png()
  const b = base.clone().resize(10).jpeg()
  const [ra, rb, rbase] = await Promise.all([a.toBuffer({ resolveWithObject: true }), b.toBuffer({ resolveWithObject: true }), base.raw().toBuffer({ resolveWithObject: true })])
  t.deepEqual([ra.info.format, ra.info.width, ra.info.height], ['png', 50, 40])
  t.deepEqual([rb.info.format, rb.info.width, rb.info.height], ['jpeg', 10, 8])
  t.deepEqual([rbase.info.format, rbase.info.width, rbase.info.height], ['raw', 50, 40])
})

test('thumbhash(): a base64 ThumbHash of the processed image; similar images, similar hashes', async (t) => {
  const hash = await ot.image(fix('exif/Landscape_1.jpg')).thumbhash()
  t.regex(hash, /^[A-Za-z0-9+/]+=*$/)
  const bytes = Buffer.from(hash, 'base64')
  t.true(bytes.length >= 5 && bytes.length <= 25, `${bytes.length} bytes`)
  // An oriented file gives (nearly) the hash of the upright one; the same file not oriented, a clearly different one.
  const distance = (a, b) => {
    const x = Buffer.from(a, 'base64')
    const y = Buffer.from(b, 'base64')
    let d = Math.abs(x.length - y.length) * 255
    for (let i = 0; i < Math.min(x.length, y.length); i++) d += Math.abs(x[i] - y[i])
    return d
  }
  const oriented = distance(await ot.image(fix('exif/Landscape_6.jpg')).thumbhash(), hash)
  const stored = distance(await ot.image(fix('exif/Landscape_6.jpg'), { autoOrient: false }).thumbhash(), hash)
  t.true(oriented < stored / 4, `byte distance from Landscape_1's hash: ${oriented} oriented, ${stored} not oriented`)
  t.is(await ot.image(fix('exif/Landscape_1.jpg')).thumbhash(), hash, 'deterministic')
})
