import { expect, test } from 'vitest'
import { createLogger } from '../../src/server/logger.js'

test('the console session cookie and CSRF token are blanked wherever a log line carries them', () => {
  const lines: string[] = []
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) })
  logger.info({
    req: { headers: { cookie: 'pv_session=SESSION-ONE' } },
    headers: {
      cookie: 'pv_session=SESSION-TWO',
      'set-cookie': 'pv_session=SESSION-THREE',
      'x-csrf-token': 'CSRF-ONE',
    },
    cookie: 'pv_session=SESSION-FOUR',
    session: { csrfToken: 'CSRF-TWO' },
    csrfToken: 'CSRF-THREE',
    kept: 'visible',
  })
  const text = lines.join('')
  expect(text).toContain('visible')
  expect(text).toContain('[redacted]')
  expect(text).not.toMatch(/SESSION-|CSRF-/)
})
