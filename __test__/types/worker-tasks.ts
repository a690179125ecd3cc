// Compiled with `tsc --noEmit --strict` (tsconfig.json): workers<typeof import(…)> types run's name,
// arguments and result; run(fn) types its arguments and result.
import { workers, run, stats, type TaskContext, type WorkerPool, type KindStats } from '../../index.js'

/** A task module's shape, as `typeof import('./tasks.js')` would give it. */
declare const tasks: {
  add (a: number, b: number): number
  greet (name: string): Promise<string>
  stop (this: TaskContext, ms: number): string
  version: string
  default (x: Uint8Array): number
}

export async function workerTasks (): Promise<void> {
  const pool: WorkerPool<typeof tasks> = workers<typeof tasks>('./tasks.js', { maxThreads: 2, idleTimeout: 1000, abortGraceMs: 100 })
  const sum: number = await pool.run('add', [1, 2])
  const hello: string = await pool.run('greet', ['you'], { signal: AbortSignal.timeout(100) })
  const stopped: string = await pool.run('stop', [5])
  const buf = new Uint8Array(8)
  const length: number = await pool.run('default', [buf], { transfer: [buf.buffer] })
  // @ts-expect-error not a function export
  await pool.run('version')
  // @ts-expect-error wrong argument type
  await pool.run('add', ['1', 2])
  // @ts-expect-error unknown export
  await pool.run('nope', [])
  const product: number = await run((a: number, b: number) => a * b, 6, 7)
  // @ts-expect-error missing argument
  await run((a: number, b: number) => a * b, 6)
  const viaExec: string = await workers(null).exec((s: string) => s.toUpperCase(), ['x'])
  const js: KindStats = stats().kinds.js
  await pool.close()
  void [sum, hello, stopped, length, product, viaExec, js]
}
