import type { SendHandle } from 'node:child_process'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { strippedManifestVariable } from './strip-ahead.ts'
import { studentCompileCachePath } from '../course/compile-cache.ts'
import { type ExitInfo, ProcessGroup } from '../process/process-group.ts'
import type { ProgramCommand } from './program-command.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import { listenerOnPort } from '../sandbox/guarded-listener.ts'
import { watchMemory } from '../sandbox/memory-watchdog.ts'
import { watchDisk } from '../sandbox/disk-watchdog.ts'
import { diskLimitBytes } from '../sandbox/sandbox-constants.ts'

/** Where and how a run starts: the tap's URL becomes MQTT_URL. */
export interface ProgramLaunch {
  exerciseId: string
  /** Undefined for exercises with no program to run (configuration only). */
  command: ProgramCommand | undefined
  tap: { readonly url: string }
  inputs: Readonly<Record<string, string>>
  /** The workspace copy of the submission: the program's working folder and its only writable place. */
  submissionDir: string
  /** The workspace's own uid and gid, when the grader is root. */
  owner: ProgramOwner | undefined
  sandbox: Sandbox
  /** Files outside the workspace the program may read (CA_FILE). */
  readable: readonly string[]
  /** The manifest of the workspace's TypeScript, stripped ahead (strip-ahead.ts), for Node programs. */
  strippedManifest?: string | undefined
  /** A program already started in this workspace, waiting for its environment (watch): the first run is it. */
  standby?: { claim(): StandbyProgram | undefined } | undefined
}

/** A program started ahead of its run: go() gives it the run's environment, and it is that run from then on. */
export interface StandbyProgram {
  go(env: Readonly<Record<string, string>>, run: number, strippedManifest: string | undefined): StudentProgram
}

export interface ProgramOwner {
  readonly uid: number
  readonly gid: number
}

/**
 * A run of the student's program, pointed at the tap, with the exercise's inputs (then `env`) in its environment.
 * The first run may be a program already started on standby (watch): then it is told its environment and goes.
 */
export function startStudentProgram(
  launch: ProgramLaunch,
  env: Readonly<Record<string, string>>,
  run: number,
): StudentProgram {
  const { command, tap, inputs, submissionDir, strippedManifest } = launch
  if (!command) throw new Error(`${launch.exerciseId} has no program to run`)
  const runEnv = { MQTT_URL: tap.url, ...inputs, ...env }
  const waiting = launch.standby?.claim()
  if (waiting) return waiting.go(runEnv, run, strippedManifest)
  return new StudentProgram({
    command,
    cwd: submissionDir,
    env: runEnv,
    run,
    owner: launch.owner,
    sandbox: launch.sandbox,
    readable: strippedManifest ? [...launch.readable, path.dirname(strippedManifest)] : launch.readable,
    ...(strippedManifest ? { hidden: { [strippedManifestVariable]: strippedManifest } } : {}),
  })
}

export interface StudentProgramOptions {
  command: ProgramCommand
  cwd: string
  /** MQTT_URL and the exercise's inputs. Nothing else of the grader's environment leaks in. */
  env: Record<string, string>
  /** 1 for the first run of an exercise, 2 for the next... */
  run: number
  owner: ProgramOwner | undefined
  sandbox: Sandbox
  readable: readonly string[]
  /** Set in the program's environment for the resolve hook, which removes it: not part of `env` as reported. */
  hidden?: Record<string, string>
  /**
   * On standby: the program starts now (Node, MQTT.js loaded) but waits on a pipe (standby-bootstrap.ts) until
   * go() sends the run's environment. `env` is then only what every run shares.
   */
  isStandby?: boolean
}

/**
 * One run of the student's program: its own process group, a capped capture of stdout and stderr, and a
 * deadline enforced by whoever waits on it. Its output is shown to the student on failure and never read as
 * a verdict.
 */
export class StudentProgram implements AsyncDisposable {
  #run: number
  readonly display: string
  #env: Readonly<Record<string, string>>
  readonly #group: ProcessGroup
  /** The program's own session inside the sandbox, where a polite signal must go; undefined without one. */
  readonly #childPid: Promise<number> | undefined
  readonly #owner: ProgramOwner | undefined
  /** The ports of the grader's listeners this run may reach (a standby's are set when it goes). */
  #allowedPorts: Set<number>
  /** The listeners the program handed over from its own network: closed when it is gone. */
  readonly #adopted = new Set<net.Server>()
  readonly #initOnGo: { copyFrom?: string } | undefined

