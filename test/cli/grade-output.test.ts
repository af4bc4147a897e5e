import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { startPlaygroundBroker } from '../../grader/broker/playground-broker.ts'
import { gradeReportSchema } from '../../grader/report/result.ts'
import { listExerciseFolders } from '../../grader/exercises/load-exercises.ts'
import { listMutants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'

const tempDir = (name: string) => mkdtempSync(path.join(os.tmpdir(), `mqtt-course-${name}-`))
const ex1Dir = path.join(courseRoot, 'exercises/ex1-hello-mqtt')
/** An ex1 mutant made real in a temporary folder (mutants are patches against the solution). */
const ex1Mutant = (name: string) =>
  materializeMutant(ex1Dir, listMutants(ex1Dir).find((mutant) => mutant.name === name)!)

describe('npm run grade: what it prints and writes', () => {
  it('--json prints one document of the versioned schema; exit 0 when every check passed', async () => {
    const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'embedded', '--json'])
    expect(result.exitCode).toBe(0)
    const report = gradeReportSchema.parse(JSON.parse(result.stdout))
    expect(report.schemaVersion).toBe(2)
    expect(report.status).toBe('passed')
    expect(report.exercises[0]).toMatchObject({
      id: 'ex1',
      status: 'passed',
      source: 'solution',
      points: 5,
      maxPoints: 5,
    })
    expect(report.exercises[0].checks.map((check) => [check.id, check.status])).toEqual([
      ['types', 'passed'],
      ['connects', 'passed'],
      ['subscribes', 'passed'],
      ['says-hello', 'passed'],
      ['echoes', 'passed'],
      ['settles', 'passed'],
    ])
  })

  it('--seed reproduces the randomised inputs, so failure messages repeat word for word (exit 1)', async () => {
    using made = ex1Mutant('hello-without-client-id')
    const mutant = made.dir
    const run = async () => {
      const result = await runCli(['grade', 'ex1', '--dir', mutant, '--broker', 'embedded', '--seed', '4242', '--json'])
      expect(result.exitCode).toBe(1)
      return gradeReportSchema.parse(JSON.parse(result.stdout))
    }
    const [first, second] = [await run(), await run()]
    const failed = (report: typeof first) => report.exercises[0].checks.find((check) => check.status === 'failed')!
    expect(failed(first).id).toBe('says-hello')
    expect(failed(first).message).toBe(failed(second).message)
    expect(failed(first).message).toMatch(
      /^The grader did not receive "hello from student-[0-9a-f]{4}" on course\/[a-z]+-[0-9a-f]{4}\/hello within 5 s\.$/,
    )
    expect(first.seed).toBe(4242)
  })

  it('prints the seed and the command that repeats a failed run', async () => {
    using made = ex1Mutant('hello-without-client-id')
    const mutant = made.dir
    const result = await runCli(['grade', 'ex1', '--dir', mutant, '--broker', 'embedded', '--seed', '77'])
    expect(result.stdout).toContain(
      `Same inputs again: npm run grade -- ex1 --seed 77 --dir ${mutant} --broker embedded`,
    )
  })

  it('--junit writes one testsuite per exercise and one testcase per check, failures with their message', async () => {
    const file = path.join(tempDir('junit'), 'reports/junit.xml')
    using made = ex1Mutant('echoes-only-first')
    const mutant = made.dir
    const result = await runCli(['grade', 'ex1', '--dir', mutant, '--broker', 'embedded', '--junit', file])
    expect(result.exitCode).toBe(1)
    const xml = readFileSync(file, 'utf8')
    // types, the four checks, and settles (skipped: it runs only when the others passed).
    expect(xml).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="mqtt-course" tests="6" failures="1" errors="0" skipped="1"/,
    )
    expect(xml).toContain('<testsuite name="ex1 Hello, broker" tests="6" failures="1"')
    expect(xml.match(/<testcase /g)).toHaveLength(6)
    expect(xml).toMatch(
      /<testcase classname="ex1" name="echoes: [^"]+" time="[\d.]+">\n\s+<failure message="The grader did not receive &quot;/,
    )
    expect(xml.match(/<testsuite /g)).toHaveLength(xml.match(/<\/testsuite>/g)!.length)
    if (hasXmllint()) execFileSync('xmllint', ['--noout', file])
  })

  it('--cmd grades a program in another language: only the wire counts', async () => {
    const dir = tempDir('cmd')
    // A JavaScript project of its own would have node_modules; this one borrows the course's.
    symlinkSync(path.join(courseRoot, 'node_modules'), path.join(dir, 'node_modules'))
    // ex1 in plain JavaScript, run by a command the grader knows nothing about.
    writeFileSync(
      path.join(dir, 'echo.mjs'),
      [
        "import mqtt from 'mqtt'",
        'const { MQTT_URL, CLIENT_ID, TOPIC_PREFIX } = process.env',
        'const client = mqtt.connect(MQTT_URL, { clientId: CLIENT_ID })',
        "client.on('connect', async () => {",
        '  await client.subscribeAsync(`${TOPIC_PREFIX}/inbox`)',
        '  client.publish(`${TOPIC_PREFIX}/hello`, `hello from ${CLIENT_ID}`)',
        '})',
        "client.on('message', (topic, payload) => client.publish(`${TOPIC_PREFIX}/echo`, payload))",
      ].join('\n'),
    )
    const result = await runCli([
      'grade',
      'ex1',
      '--dir',
      dir,
      '--cmd',
      `${process.execPath} echo.mjs`,
      '--broker',
      'embedded',
      '--json',
    ])
    const report = gradeReportSchema.parse(JSON.parse(result.stdout))
    expect(report.exercises[0].checks.map((check) => check.id)).not.toContain('compiles')
    expect(report.exercises[0].status, JSON.stringify(report.exercises[0].checks, null, 2)).toBe('passed')
    expect(result.exitCode).toBe(0)
  })

  it('--broker mqtt://host:port grades against a broker the user runs', async () => {
    await using broker = await startPlaygroundBroker({ port: 0, wsPort: 0 })
    const result = await runCli(['grade', 'ex1', '--solution', '--broker', `mqtt://127.0.0.1:${broker.port}`, '--json'])
    const report = gradeReportSchema.parse(JSON.parse(result.stdout))
    expect(report.exercises[0].broker).toBe(`mqtt://127.0.0.1:${broker.port} (your broker)`)
    expect(report.exercises[0].status).toBe('passed')
    expect(result.exitCode).toBe(0)
  })

  it('--dir accepts a folder laid out like exercises/, and one exercise folder', async () => {
    const cohort = tempDir('cohort')
    cpSync(
      path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution'),
      path.join(cohort, 'alice/ex1-hello-mqtt/starter'),
      { recursive: true },
    )
    const mirrored = await runCli([
      'grade',
      'ex1',
      '--dir',
      path.join(cohort, 'alice'),
      '--broker',
      'embedded',
      '--json',
    ])
    expect(JSON.parse(mirrored.stdout).exercises[0]).toMatchObject({
      status: 'passed',
      source: path.join(cohort, 'alice/ex1-hello-mqtt/starter'),
    })
    const single = await runCli([
      'grade',
      '--dir',
      path.join(cohort, 'alice/ex1-hello-mqtt'),
      '--broker',
      'embedded',
      '--json',
    ])
    expect(JSON.parse(single.stdout).exercises[0]).toMatchObject({ id: 'ex1', status: 'passed' })
  })

  it('--dir accepts a symlink to a folder, and a cohort whose exercise folder is a symlink (issue 20)', async () => {
    const cohort = tempDir('symlinked')
    cpSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution'), path.join(cohort, 'real/starter'), {
      recursive: true,
    })
    symlinkSync(path.join(cohort, 'real'), path.join(cohort, 'link'))
    const linked = await runCli(['grade', 'ex1', '--dir', path.join(cohort, 'link'), '--broker', 'embedded', '--json'])
    expect(linked.exitCode, linked.stderr).toBe(0)
    expect(JSON.parse(linked.stdout).exercises[0]).toMatchObject({ status: 'passed' })
    mkdirSync(path.join(cohort, 'bob'))
    symlinkSync(path.join(cohort, 'real'), path.join(cohort, 'bob/ex1-hello-mqtt'))
    const mirrored = await runCli(['grade', 'ex1', '--dir', path.join(cohort, 'bob'), '--broker', 'embedded', '--json'])
    expect(mirrored.exitCode, mirrored.stderr).toBe(0)
  })
})

