import { spawn, type ChildProcess, type SendHandle, type StdioOptions } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { type ParentDeath, diesWithParent, joinCgroupsScript } from './dies-with-parent.ts'
import { onExit } from './exit-cleanup.ts'
import { OutputCapture } from './output-capture.ts'

export interface ProcessGroupOptions {
  command: string
  args: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  /** Cap on the stdout and stderr each keeps. */
  outputCapBytes?: number
  /** Called once the group is gone (its cgroup can go). */
  onGone?: () => void
  /** Opens a fourth pipe (file descriptor 3 in the child) whose text `onInfo` receives: bwrap's --info-fd. */
  onInfo?: ((text: string) => void) | undefined
  /** Adds what only the caller knows to the exit (the memory limit it hit), before anyone sees it. */
  annotateExit?: ((exit: ExitInfo) => ExitInfo) | undefined
  /** Opens a pipe to file descriptor 4 in the child, written once by go(): how a program on standby is started. */
  hasGoPipe?: boolean
  /**
   * Opens a Node IPC channel on file descriptor 5 in the child: what it sends (a sandboxed program's own network's
   * listeners) arrives here. Closed by closeChannel(), or when the group is gone.
   */
  onChannelMessage?: ((message: unknown, handle: SendHandle | undefined) => void) | undefined
  /** A file opened read-only on file descriptor 6 in the child (bubblewrap's --seccomp). */
  descriptor6File?: string | undefined
  /**
   * The process started dies with the grader even when it is killed with SIGKILL (no exit handler runs then):
   * see dies-with-parent.ts. With `setpriv` that is the process itself, not what it starts in turn: right for
   * Mosquitto and tsc (one process each) and for bwrap (whose PID namespace dies with it).
   */
  diesWithParent?: ParentDeath
  /** Cgroups the process joins before anything of it runs (written to their cgroup.procs by its first shell). */
  joinCgroups?: readonly string[]
}

/**
 * After the leader exits, how long its stdout and stderr may stay open. A process that left the group (setsid)
 * and kept them open must not keep the grader waiting: past this deadline the pipes are closed on our side.
 */
const outputDrainDeadlineMs = 1000

export interface ExitInfo {
  /** Undefined when a signal ended the process. */
  exitCode: number | undefined
  signal: NodeJS.Signals | undefined
  /** Set when the process could not be started at all (command not found, ...). */
  spawnError?: Error
  /** Set when the program was killed for going over this memory limit. */
  outOfMemoryLimitBytes?: number | undefined
  /** Set when the program was killed for writing more than this to disk (disk-watchdog.ts). */
  outOfDiskLimitBytes?: number | undefined
  durationMs: number
}

/**
 * A child process in a process group of its own, so that a signal reaches everything it started (a shell's
 * children, a worker) and a kill leaves nothing behind. The group is killed on every exit path of the grader.
 */
export class ProcessGroup implements AsyncDisposable {
  readonly stdout: OutputCapture
  readonly stderr: OutputCapture
  readonly exited: Promise<ExitInfo>
  readonly #child: ChildProcess
  #startedAt = performance.now()
  #exitInfo: ExitInfo | undefined
  readonly #forgetOnExit: () => void

