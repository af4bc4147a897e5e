import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { classroomReporter as reporter } from '../support/classroom-reporter.ts'
import { runCli } from '../support/run-cli.ts'
import { tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

describe("--format classroom, read by GitHub Classroom's own reporter logic", () => {
  it('sends Classroom the points the grader gave, prints a line for each failed check, and no "line undefined"', async () => {
    const dir = tempDir('classroom')
    writeEchoesOnlyFirst(path.join(dir, 'exercises/ex1-hello-mqtt/starter'))
    const output = path.join(dir, 'github-output')
    writeFileSync(output, '')
    // ex1 with one mistake (3 of 5), ex2 not there: an exercise that could not be graded.
    const grade = await runCli(
      ['grade', 'ex1', 'ex2', '--dir', '.', '--broker', 'embedded', '--seed', '21', '--format', 'classroom'],
      { cwd: dir, env: { GITHUB_OUTPUT: output } },
    )
    expect(grade.exitCode).toBe(2)
    const value = /^result=(.+)$/m.exec(readFileSync(output, 'utf8'))![1]
    // The workflow passes the grade step's output as GRADE_RESULTS, with runners: grade.
    const runnerResults = reporter.read('grade', { GRADE_RESULTS: value })
    const results = runnerResults[0].results
    expect(reporter.notify(runnerResults)).toEqual({ totalPoints: 3, maxPoints: 5 + 10 })
    expect(reporter.isFailed(runnerResults)).toBe(true)
    // Every field the reporter and the command grader's shape name, on every test.
    for (const test of results.tests)
      expect(Object.keys(test).sort()).toEqual([
        'duration',
        'filename',
        'line_no',
        'message',
        'name',
        'score',
        'status',
        'test_code',
      ])
    const lines = reporter.consoleLines(results)
    expect(lines.join('\n')).not.toContain('undefined')
    const source = readFileSync(path.join(dir, 'exercises/ex1-hello-mqtt/starter/main.ts'), 'utf8').split('\n')
    const failed = lines.find((line) => line.startsWith('❌ ex1 › '))!
    const lineNo = Number(/ - line (\d+)$/.exec(failed)![1])
    expect(source[lineNo - 1]).toMatch(/\.publish(Async)?\(/)
    expect(lines).toContain('Test code:\nnpm run grade -- ex1 --seed 21')
    expect(lines.filter((line) => line.startsWith('✅ ex1 › ')).every((line) => !line.includes(' - line '))).toBe(true)
    expect(lines.some((line) => line.startsWith('Error: no submission for ex2'))).toBe(true)
    expect(results.tests.find((test) => test.status === 'fail')).toMatchObject({
      filename: 'exercises/ex1-hello-mqtt/starter/main.ts',
      line_no: lineNo,
    })
  })
})