describe('npm run grade -- --all', () => {
  it('passes with every reference solution, each on a broker that can run it (exit 0)', async () => {
    const result = await runCli(['grade', '--all', '--solution', '--json'], { timeoutMs: 300_000 })
    const report = gradeReportSchema.parse(JSON.parse(result.stdout))
    const failing = report.exercises
      .filter((exercise) => exercise.status !== 'passed')
      .map((e) => `${e.id}: ${e.error?.message ?? e.checks.find((c) => c.status !== 'passed')?.message}`)
    expect(failing).toEqual([])
    expect(report.exercises.map((exercise) => exercise.id)).toEqual(listExerciseFolders().map((folder) => folder.id))
    expect(report.points).toBe(report.maxPoints)
    expect(result.exitCode).toBe(0)
  })

  it('fails with every starter, each with a first failure that says what to do (exit 1)', async () => {
    const result = await runCli(['grade', '--all', '--json'], { timeoutMs: 300_000 })
    const report = gradeReportSchema.parse(JSON.parse(result.stdout))
    for (const exercise of report.exercises) {
      expect(exercise.status, exercise.id).toBe('failed')
      const first = exercise.checks.find((check) => check.status !== 'passed')!
      expect(first.status, `${exercise.id}: ${first.id}`).toBe('failed')
      expect(first.message!.length, `${exercise.id}: ${first.id}`).toBeGreaterThan(40)
    }
    expect(result.exitCode).toBe(1)
  }, 300_000)
})

function hasXmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
