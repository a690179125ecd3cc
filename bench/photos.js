'use strict'
// bench:image over real photos, not only the benchmark one: offthread against sharp, JPEG → 800w JPEG q80,
// WebP q80 and PNG, on each photo in three encodings made from it by sharp (baseline 4:2:0 q90, baseline 4:4:4
// q92, progressive 4:2:0 q90), so chroma subsampling and progressive decoding are measured on every photo.
//
//   npm run bench:photos                 every photo (about a minute per photo and encoding)
//   BENCH_PHOTOS='Path|Autumn' npm run bench:photos
//
// Photos: the benchmark photo (shared corpus, 2725×2225) and photographs from Debian's
// plasma-workspace-wallpapers (KDE Plasma 5.27's wallpapers, each under its own free licence, see
// /usr/share/doc/plasma-workspace-wallpapers/copyright): read from /usr/share/wallpapers when installed, else
// fetched with `apt-get download` into bench/.cache/ (Debian mirrors only). Each (photo, encoding) runs
// bench/image.js in its own process (BENCH_IMAGE, its results in bench/results/photos-run.json); the summary,
// every run's ratios, goes to bench/results/photos.json.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const inputs = require('./image-inputs')

/** Plasma wallpapers that are photographs (the others are renders), at their largest size. */
const WALLPAPERS = ['Path', 'Autumn', 'ColorfulCups', 'BytheWater', 'Kite', 'FallenLeaf']
const ENCODINGS = [
  { name: 'baseline 4:2:0 q90', options: { quality: 90, chromaSubsampling: '4:2:0' } },
  { name: 'baseline 4:4:4 q92', options: { quality: 92, chromaSubsampling: '4:4:4' } },
  { name: 'progressive 4:2:0 q90', options: { quality: 90, chromaSubsampling: '4:2:0', progressive: true } }
]
const CASES = '^\\d+×\\d+ JPEG → 800w (JPEG q80|WebP q80|PNG) / (offthread|sharp)$'

/** The wallpapers' directory: installed, or unpacked from the package fetched into the cache. */
function wallpaperDir () {
  if (fs.existsSync('/usr/share/wallpapers/Path')) return '/usr/share/wallpapers'
  const dir = path.join(inputs.CACHE_DIR, 'plasma-wallpapers')
  const unpacked = path.join(dir, 'x', 'usr', 'share', 'wallpapers')
  if (fs.existsSync(unpacked)) return unpacked
  fs.mkdirSync(dir, { recursive: true })
  execFileSync('apt-get', ['download', 'plasma-workspace-wallpapers'], { cwd: dir, stdio: 'inherit' })
  const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'))
  execFileSync('dpkg', ['-x', deb, 'x'], { cwd: dir })
  return unpacked
}

/** The largest JPEG of a wallpaper. */
function largest (dir) {
  const images = path.join(dir, 'contents', 'images')
  const files = fs.readdirSync(images).filter((f) => /\.jpe?g$/i.test(f))
  const area = (f) => f.split(/[x.]/).slice(0, 2).reduce((a, b) => a * Number(b), 1)
  return path.join(images, files.sort((a, b) => area(b) - area(a))[0])
}

async function main () {
  const only = process.env.BENCH_PHOTOS ? new RegExp(process.env.BENCH_PHOTOS) : null
  const walls = wallpaperDir()
  const photos = [['bench photo', inputs.photo()], ...WALLPAPERS.map((w) => [w, largest(path.join(walls, w))])]
    .filter(([name, file]) => file && (!only || only.test(name)))
  const rows = []
  for (const [name, file] of photos) {
    for (const enc of ENCODINGS) {
      const out = path.join(inputs.CACHE_DIR, `photo-${name.replace(/\W+/g, '-')}-${enc.name.replace(/\W+/g, '-')}.jpg`)
      if (!fs.existsSync(out)) await inputs.sharp()(file).jpeg(enc.options).toFile(out)
      process.stderr.write(`\n## ${name}, ${enc.name}\n`)
      execFileSync(process.execPath, [path.join(__dirname, 'image.js')], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, BENCH_IMAGE: out, BENCH_FILTER: CASES, BENCH_RESULTS: 'photos-run' }
      })
      const run = JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'photos-run.json'), 'utf8'))
      const size = `${run.inputs.photo.width}×${run.inputs.photo.height}`
      for (const r of run.ratios) {
        rows.push({ photo: name, size, encoding: enc.name, case: r.group.replace(/^.*→ /, ''), opsRatio: r.opsRatio, bytesRatio: r.bytesRatio, ssim: r.ssim, peerSsim: r.peerSsim })
      }
    }
  }
  fs.unlinkSync(path.join(__dirname, 'results', 'photos-run.json'))
  const x = (v) => `${v.toFixed(2)}×`
  console.log('| photo | encoding | case | ops/s vs sharp | bytes vs sharp | SSIM (sharp) |')
  console.log('| :-- | :-- | :-- | --: | --: | --: |')
  for (const r of rows) {
    console.log(`| ${r.photo} (${r.size}) | ${r.encoding} | ${r.case} | ${x(r.opsRatio)} | ${x(r.bytesRatio)} | ${r.ssim?.toFixed(4)} (${r.peerSsim?.toFixed(4)}) |`)
  }
  const worst = rows.reduce((a, b) => (b.opsRatio < a.opsRatio ? b : a), rows[0])
  console.log(`\nLowest: ${worst.photo}, ${worst.encoding}, ${worst.case}: ${x(worst.opsRatio)}`)
  fs.writeFileSync(path.join(__dirname, 'results', 'photos.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + '\n')
}

main().catch((err) => { console.error(err); process.exit(1) })
