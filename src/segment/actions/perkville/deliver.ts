import type { RequestClient } from '@segment/actions-core'
import type { Transaction } from '../../../core/index.js'
import {
  apiUrl,
  classifyTransactionAnswer,
  DEFAULT_BASE_URL,
  PATHS,
  transactionRequestBody,
} from '../../../perkville/wire.js'
import { redactSecret } from '../../shared/redact.js'
import { IntegrationError, InvalidAuthenticationError, RetryableError } from '../actions-core.js'

/** The statuses actions-core's RetryableError accepts; others (e.g. 501) fall back to its default. */
type RetryableStatus = NonNullable<ConstructorParameters<typeof RetryableError>[1]>
const RETRYABLE_STATUSES = new Set<number>([
  408, 423, 429, 500, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511, 598, 599,
])

/**
 * Posts one transaction and turns Perkville's answer into what actions-core understands:
 * returning is success, a RetryableError is retried by Segment, other errors are final.
 * `extendRequest` adds the Bearer header.
 */
export async function postTransaction(
  request: RequestClient,
  tx: Transaction,
  externalId: string,
  apiKey: string,
) {
  const url = apiUrl(DEFAULT_BASE_URL, PATHS.transactions)
  let response: Awaited<ReturnType<RequestClient>>
  try {
    response = await request(url, {
      method: 'POST',
      json: transactionRequestBody(tx, externalId),
      throwHttpErrors: false,
    })
  } catch (err) {
    // The outcome is unknown; a retry is safe because Perkville dedups on trans_source_id.
    throw new RetryableError(redactSecret(`Could not reach Perkville: ${(err as Error).message}`, apiKey))
  }

  const answer = classifyTransactionAnswer(
    tx,
    response.status,
    response.data ?? response.content,
    response.headers.get('retry-after'),
  )
  // Perkville's message is kept for the operator, but never a copy of the key it may echo.
  const message = 'message' in answer ? redactSecret(answer.message, apiKey) : ''
  switch (answer.class) {
    case 'delivered':
    case 'already_delivered':
      return response
    case 'daily_limit':
      // DAILY_LIMIT_REACHED: the customer had this once-per-day perk today. A skip, so neither an
      // error for Segment to show nor a retry that could only be refused again.
      return response
    case 'temporary':
      throw new RetryableError(
        message,
        RETRYABLE_STATUSES.has(answer.status ?? 0) ? (answer.status as RetryableStatus) : undefined,
      )
    case 'credentials':
      throw new InvalidAuthenticationError(
        `Perkville refused the API key (${message}); check the API Key and that it has the ADMIN_CUSTOMER_GRANT_POINTS scope`,
      )
    case 'permanent':
      throw new IntegrationError(
        `Perkville rejected the transaction: ${message}`,
        'PERKVILLE_REJECTED',
        answer.status,
      )
  }
}
