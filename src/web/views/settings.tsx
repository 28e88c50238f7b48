import type { InputHTMLAttributes } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { RedecideRefusedResult } from '../../pipeline/service-api.js'
import { ApiError, api } from '../api'
import { Confirm } from '../confirm'
import { counted, json } from '../format'
import { healthChanged } from '../health-events'
import { href } from '../route'
import { Time } from '../time'
import type { CheckItem, ContractCheck, SettingsView as Settings, SettingsCheck } from '../types'
import { useData } from '../use-data'
import { operatorWords } from '../words'
import { AlertDestinations } from './alerts'
import { AwardRefused } from './award-refused'
import { Message } from './message'

type MapName = 'eventToPerkMap' | 'audienceToPerkMap'
interface Row {
  name: string
  perk: string
  /** Event rows only: the event is in oncePerDayEvents. */
  daily?: boolean
}
interface Form {
  apiKey: string
  businessId: string
  locationId: string
  sendEmail: boolean
  eventToPerkMap: Row[]
  audienceToPerkMap: Row[]
}
/** Problems by field: 'businessId', or 'eventToPerkMap' / 'eventToPerkMap:<name>' for one row. */
type Problems = Record<string, string[]>

const rowsOf = (map: Record<string, string> | undefined): Row[] =>
  Object.entries(map ?? {}).map(([name, perk]) => ({ name, perk: String(perk) }))

const eventRowsOf = (s: Settings['settings']): Row[] =>
  rowsOf(s.eventToPerkMap).map((row) => ({ ...row, daily: s.oncePerDayEvents?.includes(row.name) ?? false }))

const formOf = (s: Settings['settings']): Form => ({
  apiKey: '',
  businessId: s.businessId,
  locationId: s.locationId,
  sendEmail: s.sendEmail,
  eventToPerkMap: eventRowsOf(s),
  audienceToPerkMap: rowsOf(s.audienceToPerkMap),
})

/** Where a problem belongs, from its path (`eventToPerkMap["Checked In"]` or `eventToPerkMap.Checked In`). */
export function fieldOf(pathOrMessage: string): string {
  const m = /^(\w+)(?:\["((?:[^"\\]|\\.)*)"\]|\.(.+))?/.exec(pathOrMessage)
  if (!m) return ''
  const key = m[2] !== undefined ? JSON.parse(`"${m[2]}"`) : m[3]
  return key === undefined ? m[1]! : `${m[1]}:${key}`
}

function problemsOf(err: ApiError): Problems {
  const body = err.body as {
    problems?: Array<{ path: string; message: string }>
    error?: { problems?: Array<{ path: string; message: string }> }
  } | null
  const listed = body?.problems ?? body?.error?.problems
  const entries: Array<[string, string]> = listed
    ? listed.map((p) => [fieldOf(p.path), p.message])
    : err.message
        .replace(/^invalid settings:\s*/, '')
        .split('; ')
        .map((message) => [fieldOf(message), message])
  const problems: Problems = {}
  for (const [field, message] of entries) {
    const target = field === '' ? 'form' : field
    problems[target] = [...(problems[target] ?? []), message]
    // A row's problem is also counted on its map, so the map's own place shows that something is wrong.
    const map = target.split(':')[0]!
    if (map !== target) problems[`${map}:any`] = [...(problems[`${map}:any`] ?? []), message]
  }
  return problems
}

