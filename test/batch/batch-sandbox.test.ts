import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/run-cli.ts'

/** A cohort's programs run next to the instructor's CI secrets: batch needs the sandbox unless told otherwise. */
const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

describe('npm run batch and the sandbox', () => {
  it('without bubblewrap, refuses before grading anything (exit 2) and says how to go on', async () => {
    const cohort = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-cohort-'))
    const out = path.join(cohort, 'reports')
    folders.push(cohort)
    const result = await runCli(['batch', cohort, '--out', out], { env: { PATH: path.dirname(process.execPath) } })
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(result.stderr).toContain('error: --sandbox bwrap needs bubblewrap')
    expect(result.stderr).toContain('--sandbox none')
  })
})
