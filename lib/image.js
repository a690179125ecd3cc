'use strict'
// image(input, options): a chainable, sharp-compatible pipeline. Each method checks its arguments
// at once and records them in a plain object; toBuffer/toFile/metadata/thumbhash hand it to the
// binding, which converts it to core's contract types (crates/core/src/image/options.rs) before
// queuing, and run the whole pipeline as one task on offthread's pool (crates/core/src/image).
// An input of 64 KiB or more is read in place on Node 20 and copied on Node 22+; smaller ones are
// copied (lib/native.js, src/input.rs).

const path = require('node:path')
const { Duplex } = require('node:stream')
const native = require('./native')
const scheduler = require('./scheduler')
const { invalidType, invalidValue, codedError } = require('./errors')
const v = require('./validate')
const opt = require('./image-options')
const layers = require('./image-composite')
const streams = require('./image-stream')

const { P, check } = opt
const RUN_KEYS = new Set(['signal', 'resolveWithObject'])
const IMAGE = {
  limitInputPixels: (x) => limitPixels(x),
  autoOrient: check.bool,
  failOn: check.oneOf(P.failOn),
  animated: check.bool,
  page: check.int(P.page),
  maxInputBytes: check.int(P.maxInputBytes)
}
const BACKGROUND = { background: check.colour }
const EXTEND = {
  top: check.int(P.extend.size),
  bottom: check.int(P.extend.size),
  left: check.int(P.extend.size),
  right: check.int(P.extend.size),
  background: check.colour,
  extendWith: check.oneOf(P.extendWith)
}
const SHARPEN = { sigma: check.number(P.sharpen.sigma), m1: check.number(P.sharpen.m1), m2: check.number(P.sharpen.m2) }

