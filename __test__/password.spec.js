'use strict'
// Password hashing through the public API: known answers from third-party vectors, cross-verification
// with the peer libraries both ways, defaults, needsRehash, cost ceilings and every error code.

const test = require('ava')
const crypto = require('node:crypto')
const nodeArgon2 = require('argon2')
const rsArgon2 = require('@node-rs/argon2')
const nodeBcrypt = require('bcrypt')
const bcryptjs = require('bcryptjs')
const rsBcrypt = require('@node-rs/bcrypt')
const ot = require('..')
const { rows } = require('./fixtures/hash-vectors.json')
const { ERR, rejects, throws, aborted } = require('./helpers/errors')

// ---------------------------------------------------------------------------------------------
// Helpers

const pw = (row) => Buffer.from(row.password_hex, 'hex')
/** The same password with its first byte changed (bcrypt ignores bytes after 72), or 'x' for ''. */
const wrong = (bytes) => bytes.length === 0 ? Buffer.from('x') : Buffer.concat([Buffer.from([bytes[0] ^ 1]), bytes.subarray(1)])
const b64 = (buf) => Buffer.from(buf).toString('base64').replace(/=+$/, '')
const row = (id) => {
  const r = rows.find((x) => x.id === id)
  if (r === undefined) throw new Error(`no fixture row ${id}`)
  return r
}

/** Asserts that `hash` verifies `password` and not a wrong one. */
async function verifiesOnly (t, hash, password, options, label = hash) {
  t.true(await ot.verifyPassword(hash, password, options), `${label}: right password`)
  t.false(await ot.verifyPassword(hash, wrong(Buffer.from(password)), options), `${label}: wrong password`)
}

/** Splits `$id$v=..$k=v,..$salt$hash` into its parts (salt and hash decoded). */
function parsePhc (s) {
  const parts = s.split('$')
  const [, id] = parts
  const hasVersion = parts[2].startsWith('v=')
  const params = Object.fromEntries(parts[hasVersion ? 3 : 2].split(',').map((kv) => kv.split('=')))
  return {
    id,
    version: hasVersion ? Number(parts[2].slice(2)) : undefined,
    params,
    salt: Buffer.from(parts[parts.length - 2], 'base64'),
    hash: Buffer.from(parts[parts.length - 1], 'base64')
  }
}

const CHEAP_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const CHEAP_BCRYPT = { algorithm: 'bcrypt', cost: 4 }
const CHEAP_SCRYPT = { algorithm: 'scrypt', logN: 10, r: 8, p: 1 }

// ---------------------------------------------------------------------------------------------
// Known answers (rows copied from ../shared/corpus/hash-vectors into fixtures/)

const argon2Rows = rows.filter((r) => r.file === 'argon2-phc-testc.jsonl')
const argon2Match = argon2Rows.filter((r) => r.expect === 'match' && r.params.m_kib <= 65536)

test('argon2 reference PHC strings (phc-winner-argon2 test.c) verify, and a wrong password does not', async (t) => {
  t.is(argon2Match.length, 21)
  // argon2i v0x10 strings carry no $v= field.
  const legacy = argon2Match.filter((r) => !r.expected_phc.includes('$v='))
  t.is(legacy.length, 7)
  t.true(legacy.every((r) => r.params.version === 16 && r.alg === 'argon2i'))
  t.true(argon2Match.some((r) => r.alg === 'argon2id'))
  for (const r of argon2Match) await verifiesOnly(t, r.expected_phc, pw(r), undefined, r.id)
})

test('argon2 reference mismatch rows resolve false and malformed encodings reject ERR_INVALID_HASH', async (t) => {
  const mismatch = argon2Rows.filter((r) => r.expect === 'mismatch')
  const malformed = argon2Rows.filter((r) => r.expect === 'error' && r.encoded)
  t.is(mismatch.length, 2)
  t.is(malformed.length, 6)
  for (const r of mismatch) t.false(await ot.verifyPassword(r.encoded, pw(r)), r.id)
  for (const r of malformed) await rejects(t, () => ot.verifyPassword(r.encoded, pw(r)), ERR.hash, { label: r.id })
})

test('RFC 9106 vectors (secret + associated data) verify as PHC strings built from the raw tags', async (t) => {
  const kats = rows.filter((r) => r.file === 'argon2-rfc9106-and-phc-kats.jsonl')
  t.is(kats.length, 6)
  for (const r of kats) {
    const { t: time, m_kib: m, p, version } = r.params
    const salt = Buffer.from(r.salt_hex, 'hex')
    const secret = Buffer.from(r.secret_hex, 'hex')
    const associatedData = Buffer.from(r.ad_hex, 'hex')
    const tag = Buffer.from(r.expected_hex, 'hex')
    const head = `$${r.alg}$v=${version}$m=${m},t=${time},p=${p}`
    const phc = `${head}$${b64(salt)}$${b64(tag)}`
    await verifiesOnly(t, phc, pw(r), { secret, associatedData }, r.id)
    t.false(await ot.verifyPassword(phc, pw(r), { associatedData }), `${r.id}: without the secret`)
    t.false(await ot.verifyPassword(phc, pw(r), { secret }), `${r.id}: without the associated data`)
    t.false(await ot.verifyPassword(phc, pw(r), { secret: wrong(secret), associatedData }), `${r.id}: wrong secret`)
    // The associated data may also travel in the string, as data=<base64>.
    const withData = `${head},data=${b64(associatedData)}$${b64(salt)}$${b64(tag)}`
    t.true(await ot.verifyPassword(withData, pw(r), { secret }), `${r.id}: data= in the string`)
  }
})

