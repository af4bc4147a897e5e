import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { BrokerSetup, Capability } from '../broker/broker.ts'
import { StudentConfigError } from '../broker/mosquitto-conf.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'
import { GraderError } from '../errors/grader-error.ts'
import type { BrokerContext } from '../exercises/define-exercise.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import type { Submission } from '../exercises/submission.ts'
import { type ProgramCommand, canRun, customCommand, splitWords, typeScriptCommand } from '../runner/program-command.ts'
import type { ProgramStandby } from '../runner/program-standby.ts'
import type { Random } from '../runner/random.ts'
import { stripAhead } from '../runner/strip-ahead.ts'
import { Workspace, warmStudentCompileCache } from '../runner/workspace.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import type { GradeExerciseOptions } from './grade-options.ts'

/** Everything a grade decides before anything runs: the submission's copy, the inputs, the broker's setup, the command. */
export interface PreparedRun {
  submission: Submission
  /** Every capability the exercise and its checks need of a broker. */
  required: Capability[]
  isTypeScript: boolean
  inputs: Record<string, string>
  workspace: Workspace
  tlsMaterial: TlsMaterial | undefined
  setup: BrokerSetup
  /** A config the student wrote that is missing or unusable before Mosquitto even sees it: a result, not an error. */
  setupError: StudentConfigError | undefined
  /** What starts a run of the program (ExerciseSession's options, less what the broker adds). */
  launch: {
    exerciseId: string
    command: ProgramCommand | undefined
    inputs: Record<string, string>
    submissionDir: string
    owner: Workspace['owner']
    sandbox: Sandbox
    readable: string[]
    strippedManifest: string | undefined
    standby: ProgramStandby | undefined
  }
}

/** What the grade has settled before it prepares the run: the submission and the sandbox are in the result even when preparing fails. */
export interface RunBasis {
  submission: Submission
  sandbox: Sandbox
  random: Random
  /** Everything the run starts goes on this stack (taken down after the verdict). */
  teardown: AsyncDisposableStack
  /** What the run noticed that changes no verdict (files left out of the copy). */
  notes: string[]
}

/**
 * The first stage of a grade: the submission copied into a workspace (or the one a standby program waits in),
 * the TLS material, the inputs, the broker's setup, and the program's command, checked before anything starts.
 */
export async function prepareRun(
  exercise: Exercise,
  options: GradeExerciseOptions,
  basis: RunBasis,
): Promise<PreparedRun> {
  const { submission, sandbox, random, teardown, notes } = basis
  const required: Capability[] = [
    ...new Set([...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)]),
  ]
  const isTypeScript = shouldTypecheck(exercise, options.command)
  if (isTypeScript && sandbox.kind !== 'none') await warmStudentCompileCache()
  const standby =
    options.standby && canRunOnStandby(exercise, options.command)
      ? options.standby.take(submission.dir, exercise.run.entry!, sandbox)
      : undefined
  const workspace = standby ? await workspaceOf(standby, submission.dir) : Workspace.create(submission.dir, sandbox)
  teardown.use(workspace)
  if (workspace.skipped.length > 0) notes.push(`not graded, left out of the copy: ${workspace.skipped.join(', ')}`)
  // Taken down before the workspace: stops the waiting program if no run claimed it.
  if (standby) teardown.use(standby)
  // node-forge (certificates) loads only for the exercises that need TLS: 50 ms of every other grading run.
  const tlsMaterial = required.includes('tls')
    ? teardown.use(await (await import('../broker/tls-material.ts')).createTlsMaterial(sandbox.kind === 'uid'))
    : undefined
  const inputs = { ...exercise.run.inputs(random), ...(tlsMaterial ? { CA_FILE: tlsMaterial.caFile } : {}) }
  // A config the student wrote may be missing or unusable before Mosquitto even sees it: that is a result.
  let setup: BrokerSetup = {}
  let setupError: StudentConfigError | undefined
  try {
    setup = exercise.broker?.(brokerContext(inputs, workspace.dir, tlsMaterial)) ?? {}
  } catch (error) {
    if (!(error instanceof StudentConfigError)) throw error
    setupError = error
  }
  const command = programCommand(exercise, workspace.dir, options.command)
  if (options.command !== undefined && command) checkCustomCommand(options.command, command, workspace.dir)
  // Node would start its type stripper in every program it runs; the grader strips once, for all of them.
  const strippedManifest = command && isTypeScript ? stripAhead(workspace.dir, workspace.graderDir) : undefined
  const launch = {
    exerciseId: exercise.id,
    command,
    inputs,
    submissionDir: workspace.dir,
    owner: workspace.owner,
    sandbox,
    readable: tlsMaterial ? [tlsMaterial.caFile] : [],
    strippedManifest,
    standby,
  }
  return { submission, required, isTypeScript, inputs, workspace, tlsMaterial, setup, setupError, launch }
}

