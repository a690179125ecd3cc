'use strict'
// Turns the benchmark JSON in bench/results/ into SVG charts in docs/. No dependencies: the
// SVG is written by hand. Run the benches first (`npm run bench:*`), then `npm run bench:plot`.
//
//   docs/bench-password-throughput.svg  hashes/s per parameter set per library
//   docs/bench-password-latency.svg     event-loop p99 and fs.readFile p99 under that load
//   docs/bench-bytes-throughput.svg     MB/s per digest / codec case per library
//   docs/bench-bytes-latency.svg        event-loop p99 and fs.readFile p99 under that load
//   docs/bench-noop-throughput.svg      pipelined no-op round trips/s (dispatch overhead)
//   docs/bench-image-throughput.svg     images/s per image case per library
//   docs/bench-image-latency.svg        event-loop p99 and fs.readFile p99 under that load
//   docs/bench-image-memory.svg         peak RSS of each library's process per case
//
// A results file that is missing is skipped with a note on stderr.

const fs = require('node:fs')
const path = require('node:path')

const RESULTS_DIR = path.join(__dirname, 'results')
const OUT_DIR = path.join(__dirname, '..', 'docs')

const WIDTH = 880
const PAD = 20
const FONT = 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif'
const COLORS = {
  text: '#1f2328',
  muted: '#59636e',
  grid: '#d8dee4',
  band: '#fff4d6',
  offthread: '#d4720b',
  peer: '#8c959f',
  loop: ['#0969da', '#80b3ec'], // [offthread, peer]
  fs: ['#8250df', '#c0a8ef']
}

const isOffthread = (name) => /^offthread\b/i.test(name)

