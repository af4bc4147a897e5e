import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { studentCompileCacheDir } from '../../grader/course/compile-cache.ts'
import { typeScriptCommand } from '../../grader/runner/program-command.ts'
import { chooseSandbox } from '../../grader/sandbox/sandbox.ts'
import { stripAhead, strippedManifestVariable } from '../../grader/runner/strip-ahead.ts'
import { StudentProgram } from '../../grader/runner/student-program.ts'
import { Workspace, warmStudentCompileCache } from '../../grader/runner/workspace.ts'

/**
 * The grader strips a submission's types once and the resolve hook runs that copy, so that Node never starts
 * its own stripper in a student's program. Each program here runs twice, as Node runs it alone and from the
 * stripped copy, in a sandbox where this machine has one, and must behave exactly the same: the same output,
 * the same errors with the same lines, the same module format. The copy is used only while the file is
 * unchanged, and the program never sees the grader's variable.
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
const workspaces: Workspace[] = []
afterAll(async () => {
  for (const workspace of workspaces) await workspace[Symbol.asyncDispose]()
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

/** What the program printed and how it ended; `stripperLoaded` says whether Node started its TypeScript stripper. */
interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

/** Reports, at exit, whether Node loaded its stripper (amaro) in this process. */
const reportStripper = `process.on('exit', () => console.log('stripper:', process.moduleLoadList.some((name) => name.includes('amaro'))))\n`

/** The files as a submission, copied into a grading workspace (a uid of its own, where the grader is root). */
function workspace(files: Record<string, string>, sandbox: (typeof sandboxes)[number]): Workspace {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-strip-'))
  folders.push(root)
  const dir = path.join(root, 'submission')
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  const created = Workspace.create(dir, sandbox)
  workspaces.push(created)
  return created
}

/** Runs `entry` in the workspace, as the grader runs a program: in the sandbox, with the stripped copy or not. */
async function run(
  workspace: Workspace,
  entry: string,
  sandbox: (typeof sandboxes)[number],
  manifest: string | undefined,
): Promise<Outcome> {
  const program = new StudentProgram({
    command: typeScriptCommand(path.join(workspace.dir, entry), workspace.dir),
    cwd: workspace.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_COMPILE_CACHE: studentCompileCacheDir },
    run: 1,
    owner: workspace.owner,
    sandbox,
    readable: manifest ? [path.dirname(manifest)] : [],
    ...(manifest ? { hidden: { [strippedManifestVariable]: manifest } } : {}),
  })
  const exit = await program.exited
  return { code: exit.exitCode ?? null, stdout: program.stdout.text, stderr: program.stderr.text }
}

