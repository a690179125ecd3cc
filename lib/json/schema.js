'use strict'
// compileSchema / validateJson: JSON Schema validation (draft 2020-12 and draft-07) on the pool,
// from bytes, with the `jsonschema` crate (crates/core/src/json/schema/). The document is parsed
// and validated on a pool thread: a body can be refused without JSON.parse ever running on the
// loop. Errors come in ajv's shape ({ instancePath, schemaPath, keyword, params, message }).

const native = require('../native')
const scheduler = require('../scheduler')
const { callNative, invalidType } = require('../errors')
const v = require('../validate')
const { source, tooLarge, encode, parseMessage, syntaxError } = require('./input')

/** Core's JSON policy (inlineBytes, sliceMs) and its schema part (maxErrors). */
const J = native.policy.json
const S = J.schema

const KEYS = new Set(['allErrors', 'maxErrors', 'maxBytes', 'signal', 'executor'])

/** The native handle of each CompiledSchema (kept out of reach of callers). */
const handles = new WeakMap()
/** Schema objects given directly to validateJson, compiled once (as ajv caches by schema object). */
const compiled = new WeakMap()

/** A compiled JSON Schema: reusable, shareable between concurrent validations. */
class CompiledSchema {
  constructor (handle) {
    handles.set(this, handle)
    /** The draft the schema is read as: '2020-12' (the default without $schema), 'draft-07', ... */
    this.draft = native.jsonSchemaDraft(handle)
    Object.freeze(this)
  }

  /** validateJson(input, this, options). */
  validate (input, options) {
    return validateJson(input, this, options)
  }
}

/** The schema as JSON text (string or bytes), or ERR_INVALID_ARG_TYPE. */
function schemaText (schema) {
  if (typeof schema === 'string' || ArrayBuffer.isView(schema) || schema instanceof ArrayBuffer) return schema
  if (typeof schema === 'boolean' || (schema !== null && typeof schema === 'object' && !Array.isArray(schema))) {
    return JSON.stringify(schema)
  }
  throw invalidType('schema', 'object, boolean, JSON string or Buffer', schema)
}

/**
 * Compiles a JSON Schema (an object, a boolean, or its JSON text as a string or Buffer) on the
 * calling thread. The draft comes from `$schema` (2020-12 without it). `$ref`s resolve inside the
 * schema only: nothing is fetched. An invalid schema throws ERR_INVALID_ARG_VALUE.
 * @param {object | boolean | string | ArrayBufferView | ArrayBuffer} schema
 * @returns {CompiledSchema}
 */
function compileSchema (schema) {
  const text = schemaText(schema)
  return new CompiledSchema(callNative(native.jsonSchemaCompile, text))
}

/** The native handle for a CompiledSchema or a schema given as is (objects compiled once). */
function handleOf (schema) {
  if (schema instanceof CompiledSchema) return handles.get(schema)
  if (schema !== null && typeof schema === 'object' && !ArrayBuffer.isView(schema) && !(schema instanceof ArrayBuffer)) {
    let c = compiled.get(schema)
    if (c === undefined) {
      c = compileSchema(schema)
      compiled.set(schema, c)
    }
    return handles.get(c)
  }
  return handles.get(compileSchema(schema))
}

/**
 * The bytes the pool reads: a Buffer as is, a small string as is (copied as UTF-8 by the binding), a
 * large one encoded in time-sliced pieces on the loop (as parseJson does). Refuses past `maxBytes`.
 */
async function bytesOf (src, maxBytes, signal) {
  if (maxBytes !== undefined && src.length > maxBytes) {
    // A string has at least one byte per UTF-16 unit: more units than maxBytes is over it, without counting.
    throw tooLarge(maxBytes, typeof src === 'string' ? undefined : src.length)
  }
  if (typeof src !== 'string') return src
  if (src.length > J.inlineBytes) return encode(src, maxBytes, J.sliceMs.default, signal)
  const n = maxBytes === undefined ? 0 : Buffer.byteLength(src, 'utf8')
  if (n > maxBytes) throw tooLarge(maxBytes, n)
  return src
}

/**
 * Parses `input` (UTF-8 bytes, read as buf.toString('utf8'), or a string) and validates it against
 * `schema` on the pool. Resolves `{ valid, errors, truncated }`: `errors` in ajv's shape, empty when
 * valid; the first error only unless `allErrors` (then at most `maxErrors`, `truncated` when more).
 * Rejects ERR_JSON_PARSE (a SyntaxError, as parseJson's) for a text that is not JSON.
 * @param {string | Buffer | ArrayBufferView | ArrayBuffer} input
 * @param {CompiledSchema | object | boolean | string | Buffer} schema
 * @param {{ allErrors?: boolean, maxErrors?: number, maxBytes?: number, signal?: AbortSignal, executor?: string }} [options]
 * @returns {Promise<{ valid: boolean, errors: object[], truncated: boolean }>}
 */
function validateJson (input, schema, options) {
  return scheduler.reject(() => {
    const o = v.knownKeys('options', v.options(options), KEYS)
    const src = source(input)
    const allErrors = v.bool('allErrors', o.allErrors) ?? false
    const maxErrors = v.optInt('maxErrors', o.maxErrors, S.maxErrors.min, S.maxErrors.max) ?? S.maxErrors.default
    const maxBytes = v.optInt('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER)
    const task = scheduler.taskOptions(o)
    const handle = handleOf(schema)
    const units = typeof src === 'string'
    const caller = {}
    Error.captureStackTrace(caller, validateJson)
    let size = 0
    return bytesOf(src, maxBytes, task.signal)
      .then((bytes) => {
        size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.length
        return scheduler.run((t) => native.jsonSchemaValidate(t, handle, bytes, allErrors, maxErrors), task)
      })
      .then((r) => {
        if (r.error === undefined) return r
        // parseJson's SyntaxError: offsets in UTF-16 units for a string, bytes for binary input.
        const message = parseMessage(r.error, size, () => units ? src : src.toString('utf8'))
        throw syntaxError(r.error, units, message, caller)
      })
  })
}

module.exports = { compileSchema, validateJson, CompiledSchema }
