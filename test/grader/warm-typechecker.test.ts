import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { typecheckProgram } from '../../grader/runner/typecheck.ts'
import { WarmTypechecker } from '../../grader/runner/warm-typechecker.ts'
import { courseRoot } from '../support/run-cli.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-warm-tsc-'))
const solution = readFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'), 'utf8')
const checker = new WarmTypechecker({ onFallback: (reason) => fallbacks.push(reason) })
const fallbacks: string[] = []
const signal = () => AbortSignal.timeout(30_000)

afterAll(async () => {
  await checker[Symbol.asyncDispose]()
  rmSync(dir, { recursive: true, force: true })
})

// Each state of the folder, in the order a student might save them; the warm checker must agree with a fresh
// tsc on every one (the same files, lines, columns, codes and messages), and must notice every change.
const states: Array<[string, Record<string, string | undefined>]> = [
  ['the solution', { 'main.ts': solution }],
  [
    'a type error after non-ASCII text (columns count characters, not bytes)',
    { 'main.ts': `${solution}\n// café → ✓\nconst café: number = "x"\n` },
  ],
  ['fixed again', { 'main.ts': solution }],
  [
    'an error whose message has a chain',
    {
      'main.ts': `${solution}\nconst o: { a: { b: number } } = { a: { b: "x" } }\nconst f: (x: string) => void = (x: number) => {}\n`,
    },
  ],
  [
    'an import of a file that does not exist yet',
    { 'main.ts': `import { twice } from './twice.ts'\n${solution}\nconsole.log(twice(2))\n` },
  ],
  ['the file, added', { 'twice.ts': 'export const twice = (n: number): string => n * 2\n' }],
  ['the file, fixed', { 'twice.ts': 'export const twice = (n: number): number => n * 2\n' }],
  ['a syntax error', { 'main.ts': `${solution}\nconst = 3\n`, 'twice.ts': undefined }],
]

it('the warm checker reports what a fresh tsc reports, save after save, each save in a fresh copy', async () => {
  const verdicts: boolean[] = []
  for (const [name, files] of states) {
    for (const [file, text] of Object.entries(files)) {
      if (text === undefined) unlinkSync(path.join(dir, file))
      else writeFileSync(path.join(dir, file), text)
    }
    // The grader checks a fresh copy of the submission on every run (its workspace): so does this test.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-warm-tsc-run-'))
    cpSync(dir, copy, { recursive: true })
    const [warm, cold] = [
      await checker.check(copy, 'main.ts', signal()),
      await typecheckProgram(copy, 'main.ts', signal()),
    ]
    rmSync(copy, { recursive: true, force: true })
    verdicts.push(warm.isOk)
    expect({ name, isOk: warm.isOk, diagnostics: warm.diagnostics }).toEqual({
      name,
      isOk: cold.isOk,
      diagnostics: cold.diagnostics,
    })
  }
  expect(verdicts).toEqual([true, false, true, false, false, false, true, false])
  expect(fallbacks).toEqual([])
}, 120_000)
