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

export const sendEmailField: InputField = {
  label: 'Send Email',
  description: 'Overrides the Send Email setting for this action.',
  type: 'boolean',
}