/** Whether the exercise's first run can be a program started on standby: TypeScript run by Node, no TLS file to read. */
export function canRunOnStandby(exercise: Exercise, commandLine: string | undefined): boolean {
  const required = [...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)]
  return shouldTypecheck(exercise, commandLine) && !required.includes('tls')
}

/** `--cmd`'s own executable must exist: for "python3 main.py" python3, for a shell line its first word. */
function checkCustomCommand(commandLine: string, command: ProgramCommand, dir: string): void {
  const executable = command.command === '/bin/sh' ? splitWords(commandLine)[0]?.replace(/;$/, '') : command.command
  if (executable && !/[=$`(]/.test(executable) && !shellBuiltins.has(executable) && !canRun(executable, dir)) {
    throw new GraderError(
      'COMMAND_NOT_FOUND',
      `--cmd "${commandLine}": ${executable} was not found${executable.includes('/') ? '' : ' on PATH'}, so nothing could be graded`,
      {
        hint: `install ${executable} or give its full path (e.g. --cmd "/usr/bin/python3 main.py"); for a script of yours, make it executable (chmod +x)`,
      },
    )
  }
}

/** The standby's workspace, filled with the submission; if that fails, the standby is stopped too. */
async function workspaceOf(standby: ProgramStandby, submissionDir: string): Promise<Workspace> {
  try {
    return standby.takeWorkspace(submissionDir)
  } catch (error) {
    await standby[Symbol.asyncDispose]()
    throw error
  }
}

/** Words a --cmd shell line may start with that are no program on PATH: the shell's reserved words and builtins. */
const shellBuiltins = new Set([
  ...[
    'if',
    'then',
    'else',
    'elif',
    'fi',
    'case',
    'esac',
    'for',
    'while',
    'until',
    'do',
    'done',
    'in',
    'function',
    'select',
    'time',
    '{',
    '}',
    '!',
    '[[',
    ']]',
  ],
  ...[
    'cd',
    'exec',
    'export',
    '.',
    'source',
    'set',
    'unset',
    'ulimit',
    'umask',
    'eval',
    'true',
    'false',
    ':',
    'env',
    'trap',
    'wait',
    'read',
    'test',
    '[',
    'echo',
    'printf',
    'command',
    'exit',
    'shift',
    'local',
    'alias',
    'type',
    'kill',
  ],
])

/** What an exercise's broker() gets: the run's inputs, the submission's files, the TLS material. */
function brokerContext(
  inputs: Record<string, string>,
  submissionDir: string,
  tls: TlsMaterial | undefined,
): BrokerContext {
  return {
    inputs,
    submissionDir,
    readSubmissionFile: (name) => {
      const file = path.join(submissionDir, name)
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined
    },
    tls,
  }
}

function programCommand(exercise: Exercise, dir: string, commandLine: string | undefined): ProgramCommand | undefined {
  if (commandLine) return customCommand(commandLine)
  if (!exercise.run.entry) return undefined
  return typeScriptCommand(path.join(dir, exercise.run.entry), dir)
}

function shouldTypecheck(exercise: Exercise, commandLine: string | undefined): boolean {
  return commandLine === undefined && exercise.run.entry !== undefined && /\.(m|c)?ts$/.test(exercise.run.entry)
}
