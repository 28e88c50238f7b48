/**
 * SQLite on its own thread: the same SqliteStorage, opened inside a worker thread
 * (sqlite-worker.ts), behind a proxy that implements Storage by message. Row and index inserts and
 * the WAL commit then run on another core than HTTP, the rules and the delivery workers. Nothing
 * about durability changes: accept() resolves only after the worker's COMMIT returned.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { OrderRules } from '../order-rules.js'
import type { SqliteStorageOptions } from './sqlite.js'
import {
  type CallMessage,
  deserialiseError,
  type PlainMethod,
  type ReplyMessage,
  type WorkerInput,
} from './sqlite-protocol.js'
import type {
  AcceptBatch,
  AcceptContext,
  AcceptOutcome,
  ClaimedEvent,
  CompleteResult,
  Completion,
  DropCount,
  EventFilter,
  PruneResult,
  StatsRow,
  Storage,
  StoredEvent,
} from './storage.js'

export interface SqliteThreadOptions extends SqliteStorageOptions {
  /**
   * The order rules accept() applies. A function cannot cross to the thread, so the thread builds
   * the rule from these (decideOrder) and the orderRule in AcceptContext is not called.
   */
  orderRules: OrderRules
  /** The compiled worker entry; default: sqlite-worker.js next to this module (see workerEntry). */
  workerUrl?: URL
}

/**
 * The worker must be JavaScript. From dist/ it sits next to this module; when this module runs
 * from its TypeScript source (Vitest), the build's copy in dist/ is used, so `npm run build` must
 * have run (npm test does).
 */
export function workerEntry(): URL {
  const here = new URL('./sqlite-worker.js', import.meta.url)
  if (!import.meta.url.endsWith('.ts') || existsSync(fileURLToPath(here))) return here
  const built = new URL('../../../dist/pipeline/storage/sqlite-worker.js', import.meta.url)
  if (!existsSync(fileURLToPath(built))) {
    throw new Error(
      'the SQLite storage thread runs dist/pipeline/storage/sqlite-worker.js; run `npm run build` first',
    )
  }
  return built
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (err: Error) => void
}

type CallOf<M extends CallMessage['method']> = Extract<CallMessage, { method: M }>

export class SqliteThreadStorage implements Storage {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  /** Set once the thread is gone; every later call rejects with it. */
  private dead: Error | null = null
  private closing: Promise<void> | null = null

  private constructor(
    private readonly worker: Worker,
    private readonly rules: OrderRules,
  ) {
    worker.on('message', (m: ReplyMessage) => this.onReply(m))
    // A crash of the thread must not take the process down: it fails the calls, and ping() tells /readyz.
    worker.on('error', (err) => this.die(`the SQLite storage thread failed: ${err.message}`))
    worker.on('exit', (code) => this.die(`the SQLite storage thread stopped (exit code ${code})`))
    // An idle thread does not keep the process alive; a pending call does (see call()).
    worker.unref()
  }

  static open(opts: SqliteThreadOptions): Promise<SqliteThreadStorage> {
    const { orderRules, workerUrl, ...options } = opts
    const input: WorkerInput = { options }
    const worker = new Worker(workerUrl ?? workerEntry(), { workerData: input })
    return new Promise((resolve, reject) => {
      const onExit = (code: number) =>
        reject(
          new Error(`the SQLite storage thread stopped before it opened the database (exit code ${code})`),
        )
      const onError = (err: Error) =>
        reject(new Error(`the SQLite storage thread failed to start: ${err.message}`))
      const onFirst = (m: ReplyMessage) => {
        worker.off('exit', onExit)
        worker.off('error', onError)
        if (m.kind === 'ready') {
          resolve(new SqliteThreadStorage(worker, orderRules))
        } else {
          void worker.terminate()
          reject(m.kind === 'open-failed' ? deserialiseError(m.error) : new Error('unexpected first message'))
        }
      }
      worker.once('message', onFirst)
      worker.once('exit', onExit)
      worker.once('error', onError)
    })
  }

  /** Ends the thread at once, as a crash would (tests, and close() after the database is closed). */
  terminate(): Promise<number> {
    return this.worker.terminate()
  }

