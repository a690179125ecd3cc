'use strict'
// Image pipelines, offthread against sharp and @napi-rs/image, one child process per library.
//
//   npm run bench:image
//   node bench/image.js --seconds 1                    a quick smoke run
//   BENCH_FILTER='8 MP' node bench/image.js             only the cases whose "<case> / <library>" match
//
// Flags (or env): --seconds (BENCH_SECONDS, per case, default 4), --concurrency
// (BENCH_CONCURRENCY, default 4), --warmup (BENCH_WARMUP_SECONDS, untimed load before each case,
// default 1), --idle-seconds (BENCH_IDLE_SECONDS, default 3), --filter (BENCH_FILTER, regex).
//
// Inputs: the corpus photo (shared/corpus/images/bench/2569067123_aca715a2ee_o.jpg, 2725×2225,
// or BENCH_IMAGE), an 8.2 MP progressive JPEG and a 100-frame 640×360 GIF (a camera pan across it) made
// from it at start and cached in bench/.cache/ (image-inputs.js). Each library process reads them once into Buffers. Cases: the
// photo to 800 px wide JPEG q80, WebP q80 and PNG (defaults); the 8 MP progressive JPEG to 800w
// JPEG q80; the photo with the Express demo's translucent PNG badge composited bottom right, to
// JPEG q80 at full size, the photo to 800w AVIF at each library's defaults, a 400×400 attention crop to JPEG q80,
// and the GIF's every frame to 320w as an animated GIF at each library's defaults (offthread and sharp: @napi-rs/image
// has none of these); metadata() of the photo. sharp runs with cache(false) and its default concurrency;
// @napi-rs/image through its Transformer with the Lanczos3 filter (sharp's default kernel).
//
// Each library runs each case in its own forked process (image-child.js), so a peak RSS is that
// library's alone; the idle baseline runs in a process that loads no image library. Quality: every 800w output is
// decoded with sharp and scored (SSIM on luma) against an f32 Lanczos3 resize of the full decode
// written in plain JS (ssim.js), cached in bench/.cache/.

const { fork } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const h = require('./harness')
const inputs = require('./image-inputs')
const { childMain } = require('./image-child')

const WIDTH = 800
const OFF = 'offthread'
const PEERS = ['sharp', '@napi-rs/image']
const NOT_BUILT = 'offthread: image() not built yet'

/** A flag `--name value`, else the env variable, else `fallback`; numbers must be positive. */
function option (args, flag, env, fallback, parse = Number) {
  const i = args.indexOf(flag)
  const raw = i >= 0 ? args[i + 1] : process.env[env]
  if (raw === undefined || raw === '') return fallback
  const v = parse(raw)
  if (typeof v === 'number' && !(Number.isFinite(v) && v > 0)) throw new Error(`${flag} (${env}) must be a positive number, not ${JSON.stringify(raw)}`)
  return v
}

function configFrom (args) {
  const filter = option(args, '--filter', 'BENCH_FILTER', null, (s) => new RegExp(s, 'i'))
  return {
    seconds: option(args, '--seconds', 'BENCH_SECONDS', 4),
    concurrency: option(args, '--concurrency', 'BENCH_CONCURRENCY', 4),
    warmupSeconds: option(args, '--warmup', 'BENCH_WARMUP_SECONDS', 1),
    idleSeconds: option(args, '--idle-seconds', 'BENCH_IDLE_SECONDS', 3),
    pauseMs: 250,
    filter
  }
}

/** The cases, labelled with the inputs' real sizes; `ref` names the reference they are scored against. */
function caseList (photo, progressive, animated) {
  const px = (d) => `${d.width}×${d.height}`
  const mp = (d) => (d.width * d.height / 1e6).toFixed(1)
  return [
    { id: 'jpeg', group: `${px(photo)} JPEG → ${WIDTH}w JPEG q80`, ref: 'photo' },
    { id: 'webp', group: `${px(photo)} JPEG → ${WIDTH}w WebP q80`, ref: 'photo' },
    { id: 'png', group: `${px(photo)} JPEG → ${WIDTH}w PNG`, ref: 'photo' },
    { id: 'jpeg8mp', group: `${mp(progressive)} MP progressive JPEG → ${WIDTH}w JPEG q80`, ref: 'progressive' },
    { id: 'avif', group: `${px(photo)} JPEG → ${WIDTH}w AVIF (defaults)`, ref: 'photo' },
    { id: 'watermark', group: `${px(photo)} JPEG + PNG watermark (composite) → JPEG q80`, ref: null },
    { id: 'attention', group: `${px(photo)} JPEG → 400×400 attention crop, JPEG q80`, ref: null },
    { id: 'gif100', group: `${animated.pages}-frame ${px(animated)} GIF → 320w animated GIF`, ref: null },
    { id: 'metadata', group: `metadata() of the ${px(photo)} JPEG`, ref: null }
  ]
}

