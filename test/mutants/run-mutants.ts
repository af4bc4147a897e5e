/**
 * `npm run test:mutants -- [--seeds 20] [--broker embedded,mosquitto,container] [--exercises ex1,ex7] [--jobs 3] [--max-jobs 12]`
 *
 * The grader judged by programs nobody on the course wrote: every mutant (a known-wrong patch of a solution)
 * must fail on every broker that can run it and on many seeds, always with the check its patch names first and
 * no other; every variant (a correct program written differently) must pass. The vitest suites prove this for
 * one fixed seed (and pin the messages); this runs many seeds, since a check that only catches a mistake on
 * some draws of its inputs is not a check. Seeds are printed: a failure repeats with --seed.
 *
 * The last line is "N passed, M failed"; the exit code is 1 when anything failed.
 */
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { type BrokerKind, missingCapabilities } from '../../grader/broker/broker.ts'
import { BackendChooser } from '../../grader/broker/choose-backend.ts'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { embeddedBackend } from '../../grader/broker/embedded-broker.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { type Exercise, loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { type Mutant, listMutants, listVariants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { gradeExercise } from '../../grader/grade/grade-exercise.ts'
import type { ExerciseResult } from '../../grader/report/result.ts'
import { newSeed } from '../../grader/runner/random.ts'
import { chooseSandbox } from '../../grader/sandbox/sandbox.ts'
import { CpuHeadroomGate } from '../../grader/process/cpu-headroom.ts'
import { type Typechecker, typecheckProgram } from '../../grader/runner/typecheck.ts'
import { WarmTypechecker } from '../../grader/runner/warm-typechecker.ts'
import { detectBrokers } from '../support/brokers.ts'

type LocalBroker = Exclude<BrokerKind, 'url'>
const backends = { embedded: embeddedBackend, mosquitto: mosquittoBackend, container: containerBackend }

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    broker: { type: 'string', default: 'embedded,mosquitto,container' },
    exercises: { type: 'string' },
    jobs: { type: 'string', default: String(Math.max(2, os.availableParallelism())) },
    'max-jobs': { type: 'string', default: '12' },
    'first-seed': { type: 'string' },
  },
})
const seedCount = Number(values.seeds)
const jobs = Number(values.jobs)
const maxJobs = Number(values['max-jobs'])
if (![seedCount, jobs, maxJobs].every((value) => Number.isInteger(value) && value >= 1)) {
  process.stderr.write('error: --seeds, --jobs and --max-jobs take a whole number of 1 or more, e.g. --seeds 20\n')
  process.exit(2)
}
const requested = values.broker.split(',') as LocalBroker[]
const unknown = requested.filter((kind) => !(kind in backends))
if (unknown.length > 0) {
  process.stderr.write(`error: --broker ${unknown.join(',')}: expected embedded, mosquitto and/or container\n`)
  process.exit(2)
}
const available = new Set((await detectBrokers()).filter((broker) => broker.isAvailable).map((broker) => broker.kind))
const missing = requested.filter((kind) => !available.has(kind))
if (missing.length > 0 && process.env.CI === 'true') {
  process.stderr.write(
    `error: --broker ${missing.join(',')} is not available here, and CI needs every broker it names\n`,
  )
  process.exit(2)
}
const brokers = requested.filter((kind) => available.has(kind))
const firstSeed = values['first-seed'] ? Number(values['first-seed']) : newSeed()
const seeds = Array.from({ length: seedCount }, (_, index) => ((firstSeed + index * 104_729) % 4_294_967_295) + 1)
const only = values.exercises?.split(',')
const exercises = (await loadAllExercises()).filter((exercise) => !only || only.includes(exercise.id))
const sandbox = chooseSandbox('auto')
const hasPythonWithPaho = spawnSync('python3', ['-c', 'import paho.mqtt.client'], { stdio: 'ignore' }).status === 0

interface Job {
  exercise: Exercise
  broker: LocalBroker
  /** A mutant must fail `fails` first and only; a variant (fails undefined) must pass. */
  patch: Pick<Mutant, 'name' | 'patchFile' | 'base'> & { fails?: string }
  seed: number
  /** `--cmd` for patches of a solution in another language (solution-python: python3 main.py). */
  command?: string
}