const bcryptRows = rows.filter((r) => r.alg === 'bcrypt' && r.file !== 'bcrypt-bcryptjs-inputs.jsonl')
/** crypt_blowfish's $2a$ countermeasure rows; offthread follows OpenBSD (pyca) here. */
const COUNTERMEASURE = ['openwall-L295', 'openwall-L313']
/** pyca does not reproduce OpenBSD's 8-bit $2a$ length; node.bcrypt.js does. offthread accepts both forms. */
const PYCA_NO_WRAP = 'pyca-2a-wraparound-L493'
const bcryptMatch = bcryptRows.filter((r) => r.expect === 'match' && ['2a', '2b', '2y'].includes(r.params.variant) &&
  !COUNTERMEASURE.includes(r.id))

test('bcrypt $2a$/$2b$/$2y$ vectors (Openwall, pyca, node.bcrypt.js) verify with their exact bytes', async (t) => {
  t.is(bcryptMatch.length, 73)
  for (const prefix of ['$2a$', '$2b$', '$2y$']) t.true(bcryptMatch.some((r) => r.expected_mcf.startsWith(prefix)), prefix)
  for (const r of bcryptMatch) {
    await verifiesOnly(t, r.expected_mcf, pw(r), undefined, r.id)
    if (r.setting && r.setting.length === 60) t.true(await ot.verifyPassword(r.setting, pw(r)), `${r.id}: setting`)
  }
})

test('bcrypt: $2a$ with 8-bit passwords follows OpenBSD (pyca), not crypt_blowfish\'s countermeasure', async (t) => {
  for (const id of COUNTERMEASURE) {
    const r = row(id)
    const openbsd = r.crosscheck.split(' ').pop()
    t.regex(openbsd, /^\$2a\$05\$.{53}$/)
    t.true(await ot.verifyPassword(openbsd, pw(r)), `${id}: OpenBSD answer`)
    t.false(await ot.verifyPassword(r.expected_mcf, pw(r)), `${id}: crypt_blowfish answer`)
  }
})

test('bcrypt: $2a$ keeps OpenBSD\'s 8-bit password length (node.bcrypt.js rows), unlike pyca', async (t) => {
  for (const id of ['node-bcrypt-L21', 'node-bcrypt-L22']) {
    const r = row(id)
    t.is(pw(r).length, 255)
    t.true(await ot.verifyPassword(r.expected_mcf, pw(r)), id)
  }
  // pyca's answer is the 72-byte one (no wrap), which $2b$ gives; $2a$ accepts that form too...
  const r = row(PYCA_NO_WRAP)
  t.true(await ot.verifyPassword(r.expected_mcf, pw(r)))
  t.true(await ot.verifyPassword(r.expected_mcf.replace('$2a$', '$2b$'), pw(r)))
  // ... but never a different password of the same length that only shares the wrapped prefix.
  const other = Buffer.from(pw(r)); other[10] ^= 1
  t.false(await ot.verifyPassword(r.expected_mcf, other))
})

test('bcrypt: $2x$ rows (crypt_blowfish\'s sign-extension bug) verify, so they can be migrated; invalid settings reject ERR_INVALID_HASH; mismatch rows resolve false', async (t) => {
  const x = bcryptRows.filter((r) => r.params && r.params.variant === '2x')
  t.is(x.length, 8)
  for (const r of x) {
    t.true(await ot.verifyPassword(r.expected_mcf, pw(r)), r.id)
    t.false(await ot.verifyPassword(r.expected_mcf, 'x'), `${r.id}: wrong password`)
    t.true(ot.needsRehash(r.expected_mcf, { algorithm: 'bcrypt', cost: 5 }), `${r.id}: needsRehash`)
  }
  const invalid = bcryptRows.filter((r) => r.expect === 'error')
  t.is(invalid.length, 11)
  for (const r of invalid) await rejects(t, () => ot.verifyPassword(r.encoded || r.setting, pw(r)), ERR.hash, { label: r.id })
  const mismatch = bcryptRows.filter((r) => r.expect === 'mismatch')
  t.is(mismatch.length, 1)
  for (const r of mismatch) t.false(await ot.verifyPassword(r.encoded, pw(r)), r.id)
})

