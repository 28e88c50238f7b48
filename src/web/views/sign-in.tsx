import { useState } from 'preact/hooks'
import { signIn } from '../api'

export function SignIn({ onSignedIn }: { onSignedIn(): void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await signIn(token)
      setToken('')
      onSignedIn()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="sign-in">
      <h1>Perkville destination</h1>
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        {error && (
          <p id="sign-in-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p id="sign-in-help" class="hint">
        The admin token is in <code>data/admin-token</code> unless you configured one (
        <code>--admin-token</code>). Signing in keeps you in for 12 hours on this browser, or until the
        service restarts.
      </p>
    </main>
  )
}
