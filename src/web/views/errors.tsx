import { api, query } from '../api'
import { Confirm, useConfirmed } from '../confirm'
import { count, counted } from '../format'
import { go, href } from '../route'
import { Time } from '../time'
import type { ErrorGroup, SettingsView } from '../types'
import { useData } from '../use-data'
import { useRange } from '../use-range'
import { nearMatch, operatorWords } from '../words'
import { AwardRefused } from './award-refused'
import { Message } from './message'
import { RangeSelect } from './range-select'

const KIND_LABEL = { reject: 'Rejected at the door', failure: 'Delivery failed', parked: 'Parked' } as const
const KIND_STATUS = { reject: 'rejected', failure: 'failed', parked: 'parked' } as const

export function ErrorsView({ params }: { params: Record<string, string> }) {
  const range = useRange(params.range, 30_000)
  const errors = useData<{ groups: ErrorGroup[] }>(
    `/admin/errors${query({ from: range.from, to: range.to })}`,
  )
  // For "did you mean": the names the map has.
  const settings = useData<SettingsView>('/admin/settings')
  const mapped = Object.keys(settings.data?.settings.eventToPerkMap ?? {})
  // After a fix in Perkville itself (a perk created), parked events need a push: no settings change will come.
  const release = useConfirmed(
    { title: 'Release parked events?', confirmLabel: 'Release' },
    async () => {
      const { released } = await api<{ released: number }>('/admin/parked/release', { method: 'POST' })
      return `${counted(released, 'parked event')} queued again.`
    },
    errors.reload,
  )
  return (
    <section aria-labelledby="errors-title">
      <div class="heading">
        <h1 id="errors-title">Errors</h1>
        <RangeSelect value={range.key} onChange={(key) => go('errors', { range: key })} />
      </div>
      <p class="hint">Skips are not errors and are not listed here (see Overview).</p>
      <Message kind="notice" text={release.notice} />
      <Message kind="error" text={release.error} />
      <Message kind="error" text={errors.error} />
      {errors.data && errors.data.groups.length === 0 && <p>No errors in this range.</p>}
      {errors.data?.groups.map((g) => (
        <article class="group" key={`${g.kind}-${g.code}`} data-code={g.code}>
          <header>
            <h2>
              <span class={`badge ${g.kind}`}>{KIND_LABEL[g.kind] ?? g.kind}</span> <code>{g.code}</code>
            </h2>
            <span class="num">
              <strong>{count(g.count)}</strong> <Change now={g.count} before={g.previousCount} />
            </span>
          </header>
          {g.reason && g.reason !== g.code && <p>{operatorWords(g.reason)}</p>}
          <p class="action">
            <strong>What to do:</strong> {operatorWords(g.action)}{' '}
            <a href={href('settings')}>Open Settings</a>
          </p>
          {g.samples.length > 0 && (
            <ul class="samples">
              {g.samples.map((s) => (
                <li key={s.id}>
                  <a href={href(`events/${encodeURIComponent(s.id)}`)}>
                    <Time iso={s.at} />
                  </a>{' '}
                  {s.email ?? '(no email)'} — {operatorWords(s.message ?? '')}
                  <DidYouMean code={g.code} name={s.eventName} mapped={mapped} />
                </li>
              ))}
            </ul>
          )}
          {g.kind === 'reject' && (
            <AwardRefused filter={{ code: g.code, from: range.from, to: range.to }} onDone={errors.reload} />
          )}
          {g.kind === 'parked' && (
            <p>
              <button type="button" class="secondary" onClick={release.ask}>
                Release all parked events…
              </button>
            </p>
          )}
          <a
            href={href('events', {
              status: KIND_STATUS[g.kind],
              code: g.code,
              from: range.from,
              to: range.to,
            })}
          >
            See the {counted(g.count, 'matching event')}
          </a>
        </article>
      ))}
      <Confirm {...release.question}>
        <p>
          Every parked event, of any range, is decided again under the settings in force and delivered. Do
          this after fixing the cause in Perkville itself; a settings change releases them by itself.
        </p>
      </Confirm>
    </section>
  )
}

function Change({ now, before }: { now: number; before: number }) {
  if (before === 0 && now === 0) return null
  if (before === 0) return <span class="change up">new in this range</span>
  const delta = Math.round((100 * (now - before)) / before)
  const word = delta === 0 ? 'same as' : delta > 0 ? `+${delta}% vs` : `${delta}% vs`
  return (
    <span
      class={`change ${delta > 0 ? 'up' : 'down'}`}
    >{`${word} the previous range (${count(before)})`}</span>
  )
}

/** For an event name the map lacks: the mapped name it most likely meant, with the way to Settings. */
export function DidYouMean({ code, name, mapped }: { code: string; name: string | null; mapped: string[] }) {
  if (code !== 'EVENT_NOT_ALLOWLISTED' || !name) return null
  const near = nearMatch(name, mapped)
  if (!near) return null
  return (
    <span class="did-you-mean">
      {' '}
      Did you mean <code>{near}</code>? Send that name, or add <code>{name}</code> in{' '}
      <a href={href('settings')}>Settings</a>.
    </span>
  )
}
