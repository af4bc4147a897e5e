import { spawnSync } from 'node:child_process'
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findMosquittoBinary } from '../../grader/broker/find-mosquitto.ts'
import {
  diskLimitBytes,
  programMemoryLimitBytes,
  programProcessLimit,
  workspaceLimitBytes,
} from '../../grader/sandbox/sandbox-constants.ts'
import { runCli } from '../support/run-cli.ts'
import { type HostileCohort, ownAll, snapshot, writeHostileCohort } from './hostile-cohort.ts'

/**
 * A cohort graded where some students attack the others, the grader and the machine: as root and as a plain
 * user, with bubblewrap and without it (root without bubblewrap: every grade a uid of its own). In every mode the
 * batch must hold: every attack refused, no other student's verdict or file changed, every verdict what a clean
 * batch of the honest students alone gives, stored results that nobody graded rejected, and the instructor's
 * odd folders (names that collide, names a spreadsheet would run, a FIFO, a hidden folder) handled and said.
 */
const isRoot = process.getuid?.() === 0
const isRequired = process.env.CI === 'true'
const hasBubblewrap =
  spawnSync('bwrap', [
    '--ro-bind',
    '/',
    '/',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-net',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    'true',
  ]).status === 0
const hasMosquitto = findMosquittoBinary() !== undefined
/** A plain user for the suite: no account needed, only the number (far from real accounts and from grade uids). */
const plainUid = 1_799_990_001
const seed = 4242
const cleanups: string[] = []
afterAll(() => {
  for (const target of cleanups) rmSync(target, { recursive: true, force: true })
})

interface Mode {
  name: string
  sandbox: 'bwrap' | 'uid'
  broker: 'embedded' | 'mosquitto'
  /** Runs the grader as the plain user (the suite itself runs as root). */
  asPlainUser: boolean
  available: boolean
  /** Why it is skipped here (it never is in CI, where each is required). */
  lacking: string
}

const modes: Mode[] = [
  {
    name: 'root, bubblewrap',
    sandbox: 'bwrap',
    broker: 'embedded',
    asPlainUser: false,
    available: isRoot && hasBubblewrap,
    lacking: 'needs root and bubblewrap',
  },
  {
    name: 'root, no bubblewrap (a uid per grade)',
    sandbox: 'uid',
    broker: 'embedded',
    asPlainUser: false,
    available: isRoot,
    lacking: 'needs root',
  },
  {
    name: 'root, no bubblewrap, on Mosquitto',
    sandbox: 'uid',
    broker: 'mosquitto',
    asPlainUser: false,
    available: isRoot && hasMosquitto,
    lacking: 'needs root and mosquitto',
  },
  {
    name: 'plain user, bubblewrap',
    sandbox: 'bwrap',
    broker: 'embedded',
    asPlainUser: isRoot,
    available: hasBubblewrap,
    lacking: 'needs bubblewrap with user namespaces',
  },
]

/** Runs the CLI as the mode's user: the plain user gets a home and a temporary folder of their own. */
function runAs(mode: Pick<Mode, 'asPlainUser'>, args: string[], home: string) {
  const env = { HOME: path.join(home, 'home'), TMPDIR: path.join(home, 'tmp') }
  return runCli(args, {
    env,
    timeoutMs: 240_000,
    ...(mode.asPlainUser
      ? { wrap: ['/usr/bin/setpriv', `--reuid=${plainUid}`, `--regid=${plainUid}`, '--clear-groups', '--'] }
      : {}),
  })
}

function userFolders(mode: Pick<Mode, 'asPlainUser'>): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-hostile-user-'))
  cleanups.push(home)
  for (const name of ['home', 'tmp']) mkdirSync(path.join(home, name))
  if (mode.asPlainUser) ownAll(home, plainUid)
  return home
}

interface StudentResult {
  points: number
  checks: { id: string; status: string; points: number }[]
  stdout: string
  stderr: string
  exit: string | undefined
  notes: string[]
}

/** Each student's ex1 result, from their result.json (the report folder from batch.json). */
function readResults(out: string): Map<string, StudentResult> {
  const manifest = JSON.parse(readFileSync(path.join(out, 'batch.json'), 'utf8')) as {
    students: { student: string; folder?: string }[]
  }
  const results = new Map<string, StudentResult>()
  for (const { student, folder } of manifest.students) {
    const report = JSON.parse(readFileSync(path.join(out, folder ?? student, 'result.json'), 'utf8')) as {
      exercises: {
        points: number
        checks: StudentResult['checks']
        programRuns: { stdoutTail: string; stderrTail: string; exit?: string }[]
        notes?: string[]
      }[]
    }
    const [exercise] = report.exercises
    results.set(student, {
      points: exercise.points,
      checks: exercise.checks.map(({ id, status, points }) => ({ id, status, points })),
      stdout: exercise.programRuns.map((run) => run.stdoutTail).join('\n'),
      // The attacks print their one summary line on stderr: the solution they carry fills stdout's tail (30 lines).
      stderr: exercise.programRuns.map((run) => run.stderrTail).join('\n'),
      exit: exercise.programRuns[0]?.exit,
      notes: exercise.notes ?? [],
    })
  }
  return results
}