  private onReply(m: ReplyMessage): void {
    if (m.kind !== 'result' && m.kind !== 'error') return
    const p = this.pending.get(m.id)
    if (!p) return
    this.pending.delete(m.id)
    if (this.pending.size === 0) this.worker.unref()
    if (m.kind === 'result') p.resolve(m.value)
    else p.reject(deserialiseError(m.error))
  }

  private die(reason: string): void {
    if (this.dead) return
    this.dead = new Error(reason)
    const left = [...this.pending.values()]
    this.pending.clear()
    for (const p of left) p.reject(this.dead)
  }

  private call<M extends CallMessage['method']>(method: M, args: CallOf<M>['args']): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ id, method, args } as CallMessage)
    })
  }

  private plain<T>(method: PlainMethod, ...args: unknown[]): Promise<T> {
    return this.call(method, args) as Promise<T>
  }

  accept(batches: AcceptBatch[], ctx: AcceptContext): Promise<AcceptOutcome[][]> {
    return this.call('accept', [
      batches,
      { now: ctx.now, dedupSince: ctx.dedupSince, rules: this.rules },
    ]) as Promise<AcceptOutcome[][]>
  }

  claim(limit: number, now: number, leaseMs: number): Promise<ClaimedEvent[]> {
    return this.plain('claim', limit, now, leaseMs)
  }

  complete(completions: Completion[], now: number): Promise<CompleteResult> {
    return this.plain('complete', completions, now)
  }

  nextDueAt(): Promise<number | null> {
    return this.plain('nextDueAt')
  }

  recoverAbandoned(now: number): Promise<number> {
    return this.plain('recoverAbandoned', now)
  }

  retry(id: string, now: number): Promise<boolean> {
    return this.plain('retry', id, now)
  }

  replayFailed(
    range: { from: number; to: number; reasons: string[] | null; excludeReasons: string[] },
    now: number,
  ): Promise<number> {
    return this.plain('replayFailed', range, now)
  }

  getEvent(id: string): Promise<StoredEvent | null> {
    return this.plain('getEvent', id)
  }

  listEvents(filter: EventFilter): Promise<StoredEvent[]> {
    return this.plain('listEvents', filter)
  }

  async *scanForStats(from: number, to: number): AsyncIterable<StatsRow[]> {
    const cursor = (await this.call('scanOpen', [from, to])) as number
    let done = false
    try {
      for (;;) {
        const chunk = (await this.call('scanNext', [cursor])) as StatsRow[] | null
        if (chunk === null) {
          done = true
          return
        }
        yield chunk
      }
    } finally {
      // A consumer that stops early (or a failed pull) frees the thread's cursor.
      if (!done && !this.dead) await this.call('scanClose', [cursor]).catch(() => undefined)
    }
  }

  dropCounts(from: number, to: number): Promise<DropCount[]> {
    return this.plain('dropCounts', from, to)
  }

  lastErrors(ids: string[]): Promise<Map<string, string | null>> {
    return this.plain('lastErrors', ids)
  }

  dropTotals(): Promise<Record<string, number>> {
    return this.plain('dropTotals')
  }

  bindSignedBody(...args: Parameters<Storage['bindSignedBody']>): Promise<boolean> {
    return this.plain('bindSignedBody', ...args)
  }

  probeWrite(): Promise<boolean> {
    return this.plain('probeWrite')
  }

  queueDepth(): Promise<number> {
    return this.plain('queueDepth')
  }

  prune(deliveredBefore: number, ledgerBefore: number): Promise<PruneResult> {
    return this.plain('prune', deliveredBefore, ledgerBefore)
  }

  async ping(): Promise<boolean> {
    if (this.dead) return false
    try {
      return (await this.plain<boolean>('ping')) === true
    } catch {
      return false
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.dead) {
        try {
          await this.call('close', [])
        } finally {
          this.die('the SQLite storage is closed')
          await this.worker.terminate()
        }
      }
    })()
    return this.closing
  }
}

export function openSqliteThreadStorage(opts: SqliteThreadOptions): Promise<Storage> {
  return SqliteThreadStorage.open(opts)
}