test('bcrypt policy row: hashing more than 72 bytes rejects ERR_PASSWORD_TOO_LONG (as pyca/bcrypt 5)', async (t) => {
  const r = row('pyca5-policy-73-bytes')
  t.is(pw(r).length, 73)
  await rejects(t, () => ot.hashPassword(pw(r), { algorithm: 'bcrypt', cost: 4 }), ERR.tooLong)
  t.regex(await ot.hashPassword(pw(r).subarray(0, 72), { algorithm: 'bcrypt', cost: 4 }), /^\$2b\$04\$/, '72 bytes are fine')
})

// ---------------------------------------------------------------------------------------------
// Cross-verification with the peer libraries, both ways

const PASSWORDS = ['', 'correct horse battery staple', 'pässwörd ✓ 密码 🔑']
/** bcryptjs's UTF-8 pangrams (some over 72 bytes), as inputs. */
const PANGRAMS = rows.filter((r) => r.file === 'bcrypt-bcryptjs-inputs.jsonl').map(pw)

const ARGON2_CASES = [
  { type: 'argon2id', memoryCost: 1024, timeCost: 1, parallelism: 1 },
  { type: 'argon2id', memoryCost: 4096, timeCost: 2, parallelism: 2 },
  { type: 'argon2i', memoryCost: 2048, timeCost: 2, parallelism: 1 },
  { type: 'argon2d', memoryCost: 1024, timeCost: 2, parallelism: 4 }
]
const ARGON2_TYPES = { argon2d: 0, argon2i: 1, argon2id: 2 }

test('argon2: node-argon2 hashes verify in offthread, and offthread hashes verify in node-argon2', async (t) => {
  for (const c of ARGON2_CASES) {
    const { type, ...cost } = c
    for (const password of PASSWORDS) {
      const theirs = await nodeArgon2.hash(password, { ...cost, type: ARGON2_TYPES[type] })
      t.true(theirs.startsWith(`$${type}$v=19$`))
      await verifiesOnly(t, theirs, password)
      const ours = await ot.hashPassword(password, { algorithm: type, ...cost })
      t.true(ours.startsWith(`$${type}$v=19$m=${cost.memoryCost},t=${cost.timeCost},p=${cost.parallelism}$`), ours)
      t.true(await nodeArgon2.verify(ours, password))
      t.false(await nodeArgon2.verify(ours, wrong(Buffer.from(password))))
    }
  }
})

test('argon2: secret and associatedData interoperate with node-argon2 (data= in the PHC string)', async (t) => {
  const secret = Buffer.from('pepper kept outside the database')
  for (const adLength of [1, 12, 32, 64]) {
    const associatedData = crypto.randomBytes(adLength)
    const cost = { memoryCost: 2048, timeCost: 1, parallelism: 2 }
    const theirs = await nodeArgon2.hash('pw', { ...cost, secret, associatedData })
    t.true(theirs.includes(`,data=${b64(associatedData)}$`), theirs)
    t.true(await ot.verifyPassword(theirs, 'pw', { secret }), `node-argon2 → offthread, ${adLength}-byte AD`)
    t.false(await ot.verifyPassword(theirs, 'pw'), 'without the secret')
    const ours = await ot.hashPassword('pw', { ...cost, secret, associatedData })
    // Same encoding as node-argon2 (@phc/format): data=<base64 without padding> after m, t, p.
    t.regex(ours, new RegExp(`^\\$argon2id\\$v=19\\$m=2048,t=1,p=2,data=${b64(associatedData).replace(/\+/g, '\\+')}\\$`))
    t.true(await nodeArgon2.verify(ours, 'pw', { secret }), `offthread → node-argon2, ${adLength}-byte AD`)
    t.false(await nodeArgon2.verify(ours, 'pw', { secret: wrong(secret) }))
    t.true(await ot.verifyPassword(ours, 'pw', { secret }))
  }
})

test('argon2: @node-rs/argon2 hashes verify in offthread and back, with and without a secret', async (t) => {
  for (const c of ARGON2_CASES) {
    const { type, ...cost } = c
    for (const secret of [undefined, Buffer.from('s3cr3t')]) {
      const password = PASSWORDS[2]
      const theirs = await rsArgon2.hash(password, { ...cost, algorithm: ARGON2_TYPES[type], secret })
      t.true(theirs.startsWith(`$${type}$v=19$`))
      await verifiesOnly(t, theirs, password, { secret })
      const ours = await ot.hashPassword(password, { algorithm: type, ...cost, secret })
      t.true(await rsArgon2.verify(ours, password, { secret }))
      t.false(await rsArgon2.verify(ours, wrong(Buffer.from(password)), { secret }))
    }
  }
})

/** bcrypt peers as [name, hash(password, cost), verify(password, hash)]. */
const BCRYPT_PEERS = [
  ['bcrypt', (p, cost) => nodeBcrypt.hash(p, cost), (p, h) => nodeBcrypt.compare(p, h)],
  ['bcryptjs', (p, cost) => bcryptjs.hash(p, cost), (p, h) => bcryptjs.compare(p, h)],
  ['@node-rs/bcrypt', (p, cost) => rsBcrypt.hash(p, { cost }), (p, h) => rsBcrypt.verify(p, h)]
]

