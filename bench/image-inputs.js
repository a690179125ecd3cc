'use strict'
// Inputs and quality references for bench/image.js, made once and cached under bench/.cache/
// (gitignored). Everything here runs in the parent process, outside every measurement, and uses
// sharp only to decode and (for the 8 MP input) to encode once.
//
//   photo()               the corpus photo (2725×2225 JPEG), or null when the corpus is missing
//   progressiveJpeg()     an 8.2 MP (3504×2336) progressive JPEG q90 made from the photo
//   animatedGif()         a 100-frame 640×360 GIF: a camera pan across the photo, encoded by sharp
//   reference(file, w)    the f32 Lanczos3 resize of the file's full decode to width w (ssim.js)
//   score(output, ref)    the SSIM on luma of an encoded output against a reference

const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { lanczos3Resize, luma, ssim } = require('./ssim')

const CACHE_DIR = path.join(__dirname, '.cache')
const CORPUS_PHOTO = path.join(__dirname, '..', '..', 'shared', 'corpus', 'images', 'bench', '2569067123_aca715a2ee_o.jpg')
const PHOTO = process.env.BENCH_IMAGE || CORPUS_PHOTO
// A Canon EOS 20D's frame: 8,185,344 pixels, 3:2. Cropped ('cover') from the 2725×2225 photo,
// so it is upscaled; what matters for the bench is its size and its progressive encoding.
const PROGRESSIVE = { width: 3504, height: 2336, quality: 90 }
const REFERENCE_VERSION = 1 // bump when ssim.js's resize changes, to invalidate cached references

