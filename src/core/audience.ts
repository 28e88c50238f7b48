import { chooseEmail } from './email.js'
import { type Json, objectOrEmpty, ownValue, show } from './json.js'
import { reject, send, skip, transactionOf } from './outcomes.js'
import type { Settings } from './settings.js'
import type { Outcome } from './types.js'

/** The track names Engage uses for audience membership when it sends tracks instead of identifies. */
export const AUDIENCE_TRACK_NAMES: readonly string[] = ['Audience Entered', 'Audience Exited']

/** Engage computation classes that are memberships; any other class is a computed trait. */
const MEMBERSHIP_CLASSES: readonly unknown[] = ['audience', 'journey_step']

/**
 * Step 2's fork: every identify, and a track that Engage sent for an audience (its name is exactly
 * one of AUDIENCE_TRACK_NAMES and its personas context is a membership), follows the audience rules.
 */
export function isAudienceEvent(event: Json, type: 'track' | 'identify'): boolean {
  if (type === 'identify') return true
  const name = ownValue(event, 'event')
  return (
    typeof name === 'string' &&
    AUDIENCE_TRACK_NAMES.includes(name) &&
    MEMBERSHIP_CLASSES.includes(ownValue(personasOf(event), 'computation_class'))
  )
}

/** Steps A1–A4 of the rules, in that order. */
export function decideAudience(settings: Settings, event: Json, type: 'track' | 'identify'): Outcome {
  const valuesPath = type === 'identify' ? 'traits' : 'properties'
  const values = objectOrEmpty(ownValue(event, valuesPath))
  const map = settings.audienceToPerkMap

  // A1: which audience.
  const personas = personasOf(event)
  const computationClass = ownValue(personas, 'computation_class')
  const computationKey = ownValue(personas, 'computation_key')
  let audienceKey: string
  if (
    MEMBERSHIP_CLASSES.includes(computationClass) &&
    typeof computationKey === 'string' &&
    computationKey !== ''
  ) {
    if (!Object.hasOwn(map, computationKey)) {
      return reject('AUDIENCE_NOT_MAPPED', `audience ${show(computationKey)} is not in audienceToPerkMap`)
    }
    audienceKey = computationKey
  } else if (
    typeof computationClass === 'string' &&
    computationClass !== '' &&
    !MEMBERSHIP_CLASSES.includes(computationClass)
  ) {
    return skip(
      'NOT_AN_AUDIENCE',
      `context.personas.computation_class is ${show(computationClass)}: a computed trait, not an audience`,
    )
  } else {
    // No Engage context: the membership values must name exactly one mapped audience. The map's
    // keys are walked (not the event's), so the event's key order cannot change the outcome.
    const named = Object.keys(map).filter((key) => Object.hasOwn(values, key))
    if (named.length === 0) {
      return skip('NOT_AN_AUDIENCE', `no key of ${valuesPath} is in audienceToPerkMap`)
    }
    if (named.length > 1) {
      const keys = named.sort().map((key) => show(key))
      return reject(
        'AMBIGUOUS_AUDIENCE',
        `${valuesPath} names ${named.length} audiences of audienceToPerkMap (${keys.join(', ')}) and no context.personas says which changed`,
      )
    }
    audienceKey = named[0]!
  }

  // A2: membership.
  const member = ownValue(values, audienceKey)
  const memberPath = `${valuesPath}[${JSON.stringify(audienceKey)}]`
  if (typeof member !== 'boolean') {
    return reject('INVALID_AUDIENCE_VALUE', `${memberPath} is ${show(member)}, not true or false`)
  }
  if (!member) {
    return skip('AUDIENCE_EXITED', `${memberPath} is false: leaving an audience removes nothing`)
  }

  // A3: email.
  const email = chooseEmail([
    [ownValue(event, 'email'), 'email'],
    [ownValue(values, 'email'), `${valuesPath}.email`],
    [
      ownValue(objectOrEmpty(ownValue(objectOrEmpty(ownValue(event, 'context')), 'traits')), 'email'),
      'context.traits.email',
    ],
  ])
  if (typeof email !== 'string') return email

  // A4: send.
  const transaction = transactionOf(settings, event, map[audienceKey]!, email, 1, 'audience', null)
  transaction.audienceKey = audienceKey
  return send(transaction)
}

function personasOf(event: Json): Json {
  return objectOrEmpty(ownValue(objectOrEmpty(ownValue(event, 'context')), 'personas'))
}
