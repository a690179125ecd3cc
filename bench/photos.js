'use strict'
// bench:image over real photos, not only the benchmark one: offthread against sharp, JPEG → 800w JPEG q80,
// WebP q80 and PNG, on each photo in three encodings made from it by sharp (baseline 4:2:0 q90, baseline 4:4:4
// q92, progressive 4:2:0 q90), so chroma subsampling and progressive decoding are measured on every photo.
//
//   npm run bench:photos                 every photo (about a minute per photo and encoding)
//   BENCH_PHOTOS='Path|Autumn' npm run bench:photos
//
// Photos: the benchmark photo (shared corpus, 2725×2225); photographs from Debian's
// plasma-workspace-wallpapers (KDE Plasma 5.27's wallpapers, 2560×1600, each under its own free licence, see
// /usr/share/doc/plasma-workspace-wallpapers/copyright), read from /usr/share/wallpapers when installed; and
// 8–12 MP camera photographs from Debian's lomiri-wallpapers-16.04 and -20.04 (CC0, CC-BY and CC-BY-SA, each
// named below with its author), cropped (never scaled) to at most 12 MP. Packages not installed are fetched with
// `apt-get download` into bench/.cache/ (Debian mirrors only). Each (photo, encoding) runs
// bench/image.js in its own process (BENCH_IMAGE, its results in bench/results/photos-run.json); the summary,
// every run's ratios, goes to bench/results/photos.json.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const inputs = require('./image-inputs')

/** Plasma wallpapers that are photographs (the others are renders), at their largest size. */
const WALLPAPERS = ['Path', 'Autumn', 'ColorfulCups', 'BytheWater', 'Kite', 'FallenLeaf']
/**
 * Camera photographs at their sensors' sizes (re-encoded by their authors, EXIF stripped): package, file in
 * /usr/share/backgrounds, and a centred crop to at most 12 MP where the frame is larger.
 */
const CAMERA = [
  { name: 'Sunset 12 MP', pkg: 'lomiri-wallpapers-16.04', file: 'sunset_by_Aitzol_Berasategi.jpg' }, // 4272×2848, CC-BY-4.0, Aitzol Berasategi
  { name: 'Bridge 10.7 MP', pkg: 'lomiri-wallpapers-16.04', file: 'Bridge_by_Sander_Klootwijk.jpg' }, // 4352×2448, CC-BY-SA-4.0, Sander Klootwijk
  { name: 'Picos 8 MP', pkg: 'lomiri-wallpapers-16.04', file: 'picosdeeuropa_by_Aitzol_Berasategi.jpg' }, // 3264×2448, CC-BY-4.0, Aitzol Berasategi
  { name: 'Seeding 12 MP', pkg: 'lomiri-wallpapers-16.04', file: 'seeding_by_Clements_Engelhardt.jpg', crop: [4000, 2988] }, // 5312×2988, CC0-1.0, Clemens Engelhardt
  { name: 'Kleiber 12 MP', pkg: 'lomiri-wallpapers-20.04', file: 'Kleiber_by_Lukas_Baubkus.jpg', crop: [4000, 3000] } // 6028×3391, CC-BY-SA-3.0, Lukas Baubkus
]
const ENCODINGS = [
  { name: 'baseline 4:2:0 q90', options: { quality: 90, chromaSubsampling: '4:2:0' } },
  { name: 'baseline 4:4:4 q92', options: { quality: 92, chromaSubsampling: '4:4:4' } },
  { name: 'progressive 4:2:0 q90', options: { quality: 90, chromaSubsampling: '4:2:0', progressive: true } }
]
const CASES = '^\\d+×\\d+ JPEG → 800w (JPEG q80|WebP q80|PNG) / (offthread|sharp)$'

/** The directory `sub` (under /usr/share) of a Debian package, holding `probe`: installed, or unpacked from the
 * package fetched into the cache. */
function packaged (pkg, sub, probe) {
  const installed = path.join('/usr/share', sub)
  if (fs.existsSync(path.join(installed, probe))) return installed
  const dir = path.join(inputs.CACHE_DIR, pkg)
  const unpacked = path.join(dir, 'x', 'usr', 'share', sub)
  if (fs.existsSync(path.join(unpacked, probe))) return unpacked
  fs.mkdirSync(dir, { recursive: true })
  execFileSync('apt-get', ['download', pkg], { cwd: dir, stdio: 'inherit' })
  const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'))
  execFileSync('dpkg', ['-x', deb, 'x'], { cwd: dir })
  return unpacked
}

/** A camera photo's source and the sharp chain that crops it (centred) to at most 12 MP. */
function camera (c) {
  const file = path.join(packaged(c.pkg, 'backgrounds', c.file), c.file)
  return [file, (img) => (c.crop ? img.resize(c.crop[0], c.crop[1], { fit: 'cover', position: 'centre', withoutEnlargement: true }) : img)]
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
  const walls = packaged('plasma-workspace-wallpapers', 'wallpapers', 'Path')
  const photos = [
    ['bench photo', inputs.photo()],
    ...WALLPAPERS.map((w) => [w, largest(path.join(walls, w))]),
    ...CAMERA.map((c) => [c.name, ...camera(c)])
  ].filter(([name, file]) => file && (!only || only.test(name)))
  const rows = []
  for (const [name, file, crop = (img) => img] of photos) {
    for (const enc of ENCODINGS) {
      const out = path.join(inputs.CACHE_DIR, `photo-${name.replace(/\W+/g, '-')}-${enc.name.replace(/\W+/g, '-')}.jpg`)
      if (!fs.existsSync(out)) await crop(inputs.sharp()(file)).jpeg(enc.options).toFile(out)
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
  // A run over some photos (BENCH_PHOTOS) replaces their rows and keeps the others' (each row has its date).
  const file = path.join(__dirname, 'results', 'photos.json')
  const date = new Date().toISOString()
  const ran = new Set(rows.map((r) => r.photo))
  const kept = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { rows: [] }
  const old = kept.rows.filter((r) => !ran.has(r.photo)).map((r) => ({ date: kept.date, ...r }))
  fs.writeFileSync(file, JSON.stringify({ date, rows: [...old, ...rows.map((r) => ({ date, ...r }))] }, null, 2) + '\n')
}

main().catch((err) => { console.error(err); process.exit(1) })
