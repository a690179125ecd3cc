'use strict'
// compileSchema / validateJson: JSON Schema validation (draft 2020-12 and draft-07) on the pool,
// from bytes, with the `jsonschema` crate (crates/core/src/json/schema.rs). The document is parsed
// and validated on a pool thread: a body can be refused without JSON.parse ever running on the
// loop. Errors come in ajv's shape ({ instancePath, schemaPath, keyword, params, message }).

const native = require('../native')
const scheduler = require('../scheduler')
const { callNative, codedError, invalidType } = require('../errors')
const v = require('../validate')

/** Core's JSON policy (parseErrorCode, exactMessageBytes) and its schema part (maxErrors). */
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

/** A string, or a Buffer view of binary input; ERR_INVALID_ARG_TYPE for anything else. */
function source (input) {
  if (typeof input === 'string' || Buffer.isBuffer(input)) return input
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (input instanceof ArrayBuffer) return Buffer.from(input)
  throw invalidType('input', 'string, Buffer, TypedArray, DataView or ArrayBuffer', input)
}

/** ERR_BUFFER_TOO_LARGE, as parseJson's. */
function tooLarge (maxBytes, length) {
  const err = codedError('ERR_BUFFER_TOO_LARGE', `The JSON input is larger than maxBytes (${maxBytes} bytes)`)
  err.limit = maxBytes
  if (length !== undefined) err.length = length
  return err
}

function checkSize (src, maxBytes) {
  if (maxBytes === undefined) return
  if (typeof src !== 'string') {
    if (src.length > maxBytes) throw tooLarge(maxBytes, src.length)
    return
  }
  // At least one byte per UTF-16 unit: more units than maxBytes is over it, without counting.
  if (src.length > maxBytes) throw tooLarge(maxBytes)
  const n = Buffer.byteLength(src, 'utf8')
  if (n > maxBytes) throw tooLarge(maxBytes, n)
}

/** parseJson's SyntaxError (code ERR_JSON_PARSE, offset, line, column) for an invalid document. */
function syntaxError (src, info) {
  let message = info.message
  const size = typeof src === 'string' ? src.length : src.length
  if (size <= J.exactMessageBytes) {
    // Small enough to re-parse on the loop: JSON.parse's own wording (it differs between V8 versions).
    try {
      JSON.parse(typeof src === 'string' ? src : src.toString('utf8'))
    } catch (err) {
      message = err.message
    }
  }
  const err = new SyntaxError(message)
  err.code = J.parseErrorCode
  // String input: offsets in UTF-16 units (an index into the string); binary input: bytes.
  err.offset = typeof src === 'string' ? info.position : info.offset
  err.line = info.line
  err.column = info.column
  return err
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
    checkSize(src, maxBytes)
    return scheduler.run((t) => native.jsonSchemaValidate(t, handle, src, allErrors, maxErrors), task)
      .then((r) => {
        if (r.error !== undefined) throw syntaxError(src, r.error)
        return r
      })
  })
}

module.exports = { compileSchema, validateJson, CompiledSchema }
