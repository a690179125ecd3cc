'use strict'
// Argument checks for the image pipeline, worded like sharp ("Expected … for … but received …"):
// colours, resize options and each encoder's options, turned into the object the binding converts to
// core's contract types (crates/core/src/image/options.rs). Ranges, defaults and names come from core.

const native = require('./native')
const { invalidType, invalidValue, outOfRange, codedError, describe } = require('./errors')
const v = require('./validate')

/** Core's image defaults, ranges and names (src/image.rs `policy()`): no policy number is written here. */
const P = native.policy.image

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

/** A gravity, by sharp's name, alias or number (the option is `name`). */
function position (value, name = 'position') {
  if (value === undefined) return undefined
  const expected = `one of: ${Object.keys(POSITIONS).join(', ')}, or 0–${P.positions.length - 1}`
  if (typeof value === 'number') {
    if (Number.isInteger(value) && P.positions[value]) return P.positions[value]
    throw outOfRange(name, 0, P.positions.length - 1, value)
  }
  if (typeof value !== 'string') throw invalidType(name, expected, value)
  if (Object.hasOwn(POSITIONS, value)) return POSITIONS[value]
  throw invalidValue(name, expected, value)
}

// Option tables: each entry is one option, by its name in sharp and in core's contract type (they are the
// same), with its check, which returns the value to send. `fields` sends only the options given; the others
// take core's defaults. Adding an option to a method is one entry here (with core's field and index.d.ts).

const check = {
  bool: (x, name) => v.bool(name, x),
  int: (range) => (x, name) => v.int(name, x, range.min, range.max),
  number: (range) => (x, name) => numberIn(name, x, range),
  oneOf: (allowed) => (x, name) => v.oneOf(name, x, allowed),
  colour: (x, name) => colour(name, x)
}

/**
 * The checked values of the options in `table` that `o` gives. `spellings` lists, for an option, the names it
 * may be given as (the first one given wins, and is the one an error names); `extra` are keys read elsewhere.
 * A check returning undefined sends nothing (core's default).
 */
function fields (what, options, table, { spellings = {}, extra = [] } = {}) {
  const names = Object.keys(table).flatMap((key) => spellings[key] || [key])
  const o = v.knownKeys(what, v.options(options), new Set([...names, ...extra]))
  const out = {}
  for (const [key, fn] of Object.entries(table)) {
    const name = (spellings[key] || [key]).find((n) => o[n] !== undefined)
    const value = name === undefined ? undefined : fn(o[name], name)
    if (value !== undefined) out[key] = value
  }
  return { o, out }
}

/** sharp.strategy: a smart crop's name, from its name or sharp's number; undefined for anything else. */
function strategy (x) {
  if (typeof x === 'string') return P.strategies.includes(x) ? x : undefined
  const i = P.strategyNumbers.indexOf(x)
  return i < 0 ? undefined : P.strategies[i]
}

const RESIZE = {
  fit: check.oneOf(P.fits),
  // A strategy is sent as `strategy` (see resize()); the position stays the default.
  position: (x) => strategy(x) === undefined ? position(x) : undefined,
  kernel: check.oneOf(P.kernels),
  withoutEnlargement: check.bool,
  withoutReduction: check.bool,
  background: check.colour
}

/** resize(width?, height?, options?) or resize(options). */
function resize (width, height, options) {
  if (width !== null && typeof width === 'object' && height === undefined && options === undefined) {
    options = width
    width = options.width
    height = options.height
  }
  const o = v.knownKeys('resize options', v.options(options), new Set([...Object.keys(RESIZE), 'width', 'height', 'fastShrinkOnLoad']))
  // Checked even when the positional argument wins, as sharp does.
  if (o.width !== undefined && o.width !== null) positiveInt('width', o.width)
  if (o.height !== undefined && o.height !== null) positiveInt('height', o.height)
  if (width === undefined || width === null) width = o.width
  if (height === undefined || height === null) height = o.height
  if (o.fastShrinkOnLoad !== undefined) v.bool('fastShrinkOnLoad', o.fastShrinkOnLoad)
  const { out } = fields('resize options', o, RESIZE, { extra: ['width', 'height', 'fastShrinkOnLoad'] })
  if (width !== undefined && width !== null) out.width = positiveInt('width', width)
  if (height !== undefined && height !== null) out.height = positiveInt('height', height)
  if (strategy(o.position) !== undefined) out.strategy = strategy(o.position)
  return out
}

