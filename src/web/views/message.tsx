/**
 * A view's one-line outcome: an error (announced at once, role alert) or a notice (role status).
 * Renders nothing while there is none.
 */
export function Message({ kind, text }: { kind: 'error' | 'notice'; text: string | null | undefined }) {
  if (!text) return null
  return (
    <p class={kind} role={kind === 'error' ? 'alert' : 'status'}>
      {text}
    </p>
  )
}
