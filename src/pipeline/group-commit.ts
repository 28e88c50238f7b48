/**
 * Coalesces concurrent submissions into one storage call per tick: every caller that submits
 * before the flush runs shares one transaction (one commit, one fsync with synchronous=FULL), and
 * each caller's promise settles only after that transaction committed. Storage-agnostic: the
 * flush function does the batch work.
 *
 * `atOnce` flushes may run together (default 1; the store says how many it takes: SQLite one, it
 * has one writer). A flush after the first starts only once every flush before it called its
 * `ready()` (PostgreSQL: it holds every lock it takes and only waits on the database), so the next
 * batch gathers meanwhile and stays large, and a later batch queues behind an earlier one on any key
 * they share. A flush that never calls `ready()` holds the next back until it ends.
 */
export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>
  /** Resolves once everything submitted so far has been flushed. */
  drain(): Promise<void>
}

/** Told by a flush once the next flush may start beside it (see createGroupCommit). */
export type FlushReady = () => void

interface Waiter<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (err: unknown) => void
}

export function createGroupCommit<I, O>(
  flush: (items: I[], ready: FlushReady) => Promise<O[]>,
  opts: { maxItems?: number; atOnce?: number } = {},
): GroupCommit<I, O> {
  const maxItems = opts.maxItems ?? 10_000
  const atOnce = Math.max(1, opts.atOnce ?? 1)
  let queue: Waiter<I, O>[] = []
  let scheduled = false
  /** Flushes running now, and how many of them have not said ready (at most one). */
  let running = 0
  let unready = 0
  let idle: Array<() => void> = []

  const settleIdle = () => {
    if (running > 0 || scheduled || queue.length > 0) return
    const waiting = idle
    idle = []
    for (const r of waiting) r()
  }

  const mayStart = () => running < atOnce && unready === 0

  const start = (batch: Waiter<I, O>[]) => {
    running++
    unready++
    let saidReady = false
    const ready = () => {
      if (saidReady) return
      saidReady = true
      unready--
      // What queued while this flush took its locks goes next, beside it.
      pump()
    }
    Promise.resolve()
      .then(() =>
        flush(
          batch.map((w) => w.item),
          ready,
        ),
      )
      .then(
        (results) => {
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i] as O)
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err)
        },
      )
      .finally(() => {
        if (!saidReady) {
          saidReady = true
          unready--
        }
        running--
        // What queued while this flush ran goes next, together (at once: the tick is long past).
        pump()
        settleIdle()
      })
  }

  const pump = () => {
    if (queue.length > 0 && mayStart()) {
      const batch = queue.length > maxItems ? queue.splice(0, maxItems) : queue
      if (batch === queue) queue = []
      start(batch)
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled && mayStart()) {
          scheduled = true
          // setImmediate lets every request handler of this event-loop turn join the same commit.
          setImmediate(() => {
            scheduled = false
            pump()
            settleIdle()
          })
        }
      })
    },
    drain() {
      return new Promise<void>((resolve) => {
        idle.push(resolve)
        settleIdle()
      })
    },
  }
}
