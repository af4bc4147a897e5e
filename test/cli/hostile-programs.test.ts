import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

import { courseRoot, runCli } from '../support/run-cli.ts'

/**
 * Student code is untrusted, and instructors run it in CI next to their secrets and the grader itself. Each test
 * grades a real hostile program (with --cmd, so it is plain Node) and proves the harm did not happen. Each
 * program marks itself and its children with a unique word in their command lines, so the test can tell from
 * /proc, afterwards, whether anything of it survived.
 */
const hasBubblewrap =
  spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--dev', '/dev', 'true']).status === 0
const isRequired = process.env.CI === 'true'
const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

/** A submission folder with `hostile.js`, outside the course like a real student's. */
function hostile(source: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-hostile-'))
  folders.push(dir)
  writeFileSync(path.join(dir, 'hostile.js'), source)
  return dir
}

/** Grades `dir` as ex1 with `node hostile.js <marker>`, on aedes. */
function grade(
  dir: string,
  marker: string,
  extra: { args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  return runCli(
    [
      'grade',
      'ex1',
      '--dir',
      dir,
      '--broker',
      'embedded',
      '--cmd',
      `${process.execPath} hostile.js ${marker}`,
      ...(extra.args ?? []),
    ],
    {
      env: extra.env ?? {},
      timeoutMs: extra.timeoutMs ?? 60_000,
    },
  )
}

/** The pids of live processes whose command line holds `marker`. */
function survivors(marker: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name))
    } catch {
      // Gone meanwhile.
    }
  }
  return pids
}

