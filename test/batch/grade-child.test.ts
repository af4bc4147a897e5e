import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { runGradeChild } from '../../grader/batch/grade-child.ts'

/** The live (not zombie) processes of group `pgid`, once SIGKILL has had its effect (it is delivered asynchronously). */
async function groupMembers(pgid: number): Promise<number[]> {
  const startedAt = performance.now()
  let members = liveMembers(pgid)
  while (members.length > 0 && performance.now() - startedAt < 5_000) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    members = liveMembers(pgid)
  }
  return members
}

function liveMembers(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        return Number(fields[2]) === pgid && fields[0] !== 'Z'
      } catch {
        return false
      }
    })
    .map(Number)
}

// A stand-in for a grade that will not stop: it ignores SIGTERM, and starts a child in its group that does too.
const stubborn = `
const { spawn } = require('node:child_process')
process.on('SIGTERM', () => {})
const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' })
console.log(JSON.stringify({ pid: process.pid, child: child.pid }))
setInterval(() => {}, 1000)
`

describe('runGradeChild: one grade, its own process group and deadline', () => {
  it('past its deadline asks with SIGTERM, then kills the whole group after the grace period', async () => {
    const exit = await runGradeChild({ args: ['-e', stubborn], cwd: process.cwd(), env: process.env, deadlineMs: 1_000, graceMs: 500 })
    expect(exit.stoppedBecause).toBe('deadline')
    expect(exit.signal).toBe('SIGKILL')
    const { pid } = JSON.parse(exit.stdout) as { pid: number; child: number }
    expect(await groupMembers(pid)).toEqual([])
  })

  it('a grade that ends on its own is not stopped, and its output is whole', async () => {
    const exit = await runGradeChild({ args: ['-e', "process.stdout.write('x'.repeat(1_000_000)); process.exitCode = 1"], cwd: process.cwd(), env: process.env, deadlineMs: 30_000 })
    expect(exit).toMatchObject({ exitCode: 1, isStdoutOverflowing: false })
    expect(exit.stoppedBecause).toBeUndefined()
    expect(exit.stdout).toHaveLength(1_000_000)
  })

  it('whatever the leader leaves running in its group when it exits is killed', async () => {
    const exit = await runGradeChild({
      args: ['-e', "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log(process.pid); c.unref(); process.exit(0)"],
      cwd: process.cwd(),
      env: process.env,
      deadlineMs: 30_000,
    })
    expect(exit.exitCode).toBe(0)
    const pgid = Number(exit.stdout.trim())
    expect(await groupMembers(pgid)).toEqual([])
  })
})