export function SettingsView() {
  const current = useData<Settings>('/admin/settings')
  const history = useData<{
    versions: Array<{ version: number; at: string; source: string; changes: string[] }>
  }>('/admin/settings/history?limit=20')
  const [form, setForm] = useState<Form | null>(null)
  const [problems, setProblems] = useState<Problems>({})
  const [notice, setNotice] = useState<string | null>(null)
  const [check, setCheck] = useState<SettingsCheck | null>(null)
  const [checking, setChecking] = useState(false)
  // After a change: how many refused events these settings would now award, offered at once.
  const [award, setAward] = useState<Extract<RedecideRefusedResult, { wouldSend: number }> | null>(null)

  useEffect(() => {
    if (current.data && form === null) setForm(formOf(current.data.settings))
  }, [current.data])

  // Settings that fail the check are saved only after the operator confirms, naming what failed.
  const [failing, setFailing] = useState<{ body: Record<string, unknown>; items: CheckItem[] } | null>(null)
  const save = async (e: Event) => {
    e.preventDefault()
    if (!form) return
    setProblems({})
    setNotice(null)
    setAward(null)
    const body: Record<string, unknown> = {
      businessId: form.businessId.trim(),
      locationId: form.locationId.trim(),
      sendEmail: form.sendEmail,
      eventToPerkMap: Object.fromEntries(form.eventToPerkMap.map((r) => [r.name, r.perk.trim()])),
      audienceToPerkMap: Object.fromEntries(form.audienceToPerkMap.map((r) => [r.name, r.perk.trim()])),
      oncePerDayEvents: form.eventToPerkMap.filter((r) => r.daily).map((r) => r.name),
    }
    if (form.apiKey !== '') body.apiKey = form.apiKey
    let checked: { state: string; items: CheckItem[] } | null = null
    try {
      checked = await api('/admin/settings/check', { method: 'POST', body })
    } catch (err) {
      // Problems with the form itself are shown beside their fields; a check that cannot run asks nothing.
      if (err instanceof ApiError && err.status === 400) return setProblems(problemsOf(err))
    }
    const failed = checked?.items.filter((i) => !i.ok) ?? []
    if (failed.length > 0) return setFailing({ body, items: failed })
    await store(body)
  }

  const store = async (body: Record<string, unknown>) => {
    setFailing(null)
    try {
      const answer = await api<Settings & { changed?: boolean }>('/admin/settings', { method: 'PUT', body })
      setNotice(answer.changed === false ? 'Nothing changed.' : `Saved as version ${answer.version}.`)
      setForm(formOf(answer.settings))
      if (answer.check) setCheck(answer.check)
      healthChanged()
      current.reload()
      history.reload()
      if (answer.changed !== false)
        void api<Extract<RedecideRefusedResult, { wouldSend: number }>>('/admin/refused/redecide', {
          method: 'POST',
          body: { dryRun: true },
        }).then(
          (preview) => setAward(preview.wouldSend > 0 ? preview : null),
          () => setAward(null),
        )
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) setProblems(problemsOf(err))
      else setProblems({ form: [(err as Error).message] })
    }
  }

  const runCheck = async () => {
    setChecking(true)
    try {
      setCheck(await api('/admin/settings/check', { method: 'POST' }))
      healthChanged()
    } catch (err) {
      setCheck({
        state: 'problem',
        checkedAt: null,
        items: [{ item: 'check', ok: false, message: (err as Error).message }],
      })
    } finally {
      setChecking(false)
    }
  }

  const shownCheck = check ?? current.data?.check ?? null
  // What every field of the form edits, and the problems the last save found in it.
  const editing = form ? { form, setForm, problems } : null
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <Message kind="error" text={current.error} />
      {current.data && (
        <p class="hint">
          Version {current.data.version} from {current.data.source}, <Time iso={current.data.at} />. API key{' '}
          <code>{current.data.settings.apiKey}</code>.
        </p>
      )}
      {editing && (
        <form class="settings" onSubmit={save} noValidate>
          <TextField
            name="apiKey"
            label="API key (leave empty to keep the current one)"
            input={{ type: 'password', autoComplete: 'off' }}
            {...editing}
          />
          <TextField name="businessId" label="Business id" input={{ inputMode: 'numeric' }} {...editing} />
          <TextField name="locationId" label="Location id" input={{ inputMode: 'numeric' }} {...editing} />
          <div class="field">
            <label class="inline">
              <input
                type="checkbox"
                checked={editing.form.sendEmail}
                onChange={(e) =>
                  setForm({ ...editing.form, sendEmail: (e.target as HTMLInputElement).checked })
                }
              />{' '}
              Perkville emails the customer about each transaction (sendEmail)
            </label>
          </div>
          <MapEditor
            name="eventToPerkMap"
            title="Events that award a perk (once per day: Perkville awards it at most once per customer and calendar day)"
            keyLabel="Event name"
            {...editing}
          />
          <MapEditor
            name="audienceToPerkMap"
            title="Audiences that award a perk"
            keyLabel="Audience key"
            {...editing}
          />
          {problems.form && (
            <p class="field-error" role="alert">
              {problems.form.join('; ')}
            </p>
          )}
          <div class="buttons">
            <button type="submit">Save settings</button>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                if (current.data) setForm(formOf(current.data.settings))
                setProblems({})
              }}
            >
              Undo edits
            </button>
          </div>
          <Message kind="notice" text={notice} />
          {award && (
            <div class="offer">
              <p role="status">
                {counted(award.wouldSend, 'refused event')} would now be awarded under these settings.
              </p>
              <AwardRefused filter={{}} preview={award} label="Award them now…" />
            </div>
          )}
        </form>
      )}

      <h2>Check</h2>
      <button type="button" onClick={runCheck} disabled={checking}>
        {checking ? 'Checking…' : 'Check settings'}
      </button>
      {shownCheck && (
        <ul class="check" aria-live="polite">
          {shownCheck.items.map((item) => (
            <CheckLine key={item.item} item={item} />
          ))}
        </ul>
      )}
      {shownCheck?.contract && <ContractCheckView contract={shownCheck.contract} />}

      <Confirm
        open={failing !== null}
        title="Save settings that fail the check?"
        confirmLabel="Save anyway"
        onConfirm={() => failing && void store(failing.body)}
        onCancel={() => setFailing(null)}
      >
        <p>The settings check fails for these settings:</p>
        <ul class="check">
          {failing?.items.map((item) => (
            <li key={item.item} class="bad">
              <strong>✗ {item.item}</strong>: {operatorWords(item.message)}
              {item.action && <span class="action"> What to do: {operatorWords(item.action)}</span>}
            </li>
          ))}
        </ul>
        <p>Events that need what failed will not be delivered until it is fixed.</p>
      </Confirm>

      <EventTester />

      <AlertDestinations />

      <h2>History</h2>
      {history.error && <p class="error">{history.error}</p>}
      <ol class="history">
        {history.data?.versions.map((v) => (
          <li key={v.version} data-version={v.version}>
            <strong>Version {v.version}</strong> ({v.source}, <Time iso={v.at} />
            ): {v.changes.length > 0 ? v.changes.join('; ') : 'first version'}
          </li>
        ))}
      </ol>
    </section>
  )
}

