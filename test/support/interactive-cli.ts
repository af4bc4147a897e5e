import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import path from 'node:path'
import { OutputWaiter } from './output-waiter.ts'

export interface InteractiveCli {
  output: OutputWaiter
  /** Keys as typed: on a terminal each character is one key press. */
  type(keys: string): void
  exitCode: Promise<number | null>
  kill(signal?: NodeJS.Signals): void
}

/**
 * Starts the course's command line the way a student does, either in a pseudo-terminal (util-linux script(1):
 * stdin and stdout are a TTY, keys arrive one by one in raw mode) or on plain pipes (no terminal), and
 * collects what it prints. `root` is the course folder to run from.
 */
export function startCli(
  root: string,
  args: readonly string[],
  options: { isTerminal: boolean; env?: NodeJS.ProcessEnv },
): InteractiveCli {
  const command = [process.execPath, path.join(root, 'grader/cli/main.js'), ...args]
  const env = { ...process.env, NO_COLOR: '1', ...options.env }
  const child: ChildProcessWithoutNullStreams = options.isTerminal
    ? spawn('script', ['--quiet', '--return', '--command', command.map(shellQuote).join(' '), '/dev/null'], {
        cwd: root,
        env: { ...env, TERM: 'xterm' },
      })
    : spawn(command[0], command.slice(1), { cwd: root, env })
  const output = new OutputWaiter()
  child.stdout.setEncoding('utf8').on('data', (text: string) => output.push(text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => output.push(text))
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    output,
    type: (keys) => child.stdin.write(keys),
    exitCode,
    kill: (signal = 'SIGTERM') => child.kill(signal),
  }
}

function shellQuote(value: string): string {
  return /^[\w./:=@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}