/** Runs `entry` as Node alone would and from the stripped copy; returns both, the stripper line taken out. */
async function both(files: Record<string, string>, entry: string, sandbox: (typeof sandboxes)[number]) {
  // As a grade does: the course's own preloads (hook, sandbox init) run from the compile cache, never stripped.
  await warmStudentCompileCache()
  const submission = workspace(files, sandbox)
  const dir = submission.dir
  const manifest = stripAhead(dir, submission.graderDir)
  expect(manifest, 'something to strip').toBeDefined()
  // The copy first: run alone, Node would write its own stripped output to the compile cache (where it may).
  const ahead = await run(submission, entry, sandbox, manifest)
  const plain = await run(submission, entry, sandbox, undefined)
  // Node's own frames (node:internal/...) may differ by a line: which branch of its loader ran. The student's do not.
  const split = (outcome: Outcome) => ({
    ...outcome,
    stderr: outcome.stderr.replace(/^ +at .*\(node:internal\/.*\n/gm, ''),
    stdout: outcome.stdout.replace(/^stripper: (true|false)\n/m, ''),
    stripper: /^stripper: (true|false)$/m.exec(outcome.stdout)?.[1],
  })
  return { plain: split(plain), ahead: split(ahead), dir }
}

describe.each(sandboxes.map((sandbox) => [sandbox.kind, sandbox] as const))(
  'TypeScript stripped ahead, sandbox %s',
  (_kind, sandbox) => {
    it('runs an ES module main.ts with imports of .ts, .mts and .cts files as Node would, without Node starting its stripper', async () => {
      const files = {
        'main.ts': `${reportStripper}import { twice } from './lib/twice.ts'\nimport { name } from './name.mts'\nimport counter from './counter.cts'\nconst label: string = 'sum'\nconsole.log(label, twice(21), name, counter.count, typeof require, import.meta.main, process.env.${strippedManifestVariable} ?? 'no variable')\n`,
        'lib/twice.ts': 'export function twice(value: number): number {\n  return value * 2\n}\n',
        'name.mts': "export const name: string = 'mts'\n",
        'counter.cts': 'const count: number = 3\nmodule.exports = { count }\n',
      }
      const { plain, ahead } = await both(files, 'main.ts', sandbox)
      expect(plain.stdout).toBe('sum 42 mts 3 undefined true no variable\n')
      expect(ahead).toEqual({ ...plain, stripper: 'false' })
      expect(plain.stripper).toBe('true')
    })

    it('runs a CommonJS main.ts (no import or export) and a .ts file it requires as CommonJS, as Node would', async () => {
      // The entry comes from the copy; a .ts file that CommonJS require()s with no package.json "type" Node
      // strips itself (the hook cannot ask Node's format detection from there): the same code, only slower.
      const files = {
        'main.ts': `${reportStripper}const path: typeof import('node:path') = require('node:path')\nconst { twice } = require('./twice.ts')\nconsole.log(typeof module, typeof exports, path.basename(__filename), this === module.exports, twice(4))\n`,
        'twice.ts': 'function twice(value: number): number {\n  return value * 2\n}\nmodule.exports = { twice }\n',
      }
      const { plain, ahead } = await both(files, 'main.ts', sandbox)
      expect(plain.stdout).toBe('object object main.ts true 8\n')
      expect({ ...ahead, stripper: plain.stripper }).toEqual(plain)
    })

    it('follows the package.json "type" next to the program, as Node does', async () => {
      // No import or export: Node would detect CommonJS, but "type": "module" says otherwise.
      const files = {
        'package.json': '{ "type": "module" }',
        'main.ts': `${reportStripper}const where: string = typeof require === 'undefined' ? 'module' : 'commonjs'\nconsole.log(where, this)\n`,
      }
      const { plain, ahead } = await both(files, 'main.ts', sandbox)
      expect(plain.stdout).toBe('module undefined\n')
      expect(ahead).toEqual({ ...plain, stripper: 'false' })
    })

    it('reports a runtime error at the same line and file as Node does', async () => {
      const files = {
        'main.ts': `interface Reading {\n  celsius: number\n}\nconst reading: Reading = { celsius: 21 }\nconsole.log(reading.celsius)\nthrow new Error('broken on line 6')\n`,
      }
      const { plain, ahead, dir } = await both(files, 'main.ts', sandbox)
      expect(plain.code).toBe(1)
      expect(plain.stderr).toContain(`${path.join(dir, 'main.ts')}:6`)
      expect(ahead).toEqual(plain)
    })

    it('leaves what the stripper refuses (an enum) to Node, whose message the student gets', async () => {
      const files = {
        'main.ts': 'import { other } from "./other.ts"\nconsole.log(other)\n',
        'other.ts': 'enum Led {\n  On,\n  Off,\n}\nexport const other: number = Led.Off\n',
      }
      const { plain, ahead } = await both(files, 'main.ts', sandbox)
      expect(plain.code).not.toBe(0)
      expect(plain.stderr).toContain('ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX')
      expect(ahead).toEqual(plain)
    })

    it('runs a file the program changed before importing it as it is now, not as it was stripped', async () => {
      const files = {
        'main.ts':
          "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL('./late.ts', import.meta.url), 'export const value: string = \"rewritten\"\\n')\nconst { value } = await import('./late.ts')\nconsole.log(value)\n",
        'late.ts': 'export const value: string = "as graded"\n',
      }
      const { plain, ahead } = await both(files, 'main.ts', sandbox)
      expect(plain.stdout).toBe('rewritten\n')
      expect(ahead).toEqual(plain)
    })
  },
)
