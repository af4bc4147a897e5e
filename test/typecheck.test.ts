import { execFile } from 'node:child_process'
import path from 'node:path'
import { expect, it } from 'vitest'
import { courseRoot } from './support/run-cli.ts'

// `npm test` is the one command CI runs: it includes `npm run check`, so a type error anywhere fails CI.
it('the whole course type-checks (npm run check)', async () => {
  const tsc = path.join(courseRoot, 'node_modules/.bin/tsc')
  const result = await new Promise<{ code: number | null; output: string }>((resolve) =>
    execFile(tsc, ['--noEmit', '-p', 'tsconfig.json'], { cwd: courseRoot }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code as number) : 0, output: stdout + stderr }),
    ),
  )
  expect(result.output).toBe('')
  expect(result.code).toBe(0)
})
