// Compiled with `tsc --noEmit --strict` in CI: the JSON area of index.d.ts in use.
import {
  parseJson, validateJson, compileSchema, selectJson, stringifyJson, stringifyJsonStream, sendJson, parseNdjson,
  createNdjsonParser, json, type JsonSyntaxError, type JsonValidation, type CompiledSchema, type ErrorCode,
} from '../../index.js'
import { createServer } from 'node:http'
import { Readable } from 'node:stream'

async function main (): Promise<void> {
  const signal = AbortSignal.timeout(1000)
  const value: unknown = await parseJson(Buffer.from('[1,2]'), { sliceMs: 4, sliceBytes: 65536, maxBytes: 1 << 20, signal })
  const revived: unknown = await parseJson('{"a":1}', { reviver (key, v, context) { return context?.source ?? v } })
  try {
    await parseJson('{')
  } catch (err) {
    const e = err as JsonSyntaxError
    const code: ErrorCode = e.code
    console.log(code, e.offset, e.line, e.column, e.message)
  }
  const schema: CompiledSchema = compileSchema({ type: 'object', required: ['id'] })
  console.log(schema.draft)
  const verdict: JsonValidation = await validateJson('{"id":1}', schema, { allErrors: true, maxErrors: 10, signal })
  for (const e of verdict.errors) console.log(e.instancePath, e.schemaPath, e.keyword, e.message, verdict.truncated)
  await validateJson(new Uint8Array([123, 125]), { type: 'object' })
  const one: unknown = await selectJson('{"a":[1,2]}', '/a/0')
  const many: unknown[] = await selectJson('{"a":[1,2]}', ['/a/0', '/a/~*'], { maxMatches: 100 })
  const named: Record<'id' | 'names', unknown> = await selectJson('{}', { id: '/id', names: '/users/~*/name' })
  const bytes: Buffer | undefined = await stringifyJson({ a: 1 }, { space: 2, replacer: ['a'], compress: 'zstd', signal })
  const stream: Readable = stringifyJsonStream([1, 2, 3], { sliceMs: 2 })
  for await (const record of parseNdjson('{"a":1}\n[2]\n', { maxLineBytes: 1024 })) console.log(record)
  const parser = createNdjsonParser({ withLine: true })
  const server = createServer((req, res) => {
    json({ limit: '1mb', strict: true, type: ['application/json', '+json'], schema, verify: (_req, _res, buf) => buf.length })(req, res, () => {
      sendJson(res, { ok: true }, { compress: ['br', 'gzip'], threshold: 1024 }).catch(() => {})
    })
  })
  console.log(value, revived, one, many, named, bytes, stream, parser, server)
}

void main()
