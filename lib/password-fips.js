'use strict'
// PBKDF2 through node:crypto, for processes running Node in FIPS mode (`crypto.getFips() === 1`).
// offthread is not a FIPS-validated module; there the derivation is done by Node's OpenSSL, which
// carries the validation, on libuv's threadpool. offthread only parses (in core) and formats, so the
// hashes are the same strings either way.

const crypto = require('node:crypto')
const { abortError } = require('./errors')

/** `crypto.pbkdf2` as a Promise, looked up per call. */
function pbkdf2 (password, salt, iterations, length, digest) {
  return new Promise((resolve, reject) => {
    crypto.pbkdf2(password, salt, iterations, length, digest, (err, out) => err ? reject(err) : resolve(out))
  })
}

/** Standard base64 without padding, as PHC strings write it. */
function b64 (buf) {
  return buf.toString('base64').replace(/=+$/, '')
}

/** Rejects with ABORT_ERR if `signal` aborts before `promise` settles. */
function abortable (promise, signal) {
  if (signal === undefined) return promise
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** `$pbkdf2-<digest>$i=…,l=…$salt$hash`, as core's `pbkdf2::hash` writes it. */
function format (o, salt, out) {
  return `$pbkdf2-${o.digest}$i=${o.iterations},l=${out.length}$${b64(salt)}$${b64(out)}`
}

/** Hashes with validated native options `o` ({ digest, iterations, hashLength, saltLength }). */
async function hash (password, o, { signal }) {
  if (signal !== undefined && signal.aborted) throw abortError(signal)
  const salt = crypto.randomBytes(o.saltLength)
  const out = await abortable(pbkdf2(password, salt, o.iterations, o.hashLength, o.digest), signal)
  return format(o, salt, out)
}

function hashSync (password, o) {
  const salt = crypto.randomBytes(o.saltLength)
  return format(o, salt, crypto.pbkdf2Sync(password, salt, o.iterations, o.hashLength, o.digest))
}

/** Verifies against `parts` ({ digest, iterations, salt, hash }) from core's `pbkdf2Parts`. */
async function verify (parts, password, { signal }) {
  if (signal !== undefined && signal.aborted) throw abortError(signal)
  const out = await abortable(pbkdf2(password, parts.salt, parts.iterations, parts.hash.length, parts.digest), signal)
  return crypto.timingSafeEqual(out, parts.hash)
}

function verifySync (parts, password) {
  const out = crypto.pbkdf2Sync(password, parts.salt, parts.iterations, parts.hash.length, parts.digest)
  return crypto.timingSafeEqual(out, parts.hash)
}

module.exports = { hash, hashSync, verify, verifySync }
