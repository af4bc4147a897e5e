import type { BatchManifest, StudentRecord } from './batch-manifest.ts'

export interface CheckFailureShare {
  exerciseId: string
  checkId: string
  title: string
  /** Students whose submission of the exercise was graded. */
  attempted: number
  failed: number
  share: number
}

/**
 * Per check, the share of the students who submitted the exercise and failed that check (failed or errored, not
 * skipped after an earlier failure): what the cohort did not get. Most-failed first, then in course order.
 */
export function failureShares(manifest: BatchManifest, students: readonly StudentRecord[]): CheckFailureShare[] {
  const shares: (CheckFailureShare & { order: number })[] = []
  for (const [exerciseIndex, exercise] of manifest.exercises.entries()) {
    const graded = students.flatMap((record) => record.report?.exercises.filter((result) => result.id === exercise.id && !result.error) ?? [])
    if (graded.length === 0) continue
    const checks = new Map<string, { title: string; failed: number; order: number }>()
    for (const result of graded) {
      for (const [order, check] of result.checks.entries()) {
        const entry = checks.get(check.id) ?? { title: check.title, failed: 0, order }
        if (check.status === 'failed' || check.status === 'errored') entry.failed++
        checks.set(check.id, entry)
      }
    }
    for (const [checkId, entry] of checks) {
      if (entry.failed === 0) continue
      shares.push({ exerciseId: exercise.id, checkId, title: entry.title, attempted: graded.length, failed: entry.failed, share: entry.failed / graded.length, order: exerciseIndex * 1000 + entry.order })
    }
  }
  return shares.sort((a, b) => b.share - a.share || a.order - b.order).map(({ order: _order, ...share }) => share)
}