for (const [name, peerHash, peerVerify] of BCRYPT_PEERS) {
  test(`bcrypt: ${name} hashes verify in offthread, and offthread hashes verify in ${name}`, async (t) => {
    // bcryptjs takes strings only (it encodes them as UTF-8 itself).
    const inputs = [...PASSWORDS, ...PANGRAMS.map((b) => b.toString('utf8'))]
    t.true(inputs.some((p) => Buffer.byteLength(p) > 72), 'some inputs are over 72 bytes')
    for (const [i, password] of inputs.entries()) {
      const cost = 4 + (i % 3) // 4..6
      const long = Buffer.byteLength(password) > 72
      const theirs = await peerHash(password, cost)
      t.true(await ot.verifyPassword(theirs, password), `${name} → offthread: ${password}`)
      t.false(await ot.verifyPassword(theirs, `!${password}`))
      const ours = await ot.hashPassword(password, { algorithm: 'bcrypt', cost, truncate: long })
      t.true(ours.startsWith(`$2b$0${cost}$`))
      t.true(await peerVerify(password, ours), `offthread → ${name}: ${password}`)
      t.false(await peerVerify(`!${password}`, ours))
    }
  })
}

// ---------------------------------------------------------------------------------------------
// scrypt, defaults, salts

test('scrypt: the PHC string recomputes with node:crypto.scryptSync from its own salt and parameters', async (t) => {
  for (const options of [CHEAP_SCRYPT, { algorithm: 'scrypt', logN: 11, r: 4, p: 2, hashLength: 48, saltLength: 24 }]) {
    const hash = await ot.hashPassword('pässwörd', options)
    const { id, version, params, salt, hash: dk } = parsePhc(hash)
    t.is(id, 'scrypt')
    t.is(version, undefined)
    t.deepEqual(params, { ln: String(options.logN), r: String(options.r), p: String(options.p) })
    t.is(salt.length, options.saltLength ?? 16)
    t.is(dk.length, options.hashLength ?? 32)
    const expected = crypto.scryptSync('pässwörd', salt, dk.length, { N: 2 ** options.logN, r: options.r, p: options.p })
    t.is(dk.toString('hex'), expected.toString('hex'))
    await verifiesOnly(t, hash, 'pässwörd')
  }
})

test('scrypt: RFC 7914 vectors with a 4-byte and an empty salt verify as PHC strings; hashPassword still refuses saltLength 4', async (t) => {
  // RFC 7914 §12, vectors 2 and 1: derived keys as the RFC prints them, the PHC string built
  // around them with base64 without padding (as hashPassword writes its own).
  const b64 = (bytes) => bytes.toString('base64').replace(/=+$/, '')
  const nacl = Buffer.from('fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640', 'hex')
  const hash = `$scrypt$ln=10,r=8,p=16$${b64(Buffer.from('NaCl'))}$${b64(nacl)}`
  t.true(hash.startsWith('$scrypt$ln=10,r=8,p=16$TmFDbA$'), hash)
  t.true(await ot.verifyPassword(hash, 'password'))
  t.false(await ot.verifyPassword(hash, 'passwore'))
  t.true(ot.verifyPasswordSync(hash, 'password'))
  t.false(ot.verifyPasswordSync(hash, 'Password'))
  t.true(ot.needsRehash(hash, { algorithm: 'scrypt', logN: 10, r: 8, p: 16 }), 'a 64-byte output is not the 32 asked for')
  const empty = Buffer.from('77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906', 'hex')
  const emptySalt = `$scrypt$ln=4,r=1,p=1$$${b64(empty)}`
  t.true(await ot.verifyPassword(emptySalt, ''))
  t.false(await ot.verifyPassword(emptySalt, 'x'))
  // Making a hash keeps the 8-byte minimum: saltLength 4 is refused, before any work.
  await rejects(t, () => ot.hashPassword('password', { ...CHEAP_SCRYPT, saltLength: 4 }), ERR.range, { label: 'hashPassword saltLength 4' })
  throws(t, () => ot.hashPasswordSync('password', { ...CHEAP_SCRYPT, saltLength: 4 }), ERR.range, { label: 'hashPasswordSync saltLength 4' })
})

