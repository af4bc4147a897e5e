import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { studentSeed } from '../../grader/batch/check-batch-paths.ts'
import { gradeReportSchema } from '../../grader/report/result.ts'
import { detectBrokers, isEveryBrokerRequired } from '../support/brokers.ts'
import { descendantsOf, describeProcess, processesUsing, waitForExit } from '../support/process-tree.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'
import {
  copyVariant,
  enterableTempDir,
  sandboxSharingLoopback,
  tempDir,
  writeEchoesOnlyFirst,
  writeHostileProgram,
} from './cohort-fixtures.ts'

/** Every process on this machine whose command line or working folder mentions `text`. */
function processesMentioning(text: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`)
      } catch {
        // Not ours to read: then not ours at all.
      }
      if (cmdline.includes(text) || cwd.includes(text)) found.push(`${pid}: ${cmdline}`)
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

/** A loopback server whose first connection resolves `connected`, or rejects after `timeoutMs`. */
async function firstConnection(
  timeoutMs: number,
  describe: () => string,
): Promise<{ port: number; connected: Promise<void>; close: () => void }> {
  const server = net.createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(describe())), timeoutMs)
    server.once('connection', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  // Awaited only once the batch is under way: a test failing before then must not also report this.
  connected.catch(() => undefined)
  return { port: (server.address() as net.AddressInfo).port, connected, close: () => server.close() }
}

describe('npm run batch: a cohort in one command', () => {
  // alice: a course clone with solutions; bob: exN-slug folders, ex1's starter; carol: exN folders with a
  // known mistake in ex1; dave: nothing a grader can read; erin/frank/gina: hostile ex1 programs.
  let cohort: string
  let out: string
  let tmp: string
  let first: Awaited<ReturnType<typeof runCli>>
  const batch = (...args: string[]) =>
    runCli(
      [
        'batch',
        cohort,
        '--out',
        out,
        '--exercises',
        'ex1,ex2',
        '--broker',
        'embedded',
        '--jobs',
        '2',
        '--seed',
        '4242',
        ...args,
      ],
      { env: { TMPDIR: tmp }, timeoutMs: 240_000 },
    )

  beforeAll(async () => {
    cohort = tempDir('cohort')
    out = path.join(tempDir('batch-out'), 'reports')
    tmp = tempDir('batch-tmp')
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'alice/exercises/ex1-hello-mqtt/starter'))
    copyVariant('ex2-topic-wildcards', 'solution', path.join(cohort, 'alice/exercises/ex2-topic-wildcards/starter'))
    copyVariant('ex1-hello-mqtt', 'starter', path.join(cohort, 'bob/ex1-hello-mqtt'))
    writeEchoesOnlyFirst(path.join(cohort, 'carol/ex1'))
    copyVariant('ex2-topic-wildcards', 'solution', path.join(cohort, 'carol/ex2'))
    writeFileSync(path.join(cohort, 'dave.txt'), 'a stray file in the cohort folder is not a student')
    writeHostileProgram(path.join(cohort, 'dave'), 'crash')
    writeFileSync(path.join(cohort, 'dave/notes.md'), 'no exercise here')
    writeHostileProgram(path.join(cohort, 'erin/ex1'), 'crash')
    writeHostileProgram(path.join(cohort, 'frank/ex1'), 'flood')
    writeHostileProgram(path.join(cohort, 'gina/ex1'), 'scribble')
    first = await batch()
  }, 300_000)

  it('exits 0 once every submission is graded, whatever the scores, and prints the seed', () => {
    expect(first.stderr).toBe('')
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toContain(
      'Grading 7 submissions × 2 exercises, 2 processes × 8 at a time, on broker embedded, seed 4242',
    )
    // Not a terminal: one plain line per finished student.
    expect(first.stdout.match(/^\[\d\/7\] \w+: \d+\/15/gm)).toHaveLength(7)
  })

  it('writes gradebook.csv: one row per student in a stable order, points per exercise, total, max, errors', () => {
    expect(readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toBe(
      [
        'student,ex1,ex2,total,max,errors',
        'alice,5,10,15,15,',
        'bob,0,0,0,15,ex2: not submitted',
        'carol,3,10,13,15,',
        'dave,0,0,0,15,"no exercise found: expected exercises/ex1-hello-mqtt/starter/main.ts or ex1-hello-mqtt/main.ts or ex1/main.ts, or (with --exercises ex1) main.ts at the top (found main.ts, notes.md)"',
        'erin,0,0,0,15,ex2: not submitted',
        'frank,0,0,0,15,ex2: not submitted',
        'gina,0,0,0,15,ex2: not submitted',
        '',
      ].join('\n'),
    )
  })

  it('writes <student>/result.json in the --json schema and <student>/junit.xml', () => {
    const carol = gradeReportSchema.parse(JSON.parse(readFileSync(path.join(out, 'carol/result.json'), 'utf8')))
    // Each student's own seed: the cohort's and the name (other inputs than a classmate's), repeatable.
    expect(carol.seed).toBe(studentSeed(4242, 'carol'))
    expect(carol.exercises.map((e) => [e.id, e.source, e.points])).toEqual([
      ['ex1', 'carol/ex1', 3],
      ['ex2', 'carol/ex2', 10],
    ])
    expect(carol.exercises[0].checks.find((check) => check.status === 'failed')?.id).toBe('echoes')
    // The report names the student's folder, never the temporary copy it was graded in.
    expect(readFileSync(path.join(out, 'carol/result.json'), 'utf8')).not.toContain(tmp)
    const junit = readFileSync(path.join(out, 'carol/junit.xml'), 'utf8')
    expect(junit).toContain('<testsuite name="ex1 Hello, broker" tests="6" failures="1"')
    expect(junit).toContain('<testsuite name="ex2 ')
  })

  it('isolates submissions: a crash, a flood or a scribble changes only its own verdict, and nothing the program wrote is kept', () => {
    for (const student of ['erin', 'frank', 'gina']) {
      const report = gradeReportSchema.parse(JSON.parse(readFileSync(path.join(out, student, 'result.json'), 'utf8')))
      expect(report.exercises[0].checks.map((check) => check.status)).toEqual([
        'passed',
        'failed',
        'skipped',
        'skipped',
        'skipped',
        'skipped',
      ])
    }
    // The flood was capped inside its own grade; alice, graded beside it, has every point.
    expect(readFileSync(path.join(out, 'alice/result.json'), 'utf8')).toContain('"points": 15')
    expect(existsSync(path.join(cohort, 'gina/ex1/scribbled.txt'))).toBe(false)
    expect(readdirSync(tmp)).toEqual([])
    expect(processesMentioning(tmp)).toEqual([])
  })

  it('runs again without grading what did not change; a changed submission is regraded; --force regrades all', async () => {
    const again = await batch()
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain('0 exercises graded; 8 unchanged results reused (--force regrades them)')
    expect(readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toContain('alice,5,10,15,15,\n')

    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'bob/ex1-hello-mqtt'))
    // Bob's own: a copy of the solution alone would be alice's files, and reuse alice's result (as it should).
    writeFileSync(
      path.join(cohort, 'bob/ex1-hello-mqtt/main.ts'),
      `${readFileSync(path.join(cohort, 'bob/ex1-hello-mqtt/main.ts'), 'utf8')}// bob was here\n`,
    )
    const changed = await batch()
    expect(changed.stdout).toMatch(/^\[\d\/7\] bob: 5\/15$/m)
    expect(changed.stdout).toContain('1 exercise graded; 7 unchanged results reused')
    expect(readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toContain('bob,5,0,5,15,ex2: not submitted\n')

    const forced = await runCli(
      ['batch', cohort, '--out', out, '--exercises', 'ex1', '--broker', 'embedded', '--seed', '4242', '--force'],
      { env: { TMPDIR: tmp }, timeoutMs: 240_000 },
    )
    expect(forced.stdout).not.toContain('reused')
    // With one exercise, dave's top-level main.ts is that exercise's files: the "one exercise" layout.
    expect(forced.stdout).toContain('7 students, 7 exercises graded.')
    expect(forced.stdout).toMatch(/^\[\d\/7\] dave: 0\/5$/m)
  })
})