function esc (s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** Rough width of `s` in px; generous so that labels never run into the bars. */
function textWidth (s, size, bold = false) {
  let w = 0
  for (const ch of String(s)) {
    if ('il.,:;|!\'() '.includes(ch)) w += 0.32
    else if ('mwMW@'.includes(ch)) w += 0.9
    else if (ch >= 'A' && ch <= 'Z') w += 0.68
    else w += 0.58
  }
  return w * size * (bold ? 1.08 : 1)
}

/** A compact, readable number: 7,474 / 540.7 / 29.2 / 5.62 / 0.962. */
function fmt (v) {
  if (v == null || !Number.isFinite(v)) return 'n/a'
  const a = Math.abs(v)
  const digits = a >= 1000 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** Axis tick labels: 0.1 / 1 / 10 / 1,000. */
function fmtTick (v) {
  return v.toLocaleString('en-US', { maximumFractionDigits: 3 })
}

/** Machine/Node caption from a results file, split into lines that fit the width. */
function captionLines (data, extra) {
  const m = data.machine || {}
  const parts = [
    `${m.cpu || 'unknown CPU'}, ${m.cores ?? '?'} cores (availableParallelism ${m.availableParallelism ?? '?'})`,
    `${m.totalMemGiB ?? '?'} GiB`,
    m.platform,
    `Node ${m.node || '?'}`,
    `UV_THREADPOOL_SIZE=${m.uvThreadpoolSize ?? '?'}`
  ]
  if (data.offthread) parts.push(`offthread ${data.offthread.threads} threads, ${data.offthread.priority} priority`)
  if (m.date) parts.push(m.date.slice(0, 10))
  const lines = wrap(parts.filter(Boolean), ' · ', 11)
  if (extra) lines.push(...wrap(extra.split(/(?<=\.) /), ' ', 11))
  return lines
}

function wrap (parts, sep, size) {
  const lines = []
  let cur = ''
  for (const p of parts) {
    const next = cur ? cur + sep + p : p
    if (cur && textWidth(next, size) > WIDTH - 2 * PAD) { lines.push(cur); cur = p } else cur = next
  }
  if (cur) lines.push(cur)
  return lines
}

/**
 * Draws a horizontal grouped bar chart.
 *   chart.groups: [{ label, section?, scaleKey?, rows: [{ name, values: [number|null] }] }]
 *   chart.series: [{ name, colors: [offthreadColor, peerColor], unit }]
 *   chart.scale: 'linear' (each scaleKey gets its own maximum, no axis) | 'log' (one shared axis)
 */
function renderChart (chart) {
  const nSeries = chart.series.length
  const barH = nSeries === 1 ? 16 : 11
  const barGap = 2
  const rowH = nSeries === 1 ? 24 : nSeries * barH + (nSeries - 1) * barGap + 10
  const groupH = 26
  const sectionH = 30
  const indent = 12

  // Label column: wide enough for every row and group name.
  let labelW = 0
  for (const g of chart.groups) {
    if (g.label) labelW = Math.max(labelW, textWidth(g.label, 13, true))
    for (const r of g.rows) labelW = Math.max(labelW, indent + textWidth(r.name, 12.5, isOffthread(r.name)))
  }
  labelW = Math.ceil(labelW)
  const x0 = PAD + labelW + 14
  const valueW = Math.ceil(Math.max(...chart.groups.flatMap((g) => g.rows.flatMap((r) =>
    r.values.map((v, i) => textWidth(fmt(v) + ' ' + chart.series[i].unit, 11.5, true))))) + 10)
  const plotW = WIDTH - PAD - valueW - x0

  // Scales.
  let xOf
  let ticks = []
  const all = chart.groups.flatMap((g) => g.rows.flatMap((r) => r.values)).filter((v) => v != null && v > 0)
  if (chart.scale === 'log') {
    const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))))
    const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))))
    const span = Math.log10(hi) - Math.log10(lo)
    xOf = (v) => ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * plotW
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t)
    // The axis runs from the decade at or below the smallest value, so every bar is visible.
  } else {
    const maxBy = new Map()
    for (const g of chart.groups) {
      const key = g.scaleKey ?? 'all'
      for (const r of g.rows) for (const v of r.values) if (v != null) maxBy.set(key, Math.max(maxBy.get(key) || 0, v))
    }
    xOf = (v, g) => (v / (maxBy.get(g.scaleKey ?? 'all') || 1)) * plotW
  }

  const out = []
  let y = PAD + 18
  out.push(`<text x="${PAD}" y="${y}" font-size="18" font-weight="700" fill="${COLORS.text}">${esc(chart.title)}</text>`)
  y += 22
  for (const line of wrap(chart.subtitle.split(/(?<=\.) /), ' ', 13)) {
    out.push(`<text x="${PAD}" y="${y}" font-size="13" fill="${COLORS.muted}">${esc(line)}</text>`)
    y += 18
  }

  // Legend.
  y += 4
  let lx = PAD
  const legend = nSeries === 1
    ? [['offthread', COLORS.offthread], ['other libraries / Node built-ins', COLORS.peer]]
    : chart.series.map((s) => [s.name, s.colors[0]]).concat([['(lighter: other libraries)', null]])
  for (const [name, color] of legend) {
    if (color) {
      out.push(`<rect x="${lx}" y="${y - 10}" width="12" height="12" rx="2" fill="${color}"/>`)
      lx += 17
    }
    out.push(`<text x="${lx}" y="${y}" font-size="12" fill="${COLORS.text}">${esc(name)}</text>`)
    lx += textWidth(name, 12) + 22
  }
  y += 12

  // Log axis labels along the top.
  const plotTop = y + (chart.scale === 'log' ? 22 : 6)
  if (chart.scale === 'log') {
    for (const t of ticks) {
      const x = x0 + xOf(t)
      out.push(`<text x="${x.toFixed(1)}" y="${plotTop - 6}" font-size="11" text-anchor="middle" fill="${COLORS.muted}">${esc(fmtTick(t) + ' ' + chart.series[0].unit)}</text>`)
    }
  }
  y = plotTop

  const body = []
  let section = null
  for (const g of chart.groups) {
    if (g.section && g.section !== section) {
      section = g.section
      if (y > plotTop) y += 6
      body.push(`<text x="${PAD}" y="${y + 18}" font-size="11" font-weight="700" letter-spacing="0.08em" fill="${COLORS.muted}">${esc(section.toUpperCase())}</text>`)
      body.push(`<line x1="${PAD}" x2="${WIDTH - PAD}" y1="${y + 24}" y2="${y + 24}" stroke="${COLORS.grid}"/>`)
      y += sectionH
    }
    if (g.label) {
      body.push(`<text x="${PAD}" y="${y + 18}" font-size="13" font-weight="700" fill="${COLORS.text}">${esc(g.label)}</text>`)
      y += groupH
    }
    for (const r of g.rows) {
      const hl = isOffthread(r.name)
      if (hl) body.push(`<rect x="${PAD - 6}" y="${y}" width="${WIDTH - 2 * PAD + 12}" height="${rowH}" rx="3" fill="${COLORS.band}"/>`)
      const mid = y + rowH / 2
      body.push(`<text x="${PAD + indent}" y="${(mid + 4.5).toFixed(1)}" font-size="12.5"${hl ? ' font-weight="700"' : ''} fill="${COLORS.text}">${esc(r.name)}</text>`)
      let by = y + (rowH - (nSeries * barH + (nSeries - 1) * barGap)) / 2
      r.values.forEach((v, i) => {
        const s = chart.series[i]
        const color = nSeries === 1 ? (hl ? COLORS.offthread : COLORS.peer) : s.colors[hl ? 0 : 1]
        const w = v == null ? 0 : Math.max(1.5, xOf(v, g))
        body.push(`<rect x="${x0}" y="${by.toFixed(1)}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"><title>${esc(`${r.name} — ${s.name}: ${fmt(v)} ${s.unit}`)}</title></rect>`)
        body.push(`<text x="${(x0 + w + 5).toFixed(1)}" y="${(by + barH / 2 + 4).toFixed(1)}" font-size="${nSeries === 1 ? 12 : 11}"${hl ? ' font-weight="700"' : ''} fill="${COLORS.text}">${esc(fmt(v) + ' ' + s.unit)}</text>`)
        by += barH + barGap
      })
      y += rowH
    }
    y += 4
  }

  // Gridlines for the log axis go under the bars.
  const grid = []
  if (chart.scale === 'log') {
    for (const t of ticks) {
      const x = (x0 + xOf(t)).toFixed(1)
      grid.push(`<line x1="${x}" x2="${x}" y1="${plotTop}" y2="${y}" stroke="${COLORS.grid}"${t === ticks[0] ? '' : ' stroke-dasharray="3 3"'}/>`)
    }
  } else {
    grid.push(`<line x1="${x0}" x2="${x0}" y1="${plotTop}" y2="${y}" stroke="${COLORS.grid}"/>`)
  }

  y += 8
  const foot = []
  for (const line of chart.caption) {
    y += 15
    foot.push(`<text x="${PAD}" y="${y}" font-size="11" fill="${COLORS.muted}">${esc(line)}</text>`)
  }
  const height = Math.ceil(y + PAD - 4)

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="title desc" font-family='${FONT}'>`,
    `<title id="title">${esc(chart.title)}</title>`,
    `<desc id="desc">${esc(chart.desc)}</desc>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...out, ...grid, ...body, ...foot,
    '</svg>',
    ''
  ].join('\n')
}

