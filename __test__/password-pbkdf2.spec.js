'use strict'
// PBKDF2 through the public API: the PHC strings recompute with node:crypto (the oracle), OWASP's
// defaults, option errors, cost ceilings, needsRehash, abort, and the FIPS route through node:crypto.
// Inherited notations (passlib, Django) and their vectors are in password-formats.spec.js.

const test = require('ava')
const crypto = require('node:crypto')
const ot = require('..')
const { ERR, rejects, throws } = require('./helpers/errors')

/** Splits a `$pbkdf2-<digest>$i=..,l=..$salt$hash` string. */
function parse (s) {
  const [, id, params, salt, hash] = s.split('$')
  const p = Object.fromEntries(params.split(',').map((kv) => kv.split('=')))
  return {
    digest: id.replace('pbkdf2-', ''),
    iterations: Number(p.i),
    length: Number(p.l),
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64')
  }
}

/** Standard base64 without padding. */
const b64 = (buf) => buf.toString('base64').replace(/=+$/, '')

test('defaults are OWASP\'s FIPS setting: PBKDF2-HMAC-SHA256, 600,000 iterations, 32-byte output, 16-byte salt; node:crypto recomputes it', async (t) => {
  const h = await ot.hashPassword('correct horse', { algorithm: 'pbkdf2' })
  t.regex(h, /^\$pbkdf2-sha256\$i=600000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  const p = parse(h)
  t.is(p.salt.length, 16)
  t.deepEqual(crypto.pbkdf2Sync('correct horse', p.salt, 600000, 32, 'sha256'), p.hash)
  t.true(await ot.verifyPassword(h, 'correct horse'))
  t.false(await ot.verifyPassword(h, 'correct horsE'))
})

test('sha512 defaults to 210,000 iterations and a 64-byte output; chosen parameters are written and recompute', async (t) => {
  const h = await ot.hashPassword(Buffer.from([0xff, 0, 0x80]), { algorithm: 'pbkdf2', digest: 'sha512' })
  t.regex(h, /^\$pbkdf2-sha512\$i=210000,l=64\$/)
  let p = parse(h)
  t.deepEqual(crypto.pbkdf2Sync(Buffer.from([0xff, 0, 0x80]), p.salt, 210000, 64, 'sha512'), p.hash)
  const opts = { algorithm: 'pbkdf2', digest: 'sha256', iterations: 1000, hashLength: 48, saltLength: 24 }
  const h2 = await ot.hashPassword('pässword', opts)
  p = parse(h2)
  t.is(p.iterations, 1000)
  t.is(p.length, 48)
  t.is(p.salt.length, 24)
  // 48 bytes is two SHA-256 blocks: the second block must match too.
  t.deepEqual(crypto.pbkdf2Sync('pässword', p.salt, 1000, 48, 'sha256'), p.hash)
  t.is(ot.hashPasswordSync('x', opts).length, h2.replace(/\$[^$]*\$[^$]*$/, '').length + 1 + 32 + 1 + 64)
})

test('hashes made by node:crypto in the PHC form verify, including a 20-byte sha1 one (verify only)', async (t) => {
  const salt = Buffer.from('0123456789abcdef')
  for (const [digest, len, id] of [['sha256', 32, 'pbkdf2-sha256'], ['sha512', 64, 'pbkdf2-sha512'], ['sha1', 20, 'pbkdf2']]) {
    const out = crypto.pbkdf2Sync('hunter2', salt, 4096, len, digest)
    const h = `$${id}$i=4096,l=${len}$${b64(salt)}$${b64(out)}`
    t.true(await ot.verifyPassword(h, 'hunter2'), digest)
    t.false(await ot.verifyPassword(h, 'hunter3'), digest)
    t.true(ot.verifyPasswordSync(h, 'hunter2'), digest)
  }
})

test('option errors: sha1 and unknown digests, iterations, hashLength and saltLength out of range', async (t) => {
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', digest: 'sha1' }), ERR.value, { message: /verifyPassword only/ })
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', digest: 'md5' }), ERR.value)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', iterations: 999 }), ERR.range)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', iterations: 1.5 }), ERR.range)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', iterations: '1000' }), ERR.type)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', hashLength: 15 }), ERR.range)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', hashLength: 65 }), ERR.range)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', saltLength: 8 }), ERR.range)
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', secret: Buffer.from('pepper') }), ERR.value)
  throws(t, () => ot.hashPasswordSync('x', { algorithm: 'pbkdf2', digest: 'sha1' }), ERR.value)
  await rejects(t, ot.verifyPassword('$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA', 'x', { maxIterations: 0 }), ERR.range)
})

