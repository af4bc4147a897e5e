import { fileURLToPath } from 'node:url'
import type { BrokerChoice } from '../broker/choose-backend.ts'
import type { SandboxChoice } from '../runner/sandbox.ts'

export interface GradeRunOptions {
  exerciseId: string
  /** The temporary copy of the submission's exercise folder. */
  dir: string
  seed: number
  broker: BrokerChoice
  sandbox?: SandboxChoice
}

const cliEntry = fileURLToPath(new URL('../cli/main.js', import.meta.url))

/** The one place that says how batch runs `grade`: every flag a batch option turns into lives here. */
export function gradeArgv(options: GradeRunOptions): string[] {
  const argv = [cliEntry, 'grade', options.exerciseId, '--dir', options.dir, '--json', '--seed', String(options.seed), '--broker', options.broker]
  // Absent: grade's own default (auto).
  if (options.sandbox) argv.push('--sandbox', options.sandbox)
  return argv
}
