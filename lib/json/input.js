'use strict'
// What the JSON readers (parseJson, selectJson, validateJson) share: taking the input, encoding a large
// string on the loop, reading a plan's triples, yielding between turns, and the errors they reject
// with (ERR_BUFFER_TOO_LARGE past maxBytes, ERR_JSON_PARSE for an invalid document).

const { codedError, invalidType, abortError } = require('../errors')
const native = require('../native')

/** Core's JSON policy: encodeUnits, exactMessageBytes, parseErrorCode (and the readers' ranges). */
const J = native.policy.json
const HIGH_SURROGATE = /[\uD800-\uDBFF]/

/** A plain binary view of `input`, or the string itself; ERR_INVALID_ARG_TYPE for anything else. */
function source (input) {
  if (typeof input === 'string' || Buffer.isBuffer(input)) return input
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (input instanceof ArrayBuffer) return Buffer.from(input)
  throw invalidType('input', 'string, Buffer, TypedArray, DataView or ArrayBuffer', input)
}

/** The coded error of an input over `maxBytes` (as decompress's maxOutputLength: ERR_BUFFER_TOO_LARGE). */
function tooLarge (maxBytes, length) {
  const err = codedError('ERR_BUFFER_TOO_LARGE', `The JSON input is larger than maxBytes (${maxBytes} bytes)`)
  err.limit = maxBytes
  if (length !== undefined) err.length = length
  return err
}

/** One event-loop turn: setImmediate lets timers and I/O run. */
function turn () {
  return new Promise((resolve) => setImmediate(resolve))
}

function checkSignal (signal) {
  if (signal !== undefined && signal.aborted) throw abortError(signal)
}

/** A plan's f64 triples (copied only if the Buffer is not 8-byte aligned). */
function triples (buf) {
  const width = Float64Array.BYTES_PER_ELEMENT
  if (buf.byteOffset % width === 0) return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / width)
  return new Float64Array(new Uint8Array(buf).buffer)
}

/**
 * A string's UTF-8 in one Buffer, written in pieces of `encodeUnits` units within `sliceMs` per turn
 * (Buffer.from of a 100 MB string would stall ~100 ms). Refuses past `maxBytes` as soon as it is passed.
 * The Buffer is allocated for the worst case (3 bytes per unit); pages never written are never touched.
 * With `seen`, sets `seen.wellFormed = false` when the string has a lone surrogate (pieces never split a pair).
 */
async function encode (src, maxBytes, sliceMs, signal, seen) {
  const worst = src.length * Buffer.byteLength('\uFFFF', 'utf8')
  const buf = Buffer.allocUnsafe(maxBytes === undefined ? worst : Math.min(worst, maxBytes))
  let written = 0
  let start = performance.now()
  for (let i = 0; i < src.length;) {
    let end = Math.min(i + J.encodeUnits, src.length)
    // Never split a surrogate pair between two pieces (each half would become U+FFFD).
    if (end < src.length && HIGH_SURROGATE.test(src[end - 1])) end--
    const piece = src.slice(i, end)
    if (seen !== undefined && !piece.isWellFormed()) seen.wellFormed = false
    if (maxBytes !== undefined && written + Buffer.byteLength(piece, 'utf8') > maxBytes) throw tooLarge(maxBytes)
    written += buf.write(piece, written, 'utf8')
    i = end
    if (performance.now() - start >= sliceMs && i < src.length) {
      await turn()
      checkSignal(signal)
      start = performance.now()
    }
  }
  return buf.subarray(0, written)
}

/**
 * The message of an invalid document of `size` bytes: JSON.parse's own wording (it differs between V8
 * versions) when `text()` is small enough to re-parse on the loop, else the scanner's `info.message`.
 */
function parseMessage (info, size, text) {
  if (size > J.exactMessageBytes) return info.message
  try {
    JSON.parse(text())
  } catch (err) {
    return err.message
  }
  return info.message
}

/**
 * The SyntaxError of an invalid document: code ERR_JSON_PARSE, `offset` (a UTF-16 index into a string
 * input, `units`; else bytes), `line` and `column` from the scanner's `info`. With `caller` (an object
 * Error.captureStackTrace filled at the call), the stack is the caller's, not the turn that found it.
 */
function syntaxError (info = {}, units, message, caller) {
  const err = new SyntaxError(message)
  err.code = J.parseErrorCode
  err.offset = units ? info.position : info.offset
  err.line = info.line
  err.column = info.column
  if (caller !== undefined) {
    const stack = caller.stack
    err.stack = `SyntaxError [${err.code}]: ${message}\n${stack.slice(stack.indexOf('\n') + 1)}`
  }
  return err
}

module.exports = { source, tooLarge, turn, checkSignal, triples, encode, parseMessage, syntaxError }
