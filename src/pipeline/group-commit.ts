/**
 * Coalesces concurrent submissions into one storage call per tick: every caller that submits
 * before the flush runs shares one transaction (one commit, one fsync with synchronous=FULL), and
 * each caller's promise settles only after that transaction committed. Storage-agnostic: the
 * flush function does the batch work.
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
  let running: Promise<void> = Promise.resolve()

  const run = async () => {
    scheduled = false
    while (queue.length > 0) {
      const batch = queue.length > maxItems ? queue.splice(0, maxItems) : queue
      if (batch === queue) queue = []
      try {
        const results = await flush(batch.map((w) => w.item))
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i] as O)
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (!scheduled) {
          scheduled = true
          // setImmediate lets every request handler of this event-loop turn join the same commit.
          running = running.then(() => new Promise<void>((r) => setImmediate(() => run().then(r))))
        }
      })
    },
    async drain() {
      await running
    },
  }
}