/** The one summary line an attack printed on stderr: `PROBES {...}`. */
function summary<T>(result: StudentResult | undefined, label: string): T {
  const line = result?.stderr.split('\n').findLast((text) => text.startsWith(`${label} `))
  expect(line, `${label} line in the program's stderr:\n${result?.stderr}\nstdout:\n${result?.stdout}`).toBeDefined()
  return JSON.parse(line!.slice(label.length + 1)) as T
}

describe.each(modes)('a hostile cohort: $name', (mode) => {
  it.skipIf(!mode.available && !isRequired)(
    `${mode.available ? '' : `(skipped: ${mode.lacking}) `}every attack fails, and every verdict is what a clean batch gives`,
    { timeout: 600_000 },
    async () => {
      expect(mode.available, mode.lacking).toBe(true)
      const owner = mode.asPlainUser ? plainUid : undefined
      const cohort: HostileCohort = writeHostileCohort({
        ...(owner !== undefined ? { owner } : {}),
        withMemoryBomb: true,
      })
      cleanups.push(cohort.root, cohort.canary)
      const before = snapshot(cohort.cohort)
      const home = userFolders(mode)
      const batchArgs = (cohortDir: string, out: string) => [
        'batch',
        cohortDir,
        '--out',
        out,
        '--exercises',
        'ex1',
        '--seed',
        String(seed),
        '--sandbox',
        mode.sandbox,
        '--broker',
        mode.broker,
        '--jobs',
        '2',
      ]

      const graded = await runAs(mode, batchArgs(cohort.cohort, cohort.out), home)
      expect(graded.exitCode, graded.stdout + graded.stderr).toBe(0)
      const results = readResults(cohort.out)

      // The clean run: the honest students alone, same seed (each student's inputs come from it and their name).
      const clean = path.join(cohort.root, 'clean')
      for (const student of cohort.honest)
        cpSync(path.join(cohort.cohort, student), path.join(clean, student), { recursive: true })
      if (owner !== undefined) ownAll(clean, owner)
      const cleanOut = path.join(cohort.root, 'clean-reports')
      const cleanRun = await runAs(mode, batchArgs(clean, cleanOut), home)
      expect(cleanRun.exitCode, cleanRun.stdout + cleanRun.stderr).toBe(0)
      const cleanResults = readResults(cleanOut)
      for (const student of cohort.honest)
        expect({ student, ...results.get(student), stdout: '', stderr: '' }).toEqual({
          student,
          ...cleanResults.get(student),
          stdout: '',
          stderr: '',
        })
      expect(cleanResults.get('honest-alice')?.points, 'a solution passes').toBe(5)
      expect(cleanResults.get('honest-starter')?.points, 'the starter fails').toBeLessThan(5)

      // Every hostile program is the solution plus an attack: if nothing got out, it scores what the solution does.
      for (const student of ['hostile-escape', 'hostile-crosstalk', 'hostile-bombs', 'hostile-fifo']) {
        const result = results.get(student)
        const lost = result?.checks.filter((check) => check.status !== 'passed')
        expect(
          { student, points: result?.points, lost },
          `${student}'s run:\n${result?.stderr}\n${result?.exit ?? ''}`,
        ).toEqual({ student, points: 5, lost: [] })
      }

      // Escapes: not one probe got out, and they all ran.
      const probes = summary<{ escaped: string[]; refused: number; error?: string }>(
        results.get('hostile-escape'),
        'PROBES',
      )
      expect(probes.escaped).toEqual([])
      expect(probes.error).toBeUndefined()
      expect(
        probes.refused,
        'every probe ran (open_by_handle_at, remount, namespaces, ptrace, cgroups, sniffing, files)',
      ).toBeGreaterThanOrEqual(20)

      // Cross-talk: no other grade's listener spoke MQTT to the attacker; with its own network it sees none at all.
      const crosstalk = summary<{
        interfaces: string[]
        attempts: number
        foreign: number
        connected: string[]
        learned: string[]
      }>(results.get('hostile-crosstalk'), 'CROSSTALK')
      expect(crosstalk.connected).toEqual([])
      expect(crosstalk.learned).toEqual([])
      if (mode.sandbox === 'bwrap') {
        expect(crosstalk.interfaces).toEqual(['lo'])
        expect(crosstalk.foreign, 'no listener of anyone else in its network').toBe(0)
      } else {
        expect(crosstalk.foreign, "the machine's listeners are visible without namespaces").toBeGreaterThan(0)
        expect(crosstalk.attempts, 'and were tried').toBeGreaterThan(1)
      }

      // Bombs: capped, and the machine carried on (the bomber itself still passed, above).
      const bombs = summary<{ spawned: number; refused: number; wroteWorkspace: number; wroteTmp: number }>(
        results.get('hostile-bombs'),
        'BOMBS',
      )
      expect(bombs.spawned).toBeLessThan(programProcessLimit)
      expect(bombs.refused).toBeGreaterThan(0)
      expect(bombs.wroteWorkspace).toBeLessThanOrEqual(workspaceLimitBytes)
      expect(bombs.wroteTmp).toBeLessThanOrEqual(workspaceLimitBytes)

      // Disk, many files: bubblewrap's tmpfs workspace and /tmp fill up and the program carries on (and passes);
      // without bubblewrap the grader's watchdog stops it, and says so.
      if (mode.sandbox === 'bwrap') {
        const disk = summary<{ files: number; bytes: number }>(results.get('hostile-disk'), 'DISK')
        expect(disk.bytes).toBeLessThanOrEqual(2 * workspaceLimitBytes)
        expect(results.get('hostile-disk')?.points).toBe(5)
      } else
        expect(results.get('hostile-disk')?.exit).toBe(
          `was killed for writing more than ${diskLimitBytes / 2 ** 20} MiB to disk`,
        )

      // Memory: stopped at the limit, and said so.
      expect(results.get('hostile-memory')?.exit).toBe(
        `was killed for using more than ${programMemoryLimitBytes / 2 ** 20} MiB of memory`,
      )
      expect(results.get('hostile-memory')?.stdout).not.toContain('MEMORY allocated')

      // Files: the cohort, the course and the reports are as the grader left them.
      expect(snapshot(cohort.cohort)).toEqual(before)
      expect(readFileSync(cohort.canary, 'utf8')).toBe('untouched')
      expect(existsSync(path.join(cohort.out, '.cache', `${'0'.repeat(64)}.json`))).toBe(false)

      // The instructor's odd folders: a FIFO left out with a note; colliding names renamed and said; a formula
      // name made text in the gradebook; hidden folders and stray files listed.
      expect(results.get('hostile-fifo')?.notes.join('\n')).toContain('pipe (a FIFO)')
      expect(graded.stdout).toContain('report folder renamed: Anne_Marie → Anne_Marie-2/')
      expect(readdirSync(cohort.out)).toEqual(expect.arrayContaining(['Anne_Marie', 'Anne_Marie-2']))
      const gradebook = readFileSync(path.join(cohort.out, 'gradebook.csv'), 'utf8')
      expect(gradebook).toContain("\n'=SUM(1+1),5,5,5,\n")
      expect(graded.stdout).toContain('skipped: .hidden-student/ (hidden')
      expect(graded.stdout).toContain('skipped: README.txt (a file')

      // A stored result changed by anyone but the batch is not trusted: graded again, same gradebook.
      const cached = readdirSync(path.join(cohort.out, '.cache')).filter((name) => name.endsWith('.json'))
      expect(cached.length).toBeGreaterThan(0)
      for (const name of cached) {
        const file = path.join(cohort.out, '.cache', name)
        const stored = JSON.parse(readFileSync(file, 'utf8')) as { result: { points: number } }
        stored.result.points = stored.result.points === 5 ? 0 : 5
        writeFileSync(file, JSON.stringify(stored))
        if (owner !== undefined) chownSync(file, owner, owner)
      }
      const again = await runAs(mode, batchArgs(cohort.cohort, cohort.out), home)
      expect(again.exitCode, again.stdout + again.stderr).toBe(0)
      expect(again.stdout).toContain(`${cached.length} stored results did not verify`)
      expect(readFileSync(path.join(cohort.out, 'gradebook.csv'), 'utf8')).toBe(gradebook)
    },
  )
})

describe('a plain user without bubblewrap', () => {
  it.skipIf(!isRoot && !isRequired)('is refused a batch before anything runs (exit 2), with what to do', async () => {
    const mode = { asPlainUser: isRoot }
    const home = userFolders(mode)
    const cohort = writeHostileCohort(isRoot ? { owner: plainUid } : {})
    cleanups.push(cohort.root, cohort.canary)
    const result = await runCli(['batch', cohort.cohort, '--out', cohort.out, '--exercises', 'ex1'], {
      env: { HOME: path.join(home, 'home'), TMPDIR: path.join(home, 'tmp'), PATH: path.dirname(process.execPath) },
      ...(isRoot
        ? { wrap: ['/usr/bin/setpriv', `--reuid=${plainUid}`, `--regid=${plainUid}`, '--clear-groups', '--'] }
        : {}),
    })
    expect(result.exitCode, result.stdout + result.stderr).toBe(2)
    expect(result.stderr).toContain("error: a cohort's programs must be isolated from each other and from you")
    expect(result.stderr).toContain('install bubblewrap')
    expect(existsSync(path.join(cohort.out, 'gradebook.csv'))).toBe(false)
  })
})
