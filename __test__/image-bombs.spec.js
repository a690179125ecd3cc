'use strict'
// Issue 17, items 2, 3 and 5: inputs of a few KB whose pipeline would take gigabytes. Each case runs in a
// child process watched by a sampler of its RSS (killed past CAP_MIB), and asserts the exit status, the
// error code and class, and the peak RSS. The fixtures are hand-built here: PNGs of real (zero) rows, a GIF
// and an animated WebP of one-pixel frames on a large canvas, and a header-only PNG.
//
// `node __test__/image-bombs.spec.js [root] [capMiB]` prints the same cases as a table (root: the package
// directory to require, for before/after figures).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')
const { spawn } = require('node:child_process')
const { pngChunk, watchCapped } = require('./helpers/image')

const ROOT = path.join(__dirname, '..')
const CAP_MIB = 512

// ---------------------------------------------------------------------------------------------
// Fixture builders

/** An 8-bit PNG of `width`×`height` (colour type `colorType`) whose IDAT holds `rows` zero rows (all of them by default). */
function png (width, height, { colorType = 2, rows = height, level = 9 } = {}) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = colorType
  const bpp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType]
  const idat = rows > 0 ? zlib.deflateSync(Buffer.alloc((width * bpp + 1) * rows), { level }) : Buffer.alloc(0)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND')])
}

/** A PNG header for `width`×`height` RGB followed by an IDAT chunk claiming 2^31 - 1 bytes that holds four. */
function lyingIdat (width, height) {
  const head = png(width, height, { rows: 0 }).subarray(0, 33)
  const idat = Buffer.alloc(12)
  idat.writeUInt32BE(0x7fffffff, 0)
  idat.write('IDAT', 4, 'latin1')
  idat.set([0x78, 0x01, 0, 0], 8)
  return Buffer.concat([head, idat])
}

/** A GIF89a with a `width`×`height` screen and `frames` one-pixel frames (2-colour global table, looping). */
function gifFrames (width, height, frames) {
  const parts = [Buffer.from('GIF89a', 'latin1')]
  const screen = Buffer.alloc(7)
  screen.writeUInt16LE(width, 0)
  screen.writeUInt16LE(height, 2)
  screen[4] = 0x80 // global colour table of 2 entries
  parts.push(screen, Buffer.from([0, 0, 0, 255, 255, 255]))
  parts.push(Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0', 'latin1'), 3, 1, 0, 0, 0]))
  for (let i = 0; i < frames; i++) {
    const x = i % width
    const y = Math.floor(i / width) % height
    parts.push(Buffer.from([0x21, 0xf9, 4, 0x04, 2, 0, 0, 0])) // GCE: dispose none, 20 ms
    const desc = Buffer.alloc(10)
    desc[0] = 0x2c
    desc.writeUInt16LE(x, 1)
    desc.writeUInt16LE(y, 3)
    desc.writeUInt16LE(1, 5)
    desc.writeUInt16LE(1, 7)
    // LZW, minimum code size 2: clear (4), index 1, end (5) as 3-bit codes.
    parts.push(desc, Buffer.from([2, 2, 0x4c, 0x01, 0]))
  }
  parts.push(Buffer.from([0x3b]))
  return Buffer.concat(parts)
}

function riffChunk (tag, body) {
  const head = Buffer.alloc(8)
  head.write(tag, 0, 'latin1')
  head.writeUInt32LE(body.length, 4)
  return Buffer.concat([head, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)])
}

/** The VP8L chunk (header included) of a lossless 1×1 WebP made by sharp. */
async function vp8l1x1 () {
  const sharp = require('sharp')
  const webp = await sharp({ create: { width: 1, height: 1, channels: 4, background: '#f00f' } }).webp({ lossless: true }).toBuffer()
  if (webp.toString('latin1', 12, 16) !== 'VP8L') throw new Error('expected a simple VP8L WebP')
  return webp.subarray(12)
}