test('defaults: argon2id m=19456,t=2,p=1; bcrypt cost 10 ($2b$); scrypt ln=17,r=8,p=1', async (t) => {
  const argon = await ot.hashPassword('x')
  t.regex(argon, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  const bcrypt = await ot.hashPassword('x', { algorithm: 'bcrypt' })
  t.regex(bcrypt, /^\$2b\$10\$[./A-Za-z0-9]{53}$/)
  t.true(await nodeBcrypt.compare('x', bcrypt))
  const scrypt = await ot.hashPassword('x', { algorithm: 'scrypt' })
  t.regex(scrypt, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  const { salt, hash } = parsePhc(scrypt)
  t.deepEqual(crypto.scryptSync('x', salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }), hash)
  t.is(ot.passwordDefaults.algorithm, 'argon2id')
})

test('salts: two hashes of the same password differ and both verify', async (t) => {
  for (const options of [CHEAP_ARGON2, CHEAP_BCRYPT, CHEAP_SCRYPT]) {
    const [a, b] = await Promise.all([ot.hashPassword('same', options), ot.hashPassword('same', options)])
    t.not(a, b)
    const salt = (h) => options.algorithm === 'bcrypt' ? h.slice(7, 29) : h.split('$').at(-2)
    t.not(salt(a), salt(b))
    t.true(await ot.verifyPassword(a, 'same'))
    t.true(await ot.verifyPassword(b, 'same'))
  }
})

test('passwords: a string and its UTF-8 bytes (Buffer or plain Uint8Array) hash alike', async (t) => {
  const text = 'pässwörd ✓'
  const bytes = new Uint8Array(Buffer.from(text, 'utf8'))
  for (const options of [CHEAP_ARGON2, CHEAP_BCRYPT, CHEAP_SCRYPT]) {
    t.true(await ot.verifyPassword(await ot.hashPassword(text, options), bytes))
    t.true(await ot.verifyPassword(await ot.hashPassword(bytes, options), text))
    t.false(await ot.verifyPassword(await ot.hashPassword(text, options), Buffer.from(text, 'latin1')))
  }
})

// ---------------------------------------------------------------------------------------------
// needsRehash

test('needsRehash: true when the algorithm, version or cost differs from the options or defaults', async (t) => {
  const argonDefault = await ot.hashPassword('x')
  const argonCheap = await ot.hashPassword('x', CHEAP_ARGON2)
  const bcrypt4 = await ot.hashPassword('x', CHEAP_BCRYPT)
  const scrypt = await ot.hashPassword('x', CHEAP_SCRYPT)
  const rehash = ot.needsRehash(argonDefault)
  t.is(rehash, false, 'synchronous, and false for a default hash')
  t.true(ot.needsRehash(bcrypt4), 'bcrypt when the default is argon2id')
  t.true(ot.needsRehash(argonCheap), 'argon2id at other costs')
  t.false(ot.needsRehash(argonCheap, CHEAP_ARGON2))
  t.true(ot.needsRehash(argonCheap, { ...CHEAP_ARGON2, timeCost: 2 }))
  t.true(ot.needsRehash(argonCheap, { ...CHEAP_ARGON2, parallelism: 2 }))
  t.true(ot.needsRehash(argonCheap, { ...CHEAP_ARGON2, algorithm: 'argon2i' }))
  t.true(ot.needsRehash(argonDefault, { algorithm: 'bcrypt' }))
  t.false(ot.needsRehash(bcrypt4, CHEAP_BCRYPT))
  t.true(ot.needsRehash(bcrypt4, { algorithm: 'bcrypt', cost: 5 }))
  t.true(ot.needsRehash(bcrypt4, { algorithm: 'bcrypt' }), 'default cost is 10')
  t.false(ot.needsRehash(scrypt, CHEAP_SCRYPT))
  t.true(ot.needsRehash(scrypt, { ...CHEAP_SCRYPT, logN: 11 }))
  t.true(ot.needsRehash(scrypt, { ...CHEAP_SCRYPT, r: 4 }))
  // Older formats at the same cost: $2a$ and argon2 v0x10.
  const a = row('openwall-L279')
  t.true(ot.needsRehash(a.expected_mcf, { algorithm: 'bcrypt', cost: 5 }))
  t.false(ot.needsRehash(a.expected_mcf.replace('$2a$', '$2b$'), { algorithm: 'bcrypt', cost: 5 }))
  const legacy = row('phc-testc-L77')
  t.true(ot.needsRehash(legacy.expected_phc, { algorithm: 'argon2i', memoryCost: 65536, timeCost: 2, parallelism: 1 }))
  t.false(ot.needsRehash(row('phc-testc-L156').expected_phc, { algorithm: 'argon2i', memoryCost: 65536, timeCost: 2, parallelism: 1 }))
})

test('needsRehash: throws (synchronously) ERR_INVALID_HASH on garbage, and validates its options', (t) => {
  for (const bad of ['garbage', '', '$2z$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e', '$argon2id$v=19$m=1024']) {
    throws(t, () => ot.needsRehash(bad), ERR.hash, { label: bad })
  }
  throws(t, () => ot.needsRehash(5), ERR.type)
  throws(t, () => ot.needsRehash('$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm', { algorithm: 'md5' }), ERR.value)
  throws(t, () => ot.needsRehash('$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm', { algorithm: 'bcrypt', cost: 3.5 }), ERR.range)
})

// ---------------------------------------------------------------------------------------------
// Errors: every code, exact class; async functions reject, sync functions throw

const GARBAGE_BCRYPT = '$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm'

/** [label, password, options, expected error, message?] for hashPassword / hashPasswordSync. */
const HASH_ERRORS = [
  ['password 42', 42, undefined, ERR.type],
  ['password null', null, undefined, ERR.type],
  ['options "x"', 'pw', 'x', ERR.type],
  ['options null', 'pw', null, ERR.type],
  ['cost "10"', 'pw', { algorithm: 'bcrypt', cost: '10' }, ERR.type],
  ['truncate "yes"', 'pw', { algorithm: 'bcrypt', truncate: 'yes' }, ERR.type],
  ['secret 5', 'pw', { secret: 5 }, ERR.type],
  ['cost 3.5', 'pw', { algorithm: 'bcrypt', cost: 3.5 }, ERR.range,
    'Expected integer between 4 and 31 for cost but received 3.5 of type number'],
  ['cost 32', 'pw', { algorithm: 'bcrypt', cost: 32 }, ERR.range,
    'Expected integer between 4 and 31 for cost but received 32 of type number'],
  ['cost 3', 'pw', { algorithm: 'bcrypt', cost: 3 }, ERR.range],
  ['memoryCost NaN', 'pw', { memoryCost: NaN }, ERR.range],
  ['memoryCost 4', 'pw', { memoryCost: 4 }, ERR.range],
  ['memoryCost below 8 × parallelism', 'pw', { memoryCost: 16, parallelism: 4 }, ERR.range],
  ['timeCost Infinity', 'pw', { timeCost: Infinity }, ERR.range],
  ['timeCost 0', 'pw', { timeCost: 0 }, ERR.range],
  ['parallelism -1', 'pw', { parallelism: -1 }, ERR.range],
  ['logN 1.5', 'pw', { algorithm: 'scrypt', logN: 1.5 }, ERR.range],
  ['r 0', 'pw', { algorithm: 'scrypt', r: 0 }, ERR.range],
  ['maxPasswordLength 0', 'pw', { maxPasswordLength: 0 }, ERR.range],
  ['algorithm "md5"', 'pw', { algorithm: 'md5' }, ERR.value],
  ['algorithm "ARGON2ID"', 'pw', { algorithm: 'ARGON2ID' }, ERR.value],
  ['unknown option "memorycost"', 'pw', { memorycost: 1024 }, ERR.value],
  ['bcrypt password with a NUL byte', 'a\0b', { algorithm: 'bcrypt', cost: 4 }, ERR.value],
  ['bcrypt Buffer password with a NUL byte', Buffer.from([0x61, 0, 0x62]), { algorithm: 'bcrypt', cost: 4 }, ERR.value],
  ['secret with bcrypt', 'pw', { algorithm: 'bcrypt', cost: 4, secret: 'pepper' }, ERR.value],
  ['associatedData with scrypt', 'pw', { ...CHEAP_SCRYPT, associatedData: 'ad' }, ERR.value],
  ['bcrypt 73 bytes', 'a'.repeat(73), { algorithm: 'bcrypt', cost: 4 }, ERR.tooLong],
  ['bcrypt 72 ASCII + 1 two-byte char', 'a'.repeat(71) + 'é', { algorithm: 'bcrypt', cost: 4 }, ERR.tooLong],
  ['4097 bytes', 'a'.repeat(4097), CHEAP_ARGON2, ERR.tooLong,
    'The password is 4097 bytes; the limit is 4096 (maxPasswordLength)'],
  ['4097 bytes as 1366 three-byte chars', '€'.repeat(1366), CHEAP_ARGON2, ERR.tooLong],
  ['over a custom maxPasswordLength', 'a'.repeat(11), { ...CHEAP_ARGON2, maxPasswordLength: 10 }, ERR.tooLong]
]

/** [label, hash, password, options, expected error] for verifyPassword / verifyPasswordSync. */
const VERIFY_ERRORS = [
  ['hash 5', 5, 'pw', undefined, ERR.type],
  ['hash undefined', undefined, 'pw', undefined, ERR.type],
  ['password {}', GARBAGE_BCRYPT, {}, undefined, ERR.type],
  ['options "x"', GARBAGE_BCRYPT, 'pw', 'x', ERR.type],
  ['maxCost 3.5', GARBAGE_BCRYPT, 'pw', { maxCost: 3.5 }, ERR.range],
  ['maxMemory -1', GARBAGE_BCRYPT, 'pw', { maxMemory: -1 }, ERR.range],
  ['hash option "cost" on verify', GARBAGE_BCRYPT, 'pw', { cost: 4 }, ERR.value],
  ['4097 bytes', GARBAGE_BCRYPT, 'a'.repeat(4097), undefined, ERR.tooLong],
  ['over a custom maxPasswordLength', GARBAGE_BCRYPT, 'abc', { maxPasswordLength: 2 }, ERR.tooLong],
  ['garbage', 'garbage', 'pw', undefined, ERR.hash],
  ['empty hash', '', 'pw', undefined, ERR.hash],
  ['$2z$ (no such bcrypt variant)', `$2z$${row('openwall-L289').expected_mcf.slice(4)}`, 'pw', undefined, ERR.hash],
  ['bcrypt cut short', GARBAGE_BCRYPT.slice(0, 59), 'pw', undefined, ERR.hash],
  ['argon2 without a hash', '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ', 'pw', undefined, ERR.hash],
  ['argon2 unknown version', '$argon2id$v=20$m=1024,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', 'pw', undefined, ERR.hash],
  ['argon2 m=1 GiB over the 256 MiB default limit', row('phc-testc-L161').expected_phc, pw(row('phc-testc-L161')), undefined, ERR.hash],
  ['argon2 v0x10 m=1 GiB', row('phc-testc-L82').expected_phc, pw(row('phc-testc-L82')), undefined, ERR.hash],
  ['argon2 t=33 over the default maxTimeCost 32', '$argon2id$v=19$m=1024,t=33,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', 'pw', undefined, ERR.hash],
  ['bcrypt cost 21 over the default maxCost 20', GARBAGE_BCRYPT.replace('$04$', '$21$'), 'pw', undefined, ERR.hash],
  ['scrypt 512 MiB over the 256 MiB default limit', '$scrypt$ln=19,r=8,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', 'pw', undefined, ERR.hash]
]

test('hashPassword rejects (never throws) with the exact code and class', async (t) => {
  for (const [label, password, options, expected, message] of HASH_ERRORS) {
    await rejects(t, () => ot.hashPassword(password, options), expected, { message, label })
  }
})

test('hashPasswordSync throws the same errors synchronously', (t) => {
  for (const [label, password, options, expected, message] of HASH_ERRORS) {
    throws(t, () => ot.hashPasswordSync(password, options), expected, { message, label })
  }
})

test('verifyPassword rejects (never throws) with the exact code and class', async (t) => {
  for (const [label, hash, password, options, expected] of VERIFY_ERRORS) {
    await rejects(t, () => ot.verifyPassword(hash, password, options), expected, { label })
  }
})

test('verifyPasswordSync throws the same errors synchronously', (t) => {
  for (const [label, hash, password, options, expected] of VERIFY_ERRORS) {
    throws(t, () => ot.verifyPasswordSync(hash, password, options), expected, { label })
  }
})

test('task options are validated on every async function: signal {} and executor "gpu"', async (t) => {
  const calls = [
    (o) => ot.hashPassword('pw', { ...CHEAP_ARGON2, ...o }),
    (o) => ot.verifyPassword(GARBAGE_BCRYPT, 'pw', o),
    (o) => ot.noop(o)
  ]
  for (const call of calls) {
    await rejects(t, () => call({ signal: {} }), ERR.type)
    await rejects(t, () => call({ signal: 'abort' }), ERR.type)
    await rejects(t, () => call({ executor: 'gpu' }), ERR.value)
    await rejects(t, () => call({ executor: 1 }), ERR.type)
  }
})

test('error messages never contain the password', async (t) => {
  const err = await rejects(t, () => ot.hashPassword(987654321), ERR.type)
  t.false(err.message.includes('987654321'))
  const long = await rejects(t, () => ot.hashPassword('hunter2'.repeat(20), CHEAP_BCRYPT), ERR.tooLong)
  t.false(long.message.includes('hunter2'))
})

// ---------------------------------------------------------------------------------------------
// bcrypt truncation, cost ceilings

test('bcrypt truncate: true hashes the first 72 bytes; the hash verifies with them and with the full password', async (t) => {
  const full = Buffer.from('0123456789'.repeat(10)) // 100 bytes
  const hash = await ot.hashPassword(full, { algorithm: 'bcrypt', cost: 4, truncate: true })
  t.true(await ot.verifyPassword(hash, full.subarray(0, 72)))
  t.true(await ot.verifyPassword(hash, full))
  t.true(await ot.verifyPassword(hash, Buffer.concat([full.subarray(0, 72), Buffer.from('anything')])))
  t.false(await ot.verifyPassword(hash, full.subarray(0, 71)))
  t.false(await ot.verifyPassword(hash, wrong(full.subarray(0, 72))))
  t.true(await nodeBcrypt.compare(full.toString(), hash))
  // truncate: false (the default) and a password of exactly 72 bytes are fine.
  const exact = await ot.hashPassword(full.subarray(0, 72), { algorithm: 'bcrypt', cost: 4, truncate: false })
  t.true(await ot.verifyPassword(exact, full))
})

test('maxPasswordLength can be raised for hashing and verifying', async (t) => {
  const big = 'a'.repeat(5000)
  await rejects(t, () => ot.hashPassword(big, CHEAP_ARGON2), ERR.tooLong)
  const hash = await ot.hashPassword(big, { ...CHEAP_ARGON2, maxPasswordLength: 5000 })
  await rejects(t, () => ot.verifyPassword(hash, big), ERR.tooLong)
  t.true(await ot.verifyPassword(hash, big, { maxPasswordLength: 5000 }))
})

test('cost ceilings: a hash over maxMemory / maxTimeCost / maxCost rejects ERR_INVALID_HASH; raising the limit accepts it', async (t) => {
  const argon = row('phc-testc-L91') // argon2i v0x10 m=256 KiB t=2
  await rejects(t, () => ot.verifyPassword(argon.expected_phc, pw(argon), { maxMemory: 255 * 1024 }), ERR.hash)
  t.true(await ot.verifyPassword(argon.expected_phc, pw(argon), { maxMemory: 256 * 1024 }))
  await rejects(t, () => ot.verifyPassword(argon.expected_phc, pw(argon), { maxTimeCost: 1 }), ERR.hash)
  t.true(await ot.verifyPassword(argon.expected_phc, pw(argon), { maxTimeCost: 2 }))

  const bcrypt = row('openwall-L279') // cost 5
  await rejects(t, () => ot.verifyPassword(bcrypt.expected_mcf, pw(bcrypt), { maxCost: 4 }), ERR.hash)
  t.true(await ot.verifyPassword(bcrypt.expected_mcf, pw(bcrypt), { maxCost: 5 }))

  const scrypt = await ot.hashPassword('pw', CHEAP_SCRYPT) // 128 × 8 × 2^10 = 1 MiB
  await rejects(t, () => ot.verifyPassword(scrypt, 'pw', { maxMemory: 1024 * 1024 - 1 }), ERR.hash)
  t.true(await ot.verifyPassword(scrypt, 'pw', { maxMemory: 1024 * 1024 }))
})

test.serial('cost ceilings: maxCost 21 lets a cost-21 bcrypt hash run (it is then aborted)', async (t) => {
  const hash = row('pyca-vec-L9').expected_mcf.replace('$04$', '$21$')
  await rejects(t, () => ot.verifyPassword(hash, 'x'), ERR.hash)
  const controller = new AbortController()
  const before = ot.stats().cancelled
  const promise = ot.verifyPassword(hash, 'x', { maxCost: 21, signal: controller.signal })
  // Wait until it runs (serial test: nothing else is on the pool), so it is past parsing.
  const started = Date.now()
  while (ot.stats().running === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 5))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.is(ot.stats().running, 1)
  controller.abort()
  await aborted(t, promise, controller.signal, 'aborted while running')
  t.is(ot.stats().cancelled, before + 1)
})

