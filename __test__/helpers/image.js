'use strict'
// Shared helpers of the image specs (image-decode, image-ops, image-output, image-runtime): fixture paths, pixel
// comparisons in RGBA, hand-built headers (PNG chunks with their CRC, JPEG SOF, GIF, WebP VP8X),
// a child-process runner for inputs that could take the process down, and CPU-time accounting.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')
const { execFile } = require('node:child_process')
const sharp = require('sharp')
const ot = require('../..')

const FIX = path.join(__dirname, '..', 'fixtures', 'images')
const fix = (...p) => path.join(FIX, ...p)

/** The corpus manifest reduced to the copied files, by path relative to fixtures/images. */
const MANIFEST = Object.fromEntries(fs.readFileSync(fix('manifest.jsonl'), 'utf8').trim().split('\n')
  .map((line) => JSON.parse(line)).map((row) => [row.file, row]))

/** 8-bit interleaved pixels with 1–4 channels as RGBA (grey → r = g = b, missing alpha → 255). */
function toRGBA (data, channels) {
  const n = data.length / channels
  if (!Number.isInteger(n)) throw new Error(`${data.length} bytes is not a whole number of ${channels}-channel pixels`)
  const out = Buffer.alloc(n * 4)
  for (let i = 0; i < n; i++) {
    const s = i * channels
    const d = i * 4
    if (channels <= 2) {
      out[d] = out[d + 1] = out[d + 2] = data[s]
      out[d + 3] = channels === 2 ? data[s + 1] : 255
    } else {
      out[d] = data[s]
      out[d + 1] = data[s + 1]
      out[d + 2] = data[s + 2]
      out[d + 3] = channels === 4 ? data[s + 3] : 255
    }
  }
  return out
}

/** Per-byte differences of two equally long buffers: max, mean, and how many exceed `tolerance`. */
function diff (a, b, tolerance = 1) {
  if (a.length !== b.length) return { max: Infinity, mean: Infinity, over: Infinity, first: -1 }
  let max = 0
  let sum = 0
  let over = 0
  let first = -1
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    sum += d
    if (d > max) max = d
    if (d > tolerance) {
      over++
      if (first < 0) first = i
    }
  }
  return { max, mean: a.length ? sum / a.length : 0, over, first }
}

/** sharp's decode of `input` as RGBA 8-bit: the reference (failOn 'none' so that sharp never refuses what it can read). */
async function sharpRGBA (input, options = {}, chain = (s) => s) {
  const { data, info } = await chain(sharp(input, { failOn: 'none', ...options })).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

/** offthread's raw decode of `input`, plus the same pixels as RGBA. */
async function oursRaw (input, options, chain = (i) => i) {
  const { data, info } = await chain(ot.image(input, options)).raw().toBuffer({ resolveWithObject: true })
  return { data, info, rgba: toRGBA(data, info.channels) }
}

// ---------------------------------------------------------------------------------------------
// Hand-built headers

const CRC_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** CRC-32 (ISO-HDLC, PNG's). node:zlib has crc32 only from Node 20.15/22.2. */
function crc32 (buf) {
  let c = -1
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8)
  return (c ^ -1) >>> 0
}

/** A process's resident memory in MiB, from /proc (0 once it has exited). */
function rssMiB (pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/**
 * Watches a spawned child: samples its RSS every 5 ms and kills it (SIGKILL) past `capMiB` or after
 * `timeoutMs`. Resolves { status, signal, killedFor, peakMiB, ms, result, stdout, stderr } once it has
 * closed; `result` is its first JSON line, whose `hwmMiB` (the child's own VmHWM) also counts for the peak.
 */
function watchCapped (child, { capMiB, timeoutMs }) {
  const start = Date.now()
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  let peak = 0
  let killedFor = null
  const sampler = setInterval(() => {
    const rss = rssMiB(child.pid)
    if (rss > peak) peak = rss
    if (killedFor !== null) return
    if (rss > capMiB) killedFor = `RSS ${Math.round(rss)} MiB > ${capMiB} MiB`
    else if (Date.now() - start > timeoutMs) killedFor = `timeout ${timeoutMs} ms`
    if (killedFor !== null) child.kill('SIGKILL')
  }, 5)
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearInterval(sampler)
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      const result = line ? JSON.parse(line) : null
      if (result) peak = Math.max(peak, result.hwmMiB ?? 0)
      resolve({ status, signal, killedFor, peakMiB: Math.round(peak), ms: Date.now() - start, result, stdout, stderr })
    })
  })
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** One PNG chunk: length, type, data, CRC of type + data. */
function pngChunk (type, data = Buffer.alloc(0)) {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** A PNG claiming `width`×`height` (8-bit, colour type `colorType`) whose IDAT holds only `rows` zero rows. */
function pngHeader (width, height, { colorType = 2, rows = 1 } = {}) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = colorType
  const bpp = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType]
  const rowBytes = Math.min(width * bpp + 1, 1 << 20)
  const idat = zlib.deflateSync(Buffer.alloc(rowBytes * rows))
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND')])
}

/** A copy of the JPEG `jpeg` with the width and height of its (first) SOFn frame header replaced. */
function patchJpegSize (jpeg, width, height) {
  const out = Buffer.from(jpeg)
  let i = 2
  while (i + 4 <= out.length) {
    if (out[i] !== 0xff) throw new Error(`no marker at ${i}`)
    const marker = out[i + 1]
    const len = out.readUInt16BE(i + 2)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.writeUInt16BE(height, i + 5)
      out.writeUInt16BE(width, i + 7)
      return out
    }
    i += 2 + len
  }
  throw new Error('no SOF marker')
}

