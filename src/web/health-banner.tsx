import { useEffect } from 'preact/hooks'
import { onHealthChanged } from './health-events'
import { href } from './route'
import type { SettingsView } from './types'
import { useData } from './use-data'
import { operatorWords } from './words'

interface Healthz {
  credentials: { state: string; message: string | null; action: string | null }
  settings?: { state: string; failed: string[] }
}
interface Readyz {
  ready: boolean
  reasons: string[]
}

/** What stops delivery now, each with what to do and where to fix it; nothing when all is well. */
export function HealthBanner() {
  const health = useData<Healthz>('/admin/health', 15_000)
  const ready = useData<Readyz>('/readyz', 15_000)
  const settings = useData<SettingsView>('/admin/settings', 15_000)
  // The banner follows a check or a save at once, not at the next refresh.
  useEffect(
    () =>
      onHealthChanged(() => {
        health.reload()
        ready.reload()
        settings.reload()
      }),
    [health.reload, ready.reload, settings.reload],
  )
  const problems: Array<{ key: string; title: string; what: string; link: string; linkText: string }> = []
  if (settings.data?.problem)
    problems.push({
      key: 'settings-version',
      title: 'Saved settings could not be applied at start',
      what: settings.data.problem.message,
      link: href('settings'),
      linkText: 'Review the settings',
    })
  if (health.data?.credentials.state === 'rejected')
    problems.push({
      key: 'credentials',
      title: 'Delivery is paused: Perkville refuses the API key',
      what: health.data.credentials.action ?? 'Put a valid API key in the settings.',
      link: href('settings'),
      linkText: 'Fix the API key in Settings',
    })
  if (health.data?.settings?.state === 'problem')
    problems.push({
      key: 'settings',
      title: `The settings check failed: ${health.data.settings.failed.join(', ')}`,
      what: 'Run "Check settings" to see what is wrong with each item and what to do.',
      link: href('settings'),
      linkText: 'Open Settings',
    })
  const storage = ready.data?.reasons.filter((r) => r.startsWith('storage')) ?? []
  if (storage.length > 0 || ready.error)
    problems.push({
      key: 'storage',
      title: 'Storage is not available: events cannot be accepted or delivered',
      what: `${storage.join('; ') || ready.error}. Free disk space or bring the database back; the service resumes by itself.`,
      link: href('overview'),
      linkText: 'Watch the queue in Overview',
    })
  if (problems.length === 0) return null
  return (
    <section class="banner" role="alert" aria-label="Service health">
      {problems.map((p) => (
        <div key={p.key} class="banner-item" data-problem={p.key}>
          <strong>{p.title}</strong>
          <span>{operatorWords(p.what)}</span>
          <a href={p.link}>{p.linkText}</a>
        </div>
      ))}
    </section>
  )
}
