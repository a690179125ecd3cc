'use strict'
// Password hashing: argument checks and scheduling. The algorithms live in crates/core.

const crypto = require('node:crypto')
const native = require('./native')
const scheduler = require('./scheduler')
const { codedError, callNative } = require('./errors')
const v = require('./validate')

// Every range and default is core's (crates/core/src/password), read from the binding.
const P = native.policy.password
const ALGORITHMS = P.algorithms

/** OWASP Password Storage Cheat Sheet parameters. */
const defaults = Object.freeze({ ...P.defaults })

const TASK_KEYS = ['signal', 'executor']
const PARAM_KEYS = ['algorithm', 'memoryCost', 'timeCost', 'parallelism', 'hashLength', 'saltLength', 'secret',
  'associatedData', 'cost', 'truncate', 'logN', 'r', 'p', 'digest', 'iterations', 'maxPasswordLength']
const HASH_KEYS = new Set([...PARAM_KEYS, ...TASK_KEYS])
const VERIFY_KEYS = new Set(['secret', 'associatedData', 'maxPasswordLength', 'maxMemory', 'maxTimeCost', 'maxCost',
  'maxIterations', 'maxRounds', ...TASK_KEYS])

/** Default cost ceilings on verify. */
const limits = Object.freeze({ ...P.verifyLimits })

/** An optional integer option within core's `range` ({ min, max }). */
function optIn (name, value, range) {
  return v.optInt(name, value, range.min, range.max)
}

/** An optional byte string no longer than core's `range.max`. */
function optLimited (name, bytes, range) {
  if (bytes !== undefined && bytes.byteLength > range.max) {
    throw codedError('ERR_OUT_OF_RANGE', `Expected at most ${range.max} bytes for ${name} but received ${bytes.byteLength}`)
  }
  return bytes
}

function checkPassword (password, max) {
  v.bytes('password', password, true)
  // A string's UTF-8 length is at most 3 bytes per UTF-16 unit: skip the count when it cannot exceed.
  if ((typeof password !== 'string' || password.length * 3 > max) && v.byteLength(password) > max) {
    throw codedError('ERR_PASSWORD_TOO_LONG',
      `The password is ${v.byteLength(password)} bytes; the limit is ${max} (maxPasswordLength)`)
  }
  return password
}

/** bcrypt's own limits, checked before queuing: NUL bytes end its key, and it uses 72 bytes at most. */
function checkBcrypt (password, o) {
  if (o.algorithm !== 'bcrypt') return
  // A detached Uint8Array has length 0 (an empty password); its includes() would throw an uncoded TypeError.
  if (typeof password === 'string' ? password.includes('\0') : password.length > 0 && password.includes(0)) {
    throw codedError('ERR_INVALID_ARG_VALUE', 'bcrypt passwords cannot contain NUL bytes')
  }
  const n = v.byteLength(password)
  if (n > P.bcrypt.maxPasswordBytes && !o.truncate) {
    throw codedError('ERR_PASSWORD_TOO_LONG',
      `bcrypt uses at most ${P.bcrypt.maxPasswordBytes} bytes of password and this one has ${n}; pass truncate: true to accept that`)
  }
}

function secrets (o, out) {
  const secret = v.optBytes('secret', o.secret, true)
  const ad = v.optBytes('associatedData', o.associatedData)
  if (secret !== undefined) out.secret = optLimited('secret', v.toBytes(secret), P.argon2.secretLength)
  if (ad !== undefined) out.associatedData = optLimited('associatedData', v.toBytes(ad), P.argon2.associatedDataLength)
  return out
}

/** Validates hash options into the native shape. Options of other algorithms are ignored. */
function hashOptions (options) {
  const o = v.knownKeys('options', v.options(options), HASH_KEYS)
  const algorithm = v.oneOf('algorithm', o.algorithm, ALGORITHMS) ?? defaults.algorithm
  const out = { algorithm }
  out.maxPasswordLength = optIn('maxPasswordLength', o.maxPasswordLength, P.maxPasswordLength) ?? defaults.maxPasswordLength
  if (algorithm.startsWith('argon2')) {
    const a = P.argon2
    out.parallelism = optIn('parallelism', o.parallelism, a.parallelism) ?? defaults.parallelism
    // At least memoryCostPerLane KiB per lane.
    const memory = { min: a.memoryCostPerLane * out.parallelism, max: a.memoryCost.max }
    out.memoryCost = optIn('memoryCost', o.memoryCost, memory) ?? defaults.memoryCost
    if (out.memoryCost < memory.min) v.int('memoryCost', out.memoryCost, memory.min, memory.max)
    out.timeCost = optIn('timeCost', o.timeCost, a.timeCost) ?? defaults.timeCost
    out.hashLength = optIn('hashLength', o.hashLength, a.hashLength) ?? defaults.hashLength
    out.saltLength = optIn('saltLength', o.saltLength, a.saltLength) ?? defaults.saltLength
    secrets(o, out)
  } else if (algorithm === 'bcrypt') {
    out.cost = optIn('cost', o.cost, P.bcrypt.cost) ?? defaults.cost
    out.truncate = v.bool('truncate', o.truncate) ?? false
  } else if (algorithm === 'pbkdf2') {
    pbkdf2Options(o, out)
  } else {
    const s = P.scrypt
    out.logN = optIn('logN', o.logN, s.logN) ?? defaults.logN
    out.r = optIn('r', o.r, s.r) ?? defaults.r
    out.p = optIn('p', o.p, s.p) ?? defaults.p
    out.hashLength = optIn('hashLength', o.hashLength, s.hashLength) ?? defaults.hashLength
    out.saltLength = optIn('saltLength', o.saltLength, s.saltLength) ?? defaults.saltLength
    if (out.logN >= s.logNBelowPerR * out.r) {
      throw codedError('ERR_OUT_OF_RANGE', `scrypt needs logN < 16 * r (RFC 7914), but logN is ${out.logN} and r is ${out.r}`)
    }
    // scrypt's memory is 128 · r · 2^logN bytes (RFC 7914): refused here, before queuing, as core would.
    if (s.bytesPerR * out.r * 2 ** out.logN > s.maxMemory) {
      throw codedError('ERR_OUT_OF_RANGE',
        `scrypt with logN=${out.logN} and r=${out.r} needs more than ${s.maxMemory} bytes (128 * r * 2^logN)`)
    }
  }
  if (algorithm !== 'bcrypt' && o.truncate !== undefined) v.bool('truncate', o.truncate)
  if (!algorithm.startsWith('argon2') && (o.secret !== undefined || o.associatedData !== undefined)) {
    throw codedError('ERR_INVALID_ARG_VALUE', `secret and associatedData are supported by argon2 only, not ${algorithm}`)
  }
  return out
}

