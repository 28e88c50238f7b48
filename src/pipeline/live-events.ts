import type { LiveEvent } from './service-api.js'

/**
 * Arriving events for whoever watches (the console's live view). Listeners are called synchronously
 * and must not block; with none, nothing is built at all.
 */
export class LiveEvents {
  private readonly listeners = new Set<(event: LiveEvent) => void>()

  get watched(): boolean {
    return this.listeners.size > 0
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  publish(events: LiveEvent[]): void {
    for (const e of events) {
      for (const listener of this.listeners) {
        try {
          listener(e)
        } catch {
          // One broken watcher must not cost the others (nor the accept that published).
        }
      }
    }
  }
}
