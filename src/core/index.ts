export { parseAmount } from './amount.js'
export { decide } from './decide.js'
export { looksLikeEmail } from './email.js'
export { canonicalJson, externalIdFor } from './external-id.js'
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
