'use strict'
// offthread's public API. Each export is assigned statically so that Node's cjs-module-lexer
// sees it and `import { hashPassword } from 'offthread'` works from ESM.

const pool = require('./lib/pool')
const password = require('./lib/password')
const bytes = require('./lib/bytes')
const errors = require('./lib/errors')

exports.configure = pool.configure
exports.stats = pool.stats
exports.close = pool.close
exports.noop = pool.noop
exports.hashPassword = password.hashPassword
exports.verifyPassword = password.verifyPassword
exports.hashPasswordSync = password.hashPasswordSync
exports.verifyPasswordSync = password.verifyPasswordSync
exports.needsRehash = password.needsRehash
exports.passwordDefaults = password.defaults
exports.verifyLimits = password.limits
exports.digest = bytes.digest
exports.digestSync = bytes.digestSync
exports.hmac = bytes.hmac
exports.hmacSync = bytes.hmacSync
exports.hashFile = bytes.hashFile
exports.compress = bytes.compress
exports.decompress = bytes.decompress
exports.compressSync = bytes.compressSync
exports.decompressSync = bytes.decompressSync
exports.createCompress = bytes.createCompress
exports.createDecompress = bytes.createDecompress
exports.compression = require('./lib/middleware').compression
exports.image = require('./lib/image').image
exports.imageDefaults = require('./lib/image').imageDefaults
exports.AbortError = errors.AbortError
exports.workers = require('./lib/workers').workers
exports.run = require('./lib/workers').run

const json = require('./lib/json')
exports.parseJson = json.parseJson
exports.validateJson = json.validateJson
exports.compileSchema = json.compileSchema
exports.selectJson = json.selectJson
exports.stringifyJson = json.stringifyJson
exports.stringifyJsonStream = json.stringifyJsonStream
exports.sendJson = json.sendJson
exports.parseNdjson = json.parseNdjson
exports.createNdjsonParser = json.createNdjsonParser
exports.json = json.json
