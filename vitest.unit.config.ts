import { defineConfig } from 'vitest/config'
import whole from './vitest.config.js'

/**
 * The fast inner loop (`npm run test:unit`): the tests that need no build (dist/), start no child
 * process of the CLI and no PostgreSQL. They still run real SQLite, HTTP servers in-process and the
 * sandbox. `npm test` runs these and the rest.
 */
export default defineConfig({
  test: {
    ...whole.test,
    include: [
      'src/**/*.test.ts',
      'test/core/**/*.test.ts',
      'test/web/**/*.test.ts',
      'test/pipeline/**/*.test.ts',
      'test/server/**/*.test.ts',
      'test/alerts/{alert-options,conditions,destinations,monitor}.test.ts',
      'test/perkville/**/*.test.ts',
      'test/sandbox/{api,persistence,plugins,seed-faults-points,token-endpoint}.test.ts',
      'test/import-cycles.test.ts',
    ],
    exclude: [
      '**/node_modules/**',
      // Each also runs its scenario on PostgreSQL.
      'test/pipeline/{customer-points,daily-limit,large-answers,redecide-refused}.test.ts',
      // Serves the built console from dist/.
      'test/server/browser-routes.test.ts',
      // Run the CLI as a child process.
      'test/perkville/{check-command,write-probe}.test.ts',
    ],
  },
})