/** Plain-text version of the data for <desc>, so screen readers get the numbers. */
function describe (intro, groups, series) {
  const parts = [intro]
  for (const g of groups) {
    const rows = g.rows.map((r) => `${r.name} ${r.values.map((v, i) => `${fmt(v)} ${series[i].unit}${series.length > 1 ? ' ' + series[i].name : ''}`).join(', ')}`)
    parts.push(`${g.section && !g.label ? g.section : g.label || ''}: ${rows.join('; ')}.`)
  }
  return parts.join(' ')
}

/** Stable sort of results so that each section (e.g. bytes `kind`) is contiguous, in first-seen order. */
function bySection (results, sectionOf) {
  const order = [...new Set(results.map(sectionOf))]
  return results.map((r, i) => [r, i]).sort((a, b) =>
    order.indexOf(sectionOf(a[0])) - order.indexOf(sectionOf(b[0])) || a[1] - b[1]).map(([r]) => r)
}

/** Groups results by `keyOf` (keeping first-seen order). */
function groupBy (results, keyOf) {
  const map = new Map()
  for (const r of results) {
    const k = keyOf(r)
    if (!map.has(k)) map.set(k, [])
    map.get(k).push(r)
  }
  return [...map]
}

const LATENCY_SERIES = [
  { name: 'event-loop delay p99', colors: COLORS.loop, unit: 'ms' },
  { name: 'fs.readFile p99', colors: COLORS.fs, unit: 'ms' }
]

