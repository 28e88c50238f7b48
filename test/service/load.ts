/** Sends tracking requests from several concurrent senders and records which events were acknowledged. */
import { basicAuth } from './helpers.js'

export interface LoadResult {
  /** messageIds of events in requests answered 200. */
  acknowledged: Set<string>
  /** messageIds of every event sent, acknowledged or not. */
  sent: Set<string>
  statuses: Map<number | string, number>
}

export interface LoadOptions {
  url: () => string
  writeKey: string
  senders: number
  /** Called after each 200; return true to stop sending. */
  onAck?: (acknowledgedSoFar: number) => boolean | undefined
  /** Stop after this many requests in total. */
  maxRequests: number
  customers?: number
}

export async function sendLoad(opts: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { acknowledged: new Set(), sent: new Set(), statuses: new Map() }
  const customers = opts.customers ?? 40
  let requests = 0
  let stop = false
  let seq = 0
  const count = (key: number | string) => result.statuses.set(key, (result.statuses.get(key) ?? 0) + 1)

  const sender = async (senderId: number) => {
    while (!stop && requests < opts.maxRequests) {
      requests++
      const batch = requests % 3 === 0
      const events = Array.from({ length: batch ? 10 : 1 }, () => {
        seq++
        return {
          type: 'track',
          event: 'Checked In',
          userId: `load-${seq % customers}`,
          messageId: `load-${process.pid}-${senderId}-${seq}`,
          properties: { email: `load-${seq % customers}@example.com` },
        }
      })
      for (const e of events) result.sent.add(e.messageId)
      try {
        const res = await fetch(`${opts.url()}/v1/${batch ? 'batch' : 'track'}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: basicAuth(opts.writeKey) },
          body: JSON.stringify(batch ? { batch: events } : events[0]),
        })
        await res.arrayBuffer()
        count(res.status)
        if (res.status === 200) {
          for (const e of events) result.acknowledged.add(e.messageId)
          if (opts.onAck?.(result.acknowledged.size)) stop = true
        }
      } catch (err) {
        count((err as Error & { cause?: { code?: string } }).cause?.code ?? 'network error')
        // The server is gone (killed or shut down): nothing more will be acknowledged.
        stop = true
      }
    }
  }
  await Promise.all(Array.from({ length: opts.senders }, (_, i) => sender(i)))
  return result
}
