'use strict'
// Keeps the platform packages in step with the main package, from scripts/targets.js:
//
//   node scripts/platforms.js sync            writes npm/<name>/{package.json,README.md}, the main
//                                             package's optionalDependencies (one per platform, exact version)
//                                             and napi.targets
//                                             and the Rust crates' versions (Cargo.toml, Cargo.lock)
//   node scripts/platforms.js check           exits 1, naming each difference, if anything is out of step
//   node scripts/platforms.js version 1.2.3   sets the version of the main package, every platform
//                                             package and the Rust crates, then syncs
//
// `npm version <x>` runs `sync` through the package's "version" script, so the tag it makes has them in step.

const fs = require('node:fs')
const path = require('node:path')
const TARGETS = require('./targets')

const ROOT = path.join(__dirname, '..')
const MAIN = path.join(ROOT, 'package.json')
const CRATES = [path.join(ROOT, 'Cargo.toml'), path.join(ROOT, 'crates', 'core', 'Cargo.toml')]
const LOCK = path.join(ROOT, 'Cargo.lock')
const CRATE_NAMES = ['offthread', 'offthread-core']

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'))
const json = (value) => `${JSON.stringify(value, null, 2)}\n`

/** Every file the platform list determines, with the text it must have. */
function expected (main) {
  const files = new Map()
  for (const t of TARGETS) {
    const dir = path.join(ROOT, 'npm', t.name)
    const binary = `${main.name}.${t.name}.node`
    const manifest = {
      name: `${main.name}-${t.name}`,
      version: main.version,
      description: `${main.name}'s native binary for ${t.triple}`,
      os: [t.os],
      cpu: [t.cpu],
      ...(t.libc ? { libc: [t.libc] } : {}),
      main: binary,
      files: [binary, 'LICENSE', 'THIRD_PARTY_NOTICES.md'],
      license: main.license,
      engines: main.engines,
      repository: main.repository
    }
    files.set(path.join(dir, 'package.json'), json(manifest))
    files.set(path.join(dir, 'README.md'),
      `# ${manifest.name}\n\nThe \`${t.triple}\` binary of [${main.name}](https://www.npmjs.com/package/${main.name}). ` +
      `npm installs it as an optional dependency of ${main.name} on ${t.name}; do not depend on it directly.\n`)
  }
  const optional = Object.fromEntries(TARGETS.map((t) => [`${main.name}-${t.name}`, main.version]))
  files.set(MAIN, json({ ...main, napi: { ...main.napi, targets: TARGETS.map((t) => t.triple) }, optionalDependencies: optional }))
  for (const file of CRATES) {
    files.set(file, fs.readFileSync(file, 'utf8').replace(/^version = "[^"]+"/m, `version = "${main.version}"`))
  }
  let lock = fs.readFileSync(LOCK, 'utf8')
  for (const name of CRATE_NAMES) {
    lock = lock.replace(new RegExp(`(\\[\\[package\\]\\]\\nname = "${name}"\\nversion = )"[^"]+"`), `$1"${main.version}"`)
  }
  files.set(LOCK, lock)
  return files
}

function sync () {
  const files = expected(readJson(MAIN))
  const names = new Set(TARGETS.map((t) => t.name))
  for (const dir of fs.readdirSync(path.join(ROOT, 'npm'))) {
    if (!names.has(dir)) fs.rmSync(path.join(ROOT, 'npm', dir), { recursive: true })
  }
  for (const [file, text] of files) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
  }
}

/** Returns the differences, as lines; empty when in step. */
function check () {
  const main = readJson(MAIN)
  const out = []
  for (const [file, text] of expected(main)) {
    const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null
    if (have !== text) out.push(`${path.relative(ROOT, file)} ${have === null ? 'is missing' : 'differs'}`)
  }
  const names = new Set(TARGETS.map((t) => t.name))
  for (const dir of fs.readdirSync(path.join(ROOT, 'npm'))) {
    if (!names.has(dir)) out.push(`npm/${dir} is not a target in scripts/targets.js`)
  }
  return out
}

function setVersion (version) {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version ?? '')) throw new Error(`not a semver version: ${version}`)
  const main = readJson(MAIN)
  fs.writeFileSync(MAIN, json({ ...main, version }))
  sync()
}

if (require.main === module) {
  const [command, arg] = process.argv.slice(2)
  if (command === 'sync') sync()
  else if (command === 'version') setVersion(arg)
  else if (command === 'check') {
    const diff = check()
    for (const line of diff) console.error(line)
    if (diff.length) {
      console.error('out of step: run `node scripts/platforms.js sync`')
      process.exit(1)
    }
  } else {
    console.error('usage: node scripts/platforms.js sync | check | version <x.y.z>')
    process.exit(2)
  }
}

module.exports = { check, sync, expected }
