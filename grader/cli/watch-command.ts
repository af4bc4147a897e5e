import { existsSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import {
  type Exercise,
  listExerciseFolders,
  loadAllExercises,
  loadExercise,
  resolveExerciseFolder,
} from '../exercises/load-exercises.ts'
import { type Submission, resolveSubmission } from '../exercises/submission.ts'
import { canRunOnStandby, gradeExercise } from '../grade/grade-exercise.ts'
import { exitOnInterruptWith } from '../process/exit-cleanup.ts'
import { readProgress, recordResults } from '../progress/progress-store.ts'
import { ConsoleReporter } from '../report/console-reporter.ts'
import type { ExerciseResult } from '../report/result.ts'
import { newSeed } from '../runner/random.ts'
import { type Sandbox, chooseSandboxWhenProbed } from '../sandbox/sandbox.ts'
import { FileWatcher } from '../watch/file-watcher.ts'
import { StandbyKeeper } from '../watch/standby-keeper.ts'
import { WarmBrokerChooser } from '../watch/warm-broker-chooser.ts'
import { WarmTypechecker } from '../runner/warm-typechecker.ts'
import { WatchEvents } from '../watch/watch-events.ts'
import { rerunCommand } from './grade-command.ts'
import { nextHint } from './hint-command.ts'
import { describeProgress, nextExercise } from './list-command.ts'
import { type GradeCommand, namesExercise, parseGradeArgs } from './parse-grade-args.ts'

const keysHelp = 'h hint · l list · r grade again · n next exercise · q quit'

const watchUsage = `Usage: npm run watch                     the first exercise you have not passed, then the next
       npm run watch -- <exercise> [options]

Grades on every save; when the exercise passes, it is recorded and the watch goes on to the next one (on a
terminal it asks first). Keys: ${keysHelp}.

Options: those of npm run grade (--broker, --dir, --solution, --cmd, --seed), and
  --poll              look for saves by polling, where file events do not arrive (WSL on /mnt, network drives);
                      without it, watch switches to polling by itself when it sees a save that sent no event`

/**
 * `npm run watch [-- ex3] [--poll]`: grade, then grade again on every save. Without an exercise it starts at
 * the first one not passed; when one passes it records it and goes on to the next (asking first on a
 * terminal). It stays warm between saves: this process, its broker and a type checker stay up, and only the
 * student's program starts again. Takes the grade command's options, except --all, --json and --junit.
 */
export async function runWatchCommand(args: readonly string[]): Promise<number> {
  const isPolling =
    args.includes('--poll') || (process.env.npm_lifecycle_event === 'watch' && process.env.npm_config_poll === 'true')
  let gradeArgs = args.filter((arg) => arg !== '--poll')
  if (!namesExercise(gradeArgs)) {
    const next = nextExercise(await loadAllExercises(), await readProgress())
    if (!next)
      throw new GraderError('USAGE', 'every exercise is passed: say which one to watch', {
        hint: 'e.g. npm run watch -- ex1',
      })
    gradeArgs = [next.id, ...gradeArgs]
  }
  const command = parseGradeArgs(gradeArgs)
  if (command.isHelp) {
    process.stdout.write(`${watchUsage}\n`)
    return 0
  }
  if (command.exercises === 'all' || command.exercises.length !== 1) {
    throw new GraderError('USAGE', 'watch follows one exercise at a time', {
      hint: 'e.g. npm run watch -- ex3, or npm run watch to start at the next one',
    })
  }
  if (command.isJson || command.junitFile)
    throw new GraderError('USAGE', 'watch prints for a person: drop --json and --junit', {
      hint: 'for a report, run npm run grade -- <exercise> --json',
    })
  let exercise = await loadExercise(resolveExerciseFolder(command.exercises[0]))
  let submission = resolveSubmission(exercise, command.source, { hasCustomCommand: command.command !== undefined })
  const say = (text: string) => process.stdout.write(`[watch] ${text}\n`)

  const sandbox = await chooseSandboxWhenProbed(command.sandbox)
  if (sandbox.note) say(sandbox.note)
  // Ctrl-C is how a watch ends: kill whatever is running (the exit cleanups do) and exit 0.
  exitOnInterruptWith(0)
  using events = new WatchEvents()
  const stop = () => events.push({ kind: 'stop' })
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  await using typechecker = new WarmTypechecker({
    onFallback: (reason) => say(`the warm type checker stopped (${reason}); checking with a fresh tsc from now on`),
  })
  // With --seed every run repeats the same topics and client ids: a kept broker would remember the last run.
  await using chooser = command.seed === undefined ? new WarmBrokerChooser(command.broker) : undefined
  const watchFolder = (dir: string) =>
    new FileWatcher({
      dir,
      poll: isPolling,
      onChange: (file) => events.push({ kind: 'change', file }),
      onPolling: (reason) => say(`${reason}: polling for changes from now on (start with --poll to skip the wait)`),
    })
  let watcher = watchFolder(submission.dir)
  // The next grade's program, started while the student reads this one's verdict: a save then only waits for
  // the grading itself.
  await using standbys = new StandbyKeeper()
  const prepareStandby = async () => {
    if (canRunOnStandby(exercise, command.command)) await standbys.prepare(submission.dir, exercise.run.entry!, sandbox)
    else await standbys.drop()
  }

  const moveTo = async (next: Exercise, nextSubmission: Submission) => {
    watcher.close()
    exercise = next
    submission = nextSubmission
    watcher = watchFolder(submission.dir)
  }
  let shouldGrade = true
  let isAsking = false
  try {
    while (true) {
      if (shouldGrade) {
        if (process.stdout.isTTY) process.stdout.write('\u001bc')
        events.dropChanges()
        const result = await gradeOnce(exercise, command, sandbox, typechecker, chooser, standbys)
        await prepareStandby()
        const following =
          result.status === 'passed' ? await followingExercise(exercise, command, { skipPassed: true }) : undefined
        isAsking = false
        if (following && events.isTerminal) {
          process.stdout.write(
            `\n${exercise.id} passed. Go on to ${following.exercise.id}: ${following.exercise.title}? [Y/n] `,
          )
          isAsking = true
        } else if (following) {
          say(`${exercise.id} passed: on to ${following.exercise.id}, ${following.exercise.title}`)
          await moveTo(following.exercise, following.submission)
          continue
        } else if (
          result.status === 'passed' &&
          command.source.kind === 'starter' &&
          !nextExercise(await loadAllExercises(), await readProgress())
        ) {
          say('every exercise has passed: the course is done. Well done!')
        }
      }
      if (!isAsking)
        say(
          `waiting for changes in ${displayPath(submission.dir)} (${events.isTerminal ? keysHelp : 'Ctrl-C to stop'})`,
        )
      shouldGrade = false
      const event = await events.next()
      if (event.kind === 'stop') break
      if (event.kind === 'change') {
        say(`${displayPath(event.file)} changed: grading again`)
        shouldGrade = true
        continue
      }
      if (isAsking) {
        isAsking = false
        process.stdout.write('\n')
        if (event.key === 'y' || event.key === 'enter') {
          const following = await followingExercise(exercise, command, { skipPassed: true })
          if (following) await moveTo(following.exercise, following.submission)
          shouldGrade = true
          continue
        }
        if (event.key === 'n') continue
      }
      switch (event.key) {
        case 'q':
          return 0
        case 'h':
          process.stdout.write(`\n${await nextHint(exercise)}\n`)
          break
        case 'l':
          process.stdout.write(`\n${await describeProgress()}\n`)
          break
        case 'r':
          shouldGrade = true
          break
        case 'n': {
          const following = await followingExercise(exercise, command)
          if (following) {
            await moveTo(following.exercise, following.submission)
            shouldGrade = true
          } else say(`${exercise.id} is the last exercise${command.source.kind === 'dir' ? ' in this folder' : ''}`)
          break
        }
      }
    }
  } finally {
    watcher.close()
  }
  return 0
}

/** One grading run, printed as `grade` prints it; the student's own work counts towards progress. */
async function gradeOnce(
  exercise: Exercise,
  command: GradeCommand,
  sandbox: Sandbox,
  typechecker: WarmTypechecker,
  chooser: WarmBrokerChooser | undefined,
  standbys: StandbyKeeper,
): Promise<ExerciseResult> {
  const seed = command.seed ?? newSeed()
  const reporter = new ConsoleReporter({
    write: (text) => process.stdout.write(text),
    isColor: process.stdout.isTTY === true && !process.env.NO_COLOR,
    rerunCommand: (result, runSeed) => rerunCommand(command, result, runSeed),
  })
  const { BackendChooser } = await import('../broker/choose-backend.ts')
  const result = await gradeExercise(exercise, {
    source: command.source,
    ...(command.command !== undefined ? { command: command.command } : {}),
    chooser: chooser ?? new BackendChooser(command.broker),
    seed,
    sandbox,
    typecheck: typechecker.check,
    standby: standbys,
    onProgress: (event) => {
      if (event.kind === 'started')
        reporter.started(event.exercise.id, event.exercise.title, event.source, event.broker, event.seed)
      else reporter.check(event.exercise.id, event.result)
    },
  })
  reporter.finished(result, seed)
  if (result.status === 'errored') await chooser?.drop()
  if (command.source.kind === 'starter') await recordResults([result])
  return result
}

/**
 * The next exercise in course order, if this submission has it (a --dir of one exercise has no next). After a
 * pass, in the student's own course, the next one not passed yet (wrapping round to any left before this one).
 */
async function followingExercise(
  exercise: Exercise,
  command: GradeCommand,
  options: { skipPassed?: boolean } = {},
): Promise<{ exercise: Exercise; submission: Submission } | undefined> {
  const folders = listExerciseFolders()
  let folder = folders.find((candidate) => candidate.number > exercise.number)
  if (options.skipPassed && command.source.kind === 'starter') {
    const { exercises: progress } = await readProgress()
    const open = folders.filter(
      (candidate) => candidate.number !== exercise.number && !progress[candidate.slug]?.passed,
    )
    folder = open.find((candidate) => candidate.number > exercise.number) ?? open[0]
  }
  if (!folder) return undefined
  // A --dir moves on only when it is laid out like exercises/; one exercise's folder has no next exercise.
  if (command.source.kind === 'dir' && !existsSync(path.join(command.source.dir, folder.folder))) return undefined
  const next = await loadExercise(folder)
  try {
    return {
      exercise: next,
      submission: resolveSubmission(next, command.source, { hasCustomCommand: command.command !== undefined }),
    }
  } catch {
    return undefined
  }
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file)
  return relative.startsWith('..') ? file : relative
}
