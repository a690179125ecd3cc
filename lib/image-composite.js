'use strict'
// The inputs that are not one encoded image, worded like sharp: `image({ create })`, raw pixels
// (`image(buffer, { raw })`), and the layers of `composite(images)`. Each layer's image travels to
// the binding beside the spec (the spec names it by index); core decodes, places and blends it
// (crates/core/src/image/composite.rs). Ranges and names come from core.

const { invalidType, invalidValue, codedError, describe } = require('./errors')
const v = require('./validate')
const opt = require('./image-options')

const { P, check } = opt
/** sharp's spellings of the two modes libvips names in British English. */
const BLEND_ALIASES = { 'color-dodge': 'colour-dodge', 'color-burn': 'colour-burn' }
const LAYER_KEYS = new Set(['input', 'raw', 'blend', 'gravity', 'top', 'left', 'tile', 'premultiplied', 'autoOrient'])

/** `{ width, height, channels }` of raw pixels (channels 1–4). */
function raw (name, value) {
  const o = v.knownKeys(name, v.options(value, name), new Set(['width', 'height', 'channels']))
  return {
    width: opt.positiveInt(`${name}.width`, o.width),
    height: opt.positiveInt(`${name}.height`, o.height),
    channels: v.int(`${name}.channels`, o.channels, P.raw.channels.min, P.raw.channels.max)
  }
}

/** `{ width, height, channels, background }`: an image of one colour (channels 3 or 4). */
function create (name, value) {
  const o = v.knownKeys(name, v.options(value, name), new Set(['width', 'height', 'channels', 'background', 'noise']))
  if (o.noise !== undefined) throw invalidValue(`${name}.noise`, 'undefined (noise images are not supported; give a background)', o.noise)
  if (o.background === undefined) throw invalidValue(`${name}.background`, 'a colour', o.background)
  return {
    width: opt.positiveInt(`${name}.width`, o.width),
    height: opt.positiveInt(`${name}.height`, o.height),
    channels: v.int(`${name}.channels`, o.channels, P.create.channels.min, P.create.channels.max),
    background: opt.colour(`${name}.background`, o.background)
  }
}

/** An image input's bytes or path: what the binding reads. */
function source (name, input) {
  if (typeof input === 'string') {
    if (input.includes('\0')) throw invalidValue(name, 'a path without NUL bytes', input)
    return input
  }
  if (input instanceof Uint8Array) return input
  if (input instanceof ArrayBuffer) {
    try { return new Uint8Array(input) } catch { return new Uint8Array(0) }
  }
  throw invalidType(name, 'Buffer, Uint8Array, file path or { create }', input)
}

function blend (value) {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidType('blend', 'blend name', value)
  const name = Object.hasOwn(BLEND_ALIASES, value) ? BLEND_ALIASES[value] : value
  if (!P.blends.includes(name)) {
    throw invalidValue('blend', `valid blend name (${P.blends.join(', ')})`, value)
  }
  return name
}

function offset (name, value) {
  const { min, max } = P.composite.offset
  if (typeof value !== 'number') throw invalidType(name, `integer between ${min} and ${max}`, value)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected integer between ${min} and ${max} for ${name} but received ${describe(value)}`)
  }
  return value
}

/**
 * `composite(images)`: `{ layers, inputs }`, the spec's layer list and the images its entries name by
 * index (paths, or bytes).
 */
function composite (images) {
  if (!Array.isArray(images)) throw invalidType('images', 'array of images to composite', images)
  const { max } = P.composite.layers
  if (images.length > max) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected at most ${max} images to composite but received ${images.length}`)
  }
  const inputs = []
  const layers = images.map((item, i) => {
    const at = `images[${i}]`
    const o = v.knownKeys(at, v.options(item, at), LAYER_KEYS)
    const layer = {}
    const input = o.input
    if (input !== null && typeof input === 'object' && !(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) {
      v.knownKeys(`${at}.input`, input, new Set(['create']))
      if (o.raw !== undefined) throw invalidValue(`${at}.raw`, 'undefined with a { create } input', o.raw)
      layer.input = { create: create(`${at}.input.create`, input.create) }
    } else {
      const index = inputs.push(source(`${at}.input`, input)) - 1
      if (o.raw !== undefined && typeof input === 'string') throw invalidValue(`${at}.input`, 'a Buffer for raw pixels', input)
      const from = { index, raw: o.raw === undefined ? null : raw(`${at}.raw`, o.raw) }
      if (o.autoOrient !== undefined) from.autoOrient = v.bool('autoOrient', o.autoOrient)
      layer.input = { input: from }
    }
    const b = blend(o.blend)
    if (b !== undefined) layer.blend = b
    if (o.gravity !== undefined) layer.gravity = opt.position(o.gravity, 'gravity')
    if ((o.left === undefined) !== (o.top === undefined)) {
      throw invalidValue(`${at}.left and .top`, 'both left and top to be set', o.left === undefined ? o.left : o.top)
    }
    if (o.left !== undefined) layer.offset = [offset('left', o.left), offset('top', o.top)]
    if (o.tile !== undefined) layer.tile = check.bool(o.tile, 'tile')
    if (o.premultiplied !== undefined) layer.premultiplied = check.bool(o.premultiplied, 'premultiplied')
    if (layer.tile && layer.offset && (layer.offset[0] < 0 || layer.offset[1] < 0)) {
      throw codedError('ERR_OUT_OF_RANGE', `Expected left and top of 0 or more for a tiled image but received ${layer.offset.join(', ')}`)
    }
    return layer
  })
  return { layers, inputs }
}

module.exports = { composite, create, raw }
