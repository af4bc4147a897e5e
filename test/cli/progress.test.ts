import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { copyCourse } from '../support/course-copy.ts'
import { runCli } from '../support/run-cli.ts'

// A course of its own: these tests grade the starters in place and keep progress, as a student does.
const course = copyCourse({ isGit: true })
afterAll(() => course.remove())
const cli = (...args: string[]) => runCli(args, { root: course.root })
const stateDir = path.join(course.root, '.mqtt-course')
const stateFile = path.join(stateDir, 'progress.json')
const starter = (exercise: string, file = 'main.ts') => path.join(course.root, 'exercises', exercise, 'starter', file)
const solution = (exercise: string, file = 'main.ts') => path.join(course.root, 'exercises', exercise, 'solution', file)
const exercises = await loadAllExercises()
const total = exercises.reduce((sum, exercise) => sum + exercise.points, 0)
const listLine = (stdout: string, id: string) => stdout.split('\n').find((line) => line.includes(` ${id} `)) ?? ''

describe("progress: list, grade and hint, in one course folder (the order of these tests is the student's)", () => {
  it('a fresh course: list marks every exercise not started, 0 points, and names ex1 as next', async () => {
    const result = await cli('list')
    expect(result.exitCode).toBe(0)
    expect(listLine(result.stdout, 'ex1')).toMatch(/^ {2}· ex1 +Hello, broker +5 points$/)
    expect(result.stdout).toContain(`0/${total} points, 0 of ${exercises.length} exercises passed`)
    expect(result.stdout).toContain('Next: ex1 Hello, broker: npm run watch -- ex1')
    expect(existsSync(stateFile)).toBe(false)
  })

  it('grading the starter records a try; grading the solution or another folder records nothing', async () => {
    expect((await cli('grade', 'ex1', '--broker', 'embedded')).exitCode).toBe(1)
    expect((await cli('grade', 'ex2', '--solution', '--broker', 'embedded')).exitCode).toBe(0)
    expect(
      (await cli('grade', 'ex2', '--dir', path.dirname(solution('ex2-topic-wildcards')), '--broker', 'embedded'))
        .exitCode,
    ).toBe(0)
    const list = (await cli('list')).stdout
    expect(listLine(list, 'ex1')).toMatch(/^ {2}✗ ex1 +Hello, broker +best 0\/5$/)
    expect(listLine(list, 'ex2')).toMatch(/^ {2}· ex2 /)
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({
      version: 1,
      exercises: { 'hello-mqtt': { bestPoints: 0 } },
    })
  })

  it('a pass is recorded with its points, the total counts it, and next moves on; a later worse run keeps the best', async () => {
    const original = readFileSync(starter('ex1-hello-mqtt'), 'utf8')
    copyFileSync(solution('ex1-hello-mqtt'), starter('ex1-hello-mqtt'))
    expect((await cli('grade', 'ex1', '--broker', 'embedded')).exitCode).toBe(0)
    writeFileSync(starter('ex1-hello-mqtt'), original)
    expect((await cli('grade', 'ex1', '--broker', 'embedded')).exitCode).toBe(1)
    const list = (await cli('list')).stdout
    expect(listLine(list, 'ex1')).toMatch(/^ {2}✓ ex1 +Hello, broker +5\/5$/)
    expect(list).toContain(`5/${total} points, 1 of ${exercises.length} exercises passed`)
    expect(list).toContain('Next: ex2 Topic wildcards: npm run watch -- ex2')
    // The file is written whole, by rename: no temporary file is left behind.
    expect(readdirSync(stateDir).filter((name) => name !== 'backups')).toEqual(['progress.json'])
  })

  it('grade --all records every exercise it graded, concurrently, without losing one', async () => {
    const result = await cli('grade', '--all')
    expect(result.exitCode).toBe(1)
    const progress = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      exercises: Record<string, { bestPoints?: number; passed?: boolean }>
    }
    expect(Object.keys(progress.exercises).sort()).toEqual(exercises.map((exercise) => exercise.slug).sort())
    expect(progress.exercises['hello-mqtt']).toEqual({ bestPoints: 5, passed: true })
  })

  it('hint shows one hint at a time and remembers; past the last it says so; --all shows every one', async () => {
    const first = await cli('hint', 'ex3')
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toMatch(/^Hint 1 of (\d+) for ex3: Quality of Service\n/)
    const count = Number(/^Hint 1 of (\d+)/.exec(first.stdout)![1])
    expect(first.stdout).not.toMatch(/^2\. /m)
    for (let shown = 2; shown <= count; shown++)
      expect((await cli('hint', 'qos')).stdout).toMatch(new RegExp(`^Hint ${shown} of ${count} for ex3`))
    const past = await cli('hint', 'ex3')
    expect(past.stdout).toMatch(new RegExp(`^You have seen all ${count} hints for ex3`))
    expect(past.stdout).toMatch(new RegExp(`^${count}\\. `, 'm'))
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).exercises.qos.hintsShown).toBe(count)
    // Without an exercise: the next one to do (ex1 passed above).
    expect((await cli('hint')).stdout).toMatch(/^Hint 1 of \d+ for ex2: Topic wildcards\n/)
    const all = await cli('hint', 'ex4', '--all')
    expect(all.stdout).toMatch(/^Hints for ex4: Retained device state/)
    expect(all.stdout).toMatch(/^1\. /m)
    expect(all.stdout).toMatch(/^2\. /m)
  })

  it('hint and list say what to do about bad input, exit 2', async () => {
    for (const args of [
      ['hint', 'ex42'],
      ['hint', 'ex1', 'ex2'],
      ['hint', 'ex1', '--every'],
      ['list', 'ex1'],
    ]) {
      const result = await cli(...args)
      expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode: 2 })
      expect(result.stderr).toMatch(/^error: .+\n {2}what to do: .+/)
      expect(result.stdout).toBe('')
    }
  })

  it('an unreadable progress file is set aside, not lost, and progress starts afresh', async () => {
    writeFileSync(stateFile, '{"version": 1, "exercises": {"hello-mqtt": {"bestPoints": "lots"}}}')
    const result = await cli('list')
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toMatch(/could not be read; kept as \.mqtt-course\/progress\.json\.unreadable-\d+/)
    expect(readdirSync(stateDir).some((name) => name.startsWith('progress.json.unreadable-'))).toBe(true)
    expect(result.stdout).toContain(`0/${total} points`)
  })
})

