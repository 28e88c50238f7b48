/** Something that changes the service's health was done on this page (a settings check, a save). */
const listeners = new Set<() => void>()

export function healthChanged(): void {
  for (const listener of listeners) listener()
}

/** Calls `listener` on each change; returns the unsubscribe. */
export function onHealthChanged(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
