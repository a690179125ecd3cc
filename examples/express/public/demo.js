// The demo page: a ticker (round trips over the /ticker WebSocket), a live chart fed by GET /events,
// and buttons that POST /demo/hash, POST /demo/json or upload photos to POST /thumbnail.
// Plain browser JavaScript, no build step, no dependencies.
'use strict'

const WINDOW_MS = 30_000
const TICK_PAUSE_MS = 10 // pause between ticker round trips
const TICKER_STEPS = 40
const CHART_FRAME_MS = 100
const LABELS = {
  sync: 'main thread',
  pool: 'offthread',
  libuv: 'libuv',
  thumbnail: 'thumbnails',
  'compute-main': 'JS, main thread',
  'compute-offthread': 'JS, offthread workers',
  'compute-piscina': 'JS, piscina',
  'json-sync': 'JSON.parse 20 MB',
  'json-offthread': 'parseJson 20 MB'
}
const WHERE = {
  sync: 'on the main thread',
  pool: 'with offthread',
  libuv: 'on libuv',
  thumbnail: 'as thumbnails with offthread',
  'compute-main': 'computed on the main thread',
  'compute-offthread': 'computed on offthread workers',
  'compute-piscina': 'computed on piscina',
  'json-sync': 'parsed with JSON.parse on the main thread',
  'json-offthread': 'parsed with offthread parseJson'
}
/** What one job of a mode is called. */
const JOBS = (mode) => (mode === 'thumbnail' ? 'photos' : mode.startsWith('compute-') ? 'computations' : mode.startsWith('json-') ? 'JSON document (20 MB)' : 'hashes')

const $ = (selector) => document.querySelector(selector)
const fmt = (x) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x).toString() : x.toFixed(1)) : '–')

const statusEl = $('#status')
const tickerEl = $('#ticker')
const buttons = [...document.querySelectorAll('button[data-mode]')]

// --- data kept for the chart: last 30 s ---
const loopSamples = [] // { t, p50, p99, fs }
const healthSamples = [] // { t, rtt }
const runs = [] // { mode, n, start, end, ... }

function trim (list, now) {
  while (list.length > 0 && list[0].t < now - WINDOW_MS - 1000) list.shift()
}

// --- ticker: advances only when a round trip to the server's event loop completes ---
// Over a WebSocket (/ticker, echoed by the server) rather than fetch('/health'): the browser opens at
// most six HTTP connections to a server, so GETs would queue behind the page's own uploads and stall
// the ticker while the server was free. The WebSocket is a connection of its own, outside that limit.
const ticker = { count: 0, last: performance.now(), maxGap: 0, listeners: new Set() }

