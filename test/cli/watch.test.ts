import { spawn } from 'node:child_process'
import { copyFileSync, cpSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect, it } from 'vitest'
import { courseRoot } from '../support/run-cli.ts'

it('npm run watch grades, then grades again when a file is saved, until Ctrl-C', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-watch-'))
  cpSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/starter'), dir, { recursive: true })
  const watcher = spawn(process.execPath, [path.join(courseRoot, 'grader/cli/main.js'), 'watch', 'ex1', '--dir', dir, '--broker', 'embedded'], { cwd: courseRoot })
  let output = ''
  const seen = (pattern: RegExp, after = 0) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${output}`)), 60_000)
      const check = () => {
        if (pattern.test(output.slice(after))) {
          clearTimeout(timer)
          watcher.stdout.off('data', check)
          resolve()
        }
      }
      watcher.stdout.on('data', check)
      check()
    })
  watcher.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
  try {
    await seen(/\[watch\] waiting for changes/)
    expect(output).toContain('✗ connects')
    const mark = output.length
    copyFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'), path.join(dir, 'main.ts'))
    await seen(/All checks passed: 5\/5 points/, mark)
    expect(output.slice(mark)).toMatch(/\[watch\] .*main\.ts changed: grading again/)
  } finally {
    watcher.kill('SIGINT')
  }
  expect(await new Promise((resolve) => watcher.on('exit', resolve))).toBe(0)
}, 120_000)