/** An animated WebP with a `width`×`height` canvas and `frames` ANMF frames of the 1×1 chunk `frame`. */
function webpFrames (width, height, frames, frame) {
  const vp8x = Buffer.alloc(10)
  vp8x[0] = 0x02 | 0x10 // animation, alpha
  vp8x.writeUIntLE(width - 1, 4, 3)
  vp8x.writeUIntLE(height - 1, 7, 3)
  const chunks = [riffChunk('VP8X', vp8x), riffChunk('ANIM', Buffer.from([0, 0, 0, 0, 0, 0]))]
  for (let i = 0; i < frames; i++) {
    const head = Buffer.alloc(16)
    head.writeUIntLE(i % (width >> 1), 0, 3) // x / 2
    head.writeUIntLE(0, 3, 3)
    head.writeUIntLE(0, 6, 3) // width - 1
    head.writeUIntLE(0, 9, 3) // height - 1
    head.writeUIntLE(20, 12, 3) // duration
    head[15] = 0x02 // no blending, no disposal
    chunks.push(riffChunk('ANMF', Buffer.concat([head, frame])))
  }
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), ...chunks])
  const riff = Buffer.alloc(8)
  riff.write('RIFF', 0, 'latin1')
  riff.writeUInt32LE(body.length, 4)
  return Buffer.concat([riff, body])
}

// ---------------------------------------------------------------------------------------------
// The cases: input, image() options, and the chain (source text, run in the child as `chain(img)`).

async function cases () {
  const vp8l = await vp8l1x1()
  return [
    { name: 'rotate(45) of a 60000×1 PNG', input: png(60000, 1), chain: 'i => i.rotate(45)', code: 'ERR_IMAGE_TOO_LARGE' },
    { name: 'rotate(45).jpeg() of a 32768×32 PNG', input: png(32768, 32), chain: 'i => i.rotate(45).jpeg()', code: 'ERR_IMAGE_TOO_LARGE' },
    { name: 'resize(300) of a 16×65535 PNG', input: png(16, 65535), chain: 'i => i.resize(300)', code: 'ERR_IMAGE_TOO_LARGE' },
    { name: 'animated GIF, 2048² canvas × 200 frames, resize(64).gif()', input: gifFrames(2048, 2048, 200), options: { animated: true }, chain: 'i => i.resize(64).gif()', code: 'ERR_IMAGE_TOO_LARGE' },
    { name: 'animated WebP, 2048² canvas × 200 frames, resize(64).gif()', input: webpFrames(2048, 2048, 200, vp8l), options: { animated: true }, chain: 'i => i.resize(64).gif()', code: 'ERR_IMAGE_TOO_LARGE' },
    { name: 'header-only 65535² PNG, limitInputPixels: false', input: png(65535, 65535, { rows: 0 }), options: { limitInputPixels: false }, chain: 'i => i', code: 'ERR_IMAGE_DECODE' },
    { name: 'header-only 65535² PNG, limitInputPixels: false, failOn none', input: png(65535, 65535, { rows: 0 }), options: { limitInputPixels: false, failOn: 'none' }, chain: 'i => i.resize(64)', code: 'ERR_IMAGE_DECODE' },
    { name: 'animated GIF, 2048² canvas × 200 frames, limitInputPixels: false', input: gifFrames(2048, 2048, 200), options: { animated: true, limitInputPixels: false }, chain: 'i => i.resize(64).gif()', code: 'ERR_IMAGE_TOO_LARGE' },
    // Within the limit (60 × 2048² = 251,658,240 pixels): decoded frame by frame, never all 60 (1 GiB) at once.
    { name: 'animated GIF, 2048² canvas × 60 frames (within the limit), resize(64).gif()', input: gifFrames(2048, 2048, 60), options: { animated: true }, chain: 'i => i.resize(64).gif()', ok: { width: 64, height: 64, pages: 60 } },
    { name: 'animated WebP, 2048² canvas × 60 frames (within the limit), resize(64).gif()', input: webpFrames(2048, 2048, 60, vp8l), options: { animated: true }, chain: 'i => i.resize(64).gif()', ok: { width: 64, height: 64, pages: 60 } },
    { name: 'header-only 16383² PNG (default limit)', input: png(16383, 16383, { rows: 0 }), chain: 'i => i.resize(64)', code: 'ERR_IMAGE_DECODE' },
    { name: '65535² PNG whose IDAT claims 2 GiB and holds 4 bytes, limitInputPixels: false, failOn none', input: lyingIdat(65535, 65535), options: { limitInputPixels: false, failOn: 'none' }, chain: 'i => i.png()', code: 'ERR_IMAGE_DECODE' }
  ]
}

