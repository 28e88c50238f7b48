import type { DestinationDefinition } from '@segment/actions-core'
import { describe, expect, it } from 'vitest'
import { generatedTypeFiles, staleTypeFiles } from '../../scripts/generated-types.js'
import destination from '../../src/segment/actions/perkville/index.js'

describe('generated-types.ts files', () => {
  it('are what scripts/generated-types.ts makes from the definitions now (run `npm run generate:types`)', async () => {
    expect(await staleTypeFiles()).toEqual([])
  })

  it('follow the definitions: a new field shows up in the generated Payload', async () => {
    const changed = {
      ...destination,
      actions: {
        ...destination.actions,
        awardPoints: {
          ...destination.actions.awardPoints!,
          fields: {
            ...destination.actions.awardPoints!.fields,
            note: { label: 'Note', description: 'A note for the test.', type: 'string', required: true },
          },
        },
      },
    } as DestinationDefinition<never>
    const files = [...(await generatedTypeFiles(changed)).entries()]
    const awardPoints = files.find(([path]) => path.endsWith('awardPoints/generated-types.ts'))![1]
    expect(awardPoints).toContain('A note for the test.')
    expect(awardPoints).toMatch(/^ {2}note: string$/m)
    expect(files.map(([path]) => path.split('/perkville/')[1]).sort()).toEqual([
      'awardAudiencePerk/generated-types.ts',
      'awardPoints/generated-types.ts',
      'generated-types.ts',
    ])
  })
})
