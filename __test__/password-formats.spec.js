'use strict'
// Verify for the hashes people inherit (issue 15): PBKDF2 in PHC, passlib and Django notation, Django's argon2,
// bcrypt, bcrypt_sha256 and scrypt, glibc's sha-crypt ($5$/$6$) and passlib's bcrypt-sha256, against the
// reference implementations' own vectors (fixtures/password-formats, see SOURCES.md there); malformed rows;
// cost ceilings that answer at once; PBKDF2 hashes cross-checked with node:crypto; needsRehash; option errors.

const test = require('ava')
const crypto = require('node:crypto')
const ot = require('..')
const { ERR, rejects, throws, aborted } = require('./helpers/errors')

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

const FILES = ['django-tests', 'passlib-tests', 'glibc-sha-crypt', 'rustcrypto-pbkdf2', 'libxcrypt-sha-crypt', 'generated', 'malformed']
const fixtures = Object.fromEntries(FILES.map((f) => [f, require(`./fixtures/password-formats/${f}.json`)]))
const good = FILES.filter((f) => f !== 'malformed').flatMap((f) => fixtures[f].rows.map((r) => ({ ...r, file: f })))
const malformed = fixtures.malformed.rows
const byId = new Map([...good, ...malformed].map((r) => [r.id, r]))

/** The formats verify reads besides offthread's own; every one of them is "inherited" for needsRehash. */
const INHERITED = ['passlib-pbkdf2-sha256', 'passlib-pbkdf2-sha512', 'passlib-pbkdf2-sha1', 'django-pbkdf2_sha256',
  'django-pbkdf2_sha1', 'django-argon2', 'django-bcrypt', 'django-bcrypt_sha256', 'django-scrypt', 'sha256-crypt',
  'sha512-crypt', 'passlib-bcrypt-sha256-v1', 'passlib-bcrypt-sha256-v2']
const PHC_PBKDF2 = ['phc-pbkdf2-sha256', 'phc-pbkdf2-sha512', 'phc-pbkdf2-sha1']

const pw = (r) => r.password_hex !== undefined ? Buffer.from(r.password_hex, 'hex') : Buffer.from(r.password, 'utf8')
/** The same password with its first byte changed, or 'x' for '' (as generate.py checked with the references). */
const wrong = (bytes) => bytes.length === 0 ? Buffer.from('x') : Buffer.concat([Buffer.from([bytes[0] ^ 1]), bytes.subarray(1)])
const row = (id) => {
  const r = byId.get(id)
  if (r === undefined) throw new Error(`no fixture row ${id}`)
  return r
}
const b64 = (buf) => Buffer.from(buf).toString('base64').replace(/=+$/, '')
/** passlib's "adapted base64": '.' for '+', no padding. */
const ab64 = (buf) => b64(buf).replace(/\+/g, '.')
const DIGEST_SIZE = { sha1: 20, sha256: 32, sha512: 64 }
const IDENT = { sha1: 'pbkdf2', sha256: 'pbkdf2-sha256', sha512: 'pbkdf2-sha512' }

/** A PHC pbkdf2 string computed by node:crypto. */
function nodePhc (password, { digest = 'sha256', iterations = 1000, hashLength = DIGEST_SIZE[digest], salt = crypto.randomBytes(16) } = {}) {
  const dk = crypto.pbkdf2Sync(password, salt, iterations, hashLength, digest)
  return `$${IDENT[digest]}$i=${iterations},l=${hashLength}$${b64(salt)}$${b64(dk)}`
}

