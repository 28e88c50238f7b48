import { useState } from 'preact/hooks'
import type { RedecideRefusedResult } from '../../pipeline/service-api.js'
import { api } from '../api'
import { Confirm } from '../confirm'
import { count, counted } from '../format'
import { Message } from './message'

type Preview = Extract<RedecideRefusedResult, { wouldSend: number }>
type Done = Extract<RedecideRefusedResult, { queued: number }>

/** The refused events a search picks: its text, code and time filters (empty: any). */
export interface RefusedFilter {
  q?: string | undefined
  code?: string | undefined
  from?: string | number | undefined
  to?: string | number | undefined
}

const bodyOf = (f: RefusedFilter) =>
  Object.fromEntries(
    Object.entries(f)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => [k, k === 'from' || k === 'to' ? Number(v) : v]),
  )

const codes = (byCode: Record<string, number>) =>
  Object.entries(byCode)
    .map(([code, n]) => `${code} ${count(n)}`)
    .join(', ')

/**
 * "Award these now…": refused events decided again under the settings in force. The dialog says
 * first how many match and how many would now be awarded; confirming queues those (each event at
 * most once, however often this is done). `preview` starts with a preview already in hand.
 */
export function AwardRefused({
  filter,
  label = 'Award these now…',
  preview: given = null,
  onDone,
}: {
  filter: RefusedFilter
  label?: string
  preview?: Preview | null
  onDone?: () => void
}) {
  const [preview, setPreview] = useState<Preview | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const ask = async () => {
    setNotice(null)
    setError(null)
    try {
      setPreview(
        given ??
          (await api<Preview>('/admin/refused/redecide', {
            method: 'POST',
            body: { ...bodyOf(filter), dryRun: true },
          })),
      )
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const award = async () => {
    setPreview(null)
    try {
      const done = await api<Done>('/admin/refused/redecide', { method: 'POST', body: bodyOf(filter) })
      setNotice(
        `${counted(done.queued, 'refused event')} queued to be awarded${
          done.alreadyQueued > 0 ? ` (${count(done.alreadyQueued)} were already queued)` : ''
        }.`,
      )
      onDone?.()
    } catch (err) {
      setError((err as Error).message)
    }
  }
  return (
    <div class="award-refused">
      <button type="button" class="secondary" onClick={() => void ask()}>
        {label}
      </button>
      <Message kind="notice" text={notice} />
      <Message kind="error" text={error} />
      <Confirm
        open={preview !== null}
        title="Award refused events?"
        confirmLabel={`Award ${count(preview?.wouldSend ?? 0)}`}
        onConfirm={() => void award()}
        onCancel={() => setPreview(null)}
      >
        {preview && (
          <>
            <p>
              {counted(preview.matched, 'refused event')} {preview.matched === 1 ? 'matches' : 'match'}.
              Decided again with the settings in force,{' '}
              <strong>{count(preview.wouldSend)} would be awarded</strong>
              {preview.wouldSend > 0 ? ' and sent to Perkville' : ''}.
            </p>
            {Object.keys(preview.stillRefused).length > 0 && (
              <p>Still refused: {codes(preview.stillRefused)}.</p>
            )}
            <p class="hint">An event already queued this way is never queued twice.</p>
          </>
        )}
      </Confirm>
    </div>
  )
}
