/**
 * The course's command line. Thin on purpose: each command parses its arguments and calls the same functions
 * the tests call (grade(), startPlaygroundBroker()).
 */
import { describeError, isGraderError } from '../errors/grader-error.ts'
import { runAllCleanups, whenInterrupted } from '../process/exit-cleanup.ts'
import { sweepLeftovers } from '../broker/leftovers.ts'
import { probeParentDeath } from '../process/dies-with-parent.ts'
import { startIsolationProbe } from '../sandbox/probe-isolation.ts'

type Command = (args: readonly string[]) => Promise<number>

// Each command loads only what it uses: `grade` never pays for the playground broker's http and ws.
const commands: Record<string, () => Promise<Command>> = {
  grade: async () => (await import('./grade-command.ts')).runGradeCommand,
  watch: async () => (await import('./watch-command.ts')).runWatchCommand,
  broker: async () => (await import('./broker-command.ts')).runBrokerCommand,
  list: async () => (await import('./list-command.ts')).runListCommand,
  hint: async () => (await import('./hint-command.ts')).runHintCommand,
  reset: async () => (await import('./reset-command.ts')).runResetCommand,
  batch: async () => (await import('./batch-command.ts')).runBatchCommand,
  export: async () => (await import('./export-command.ts')).runExportCommand,
  // batch's grading processes (grader/batch/worker-pool.ts starts them); not for people.
  '__batch-worker': async () => (await import('../batch/grade-worker.ts')).runGradeWorker,
}

/** The commands that start brokers, programs and containers. */
const startsProcesses = new Set(['grade', 'watch', 'batch', 'broker', '__batch-worker'])

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv
  const loadCommand = name && Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!loadCommand) {
    process.stderr.write(
      `mqtt-course: unknown command ${name ?? '(none)'}; the commands are: ${Object.keys(commands)
        .filter((command) => !command.startsWith('__'))
        .join(', ')}\n`,
    )
    return 2
  }
  let sweeping: Promise<void> | undefined
  if (startsProcesses.has(name)) {
    // Asked in the background now, so that the first program or broker started does not wait for them.
    void probeParentDeath()
    if (name !== 'broker') void startIsolationProbe()
    // First, what graders killed with SIGKILL left (a batch's grading processes leave that to their batch).
    if (name !== '__batch-worker') sweeping = sweepLeftovers()
  }
  try {
    const command = await loadCommand()
    return await command(args)
  } catch (error) {
    if (isGraderError(error)) {
      process.stderr.write(`error: ${error.message}\n${error.hint ? `  what to do: ${error.hint}\n` : ''}`)
      return 2
    }
    process.stderr.write(
      `mqtt-course: internal error: ${describeError(error)}\n${error instanceof Error ? error.stack : ''}\n`,
    )
    return 2
  } finally {
    // Done long since, unless it is removing a container: the command's exit waits for that.
    await sweeping
  }
}

// Piped into `head`, stdout closes early: that is the reader's choice, not an error worth a stack trace, and no
// reason to stop half-way. Grading goes on (what it writes is dropped), everything it started is stopped, and
// the exit code still tells the verdict.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})
const exitCode = await main(process.argv.slice(2))
await whenInterrupted()
await runAllCleanups()
process.exitCode = exitCode
// Whatever a broker library left scheduled (aedes timers, Testcontainers sockets), the command is done.
process.exit(exitCode)
