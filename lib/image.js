'use strict'
// image(input, options): a chainable, sharp-compatible pipeline. Each method checks its arguments
// at once and records them; toBuffer/toFile/metadata/thumbhash run the whole pipeline as one task
// on offthread's pool (crates/core/src/image). The input Buffer is not copied.

const path = require('node:path')
const native = require('./native')
const scheduler = require('./scheduler')
const { invalidType, invalidValue, codedError } = require('./errors')
const v = require('./validate')
const opt = require('./image-options')

const DEFAULT_LIMIT = 0x3FFF * 0x3FFF
const FAIL_ON = ['none', 'truncated', 'error', 'warning']
const IMAGE_KEYS = new Set(['limitInputPixels', 'autoOrient', 'failOn', 'animated', 'pages', 'signal', 'executor'])
const RUN_KEYS = new Set(['signal', 'resolveWithObject'])

function limitPixels (value) {
  if (value === undefined || value === true) return DEFAULT_LIMIT
  if (value === false || value === 0) return 0
  if (typeof value !== 'number') throw invalidType('limitInputPixels', 'integer or boolean', value)
  if (!Number.isInteger(value) || value < 0) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected positive integer for limitInputPixels but received ${value} of type number`)
  }
  return value
}

class Image {
  constructor (input, options) {
    if (typeof input === 'string') {
      this._path = input
    } else if (input instanceof Uint8Array) {
      this._data = input
    } else if (input instanceof ArrayBuffer) {
      // A detached ArrayBuffer cannot be viewed: it holds no bytes, like an empty one.
      try { this._data = new Uint8Array(input) } catch { this._data = new Uint8Array(0) }
    } else {
      throw invalidType('input', 'Buffer, Uint8Array or file path', input)
    }
    const o = v.knownKeys('options', v.options(options), IMAGE_KEYS)
    const pages = o.pages === undefined ? undefined : v.int('pages', o.pages, -1, 100000)
    this._task = scheduler.taskOptions(o)
    this._spec = {
      limitInputPixels: limitPixels(o.limitInputPixels),
      autoOrient: v.bool('autoOrient', o.autoOrient) ?? true,
      failOn: v.oneOf('failOn', o.failOn, FAIL_ON) ?? 'warning',
      animated: (v.bool('animated', o.animated) ?? false) || pages === -1,
      keepMetadata: false
    }
  }

  resize (width, height, options) {
    this._spec.resize = opt.resize(width, height, options)
    return this
  }

  extract (region) {
    const r = opt.region(region)
    if (this._spec.resize === undefined) this._spec.extractBefore = r
    else this._spec.extractAfter = r
    return this
  }

  rotate (angle, options) {
    if (angle === undefined) {
      v.knownKeys('rotate options', v.options(options), new Set(['background']))
      if (options !== undefined && options.background !== undefined) opt.colour('background', options.background)
      this._spec.autoOrient = true
      return this
    }
    if (typeof angle !== 'number') throw invalidType('angle', 'number', angle)
    if (!Number.isFinite(angle)) throw codedError('ERR_OUT_OF_RANGE', `Expected finite number for angle but received ${angle} of type number`)
    const o = v.knownKeys('rotate options', v.options(options), new Set(['background']))
    const bg = o.background === undefined ? [0, 0, 0, 255] : opt.colour('background', o.background)
    this._spec.rotate = [angle, bg]
    return this
  }

  flip (flip = true) {
    this._spec.flip = v.bool('flip', flip)
    return this
  }

  flop (flop = true) {
    this._spec.flop = v.bool('flop', flop)
    return this
  }

  grayscale (grayscale = true) {
    this._spec.grayscale = v.bool('grayscale', grayscale)
    return this
  }

  greyscale (greyscale = true) {
    return this.grayscale(greyscale)
  }

  blur (sigma) {
    if (sigma === undefined || sigma === true) this._spec.blur = 0
    else if (sigma === false) delete this._spec.blur
    else {
      let s = sigma
      if (sigma !== null && typeof sigma === 'object' && !Array.isArray(sigma)) {
        v.knownKeys('blur options', sigma, new Set(['sigma']))
        s = sigma.sigma
      }
      this._spec.blur = opt.numberIn('sigma', s, 0.3, 1000)
    }
    return this
  }

  sharpen (options) {
    if (options === undefined) {
      this._spec.sharpen = [0, 0, 0]
      return this
    }
    const o = typeof options === 'number' ? { sigma: options } : v.options(options, 'sharpen options')
    v.knownKeys('sharpen options', o, new Set(['sigma', 'm1', 'm2']))
    const sigma = opt.numberIn('sigma', o.sigma === undefined ? 1 : o.sigma, 0.000001, 10)
    const m1 = o.m1 === undefined ? 1 : opt.numberIn('m1', o.m1, 0, 1000000)
    const m2 = o.m2 === undefined ? 2 : opt.numberIn('m2', o.m2, 0, 1000000)
    this._spec.sharpen = [sigma, m1, m2]
    return this
  }

  flatten (options) {
    if (options === false) {
      delete this._spec.flatten
      return this
    }
    const o = options === undefined || options === true ? {} : v.options(options, 'flatten options')
    v.knownKeys('flatten options', o, new Set(['background']))
    this._spec.flatten = o.background === undefined ? [0, 0, 0, 255] : opt.colour('background', o.background)
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
  raw () { return this.toFormat('raw') }

  toFormat (format, options) {
    const out = opt.output(format, options)
    if (opt.forced(options)) this._spec.output = out
    return this
  }

  clone () {
    const copy = Object.create(Image.prototype)
    copy._path = this._path
    copy._data = this._data
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
    return scheduler.reject(() => {
      const { o, task } = this._run(options)
      const withObject = v.bool('resolveWithObject', o.resolveWithObject) ?? false
      const spec = JSON.stringify(this._spec)
      return scheduler.run((id, ex, c) => native.imageProcess(id, ex, c, spec, this._path, null, this._data), task)
        .then(([data, info]) => withObject ? { data, info: JSON.parse(info) } : data)
    })
  }

  toFile (file, options) {
    return scheduler.reject(() => {
      if (typeof file !== 'string' || file === '') throw invalidType('fileOut', 'non-empty string', file)
      if (file.includes('\0')) throw invalidValue('fileOut', 'a path without NUL bytes', file)
      const { task } = this._run(options, new Set(['signal']))
      let spec = this._spec
      if (spec.output === undefined) {
        const ext = path.extname(file).toLowerCase()
        const format = opt.EXTENSIONS[ext]
        if (format === undefined && this._spec.output === undefined) {
          // Keep the input's format, as toBuffer does (TIFF/BMP become PNG).
        } else {
          spec = { ...spec, output: opt.output(format) }
        }
      }
      if (this._path !== undefined && path.resolve(this._path) === path.resolve(file)) {
        throw invalidValue('fileOut', 'a path other than the input file', file)
      }
      const json = JSON.stringify(spec)
      return scheduler.run((id, ex, c) => native.imageProcess(id, ex, c, json, this._path, file, this._data), task)
        .then(([, info]) => JSON.parse(info))
    })
  }

  metadata (options) {
    return scheduler.reject(() => {
      const { task } = this._run(options, new Set(['signal']))
      return scheduler.run((id, ex, c) => native.imageMetadata(id, ex, c, this._path, this._data), task)
        .then((json) => JSON.parse(json))
    })
  }

  thumbhash (options) {
    return scheduler.reject(() => {
      const { task } = this._run(options, new Set(['signal']))
      const spec = JSON.stringify({ ...this._spec, output: undefined, animated: false })
      return scheduler.run((id, ex, c) => native.imageThumbhash(id, ex, c, spec, this._path, this._data), task)
        .then((hash) => hash.toString('base64'))
    })
  }
}

/** An image pipeline over a Buffer/Uint8Array (not copied) or a file path (read on the pool). */
function image (input, options) {
  return new Image(input, options)
}

const imageDefaults = Object.freeze({ limitInputPixels: DEFAULT_LIMIT })

module.exports = { image, imageDefaults, Image }
