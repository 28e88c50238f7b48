/** The sandbox's token endpoint (`POST /api/token/`): the resource-owner grant, its errors, and the tokens it issues. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningSandbox, type SandboxSeed, startSandbox } from '../../src/sandbox/index.js'

const seed: SandboxSeed = {
  clients: [
    { clientId: 'full-client', clientSecret: 'full-secret' },
    { clientId: 'read-client', clientSecret: 'read-secret', scopes: ['PUBLIC', 'ADMIN_CUSTOMER_INFO'] },
  ],
  users: [
    { username: 'owner@example.com', password: 'owner-pass' },
    { username: 'staff@one.example', password: 'staff-pass', businesses: [1] },
  ],
  businesses: [
    { id: 1, name: 'One', locations: [{ id: 11, name: 'L' }], perks: [] },
    { id: 2, name: 'Two' },
  ],
}

let sb: RunningSandbox
beforeAll(async () => {
  sb = await startSandbox({ seed })
})
afterAll(async () => {
  await sb?.close()
})

async function grant(
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  base = sb.origin,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${base}/api/token/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
}

const owner = { grant_type: 'password', username: 'owner@example.com', password: 'owner-pass' }
const fullClient = { client_id: 'full-client', client_secret: 'full-secret' }

const get = (path: string, token: string, base = sb.url) =>
  fetch(new URL(path, base), { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)

describe('sandbox token endpoint', () => {
  it('issues a bearer token with the client’s scopes that the API accepts', async () => {
    const { status, body, headers } = await grant({ ...owner, ...fullClient })
    expect(status).toBe(200)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body.token_type).toBe('Bearer')
    expect(String(body.scope).split(' ')).toHaveLength(10)
    const token = String(body.access_token)
    expect(await get('businesses/1/', token)).toBe(200)
    expect(await get('transactions/?business=1', token)).toBe(200)
  })

  it('takes the client credentials in HTTP Basic too, but not twice', async () => {
    const basic = `Basic ${Buffer.from('full-client:full-secret').toString('base64')}`
    expect((await grant(owner, { authorization: basic })).status).toBe(200)
    const twice = await grant({ ...owner, ...fullClient }, { authorization: basic })
    expect(twice.status).toBe(400)
    expect(twice.body.error).toBe('invalid_request')
  })

  it('answers RFC 6749 errors: wrong client, wrong password, other grant types, scopes not assigned', async () => {
    const wrongClient = await grant({ ...owner, client_id: 'full-client', client_secret: 'nope' })
    expect([wrongClient.status, wrongClient.body.error]).toEqual([401, 'invalid_client'])
    const wrongPassword = await grant({ ...owner, ...fullClient, password: 'nope' })
    expect([wrongPassword.status, wrongPassword.body.error]).toEqual([400, 'invalid_grant'])
    const unknownUser = await grant({ ...owner, ...fullClient, username: 'who@example.com' })
    expect(unknownUser.body.error).toBe('invalid_grant')
    const otherGrant = await grant({ ...fullClient, grant_type: 'client_credentials' })
    expect([otherGrant.status, otherGrant.body.error]).toEqual([400, 'unsupported_grant_type'])
    const notAssigned = await grant({
      ...owner,
      client_id: 'read-client',
      client_secret: 'read-secret',
      scope: 'PUBLIC ADMIN_CUSTOMER_GRANT_POINTS',
    })
    expect([notAssigned.status, notAssigned.body.error]).toEqual([400, 'invalid_scope'])
    expect(notAssigned.body.error_description).toContain('ADMIN_CUSTOMER_GRANT_POINTS')
    for (const answer of [wrongClient, wrongPassword])
      expect(JSON.stringify(answer.body)).not.toContain('nope')
  })

  it('a token carries only the scopes asked for, and acts only for its user’s businesses', async () => {
    const narrow = await grant({ ...owner, ...fullClient, scope: 'PUBLIC' })
    expect(narrow.body.scope).toBe('PUBLIC')
    const token = String(narrow.body.access_token)
    expect(await get('businesses/1/', token)).toBe(200)
    expect(await get('transactions/?business=1', token)).toBe(403)

    const staff = await grant({
      ...fullClient,
      grant_type: 'password',
      username: 'staff@one.example',
      password: 'staff-pass',
    })
    const staffToken = String(staff.body.access_token)
    expect(await get('businesses/1/', staffToken)).toBe(200)
    expect(await get('businesses/2/', staffToken)).toBe(403)
  })

  it('issued tokens outlive a restart on the same data directory and a reset', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-sandbox-token-'))
    const first = await startSandbox({ seed, dataDir })
    let token: string
    try {
      token = String((await grant({ ...owner, ...fullClient }, {}, first.origin)).body.access_token)
      first.reset()
      expect(await get('businesses/1/', token, first.url)).toBe(200)
    } finally {
      await first.close()
    }
    const second = await startSandbox({ seed, dataDir })
    try {
      expect(await get('businesses/1/', token, second.url)).toBe(200)
      expect(await get('businesses/1/', 'never-issued', second.url)).toBe(401)
    } finally {
      await second.close()
    }
  })
})
