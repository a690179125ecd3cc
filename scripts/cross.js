'use strict'
// Builds the release addon for one target of scripts/targets.js, from this Linux x64 machine:
// glibc targets with napi-rs's glibc 2.17 gcc toolchains (`napi build --use-napi-cross`), the others
// with cargo-zigbuild (zig's clang as C compiler and linker, with its musl, macOS and mingw-w64 stubs).
// The binary lands in the repository root as offthread.<name>.node, as `napi build --platform` names it.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const NAPI = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'napi.cmd' : 'napi')
// The generated loader is not used (lib/loader.js finds the binary); the raw binding's types are kept.
const NAPI_COMMON = ['--platform', '--release', '--no-js', '--dts', 'binding.d.ts']

/** Unpacks a glibc 2.17 toolchain where `napi build --use-napi-cross` looks for it; returns whether it is there. */
function ensureToolchain (target) {
  const { version } = require('@napi-rs/cross-toolchain/package.json')
  const dest = path.join(os.homedir(), '.napi-rs', 'cross-toolchain', version, target.triple)
  if (fs.existsSync(path.join(dest, 'package.json'))) return true
  // napi's own loader asks npm for a version of the toolchain package that was never published for
  // every target, so the known-good one (targets.js) is fetched here.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-toolchain-'))
  try {
    const out = execFileSync('npm', ['pack', target.toolchain, '--silent'], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').pop()
    execFileSync('tar', ['xzf', out], { cwd: tmp })
    fs.mkdirSync(dest, { recursive: true })
    execFileSync('tar', ['xJf', path.join(tmp, 'package', `${target.triple}.tar.xz`)], { cwd: dest })
    return fs.existsSync(path.join(dest, 'bin', `${target.triple}-gcc`))
  } catch (err) {
    console.warn(`offthread: could not fetch ${target.toolchain} (${err.message.split('\n')[0]})`)
    fs.rmSync(dest, { recursive: true, force: true })
    return false
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** The environment cargo-zigbuild needs for `target` beyond the default. */
function zigEnv (target) {
  const env = { ...process.env }
  const key = target.triple.toUpperCase().replace(/-/g, '_')
  if (target.minOs) {
    env.MACOSX_DEPLOYMENT_TARGET = target.minOs
    // The dylib's own name (LC_ID_DYLIB) would otherwise be this machine's build path.
    env[`CARGO_TARGET_${key}_RUSTFLAGS`] = '-C link-arg=-Wl,-install_name,@rpath/offthread.node'
  }
  // Rust's musl targets link the C runtime statically by default, which a shared library cannot:
  // the addon links musl's libc.so dynamically, as Node on Alpine does.
  if (target.libc === 'musl') env[`CARGO_TARGET_${key}_RUSTFLAGS`] = '-C target-feature=-crt-static'
  if (target.os === 'win32') {
    // napi-build insists on a libnode.dll to link against; the binding resolves Node-API in node.exe at
    // load time instead (napi's `dyn-symbols`, Cargo.toml), so an empty archive satisfies `-lnode`.
    const stub = path.join(ROOT, 'target', 'libnode-stub')
    fs.mkdirSync(stub, { recursive: true })
    fs.writeFileSync(path.join(stub, 'libnode.dll'), '')
    fs.writeFileSync(path.join(stub, 'libnode.a'), '!<arch>\n')
    env.LIBNODE_PATH = stub
  }
  return env
}

/** Where cargo leaves the shared library for `target`. */
function artifact (target) {
  const file = { darwin: 'liboffthread.dylib', win32: 'offthread.dll' }[target.os] ?? 'liboffthread.so'
  return path.join(ROOT, 'target', target.triple, 'release', file)
}

/** Builds `target`; returns the path of offthread.<name>.node. Throws when the build fails. */
function build (target, { stdio = 'inherit' } = {}) {
  const out = path.join(ROOT, `offthread.${target.name}.node`)
  if (target.via === 'napi-cross') {
    if (!ensureToolchain(target)) throw new Error(`no glibc 2.17 toolchain for ${target.triple}`)
    execFileSync(NAPI, ['build', ...NAPI_COMMON, '--use-napi-cross', '--target', target.triple], { cwd: ROOT, stdio })
  } else {
    const triple = target.glibc ? `${target.triple}.${target.glibc}` : target.triple
    execFileSync('cargo', ['zigbuild', '--release', '--target', triple, '-p', 'offthread'], { cwd: ROOT, stdio, env: zigEnv(target) })
    fs.copyFileSync(artifact(target), out)
  }
  return out
}

module.exports = { build, ensureToolchain, artifact, NAPI, NAPI_COMMON }
