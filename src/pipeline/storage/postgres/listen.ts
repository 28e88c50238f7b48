/**
 * Instances sharing a schema wake each other: an accept that queued work sends NOTIFY with its
 * COMMIT, and every instance keeps one connection of its own LISTENing. Polling stays the fallback,
 * so a lost notification or a listener that is down only delays work until the next poll.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** One channel for the whole database; the payload names the schema (and the sender, to skip its own). */
export const WORK_CHANNEL = 'perkville_work'

/** Waits between reconnection attempts of the listening connection: doubling up to the cap. */
const RETRY_FIRST_MS = 200
const RETRY_MAX_MS = 5_000

/** A sender id per storage: an instance's own notifications are not news to it. */
export function newSenderId(): string {
  return randomBytes(6).toString('hex')
}

function payloadOf(schema: string, sender: string): string {
  return `${schema} ${sender}`
}

/** The statement sent with a COMMIT that queued work (schema and sender are plain identifiers). */
export function notifyStatement(schema: string, sender: string): string {
  return `NOTIFY ${WORK_CHANNEL}, '${payloadOf(schema, sender)}'`
}

export interface ListenOptions {
  connectionString: string
  schema: string
  /** This instance's sender id (its own notifications are ignored). */
  sender: string
  connectTimeoutMs: number
  /** Called on news of work from another instance, and after every (re)connection: work may have come meanwhile. */
  onWork: () => void
  /** Told when the listening connection fails (it reconnects by itself). */
  onError: (err: Error) => void
}

/** Starts listening; the returned function stops it (and closes the connection). */
export function listenForWork(opts: ListenOptions): () => Promise<void> {
  const prefix = `${opts.schema} `
  const own = payloadOf(opts.schema, opts.sender)
  let stopped = false
  let client: pg.Client | null = null
  let retryMs = RETRY_FIRST_MS
  let timer: NodeJS.Timeout | null = null

  const again = () => {
    if (stopped || timer) return
    timer = setTimeout(() => {
      timer = null
      void connect()
    }, retryMs)
    timer.unref()
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS)
  }

  const connect = async () => {
    const c = new pg.Client({
      connectionString: opts.connectionString,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      // Named, so an operator (or a test) can find this connection in pg_stat_activity.
      application_name: `perkville-listen ${opts.schema}`.slice(0, 63),
      keepAlive: true,
    })
    let lost = false
    const onLost = (err?: Error) => {
      if (lost) return
      lost = true
      if (client === c) client = null
      if (!stopped && err) opts.onError(err)
      c.end().catch(() => undefined)
      again()
    }
    c.on('error', (err) => onLost(err))
    c.on('end', () => onLost(stopped ? undefined : new Error('the listening connection closed')))
    c.on('notification', (msg) => {
      if (msg.channel !== WORK_CHANNEL) return
      const payload = msg.payload ?? ''
      if (payload.startsWith(prefix) && payload !== own) opts.onWork()
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${WORK_CHANNEL}`)
    } catch (err) {
      onLost(err as Error)
      return
    }
    if (stopped) {
      await c.end().catch(() => undefined)
      return
    }
    client = c
    retryMs = RETRY_FIRST_MS
    opts.onWork()
  }

  void connect()
  return async () => {
    stopped = true
    if (timer) clearTimeout(timer)
    timer = null
    const c = client
    client = null
    await c?.end().catch(() => undefined)
  }
}