let sharpModule
function sharp () {
  if (!sharpModule) {
    sharpModule = require('sharp')
    sharpModule.cache(false)
  }
  return sharpModule
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex')

function photo () {
  return fs.existsSync(PHOTO) ? PHOTO : null
}

/** The corpus photo whatever BENCH_IMAGE says (the animated GIF is made from it once), or null. */
function corpusPhoto () {
  return fs.existsSync(CORPUS_PHOTO) ? CORPUS_PHOTO : null
}

/** Makes (or reuses) bench/.cache/<photo>-3504x2336-progressive-q90.jpg; returns its path. */
async function progressiveJpeg (source) {
  const { width, height, quality } = PROGRESSIVE
  const name = path.basename(source, path.extname(source))
  const file = path.join(CACHE_DIR, `${name}-${width}x${height}-progressive-q${quality}.jpg`)
  if (fs.existsSync(file)) {
    const m = await sharp()(fs.readFileSync(file)).metadata()
    if (m.width === width && m.height === height && m.isProgressive) return file
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  const out = await sharp()(fs.readFileSync(source))
    .resize(width, height, { fit: 'cover', kernel: 'lanczos3' })
    .jpeg({ quality, progressive: true, chromaSubsampling: '4:2:0' })
    .toBuffer()
  fs.writeFileSync(file + '.tmp', out)
  fs.renameSync(file + '.tmp', file)
  return file
}

// A screen-recording or clip-sized GIF: 100 frames of 640×360, 40 ms each, looping, each frame a window
// panning (and slowly zooming) across the photo, so every frame differs from the last as in a video clip.
const ANIMATED = { width: 640, height: 360, frames: 100, delay: 40 }

/** Makes (or reuses) bench/.cache/<photo>-100x640x360.gif; returns its path. */
async function animatedGif (source) {
  const { width, height, frames, delay } = ANIMATED
  const name = path.basename(source, path.extname(source))
  const file = path.join(CACHE_DIR, `${name}-${frames}x${width}x${height}.gif`)
  if (fs.existsSync(file)) {
    const m = await sharp()(fs.readFileSync(file), { animated: true }).metadata()
    if (m.width === width && m.pageHeight === height && m.pages === frames) return file
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  const base = await sharp()(fs.readFileSync(source)).resize(1600).raw().toBuffer({ resolveWithObject: true })
  const stack = Buffer.alloc(width * height * 3 * frames)
  for (let i = 0; i < frames; i++) {
    const w = Math.round(width * (1.6 - 0.4 * i / frames)) // zooming in from 1.6× to 1.2× the frame
    const h = Math.round(w * height / width)
    const left = Math.round((base.info.width - w) * i / (frames - 1))
    const top = Math.round((base.info.height - h) * (0.2 + 0.3 * i / frames))
    const frame = await sharp()(base.data, { raw: base.info }).extract({ left, top, width: w, height: h })
      .resize(width, height).raw().toBuffer()
    frame.copy(stack, i * width * height * 3)
  }
  const out = await sharp()(stack, { raw: { width, height: height * frames, channels: 3, pageHeight: height } })
    .gif({ delay: Array(frames).fill(delay), loop: 0 })
    .toBuffer()
  fs.writeFileSync(file + '.tmp', out)
  fs.renameSync(file + '.tmp', file)
  return file
}

/** Decodes an encoded image to interleaved 8-bit pixels with sharp. */
async function decode (buf) {
  const { data, info } = await sharp()(buf).raw().toBuffer({ resolveWithObject: true })
  return { pixels: data, width: info.width, height: info.height, channels: info.channels }
}

/**
 * The reference for `file` at `width`: the full decode resized in Float32 with ssim.js's
 * Lanczos3, height rounded as sharp does (Math.round(h × width / w)). Cached as raw Float32
 * (.f32) beside a .json that names the source's SHA-256, so a changed input is never scored
 * against a stale reference. Returns { width, height, channels, luma, file, seconds }.
 */
async function reference (file, width) {
  const buf = fs.readFileSync(file)
  const hash = sha256(buf)
  const base = path.join(CACHE_DIR, `ref-${path.basename(file, path.extname(file))}-w${width}`)
  const meta = readJson(base + '.json')
  if (meta && meta.sourceSha256 === hash && meta.version === REFERENCE_VERSION && fs.existsSync(base + '.f32')) {
    const raw = fs.readFileSync(base + '.f32')
    const rgb = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4)
    return { ...meta, luma: luma(rgb, meta.width, meta.height, meta.channels), file: base + '.f32', cached: true }
  }
  const t0 = Date.now()
  const src = await decode(buf)
  const height = Math.round((src.height * width) / src.width)
  const rgb = lanczos3Resize(src.pixels, src.width, src.height, src.channels, width, height)
  const info = {
    version: REFERENCE_VERSION,
    source: path.basename(file),
    sourceSha256: hash,
    sourceWidth: src.width,
    sourceHeight: src.height,
    width,
    height,
    channels: src.channels,
    seconds: (Date.now() - t0) / 1000
  }
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  fs.writeFileSync(base + '.f32', Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength))
  fs.writeFileSync(base + '.json', JSON.stringify(info, null, 2) + '\n')
  return { ...info, luma: luma(rgb, width, height, src.channels), file: base + '.f32', cached: false }
}

function readJson (file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')) } catch { return null }
}

/**
 * Decodes `output` and scores it against `ref`: { width, height, ssim } or, when the
 * dimensions differ, { width, height, ssim: null, note }.
 */
async function score (output, ref) {
  const out = await decode(output)
  if (out.width !== ref.width || out.height !== ref.height) {
    return { width: out.width, height: out.height, ssim: null, note: `${out.width}×${out.height}, reference ${ref.width}×${ref.height}` }
  }
  return { width: out.width, height: out.height, ssim: ssim(luma(out.pixels, out.width, out.height, out.channels), ref.luma, ref.width, ref.height) }
}

/** Width and height from the header, for outputs that are not scored. */
async function dimensions (buf) {
  const m = await sharp()(buf).metadata()
  return { width: m.width, height: m.height, format: m.format }
}

module.exports = { CACHE_DIR, PHOTO, photo, corpusPhoto, progressiveJpeg, animatedGif, reference, score, dimensions, sha256, sharp }
