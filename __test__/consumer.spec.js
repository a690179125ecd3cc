// A consumer's install (issue #5, item 5; issue 16): pack the main package and this platform's binary package, install both tarballs and
// express into a fresh app with npm's defaults, then run a CJS file and an ESM file that use every area
// (passwords, digest/hmac, compress/decompress, the image pipeline, the compression() middleware under
// express) and type-check a TypeScript file that uses the types of every area with `tsc --noEmit --strict`.
// Results are compared with node:crypto, node:zlib and the fixture's known size, not only "did not throw".
const test = require('ava')
const { execFileSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')
const { platformName } = require('../lib/loader')

const root = path.join(__dirname, '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const PHOTO = path.join(__dirname, 'fixtures', 'images', 'jpeg', 'ljt-testorig.jpg') // 227 × 149 baseline JPEG

function run (cmd, args, cwd, timeout = 120000, env = {}) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error', ...env } })
}

/** Runs a command expected to fail; returns its exit status and output. */
function runFailing (cmd, args, cwd) {
  try {
    run(cmd, args, cwd)
    return { status: 0, output: '' }
  } catch (err) {
    return { status: err.status, output: `${err.stdout}${err.stderr}` }
  }
}

// What both the CJS and the ESM file compute, from the same inputs (`api` is the offthread module).
const SHARED = `
const TEXT = 'offthread consumer '.repeat(400)
async function exercise (api, photo) {
  const { hashPassword, verifyPassword, needsRehash, digest, digestSync, hmac, compress, decompress, decompressSync, image, stats } = api
  const hash = await hashPassword('pw', { algorithm: 'bcrypt', cost: 4 })
  const out = {
    bcrypt: hash.slice(0, 7),
    verified: await verifyPassword(hash, 'pw'),
    wrong: await verifyPassword(hash, 'pW'),
    rehash: needsRehash(hash),
    sha256: await digest('sha256', TEXT),
    sha256Sync: digestSync('sha256', Buffer.from(TEXT)),
    blake3: (await digest('blake3', TEXT, { encoding: 'buffer' })).length,
    hmac: await hmac('sha256', 'key', TEXT, { encoding: 'base64' }),
    threads: stats().threads
  }
  for (const format of ['gzip', 'brotli', 'zstd']) {
    const packed = await compress(TEXT, { format })
    out[format] = { packed: packed.toString('base64'), back: (await decompress(packed, { format })).toString() === TEXT }
  }
  out.decompressSync = decompressSync(require('node:zlib').gzipSync(TEXT)).toString() === TEXT
  const { data, info } = await image(photo).resize(32).png().toBuffer({ resolveWithObject: true })
  out.image = { info, signature: data.subarray(0, 8).toString('hex') }
  out.metadata = await image(photo).metadata()
  out.thumbhash = await image(photo).thumbhash()
  try {
    image(photo).resize(-1)
  } catch (err) {
    out.badResize = [err.code, err.constructor.name]
  }
  out.aborted = await image(photo).toBuffer({ signal: AbortSignal.abort() }).then(() => 'resolved', (err) => [err.code, err.constructor.name, err instanceof api.AbortError])
  return out
}
`

const CJS = `'use strict'
const http = require('node:http')
const zlib = require('node:zlib')
const express = require('express')
const offthread = require('offthread')
${SHARED}
/** GET url with Accept-Encoding; resolves { status, headers, body (decoded) }. */
function get (port, route, acceptEncoding) {
  return new Promise((resolve, reject) => {
    http.get({ port, path: route, headers: { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const raw = Buffer.concat(chunks)
        const enc = res.headers['content-encoding']
        const body = enc === 'gzip' ? zlib.gunzipSync(raw) : enc === 'br' ? zlib.brotliDecompressSync(raw) : raw
        resolve({ status: res.statusCode, encoding: enc || null, vary: res.headers.vary || null, length: raw.length, body: body.toString() })
      })
    }).on('error', reject)
  })
}

async function main () {
  const out = await exercise(offthread, require('node:fs').readFileSync('photo.jpg'))
  const app = express()
  app.use(offthread.compression({ encodings: ['br', 'gzip'] }))
  app.get('/text', (req, res) => res.type('text/plain').send(TEXT))
  app.get('/tiny', (req, res) => res.type('text/plain').send('tiny'))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address()
  out.http = {
    gzip: await get(port, '/text', 'gzip'),
    br: await get(port, '/text', 'gzip, br'),
    identity: await get(port, '/text', 'identity'),
    tiny: await get(port, '/tiny', 'gzip')
  }
  for (const r of Object.values(out.http)) r.body = r.body === TEXT ? 'TEXT' : r.body
  server.close()
  console.log(JSON.stringify(out))
}
main().catch((err) => { console.error(err); process.exit(1) })
`

const ESM = `
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as all from 'offthread'
import offthread, { hashPassword, image, compression, AbortError } from 'offthread'
const require = createRequire(import.meta.url)
${SHARED}
const out = await exercise(all, readFileSync('photo.jpg'))
out.named = [typeof hashPassword, typeof image, typeof compression, typeof compression.filter, new AbortError().code]
out.defaultIsCjs = offthread === require('offthread') && offthread.image === image
console.log(JSON.stringify(out))
`

// Every area's types, in strict mode. The @ts-expect-error lines fail the compile if offthread's types went
// missing (everything would be \`any\`) or grew too loose.
const TS = `
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import {
  hashPassword, verifyPassword, hashPasswordSync, needsRehash, configure, stats, close, noop, AbortError,
  digest, digestSync, hmac, hashFile, compress, decompress, compressSync, createCompress, createDecompress, compression,
  image, imageDefaults,
  type HashOptions, type VerifyOptions, type PoolStats, type ErrorCode, type CompressionOptions,
  type Image, type Metadata, type OutputInfo, type ResizeOptions, type JpegOptions, type PngOptions, type WebpOptions, type GifOptions, type Region, type ImageOptions, type CompositeLayer,
} from 'offthread'

async function main (): Promise<void> {
  configure({ threads: 2, maxQueue: 64 })
  const options: HashOptions = { algorithm: 'argon2id', memoryCost: 1024, timeCost: 1, signal: AbortSignal.timeout(5000) }
  const hash: string = await hashPassword('pw', options)
  const verify: VerifyOptions = { maxMemory: 1 << 28 }
  const ok: boolean = await verifyPassword(hash, new Uint8Array([112, 119]), verify)
  const sync: string = hashPasswordSync('pw', { algorithm: 'scrypt', logN: 10 })
  const stale: boolean = needsRehash(sync)
  const s: PoolStats = stats()
  await noop({ executor: 'libuv' })

  const hex: string = await digest('sha256', ['a', Buffer.from('b')])
  const bytes: Buffer = await digest('blake3', 'x', { encoding: 'buffer' })
  const mac: string = await hmac('sha512', 'key', 'data', { encoding: 'base64url' })
  const crc: string = digestSync('crc32c', 'abc')
  const file: string = await hashFile('photo.jpg', 'xxh3-64')
  const packed: Buffer = await compress('text', { format: 'zstd', level: 3 })
  const back: Buffer = await decompress(packed, { format: 'zstd', maxOutputLength: 1 << 20 })
  compressSync(back, { format: 'lz4' })
  createCompress({ format: 'gzip' }).pipe(createDecompress({ format: 'gzip' }))

  const compressionOptions: CompressionOptions = { encodings: ['br', 'gzip'], threshold: '1kb', brotli: { level: 5 } }
  const middleware = compression(compressionOptions)
  createServer((req, res) => middleware(req, res, () => res.end('ok'))).close()

  const imageOptions: ImageOptions = { limitInputPixels: imageDefaults.limitInputPixels, failOn: 'truncated', autoOrient: true }
  const resize: ResizeOptions = { fit: 'inside', position: 'north', kernel: 'lanczos3', withoutEnlargement: true, background: '#fff' }
  const region: Region = { left: 0, top: 0, width: 16, height: 16 }
  const jpeg: JpegOptions = { quality: 80, chromaSubsampling: '4:4:4', mozjpeg: true }
  const png: PngOptions = { compressionLevel: 9, palette: true, colours: 64 }
  const webp: WebpOptions = { quality: 75, effort: 6, lossless: false }
  const gif: GifOptions = { loop: 0, delay: [100, 200] }
  const pipeline: Image = image(readFileSync('photo.jpg'), imageOptions)
    .rotate().resize(32, 32, resize).extract(region).flip().flop().grayscale().blur(1.5).sharpen({ sigma: 1 })
    .flatten({ background: { r: 255, g: 255, b: 255 } }).keepMetadata().jpeg(jpeg)
  const data: Buffer = await pipeline.toBuffer()
  const result: { data: Buffer; info: OutputInfo } = await pipeline.clone().png(png).toBuffer({ resolveWithObject: true })
  const written: OutputInfo = await image('photo.jpg').webp(webp).toFile('out.webp', { signal: AbortSignal.timeout(5000) })
  image('photo.jpg').gif(gif).toFormat('raw')
  const layers: CompositeLayer[] = [
    { input: 'mark.png', gravity: 'southeast', blend: 'multiply' },
    { input: { create: { width: 8, height: 8, channels: 4, background: 'rgba(0, 0, 0, 0.5)' } }, left: -2, top: 3 },
    { input: new Uint8Array(12), raw: { width: 2, height: 2, channels: 3 }, tile: true, premultiplied: false }
  ]
  image({ create: { width: 64, height: 64, channels: 3, background: '#fff' }, limitInputPixels: 4096 }).composite(layers).png()
  image(new Uint8Array(16), { raw: { width: 2, height: 2, channels: 4 } }).composite([{ input: 'mark.png', blend: 'color-burn' }])
  // @ts-expect-error: not a blend mode
  image('photo.jpg').composite([{ input: 'mark.png', blend: 'behind' }])
  const duplex: import('node:stream').Duplex = image({ maxInputBytes: 1 << 20 }).resize(320).webp()
  image(require('node:fs').createReadStream('photo.jpg')).trim({ threshold: 20 }).normalise().resize(64, 64, { position: 'attention' })
  void duplex
  const meta: Metadata = await image('photo.jpg').metadata()
  const thumb: string = await image('photo.jpg').thumbhash()
  const format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp' = meta.format

  try {
    await image('photo.jpg').toBuffer({ signal: AbortSignal.abort() })
  } catch (err) {
    const code: ErrorCode = (err as AbortError).code
    console.log(code)
  }

  // @ts-expect-error: not a digest algorithm
  await digest('sha257', 'x')
  // @ts-expect-error: not a fit
  image('photo.jpg').resize(10, 10, { fit: 'squash' })
  // @ts-expect-error: resolveWithObject resolves { data, info }, not a Buffer
  const notABuffer: Buffer = await image('photo.jpg').toBuffer({ resolveWithObject: true })
  // @ts-expect-error: hashPassword resolves a string
  const notANumber: number = await hashPassword('pw')
  // @ts-expect-error: no such output format
  image('photo.jpg').toFormat('heif')

  console.log(ok, stale, s.threads, hex, bytes.length, mac, crc, file, data.length, result.info.width, written.size, thumb, format, notABuffer, notANumber)
  await close()
}

void main()
`

test('the packed tarballs (main + this platform\'s binary) install with express into a fresh app with no Rust on PATH; CJS, ESM and strict TypeScript use every area', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offthread-consumer-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const packed = JSON.parse(run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root))
  const files = packed[0].files.map((f) => f.path)
  t.false(files.some((f) => f.endsWith('.node')), 'the main package carries no binary: each platform package carries one')
  t.true(files.includes('index.d.ts') && files.includes('lib/loader.js'))
  t.true(files.includes('LICENSE') && files.includes('THIRD_PARTY_NOTICES.md'), 'licence notices ship with the package')
  t.false(files.some((f) => f.startsWith('src/') || f.startsWith('crates/') || f.startsWith('__test__/') || f.startsWith('npm/')))

  // The platform package, staged as scripts/build-all.js stages it in npm/<name>/.
  const name = platformName()
  const staged = path.join(dir, name)
  fs.cpSync(path.join(root, 'npm', name), staged, { recursive: true })
  for (const f of [`offthread.${name}.node`, 'LICENSE', 'THIRD_PARTY_NOTICES.md']) fs.copyFileSync(path.join(root, f), path.join(staged, f))
  const platformPacked = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', dir], staged))
  t.deepEqual(platformPacked[0].files.map((f) => f.path).sort(), ['LICENSE', 'README.md', 'THIRD_PARTY_NOTICES.md', `offthread.${name}.node`, 'package.json'])
  const mainManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  t.is(mainManifest.optionalDependencies[`offthread-${name}`], platformPacked[0].version, 'the main package asks for this exact version')

  const app = path.join(dir, 'app')
  fs.mkdirSync(app)
  run(npm, ['init', '-y'], app)
  // npm's defaults, as a consumer types it, with no Rust toolchain to fall back on: nothing is built.
  const noRust = { PATH: process.env.PATH.split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, 'cargo')) && !fs.existsSync(path.join(d, 'rustc'))).join(path.delimiter) }
  t.throws(() => run('cargo', ['--version'], app, 10000, noRust), undefined, 'cargo is not on the PATH the install sees')
  run(npm, ['install', '--no-audit', '--no-fund', path.join(dir, packed[0].filename), path.join(dir, platformPacked[0].filename), 'express'], app, 150000, noRust)
  const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'offthread', 'package.json'), 'utf8'))
  const scripts = Object.keys(installed.scripts ?? {})
  t.deepEqual(scripts.filter((s) => ['preinstall', 'install', 'postinstall'].includes(s)), [], 'no install scripts to run')
  t.true(fs.existsSync(path.join(app, 'node_modules', `offthread-${name}`, `offthread.${name}.node`)))
  t.deepEqual(fs.readdirSync(path.join(app, 'node_modules')).filter((d) => d.startsWith('offthread-')), [`offthread-${name}`], 'only this platform\'s binary is installed')
  t.true(fs.existsSync(path.join(app, 'node_modules', 'express', 'package.json')))
  fs.copyFileSync(PHOTO, path.join(app, 'photo.jpg'))

  // What both module systems must print, computed here with node:crypto / node:zlib.
  const TEXT = 'offthread consumer '.repeat(400)
  const expectedShared = {
    bcrypt: '$2b$04$',
    verified: true,
    wrong: false,
    rehash: true, // a bcrypt hash against the argon2id defaults
    sha256: crypto.createHash('sha256').update(TEXT).digest('hex'),
    blake3: 32,
    hmac: crypto.createHmac('sha256', 'key').update(TEXT).digest('base64'),
    decompressSync: true,
    image: { info: { format: 'png', width: 32, height: 21, channels: 3, pages: 1 }, signature: '89504e470d0a1a0a' },
    metadata: { format: 'jpeg', width: 227, height: 149, size: fs.statSync(PHOTO).size },
    badResize: ['ERR_OUT_OF_RANGE', 'RangeError'],
    aborted: ['ABORT_ERR', 'AbortError', true] // the package's own AbortError class
  }
  function checkShared (label, out) {
    for (const [key, value] of Object.entries(expectedShared)) {
      if (key === 'image') {
        const { size, ...info } = out.image.info
        t.deepEqual({ info, signature: out.image.signature }, value, `${label}: image pipeline`)
        t.true(size > 100 && size < 5000, `${label}: PNG of ${size} bytes`)
      } else if (key === 'metadata') {
        t.like(out.metadata, value, `${label}: metadata`)
      } else {
        t.deepEqual(out[key], value, `${label}: ${key}`)
      }
    }
    t.is(out.sha256Sync, expectedShared.sha256, `${label}: digestSync`)
    t.true(out.threads >= 1)
    t.is(zlib.gunzipSync(Buffer.from(out.gzip.packed, 'base64')).toString(), TEXT, `${label}: node:zlib gunzips offthread's gzip`)
    t.is(zlib.brotliDecompressSync(Buffer.from(out.brotli.packed, 'base64')).toString(), TEXT, `${label}: node:zlib reads offthread's brotli`)
    t.true(out.gzip.back && out.brotli.back && out.zstd.back, `${label}: round trips`)
    t.true(Buffer.from(out.zstd.packed, 'base64').readUInt32LE(0) === 0xFD2FB528, `${label}: a zstd frame`)
    t.regex(out.thumbhash, /^[A-Za-z0-9+/]{20,}={0,2}$/, `${label}: thumbhash`)
  }

  fs.writeFileSync(path.join(app, 'cjs.js'), CJS)
  fs.writeFileSync(path.join(app, 'esm.mjs'), ESM)
  const cjs = JSON.parse(run(process.execPath, ['cjs.js'], app, 60000))
  checkShared('CJS', cjs)
  // compression() under express: br preferred when offered, gzip otherwise, Vary set, small bodies left alone.
  t.like(cjs.http.gzip, { status: 200, encoding: 'gzip', vary: 'Accept-Encoding', body: 'TEXT' })
  t.like(cjs.http.br, { status: 200, encoding: 'br', body: 'TEXT' })
  t.like(cjs.http.identity, { status: 200, encoding: null, body: 'TEXT', length: TEXT.length })
  t.like(cjs.http.tiny, { status: 200, encoding: null, body: 'tiny' })
  t.true(cjs.http.gzip.length < TEXT.length / 10, `gzip body of ${cjs.http.gzip.length} bytes`)

  const esm = JSON.parse(run(process.execPath, ['esm.mjs'], app, 60000))
  checkShared('ESM', esm)
  t.deepEqual(esm.named, ['function', 'function', 'function', 'function', 'ABORT_ERR'])
  t.true(esm.defaultIsCjs, 'the default export is the CommonJS module')

  // TypeScript: offthread's types come from the app's node_modules; @types/node from the repo's (the app is a
  // plain JS app with no @types of its own, and the registry is only asked for express).
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules', '@types')],
      skipLibCheck: false
    },
    files: ['consumer.ts']
  }
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  fs.writeFileSync(path.join(app, 'consumer.ts'), TS)
  let listed
  try {
    listed = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--strict', '--listFiles'], app, 120000)
  } catch (err) {
    const errors = `${err.stdout}${err.stderr}`.split('\n').filter((line) => !line.startsWith('/')).join('\n')
    t.fail(`tsc --noEmit --strict failed:\n${errors}`)
    return
  }
  const own = path.join(fs.realpathSync(app), 'node_modules', 'offthread', 'index.d.ts')
  t.true(listed.split('\n').map((f) => path.resolve(f.trim())).includes(own), `offthread's types come from ${own}`)
  t.false(listed.includes(path.join(root, 'index.d.ts')), 'not from the repository')

  // The same setup does catch a type error (the check is not vacuous).
  fs.writeFileSync(path.join(app, 'bad.ts'), "import { image } from 'offthread'\nexport const n: number = image('photo.jpg').resize(10)\n")
  fs.writeFileSync(path.join(app, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.json', files: ['bad.ts'] }))
  const bad = runFailing(process.execPath, [tsc, '-p', 'tsconfig.bad.json'], app)
  t.not(bad.status, 0)
  t.regex(bad.output, /bad\.ts\(2,14\): error TS2322: Type 'Image' is not assignable to type 'number'/)
})
