import { z } from 'zod'
import { HttpError } from '../http-error.js'

/** The query of a list newest first: how many rows, at most `max` (each route has its own default). */
export const limitQuery = (max: number) =>
  z.strictObject({ limit: z.coerce.number().int().min(1).max(max).optional() })

/**
 * A part of the server it may run without (alerts, kept settings, the settings check): the routes that
 * need it read it through this, and answer 404 saying what this server lacks when it is absent.
 */
export const needed =
  <T>(part: () => T | undefined, missing: string) =>
  (): T => {
    const found = part()
    if (!found) throw new HttpError(404, missing, 'NOT_FOUND')
    return found
  }
