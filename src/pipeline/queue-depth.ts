import type { ReadModel } from './storage/storage.js'

const REFRESH_MS = 5_000

/**
 * Events waiting or in flight, kept in memory so /metrics and health never count a million rows;
 * storage is the source at start, and again now and then when other instances move the queue too.
 */
export class QueueDepth {
  private timer: NodeJS.Timeout | undefined

  /**
   * Signed: an event may leave the queue before its arrival is counted (a replay adds its events
   * once they are all queued, while workers already deliver them). Clamping each decrement at 0 lost
   * it, and the replay's add then left phantom events until a restart; only what is shown is clamped.
   */
  private constructor(
    private readonly storage: ReadModel,
    private count: number,
  ) {}

  static async load(storage: ReadModel): Promise<QueueDepth> {
    return new QueueDepth(storage, await storage.queueDepth())
  }

  /** Events waiting or in flight: never negative. */
  get value(): number {
    return Math.max(0, this.count)
  }

  add(n: number): void {
    this.count += n
  }

  remove(n: number): void {
    this.count -= n
  }

  /** Re-counts from storage every few seconds, for a queue shared with other instances. */
  refreshPeriodically(): void {
    this.timer = setInterval(() => {
      this.storage.queueDepth().then(
        (n) => {
          this.count = n
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
