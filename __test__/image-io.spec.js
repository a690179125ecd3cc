'use strict'
// Issue 17, items 4, 6 and 8 (toFile, decode abort): what the image pipeline reads and writes, and what it
// keeps. Path inputs: only regular files, at most maxInputBytes, reads stopped by the signal, metadata()
// reading headers only; toFile() atomic against concurrent writers; JPEG/PNG decodes stop at an abort; the
// per-thread resize scratch does not keep the largest image it saw. Cases where memory or bytes read are
// the point run in a child process whose RSS is sampled (killed past CAP_MIB) and which reports its peak RSS
// (VmHWM) and the bytes it read (/proc/self/io rchar).
//
// `node __test__/image-io.spec.js [root] [capMiB]` prints the child cases as a table (root: the package to
// require, for before/after figures).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn, execFileSync } = require('node:child_process')
const { pngChunk, watchCapped } = require('./helpers/image')

const ROOT = path.join(__dirname, '..')
const CAP_MIB = 512
const MiB = 1 << 20

/** A PNG signature and an RGBA IHDR of `width`×`height` (CRC not checked by the probe), then an IDAT chunk header. */
function pngHead (width, height, idatLength) {
  const b = Buffer.alloc(8 + 25 + 8)
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0)
  b.writeUInt32BE(13, 8)
  b.write('IHDR', 12, 'latin1')
  b.writeUInt32BE(width, 16)
  b.writeUInt32BE(height, 20)
  b[24] = 8
  b[25] = 6
  b.writeUInt32BE(idatLength, 33)
  b.write('IDAT', 37, 'latin1')
  return b
}

/** A sparse file of `size` bytes starting with `head` (no disk blocks for the rest). */
function sparse (file, head, size) {
  fs.writeFileSync(file, head)
  fs.truncateSync(file, size)
  return file
}

const CHILD = `
'use strict'
const fs = require('node:fs')
const ot = require(process.argv[1])
const args = JSON.parse(process.argv[2])
const run = eval(process.argv[3])
const status = () => fs.readFileSync('/proc/self/status', 'utf8')
const kib = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(status())[1])
const rchar = () => Number(/rchar: (\\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1])
const r0 = rchar()
const start = process.hrtime.bigint()
Promise.resolve().then(() => run(ot, args, { kib, rchar })).then(
  (value) => ({ ok: true, value }),
  (err) => ({ ok: false, code: err.code, class: err.constructor && err.constructor.name, message: err.message })
).then((r) => {
  r.ms = Math.round(Number(process.hrtime.bigint() - start) / 1e6)
  r.readMiB = Math.round((rchar() - r0) / 1048576 * 10) / 10
  r.hwmMiB = Math.round(kib('VmHWM') / 1024)
  process.stdout.write(JSON.stringify(r) + '\\n')
  process.exit(0)
})
`


/**
 * Runs `run` (source text of `(ot, args, { kib, rchar }) => value or promise`) in a child Node, sampling its RSS
 * every 5 ms and killing it past `capMiB` or after `timeoutMs`. Resolves { status, killedFor, peakMiB, ms, result }.
 */
function runCapped (run, args, { root = ROOT, capMiB = CAP_MIB, timeoutMs = 30000 } = {}) {
  const child = spawn(process.execPath, ['-e', CHILD, path.join(root, 'index.js'), JSON.stringify(args), run], { stdio: ['ignore', 'pipe', 'pipe'] })
  return watchCapped(child, { capMiB, timeoutMs })
}

// ---------------------------------------------------------------------------------------------
// The child cases: name, setup (returns args), the child's run, and what is expected.

let dir
function workDir () {
  if (dir === undefined) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-io-'))
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
  }
  return dir
}

/** A `size`² RGBA PNG of zero rows (deflated at level 1), written once. */
function rgbaPng (size) {
  const file = path.join(workDir(), `rgba-${size}.png`)
  if (!fs.existsSync(file)) {
    const zlib = require('node:zlib')
    const chunk = pngChunk
    const ihdr = pngHead(size, size, 0).subarray(16, 29)
    const idat = zlib.deflateSync(Buffer.alloc((size * 4 + 1) * size), { level: 1 })
    fs.writeFileSync(file, Buffer.concat([pngHead(0, 0, 0).subarray(0, 8), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]))
  }
  return file
}

