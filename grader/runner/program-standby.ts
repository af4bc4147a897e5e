import path from 'node:path'
import { type ProgramCommand, typeScriptCommand } from './program-command.ts'
import { preloadUrl } from '../course/program-preloads.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import { type ProgramOwner, type StandbyProgram, StudentProgram } from './student-program.ts'
import { Workspace, workspaceName } from './workspace.ts'

/**
 * A student's program started before the save it will run, so that a warm `watch` only waits for the program
 * itself: a sandbox, Node and MQTT.js take ~0.15 s to start, more than the grading that follows. It waits in an
 * empty workspace, blocked on a pipe before any of the student's code has run (standby-bootstrap.ts). When
 * the next grade begins, gradeExercise() copies the submission into that workspace and the first run of the
 * program is this one: it gets its environment and loads the entry as any run does. A standby that does not
 * fit the grade (another exercise, a TLS file to read, a --cmd) is not used, and is stopped.
 */
export class ProgramStandby implements AsyncDisposable {
  /** The workspace, when this standby made it (watch's); undefined for a next run in a grade's own workspace. */
  readonly #workspace: Workspace | undefined
  readonly #workspaceDir: string
  readonly #program: StudentProgram
  readonly #key: string
  #isHandedOver = false
  #isClaimed = false

  private constructor(workspace: Workspace | undefined, workspaceDir: string, program: StudentProgram, key: string) {
    this.#workspace = workspace
    this.#workspaceDir = workspaceDir
    this.#program = program
    this.#key = key
  }

  /**
   * The next run of a program already running in `workspaceDir` (a grade's own workspace, filled): started
   * like it (`command`, `readable`), waiting for claim().
   */
  static nextRun(
    workspaceDir: string,
    command: ProgramCommand,
    sandbox: Sandbox,
    readable: readonly string[],
    owner: ProgramOwner | undefined,
  ): ProgramStandby {
    const standby = new ProgramStandby(
      undefined,
      workspaceDir,
      startWaiting(workspaceDir, command, sandbox, readable, owner),
      '',
    )
    standby.#isHandedOver = true
    return standby
  }

  /** Starts `entry` of (a future copy of) `submissionDir` in `sandbox`, waiting for its run. */
  static start(submissionDir: string, entry: string, sandbox: Sandbox): ProgramStandby {
    const workspace = Workspace.empty(submissionDir, sandbox)
    try {
      const program = startWaiting(
        workspace.dir,
        typeScriptCommand(path.join(workspace.dir, entry), workspace.dir),
        sandbox,
        [workspace.graderDir],
        workspace.owner,
      )
      return new ProgramStandby(workspace, workspace.dir, program, standbyKey(submissionDir, entry, sandbox))
    } catch (error) {
      void workspace[Symbol.asyncDispose]()
      throw error
    }
  }

  /** The folder the program waits in: empty until takeWorkspace() copies the submission there. */
  get workspaceDir(): string {
    return this.#workspaceDir
  }

  /** Whether this standby can be the first run of `entry` of `submissionDir` in `sandbox`: still waiting, same place. */
  fits(submissionDir: string, entry: string, sandbox: Sandbox): boolean {
    return !this.#isHandedOver && this.#program.isRunning && this.#key === standbyKey(submissionDir, entry, sandbox)
  }

  /**
   * Copies the submission into the standby's workspace and hands both over: the grade disposes of the
   * workspace, and of this standby (which stops the program if no run claimed it).
   */
  takeWorkspace(submissionDir: string): Workspace {
    if (!this.#workspace || this.#isHandedOver) throw new Error('this standby has no workspace to hand over')
    this.#isHandedOver = true
    return this.#workspace.fill(submissionDir)
  }

  /** The waiting program, once: the first run that asks for it. */
  claim(): StandbyProgram | undefined {
    if (this.#isClaimed || !this.#program.isRunning) return undefined
    this.#isClaimed = true
    return { go: (env, run, strippedManifest) => this.#program.go(env, run, strippedManifest) }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#isClaimed) await this.#program.kill()
    if (!this.#isHandedOver) await this.#workspace?.[Symbol.asyncDispose]()
  }
}

/** Starts `command` (the TypeScript command) in `cwd` with the bootstrap preloaded after the hook: it waits for go(). */
function startWaiting(
  cwd: string,
  command: ProgramCommand,
  sandbox: Sandbox,
  readable: readonly string[],
  owner: ProgramOwner | undefined,
): StudentProgram {
  const entry = command.args.at(-1)!
  return new StudentProgram({
    command: { ...command, args: [...command.args.slice(0, -1), '--import', preloadUrl('standbyBootstrap'), entry] },
    cwd,
    env: {},
    hidden: { MQTT_COURSE_STANDBY: '4' },
    run: 0,
    owner,
    sandbox,
    readable,
    isStandby: true,
  })
}

function standbyKey(submissionDir: string, entry: string, sandbox: Sandbox): string {
  return JSON.stringify([workspaceName(submissionDir), entry, sandbox.kind])
}
