/**
 * The runtime values of `@segment/actions-core`, loaded through its CommonJS build.
 *
 * Why not `import { ... } from '@segment/actions-core'`: the package's `exports` send an ESM
 * `import` to `dist/esm`, which is extensionless ESM without `"type": "module"` (its index imports
 * `./destination-kit`, a directory), so Node refuses it with ERR_UNSUPPORTED_DIR_IMPORT. The
 * `require` condition points at a working CommonJS build, so this project loads that one, once,
 * here. Types still come from the package itself (`import type` is erased at run time).
 * In Segment's own repository (CommonJS, ts-node/jest) a plain import works: proposing the
 * destination there means replacing imports of this module with '@segment/actions-core'.
 */
import { createRequire } from 'node:module'

type ActionsCore = typeof import('@segment/actions-core')

const require = createRequire(import.meta.url)
const core = require('@segment/actions-core') as ActionsCore

export const {
  createTestEvent,
  createTestIntegration,
  defaultValues,
  fieldsToJsonSchema,
  IntegrationError,
  InvalidAuthenticationError,
  PayloadValidationError,
  RetryableError,
  getErrorCodeFromHttpStatus,
  transform,
} = core
