'use strict'
// `npm run build` (and `prepare`): the release addon for this machine. On Linux x64 it links against
// glibc 2.17 with napi-rs's cross toolchain, so the binary loads on Amazon Linux 2, RHEL 8 and
// Ubuntu 20.04 as the peers' binaries do; anywhere else, or with OFFTHREAD_HOST_BUILD=1, or when the
// toolchain cannot be fetched, it builds for the host. `npm run build:all` builds every platform.

const { execFileSync } = require('node:child_process')
const path = require('node:path')
const TARGETS = require('./targets')
const { build, ensureToolchain, NAPI, NAPI_COMMON } = require('./cross')

const ROOT = path.join(__dirname, '..')
const gnu = TARGETS.find((t) => t.name === 'linux-x64-gnu')

if (process.platform === 'linux' && process.arch === 'x64' && process.env.OFFTHREAD_HOST_BUILD !== '1' && ensureToolchain(gnu)) {
  build(gnu)
} else {
  execFileSync(NAPI, ['build', ...NAPI_COMMON], { cwd: ROOT, stdio: 'inherit' })
}
