import pino from 'pino'
import { Registry } from 'prom-client'
import { createPerkvilleClient } from '../../src/perkville/client.js'
import type { DeliveryService } from '../../src/pipeline/service-api.js'
import type { RunningSandbox } from '../../src/sandbox/index.js'
import { openTestService, settingsFor } from '../pipeline/harness.js'
import { TEST_DATABASE_URL } from './pg-harness.js'

type TestServiceOptions = Parameters<typeof openTestService>[0]

/**
 * One delivery service instance on `schema` of the test database, delivering to `sandbox` with its
 * own client; what stops it and closes the client is pushed onto `cleanups`. Not started.
 */
export async function openPostgresInstance(
  schema: string,
  sandbox: RunningSandbox,
  cleanups: Array<() => Promise<void>>,
  tuning: Partial<TestServiceOptions> = {},
): Promise<DeliveryService> {
  const client = createPerkvilleClient({ baseUrl: sandbox.url, token: sandbox.token, timeoutMs: 5_000 })
  const service = await openTestService({
    dataDir: '/nonexistent-not-used-with-postgres',
    databaseUrl: TEST_DATABASE_URL,
    databaseSchema: schema,
    settings: settingsFor(sandbox.token),
    client,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    ...tuning,
  })
  cleanups.push(async () => {
    await service.stop()
    await client.close()
  })
  return service
}
