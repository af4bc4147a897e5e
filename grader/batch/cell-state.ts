import { pseudoCheckIds } from '../grade/pseudo-checks.ts'
import type { ExerciseResult } from '../report/result.ts'

/**
 * What one student × exercise cell of the cohort report says, apart from its score:
 * - `not submitted`: no folder for it, or the student is on the roster without a submission;
 * - `starter`: the starter as handed out, unchanged (not an attempt);
 * - `does not run`: the program could not run (Node cannot run the code, Mosquitto refused the config) or every
 *   run of it crashed, and no point was earned;
 * - `not graded`: the grader could not grade it (a deadline, a grader failure);
 * - `tried`: graded: its score says how far it got.
 */
export type CellState = 'not submitted' | 'starter' | 'does not run' | 'not graded' | 'tried'

export function cellState(result: ExerciseResult | undefined): CellState {
  if (!result || result.error?.code === 'NO_SUBMISSION') return 'not submitted'
  if (result.error) return 'not graded'
  if (result.isUntouchedStarter) return 'starter'
  if (result.override) return 'tried'
  const blocked =
    result.checks.some((check) => pseudoCheckIds.includes(check.id) && check.status === 'failed') &&
    result.checks.every((check) => pseudoCheckIds.includes(check.id) || check.status === 'skipped')
  const crashed =
    result.points === 0 &&
    result.programRuns.length > 0 &&
    result.programRuns.every((run) => /^exited with code [1-9]|^could not start/.test(run.exit ?? ''))
  return blocked || crashed ? 'does not run' : 'tried'
}
