import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const courseRoot = fileURLToPath(new URL('../../', import.meta.url))

export interface CliResult {
  exitCode: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the course's command line the way `npm run <command>` does (the pinned Node, from the course root),
 * with a deadline: a hung grader fails the test instead of hanging it.
 */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; wrap?: string[]; root?: string } = {},
): Promise<CliResult> {
  // `root`: which copy of the course to run (test/support/course-copy.ts); it is also where the command runs.
  const root = options.root ?? courseRoot
  const command = [...(options.wrap ?? []), process.execPath, path.join(root, 'grader/cli/main.js'), ...args]
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: options.cwd ?? root,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `mqtt-course ${args.join(' ')} did not finish within ${options.timeoutMs ?? 90_000} ms\n${stdout}\n${stderr}`,
        ),
      )
    }, options.timeoutMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (exitCode) => {
      clearTimeout(timer)
      resolve({ exitCode, stdout, stderr })
    })
  })
}
