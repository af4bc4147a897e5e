import { type ExitInfo, ProcessGroup } from '../process/process-group.ts'
import { compileCacheDir } from './compile-cache.ts'
import type { ProgramCommand } from './program-command.ts'

/** Where and how a run starts: the tap's URL becomes MQTT_URL. */
export interface ProgramLaunch {
  exerciseId: string
  /** Undefined for exercises with no program to run (configuration only). */
  command: ProgramCommand | undefined
  tap: { readonly url: string }
  inputs: Readonly<Record<string, string>>
  submissionDir: string
}

/** A run of the student's program, pointed at the tap, with the exercise's inputs (then `env`) in its environment. */
export function startStudentProgram(launch: ProgramLaunch, env: Readonly<Record<string, string>>, run: number): StudentProgram {
  const { command, tap, inputs, submissionDir } = launch
  if (!command) throw new Error(`${launch.exerciseId} has no program to run`)
  return new StudentProgram({ command, cwd: submissionDir, env: { MQTT_URL: tap.url, ...inputs, ...env }, run })
}

export interface StudentProgramOptions {
  command: ProgramCommand
  cwd: string
  /** MQTT_URL and the exercise's inputs. Nothing else of the grader's environment leaks in. */
  env: Record<string, string>
  /** 1 for the first run of an exercise, 2 for the next... */
  run: number
}

/**
 * One run of the student's program: its own process group, a capped capture of stdout and stderr, and a
 * deadline enforced by whoever waits on it. Its output is shown to the student on failure and never read as
 * a verdict.
 */
export class StudentProgram implements AsyncDisposable {
  readonly run: number
  readonly display: string
  readonly env: Readonly<Record<string, string>>
  readonly #group: ProcessGroup

  constructor(options: StudentProgramOptions) {
    this.run = options.run
    this.display = options.command.display
    this.env = options.env
    this.#group = new ProcessGroup({
      command: options.command.command,
      args: options.command.args,
      cwd: options.cwd,
      env: { ...baseEnvironment(), ...options.env },
    })
  }

  get stdout() {
    return this.#group.stdout
  }

  get stderr() {
    return this.#group.stderr
  }

  get exited(): Promise<ExitInfo> {
    return this.#group.exited
  }

  get isRunning(): boolean {
    return this.#group.isRunning
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#group.exitInfo
  }

  /** Asks the program to stop, as Ctrl-C or `docker stop` would: SIGTERM to its whole process group. */
  terminate(): void {
    this.#group.signal('SIGTERM')
  }

  kill(): Promise<ExitInfo> {
    return this.#group.kill()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill()
  }
}

/** "exited with code 1", "was killed by SIGTERM", "could not start: spawn python3 ENOENT". */
export function describeExit(exit: ExitInfo): string {
  if (exit.spawnError) return `could not start: ${exit.spawnError.message}`
  if (exit.signal) return `was stopped by ${exit.signal}`
  return `exited with code ${exit.exitCode}`
}

/**
 * What a student's program inherits: enough to find interpreters and write temp files, no secrets of the
 * grader's environment (an instructor's CI tokens stay out of student code).
 */
function baseEnvironment(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'PYTHONPATH', 'VIRTUAL_ENV']
  // NODE_COMPILE_CACHE: a Node program starts from cached bytecode (mqtt.js loads in half the time).
  const env: Record<string, string> = { FORCE_COLOR: '0', NO_COLOR: '1', PYTHONUNBUFFERED: '1', NODE_COMPILE_CACHE: compileCacheDir }
  for (const name of keep) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}
