// offthread: CPU-heavy work on native threads below the event loop's priority.
// Hand-written public types; the generated binding types live in binding.d.ts.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex, Readable } from 'node:stream'

/** Options every async function accepts. */
export interface TaskOptions {
  /** Cancels the task: a queued task never runs; a running one stops at its next checkpoint. Rejects with `AbortError` (`code: 'ABORT_ERR'`). */
  signal?: AbortSignal
  /**
   * Where the work runs. `'pool'` (default): offthread's own low-priority threads.
   * `'libuv'`: Node's libuv threadpool (shared with fs, dns.lookup, zlib), for comparison.
   * @default 'pool'
   */
  executor?: 'pool' | 'libuv'
}

export type PasswordAlgorithm = 'argon2id' | 'argon2i' | 'argon2d' | 'bcrypt' | 'scrypt' | 'pbkdf2'

/** A password: a string (hashed as UTF-8) or raw bytes. */
export type PasswordInput = string | Uint8Array

/** Parameters of a password hash. Options of other algorithms than `algorithm` are ignored. */
export interface HashParams {
  /** @default 'argon2id' */
  algorithm?: PasswordAlgorithm
  /** argon2: memory in KiB, from 8 × parallelism to 4194304. @default 19456 */
  memoryCost?: number
  /** argon2: passes over memory, 1–65536. @default 2 */
  timeCost?: number
  /** argon2: lanes, 1–255. Lanes run on idle pool threads. @default 1 */
  parallelism?: number
  /** argon2 (4–1024), scrypt (16–1024) and pbkdf2 (16–64): hash bytes. @default 32 (pbkdf2: the digest's size, 32 or 64) */
  hashLength?: number
  /** argon2 and scrypt: salt bytes, 8–64; pbkdf2: 16–64. @default 16 */
  saltLength?: number
  /** argon2: a pepper kept outside the database, at most 1024 bytes. Not stored in the hash. */
  secret?: string | Uint8Array
  /** argon2: associated data, at most 256 bytes. Stored in the hash as `data=`. */
  associatedData?: string | Uint8Array
  /** bcrypt: log2 rounds, 4–31. @default 10 */
  cost?: number
  /** bcrypt: accept passwords over 72 bytes, using their first 72 bytes (legacy behaviour). @default false */
  truncate?: boolean
  /** scrypt: log2 of N, 1–24. @default 17 */
  logN?: number
  /** scrypt: block size, 1–32. @default 8 */
  r?: number
  /** scrypt: parallelism, 1–16. @default 1 */
  p?: number
  /** pbkdf2: the HMAC digest. `'sha1'` is read by verifyPassword only. @default 'sha256' */
  digest?: 'sha256' | 'sha512'
  /** pbkdf2: iterations, 1000–100000000. @default 600000 for sha256, 210000 for sha512 (OWASP) */
  iterations?: number
  /** Longest password accepted, in bytes (1–1048576); longer ones reject with ERR_PASSWORD_TOO_LONG before any work. @default 4096 */
  maxPasswordLength?: number
}

export interface HashOptions extends HashParams, TaskOptions {}

/** Ceilings applied to a stored hash before verifying it, so that one bad row cannot exhaust the server. */
export interface VerifyLimits {
  /** Bytes of memory a stored argon2 (m × 1024) or scrypt (128 × r × N) hash may need. @default 268435456 (256 MiB) */
  maxMemory?: number
  /** Highest argon2 timeCost (and scrypt p) accepted. @default 32 */
  maxTimeCost?: number
  /** Highest bcrypt cost accepted (also inside Django's and passlib's bcrypt formats). @default 20 */
  maxCost?: number
  /** Most PBKDF2 work accepted: iterations × output blocks (PHC, passlib and Django notations). @default 5000000 */
  maxIterations?: number
  /** Highest SHA-crypt (`$5$`, `$6$`) rounds accepted, 1000–999999999. @default 1000000 */
  maxRounds?: number
}

export interface VerifyOptions extends VerifyLimits, TaskOptions {
  /** argon2 pepper used when hashing. Ignored for bcrypt and scrypt hashes. */
  secret?: string | Uint8Array
  /** argon2 associated data; by default the hash's own `data=` field. */
  associatedData?: string | Uint8Array
  /** @default 4096 */
  maxPasswordLength?: number
}

/**
 * Hashes a password on the pool. Resolves a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`,
 * `$scrypt$ln=17,r=8,p=1$…`, `$pbkdf2-sha256$i=600000,l=32$…`) or a bcrypt `$2b$10$…` string.
 * In FIPS mode (`crypto.getFips()`), PBKDF2 is computed by node:crypto instead. The salt comes from the OS CSPRNG.
 * Costs one hash (~10–20 ms of one core at the defaults), off the event loop.
 */
export function hashPassword(password: PasswordInput, options?: HashOptions): Promise<string>

/**
 * Checks a password against a stored hash, detecting the algorithm from it: offthread's own
 * formats, and the ones apps inherit (Django's `pbkdf2_sha256$…`, `bcrypt_sha256$…`, `argon2$…`,
 * `scrypt$…`; passlib's `$pbkdf2-sha256$…` and `$bcrypt-sha256$…`; glibc's `$5$`/`$6$`; see the
 * README's table). Resolves `false` for a wrong password (compared in constant time); rejects
 * `ERR_INVALID_HASH` for a hash it cannot parse or whose cost exceeds the limits.
 */
export function verifyPassword(hash: string, password: PasswordInput, options?: VerifyOptions): Promise<boolean>

/** `hashPassword` on the calling thread. Blocks the event loop for the whole hash. */
export function hashPasswordSync(password: PasswordInput, options?: HashParams): string

/** `verifyPassword` on the calling thread. Blocks the event loop for the whole hash. */
export function verifyPasswordSync(hash: string, password: PasswordInput, options?: Omit<VerifyOptions, keyof TaskOptions>): boolean

/**
 * True when `hash` was made with another algorithm, version or cost than `options` (default:
 * the OWASP argon2id parameters). Synchronous and cheap: it parses, computes nothing.
 * Throws `ERR_INVALID_HASH` on a hash it cannot parse.
 */
export function needsRehash(hash: string, options?: HashParams): boolean

/** The defaults `hashPassword` uses (OWASP Password Storage Cheat Sheet). */
export const passwordDefaults: Readonly<Required<Pick<HashParams,
  'algorithm' | 'memoryCost' | 'timeCost' | 'parallelism' | 'hashLength' | 'saltLength' | 'cost' | 'logN' | 'r' | 'p' | 'maxPasswordLength'>>>

