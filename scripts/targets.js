'use strict'
// The platforms offthread ships a binary for: one entry per `npm/<name>` package. Everything else is
// derived from this list by scripts/platforms.js (the packages' manifests, the main package's
// optionalDependencies) and read by scripts/build-all.js (how each is built) and
// scripts/check-binary.js (what each must look like).
//
// `via`: 'napi-cross' links against glibc 2.17 with napi-rs's prebuilt gcc toolchain (the package
// named in `toolchain`); 'zig' cross-compiles with cargo-zigbuild (zig's clang and its libc/SDK stubs),
// against the glibc version in `glibc` where one is given. arm64 glibc is built by zig: the napi-rs
// aarch64 toolchain's gcc 4.8 lacks the NEON intrinsics libwebp's encoder uses (vdup_laneq_u8).
// `minOs`: the oldest macOS the binary declares (LC_BUILD_VERSION minos): Node 20's own darwin-x64
// binary declares 10.15, and arm64 Macs start at 11.0.

module.exports = [
  { name: 'linux-x64-gnu', triple: 'x86_64-unknown-linux-gnu', os: 'linux', cpu: 'x64', libc: 'glibc', via: 'napi-cross', toolchain: '@napi-rs/cross-toolchain-x64-target-x86_64@1.0.0' },
  { name: 'linux-arm64-gnu', triple: 'aarch64-unknown-linux-gnu', os: 'linux', cpu: 'arm64', libc: 'glibc', via: 'zig', glibc: '2.17' },
  { name: 'linux-x64-musl', triple: 'x86_64-unknown-linux-musl', os: 'linux', cpu: 'x64', libc: 'musl', via: 'zig' },
  { name: 'linux-arm64-musl', triple: 'aarch64-unknown-linux-musl', os: 'linux', cpu: 'arm64', libc: 'musl', via: 'zig' },
  { name: 'darwin-x64', triple: 'x86_64-apple-darwin', os: 'darwin', cpu: 'x64', via: 'zig', minOs: '10.15' },
  { name: 'darwin-arm64', triple: 'aarch64-apple-darwin', os: 'darwin', cpu: 'arm64', via: 'zig', minOs: '11.0' },
  { name: 'win32-x64', triple: 'x86_64-pc-windows-gnu', os: 'win32', cpu: 'x64', via: 'zig' }
]
