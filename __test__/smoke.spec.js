'use strict'
// The cross-platform smoke suite (__test__/smoke/smoke.js), run on the host: its known answers hold
// here, where the full suite also checks them, before CI runs it under qemu (linux-arm64) and wine
// (win32-x64) through scripts/run-foreign.js.

const test = require('ava')
const { execFile } = require('node:child_process')
const path = require('node:path')

test('the smoke suite passes every check on the host', async (t) => {
  const out = await new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, 'smoke', 'smoke.js')], { timeout: 120000 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }))
  })
  t.is(out.code, 0, out.stdout + out.stderr)
  const lines = out.stdout.trim().split('\n')
  t.regex(lines.at(-1), /^PASSED: 8\/8 in \d+ ms$/)
  t.deepEqual(lines.slice(0, -1).map((l) => l.split(':')[0]), ['ok   platform', 'ok   passwords', 'ok   digests', 'ok   compression', 'ok   middleware', 'ok   images', 'ok   pool', 'ok   workerTerminated'])
})
