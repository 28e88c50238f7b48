import { expect, test } from 'vitest'
import { ConfigError, loadConfig } from '../../src/server/config.js'

const problemsOf = (cli: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  try {
    loadConfig({ cli, env })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

test('alert options: defaults, repeatable destinations, and the environment as comma-separated lists', () => {
  const config = loadConfig({ cli: {}, env: {} })
  expect(config).toMatchObject({
    alertWebhooks: [],
    alertEmails: [],
    smtpUrl: null,
    alertIntervalMs: 30_000,
    alertRemindAfterMs: 4 * 3_600_000,
    alertParked: 1,
    alertFirstTryBelow: 90,
    alertMinAttempts: 20,
    alertWindowMs: 15 * 60_000,
    alertStalledAfterMs: 10 * 60_000,
    alertOldestWaitingMs: 15 * 60_000,
    alertRefusalSurge: 50,
    alertSettingsCheck: true,
  })
  const given = loadConfig({
    cli: { alertWebhook: ['https://hooks.slack.com/services/T/B/x', 'http://127.0.0.1:9000/hook'] },
    env: {
      PERKVILLE_ALERT_EMAILS: 'a@example.com, b@example.com',
      PERKVILLE_SMTP_URL: 'smtp://u:p@mail.example.com:587',
    },
  })
  expect(given.alertWebhooks).toEqual([
    'https://hooks.slack.com/services/T/B/x',
    'http://127.0.0.1:9000/hook',
  ])
  expect(given.alertEmails).toEqual(['a@example.com', 'b@example.com'])
})

test('bad alert options are named without repeating a URL that may hold a secret', () => {
  const problems = problemsOf({
    alertWebhook: ['ftp://files.example.com/secretPathOne'],
    alertEmail: ['not-an-address'],
    smtpUrl: 'http://user:secretPassword@mail',
  })
  expect(problems).toEqual([
    '--alert-webhook (command line): entry 1 must be an http(s) URL',
    '--alert-email (command line): entry 1 must be an email address',
    '--smtp-url (command line): must be an smtp:// or smtps:// URL, got another text',
  ])
  expect(problemsOf({ alertEmail: ['ops@example.com'] })).toEqual([
    '--alert-email (command line) needs --smtp-url: the mail server alert emails go through',
  ])
})