// ---------------------------------------------------------------------------------------------
// Sync variants and the libuv executor

test('sync variants interoperate with the async ones', async (t) => {
  for (const options of [CHEAP_ARGON2, CHEAP_BCRYPT, CHEAP_SCRYPT, { ...CHEAP_ARGON2, algorithm: 'argon2d', secret: 'k', associatedData: 'ad' }]) {
    const secret = options.secret
    const syncHash = ot.hashPasswordSync('pw', options)
    t.is(typeof syncHash, 'string')
    t.true(await ot.verifyPassword(syncHash, 'pw', { secret }))
    t.false(await ot.verifyPassword(syncHash, 'px', { secret }))
    const asyncHash = await ot.hashPassword('pw', options)
    t.is(ot.verifyPasswordSync(asyncHash, 'pw', { secret }), true)
    t.is(ot.verifyPasswordSync(asyncHash, 'px', { secret }), false)
    t.is(ot.verifyPasswordSync(syncHash, 'pw', { secret }), true)
  }
  const r = row('phc-kat-argon2id')
  const phc = `$argon2id$v=19$m=32,t=3,p=4$${b64(Buffer.from(r.salt_hex, 'hex'))}$${b64(Buffer.from(r.expected_hex, 'hex'))}`
  t.true(ot.verifyPasswordSync(phc, pw(r), { secret: Buffer.from(r.secret_hex, 'hex'), associatedData: Buffer.from(r.ad_hex, 'hex') }))
})