test.serial('cost ceiling: iterations x output blocks over maxIterations (default 5,000,000) reject ERR_INVALID_HASH without running; raising it accepts', async (t) => {
  const salt = Buffer.from('saltsaltsaltsalt')
  const big = `$pbkdf2-sha256$i=4000000000,l=32$${b64(salt)}$${b64(Buffer.alloc(32))}`
  const before = process.cpuUsage()
  await rejects(t, ot.verifyPassword(big, 'x'), ERR.hash, { message: /maxIterations/ })
  const cpu = process.cpuUsage(before)
  t.true(cpu.user + cpu.system < 500e3, 'refused before any work')
  // 3,000 iterations of a 2-block output is 6,000 units of work.
  const out = crypto.pbkdf2Sync('x', salt, 3000, 64, 'sha256')
  const two = `$pbkdf2-sha256$i=3000,l=64$${b64(salt)}$${b64(out)}`
  await rejects(t, ot.verifyPassword(two, 'x', { maxIterations: 5999 }), ERR.hash)
  t.true(await ot.verifyPassword(two, 'x', { maxIterations: 6000 }))
  t.true(await ot.verifyPassword(two, 'x'))
})

test('needsRehash: false for the wanted digest, iterations and length; true for other ones, for other algorithms, and for passlib\'s notation', async (t) => {
  const h = await ot.hashPassword('x', { algorithm: 'pbkdf2', iterations: 1000 })
  t.false(ot.needsRehash(h, { algorithm: 'pbkdf2', iterations: 1000 }))
  t.true(ot.needsRehash(h, { algorithm: 'pbkdf2' }), 'fewer iterations than the default')
  t.true(ot.needsRehash(h, { algorithm: 'pbkdf2', iterations: 1000, digest: 'sha512' }))
  t.true(ot.needsRehash(h, { algorithm: 'pbkdf2', iterations: 1000, hashLength: 64 }))
  t.true(ot.needsRehash(h), 'the default algorithm is argon2id')
  const argon = await ot.hashPassword('x', { memoryCost: 1024, timeCost: 1 })
  t.true(ot.needsRehash(argon, { algorithm: 'pbkdf2' }))
  const p = parse(h)
  const ab64 = (b) => b64(b).replace(/\+/g, '.')
  const passlib = `$pbkdf2-sha256$1000$${ab64(p.salt)}$${ab64(p.hash)}`
  t.true(await ot.verifyPassword(passlib, 'x'))
  t.true(ot.needsRehash(passlib, { algorithm: 'pbkdf2', iterations: 1000 }), 'rewritten in the PHC form')
})

test('abort: an aborted signal rejects ABORT_ERR, before queuing and while running', async (t) => {
  await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', signal: AbortSignal.abort() }), ERR.abort)
  const ac = new AbortController()
  const p = ot.hashPassword('x', { algorithm: 'pbkdf2', iterations: 100_000_000, signal: ac.signal })
  setTimeout(() => ac.abort(), 50)
  const started = process.hrtime.bigint()
  await rejects(t, p, ERR.abort)
  // 10^8 iterations take tens of seconds; the checkpoint every 16,384 iterations stops it at once.
  t.true(process.hrtime.bigint() - started < 5_000_000_000n)
})

test.serial('FIPS mode: PBKDF2 is computed by node:crypto (stubbed getFips), and the strings are interchangeable with the native ones', async (t) => {
  const real = crypto.getFips
  const calls = []
  const realPbkdf2 = crypto.pbkdf2
  crypto.getFips = () => 1
  crypto.pbkdf2 = (...args) => { calls.push(args[2]); return realPbkdf2(...args) }
  try {
    const h = await ot.hashPassword('fips', { algorithm: 'pbkdf2', iterations: 2000 })
    t.regex(h, /^\$pbkdf2-sha256\$i=2000,l=32\$/)
    t.deepEqual(calls, [2000], 'hashed by node:crypto')
    t.true(await ot.verifyPassword(h, 'fips'))
    t.false(await ot.verifyPassword(h, 'fipS'))
    t.deepEqual(calls, [2000, 2000, 2000], 'verified by node:crypto')
    t.true(ot.verifyPasswordSync(h, 'fips'))
    t.regex(ot.hashPasswordSync('fips', { algorithm: 'pbkdf2', digest: 'sha512', iterations: 1000 }), /^\$pbkdf2-sha512\$i=1000,l=64\$/)
    // Ceilings still apply (core parses), and other algorithms stay native.
    await rejects(t, ot.verifyPassword(h, 'fips', { maxIterations: 1999 }), ERR.hash)
    await rejects(t, ot.hashPassword('x', { algorithm: 'pbkdf2', signal: AbortSignal.abort() }), ERR.abort)
    const bc = await ot.hashPassword('x', { algorithm: 'bcrypt', cost: 4 })
    t.true(await ot.verifyPassword(bc, 'x'))
    t.is(calls.length, 3)
    crypto.getFips = real
    t.true(await ot.verifyPassword(h, 'fips'), 'the native path reads the node:crypto string')
  } finally {
    crypto.getFips = real
    crypto.pbkdf2 = realPbkdf2
  }
})
