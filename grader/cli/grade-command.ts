import { writeFile } from 'node:fs/promises'
import { GraderError } from '../errors/grader-error.ts'
import { layoutExercise } from '../exercises/detect-layout.ts'
import { listExerciseFolders, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { openSubmission } from '../exercises/open-submission.ts'
import type { SubmissionSource } from '../exercises/submission.ts'
import { prepareOutputFile } from './output-file.ts'
import { grade } from '../grade/grade.ts'
import { OrderedOutput } from '../report/ordered-output.ts'
import { newSeed } from '../runner/random.ts'
import { ConsoleReporter } from '../report/console-reporter.ts'
import { renderJson } from '../report/json-reporter.ts'
import { renderJunit } from '../report/junit-reporter.ts'
import { studentFile } from '../report/student-file.ts'
import { exitCodeFor, type ExerciseResult } from '../report/result.ts'
import { gradeUsage, parseGradeArgs, type GradeCommand } from './parse-grade-args.ts'
import { platformReporters, type ReportContext } from './report-formats.ts'

/** `npm run grade -- <exercise> [options]`: parse, grade, report, and return the exit code. */
export async function runGradeCommand(args: readonly string[]): Promise<number> {
  const command = parseGradeArgs(args)
  if (command.isHelp) {
    process.stdout.write(`${gradeUsage}\n`)
    return 0
  }
  if (command.junitFile) prepareOutputFile(command.junitFile, '--junit')
  const formats = command.formats ?? []
  // --json and a --format that prints a document (gradescope): no console report around it.
  const printsDocument = command.isJson || formats.some((format) => 'isDocument' in platformReporters[format])
  // A --dir that holds a zip and no exercise (an upload, an LMS download): unpacked safely and graded from there.
  using opened = command.source.kind === 'dir' ? await openDirSubmission(command) : undefined
  const source: SubmissionSource = opened ? { kind: 'dir', dir: opened.dir } : command.source
  const exercises = opened?.exercises ?? command.exercises
  const order = (
    exercises === 'all' ? listExerciseFolders() : exercises.map((query) => resolveExerciseFolder(query))
  ).map((f) => f.id)
  const output = new OrderedOutput(order, (text) => process.stdout.write(text))
  const reporters = new Map<string, ConsoleReporter>()
  const newReporter = (write: (text: string) => void) =>
    new ConsoleReporter({
      write,
      isColor: process.stdout.isTTY === true && !process.env.NO_COLOR,
      rerunCommand: (exercise, seed) => rerunCommand(command, exercise, seed),
    })
  // One reporter per exercise, each writing its own block: exercises are graded at once.
  const reporterFor = (id: string) => {
    const reporter = reporters.get(id) ?? newReporter(output.writerFor(id))
    reporters.set(id, reporter)
    return reporter
  }
  const seed = command.seed ?? newSeed()
  const report = await grade({
    exercises,
    source,
    broker: command.broker,
    ...(command.command !== undefined ? { command: command.command } : {}),
    seed,
    sandbox: command.sandbox,
    onProgress: (event) => {
      if (printsDocument) return
      const reporter = reporterFor(event.exercise.id)
      if (event.kind === 'started')
        reporter.started(event.exercise.id, event.exercise.title, event.source, event.broker, event.seed)
      else reporter.check(event.exercise.id, event.result)
    },
    onFinished: (exercise) => {
      if (printsDocument) return
      reporterFor(exercise.id).finished(exercise, seed)
      output.finish(exercise.id)
    },
  })
  // Progress is what the grader saw of the student's own work, in place; never of a solution or another folder.
  if (command.source.kind === 'starter')
    await (await import('../progress/progress-store.ts')).recordResults(report.exercises)
  const write = (text: string) => process.stdout.write(text)
  if (command.isJson) write(renderJson(report))
  else if (!printsDocument) newReporter(write).summary(report)
  const context: ReportContext = {
    write,
    fileFor: (exercise) => studentFile(exercise, command.source),
    visibility: command.visibility,
  }
  for (const format of formats) await platformReporters[format].report(report, context)
  if (command.junitFile) await writeFile(command.junitFile, renderJunit(report))
  return exitCodeFor(report)
}

/**
 * The submission --dir names, as the layout detector finds it; a zip in it (with no exercise beside it) unpacked
 * into a temporary folder. Exercises inferred from the folder become the ones the zip holds.
 */
async function openDirSubmission(
  command: GradeCommand,
): Promise<(Disposable & { dir: string; exercises: readonly string[] | 'all' }) | undefined> {
  if (command.source.kind !== 'dir') return undefined
  const folders =
    command.exercises === 'all' ? listExerciseFolders() : command.exercises.map((query) => resolveExerciseFolder(query))
  const opened = await openSubmission(command.source.dir, folders.map(layoutExercise), {
    acceptsAnyProgram: command.command !== undefined,
    allowsTopLevel: folders.length === 1,
  })
  if (opened.dir === command.source.dir) {
    opened[Symbol.dispose]()
    if (command.isFromDir && opened.layout.problem)
      throw new GraderError('NO_SUBMISSION', `${command.source.dir}: ${opened.layout.problem}`)
    return undefined
  }
  if (opened.layout.found.length === 0) {
    opened[Symbol.dispose]()
    throw new GraderError('NO_SUBMISSION', `${command.source.dir}: ${opened.layout.problem ?? 'no exercise found'}`, {
      hint: 'zip the exercise folders (ex1-hello-mqtt/ ...) or a clone of the course, and submit that',
    })
  }
  const exercises = command.isFromDir ? opened.layout.found.map((entry) => entry.exerciseId) : command.exercises
  return { dir: opened.dir, exercises, [Symbol.dispose]: () => opened[Symbol.dispose]() }
}

/** The command line that replays a run with the same inputs. */
export function rerunCommand(command: GradeCommand, exercise: ExerciseResult, seed: number): string {
  const parts = ['npm run grade --', exercise.id, '--seed', String(seed)]
  if (command.source.kind === 'solution') parts.push('--solution')
  if (command.source.kind === 'dir') parts.push('--dir', quote(command.source.dir))
  if (command.broker !== 'auto') parts.push('--broker', command.broker)
  if (command.sandbox !== 'auto') parts.push('--sandbox', command.sandbox)
  if (command.command) parts.push('--cmd', quote(command.command))
  return parts.join(' ')
}

function quote(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : `"${value.replace(/"/g, '\\"')}"`
}
