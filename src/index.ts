/**
 * The package's public API (`main`/`types` in package.json): the rules core, the Perkville client and
 * settings check, the sandbox, and the delivery service. A re-export file only; each part lives in its
 * own folder.
 */
export * from './core/index.js'
export { createPerkvilleClient, type PerkvilleHttpClient } from './perkville/client.js'
export {
  PerkvilleApiError,
  type PerkvilleClient,
  type PerkvilleClientOptions,
} from './perkville/client-api.js'
export { type CheckItem, type CheckOptions, checkSettings } from './perkville/settings-check.js'
export { createDeliveryService, type DeliveryServiceOptions } from './pipeline/index.js'
export { type RunningSandbox, type SandboxOptions, startSandbox } from './sandbox/index.js'
export { type RunningService, type StartOptions, startService } from './server/service-runner.js'
