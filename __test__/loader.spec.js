'use strict'
// lib/loader.js (issue 16): the binary is found in the package's folder or in the matching
// offthread-<platform> package; a missing, mismatched or unsupported one gets a coded error that says
// what to do. Each case runs in a child process over a throw-away node_modules, so that the
// repository's own binary and the require cache stay out of it. Also: the platform packages are in
// step with scripts/targets.js and the main package's version (scripts/platforms.js).

const test = require('ava')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const TARGETS = require('../scripts/targets')
const { platformName, SHIPPED } = require('../lib/loader')
const platforms = require('../scripts/platforms')

const root = path.join(__dirname, '..')
const pkg = require('../package.json')
const HOST = platformName()

/** A node_modules with a copy of offthread's JS (no binary); returns the app folder. */
function app (t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-loader-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const main = path.join(dir, 'node_modules', 'offthread')
  fs.mkdirSync(main, { recursive: true })
  for (const f of ['index.js', 'package.json', 'lib']) fs.cpSync(path.join(root, f), path.join(main, f), { recursive: true })
  return dir
}

/** Adds the platform package `offthread-<name>` at `version`, with the repository's host binary. */
function addPlatform (dir, name, version) {
  const target = path.join(dir, 'node_modules', `offthread-${name}`)
  fs.mkdirSync(target, { recursive: true })
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'npm', name, 'package.json'), 'utf8'))
  fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify({ ...manifest, version }))
  fs.copyFileSync(path.join(root, `offthread.${name}.node`), path.join(target, `offthread.${name}.node`))
}

/** Requires offthread in `dir` (after `prelude`); returns what happened, as JSON. */
function load (dir, prelude = '') {
  const script = `${prelude}
try {
  const ot = require('offthread')
  console.log(JSON.stringify({ loaded: true, sha256: ot.digestSync('sha256', Buffer.from('abc')) }))
} catch (err) {
  console.log(JSON.stringify({ loaded: false, code: err.code, name: err.name, message: err.message, cause: err.cause && (err.cause.code ?? err.cause.name) }))
}`
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }))
}

test('the host is named as its platform package is, and every target is shipped', (t) => {
  t.is(HOST, `${process.platform}-${process.arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`)
  t.deepEqual(SHIPPED, TARGETS.map((target) => target.name))
})

test('the matching platform package is loaded when the package folder has no binary', (t) => {
  const dir = app(t)
  addPlatform(dir, HOST, pkg.version)
  t.deepEqual(load(dir), { loaded: true, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' })
})

test('no binary installed: ERR_OFFTHREAD_NO_BINARY says the optional package is missing', (t) => {
  const out = load(app(t))
  t.like(out, { loaded: false, code: 'ERR_OFFTHREAD_NO_BINARY', name: 'Error', cause: 'MODULE_NOT_FOUND' })
  t.true(out.message.startsWith(`offthread has no native binary for ${HOST} (Node ${process.version}). Prebuilt binaries: ${SHIPPED.join(', ')}.`), out.message)
  t.regex(out.message, new RegExp(`The package offthread-${HOST} was not installed or did not load: reinstall without --omit=optional`))
})

test('a platform nobody ships: ERR_OFFTHREAD_NO_BINARY says how to build one', (t) => {
  const out = load(app(t), "Object.defineProperty(process, 'arch', { value: 'riscv64' })")
  t.like(out, { loaded: false, code: 'ERR_OFFTHREAD_NO_BINARY' })
  t.regex(out.message, /^offthread has no native binary for linux-riscv64-(gnu|musl) /)
  t.regex(out.message, /To build one: install Rust/)
})

test('a platform package of another version: ERR_OFFTHREAD_BINARY_MISMATCH, not a stale binary', (t) => {
  const dir = app(t)
  addPlatform(dir, HOST, '0.0.1')
  const out = load(dir)
  t.like(out, { loaded: false, code: 'ERR_OFFTHREAD_BINARY_MISMATCH' })
  t.is(out.message, `offthread-${HOST}@0.0.1 is installed beside offthread@${pkg.version}: their versions must match. Reinstall offthread so that npm fetches the matching binary.`)
})

test('the platform packages are in step with scripts/targets.js and the main version', (t) => {
  t.deepEqual(platforms.check(), [])
  for (const target of TARGETS) {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'npm', target.name, 'package.json'), 'utf8'))
    t.like(manifest, { name: `offthread-${target.name}`, version: pkg.version, os: [target.os], cpu: [target.cpu], main: `offthread.${target.name}.node` })
    t.deepEqual(manifest.libc, target.libc ? [target.libc] : undefined)
    t.is(pkg.optionalDependencies[`offthread-${target.name}`], pkg.version)
  }
})
