/**
 * The admin API's answers as the page reads them. Where the service's own types (service-api.ts)
 * are the answer, they are imported as types only (nothing of the service reaches the bundle).
 */
import type {
  CustomerView,
  Decision,
  ErrorGroup,
  EventDetail,
  EventStatus,
  EventSummary,
  Overview,
} from '../pipeline/service-api.js'
import type { SettingsVersionProblem } from '../server/settings-versions.js'

export type Status = EventStatus

/** In the order the filter offers them: the outcome most looked for first. */
export const STATUSES: Status[] = [
  'delivered',
  'pending',
  'in_flight',
  'retrying',
  'parked',
  'failed',
  'skipped',
  'rejected',
]

export type { CustomerView, Decision, ErrorGroup, EventDetail, EventSummary, Overview }

export interface CheckItem {
  item: string
  ok: boolean
  message: string
  action?: string
}

export interface SettingsView {
  version: number
  at: string
  source: string
  settings: {
    apiKey: string
    businessId: string
    locationId: string
    eventToPerkMap: Record<string, string>
    audienceToPerkMap?: Record<string, string>
    oncePerDayEvents?: string[]
    sendEmail: boolean
  }
  check?: SettingsCheck
  /** Stored versions this start passed over because they cannot be applied. */
  problem?: SettingsVersionProblem
}

/** The last live contract check (`check --write-probe`), as the service keeps it. */
export interface ContractCheck {
  at: string
  businessId: string
  transSourceId: string
  steps: Array<{ step: string; status: number | null; answer: string }>
  assumptions: CheckItem[]
  ok: boolean
}

export interface SettingsCheck {
  state: string
  checkedAt: string | null
  items: CheckItem[]
  contract?: ContractCheck | null
}
