import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

export interface WorkflowStep {
  name?: string
  id?: string
  uses?: string
  run?: string
  env?: Record<string, string>
  with?: Record<string, unknown>
  if?: string
}

export interface StepRun {
  step: string
  exitCode: number | null
  stdout: string
  stderr: string
}

/** A GitHub Actions workflow, parsed with a real YAML parser (what GitHub reads, not what we hope it says). */
export function readWorkflow(file: string): { on: unknown; env?: Record<string, string>; jobs: Record<string, { steps: WorkflowStep[]; needs?: string | string[]; strategy?: { matrix?: Record<string, unknown[]> } }> } {
  return parse(readFileSync(file, 'utf8'))
}

/** A .gitlab-ci.yml: variables, stages and jobs (every other top-level key). */
export function readGitlabCi(file: string): Record<string, { stage?: string; parallel?: number; before_script?: string[]; script?: string[]; image?: string }> & { variables?: Record<string, string>; stages?: string[] } {
  return parse(readFileSync(file, 'utf8'))
}

/**
 * Runs a `run:` step the way the runner does (bash -e, in the job's folder), after putting in the `${{ }}`
 * values the test knows (matrix entries). Anything else in `${{ }}` is a test error: the step would need GitHub.
 */
export function runStep(step: WorkflowStep, options: { cwd: string; env: NodeJS.ProcessEnv; expressions?: Record<string, string>; timeoutMs?: number }): StepRun {
  const substitute = (text: string) =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
      const value = options.expressions?.[expression]
      if (value === undefined) throw new Error(`the step "${step.name ?? step.run}" uses \${{ ${expression} }}, which this test cannot evaluate`)
      return value
    })
  const env = { ...options.env, ...Object.fromEntries(Object.entries(step.env ?? {}).map(([key, value]) => [key, substitute(String(value))])) }
  const result = spawnSync('bash', ['-e', '-c', substitute(step.run!)], { cwd: options.cwd, env, encoding: 'utf8', timeout: options.timeoutMs ?? 600_000 })
  return { step: step.name ?? step.run!, exitCode: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Steps that install system packages with sudo: the runner's business; this machine must already have them. */
export function isSystemInstall(step: WorkflowStep): boolean {
  return /^\s*(sudo\s+)?apt-get\b/.test(step.run ?? '')
}
