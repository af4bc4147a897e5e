import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unpackZip } from '../../grader/exercises/unpack-zip.ts'
import { folderEntries, writeZip } from '../../grader/export/write-zip.ts'
import { copyVariant, tempDir } from '../batch/cohort-fixtures.ts'
import {
  debianImage,
  docker,
  dockerOk,
  hostCertificateOptions,
  namespaceOptions,
  removeLabelled,
  testLabel,
} from '../support/debian-container.ts'
import { type GradescopeResultsJson, gradescopeResultsSchema } from '../support/gradescope-spec.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'

/**
 * The Gradescope autograder, built by `npm run export -- gradescope` and run the way Gradescope runs it (its
 * specification, and the Dockerfile of its manual_docker sample): the zip extracted into /autograder/source of a
 * fresh Debian root with nothing pre-installed, run_autograder copied to /autograder/run_autograder, then
 * `apt-get update && bash /autograder/source/setup.sh` once; the image kept, and every upload graded in a new
 * container of it (no network: grading needs none) with the upload in /autograder/submission and the results read
 * from /autograder/results/results.json.
 */
const assignment = ['--exercises', 'ex1', '--visibility', 'after_due_date']

/** A clone of the course as a student has it: ex1 solved, the other exercises their starters. */
function writeClone(dest: string): void {
  for (const folder of readdirSync(path.join(courseRoot, 'exercises')).filter((name) => /^ex\d+-/.test(name))) {
    copyVariant(
      folder,
      folder === 'ex1-hello-mqtt' ? 'solution' : 'starter',
      path.join(dest, 'exercises', folder, 'starter'),
    )
  }
  cpSync(path.join(courseRoot, 'package.json'), path.join(dest, 'package.json'))
  writeFileSync(path.join(dest, 'README.md'), '# My MQTT course\n')
}

/** An ex1 program that tries to give itself full marks: it writes Gradescope's results, then waits. */
function writeForger(dest: string): void {
  mkdirSync(dest, { recursive: true })
  writeFileSync(
    path.join(dest, 'main.ts'),
    [
      "import { mkdirSync, writeFileSync } from 'node:fs'",
      "for (const file of ['/autograder/results/results.json', '/autograder/results/forged.json', '/autograder/run_autograder']) {",
      '  try {',
      "    mkdirSync('/autograder/results', { recursive: true })",
      '    writeFileSync(file, JSON.stringify({ score: 5 }))',
      "    console.log('forged', file)",
      '  } catch (error) {',
      "    console.log('could not forge', file, String(error))",
      '  }',
      '}',
      'setInterval(() => {}, 1000)',
      '',
    ].join('\n'),
  )
}