test('executor "libuv" gives the same results and errors as the pool', async (t) => {
  const libuv = { executor: 'libuv' }
  for (const options of [CHEAP_ARGON2, CHEAP_BCRYPT, CHEAP_SCRYPT]) {
    const hash = await ot.hashPassword('pw', { ...options, ...libuv })
    t.true(await ot.verifyPassword(hash, 'pw'))
    t.true(await ot.verifyPassword(hash, 'pw', libuv))
    t.false(await ot.verifyPassword(hash, 'px', libuv))
  }
  for (const r of [row('phc-testc-L241'), row('openwall-L303'), row('pyca-2y-L169')]) {
    const hash = r.expected_phc || r.expected_mcf
    t.true(await ot.verifyPassword(hash, pw(r), libuv), r.id)
    t.is(await ot.verifyPassword(hash, pw(r), libuv), await ot.verifyPassword(hash, pw(r)))
  }
  await rejects(t, () => ot.verifyPassword('garbage', 'pw', libuv), ERR.hash)
  await rejects(t, () => ot.hashPassword('a\0b', { ...CHEAP_BCRYPT, ...libuv }), ERR.value)
  await rejects(t, () => ot.hashPassword('a'.repeat(73), { ...CHEAP_BCRYPT, ...libuv }), ERR.tooLong)
  t.is(await ot.noop(libuv), undefined)
})
