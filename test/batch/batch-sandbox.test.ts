import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
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
  it('--sandbox bwrap without bubblewrap refuses before grading anything (exit 2) and says how to go on', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-cohort-'))
    folders.push(root)
    const cohort = path.join(root, 'cohort')
    mkdirSync(path.join(cohort, 'alice', 'ex1'), { recursive: true })
    const out = path.join(root, 'reports')
    const result = await runCli(['batch', cohort, '--out', out, '--sandbox', 'bwrap'], {
      env: { PATH: path.dirname(process.execPath) },
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(result.stderr).toContain('error: --sandbox bwrap needs bubblewrap')
    // Root has another way (a uid per grade); a plain user is told how to get bubblewrap going, or to go without.
    expect(result.stderr).toContain(process.getuid?.() === 0 ? '--sandbox uid' : '--sandbox none')
    expect(existsSync(path.join(out, 'gradebook.csv'))).toBe(false)
  })
})
