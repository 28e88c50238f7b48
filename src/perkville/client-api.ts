/**
 * The contract of the Perkville API client (implemented in client.ts). The delivery pipeline
 * codes against this interface only.
 */
import type { Transaction } from '../core/types.js'
import { boundErrorText } from './bounded-body.js'
import type {
  BusinessResource,
  ConnectionResource,
  DeliveryClass,
  LocationResource,
  PerkResource,
  TransactionRequestBody,
  TransactionResource,
} from './wire.js'

export interface PerkvilleClientOptions {
  /** Default https://api.perkville.com/v2/ */
  baseUrl?: string
  token: string
  /** Per-request timeout in ms; default 10_000. */
  timeoutMs?: number
  /** Max sockets kept alive to the API; default 64. */
  connections?: number
}

/** What one POST attempt did, with enough detail for the operator's view (token never included). */
export interface TransactionAttempt {
  result: DeliveryClass
  /** The request as sent, with the Authorization header redacted. */
  request: { method: 'POST'; url: string; headers: Record<string, string>; body: TransactionRequestBody }
  /** Perkville's answer; null when there was none (timeout, connection cut). */
  response: { status: number; headers: Record<string, string>; body: unknown } | null
  durationMs: number
}

export interface PerkvilleClient {
  readonly baseUrl: string
  /** `transSourceId`: the event's stable id, sent as Perkville's dedup key `trans_source_id`. */
  postTransaction(tx: Transaction, transSourceId: string): Promise<TransactionAttempt>
  /**
   * Settles an unknown outcome: the transaction with this `trans_source_id`, or null when none exists.
   * Throws PerkvilleApiError of kind `permanent` when Perkville refuses or ignores the filter.
   */
  findTransaction(businessId: string, transSourceId: string): Promise<TransactionResource | null>
  getBusiness(businessId: string): Promise<BusinessResource>
  listLocations(businessId: string): Promise<LocationResource[]>
  listPerks(businessId: string): Promise<PerkResource[]>
  /** The customer's connections to the business (each with its point balance); needs ADMIN_CUSTOMER_INFO. */
  findConnections?(businessId: string, email: string): Promise<ConnectionResource[]>
  close(): Promise<void>
}

/** Thrown by the read calls; `class` says whether a retry could help. Never contains the token. */
export class PerkvilleApiError extends Error {
  constructor(
    message: string,
    readonly kind: DeliveryClass['class'],
    readonly status: number | null,
  ) {
    super(boundErrorText(message))
    this.name = 'PerkvilleApiError'
  }
}
