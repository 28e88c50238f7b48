import { afterAll, beforeAll, expect, test } from 'vitest'
import { AUTH, checkIn, post, startTestService, type TestService } from './fixture.js'

let svc: TestService
beforeAll(async () => {
  svc = await startTestService()
})
afterAll(async () => {
  await svc?.close()
})

test('when storage is closed, events are answered 503 with Retry-After (never 200) and readiness fails', async () => {
  expect((await post(`${svc.url}/v1/track`, checkIn('before@example.com'), AUTH)).status).toBe(200)
  // Stopping the pipeline closes its database while the HTTP server keeps answering.
  await svc.service.stop()
  const single = await post(`${svc.url}/v1/track`, checkIn('after@example.com'), AUTH)
  expect(single.status).toBe(503)
  expect(single.headers.get('retry-after')).toMatch(/^\d+$/)
  expect(single.json).toMatchObject({ success: false, code: 'STORAGE_UNAVAILABLE' })
  const batch = await post(`${svc.url}/v1/batch`, { batch: [checkIn('after2@example.com')] }, AUTH)
  expect(batch.status).toBe(503)
  const ready = await fetch(`${svc.url}/readyz`)
  expect(ready.status).toBe(503)
  expect(((await ready.json()) as { reasons: string[] }).reasons.length).toBeGreaterThan(0)
  expect((await fetch(`${svc.url}/healthz`)).status).toBe(200)
})
