// A consumer's install: pack the built package without scripts, install the tarball into a fresh
// app with npm's defaults (dependency install scripts blocked), then require and import it.
const test = require('ava')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function run (cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } })
}

test('the packed tarball installs without scripts and loads from CJS and ESM', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-consumer-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const packed = JSON.parse(run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root))
  const files = packed[0].files.map((f) => f.path)
  t.true(files.includes('offthread.linux-x64-gnu.node'), 'the tarball carries the built binary')
  t.true(files.includes('index.d.ts') && files.includes('binding.js'))
  t.true(files.includes('LICENSE') && files.includes('THIRD_PARTY_NOTICES.md'), 'licence notices ship with the binary')
  t.false(files.some((f) => f.startsWith('src/') || f.startsWith('crates/') || f.startsWith('__test__/')))

  const app = path.join(dir, 'app')
  fs.mkdirSync(app)
  run(npm, ['init', '-y'], app)
  run(npm, ['install', '--no-audit', '--no-fund', path.join(dir, packed[0].filename)], app)

  fs.writeFileSync(path.join(app, 'cjs.js'), `
    const { hashPassword, verifyPassword, stats } = require('offthread')
    hashPassword('pw', { algorithm: 'bcrypt', cost: 4 })
      .then((h) => verifyPassword(h, 'pw').then((ok) => console.log(JSON.stringify({ prefix: h.slice(0, 7), ok, threads: stats().threads }))))
  `)
  fs.writeFileSync(path.join(app, 'esm.mjs'), `
    import { hashPassword, needsRehash } from 'offthread'
    import * as all from 'offthread'
    const h = await hashPassword('pw', { memoryCost: 1024, timeCost: 1 })
    console.log(JSON.stringify({ prefix: h.slice(0, 10), rehash: needsRehash(h), named: typeof all.verifyPassword }))
  `)
  const cjs = JSON.parse(run(process.execPath, ['cjs.js'], app))
  t.deepEqual(cjs.prefix, '$2b$04$')
  t.true(cjs.ok)
  t.true(cjs.threads >= 1)
  const esm = JSON.parse(run(process.execPath, ['esm.mjs'], app))
  t.deepEqual(esm, { prefix: '$argon2id$', rehash: true, named: 'function' })
})
