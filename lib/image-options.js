'use strict'
// Argument checks for the image pipeline, worded like sharp ("Expected … for … but received …"):
// colours, resize options and each encoder's options, turned into the plain spec the native side reads.

const { invalidType, invalidValue, outOfRange, codedError, describe } = require('./errors')
const v = require('./validate')

const FITS = ['cover', 'contain', 'fill', 'inside', 'outside']
const KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos3']
const POSITIONS = {
  centre: 'centre', center: 'centre', top: 'north', right: 'east', bottom: 'south', left: 'west',
  'right top': 'northeast', 'right bottom': 'southeast', 'left bottom': 'southwest', 'left top': 'northwest',
  north: 'north', northeast: 'northeast', east: 'east', southeast: 'southeast', south: 'south',
  southwest: 'southwest', west: 'west', northwest: 'northwest'
}
// sharp's numeric gravity constants: 0 centre, 1 north, 2 east, 3 south, 4 west, 5 NE, 6 SE, 7 SW, 8 NW.
const GRAVITY_NUMBERS = ['centre', 'north', 'east', 'south', 'west', 'northeast', 'southeast', 'southwest', 'northwest']
const NAMED = {
  black: [0, 0, 0], white: [255, 255, 255], red: [255, 0, 0], lime: [0, 255, 0], green: [0, 128, 0], blue: [0, 0, 255],
  yellow: [255, 255, 0], cyan: [0, 255, 255], aqua: [0, 255, 255], magenta: [255, 0, 255], fuchsia: [255, 0, 255],
  gray: [128, 128, 128], grey: [128, 128, 128], silver: [192, 192, 192], maroon: [128, 0, 0], navy: [0, 0, 128],
  teal: [0, 128, 128], olive: [128, 128, 0], purple: [128, 0, 128], orange: [255, 165, 0]
}

/** A positive integer (a pixel dimension). */
function positiveInt (name, value) {
  if (typeof value !== 'number') throw invalidType(name, 'positive integer', value)
  if (!Number.isInteger(value) || value < 1 || value > 0x3FFFFFFF) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected positive integer for ${name} but received ${describe(value)}`)
  }
  return value
}

/** A non-negative integer (an offset). */
function offset (name, value) {
  if (typeof value !== 'number') throw invalidType(name, 'integer', value)
  if (!Number.isInteger(value) || value < 0 || value > 0x3FFFFFFF) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected integer for ${name} but received ${describe(value)}`)
  }
  return value
}