/** The default ceilings `verifyPassword` applies. */
export const verifyLimits: Readonly<Required<VerifyLimits>>

export interface PoolConfig {
  /** Pool threads, 1–1024. Precedence: this, then `OFFTHREAD_THREADS`, then the available parallelism (cgroup-aware). */
  threads?: number
  /** `'background'` (default): nice +10 on Linux (SCHED_OTHER priority −10 on macOS, THREAD_PRIORITY_BELOW_NORMAL on Windows), so the event loop wins a contended core. `'normal'`: same as the process. */
  priority?: 'background' | 'normal'
  /** Tasks allowed to wait; beyond it calls reject at once with `ERR_QUEUE_FULL`. 1–16777216. @default 64 × threads */
  maxQueue?: number
  /**
   * The machine-wide budget: every offthread process on the host with it on shares `slots` slots, so
   * together they run at most that many pool tasks; a task waits for a slot in its own process's queue
   * (still cancellable by its signal). `true` for the defaults, `false` to keep it off even when
   * `OFFTHREAD_MACHINE=1`; when not given, `OFFTHREAD_MACHINE=1` turns it on. `slots` and `dir` not
   * given come from `OFFTHREAD_MACHINE_SLOTS` / `OFFTHREAD_MACHINE_DIR`, then the defaults. A
   * directory that cannot be used throws here (`EACCES`, `EIO`, …). With the budget on, a task's
   * memory goes back to the system when it ends (on glibc this fixes malloc's mmap threshold at 4 MiB
   * for the process). See README "Processes and machines".
   */
  machine?: boolean | MachineConfig
}

export interface MachineConfig {
  /** Slots shared by every process using `dir`, 1–1024. @default the host's CPUs (cgroup-aware) */
  slots?: number
  /** Where the slot files `slot-<i>` live; created (0700) if missing. @default `<tmpdir>/offthread-<uid>-machine` */
  dir?: string
}

/** The machine-wide budget as `stats()` reports it. */
export interface MachineStats {
  slots: number
  /** Slots any process holds now (this one included), probed with a non-blocking lock per slot. */
  inUse: number
  dir: string
}

/** Sets the pool's options. Call before first use; afterwards it throws `ERR_POOL_STARTED`. */
export function configure(config: PoolConfig): void

export interface PoolStats {
  threads: number
  maxQueue: number
  priority: 'background' | 'normal'
  /** Tasks waiting for a thread. */
  queued: number
  /** Tasks running now. */
  running: number
  completed: number
  failed: number
  cancelled: number
  /** Calls refused with ERR_QUEUE_FULL. */
  rejected: number
  /** Queue wait and run time percentiles over the last 1024 tasks of the last 60 s, in ms. */
  waitP50Ms: number
  waitP99Ms: number
  runP50Ms: number
  runP99Ms: number
  closed: boolean
  /** Promises of this thread (main or worker) not yet settled. */
  inFlight: number
  /**
   * The same budget by kind. A running JS task (`workers()`, `run()`) holds one pool thread, so
   * `kinds.native.running + kinds.js.running` does not exceed `threads`, except for work such a task
   * awaits on the thread it lent (offthread's functions or a nested pool inside its worker), which counts
   * as running too while its lender waits. `js` is process-wide.
   */
  kinds: { native: KindStats; js: KindStats }
  /** The machine-wide budget, or null when it is off. */
  machine: MachineStats | null
}

/** Queued and running tasks of one kind. */
export interface KindStats {
  queued: number
  running: number
}

/** The pool's counters, as plain numbers a dashboard can poll. */
export function stats(): PoolStats

/**
 * Stops admission for the whole process (later calls reject `ERR_POOL_CLOSED`) and resolves
 * once every task this thread has in flight has settled and this thread's worker pools have
 * ended their workers. For graceful shutdown.
 */
export function close(): Promise<void>

// ---------------------------------------------------------------------------------------------
// Your own JavaScript: worker threads inside the pool's budget

type AnyFunction = (...args: any[]) => any

/** The names of the functions a task module exports (`'default'` for its default export). */
export type TaskName<M> = { [K in keyof M]: M[K] extends AnyFunction ? K : never }[keyof M] & string

/** The function a task module exports as `N`. */
export type TaskFunction<M, N> = N extends keyof M ? (M[N] extends AnyFunction ? M[N] : never) : never

/** What a task function sees as `this` (a `function`, not an arrow): its signal and the pool's `workerData`. */
export interface TaskContext {
  /** Aborts when the caller's signal does. Poll `this.signal.aborted` (or `throwIfAborted()`) in long loops. */
  signal: AbortSignal
  workerData: unknown
}

export interface WorkerTaskOptions {
  /**
   * Queued: the task never runs. Running: `this.signal` aborts; a task that has not returned after
   * `abortGraceMs` has its worker terminated (and replaced). Either way the promise rejects with `AbortError`.
   */
  signal?: AbortSignal
  /** ArrayBuffers (and ports) moved to the worker instead of copied: the caller's are detached at the call. */
  transfer?: readonly import('node:worker_threads').TransferListItem[]
}

/** The arguments after `name`/`fn`: the call's arguments (omissible when there are none), then options. */
type TaskArgs<F extends AnyFunction> = Parameters<F> extends []
  ? [args?: [], options?: WorkerTaskOptions]
  : [args: Parameters<F>, options?: WorkerTaskOptions]

export interface WorkersOptions {
  /** Workers kept alive when idle. @default 0 */
  minThreads?: number
  /** Workers at most. A running task also holds a pool thread, so more than `threads` never run at once. @default the pool's threads */
  maxThreads?: number
  /** Milliseconds an idle worker above `minThreads` lives. @default 10000 */
  idleTimeout?: number
  /** Milliseconds a running task has to return after its signal aborted before its worker is terminated. @default 1000 */
  abortGraceMs?: number
  resourceLimits?: import('node:worker_threads').ResourceLimits
  env?: NodeJS.Dict<string> | typeof import('node:worker_threads').SHARE_ENV
  execArgv?: string[]
  /** Cloned to each worker: `require('node:worker_threads').workerData` and `this.workerData`. */
  workerData?: unknown
  /** Bytes of V8 heap after which a worker is replaced once its task ends (tinypool's option). */
  maxMemoryLimitBeforeRecycle?: number
}

