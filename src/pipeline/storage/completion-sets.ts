import type { Completion, CompletionResult } from './storage.js'

/**
 * What each delivery outcome writes into its event's row, once for both stores: SQLite runs one
 * UPDATE per outcome, PostgreSQL one UPDATE of CASE expressions for a whole batch; both are derived
 * from OUTCOME_SETS. Whether the completing lease still holds is each store's check (a lost or
 * repeated lease writes nothing).
 */

type Outcome = CompletionResult['status']
type Value = string | number | boolean | null

/** What a completion binds, named `:name` in OUTCOME_SETS, with its PostgreSQL type. */
const INPUTS = {
  made: { type: 'int', value: (c: Completion) => c.attemptsMade },
  at: { type: 'bigint', value: (c: Completion) => ('at' in c.result ? c.result.at : null) },
  next: {
    type: 'bigint',
    value: (c: Completion) => ('nextAttemptAt' in c.result ? c.result.nextAttemptAt : null),
  },
  unk: {
    type: 'bool',
    value: (c: Completion) => ('unknown' in c.result ? c.result.unknown === true : false),
  },
  txid: {
    type: 'text',
    value: (c: Completion) => (c.result.status === 'delivered' ? c.result.transactionId : null),
  },
  reason: { type: 'text', value: (c: Completion) => ('reason' in c.result ? c.result.reason : null) },
  err: { type: 'text', value: (c: Completion) => ('error' in c.result ? c.result.error : null) },
  ff: {
    type: 'bigint',
    value: (c: Completion) => (c.result.status === 'retrying' ? c.result.firstFailedAt : null),
  },
} satisfies Record<string, { type: string; value: (c: Completion) => Value }>

type Input = keyof typeof INPUTS
const INPUT_NAMES = Object.keys(INPUTS) as Input[]

/**
 * Per outcome, each column it sets, as SQL over the row's current values (bare column names) and
 * the completion's `:inputs`. Every outcome also gives up the lease. A column an outcome does not
 * name keeps its value.
 */
const OUTCOME_SETS: Record<Outcome, Record<string, string>> = {
  delivered: {
    status: `'delivered'`,
    unknown: 'FALSE',
    next_attempt_at: 'NULL',
    attempts: 'attempts + :made',
    finished_at: ':at',
    latency_ms: ':at - received_at',
    transaction_id: ':txid',
    failure_reason: 'NULL',
  },
  failed: {
    status: `'failed'`,
    next_attempt_at: 'NULL',
    attempts: 'attempts + :made',
    finished_at: ':at',
    failure_reason: ':reason',
    last_error: ':err',
  },
  skipped: {
    status: `'skipped'`,
    unknown: 'FALSE',
    next_attempt_at: 'NULL',
    attempts: 'attempts + :made',
    finished_at: ':at',
    failure_reason: ':reason',
    last_error: ':err',
  },
  retrying: {
    status: `'retrying'`,
    next_attempt_at: ':next',
    unknown: ':unk',
    attempts: 'attempts + :made',
    last_error: ':err',
    first_failed_at: ':ff',
  },
  // Parked keeps its order-ledger share: the event is still to be delivered once the settings are fixed.
  parked: {
    status: `'parked'`,
    next_attempt_at: 'NULL',
    unknown: ':unk',
    attempts: 'attempts + :made',
    failure_reason: ':reason',
    last_error: ':err',
  },
  // Put back untouched, no attempt burned: pending again unless it had already been tried.
  released: {
    status: `CASE WHEN attempts > 0 OR first_failed_at IS NOT NULL OR :unk THEN 'retrying' ELSE 'pending' END`,
    next_attempt_at: ':next',
    unknown: ':unk',
  },
}

export const OUTCOMES = Object.keys(OUTCOME_SETS) as Outcome[]

/** A failed or skipped event was never sent: it gives back its order-ledger share. */
export function givesBackShare(result: CompletionResult): boolean {
  return result.status === 'failed' || result.status === 'skipped'
}

const withInputs = (sql: string, input: (name: Input) => string) =>
  sql.replace(/:(\w+)/g, (_, name: Input) => input(name))

/** SQLite: the UPDATE of one outcome, bound with sqliteCompletionValues, the event's seq last. */
export function sqliteCompletionSql(outcome: Outcome): { sql: string; inputs: Input[] } {
  const inputs: Input[] = []
  const sets = Object.entries(OUTCOME_SETS[outcome]).map(
    ([column, sql]) =>
      `${column} = ${withInputs(sql, (name) => {
        inputs.push(name)
        return '?'
      })}`,
  )
  return { sql: `UPDATE events SET lease_id = NULL, ${sets.join(', ')} WHERE seq = ?`, inputs }
}

export function sqliteCompletionValues(inputs: Input[], c: Completion, seq: number): Value[] {
  const flag = (v: Value) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)
  return [...inputs.map((name) => flag(INPUTS[name].value(c))), seq]
}

/**
 * PostgreSQL: every outcome of a batch in one statement, from one array per input (pgCompletionArrays),
 * applied only where the completing lease is still the event's: the lease row is deleted (the
 * leases table, migration 000010) and only the events whose lease went are updated, in the same
 * statement. (A lease of before 000010, on the events row, is never one this version handed out.)
 * The leases are found through their key (`= ANY`): the table churns, so its statistics rarely say
 * how small it is, and a scan of it would read every dead row since the last vacuum. No `*` in it:
 * such statements are not prepared (postgres/prepared.ts).
 */
export const PG_COMPLETE_EVENTS = (() => {
  const columns = [...new Set(OUTCOMES.flatMap((o) => Object.keys(OUTCOME_SETS[o])))]
  const sets = columns.map((column) => {
    const whens = OUTCOMES.filter((o) => column in OUTCOME_SETS[o]).map(
      (o) => `WHEN '${o}' THEN ${withInputs(OUTCOME_SETS[o][column]!, (name) => `u.${name}`)}`,
    )
    return `${column} = CASE u.st ${whens.join(' ')} ELSE e.${column} END`
  })
  const arrays = INPUT_NAMES.map((name, i) => `$${i + 3}::${INPUTS[name].type}[]`)
  const lease = `$${INPUT_NAMES.length + 3}::bigint[]`
  return `WITH u AS (
      SELECT seq, st, ${INPUT_NAMES.join(', ')}, lease
      FROM unnest($1::bigint[], $2::text[], ${arrays.join(', ')}, ${lease}) AS u(seq, st, ${INPUT_NAMES.join(', ')}, lease)
    ), ended AS (
      DELETE FROM leases l USING u
      WHERE l.seq = ANY($1::bigint[]) AND l.seq = u.seq AND l.lease_id = u.lease RETURNING l.seq, l.lease_id
    )
    UPDATE events e SET ${sets.join(',\n  ')}
    FROM u JOIN ended x ON x.seq = u.seq AND x.lease_id = u.lease WHERE e.seq = u.seq`
})()

export function pgCompletionArrays(list: Array<{ seq: number; comp: Completion }>): Value[][] {
  return [
    list.map((d) => d.seq),
    list.map((d) => d.comp.result.status),
    ...INPUT_NAMES.map((name) => list.map((d) => INPUTS[name].value(d.comp))),
    list.map((d) => d.comp.leaseId),
  ]
}