const REGION_KEYS = new Set(['left', 'top', 'width', 'height'])

function region (r) {
  if (r === null || typeof r !== 'object') throw invalidType('extract region', 'object with left, top, width, height', r)
  v.knownKeys('extract region', r, REGION_KEYS)
  return { left: offset('left', r.left), top: offset('top', r.top), width: positiveInt('width', r.width), height: positiveInt('height', r.height) }
}

// Each encoder returns core's output value ({ jpeg: {...} }, …, 'raw').

const JPEG = {
  quality: check.int(P.jpeg.quality),
  progressive: check.bool,
  chromaSubsampling: check.oneOf(P.chromaSubsampling),
  optimizeCoding: check.bool,
  mozjpeg: check.bool
}

function jpeg (options) {
  const spellings = { optimizeCoding: ['optimiseCoding', 'optimizeCoding'] }
  return { jpeg: fields('jpeg options', options, JPEG, { spellings, extra: ['force'] }).out }
}

/** Interlaced (Adam7) PNG output is not implemented: refuse it rather than ignore it. */
function pngProgressive (value) {
  if (v.bool('progressive', value)) {
    throw invalidValue('progressive', 'false (interlaced PNG output is not supported)', value)
  }
  return false
}

const PNG = {
  compressionLevel: check.int(P.png.compressionLevel),
  adaptiveFiltering: check.bool,
  progressive: pngProgressive,
  palette: check.bool,
  quality: check.int(P.png.quality),
  colours: check.int(P.png.colours),
  effort: check.int(P.png.effort),
  dither: check.number(P.png.dither)
}
/** Palette options: giving any of them implies `palette: true` (as sharp). */
const PALETTE = ['quality', 'colours', 'effort', 'dither']

function png (options) {
  const { out } = fields('png options', options, PNG, { spellings: { colours: ['colours', 'colors'] }, extra: ['force'] })
  if (out.palette === undefined && PALETTE.some((k) => out[k] !== undefined)) out.palette = true
  return { png: out }
}

const WEBP = {
  quality: check.int(P.webp.quality),
  alphaQuality: check.int(P.webp.alphaQuality),
  lossless: check.bool,
  nearLossless: check.bool,
  smartSubsample: check.bool,
  effort: check.int(P.webp.effort),
  loop: check.int(P.webp.loop),
  delay: delays
}

function webp (options) {
  return { webp: fields('webp options', options, WEBP, { extra: ['force'] }).out }
}

/** GIF frame delays: one for every frame, or one per frame. */
function delays (x, name) {
  const ms = check.int(P.gif.delay)
  if (typeof x === 'number') return [ms(x, name)]
  if (Array.isArray(x)) return x.map((d, i) => ms(d, `${name}[${i}]`))
  throw invalidType(name, 'integer or array of integers', x)
}

const GIF = {
  colours: check.int(P.gif.colours),
  effort: check.int(P.gif.effort),
  dither: check.number(P.gif.dither),
  loop: check.int(P.gif.loop),
  delay: delays
}

function gif (options) {
  return { gif: fields('gif options', options, GIF, { spellings: { colours: ['colours', 'colors'] }, extra: ['force'] }).out }
}

const AVIF = {
  quality: check.int(P.avif.quality),
  // Refused when true (no lossless AV1 in ravif): said at once, not after decoding.
  lossless: (x, name) => {
    if (v.bool(name, x)) throw invalidValue(name, 'false (lossless AVIF is not supported)', x)
    return false
  },
  effort: check.int(P.avif.effort),
  chromaSubsampling: check.oneOf(P.chromaSubsampling),
  // sharp's bitdepth: 8 only here.
  bitdepth: (x, name) => { v.int(name, x, P.avif.bitdepth.min, P.avif.bitdepth.max); return undefined }
}

function avif (options) {
  return { avif: fields('avif options', options, AVIF, { extra: ['force'] }).out }
}

/** sharp's raw({ depth }): 8-bit samples ('uchar') only; another depth is refused rather than ignored. */
function raw (options) {
  fields('raw options', options, { depth: check.oneOf(P.rawDepths) })
  return 'raw'
}

const ENCODERS = { jpeg, jpg: jpeg, png, webp, gif, avif, raw }
const EXTENSIONS = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp', '.gif': 'gif', '.avif': 'avif' }

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

module.exports = { P, check, fields, forced, resize, region, colour, numberIn, positiveInt, position, output, EXTENSIONS }