const jobsToRun: Job[] = []
for (const exercise of exercises) {
  const required = [...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)]
  const runsOn = brokers.filter((kind) => missingCapabilities(required, backends[kind].capabilities).length === 0)
  // A mutant no requested broker can run (ex8 on embedded alone) is tried on the fastest broker that can.
  const where =
    runsOn.length > 0 ? runsOn : (['mosquitto', 'container'] as const).filter((kind) => available.has(kind)).slice(0, 1)
  const patches = [...listMutants(exercise.dir), ...listVariants(exercise.dir)]
  // A mutant wrong only on some brokers (`@fails check on embedded: ...`) runs only there.
  const brokersFor = (patch: (typeof patches)[number]) =>
    where.filter((kind) => !('brokers' in patch) || !patch.brokers || patch.brokers.includes(kind))
  for (const patch of patches)
    for (const broker of brokersFor(patch)) for (const seed of seeds) jobsToRun.push({ exercise, broker, patch, seed })
  if (!hasPythonWithPaho) continue
  for (const patch of [
    ...listMutants(exercise.dir, 'mutants-python'),
    ...listVariants(exercise.dir, 'variants-python'),
  ]) {
    for (const broker of where)
      for (const seed of seeds) jobsToRun.push({ exercise, broker, patch, seed, command: 'python3 main.py' })
  }
}

process.stdout.write(
  `mutants and variants: ${jobsToRun.length} gradings (${seedCount} seed${seedCount === 1 ? '' : 's'} from ${firstSeed}, on ${brokers.join(', ') || 'no broker'}; ${jobs} at a time, up to ${Math.max(jobs, maxJobs)} while the cores have room)\n`,
)
let passed = 0
const failures: string[] = []
// --jobs at once always; up to --max-jobs while the cores have idle time (as batch and grade --all do). The
// same mutant on five seeds is type-checked once (the cache); the others share one warm compiler.
const gate = new CpuHeadroomGate({ minimum: jobs, maximum: Math.max(jobs, maxJobs) })
const typechecker = new WarmTypechecker()
const typecheck: Typechecker = (dir, entry, signal) => typecheckProgram(dir, entry, signal, typechecker.check)
await Promise.all(
  jobsToRun.map(async (job) => {
    await gate.enter()
    let problem: string | undefined
    try {
      problem = await judge(job)
    } finally {
      gate.leave()
    }
    const what = `${job.exercise.id} ${job.patch.fails ? 'mutant' : 'variant'} ${job.patch.name} on ${job.broker}, seed ${job.seed}`
    if (problem) {
      failures.push(`${what}: ${problem}`)
      process.stdout.write(`✗ ${what}: ${problem}\n`)
    } else passed++
  }),
)
await typechecker[Symbol.asyncDispose]()

async function judge(job: Job): Promise<string | undefined> {
  let result: ExerciseResult
  try {
    using made = materializeMutant(job.exercise.dir, job.patch)
    result = await gradeExercise(job.exercise, {
      source: { kind: 'program-dir', dir: made.dir, label: job.patch.name },
      chooser: new BackendChooser(job.broker),
      seed: job.seed,
      sandbox,
      typecheck,
      ...(job.command ? { command: job.command } : {}),
    })
  } catch (error) {
    return `could not be made or graded: ${(error as Error).message}`
  }
  if (result.error) return `grading errored: ${result.error.message}`
  const notPassed = result.checks
    .filter((check) => check.status === 'failed' || check.status === 'errored')
    .map((check) => check.id)
  if (!job.patch.fails) {
    const first = result.checks.find((check) => check.status === 'failed' || check.status === 'errored')
    return result.status === 'passed'
      ? undefined
      : `should pass, but ${notPassed.join(', ')} did not (${first?.id}: ${first?.message?.split('\n')[0]})`
  }
  if (notPassed.length === 1 && notPassed[0] === job.patch.fails) return undefined
  const first = result.checks.find((check) => check.status === 'failed' || check.status === 'errored')
  return notPassed.length === 0
    ? `passed every check: "${job.patch.fails}" did not catch it`
    : `failed ${notPassed.join(', ')}, expected only ${job.patch.fails} (${first?.id}: ${first?.message?.split('\n')[0]})`
}

process.stdout.write(
  `\n${failures.length === 0 ? 'every mutant failed its check, every variant passed' : `${failures.length} went wrong:\n${failures.join('\n')}`}\n`,
)
process.stdout.write(`${passed} passed, ${failures.length} failed\n`)
process.exit(failures.length === 0 ? 0 : 1)
