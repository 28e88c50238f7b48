/** The console's number words: one is said in the singular, other counts in the plural, grouped. */
import { expect, test } from 'vitest'
import { counted } from '../../src/web/format.js'

test('a count with its noun agrees with the count', () => {
  expect(counted(1, 'refused event')).toBe('1 refused event')
  expect(counted(0, 'refused event')).toBe('0 refused events')
  expect(counted(2, 'matching event')).toBe('2 matching events')
  expect(counted(12_345, 'failed event')).toBe('12,345 failed events')
  expect(counted(3, 'person', 'people')).toBe('3 people')
})
