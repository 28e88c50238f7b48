import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

/** A modal question (native <dialog>: focus trapped, Escape cancels) with one confirming button. */
export function Confirm(props: {
  open: boolean
  title: string
  children: ComponentChildren
  confirmLabel: string
  onConfirm(): void
  onCancel(): void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (props.open && !dialog.open) dialog.showModal()
    if (!props.open && dialog.open) dialog.close()
  }, [props.open])
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={props.onCancel} class="confirm">
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="buttons">
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  )
}

/**
 * An action asked first: `question` goes to a <Confirm>, `ask` opens it. Confirmed, `run` resolves to
 * the notice to show (then `after`, a reload say) or fails with the error to show.
 */
export function useConfirmed(
  question: { title: string; confirmLabel: string },
  run: () => Promise<string>,
  after: () => void,
) {
  const [asking, setAsking] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const onConfirm = async () => {
    setAsking(false)
    try {
      setNotice(await run())
      after()
    } catch (err) {
      setError((err as Error).message)
    }
  }
  return {
    ask: () => setAsking(true),
    notice,
    error,
    question: { ...question, open: asking, onConfirm, onCancel: () => setAsking(false) },
  }
}
