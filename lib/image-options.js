'use strict'
// Argument checks for the image pipeline, worded like sharp ("Expected … for … but received …"):
// colours, resize options and each encoder's options, turned into the object the binding converts to
// core's contract types (crates/core/src/image/options.rs). Ranges, defaults and names come from core.

const native = require('./native')
const { invalidType, invalidValue, outOfRange, codedError, describe } = require('./errors')
const v = require('./validate')

/** Core's image defaults, ranges and names (src/image.rs `policy()`): no policy number is written here. */
const P = native.policy.image || native.imagePolicy()

/** sharp's position names and aliases → core's gravity names (which sharp also numbers 0–8, in P.positions' order). */
const POSITIONS = {
  centre: 'centre', center: 'centre', top: 'north', right: 'east', bottom: 'south', left: 'west',
  'right top': 'northeast', 'right bottom': 'southeast', 'left bottom': 'southwest', 'left top': 'northwest'
}
for (const name of P.positions) POSITIONS[name] = name
const NAMED = {
  black: '#000000', white: '#ffffff', red: '#ff0000', lime: '#00ff00', green: '#008000', blue: '#0000ff',
  yellow: '#ffff00', cyan: '#00ffff', aqua: '#00ffff', magenta: '#ff00ff', fuchsia: '#ff00ff',
  gray: '#808080', grey: '#808080', silver: '#c0c0c0', maroon: '#800000', navy: '#000080',
  teal: '#008080', olive: '#808000', purple: '#800080', orange: '#ffa500', transparent: '#00000000'
}
/** A colour channel's range (byte math, not a policy). */
const BYTE = { min: 0, max: 255 }
const ALPHA = { min: 0, max: 1 }

/** The object without its undefined properties: what is not sent takes core's default. */
function compact (o) {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key]
  return o
}

/** A positive integer (a pixel dimension). */
function positiveInt (name, value) {
  if (typeof value !== 'number') throw invalidType(name, 'positive integer', value)
  if (!Number.isInteger(value) || value < P.dimension.min || value > P.dimension.max) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected positive integer for ${name} but received ${describe(value)}`)
  }
  return value
}

/** A non-negative integer (an offset). */
function offset (name, value) {
  if (typeof value !== 'number') throw invalidType(name, 'integer', value)
  if (!Number.isInteger(value) || value < 0 || value > P.dimension.max) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected integer for ${name} but received ${describe(value)}`)
  }
  return value
}

