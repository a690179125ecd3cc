'use strict'
// Password hashing: argument checks and scheduling. The algorithms live in crates/core.

const native = require('./native')
const scheduler = require('./scheduler')
const { codedError, callNative } = require('./errors')
const v = require('./validate')

const ALGORITHMS = ['argon2id', 'argon2i', 'argon2d', 'bcrypt', 'scrypt']
const DEFAULT_MAX_PASSWORD_LENGTH = 4096
const MAX_PASSWORD_LENGTH_LIMIT = 1 << 20

/** OWASP Password Storage Cheat Sheet parameters. */
const defaults = Object.freeze({
  algorithm: 'argon2id',
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
  cost: 10,
  logN: 17,
  r: 8,
  p: 1,
  maxPasswordLength: DEFAULT_MAX_PASSWORD_LENGTH
})

const TASK_KEYS = ['signal', 'executor']
const PARAM_KEYS = ['algorithm', 'memoryCost', 'timeCost', 'parallelism', 'hashLength', 'saltLength', 'secret',
  'associatedData', 'cost', 'truncate', 'logN', 'r', 'p', 'maxPasswordLength']
const HASH_KEYS = new Set([...PARAM_KEYS, ...TASK_KEYS])
const VERIFY_KEYS = new Set(['secret', 'associatedData', 'maxPasswordLength', 'maxMemory', 'maxTimeCost', 'maxCost', ...TASK_KEYS])

const limits = Object.freeze({ maxMemory: 256 * 1024 * 1024, maxTimeCost: 32, maxCost: 20 })

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
  if (n > 72 && !o.truncate) {
    throw codedError('ERR_PASSWORD_TOO_LONG',
      `bcrypt uses at most 72 bytes of password and this one has ${n}; pass truncate: true to accept that`)
  }
}

function secrets (o, out) {
  const secret = v.optBytes('secret', o.secret, true)
  const ad = v.optBytes('associatedData', o.associatedData)
  if (secret !== undefined) {
    out.secret = v.toBytes(secret)
    if (out.secret.byteLength > 1024) {
      throw codedError('ERR_OUT_OF_RANGE', `Expected at most 1024 bytes for secret but received ${out.secret.byteLength}`)
    }
  }
  if (ad !== undefined) {
    out.associatedData = v.toBytes(ad)
    if (out.associatedData.byteLength > 256) {
      throw codedError('ERR_OUT_OF_RANGE', `Expected at most 256 bytes for associatedData but received ${out.associatedData.byteLength}`)
    }
  }
  return out
}

/** Validates hash options into the native shape. Options of other algorithms are ignored. */
function hashOptions (options) {
  const o = v.knownKeys('options', v.options(options), HASH_KEYS)
  const algorithm = v.oneOf('algorithm', o.algorithm, ALGORITHMS) ?? defaults.algorithm
  const out = { algorithm }
  out.maxPasswordLength = v.optInt('maxPasswordLength', o.maxPasswordLength, 1, MAX_PASSWORD_LENGTH_LIMIT) ??
    DEFAULT_MAX_PASSWORD_LENGTH
  if (algorithm.startsWith('argon2')) {
    out.parallelism = v.optInt('parallelism', o.parallelism, 1, 255) ?? defaults.parallelism
    out.memoryCost = v.optInt('memoryCost', o.memoryCost, 8 * out.parallelism, 1 << 22) ?? defaults.memoryCost
    if (out.memoryCost < 8 * out.parallelism) throw codedError('ERR_OUT_OF_RANGE', `Expected integer between ${8 * out.parallelism} and ${1 << 22} for memoryCost but received ${out.memoryCost} of type number`)
    out.timeCost = v.optInt('timeCost', o.timeCost, 1, 65536) ?? defaults.timeCost
    out.hashLength = v.optInt('hashLength', o.hashLength, 4, 1024) ?? defaults.hashLength
    out.saltLength = v.optInt('saltLength', o.saltLength, 8, 64) ?? defaults.saltLength
    secrets(o, out)
  } else if (algorithm === 'bcrypt') {
    out.cost = v.optInt('cost', o.cost, 4, 31) ?? defaults.cost
    out.truncate = v.bool('truncate', o.truncate) ?? false
  } else {
    out.logN = v.optInt('logN', o.logN, 1, 24) ?? defaults.logN
    out.r = v.optInt('r', o.r, 1, 32) ?? defaults.r
    out.p = v.optInt('p', o.p, 1, 16) ?? defaults.p
    out.hashLength = v.optInt('hashLength', o.hashLength, 16, 1024) ?? defaults.hashLength
    out.saltLength = v.optInt('saltLength', o.saltLength, 8, 64) ?? defaults.saltLength
    if (128 * out.r * 2 ** out.logN > 2 ** 32) {
      throw codedError('ERR_OUT_OF_RANGE', `scrypt with logN=${out.logN} and r=${out.r} needs more than 4 GiB (128 * r * 2^logN)`)
    }
  }
  if (algorithm !== 'bcrypt' && o.truncate !== undefined) v.bool('truncate', o.truncate)
  if (!algorithm.startsWith('argon2') && (o.secret !== undefined || o.associatedData !== undefined)) {
    throw codedError('ERR_INVALID_ARG_VALUE', `secret and associatedData are supported by argon2 only, not ${algorithm}`)
  }
  return out
}

function verifyOptions (options) {
  const o = v.knownKeys('options', v.options(options), VERIFY_KEYS)
  const out = secrets(o, {})
  out.maxPasswordLength = v.optInt('maxPasswordLength', o.maxPasswordLength, 1, MAX_PASSWORD_LENGTH_LIMIT) ??
    DEFAULT_MAX_PASSWORD_LENGTH
  out.maxMemory = v.optInt('maxMemory', o.maxMemory, 1024, Number.MAX_SAFE_INTEGER) ?? limits.maxMemory
  out.maxTimeCost = v.optInt('maxTimeCost', o.maxTimeCost, 1, 2 ** 32 - 1) ?? limits.maxTimeCost
  out.maxCost = v.optInt('maxCost', o.maxCost, 4, 31) ?? limits.maxCost
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
    return scheduler.run((id, ex, c) => native.hashPassword(id, ex, c, password, native_), opts)
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
    return scheduler.run((id, ex, c) => native.verifyPassword(id, ex, c, hash, password, native_), opts)
  })
}

/** Hashes on the calling thread: blocks the event loop for the whole hash. */
function hashPasswordSync (password, options) {
  const o = hashOptions(options)
  checkPassword(password, o.maxPasswordLength)
  checkBcrypt(password, o)
  return callNative(native.hashPasswordSync, password, o)
}

/** Verifies on the calling thread: blocks the event loop for the whole hash. */
function verifyPasswordSync (hash, password, options) {
  checkHash(hash)
  const o = verifyOptions(options)
  checkPassword(password, o.maxPasswordLength)
  return callNative(native.verifyPasswordSync, hash, password, o)
}

/** True when `hash` used another algorithm, version or cost than `options` (or the defaults). */
function needsRehash (hash, options) {
  checkHash(hash)
  return callNative(native.needsRehash, hash, hashOptions(options))
}

module.exports = { hashPassword, verifyPassword, hashPasswordSync, verifyPasswordSync, needsRehash, defaults, limits, ALGORITHMS }
