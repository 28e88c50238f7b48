/**
 * Coalesces concurrent submissions into one storage call per tick: every caller that submits
 * before the flush runs shares one transaction (one commit, one fsync with synchronous=FULL), and
 * each caller's promise settles only after that transaction committed. Storage-agnostic: the
 * flush function does the batch work.
 *
 * One flush at a time: a submission made while a flush runs waits for it and joins the next.
 * Several at once was measured on PostgreSQL and dropped (docs/decisions.md).
 */
export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>
  /** Resolves once everything submitted so far has been flushed. */
  drain(): Promise<void>
}

interface Waiter<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (err: unknown) => void
}

export function createGroupCommit<I, O>(
  flush: (items: I[]) => Promise<O[]>,
  opts: { maxItems?: number } = {},
): GroupCommit<I, O> {
  const maxItems = opts.maxItems ?? 10_000
  let queue: Waiter<I, O>[] = []
  let scheduled = false
  let flushing = false
  let idle: Array<() => void> = []

  const settleIdle = () => {
    if (flushing || scheduled || queue.length > 0) return
    const waiting = idle
    idle = []
    for (const r of waiting) r()
  }

  const start = (batch: Waiter<I, O>[]) => {
    flushing = true
    Promise.resolve()
      .then(() => flush(batch.map((w) => w.item)))
      .then(
        (results) => {
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i] as O)
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err)
        },
      )
      .finally(() => {
        flushing = false
        // What queued while this flush ran goes next, together (at once: the tick is long past).
        pump()
        settleIdle()
      })
  }

  const pump = () => {
    if (queue.length > 0 && !flushing) {
      const batch = queue.length > maxItems ? queue.splice(0, maxItems) : queue
      if (batch === queue) queue = []
      start(batch)
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled && !flushing) {
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
