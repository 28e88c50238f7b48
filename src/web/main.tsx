import 'uplot/dist/uPlot.min.css'
import './style.css'
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { loadSession, onSignedOut, signOut } from './api'
import { HealthBanner } from './health-banner'
import { href, useRoute } from './route'
import { AlertsView } from './views/alerts'
import { CustomerView } from './views/customer'
import { ErrorsView } from './views/errors'
import { EventDetailView } from './views/event-detail'
import { EventsView } from './views/events'
import { LiveView } from './views/live'
import { OverviewView } from './views/overview'
import { SettingsView } from './views/settings'
import { SignIn } from './views/sign-in'

const NAV = [
  ['overview', 'Overview'],
  ['errors', 'Errors'],
  ['events', 'Events'],
  ['customer', 'Customer'],
  ['settings', 'Settings'],
  ['live', 'Live'],
  ['alerts', 'Alerts'],
] as const

function App() {
  const route = useRoute()
  const [signedIn, setSignedIn] = useState<boolean | null>(null)
  useEffect(() => {
    loadSession().then(setSignedIn, () => setSignedIn(false))
    return onSignedOut(() => setSignedIn(false))
  }, [])

  if (signedIn === null) return <p class="loading">Loading…</p>
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />

  const view = route.parts[0] ?? 'overview'
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Perkville destination</span>
        <nav aria-label="Views">
          {NAV.map(([key, label]) => (
            <a key={key} href={href(key)} aria-current={view === key ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <HealthBanner />
      <main id="main" tabIndex={-1}>
        <Page route={route} view={view} />
      </main>
    </>
  )
}

function Page({ route, view }: { route: ReturnType<typeof useRoute>; view: string }) {
  switch (view) {
    case 'errors':
      return <ErrorsView params={route.params} />
    case 'events':
      return route.parts[1] ? <EventDetailView id={route.parts[1]} /> : <EventsView params={route.params} />
    case 'customer':
      return <CustomerView email={route.parts[1] ?? route.params.email ?? ''} />
    case 'settings':
      return <SettingsView />
    case 'live':
      return <LiveView />
    case 'alerts':
      return <AlertsView />
    default:
      return <OverviewView params={route.params} />
  }
}

const root = document.getElementById('app')
if (root) render(<App />, root)