/** Forks this script as `--child <name>`; resolves the one message the child sends. */
function runChild (name, childConfig) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', name, JSON.stringify(childConfig)], {
      serialization: 'advanced', // Buffers travel as bytes, not JSON
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    let reply
    child.on('message', (m) => { reply = m })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (reply) resolve(reply)
      else reject(new Error(`the ${name} process exited (${signal ?? `code ${code}`}) without a result`))
    })
  })
}

/** Is offthread's image() there? `{ built, reason }`; never throws (the addon may be mid-build). */
function offthreadState () {
  try {
    const ot = require('..')
    return typeof ot.image === 'function' ? { built: true } : { built: false, reason: NOT_BUILT }
  } catch (err) {
    return { built: false, reason: `offthread: not loadable (${err.code ?? err.message})` }
  }
}

/** Turns a child's figures into a table row, scoring an 800w output against its reference. */
async function toRow (lib, c, result, refs) {
  const { output, ...figures } = result
  const row = { group: c.group, name: lib, ...figures, outBytes: NaN, outWidth: null, outHeight: null, ssim: null, ssimNote: null }
  if (output && output.data) {
    const data = Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength)
    row.outBytes = output.bytes
    const s = c.ref ? await inputs.score(data, refs[c.ref]) : await inputs.dimensions(data)
    Object.assign(row, { outWidth: s.width, outHeight: s.height, ssim: s.ssim ?? null, ssimNote: s.note ?? null })
  } else if (output) {
    Object.assign(row, { outWidth: output.width, outHeight: output.height })
  }
  return row
}

/** Per case: offthread over sharp for ops/s, output bytes and peak RSS, and both SSIMs. */
function ratios (results) {
  const out = []
  for (const group of [...new Set(results.map((r) => r.group))]) {
    const own = results.find((r) => r.group === group && r.name === OFF && r.opsPerSec > 0)
    const peer = results.find((r) => r.group === group && r.name === 'sharp' && r.opsPerSec > 0)
    if (!own || !peer) continue
    out.push({
      group,
      peer: 'sharp',
      opsRatio: own.opsPerSec / peer.opsPerSec,
      bytesRatio: own.outBytes / peer.outBytes,
      peakRssRatio: own.peakRssMiB / peer.peakRssMiB,
      ssim: own.ssim,
      peerSsim: peer.ssim
    })
  }
  return out
}

/** The CPU's model name from /proc/cpuinfo, or os.cpus()'s. */
function cpuModel (fallback) {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))
    return m ? m[1].trim() : fallback
  } catch { return fallback }
}

