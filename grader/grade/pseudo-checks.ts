import type { StudentConfigError } from '../broker/mosquitto-conf.ts'
import type { CheckDefinition } from '../exercises/define-exercise.ts'
import type { CheckResult } from '../report/result.ts'
import { type TypecheckResult, formatDiagnostic } from '../runner/typecheck.ts'

/**
 * Results for what must hold before any check can run: the student's TypeScript compiles, Mosquitto accepts
 * the student's mosquitto.conf. They carry no points, and when they fail every check is skipped.
 */
export const compilesCheckId = 'compiles'
export const brokerConfigCheckId = 'broker-config'
export const pseudoCheckIds: readonly string[] = [compilesCheckId, brokerConfigCheckId]

export function compilesResult(typecheck: TypecheckResult): CheckResult {
  const base = { id: compilesCheckId, title: 'Your TypeScript compiles without type errors', points: 0, maxPoints: 0, durationMs: Math.round(typecheck.durationMs) }
  if (typecheck.isOk) return { ...base, status: 'passed' }
  const count = typecheck.diagnostics.length
  const shown = typecheck.diagnostics.slice(0, 10)
  return {
    ...base,
    status: 'failed',
    message: `The TypeScript compiler found ${count} error${count === 1 ? '' : 's'}; fix ${count === 1 ? 'it' : 'them'} first:\n${shown.map(formatDiagnostic).join('\n')}${count > shown.length ? `\n(${count - shown.length} more)` : ''}`,
    hint: 'Your editor shows the same errors; run npm run check to see them all.',
  }
}

export function brokerConfigResult(error: StudentConfigError | undefined): CheckResult {
  const base = { id: brokerConfigCheckId, title: 'Mosquitto starts with your configuration', points: 0, maxPoints: 0, durationMs: 0 }
  if (!error) return { ...base, status: 'passed' }
  const lines = error.issues.map((issue) => (issue.line > 0 ? `line ${issue.line}: ${issue.text}\n  ${issue.problem}` : issue.problem))
  return {
    ...base,
    status: 'failed',
    message: [error.message, ...lines].join('\n'),
    ...(error.received ? { received: error.received } : {}),
    hint: error.hint ?? 'Try it yourself: mosquitto -c mosquitto.conf -v prints the same complaint; fix the line it names.',
  }
}

/** Every check, skipped because `reason`. */
export function skippedResults(checks: readonly CheckDefinition[], reason: string): CheckResult[] {
  return checks.map((check) => ({ id: check.id, title: check.title, status: 'skipped', points: 0, maxPoints: check.points, durationMs: 0, message: reason }))
}
