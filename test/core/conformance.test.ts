import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseSettingsJson, planLine } from '../../src/core/index.js'
import { CONFORMANCE_DIR } from '../fixtures/conformance.js'

const read = (name: string) => readFileSync(`${CONFORMANCE_DIR}/${name}`, 'utf8')

/** expected.jsonl leaves out messages (free text); everything else must match exactly. */
function withoutMessages(line: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(line)
  for (const key of ['reason', 'error'] as const) {
    const part = copy[key] as { message?: unknown } | undefined
    if (part) {
      expect(typeof part.message, `${key}.message is a non-empty string`).toBe('string')
      expect((part.message as string).length).toBeGreaterThan(0)
      delete part.message
    }
  }
  return copy
}

describe('conformance sample', () => {
  const settings = parseSettingsJson(read('settings.json'))
  const inputs = read('events.jsonl')
    .split('\n')
    .filter((l) => l.trim() !== '')
  const expected = read('expected.jsonl')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))

  it('has one expected line per input line', () => {
    expect(inputs.length).toBe(expected.length)
    expect(inputs.length).toBeGreaterThan(0)
  })

  inputs.forEach((text, i) => {
    it(`line ${i + 1}: ${expected[i].status} ${expected[i].error?.code ?? expected[i].reason?.code ?? ''}`, () => {
      const got = JSON.parse(JSON.stringify(planLine(settings, text, i + 1)))
      expect(withoutMessages(got)).toEqual(expected[i])
    })
  })
})
