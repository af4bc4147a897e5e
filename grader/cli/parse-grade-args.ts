import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type BrokerChoice, parseBrokerChoice } from '../broker/choose-backend.ts'
import { GraderError } from '../errors/grader-error.ts'
import { detectLayout, layoutExercise } from '../exercises/detect-layout.ts'
import { listExerciseFolders } from '../exercises/load-exercises.ts'
import type { SubmissionSource } from '../exercises/submission.ts'
import { type GradescopeVisibility, gradescopeVisibilities } from '../report/gradescope-reporter.ts'
import { describeFormats, type PlatformFormat, platformFormats, platformReporters } from './report-formats.ts'
import { type SandboxChoice, sandboxChoices } from '../sandbox/sandbox.ts'

export interface GradeCommand {
  exercises: readonly string[] | 'all'
  /** No exercise was named: they are the ones `--dir` holds (after a zip in it is unpacked: grade-command.ts). */
  isFromDir?: boolean
  source: SubmissionSource
  broker: BrokerChoice
  command?: string
  seed?: number
  isJson: boolean
  junitFile?: string
  /** `--format gradescope|classroom|github` (comma-separated): reports for those platforms. */
  formats?: readonly PlatformFormat[]
  sandbox: SandboxChoice
  /** `--visibility`: when Gradescope shows the tests to students (--format gradescope only). */
  visibility?: GradescopeVisibility
  isHelp: boolean
}

