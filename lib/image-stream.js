'use strict'
// Streams for image(): `image(readable)` reads its input from a Readable, and `image()` with no input is a
// Duplex (`req.pipe(image().resize(320).webp()).pipe(res)`). Either way the input is gathered whole, up to
// `maxInputBytes`, and the pipeline then runs as one pool task, as sharp does; the output is pushed as one
// chunk once a reader asks for it.

const { codedError } = require('./errors')

const noop = () => {}

function tooLarge (max) {
  return codedError('ERR_IMAGE_TOO_LARGE', `Input stream exceeds maxInputBytes (${max} bytes)`)
}

function prematureClose () {
  return codedError('ERR_STREAM_PREMATURE_CLOSE', 'Input stream closed before it ended')
}

/** True for a Node Readable (or anything readable the same way: `on`, `pipe` and `read`). */
function isReadable (value) {
  return value !== null && typeof value === 'object' && typeof value.on === 'function' &&
    typeof value.pipe === 'function' && typeof value.read === 'function'
}

/** A promise that is never an unhandled rejection on its own (its users still see the rejection). */
function handled (promise) {
  promise.catch(noop)
  return promise
}

/**
 * The bytes of `readable` as one Buffer, at most `max` of them: past that the source is destroyed and the
 * promise rejects with ERR_IMAGE_TOO_LARGE; a source that errors, or closes before its end, rejects too.
 */
function collect (readable, max) {
  return handled(new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    const onData = (chunk) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += bytes.length
      if (size > max) {
        cleanup()
        readable.destroy()
        return reject(tooLarge(max))
      }
      chunks.push(bytes)
    }
    const onEnd = () => { cleanup(); resolve(Buffer.concat(chunks, size)) }
    const onError = (err) => { cleanup(); reject(err) }
    const onClose = () => { cleanup(); reject(prematureClose()) }
    function cleanup () {
      readable.off('data', onData)
      readable.off('end', onEnd)
      readable.off('error', onError)
      readable.off('close', onClose)
    }
    readable.on('data', onData)
    readable.once('end', onEnd)
    readable.once('error', onError)
    readable.once('close', onClose)
  }))
}

/**
 * The writable side of an `image()` Duplex: `image._input` resolves once the writes end (the bytes are then
 * `image._data`); the methods below are the Duplex's `_write`, `_final`, `_read` and `_destroy`.
 */
const duplex = {
  open (image) {
    image._chunks = []
    image._size = 0
    image._input = handled(new Promise((resolve, reject) => {
      image._accept = resolve
      image._refuse = reject
    }))
  },

  write (image, chunk, encoding, callback) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk
    image._size += bytes.length
    if (image._size > image._maxInputBytes()) return callback(tooLarge(image._maxInputBytes()))
    image._chunks.push(bytes)
    callback()
  },

  final (image, callback) {
    image._data = Buffer.concat(image._chunks, image._size)
    image._chunks = []
    image._input = undefined
    image._accept()
    callback()
  },

  /** A reader wants the output: run the pipeline once the input is in, and push the result. */
  read (image) {
    if (image._producing) return
    image._producing = true
    image._stop = new AbortController()
    const signals = [image._stop.signal, image._task.signal].filter(Boolean)
    image.toBuffer({ signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) }).then((data) => {
      image.push(data)
      image.push(null)
    }, (err) => image.destroy(err))
  },

  destroy (image, err, callback) {
    if (image._refuse) image._refuse(err ?? prematureClose())
    if (image._stop) image._stop.abort()
    callback(err)
  }
}

module.exports = { collect, duplex, isReadable }
