import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { OutputWaiter } from '../test/support/output-waiter.ts'

/**
 * From a save to the verdict on screen, as `npm run watch -- ex1` shows it: the watch is started on a copy of
 * ex1's solution, then the file is saved `saves` times (a changed comment each time, so nothing is cached by
 * content) and each time the clock runs from the write until "All checks passed" is printed.
 */
export async function measureWatchLatency(courseRoot: string, broker: string, saves: number): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-bench-watch-'))
  const solution = path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts')
  cpSync(solution, path.join(dir, 'main.ts'))
  const child = spawn(
    process.execPath,
    [path.join(courseRoot, 'grader/cli/main.js'), 'watch', 'ex1', '--dir', dir, '--broker', broker],
    {
      cwd: courseRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  )
  const output = new OutputWaiter()
  child.stdout.setEncoding('utf8').on('data', (text: string) => output.push(text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => output.push(text))
  try {
    await output.waitFor(/All checks passed/)
    await output.waitFor(/\[watch\] waiting/)
    const times: number[] = []
    for (let save = 0; save < saves; save++) {
      const mark = output.mark
      const startedAt = performance.now()
      writeFileSync(path.join(dir, 'main.ts'), `${readFileSync(solution, 'utf8')}\n// save ${save}\n`)
      await output.waitFor(/All checks passed/, mark)
      times.push(performance.now() - startedAt)
      await output.waitFor(/\[watch\] waiting/, mark)
    }
    return times
  } finally {
    child.kill('SIGINT')
    await new Promise((resolve) => child.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The cold way, for comparison: each save graded by a fresh `grade` process (a new broker, a fresh tsc on the
 * changed file), which is what watch cost per save before it stayed warm (it then also waited 150 ms for the
 * save to settle, and saved Node's start-up by grading in its own process: about even).
 */
export async function measureColdRegrade(courseRoot: string, broker: string, saves: number): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-bench-cold-'))
  const solution = readFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'), 'utf8')
  try {
    const times: number[] = []
    for (let save = 0; save < saves; save++) {
      writeFileSync(path.join(dir, 'main.ts'), `${solution}\n// cold save ${Date.now()} ${save}\n`)
      const startedAt = performance.now()
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [path.join(courseRoot, 'grader/cli/main.js'), 'grade', 'ex1', '--dir', dir, '--broker', broker, '--json'],
          { cwd: courseRoot, stdio: 'ignore' },
        )
        child.on('exit', resolve)
      })
      if (code !== 0) throw new Error(`grade ex1 --dir ${dir} exited with ${code}`)
      times.push(performance.now() - startedAt)
    }
    return times
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