/** Ends what a test started itself (only processes carrying its own marker). */
function endSurvivors(marker: string): void {
  for (const pid of survivors(marker)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}

/** Forks two daemons that leave the program's process group: one keeps its stdout open, one ignores all stdio. */
const daemons = `
const { spawn } = require('node:child_process')
const marker = process.argv[2]
const forever = 'setInterval(() => {}, 1000)'
spawn(process.execPath, ['-e', forever, marker, 'holds-stdout'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] }).unref()
spawn(process.execPath, ['-e', forever, marker, 'ignores-stdio'], { detached: true, stdio: 'ignore' }).unref()
setTimeout(() => process.exit(1), 100)
`

// bubblewrap; and, as root, a uid of its own per grade without bubblewrap (--sandbox uid).
const sandboxModes = [
  { mode: 'bwrap', available: hasBubblewrap },
  ...(process.getuid?.() === 0 ? [{ mode: 'uid', available: true }] : []),
]

describe.each(sandboxModes)('hostile programs, in the sandbox: --sandbox $mode', ({ mode, available }) => {
  const gradeIn = (
    dir: string,
    marker: string,
    extra: { args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ) => grade(dir, marker, { ...extra, args: ['--sandbox', mode, ...(extra.args ?? [])] })
  it.skipIf(!available && !isRequired)(`${mode} works where every sandbox is required (CI)`, () => {
    expect(available, 'apt-get install bubblewrap').toBe(true)
  })

  it.skipIf(!available && !isRequired)(
    'a daemon that keeps stdout open, or ignores stdio, dies with the program: the grader never waits for it',
    async () => {
      const marker = `hostile-${randomUUID()}`
      try {
        const startedAt = performance.now()
        const result = await gradeIn(hostile(daemons), marker)
        expect(result.exitCode).toBe(1)
        expect(performance.now() - startedAt).toBeLessThan(30_000)
        expect(survivors(marker)).toEqual([])
      } finally {
        endSurvivors(marker)
      }
    },
  )

  it.skipIf(!available && !isRequired)("cannot read the grader's environment or write to its output", async () => {
    const marker = `hostile-${randomUUID()}`
    const secret = `secret-${randomUUID()}`
    const source = `
const fs = require('node:fs')
const found = []
for (const pid of fs.readdirSync('/proc').filter((name) => /^\\d+$/.test(name))) {
  try { if (fs.readFileSync('/proc/' + pid + '/environ', 'utf8').includes('MQTT_COURSE_TEST_SECRET')) found.push(pid) } catch {}
  try { fs.writeFileSync('/proc/' + pid + '/fd/1', 'All checks passed\\n') } catch {}
}
if (process.env.MQTT_COURSE_TEST_SECRET) found.push('own environment')
console.log('LEAKED: ' + found.join(' ') + ' ' + found.map((pid) => { try { return fs.readFileSync('/proc/' + pid + '/environ', 'utf8') } catch { return '' } }).join(' '))
process.exit(1)
`
    const result = await gradeIn(hostile(source), marker, { env: { MQTT_COURSE_TEST_SECRET: secret } })
    expect(result.exitCode).toBe(1)
    expect(result.stdout).not.toContain(secret)
    expect(result.stdout).toMatch(/LEAKED: {2}\n/)
    expect(result.stdout.split('\n')).not.toContain('All checks passed')
  })

  it.skipIf(!available && !isRequired)(
    'cannot change the course, read the solutions or write to the home folder',
    async () => {
      const marker = `hostile-${randomUUID()}`
      const canary = path.join(courseRoot, `grader/.canary-${randomUUID()}`)
      const homeCanary = path.join(os.homedir(), `.mqtt-course-canary-${randomUUID()}`)
      writeFileSync(canary, 'untouched')
      try {
        const source = `
const fs = require('node:fs')
const tries = {
  'rewrite the grader': () => fs.writeFileSync(${JSON.stringify(canary)}, 'pwned'),
  'write the home folder': () => fs.writeFileSync(${JSON.stringify(homeCanary)}, 'pwned'),
  'read a solution': () => fs.readFileSync(${JSON.stringify(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'))}, 'utf8').slice(0, 10),
  'read a mutant': () => fs.readdirSync(${JSON.stringify(path.join(courseRoot, 'exercises/ex1-hello-mqtt/mutants'))}).join(),
}
for (const [what, attempt] of Object.entries(tries)) {
  try { attempt(); console.log('MANAGED TO ' + what) } catch (error) { console.log('refused: ' + what) }
}
process.exit(1)
`
        const result = await gradeIn(hostile(source), marker)
        expect(result.exitCode).toBe(1)
        expect(readFileSync(canary, 'utf8')).toBe('untouched')
        expect(existsSync(homeCanary)).toBe(false)
        expect(result.stdout).not.toContain('MANAGED TO read a solution')
        expect(result.stdout).not.toContain('MANAGED TO read a mutant')
        expect(result.stdout).toContain('refused: read a solution')
      } finally {
        rmSync(canary, { force: true })
        rmSync(homeCanary, { force: true })
      }
    },
  )

  it.skipIf(!available && !isRequired)('cannot stop the grader with SIGSTOP', async () => {
    const marker = `hostile-${randomUUID()}`
    // Only its own ancestors: without a sandbox that is this test's grader, never another process.
    const source = `
const fs = require('node:fs')
const parentOf = (pid) => Number(fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[1])
for (let pid = process.ppid, level = 0; pid > 1 && level < 3; pid = parentOf(pid), level++) {
  try { process.kill(pid, 'SIGSTOP'); console.log('stopped ' + pid) } catch (error) { console.log('could not stop ' + pid) }
}
process.exit(1)
`
    const result = await gradeIn(hostile(source), marker, { timeoutMs: 45_000 })
    expect(result.exitCode).toBe(1)
  })

  it.skipIf(!available && !isRequired)(
    'cannot take the memory of the machine: it is stopped at the limit (a cgroup, or the grader watching), and the report says why',
    async () => {
      const marker = `hostile-${randomUUID()}`
      const source = `
const chunks = []
for (let i = 0; i < 48; i++) chunks.push(Buffer.alloc(64 * 1024 * 1024, i))
console.log('allocated ' + chunks.length * 64 + ' MiB')
process.exit(1)
`
      const result = await gradeIn(hostile(source), marker)
      expect(result.exitCode).toBe(1)
      expect(result.stdout).toContain('was killed for using more than 512 MiB of memory')
      expect(result.stdout).not.toContain('allocated 3072 MiB')
    },
  )
})

describe('without a sandbox', () => {
  it('the grader still never waits for a daemon that keeps stdout open', async () => {
    const marker = `hostile-${randomUUID()}`
    try {
      const startedAt = performance.now()
      const result = await grade(hostile(daemons), marker, { args: ['--sandbox', 'none'] })
      expect(result.exitCode).toBe(1)
      expect(performance.now() - startedAt).toBeLessThan(30_000)
    } finally {
      endSurvivors(marker)
    }
  })

  it('where bubblewrap is missing, auto says once what programs run in instead: a uid of their own as root, nothing as a plain user', async () => {
    const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'embedded'], {
      env: { PATH: path.dirname(process.execPath) },
    })
    expect(result.exitCode).toBe(0)
    const note =
      process.getuid?.() === 0
        ? /note: student programs run as a uid of their own, without bubblewrap/g
        : /note: student programs run without a sandbox here/g
    expect(result.stdout.match(note)).toHaveLength(1)
  })

  it('--sandbox bwrap where bubblewrap is missing is an environment error (exit 2)', async () => {
    const result = await runCli(['grade', 'ex1', '--solution', '--sandbox', 'bwrap'], {
      env: { PATH: path.dirname(process.execPath) },
    })
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('error: --sandbox bwrap needs bubblewrap')
  })
})