/** Worker threads running the functions of one task module (or functions sent with `exec`). */
export interface WorkerPool<M = Record<string, AnyFunction>> {
  /** Runs the module's export `name` with `args` on a worker; resolves with its awaited result (structured clone). */
  run<N extends TaskName<M>>(name: N, ...rest: TaskArgs<TaskFunction<M, N>>): Promise<Awaited<ReturnType<TaskFunction<M, N>>>>
  /** Runs a self-contained function on a worker. Its source travels, its closure does not: see `run()`. */
  exec<F extends AnyFunction>(fn: F, ...rest: TaskArgs<F>): Promise<Awaited<ReturnType<F>>>
  readonly threads: { workers: number; idle: number; tasks: number }
  /** Stops accepting tasks (`ERR_POOL_CLOSED`); resolves once its tasks settled and its workers exited. */
  close(): Promise<void>
}

/**
 * Worker threads for the functions `module` exports (a path, resolved from the working directory, or
 * a `file:` URL; CommonJS or ESM). Each task first takes a slot in offthread's queue (`maxQueue`,
 * `ERR_QUEUE_FULL`) and holds one pool thread while it runs; workers run at the pool's priority.
 * A task whose worker exits (`process.exit`, an uncaught error, `resourceLimits`) rejects with
 * `ERR_WORKER_EXITED` (`exitCode`, and the worker's error as `cause`). Type it with
 * `workers<typeof import('./tasks.js')>('./tasks.js')`.
 */
export function workers<M = Record<string, AnyFunction>>(module: string | URL | null, options?: WorkersOptions): WorkerPool<M>

/**
 * Runs a self-contained function on a worker of a shared pool: `await run((a, b) => a + b, 1, 2)`.
 * Its source is compiled once per worker; closures do not travel. A free identifier that is not a
 * worker global is refused (`ERR_INVALID_ARG_VALUE`, naming it); `require` inside resolves from the
 * working directory.
 */
