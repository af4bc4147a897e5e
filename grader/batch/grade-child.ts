import { spawn } from 'node:child_process'
import { onInterrupt } from '../process/exit-cleanup.ts'
import { OutputCapture } from '../process/output-capture.ts'

export interface GradeChildOptions {
  args: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  deadlineMs: number
  /** How long a stopped grade has to stop its own programs, brokers and containers before it is killed. */
  graceMs?: number
}

export interface GradeChildExit {
  exitCode: number | undefined
  signal: NodeJS.Signals | undefined
  stdout: string
  stderrTail: string
  /** 'deadline' or 'interrupted' when we stopped it; undefined when it ended on its own. */
  stoppedBecause?: 'deadline' | 'interrupted'
  /** Set when stdout grew past its cap (a report is never that big: something printed without end). */
  isStdoutOverflowing: boolean
  spawnError?: Error
  durationMs: number
}

/** A grade report is a few hundred kilobytes at most (program output tails are capped inside it). */
const stdoutCapBytes = 32 * 1024 * 1024

/**
 * One `grade` run in a process group of its own, with a deadline. Why not ProcessGroup: a grade has children of
 * its own (the student's program in its own group, a Mosquitto, a container) that only it knows how to stop.
 * So a grade is stopped with SIGTERM first, which runs its exit cleanups, and killed (the whole group) only
 * after a grace period, or when the batch itself exits. ProcessGroup kills with SIGKILL first, which would
 * orphan those.
 */
export function runGradeChild(options: GradeChildOptions): Promise<GradeChildExit> {
  const startedAt = performance.now()
  const child = spawn(process.execPath, options.args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const stderr = new OutputCapture(16 * 1024)
  const stdoutChunks: Buffer[] = []
  let stdoutBytes = 0
  let isStdoutOverflowing = false
  let stoppedBecause: GradeChildExit['stoppedBecause']
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return
    try {
      process.kill(-child.pid, signal)
    } catch {
      // ESRCH: the group is gone already.
    }
  }
  const killOnExit = () => killGroup('SIGKILL')
  process.on('exit', killOnExit)
  let graceTimer: NodeJS.Timeout | undefined
  const stop = (reason: NonNullable<GradeChildExit['stoppedBecause']>) => {
    if (stoppedBecause || child.exitCode !== null || child.signalCode !== null) return
    stoppedBecause = reason
    killGroup('SIGTERM')
    graceTimer = setTimeout(() => killGroup('SIGKILL'), options.graceMs ?? 5_000)
  }
  child.stdout!.on('data', (chunk: Buffer) => {
    if (isStdoutOverflowing) return
    stdoutBytes += chunk.length
    if (stdoutBytes > stdoutCapBytes) {
      isStdoutOverflowing = true
      stdoutChunks.length = 0
      killGroup('SIGKILL')
    } else stdoutChunks.push(chunk)
  })
  child.stderr!.setEncoding('utf8').on('data', (text: string) => stderr.write(text))
  const deadlineTimer = setTimeout(() => stop('deadline'), options.deadlineMs)
  let settle: () => void = () => {}
  const exited = new Promise<void>((resolve) => (settle = resolve))
  const forgetInterrupt = onInterrupt(async () => {
    stop('interrupted')
    await exited
  })
  return new Promise((resolve) => {
    let isDone = false
    const finish = (exit: Pick<GradeChildExit, 'exitCode' | 'signal' | 'spawnError'>) => {
      if (isDone) return
      isDone = true
      clearTimeout(deadlineTimer)
      clearTimeout(graceTimer)
      // The leader is gone; anything it left in its group goes with it.
      killGroup('SIGKILL')
      process.off('exit', killOnExit)
      forgetInterrupt()
      settle()
      resolve({
        ...exit,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderrTail: stderr.tail(20),
        ...(stoppedBecause ? { stoppedBecause } : {}),
        isStdoutOverflowing,
        durationMs: Math.round(performance.now() - startedAt),
      })
    }
    child.once('error', (spawnError) => finish({ exitCode: undefined, signal: undefined, spawnError }))
    child.once('close', (code, signal) => finish({ exitCode: code ?? undefined, signal: signal ?? undefined }))
  })
}