/** PBKDF2's options; the output defaults to the digest's size (one block). */
function pbkdf2Options (o, out) {
  const k = P.pbkdf2
  if (o.digest === 'sha1') {
    throw codedError('ERR_INVALID_ARG_VALUE', 'PBKDF2 with sha1 is accepted by verifyPassword only; hash with sha256 or sha512')
  }
  out.digest = v.oneOf('digest', o.digest, k.digests) ?? k.digests[0]
  out.iterations = optIn('iterations', o.iterations, k.iterations) ?? k.defaultIterations[out.digest]
  out.hashLength = optIn('hashLength', o.hashLength, k.hashLength) ?? k.digestSize[out.digest]
  out.saltLength = optIn('saltLength', o.saltLength, k.saltLength) ?? defaults.saltLength
}

function verifyOptions (options) {
  const o = v.knownKeys('options', v.options(options), VERIFY_KEYS)
  const out = secrets(o, {})
  out.maxPasswordLength = optIn('maxPasswordLength', o.maxPasswordLength, P.maxPasswordLength) ?? defaults.maxPasswordLength
  const r = P.verifyLimitRanges
  out.maxMemory = optIn('maxMemory', o.maxMemory, r.maxMemory) ?? limits.maxMemory
  out.maxTimeCost = optIn('maxTimeCost', o.maxTimeCost, r.maxTimeCost) ?? limits.maxTimeCost
  out.maxCost = optIn('maxCost', o.maxCost, r.maxCost) ?? limits.maxCost
  out.maxIterations = optIn('maxIterations', o.maxIterations, r.maxIterations) ?? limits.maxIterations
  out.maxRounds = optIn('maxRounds', o.maxRounds, r.maxRounds) ?? limits.maxRounds
  return out
}

function checkHash (hash) {
  if (typeof hash !== 'string') throw require('./errors').invalidType('hash', 'string', hash)
  return hash
}

/** Hashes a password on the pool; resolves the encoded hash (PHC string, or $2b$ for bcrypt). */
function hashPassword (password, options) {
  return scheduler.reject(() => {
    const o = v.options(options)
    const opts = scheduler.taskOptions(o)
    const native_ = hashOptions(o)
    checkPassword(password, native_.maxPasswordLength)
    checkBcrypt(password, native_)
    if (native_.algorithm === 'pbkdf2' && fips()) return fipsPbkdf2.hash(password, native_, opts)
    return scheduler.run((t) => native.hashPassword(t, password, native_), opts)
  })
}

/** Checks a password against a stored hash on the pool; resolves true or false. */
function verifyPassword (hash, password, options) {
  return scheduler.reject(() => {
    const o = v.options(options)
    const opts = scheduler.taskOptions(o)
    checkHash(hash)
    const native_ = verifyOptions(o)
    checkPassword(password, native_.maxPasswordLength)
    const parts = fips() ? callNative(native.pbkdf2Parts, hash, native_) : null
    if (parts) return fipsPbkdf2.verify(parts, password, opts)
    return scheduler.run((t) => native.verifyPassword(t, hash, password, native_), opts)
  })
}

/**
 * In FIPS mode PBKDF2 is computed by Node's OpenSSL (`crypto.pbkdf2`, on libuv's threadpool), the module
 * that carries the validation; offthread parses and formats. Read per call, so a test can stub it.
 */
function fips () {
  return Boolean(crypto.getFips())
}

const fipsPbkdf2 = require('./password-fips')

/** Hashes on the calling thread: blocks the event loop for the whole hash. */
function hashPasswordSync (password, options) {
  const o = hashOptions(options)
  checkPassword(password, o.maxPasswordLength)
  checkBcrypt(password, o)
  if (o.algorithm === 'pbkdf2' && fips()) return fipsPbkdf2.hashSync(password, o)
  return callNative(native.hashPasswordSync, password, o)
}

/** Verifies on the calling thread: blocks the event loop for the whole hash. */
function verifyPasswordSync (hash, password, options) {
  checkHash(hash)
  const o = verifyOptions(options)
  checkPassword(password, o.maxPasswordLength)
  const parts = fips() ? callNative(native.pbkdf2Parts, hash, o) : null
  if (parts) return fipsPbkdf2.verifySync(parts, password)
  return callNative(native.verifyPasswordSync, hash, password, o)
}

/** True when `hash` used another algorithm, version or cost than `options` (or the defaults). */
function needsRehash (hash, options) {
  checkHash(hash)
  return callNative(native.needsRehash, hash, hashOptions(options))
}

module.exports = { hashPassword, verifyPassword, hashPasswordSync, verifyPasswordSync, needsRehash, defaults, limits, ALGORITHMS }
