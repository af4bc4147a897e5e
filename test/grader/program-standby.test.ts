import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ProgramStandby } from '../../grader/runner/program-standby.ts'
import { preloadPath } from '../../grader/course/program-preloads.ts'
import { chooseSandbox } from '../../grader/sandbox/sandbox.ts'
import { stripAhead } from '../../grader/runner/strip-ahead.ts'
import { warmStudentCompileCache } from '../../grader/runner/workspace.ts'
import { StandbyKeeper } from '../../grader/watch/standby-keeper.ts'

/**
 * watch starts the next run's program before the save (program-standby.ts): it must be the same run as one
 * started afresh. Each test starts real programs, in a sandbox where this machine has one.
 */
const hasBubblewrap =
  spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--dev', '/dev', 'true']).status === 0
// As root, also without namespaces: each workspace's own uid (--sandbox uid).
const sandboxes = [
  chooseSandbox('none'),
  ...(hasBubblewrap || process.env.CI === 'true' ? [chooseSandbox('bwrap')] : []),
  ...(process.getuid?.() === 0 ? [chooseSandbox('uid')] : []),
]
const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

function submission(files: Record<string, string>): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-standby-test-')), 'submission')
  folders.push(path.dirname(dir))
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

/**
 * Live processes whose command line or working folder holds `text`. The working folder too: a program just
 * started may still be on its way through exec (setpriv, a shell, bwrap), when its command line reads empty.
 */
function processesWith(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) return true
        return readlinkSync(`/proc/${name}/cwd`).includes(text)
      } catch {
        return false
      }
    })
    .map(Number)
}

describe.each(sandboxes.map((sandbox) => [sandbox.kind, sandbox] as const))(
  'a program on standby, sandbox %s',
  (_kind, sandbox) => {
    it('runs as a fresh run would: the environment of its run, its entry as main, its workspace, types stripped ahead', async () => {
      await warmStudentCompileCache()
      const dir = submission({
        'main.ts': [
          "import mqtt from 'mqtt'",
          'const report: Record<string, unknown> = {',
          '  url: process.env.MQTT_URL,',
          '  clientId: process.env.CLIENT_ID,',
          "  graderVariables: Object.keys(process.env).filter((name) => name.startsWith('MQTT_COURSE')),",
          '  main: import.meta.main,',
          '  argv1: process.argv[1],',
          '  cwd: process.cwd(),',
          '  connect: typeof mqtt.connect,',
          "  stripper: process.moduleLoadList.some((name) => name.includes('amaro')),",
          '}',
          // Printed, not written to a file: in the sandbox the workspace is a tmpfs of the program's own.
          'console.log(JSON.stringify(report))',
          '',
        ].join('\n'),
      })
      const standby = ProgramStandby.start(dir, 'main.ts', sandbox)
      expect(standby.fits(dir, 'main.ts', sandbox)).toBe(true)
      expect(standby.fits(dir, 'other.ts', sandbox)).toBe(false)
      const workspace = standby.takeWorkspace(dir)
      expect(standby.fits(dir, 'main.ts', sandbox), 'handed over once').toBe(false)
      const manifest = stripAhead(workspace.dir, workspace.graderDir)
      const waiting = standby.claim()
      expect(waiting).toBeDefined()
      expect(standby.claim(), 'claimed once').toBeUndefined()
      const program = waiting!.go({ MQTT_URL: 'mqtt://127.0.0.1:1', CLIENT_ID: 'student-1234' }, 1, manifest)
      const exit = await program.exited
      expect(exit.exitCode, program.stderr.tail(20)).toBe(0)
      expect(program.run).toBe(1)
      expect(program.env).toEqual({ MQTT_URL: 'mqtt://127.0.0.1:1', CLIENT_ID: 'student-1234' })
      expect(JSON.parse(program.stdout.text)).toEqual({
        url: 'mqtt://127.0.0.1:1',
        clientId: 'student-1234',
        graderVariables: [],
        main: true,
        argv1: path.join(workspace.dir, 'main.ts'),
        cwd: workspace.dir,
        connect: 'function',
        stripper: false,
      })
      await standby[Symbol.asyncDispose]()
      await workspace[Symbol.asyncDispose]()
      expect(existsSync(workspace.dir)).toBe(false)
    })

    it('holds nothing of the student before its run: its workspace is empty until the grade fills it', async () => {
      const dir = submission({ 'main.ts': "console.log('ran')\n" })
      await using keeper = new StandbyKeeper()
      await keeper.prepare(dir, 'main.ts', sandbox)
      const standby = keeper.take(dir, 'main.ts', sandbox)!
      expect(standby).toBeDefined()
      expect(keeper.take(dir, 'main.ts', sandbox), 'taken once').toBeUndefined()
      expect(readdirSync(standby.workspaceDir)).toEqual([])
      const workspace = standby.takeWorkspace(dir)
      expect(readdirSync(workspace.dir)).toEqual(['main.ts'])
      const program = standby.claim()!.go({}, 1, undefined)
      await program.exited
      expect(program.stdout.tail(5)).toBe('ran')
      await standby[Symbol.asyncDispose]()
      await workspace[Symbol.asyncDispose]()
    })

    it('is stopped, workspace and all, when no grade takes it', async () => {
      const dir = submission({ 'main.ts': "console.log('never')\n" })
      const keeper = new StandbyKeeper()
      await keeper.prepare(dir, 'main.ts', sandbox)
      // A standby started for another place does not fit, and is replaced: one waits at a time.
      const other = submission({ 'main.ts': "console.log('never')\n" })
      await keeper.prepare(path.join(path.dirname(other), 'elsewhere'), 'main.ts', sandbox)
      expect(keeper.take(dir, 'main.ts', sandbox)).toBeUndefined()
      const standby = keeper.take(path.join(path.dirname(other), 'elsewhere'), 'main.ts', sandbox)!
      expect(standby).toBeDefined()
      expect(existsSync(standby.workspaceDir)).toBe(true)
      expect(processesWith(standby.workspaceDir).length, 'the program waits in its workspace').toBeGreaterThan(0)
      expect(
        processesWith(path.basename(preloadPath('standbyBootstrap'))).filter((pid) => isDescendant(pid, process.pid))
          .length,
        'the standby runs the bootstrap',
      ).toBeGreaterThan(0)
      await standby[Symbol.asyncDispose]()
      await keeper[Symbol.asyncDispose]()
      expect(existsSync(standby.workspaceDir)).toBe(false)
      expect(
        processesWith(path.basename(preloadPath('standbyBootstrap'))).filter((pid) => isDescendant(pid, process.pid)),
      ).toEqual([])
    })
  },
)

