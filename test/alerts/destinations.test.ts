import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  emailDestination,
  redactSmtpUrl,
  redactWebhookUrl,
  sendWithRetry,
  webhookDestination,
} from '../../src/alerts/destinations.js'
import { alertMessage } from '../../src/alerts/message.js'
import { createLogger } from '../../src/server/logger.js'
import { startSmtpReceiver, startWebhookReceiver } from './receivers.js'

let hook: Awaited<ReturnType<typeof startWebhookReceiver>>
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>
beforeAll(async () => {
  hook = await startWebhookReceiver()
  smtp = await startSmtpReceiver()
})
afterAll(async () => {
  await hook.close()
  await smtp.close()
})

const message = alertMessage(
  { alert: 'credentials_rejected', since: Date.UTC(2026, 11, 7), count: 2, reason: 'credentials rejected' },
  'firing',
  { consoleUrl: 'http://127.0.0.1:8080', now: Date.UTC(2026, 11, 7) },
)

function memoryLogger() {
  const lines: string[] = []
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) }
}

test('a webhook URL is shown without its secret path or query; an SMTP URL without its login', () => {
  expect(redactWebhookUrl('https://hooks.slack.com/services/T0/B0/XyZsecret')).toBe(
    'https://hooks.slack.com/services/…',
  )
  expect(redactWebhookUrl('https://example.com/abcdefsecret')).toBe('https://example.com/…')
  expect(redactWebhookUrl('https://example.com/?token=abc')).toBe('https://example.com/?…')
  expect(redactSmtpUrl('smtp://alerts%40ex.com:p4ss@mail.example.com:587')).toBe(
    'smtp://(login hidden)@mail.example.com:587',
  )
})

test('a failed send is retried with backoff and logged by the redacted label, never the secret path', async () => {
  const { lines, logger } = memoryLogger()
  hook.failNext(2, 503)
  const destination = webhookDestination(`${hook.url}/services/T1/B1/topSecretPart`)
  const sent = await sendWithRetry(destination, message, {
    attempts: 4,
    backoff: { baseMs: 5, maxMs: 20 },
    logger,
    signal: new AbortController().signal,
  })
  expect(sent).toBe(true)
  expect(hook.received.map((r) => r.body)).toEqual([message])
  const logged = lines.map(
    (l) => JSON.parse(l) as { msg: string; attempt: number; reason: string; destination: string },
  )
  expect(logged.map((l) => [l.msg, l.attempt, l.reason])).toEqual([
    ['alert could not be sent; trying again', 1, 'answered 503: try later'],
    ['alert could not be sent; trying again', 2, 'answered 503: try later'],
  ])
  expect(logged[0]!.destination).toBe(`webhook ${hook.url}/services/…`)
  expect(lines.join('')).not.toContain('topSecretPart')
})

test('a receiver that never answers well: the last attempt is an error line, and the send gives up', async () => {
  const { lines, logger } = memoryLogger()
  // Nothing listens on port 9 here: connection refused.
  const destination = webhookDestination('http://127.0.0.1:9/hooks/neverShownSecret')
  const sent = await sendWithRetry(destination, message, {
    attempts: 2,
    backoff: { baseMs: 5, maxMs: 10 },
    logger,
    signal: new AbortController().signal,
  })
  expect(sent).toBe(false)
  expect(lines.map((l) => (JSON.parse(l) as { level: number }).level)).toEqual([40, 50])
  expect(lines.join('')).not.toContain('neverShownSecret')
})

test('an email goes through the SMTP server to every address, with the text and the fields', async () => {
  const destination = emailDestination(smtp.url, 'alerts@perkville.test', ['a@example.com', 'b@example.com'])
  expect(destination.label).toBe(`email to 2 recipients via ${smtp.url}`)
  await destination.send(message, new AbortController().signal)
  const mail = smtp.mails.at(-1)!
  expect(mail.from).toBe('alerts@perkville.test')
  expect(mail.to).toEqual(['a@example.com', 'b@example.com'])
  expect(mail.data).toContain('Subject: [perkville-destination] FIRING credentials_rejected')
  expect(mail.data).toContain('"state": "firing"')
})

test('an SMTP failure names no password', async () => {
  const destination = emailDestination('smtp://ops:Pa55w0rdNeverShown@127.0.0.1:9', 'a@b.co', ['c@d.co'])
  await expect(destination.send(message, new AbortController().signal)).rejects.toThrow(/ECONNREFUSED/)
  await destination.send(message, new AbortController().signal).catch((err: Error) => {
    expect(err.message).not.toContain('Pa55w0rdNeverShown')
  })
})