const value = (e: Event) => (e.target as HTMLInputElement).value

type TextName = 'apiKey' | 'businessId' | 'locationId'

/** A text setting: its label, its input and its problems, which the input names for screen readers. */
function TextField(props: {
  name: TextName
  label: string
  /** What sets this input apart (type, inputMode). */
  input: InputHTMLAttributes<HTMLInputElement>
  form: Form
  setForm(f: Form): void
  problems: Problems
}) {
  const { name } = props
  const problems = props.problems[name]
  return (
    <div class="field">
      <label for={name}>{props.label}</label>
      <input
        id={name}
        {...props.input}
        value={props.form[name]}
        onInput={(e) => props.setForm({ ...props.form, [name]: value(e) })}
        aria-invalid={!!problems}
        aria-describedby={problems ? `${name}-error` : undefined}
      />
      {problems && (
        <p id={`${name}-error`} class="field-error">
          {problems.join('; ')}
        </p>
      )}
    </div>
  )
}

function MapEditor(props: {
  name: MapName
  title: string
  keyLabel: string
  form: Form
  setForm(f: Form): void
  problems: Problems
}) {
  const rows = props.form[props.name]
  const update = (i: number, row: Row | null) => {
    const next = [...rows]
    if (row === null) next.splice(i, 1)
    else next[i] = row
    props.setForm({ ...props.form, [props.name]: next })
  }
  // A once-per-day problem names an event of the event map, so it is shown there.
  const listed = props.name === 'eventToPerkMap' ? (props.problems.oncePerDayEvents ?? []) : []
  const mapProblems = [...(props.problems[props.name] ?? []), ...listed]
  return (
    <fieldset class="map" data-map={props.name}>
      <legend>{props.title}</legend>
      {rows.map((row, i) => {
        const rowProblems = props.problems[`${props.name}:${row.name}`]
        const id = `${props.name}-${i}`
        return (
          <div class="map-row" key={i} data-row={row.name}>
            <label for={`${id}-name`} class="sr-only">
              {props.keyLabel} {i + 1}
            </label>
            <input
              id={`${id}-name`}
              value={row.name}
              onInput={(e) => update(i, { ...row, name: value(e) })}
              placeholder={props.keyLabel}
            />
            <label for={`${id}-perk`} class="sr-only">
              Perk id for {row.name || `row ${i + 1}`}
            </label>
            <input
              id={`${id}-perk`}
              class="perk"
              inputMode="numeric"
              value={row.perk}
              onInput={(e) => update(i, { ...row, perk: value(e) })}
              placeholder="perk id"
              aria-invalid={!!rowProblems}
              aria-describedby={rowProblems ? `${id}-error` : undefined}
            />
            {props.name === 'eventToPerkMap' && (
              <label class="inline daily">
                <input
                  type="checkbox"
                  checked={row.daily ?? false}
                  onChange={(e) => update(i, { ...row, daily: (e.target as HTMLInputElement).checked })}
                  aria-label={`Once per day for ${row.name || `row ${i + 1}`}`}
                />{' '}
                once per day
              </label>
            )}
            <button
              type="button"
              class="secondary"
              onClick={() => update(i, null)}
              aria-label={`Remove ${row.name || `row ${i + 1}`}`}
            >
              Remove
            </button>
            {rowProblems && (
              <p id={`${id}-error`} class="field-error">
                {rowProblems.join('; ')}
              </p>
            )}
          </div>
        )
      })}
      {mapProblems.length > 0 && <p class="field-error">{mapProblems.join('; ')}</p>}
      <button
        type="button"
        class="secondary"
        onClick={() => props.setForm({ ...props.form, [props.name]: [...rows, { name: '', perk: '' }] })}
      >
        Add a row
      </button>
    </fieldset>
  )
}

