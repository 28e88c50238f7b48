import { createHash } from 'node:crypto'
import type { Scope, TokenGrant } from './seed.js'
import type { SandboxStore } from './store.js'

export interface IssuedToken extends TokenGrant {
  clientId: string
  username: string
}

/** Tokens the token endpoint issued: kept (as hashes) in the database, so they outlive a restart and a reset. */
export class IssuedTokens {
  constructor(private readonly store: SandboxStore) {
    store.run(`CREATE TABLE IF NOT EXISTS issued_tokens (
      token_sha256 TEXT PRIMARY KEY, client_id TEXT NOT NULL, username TEXT NOT NULL,
      scopes TEXT NOT NULL, businesses TEXT, created_dt TEXT NOT NULL)`)
  }

  add(token: string, issued: IssuedToken): void {
    this.store.run(
      'INSERT INTO issued_tokens (token_sha256, client_id, username, scopes, businesses, created_dt) VALUES (?, ?, ?, ?, ?, ?)',
      sha256(token),
      issued.clientId,
      issued.username,
      issued.scopes.join(' '),
      issued.businesses === null ? null : JSON.stringify(issued.businesses),
      new Date().toISOString(),
    )
  }

  grant(token: string): TokenGrant | undefined {
    const row = this.store.get(
      'SELECT scopes, businesses FROM issued_tokens WHERE token_sha256 = ?',
      sha256(token),
    ) as { scopes: string; businesses: string | null } | undefined
    if (!row) return undefined
    return {
      scopes: row.scopes.split(' ').filter((s) => s !== '') as Scope[],
      businesses: row.businesses === null ? null : (JSON.parse(row.businesses) as number[]),
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
