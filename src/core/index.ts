export { parseAmount } from './amount.js'
export { AUDIENCE_TRACK_NAMES } from './audience.js'
export { decide } from './decide.js'
export { looksLikeEmail } from './email.js'
export { audienceExternalId, canonicalJson, externalIdFor, transactionExternalId } from './external-id.js'
export { type PlanLine, planLine, toPlanLine } from './plan.js'
export {
  maskSecret,
  parseSettings,
  parseSettingsJson,
  redactSettings,
  type Settings,
  SettingsError,
  settingsSchema,
} from './settings.js'
export * from './types.js'
