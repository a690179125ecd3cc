// Compiled with `tsc --noEmit --strict` in CI: every export and option of index.d.ts in use.
import {
  hashPassword, verifyPassword, hashPasswordSync, verifyPasswordSync, needsRehash, configure, stats, close, noop,
  passwordDefaults, verifyLimits, AbortError, digest, digestSync, hmac, hashFile, compress, decompress, createCompress, compression, type CompressionOptions, type HashOptions, type VerifyOptions, type PoolStats, type ErrorCode,
} from '../../index.js'

async function main (): Promise<void> {
  configure({ threads: 2, priority: 'background', maxQueue: 128 })
  const options: HashOptions = { algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1, signal: AbortSignal.timeout(1000) }
  const hash: string = await hashPassword('correct horse', options)
  const bcrypt: string = await hashPassword(new Uint8Array([1, 2, 3]), { algorithm: 'bcrypt', cost: 10, truncate: false, executor: 'libuv' })
  const scrypt: string = hashPasswordSync('pw', { algorithm: 'scrypt', logN: 17, r: 8, p: 1 })
  const pbkdf2: string = await hashPassword('pw', { algorithm: 'pbkdf2', digest: 'sha512', iterations: 210000, hashLength: 64 })
  const legacy: boolean = await verifyPassword('$6$salt$…', 'pw', { maxRounds: 656000, maxIterations: 1e6 })
  // @ts-expect-error sha1 PBKDF2 is verify-only
  await hashPassword('pw', { algorithm: 'pbkdf2', digest: 'sha1' })
  const verify: VerifyOptions = { maxMemory: 256 * 1024 * 1024, maxTimeCost: 32, maxCost: 20, secret: 'pepper' }
  const ok: boolean = await verifyPassword(hash, 'correct horse', verify)
  const okSync: boolean = verifyPasswordSync(scrypt, 'pw')
  const stale: boolean = needsRehash(bcrypt, { algorithm: 'argon2id' }) || needsRehash(pbkdf2, { algorithm: 'pbkdf2' }) || legacy
  const s: PoolStats = stats()
  const p99: number = s.waitP99Ms + s.runP99Ms
  await noop({ executor: 'pool' })
  const code: ErrorCode = new AbortError().code
  const m: number = passwordDefaults.memoryCost + verifyLimits.maxMemory
  const hex: string = await digest('sha256', [Buffer.from('a'), 'b'])
  const raw: Buffer = await digest('blake3', new Uint8Array(8), { encoding: 'buffer', key: new Uint8Array(32) })
  const mac: string = await hmac('sha256', 'key', 'data', { encoding: 'base64' })
  const small: string = digestSync('crc32c', 'abc')
  const file: string = await hashFile(new URL('file:///etc/hostname'), 'xxh3-64')
  const packed: Buffer = await compress('text', { format: 'zstd', level: 3 })
  const back: Buffer = await decompress(packed, { format: 'zstd', maxOutputLength: 1 << 20 })
  createCompress({ format: 'gzip', highWaterMark: 1 << 16 }).end(back)
  const compressionOptions: CompressionOptions = {
    encodings: ['zstd', 'br', 'gzip', 'deflate'], threshold: '1kb', level: 6, gzip: { level: 9 }, deflate: { level: 1 }, brotli: { level: 5 },
    zstd: { level: 19 }, filter: (req, res) => req.headers['x-no-compression'] === undefined && compression.filter(req, res),
  }
  const middleware: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: (err?: unknown) => void) => void = compression(compressionOptions)
  void middleware
  console.log(hex, raw.length, mac, small, file)
  await close()
  console.log(ok, okSync, stale, p99, code, m)
}

void main()