describe('reset', () => {
  const ex5 = 'ex5-last-will'
  const shipped = () => readFileSync(path.join(course.root, 'exercises', ex5, 'starter/main.ts'), 'utf8')

  it('bad input and a missing --yes off a terminal exit 2 and change nothing', async () => {
    writeFileSync(starter(ex5), '// my work\n')
    writeFileSync(starter(ex5, 'helper.ts'), '// more of my work\n')
    for (const [args, message] of [
      [['reset'], /say which exercise to reset/],
      [['reset', 'ex99'], /there is no exercise "ex99"/],
      [['reset', 'ex1', 'ex2'], /reset one exercise at a time/],
      [['reset', 'ex5', '--force'], /unknown option --force\n/],
      [['reset', 'ex5'], /reset replaces your work in exercises\/ex5-last-will\/starter: confirm with --yes/],
    ] as const) {
      const result = await cli(...args)
      expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode: 2 })
      expect(result.stderr).toMatch(message)
      expect(result.stderr).toMatch(/what to do: /)
    }
    expect(shipped()).toBe('// my work\n')
    expect(existsSync(path.join(stateDir, 'backups'))).toBe(false)
  })

  it('--yes moves the work (every file) to a timestamped backup and restores the starter as shipped', async () => {
    const result = await cli('reset', 'ex5', '--yes')
    expect(result.exitCode).toBe(0)
    const backup = /Your work is in (\.mqtt-course\/backups\/\d{4}-\d\d-\d\dT[\d-]+Z\/ex5-last-will\/starter)/.exec(
      result.stdout,
    )![1]
    expect(readFileSync(path.join(course.root, backup, 'main.ts'), 'utf8')).toBe('// my work\n')
    expect(readFileSync(path.join(course.root, backup, 'helper.ts'), 'utf8')).toBe('// more of my work\n')
    expect(shipped()).toContain('mqtt')
    expect(existsSync(starter(ex5, 'helper.ts'))).toBe(false)
    // The starter as shipped grades as a starter does: it runs, and fails.
    expect((await cli('grade', 'ex5', '--broker', 'embedded', '--json')).exitCode).toBe(1)
    const again = await cli('reset', 'ex5')
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toMatch(/already the starter as the course ships it: nothing to reset/)
  })

  it('a course folder that is not a git clone: exit 2, with what to do', async () => {
    const plain = copyCourse()
    try {
      writeFileSync(path.join(plain.root, 'exercises/ex1-hello-mqtt/starter/main.ts'), '// mine\n')
      const result = await runCli(['reset', 'ex1', '--yes'], {
        root: plain.root,
        env: { GIT_CEILING_DIRECTORIES: path.dirname(plain.root) },
      })
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toMatch(/reset takes the starter from the course's git history/)
      expect(result.stderr).toMatch(/what to do: reset needs the course as a git clone/)
      expect(readFileSync(path.join(plain.root, 'exercises/ex1-hello-mqtt/starter/main.ts'), 'utf8')).toBe('// mine\n')
    } finally {
      plain.remove()
    }
  })
})
