import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defaultPerJob } from '../grader/batch/parse-batch-args.ts'
import { listMutants, materializeMutant } from '../grader/exercises/mutants.ts'
import type { ExerciseResult } from '../grader/report/result.ts'
import { createCpuAccount } from './cpu-accounting.ts'
import { samplePeakMemory, type TreeMemory } from './process-tree-memory.ts'

const courseRoot = fileURLToPath(new URL('../', import.meta.url))

export interface BatchRun {
  wallMs: number
  /** CPU seconds of the batch and everything it started; undefined where no cgroup could count them. */
  cpuSeconds: number | undefined
  peak: TreeMemory
  stdout: string
}

/** What a generated submission is, so the batch's verdict on it can be judged. */
export interface Expected {
  student: string
  exerciseId: string
  kind: 'solution' | 'starter' | 'mutant'
  /** For a mutant: the one check it must fail. */
  fails?: string
}

/**
 * A generated cohort: every student submits every exercise, each one the solution, the starter or a mutant
 * (in turn), with a line that makes it the student's own (no two submissions share a hash, so nothing is
 * graded once for two students).
 */
export function generateCohort(students: number): { dir: string; expected: Expected[] } {
  const cohort = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-bench-cohort-'))
  const exercises = readdirSync(path.join(courseRoot, 'exercises'))
    .filter((name) => /^ex\d+-/.test(name))
    .sort()
  const expected: Expected[] = []
  for (let student = 0; student < students; student++) {
    const name = `student-${String(student + 1).padStart(3, '0')}`
    for (const [index, exercise] of exercises.entries()) {
      const dir = path.join(courseRoot, 'exercises', exercise)
      const dest = path.join(cohort, name, exercise)
      const mutants = listMutants(dir)
      const kind = (student + index) % 3
      const exerciseId = exercise.split('-')[0]
      if (kind === 0 || mutants.length === 0) {
        cpSync(path.join(dir, kind === 1 ? 'starter' : 'solution'), dest, { recursive: true })
        expected.push({ student: name, exerciseId, kind: kind === 1 ? 'starter' : 'solution' })
      } else if (kind === 1) {
        cpSync(path.join(dir, 'starter'), dest, { recursive: true })
        expected.push({ student: name, exerciseId, kind: 'starter' })
      } else {
        const mutant = mutants[student % mutants.length]
        using made = materializeMutant(dir, mutant)
        cpSync(made.dir, dest, { recursive: true })
        expected.push({ student: name, exerciseId, kind: 'mutant', fails: mutant.fails })
      }
      makeOwn(dest, name)
    }
  }
  return { dir: cohort, expected }
}

/**
 * Verdicts the batch got wrong: a solution that did not pass, a starter that did, a mutant that did not fail
 * exactly its check. Speed bought by starving programs of CPU would show here first.
 */
export function wrongVerdicts(outDir: string, expected: readonly Expected[]): string[] {
  const wrong: string[] = []
  const reports = new Map<string, ExerciseResult[]>()
  for (const entry of expected) {
    let results = reports.get(entry.student)
    if (!results) {
      results = (
        JSON.parse(readFileSync(path.join(outDir, entry.student, 'result.json'), 'utf8')) as {
          exercises: ExerciseResult[]
        }
      ).exercises
      reports.set(entry.student, results)
    }
    const result = results.find((candidate) => candidate.id === entry.exerciseId)
    const failed =
      result?.checks
        .filter((check) => check.status === 'failed' || check.status === 'errored')
        .map((check) => check.id) ?? []
    const what = `${entry.student} ${entry.exerciseId} (${entry.kind}${entry.fails ? ` failing ${entry.fails}` : ''})`
    if (!result || result.error) wrong.push(`${what}: not graded (${result?.error?.message ?? 'no result'})`)
    else if (entry.kind === 'solution' && result.status !== 'passed') wrong.push(`${what}: failed ${failed.join(', ')}`)
    else if (entry.kind === 'starter' && result.status === 'passed') wrong.push(`${what}: passed`)
    else if (entry.kind === 'mutant' && (failed.length !== 1 || failed[0] !== entry.fails))
      wrong.push(`${what}: failed ${failed.join(', ') || 'nothing'}`)
  }
  return wrong
}

function makeOwn(dir: string, student: string): void {
  const entry = ['main.ts', 'main.py', 'NOTES.md'].find((name) => existsSync(path.join(dir, name)))
  if (!entry) return
  appendFileSync(
    path.join(dir, entry),
    entry.endsWith('.md')
      ? `\n<!-- ${student} -->\n`
      : entry.endsWith('.py')
        ? `\n# ${student}\n`
        : `\n// ${student}\n`,
  )
}

let accounts = 0

