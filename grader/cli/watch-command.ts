import { GraderError } from '../errors/grader-error.ts'
import { exitOnInterruptWith } from '../process/exit-cleanup.ts'
import { loadExercise, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { resolveSubmission } from '../exercises/submission.ts'
import { waitForChange } from '../watch/wait-for-change.ts'
import { runGradeCommand } from './grade-command.ts'
import { parseGradeArgs } from './parse-grade-args.ts'

/**
 * `npm run watch -- ex3`: grade, then grade again every time a file of the submission is saved, until Ctrl-C.
 * Takes the grade command's options (but not --all, --json or --junit: one exercise, for a person).
 */
export async function runWatchCommand(args: readonly string[]): Promise<number> {
  const command = parseGradeArgs(args)
  if (command.isHelp) return runGradeCommand(args)
  if (command.exercises === 'all' || command.exercises.length !== 1) {
    throw new GraderError('USAGE', 'watch follows one exercise at a time', { hint: 'e.g. npm run watch -- ex3' })
  }
  if (command.isJson || command.junitFile) throw new GraderError('USAGE', 'watch prints for a person: drop --json and --junit')
  const exercise = await loadExercise(resolveExerciseFolder(command.exercises[0]))
  const submission = resolveSubmission(exercise, command.source, { hasCustomCommand: command.command !== undefined })
  // Ctrl-C is how a watch ends: kill whatever is running (the exit cleanups do) and exit 0.
  exitOnInterruptWith(0)
  const stop = new AbortController()
  process.once('SIGINT', () => stop.abort())
  process.once('SIGTERM', () => stop.abort())
  while (!stop.signal.aborted) {
    if (process.stdout.isTTY) process.stdout.write('\u001bc')
    await runGradeCommand(args)
    // Watch first, then say so: a save made the moment the message appears must not be missed.
    const change = waitForChange([submission.dir], stop.signal)
    process.stdout.write(`\n[watch] waiting for changes in ${submission.label} (Ctrl-C to stop)\n`)
    const changed = await change
    if (changed) process.stdout.write(`[watch] ${changed} changed: grading again\n`)
  }
  return 0
}