export function run<F extends AnyFunction>(fn: F, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>

/** A task that does nothing on the pool: measures the round trip (~µs). */
export function noop(options?: TaskOptions): Promise<void>

/** Bytes accepted by the digest and compression functions: hashed or compressed as one stream when an array. */
export type BinaryLike = string | ArrayBufferView | ArrayBuffer
export type BytesInput = BinaryLike | readonly BinaryLike[]

export type DigestAlgorithm =
  | 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-512' | 'md5'
  | 'blake3' | 'xxh3-64' | 'xxh3-128' | 'xxh64' | 'crc32' | 'crc32c'
export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sha3-256' | 'sha3-512' | 'md5'
export type DigestEncoding = 'hex' | 'base64' | 'base64url' | 'buffer'

export interface DigestOptions<E extends DigestEncoding = DigestEncoding> extends TaskOptions {
  /** @default 'hex' */
  encoding?: E
  /** blake3 only: keyed mode, exactly 32 bytes. */
  key?: string | Uint8Array
}

type Digested<E> = E extends 'buffer' ? Buffer : string

/**
 * Digest of `data` on the pool (buffers of 64 KiB or more are read in place on Node 20 and copied on
 * Node 22+: do not modify them until the promise settles). blake3 uses several pool threads on large inputs when they are idle.
 * Integer hashes (xxh*, crc*) come out big-endian, as their reference hex forms.
 */
export function digest<E extends DigestEncoding = 'hex'>(algorithm: DigestAlgorithm, data: BytesInput, options?: DigestOptions<E>): Promise<Digested<E>>
/** `digest` on the calling thread, for small inputs (blocks the event loop while it hashes). */
export function digestSync<E extends DigestEncoding = 'hex'>(algorithm: DigestAlgorithm, data: BytesInput, options?: Omit<DigestOptions<E>, keyof TaskOptions>): Digested<E>
/** HMAC of `data` with `key` on the pool. */
export function hmac<E extends DigestEncoding = 'hex'>(algorithm: HmacAlgorithm, key: string | Uint8Array, data: BytesInput, options?: { encoding?: E } & TaskOptions): Promise<Digested<E>>
/** `hmac` on the calling thread, for small inputs. */
export function hmacSync<E extends DigestEncoding = 'hex'>(algorithm: HmacAlgorithm, key: string | Uint8Array, data: BytesInput, options?: { encoding?: E }): Digested<E>

export interface HashFileOptions<E extends DigestEncoding = DigestEncoding> extends DigestOptions<E> {
  /** HMAC the file with this key instead (SHA-1/2/3 and MD5). */
  hmacKey?: string | Uint8Array
}
/**
 * Digest of a file, read on a pool thread with a 1 MiB buffer: no libuv thread, bounded memory.
 * Rejects with `ENOENT`, `EACCES`, `EISDIR` or `EIO`; a FIFO, device or socket with `ERR_NOT_REGULAR_FILE`
 * before anything is read (such a read could block a pool thread forever).
 * @param algorithm @default 'sha256'
 */
export function hashFile<E extends DigestEncoding = 'hex'>(path: string | URL, algorithm?: DigestAlgorithm, options?: HashFileOptions<E>): Promise<Digested<E>>

export type CompressionFormat = 'gzip' | 'deflate' | 'deflate-raw' | 'brotli' | 'zstd' | 'lz4'

export interface CompressOptions extends TaskOptions {
  /** @default 'gzip' */
  format?: CompressionFormat
  /** gzip/deflate 0–9 (default 6), brotli 0–11 (default 4), zstd -7–22 (default 3); lz4 has none. */
  level?: number
}

export interface DecompressOptions extends TaskOptions {
  /** @default 'gzip' (multi-member gzip is read to the end) */
  format?: CompressionFormat
  /** Rejects with `ERR_BUFFER_TOO_LARGE` (RangeError) past this many output bytes. @default 1073741824 (1 GiB) */
  maxOutputLength?: number
}

/** Compresses `data` on the pool. The formats interoperate with node:zlib (lz4: LZ4 frame format). */
export function compress(data: BytesInput, options?: CompressOptions): Promise<Buffer>
/** Decompresses `data` on the pool. Corrupt or truncated input rejects with `ERR_DECOMPRESS`. */
export function decompress(data: BytesInput, options?: DecompressOptions): Promise<Buffer>
/** `compress` on the calling thread, for small inputs. */
export function compressSync(data: BytesInput, options?: Omit<CompressOptions, keyof TaskOptions>): Buffer
/** `decompress` on the calling thread, for small inputs. */
export function decompressSync(data: BytesInput, options?: Omit<DecompressOptions, keyof TaskOptions>): Buffer

/**
 * A Transform stream whose chunks are compressed on the pool, in order, with backpressure. `flush()`
 * compresses what was written so far and pushes it out as a decodable prefix (zlib's Z_SYNC_FLUSH,
 * brotli's flush operation, zstd's flush, the current LZ4 block), as zlib streams' `flush()` does.
 */
export function createCompress(options?: CompressOptions & import('node:stream').TransformOptions): import('node:stream').Transform & { flush(callback?: () => void): void }
/** A Transform stream decompressing on the pool; `maxOutputLength` bounds the whole stream. */
export function createDecompress(options?: DecompressOptions & import('node:stream').TransformOptions): import('node:stream').Transform

/** An HTTP content-coding the `compression` middleware can produce. */
export type CompressionEncoding = 'zstd' | 'br' | 'gzip' | 'deflate'

export interface CompressionOptions {
  /**
   * The codings offered. The request's Accept-Encoding decides by q-value, as in the `compression`
   * package; this order breaks ties.
   * @default ['zstd', 'br', 'gzip', 'deflate']
   */
  encodings?: CompressionEncoding[]
  /** The coding for requests without Accept-Encoding (the package's 1.8 option); one not offered means identity. @default 'identity' */
  enforceEncoding?: CompressionEncoding | 'identity'
  /** Responses whose size is known (Content-Length, or a single `res.end(body)`) and below this are sent as is. Bytes, or a string such as `'1kb'`. @default 1024 */
  threshold?: number | string
  /** Whether to compress this response; called when the headers are written. @default compression.filter (a compressible Content-Type) */
  filter?: (req: IncomingMessage, res: ServerResponse) => boolean
  /** gzip's and deflate's level (0–9; -1 is the default), as in the `compression` package. @default 6 */
  level?: number
  /** @default { level: 6 } */
  gzip?: { level?: number }
  /** @default { level: 6 } */
  deflate?: { level?: number }
  /** brotli quality, 0–11, or zlib's form `{ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }` (no other parameter). @default { level: 4 } */
  brotli?: { level?: number, params?: Record<number, number> }
  /** zstd level, -7–22. @default { level: 3 } */
  zstd?: { level?: number }
}

/**
 * A middleware (Express, Connect or node:http) compressing responses on the pool with zstd, brotli,
 * gzip or deflate negotiated from Accept-Encoding; a replacement for the `compression` package.
 * Adds `Vary: Accept-Encoding`, removes Content-Length when compressing, and skips HEAD, 204, 304,
 * already-encoded, `Cache-Control: no-transform` and below-threshold responses. `res.flush()`
 * compresses and flushes what was written so far in one pool task and writes it out (server-sent
 * events). If the compressor fails, the response is destroyed. Options are checked when called.
 */
export function compression(options?: CompressionOptions): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void
export namespace compression {
  /** The default filter: true for a compressible Content-Type (text/* but text/event-stream, JSON, JavaScript, XML, SVG, …). */
  function filter(req: IncomingMessage, res: ServerResponse): boolean
}

// ---------------------------------------------------------------------------------------------
// Images: a sharp-compatible subset. Method and option names are sharp's, so sharp code ports by
// changing the import. Each method validates its arguments at once and throws
// "Expected … for … but received …" (code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE).
// ---------------------------------------------------------------------------------------------

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp'
export type OutputFormat = 'jpeg' | 'jpg' | 'png' | 'webp' | 'gif' | 'avif' | 'raw'

/** A colour: '#rgb', '#rrggbb', '#rrggbbaa', 'rgb(…)', 'rgba(…)', a CSS name, or `{ r, g, b, alpha }` (alpha 0–1). */
export type Color = string | { r?: number; g?: number; b?: number; alpha?: number }

export interface ImageOptions extends TaskOptions {
  /**
   * Refuse inputs with more pixels (width × height, from the header, before any pixel buffer; frames × canvas
   * for `animated`), and every stage's image too: rotate's canvas, extract, resize (and contain's padding) are
   * planned from the header and refused with ERR_IMAGE_TOO_LARGE before anything is allocated. Default
   * 268402689 (0x3FFF × 0x3FFF); `true` is the default. `false` or 0 lifts it for the input, but no stage may
   * then exceed the larger of the input's pixels and 0x3FFF²; and a header must be backed by data (a PNG or
   * JPEG too short for its declared size is ERR_IMAGE_DECODE at once).
   */
  limitInputPixels?: number | boolean
  /** Apply the EXIF orientation (1–8). Default true (sharp's default is false). */
  autoOrient?: boolean
  /** When to give up on a damaged input, least to most strict: 'none', 'truncated', 'error', 'warning' (default, as sharp). */
  failOn?: 'none' | 'truncated' | 'error' | 'warning'
  /** GIF/WebP: decode every frame from `page` on (kept by GIF and WebP output: each frame through the whole pipeline; other encoders take the first). Default false: one frame. The same as `pages: -1`. */
  animated?: boolean
  /**
   * GIF/WebP, as sharp: how many frames to read from `page`, 1 to 100000, or -1 for every frame from `page` on.
   * Wins over `animated`. Default 1. A run past the last frame rejects with ERR_OUT_OF_RANGE ("bad page number").
   * GIF and WebP output keep the run (with its own delays); other outputs take its first frame. 0 throws
   * ERR_OUT_OF_RANGE. Ignored for formats with one page (JPEG, PNG, TIFF, BMP).
   */
  pages?: number
  /** GIF/WebP, as sharp: the first frame to read, from 0 (0 to 100000). Default 0. Ignored for formats with one page. */
  page?: number
  /**
   * Path inputs: the largest file read, in bytes. A larger file rejects with ERR_FS_FILE_TOO_LARGE (a RangeError)
   * before anything is read; metadata() reads only the bytes its headers need (64 KiB for most JPEG/PNG/WebP;
   * GIF and TIFF whole) and fails only if those run past it. A path that is not a regular file (a FIFO, device
   * or socket) rejects with ERR_NOT_REGULAR_FILE before any read. Reads stop at the signal (checked every
   * 1 MiB). Buffer inputs are not limited (they are in memory already). Integer from 1 to 2^53 - 1.
   * @default 536870912 (512 MiB)
   */
  maxInputBytes?: number
  /** The input Buffer is raw 8-bit pixels, channels interleaved (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA); longer buffers are allowed. Default output: raw. */
  raw?: RawInput
}

/** Raw pixels' shape: width and height 1–0x3FFFFFFF, channels 1–4. */
export interface RawInput {
  width: number
  height: number
  channels: 1 | 2 | 3 | 4
}

/** An image of one colour: `image({ create })` or a composite layer's `input: { create }`. Channels 3 (the colour's alpha is ignored) or 4. Checked against `limitInputPixels` before anything is allocated. */
export interface CreateOptions {
  width: number
  height: number
  channels: 3 | 4
  background: Color
}

/** libvips's blend modes, as sharp names them ('color-dodge' and 'color-burn' are accepted too). */
export type Blend =
  | 'clear' | 'source' | 'over' | 'in' | 'out' | 'atop' | 'dest' | 'dest-over' | 'dest-in' | 'dest-out' | 'dest-atop'
  | 'xor' | 'add' | 'saturate' | 'multiply' | 'screen' | 'overlay' | 'darken' | 'lighten'
  | 'colour-dodge' | 'color-dodge' | 'colour-burn' | 'color-burn' | 'hard-light' | 'soft-light' | 'difference' | 'exclusion'

/** One layer of `composite()`. */
export interface CompositeLayer {
  /** An encoded image (Buffer, Uint8Array, ArrayBuffer, or a path read on the pool), raw pixels (with `raw`), or `{ create }`. */
  input: string | Uint8Array | ArrayBuffer | { create: CreateOptions }
  /** The input is raw pixels of this shape. */
  raw?: RawInput
  /** Default 'over'. */
  blend?: Blend
  /** Where the layer goes when `left`/`top` are not given. Default 'centre'. */
  gravity?: Position
  /** Offsets from the base's top-left corner, both or neither; −100000000 to 100000000 (a layer may lie partly off the base). */
  left?: number
  top?: number
  /** Repeat the layer over the whole base (then `left`/`top` must be 0 or more). */
  tile?: boolean
  /** The layer's colours are already multiplied by its alpha. */
  premultiplied?: boolean
  /** Apply the layer's EXIF orientation. Default false, as sharp. */
  autoOrient?: boolean
}

export type Fit = 'cover' | 'contain' | 'fill' | 'inside' | 'outside'
export type Kernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos3'
export type Position =
  | 'centre' | 'center' | 'top' | 'right' | 'bottom' | 'left'
  | 'right top' | 'right bottom' | 'left bottom' | 'left top'
  | 'north' | 'northeast' | 'east' | 'southeast' | 'south' | 'southwest' | 'west' | 'northwest'
  | number
/**
 * resize()'s `position` also takes sharp's smart crops for fit 'cover': 'entropy' (16: keep the slices of highest
 * Shannon entropy) or 'attention' (17: centre on edges, skin tones and saturation); `info.cropOffsetLeft`/`Top`
 * (and `attentionX`/`Y`) say where it cut.
 */
export type ResizePosition = Position | 'entropy' | 'attention'

/** `extend()`'s sides and fill. */
export interface ExtendOptions {
  top?: number
  bottom?: number
  left?: number
  right?: number
  background?: Color
  extendWith?: 'background' | 'copy' | 'repeat' | 'mirror'
}

export interface ResizeOptions {
  width?: number | null
  height?: number | null
  /** Default 'cover'. */
  fit?: Fit
  /** Where to crop (cover) or place (contain). Default 'centre'. */
  position?: ResizePosition
  /** Default 'lanczos3'. */
  kernel?: Kernel
  /** Never enlarge beyond the input's size. Default false. */
  withoutEnlargement?: boolean
  /** Never reduce below the input's size. Default false. */
  withoutReduction?: boolean
  /** The padding of fit 'contain'. Default black, opaque. */
  background?: Color
}

export interface Region { left: number; top: number; width: number; height: number }

export interface JpegOptions {
  /** sharp's `force`: false keeps the input's format. Default true. */
  force?: boolean
  /** 1–100, default 80. */
  quality?: number
  /** Default false. */
  progressive?: boolean
  /** '4:2:0' (default) or '4:4:4'. */
  chromaSubsampling?: '4:2:0' | '4:4:4'
  /** Optimise the Huffman tables. Default true. */
  optimiseCoding?: boolean
  optimizeCoding?: boolean
  /** mozjpeg's trellis quantisation and scan optimisation: smaller, slower. Default false. */
  mozjpeg?: boolean
}

export interface PngOptions {
  /** sharp's `force`: false keeps the input's format. Default true. */
  force?: boolean
  /** zlib level 0–9, default 6. At 1–6 photographs are deflated with zlib's RLE strategy when a sample shows full matching saves under 3 %. */
  compressionLevel?: number
  /** Row filtering chosen per row. Default false (as sharp). */
  adaptiveFiltering?: boolean
  progressive?: boolean
  /** Quantise to a palette (≤ 256 colours). Default false; implied by `colours`/`colors`/`quality`/`effort`. */
  palette?: boolean
  /** Palette quality 0–100, default 100. */
  quality?: number
  /** Palette size 2–256, default 256. */
  colours?: number
  colors?: number
  /** 1–10, default 7. */
  effort?: number
  /** Dither level 0–1, default 1.0. */
  dither?: number
}

export interface WebpOptions {
  /** sharp's `force`: false keeps the input's format. Default true. */
  force?: boolean
  /** 1–100, default 80. */
  quality?: number
  /** 0–100, default 100. */
  alphaQuality?: number
  /** Default false. */
  lossless?: boolean
  nearLossless?: boolean
  smartSubsample?: boolean
  /** 0 (fastest) – 6 (slowest), default 4. */
  effort?: number
  /** Animated output: how many times it plays (0 = forever); default: the input's. */
  loop?: number
  /** Animated output: each frame's delay in ms (one number for all, or one per frame, the last repeating); default: the input's. 10 ms or less shows for 100 ms, as libvips writes it. */
  delay?: number | number[]
}

/**
 * AVIF through ravif (rav1e, AV1): 8-bit, 4:4:4, single-threaded. `quality` is sharp's scale (its 50 matches
 * sharp's 50 in SSIM and size on the bench photo), `effort` 0 (fastest) – 9 (slowest), default 4.
 */
export interface AvifOptions {
  /** sharp's `force`: false keeps the input's format. Default true. */
  force?: boolean
  /** 1–100, default 50. */
  quality?: number
  /** Only false: lossless AVIF is not supported (ERR_INVALID_ARG_VALUE). */
  lossless?: false
  /** 0–9, default 4: rav1e speed 10 − effort. */
  effort?: number
  /** Accepted; the output is 4:4:4 whatever it says. */
  chromaSubsampling?: '4:4:4' | '4:2:0'
  /** Only 8. */
  bitdepth?: 8
}

export interface GifOptions {
  /** sharp's `force`: false keeps the input's format. Default true. */
  force?: boolean
  /** Palette size 2–256, default 256. */
  colours?: number
  colors?: number
  /** 1–10, default 7. */
  effort?: number
  /** Dither level 0–1, default 1.0. */
  dither?: number
  /** Animated output: plays, 0 = forever, 0–65535. Default: the input's. */
  loop?: number
  /** Per-frame delay in ms, 0–655350 (a number for all frames, or one per frame; the last repeats). Default: the input's. */
  delay?: number | number[]
}

export interface RawOptions {
  /** Sample depth: 'uchar' (8-bit, the only one offthread writes; any other is refused). */
  depth?: 'uchar'
}

/** What toBuffer({ resolveWithObject: true }) and toFile() resolve with (a plain object). */
export interface OutputInfo {
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'raw'
  width: number
  height: number
  /** Channels of the output: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (GIF: 4). */
  channels: 1 | 2 | 3 | 4
  /** Bytes of output. */
  size: number
  /** Frames in the output: always set; the decoded frames for GIF output (more than 1 only with `animated: true` or `pages: -1`), else 1. */
  pages: number
  /** With trim(): minus the left and top of the box kept (0 or less), as sharp. */
  trimOffsetLeft?: number
  trimOffsetTop?: number
  /** With a smart crop (`position: 'entropy' | 'attention'`): minus the crop's corner in the resized image. */
  cropOffsetLeft?: number
  cropOffsetTop?: number
  /** With `position: 'attention'`: the most interesting point of the resized image (0, 0 for entropy). */
  attentionX?: number
  attentionY?: number
}

/** What metadata() resolves with (a plain object; optional fields are absent when the file has none). */
export interface Metadata {
  format: ImageFormat
  width: number
  height: number
  /** Channels the pixels decode to: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (CMYK JPEG: 4). */
  channels: 1 | 2 | 3 | 4
  hasAlpha: boolean
  /** EXIF orientation 1–8 when the file carries one. */
  orientation?: number
  isProgressive: boolean
  /** Frames of an animated GIF/WebP/APNG, else 1. */
  pages: number
  /** Pixels per inch, when the file says. */
  density?: number
  /** 'srgb', 'b-w', 'cmyk'. */
  space: 'srgb' | 'b-w' | 'cmyk'
  hasProfile: boolean
  /** Bytes of the input file. */
  size: number
}

export interface TaskSignalOptions {
  signal?: AbortSignal
}

/**
 * A pipeline. It is also a Duplex, as sharp's is: `image()` with no input takes its input from what is written
 * to it (`req.pipe(image().resize(320).webp()).pipe(res)`), gathered whole up to `maxInputBytes`
 * (ERR_IMAGE_TOO_LARGE past it), and pushes the output as one chunk once a reader asks; the pipeline runs as one
 * pool task once the input has ended. Destroying it before then rejects toBuffer() with
 * ERR_STREAM_PREMATURE_CLOSE and aborts a running task.
 */
export interface Image extends Duplex {
  resize(width?: number | null, height?: number | null, options?: ResizeOptions): this
  resize(options: ResizeOptions): this
  /** Crop. Before resize() it cuts the upright input; after it, the resized image. Unknown keys are refused. */
  extract(region: Region): this
  /** With no angle: auto-orient (as sharp). Multiples of 90 are exact; other angles fill the corners with `background`. */
  rotate(angle?: number, options?: { background?: Color }): this
  /** Mirror vertically (top ↔ bottom). */
  flip(flip?: boolean): this
  /** Mirror horizontally (left ↔ right). */
  flop(flop?: boolean): this
  grayscale(grayscale?: boolean): this
  greyscale(greyscale?: boolean): this
  /** Gaussian blur; `sigma` 0.3–1000. No argument or true: a fast 3×3 box blur. */
  blur(sigma?: number | boolean | { sigma: number }): this
  /** Unsharp mask on luminance; no argument: sharp's fast mild sharpen. */
  sharpen(options?: number | { sigma?: number; m1?: number; m2?: number }): this
  /** Drop alpha, blending onto `background` (default black). */
  flatten(options?: boolean | { background?: Color }): this
  /** The negative: 255 − value on every channel; `{ alpha: false }` leaves alpha. `false` turns it off. */
  negate(options?: boolean | { alpha?: boolean }): this
  /**
   * Gamma correction around the resize, as sharp: the colour channels are darkened by `1/gamma` before
   * resizing and brightened by `gammaOut` (default: `gamma`) after the other operations. 1.0–3.0, default 2.2.
   * Disables JPEG shrink-on-load, as in sharp.
   */
  gamma(gamma?: number, gammaOut?: number): this
  /**
   * Each channel becomes 255 at or above `threshold` (0–255, default 128; 0 or false: off) and 0 below it,
   * after conversion to grey. An options object turns the grey conversion off unless it says
   * `greyscale: true` (or `grayscale: true`), as sharp reads it.
   */
  threshold(threshold?: number | boolean, options?: { greyscale?: boolean; grayscale?: boolean }): this
  /**
   * Adds pixels around the image after resizing and extracting: `n` on every side (1–100000000), or per side
   * (0–100000000). `extendWith`: 'background' (default; `background`, default opaque black — a translucent
   * one adds alpha), 'copy' (the edge pixel), 'repeat' (tiled) or 'mirror'.
   */
  extend(extend: number | ExtendOptions): this
  /**
   * In LCh as sharp: L* × `brightness` + `lightness`, C* × `saturation`, hue + `hue` degrees (an integer,
   * taken modulo 360). Multipliers 0–1000000, default 1; `lightness` default 0. Alpha untouched.
   */
  modulate(options: { brightness?: number; saturation?: number; hue?: number; lightness?: number }): this
  /**
   * Cuts off the edges that differ from `background` (default: the top-left pixel, as decoded) by at most
   * `threshold` (0–1000000, default 10) in every channel, as sharp (libvips's find_trim: alpha flattened onto
   * the background, a 3×3 median first unless `lineArt`, alpha checked on its own too). `margin` (0–10000000)
   * pixels are kept around the content. Runs on the upright image before every other operation (rotate()
   * included) and disables shrink-on-load; an image with no content is left whole. `info.trimOffsetLeft` and
   * `trimOffsetTop` give minus the kept box's corner. Not for animated images (ERR_INVALID_ARG_VALUE).
   */
  trim(options?: boolean | { background?: Color; threshold?: number; lineArt?: boolean; margin?: number }): this
  /**
   * Stretches L* (D65 Lab) so the `lower` percentile (0–99, default 1; 0 is the minimum) becomes 0 and the
   * `upper` one (1–100, default 99; 100 is the maximum) becomes 100, with a* b* and alpha kept; libvips's
   * percentiles, within one level of sharp. Fractions are truncated, as sharp reads them; `lower` must be less
   * than `upper`. After the filters and composite, before tint. `false` turns it off.
   */
  normalise(options?: boolean | { lower?: number; upper?: number }): this
  normalize(options?: boolean | { lower?: number; upper?: number }): this
  /** Each channel's median over a `size` × `size` window (1–1000, default 3), edges extended by copying. */
  median(size?: number): this
  /** The colour's chroma laid on the image's luminance, strongest in the mid-tones (sharp's tint). */
  tint(colour: Color): this
  /**
   * Layers over the image, in order, after its resize, extract, extend and filters and before gamma-out, tint
   * and negate (sharp's order). The result has alpha (an RGB base gains it, as in sharp; JPEG output drops it).
   * Blending is libvips's, byte for byte. A layer wider or taller than the image rejects with
   * ERR_INVALID_ARG_VALUE. A second call replaces the list. Layers are decoded under this image's
   * `limitInputPixels` and `failOn`.
   */
  composite(images: CompositeLayer[]): this
  /** Keep EXIF, XMP and the ICC profile in the output (default: stripped; pixels converted to sRGB). */
  keepMetadata(): this
  /** sharp's older name for keepMetadata(). */
  withMetadata(): this
  jpeg(options?: JpegOptions): this
  png(options?: PngOptions): this
  webp(options?: WebpOptions): this
  gif(options?: GifOptions): this
  /** AVIF output (no AVIF input: decoding AV1 is not built in). */
  avif(options?: AvifOptions): this
  /** Raw 8-bit pixels, channels interleaved. */
  raw(options?: RawOptions): this
  toFormat(format: OutputFormat, options?: JpegOptions | PngOptions | WebpOptions | GifOptions | AvifOptions | RawOptions): this
  toBuffer(options?: TaskSignalOptions & { resolveWithObject?: false }): Promise<Buffer>
  toBuffer(options: TaskSignalOptions & { resolveWithObject: true }): Promise<{ data: Buffer; info: OutputInfo }>
  /** Writes the output; the format follows the extension (.jpg .jpeg .png .webp .gif) unless one was chosen. An empty path or one with a NUL byte rejects ERR_INVALID_ARG_VALUE. The pool thread writes a temporary file in the same directory (`.name.pid-n.tmp`) and renames it over `path` (a symlink is written through; an existing file keeps its permissions): readers and concurrent toFile() calls to one path see one whole output, never a mix (not fsynced). */
  toFile(path: string, options?: TaskSignalOptions): Promise<OutputInfo>
  /** Reads headers only; never decodes pixels. Of a path, reads only the bytes the headers need (see `maxInputBytes`). */
  metadata(options?: TaskSignalOptions): Promise<Metadata>
  /** The ThumbHash (base64) of the processed image. */
  thumbhash(options?: TaskSignalOptions): Promise<string>
  /** An independent copy of the pipeline so far (shares the input). */
  clone(): Image
}

/**
 * An image pipeline over a Buffer/Uint8Array/ArrayBuffer, a file path (read on offthread's pool, not libuv's; a
 * path with a NUL byte throws ERR_INVALID_ARG_VALUE at once). An input under 64 KiB is copied when toBuffer(),
 * toFile(), metadata() or thumbhash() is called; a larger one is read in place on Node 20 (it must not change
 * while a task runs; its ArrayBuffer is marked untransferable so no transfer can free it mid-task) and copied on
 * Node 22 and later. A Readable is read whole, up to `maxInputBytes` (ERR_IMAGE_TOO_LARGE past it; a source that
 * errors or closes early rejects), then processed as one task.
 */
export function image(input: string | Uint8Array | ArrayBuffer | Readable, options?: ImageOptions): Image
/** A Duplex: the input is what is written to it. */
export function image(options?: ImageOptions): Image
/** An image of one colour, with image options beside `create` (as sharp). Its default output is raw. */
export function image(input: ImageOptions & { create: CreateOptions }): Image

/** Default limits and settings of image() (from the native core). */
export const imageDefaults: Readonly<{ limitInputPixels: number; maxInputBytes: number }>

/** Node's AbortError shape: `name: 'AbortError'`, `code: 'ABORT_ERR'`, `cause`: the signal's reason. */
export class AbortError extends Error {
  readonly code: 'ABORT_ERR'
  constructor(message?: string, options?: { cause?: unknown })
}

/** The `code` of every error offthread throws or rejects with. */
export type ErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_WORKER_EXITED'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ABORT_ERR'
  | 'ERR_QUEUE_FULL'
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_STARTED'
  | 'ERR_PASSWORD_TOO_LONG'
  | 'ERR_INVALID_HASH'
  | 'ERR_INTERNAL'
  | 'ERR_DECOMPRESS'
  | 'ERR_BUFFER_TOO_LARGE'
  | 'ERR_IMAGE_DECODE'
  | 'ERR_IMAGE_FORMAT'
  | 'ERR_IMAGE_TOO_LARGE'
  | 'ERR_IMAGE_ENCODE'
  | 'ENOENT'
  | 'EACCES'
  | 'EISDIR'
  | 'ERR_NOT_REGULAR_FILE'
  | 'ERR_FS_FILE_TOO_LARGE'
  | 'EIO'
  | 'ERR_JSON_PARSE'

// ---------------------------------------------------------------------------------------------
// Large JSON (lib/json): parse, validate, select and stringify without long event-loop stalls.

/** JSON input: UTF-8 bytes (read as `buf.toString('utf8')`: invalid bytes become U+FFFD) or a string. */
export type JsonInput = string | ArrayBufferView | ArrayBuffer

/** The SyntaxError of a document that is not JSON (code `ERR_JSON_PARSE`). */
export interface JsonSyntaxError extends SyntaxError {
  readonly code: 'ERR_JSON_PARSE'
  /** Bytes into a binary input; UTF-16 index into a string. */
  readonly offset: number
  /** 1-based line (lines end at '\n'). */
  readonly line: number
  /** 1-based column, in UTF-16 units. */
  readonly column: number
}

export interface ParseJsonOptions extends TaskOptions {
  /** Milliseconds of slices per event-loop turn before yielding (setImmediate). @default 4 (1..1000) */
  sliceMs?: number
  /** Target bytes of text per `JSON.parse` slice. @default 65536 (1024..67108864) */
  sliceBytes?: number
  /** As `JSON.parse`'s reviver: same calls, order and arguments (Node >= 21 passes `context` with `source`). */
  reviver?: (this: any, key: string, value: any, context?: { source?: string }) => any
  /** Refuse inputs of more UTF-8 bytes with `ERR_BUFFER_TOO_LARGE` before any work. */
  maxBytes?: number
}

/**
 * `JSON.parse`'s result, without stalling the event loop: validated and planned on the pool, then parsed
 * in slices of about `sliceBytes` for at most `sliceMs` per turn. Rejects a `JsonSyntaxError` before any
 * slice is parsed.
 */
export function parseJson(input: JsonInput, options?: ParseJsonOptions): Promise<any>

/** A validation error in ajv's shape. */
export interface JsonSchemaError {
  /** JSON Pointer of the failing value ('' for the root). */
  instancePath: string
  /** Where the failing keyword is in the schema ('#/properties/a/type'). */
  schemaPath: string
  keyword: string
  message: string
  /** ajv's params where the crate gives what they need ({ missingProperty }, { limit }, ...); else {}. */
  params: Record<string, unknown>
}

export interface JsonValidation {
  valid: boolean
  errors: JsonSchemaError[]
  /** True when `allErrors` found more than `maxErrors`. */
  truncated: boolean
}

export interface ValidateJsonOptions extends TaskOptions {
  /** Every error (up to `maxErrors`) instead of the first (ajv's default). @default false */
  allErrors?: boolean
  /** Most errors reported with `allErrors` (they become JS objects on the loop); `truncated` says when there were more. @default 1000 */
  maxErrors?: number
  /** Refuse inputs larger than this many bytes (ERR_BUFFER_TOO_LARGE), as parseJson. */
  maxBytes?: number
}

/** A compiled JSON Schema (draft 2020-12, or draft-07 from `$schema`): reusable and shareable. */
export class CompiledSchema {
  private constructor()
  /** The draft the schema is read as ('2020-12', 'draft-07', ...). */
  readonly draft: string
}

/** Compiles a schema (object, boolean, or its JSON text) on the calling thread; `$ref`s resolve inside it only. */
export function compileSchema(schema: object | boolean | string | ArrayBufferView | ArrayBuffer): CompiledSchema

/** Parses and validates `input` on the pool: a body can be refused without `JSON.parse` ever running. */
export function validateJson(input: JsonInput, schema: CompiledSchema | object | boolean | string | ArrayBufferView, options?: ValidateJsonOptions): Promise<JsonValidation>

export interface SelectJsonOptions extends TaskOptions {
  /** Refuse inputs larger than this many bytes (ERR_BUFFER_TOO_LARGE), as parseJson. */
  maxBytes?: number
  /** Most values all the pointers together may select (ERR_OUT_OF_RANGE past it). @default 1048576 */
  maxMatches?: number
  sliceMs?: number
  /** Wildcard results as `[pointer, value]` entries, `pointer` being the value's concrete RFC 6901 pointer. @default false */
  paths?: boolean
}

/**
 * The values JSON Pointers select, each as `JSON.parse` would give it, without building the rest. RFC 6901
 * pointers ('' is the whole document, '/a/0', '~0' for '~', '~1' for '/'); the token `~*` is a wildcard
 * over array elements and object members (a pointer with one gives an array). `pointers` is one pointer,
 * an array or an object of them: the result has the same shape.
 */
export function selectJson(input: JsonInput, pointers: string): Promise<any>
export function selectJson(input: JsonInput, pointers: string, options: SelectJsonOptions): Promise<any>
export function selectJson(input: JsonInput, pointers: readonly string[], options?: SelectJsonOptions): Promise<any[]>
export function selectJson<K extends string>(input: JsonInput, pointers: Readonly<Record<K, string>>, options?: SelectJsonOptions): Promise<Record<K, any>>

export interface StringifyJsonOptions extends TaskOptions {
  /** As `JSON.stringify`'s replacer: a function or a property list. */
  replacer?: ((this: any, key: string, value: any) => any) | readonly (string | number)[] | null
  /** As `JSON.stringify`'s space. */
  space?: string | number
  /** Milliseconds of walking per event-loop turn. @default 4 */
  sliceMs?: number
  /** Estimated text per `JSON.stringify` call. @default 16384 */
  sliceBytes?: number
  /** Compress the output on the pool while the walk goes on. */
  compress?: 'gzip' | 'br' | 'zstd' | 'deflate'
  level?: number
}

/** The bytes of `JSON.stringify(value, replacer, space)`, produced in slices of a few ms (optionally compressed). */
export function stringifyJson(value: unknown, options?: StringifyJsonOptions): Promise<Buffer | undefined>

/** The same bytes as a Readable stream, produced as the consumer reads. */
export function stringifyJsonStream(value: unknown, options?: StringifyJsonOptions): import('node:stream').Readable

export interface SendJsonOptions extends Omit<StringifyJsonOptions, 'compress' | 'level'> {
  /** Negotiate a Content-Encoding from Accept-Encoding among all (true) or the given codings. @default false */
  compress?: boolean | readonly ('zstd' | 'br' | 'gzip' | 'deflate')[]
  /** Bodies smaller than this are not compressed. */
  threshold?: number
}

/** Sends `value` as JSON on an http/Express response, with backpressure; resolves when the body is written. */
export function sendJson(res: ServerResponse, value: unknown, options?: SendJsonOptions): Promise<void>

export interface NdjsonOptions {
  sliceMs?: number
  /** Longest line accepted (`ERR_BUFFER_TOO_LARGE` past it). @default 67108864 */
  maxLineBytes?: number
  reviver?: (this: any, key: string, value: any) => any
  signal?: AbortSignal
}

type NdjsonSource = JsonInput | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> | import('node:stream').Readable

/** The records of NDJSON input, one per non-blank line, time-sliced. Errors carry the 1-based `line`. */
export function parseNdjson(input: NdjsonSource, options?: NdjsonOptions): AsyncIterableIterator<any>

/** An object-mode Transform from NDJSON bytes to records (`withLine`: `{ line, value }`). */
export function createNdjsonParser(options?: NdjsonOptions & { withLine?: boolean }): import('node:stream').Transform

export interface JsonBodyOptions {
  /** Largest body (after inflating): a number of bytes or a string such as '1mb'. @default '100kb' */
  limit?: number | string
  /** Inflate gzip/deflate/br bodies (on the pool). @default true */
  inflate?: boolean
  /** Only objects and arrays at the top level. @default true */
  strict?: boolean
  /** Media types to parse. @default 'application/json' */
  type?: string | readonly string[] | ((req: IncomingMessage) => boolean)
  /** Called with the raw body before parsing; throwing answers 403 entity.verify.failed. */
  verify?: (req: IncomingMessage, res: ServerResponse, buf: Buffer, encoding: string) => void
  reviver?: (this: any, key: string, value: any) => any
  /** The charset of a body whose Content-Type has none; it must be utf-* (else 415, as in body-parser). @default 'utf-8' */
  defaultCharset?: string
  /** Answer 400 `entity.validation.failed` (with `errors`, ajv's shape) before the body is parsed. */
  schema?: CompiledSchema | object | boolean
}

/** A drop-in for `express.json()` (body-parser 2.x): same options, errors and messages; parsing off the loop. */
export function json(options?: JsonBodyOptions): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void