const options = {
  all: { type: 'boolean' },
  solution: { type: 'boolean' },
  dir: { type: 'string' },
  broker: { type: 'string' },
  json: { type: 'boolean' },
  junit: { type: 'string' },
  format: { type: 'string' },
  seed: { type: 'string' },
  cmd: { type: 'string' },
  sandbox: { type: 'string' },
  visibility: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export const gradeUsage = `Usage: npm run grade -- <exercise> [options]
       npm run grade -- --all [options]

<exercise> is ex1, 1, or its slug (hello-mqtt).

Options:
  --all               grade every exercise, in course order
  --solution          grade the reference solution instead of your starter
  --dir <path>        grade a submission folder laid out like exercises/ (or one exercise's folder)
  --broker <broker>   auto (default) | embedded | mosquitto | container | mqtt://host:port
  --cmd "<command>"   run your program with this command (e.g. "python3 main.py")
  --seed <n>          reuse the randomised inputs of an earlier run
  --json              print the result as one JSON document
  --junit <file>      also write JUnit XML to <file>
  --format <formats>  ${describeFormats({ indent: ' '.repeat(22), widthChars: 106 })}
  --sandbox <mode>    auto (default: the strongest here) | isolated (auto, but never none: exit 2 instead) |
                      bwrap (required) | uid (root: a uid per grade) | none
  --visibility <when> with --format gradescope: when students see the tests, as Gradescope defines it:
                      visible (default) | after_due_date | after_published | hidden
  -h, --help          show this help

Exit code: 0 every check that ran passed (exercises no broker here can run are skipped, and said so),
1 a check failed, 2 usage or environment error.`

/**
 * Turns the grade command's arguments into a GradeCommand, or a one-line usage error that says what to type.
 * `npm run grade ex1 --solution` (without `--`) reaches us through npm's environment: npm keeps flags it does
 * not know as npm_config_* variables, so we read those too.
 */
export function parseGradeArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): GradeCommand {
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (error) {
    throw usageError(error as Error & { code?: string })
  }
  const values = { ...fromNpmConfig(env), ...stripUndefined(parsed.values) }
  if (values.help)
    return { exercises: [], source: { kind: 'starter' }, broker: 'auto', isJson: false, sandbox: 'auto', isHelp: true }

  if (values.solution && values.dir !== undefined) {
    throw new GraderError('USAGE', '--solution and --dir cannot be used together', {
      hint: 'use --solution to check the reference solution, or --dir to grade a submission',
    })
  }
  if (values.dir === '')
    throw new GraderError('USAGE', '--dir needs a folder', { hint: 'e.g. --dir submissions/alice' })
  const source: SubmissionSource = values.solution
    ? { kind: 'solution' }
    : values.dir !== undefined
      ? { kind: 'dir', dir: values.dir }
      : { kind: 'starter' }

  let exercises: GradeCommand['exercises']
  if (values.all) {
    if (parsed.positionals.length > 0)
      throw new GraderError('USAGE', `--all grades every exercise; drop "${parsed.positionals.join(' ')}"`)
    exercises = 'all'
  } else if (parsed.positionals.length > 0) {
    exercises = parsed.positionals
  } else if (values.dir !== undefined) {
    exercises = exercisesInDir(values.dir, values.cmd !== undefined)
  } else {
    const valid = listExerciseFolders()
      .map((f) => f.id)
      .join(', ')
    throw new GraderError('USAGE', `say which exercise to grade (${valid}), or --all`, {
      hint: 'e.g. npm run grade -- ex1',
    })
  }

  let seed: number | undefined
  if (values.seed !== undefined) {
    seed = Number(values.seed)
    if (!Number.isInteger(seed) || seed < 1 || seed > 2 ** 32 - 1) {
      throw new GraderError(
        'USAGE',
        `--seed ${values.seed} is not a seed: expected a whole number from 1 to 4294967295`,
        { hint: 'copy the seed from the line that printed it' },
      )
    }
  }
  if (values.cmd !== undefined && values.cmd.trim() === '')
    throw new GraderError('USAGE', '--cmd needs a command', { hint: 'e.g. --cmd "python3 main.py"' })
  const formats = parseFormats(values.format)
  const document = formats.find((name) => 'isDocument' in platformReporters[name])
  if (document && values.json)
    throw new GraderError('USAGE', `--json and --format ${document} both print one document: choose one`, {
      hint: `e.g. --format ${document} > results.json`,
    })
  if (values.junit === '')
    throw new GraderError('USAGE', '--junit needs a file name', { hint: 'e.g. --junit reports/junit.xml' })
  const sandbox = values.sandbox ?? 'auto'
  if (!(sandboxChoices as readonly string[]).includes(sandbox)) {
    throw new GraderError(
      'USAGE',
      `--sandbox ${sandbox} is not a sandbox mode: expected one of ${sandboxChoices.join(', ')}`,
      { hint: 'e.g. --sandbox auto' },
    )
  }

  if (values.visibility !== undefined && !formats.includes('gradescope'))
    throw new GraderError('USAGE', '--visibility is for --format gradescope', {
      hint: 'e.g. --format gradescope --visibility after_due_date',
    })
  if (values.visibility !== undefined && !(gradescopeVisibilities as readonly string[]).includes(values.visibility)) {
    throw new GraderError(
      'USAGE',
      `--visibility ${values.visibility}: expected one of ${gradescopeVisibilities.join(', ')}`,
      { hint: 'e.g. --visibility after_due_date' },
    )
  }

  return {
    exercises,
    ...(values.visibility !== undefined ? { visibility: values.visibility as GradescopeVisibility } : {}),
    ...(values.dir !== undefined && !values.all && parsed.positionals.length === 0 ? { isFromDir: true } : {}),
    source,
    broker: parseBrokerChoice(values.broker ?? 'auto'),
    ...(values.cmd !== undefined ? { command: values.cmd } : {}),
    ...(seed !== undefined ? { seed } : {}),
    isJson: values.json ?? false,
    ...(values.junit !== undefined ? { junitFile: values.junit } : {}),
    ...(formats.length > 0 ? { formats } : {}),
    sandbox: sandbox as SandboxChoice,
    isHelp: false,
  }
}

/** Whether the arguments say what to grade (an exercise, --all or --dir): `watch` picks the next exercise when not. */
export function namesExercise(args: readonly string[]): boolean {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: false })
    return (
      parsed.positionals.length > 0 ||
      parsed.values.all === true ||
      parsed.values.dir !== undefined ||
      parsed.values.help === true
    )
  } catch {
    return true // let parseGradeArgs say what is wrong
  }
}

