import { readFileSync } from 'node:fs'

const DIR = '/work/shared/conformance'

export interface ConformanceCase {
  line: number
  /** The parsed event, or null for a line that is not JSON (Segment never delivers those). */
  event: Record<string, unknown> | null
  expected: {
    status: 'send' | 'skip' | 'reject'
    transaction?: {
      perkId: string
      email: string
      quantity: number
      sendEmail: boolean
      orderId: string | null
    }
    error?: { code: string }
    reason?: { code: string }
  }
}

export const conformanceSettings = JSON.parse(readFileSync(`${DIR}/settings.json`, 'utf8')) as {
  apiKey: string
  businessId: string
  locationId: string | number
  sendEmail: boolean
  eventToPerkMap: Record<string, string | number>
}

/** The sample events paired with their expected outcomes (line numbers count non-blank lines). */
export function conformanceCases(): ConformanceCase[] {
  const events = nonBlankLines(`${DIR}/events.jsonl`)
  const expected = nonBlankLines(`${DIR}/expected.jsonl`).map((l) => JSON.parse(l))
  if (events.length !== expected.length)
    throw new Error('conformance sample: events and expected differ in length')
  return events.map((text, i) => {
    let event: Record<string, unknown> | null = null
    try {
      event = JSON.parse(text)
    } catch {
      event = null
    }
    return { line: i + 1, event, expected: expected[i] }
  })
}

function nonBlankLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
}