function tickLoop () {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ticker`)
  let t0
  const ping = () => { t0 = performance.now(); socket.send('t') }
  socket.onopen = ping
  socket.onmessage = () => {
    const t1 = performance.now()
    const gap = t1 - ticker.last
    ticker.last = t1
    ticker.count++
    if (ticker.count > 1) ticker.maxGap = Math.max(ticker.maxGap, gap)
    healthSamples.push({ t: Date.now(), rtt: t1 - t0 })
    for (const fn of ticker.listeners) fn(t1, gap)
    renderTicker(t1 - t0)
    setTimeout(ping, TICK_PAUSE_MS)
  }
  socket.onclose = () => setTimeout(tickLoop, 500) // server gone or restarting: retry, the ticker stays frozen
}

function renderTicker (rtt) {
  const mark = tickerEl.firstElementChild
  const step = ticker.count % TICKER_STEPS
  mark.style.transform = `translateX(${(step * (tickerEl.clientWidth - 24)) / (TICKER_STEPS - 1)}px)`
  tickerEl.dataset.ticks = String(ticker.count)
  tickerEl.dataset.maxGapMs = ticker.maxGap.toFixed(1)
  $('#ticks').textContent = String(ticker.count)
  $('#rtt').textContent = fmt(rtt)
  $('#max-gap').textContent = fmt(ticker.maxGap)
}

// Marks the ticker red while it has not moved for a while.
setInterval(() => tickerEl.classList.toggle('frozen', performance.now() - ticker.last > 250), 100)

/** Resolves at the next completed tick. */
function nextTick () {
  return new Promise((resolve) => {
    const fn = () => { ticker.listeners.delete(fn); resolve() }
    ticker.listeners.add(fn)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// --- server measurements over Server-Sent Events ---
let lastSample
const sampleListeners = new Set()

function connectEvents () {
  const source = new EventSource('/events')
  source.onmessage = (event) => {
    const s = JSON.parse(event.data)
    lastSample = s
    loopSamples.push({ t: s.t, p50: s.loop.p50Ms, p99: s.loop.p99Ms, fs: s.fs.lastMs, fsMax: s.fs.maxMs })
    for (const fn of sampleListeners) fn(s)
    renderPanel(s)
  }
}

function renderPanel (s) {
  for (const dd of document.querySelectorAll('#stats dd')) dd.textContent = fmtStat(s.pool[dd.dataset.key])
  const loop = { ...s.loop, fsLastMs: s.fs.lastMs, fsMaxMs: s.fs.maxMs }
  for (const dd of document.querySelectorAll('#loop dd')) dd.textContent = fmt(loop[dd.dataset.key])
}

const fmtStat = (x) => (Number.isInteger(x) ? String(x) : fmt(x))

// --- runs ---
let busy = false

async function run (mode) {
  if (busy) return
  const input = $('#n')
  const isJson = mode.startsWith('json-') // one document per click: N does not apply
  const n = isJson ? 1 : Number(input.value)
  if (!isJson && (!input.checkValidity() || !Number.isInteger(n) || n < 1 || n > 64)) {
    statusEl.textContent = 'N must be a whole number from 1 to 64.'
    input.focus()
    return
  }
  busy = true
  for (const b of buttons) b.setAttribute('aria-disabled', 'true')
  document.body.dataset.running = mode
  statusEl.textContent = `Running ${n} ${JOBS(mode)} ${WHERE[mode]}…`

  const record = { mode, n, start: Date.now(), end: undefined, maxGap: 0, loopP99: 0, fsMax: 0 }
  runs.push(record)
  const onTick = (t, gap) => { record.maxGap = Math.max(record.maxGap, gap) }
  const onSample = (s) => {
    record.loopP99 = Math.max(record.loopP99, s.loop.p99Ms)
    record.fsMax = Math.max(record.fsMax, s.fs.maxMs)
  }
  ticker.listeners.add(onTick)
  sampleListeners.add(onSample)
  try {
    const body = mode === 'thumbnail'
      ? await thumbnails(n)
      : mode.startsWith('compute-')
        ? await computations(mode.slice('compute-'.length), n)
        : isJson ? await parseJson(mode.slice('json-'.length)) : await hashes(mode, n)
    record.serverMs = body.ms
    // The gap that spans a blocked loop ends with the first tick after the answer;
    // the server's report of it comes in the next SSE messages.
    await Promise.race([nextTick(), sleep(3000)])
    await sleep(300)
    record.end = Date.now()
    addRow(record)
    $('#run-gap').textContent = fmt(record.maxGap)
    statusEl.textContent = `${n} ${JOBS(mode)} ${WHERE[mode]} took ${fmt(body.ms)} ms. ` +
      `Longest ticker gap meanwhile: ${fmt(record.maxGap)} ms; loop p99 peak ${fmt(record.loopP99)} ms.`
  } catch (err) {
    record.end = Date.now()
    statusEl.textContent = `The run ${WHERE[mode]} failed: ${err.message}`
  } finally {
    ticker.listeners.delete(onTick)
    sampleListeners.delete(onSample)
    busy = false
    delete document.body.dataset.running
    for (const b of buttons) b.removeAttribute('aria-disabled')
  }
}

/** N hashes in one request; the server reports how long they took. */
async function hashes (mode, n) {
  const res = await fetch(`/demo/hash?mode=${mode}&n=${n}`, { method: 'POST' })
  const body = await res.json()
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`)
  return body
}

/** One 20 MB JSON parse on the server (`how`: sync for JSON.parse, offthread for parseJson). */
async function parseJson (how) {
  const res = await fetch(`/demo/json?mode=${how}`, { method: 'POST' })
  const body = await res.json()
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`)
  return body
}

/** N requests to GET /compute at once (the server's own JavaScript, `where`: main, offthread or piscina). */
async function computations (where, n) {
  const start = performance.now()
  await Promise.all(Array.from({ length: n }, async () => {
    const res = await fetch(`/compute?mode=${where}&n=300000000`)
    const body = await res.json()
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`)
    return body
  }))
  return { ms: Math.round((performance.now() - start) * 100) / 100 }
}

let sample
/** N uploads of the chosen photo (or the sample) to POST /thumbnail at once; shows the last thumbnail. */
async function thumbnails (n) {
  const file = $('#photo').files[0]
  if (file === undefined && sample === undefined) sample = await (await fetch('sample.jpg')).blob()
  const photo = file ?? sample
  const start = performance.now()
  const results = await Promise.all(Array.from({ length: n }, async () => {
    const res = await fetch('/thumbnail?w=320&format=webp', { method: 'POST', headers: { 'content-type': photo.type || 'application/octet-stream' }, body: photo })
    if (!res.ok) throw new Error((await res.json()).error || `HTTP ${res.status}`)
    return { blob: await res.blob(), size: res.headers.get('x-image-size') }
  }))
  const ms = Math.round((performance.now() - start) * 100) / 100
  const last = results[results.length - 1]
  const img = $('#thumb-out')
  if (img.src) URL.revokeObjectURL(img.src)
  img.src = URL.createObjectURL(last.blob)
  $('#thumb-caption').textContent = `${last.size} WebP, ${last.blob.size.toLocaleString('en')} bytes, from ${file ? file.name : 'the sample'}`
  $('#thumb-figure').hidden = false
  document.body.dataset.thumbnail = last.size
  return { ms }
}

