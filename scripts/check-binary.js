'use strict'
// Static checks of a built binary against its target (scripts/targets.js), with LLVM's binutils
// (Debian's `llvm` package): the file format and architecture, the exported Node-API entry point,
// that every symbol it needs comes from Node-API or the platform's C library, the oldest OS it
// declares, and that libjpeg-turbo's SIMD code is in it.
//
//   node scripts/check-binary.js <name> [file]   (file defaults to offthread.<name>.node)

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const TARGETS = require('./targets')

const ROOT = path.join(__dirname, '..')
const tool = (name, args) => execFileSync(name, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] })
const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean)
const versionAbove = (a, b) => a.localeCompare(b, 'en', { numeric: true }) > 0

// libjpeg-turbo's SIMD kernels are named for their instruction set: nasm's AVX2 code on x64, NEON on arm64.
const SIMD = { x64: 'jsimd_idct_islow_avx2', arm64: 'jsimd_idct_islow_neon' }
// What an ELF binary may load: the C library (and, for glibc, its split-off parts and the loader).
const ELF_NEEDED = {
  glibc: /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libgcc_s\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$/,
  musl: /^libc\.so$/
}
// The macOS system libraries (all in the dyld shared cache of every macOS since 10.15).
const MACHO_DYLIBS = /^\/usr\/lib\/(libSystem\.B|libiconv\.2|libcharset\.1)\.dylib$/
// Windows system DLLs (Windows 10+: Node 20's floor); never node.exe or libnode.dll (Node-API is looked up at load time).
const PE_DLLS = /^(kernel32|ntdll|bcryptprimitives|advapi32|userenv|ws2_32|api-ms-win-[a-z0-9-]+)\.dll$/i

function checkElf (target, file, problems) {
  const header = tool('llvm-readelf', ['--file-header', file])
  const machine = { x64: 'X86-64', arm64: 'AArch64' }[target.cpu]
  if (!header.includes(machine)) problems.push(`not an ${machine} ELF file`)
  const dynamic = tool('llvm-readelf', ['--dynamic-table', file])
  for (const [, lib] of dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) {
    if (!ELF_NEEDED[target.libc].test(lib)) problems.push(`needs ${lib}, not part of ${target.libc}`)
  }
  // Weak references (w/v: zstd's tracing hooks, glibc's __cxa_thread_atexit_impl) may stay unresolved.
  const undefinedSyms = lines(tool('llvm-nm', ['-D', '--undefined-only', file]))
    .map((l) => l.split(/\s+/)).filter(([type]) => type === 'U').map((f) => f.pop())
  const versions = undefinedSyms.map((s) => /@GLIBC_([0-9.]+)/.exec(s)?.[1]).filter(Boolean)
  if (target.libc === 'musl' && versions.length) problems.push(`${versions.length} glibc-versioned symbols in a musl binary`)
  if (target.libc === 'glibc') {
    const max = versions.reduce((a, b) => (versionAbove(b, a) ? b : a), '0')
    if (versionAbove(max, '2.17')) problems.push(`needs GLIBC_${max}, above the 2.17 floor`)
    const loose = undefinedSyms.filter((s) => !s.includes('@') && !s.startsWith('napi_') && !/^(__gmon_start__|_ITM_\w+|__cxa_finalize)$/.test(s))
    if (loose.length) problems.push(`undefined symbols from neither Node-API nor glibc: ${loose.slice(0, 5).join(', ')}`)
  }
  return lines(tool('llvm-nm', ['-D', '--defined-only', file])).map((l) => l.split(/\s+/).pop())
}

function checkMachO (target, file, problems) {
  const header = tool('llvm-readobj', ['--file-headers', file])
  const cpu = { x64: 'CpuType: X86-64 (0x1000007)', arm64: 'CpuType: Arm64 (0x100000C)' }[target.cpu]
  if (!header.includes(cpu)) problems.push(`not a ${target.cpu} Mach-O file (wants ${cpu})`)
  const loads = tool('llvm-objdump', ['--macho', '--private-headers', file])
  const minos = /LC_BUILD_VERSION[\s\S]*?minos (\S+)/.exec(loads)?.[1] ?? /LC_VERSION_MIN_MACOSX[\s\S]*?version (\S+)/.exec(loads)?.[1]
  if (!minos) problems.push('declares no minimum macOS version')
  else if (versionAbove(minos, target.minOs)) problems.push(`requires macOS ${minos}, above ${target.minOs} (Node 20's floor for ${target.cpu})`)
  const id = /LC_ID_DYLIB[\s\S]*?name (\S+)/.exec(loads)?.[1]
  if (id !== '@rpath/offthread.node') problems.push(`its install name is ${id}, not @rpath/offthread.node`)
  for (const lib of lines(tool('llvm-objdump', ['--macho', '--dylibs-used', file])).slice(1)) {
    const name = lib.split(' (')[0]
    if (!MACHO_DYLIBS.test(name) && name !== id) problems.push(`links ${name}, not a macOS system library`)
  }
  // Each undefined symbol names where it binds: a system library, or "dynamically looked up" (Node-API in node).
  for (const line of lines(tool('llvm-nm', ['-m', '--undefined-only', file]))) {
    const name = line.split(/\s+/).find((w) => w.startsWith('_'))
    const from = /\((?:from )?([^)]+)\)\s*$/.exec(line)?.[1]
    const ok = /^_napi_/.test(name) || /^(libSystem|libiconv|libcharset)$/.test(from)
    if (!ok) problems.push(`undefined ${name} (${from}) is neither Node-API nor libSystem`)
  }
  return lines(tool('llvm-nm', ['-gU', file])).map((l) => l.split(/\s+/).pop().replace(/^_/, ''))
}