function latencyGroups (data, sectionOf) {
  const groups = []
  if (data.idle) {
    groups.push({ label: 'no load (baseline)', rows: [{ name: 'idle process', values: [data.idle.loopP99Ms, data.idle.fsP99Ms] }] })
  }
  const results = sectionOf ? bySection(data.results, sectionOf) : data.results
  for (const [label, rs] of groupBy(results, (r) => r.group)) {
    groups.push({ label, section: sectionOf && sectionOf(rs[0]), rows: rs.map((r) => ({ name: r.name, values: [r.loopP99Ms, r.fsP99Ms] })) })
  }
  return groups
}

const charts = {
  password (data) {
    const conc = data.config?.concurrency
    const groups = groupBy(data.results, (r) => r.group).map(([label, rs]) => ({
      label, scaleKey: label, rows: rs.map((r) => ({ name: r.name, values: [r.opsPerSec] }))
    }))
    const series = [{ name: 'throughput', colors: [], unit: 'ops/s' }]
    const latGroups = latencyGroups(data)
    return [
      {
        file: 'bench-password-throughput.svg',
        title: 'Password hashing throughput',
        subtitle: `Hashes per second with ${conc ?? '?'} hashes in flight, per parameter set. Higher is better. Bars are scaled within each parameter set.`,
        desc: describe('Password hashing throughput in hashes per second, higher is better.', groups, series),
        series,
        scale: 'linear',
        groups,
        caption: captionLines(data)
      },
      {
        file: 'bench-password-latency.svg',
        title: 'Password hashing: what the rest of the app feels',
        subtitle: 'p99 event-loop delay and p99 fs.readFile latency (4 KiB, every 20 ms) while each library hashes flat out. Lower is better. Log scale.',
        desc: describe('p99 event-loop delay and p99 fs.readFile latency in milliseconds during password hashing load, lower is better.', latGroups, LATENCY_SERIES),
        series: LATENCY_SERIES,
        scale: 'log',
        groups: latGroups,
        caption: captionLines(data)
      }
    ]
  },

  bytes (data) {
    const groups = groupBy(bySection(data.results, (r) => r.kind), (r) => r.group).map(([label, rs]) => ({
      label, section: rs[0].kind, scaleKey: rs[0].kind, rows: rs.map((r) => ({ name: r.name, values: [r.mbPerSec] }))
    }))
    const series = [{ name: 'throughput', colors: [], unit: 'MB/s' }]
    const latGroups = latencyGroups(data, (r) => r.kind)
    const inputs = data.inputs
      ? `Digests hash ${Math.round(data.inputs.digestBytes / 1048576)} MiB buffers; codecs work on ${(data.inputs.jsonBytes / 1048576).toFixed(1)} MiB of JSON.`
      : ''
    return [
      {
        file: 'bench-bytes-throughput.svg',
        title: 'Digest and compression throughput',
        subtitle: `MB/s of input processed, per case. Higher is better. Bars share one scale within each kind (digest / compress / decompress). ${inputs}`.trim(),
        desc: describe('Digest and compression throughput in MB/s of input, higher is better.', groups, series),
        series,
        scale: 'linear',
        groups,
        caption: captionLines(data)
      },
      {
        file: 'bench-bytes-latency.svg',
        title: 'Digests and compression: what the rest of the app feels',
        subtitle: 'p99 event-loop delay and p99 fs.readFile latency (4 KiB, every 20 ms) while each case runs flat out. Lower is better. Log scale.',
        desc: describe('p99 event-loop delay and p99 fs.readFile latency in milliseconds during digest and compression load, lower is better.', latGroups, LATENCY_SERIES),
        series: LATENCY_SERIES,
        scale: 'log',
        groups: latGroups,
        caption: captionLines(data)
      }
    ]
  },

  image (data) {
    const byCase = (value) => groupBy(data.results, (r) => r.group).map(([label, rs]) => ({
      label, scaleKey: label, rows: rs.map((r) => ({ name: r.name, values: [value(r)] }))
    }))
    const groups = byCase((r) => r.opsPerSec)
    const series = [{ name: 'throughput', colors: [], unit: 'ops/s' }]
    const memory = byCase((r) => r.peakRssMiB).map((g) => ({ ...g, scaleKey: 'all' }))
    const memSeries = [{ name: 'peak RSS', colors: [], unit: 'MiB' }]
    const latGroups = latencyGroups(data)
    const c = data.config || {}
    const s = data.peers?.sharp
    const extra = [
      s && `sharp ${s.version} (libvips ${s.libvips}, concurrency ${s.concurrency}, cache off).`,
      data.peers?.['@napi-rs/image'] && `@napi-rs/image ${data.peers['@napi-rs/image'].version} (Transformer, Lanczos3).`,
      data.offthreadNote && `${data.offthreadNote}.`
    ].filter(Boolean).join(' ')
    const load = `${c.concurrency ?? '?'} images in flight, ${c.seconds ?? '?'} s per case`
    return [
      {
        file: 'bench-image-throughput.svg',
        title: 'Image pipeline throughput',
        subtitle: `Images per second with ${load}, each input a Buffer in memory. Higher is better. Bars are scaled within each case.`,
        desc: describe('Image pipeline throughput in operations per second, higher is better.', groups, series),
        series,
        scale: 'linear',
        groups,
        caption: captionLines(data, extra)
      },
      {
        file: 'bench-image-latency.svg',
        title: 'Images: what the rest of the app feels',
        subtitle: 'p99 event-loop delay and p99 fs.readFile latency (4 KiB, every 20 ms) while each library resizes flat out. Lower is better. Log scale.',
        desc: describe('p99 event-loop delay and p99 fs.readFile latency in milliseconds during image load, lower is better.', latGroups, LATENCY_SERIES),
        series: LATENCY_SERIES,
        scale: 'log',
        groups: latGroups,
        caption: captionLines(data, extra)
      },
      {
        file: 'bench-image-memory.svg',
        title: 'Images: peak memory',
        subtitle: `Peak RSS (VmHWM) of the process that ran each case alone, with ${load}. Lower is better.`,
        desc: describe('Peak resident memory in MiB per image case and library, lower is better.', memory, memSeries),
        series: memSeries,
        scale: 'linear',
        groups: memory,
        caption: captionLines(data, extra)
      }
    ]
  },

  noop (data) {
    const inFlight = data.config?.inFlight
    const groups = [{ label: null, rows: data.results.map((r) => ({ name: r.name, values: [r.pipelinedOpsPerSec] })) }]
    const series = [{ name: 'pipelined', colors: [], unit: 'ops/s' }]
    return [{
      file: 'bench-noop-throughput.svg',
      title: 'Dispatch overhead: no-op round trips',
      subtitle: `Empty tasks completed per second with ${inFlight ?? '?'} in flight. Higher is better; this is the fixed cost every call pays.`,
      desc: describe('No-op task round trips per second, pipelined, higher is better.', [{ label: 'pipelined', rows: groups[0].rows }], series),
      series,
      scale: 'linear',
      groups,
      caption: captionLines(data, 'Serial (one at a time) mean latency: ' +
        data.results.map((r) => `${r.name} ${fmt(r.serialMeanUs)} µs`).join(', ') + '.')
    }]
  }
}

function main () {
  fs.mkdirSync(OUT_DIR, { recursive: true })
  let written = 0
  for (const [name, build] of Object.entries(charts)) {
    const file = path.join(RESULTS_DIR, `${name}.json`)
    if (!fs.existsSync(file)) {
      process.stderr.write(`skip ${name}: ${path.relative(process.cwd(), file)} not found (run the ${name} bench first)\n`)
      continue
    }
    const data = JSON.parse(fs.readFileSync(file, 'utf8'))
    if (!Array.isArray(data.results) || data.results.length === 0) {
      process.stderr.write(`skip ${name}: no results in ${file}\n`)
      continue
    }
    for (const chart of build(data)) {
      const out = path.join(OUT_DIR, chart.file)
      fs.writeFileSync(out, renderChart(chart))
      process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`)
      written++
    }
  }
  if (written === 0) process.exitCode = 1
}

if (require.main === module) main()

module.exports = { renderChart, fmt }