const RESIZE_RUN = `async (ot, a, { kib }) => {
  const rss = () => Math.round(kib('VmRSS') / 1024)
  const settle = async () => { for (let i = 0; i < 5; i++) { global.gc && global.gc(); await new Promise((r) => setTimeout(r, 50)) } }
  // Warm up: the pool's threads and a small resize on every thread.
  await Promise.all([0, 1, 2, 3].map(() => ot.image(a.small).resize(32).png().toBuffer()))
  await settle()
  const before = rss()
  await ot.image(a.big).resize(a.to).png().toBuffer()
  await settle()
  return { before, after: rss(), retainedMiB: rss() - before }
}`

const CASES = [
  {
    name: 'one 6000×6000 RGBA resize: RSS after vs before',
    setup: () => ({ big: rgbaPng(6000), small: rgbaPng(64), to: 1000 }),
    run: RESIZE_RUN,
    check: (t, r) => {
      t.true(r.result.ok, JSON.stringify(r.result))
      // The scratch (a premultiplied copy of 137 MiB) is freed; 32 MiB of slack for allocator noise.
      t.true(r.result.value.retainedMiB < 32, `RSS +${r.result.value.retainedMiB} MiB after the resize`)
    }
  },
  {
    name: 'metadata() of a 1 GiB PNG (headers in the first 41 bytes)',
    setup: () => ({ file: sparse(path.join(workDir(), 'gib.png'), pngHead(640, 480, 0x7fffffff), 1 << 30) }),
    run: '(ot, a) => ot.image(a.file).metadata()',
    check: (t, r) => {
      t.true(r.result.ok, JSON.stringify(r.result))
      t.like(r.result.value, { format: 'png', width: 640, height: 480, size: 1 << 30 })
      t.true(r.result.readMiB < 1, `read ${r.result.readMiB} MiB`)
    }
  },
  {
    name: 'toBuffer() of a 1 GiB file (default maxInputBytes)',
    setup: () => ({ file: sparse(path.join(workDir(), 'gib2.png'), pngHead(640, 480, 0x7fffffff), 1 << 30) }),
    run: '(ot, a) => ot.image(a.file).toBuffer()',
    code: 'ERR_FS_FILE_TOO_LARGE',
    check: (t, r) => t.true(r.result.readMiB < 1, `read ${r.result.readMiB} MiB`)
  },
  {
    name: "image('/dev/zero').metadata({ signal })",
    setup: () => ({}),
    run: "(ot) => ot.image('/dev/zero').metadata({ signal: AbortSignal.timeout(500) })",
    code: 'ERR_NOT_REGULAR_FILE',
    check: (t, r) => t.true(r.result.readMiB < 1, `read ${r.result.readMiB} MiB`)
  },
  {
    name: 'toBuffer() of a 2 GiB file (maxInputBytes 4 GiB), aborted 20 ms in',
    setup: () => ({ file: sparse(path.join(workDir(), '2gib.png'), pngHead(640, 480, 0x7fffffff), 2 * 2 ** 30) }),
    run: `(ot, a) => {
      const c = new AbortController()
      setTimeout(() => c.abort(), 20)
      return ot.image(a.file, { maxInputBytes: 4 * 2 ** 30 }).toBuffer({ signal: c.signal })
    }`,
    code: 'ABORT_ERR',
    className: 'AbortError',
    check: (t, r) => t.true(r.result.ms < 1000, `rejected after ${r.result.ms} ms`)
  }
]

async function runCase (c, opts) {
  return runCapped(c.run, await c.setup(), opts)
}

