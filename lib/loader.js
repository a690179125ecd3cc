'use strict'
// Finds the native binary for this platform: a file built in the package's own folder (a source
// checkout, `npm run build`) first, then the `offthread-<platform>` package that npm installed as an
// optional dependency (npm installs only the one whose `os`, `cpu` and `libc` match). Which platforms
// exist is read from the main package's optionalDependencies (written by scripts/platforms.js).

const path = require('node:path')
const pkg = require('../package.json')

const PREFIX = `${pkg.name}-`
const SHIPPED = Object.keys(pkg.optionalDependencies ?? {})
  .filter((name) => name.startsWith(PREFIX))
  .map((name) => name.slice(PREFIX.length))

/** 'gnu' or 'musl': what this Linux process runs on (Node's report names the glibc it loaded, if any). */
function linuxLibc () {
  const { report } = process
  if (typeof report?.getReport !== 'function') return 'gnu'
  // The report would otherwise list network interfaces and resolve host names: slow on some machines.
  const exclude = report.excludeNetwork
  report.excludeNetwork = true
  try {
    return report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'
  } finally {
    report.excludeNetwork = exclude
  }
}

/** This process's platform as offthread names its packages: linux-x64-gnu, darwin-arm64, win32-x64, … */
function platformName () {
  const base = `${process.platform}-${process.arch}`
  return process.platform === 'linux' ? `${base}-${linuxLibc()}` : base
}

function noBinary (name, causes) {
  const err = new Error(
    `offthread has no native binary for ${name} (Node ${process.version}). ` +
    `Prebuilt binaries: ${SHIPPED.join(', ')}. ` +
    (SHIPPED.includes(name)
      ? `The package ${PREFIX}${name} was not installed or did not load: reinstall without --omit=optional ` +
        '(or --no-optional), and check that the lockfile was not written on another platform.'
      : 'To build one: install Rust (https://rustup.rs), clone the offthread repository, run ' +
        '`npm install` there (it builds the addon), then `npm pack` and install the tarball.'),
    { cause: causes.length === 1 ? causes[0] : new AggregateError(causes, 'every candidate failed to load') }
  )
  err.code = 'ERR_OFFTHREAD_NO_BINARY'
  return err
}

/** Loads the binding; throws ERR_OFFTHREAD_NO_BINARY (with every load error as its cause) when none fits. */
function load () {
  const name = platformName()
  const causes = []
  try {
    return require(path.join(__dirname, '..', `${pkg.name}.${name}.node`))
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') causes.push(err)
  }
  try {
    const installed = require(`${PREFIX}${name}/package.json`).version
    if (installed !== pkg.version) {
      const err = new Error(
        `${PREFIX}${name}@${installed} is installed beside offthread@${pkg.version}: their versions must match. ` +
        'Reinstall offthread so that npm fetches the matching binary.'
      )
      err.code = 'ERR_OFFTHREAD_BINARY_MISMATCH'
      throw err
    }
    return require(`${PREFIX}${name}`)
  } catch (err) {
    if (err.code === 'ERR_OFFTHREAD_BINARY_MISMATCH') throw err
    causes.push(err)
  }
  throw noBinary(name, causes)
}

module.exports = { load, platformName, SHIPPED }