// ---------------------------------------------------------------------------------------------
// The capped child

const CHILD = `
'use strict'
const fs = require('node:fs')
const ot = require(process.argv[1])
const input = fs.readFileSync(process.argv[2])
const options = JSON.parse(process.argv[3])
const chain = eval(process.argv[4])
const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024
const start = process.hrtime.bigint()
chain(ot.image(input, options)).toBuffer({ resolveWithObject: true }).then(
  ({ info }) => ({ ok: true, width: info.width, height: info.height, pages: info.pages }),
  (err) => ({ ok: false, code: err.code, name: err.name, message: err.message })
).then((r) => {
  r.ms = Number(process.hrtime.bigint() - start) / 1e6
  r.hwmMiB = hwm()
  process.stdout.write(JSON.stringify(r) + '\\n')
  process.exit(0)
})
`


/**
 * Runs one case in a child Node, sampling its RSS every 5 ms and killing it (SIGKILL) past `capMiB` or after
 * `timeoutMs`. Resolves { status, signal, killedFor, peakMiB, ms, result } (result: the child's JSON line).
 */
function runCapped (c, { root = ROOT, capMiB = CAP_MIB, timeoutMs = 30000, script = CHILD } = {}) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ot-bomb-')), 'input')
  fs.writeFileSync(file, c.input)
  const entry = path.join(root, 'index.js')
  const child = spawn(process.execPath, ['-e', script, entry, file, JSON.stringify(c.options ?? {}), c.chain], { stdio: ['ignore', 'pipe', 'pipe'] })
  return watchCapped(child, { capMiB, timeoutMs }).then((r) => {
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
    return r
  })
}

// ---------------------------------------------------------------------------------------------
// Mutations

