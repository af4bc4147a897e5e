import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { listMutants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { describeWithPython } from '../support/python-with-paho.ts'
import { runCli } from '../support/run-cli.ts'
import { exerciseDir, tempDir } from './cohort-fixtures.ts'

/**
 * Issue 22, point 5: a batch grades every language the grader runs. The entry file decides, per submission and
 * exercise: main.ts on the pinned Node, main.py with python3, others by --cmd-for; the result says which ran.
 */
describeWithPython('batch: the entry file decides the language', (python) => {
  it('grades a Python submission (8/8), a Python mistake (its one check fails) and a TypeScript one side by side, and records the command', async () => {
    const root = tempDir('languages')
    const cohort = path.join(root, 'cohort')
    const ex6 = exerciseDir('ex6-sensor-telemetry')
    cpSync(path.join(ex6, 'solution-python'), path.join(cohort, 'alice', 'ex6-sensor-telemetry'), { recursive: true })
    using mutant = materializeMutant(
      ex6,
      listMutants(ex6, 'mutants-python').find((candidate) => candidate.name === 'seq-starts-at-zero')!,
    )
    cpSync(mutant.dir, path.join(cohort, 'carol', 'ex6'), { recursive: true })
    cpSync(path.join(ex6, 'solution'), path.join(cohort, 'dave', 'ex6-sensor-telemetry'), { recursive: true })
    // A language with no command given: not graded, and the reason says what to add.
    mkdirSync(path.join(cohort, 'erin', 'ex6-sensor-telemetry'), { recursive: true })
    writeFileSync(path.join(cohort, 'erin', 'ex6-sensor-telemetry', 'main.rb'), 'puts "hi"\n')
    const out = path.join(root, 'out')
    // python3 on PATH is the default; a python3 without paho-mqtt first on PATH is the machine's, said by --cmd-for.
    const cmdFor = python === 'python3' ? [] : ['--cmd-for', `py=${python} {entry}`]
    const result = await runCli(
      ['batch', cohort, '--out', out, '--exercises', 'ex6', '--broker', 'embedded', '--seed', '22', ...cmdFor],
      { timeoutMs: 240_000 },
    )
    expect(result.exitCode, result.stdout + result.stderr).toBe(0)
    const exercise = (student: string) =>
      JSON.parse(readFileSync(path.join(out, student, 'result.json'), 'utf8')).exercises[0]
    const alice = exercise('alice')
    expect(alice).toMatchObject({
      status: 'passed',
      points: 8,
      program: { entry: 'main.py', command: `${python} main.py` },
    })
    expect(alice.programRuns[0].command).toBe(`${python} main.py`)
    const carol = exercise('carol')
    expect(carol.program.entry).toBe('main.py')
    expect(
      carol.checks
        .filter((check: { status: string }) => check.status === 'failed')
        .map((check: { id: string }) => check.id),
    ).toEqual(['publishes-telemetry'])
    const dave = exercise('dave')
    expect(dave).toMatchObject({ status: 'passed', points: 8, program: { entry: 'main.ts' } })
    expect(dave.program.command).toBeUndefined()
    expect(dave.program.description).toMatch(/^TypeScript \(main\.ts, pinned Node v\d+/)
    const gradebook = readFileSync(path.join(out, 'gradebook.csv'), 'utf8')
    expect(gradebook).toMatch(/^alice,8,8,8,$/m)
    expect(gradebook).toMatch(
      /^erin,0,0,8,.*holds main\.rb and no main\.ts.*add --cmd-for rb=""<command> {entry}"" to the batch/m,
    )
  })
})

describe('batch --cmd-for: bad input is refused before grading', () => {
  it.each([
    [['--cmd-for', 'python3 main.py'], '--cmd-for python3 main.py is not EXT=COMMAND'],
    [['--cmd-for', 'py='], '--cmd-for py= is not EXT=COMMAND'],
    [['--cmd-for', 'ts=node {entry}'], "TypeScript always runs on the course's pinned Node"],
  ])('%j → exit 2', async (args, message) => {
    const cohort = tempDir('languages-bad')
    mkdirSync(path.join(cohort, 'alice'))
    const result = await runCli(['batch', cohort, '--out', path.join(cohort, '..', 'never'), ...args])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(message)
  })
})
