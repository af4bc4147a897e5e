import { type Capability, describeCapability } from '../broker/broker.ts'
import { describeError } from '../errors/grader-error.ts'
import type { CheckDefinition } from './check-definition.ts'
import type { CheckResult } from '../report/result.ts'
import { DeadlineExceeded, deadlineSignal, formatDuration } from '../time/deadline.ts'
import { formatTraceEvent } from '../wiretap/format-packet.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import { CheckFailure, crashHint } from './check-failure.ts'
import type { ExerciseSession } from './exercise-session.ts'

export interface RunChecksOptions {
  checks: readonly CheckDefinition[]
  session: ExerciseSession
  /** Capabilities the exercise as a whole requires. */
  exerciseRequires: readonly Capability[]
  /** What the broker in use offers, and how to name it. */
  offered: ReadonlySet<Capability>
  brokerLabel: string
  /** `lessons/05-last-will.mdx`: check results link into it. */
  lessonPath: string
  /** Called as each check ends, for live output. */
  onResult?: (result: CheckResult) => void
}

const traceExcerptLines = 16

/**
 * Runs checks in order. They are cumulative: a check runs only if the checks it needs (by default, all earlier
 * ones) passed, and is reported as skipped otherwise. A check ends as a result whatever happens inside it.
 */
export async function runChecks(options: RunChecksOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const statusById = new Map<string, CheckResult['status']>()
  for (const [index, check] of options.checks.entries()) {
    const result = await runOne(check, index, options, statusById)
    statusById.set(check.id, result.status)
    results.push(result)
    options.onResult?.(result)
  }
  return results
}

async function runOne(
  check: CheckDefinition,
  index: number,
  options: RunChecksOptions,
  statusById: ReadonlyMap<string, CheckResult['status']>,
): Promise<CheckResult> {
  const base = {
    id: check.id,
    title: check.title,
    maxPoints: check.points,
    points: 0,
    durationMs: 0,
    ...(check.isInstructorOnly ? { isHidden: true } : {}),
  }
  const missing = [...options.exerciseRequires, ...check.requires].filter(
    (capability) => !options.offered.has(capability),
  )
  if (missing.length > 0) {
    return {
      ...base,
      status: 'skipped',
      message: `needs a broker with ${[...new Set(missing)].map(describeCapability).join(' and ')}, which ${options.brokerLabel} does not offer: run with --broker mosquitto (or --broker auto)`,
    }
  }
  const needs = check.needs ?? options.checks.slice(0, index).map((earlier) => earlier.id)
  const unmet = needs.find((id) => statusById.get(id) !== 'passed')
  if (unmet) return { ...base, status: 'skipped', message: `skipped until "${unmet}" passes` }

  const runSignal = options.session.options.signal
  const signal = deadlineSignal(check.timeoutMs, runSignal)
  const harness = options.session.harness(check.timeoutMs, signal)
  const startedAt = performance.now()
  const elapsed = () => Math.round(performance.now() - startedAt)
  const lesson = `${options.lessonPath}${check.lessonSection ? `#${check.lessonSection}` : ''}`
  let error: unknown
  try {
    await check.run(harness)
  } catch (thrown) {
    error = thrown ?? new Error('the check threw nothing')
  }
  // A takeover or a refused CONNECT during the check is what went wrong, whatever the check itself saw (a SUBACK
  // that never came, say) and even if it saw nothing: the connection it judged was not the program's to keep.
  const problem = options.session.watch.takeUnreported()
  if (problem) error = new CheckFailure(problem.details)
  if (error === undefined) return { ...base, status: 'passed', points: check.points, durationMs: elapsed() }
  if (error instanceof CheckFailure) {
    const { message, expected, received, trace, isCrash } = error.details
    return {
      ...base,
      status: 'failed',
      durationMs: elapsed(),
      message,
      ...(expected !== undefined ? { expected } : {}),
      ...(received !== undefined ? { received } : {}),
      trace: formatExcerpt(trace ?? harness.studentTrace()),
      hint: isCrash ? crashHint : check.hint,
      lesson,
    }
  }
  if (runSignal.aborted) {
    return {
      ...base,
      status: 'errored',
      durationMs: elapsed(),
      message: `the exercise's deadline passed during this check: ${describeError(runSignal.reason)}`,
    }
  }
  if (error instanceof DeadlineExceeded) {
    return {
      ...base,
      status: 'failed',
      durationMs: elapsed(),
      message: `This check did not finish within ${formatDuration(check.timeoutMs)}: the grader was still waiting for your program.`,
      trace: formatExcerpt(harness.studentTrace()),
      hint: check.hint,
      lesson,
    }
  }
  return {
    ...base,
    status: 'errored',
    durationMs: elapsed(),
    message: `the grader could not run this check: ${describeError(error)}`,
    trace: formatExcerpt(harness.studentTrace()),
  }
}

/** The last lines of a trace, formatted, without the grader's own barrier packets. */
export function formatExcerpt(events: readonly TraceEvent[]): string[] {
  const shown = events.filter((event) => !(event.kind === 'packet' && event.isInjected))
  const lines = shown.slice(-traceExcerptLines).map((event) => formatTraceEvent(event))
  if (shown.length > traceExcerptLines) lines.unshift(`(${shown.length - traceExcerptLines} earlier events not shown)`)
  return lines
}
