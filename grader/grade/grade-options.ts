import type { BackendChooser } from '../broker/choose-backend.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import type { SubmissionSource } from '../exercises/submission.ts'
import type { CheckResult } from '../report/result.ts'
import type { ProgramStandby } from '../runner/program-standby.ts'
import type { typecheckProgram } from '../runner/typecheck.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'

export interface GradeExerciseOptions {
  source: SubmissionSource
  /** `--cmd`: run this instead of the TypeScript entry (checks only look at the wire). */
  command?: string
  chooser: BackendChooser
  seed: number
  /** Where student programs run; `auto` (bubblewrap when it works here) when absent. */
  sandbox?: Sandbox
  /** Called when the broker is up and as each check ends, for live output. */
  onProgress?: (event: GradeProgress) => void
  /** The type checker: `watch` passes one that stays up between saves. */
  typecheck?: typeof typecheckProgram
  /** `watch`: a program already started, waiting to be the first run (see canRunOnStandby). */
  standby?: { take(submissionDir: string, entry: string, sandbox: Sandbox): ProgramStandby | undefined }
}

export type GradeProgress =
  | { kind: 'started'; exercise: Exercise; broker: string; seed: number; source: string }
  | { kind: 'check'; exercise: Exercise; result: CheckResult }