  constructor(options: StudentProgramOptions) {
    this.#run = options.run
    this.display = options.command.display
    this.#env = options.env
    this.#owner = options.owner
    const ports = options.isStandby ? [] : grantListeners(options.env, options.owner)
    const wrapped = options.sandbox.wrap({
      command: options.command.command,
      args: options.command.args,
      workDir: options.cwd,
      env: { ...baseEnvironment(), ...options.env, ...options.hidden },
      readable: options.readable,
      owner: options.owner,
      ports,
      isStandby: options.isStandby === true,
    })
    this.#allowedPorts = new Set(ports)
    this.#initOnGo = wrapped.initOnGo
    const childPid = Promise.withResolvers<number>()
    this.#childPid = wrapped.reportsChildPid ? childPid.promise : undefined
    let overMemory = false
    let overDisk = false
    let stopWatching = () => {}
    let stopWatchingDisk = () => {}
    this.#group = new ProcessGroup({
      onInfo: wrapped.reportsChildPid
        ? (text) => {
            const pid = /"child-pid":\s*(\d+)/.exec(text)?.[1]
            if (pid) childPid.resolve(Number(pid))
          }
        : undefined,
      command: wrapped.command,
      args: wrapped.args,
      cwd: options.cwd,
      env: wrapped.env,
      annotateExit: (exit) => {
        const stopped = wrapped.reportsChildPid ? signalFromSandboxExit(exit) : exit
        const killedForMemory =
          overMemory || (wrapped.memory?.kind === 'cgroup' && wrapped.memory.cgroup.wasOomKilled())
        if (killedForMemory) return { ...stopped, outOfMemoryLimitBytes: options.sandbox.memoryLimitBytes }
        return overDisk ? { ...stopped, outOfDiskLimitBytes: diskLimitBytes } : stopped
      },
      onGone: () => {
        stopWatching()
        stopWatchingDisk()
        wrapped.dispose()
        for (const server of this.#adopted) server.close()
      },
      hasGoPipe: options.isStandby === true,
      ...(wrapped.hasChannel
        ? { onChannelMessage: (message: unknown, handle: SendHandle | undefined) => this.#receive(message, handle) }
        : {}),
      descriptor6File: wrapped.seccompFile,
      joinCgroups: wrapped.cgroupDirs,
      // bubblewrap's --die-with-parent misses a grader killed while bwrap starts (issue 19); without bubblewrap
      // the program itself dies with the grader (and, dropped to its workspace's uid, sets the signal again).
      diesWithParent: 'auto',
    })
    // Where no cgroup can cap memory, the grader watches it (memory-watchdog.ts).
    const limit = options.sandbox.memoryLimitBytes
    const stopForMemory = () => {
      overMemory = true
      void this.#group.kill()
    }
    // Without bubblewrap's tmpfs (--sandbox uid), the grader watches the disk too (disk-watchdog.ts).
    if (options.sandbox.kind === 'uid' && options.owner) {
      stopWatchingDisk = watchDisk(options.owner.uid, options.cwd, diskLimitBytes, () => {
        overDisk = true
        void this.#group.kill()
      })
    }
    if (limit && wrapped.memory?.kind === 'watch-uid')
      stopWatching = watchMemory({ kind: 'uid', uid: wrapped.memory.uid }, limit, stopForMemory)
    else if (limit && wrapped.memory?.kind === 'watch-pid-namespace') {
      void childPid.promise.then((pid) => {
        if (this.#group.isRunning)
          stopWatching = watchMemory({ kind: 'pid-namespace', ofPid: pid }, limit, stopForMemory)
      })
    }
  }

  /**
   * A listener the program bound in its own network (sandbox-init.ts), for one of the grader's listeners this run
   * may use: its connections go to that listener. Anything else is closed.
   */
  #receive(message: unknown, handle: SendHandle | undefined): void {
    const port =
      (message as { kind?: string; port?: number } | undefined)?.kind === 'listening'
        ? (message as { port: number }).port
        : undefined
    const listener = port === undefined || !this.#allowedPorts.has(port) ? undefined : listenerOnPort(port)
    if (!(handle instanceof net.Server)) return
    if (!listener || !this.#group.isRunning) {
      handle.close()
      return
    }
    this.#adopted.add(handle)
    listener.adopt(handle)
  }

