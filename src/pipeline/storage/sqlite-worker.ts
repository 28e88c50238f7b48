/**
 * The entry of the thread that owns the SQLite database: opens it with the unchanged SqliteStorage
 * and answers the calls of sqlite-thread.ts one message at a time. Runs as compiled JavaScript
 * (dist/pipeline/storage/sqlite-worker.js); node cannot start a worker from a .ts file.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { decideOrder } from '../order-rules.js'
import { openSqliteStorage } from './sqlite.js'
import { type CallMessage, type ReplyMessage, serialiseError, type WorkerInput } from './sqlite-protocol.js'
import type { StatsRow, Storage } from './storage.js'

const port = parentPort
if (!port) throw new Error('sqlite-worker.js runs as a worker thread of the delivery service')
const post = (m: ReplyMessage) => port.postMessage(m)

let storage: Storage
try {
  storage = openSqliteStorage((workerData as WorkerInput).options)
  post({ kind: 'ready' })
} catch (err) {
  post({ kind: 'open-failed', error: serialiseError(err) })
  port.close()
}

const scans = new Map<number, AsyncIterator<StatsRow[]>>()
let nextCursor = 1

async function run(m: CallMessage): Promise<unknown> {
  switch (m.method) {
    case 'accept': {
      const [batches, { now, dedupSince, rules }] = m.args
      return storage.accept(batches, {
        now,
        dedupSince,
        orderRule: (tx, ledger) => decideOrder(rules, tx, ledger),
      })
    }
    case 'scanOpen': {
      const cursor = nextCursor++
      scans.set(cursor, storage.scanForStats(...m.args)[Symbol.asyncIterator]())
      return cursor
    }
    case 'scanNext': {
      const it = scans.get(m.args[0])
      if (!it) throw new Error('the statistics scan is no longer open')
      const step = await it.next()
      if (step.done) scans.delete(m.args[0])
      return step.done ? null : step.value
    }
    case 'scanClose': {
      const it = scans.get(m.args[0])
      scans.delete(m.args[0])
      await it?.return?.()
      return null
    }
    case 'close':
      scans.clear()
      await storage.close()
      return null
    default: {
      const method = storage[m.method] as (...args: unknown[]) => Promise<unknown>
      return method.apply(storage, m.args)
    }
  }
}

port.on('message', (m: CallMessage) => {
  run(m).then(
    (value) => post({ kind: 'result', id: m.id, value }),
    (err: unknown) => post({ kind: 'error', id: m.id, error: serialiseError(err) }),
  )
})
