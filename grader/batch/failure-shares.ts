import type { ExerciseResult } from '../report/result.ts'
import type { BatchManifest, StudentRecord } from './batch-manifest.ts'
import { cellState } from './cell-state.ts'

export interface CheckFailureShare {
  exerciseId: string
  checkId: string
  title: string
  /** Students who attempted the exercise: submitted it, changed the starter, and their program ran. */
  attempted: number
  failed: number
  share: number
  /** The message most of the failing students got (one student's words), and how many got it. */
  commonMessage?: string
  commonCount: number
}

/**
 * Per check, the share of the students who attempted the exercise and failed that check (failed or errored, not
 * skipped after an earlier failure): what the students who tried did not get. Not submitted, the untouched
 * starter, and a program that does not run are left out: they say nothing about a misconception, and counted
 * they put "never started" at the top. Most-failed first, then in course order.
 */
export function failureShares(manifest: BatchManifest, students: readonly StudentRecord[]): CheckFailureShare[] {
  const shares: (CheckFailureShare & { order: number })[] = []
  for (const [exerciseIndex, exercise] of manifest.exercises.entries()) {
    const attempted = students.flatMap(
      (record) =>
        record.report?.exercises.filter((result) => result.id === exercise.id && cellState(result) === 'tried') ?? [],
    )
    if (attempted.length === 0) continue
    const checks = new Map<string, { title: string; failed: ExerciseResult['checks']; order: number }>()
    for (const result of attempted) {
      for (const [order, check] of result.checks.entries()) {
        const entry = checks.get(check.id) ?? { title: check.title, failed: [], order }
        if (check.status === 'failed' || check.status === 'errored') entry.failed.push(check)
        checks.set(check.id, entry)
      }
    }
    for (const [checkId, entry] of checks) {
      if (entry.failed.length === 0) continue
      const common = mostCommonMessage(entry.failed.map((check) => check.message ?? ''))
      shares.push({
        exerciseId: exercise.id,
        checkId,
        title: entry.title,
        attempted: attempted.length,
        failed: entry.failed.length,
        share: entry.failed.length / attempted.length,
        ...(common.message ? { commonMessage: common.message } : {}),
        commonCount: common.count,
        order: exerciseIndex * 1000 + entry.order,
      })
    }
  }
  return shares.sort((a, b) => b.share - a.share || a.order - b.order).map(({ order: _order, ...share }) => share)
}

/**
 * The message most students got, grouping messages that differ only in each student's own values (their seed's
 * topics and client ids, numbers, quoted payloads): the first message of the largest group.
 */
function mostCommonMessage(messages: readonly string[]): { message?: string; count: number } {
  const groups = new Map<string, string[]>()
  for (const message of messages.filter(Boolean)) {
    const key = message
      .split('\n')[0]
      .replace(/"[^"]*"|'[^']*'|`[^`]*`/g, '…')
      .replace(/[\w/+.-]*[\d/][\w/+.-]*/g, '#')
    groups.set(key, [...(groups.get(key) ?? []), message])
  }
  const largest = [...groups.values()].sort((a, b) => b.length - a.length)[0]
  return largest ? { message: largest[0], count: largest.length } : { count: 0 }
}