/**
 * `--dir` without an exercise: the exercises the folder holds, found by the layout detector batch uses too
 * (detect-layout.ts). A folder that holds only a zip grades every exercise, narrowed to what the zip holds once
 * it is unpacked (grade-command.ts).
 */
function exercisesInDir(dir: string, hasCommand: boolean): readonly string[] | 'all' {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new GraderError('NO_SUBMISSION', `--dir ${dir} is not a folder`, {
      hint: 'give the folder that holds the submission, e.g. --dir submissions/alice',
    })
  }
  const folders = listExerciseFolders()
  const base = path.basename(path.resolve(dir))
  const single = folders.find((f) => f.folder === base || f.id === base || f.slug === base)
  if (single) return [single.id]
  const layout = detectLayout(dir, folders.map(layoutExercise), { acceptsAnyProgram: hasCommand })
  if (layout.found.length > 0) return layout.found.map((entry) => entry.exerciseId)
  if (holdsZip(dir)) return 'all'
  throw new GraderError('NO_SUBMISSION', `${dir}: ${layout.problem ?? 'no exercise found'}`, {
    hint: `name the exercise if the files are one exercise's: npm run grade -- ${folders[0]?.id ?? 'ex1'} --dir ${dir}`,
  })
}

function holdsZip(dir: string): boolean {
  const entries = readdirSync(dir, { withFileTypes: true }).filter(
    (entry) => !entry.name.startsWith('.') && entry.name !== '__MACOSX',
  )
  if (entries.some((entry) => entry.isFile() && /\.zip$/i.test(entry.name))) return true
  return entries.length === 1 && entries[0].isDirectory() && holdsZip(path.join(dir, entries[0].name))
}

function parseFormats(value: string | undefined): PlatformFormat[] {
  if (value === undefined) return []
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  const unknown = names.filter((name) => !(platformFormats as readonly string[]).includes(name))
  if (names.length === 0 || unknown.length > 0) {
    throw new GraderError('USAGE', `--format ${value}: expected ${platformFormats.join(', ')} (several with commas)`, {
      hint: 'e.g. --format classroom,github',
    })
  }
  return [...new Set(names)] as PlatformFormat[]
}

function usageError(error: Error & { code?: string }): GraderError {
  const message = error.message
  const unknown = /Unknown option '([^']+)'/.exec(message)
  if (unknown)
    return new GraderError('USAGE', `unknown option ${unknown[1]}`, {
      hint: 'run npm run grade -- --help for the options',
    })
  const missing = /Option '(--\w+)[^']*' argument missing/.exec(message)
  if (missing)
    return new GraderError('USAGE', `${missing[1]} needs a value`, {
      hint: 'run npm run grade -- --help for the options',
    })
  return new GraderError('USAGE', message, { hint: 'run npm run grade -- --help for the options' })
}

type Values = {
  -readonly [K in keyof typeof options]?: (typeof options)[K]['type'] extends 'boolean' ? boolean : string
}

/** Flags npm swallowed: `npm run grade ex1 --solution` sets npm_config_solution=true. Only names npm itself lacks. */
function fromNpmConfig(env: NodeJS.ProcessEnv): Values {
  if (env.npm_lifecycle_event !== 'grade') return {}
  const values: Values = {}
  if (env.npm_config_solution === 'true') values.solution = true
  for (const name of ['broker', 'seed', 'dir', 'cmd', 'junit', 'sandbox', 'format', 'visibility'] as const) {
    const value = env[`npm_config_${name}`]
    if (value !== undefined && value !== 'true') values[name] = value
  }
  return values
}

function stripUndefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** node:util parseArgs's messages, shortened to what the student typed wrong. */
export function describeParseError(error: Error): string {
  const unknown = /Unknown option '([^']+)'/.exec(error.message)
  return unknown ? `unknown option ${unknown[1]}` : error.message
}