  /** 1 for the first run of an exercise, 2 for the next... */
  get run(): number {
    return this.#run
  }

  /** MQTT_URL and the exercise's inputs, as the program got them. */
  get env(): Readonly<Record<string, string>> {
    return this.#env
  }

  /**
   * A program on standby becomes run `run`: it gets `env` (and the stripped TypeScript's manifest) through its
   * go pipe, sets them in process.env and goes on to load the student's entry.
   */
  go(env: Readonly<Record<string, string>>, run: number, strippedManifest: string | undefined): this {
    this.#run = run
    this.#env = env
    const ports = grantListeners(env, this.#owner)
    this.#allowedPorts = new Set(ports)
    const sandbox = this.#initOnGo ? { sandbox: { ...this.#initOnGo, ports } } : {}
    this.#group.go(`${JSON.stringify({ env, ...(strippedManifest ? { strippedManifest } : {}), ...sandbox })}\n`)
    return this
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
    if (!this.#childPid) this.#group.signal('SIGTERM')
    else void this.#childPid.then((pid) => this.#group.signal('SIGTERM', pid))
  }

  kill(): Promise<ExitInfo> {
    return this.#group.kill()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill()
  }
}

/**
 * The ports of the grader's listeners named in the run's environment (MQTT_URL: its wire tap; an impostor's URL):
 * the only places the program may connect to. Where programs share the grader's loopback, the workspace's uid is
 * let in to them.
 */
function grantListeners(env: Readonly<Record<string, string>>, owner: ProgramOwner | undefined): number[] {
  const ports = new Set<number>()
  for (const value of Object.values(env)) {
    const port = /^[a-z]+:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(?:\/|$)/i.exec(value)?.[1]
    const listener = port === undefined ? undefined : listenerOnPort(Number(port))
    if (!listener) continue
    ports.add(listener.port)
    if (owner) listener.grant(owner.uid)
  }
  return [...ports]
}

/**
 * bwrap exits with 128 + n when the program inside was ended by signal n, as a shell does: said as the signal,
 * so "was stopped by SIGTERM" reads the same with a sandbox and without.
 */
function signalFromSandboxExit(exit: ExitInfo): ExitInfo {
  const code = exit.exitCode
  if (code === undefined || code <= 128 || code > 128 + 64) return exit
  const name = Object.entries(os.constants.signals).find(([, number]) => number === code - 128)?.[0] as
    | NodeJS.Signals
    | undefined
  return name ? { ...exit, exitCode: undefined, signal: name } : exit
}

/** "exited with code 1", "was killed by SIGTERM", "could not start: spawn python3 ENOENT". */
export function describeExit(exit: ExitInfo): string {
  if (exit.spawnError) return `could not start: ${exit.spawnError.message}`
  if (exit.outOfMemoryLimitBytes)
    return `was killed for using more than ${Math.round(exit.outOfMemoryLimitBytes / 2 ** 20)} MiB of memory`
  if (exit.outOfDiskLimitBytes)
    return `was killed for writing more than ${Math.round(exit.outOfDiskLimitBytes / 2 ** 20)} MiB to disk`
  if (exit.signal) return `was stopped by ${exit.signal}`
  return `exited with code ${exit.exitCode}`
}

/**
 * What a student's program inherits: enough to find interpreters and write temp files, no secrets of the
 * grader's environment (an instructor's CI tokens stay out of student code).
 */
function baseEnvironment(): Record<string, string> {
  const keep = [
    'PATH',
    'HOME',
    'USER',
    'LANG',
    'LC_ALL',
    'TMPDIR',
    'TEMP',
    'TMP',
    'SystemRoot',
    'PYTHONPATH',
    'VIRTUAL_ENV',
  ]
  // NODE_COMPILE_CACHE: a Node program starts from cached bytecode (mqtt.js loads in half the time).
  const env: Record<string, string> = {
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    PYTHONUNBUFFERED: '1',
    NODE_COMPILE_CACHE: studentCompileCachePath(),
  }
  for (const name of keep) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  return env
}