/** Parses `$pbkdf2-<digest>$i=<n>,l=<n>$<salt>$<hash>` strictly (the format the lead's hashPassword writes). */
function parsePbkdf2 (s) {
  const m = /^\$(pbkdf2(?:-sha256|-sha512)?)\$i=([1-9][0-9]*),l=([1-9][0-9]*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(s)
  if (m === null) return null
  const digest = { pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' }[m[1]]
  return { digest, iterations: Number(m[2]), hashLength: Number(m[3]), salt: Buffer.from(m[4], 'base64'), hash: Buffer.from(m[5], 'base64'), saltB64: m[4], hashB64: m[5] }
}

/** CPU time (user + system, ms) this process spends in `fn()`; the pool's threads are this process's. */
async function cpuMs (fn) {
  const before = process.cpuUsage()
  const value = await fn()
  const used = process.cpuUsage(before)
  return { value, ms: (used.user + used.system) / 1000 }
}

// ---------------------------------------------------------------------------------------------
// The fixtures themselves

test('fixtures: row counts per file and per format, schema of every row', (t) => {
  t.deepEqual(FILES.map((f) => fixtures[f].rows.length), [27, 54, 14, 2, 34, 54, 82])
  const count = (rows, format, valid = true) => rows.filter((r) => r.format === format && r.valid === valid).length
  const from = (f) => fixtures[f].rows
  t.deepEqual([count(from('django-tests'), 'django-pbkdf2_sha256'), count(from('django-tests'), 'django-pbkdf2_sha1'),
    count(from('django-tests'), 'django-argon2'), count(from('django-tests'), 'django-bcrypt'),
    count(from('django-tests'), 'django-bcrypt_sha256'), count(from('django-tests'), 'django-scrypt')], [4, 3, 6, 3, 6, 1])
  t.deepEqual([count(from('passlib-tests'), 'passlib-pbkdf2-sha256'), count(from('passlib-tests'), 'passlib-pbkdf2-sha512'),
    count(from('passlib-tests'), 'passlib-pbkdf2-sha1'), count(from('passlib-tests'), 'passlib-bcrypt-sha256-v1'),
    count(from('passlib-tests'), 'passlib-bcrypt-sha256-v2'), count(from('passlib-tests'), 'sha256-crypt'),
    count(from('passlib-tests'), 'sha512-crypt')], [2, 2, 2, 8, 6, 20, 11])
  t.deepEqual([count(from('glibc-sha-crypt'), 'sha256-crypt'), count(from('glibc-sha-crypt'), 'sha512-crypt')], [7, 7])
  for (const f of FILES) {
    t.true(typeof fixtures[f].source === 'string' && typeof fixtures[f].license === 'string', `${f}: source and license`)
  }
  for (const r of [...good, ...malformed]) {
    t.true(typeof r.id === 'string' && typeof r.hash === 'string' && typeof r.valid === 'boolean' && typeof r.source === 'string', r.id)
    t.true((r.password === undefined) !== (r.password_hex === undefined), `${r.id}: password or password_hex`)
  }
  t.true(malformed.every((r) => r.valid === false && r.error === 'ERR_INVALID_HASH' && /^(raises|returns False|no reference)/.test(r.reference)))
  // Every format is represented by a valid row from a reference test suite, not only by generated ones.
  for (const format of [...INHERITED, ...PHC_PBKDF2]) {
    t.true(good.some((r) => r.format === format && r.valid), format)
  }
  for (const format of INHERITED) {
    t.true(good.some((r) => r.format === format && r.valid && r.file !== 'generated'), `${format} from a reference suite`)
  }
})

// ---------------------------------------------------------------------------------------------
// Known answers: every row verifies with its password and not with a wrong one

/** Runs every row of `format`: valid rows verify and a wrong password does not; valid:false rows resolve false. */
async function verifyRows (t, format, expected) {
  const rows = good.filter((r) => r.format === format)
  t.is(rows.length, expected, `${format}: rows`)
  for (const r of rows) {
    const options = r.options
    if (r.valid) {
      t.true(await ot.verifyPassword(r.hash, pw(r), options), `${r.id}: right password`)
      t.false(await ot.verifyPassword(r.hash, wrong(pw(r)), options), `${r.id}: wrong password`)
    } else {
      t.false(await ot.verifyPassword(r.hash, pw(r), options), `${r.id}: the reference says false`)
    }
  }
}

const FORMAT_ROWS = {
  'phc-pbkdf2-sha256': 6,
  'phc-pbkdf2-sha512': 3,
  'phc-pbkdf2-sha1': 2,
  'passlib-pbkdf2-sha256': 6,
  'passlib-pbkdf2-sha512': 5,
  'passlib-pbkdf2-sha1': 5,
  'django-pbkdf2_sha256': 8,
  'django-pbkdf2_sha1': 4,
  'django-argon2': 9,
  'django-bcrypt': 4,
  'django-bcrypt_sha256': 10,
  'django-scrypt': 4,
  'sha256-crypt': 52,
  'sha512-crypt': 43,
  'passlib-bcrypt-sha256-v1': 12,
  'passlib-bcrypt-sha256-v2': 12
}

for (const [format, n] of Object.entries(FORMAT_ROWS)) {
  test(`${format}: reference vectors verify, wrong passwords do not`, (t) => verifyRows(t, format, n))
}

test('all bcrypt-based rows verified at once (the batch queue runs same-cost tasks together) give each row\'s own answer', async (t) => {
  const BCRYPT = ['django-bcrypt', 'django-bcrypt_sha256', 'passlib-bcrypt-sha256-v1', 'passlib-bcrypt-sha256-v2']
  const rows = good.filter((r) => BCRYPT.includes(r.format) && !/\$(2a|2b)\$1[0-9]\$|r=1[0-9]\$/.test(r.hash))
  t.true(rows.length >= 30, `${rows.length} rows`)
  const jobs = []
  for (let round = 0; round < 2; round++) {
    for (const r of rows) {
      jobs.push([r.id, 'right', r.valid, pw(r)])
      if (r.valid) jobs.push([r.id, 'wrong', false, wrong(pw(r))])
    }
  }
  // 32 at a time: well inside the queue's 128, which the other tests of this file share.
  for (let i = 0; i < jobs.length; i += 32) {
    const chunk = jobs.slice(i, i + 32)
    const answers = await Promise.all(chunk.map(([id, , , password]) => ot.verifyPassword(byId.get(id).hash, password)))
    chunk.forEach(([id, which, expected], k) => t.is(answers[k], expected, `${id}: ${which} password`))
  }
})

test('the rows come with the strings the references wrote: passwords as bytes, prefixes kept', (t) => {
  // Django's bcrypt wrappers keep bcrypt's own $2a$/$2b$ behind "bcrypt$" and "bcrypt_sha256$".
  t.regex(row('pl-dj-bcrypt-1').hash, /^bcrypt\$\$2a\$06\$/)
  t.regex(row('gen-django-bcrypt_sha256-2b-r5').hash, /^bcrypt_sha256\$\$2b\$05\$/)
  // glibc's clamping row is stored with the rounds it used.
  t.regex(row('glibc-sha256c-7').hash, /^\$5\$rounds=1000\$roundstoolow\$/)
  // openssl passwd -5 agrees with Drepper's first vector.
  t.is(row('gen-openssl-5-saltstring').hash, row('glibc-sha256c-1').hash)
  t.is(row('gen-openssl-6-saltstring').hash, row('glibc-sha512c-1').hash)
})

/** verifyPasswordSync's answer, or the code of what it threw (so one throw does not hide the other formats). */
function syncAnswer (hash, password) {
  try {
    return ot.verifyPasswordSync(hash, password)
  } catch (err) {
    return `${err.code}: ${err.message}`
  }
}

test('sync verify gives the same answers as async for one row of each format', (t) => {
  for (const format of [...INHERITED, ...PHC_PBKDF2]) {
    const r = good.filter((x) => x.format === format && x.valid && x.options === undefined)
      .sort((a, b) => a.hash.length - b.hash.length)[0]
    t.is(syncAnswer(r.hash, pw(r)), true, `${r.id}: right password`)
    t.is(syncAnswer(r.hash, wrong(pw(r))), false, `${r.id}: wrong password`)
  }
})

// ---------------------------------------------------------------------------------------------
// Malformed rows

test('malformed rows (passlib\'s known_malformed_hashes and mutations of good rows) reject ERR_INVALID_HASH', async (t) => {
  t.is(malformed.length, 82)
  t.is(malformed.filter((r) => r.id.startsWith('pl-mal-')).length, 22, 'passlib\'s own malformed rows')
  for (const r of malformed) {
    await rejects(t, () => ot.verifyPassword(r.hash, pw(r)), ERR.hash, { label: `${r.id} (${r.note})` })
  }
})

test('malformed rows throw ERR_INVALID_HASH from verifyPasswordSync', (t) => {
  for (const r of malformed) throws(t, () => ot.verifyPasswordSync(r.hash, pw(r)), ERR.hash, { label: `${r.id} (${r.note})` })
})

test('needsRehash throws ERR_INVALID_HASH (synchronously) on malformed rows, as on any garbage', (t) => {
  for (const r of malformed) throws(t, () => ot.needsRehash(r.hash), ERR.hash, { label: `${r.id} (${r.note})` })
})

test('malformed variants named in the issue: bad base64, missing fields, empty salt, non-numeric rounds, $5$rounds=$, truncated digest', async (t) => {
  const cases = {
    'bad base64': ['mal-phc-bad-b64-hash', 'mal-phc-bad-b64-salt', 'mal-passlib-pbkdf2-bad-char', 'mal-django-pbkdf2-bad-b64',
      'mal-django-scrypt-bad-b64', 'mal-sha256-crypt-bad-char', 'pl-mal-bcrypt_sha256-1'],
    'missing fields': ['mal-phc-no-hash', 'mal-phc-no-params', 'mal-passlib-pbkdf2-no-hash', 'mal-django-pbkdf2-missing-field',
      'mal-django-scrypt-missing-field', 'mal-sha256-crypt-no-checksum', 'pl-mal-bcrypt_sha256-5'],
    'empty salt': ['mal-phc-empty-salt', 'mal-django-pbkdf2-empty-salt'],
    'non-numeric rounds': ['mal-phc-i-nonnumeric', 'mal-passlib-pbkdf2-rounds-nonnumeric', 'mal-django-pbkdf2-nonnumeric',
      'mal-django-scrypt-nonnumeric', 'mal-sha256-crypt-rounds-nonnumeric', 'mal-bcrypt-sha256-v2-rounds-nonnumeric'],
    '$5$rounds=$': ['mal-sha256-crypt-rounds-empty'],
    'truncated digest': ['mal-phc-truncated', 'mal-passlib-pbkdf2-truncated', 'mal-django-pbkdf2-truncated',
      'mal-sha256-crypt-truncated', 'mal-sha512-crypt-truncated', 'mal-bcrypt-sha256-v2-truncated', 'mal-django-bcrypt-truncated']
  }
  for (const [what, ids] of Object.entries(cases)) {
    for (const id of ids) await rejects(t, () => ot.verifyPassword(row(id).hash, pw(row(id))), ERR.hash, { label: `${what}: ${id}` })
  }
  t.regex(row('mal-sha256-crypt-rounds-empty').hash, /^\$5\$rounds=\$/)
})

// ---------------------------------------------------------------------------------------------
// Cost ceilings. Serial: the CPU time measured is then this test's alone. Each call carries a
// timeout signal, so an implementation that starts computing fails in seconds (ABORT_ERR) instead of
// burning a core for minutes.

const HUGE = {
  sha512: '$6$rounds=999999999$saltstring$' + row('glibc-sha512c-1').hash.split('$').pop(),
  sha256: '$5$rounds=999999999$saltstring$' + row('glibc-sha256c-1').hash.split('$').pop(),
  phc: `$pbkdf2-sha256$i=4294967295,l=32$${b64(Buffer.alloc(16, 1))}$${b64(Buffer.alloc(32, 2))}`,
  phcOverDefault: `$pbkdf2-sha512$i=5000001,l=64$${b64(Buffer.alloc(16, 1))}$${b64(Buffer.alloc(64, 2))}`,
  phcBlocks: `$pbkdf2-sha256$i=2500001,l=64$${b64(Buffer.alloc(16, 1))}$${b64(Buffer.alloc(64, 2))}`,
  passlib: `$pbkdf2-sha256$999999999$${ab64(Buffer.alloc(16, 1))}$${ab64(Buffer.alloc(32, 2))}`,
  django: 'pbkdf2_sha256$999999999$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=',
  djangoSha1: 'pbkdf2_sha1$4294967295$seasalt2$3R9hvSAiAy5ARspAFy5GJ/2rjXo='
}

test.serial('ceilings: $6$/$5$ rounds=999999999 and PBKDF2 over maxIterations reject ERR_INVALID_HASH at once (< 1 s CPU)', async (t) => {
  for (const [name, hash] of Object.entries(HUGE)) {
    for (const sync of [false, true]) {
      const { ms } = await cpuMs(async () => {
        if (sync) throws(t, () => ot.verifyPasswordSync(hash, 'x'), ERR.hash, { label: `${name} sync` })
        else await rejects(t, () => ot.verifyPassword(hash, 'x', { signal: AbortSignal.timeout(5000) }), ERR.hash, { label: name })
      })
      t.true(ms < 1000, `${name}${sync ? ' sync' : ''}: ${ms.toFixed(0)} ms of CPU`)
    }
  }
})

test.serial('ceilings: a sha-crypt hash one round over maxRounds (1,000,000) rejects; maxRounds: 1000001 verifies it', async (t) => {
  const r = row('gen-sha512-crypt-rounds-1000001')
  t.regex(r.hash, /^\$6\$rounds=1000001\$/)
  t.deepEqual(r.options, { maxRounds: 1000001 })
  const { ms } = await cpuMs(() => rejects(t, () => ot.verifyPassword(r.hash, pw(r), { signal: AbortSignal.timeout(10000) }), ERR.hash))
  t.true(ms < 1000, `${ms.toFixed(0)} ms of CPU`)
  await rejects(t, () => ot.verifyPassword(r.hash, pw(r), { maxRounds: 1000000 }), ERR.hash)
  t.true(await ot.verifyPassword(r.hash, pw(r), { maxRounds: 1000001 }))
  // At the ceiling itself: accepted by default.
  const at = row('gen-sha256-crypt-rounds-1000000')
  t.true(await ot.verifyPassword(at.hash, pw(at)))
})

// Hashes that take about 10 s each on this machine's debug build (sha512-crypt ~0.5 s, sha256-crypt ~0.16 s per
// million rounds; PBKDF2-SHA256 ~0.12 s per million iterations): long enough that an abort must cut them short,
// short enough that an implementation without checkpoints fails this test in seconds rather than hanging it.
const LONG = [
  ['$6$rounds=20000000$', HUGE.sha512.replace('rounds=999999999', 'rounds=20000000'), { maxRounds: 20000000 }],
  ['$5$rounds=60000000$', HUGE.sha256.replace('rounds=999999999', 'rounds=60000000'), { maxRounds: 60000000 }],
  ['Django pbkdf2_sha256$100000000$', HUGE.django.replace('999999999', '100000000'), { maxIterations: 100000000 }],
  ['passlib $pbkdf2-sha256$100000000$', HUGE.passlib.replace('999999999', '100000000'), { maxIterations: 100000000 }],
  // The wrappers of the other engines (each a few seconds if it ran to the end).
  ['passlib $bcrypt-sha256$v=2,t=2b,r=16$', row('pl-bcrypt_sha256-v2-password').hash.replace('r=5$', 'r=16$'), { maxCost: 16 }],
  ['passlib $bcrypt-sha256$2b,16$', row('pl-bcrypt_sha256-v1-2b-password').hash.replace('2b,5$', '2b,16$'), { maxCost: 16 }],
  ['Django bcrypt$$2a$16$', row('pl-dj-bcrypt-2').hash.replace('$2a$10$', '$2a$16$'), { maxCost: 16 }],
  ['Django bcrypt_sha256$$2a$16$', row('pl-dj-bcrypt_sha256-2').hash.replace('$2a$08$', '$2a$16$'), { maxCost: 16 }],
  ['Django argon2$argon2id$ t=32', row('dj-test_argon2_version_upgrade').hash.replace('m=102400,t=2,p=8', 'm=65536,t=32,p=1'), {}],
  ['Django scrypt$65536$…$8$32$', row('dj-test_scrypt').hash.replace('scrypt$16384$seasalt$8$5$', 'scrypt$65536$seasalt$8$32$'), {}]
]

test.serial('raised ceilings let a long hash of each inherited engine run, and an abort stops it at a checkpoint (< 2 s CPU each)', async (t) => {
  const cases = LONG
  for (const [label, hash] of cases) t.notRegex(hash, /999999999|\$2a\$10\$|r=5\$|m=102400/, `${label}: mutated`)
  for (const [label, hash, limits] of cases) {
    const controller = new AbortController()
    const { ms } = await cpuMs(async () => {
      const promise = ot.verifyPassword(hash, 'x', { ...limits, signal: controller.signal })
      // Serial test: nothing else is on the pool, so `running` is this task, past parsing and the ceiling.
      const started = Date.now()
      while (ot.stats().running === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 5))
      await new Promise((resolve) => setTimeout(resolve, 100))
      t.is(ot.stats().running, 1, `${label}: running`)
      const before = process.cpuUsage()
      controller.abort()
      await aborted(t, promise, controller.signal, label)
      return process.cpuUsage(before)
    })
    // The whole run (wait, 100 ms of work, abort) is far from the hours the hash would take.
    t.true(ms < 2000, `${label}: ${ms.toFixed(0)} ms of CPU`)
  }
})

test('ceilings: maxRounds counts sha-crypt\'s rounds, implicit 5000 included', async (t) => {
  const explicit = row('glibc-sha256c-2') // rounds=10000
  await rejects(t, () => ot.verifyPassword(explicit.hash, pw(explicit), { maxRounds: 9999 }), ERR.hash)
  t.true(await ot.verifyPassword(explicit.hash, pw(explicit), { maxRounds: 10000 }))
  const implicit = row('glibc-sha512c-1') // no rounds=: 5000
  await rejects(t, () => ot.verifyPassword(implicit.hash, pw(implicit), { maxRounds: 4999 }), ERR.hash)
  t.true(await ot.verifyPassword(implicit.hash, pw(implicit), { maxRounds: 5000 }))
  // maxRounds is for sha-crypt only: a PBKDF2 hash is not held to it.
  const pbkdf2 = row('gen-phc-pbkdf2-sha256-1000')
  t.true(await ot.verifyPassword(pbkdf2.hash, pw(pbkdf2), { maxRounds: 1000 }))
})

test('ceilings: maxIterations counts PBKDF2 iterations × output blocks, in every notation', async (t) => {
  const salt = crypto.randomBytes(16)
  const oneBlock = nodePhc('pw', { iterations: 1001, hashLength: 32, salt })
  const twoBlocks = nodePhc('pw', { iterations: 1001, hashLength: 64, salt }) // sha256: 2 blocks, 2002
  await rejects(t, () => ot.verifyPassword(oneBlock, 'pw', { maxIterations: 1000 }), ERR.hash)
  t.true(await ot.verifyPassword(oneBlock, 'pw', { maxIterations: 1001 }))
  await rejects(t, () => ot.verifyPassword(twoBlocks, 'pw', { maxIterations: 2001 }), ERR.hash, { label: '2 blocks × 1001' })
  t.true(await ot.verifyPassword(twoBlocks, 'pw', { maxIterations: 2002 }))
  // sha512's block is 64 bytes: l=64 is one block.
  const sha512 = nodePhc('pw', { digest: 'sha512', iterations: 1001, hashLength: 64, salt })
  t.true(await ot.verifyPassword(sha512, 'pw', { maxIterations: 1001 }))
  // sha1's is 20 bytes: l=32 is two.
  const sha1 = row('gen-phc-pbkdf2-l32-two-blocks') // i=1000, l=32
  await rejects(t, () => ot.verifyPassword(sha1.hash, pw(sha1), { maxIterations: 1999 }), ERR.hash)
  t.true(await ot.verifyPassword(sha1.hash, pw(sha1), { maxIterations: 2000 }))
  // passlib's and Django's notations are held to the same ceiling.
  const passlib = row('pl-pbkdf2_sha512-1') // 1212
  await rejects(t, () => ot.verifyPassword(passlib.hash, pw(passlib), { maxIterations: 1211 }), ERR.hash)
  t.true(await ot.verifyPassword(passlib.hash, pw(passlib), { maxIterations: 1212 }))
  const django = row('pl-dj-pbkdf2_sha1-1') // 10000
  await rejects(t, () => ot.verifyPassword(django.hash, pw(django), { maxIterations: 9999 }), ERR.hash)
  t.true(await ot.verifyPassword(django.hash, pw(django), { maxIterations: 10000 }))
  // Django's 1,000,000 (its current default) is under the default ceiling of 5,000,000.
  const dj = row('dj-test_pbkdf2')
  await rejects(t, () => ot.verifyPassword(dj.hash, pw(dj), { maxIterations: 999999 }), ERR.hash)
})

test('ceilings: the existing limits hold for the inherited argon2, bcrypt and scrypt notations', async (t) => {
  const argon = row('dj-test_argon2_version_upgrade') // argon2id m=102400 KiB, t=2, p=8
  await rejects(t, () => ot.verifyPassword(argon.hash, pw(argon), { maxMemory: 102400 * 1024 - 1 }), ERR.hash)
  await rejects(t, () => ot.verifyPassword(argon.hash, pw(argon), { maxTimeCost: 1 }), ERR.hash)
  const bcrypt = row('pl-dj-bcrypt-2') // bcrypt$$2a$10$
  await rejects(t, () => ot.verifyPassword(bcrypt.hash, pw(bcrypt), { maxCost: 9 }), ERR.hash)
  t.true(await ot.verifyPassword(bcrypt.hash, pw(bcrypt), { maxCost: 10 }))
  const bs = row('gen-passlib-bcrypt-sha256-v2-r12')
  await rejects(t, () => ot.verifyPassword(bs.hash, pw(bs), { maxCost: 11 }), ERR.hash)
  const djbs = row('pl-dj-bcrypt_sha256-2') // $2a$08$
  await rejects(t, () => ot.verifyPassword(djbs.hash, pw(djbs), { maxCost: 7 }), ERR.hash)
  const scrypt = row('dj-test_scrypt') // N=16384, r=8, p=5: 16 MiB
  await rejects(t, () => ot.verifyPassword(scrypt.hash, pw(scrypt), { maxMemory: 16 * 1024 * 1024 - 1 }), ERR.hash)
  await rejects(t, () => ot.verifyPassword(scrypt.hash, pw(scrypt), { maxTimeCost: 4 }), ERR.hash)
  const cheap = row('gen-django-scrypt-n1024') // 1 MiB, p=1
  t.true(await ot.verifyPassword(cheap.hash, pw(cheap), { maxMemory: 1024 * 1024, maxTimeCost: 1 }))
})

test('verify options maxIterations and maxRounds are validated like the other ceilings', async (t) => {
  const h = row('gen-phc-pbkdf2-sha256-1000').hash
  for (const name of ['maxIterations', 'maxRounds']) {
    await rejects(t, () => ot.verifyPassword(h, 'pw', { [name]: 0 }), ERR.range, { label: `${name}: 0` })
    await rejects(t, () => ot.verifyPassword(h, 'pw', { [name]: 1.5 }), ERR.range, { label: `${name}: 1.5` })
    await rejects(t, () => ot.verifyPassword(h, 'pw', { [name]: -1 }), ERR.range, { label: `${name}: -1` })
    await rejects(t, () => ot.verifyPassword(h, 'pw', { [name]: 2 ** 53 }), ERR.range, { label: `${name}: 2^53` })
    await rejects(t, () => ot.verifyPassword(h, 'pw', { [name]: '1000' }), ERR.type, { label: `${name}: '1000'` })
    throws(t, () => ot.verifyPasswordSync(h, 'pw', { [name]: NaN }), ERR.range, { label: `${name}: NaN sync` })
  }
})

// ---------------------------------------------------------------------------------------------
// PBKDF2 made by offthread, cross-checked with node:crypto

test('hashPassword pbkdf2 defaults: $pbkdf2-sha256$i=600000,l=32$ with a 16-byte salt, equal to node:crypto.pbkdf2Sync', async (t) => {
  const password = 'correct horse battery staple'
  const hash = await ot.hashPassword(password, { algorithm: 'pbkdf2' })
  t.regex(hash, /^\$pbkdf2-sha256\$i=600000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  const p = parsePbkdf2(hash)
  t.is(p.salt.length, 16)
  t.is(b64(p.salt), p.saltB64, 'canonical unpadded base64')
  t.deepEqual(p.hash, crypto.pbkdf2Sync(password, p.salt, 600000, 32, 'sha256'))
  t.true(await ot.verifyPassword(hash, password))
  t.false(await ot.verifyPassword(hash, 'correct horse battery stapler'))
  t.false(ot.needsRehash(hash, { algorithm: 'pbkdf2' }))
  t.true(ot.needsRehash(hash), 'the default algorithm is still argon2id')
})

test('hashPassword pbkdf2 sha512 defaults: 210,000 iterations and a 64-byte hash, equal to node:crypto', async (t) => {
  const hash = await ot.hashPassword('pässwörd ✓', { algorithm: 'pbkdf2', digest: 'sha512' })
  t.regex(hash, /^\$pbkdf2-sha512\$i=210000,l=64\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/)
  const p = parsePbkdf2(hash)
  t.deepEqual(p.hash, crypto.pbkdf2Sync('pässwörd ✓', p.salt, 210000, 64, 'sha512'))
  t.false(ot.needsRehash(hash, { algorithm: 'pbkdf2', digest: 'sha512' }))
  t.true(ot.needsRehash(hash, { algorithm: 'pbkdf2' }), 'sha256 wanted')
})

test('hashPassword pbkdf2 with chosen iterations, hashLength and saltLength matches node:crypto (sync and async, Buffer and string)', async (t) => {
  const cases = [
    { digest: 'sha256', iterations: 1000, hashLength: 16, saltLength: 16 },
    { digest: 'sha256', iterations: 1001, hashLength: 48, saltLength: 32 },
    { digest: 'sha512', iterations: 1234, hashLength: 20, saltLength: 16 },
    { digest: 'sha512', iterations: 1000, hashLength: 64, saltLength: 64 }
  ]
  const passwords = ['', 'pw', Buffer.from([0, 255, 1, 254]), '密码 🔑']
  for (const c of cases) {
    for (const password of passwords) {
      for (const hash of [await ot.hashPassword(password, { algorithm: 'pbkdf2', ...c }), ot.hashPasswordSync(password, { algorithm: 'pbkdf2', ...c })]) {
        const p = parsePbkdf2(hash)
        t.truthy(p, hash)
        t.deepEqual({ digest: p.digest, iterations: p.iterations, hashLength: p.hashLength, saltLength: p.salt.length },
          { digest: c.digest, iterations: c.iterations, hashLength: c.hashLength, saltLength: c.saltLength }, hash)
        t.is(p.hash.length, c.hashLength)
        t.deepEqual(p.hash, crypto.pbkdf2Sync(password, p.salt, c.iterations, c.hashLength, c.digest), hash)
        t.true(await ot.verifyPassword(hash, password))
        t.false(await ot.verifyPassword(hash, wrong(Buffer.from(password))))
        t.false(ot.needsRehash(hash, { algorithm: 'pbkdf2', ...c }))
      }
    }
  }
  // Fresh salts every time.
  const a = await ot.hashPassword('pw', { algorithm: 'pbkdf2', iterations: 1000 })
  const b = await ot.hashPassword('pw', { algorithm: 'pbkdf2', iterations: 1000 })
  t.not(parsePbkdf2(a).saltB64, parsePbkdf2(b).saltB64)
})

test('PBKDF2 strings built with node:crypto verify: PHC (RustCrypto\'s form), passlib\'s and Django\'s notations of the same key', async (t) => {
  for (const digest of ['sha256', 'sha512', 'sha1']) {
    for (const hashLength of [DIGEST_SIZE[digest], 16, 40]) {
      const salt = crypto.randomBytes(16)
      const phc = nodePhc('hunter2', { digest, iterations: 1500, hashLength, salt })
      t.true(await ot.verifyPassword(phc, 'hunter2'), phc)
      t.false(await ot.verifyPassword(phc, 'hunter3'), phc)
    }
    // passlib writes the digest's own size.
    const salt = crypto.randomBytes(16)
    const dk = crypto.pbkdf2Sync('hunter2', salt, 1500, DIGEST_SIZE[digest], digest)
    const passlib = `$${IDENT[digest]}$1500$${ab64(salt)}$${ab64(dk)}`
    t.true(await ot.verifyPassword(passlib, 'hunter2'), passlib)
    t.false(await ot.verifyPassword(passlib, 'hunter3'), passlib)
  }
  // Django: the salt is text, used as its UTF-8 bytes; the hash is padded base64.
  for (const [digest, name] of [['sha256', 'pbkdf2_sha256'], ['sha1', 'pbkdf2_sha1']]) {
    const salt = crypto.randomBytes(12).toString('base64').replace(/[+/=]/g, 'x')
    const dk = crypto.pbkdf2Sync('hunter2', salt, 1500, DIGEST_SIZE[digest], digest)
    const django = `${name}$1500$${salt}$${dk.toString('base64')}`
    t.true(await ot.verifyPassword(django, 'hunter2'), django)
    t.false(await ot.verifyPassword(django, 'hunter3'), django)
  }
})

test('an offthread PBKDF2 hash re-written in passlib\'s notation still verifies (same salt, iterations, key)', async (t) => {
  const hash = await ot.hashPassword('pw', { algorithm: 'pbkdf2', iterations: 2000 })
  const p = parsePbkdf2(hash)
  const passlib = `$pbkdf2-sha256$${p.iterations}$${ab64(p.salt)}$${ab64(p.hash)}`
  t.true(await ot.verifyPassword(passlib, 'pw'))
  t.false(await ot.verifyPassword(passlib, 'px'))
  t.true(ot.needsRehash(passlib, { algorithm: 'pbkdf2', iterations: 2000 }), 'passlib\'s notation is inherited')
})

test('the PHC rows (CPython\'s and RustCrypto\'s) are what node:crypto computes from their salt and iterations', (t) => {
  const rows = good.filter((r) => PHC_PBKDF2.includes(r.format))
  t.is(rows.length, 11)
  for (const r of rows) {
    const p = parsePbkdf2(r.hash)
    t.deepEqual(p.hash, crypto.pbkdf2Sync(pw(r), p.salt, p.iterations, p.hashLength, p.digest), r.id)
  }
})

test.serial('FIPS mode (stubbed getFips): every PBKDF2 row, in every notation, verifies through node:crypto with the same answers and ceilings', async (t) => {
  const PBKDF2 = [...PHC_PBKDF2, 'passlib-pbkdf2-sha256', 'passlib-pbkdf2-sha512', 'passlib-pbkdf2-sha1', 'django-pbkdf2_sha256', 'django-pbkdf2_sha1']
  const rows = good.filter((r) => PBKDF2.includes(r.format))
  t.is(rows.length, 39)
  const real = crypto.getFips
  let calls = 0
  crypto.getFips = () => { calls++; return 1 }
  try {
    for (const r of rows) {
      if (r.valid) {
        t.true(await ot.verifyPassword(r.hash, pw(r)), `${r.id}: right password`)
        t.false(ot.verifyPasswordSync(r.hash, wrong(pw(r))), `${r.id}: wrong password (sync)`)
      } else {
        t.false(await ot.verifyPassword(r.hash, pw(r)), `${r.id}: the reference says false`)
      }
    }
    for (const r of malformed.filter((m) => PBKDF2.includes(m.format))) {
      await rejects(t, () => ot.verifyPassword(r.hash, pw(r)), ERR.hash, { label: `${r.id} (${r.note})` })
    }
    for (const name of ['phc', 'phcBlocks', 'passlib', 'django', 'djangoSha1']) {
      const { ms } = await cpuMs(() => rejects(t, () => ot.verifyPassword(HUGE[name], 'x', { signal: AbortSignal.timeout(5000) }), ERR.hash, { label: name }))
      t.true(ms < 1000, `${name}: ${ms.toFixed(0)} ms of CPU`)
    }
    const django = row('pl-dj-pbkdf2_sha1-1') // 10000
    await rejects(t, () => ot.verifyPassword(django.hash, pw(django), { maxIterations: 9999 }), ERR.hash)
    // Formats that are not PBKDF2 are unaffected.
    t.true(await ot.verifyPassword(row('glibc-sha256c-1').hash, pw(row('glibc-sha256c-1'))))
  } finally {
    crypto.getFips = real
  }
  t.true(calls > rows.length, 'the stub was consulted')
})

// ---------------------------------------------------------------------------------------------
// needsRehash

test('needsRehash: true for every row of every inherited format, whatever the options', (t) => {
  const rows = good.filter((r) => INHERITED.includes(r.format) && r.valid)
  t.is(rows.length, 166)
  const pbkdf2Like = { 'passlib-pbkdf2-sha256': 'sha256', 'passlib-pbkdf2-sha512': 'sha512', 'django-pbkdf2_sha256': 'sha256' }
  for (const r of rows) {
    t.true(ot.needsRehash(r.hash), `${r.id}: default options`)
    t.true(ot.needsRehash(r.hash, { algorithm: 'pbkdf2' }), `${r.id}: pbkdf2`)
    t.true(ot.needsRehash(r.hash, { algorithm: 'bcrypt', cost: 10 }), `${r.id}: bcrypt`)
    const digest = pbkdf2Like[r.format]
    if (digest !== undefined) {
      // Even the exact parameters of the stored hash: the notation itself is to be replaced.
      const iterations = Number(r.hash.split('$')[r.hash.startsWith('$') ? 2 : 1])
      t.true(ot.needsRehash(r.hash, { algorithm: 'pbkdf2', digest, iterations, hashLength: DIGEST_SIZE[digest] }), `${r.id}: its own parameters`)
    }
  }
})

test('needsRehash: Django\'s wrappers of offthread\'s own default hashes are inherited, the bare hashes are not', async (t) => {
  const argon = await ot.hashPassword('pw')
  t.false(ot.needsRehash(argon))
  t.true(ot.needsRehash(`argon2${argon}`), 'argon2$argon2id$… with the default parameters')
  t.true(await ot.verifyPassword(`argon2${argon}`, 'pw'), 'Django\'s argon2 form of the same hash verifies')
  const bcrypt = await ot.hashPassword('pw', { algorithm: 'bcrypt', cost: 4 })
  t.false(ot.needsRehash(bcrypt, { algorithm: 'bcrypt', cost: 4 }))
  t.true(ot.needsRehash(`bcrypt$${bcrypt}`, { algorithm: 'bcrypt', cost: 4 }))
  t.true(await ot.verifyPassword(`bcrypt$${bcrypt}`, 'pw'))
})

test('needsRehash: a PHC pbkdf2 hash is current only with the same digest, iterations and hashLength', (t) => {
  const sha256 = row('gen-phc-pbkdf2-sha256-owasp-default').hash // i=600000, l=32
  t.false(ot.needsRehash(sha256, { algorithm: 'pbkdf2' }))
  t.false(ot.needsRehash(sha256, { algorithm: 'pbkdf2', digest: 'sha256', iterations: 600000, hashLength: 32 }))
  t.false(ot.needsRehash(sha256, { algorithm: 'pbkdf2', saltLength: 32 }), 'the salt length is not a cost')
  t.true(ot.needsRehash(sha256))
  t.true(ot.needsRehash(sha256, { algorithm: 'pbkdf2', iterations: 600001 }))
  t.true(ot.needsRehash(sha256, { algorithm: 'pbkdf2', hashLength: 64 }))
  t.true(ot.needsRehash(sha256, { algorithm: 'pbkdf2', digest: 'sha512', iterations: 600000, hashLength: 32 }))
  const sha512 = row('gen-phc-pbkdf2-sha512-owasp-default').hash // i=210000, l=64
  t.false(ot.needsRehash(sha512, { algorithm: 'pbkdf2', digest: 'sha512' }))
  t.true(ot.needsRehash(sha512, { algorithm: 'pbkdf2' }))
  const l16 = row('gen-phc-pbkdf2-sha256-l16').hash // i=1000, l=16
  t.false(ot.needsRehash(l16, { algorithm: 'pbkdf2', iterations: 1000, hashLength: 16 }))
  t.true(ot.needsRehash(l16, { algorithm: 'pbkdf2', iterations: 1000 }), 'default hashLength is 32')
  // sha1 can only be verified: a sha1 hash always needs a rehash.
  const sha1 = row('gen-phc-pbkdf2-1000').hash
  t.true(ot.needsRehash(sha1, { algorithm: 'pbkdf2', iterations: 1000, hashLength: 20 }))
})

// ---------------------------------------------------------------------------------------------
// hashPassword pbkdf2 options

test('hashPassword pbkdf2: digest sha1 refused (ERR_INVALID_ARG_VALUE), unknown digests refused, bad iterations out of range', async (t) => {
  const sha1 = { algorithm: 'pbkdf2', digest: 'sha1' }
  await rejects(t, () => ot.hashPassword('pw', sha1), ERR.value, { label: 'sha1' })
  throws(t, () => ot.hashPasswordSync('pw', sha1), ERR.value, { label: 'sha1 sync' })
  for (const digest of ['md5', 'sha384', 'SHA256', 'sha-256', 'sha3-256', '']) {
    await rejects(t, () => ot.hashPassword('pw', { algorithm: 'pbkdf2', digest }), ERR.value, { label: `digest ${digest}` })
  }
  await rejects(t, () => ot.hashPassword('pw', { algorithm: 'pbkdf2', digest: 256 }), ERR.type, { label: 'digest 256' })
  for (const iterations of [0, -1, 1.5, 2 ** 32, NaN, Infinity]) {
    await rejects(t, () => ot.hashPassword('pw', { algorithm: 'pbkdf2', iterations }), ERR.range, { label: `iterations ${iterations}` })
    throws(t, () => ot.hashPasswordSync('pw', { algorithm: 'pbkdf2', iterations }), ERR.range, { label: `iterations ${iterations} sync` })
  }
  await rejects(t, () => ot.hashPassword('pw', { algorithm: 'pbkdf2', iterations: '1000' }), ERR.type)
  for (const [name, value] of [['hashLength', 0], ['hashLength', 2.5], ['saltLength', 0], ['saltLength', -16]]) {
    await rejects(t, () => ot.hashPassword('pw', { algorithm: 'pbkdf2', [name]: value }), ERR.range, { label: `${name} ${value}` })
  }
  // needsRehash validates the same options.
  throws(t, () => ot.needsRehash(row('gen-phc-pbkdf2-sha256-1000').hash, { algorithm: 'pbkdf2', digest: 'md5' }), ERR.value)
  throws(t, () => ot.needsRehash(row('gen-phc-pbkdf2-sha256-1000').hash, { algorithm: 'pbkdf2', iterations: 0 }), ERR.range)
})
