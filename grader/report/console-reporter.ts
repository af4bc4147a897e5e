import { styleText } from 'node:util'
import type { CheckResult, ExerciseResult, GradeReport } from './result.ts'

/** Control characters but newline and tab, as visible escapes: ESC becomes \x1b, CR \r. */
export function showControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) =>
    char === '\r' ? '\\r' : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

type Style = Parameters<typeof styleText>[0]

export interface ConsoleReporterOptions {
  write: (text: string) => void
  /** Colour only when writing to a terminal that wants it; messages themselves never carry colour codes. */
  isColor: boolean
  /** The command that reproduces this run, shown with the seed on failure: `npm run grade -- ex5`. */
  rerunCommand: (exercise: ExerciseResult, seed: number) => string
}

const marks: Record<CheckResult['status'], { mark: string; style: Style }> = {
  passed: { mark: '✓', style: 'green' },
  failed: { mark: '✗', style: 'red' },
  skipped: { mark: '-', style: 'gray' },
  errored: { mark: '!', style: 'yellow' },
}

/**
 * The student-facing report: one line per check as it finishes, prefixed with who speaks (`[grader ex5]`,
 * `[your program]`), details under each failure, and the way to reproduce the run.
 */
export class ConsoleReporter {
  readonly #options: ConsoleReporterOptions

  constructor(options: ConsoleReporterOptions) {
    this.#options = options
  }

  started(exerciseId: string, title: string, source: string, broker: string, seed: number): void {
    this.#line(
      `${this.#prefix(exerciseId)} ${this.#style('bold', title)}: grading ${this.#clean(source)} on ${broker} (seed ${seed})`,
    )
  }

  check(exerciseId: string, result: CheckResult): void {
    const { mark, style } = marks[result.status]
    const points = result.maxPoints > 0 ? ` (${result.points}/${result.maxPoints})` : ''
    this.#line(`${this.#prefix(exerciseId)} ${this.#style(style, mark)} ${result.id}: ${result.title}${points}`)
    if (result.status === 'skipped') {
      if (result.message && !result.message.startsWith('skipped until')) this.#detail(this.#clean(result.message))
      return
    }
    if (result.status === 'passed') return
    if (result.message) this.#detail(this.#clean(result.message))
    if (result.expected !== undefined) this.#labelled('expected', this.#clean(result.expected))
    if (result.received !== undefined) this.#labelled('received', this.#clean(result.received))
    if (result.trace?.length) {
      this.#detail(this.#style('gray', 'trace (what crossed the wire):'))
      for (const line of result.trace) this.#detail(`  ${this.#clean(line)}`)
    }
    if (result.hint) this.#labelled('hint', result.hint)
    if (result.lesson) this.#labelled('read', result.lesson)
  }

  finished(exercise: ExerciseResult, seed: number): void {
    const prefix = this.#prefix(exercise.id)
    if (exercise.error) {
      this.#line(`${prefix} ${this.#style('yellow', 'could not grade:')} ${this.#clean(exercise.error.message)}`)
      if (exercise.error.hint) this.#detail(`what to do: ${exercise.error.hint}`)
      return
    }
    if (exercise.status !== 'passed') {
      for (const run of exercise.programRuns) this.#programOutput(run)
    }
    for (const note of exercise.notes ?? []) this.#line(`${prefix} ${this.#style('gray', `note: ${note}`)}`)
    for (const warning of exercise.warnings ?? [])
      this.#line(`${prefix} ${this.#style('yellow', `warning: ${warning}`)}`)
    if (exercise.status === 'skipped') {
      this.#line(`${prefix} ${this.#style('gray', 'Skipped: no check ran on this broker (not a failure).')}`)
      return
    }
    const checks = exercise.checks.filter((check) => check.maxPoints > 0 || check.status !== 'passed')
    const passed = checks.filter((check) => check.status === 'passed').length
    const summary = `${exercise.points}/${exercise.maxPoints} points, ${passed} of ${checks.length} checks passed`
    if (exercise.status === 'passed') {
      this.#line(`${prefix} ${this.#style('green', `All checks passed: ${summary}.`)}`)
    } else {
      this.#line(
        `${prefix} ${this.#style('red', summary)}. Same inputs again: ${this.#options.rerunCommand(exercise, seed)}`,
      )
    }
  }

  summary(report: GradeReport): void {
    for (const note of report.notes ?? []) this.#line(`${this.#style('gray', `[grader] note: ${note}`)}`)
    if (report.exercises.length < 2) return
    this.#line('')
    const width = Math.max(...report.exercises.map((exercise) => exercise.title.length))
    for (const exercise of report.exercises) {
      const { mark, style } = marks[exercise.status]
      const points =
        exercise.status === 'skipped' ? 'skipped: needs another broker' : `${exercise.points}/${exercise.maxPoints}`
      this.#line(`  ${this.#style(style, mark)} ${exercise.id.padEnd(5)} ${exercise.title.padEnd(width)}  ${points}`)
    }
    this.#line(`  ${report.points}/${report.maxPoints} points`)
  }

  #programOutput(run: ExerciseResult['programRuns'][number]): void {
    const label = run.run > 1 ? `[your program, run ${run.run}]` : '[your program]'
    const exit = run.exit ? `${run.exit}` : 'was still running when the grader stopped it'
    this.#line(`${this.#style('cyan', label)} $ ${this.#clean(run.command)}  (${exit})`)
    for (const [name, text] of [
      ['stdout', run.stdoutTail],
      ['stderr', run.stderrTail],
    ] as const) {
      if (!text) continue
      for (const raw of text.split('\n')) {
        const line = this.#clean(raw)
        this.#line(`${this.#style('cyan', label)} ${name === 'stderr' ? this.#style('yellow', line) : line}`)
      }
    }
  }

  #prefix(exerciseId: string): string {
    return this.#style('blue', `[grader ${exerciseId}]`)
  }

  #labelled(label: string, text: string): void {
    const [first, ...rest] = text.split('\n')
    this.#detail(`${this.#style('bold', `${label}:`)} ${first}`)
    for (const line of rest) this.#detail(`  ${line}`)
  }

  #detail(text: string): void {
    for (const line of text.split('\n')) this.#line(`    ${line}`)
  }

  #line(text: string): void {
    this.#options.write(`${text}\n`)
  }

  /**
   * Text from outside the grader (program output, client ids, payloads) may carry escape codes and carriage
   * returns that would repaint the terminal ("All checks passed" over a failure): they are shown, escaped.
   */
  #clean(text: string): string {
    return showControlCharacters(text)
  }

  #style(style: Style, text: string): string {
    return this.#options.isColor ? styleText(style, text, { validateStream: false }) : text
  }
}
