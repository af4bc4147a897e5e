/**
 * Two checkouts of the course benched in one sitting, turn about, so that a machine whose speed drifts (another
 * job starting, the CPU's clock) weighs on both alike: `grade` of one exercise and of all of them, and `batch` of
 * one generated cohort. Prints each one's median and the ratio.
 *
 *   node bench/compare-trees.ts <other-course-root> [--runs 5] [--batch-students 30] [--batch-runs 2]
 *
 * The other checkout needs its own node_modules (a link to this one's is enough when the lock files agree).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateCohort } from './batch-bench.ts'

const here = fileURLToPath(new URL('../', import.meta.url))
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    'batch-students': { type: 'string', default: '30' },
    'batch-runs': { type: 'string', default: '2' },
    'skip-batch': { type: 'boolean', default: false },
  },
})
if (positionals.length !== 1) {
  console.error(
    'usage: node bench/compare-trees.ts <other-course-root> [--runs 5] [--batch-students 30] [--batch-runs 2]',
  )
  process.exit(2)
}
const trees = { other: path.resolve(positionals[0]), this: here }

function timeCommand(root: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const child = spawn(process.execPath, [path.join(root, 'grader/cli/main.js'), ...args], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - startedAt)
        : reject(new Error(`${root}: ${args.join(' ')} exited with ${code}: ${stderr.slice(-500)}`)),
    )
  })
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function compare(label: string, args: (root: string) => string[], runs: number): Promise<void> {
  const times: Record<keyof typeof trees, number[]> = { other: [], this: [] }
  // One warm-up each: compile caches, type-check cache.
  for (const root of Object.values(trees)) await timeCommand(root, args(root))
  for (let run = 0; run < runs; run++) {
    for (const which of (run % 2 ? ['this', 'other'] : ['other', 'this']) as (keyof typeof trees)[])
      times[which].push(await timeCommand(trees[which], args(trees[which])))
  }
  const other = median(times.other)
  const mine = median(times.this)
  console.log(
    `${label.padEnd(34)} other ${(other / 1000).toFixed(2)} s   this ${(mine / 1000).toFixed(2)} s   this/other ${(mine / other).toFixed(3)}   (${runs} runs each)`,
  )
}

console.log(`other: ${trees.other}\nthis:  ${trees.this}\n`)
const runs = Number(values.runs)
await compare(
  'grade ex1 --broker embedded',
  () => ['grade', 'ex1', '--solution', '--broker', 'embedded', '--json'],
  runs,
)
await compare(
  'grade ex5 --broker embedded',
  () => ['grade', 'ex5', '--solution', '--broker', 'embedded', '--json'],
  runs,
)
await compare(
  'grade ex8 --broker mosquitto',
  () => ['grade', 'ex8', '--solution', '--broker', 'mosquitto', '--json'],
  runs,
)
await compare('grade --all', () => ['grade', '--all', '--solution', '--json'], runs)
const cohort = values['skip-batch'] ? undefined : generateCohort(Number(values['batch-students']))
if (cohort)
  try {
    await compare(
      `batch ${values['batch-students']} students × all`,
      () => {
        const out = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-compare-out-'))
        return ['batch', cohort.dir, '--out', out, '--seed', '2026', '--force']
      },
      Number(values['batch-runs']),
    )
  } finally {
    rmSync(cohort.dir, { recursive: true, force: true })
  }