/** A number in `range` ({ min, max }, fractions allowed). */
function numberIn (name, value, range) {
  const { min, max } = range
  if (typeof value !== 'number') throw invalidType(name, `number between ${min} and ${max}`, value)
  if (!(value >= min && value <= max)) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected number between ${min} and ${max} for ${name} but received ${describe(value)}`)
  }
  return value
}

function optNumberIn (name, value, range) {
  return value === undefined ? undefined : numberIn(name, value, range)
}

/** An optional integer in `range` ({ min, max }). */
function optInt (name, value, range) {
  return v.optInt(name, value, range.min, range.max)
}

function byte (x) {
  return Math.max(BYTE.min, Math.min(BYTE.max, Math.round(x)))
}

/** A colour as [r, g, b, a] bytes. */
function colour (name, value) {
  const bad = () => invalidValue(name, 'a colour such as \'#ff0000\', \'rgba(0, 0, 0, 0.5)\', \'white\' or { r, g, b, alpha }', value)
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { r = BYTE.min, g = BYTE.min, b = BYTE.min, alpha = ALPHA.max } = value
    for (const [k, x] of Object.entries({ r, g, b })) numberIn(`${name}.${k}`, x, BYTE)
    numberIn(`${name}.alpha`, alpha, ALPHA)
    return [byte(r), byte(g), byte(b), byte(alpha * BYTE.max)]
  }
  if (typeof value !== 'string') throw invalidType(name, 'colour string or { r, g, b, alpha } object', value)
  const s = value.trim().toLowerCase()
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(Object.hasOwn(NAMED, s) ? NAMED[s] : s)
  if (hex) {
    let digits = hex[1]
    if (/^.{3,4}$/.test(digits)) digits = [...digits].map((c) => c + c).join('')
    if (/^.{6}$/.test(digits)) digits += 'ff'
    return digits.match(/../g).map((h) => parseInt(h, 16))
  }
  const m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)$/.exec(s)
  if (m) {
    const [, r, g, b, alpha] = m.map(Number)
    const a = m.at(-1) === undefined ? ALPHA.max : alpha
    if ([r, g, b].some((x) => !(x >= BYTE.min && x <= BYTE.max)) || !(a >= ALPHA.min && a <= ALPHA.max)) throw bad()
    return [byte(r), byte(g), byte(b), byte(a * BYTE.max)]
  }
  throw bad()
}

function position (value) {
  if (value === undefined) return undefined
  const expected = `one of: ${Object.keys(POSITIONS).join(', ')}, or 0–${P.positions.length - 1}`
  if (typeof value === 'number') {
    if (Number.isInteger(value) && P.positions[value]) return P.positions[value]
    throw outOfRange('position', 0, P.positions.length - 1, value)
  }
  if (typeof value !== 'string') throw invalidType('position', expected, value)
  if (Object.hasOwn(POSITIONS, value)) return POSITIONS[value]
  throw invalidValue('position', expected, value)
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
  if (o.fastShrinkOnLoad !== undefined) v.bool('fastShrinkOnLoad', o.fastShrinkOnLoad)
  return compact({
    width: width === undefined || width === null ? undefined : positiveInt('width', width),
    height: height === undefined || height === null ? undefined : positiveInt('height', height),
    fit: v.oneOf('fit', o.fit, P.fits),
    position: position(o.position),
    kernel: v.oneOf('kernel', o.kernel, P.kernels),
    withoutEnlargement: v.bool('withoutEnlargement', o.withoutEnlargement),
    withoutReduction: v.bool('withoutReduction', o.withoutReduction),
    background: o.background === undefined ? undefined : colour('background', o.background)
  })
}

const REGION_KEYS = new Set(['left', 'top', 'width', 'height'])

function region (r) {
  if (r === null || typeof r !== 'object') throw invalidType('extract region', 'object with left, top, width, height', r)
  v.knownKeys('extract region', r, REGION_KEYS)
  return { left: offset('left', r.left), top: offset('top', r.top), width: positiveInt('width', r.width), height: positiveInt('height', r.height) }
}

const JPEG_KEYS = new Set(['quality', 'progressive', 'chromaSubsampling', 'optimiseCoding', 'optimizeCoding', 'mozjpeg', 'force'])
const PNG_KEYS = new Set(['compressionLevel', 'adaptiveFiltering', 'progressive', 'palette', 'quality', 'colours', 'colors', 'effort', 'dither', 'force'])
const WEBP_KEYS = new Set(['quality', 'alphaQuality', 'lossless', 'nearLossless', 'smartSubsample', 'effort', 'force'])
const GIF_KEYS = new Set(['colours', 'colors', 'effort', 'dither', 'loop', 'delay', 'force'])
const RAW_KEYS = new Set(['depth'])

// Each encoder returns core's output value ({ jpeg: {...} }, …, 'raw'), holding only the options given:
// the others take core's defaults (P.jpeg.defaults, …).

function jpeg (options) {
  const o = v.knownKeys('jpeg options', v.options(options), JPEG_KEYS)
  const optimise = o.optimiseCoding !== undefined
    ? v.bool('optimiseCoding', o.optimiseCoding)
    : v.bool('optimizeCoding', o.optimizeCoding)
  return {
    jpeg: compact({
      quality: optInt('quality', o.quality, P.jpeg.quality),
      progressive: v.bool('progressive', o.progressive),
      chromaSubsampling: v.oneOf('chromaSubsampling', o.chromaSubsampling, P.chromaSubsampling),
      optimizeCoding: optimise,
      mozjpeg: v.bool('mozjpeg', o.mozjpeg)
    })
  }
}

/** The palette options of png() and gif(), checked against the encoder's ranges `R`. */
function paletteOptions (o, R) {
  return {
    colours: optInt('colours', o.colours !== undefined ? o.colours : o.colors, R.colours),
    effort: optInt('effort', o.effort, R.effort),
    dither: optNumberIn('dither', o.dither, R.dither)
  }
}

/** Interlaced (Adam7) PNG output is not implemented: refuse it rather than ignore it. */
function pngProgressive (value) {
  if (v.bool('progressive', value)) {
    throw invalidValue('progressive', 'false (interlaced PNG output is not supported)', value)
  }
}

function png (options) {
  const o = v.knownKeys('png options', v.options(options), PNG_KEYS)
  pngProgressive(o.progressive)
  const quality = optInt('quality', o.quality, P.png.quality)
  const implied = quality !== undefined || o.colours !== undefined || o.colors !== undefined || o.effort !== undefined || o.dither !== undefined
  return {
    png: compact({
      compressionLevel: optInt('compressionLevel', o.compressionLevel, P.png.compressionLevel),
      adaptiveFiltering: v.bool('adaptiveFiltering', o.adaptiveFiltering),
      palette: v.bool('palette', o.palette) ?? implied,
      quality,
      ...paletteOptions(o, P.png)
    })
  }
}

function webp (options) {
  const o = v.knownKeys('webp options', v.options(options), WEBP_KEYS)
  return {
    webp: compact({
      quality: optInt('quality', o.quality, P.webp.quality),
      alphaQuality: optInt('alphaQuality', o.alphaQuality, P.webp.alphaQuality),
      lossless: v.bool('lossless', o.lossless),
      nearLossless: v.bool('nearLossless', o.nearLossless),
      smartSubsample: v.bool('smartSubsample', o.smartSubsample),
      effort: optInt('effort', o.effort, P.webp.effort)
    })
  }
}

function gif (options) {
  const o = v.knownKeys('gif options', v.options(options), GIF_KEYS)
  const { min, max } = P.gif.delay
  let delay
  if (typeof o.delay === 'number') delay = [v.int('delay', o.delay, min, max)]
  else if (Array.isArray(o.delay)) delay = o.delay.map((d, i) => v.int(`delay[${i}]`, d, min, max))
  else if (o.delay !== undefined) throw invalidType('delay', 'integer or array of integers', o.delay)
  return { gif: compact({ ...paletteOptions(o, P.gif), loop: optInt('loop', o.loop, P.gif.loop), delay }) }
}

/** sharp's raw({ depth }): 8-bit samples ('uchar') only; another depth is refused rather than ignored. */
function raw (options) {
  const o = v.knownKeys('raw options', v.options(options), RAW_KEYS)
  v.oneOf('depth', o.depth, P.rawDepths)
  return 'raw'
}

const ENCODERS = { jpeg, jpg: jpeg, png, webp, gif, raw }
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

module.exports = { P, compact, forced, resize, region, colour, numberIn, optNumberIn, positiveInt, output, EXTENSIONS }
