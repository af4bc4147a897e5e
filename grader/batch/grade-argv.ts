import { fileURLToPath } from 'node:url'
import type { BrokerChoice } from '../broker/choose-backend.ts'
import type { SandboxChoice } from './parse-batch-args.ts'

export interface GradeRunOptions {
  exerciseId: string
  /** The temporary copy of the submission's exercise folder. */
  dir: string
  seed: number
  broker: BrokerChoice
  sandbox?: SandboxChoice
}

const cliEntry = fileURLToPath(new URL('../cli/main.js', import.meta.url))

/**
 * The one place that says how batch runs `grade`: every flag a batch option turns into lives here.
 * `--sandbox` is accepted by batch and kept in GradeRunOptions; it reaches `grade` once grade has the flag.
 */
export function gradeArgv(options: GradeRunOptions): string[] {
  return [cliEntry, 'grade', options.exerciseId, '--dir', options.dir, '--json', '--seed', String(options.seed), '--broker', options.broker]
}