describe('npm run batch: bad input says what to do, exit 2', () => {
  it.each([
    [['batch'], /say which cohort folder to grade/, /npm run batch -- submissions\//],
    [['batch', '/nonexistent/cohort'], /\/nonexistent\/cohort is not a folder/, /one subfolder per student/],
    [['batch', courseRoot, '--shard', '3/2'], /--shard 3\/2 is not a shard/, /--shard 2\/8/],
    [['batch', courseRoot, '--jobs', '0'], /--jobs 0 is not a number of jobs/, /--jobs 4/],
    [['batch', courseRoot, '--exercises', 'ex99'], /there is no exercise "ex99"/, /npm run grade/],
    [
      ['batch', courseRoot, '--sandbox', 'docker'],
      /--sandbox docker is not a sandbox mode: expected auto, isolated, bwrap, uid, none/,
      /--sandbox auto/,
    ],
    [['batch', courseRoot, '--frobnicate'], /unknown option --frobnicate/, /--help/],
    [['batch', 'merge'], /say which shard outputs to merge/, /merge shard-1\//],
    [['batch', 'merge', courseRoot], /is not a batch's output/, /--out folders of npm run batch/],
  ])('%j', async (args, message, hint) => {
    const result = await runCli(args)
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).toMatch(hint)
    expect(result.stdout).toBe('')
  })
})

describe('npm run batch: Ctrl-C', () => {
  it('grades nothing more, reports what finished, and leaves no process behind', async () => {
    const cohort = tempDir('cohort-interrupt')
    const out = path.join(tempDir('batch-out'), 'reports')
    const tmp = enterableTempDir('batch-tmp')
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'alice/ex1'))
    let stdout = ''
    // hang-1's program says when it runs by connecting here (graded one at a time, it is the first to hang): with
    // no network namespace of its own, so that it can (root: a uid of its own per grade; a plain user: none).
    const started = await firstConnection(90_000, () => `no grade of hang-1 running:\n${stdout}`)
    for (const student of ['hang-1', 'hang-2', 'hang-3'])
      writeHostileProgram(path.join(cohort, student, 'ex1'), 'hang', { announceToPort: started.port })
    const child = spawn(
      process.execPath,
      [
        path.join(courseRoot, 'grader/cli/main.js'),
        'batch',
        cohort,
        '--out',
        out,
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--jobs',
        '1',
        '--per-job',
        '1',
        '--seed',
        '5',
        '--sandbox',
        sandboxSharingLoopback,
      ],
      {
        cwd: courseRoot,
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    // alice first (one grade at a time, stable order): once she is reported, hang-1's grade is running.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`alice was not graded within 60 s:\n${stdout}`)), 60_000)
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        stdout += text
        if (stdout.includes('alice: 5/5')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    // And hang-1's program is running, in its temporary copy: the interrupt has something to stop.
    await started.connected.finally(started.close)
    expect(processesMentioning(tmp).length).toBeGreaterThanOrEqual(1)
    child.kill('SIGINT')
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const exitCode = await exited
    clearTimeout(deadline)
    expect(exitCode).toBe(130)
    expect(stdout).toContain('Interrupted: 1 of 4 students graded')
    const gradebook = readFileSync(path.join(out, 'gradebook.csv'), 'utf8')
    expect(gradebook).toContain('alice,5,5,5,')
    expect(gradebook).toContain('hang-3,,,5,not graded (the batch was interrupted first)')
    expect(processesMentioning(tmp)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  })
})

const hasMosquitto =
  isEveryBrokerRequired || (await detectBrokers()).some((broker) => broker.kind === 'mosquitto' && broker.isAvailable)

describe.skipIf(!hasMosquitto)(`npm run batch: SIGKILL${hasMosquitto ? '' : ' (skipped: no mosquitto)'}`, () => {
  it('its grading processes, their Mosquittos and programs end with it; the next grade removes its copies', async () => {
    const cohort = tempDir('cohort-kill')
    const out = path.join(tempDir('batch-out'), 'reports')
    const tmp = enterableTempDir('batch-tmp')
    const started = await firstConnection(90_000, () => 'no grade of hang-1 running')
    for (const student of ['hang-1', 'hang-2'])
      writeHostileProgram(path.join(cohort, student, 'ex1'), 'hang', {
        announceToPort: started.port,
        announceOnceConnected: true,
      })
    const child = spawn(
      process.execPath,
      [
        path.join(courseRoot, 'grader/cli/main.js'),
        'batch',
        cohort,
        '--out',
        out,
        '--exercises',
        'ex1',
        '--broker',
        'mosquitto',
        '--jobs',
        '1',
        '--per-job',
        '1',
        '--seed',
        '5',
        '--sandbox',
        sandboxSharingLoopback,
      ],
      {
        cwd: courseRoot,
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    )
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    // hang-1's program has its CONNACK: a grading process, its Mosquitto and the program are up. (A program
    // announcing as it starts may do so before its Mosquitto: the grader starts both at once.)
    await started.connected.finally(started.close)
    const below = descendantsOf(child.pid!)
    expect(below.map(describeProcess).join('\n')).toMatch(/__batch-worker[\s\S]*mosquitto -c /)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    // Each grading process sees its batch gone (its IPC channel closes) and stops what it runs, as after Ctrl-C;
    // so does what started after that look (the batch's type checker works in its temporary folder).
    await waitForExit([...below, ...processesUsing(tmp)], 30_000)
    expect(processesMentioning(tmp)).toEqual([])
    // The batch's own copies of the submissions are named for it: the next grader to start removes them.
    expect(readdirSync(tmp).some((name) => name.startsWith('mqtt-course-batch-'))).toBe(true)
    const next = await runCli(['grade', 'ex1', '--broker', 'embedded', '--solution'], { env: { TMPDIR: tmp } })
    expect(next.exitCode, next.stdout + next.stderr).toBe(0)
    expect(readdirSync(tmp).filter((name) => name.startsWith('mqtt-course-'))).toEqual([])
  })
})

describe('npm run batch: progress on a terminal', () => {
  it('is one live line (students done / running / failed to grade, elapsed, ETA), redrawn in place', async () => {
    const cohort = tempDir('cohort-tty')
    const out = path.join(tempDir('batch-out'), 'reports')
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'ann/ex1'))
    writeHostileProgram(path.join(cohort, 'bea/ex1'), 'crash')
    const command = [
      process.execPath,
      path.join(courseRoot, 'grader/cli/main.js'),
      'batch',
      cohort,
      '--out',
      out,
      '--exercises',
      'ex1',
      '--broker',
      'embedded',
      '--jobs',
      '1',
      '--seed',
      '3',
    ]
      .map((part) => `'${part}'`)
      .join(' ')
    // util-linux `script` gives the batch a real terminal (a pty) and copies what it draws to our pipe.
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        cwd: courseRoot,
        env: { ...process.env, CI: '', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
      child.on('close', (code) => resolve({ code, output }))
    })
    expect(result.code).toBe(0)
    expect(result.output).toMatch(/\x1b\[2K/)
    expect(result.output).toMatch(/0\/2 students done, 1 running, 0 failed to grade, \d+ s elapsed/)
    expect(result.output).toMatch(/2\/2 students done, 0 running, 0 failed to grade, \d+ s elapsed, ETA 0 s/)
    // No plain per-student lines: those are for logs without a terminal.
    expect(result.output).not.toMatch(/\[1\/2\] ann/)
    expect(result.output).toContain('Done in ')
  })
})
