'use strict'
// The demo page's ticker: a WebSocket at /ticker that echoes each small message at once.
//
// Why not `fetch('/health')` in a loop: a browser opens at most six HTTP/1.1 connections to one
// server. While the page uploads N photos, the ticker's GETs wait in the browser behind the uploads
// and the ticker stalls though the server's loop is free (a 222 ms "gap" with offthread). A
// WebSocket has its own connection, outside that limit, so each round trip measures only the network
// and the server's event loop: a blocked loop cannot answer, a free one answers at once.
//
// A minimal RFC 6455 server, enough for the page: text or binary frames of up to 125 bytes are
// echoed, pings answered, close answered; anything else closes the connection. `attachTicker(server)`
// hooks it into an `http.Server` (server.js does). `curl http://localhost:3000/health` still works.

const { createHash } = require('node:crypto')

const PATH = '/ticker'
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11' // RFC 6455 §1.3
const MAX_PAYLOAD = 125 // one-byte length only: the page sends a few bytes
const OP_TEXT = 0x1
const OP_BINARY = 0x2
const OP_CLOSE = 0x8
const OP_PING = 0x9
const OP_PONG = 0xa

/** One unmasked, final frame from the server. */
function frame (opcode, payload) {
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload])
}

/** Answers the upgrade request and echoes frames on `socket`; adds it to `sockets` while open. */
function accept (req, socket, head, sockets) {
  const key = req.headers['sec-websocket-key']
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n')
    return
  }
  const acceptKey = createHash('sha1').update(key + GUID).digest('base64')
  socket.setNoDelay(true)
  socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
    `sec-websocket-accept: ${acceptKey}\r\n\r\n`)

  let pending = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0)
  let closed = false
  const close = (code) => {
    closed = true
    socket.off('data', onData)
    const payload = Buffer.alloc(2)
    payload.writeUInt16BE(code)
    socket.end(frame(OP_CLOSE, payload))
  }
  function onData (chunk) {
    if (closed) return
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 2) {
      const fin = (pending[0] & 0x80) !== 0
      const opcode = pending[0] & 0x0f
      const masked = (pending[1] & 0x80) !== 0
      const length = pending[1] & 0x7f
      if (length > MAX_PAYLOAD) return close(1009) // too big: not the page
      if (!fin || !masked) return close(1002) // fragmented or unmasked: not the page
      if (pending.length < 6 + length) return // wait for the rest of the frame
      const mask = pending.subarray(2, 6)
      const payload = Buffer.from(pending.subarray(6, 6 + length))
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3]
      pending = pending.subarray(6 + length)
      if (opcode === OP_TEXT || opcode === OP_BINARY) socket.write(frame(opcode, payload))
      else if (opcode === OP_PING) socket.write(frame(OP_PONG, payload))
      else if (opcode === OP_CLOSE) return close(1000)
      else if (opcode !== OP_PONG) return close(1002)
    }
  }
  socket.on('data', onData)
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  if (pending.length > 0) onData(Buffer.alloc(0))
  socket.on('error', () => socket.destroy())
  socket.setTimeout(60_000, () => socket.destroy()) // a page that went away without closing
}

/**
 * Serves the ticker WebSocket on `server` (an `http.Server`); other upgrade requests are refused.
 * Returns `close()`, which sends a close frame on every open ticker connection: `server.close()`
 * waits for them otherwise.
 */
function attachTicker (server) {
  const sockets = new Set()
  server.on('upgrade', (req, socket, head) => {
    if (req.url === PATH) accept(req, socket, head, sockets)
    else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n')
  })
  return function close () {
    for (const socket of sockets) socket.end(frame(OP_CLOSE, Buffer.from([0x03, 0xe9])), () => socket.destroy()) // 1001 going away
  }
}

module.exports = { attachTicker, TICKER_PATH: PATH }
