'use strict'
// Image quality helpers for bench/image.js, in plain JS with no dependencies:
//
//   lanczos3Resize(pixels, width, height, channels, dstWidth, dstHeight) → Float32Array
//   luma(pixels, width, height, channels) → Float32Array   (Y = 0.299 R + 0.587 G + 0.114 B)
//   ssim(a, b, width, height) → number                     (mean SSIM of two luma planes)
//
// The resize is the reference the libraries' outputs are scored against: a separable Lanczos3
// (a = 3) in Float32, widened by the scale factor when reducing so that it low-passes as it
// should, on the gamma-encoded values (as sharp, libvips and most resizers do). It is slow and
// exact on purpose; nothing here is timed.
//
// SSIM is Wang, Bovik, Sheikh and Simoncelli (2004): an 11×11 Gaussian window (σ = 1.5),
// C1 = (0.01 L)², C2 = (0.03 L)² with L = 255, averaged over every window that fits inside the
// image (no padding).

const LANCZOS_A = 3
const SSIM_RADIUS = 5
const SSIM_SIGMA = 1.5
const L = 255
const C1 = (0.01 * L) ** 2
const C2 = (0.03 * L) ** 2

function sinc (x) {
  if (x === 0) return 1
  const px = Math.PI * x
  return Math.sin(px) / px
}

function lanczos (x) {
  return Math.abs(x) < LANCZOS_A ? sinc(x) * sinc(x / LANCZOS_A) : 0
}

/**
 * The taps of a 1-D Lanczos3 from `srcLen` samples to `dstLen`: for output i, `count[i]` weights
 * starting at source index `start[i]`, stored from `offset[i]` in `weights`, summing to 1.
 * Pixel centres sit at index + 0.5; taps outside the source are dropped and the rest renormalised.
 */
function taps (srcLen, dstLen) {
  const scale = srcLen / dstLen
  const stretch = Math.max(scale, 1) // reducing: widen the kernel to the source spacing
  const support = LANCZOS_A * stretch
  const start = new Int32Array(dstLen)
  const count = new Int32Array(dstLen)
  const offset = new Int32Array(dstLen)
  const all = []
  for (let i = 0; i < dstLen; i++) {
    const centre = (i + 0.5) * scale
    const lo = Math.max(0, Math.floor(centre - support))
    const hi = Math.min(srcLen - 1, Math.ceil(centre + support))
    let sum = 0
    const ws = []
    for (let j = lo; j <= hi; j++) {
      const w = lanczos((j + 0.5 - centre) / stretch)
      ws.push(w)
      sum += w
    }
    start[i] = lo
    count[i] = ws.length
    offset[i] = all.length
    for (const w of ws) all.push(w / sum)
  }
  return { start, count, offset, weights: Float32Array.from(all) }
}

/**
 * Resizes interleaved 8-bit (or float) pixels to dstWidth × dstHeight with Lanczos3, in Float32;
 * rows first, then columns. Returns interleaved Float32 values, clamped to 0..255.
 */
function lanczos3Resize (pixels, width, height, channels, dstWidth, dstHeight) {
  const c = channels
  const hx = taps(width, dstWidth)
  const tmp = new Float32Array(height * dstWidth * c)
  for (let y = 0; y < height; y++) {
    const row = y * width * c
    const outRow = y * dstWidth * c
    for (let x = 0; x < dstWidth; x++) {
      const s = hx.start[x]
      const n = hx.count[x]
      const o = hx.offset[x]
      for (let k = 0; k < c; k++) {
        let acc = 0
        for (let t = 0; t < n; t++) acc += hx.weights[o + t] * pixels[row + (s + t) * c + k]
        tmp[outRow + x * c + k] = acc
      }
    }
  }
  const vy = taps(height, dstHeight)
  const out = new Float32Array(dstHeight * dstWidth * c)
  const stride = dstWidth * c
  for (let y = 0; y < dstHeight; y++) {
    const s = vy.start[y]
    const n = vy.count[y]
    const o = vy.offset[y]
    const outRow = y * stride
    for (let t = 0; t < n; t++) {
      const w = vy.weights[o + t]
      const srcRow = (s + t) * stride
      for (let i = 0; i < stride; i++) out[outRow + i] += w * tmp[srcRow + i]
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i] < 0 ? 0 : out[i] > 255 ? 255 : out[i]
  return out
}

/** The luma plane of interleaved pixels: grey (1–2 channels) as is, else BT.601 weights of RGB. */
function luma (pixels, width, height, channels) {
  const n = width * height
  const y = new Float32Array(n)
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    y[i] = channels < 3
      ? pixels[p]
      : 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2]
  }
  return y
}

function gaussianKernel () {
  const k = new Float64Array(2 * SSIM_RADIUS + 1)
  let sum = 0
  for (let i = -SSIM_RADIUS; i <= SSIM_RADIUS; i++) {
    k[i + SSIM_RADIUS] = Math.exp(-(i * i) / (2 * SSIM_SIGMA * SSIM_SIGMA))
    sum += k[i + SSIM_RADIUS]
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum
  return k
}

/** Separable Gaussian filter of `src` (w × h), keeping only positions whose window fits ("valid"). */
function blurValid (src, w, h, k) {
  const n = k.length
  const ow = w - n + 1
  const oh = h - n + 1
  const tmp = new Float64Array(h * ow)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0
      for (let t = 0; t < n; t++) acc += k[t] * src[y * w + x + t]
      tmp[y * ow + x] = acc
    }
  }
  const out = new Float64Array(oh * ow)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0
      for (let t = 0; t < n; t++) acc += k[t] * tmp[(y + t) * ow + x]
      out[y * ow + x] = acc
    }
  }
  return out
}

/** Mean SSIM of two luma planes of the same size (values 0..255). */
function ssim (a, b, width, height) {
  if (a.length !== width * height || b.length !== width * height) throw new Error('ssim: planes differ in size')
  const win = 2 * SSIM_RADIUS + 1
  if (width < win || height < win) throw new Error(`ssim: image smaller than the ${win}×${win} window`)
  const k = gaussianKernel()
  const n = width * height
  const aa = new Float64Array(n)
  const bb = new Float64Array(n)
  const ab = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    aa[i] = a[i] * a[i]
    bb[i] = b[i] * b[i]
    ab[i] = a[i] * b[i]
  }
  const muA = blurValid(a, width, height, k)
  const muB = blurValid(b, width, height, k)
  const sAA = blurValid(aa, width, height, k)
  const sBB = blurValid(bb, width, height, k)
  const sAB = blurValid(ab, width, height, k)
  let total = 0
  for (let i = 0; i < muA.length; i++) {
    const ma = muA[i]
    const mb = muB[i]
    const varA = sAA[i] - ma * ma
    const varB = sBB[i] - mb * mb
    const cov = sAB[i] - ma * mb
    total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (varA + varB + C2))
  }
  return total / muA.length
}

module.exports = { lanczos3Resize, luma, ssim, taps }