if (require.main === module) {
  // Table mode: before/after figures.
  const root = path.resolve(process.argv[2] ?? ROOT)
  const cap = Number(process.argv[3] ?? 2048)
  ;(async () => {
    for (const c of CASES) {
      const r = await runCase(c, { root, capMiB: cap, timeoutMs: 20000 })
      const x = r.result
      const what = r.killedFor ? `killed (${r.killedFor})` : x === null ? `exit ${r.status}: ${r.stderr.slice(0, 200)}` : x.ok ? `ok ${JSON.stringify(x.value)}` : `${x.code} (${x.class})`
      console.log(`| ${c.name} | ${what} | peak ${r.peakMiB} MiB | read ${x ? x.readMiB : '?'} MiB | ${r.ms} ms |`)
    }
  })()
} else {
  const test = require('ava')
  const { ot, sharp, cpuMs, until, tmp } = require('./helpers/image')
  const { ERR, rejects, aborted } = require('./helpers/errors')

  for (const c of CASES) {
    test.serial(`child: ${c.name}`, async (t) => {
      const r = await runCase(c)
      t.log(`peak ${r.peakMiB} MiB, ${r.ms} ms`, r.result)
      t.is(r.killedFor, null)
      t.is(r.status, 0, r.stderr)
      if (c.code !== undefined) {
        t.false(r.result.ok, JSON.stringify(r.result))
        t.is(r.result.code, c.code)
        t.is(r.result.class, c.className ?? require('../lib/native').policy.errorClasses[c.code])
      }
      c.check(t, r)
      t.true(r.peakMiB <= CAP_MIB, `peak ${r.peakMiB} MiB`)
    })
  }

  const NOT_REGULAR = ['ERR_NOT_REGULAR_FILE', Error]
  const FILE_TOO_LARGE = ['ERR_FS_FILE_TOO_LARGE', RangeError]

  /** Rejects after `ms` if `promise` has not settled: a read that blocks must fail the test, not hang it. */
  const within = (promise, ms, what) => Promise.race([
    promise,
    new Promise((resolve, reject) => setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms).unref())
  ])

  test.serial('a FIFO is refused before any read (image and hashFile), and the pool stays free', async (t) => {
    const fifo = tmp('fifo')
    execFileSync('mkfifo', [fifo])
    // No writer ever opens it: a blocking open or read would hang a pool thread.
    const calls = {
      'image(fifo).metadata()': () => ot.image(fifo).metadata(),
      'image(fifo).toBuffer()': () => ot.image(fifo).toBuffer(),
      'image(fifo).thumbhash()': () => ot.image(fifo).thumbhash(),
      'hashFile(fifo)': () => ot.hashFile(fifo),
      'hashFile(fifo, hmacKey)': () => ot.hashFile(fifo, 'sha256', { hmacKey: 'k' })
    }
    for (const [label, fn] of Object.entries(calls)) {
      await within(rejects(t, fn(), NOT_REGULAR, { label }), 3000, label)
    }
    // Both pool threads answer at once.
    const d = await within(Promise.all([ot.digest('sha256', 'a'), ot.digest('sha256', 'b')]), 3000, 'digest after')
    t.is(d.length, 2)
  })

  test.serial('a character device is refused with ERR_NOT_REGULAR_FILE; a directory stays EISDIR', async (t) => {
    await rejects(t, ot.image('/dev/zero').toBuffer(), NOT_REGULAR, { label: '/dev/zero toBuffer' })
    await rejects(t, ot.hashFile('/dev/zero'), NOT_REGULAR, { label: 'hashFile(/dev/zero)' })
    await rejects(t, ot.image(os.tmpdir()).metadata(), ERR.eisdir, { label: 'image(dir).metadata' })
    await rejects(t, ot.hashFile(os.tmpdir()), ERR.eisdir, { label: 'hashFile(dir)' })
  })

  test.serial('maxInputBytes: a file over it is refused; metadata() needs only the header bytes within it', async (t) => {
    const file = tmp('io-small.png')
    fs.writeFileSync(file, await sharp({ create: { width: 64, height: 48, channels: 3, background: '#08f' } }).png().toBuffer())
    const size = fs.statSync(file).size
    await rejects(t, ot.image(file, { maxInputBytes: size - 1 }).toBuffer(), FILE_TOO_LARGE, {
      message: `File size (${size}) is greater than maxInputBytes (${size - 1})`
    })
    await rejects(t, ot.image(file, { maxInputBytes: size - 1 }).thumbhash(), FILE_TOO_LARGE)
    const out = await ot.image(file, { maxInputBytes: size }).toBuffer({ resolveWithObject: true })
    t.like(out.info, { width: 64, height: 48 })
    // IHDR and the first IDAT lie within 41 bytes.
    t.like(await ot.image(file, { maxInputBytes: 64 }).metadata(), { width: 64, height: 48, size })
    // The same limit does not apply to Buffers (already in memory).
    t.like(await ot.image(fs.readFileSync(file), { maxInputBytes: 1 }).metadata(), { width: 64, size })
  })

  test.serial('maxInputBytes is validated at image() and its default comes from core', (t) => {
    const { policy } = require('../lib/native')
    t.is(policy.image.defaults.maxInputBytes, 512 * MiB)
    t.deepEqual(policy.image.maxInputBytes, { min: 1, max: Number.MAX_SAFE_INTEGER })
    const { throws } = require('./helpers/errors')
    throws(t, () => ot.image('x.png', { maxInputBytes: 0 }), ERR.range)
    throws(t, () => ot.image('x.png', { maxInputBytes: 1.5 }), ERR.range)
    throws(t, () => ot.image('x.png', { maxInputBytes: '1' }), ERR.type)
  })

  test.serial('300 toFile() to one path, 50 at a time: readers and the final file always see one whole output', async (t) => {
    const a = ot.image(await sharp({ create: { width: 16, height: 16, channels: 3, background: '#f00' } }).png().toBuffer()).png()
    const b = ot.image(await sharp({ create: { width: 256, height: 256, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer()).png()
    const outA = await a.toBuffer()
    const outB = await b.toBuffer()
    t.true(outB.length > 10 * outA.length)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-tofile-'))
    const file = path.join(dir, 'out.png')
    const seen = { a: 0, b: 0, missing: 0, mixed: 0 }
    let writing = true
    const reader = (async () => {
      while (writing) {
        let got
        try { got = fs.readFileSync(file) } catch (e) { if (e.code !== 'ENOENT') throw e; seen.missing++ }
        if (got !== undefined) {
          if (got.equals(outA)) seen.a++
          else if (got.equals(outB)) seen.b++
          else seen.mixed++
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    // 300 writes in waves of 50 concurrent ones (the pool's default maxQueue admits fewer than 300 at once).
    const infos = []
    try {
      for (let wave = 0; wave < 6; wave++) {
        const writes = []
        for (let i = 0; i < 50; i++) writes.push((i % 2 ? b : a).toFile(file))
        infos.push(...await Promise.all(writes))
      }
    } finally {
      writing = false
      await reader
    }
    t.log(seen)
    t.is(infos.length, 300)
    t.is(seen.mixed, 0)
    const final = fs.readFileSync(file)
    t.true(final.equals(outA) || final.equals(outB), `final file of ${final.length} bytes is neither output`)
    // No temporary file is left behind.
    t.deepEqual(fs.readdirSync(dir), ['out.png'])
    fs.rmSync(dir, { recursive: true, force: true })
  })

  test.serial('toFile() into a missing directory rejects ENOENT and leaves nothing', async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ot-tofile-'))
    const small = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toBuffer()
    await rejects(t, ot.image(small).toFile(path.join(dir, 'no', 'such.png')), ERR.enoent)
    t.deepEqual(fs.readdirSync(dir), [])
    fs.rmSync(dir, { recursive: true, force: true })
  })

  // Decode abort: a large progressive JPEG (libjpeg decodes every scan before the first row comes out) and an
  // interlaced PNG (no row loop). CPU time is compared with a full run measured in the same process.
  const decodeCases = {
    'progressive JPEG 4000×3000': () => sharp({ create: { width: 4000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).jpeg({ progressive: true, quality: 95 }).toBuffer(),
    'baseline JPEG 4000×3000': () => sharp({ create: { width: 4000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).jpeg({ quality: 95 }).toBuffer(),
    'interlaced PNG 3000×3000': () => sharp({ create: { width: 3000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).png({ progressive: true, compressionLevel: 1 }).toBuffer()
  }
  for (const [name, make] of Object.entries(decodeCases)) {
    test.serial(`aborting the decode of a ${name} rejects ABORT_ERR using a small part of a full decode's CPU`, async (t) => {
      const input = await make()
      // The pipeline is the decode and little else: a 16×16 crop, PNG out.
      const run = (signal) => ot.image(input, { limitInputPixels: false }).extract({ left: 0, top: 0, width: 16, height: 16 }).png().toBuffer({ signal })
      await run() // warm
      let cpu = cpuMs()
      await run()
      const full = cpuMs() - cpu
      const c = new AbortController()
      const started = cpuMs()
      const promise = run(c.signal)
      await until(() => ot.stats().running >= 1, 'the task to start', 5000)
      await new Promise((resolve) => setTimeout(resolve, Math.min(40, full / 10)))
      cpu = cpuMs()
      c.abort()
      await aborted(t, promise, c.signal, name)
      const used = cpuMs() - cpu
      t.log(`${name}: full decode ${full.toFixed(0)} CPU ms; after the abort ${used.toFixed(0)} CPU ms (${(cpuMs() - started).toFixed(0)} in all)`)
      t.true(used < Math.max(60, full / 5), `${used.toFixed(0)} CPU ms after the abort, of ${full.toFixed(0)} for a full run`)
      await until(() => ot.stats().running === 0, 'the aborted task to stop', 5000)
    })
  }
}
