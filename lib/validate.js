'use strict'
// Argument checks, worded like sharp: "Expected integer between 4 and 31 for cost but received 3.5 of type number".

const { invalidType, invalidValue, outOfRange } = require('./errors')

/** An optional options object: undefined, or a plain object. */
function options (value, name = 'options') {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidType(name, 'object', value)
  return value
}

/** Refuses option names outside `known`: a typo such as `memorycost` must not fall back to a default. */
function knownKeys (name, value, known) {
  for (const key in value) {
    if (!known.has(key)) {
      throw invalidValue(`${name}.${key}`, `one of the options ${[...known].join(', ')}`, key)
    }
  }
  return value
}

/** An integer in [lo, hi]; a fraction, NaN or Infinity is out of range, never truncated. */
function int (name, value, lo, hi) {
  if (typeof value !== 'number') throw invalidType(name, `integer between ${lo} and ${hi}`, value)
  if (!Number.isInteger(value) || value < lo || value > hi) throw outOfRange(name, lo, hi, value)
  return value
}

function optInt (name, value, lo, hi) {
  return value === undefined ? undefined : int(name, value, lo, hi)
}

function bool (name, value) {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw invalidType(name, 'boolean', value)
  return value
}

/** One of a fixed set of strings. */
function oneOf (name, value, allowed) {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidType(name, `one of: ${allowed.join(', ')}`, value)
  if (!allowed.includes(value)) throw invalidValue(name, `one of: ${allowed.join(', ')}`, value)
  return value
}

/** A string (UTF-8) or Uint8Array, as a string or Uint8Array. `secret` hides the value in messages. */
function bytes (name, value, secret = false) {
  if (typeof value === 'string' || value instanceof Uint8Array) return value
  throw invalidType(name, 'string or Uint8Array', value, secret)
}

function optBytes (name, value, secret) {
  return value === undefined ? undefined : bytes(name, value, secret)
}

/** Byte length of a string or Uint8Array. */
function byteLength (value) {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength
}

/** A string or Uint8Array as a Uint8Array (strings are UTF-8 encoded). */
function toBytes (value) {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}

module.exports = { options, knownKeys, int, optInt, bool, oneOf, bytes, optBytes, byteLength, toBytes }
