import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

/**
 * Issue 22, point 1: a repository is graded as of the deadline, from its commit before it, never changing the
 * student's tree; --late grades the latest commit too, with the penalty; a folder without git is said to be
 * graded as it is.
 */
const due = '2026-03-01T23:59:00+01:00'
const at = (offsetHours: number) => new Date(Date.parse(due) + offsetHours * 3_600_000).toISOString()

function commitAll(dir: string, message: string, when: string): string {
  const env = { ...process.env, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Student', '-c', 'user.email=student@example.edu', '-C', dir, ...args], {
      env,
      encoding: 'utf8',
    })
  git('add', '-A')
  git('commit', '-q', '-m', message)
  return git('rev-parse', 'HEAD').trim()
}

function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

describe('batch --due and --late: grading a repository as of its deadline', () => {
  const root = tempDir('deadlines')
  const cohort = path.join(root, 'cohort')
  const ana = path.join(cohort, 'ana')
  const ben = path.join(cohort, 'ben')
  let anaOnTime = ''
  let anaLate = ''
  let anaBefore: { files: string[]; main: string; status: string }

  beforeAll(() => {
    // ana: echoes only the first message before the deadline (3/5), fixes it 30 h late (5/5), then breaks her
    // working tree without committing.
    writeEchoesOnlyFirst(path.join(ana, 'ex1'))
    execFileSync('git', ['init', '-q', '-b', 'main', ana])
    anaOnTime = commitAll(ana, 'first try', at(-2))
    copyVariant('ex1-hello-mqtt', 'solution', path.join(ana, 'ex1'))
    anaLate = commitAll(ana, 'fixed', at(30))
    writeFileSync(path.join(ana, 'ex1', 'main.ts'), 'throw new Error("half-typed")\n')
    anaBefore = {
      files: tree(ana),
      main: readFileSync(path.join(ana, 'ex1', 'main.ts'), 'utf8'),
      status: execFileSync('git', ['-C', ana, 'status', '--porcelain'], { encoding: 'utf8' }),
    }
    // ben: his only commit is 5 days late.
    copyVariant('ex1-hello-mqtt', 'solution', path.join(ben, 'ex1'))
    execFileSync('git', ['init', '-q', '-b', 'main', ben])
    commitAll(ben, 'everything', at(5 * 24))
    // cy: a plain folder, no history.
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'cy', 'ex1'))
  })

  const batch = (out: string, ...args: string[]) =>
    runCli(
      [
        'batch',
        cohort,
        '--out',
        path.join(root, out),
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--seed',
        '2203',
        '--due',
        due,
        ...args,
      ],
      { timeoutMs: 240_000 },
    )
  const gradebook = (out: string) =>
    parse(readFileSync(path.join(root, out, 'gradebook.csv'), 'utf8'), { columns: true }) as Record<string, string>[]
  const result = (out: string, student: string) =>
    JSON.parse(readFileSync(path.join(root, out, student, 'result.json'), 'utf8'))

  it("grades the last commit before --due, records it, and leaves the student's folder as it was", async () => {
    const run = await batch('on-time')
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const rows = gradebook('on-time')
    expect(rows.map((row) => [row.student, row.ex1, row.commit, row.committed])).toEqual([
      ['ana', '3', anaOnTime.slice(0, 12), expect.stringMatching(/^2026-03-01T2[0-9]:59:00/)],
      ['ben', '0', '', ''],
      ['cy', '5', '', ''],
    ])
    expect(rows[1].errors).toContain(`no commit before the deadline ${due}`)
    const anaResult = result('on-time', 'ana')
    expect(anaResult.git).toMatchObject({ counted: 'on time', onTime: { commit: anaOnTime, points: 3 } })
    expect(anaResult.notes.join('\n')).toContain('commits after the deadline (the latest')
    expect(anaResult.exercises[0].source).toBe(`ana/@${anaOnTime.slice(0, 12)}/ex1`)
    expect(result('on-time', 'cy').notes[0]).toMatch(
      /^not a git repository: graded as it is\. File times are not trusted/,
    )
    // Nothing of ana's changed: files, her uncommitted edit, git's view of it, no worktree added.
    expect(tree(ana)).toEqual(anaBefore.files)
    expect(readFileSync(path.join(ana, 'ex1', 'main.ts'), 'utf8')).toBe(anaBefore.main)
    expect(execFileSync('git', ['-C', ana, 'status', '--porcelain'], { encoding: 'utf8' })).toBe(anaBefore.status)
    expect(execFileSync('git', ['-C', ana, 'worktree', 'list'], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(
      1,
    )
  })

  it('--late grades the latest commit too, with the penalty, and counts the better', async () => {
    const run = await batch('late', '--late', '10%/day,max 3d')
    expect(run.exitCode, run.stdout + run.stderr).toBe(0)
    const rows = gradebook('late')
    // ana: 5 points 30 h late = 2 started days = 20 % off: 4 > 3 on time.
    expect(rows[0]).toMatchObject({
      student: 'ana',
      ex1: '4',
      total: '4',
      commit: anaLate.slice(0, 12),
      late: `${anaLate.slice(0, 12)} at ${result('late', 'ana').git.late.committedAt}: 5 − 20% = 4 (counted)`,
    })
    expect(result('late', 'ana').git).toMatchObject({
      counted: 'late',
      onTime: { points: 3 },
      late: { gradedPoints: 5, penaltyPercent: 20, points: 4, isAccepted: true },
    })
    // ben: 5 days late is more than 3: not accepted, nothing counted.
    expect(rows[1]).toMatchObject({ student: 'ben', ex1: '0' })
    expect(rows[1].late).toContain('not accepted (10%/day,max 3d)')
    expect(rows[1].errors).toContain('later than --late 10%/day,max 3d accepts')
  })

  it.each([
    [['--due', 'tomorrow'], '--due tomorrow is not a deadline: expected an ISO 8601 time with its time zone'],
    [['--due', '2026-03-01T23:59'], '--due 2026-03-01T23:59 is not a deadline'],
    [['--late', '10%/day'], '--late needs --due'],
    [['--due', due, '--late', '10 per day'], '--late 10 per day is not a late policy'],
  ])('bad input %j is exit 2 before grading', async (args, message) => {
    const out = path.join(root, 'never')
    const run = await runCli(['batch', cohort, '--out', out, '--exercises', 'ex1', ...args])
    expect(run.exitCode).toBe(2)
    expect(run.stderr).toContain(message)
    rmSync(out, { recursive: true, force: true })
  })
})
