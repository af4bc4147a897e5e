import { GraderError } from '../errors/grader-error.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import type { ExerciseResult } from '../report/result.ts'
import { readCsvFile } from './read-csv-file.ts'

/**
 * `overrides.csv`: an instructor's manual scores, applied on top of every grade (a regrade, `--force` included,
 * recomputes the graded result and applies them again: they live in their own file, never in a stored result).
 * One row per override: the student's folder, the exercise, a check's id or `total` (the exercise's points), the
 * points given, why, and who decided.
 */
export const overrideColumns = {
  required: ['student', 'exercise', 'check', 'points', 'reason', 'by'],
  optional: [],
} as const

export interface Override {
  student: string
  /** Exercise id: `ex1`. */
  exercise: string
  /** A check's id, or `total` for the exercise's points. */
  check: string
  points: number
  reason: string
  by: string
  /** The file and line, for messages: `overrides.csv:3`. */
  source: string
}

const hint =
  'overrides.csv has the header student,exercise,check,points,reason,by; e.g.\nalice,ex3,qos-levels,4,"regraded by hand: broker outage during her run",dana\nbob,ex5,total,6,"late-join accommodation",dana'

/**
 * The overrides, each checked against the exercises and the students (the cohort's folders and the roster):
 * an unknown student, exercise or check, points outside 0..max, or an empty reason is exit 2 with its line.
 */
export function readOverrides(file: string, exercises: readonly Exercise[], students: ReadonlySet<string>): Override[] {
  const rows = readCsvFile(file, 'the overrides file', overrideColumns, hint)
  const seen = new Map<string, string>()
  return rows.map(({ line, cells }) => {
    const where = `${file}, line ${line}`
    const fail = (message: string, todo: string) => {
      throw new GraderError('USAGE', `${where}: ${message}`, { hint: todo })
    }
    if (!students.has(cells.student))
      fail(
        `there is no student "${cells.student}" in the cohort${students.size ? '' : ''} or the roster`,
        "the student column is the submission folder's name (or the roster's folder column)",
      )
    const exercise = exercises.find(
      (candidate) => candidate.id === cells.exercise.toLowerCase() || candidate.folder === cells.exercise,
    )
    if (!exercise)
      fail(
        `"${cells.exercise}" is not an exercise this batch grades (${exercises.map((candidate) => candidate.id).join(', ')})`,
        'the exercise column is an id such as ex3',
      )
    const check =
      cells.check === 'total' ? undefined : exercise!.checks.find((candidate) => candidate.id === cells.check)
    if (cells.check !== 'total' && !check)
      fail(
        `${exercise!.id} has no check "${cells.check}" (its checks: ${exercise!.checks.map((candidate) => candidate.id).join(', ')}, or total)`,
        'the check column is a check id from the report, or total for the whole exercise',
      )
    const maximum = check ? check.points : exercise!.points
    const points = Number(cells.points)
    if (cells.points === '' || !Number.isFinite(points) || points < 0 || points > maximum)
      fail(
        `points "${cells.points}" is not a score for ${exercise!.id} ${cells.check}: expected a number from 0 to ${maximum}`,
        'e.g. 4, or 2.5',
      )
    if (!cells.reason)
      fail('the reason is empty: every override says why', 'e.g. "regraded by hand: broker outage during the run"')
    if (!cells.by) fail('the by column is empty: every override says who decided', 'e.g. your name or initials')
    const key = `${cells.student}\0${exercise!.id}\0${cells.check}`
    if (seen.has(key))
      fail(
        `${cells.student} ${exercise!.id} ${cells.check} is overridden twice (first on line ${seen.get(key)})`,
        'keep one row per student, exercise and check',
      )
    seen.set(key, String(line))
    return {
      student: cells.student,
      exercise: exercise!.id,
      check: cells.check,
      points,
      reason: cells.reason,
      by: cells.by,
      source: `${file}:${line}`,
    }
  })
}

/**
 * One exercise's result with its overrides applied: a check's points replaced (the exercise's points are the
 * checks' sum again), or the exercise's total replaced. Each records what the grader gave, why and who.
 */
export function applyOverrides(result: ExerciseResult, overrides: readonly Override[]): ExerciseResult {
  const mine = overrides.filter((override) => override.exercise === result.id)
  if (mine.length === 0) return result
  const notes = [...(result.notes ?? [])]
  const checks = result.checks.map((check) => {
    const override = mine.find((candidate) => candidate.check === check.id)
    return override
      ? {
          ...check,
          points: override.points,
          override: { gradedPoints: check.points, reason: override.reason, by: override.by },
        }
      : check
  })
  for (const override of mine) {
    if (override.check !== 'total' && !result.checks.some((check) => check.id === override.check))
      notes.push(
        `override of ${override.check} (${override.source}) not applied: the check did not run (${result.error ? result.error.message : 'no result'}); override the total instead`,
      )
  }
  const checksPoints = mine.some(
    (override) => override.check !== 'total' && checks.some((check) => check.id === override.check),
  )
    ? checks.reduce((sum, check) => sum + check.points, 0)
    : result.points
  const total = mine.find((override) => override.check === 'total')
  const withChecks: ExerciseResult = { ...result, checks, points: checksPoints, ...(notes.length ? { notes } : {}) }
  if (!total) return withChecks
  return {
    ...withChecks,
    points: total.points,
    override: { gradedPoints: result.points, reason: total.reason, by: total.by },
  }
}
