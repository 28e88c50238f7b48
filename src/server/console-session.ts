import { randomBytes } from 'node:crypto'
import { secretsEqual } from './auth.js'

/** Cookie that carries a console session id. */
export const SESSION_COOKIE = 'pv_session'
/** How long a console session lasts after sign-in, whatever is done with it (then: sign in again). */
export const SESSION_TTL_MS = 12 * 3_600_000
/** Sessions kept at most; signing in past it ends the oldest one (memory stays bounded). */
const MAX_SESSIONS = 1_000

export interface ConsoleSession {
  id: string
  /** Sent back by the page in X-CSRF-Token on every state-changing call. */
  csrfToken: string
  expiresAt: number
}

const randomToken = () => randomBytes(32).toString('base64url')

/**
 * Console sessions, in memory only: a restart signs every operator out (they sign in again with
 * the admin token), and nothing about a session is ever written to disk or shared between
 * instances. Ids are 256 random bits, looked up by exact key; the id is the only secret.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>()

  constructor(
    private readonly ttlMs = SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  create(): ConsoleSession {
    this.sweep()
    while (this.sessions.size >= MAX_SESSIONS) {
      // Map order is insertion order: the first key is the oldest session.
      const oldest = this.sessions.keys().next().value
      if (oldest === undefined) break
      this.sessions.delete(oldest)
    }
    const session = { id: randomToken(), csrfToken: randomToken(), expiresAt: this.now() + this.ttlMs }
    this.sessions.set(session.id, session)
    return session
  }

  /** The live session with this id, or null (unknown, ended or expired). */
  get(id: string | undefined | null): ConsoleSession | null {
    if (!id) return null
    const session = this.sessions.get(id)
    if (!session) return null
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id)
      return null
    }
    return session
  }

  delete(id: string | undefined | null): void {
    if (id) this.sessions.delete(id)
  }

  /** Whether `given` is this session's CSRF token (constant time). */
  csrfMatches(session: ConsoleSession, given: string | undefined): boolean {
    return typeof given === 'string' && given !== '' && secretsEqual(given, session.csrfToken)
  }

  get size(): number {
    return this.sessions.size
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id)
  }
}
