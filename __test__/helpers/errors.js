'use strict'
// The one error assertion of every spec: an error's exact `code` AND its class (exactly TypeError,
// RangeError, Error or ot.AbortError for offthread's own errors, see lib/errors.js; a subclass is
// allowed only for Node's own errors passed through), a non-empty message, and optionally the message
// itself (a string: exact; a RegExp: a pattern). `throws` is for synchronous throws, `rejects` for
// promises (a function that throws synchronously instead of rejecting fails), `aborted` for AbortErrors,
// `mismatch` for table-driven specs that collect what is wrong as text, `checkSerialized` for errors a child
// process printed.

const ot = require('../..')

/**
 * Expected errors, as [code, class] (or [code, class, 'node'] for Node's own errors, which may be a
 * subclass). README "Errors" lists the codes. Written out, not read from the binding's policy(): the
 * tests state the contract the implementation must meet.
 */
const ERR = {
  type: ['ERR_INVALID_ARG_TYPE', TypeError],
  value: ['ERR_INVALID_ARG_VALUE', TypeError],
  range: ['ERR_OUT_OF_RANGE', RangeError],
  tooLarge: ['ERR_BUFFER_TOO_LARGE', RangeError],
  tooLong: ['ERR_PASSWORD_TOO_LONG', Error],
  hash: ['ERR_INVALID_HASH', Error],
  corrupt: ['ERR_DECOMPRESS', Error],
  abort: ['ABORT_ERR', ot.AbortError],
  started: ['ERR_POOL_STARTED', Error],
  closed: ['ERR_POOL_CLOSED', Error],
  queueFull: ['ERR_QUEUE_FULL', Error],
  internal: ['ERR_INTERNAL', Error], // a panic or napi's own failure, caught at the boundary
  imageFormat: ['ERR_IMAGE_FORMAT', Error],
  imageDecode: ['ERR_IMAGE_DECODE', Error],
  imageTooLarge: ['ERR_IMAGE_TOO_LARGE', Error],
  // File errors keep the errno's code on a plain Error (README: read errors other than these three are EIO).
  enoent: ['ENOENT', Error],
  eisdir: ['EISDIR', Error],
  eio: ['EIO', Error],
  // Node's own errors, passed through as Node throws them (a subclass of TypeError, as in node:fs):
  urlScheme: ['ERR_INVALID_URL_SCHEME', TypeError, 'node'], // node:url's fileURLToPath, from hashFile(new URL('https:…'))
  nodeValue: ['ERR_INVALID_ARG_VALUE', TypeError, 'node'] // e.g. node:stream's check of a Transform's own options
}

/** What is wrong with `err` given `expected` ([code, Class, origin?]) and an optional `message`: '' if nothing. */
function mismatch (err, [code, Class, origin], { message } = {}) {
  if (!(err instanceof Error)) return `not an Error: ${String(err)}`
  const wrong = []
  if (err.code !== code) wrong.push(`code ${err.code}, expected ${code}`)
  const classOk = origin === 'node' ? err instanceof Class : Object.getPrototypeOf(err) === Class.prototype
  if (!classOk) wrong.push(`class ${err.constructor && err.constructor.name}, expected ${origin === 'node' ? 'a ' : ''}${Class.name}`)
  if (typeof err.message !== 'string' || err.message === '') wrong.push('empty message')
  else if (typeof message === 'string' && err.message !== message) wrong.push(`message, expected ${JSON.stringify(message)}`)
  else if (message instanceof RegExp && !message.test(err.message)) wrong.push(`message does not match ${message}`)
  return wrong.length ? `${wrong.join('; ')} (${err.constructor && err.constructor.name}: ${err.message})` : ''
}

/**
 * An error as plain data, for a child process to print: { code, name, class (its constructor's name), message }.
 * fixtures/pool-scenarios.js and fixtures/bytes-child.js report errors so; `checkSerialized` reads them.
 */
function serialize (err) {
  return { code: err.code, name: err.name, class: err.constructor && err.constructor.name, message: err.message }
}

/** Asserts a `serialize`d error is `expected`: code, class and name by name (the child's classes are not ours), a message. */
function checkSerialized (t, info, [code, Class], { label = '' } = {}) {
  if (info === undefined || info === null) return t.fail(`${label}: no error, expected ${code}`)
  const got = { code: info.code, class: info.class, name: info.name, message: typeof info.message === 'string' && info.message !== '' }
  t.deepEqual(got, { code, class: Class.name, name: Class.name, message: true }, `${label}: ${info.message}`)
}

/** Asserts `err` is `expected` (code, class, message if given). */
function checkError (t, err, expected, { message, label = '' } = {}) {
  const wrong = mismatch(err, expected, { message })
  if (wrong) t.fail(`${label}: ${wrong}`)
  else t.pass()
}

/** `fn()` must throw `expected` synchronously; returns the error. */
function throws (t, fn, expected, details = {}) {
  let value
  try {
    value = fn()
  } catch (err) {
    checkError(t, err, expected, details)
    return err
  }
  const what = value instanceof Promise ? 'returned a Promise' : `returned ${typeof value}`
  t.fail(`${details.label || ''}: ${what} instead of throwing ${expected[0]}`)
  return undefined
}

/**
 * `promise` (or the promise `fn()` returns; it must not throw synchronously) must reject with `expected`;
 * returns the error.
 */
async function rejects (t, fnOrPromise, expected, details = {}) {
  const label = details.label || ''
  let promise = fnOrPromise
  if (typeof fnOrPromise === 'function') {
    try {
      promise = fnOrPromise()
    } catch (err) {
      t.fail(`${label}: threw synchronously instead of rejecting: ${err && err.code} ${err && err.message}`)
      return undefined
    }
    if (!(promise instanceof Promise)) {
      t.fail(`${label}: returned ${typeof promise}, not a Promise`)
      return undefined
    }
  }
  let value
  try {
    value = await promise
  } catch (err) {
    checkError(t, err, expected, details)
    return err
  }
  const what = value && value.info ? `${value.info.width}×${value.info.height}` : typeof value
  t.fail(`${label}: resolved (${what}) instead of rejecting with ${expected[0]}`)
  return undefined
}

/** `promise` (or `fn()`) must reject with an AbortError (ABORT_ERR, name AbortError) whose cause is the signal's reason. */
async function aborted (t, fnOrPromise, signal, label = '') {
  const err = await rejects(t, fnOrPromise, ERR.abort, { label })
  if (!err) return undefined
  t.is(err.name, 'AbortError', `${label}: name`)
  t.is(err.cause, signal.reason, `${label}: cause is the signal's reason`)
  return err
}

module.exports = { ERR, mismatch, checkError, throws, rejects, aborted, serialize, checkSerialized }
