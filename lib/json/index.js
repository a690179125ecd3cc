'use strict'
// Large JSON off the event loop: parse, validate, select, stringify, NDJSON and the body parser.
// Each module validates its own arguments; the scanner and every number are core's (crates/core/src/json).

const { parseJson } = require('./parse')
const { compileSchema, validateJson, CompiledSchema } = require('./schema')
const { selectJson } = require('./select')
const { stringifyJson, stringifyJsonStream } = require('./stringify')
const { sendJson } = require('./send')
const { parseNdjson, createNdjsonParser } = require('./ndjson')
const { json } = require('./body')

module.exports = {
  parseJson,
  compileSchema,
  validateJson,
  CompiledSchema,
  selectJson,
  stringifyJson,
  stringifyJsonStream,
  sendJson,
  parseNdjson,
  createNdjsonParser,
  json
}
