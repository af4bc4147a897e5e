import os from 'node:os'
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { type BrokerChoice, parseBrokerChoice } from '../broker/choose-backend.ts'
import { GraderError } from '../errors/grader-error.ts'
import { resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { type SandboxChoice, sandboxChoices } from '../sandbox/sandbox.ts'
import { type LanguageCommands, parseLanguageCommands } from './program-language.ts'
import { type LmsFormat, lmsFormats } from './lms-gradebook.ts'
import { type LatePolicy, parseDue, parseLatePolicy } from './late-policy.ts'

/** `npm run batch -- similarity <cohort>` (grader/similarity/run-similarity.ts). */
export interface SimilarityCommand {
  kind: 'similarity'
  cohortDir: string
  exercises?: string[]
  /** Pairs shown per exercise. */
  top: number
  /** Where similarity.csv goes (every pair), if anywhere. */
  outDir?: string
}

export interface Shard {
  /** 1-based, as typed: `--shard 2/8` is index 2 of count 8. */
  index: number
  count: number
}

export interface BatchCommand {
  kind: 'batch'
  cohortDir: string
  outDir: string
  /** Grading processes. */
  jobs: number
  /** Grades each process runs at once. */
  perJob: number
  /** Exercise ids in course order; undefined for every exercise. */
  exercises?: string[]
  broker: BrokerChoice
  seed?: number
  shard?: Shard
  isForced: boolean
  sandbox?: SandboxChoice
  /** Extension → command line for entries other than main.ts (program-language.ts); python3 for main.py. */
  languageCommands: LanguageCommands
  /** `--roster`: the class list (roster.ts), read before grading. */
  rosterFile?: string
  /** `--overrides`: manual scores (overrides.ts); else <out>/overrides.csv when it exists. */
  overridesFile?: string
  /** `--format`: LMS gradebooks written beside gradebook.csv. */
  formats: LmsFormat[]
  /** `--bom`: gradebook.csv starts with a UTF-8 byte order mark (Excel). */
  hasBom: boolean
  /** `--due`: repositories are graded at their last commit before it (checked ISO 8601 with a time zone). */
  due?: string
  /** `--late`: what work committed after --due is worth (late-policy.ts). */
  late?: LatePolicy
}

export interface MergeCommand {
  kind: 'merge'
  shardDirs: string[]
  outDir: string
}

export type BatchCliCommand = BatchCommand | MergeCommand | SimilarityCommand | { kind: 'help' }

/** At most, per process: how many actually run at once is set by the cores' idle time (worker-pool.ts); this caps memory. */
export const defaultPerJob = 8

export const batchUsage = `Usage: npm run batch -- <cohort-dir> [options]
       npm run batch -- merge <shard-out-dir>... --out <dir>
       npm run batch -- similarity <cohort-dir> [--exercises <ids>] [--top <n>] [--out <dir>]

Grades every submission in <cohort-dir>: each subfolder is one student's submission, named by the student.
A submission may be a clone of this course (exercises/ex1-hello-mqtt/...), a folder of exN-slug/ folders,
a folder of exN/ folders, or (with --exercises naming one exercise) that exercise's files.

Options:
  --out <dir>          where the gradebook and reports go (default: reports/)
  --jobs <n>           grading processes (default: the number of cores)
  --per-job <n>        submissions x exercises each process grades at once (default: ${defaultPerJob}; a grade
                       mostly waits for the broker and the program, so several share a core well)
  --exercises <ids>    only these exercises, e.g. ex1,ex5 (default: all)
  --broker <broker>    auto (default) | embedded | mosquitto | container | mqtt://host:port
  --seed <n>           one seed for the whole cohort (default: a fresh one, printed)
  --shard <i>/<n>      grade only the i-th of n deterministic slices of the cohort (CI matrix)
  --force              regrade submissions whose result is already in --out
  --sandbox <mode>     auto (default: bubblewrap, or as root a uid per grade; exit 2 with neither; isolated
                       is the same) | bwrap | uid | none (no isolation: programs see each other and you)
  --cmd-for <ext>=<command>
                       how to run an entry in another language, {entry} being its file, e.g.
                       --cmd-for go="go run {entry}" (repeatable). The entry file decides, per submission and
                       exercise: main.ts runs on the course's pinned Node, main.py with python3 {entry}
  --roster <file>      the class list, a CSV with a folder column (the submission folder's name) and any of
                       name, email, id_number, username, canvas_id, sis_user_id, sis_login_id, section: the
                       gradebook follows its order, lists students without a folder as not submitted, and
                       flags folders it does not name
  --overrides <file>   manual scores applied on top of the grades, every run (--force too): a CSV with
                       student,exercise,check,points,reason,by (check: a check's id or total); default:
                       <out>/overrides.csv when it exists
  --format <formats>   LMS gradebooks to write beside gradebook.csv: canvas (gradebook-canvas.csv, Canvas's
                       Grades → Import), moodle (gradebook-moodle.csv, Moodle's CSV grade import); e.g. canvas,moodle
  --due <time>         grade each submission that is a git repository at its last commit before this time
                       (ISO 8601 with a time zone, e.g. 2026-03-01T23:59:00+01:00), from a copy of that
                       commit's files (the student's folder is never changed); the commit and its time go in
                       result.json and the gradebook. A folder without git is graded as it is, said so
  --late <policy>      with --due, grade the latest commit too when it came after the deadline, with a penalty,
                       and count the better of the two, e.g. --late "10%/day,max 3d"
  --bom                start gradebook.csv with a UTF-8 byte order mark, so Excel shows accents right
  -h, --help           show this help

similarity ranks, per exercise, the pairs of submissions most alike (Dolos's winnowing over the code's
structure, names ignored; the starter discounted, untouched starters left out), the --top most alike printed
(default 5), every pair in <out>/similarity.csv.

Writes to --out: gradebook.csv, index.html (the cohort report), <student>/result.json, <student>/junit.xml,
and with --format, gradebook-canvas.csv / gradebook-moodle.csv.
Exit code: 0 when every submission was graded (whatever the scores), 2 for bad input.`

const batchOptions = {
  out: { type: 'string' },
  jobs: { type: 'string' },
  'per-job': { type: 'string' },
  exercises: { type: 'string' },
  broker: { type: 'string' },
  seed: { type: 'string' },
  shard: { type: 'string' },
  force: { type: 'boolean' },
  sandbox: { type: 'string' },
  'cmd-for': { type: 'string', multiple: true },
  roster: { type: 'string' },
  overrides: { type: 'string' },
  format: { type: 'string' },
  bom: { type: 'boolean' },
  due: { type: 'string' },
  late: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const hint = 'run npm run batch -- --help for the options'

/**
 * Turns `batch`'s arguments into a command, or a GraderError('USAGE') that says what to type instead.
 * `npm run batch submissions --out x` (without `--`) reaches us through npm's environment, as for grade.
 */
export function parseBatchArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): BatchCliCommand {
  if (args[0] === 'merge') return parseMergeArgs(args.slice(1), env)
  if (args[0] === 'similarity') return parseSimilarityArgs(args.slice(1))
  const parsed = parse(args, batchOptions)
  const values = {
    ...fromNpmConfig(env, [
      'out',
      'jobs',
      'per-job',
      'exercises',
      'broker',
      'seed',
      'shard',
      'sandbox',
      'roster',
      'overrides',
      'format',
      'due',
      'late',
    ]),
    ...definedOnly(parsed.values),
  } as typeof parsed.values
  if (env.npm_lifecycle_event === 'batch' && env.npm_config_force === 'true' && values.force === undefined)
    values.force = true
  if (values.help) return { kind: 'help' }
  if (parsed.positionals.length !== 1) {
    // npm took `--out x` for itself (npm_config_out=true) and left x behind: the `--` was forgotten.
    const swallowed =
      env.npm_lifecycle_event === 'batch' &&
      Object.keys(batchOptions).some((name) => env[`npm_config_${name}`] === 'true')
    throw new GraderError(
      'USAGE',
      parsed.positionals.length === 0
        ? 'say which cohort folder to grade'
        : `one cohort folder at a time, not ${parsed.positionals.length} (${parsed.positionals.join(', ')})`,
      {
        hint: swallowed
          ? 'npm kept the options for itself: put -- before them, e.g. npm run batch -- submissions/ --out reports/'
          : 'e.g. npm run batch -- submissions/ --out reports/',
      },
    )
  }
  const jobs = values.jobs === undefined ? Math.max(1, os.availableParallelism()) : Number(values.jobs)
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256)
    throw new GraderError(
      'USAGE',
      `--jobs ${values.jobs} is not a number of jobs: expected a whole number from 1 to 256`,
      { hint: 'e.g. --jobs 4' },
    )
  const perJob = values['per-job'] === undefined ? defaultPerJob : Number(values['per-job'])
  if (!Number.isInteger(perJob) || perJob < 1 || perJob > 64)
    throw new GraderError(
      'USAGE',
      `--per-job ${values['per-job']} is not a number of grades: expected a whole number from 1 to 64`,
      { hint: 'e.g. --per-job 4' },
    )
  let seed: number | undefined
  if (values.seed !== undefined) {
    seed = Number(values.seed)
    if (!Number.isInteger(seed) || seed < 1 || seed > 2 ** 32 - 1)
      throw new GraderError(
        'USAGE',
        `--seed ${values.seed} is not a seed: expected a whole number from 1 to 4294967295`,
        { hint: 'e.g. --seed 2026' },
      )
  }
  if (values.sandbox !== undefined && !(sandboxChoices as readonly string[]).includes(values.sandbox)) {
    throw new GraderError(
      'USAGE',
      `--sandbox ${values.sandbox} is not a sandbox mode: expected ${sandboxChoices.join(', ')}`,
      { hint: 'e.g. --sandbox auto' },
    )
  }
  return {
    kind: 'batch',
    cohortDir: parsed.positionals[0],
    outDir: nonEmpty(values.out, '--out', 'e.g. --out reports/') ?? 'reports',
    jobs,
    perJob,
    ...(values.exercises !== undefined ? { exercises: parseExerciseList(values.exercises) } : {}),
    broker: parseBrokerChoice(values.broker ?? 'auto'),
    ...(seed !== undefined ? { seed } : {}),
    ...(values.shard !== undefined ? { shard: parseShard(values.shard) } : {}),
    isForced: values.force ?? false,
    ...(values.sandbox !== undefined ? { sandbox: values.sandbox as SandboxChoice } : {}),
    languageCommands: parseLanguageCommands(values['cmd-for'] ?? []),
    ...(values.roster !== undefined
      ? { rosterFile: nonEmpty(values.roster, '--roster', 'e.g. --roster roster.csv')! }
      : {}),
    ...(values.overrides !== undefined
      ? { overridesFile: nonEmpty(values.overrides, '--overrides', 'e.g. --overrides overrides.csv')! }
      : {}),
    formats: values.format === undefined ? [] : parseFormats(values.format),
    hasBom: values.bom ?? false,
    ...(values.due !== undefined ? { due: checkedDue(values.due) } : {}),
    ...(values.late !== undefined ? { late: parseLate(values.late, values.due) } : {}),
  }
}