function isDescendant(pid: number, ancestor: number): boolean {
  let current = pid
  for (let depth = 0; depth < 20 && current > 1; depth++) {
    if (current === ancestor) return true
    try {
      current = Number(/^\d+ \(.*\) \S (\d+)/.exec(readFileSync(`/proc/${current}/stat`, 'utf8'))?.[1] ?? 0)
    } catch {
      return false
    }
  }
  return false
}

describe('next runs started ahead within a grade (exercise.run.programRuns)', () => {
  it("ex3's runs 2 to 4 come from standbys started as the run before connected, and pass as fresh runs do", async () => {
    const { runCli, courseRoot } = await import('../support/run-cli.ts')
    const solution = readFileSync(path.join(courseRoot, 'exercises/ex3-qos/solution/main.ts'), 'utf8')
    const dir = submission({
      'main.ts': `${solution}\nconsole.log('on standby:', process.execArgv.some((arg) => arg.includes('standby-bootstrap')))\n`,
    })
    const graded = await runCli(['grade', 'ex3', '--dir', dir, '--broker', 'embedded', '--json'])
    expect(graded.exitCode, graded.stderr).toBe(0)
    const [result] = (
      JSON.parse(graded.stdout) as {
        exercises: Array<{ status: string; programRuns: Array<{ run: number; stdoutTail: string }> }>
      }
    ).exercises
    expect(result.status).toBe('passed')
    expect(result.programRuns.map((run) => [run.run, /on standby: (true|false)/.exec(run.stdoutTail)?.[1]])).toEqual([
      [1, 'false'],
      [2, 'true'],
      [3, 'true'],
      [4, 'true'],
    ])
  })
})
