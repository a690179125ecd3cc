'use strict'
// Error factories with stable codes. Every error offthread throws or rejects with comes from here
// (validation in lib/) or from the native side, where src/values.rs `error()` builds it with the same
// codes and classes (core's ErrorClass); `internal` turns anything else native into ERR_INTERNAL.

const { errorClasses } = require('./native').policy
const CLASSES = { TypeError, RangeError, Error }

/** Node's own AbortError shape: name 'AbortError', code 'ABORT_ERR', the signal's reason as cause. */
class AbortError extends Error {
  constructor (message = 'The operation was aborted', options = undefined) {
    super(message, options)
    this.code = 'ABORT_ERR'
    this.name = 'AbortError'
  }
}

/** An error of the class its code implies (TypeError, RangeError or Error), with `code` set. */
function codedError (code, message) {
  if (code === 'ABORT_ERR') return new AbortError(message)
  const err = new CLASSES[errorClasses[code] ?? 'Error'](message)
  err.code = code
  return err
}

/** How a received value is shown in messages: short, and never the content of a secret. */
function describe (value, secret = false) {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  if (secret || type === 'object' || type === 'function' || type === 'array') return `a value of type ${type}`
  let shown = type === 'string' ? value : String(value)
  if (shown.length > 40) shown = `${shown.slice(0, 37)}...`
  return `${shown} of type ${type}`
}

function invalidType (name, expected, value, secret) {
  return codedError('ERR_INVALID_ARG_TYPE', `Expected ${expected} for ${name} but received ${describe(value, secret)}`)
}

function invalidValue (name, expected, value) {
  return codedError('ERR_INVALID_ARG_VALUE', `Expected ${expected} for ${name} but received ${describe(value)}`)
}

function outOfRange (name, lo, hi, value) {
  return codedError('ERR_OUT_OF_RANGE', `Expected integer between ${lo} and ${hi} for ${name} but received ${describe(value)}`)
}

function abortError (signal) {
  return new AbortError(undefined, signal && signal.reason !== undefined ? { cause: signal.reason } : undefined)
}

/** Native errors keep their code; anything else (napi's own statuses, a panic caught by napi-rs) becomes ERR_INTERNAL. */
function internal (err) {
  if (err && typeof err.code === 'string' && (err.code.startsWith('ERR_') || err.code === 'ABORT_ERR')) return err
  const wrapped = codedError('ERR_INTERNAL', `offthread internal error: ${err && err.message}`)
  wrapped.cause = err
  return wrapped
}

/** Calls a native function, mapping unexpected errors to ERR_INTERNAL. */
function callNative (fn, ...args) {
  try {
    return fn(...args)
  } catch (err) {
    throw internal(err)
  }
}

const queueFull = () => codedError('ERR_QUEUE_FULL', 'The offthread queue is full; retry later')
const poolClosed = () => codedError('ERR_POOL_CLOSED', 'The offthread pool is closed')

module.exports = { AbortError, internal, callNative, codedError, invalidType, invalidValue, outOfRange, abortError, queueFull, poolClosed, describe }
