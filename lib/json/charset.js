'use strict'
// The request charsets json() accepts (body-parser accepts any utf-* charset iconv-lite knows), decoded
// as iconv-lite decodes them for body-parser: UTF-8 stays bytes (parseJson decodes it on the pool),
// UTF-16, UTF-32 and UTF-7 (and their byte-order / IMAP forms) become a string on the loop. A BOM is
// stripped, as iconv-lite's stripBOM does.

const BOM = '\uFEFF'
const UTF8_BOM = Buffer.from(BOM, 'utf8')

/** iconv-lite's name lookup: lower case, no punctuation, no ':yyyy' suffix. */
function canonical (charset) {
  return charset.toLowerCase().replace(/:\d{4}$|[^0-9a-z]/g, '')
}

/** UTF-16 code units (as a Buffer in UTF-16LE) to a string; an odd last byte is dropped, as iconv-lite does. */
function utf16 (buf, bigEndian) {
  const even = buf.subarray(0, buf.length & ~1)
  if (!bigEndian) return even.toString('utf16le')
  const copy = Buffer.from(even)
  copy.swap16()
  return copy.toString('utf16le')
}

/** UTF-32 to a string; a code point past U+10FFFF, or an incomplete last unit, becomes U+FFFD (iconv-lite's choices). */
function utf32 (buf, bigEndian) {
  const units = []
  let out = ''
  const n = buf.length - (buf.length % 4)
  for (let i = 0; i < n; i += 4) {
    let cp = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i)
    if (cp > 0x10FFFF) cp = 0xFFFD
    if (cp >= 0x10000) {
      cp -= 0x10000
      units.push(0xD800 | (cp >> 10), 0xDC00 | (cp & 0x3FF))
    } else {
      units.push(cp)
    }
    if (units.length >= 0x2000) { out += String.fromCharCode.apply(null, units); units.length = 0 }
  }
  out += String.fromCharCode.apply(null, units)
  return n === buf.length ? out : out + '\uFFFD'
}

/** 'utf-16' without a byte order: BOM, else whichever order makes more ASCII of the first 100 units, else LE (iconv-lite). */
function utf16BigEndian (buf) {
  if (buf.length >= 2 && buf[0] === 0xFF && buf[1] === 0xFE) return false
  if (buf.length >= 2 && buf[0] === 0xFE && buf[1] === 0xFF) return true
  let be = 0
  let le = 0
  for (let i = 0; i + 1 < buf.length && i < 200; i += 2) {
    if (buf[i] === 0 && buf[i + 1] !== 0) be++
    if (buf[i] !== 0 && buf[i + 1] === 0) le++
  }
  return be > le
}

/** 'utf-32' without a byte order: BOM, else the order with more valid BMP units among the first 100, else LE (iconv-lite). */
function utf32BigEndian (buf) {
  if (buf.length >= 4 && buf[0] === 0xFF && buf[1] === 0xFE && buf[2] === 0 && buf[3] === 0) return false
  if (buf.length >= 4 && buf[0] === 0 && buf[1] === 0 && buf[2] === 0xFE && buf[3] === 0xFF) return true
  let badBE = 0; let badLE = 0; let bmpBE = 0; let bmpLE = 0
  for (let i = 0; i + 3 < buf.length && i < 400; i += 4) {
    const [a, b, c, d] = [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]
    if (a !== 0 || b > 0x10) badBE++
    if (d !== 0 || c > 0x10) badLE++
    if (a === 0 && b === 0 && (c !== 0 || d !== 0)) bmpBE++
    if ((a !== 0 || b !== 0) && c === 0 && d === 0) bmpLE++
  }
  return bmpBE - badBE > bmpLE - badLE
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * UTF-7 (RFC 2152), or its IMAP form (RFC 3501: '&' shifts, ',' for '/'), decoded as iconv-lite decodes
 * it: a byte over 0x7F outside base64 is U+FFFD, a run's odd last byte is dropped, a BOM at the start of a
 * run is dropped, and the IMAP form also takes '/'.
 */
function utf7 (buf, imap) {
  const text = buf.toString('latin1').replace(/[\u0080-\u00ff]/g, '\uFFFD')
  const shift = imap ? '&' : '+'
  const alphabet = imap ? B64 + '+/,' : B64 + '+/'
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i++]
    if (c !== shift) { out += c; continue }
    let j = i
    while (j < text.length && alphabet.includes(text[j])) j++
    const run = text.slice(i, j)
    if (run === '' && text[j] === '-') out += shift
    else {
      const units = utf16(Buffer.from(imap ? run.replace(/,/g, '/') : run, 'base64'), true)
      out += units.startsWith(BOM) ? units.slice(1) : units
    }
    i = j < text.length && text[j] === '-' ? j + 1 : j
  }
  return out
}

/** Decoders of the utf-* charsets iconv-lite knows (the ones body-parser accepts), by canonical name. */
const DECODERS = {
  utf8: null, // parseJson decodes UTF-8 itself, on the pool
  utf16: (buf) => utf16(buf, utf16BigEndian(buf)),
  utf16le: (buf) => utf16(buf, false),
  utf16be: (buf) => utf16(buf, true),
  utf32: (buf) => utf32(buf, utf32BigEndian(buf)),
  utf32le: (buf) => utf32(buf, false),
  utf32be: (buf) => utf32(buf, true),
  utf7: (buf) => utf7(buf, false),
  utf7imap: (buf) => utf7(buf, true)
}

function hasDecoder (charset) {
  return Object.prototype.hasOwnProperty.call(DECODERS, canonical(charset))
}

/**
 * The body as parseJson's input: UTF-8 stays a Buffer (decoded on the pool), without its BOM; other
 * charsets become a string, without its BOM, as iconv-lite decodes them for body-parser.
 */
function decodeBody (buf, charset) {
  const decode = DECODERS[canonical(charset)]
  if (decode === null) {
    return buf.length >= 3 && buf[0] === UTF8_BOM[0] && buf[1] === UTF8_BOM[1] && buf[2] === UTF8_BOM[2] ? buf.subarray(3) : buf
  }
  const text = decode(buf)
  return text.startsWith(BOM) ? text.slice(1) : text
}

module.exports = { decodeBody, hasDecoder }