/** `limitInputPixels`: undefined (core's default) or a number of pixels, 0 = no limit. */
function limitPixels (value) {
  if (value === undefined || value === true) return undefined
  if (value === false) return 0
  if (typeof value !== 'number') throw invalidType('limitInputPixels', 'integer or boolean', value)
  if (!Number.isInteger(value) || value < P.limitInputPixels.min) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected positive integer for limitInputPixels but received ${value} of type number`)
  }
  return value
}

/** clone()'s way in: an Image with no input, to be filled from another. */
const CLONE = Symbol('clone')

class Image extends Duplex {
  constructor (input, options) {
    super()
    this._layers = []
    if (input === CLONE) return
    if (input === undefined) {
      // image(): a Duplex; the bytes written to it are the input.
      this._init(options)
      streams.duplex.open(this)
      return
    }
    if (streams.isReadable(input)) {
      // image(readable): its bytes are the input, gathered now.
      const o = this._init(options)
      if (o.raw !== undefined) this._spec.raw = layers.raw('raw', o.raw)
      this._input = streams.collect(input, this._maxInputBytes()).then((data) => {
        this._data = data
        this._input = undefined
      })
      this._input.catch(() => {})
      return
    }
    const proto = input !== null && typeof input === 'object' ? Object.getPrototypeOf(input) : undefined
    if ((proto === Object.prototype || proto === null) && options === undefined) {
      // image({ create, ...options }): no input, as sharp reads it.
      const { create, ...rest } = input
      if (create === undefined) {
        // image(options): a Duplex, as sharp reads an options object alone.
        this._init(input)
        streams.duplex.open(this)
        return
      }
      if (rest.raw !== undefined) throw invalidValue('raw', 'no raw option beside { create }', rest.raw)
      this._data = new Uint8Array(0)
      this._init(rest)
      this._spec.create = layers.create('create', create)
      return
    }
    if (typeof input === 'string') {
      if (input.includes('\0')) throw invalidValue('input', 'a path without NUL bytes', input)
      this._path = input
    } else if (input instanceof Uint8Array) {
      this._data = input
    } else if (input instanceof ArrayBuffer) {
      // A detached ArrayBuffer cannot be viewed: it holds no bytes, like an empty one.
      try { this._data = new Uint8Array(input) } catch { this._data = new Uint8Array(0) }
    } else {
      throw invalidType('input', 'Buffer, Uint8Array, file path, Readable or { create }', input)
    }
    const o = this._init(options)
    if (o.raw !== undefined) {
      if (this._path !== undefined) throw invalidValue('input', 'a Buffer for raw pixels', this._path)
      this._spec.raw = layers.raw('raw', o.raw)
    }
  }

  _maxInputBytes () {
    return this._spec.maxInputBytes ?? P.defaults.maxInputBytes
  }

  _write (chunk, encoding, callback) { streams.duplex.write(this, chunk, encoding, callback) }
  _final (callback) { streams.duplex.final(this, callback) }
  _read () { streams.duplex.read(this) }
  _destroy (err, callback) { streams.duplex.destroy(this, err, callback) }

  /** The image options (not the input); returns them as given. */
  _init (options) {
    const { o, out } = opt.fields('options', options, IMAGE, { extra: ['pages', 'signal', 'executor', 'raw'] })
    if (o.pages !== undefined) {
      // sharp's pages (which wins over animated): -1 is every frame from page on, n that many.
      const pages = v.int('pages', o.pages, P.pages.min, P.pages.max)
      if (pages === 0) throw codedError('ERR_OUT_OF_RANGE', 'The value of "pages" is out of range. It must be -1 (every frame) or at least 1. Received 0')
      out.animated = pages === -1
      if (pages > 0) out.pages = pages
    }
    this._task = scheduler.taskOptions(o)
    this._spec = { ...out, ops: {} }
    return o
  }

  /**
   * sharp's composite: images over this one, in order, after its other geometry and filters; each
   * `{ input, raw, blend, gravity, top, left, tile, premultiplied, autoOrient }`. A new call replaces the list.
   */
  composite (images) {
    const { layers: list, inputs } = layers.composite(images)
    this._spec.ops.composite = list
    this._layers = inputs
    return this
  }

  resize (width, height, options) {
    this._spec.ops.resize = opt.resize(width, height, options)
    return this
  }

  extract (region) {
    const r = opt.region(region)
    if (this._spec.ops.resize === undefined) this._spec.ops.extractBefore = r
    else this._spec.ops.extractAfter = r
    return this
  }

  rotate (angle, options) {
    if (angle === undefined) {
      opt.fields('rotate options', options, BACKGROUND)
      this._spec.autoOrient = true
      return this
    }
    if (typeof angle !== 'number') throw invalidType('angle', 'number', angle)
    if (!Number.isFinite(angle)) throw codedError('ERR_OUT_OF_RANGE', `Expected finite number for angle but received ${angle} of type number`)
    this._spec.ops.rotate = { angle, ...opt.fields('rotate options', options, BACKGROUND).out }
    return this
  }

  flip (flip = true) {
    this._spec.ops.flip = v.bool('flip', flip)
    return this
  }

  flop (flop = true) {
    this._spec.ops.flop = v.bool('flop', flop)
    return this
  }

  grayscale (grayscale = true) {
    this._spec.ops.grayscale = v.bool('grayscale', grayscale)
    return this
  }

  greyscale (greyscale = true) {
    return this.grayscale(greyscale)
  }

  blur (sigma) {
    if (sigma === undefined || sigma === true) this._spec.ops.blur = 0 // sharp's fast 3×3 box blur
    else if (sigma === false) delete this._spec.ops.blur
    else {
      let s = sigma
      if (sigma !== null && typeof sigma === 'object' && !Array.isArray(sigma)) {
        v.knownKeys('blur options', sigma, new Set(['sigma']))
        s = sigma.sigma
      }
      this._spec.ops.blur = opt.numberIn('sigma', s, P.blur.sigma)
    }
    return this
  }

  sharpen (options) {
    if (options === undefined) {
      this._spec.ops.sharpen = { sigma: 0 } // sharp's fast mild 3×3 sharpen
      return this
    }
    const o = typeof options === 'number' ? { sigma: options } : v.options(options, 'sharpen options')
    this._spec.ops.sharpen = opt.fields('sharpen options', o, SHARPEN).out
    return this
  }

  flatten (options) {
    if (options === false) {
      delete this._spec.ops.flatten
      return this
    }
    const o = options === undefined || options === true ? {} : v.options(options, 'flatten options')
    this._spec.ops.flatten = opt.fields('flatten options', o, BACKGROUND).out
    return this
  }

  /** sharp's negate: 255 − value on every channel; `{ alpha: false }` keeps alpha. */
  negate (options) {
    if (options === false) delete this._spec.ops.negate
    else this._spec.ops.negate = options === undefined || options === true ? {} : opt.fields('negate options', options, { alpha: check.bool }).out
    return this
  }

  /** sharp's gamma: darken by 1/gamma before resizing, brighten by gammaOut (default: gamma) after. */
  gamma (gamma, gammaOut) {
    const g = gamma === undefined ? P.gamma.defaults.gamma : opt.numberIn('gamma', gamma, P.gamma.gamma)
    const out = gammaOut === undefined ? g : opt.numberIn('gammaOut', gammaOut, P.gamma.gamma)
    this._spec.ops.gamma = { gamma: g, gammaOut: out }
    return this
  }

  /** sharp's threshold: channels at or above the level become 255, the others 0; grey first unless options say otherwise. */
  threshold (threshold, options) {
    const T = P.threshold
    let level = T.defaults.threshold
    if (typeof threshold === 'boolean') level = threshold ? level : T.threshold.min
    else if (threshold !== undefined) level = v.int('threshold', threshold, T.threshold.min, T.threshold.max)
    let grayscale = T.defaults.grayscale
    if (options !== undefined) {
      // As sharp reads it: an options object turns grey conversion off unless it says greyscale/grayscale: true.
      const o = v.knownKeys('threshold options', v.options(options, 'threshold options'), new Set(['greyscale', 'grayscale']))
      for (const k of ['greyscale', 'grayscale']) if (o[k] !== undefined) v.bool(k, o[k])
      grayscale = o.greyscale === true || o.grayscale === true
    }
    this._spec.ops.threshold = { threshold: level, grayscale }
    return this
  }

  /** sharp's median: each channel's median over a size × size window (default 3). */
  median (size) {
    this._spec.ops.median = size === undefined ? P.median.default : v.int('size', size, P.median.size.min, P.median.size.max)
    return this
  }

  /** sharp's modulate: in LCh, L* × brightness + lightness, C* × saturation, hue + degrees. */
  modulate (options) {
    const M = P.modulate
    if (options === undefined) throw invalidType('options', 'object', options) // sharp requires one
    const { out } = opt.fields('modulate options', v.options(options, 'options'), {
      brightness: check.number(M.brightness),
      saturation: check.number(M.saturation),
      hue: check.int(M.hue),
      lightness: check.number(M.lightness)
    })
    this._spec.ops.modulate = out
    return this
  }

  /**
   * sharp's trim: cuts the edges that differ from `background` (default: the top-left pixel) by at most
   * `threshold` (default 10) in every channel, after a 3×3 median unless `lineArt`; keeps `margin` pixels.
   */
  trim (options) {
    const T = P.trim
    if (options === false) {
      delete this._spec.ops.trim
      return this
    }
    const o = options === undefined || options === null ? {} : options
    if (typeof o !== 'object' || Array.isArray(o)) throw invalidType('trim', 'object', o)
    const { out } = opt.fields('trim options', o, {
      background: check.colour,
      threshold: check.number(T.threshold),
      lineArt: check.bool,
      margin: check.int(T.margin)
    })
    this._spec.ops.trim = out
    return this
  }

  /** sharp's normalise: L* stretched from the `lower` percentile (default 1) to the `upper` one (default 99). */
  normalise (options) {
    const N = P.normalise
    if (options === false) {
      delete this._spec.ops.normalise
      return this
    }
    const o = options === undefined || options === true ? {} : v.knownKeys('normalise options', v.options(options, 'options'), new Set(['lower', 'upper']))
    // sharp takes any number in range and reads it as an integer (truncated).
    const lower = o.lower === undefined ? N.defaults.lower : Math.trunc(opt.numberIn('lower', o.lower, N.lower))
    const upper = o.upper === undefined ? N.defaults.upper : Math.trunc(opt.numberIn('upper', o.upper, N.upper))
    if (lower >= upper) throw invalidValue('range', 'lower to be less than upper', `${lower} >= ${upper}`)
    this._spec.ops.normalise = { lower, upper }
    return this
  }

  normalize (options) {
    return this.normalise(options)
  }

  /** sharp's tint: the colour's chroma on the image's luminance. */
  tint (colour) {
    this._spec.ops.tint = opt.colour('tint', colour)
    return this
  }

  /** sharp's extend: a number of pixels on every side, or { top, bottom, left, right, background, extendWith }. */
  extend (extend) {
    if (typeof extend === 'number') {
      const n = v.int('extend', extend, P.extend.all.min, P.extend.all.max)
      this._spec.ops.extend = { top: n, bottom: n, left: n, right: n }
    } else if (extend !== null && typeof extend === 'object' && !Array.isArray(extend)) {
      this._spec.ops.extend = opt.fields('extend', extend, EXTEND).out
    } else {
      throw invalidType('extend', 'integer or object', extend)
    }
    return this
  }

  keepMetadata () {
    this._spec.keepMetadata = true
    return this
  }

  withMetadata () {
    return this.keepMetadata()
  }

  jpeg (options) { return this.toFormat('jpeg', options) }
  png (options) { return this.toFormat('png', options) }
  webp (options) { return this.toFormat('webp', options) }
  gif (options) { return this.toFormat('gif', options) }
  avif (options) { return this.toFormat('avif', options) }
  raw (options) { return this.toFormat('raw', options) }

  toFormat (format, options) {
    const out = opt.output(format, options)
    if (opt.forced(options)) this._spec.output = out
    return this
  }

  clone () {
    const copy = new Image(CLONE)
    copy._path = this._path
    copy._data = this._data
    if (this._input !== undefined) {
      // A stream input still coming in: the copy gets the same bytes once they are in.
      copy._input = this._input.then(() => {
        copy._data = this._data
        copy._input = undefined
      })
      copy._input.catch(() => {})
    }
    copy._layers = [...this._layers]
    copy._task = { ...this._task }
    copy._spec = structuredClone(this._spec)
    return copy
  }

  /** The task options of one run: the pipeline's, with a per-call signal taking precedence. */
  _run (options, keys = RUN_KEYS) {
    const o = v.knownKeys('options', v.options(options), keys)
    const signal = o.signal === undefined ? this._task.signal : scheduler.taskOptions({ signal: o.signal }).signal
    return { o, task: { signal, executor: this._task.executor } }
  }

  toBuffer (options) {
    if (this._input !== undefined) return this._input.then(() => this.toBuffer(options))
    return scheduler.reject(() => {
      const { o, task } = this._run(options)
      const withObject = v.bool('resolveWithObject', o.resolveWithObject) ?? false
      return scheduler.run((t) => native.imageProcess(t, this._spec, this._path, null, this._data, this._layers), task)
        .then(([data, info]) => withObject ? { data, info } : data)
    })
  }

  toFile (file, options) {
    if (this._input !== undefined) return this._input.then(() => this.toFile(file, options))
    return scheduler.reject(() => {
      if (typeof file !== 'string') throw invalidType('fileOut', 'non-empty string', file)
      if (file === '') throw invalidValue('fileOut', 'a non-empty path', file)
      if (file.includes('\0')) throw invalidValue('fileOut', 'a path without NUL bytes', file)
      const { task } = this._run(options, new Set(['signal']))
      let spec = this._spec
      // The extension chooses the format unless one was; without a known one the input's format is kept,
      // as toBuffer does (TIFF/BMP become PNG).
      const format = opt.EXTENSIONS[path.extname(file).toLowerCase()]
      if (spec.output === undefined && format !== undefined) spec = { ...spec, output: opt.output(format) }
      if (this._path !== undefined && path.resolve(this._path) === path.resolve(file)) {
        throw invalidValue('fileOut', 'a path other than the input file', file)
      }
      return scheduler.run((t) => native.imageProcess(t, spec, this._path, file, this._data, this._layers), task)
        .then(([, info]) => info)
    })
  }

  metadata (options) {
    if (this._input !== undefined) return this._input.then(() => this.metadata(options))
    return scheduler.reject(() => {
      const { task } = this._run(options, new Set(['signal']))
      if (this._spec.raw !== undefined || this._spec.create !== undefined) {
        throw invalidValue('input', 'an encoded image for metadata() (raw and created pixels have no header)', this._spec.create ?? this._spec.raw)
      }
      return scheduler.run((t) => native.imageMetadata(t, this._spec, this._path, this._data), task)
    })
  }

  thumbhash (options) {
    if (this._input !== undefined) return this._input.then(() => this.thumbhash(options))
    return scheduler.reject(() => {
      const { task } = this._run(options, new Set(['signal']))
      // The binding's thumbhash decodes the first frame and ignores the output format.
      return scheduler.run((t) => native.imageThumbhash(t, this._spec, this._path, this._data, this._layers), task)
        .then((hash) => hash.toString('base64'))
    })
  }
}

/**
 * An image pipeline over a Buffer/Uint8Array/ArrayBuffer (from 64 KiB on read in place on Node 20, copied on
 * Node 22+; smaller inputs are copied) or a file path (read on the pool).
 */
function image (input, options) {
  return new Image(input, options)
}

const imageDefaults = Object.freeze({ limitInputPixels: P.limitInputPixels.default, maxInputBytes: P.defaults.maxInputBytes })

module.exports = { image, imageDefaults, Image }