/** A copy of the GIF `gif` whose logical screen is `width`×`height` (the frames keep their size). */
function patchGifScreen (gif, width, height) {
  const out = Buffer.from(gif)
  out.writeUInt16LE(width, 6)
  out.writeUInt16LE(height, 8)
  return out
}

/** A copy of the GIF `gif` whose logical screen and first frame are both `width`×`height` (the frame's data is unchanged). */
function patchGifFrame (gif, width, height) {
  const out = patchGifScreen(gif, width, height)
  let i = 13
  if (out[10] & 0x80) i += 3 * (2 << (out[10] & 7)) // global colour table
  while (i < out.length) {
    if (out[i] === 0x2c) { // image descriptor: left, top, width, height (LE)
      out.writeUInt16LE(0, i + 1)
      out.writeUInt16LE(0, i + 3)
      out.writeUInt16LE(width, i + 5)
      out.writeUInt16LE(height, i + 7)
      return out
    }
    if (out[i] !== 0x21) break // only extensions may come before the first frame
    i += 2 // introducer, label, then sub-blocks up to a zero length
    while (out[i] !== 0) i += out[i] + 1
    i++
  }
  throw new Error('no image descriptor')
}

/** An extended WebP (VP8X) claiming a `width`×`height` canvas, followed by the image chunks of the simple WebP `webp`. */
function webpCanvas (webp, width, height) {
  if (webp.toString('latin1', 12, 16) === 'VP8X') throw new Error('expected a simple (VP8 / VP8L) WebP')
  const vp8x = Buffer.alloc(18)
  vp8x.write('VP8X', 0, 'latin1')
  vp8x.writeUInt32LE(10, 4)
  vp8x[8] = webp.toString('latin1', 12, 16) === 'VP8L' ? 0x10 : 0 // alpha flag for VP8L
  vp8x.writeUIntLE(width - 1, 12, 3)
  vp8x.writeUIntLE(height - 1, 15, 3)
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), vp8x, webp.subarray(12)])
  const riff = Buffer.alloc(8)
  riff.write('RIFF', 0, 'latin1')
  riff.writeUInt32LE(body.length, 4)
  return Buffer.concat([riff, body])
}

// ---------------------------------------------------------------------------------------------
// Outcomes (error assertions: helpers/errors.js)

/** Outcome of a promise as a short string for tables: 'ok W×H' or the error code. */
async function outcome (promise) {
  try {
    const r = await promise
    return { ok: true, width: r.info.width, height: r.info.height, channels: r.info.channels, data: r.data, text: `ok ${r.info.width}×${r.info.height}` }
  } catch (err) {
    return { ok: false, code: err.code, message: err.message, err, text: String(err.code) }
  }
}

// ---------------------------------------------------------------------------------------------
// Processes, CPU time, temp files

const MiB = 1 << 20
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** CPU milliseconds this process has used, all threads. */
function cpuMs () {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

async function until (predicate, what, timeoutMs = 10000) {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await sleep(1)
  }
}

/**
 * Runs `script` (CommonJS source; `ot` is offthread) in a fresh Node whose address space is capped at
 * `limitMiB`, so that an absurd allocation fails there instead of taking the machine's memory.
 * Resolves { code, signal, stdout, stderr, lines } where lines are the JSON lines it printed.
 */
function runIsolated (script, { limitMiB = 4096, timeout = 120000 } = {}) {
  const root = path.join(__dirname, '..', '..')
  const source = `'use strict'\nconst ot = require(${JSON.stringify(root)})\n${script}`
  const cmd = `ulimit -v ${limitMiB * 1024} && exec "$0" -e "$1"`
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', cmd, process.execPath, source], { timeout, maxBuffer: 16 * MiB }, (err, stdout, stderr) => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, killed: err ? err.killed : false, stdout, stderr, lines })
    })
  })
}

let tmpDir
function tmp (name) {
  if (tmpDir === undefined) tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-image-'))
  return path.join(tmpDir, name)
}
process.on('exit', () => {
  if (tmpDir !== undefined) fs.rmSync(tmpDir, { recursive: true, force: true })
})

/** A deterministic RGB test card of `width`×`height`: gradients plus a checkerboard, so resizes and crops show. */
function testCard (width, height, channels = 3) {
  const data = Buffer.alloc(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels
      const check = ((x >> 3) + (y >> 3)) & 1
      data[i] = Math.round((x * 255) / Math.max(1, width - 1))
      if (channels >= 3) {
        data[i + 1] = Math.round((y * 255) / Math.max(1, height - 1))
        data[i + 2] = check ? 220 : 30
      }
      if (channels === 4) data[i + 3] = 255 - Math.round((x * 128) / Math.max(1, width - 1))
      if (channels === 2) data[i + 1] = check ? 255 : 128
    }
  }
  return data
}

/** `testCard` encoded with sharp as `format` (a Buffer). */
function encodedCard (width, height, format = 'png', channels = 3, options = {}) {
  return sharp(testCard(width, height, channels), { raw: { width, height, channels } }).toFormat(format, options).toBuffer()
}

/** A deterministic generator of numbers in [0, 1) (a 31-bit LCG, glibc's constants) for random scenes. */
function lcg (seed) {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff
    return s / 0x80000000
  }
}

module.exports = {
  lcg, ot, sharp, fix, MANIFEST, crc32, pngChunk, rssMiB, watchCapped, toRGBA, diff, sharpRGBA, oursRaw, pngHeader,
  patchJpegSize, patchGifFrame, webpCanvas, outcome, MiB, sleep, cpuMs, until, runIsolated, tmp, testCard, encodedCard
}
