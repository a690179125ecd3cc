'use strict'
// Loads the compiled addon through the generated loader, with one readable error when no
// binary fits this platform.

const SHIPPED = ['linux-x64-gnu']

function platformName () {
  let abi = ''
  if (process.platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    abi = report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl'
  }
  return `${process.platform}-${process.arch}${abi}`
}

function load () {
  try {
    return require('../binding.js')
  } catch (cause) {
    const err = new Error(
      `offthread has no native binary for ${platformName()} (Node ${process.version}). ` +
      `Prebuilt binaries: ${SHIPPED.join(', ')}. ` +
      'To build one: install Rust (https://rustup.rs), clone the offthread repository, run ' +
      '`npm install` there (it builds the addon), then `npm pack` and install the tarball.',
      { cause }
    )
    err.code = 'ERR_OFFTHREAD_NO_BINARY'
    throw err
  }
}

module.exports = load()
module.exports.SHIPPED_PLATFORMS = SHIPPED
