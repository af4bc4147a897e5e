import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { listMutants, materializeMutant } from '../grader/exercises/mutants.ts'
import { samplePeakMemory } from './process-tree-memory.ts'

const courseRoot = fileURLToPath(new URL('../', import.meta.url))

export interface BatchRun {
  wallMs: number
  peakBytes: number
  stdout: string
}

/**
 * A generated cohort: every student submits every exercise, each one the solution, the starter or a mutant
 * (in turn), with a line that makes it the student's own (no two submissions share a hash, so nothing is
 * graded once for two students).
 */
export function generateCohort(students: number): string {
  const cohort = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-bench-cohort-'))
  const exercises = readdirSync(path.join(courseRoot, 'exercises')).filter((name) => /^ex\d+-/.test(name)).sort()
  for (let student = 0; student < students; student++) {
    const name = `student-${String(student + 1).padStart(3, '0')}`
    for (const [index, exercise] of exercises.entries()) {
      const dir = path.join(courseRoot, 'exercises', exercise)
      const dest = path.join(cohort, name, exercise)
      const mutants = listMutants(dir)
      const kind = (student + index) % 3
      if (kind === 0 || mutants.length === 0) cpSync(path.join(dir, kind === 1 ? 'starter' : 'solution'), dest, { recursive: true })
      else if (kind === 1) cpSync(path.join(dir, 'starter'), dest, { recursive: true })
      else {
        using mutant = materializeMutant(dir, mutants[student % mutants.length])
        cpSync(mutant.dir, dest, { recursive: true })
      }
      makeOwn(dest, name)
    }
  }
  return cohort
}

function makeOwn(dir: string, student: string): void {
  const entry = ['main.ts', 'main.py', 'NOTES.md'].find((name) => existsSync(path.join(dir, name)))
  if (!entry) return
  appendFileSync(path.join(dir, entry), entry.endsWith('.md') ? `\n<!-- ${student} -->\n` : entry.endsWith('.py') ? `\n# ${student}\n` : `\n// ${student}\n`)
}

/** One `npm run batch` (as node runs it), timed from start to exit, its process tree's peak memory sampled. */
export function runBatch(args: readonly string[]): Promise<BatchRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const child = spawn(process.execPath, [path.join(courseRoot, 'grader/cli/main.js'), 'batch', ...args], { cwd: courseRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    const sampler = samplePeakMemory(child.pid!)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.on('close', (code) => {
      const peakBytes = sampler.stop()
      if (code === 0) resolve({ wallMs: performance.now() - startedAt, peakBytes, stdout })
      else reject(new Error(`batch ${args.join(' ')} exited with ${code}:\n${stderr}\n${stdout.slice(-2000)}`))
    })
  })
}

/**
 * The batch bench: N generated students × every exercise on the fastest broker that runs each (auto: aedes,
 * Mosquitto for ex8 to ex11), then the same cohort sharded 4 ways and merged.
 */
export async function benchBatch(options: { students: number; jobs?: number }): Promise<void> {
  const cohort = generateCohort(options.students)
  const exerciseCount = readdirSync(path.join(courseRoot, 'exercises')).filter((name) => /^ex\d+-/.test(name)).length
  const out = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-bench-batch-'))
  const jobs = options.jobs ? ['--jobs', String(options.jobs)] : []
  const common = ['--broker', 'auto', '--seed', '2026', '--force', ...jobs]
  const whole = await runBatch([cohort, '--out', path.join(out, 'whole'), ...common])
  const graded = options.students * exerciseCount
  const notGraded = /(\d+) not graded/g
  const errors = [...whole.stdout.matchAll(notGraded)].reduce((sum, match) => sum + Number(match[1]), 0)
  console.log(`  ${options.students} submissions × ${exerciseCount} exercises (${graded} grades), ${options.jobs ?? os.availableParallelism()} jobs on ${os.availableParallelism()} cores:`)
  console.log(`    wall time ${minutes(whole.wallMs)}  (target ≤ 3 min for 100 × 9 on 2 cores: ${options.students >= 100 ? (whole.wallMs <= 180_000 ? 'met' : 'not met') : 'scaled run, not comparable'})`)
  console.log(`    peak memory ${(whole.peakBytes / 2 ** 20).toFixed(0)} MiB  (target ≤ 1 GiB: ${whole.peakBytes <= 2 ** 30 ? 'met' : 'not met'})`)
  console.log(`    ${(options.students / (whole.wallMs / 60_000)).toFixed(1)} submissions per minute; ${errors} exercises could not be graded`)

  let shardMs = 0
  for (let index = 1; index <= 4; index++) shardMs += (await runBatch([cohort, '--out', path.join(out, `shard-${index}`), '--shard', `${index}/4`, ...common])).wallMs
  const mergeStartedAt = performance.now()
  const merge = spawnSync(process.execPath, [path.join(courseRoot, 'grader/cli/main.js'), 'batch', 'merge', ...[1, 2, 3, 4].map((i) => path.join(out, `shard-${i}`)), '--out', path.join(out, 'merged')], { cwd: courseRoot, encoding: 'utf8' })
  const mergeMs = performance.now() - mergeStartedAt
  if (merge.status !== 0) throw new Error(`batch merge failed: ${merge.stderr}`)
  const isIdentical = readFileSync(path.join(out, 'merged/gradebook.csv'), 'utf8') === readFileSync(path.join(out, 'whole/gradebook.csv'), 'utf8')
  console.log(`  sharded 4 ways: shards ${minutes(shardMs)} in all (sum; each ~${minutes(shardMs / 4)} on its own CI job), merge ${(mergeMs / 1000).toFixed(2)} s; merged gradebook ${isIdentical ? 'identical to' : 'DIFFERENT from'} the unsharded one`)
  rmSync(cohort, { recursive: true, force: true })
  rmSync(out, { recursive: true, force: true })
}

function minutes(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}
