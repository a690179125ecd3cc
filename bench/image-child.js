'use strict'
// The child side of bench/image.js: one process per library and case, so that each peak RSS is
// that library's alone, with nothing left over from another case. bench/image.js forks itself
// with `--child <library> <config JSON>`; this module loads only that library, reads the inputs
// once into Buffers, runs the one case and sends the figures (and the case's last output, for the
// quality check) back over IPC.
//
// The case: one call outside the clock (it must succeed, or the case is reported as failed),
// `warmupSeconds` of untimed load, then `seconds` of closed-loop load at `concurrency` with
// harness.js's event-loop and fs.readFile probes running. Peak RSS is the process's VmHWM at the
// end (/proc/self/status), or where there is none the largest process.memoryUsage.rss() sample
// (every 50 ms); the samples' maximum is kept too.

const fs = require('node:fs')
const h = require('./harness')

const MiB = 2 ** 20
const RSS_SAMPLE_MS = 50
const WIDTH = 800
const QUALITY = 80
const ATTENTION = 400 // the attention crop's square side
const GIF_WIDTH = 320 // the animated GIF case's output width
const LANCZOS3 = 4 // @napi-rs/image's ResizeFilterType.Lanczos3: a `const enum`, absent at run time
/** The watermark case's layer: the Express demo's translucent 240×64 PNG badge, bottom right. */
const MARK = require('node:path').join(__dirname, '..', 'examples', 'express', 'public', 'watermark.png')

/**
 * Each library's calls. `encode(format)` returns (buf) => Promise<Buffer> of the 800 px wide
 * image; `metadata` returns (buf) => Promise<{ width, height }>.
 */
const LIBRARIES = {
  offthread () {
    const ot = require('..')
    if (typeof ot.image !== 'function') return null
    const encoders = {
      jpeg: (img) => img.jpeg({ quality: QUALITY }),
      webp: (img) => img.webp({ quality: QUALITY }),
      png: (img) => img.png(),
      avif: (img) => img.avif()
    }
    return {
      encode: (format) => (buf) => encoders[format](ot.image(buf).resize(WIDTH)).toBuffer(),
      avif: true,
      watermark: (mark) => (buf) => ot.image(buf).composite([{ input: mark, gravity: 'southeast' }]).jpeg({ quality: QUALITY }).toBuffer(),
      attention: (buf) => ot.image(buf).resize(ATTENTION, ATTENTION, { position: 'attention' }).jpeg({ quality: QUALITY }).toBuffer(),
      animated: (buf) => ot.image(buf, { animated: true }).resize(GIF_WIDTH).gif().toBuffer(),
      metadata: (buf) => ot.image(buf).metadata(),
      info: () => {
        const s = ot.stats()
        return { threads: s.threads, priority: s.priority, maxQueue: s.maxQueue }
      },
      close: () => ot.close()
    }
  },

  sharp () {
    const sharp = require('sharp')
    sharp.cache(false)
    const encoders = {
      jpeg: (img) => img.jpeg({ quality: QUALITY }),
      webp: (img) => img.webp({ quality: QUALITY }),
      png: (img) => img.png(),
      avif: (img) => img.avif()
    }
    return {
      encode: (format) => (buf) => encoders[format](sharp(buf).resize(WIDTH)).toBuffer(),
      avif: true,
      watermark: (mark) => (buf) => sharp(buf).composite([{ input: mark, gravity: 'southeast' }]).jpeg({ quality: QUALITY }).toBuffer(),
      attention: (buf) => sharp(buf).resize(ATTENTION, ATTENTION, { position: 'attention' }).jpeg({ quality: QUALITY }).toBuffer(),
      animated: (buf) => sharp(buf, { animated: true }).resize(GIF_WIDTH).gif().toBuffer(),
      metadata: (buf) => sharp(buf).metadata(),
      info: () => ({
        version: sharp.versions.sharp,
        libvips: sharp.versions.vips,
        concurrency: sharp.concurrency(),
        uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE || 4)
      }),
      close: async () => {}
    }
  },

  '@napi-rs/image' () {
    const { Transformer } = require('@napi-rs/image')
    const encoders = {
      jpeg: (t) => t.jpeg(QUALITY),
      webp: (t) => t.webp(QUALITY),
      png: (t) => t.png()
    }
    return {
      encode: (format) => (buf) => encoders[format](new Transformer(buf).resize(WIDTH, null, LANCZOS3)),
      metadata: (buf) => new Transformer(buf).metadata(),
      info: () => ({ version: require('@napi-rs/image/package.json').version }),
      close: async () => {}
    }
  }
}