function parseMergeArgs(args: readonly string[], env: NodeJS.ProcessEnv): BatchCliCommand {
  const parsed = parse(args, { out: batchOptions.out, help: batchOptions.help })
  if (parsed.values.help) return { kind: 'help' }
  if (parsed.positionals.length === 0)
    throw new GraderError('USAGE', 'say which shard outputs to merge', {
      hint: 'e.g. npm run batch -- merge shard-1/ shard-2/ --out reports/',
    })
  const out = (parsed.values.out as string | undefined) ?? fromNpmConfig(env, ['out']).out
  return {
    kind: 'merge',
    shardDirs: parsed.positionals,
    outDir: nonEmpty(out, '--out', 'e.g. --out reports/') ?? 'reports',
  }
}

function parseSimilarityArgs(args: readonly string[]): BatchCliCommand {
  const parsed = parse(args, {
    out: batchOptions.out,
    exercises: batchOptions.exercises,
    top: { type: 'string' },
    help: batchOptions.help,
  })
  if (parsed.values.help) return { kind: 'help' }
  if (parsed.positionals.length !== 1)
    throw new GraderError('USAGE', 'say which cohort folder to compare', {
      hint: 'e.g. npm run batch -- similarity submissions/ --out reports/',
    })
  const top = parsed.values.top === undefined ? 5 : Number(parsed.values.top)
  if (!Number.isInteger(top) || top < 1)
    throw new GraderError(
      'USAGE',
      `--top ${parsed.values.top} is not a number of pairs: expected a whole number from 1`,
      { hint: 'e.g. --top 10' },
    )
  const exercises = parsed.values.exercises as string | undefined
  const out = parsed.values.out as string | undefined
  return {
    kind: 'similarity',
    cohortDir: parsed.positionals[0],
    top,
    ...(exercises !== undefined ? { exercises: parseExerciseList(exercises) } : {}),
    ...(out !== undefined ? { outDir: nonEmpty(out, '--out', 'e.g. --out reports/')! } : {}),
  }
}

