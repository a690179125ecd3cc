'use strict'
// Loads the linux-x64-musl binary under musl's own dynamic linker (Debian's `musl` and `musl-tools`),
// as Node on Alpine would: a small musl C program exports a stand-in for every Node-API function the
// binary imports, then dlopen()s it with RTLD_NOW, so every other symbol must resolve in musl's libc
// and every constructor runs; it then finds napi_register_module_v1. No Node for musl comes from
// npm, so this is what can run here (the release workflow runs the smoke suite on Alpine).
//
//   node scripts/musl-load.js [file]   (default offthread.linux-x64-musl.node)

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const file = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'offthread.linux-x64-musl.node'))
const napi = execFileSync('llvm-nm', ['-D', '--undefined-only', file], { encoding: 'utf8' })
  .split('\n').map((l) => l.trim().split(/\s+/)).filter(([type, name]) => type === 'U' && /^napi_\w+$/.test(name)).map(([, name]) => name)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-musl-'))
try {
  const src = path.join(dir, 'host.c')
  fs.writeFileSync(src, [
    '#include <dlfcn.h>',
    '#include <stdio.h>',
    // Never called: the binary only needs the names to bind to. Each returns napi_generic_failure.
    ...napi.map((name) => `int ${name}(void) { return 9; }`),
    'int main(int argc, char **argv) {',
    '  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);',
    '  if (!lib) { printf("dlopen failed: %s\\n", dlerror()); return 1; }',
    '  if (!dlsym(lib, "napi_register_module_v1")) { printf("no napi_register_module_v1\\n"); return 1; }',
    '  printf("loaded under musl: every symbol resolved, napi_register_module_v1 found\\n");',
    '  return 0;',
    '}', ''
  ].join('\n'))
  const host = path.join(dir, 'host')
  execFileSync('musl-gcc', ['-O1', '-rdynamic', '-o', host, src, '-ldl'], { stdio: 'inherit' })
  const interp = execFileSync('llvm-readelf', ['--program-headers', host], { encoding: 'utf8' })
  if (!interp.includes('ld-musl-x86_64.so.1')) throw new Error('the host program is not a musl program')
  process.stdout.write(execFileSync(host, [file], { encoding: 'utf8' }))
  console.log(`(${napi.length} Node-API functions stood in)`)
} catch (err) {
  console.error(`FAIL linux-x64-musl: ${err.stdout ?? ''}${err.message}`)
  process.exitCode = 1
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
