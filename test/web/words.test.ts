/** Operators' words: the Settings view's names, and the near match of an event name the map lacks. */
import { expect, test } from 'vitest'
import { nearMatch, operatorWords } from '../../src/web/words.js'

const MAPPED = ['Checked In', 'Order Completed', 'Order Refunded', 'Referral Sent']

test('a different case, spacing or a small typo finds the mapped name; a different name does not', () => {
  expect(nearMatch('checked in', MAPPED)).toBe('Checked In')
  expect(nearMatch('Checked_In', MAPPED)).toBe('Checked In')
  expect(nearMatch('CheckedIn', MAPPED)).toBe('Checked In')
  expect(nearMatch('Chekced In', MAPPED)).toBe('Checked In')
  expect(nearMatch('Order Complete', MAPPED)).toBe('Order Completed')
  expect(nearMatch('Class Booked', MAPPED)).toBeNull()
  expect(nearMatch('Checked In', MAPPED)).toBeNull()
  expect(nearMatch('Ab', ['Ac'])).toBeNull()
})

test("the settings file's field names become the Settings view's", () => {
  expect(operatorWords('event "Class Booked" is not in eventToPerkMap')).toBe(
    'event "Class Booked" is not in "Events that award a perk"',
  )
  expect(operatorWords('fix locationId')).toBe('fix "Location id"')
})
