import type { Storage } from './storage/storage.js'

const REFRESH_MS = 5_000

/**
 * Events waiting or in flight, kept in memory so /metrics and health never count a million rows;
 * storage is the source at start, and again now and then when other instances move the queue too.
 */
export class QueueDepth {
  private timer: NodeJS.Timeout | undefined

  private constructor(
    private readonly storage: Storage,
    public value: number,
  ) {}

  static async load(storage: Storage): Promise<QueueDepth> {
    return new QueueDepth(storage, await storage.queueDepth())
  }

  add(n: number): void {
    this.value += n
  }

  remove(n: number): void {
    this.value = Math.max(0, this.value - n)
  }

  /** Re-counts from storage every few seconds, for a queue shared with other instances. */
  refreshPeriodically(): void {
    this.timer = setInterval(() => {
      this.storage.queueDepth().then(
        (n) => {
          this.value = n
        },
        () => undefined,
      )
    }, REFRESH_MS)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }
}