/** A small deterministic PRNG (mulberry32). */
function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` random cases from `seed`: { input, options, chain (source) }. */
function mutations (seed, count, vp8l) {
  const rnd = prng(seed)
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick = (a) => a[int(0, a.length - 1)]
  const logInt = (hi) => Math.max(1, Math.round(Math.exp(rnd() * Math.log(hi))))
  const out = []
  for (let i = 0; i < count; i++) {
    let input
    const kind = pick(['png', 'png', 'gif', 'webp'])
    const animated = rnd() < 0.5
    if (kind === 'png') {
      const w = logInt(100000)
      const h = logInt(100000)
      const full = w * h <= 1 << 20
      input = png(w, h, { colorType: pick([0, 2, 4, 6]), rows: full && rnd() < 0.7 ? h : Math.min(h, int(0, 3)) })
    } else if (kind === 'gif') {
      input = gifFrames(logInt(65535), logInt(65535), logInt(400))
    } else {
      input = webpFrames(Math.max(2, logInt(16384)), logInt(16384), logInt(200), vp8l)
    }
    if (rnd() < 0.25) { // flip a few header bytes
      input = Buffer.from(input)
      for (let k = int(1, 3); k > 0; k--) input[int(8, Math.min(input.length - 1, 48))] ^= 1 << int(0, 7)
    }
    const ops = []
    if (rnd() < 0.5) ops.push(`.rotate(${pick([45, 90, 13.7, -30, 180, 270.5])})`)
    if (rnd() < 0.3) ops.push(`.extract(${JSON.stringify({ left: logInt(5000) - 1, top: logInt(5000) - 1, width: logInt(5000), height: logInt(5000) })})`)
    if (rnd() < 0.7) {
      const o = { fit: pick(['cover', 'contain', 'fill', 'inside', 'outside']), withoutEnlargement: rnd() < 0.3 }
      ops.push(`.resize(${rnd() < 0.8 ? logInt(4096) : 'null'}, ${rnd() < 0.5 ? logInt(4096) : 'null'}, ${JSON.stringify(o)})`)
    }
    ops.push(pick(['', '.png()', '.jpeg()', '.webp()', '.gif()', '.raw()']))
    // Within the limit, a large canvas or output is a legitimate allocation (a GIF's or WebP's canvas needs no
    // data; rotate(45) of a 16000×3 strip is a 128-megapixel image, and libwebp's encoder takes several bytes
    // a pixel; rotate(45) of a 2·10^7-pixel first frame of an animated WebP peaked at 412 MiB): limits up to
    // 10^7 pixels keep every legitimate pipeline well under the cap. The default limit and no limit are the
    // named cases' (above).
    const options = { animated, failOn: pick(['none', 'warning']), limitInputPixels: pick([1e6, 5e6, 1e7]) }
    out.push({ name: `${kind} ${input.length} B ${JSON.stringify(options)} ${ops.join('')}`, input, options, chain: `i => i${ops.join('')}` })
  }
  return out
}

const MUTATION_CHILD = `
'use strict'
const fs = require('node:fs')
const ot = require(process.argv[1])
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
;(async () => {
  for (const c of cases) {
    const chain = eval(c.chain)
    const r = await chain(ot.image(Buffer.from(c.input, 'base64'), c.options)).toBuffer({ resolveWithObject: true }).then(
      ({ info }) => ({ ok: true, width: info.width, height: info.height }),
      (err) => ({ ok: false, code: err.code, message: err.message }))
    r.case = c.name
    process.stdout.write(JSON.stringify(r) + '\\n')
  }
  process.exit(0)
})()
`

/** Runs `count` mutations of `seed` in one capped child; resolves like runCapped, with lines (one result per case). */
async function runMutations (seed, count, { root = ROOT, capMiB = CAP_MIB, timeoutMs = 240000 } = {}) {
  const list = mutations(seed, count, await vp8l1x1()).map((c) => ({ ...c, input: c.input.toString('base64') }))
  const c = { input: Buffer.from(JSON.stringify(list)), chain: '' }
  const r = await runCapped(c, { root, capMiB, timeoutMs, script: MUTATION_CHILD })
  r.lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
  return r
}

// ---------------------------------------------------------------------------------------------

module.exports = { png, gifFrames, webpFrames, vp8l1x1, runCapped, runMutations, mutations }

if (require.main === module && process.argv[2] === '--mutations') {
  // Replays the mutation test: node __test__/image-bombs.spec.js --mutations <seed> [count]
  ;(async () => {
    const r = await runMutations(Number(process.argv[3]), Number(process.argv[4] ?? 120), { capMiB: 2048 })
    const list = mutations(Number(process.argv[3]), Number(process.argv[4] ?? 120), await vp8l1x1())
    for (const line of r.lines) console.log(line.ok ? 'ok' : line.code, line.case)
    console.log(`peak ${r.peakMiB} MiB, ${r.ms} ms, killed: ${r.killedFor}; next case: ${list[r.lines.length]?.name}`)
  })()
} else if (require.main === module) {
  // Table mode: before/after figures.
  const root = path.resolve(process.argv[2] ?? ROOT)
  const cap = Number(process.argv[3] ?? 2048)
  ;(async () => {
    for (const c of await cases()) {
      const r = await runCapped(c, { root, capMiB: cap })
      const what = r.killedFor ? `killed (${r.killedFor})` : r.result.ok ? `ok ${r.result.width}×${r.result.height}` : `${r.result.code}: ${r.result.message}`
      console.log(`| ${c.name} | ${c.input.length} B | ${what} | ${r.peakMiB} MiB | ${r.ms} ms |`)
    }
  })()
} else if (!process.env.IMAGE_BOMBS_LIB) { // (set to require the builders without ava)
  const test = require('ava')
  const { errorClasses } = require('../lib/native').policy

  test.serial('the fixtures are as small as the issue says', async (t) => {
    const all = await cases()
    const size = Object.fromEntries(all.map((c) => [c.name, c.input.length]))
    t.true(size['rotate(45) of a 60000×1 PNG'] < 400)
    t.true(size['resize(300) of a 16×65535 PNG'] < 16 << 10)
    t.true(size['animated GIF, 2048² canvas × 200 frames, resize(64).gif()'] < 5000)
    t.is(size['header-only 65535² PNG, limitInputPixels: false'], 57)
  })

  for (let i = 0; i < 12; i++) {
    test.serial(`bomb ${i}: ${i < 8 || i >= 10 ? 'refused with a code' : 'processed'}, peak RSS <= ${CAP_MIB} MiB`, async (t) => {
      const c = (await cases())[i]
      t.log(c.name)
      const r = await runCapped(c)
      t.log(`peak ${r.peakMiB} MiB, ${r.ms} ms`, r.result)
      t.is(r.killedFor, null)
      t.is(r.status, 0, r.stderr)
      if (c.ok) {
        t.like(r.result, { ok: true, ...c.ok })
      } else {
        t.false(r.result.ok)
        t.is(r.result.code, c.code)
        t.is(r.result.name, errorClasses[c.code] ?? 'Error')
      }
      t.true(r.peakMiB <= CAP_MIB, `peak ${r.peakMiB} MiB`)
    })
  }

  // Where sharp succeeds with a legitimate input, the plan does not get in the way: the same sizes as sharp.
  test('rotate / resize / extract of ordinary images: sharp\'s sizes', async (t) => {
    const sharp = require('sharp')
    const ot = require('..')
    const card = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#468' } }).png().toBuffer()
    const strip = png(60, 1)
    const tall = png(16, 4000)
    const chains = [
      [card, (i) => i.rotate(45)],
      [card, (i) => i.rotate(30).resize(100)],
      [card, (i) => i.rotate(-10).extract({ left: 5, top: 5, width: 100, height: 50 })],
      [strip, (i) => i.rotate(45)],
      [tall, (i) => i.resize(300)],
      [card, (i) => i.resize(5000, 10, { fit: 'fill' })],
      [card, (i) => i.resize(400, 400, { fit: 'contain' })]
    ]
    for (const [input, chain] of chains) {
      const ours = await chain(ot.image(input)).raw().toBuffer({ resolveWithObject: true })
      const theirs = await chain(sharp(input)).raw().toBuffer({ resolveWithObject: true })
      t.deepEqual([ours.info.width, ours.info.height], [theirs.info.width, theirs.info.height], chain.toString())
    }
  })

  // Mutation test: random small headers (claimed sizes up to each format's maximum, a little real data or
  // none, byte flips) and random rotate / resize / extract chains, animated or not, in one child under the
  // same RSS watch. Never a crash, never past 512 MiB, and every failure is one of the coded image errors.
  test.serial('random headers and options: no crash, RSS <= 512 MiB, only coded errors', async (t) => {
    const seed = Number(process.env.BOMB_SEED ?? Date.now() % 100000)
    t.log(`seed ${seed} (BOMB_SEED=${seed} to replay)`)
    const r = await runMutations(seed, 120)
    t.log(`peak ${r.peakMiB} MiB, ${r.ms} ms`)
    t.is(r.killedFor, null)
    t.is(r.status, 0, r.stderr)
    const allowed = new Set(['ERR_IMAGE_TOO_LARGE', 'ERR_IMAGE_DECODE', 'ERR_IMAGE_FORMAT', 'ERR_OUT_OF_RANGE', 'ERR_IMAGE_ENCODE'])
    t.is(r.lines.length, 120)
    const tally = {}
    for (const line of r.lines) {
      const key = line.ok ? 'ok' : line.code
      tally[key] = (tally[key] ?? 0) + 1
      if (!line.ok) t.true(allowed.has(line.code), `${line.case}: ${line.code} ${line.message}`)
    }
    t.log(tally)
    t.true(r.peakMiB <= CAP_MIB, `peak ${r.peakMiB} MiB`)
  })

  // sharp's answer to the animation bomb: it counts frames × canvas too.
  test('sharp refuses the animated GIF as we do', async (t) => {
    const sharp = require('sharp')
    const err = await t.throwsAsync(sharp(gifFrames(2048, 2048, 200), { animated: true }).resize(64).gif().toBuffer())
    t.regex(err.message, /exceeds pixel limit/)
  })

}
