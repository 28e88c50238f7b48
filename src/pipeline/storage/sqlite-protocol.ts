/**
 * The messages between the pipeline and the thread that owns the SQLite database
 * (sqlite-thread.ts ↔ sqlite-worker.ts). Calls are Storage methods by name with cloneable
 * arguments; the two that are not plainly cloneable have their own shape: `accept` sends the order
 * rules instead of the rule function, and `scanForStats` is pulled chunk by chunk through a cursor.
 */
import type { OrderRules } from '../order-rules.js'
import type { SqliteStorageOptions } from './sqlite.js'
import type { AcceptBatch, Storage } from './storage.js'

export interface WorkerInput {
  options: SqliteStorageOptions
}

/** Storage methods whose arguments and results cross the thread boundary as they are. */
export type PlainMethod = Exclude<keyof Storage, 'accept' | 'scanForStats' | 'close'>

export type CallMessage =
  | { id: number; method: PlainMethod; args: unknown[] }
  | {
      id: number
      method: 'accept'
      args: [batches: AcceptBatch[], ctx: { now: number; dedupSince: number; rules: OrderRules }]
    }
  | { id: number; method: 'scanOpen'; args: [from: number, to: number] }
  | { id: number; method: 'scanNext'; args: [cursor: number] }
  | { id: number; method: 'scanClose'; args: [cursor: number] }
  | { id: number; method: 'close'; args: [] }

export interface SerialisedError {
  name: string
  message: string
}

export type ReplyMessage =
  | { kind: 'ready' }
  | { kind: 'open-failed'; error: SerialisedError }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SerialisedError }

export function serialiseError(err: unknown): SerialisedError {
  if (err instanceof Error) return { name: err.name, message: err.message }
  return { name: 'Error', message: String(err) }
}

export function deserialiseError(e: SerialisedError): Error {
  const err = new Error(e.message)
  err.name = e.name
  return err
}
