import type { StudentConfigError } from '../broker/mosquitto-conf.ts'
import type { CheckDefinition } from '../exercises/define-exercise.ts'
import type { CheckResult } from '../report/result.ts'
import { type TypecheckResult, formatDiagnostic } from '../runner/typecheck.ts'
import { findUnrunnableCode } from '../runner/runnable-code.ts'

/**
 * Results for what is judged before the checks: the student's TypeScript (types), Mosquitto accepts the student's
 * mosquitto.conf (broker-config). They carry no points. A type error does not stop the checks, since Node runs
 * the file anyway and the student still learns what the program does; code Node cannot run at all, and a config
 * Mosquitto refuses, do: every check is then skipped.
 */
export const typesCheckId = 'types'
export const brokerConfigCheckId = 'broker-config'
export const pseudoCheckIds: readonly string[] = [typesCheckId, brokerConfigCheckId]

/** The pseudo-check results after which no check can run. */
const blocking = new WeakSet<CheckResult>()

export function isBlocking(result: CheckResult): boolean {
  return blocking.has(result) || (result.id === brokerConfigCheckId && result.status !== 'passed')
}

export async function typesResult(typecheck: TypecheckResult, programDir: string): Promise<CheckResult> {
  const base = {
    id: typesCheckId,
    title: 'Your TypeScript has no type errors',
    points: 0,
    maxPoints: 0,
    durationMs: Math.round(typecheck.durationMs),
  }
  if (typecheck.isOk) return { ...base, status: 'passed' }
  const unrunnable = await findUnrunnableCode(programDir, [
    ...new Set(typecheck.diagnostics.map((diagnostic) => diagnostic.file)),
  ])
  if (unrunnable) {
    const result: CheckResult = {
      ...base,
      status: 'failed',
      message: `Node cannot run your code, so no check could run:\n${unrunnable.file}:${unrunnable.line} - ${unrunnable.message}${unrunnable.instead ? `\n${unrunnable.instead}` : ''}`,
      hint: 'Node runs TypeScript by erasing the types: only syntax that disappears when the types are removed is allowed. npm run check shows every error.',
    }
    blocking.add(result)
    return result
  }
  const count = typecheck.diagnostics.length
  const shown = typecheck.diagnostics.slice(0, 10)
  return {
    ...base,
    status: 'failed',
    message: `The TypeScript compiler found ${count} type error${count === 1 ? '' : 's'}. Node ran your program anyway, so the checks below still tell you what it does; fix ${count === 1 ? 'it' : 'them'} too:\n${shown.map(formatDiagnostic).join('\n')}${count > shown.length ? `\n(${count - shown.length} more)` : ''}`,
    hint: 'Your editor shows the same errors; run npm run check to see them all.',
  }
}

export function brokerConfigResult(error: StudentConfigError | undefined): CheckResult {
  const base = {
    id: brokerConfigCheckId,
    title: 'Mosquitto starts with your configuration',
    points: 0,
    maxPoints: 0,
    durationMs: 0,
  }
  if (!error) return { ...base, status: 'passed' }
  const lines = error.issues.map((issue) =>
    issue.line > 0 ? `line ${issue.line}: ${issue.text}\n  ${issue.problem}` : issue.problem,
  )
  return {
    ...base,
    status: 'failed',
    message: [error.message, ...lines].join('\n'),
    ...(error.received ? { received: error.received } : {}),
    hint:
      error.hint ?? 'Try it yourself: mosquitto -c mosquitto.conf -v prints the same complaint; fix the line it names.',
  }
}

/** Every check, skipped because `reason`. */
export function skippedResults(checks: readonly CheckDefinition[], reason: string): CheckResult[] {
  return checks.map((check) => ({
    id: check.id,
    title: check.title,
    status: 'skipped',
    points: 0,
    maxPoints: check.points,
    durationMs: 0,
    message: reason,
    ...(check.isInstructorOnly ? { isHidden: true } : {}),
  }))
}