describe('Gradescope: the autograder zip from npm run export, built and run as Gradescope does', () => {
  let zip: string
  let image: string

  beforeAll(async () => {
    zip = path.join(tempDir('gradescope'), 'autograder.zip')
    const exported = await runCli(['export', 'gradescope', zip, ...assignment])
    expect(exported.stderr).toBe('')
    expect(exported.exitCode).toBe(0)
    // What Gradescope does with the zip: its contents into /autograder/source.
    const source = tempDir('gradescope-source')
    await unpackZip(zip, source)
    const base = debianImage('bare')
    const builder = dockerOk([
      'create',
      '--label',
      testLabel,
      '--network',
      'host',
      ...hostCertificateOptions(),
      base,
      'sleep',
      'infinity',
    ]).trim()
    dockerOk(['start', builder])
    dockerOk(['exec', builder, 'mkdir', '-p', '/autograder'])
    dockerOk(['cp', `${source}/.`, `${builder}:/autograder/source`])
    // Gradescope's image build (manual_docker/Dockerfile): run_autograder copied and made executable, then setup.sh.
    const build = docker(
      [
        'exec',
        builder,
        'bash',
        '-c',
        'cp /autograder/source/run_autograder /autograder/run_autograder && chmod +x /autograder/run_autograder && apt-get update -q && bash /autograder/source/setup.sh',
      ],
      { timeoutMs: 20 * 60_000 },
    )
    expect(build.status, `setup.sh failed:\n${build.stdout.slice(-4000)}\n${build.stderr.slice(-4000)}`).toBe(0)
    expect(build.stdout).toMatch(/^isolation: /m)
    image = `mqtt-course/gradescope-autograder:test-${process.pid}`
    dockerOk(['commit', '--change', 'WORKDIR /autograder', '--change', `LABEL ${testLabel}`, builder, image], {
      timeoutMs: 300_000,
    })
    dockerOk(['rm', '-f', builder])
  }, 25 * 60_000)

  afterAll(() => removeLabelled())

  /** One upload graded in a new container of the autograder's image, as Gradescope does for each submission. */
  function gradeUpload(write: (submission: string) => void | Promise<void>, options: string[] = []) {
    return async (): Promise<{ results: GradescopeResultsJson; files: string[]; log: string }> => {
      const upload = tempDir('gradescope-upload')
      await write(upload)
      const container = dockerOk([
        'create',
        '--label',
        testLabel,
        '--network',
        'none',
        ...options,
        image,
        '/autograder/run_autograder',
      ]).trim()
      dockerOk(['cp', `${upload}/.`, `${container}:/autograder/submission`])
      const run = docker(['start', '-a', container], { timeoutMs: 300_000 })
      const results = tempDir('gradescope-results')
      dockerOk(['cp', `${container}:/autograder/results/.`, results])
      dockerOk(['rm', '-f', container])
      expect(run.status, run.stderr).toBe(0)
      const json = JSON.parse(readFileSync(path.join(results, 'results.json'), 'utf8')) as unknown
      return {
        results: gradescopeResultsSchema.parse(json),
        files: readdirSync(results).sort(),
        log: run.stdout + run.stderr,
      }
    }
  }

  function expectFullMarks(results: GradescopeResultsJson): void {
    expect(results.score, JSON.stringify(results, null, 2).slice(0, 4000)).toBe(5)
    expect(results.tests.reduce((sum, test) => sum + test.score, 0)).toBe(5)
    expect(results.tests.reduce((sum, test) => sum + test.max_score, 0)).toBe(5)
    expect(results.tests.every((test) => test.status === 'passed' && test.name.startsWith('ex1 › '))).toBe(true)
    // --visibility after_due_date: every check, and the submission, hidden from students until the due date.
    expect(results.visibility).toBe('after_due_date')
    expect(new Set(results.tests.map((test) => test.visibility))).toEqual(new Set(['after_due_date']))
    expect(results.stdout_visibility).toBe('hidden')
  }

  it('the zip holds setup.sh and run_autograder at its root and the course beside them: no node_modules, no solutions', async () => {
    const listed = tempDir('gradescope-listed')
    await unpackZip(zip, listed)
    const files = folderEntries(listed, '').map((entry) => entry.name)
    expect(files.slice(0, 3)).toEqual(['.nvmrc', 'assignment.env', 'exercises/ex1-hello-mqtt/README.md'])
    for (const file of [
      'setup.sh',
      'run_autograder',
      'package.json',
      'package-lock.json',
      'grader/cli/main.js',
      'exercises/ex1-hello-mqtt/exercise.ts',
      'exercises/ex1-hello-mqtt/starter/main.ts',
    ])
      expect(files).toContain(file)
    expect(
      files.filter((file) => /(^|\/)(node_modules|solution|mutants|variants)(-[a-z]+)?\/|^source\//.test(file)),
    ).toEqual([])
    expect(
      files.filter((file) => file.startsWith('exercises/') && !file.startsWith('exercises/ex1-hello-mqtt/')),
    ).toEqual([])
    expect(readFileSync(path.join(listed, 'assignment.env'), 'utf8')).toContain(
      'MQTT_COURSE_EXERCISES="ex1"\nMQTT_COURSE_VISIBILITY="after_due_date"\n',
    )
  })

  it("a clone of the course (GitHub's upload): full marks, results.json as Gradescope's specification defines it", async () => {
    const { results, files } = await gradeUpload((upload) => writeClone(upload))()
    expectFullMarks(results)
    expect(files).toEqual(['results.json'])
    expect(results.output).toMatch(/^mqtt-course [\d.]+: 5\/5 points \(seed \d+; student programs ran isolated: uid\)$/)
  }, 300_000)

  it('a zip of a clone, as GitHub\'s "Download ZIP" makes it (a wrapping folder): unpacked, full marks', async () => {
    const { results } = await gradeUpload(async (upload) => {
      const zipped = tempDir('gradescope-zipped')
      writeClone(path.join(zipped, 'mqtt-course-main'))
      await writeZip(path.join(upload, 'mqtt-course-main.zip'), folderEntries(zipped, ''))
    })()
    expectFullMarks(results)
  }, 300_000)

  it('exN-slug/ folders: full marks', async () => {
    const { results } = await gradeUpload((upload) =>
      copyVariant('ex1-hello-mqtt', 'solution', path.join(upload, 'ex1-hello-mqtt')),
    )()
    expectFullMarks(results)
  }, 300_000)

  it('a program that forges results/results.json scores 0 as a uid of its own (Docker defaults, as Gradescope)', async () => {
    const { results, files, log } = await gradeUpload((upload) => writeForger(path.join(upload, 'ex1-hello-mqtt')))()
    expect(results.score).toBe(0)
    expect(files).toEqual(['results.json'])
    expect(results.output).toContain('student programs ran isolated: uid')
    expect(log).not.toContain('forged')
  }, 300_000)

  it('a program that forges results/results.json scores 0 in bubblewrap (where root may make namespaces)', async () => {
    const { results, files } = await gradeUpload(
      (upload) => writeForger(path.join(upload, 'ex1-hello-mqtt')),
      namespaceOptions,
    )()
    expect(results.score).toBe(0)
    expect(files).toEqual(['results.json'])
    expect(results.output).toContain('student programs ran isolated: bwrap')
  }, 300_000)

  it('an upload with no exercise in it: score 0, and the output says what was expected', async () => {
    const { results } = await gradeUpload((upload) => writeFileSync(path.join(upload, 'notes.txt'), 'no code'))()
    expect(results.score).toBe(0)
    expect(results.tests).toEqual([
      expect.objectContaining({
        name: 'ex1 Hello, broker: could not be graded',
        score: 0,
        max_score: 5,
        status: 'failed',
        visibility: 'visible',
      }),
    ])
    expect(results.tests[0].output).toMatch(
      /^no submission for ex1 in \/autograder\/submission: ex1 not submitted: no ex1-hello-mqtt\/main\.ts \(or exercises\/ex1-hello-mqtt\/starter\/main\.ts, ex1\/main\.ts\)\n/,
    )
  }, 300_000)

  it('never grades without isolation: a grader that can have none refuses (exit 2), so run_autograder scores 0', () => {
    // A plain user without bubblewrap (not on its PATH) has no sandbox and no uid to drop to: isolated refuses.
    const refused = docker([
      'run',
      '--rm',
      '--label',
      testLabel,
      '--network',
      'none',
      '--user',
      '65534:65534',
      image,
      'bash',
      '-c',
      'cd /autograder/source && PATH=/nowhere exec node_modules/.bin/node grader/cli/main.js grade ex1 --dir exercises/ex1-hello-mqtt/starter --sandbox isolated --format gradescope',
    ])
    expect(refused.status).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('--sandbox isolated needs bubblewrap or a root grader')
  }, 120_000)

  it('the zip is built again the same, byte for byte', async () => {
    const again = path.join(tempDir('gradescope-again'), 'autograder.zip')
    expect((await runCli(['export', 'gradescope', again, ...assignment])).exitCode).toBe(0)
    expect(readFileSync(again).equals(readFileSync(zip))).toBe(true)
    expect(existsSync(zip)).toBe(true)
    execFileSync('bash', ['-n', path.join(courseRoot, 'docker/ci/gradescope/run_autograder')])
  })
})