function addRow (r) {
  const tr = document.createElement('tr')
  tr.dataset.mode = r.mode
  tr.dataset.n = String(r.n)
  tr.dataset.serverMs = String(r.serverMs)
  tr.dataset.maxGapMs = r.maxGap.toFixed(1)
  tr.dataset.loopP99Ms = String(r.loopP99)
  tr.dataset.fsMaxMs = String(r.fsMax)
  for (const text of [LABELS[r.mode], r.n, fmt(r.serverMs), fmt(r.maxGap), fmt(r.loopP99), fmt(r.fsMax)]) {
    const td = document.createElement('td')
    td.textContent = String(text)
    tr.append(td)
  }
  $('#runs tbody').append(tr)
}

// --- chart: hand-rolled canvas ---
const canvas = $('#chart')
const ctx = canvas.getContext('2d')
const css = getComputedStyle(document.documentElement)
const color = (name) => css.getPropertyValue(name).trim()

function niceMax (x) {
  const floor = Math.max(x, 40)
  const pow = 10 ** Math.floor(Math.log10(floor))
  for (const m of [1, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * pow >= floor) return m * pow
  return 10 * pow
}

function draw () {
  const dpr = window.devicePixelRatio || 1
  const width = canvas.clientWidth
  const height = Math.round(width / 3)
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr)
    canvas.height = Math.round(height * dpr)
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  ctx.clearRect(0, 0, width, height)

  const now = Date.now()
  trim(loopSamples, now)
  trim(healthSamples, now)
  const pad = { left: 46, right: 10, top: 10, bottom: 24 }
  const w = width - pad.left - pad.right
  const h = height - pad.top - pad.bottom
  const visible = (s) => s.t >= now - WINDOW_MS
  let top = 0
  for (const s of loopSamples) if (visible(s)) top = Math.max(top, s.p99, s.fs)
  for (const s of healthSamples) if (visible(s)) top = Math.max(top, s.rtt)
  const yMax = niceMax(top * 1.05)
  const x = (t) => pad.left + ((t - (now - WINDOW_MS)) / WINDOW_MS) * w
  const y = (v) => pad.top + h - (Math.min(v, yMax) / yMax) * h

  ctx.font = '11px system-ui, sans-serif'
  // Runs: shaded bands with a label.
  runs.forEach((r, i) => {
    const x0 = Math.max(x(r.start), pad.left)
    const x1 = Math.min(x(r.end ?? now), pad.left + w)
    if (x1 <= pad.left) return
    ctx.fillStyle = r.mode === 'sync' || r.mode === 'json-sync' ? 'rgba(207,34,46,0.10)' : r.mode === 'libuv' ? 'rgba(130,80,223,0.12)' : 'rgba(11,95,255,0.10)'
    ctx.fillRect(x0, pad.top, Math.max(x1 - x0, 2), h)
    ctx.fillStyle = color('--muted')
    // Labels on three staggered rows, so runs close together stay readable.
    const label = `${LABELS[r.mode]} ×${r.n}`
    const lx = Math.min(x0 + 3, pad.left + w - ctx.measureText(label).width - 3)
    ctx.fillText(label, lx, pad.top + 12 + (i % 3) * 14)
  })
  // Grid and axis labels.
  ctx.strokeStyle = '#e6e9ed'
  ctx.fillStyle = color('--muted')
  ctx.lineWidth = 1
  ctx.textAlign = 'right'
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4
    const yy = Math.round(y(v)) + 0.5
    ctx.beginPath(); ctx.moveTo(pad.left, yy); ctx.lineTo(pad.left + w, yy); ctx.stroke()
    ctx.fillText(`${Math.round(v)} ms`, pad.left - 4, yy + 4)
  }
  ctx.textAlign = 'center'
  for (let s = 30; s >= 0; s -= 5) ctx.fillText(s === 0 ? 'now' : `-${s}s`, x(now - s * 1000), height - 6)
  ctx.textAlign = 'left'

  const line = (points, key, stroke, lineWidth = 1.5) => {
    ctx.strokeStyle = stroke
    ctx.lineWidth = lineWidth
    ctx.beginPath()
    let started = false
    for (const p of points) {
      if (p.t < now - WINDOW_MS - 1000) continue
      const px = x(p.t)
      const py = y(p[key])
      if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true }
    }
    ctx.stroke()
  }
  ctx.save()
  ctx.beginPath()
  ctx.rect(pad.left, pad.top - 2, w, h + 4)
  ctx.clip()
  line(loopSamples, 'fs', color('--fs'))
  line(healthSamples, 'rtt', color('--health'))
  line(loopSamples, 'p50', color('--p50'))
  line(loopSamples, 'p99', color('--p99'), 2)
  ctx.restore()
}

// --- start ---
$('#jobs').addEventListener('submit', (event) => event.preventDefault())
for (const b of buttons) {
  b.disabled = false
  b.addEventListener('click', () => run(b.dataset.mode))
}
statusEl.textContent = 'Ready. Pick N and a button; the chart and the ticker show what the server goes through.'
connectEvents()
tickLoop()
// Ten frames a second is smooth enough for a 30 s window and leaves the CPU to the ticker.
draw()
setInterval(draw, CHART_FRAME_MS)
