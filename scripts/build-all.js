'use strict'
// `npm run build:all [-- name ...]`: the release addon for every platform of scripts/targets.js (or the
// named ones), cross-built on Linux x64, each then checked by scripts/check-binary.js and staged in
// npm/<name>/ with the licence files, ready for `npm pack`/`npm publish` there. Needs zig and
// cargo-zigbuild (`pip install ziglang cargo-zigbuild`) and `rustup target add` of each triple.
// Prints how long each took and the binary's size.

const fs = require('node:fs')
const path = require('node:path')
const TARGETS = require('./targets')
const { build } = require('./cross')
const { checkBinary } = require('./check-binary')

const ROOT = path.join(__dirname, '..')
const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !TARGETS.some((t) => t.name === name))
if (unknown.length) {
  console.error(`unknown target(s): ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`)
  process.exit(2)
}

const rows = []
let failed = false
for (const target of TARGETS.filter((t) => wanted.length === 0 || wanted.includes(t.name))) {
  const started = Date.now()
  console.log(`\n== ${target.name} (${target.triple}, ${target.via})`)
  const file = build(target)
  const problems = checkBinary(target, file)
  for (const p of problems) console.error(`FAIL ${target.name}: ${p}`)
  failed ||= problems.length > 0
  const dir = path.join(ROOT, 'npm', target.name)
  fs.copyFileSync(file, path.join(dir, path.basename(file)))
  for (const doc of ['LICENSE', 'THIRD_PARTY_NOTICES.md']) fs.copyFileSync(path.join(ROOT, doc), path.join(dir, doc))
  rows.push({ target: target.name, seconds: Math.round((Date.now() - started) / 1000), MiB: +(fs.statSync(file).size / 2 ** 20).toFixed(1), checks: problems.length ? 'FAIL' : 'ok' })
}
console.table(rows)
if (failed) process.exit(1)