/** A number in [lo, hi] (fractions allowed). */
function numberIn (name, value, lo, hi) {
  if (typeof value !== 'number') throw invalidType(name, `number between ${lo} and ${hi}`, value)
  if (!(value >= lo && value <= hi)) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected number between ${lo} and ${hi} for ${name} but received ${describe(value)}`)
  }
  return value
}

function byte (x) {
  return Math.max(0, Math.min(255, Math.round(x)))
}

/** A colour as [r, g, b, a] bytes. */
function colour (name, value) {
  const bad = () => invalidValue(name, 'a colour such as \'#ff0000\', \'rgba(0, 0, 0, 0.5)\', \'white\' or { r, g, b, alpha }', value)
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { r = 0, g = 0, b = 0, alpha = 1 } = value
    for (const [k, x] of Object.entries({ r, g, b })) numberIn(`${name}.${k}`, x, 0, 255)
    numberIn(`${name}.alpha`, alpha, 0, 1)
    return [byte(r), byte(g), byte(b), byte(alpha * 255)]
  }
  if (typeof value !== 'string') throw invalidType(name, 'colour string or { r, g, b, alpha } object', value)
  const s = value.trim().toLowerCase()
  if (s === 'transparent') return [0, 0, 0, 0]
  if (NAMED[s]) return [...NAMED[s], 255]
  let m = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(s)
  if (m) {
    let hex = m[1]
    if (hex.length <= 4) hex = [...hex].map((c) => c + c).join('')
    const n = hex.match(/../g).map((h) => parseInt(h, 16))
    return n.length === 3 ? [...n, 255] : n
  }
  m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(s)
  if (m) {
    const [r, g, b] = [m[1], m[2], m[3]].map(Number)
    const a = m[4] === undefined ? 1 : Number(m[4])
    if ([r, g, b].some((x) => !(x >= 0 && x <= 255)) || !(a >= 0 && a <= 1)) throw bad()
    return [byte(r), byte(g), byte(b), byte(a * 255)]
  }
  throw bad()
}

function position (value) {
  if (value === undefined) return 'centre'
  if (typeof value === 'number') {
    if (Number.isInteger(value) && GRAVITY_NUMBERS[value]) return GRAVITY_NUMBERS[value]
    throw outOfRange('position', 0, 8, value)
  }
  if (typeof value !== 'string') throw invalidType('position', `one of: ${Object.keys(POSITIONS).join(', ')}, or 0–8`, value)
  if (POSITIONS[value]) return POSITIONS[value]
  throw invalidValue('position', `one of: ${Object.keys(POSITIONS).join(', ')}, or 0–8`, value)
}

const RESIZE_KEYS = new Set(['width', 'height', 'fit', 'position', 'kernel', 'withoutEnlargement', 'withoutReduction', 'background', 'fastShrinkOnLoad'])

/** resize(width?, height?, options?) or resize(options). */
function resize (width, height, options) {
  if (width !== null && typeof width === 'object' && height === undefined && options === undefined) {
    options = width
    width = options.width
    height = options.height
  }
  const o = v.knownKeys('resize options', v.options(options), RESIZE_KEYS)
  // Checked even when the positional argument wins, as sharp does.
  if (o.width !== undefined && o.width !== null) positiveInt('width', o.width)
  if (o.height !== undefined && o.height !== null) positiveInt('height', o.height)
  if (width === undefined || width === null) width = o.width
  if (height === undefined || height === null) height = o.height
  const w = width === undefined || width === null ? null : positiveInt('width', width)
  const h = height === undefined || height === null ? null : positiveInt('height', height)
  if (o.fastShrinkOnLoad !== undefined) v.bool('fastShrinkOnLoad', o.fastShrinkOnLoad)
  return {
    width: w,
    height: h,
    fit: v.oneOf('fit', o.fit, FITS) ?? 'cover',
    position: position(o.position),
    kernel: v.oneOf('kernel', o.kernel, KERNELS) ?? 'lanczos3',
    withoutEnlargement: v.bool('withoutEnlargement', o.withoutEnlargement) ?? false,
    withoutReduction: v.bool('withoutReduction', o.withoutReduction) ?? false,
    background: o.background === undefined ? [0, 0, 0, 255] : colour('background', o.background)
  }
}

function region (r) {
  if (r === null || typeof r !== 'object') throw invalidType('extract region', 'object with left, top, width, height', r)
  return [offset('left', r.left), offset('top', r.top), positiveInt('width', r.width), positiveInt('height', r.height)]
}

const JPEG_KEYS = new Set(['quality', 'progressive', 'chromaSubsampling', 'optimiseCoding', 'optimizeCoding', 'mozjpeg', 'force'])
const PNG_KEYS = new Set(['compressionLevel', 'adaptiveFiltering', 'progressive', 'palette', 'quality', 'colours', 'colors', 'effort', 'dither', 'force'])
const WEBP_KEYS = new Set(['quality', 'alphaQuality', 'lossless', 'nearLossless', 'smartSubsample', 'effort', 'force'])
const GIF_KEYS = new Set(['colours', 'colors', 'effort', 'dither', 'loop', 'delay', 'force'])

function jpeg (options) {
  const o = v.knownKeys('jpeg options', v.options(options), JPEG_KEYS)
  const sub = v.oneOf('chromaSubsampling', o.chromaSubsampling, ['4:2:0', '4:4:4'])
  const optimise = o.optimiseCoding !== undefined
    ? v.bool('optimiseCoding', o.optimiseCoding)
    : v.bool('optimizeCoding', o.optimizeCoding)
  return {
    format: 'jpeg',
    quality: v.optInt('quality', o.quality, 1, 100) ?? 80,
    progressive: v.bool('progressive', o.progressive) ?? false,
    chroma444: sub === '4:4:4',
    optimizeCoding: optimise ?? true,
    mozjpeg: v.bool('mozjpeg', o.mozjpeg) ?? false
  }
}

function paletteOptions (o) {
  const colours = o.colours !== undefined ? o.colours : o.colors
  return {
    colours: v.optInt('colours', colours, 2, 256) ?? 256,
    effort: v.optInt('effort', o.effort, 1, 10) ?? 7,
    dither: o.dither === undefined ? 1 : numberIn('dither', o.dither, 0, 1)
  }
}

/** Interlaced (Adam7) PNG output is not implemented: refuse it rather than ignore it. */
function pngProgressive (value) {
  if (v.bool('progressive', value)) {
    throw invalidValue('progressive', 'false (interlaced PNG output is not supported)', value)
  }
  return false
}

function png (options) {
  const o = v.knownKeys('png options', v.options(options), PNG_KEYS)
  const p = paletteOptions(o)
  const quality = v.optInt('quality', o.quality, 0, 100)
  const implied = quality !== undefined || o.colours !== undefined || o.colors !== undefined || o.effort !== undefined || o.dither !== undefined
  return {
    format: 'png',
    compressionLevel: v.optInt('compressionLevel', o.compressionLevel, 0, 9) ?? 6,
    adaptiveFiltering: v.bool('adaptiveFiltering', o.adaptiveFiltering) ?? false,
    progressive: pngProgressive(o.progressive),
    palette: v.bool('palette', o.palette) ?? implied,
    quality: quality ?? 100,
    ...p
  }
}

function webp (options) {
  const o = v.knownKeys('webp options', v.options(options), WEBP_KEYS)
  return {
    format: 'webp',
    quality: v.optInt('quality', o.quality, 1, 100) ?? 80,
    alphaQuality: v.optInt('alphaQuality', o.alphaQuality, 0, 100) ?? 100,
    lossless: v.bool('lossless', o.lossless) ?? false,
    nearLossless: v.bool('nearLossless', o.nearLossless) ?? false,
    smartSubsample: v.bool('smartSubsample', o.smartSubsample) ?? false,
    effort: v.optInt('effort', o.effort, 0, 6) ?? 4
  }
}

function gif (options) {
  const o = v.knownKeys('gif options', v.options(options), GIF_KEYS)
  let delay = []
  if (typeof o.delay === 'number') delay = [v.int('delay', o.delay, 0, 655350)]
  else if (Array.isArray(o.delay)) delay = o.delay.map((d, i) => v.int(`delay[${i}]`, d, 0, 655350))
  else if (o.delay !== undefined) throw invalidType('delay', 'integer or array of integers', o.delay)
  return { format: 'gif', ...paletteOptions(o), looping: v.optInt('loop', o.loop, 0, 65535) ?? null, delay }
}

const ENCODERS = { jpeg, jpg: jpeg, png, webp, gif, raw: () => ({ format: 'raw' }) }
const EXTENSIONS = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp', '.gif': 'gif' }

/** sharp's `force`: a boolean; false keeps the input's format (the encoder options are still checked). */
function forced (options) {
  if (options === null || typeof options !== 'object') return true
  return v.bool('force', options.force) ?? true
}

function output (format, options) {
  const name = typeof format === 'object' && format !== null && typeof format.id === 'string' ? format.id : format
  if (typeof name !== 'string') throw invalidType('format', `one of: ${Object.keys(ENCODERS).join(', ')}`, format)
  const enc = ENCODERS[name.toLowerCase()]
  if (enc === undefined) throw invalidValue('format', `one of: ${Object.keys(ENCODERS).join(', ')}`, format)
  return enc(options)
}

module.exports = { forced, resize, region, colour, numberIn, positiveInt, output, jpeg, png, webp, gif, EXTENSIONS, outOfRange }
