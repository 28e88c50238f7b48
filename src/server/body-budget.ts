/**
 * How many bytes of request bodies the server works on at once. A request waits for its share before
 * its body is read (the bytes stay in the kernel's socket buffers, and TCP slows the sender), and
 * gives it back when its answer is sent or its connection closes. Each byte in flight costs several
 * in memory (the raw buffer, the decoded text, the parsed events, the stored JSON), so a bound on the
 * bytes keeps the service's memory independent of how many clients send at once. First come, first
 * served, so a large body is not passed over forever; one larger than the whole budget goes alone.
 */
export class BodyBudget {
  private inUse = 0
  private readonly waiting: Array<{ bytes: number; admit: () => void }> = []

  constructor(readonly limitBytes: number) {}

  /** Bytes admitted right now. */
  get used(): number {
    return this.inUse
  }

  /** Requests waiting for their share. */
  get queued(): number {
    return this.waiting.length
  }

  /** Resolves once `bytes` fit; with the function that gives them back (safe to call twice). */
  async acquire(bytes: number): Promise<() => void> {
    const now = this.tryAcquire(bytes)
    if (now !== null) return now
    const share = this.share(bytes)
    await new Promise<void>((admit) => this.waiting.push({ bytes: share, admit }))
    return this.releaser(share)
  }

  /** The give-back function when `bytes` fit right now (nobody waiting before), else null. */
  tryAcquire(bytes: number): (() => void) | null {
    const share = this.share(bytes)
    if (this.waiting.length > 0 || this.inUse + share > this.limitBytes) return null
    this.inUse += share
    return this.releaser(share)
  }

  private share(bytes: number): number {
    return Math.min(Math.max(bytes, 0), this.limitBytes)
  }

  private releaser(share: number): () => void {
    let given = false
    return () => {
      if (given) return
      given = true
      this.inUse -= share
      this.admitWaiting()
    }
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.inUse + this.waiting[0]!.bytes <= this.limitBytes) {
      const next = this.waiting.shift()!
      this.inUse += next.bytes
      next.admit()
    }
  }
}
