/**
 * Where the last live contract check (`check --write-probe`) is kept: one small JSON file in the data
 * dir, written by the CLI and read by the service for the console's Settings check. Bounded both ways.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContractProbeResult } from '../perkville/contract-probe.js'
import { asObject } from '../perkville/wire.js'

export const CONTRACT_CHECK_FILE = 'contract-check.json'
/** A result is a few hundred bytes; anything larger is not one of ours. */
const MAX_BYTES = 16 * 1024

export function writeContractCheck(dataDir: string, result: ContractProbeResult): string {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, CONTRACT_CHECK_FILE)
  const text = JSON.stringify(result, null, 2)
  if (Buffer.byteLength(text) > MAX_BYTES) throw new Error('the contract check result is too large to keep')
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 })
  renameSync(`${file}.tmp`, file)
  return file
}

/** The kept result, or null when there is none or it is not readable as one. */
export function readContractCheck(dataDir: string): ContractProbeResult | null {
  const file = join(dataDir, CONTRACT_CHECK_FILE)
  try {
    if (statSync(file).size > MAX_BYTES) return null
    const value = asObject(JSON.parse(readFileSync(file, 'utf8')))
    if (
      !value ||
      typeof value.ok !== 'boolean' ||
      !Array.isArray(value.steps) ||
      !Array.isArray(value.assumptions)
    )
      return null
    return value as unknown as ContractProbeResult
  } catch {
    return null
  }
}
