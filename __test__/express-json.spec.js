'use strict'
// The Express demo's "Parse 20 MB of JSON" route (examples/express/demo-routes.js) over real HTTP.

const test = require('ava')
const offthread = require('..')
const { createApp } = require('../examples/express/app')
const { jsonDocument } = require('../examples/express/json-document')

let server
let base

test.before(async () => {
  const app = createApp({ logger: { error () {} } })
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  base = `http://127.0.0.1:${server.address().port}`
})

test.after.always(async () => {
  if (server !== undefined) await new Promise((resolve) => server.close(resolve))
  await offthread.close()
})

const post = (path) => fetch(base + path, { method: 'POST' })

test.serial('the demo document is a 20 MB JSON array of records, the same bytes on every call', async (t) => {
  const { buffer, records } = await jsonDocument()
  t.true(buffer.length >= 20 * 2 ** 20 && buffer.length < 20 * 2 ** 20 + 4096)
  const value = JSON.parse(buffer.toString())
  t.is(value.length, records)
  t.is(value[0].id, 1)
  t.is(value[records - 1].id, records)
  t.is((await jsonDocument()).buffer, buffer)
})

test.serial('POST /demo/json?mode=sync parses it with JSON.parse and says how long it took', async (t) => {
  const { records } = await jsonDocument()
  const res = await post('/demo/json?mode=sync')
  t.is(res.status, 200)
  const body = await res.json()
  t.is(body.mode, 'sync')
  t.is(body.records, records)
  t.is(body.mb, 20)
  t.true(body.ms > 0)
})

test.serial('POST /demo/json?mode=offthread parses it with parseJson to the same records', async (t) => {
  const { records } = await jsonDocument()
  const res = await post('/demo/json?mode=offthread')
  const body = await res.json()
  t.is(res.status, 200, JSON.stringify(body))
  t.is(body.mode, 'offthread')
  t.is(body.records, records)
  t.true(body.ms > 0)
})

test.serial('POST /demo/json with another mode is 400 with a code', async (t) => {
  for (const q of ['?mode=pool', '?mode=', '']) {
    const res = await post('/demo/json' + q)
    t.is(res.status, 400)
    t.deepEqual(await res.json(), { error: 'mode must be sync or offthread', code: 'ERR_INVALID_ARG_VALUE' })
  }
})