/** Flags npm kept for itself when the `--` was forgotten: `npm run batch subs --out x` sets npm_config_out=x. */
function fromNpmConfig(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  if (env.npm_lifecycle_event !== 'batch') return {}
  return Object.fromEntries(
    names
      .map((name) => [name, env[`npm_config_${name.replaceAll('-', '_')}`]])
      .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== 'true'),
  )
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

/** `--exercises ex1,5,last-will` → ['ex1', 'ex5', 'ex5'] de-duplicated, in course order. */
function parseExerciseList(value: string): string[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  if (names.length === 0)
    throw new GraderError('USAGE', '--exercises needs at least one exercise', { hint: 'e.g. --exercises ex1,ex5' })
  const folders = names.map((name) => resolveExerciseFolder(name))
  return [...new Map(folders.sort((a, b) => a.number - b.number).map((f) => [f.id, f.id])).values()]
}

function parseLate(value: string, due: string | undefined): LatePolicy {
  if (due === undefined)
    throw new GraderError('USAGE', '--late needs --due: late is after a deadline', {
      hint: 'e.g. --due 2026-03-01T23:59:00+01:00 --late "10%/day,max 3d"',
    })
  return parseLatePolicy(value)
}

/** `--format canvas,moodle`: csv (the plain gradebook, always written) may be named too. */
function parseFormats(value: string): LmsFormat[] {
  const names = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean)
  const unknown = names.filter((name) => name !== 'csv' && !(lmsFormats as readonly string[]).includes(name))
  if (names.length === 0 || unknown.length > 0)
    throw new GraderError(
      'USAGE',
      `--format ${value}: ${unknown.length ? `"${unknown.join('", "')}" is not a gradebook format` : 'name a format'}; expected csv, ${lmsFormats.join(', ')}`,
      { hint: 'e.g. --format canvas (writes gradebook-canvas.csv beside gradebook.csv)' },
    )
  return [...new Set(names.filter((name): name is LmsFormat => name !== 'csv'))]
}

function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim())
  const index = Number(match?.[1])
  const count = Number(match?.[2])
  if (!match || count < 1 || index < 1 || index > count) {
    throw new GraderError('USAGE', `--shard ${value} is not a shard: expected i/n with 1 ≤ i ≤ n`, {
      hint: 'e.g. --shard 2/8 grades the second of eight slices',
    })
  }
  return { index, count }
}

function nonEmpty(value: string | undefined, flag: string, example: string): string | undefined {
  if (value === '') throw new GraderError('USAGE', `${flag} needs a value`, { hint: example })
  return value
}

function parse<T extends ParseArgsOptionsConfig>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (error) {
    const message = (error as Error).message
    const unknown = /Unknown option '([^']+)'/.exec(message)
    if (unknown) throw new GraderError('USAGE', `unknown option ${unknown[1]}`, { hint })
    const missing = /Option '(--\w+)[^']*' argument missing/.exec(message)
    if (missing) throw new GraderError('USAGE', `${missing[1]} needs a value`, { hint })
    throw new GraderError('USAGE', message, { hint })
  }
}

/** `--due` as given, once parseDue has found it a valid time (exit 2 otherwise). */
function checkedDue(text: string): string {
  parseDue(text)
  return text
}