  constructor(options: ProcessGroupOptions) {
    this.stdout = new OutputCapture(options.outputCapBytes)
    this.stderr = new OutputCapture(options.outputCapBytes)
    const cgroups = options.joinCgroups ?? []
    const launch = options.diesWithParent
      ? diesWithParent(options.command, options.args, options.diesWithParent, cgroups)
      : cgroups.length > 0
        ? {
            command: '/bin/sh',
            args: ['-c', joinCgroupsScript, 'sh', ...cgroups, '--', options.command, ...options.args],
            needsLifeline: false,
          }
        : { command: options.command, args: [...options.args], needsLifeline: false }
    const descriptor6 = options.descriptor6File === undefined ? undefined : openSync(options.descriptor6File, 'r')
    const stdio: StdioOptions = [
      launch.needsLifeline ? 'pipe' : 'ignore',
      'pipe',
      'pipe',
      options.onInfo ? 'pipe' : 'ignore',
      options.hasGoPipe ? 'pipe' : 'ignore',
    ]
    if (options.onChannelMessage || descriptor6 !== undefined) stdio.push(options.onChannelMessage ? 'ipc' : 'ignore')
    if (descriptor6 !== undefined) stdio.push(descriptor6)
    try {
      this.#child = spawn(launch.command, launch.args, { cwd: options.cwd, env: options.env, detached: true, stdio })
    } finally {
      if (descriptor6 !== undefined) closeSync(descriptor6)
    }
    // The lifeline is never written to: it only ends, with this process.
    this.#child.stdin?.on('error', () => {})
    if (options.onChannelMessage) {
      this.#child.on('message', (message, handle) => options.onChannelMessage!(message, handle))
      // The program may close its end, or die, at any moment: no error of the channel is the grader's.
      this.#child.on('error', () => {})
    }
    ;(this.#child.stdio[4] as NodeJS.WritableStream | undefined)?.on('error', () => {})
    if (options.onInfo) {
      let info = ''
      const stream = this.#child.stdio[3] as NodeJS.ReadableStream
      stream.setEncoding('utf8')
      stream.on('data', (text: string) => options.onInfo!((info += text)))
      stream.on('error', () => {})
    }
    this.#child.stdout!.setEncoding('utf8').on('data', (text: string) => this.stdout.write(text))
    this.#child.stderr!.setEncoding('utf8').on('data', (text: string) => this.stderr.write(text))
    this.#forgetOnExit = onExit(() => this.#killGroup('SIGKILL'))
    this.exited = new Promise((resolve) => {
      const finish = (info: Omit<ExitInfo, 'durationMs'>) => {
        if (this.#exitInfo) return
        const exit = { ...info, durationMs: performance.now() - this.#startedAt }
        this.#exitInfo = options.annotateExit?.(exit) ?? exit
        resolve(this.#exitInfo)
      }
      this.#child.once('error', (spawnError) => finish({ exitCode: undefined, signal: undefined, spawnError }))
      // 'close' waits for stdout and stderr to end, so the captured output is complete when this resolves.
      this.#child.once('close', (code, signal) => finish({ exitCode: code ?? undefined, signal: signal ?? undefined }))
      this.#child.once('exit', (code, signal) => {
        // The leader exiting does not end the group: children may still be running. Reap them too; then the
        // pipes close, unless something outside the group holds them.
        this.#killGroup('SIGKILL')
        const drain = setTimeout(() => {
          this.#child.stdout?.destroy()
          this.#child.stderr?.destroy()
          finish({ exitCode: code ?? undefined, signal: signal ?? undefined })
        }, outputDrainDeadlineMs)
        drain.unref()
        void this.exited.then(() => clearTimeout(drain))
      })
    })
    void this.exited.then(() => {
      this.#killGroup('SIGKILL')
      this.#forgetOnExit()
      options.onGone?.()
    })
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  get isRunning(): boolean {
    return this.#exitInfo === undefined
  }

  get exitInfo(): ExitInfo | undefined {
    return this.#exitInfo
  }

  /**
   * Writes `text` to the go pipe and closes it: a program waiting there (on standby) goes on. Its duration is
   * counted from here.
   */
  go(text: string): void {
    this.#startedAt = performance.now()
    const pipe = this.#child.stdio[4] as NodeJS.WritableStream | null | undefined
    if (!pipe) throw new Error('this process has no go pipe')
    pipe.end(text)
  }

  /** Closes the IPC channel: the program has handed over what it had to. */
  closeChannel(): void {
    if (this.#child.connected) this.#child.disconnect()
  }

  /** Sends a signal to the whole group (SIGTERM asks politely; SIGKILL does not ask), or to group `pid`. */
  signal(signal: NodeJS.Signals, pid?: number): void {
    if (pid === undefined) this.#killGroup(signal)
    else if (this.isRunning) {
      try {
        process.kill(-pid, signal)
      } catch {
        // ESRCH: that group is already gone.
      }
    }
  }

  /** Kills the whole group and waits for the leader to be reaped. */
  async kill(): Promise<ExitInfo> {
    this.#killGroup('SIGKILL')
    return this.exited
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill()
  }

  #killGroup(signal: NodeJS.Signals): void {
    const pid = this.#child.pid
    if (pid === undefined) return
    try {
      process.kill(-pid, signal)
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}
