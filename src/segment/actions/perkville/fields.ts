import type { InputField } from '@segment/actions-core'

/**
 * Fields both actions share. The event travels whole and untouched: actions-core converts mapped
 * values to their field's type before `perform` runs (`order_id: true` would become "true", `[5]`
 * would become "5"), and the rules must see what was sent to decide as every other form does.
 */
export const sentEventField: InputField = {
  label: 'Event',
  description:
    'The Segment event as it was sent. The destination rules read the event name, email, order id, amount and audience membership from it, exactly as the rules define.',
  type: 'object',
  required: true,
  unsafe_hidden: true,
  default: { '@path': '$.' },
}

export const oncePerDayField: InputField = {
  label: 'Once per Day',
  description:
    'On: Perkville awards this subscription’s events at most once per customer and calendar day (limit_to_once_per_calendar_day); a second one that day is skipped, not an error. Off: never limited. Unset: the Once-per-Day Events setting decides.',
  type: 'boolean',
}

export const sendEmailField: InputField = {
  label: 'Send Email',
  description: 'Overrides the Send Email setting for this action.',
  type: 'boolean',
}