function checkPe (target, file, problems) {
  const header = tool('llvm-readobj', ['--file-headers', file])
  if (!header.includes('IMAGE_FILE_MACHINE_AMD64')) problems.push('not an x64 PE file')
  const dump = tool('llvm-objdump', ['-p', file])
  for (const [, dll] of dump.matchAll(/DLL Name: (\S+)/g)) {
    if (!PE_DLLS.test(dll)) problems.push(`imports ${dll}, not a Windows system DLL`)
  }
  const table = dump.slice(dump.indexOf('Export Table:'))
  return [...table.matchAll(/^\s+\d+\s+0x[0-9a-f]+\s+(\S+)$/gm)].map((m) => m[1])
}

/**
 * libjpeg-turbo's SIMD: its kernels were compiled for this target (mozjpeg-sys's static archives in
 * the target's build folder define them) and, where the binary keeps symbol names (Mach-O, the gcc
 * ELF, the PE export table; zig strips ELF symbol tables), they are in the binary.
 */
function checkSimd (target, file) {
  const symbol = SIMD[target.cpu]
  const build = path.join(ROOT, 'target', target.triple, 'release', 'build')
  const archives = fs.existsSync(build)
    ? fs.readdirSync(build).filter((d) => d.startsWith('mozjpeg-sys-'))
      .flatMap((d) => { const out = path.join(build, d, 'out'); return fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.endsWith('.a')).map((f) => path.join(out, f)) : [] })
    : []
  const newest = archives.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs).slice(0, 2)
  const compiled = newest.some((a) => lines(tool('llvm-nm', ['--defined-only', a])).some((l) => l.endsWith(` ${symbol}`) || l.endsWith(` _${symbol}`)))
  if (!compiled) return [`libjpeg-turbo's SIMD (${symbol}) was not compiled for ${target.triple} (looked in ${newest.map((a) => path.relative(ROOT, a)).join(', ') || 'no archive'})`]
  const bytes = fs.readFileSync(file)
  const named = lines(tool('llvm-nm', [file])).length > 0 || target.os === 'win32'
  if (named && !bytes.includes(symbol)) return [`libjpeg-turbo's SIMD (${symbol}) was compiled but is not in the binary`]
  return []
}

/** Returns the list of problems found in `file` for `target` (empty when it passes). */
function checkBinary (target, file) {
  const problems = []
  const magic = fs.readFileSync(file).subarray(0, 4)
  let exported
  if (target.os === 'darwin') {
    if (magic.readUInt32LE(0) !== 0xfeedfacf) return [`not a 64-bit Mach-O file (magic ${magic.toString('hex')})`]
    exported = checkMachO(target, file, problems)
  } else if (target.os === 'win32') {
    if (magic.subarray(0, 2).toString() !== 'MZ') return [`not a PE file (magic ${magic.toString('hex')})`]
    exported = checkPe(target, file, problems)
  } else {
    if (magic.toString('latin1') !== '\x7fELF') return [`not an ELF file (magic ${magic.toString('hex')})`]
    exported = checkElf(target, file, problems)
  }
  if (!exported.includes('napi_register_module_v1')) problems.push('does not export napi_register_module_v1')
  problems.push(...checkSimd(target, file))
  return problems
}

if (require.main === module) {
  const [name, file] = process.argv.slice(2)
  const target = TARGETS.find((t) => t.name === name)
  if (!target) {
    console.error(`usage: node scripts/check-binary.js <${TARGETS.map((t) => t.name).join('|')}> [file]`)
    process.exit(2)
  }
  const problems = checkBinary(target, file ?? path.join(ROOT, `offthread.${name}.node`))
  for (const p of problems) console.error(`FAIL ${name}: ${p}`)
  if (problems.length) process.exit(1)
  console.log(`${name}: ok`)
}

module.exports = { checkBinary }
