'use strict'
// Install size per platform, offthread against sharp (issue 16): what `npm install` downloads and
// unpacks on each platform. offthread: the main package plus its one platform package (staged in
// npm/<name>/ by `npm run build:all`); sharp: sharp plus its two platform packages (@img/sharp-<p> and
// @img/sharp-libvips-<p>) and its dependencies' sizes left out (both have small JS dependencies).
// Tarballs come from `npm pack` (the registry for sharp). Prints a markdown table.
//
//   node bench/install-size.js

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const TARGETS = require('../scripts/targets')

const ROOT = path.join(__dirname, '..')

const SHARP_MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'sharp', 'package.json'), 'utf8'))
const SHARP = SHARP_MANIFEST.version
// sharp's name for each of offthread's platforms, and its libvips package version.
const SHARP_NAMES = { 'linux-x64-gnu': 'linux-x64', 'linux-arm64-gnu': 'linux-arm64', 'linux-x64-musl': 'linuxmusl-x64', 'linux-arm64-musl': 'linuxmusl-arm64', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64' }
const LIBVIPS = SHARP_MANIFEST.optionalDependencies['@img/sharp-libvips-linux-x64']

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-size-'))
const mib = (n) => (n / 2 ** 20).toFixed(1)

/** npm pack of `spec` (a registry spec or a folder): { packed, unpacked } bytes. */
function pack (spec, cwd = tmp) {
  const [info] = JSON.parse(execFileSync('npm', ['pack', spec, '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))
  return { packed: info.size, unpacked: info.unpackedSize }
}
const sum = (parts) => parts.reduce((a, b) => ({ packed: a.packed + b.packed, unpacked: a.unpacked + b.unpacked }), { packed: 0, unpacked: 0 })

try {
  const main = pack(ROOT)
  const sharpMain = pack(`sharp@${SHARP}`)
  console.log(`| platform | offthread download | offthread installed | sharp ${SHARP} download | sharp installed |`)
  console.log('|---|---|---|---|---|')
  for (const t of TARGETS) {
    const staged = path.join(ROOT, 'npm', t.name)
    if (!fs.existsSync(path.join(staged, `offthread.${t.name}.node`))) {
      console.log(`| ${t.name} | not built | | | |`)
      continue
    }
    const ours = sum([main, pack(staged)])
    const s = SHARP_NAMES[t.name]
    const parts = [sharpMain, pack(`@img/sharp-${s}@${SHARP}`)]
    // sharp's Windows package carries libvips itself; the others depend on a separate libvips package.
    if (!t.name.startsWith('win32')) parts.push(pack(`@img/sharp-libvips-${s}@${LIBVIPS}`))
    const theirs = sum(parts)
    console.log(`| ${t.name} | ${mib(ours.packed)} MiB | ${mib(ours.unpacked)} MiB | ${mib(theirs.packed)} MiB | ${mib(theirs.unpacked)} MiB |`)
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true })
}
