// ESM consumers: the CommonJS entry's statically assigned exports are visible to Node's
// cjs-module-lexer, so named imports work.

import test from 'ava'
import { createRequire } from 'node:module'
import offthread, { hashPassword, verifyPassword, needsRehash, stats, noop, AbortError } from '../index.js'

const require = createRequire(import.meta.url)
const cjs = require('../index.js')

const EXPORTS = ['configure', 'stats', 'close', 'noop', 'hashPassword', 'verifyPassword', 'hashPasswordSync',
  'verifyPasswordSync', 'needsRehash', 'passwordDefaults', 'verifyLimits', 'AbortError',
  'parseJson', 'validateJson', 'compileSchema', 'selectJson', 'stringifyJson', 'stringifyJsonStream', 'sendJson',
  'parseNdjson', 'createNdjsonParser', 'json']

test('named imports are the CommonJS exports and work', async (t) => {
  t.is(hashPassword, cjs.hashPassword)
  t.is(verifyPassword, cjs.verifyPassword)
  t.is(AbortError, cjs.AbortError)
  t.is(offthread, cjs, 'the default import is module.exports')
  const hash = await hashPassword('esm', { memoryCost: 1024, timeCost: 1 })
  t.regex(hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
  t.true(await verifyPassword(hash, 'esm'))
  t.false(await verifyPassword(hash, 'cjs'))
  t.true(needsRehash(hash))
  t.is(await noop(), undefined)
  t.is(typeof stats().completed, 'number')
})

test('import() exposes every export by name', async (t) => {
  const ns = await import('../index.js')
  for (const key of EXPORTS) {
    t.true(Object.hasOwn(ns, key), key)
    t.is(ns[key], cjs[key], key)
  }
  // Node 23+ also exposes the CJS object itself as the 'module.exports' export.
  t.deepEqual(Object.keys(ns).filter((k) => k !== 'default' && k !== 'module.exports').sort(), Object.keys(cjs).sort())
})
