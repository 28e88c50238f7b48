import { createTransport } from 'nodemailer'
import type { Logger } from 'pino'
import { request } from 'undici'
import { type BackoffOptions, retryDelayMs } from '../pipeline/backoff.js'
import type { AlertMessage } from './message.js'

/** One place alerts go. `label` is safe to log and show: never a webhook's secret path or a password. */
export interface AlertDestination {
  label: string
  send(message: AlertMessage, signal: AbortSignal): Promise<void>
}

const SEND_TIMEOUT_MS = 10_000
/** A receiver's answer is read only this far (to say what went wrong); the rest is dropped. */
const ANSWER_BYTES = 200

/**
 * A webhook URL as it may be shown: the origin and, when the path has more than one segment, its
 * first one (`https://hooks.slack.com/services/…`). Slack's path after that is the secret; a query
 * may hold a token. Never the whole URL.
 */
export function redactWebhookUrl(url: string): string {
  const u = new URL(url)
  const segments = u.pathname.split('/').filter(Boolean)
  const shown = segments.length > 1 ? `/${segments[0]}/…` : segments.length === 1 ? '/…' : '/'
  return `${u.origin}${shown}${u.search ? '?…' : ''}`
}

/** The SMTP URL without its user and password. */
export function redactSmtpUrl(url: string): string {
  const u = new URL(url)
  const login = u.username !== '' || u.password !== '' ? '(login hidden)@' : ''
  return `${u.protocol}//${login}${u.host}`
}

/** Removes every form of `url` (whole, path, password) from a library's error text. */
function scrubUrl(text: string, url: string): string {
  const u = new URL(url)
  let out = text
  for (const secret of [
    url,
    u.href,
    `${u.pathname}${u.search}`,
    u.pathname,
    decodeURIComponent(u.password),
    u.password,
  ]) {
    if (secret.length > 1) out = out.split(secret).join('…')
  }
  return out
}

export function webhookDestination(url: string): AlertDestination {
  return {
    label: `webhook ${redactWebhookUrl(url)}`,
    async send(message, signal) {
      try {
        const answer = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
          signal: AbortSignal.any([signal, AbortSignal.timeout(SEND_TIMEOUT_MS)]),
        })
        const text = (await answer.body.text()).slice(0, ANSWER_BYTES)
        if (answer.statusCode < 200 || answer.statusCode >= 300) {
          throw new Error(`answered ${answer.statusCode}${text ? `: ${oneLine(text)}` : ''}`)
        }
      } catch (err) {
        throw new Error(scrubUrl(errorText(err), url))
      }
    },
  }
}

export function emailDestination(smtpUrl: string, from: string, to: readonly string[]): AlertDestination {
  const transport = createTransport(smtpUrl)
  return {
    // Addresses are not logged: they are people's.
    label: `email to ${to.length} recipient${to.length === 1 ? '' : 's'} via ${redactSmtpUrl(smtpUrl)}`,
    async send(message, signal) {
      if (signal.aborted) throw new Error('stopped')
      try {
        await transport.sendMail({
          from,
          to: [...to],
          subject: `[perkville-destination] ${message.state === 'resolved' ? 'RESOLVED' : 'FIRING'} ${message.alert}`,
          text: `${message.text}\n\n${JSON.stringify(message, null, 2)}\n`,
        })
      } catch (err) {
        throw new Error(scrubUrl(errorText(err), smtpUrl))
      }
    },
  }
}

export interface RetryOptions {
  attempts: number
  backoff: BackoffOptions
  logger: Logger
  signal: AbortSignal
}

export const SEND_RETRY: Omit<RetryOptions, 'logger' | 'signal'> = {
  attempts: 6,
  backoff: { baseMs: 2_000, maxMs: 5 * 60_000 },
}

/** Sends with retries and full-jitter backoff; a failed attempt is logged by the destination's label. */
export async function sendWithRetry(
  destination: AlertDestination,
  message: AlertMessage,
  opts: RetryOptions,
): Promise<boolean> {
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    if (opts.signal.aborted) return false
    try {
      await destination.send(message, opts.signal)
      return true
    } catch (err) {
      const last = attempt === opts.attempts
      opts.logger[last ? 'error' : 'warn'](
        {
          destination: destination.label,
          alert: message.alert,
          state: message.state,
          attempt,
          reason: errorText(err),
        },
        last ? 'alert could not be sent; giving up' : 'alert could not be sent; trying again',
      )
      if (last) return false
      await sleep(retryDelayMs(attempt, opts.backoff, null), opts.signal)
    }
  }
  return false
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return oneLine(cause?.code ? `${err.message} (${cause.code})` : err.message)
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, ANSWER_BYTES)
}