const SAMPLE = {
  type: 'track',
  event: 'Order Completed',
  userId: 'user-1',
  messageId: 'console-test-1',
  properties: { email: 'jane@example.com', order_id: 'ORD-1', revenue: 42.5 },
}

function EventTester() {
  const [text, setText] = useState(json(SAMPLE))
  const [result, setResult] = useState<unknown>(null)
  const [error, setError] = useState<string | null>(null)
  const run = async (send: boolean) => {
    setError(null)
    let event: unknown
    try {
      event = JSON.parse(text)
    } catch (err) {
      setError(`The event is not valid JSON: ${(err as Error).message}`)
      return
    }
    try {
      setResult(await api('/admin/test-event', { method: 'POST', body: { event, send } }))
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const answer = result as {
    decision: { outcome: string; code: string | null; message: string | null; transaction: unknown }
    sent?: { status: string; id: string | null }
  } | null
  return (
    <div class="tester">
      <h2>Event tester</h2>
      <label for="tester-event">An event (JSON), decided with the settings in force</label>
      <textarea
        id="tester-event"
        rows={10}
        value={text}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        spellcheck={false}
      />
      <div class="buttons">
        <button type="button" onClick={() => run(false)}>
          Decide
        </button>
        <button type="button" class="secondary" onClick={() => run(true)}>
          Decide and send it
        </button>
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <div class="decision" role="status" data-outcome={answer.decision.outcome}>
          <p>
            Decision: <strong>{answer.decision.outcome}</strong>
            {answer.decision.code && <code> {answer.decision.code}</code>}
            {answer.decision.message && ` — ${answer.decision.message}`}
          </p>
          {answer.decision.transaction !== null && answer.decision.transaction !== undefined && (
            <pre class="json">{json(answer.decision.transaction)}</pre>
          )}
          {answer.sent && (
            <p>
              Sent: {answer.sent.status}
              {answer.sent.id && (
                <>
                  {' '}
                  (<a href={href(`events/${encodeURIComponent(answer.sent.id)}`)}>event {answer.sent.id}</a>)
                </>
              )}
            </p>
          )}
        </div>
      )}
    </div>
  )
}

/** The last `check --write-probe`: what Perkville answered at each step and whether the assumptions hold. */
function ContractCheckView({ contract }: { contract: ContractCheck }) {
  return (
    <div class="contract-check" data-contract={contract.ok ? 'ok' : 'bad'}>
      <p class="hint">
        Live contract check on test business {contract.businessId}, <Time iso={contract.at} />{' '}
        (trans_source_id <code>{contract.transSourceId}</code>):{' '}
        {contract.ok ? 'the assumptions hold.' : 'the assumptions do NOT hold.'}
      </p>
      <ul class="check">
        {contract.steps.map((s) => (
          <li key={s.step}>
            {s.step}: {s.answer}
          </li>
        ))}
        {contract.assumptions.map((item) => (
          <CheckLine key={item.item} item={item} />
        ))}
      </ul>
    </div>
  )
}

/** One item of a check: passed or not, what Perkville said, and what to do. */
function CheckLine({ item }: { item: CheckItem }) {
  return (
    <li class={item.ok ? 'ok' : 'bad'} data-item={item.item}>
      <strong>
        {item.ok ? '✓' : '✗'} {item.item}
      </strong>
      : {operatorWords(item.message)}
      {item.action && <span class="action"> What to do: {operatorWords(item.action)}</span>}
    </li>
  )
}