/** One `npm run batch` (as node runs it), timed from start to exit, its process tree's peak memory sampled. */
export function runBatch(args: readonly string[]): Promise<BatchRun> {
  return new Promise((resolve, reject) => {
    const account = createCpuAccount(`mqtt-course-bench-${process.pid}-${++accounts}`)
    const batch = [path.join(courseRoot, 'grader/cli/main.js'), 'batch', ...args]
    const command = account ? account.wrap(process.execPath, batch) : { command: process.execPath, args: batch }
    const startedAt = performance.now()
    const child = spawn(command.command, command.args, { cwd: courseRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    const sampler = samplePeakMemory(child.pid!)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.on('close', (code) => {
      const peak = sampler.stop()
      const cpuSeconds = account?.seconds()
      account?.remove()
      if (code === 0) resolve({ wallMs: performance.now() - startedAt, cpuSeconds, peak, stdout })
      else reject(new Error(`batch ${args.join(' ')} exited with ${code}:\n${stderr}\n${stdout.slice(-2000)}`))
    })
  })
}

/**
 * The batch bench: N generated students × every exercise on the fastest broker that runs each (auto: aedes,
 * Mosquitto for the exercises aedes cannot run), then the same cohort sharded 4 ways and merged.
 */
export async function benchBatch(options: { students: number; jobs?: number }): Promise<void> {
  const { dir: cohort, expected } = generateCohort(options.students)
  const exerciseCount = readdirSync(path.join(courseRoot, 'exercises')).filter((name) => /^ex\d+-/.test(name)).length
  const out = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-bench-batch-'))
  const jobs = options.jobs ? ['--jobs', String(options.jobs)] : []
  const common = ['--broker', 'auto', '--seed', '2026', '--force', ...jobs]
  const whole = await runBatch([cohort, '--out', path.join(out, 'whole'), ...common])
  const graded = options.students * exerciseCount
  const notGraded = /(\d+) not graded/g
  const errors = [...whole.stdout.matchAll(notGraded)].reduce((sum, match) => sum + Number(match[1]), 0)
  console.log(
    `  ${options.students} submissions × ${exerciseCount} exercises (${graded} grades), ${options.jobs ?? os.availableParallelism()} grading processes of up to ${defaultPerJob} grades each, on ${os.availableParallelism()} cores:`,
  )
  // The target was set for the nine exercises of the time; later exercises add to the same run.
  const ninesMs = (whole.wallMs * 9) / exerciseCount
  const verdict = options.students >= 100 ? (ninesMs <= 180_000 ? 'met' : 'not met') : 'scaled run, not comparable'
  console.log(
    `    wall time ${minutes(whole.wallMs)}${exerciseCount === 9 ? '' : ` (${exerciseCount} exercises; ~${minutes(ninesMs)} for 9 in proportion)`}  (target ≤ 3 min for 100 × 9 on 2 cores: ${verdict})`,
  )
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
  console.log(
    `    peak memory ${mib(whole.peak.pssBytes)} (PSS: shared pages counted once; target ≤ 1 GiB: ${whole.peak.pssBytes <= 2 ** 30 ? 'met' : 'not met'}); ${mib(whole.peak.rssBytes)} as each process's RSS added up`,
  )
  console.log(
    `    ${(options.students / (whole.wallMs / 60_000)).toFixed(1)} submissions per minute; ${errors} exercises could not be graded`,
  )
  if (whole.cpuSeconds !== undefined) {
    const cores = os.availableParallelism()
    console.log(
      `    CPU used: ${whole.cpuSeconds.toFixed(0)} s in all (${((whole.cpuSeconds / graded) * 1000).toFixed(0)} ms per grade, the students' programs included), ${((100 * whole.cpuSeconds) / cores / (whole.wallMs / 1000)).toFixed(0)}% of ${cores} cores; ${cores} cores busy every moment would need ${minutes((whole.cpuSeconds / cores) * 1000)}`,
    )
  }

  const wrong = wrongVerdicts(path.join(out, 'whole'), expected)
  console.log(
    `    verdicts as expected (solutions pass, starters fail, each mutant fails its one check): ${expected.length - wrong.length} of ${expected.length}${wrong.length ? `; wrong:\n      ${wrong.slice(0, 10).join('\n      ')}` : ''}`,
  )

  let shardMs = 0
  for (let index = 1; index <= 4; index++)
    shardMs += (await runBatch([cohort, '--out', path.join(out, `shard-${index}`), '--shard', `${index}/4`, ...common]))
      .wallMs
  const mergeStartedAt = performance.now()
  const merge = spawnSync(
    process.execPath,
    [
      path.join(courseRoot, 'grader/cli/main.js'),
      'batch',
      'merge',
      ...[1, 2, 3, 4].map((i) => path.join(out, `shard-${i}`)),
      '--out',
      path.join(out, 'merged'),
    ],
    { cwd: courseRoot, encoding: 'utf8' },
  )
  const mergeMs = performance.now() - mergeStartedAt
  if (merge.status !== 0) throw new Error(`batch merge failed: ${merge.stderr}`)
  const isIdentical =
    readFileSync(path.join(out, 'merged/gradebook.csv'), 'utf8') ===
    readFileSync(path.join(out, 'whole/gradebook.csv'), 'utf8')
  console.log(
    `  sharded 4 ways: shards ${minutes(shardMs)} in all (sum; each ~${minutes(shardMs / 4)} on its own CI job), merge ${(mergeMs / 1000).toFixed(2)} s; merged gradebook ${isIdentical ? 'identical to' : 'DIFFERENT from'} the unsharded one`,
  )
  rmSync(cohort, { recursive: true, force: true })
  rmSync(out, { recursive: true, force: true })
}

function minutes(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}
