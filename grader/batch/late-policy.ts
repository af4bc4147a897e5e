import { GraderError } from '../errors/grader-error.ts'

/**
 * `--due` and `--late`: when work is due, and what work committed after it is worth. `--late "10%/day,max 3d"`
 * takes 10 % off per started day late, and accepts no work committed more than 3 days late.
 */
export interface LatePolicy {
  percentPerUnit: number
  unit: 'day' | 'hour'
  /** Beyond this many units late, work is not accepted; undefined for no limit (until 100 %). */
  maxUnits?: number
  text: string
}

const unitMs = { day: 86_400_000, hour: 3_600_000 }

/** An ISO 8601 time with its time zone (Z or ±hh:mm): a deadline without one means different times on different machines. */
export function parseDue(value: string): Date {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())
  const time = Date.parse(value.trim())
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value.trim()) || !hasZone || Number.isNaN(time)) {
    throw new GraderError('USAGE', `--due ${value} is not a deadline: expected an ISO 8601 time with its time zone`, {
      hint: 'e.g. --due 2026-03-01T23:59:00+01:00 or --due 2026-03-01T22:59:00Z',
    })
  }
  return new Date(time)
}

export function parseLatePolicy(value: string): LatePolicy {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*\/\s*(day|hour)\s*(?:,\s*max\s+(\d+)\s*(d|h|days?|hours?)\s*)?$/i.exec(value)
  const percent = Number(match?.[1])
  if (!match || percent <= 0 || percent > 100) {
    throw new GraderError(
      'USAGE',
      `--late ${value} is not a late policy: expected <percent>%/day or <percent>%/hour, optionally followed by ",max <n>d" or ",max <n>h"`,
      { hint: 'e.g. --late "10%/day,max 3d": 10 % off per started day, nothing accepted after 3 days' },
    )
  }
  const unit = match[2].toLowerCase() as LatePolicy['unit']
  const maxUnits =
    match[3] === undefined
      ? undefined
      : (Number(match[3]) * (match[4].toLowerCase().startsWith('d') ? unitMs.day : unitMs.hour)) / unitMs[unit]
  return { percentPerUnit: percent, unit, ...(maxUnits !== undefined ? { maxUnits } : {}), text: value.trim() }
}

/** What a commit made `lateMs` after the deadline is worth: the share of its points kept, or not accepted. */
export function latePenalty(
  lateMs: number,
  policy: LatePolicy,
): { units: number; percent: number; isAccepted: boolean } {
  const units = Math.ceil(lateMs / unitMs[policy.unit])
  const isAccepted = policy.maxUnits === undefined || units <= policy.maxUnits
  return { units, percent: Math.min(100, units * policy.percentPerUnit), isAccepted }
}