/** Samples RSS every 50 ms; `peak()` returns the largest sample, in bytes. */
function startRssSampler () {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, RSS_SAMPLE_MS)
  timer.unref()
  return {
    peak () { return Math.max(peak, process.memoryUsage.rss()) },
    stop () { clearInterval(timer) }
  }
}

/** VmHWM (peak resident set) from /proc/self/status, in bytes; NaN where there is none. */
function vmHwm () {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch { return NaN }
}

/** The cases of `lib` over the inputs, as { id, fn, state }; `state.out` keeps the last output. */
function makeCases (lib, inputs) {
  const make = (id, run, input) => {
    const state = { out: undefined }
    return { id, state, fn: async () => { state.out = await run(input) } }
  }
  return [
    make('jpeg', lib.encode('jpeg'), inputs.photo),
    make('webp', lib.encode('webp'), inputs.photo),
    make('png', lib.encode('png'), inputs.photo),
    make('jpeg8mp', lib.encode('jpeg'), inputs.progressive),
    lib.avif && make('avif', lib.encode('avif'), inputs.photo),
    lib.watermark && make('watermark', lib.watermark(inputs.mark), inputs.photo),
    lib.attention && make('attention', lib.attention, inputs.photo),
    lib.animated && make('gif100', lib.animated, inputs.animated),
    make('metadata', lib.metadata, inputs.photo)
  ].filter(Boolean)
}

/** What is sent back for a case's last output: the encoded bytes, or the metadata's size. */
function describeOutput (out) {
  if (out === undefined) return null
  if (out instanceof Uint8Array) return { bytes: out.length, data: out }
  return { bytes: null, width: out.width, height: out.height, format: out.format }
}

/** Runs one case of one library in this process; its peak RSS is the process's. */
async function runCase (name, config) {
  const lib = LIBRARIES[name]()
  if (lib === null) return { type: 'skip', reason: 'image() not built yet' }
  const inputs = {
    photo: fs.readFileSync(config.photo),
    progressive: fs.readFileSync(config.progressive),
    animated: fs.readFileSync(config.animated),
    mark: fs.readFileSync(MARK)
  }
  const c = makeCases(lib, inputs).find((x) => x.id === config.caseId)
  if (c === undefined) return { type: 'unsupported' }
  const loadedRss = process.memoryUsage.rss()
  const sampler = startRssSampler()
  const probe = h.createProbeFile()
  process.stderr.write(`${name} / ${c.id} (c=${config.concurrency}, ${config.seconds} s)... `)
  let r
  try {
    await c.fn() // outside the clock: the first call must work
    await h.load({ fn: c.fn, concurrency: config.concurrency, seconds: config.warmupSeconds, record: false })
    const probes = h.startProbes(probe.file)
    const load = await h.load({ fn: c.fn, concurrency: config.concurrency, seconds: config.seconds })
    r = { ...load, ...(await probes.stop()) }
  } catch (err) {
    r = { ops: 0, errors: 1, firstError: String(err.code ?? err.message ?? err), opsPerSec: NaN }
  } finally {
    probe.cleanup()
    sampler.stop()
  }
  const sampled = sampler.peak()
  const hwm = vmHwm()
  const peak = Number.isNaN(hwm) ? sampled : Math.max(hwm, sampled)
  process.stderr.write(`${h.fmt(r.opsPerSec)} ops/s, peak RSS ${h.fmt(peak / MiB)} MiB` +
    `${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}\n`)
  const info = lib.info()
  await lib.close()
  return {
    type: 'done',
    info,
    result: {
      case: c.id,
      ...r,
      peakRssMiB: peak / MiB,
      rssSampledMaxMiB: sampled / MiB,
      loadedRssMiB: loadedRss / MiB,
      output: describeOutput(c.state.out)
    }
  }
}

/** The idle baseline in a process that loads no image library: the probes with no load. */
async function runIdle (config) {
  const probe = h.createProbeFile()
  try {
    const idle = await h.measureIdle({ seconds: config.idleSeconds, probeFile: probe.file })
    return { type: 'done', idle, processPeakRssMiB: vmHwm() / MiB }
  } finally {
    probe.cleanup()
  }
}

/** Entry point in the forked process: runs, replies once over IPC, exits. */
async function childMain (name, configJson) {
  const config = JSON.parse(configJson)
  let msg
  try {
    msg = name === 'idle' ? await runIdle(config) : await runCase(name, config)
  } catch (err) {
    msg = { type: 'error', error: String(err.stack ?? err) }
  }
  process.send(msg, () => process.exit(0))
}

module.exports = { childMain, LIBRARIES: Object.keys(LIBRARIES) }