function report ({ cfg, machine, offInfo, offReason, peerInfo, idle, processes, inputInfo, results, rs }) {
  const sharpInfo = peerInfo.sharp
  const napiInfo = peerInfo['@napi-rs/image']
  const ssimCell = (r) => (r.ssim !== null ? r.ssim.toFixed(4) : r.ssimNote ? `size differs: ${r.ssimNote}` : '—')
  const table = h.markdownTable([
    { header: 'case', value: (r) => r.group, align: 'left' },
    { header: 'library', value: (r) => r.name + (r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''), align: 'left' },
    { header: 'ops/s', value: (r) => h.fmt(r.opsPerSec) },
    { header: 'p50 ms', value: (r) => h.fmt(r.p50Ms) },
    { header: 'output bytes', value: (r) => (Number.isNaN(r.outBytes) ? '—' : r.outBytes.toLocaleString('en-US')) },
    { header: 'output', value: (r) => (r.outWidth ? `${r.outWidth}×${r.outHeight}` : '—') },
    { header: 'SSIM', value: ssimCell },
    { header: 'loop p99 ms', value: (r) => h.fmt(r.loopP99Ms) },
    { header: 'fs p99 ms', value: (r) => h.fmt(r.fsP99Ms) },
    { header: 'peak RSS MiB', value: (r) => h.fmt(r.peakRssMiB, 0) }
  ], results)

  console.log(`\n## Images: concurrency ${cfg.concurrency}, ${cfg.seconds} s per case after ${cfg.warmupSeconds} s of warm-up, ` +
    'one process per library and case\n')
  console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.totalMemGiB} GiB, ${machine.platform}, Node ${machine.node}, ` +
    `libuv threadpool ${machine.uvThreadpoolSize}; ` +
    (sharpInfo ? `sharp ${sharpInfo.version} (libvips ${sharpInfo.libvips}, concurrency ${sharpInfo.concurrency}, cache off); ` : '') +
    (napiInfo ? `@napi-rs/image ${napiInfo.version}; ` : '') +
    (offInfo ? `offthread pool ${offInfo.threads} threads (${offInfo.priority})` : offReason) +
    `; ${machine.date}\n`)
  console.log(`Inputs, read once into Buffers in each process: ${inputInfo.photo.name} (${inputInfo.photo.width}×${inputInfo.photo.height} ` +
    `JPEG, ${inputInfo.photo.bytes.toLocaleString('en-US')} bytes) and ${inputInfo.progressive.name} (${inputInfo.progressive.width}×` +
    `${inputInfo.progressive.height} progressive JPEG q90 made by sharp, ${inputInfo.progressive.bytes.toLocaleString('en-US')} bytes).\n`)
  console.log(table)
  console.log(`\nSSIM: mean SSIM on luma (11×11 Gaussian windows) of the decoded output against an f32 Lanczos3 resize of the full ` +
    'decode (bench/ssim.js); 1 = identical. loop p99 = event-loop delay p99; fs p99 = p99 of a 4 KiB fs.readFile every 20 ms; ' +
    'peak RSS = peak resident memory (VmHWM) of the process that ran that one case, warm-up included.')
  console.log(`\nIdle (a process with no image library, ${cfg.idleSeconds} s): loop p99 ${h.fmt(idle.loopP99Ms)} ms, ` +
    `loop max ${h.fmt(idle.loopMaxMs)} ms, fs p99 ${h.fmt(idle.fsP99Ms)} ms, peak RSS ${h.fmt(processes.idle?.peakRssMiB, 0)} MiB`)
  const libs = Object.entries(processes).filter(([k]) => k !== 'idle')
  if (libs.length > 0) {
    console.log('RSS once the library is loaded and the inputs read, before the first call: ' +
      libs.map(([k, p]) => `${k} ${h.fmt(p.loadedRssMiB, 0)} MiB`).join(', '))
  }
  if (!offInfo) console.log(`\n${offReason}`)
  if (rs.length > 0) {
    console.log('\noffthread over sharp, per case:\n')
    for (const r of rs) {
      console.log(`- ${r.group}: ${r.opsRatio.toFixed(2)}× ops/s, ` +
        (Number.isNaN(r.bytesRatio) ? '' : `${r.bytesRatio.toFixed(2)}× output bytes, `) +
        `${r.peakRssRatio.toFixed(2)}× peak RSS` +
        (r.ssim !== null || r.peerSsim !== null ? `; SSIM ${r.ssim?.toFixed(4) ?? '—'} vs ${r.peerSsim?.toFixed(4) ?? '—'}` : ''))
    }
  }
}

async function main () {
  const cfg = configFrom(process.argv.slice(2))
  const photoPath = inputs.photo()
  if (!photoPath) {
    console.log(`bench/image.js: the bench photo is missing (${inputs.PHOTO}). It comes with the shared corpus ` +
      '(shared/corpus/images/bench/); set BENCH_IMAGE to another JPEG to run without it. Nothing measured.')
    return
  }

  process.stderr.write('preparing inputs and references (cached in bench/.cache/)... ')
  const progressivePath = await inputs.progressiveJpeg(photoPath)
  const refs = { photo: await inputs.reference(photoPath, WIDTH), progressive: await inputs.reference(progressivePath, WIDTH) }
  const describe = (file, ref) => ({
    name: path.basename(file), bytes: fs.statSync(file).size, width: ref.sourceWidth, height: ref.sourceHeight, sha256: ref.sourceSha256
  })
  const animatedPath = await inputs.animatedGif(inputs.corpusPhoto() ?? photoPath)
  const gif = await inputs.sharp()(fs.readFileSync(animatedPath), { animated: true }).metadata()
  const inputInfo = {
    photo: describe(photoPath, refs.photo),
    progressive: describe(progressivePath, refs.progressive),
    animated: { name: path.basename(animatedPath), bytes: gif.size, width: gif.width, height: gif.pageHeight, pages: gif.pages }
  }
  process.stderr.write(`done (references ${refs.photo.cached && refs.progressive.cached ? 'cached' : 'computed'})\n`)

  const cases = caseList(inputInfo.photo, inputInfo.progressive, inputInfo.animated)
  const off = offthreadState()
  if (!off.built) process.stderr.write(`${off.reason}: running the peers only\n`)
  const libs = [...(off.built ? [OFF] : []), ...PEERS]
  const selected = (lib) => cases.filter((c) => cfg.filter === null || cfg.filter.test(`${c.group} / ${lib}`)).map((c) => c.id)
  if (libs.every((lib) => selected(lib).length === 0)) throw new Error(`no case matches ${cfg.filter}`)

  const childConfig = { ...cfg, filter: null, photo: photoPath, progressive: progressivePath, animated: animatedPath }
  process.stderr.write(`idle baseline (${cfg.idleSeconds} s, own process)... `)
  const idleReply = await runChild('idle', childConfig)
  if (idleReply.type !== 'done') throw new Error(idleReply.error)
  process.stderr.write(`loop p99 ${h.fmt(idleReply.idle.loopP99Ms)} ms\n`)
  const processes = { idle: { peakRssMiB: idleReply.processPeakRssMiB } }

  const results = []
  const peerInfo = {}
  let offInfo = null
  let offReason = off.reason
  for (const lib of libs) {
    for (const c of cases.filter((x) => selected(lib).includes(x.id))) {
      let reply
      try {
        reply = await runChild(lib, { ...childConfig, caseId: c.id })
      } catch (err) {
        reply = { type: 'error', error: err.message }
      }
      if (reply.type === 'skip') { offReason = NOT_BUILT; break }
      if (reply.type === 'unsupported') continue // the library has no such operation
      if (reply.type !== 'done') {
        process.stderr.write(`${lib} / ${c.id} failed: ${reply.error}\n`)
        const firstError = reply.error.split('\n')[0]
        results.push({ group: c.group, name: lib, case: c.id, ops: 0, errors: 1, firstError, opsPerSec: NaN, outBytes: NaN, ssim: null })
        continue
      }
      if (lib === OFF) offInfo = reply.info
      else peerInfo[lib] = reply.info
      const p = processes[lib] ?? (processes[lib] = { peakRssMiB: 0, loadedRssMiB: Infinity })
      p.peakRssMiB = Math.max(p.peakRssMiB, reply.result.peakRssMiB)
      p.loadedRssMiB = Math.min(p.loadedRssMiB, reply.result.loadedRssMiB)
      results.push(await toRow(lib, c, reply.result, refs))
      await h.sleep(cfg.pauseMs)
    }
  }
  // Case order, then library order, for the table.
  const order = (r) => cases.findIndex((c) => c.group === r.group) * 10 + [OFF, ...PEERS].indexOf(r.name)
  results.sort((a, b) => order(a) - order(b))
  const rs = ratios(results)

  const base = h.machineInfo()
  const machine = { ...base, cpu: cpuModel(base.cpu) }
  report({ cfg, machine, offInfo, offReason, peerInfo, idle: idleReply.idle, processes, inputInfo, results, rs })
  const file = h.writeResults(process.env.BENCH_RESULTS || 'image', {
    machine,
    config: { ...cfg, filter: cfg.filter?.source ?? null, width: WIDTH },
    inputs: inputInfo,
    references: Object.fromEntries(Object.entries(refs).map(([k, r]) => [k, { width: r.width, height: r.height, source: r.source }])),
    offthread: offInfo,
    offthreadNote: offInfo ? null : offReason,
    peers: peerInfo,
    idle: idleReply.idle,
    processes,
    results,
    ratios: rs
  })
  console.log(`\nJSON: ${file}`)
}

if (process.argv[2] === '--child') {
  childMain(process.argv[3], process.argv[4])
} else {
  main().catch((err) => {
    console.error(err)
    process.exitCode = 1
  })
}
