/**
 * `npm run bench`: how long grading takes, per broker, measured as a student feels it (the whole `grade`
 * process, from start to exit), and how much JavaScript the site's pages load. Targets live here, not in
 * timed tests: a slow machine fails nothing, it just reads slower numbers.
 *
 *   npm run bench [-- --runs 5] [-- --skip-site] [-- --site-only] [-- --skip-batch] [-- --batch-students 100] [-- --batch-jobs n]
 */
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { BrokerKind } from '../grader/broker/broker.ts'
import { settleWindowMs } from '../grader/checks/settle-check.ts'
import { detectBrokers } from '../test/support/brokers.ts'
import { buildSite, makeSiteDir, removeSiteDir } from '../test/support/static-site.ts'
import { benchBatch } from './batch-bench.ts'
import { measureSiteJavaScript } from './site-js-size.ts'
import { measureColdRegrade, measureWatchLatency } from './watch-latency.ts'

const courseRoot = fileURLToPath(new URL('../', import.meta.url))
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'skip-site': { type: 'boolean', default: false },
    'site-only': { type: 'boolean', default: false },
    'skip-batch': { type: 'boolean', default: false },
    'batch-students': { type: 'string', default: '100' },
    'batch-jobs': { type: 'string' },
  },
})
const runs = Number(values.runs)
const exercises = ['ex1', 'ex5']
/**
 * The targets were set before the settle window (grader/checks/settle-check.ts): a passing grade of ex1, ex2, ex3,
 * ex7, ex10 and ex11 now ends with settleWindowMs in which the grader only watches the program (still running,
 * connected, quiet), and no speed-up can take that back. So the grader's own time keeps its target and the
 * window comes on top, said as such: ex1 ≤ 0.5 s + the window on embedded, a watch save ≤ 0.3 s + the window,
 * the course ≤ 4 s + the window (exercises are graded at once, so their windows overlap). ex5 has no window.
 */
const ownTargetsMs: Partial<Record<BrokerKind, number>> = { embedded: 500, mosquitto: 800, container: 2000 }
const exercisesWithWindow = new Set(['ex1'])
const targetFor = (exercise: string, broker: BrokerKind) => {
  const own = ownTargetsMs[broker]
  return own === undefined ? undefined : own + (exercisesWithWindow.has(exercise) ? settleWindowMs : 0)
}
const windowSaid = `the ${settleWindowMs / 1000} s settle window included`

const ex5TargetMs = 1500
const courseTargetMs = 4000 + settleWindowMs
const watchTargetMs = 300 + settleWindowMs

/** Wall time of one whole grading process; throws if the solution does not pass (a broken bench is no bench). */
function timeGrade(exercise: string, broker: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const selection = exercise.split(' ')
    const child = spawn(
      process.execPath,
      [path.join(courseRoot, 'grader/cli/main.js'), 'grade', ...selection, '--solution', '--broker', broker, '--json'],
      {
        cwd: courseRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    child.on('close', (code) => {
      const elapsed = performance.now() - startedAt
      if (code === 0) resolve(elapsed)
      else reject(new Error(`grade ${exercise} --solution --broker ${broker} exited with ${code}: ${stderr}`))
    })
  })
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const meets = (ms: number, targetMs: number) => (ms <= targetMs ? 'met' : 'not met')
let ex5EmbeddedMs: number | undefined

if (!values['site-only']) {
  console.log(
    `Grading: wall time of the whole grade process, "node grader/cli/main.js grade <ex> --solution --broker <b> --json" (what`,
  )
  console.log(`npm run grade runs; npm's own start-up comes on top), median of ${runs} runs after one warm-up run.`)
  console.log(
    'ex5 includes ~1 s that is MQTT.js itself: its default reconnectPeriod before the client comes back online.\n',
  )
  console.log(
    `Targets per exercise: the grader's own (embedded 0.5 s, mosquitto 0.8 s, container 2 s), plus ex1's settle window (${settleWindowMs / 1000} s).\n`,
  )
  console.log(['broker'.padEnd(10), ...exercises.map((e) => e.padStart(9)), '  '].join(' '))
  for (const broker of await detectBrokers()) {
    if (!broker.isAvailable) {
      console.log(`${broker.kind.padEnd(10)} skipped: ${broker.reason}`)
      continue
    }
    const perExercise: number[] = []
    for (const exercise of exercises) {
      await timeGrade(exercise, broker.kind) // warm-up: compile caches, type-check cache, container image layers
      const times: number[] = []
      for (let run = 0; run < runs; run++) times.push(await timeGrade(exercise, broker.kind))
      perExercise.push(median(times))
    }
    // The broker's target is ex1's (ex5 spends ~1 s in MQTT.js's reconnect: its own target, below, on embedded).
    const verdicts = exercises.map((exercise, index) => {
      const target = exercise === 'ex1' ? targetFor(exercise, broker.kind) : undefined
      return target === undefined ? '' : `${exercise} ≤ ${seconds(target)} ${meets(perExercise[index], target)}`
    })
    console.log(
      [
        broker.kind.padEnd(10),
        ...perExercise.map((ms) => seconds(ms).padStart(9)),
        ` ${verdicts.filter(Boolean).join(', ')}`,
      ].join(' '),
    )
    if (broker.kind === 'embedded') ex5EmbeddedMs = perExercise[exercises.indexOf('ex5')]
  }
  if (ex5EmbeddedMs !== undefined)
    console.log(
      `ex5 on embedded: ${seconds(ex5EmbeddedMs)} (its own target, MQTT.js's reconnect included: ≤ ${seconds(ex5TargetMs)}) ${meets(ex5EmbeddedMs, ex5TargetMs)}`,
    )

  console.log(
    `\nThe whole course: "grade --all --solution --broker auto --json", exercises graded at once (${os.availableParallelism()} cores here), median of ${runs} runs.`,
  )
  await timeGrade('--all', 'auto')
  const course: number[] = []
  for (let run = 0; run < runs; run++) course.push(await timeGrade('--all', 'auto'))
  console.log(
    `  ${seconds(median(course))} (target on 2 cores: ≤ ${seconds(courseTargetMs)}, ${windowSaid}) ${meets(median(course), courseTargetMs)}`,
  )
  // The target was set when the course had nine exercises; ex10 and ex11 (MQTT 5, WebSockets) came later.
  const nine = Array.from({ length: 9 }, (_, index) => `ex${index + 1}`).join(' ')
  const first: number[] = []
  for (let run = 0; run < runs; run++) first.push(await timeGrade(nine, 'auto'))
  console.log(
    `  ex1-ex9 alone, the course the target was set for: ${seconds(median(first))} ${meets(median(first), courseTargetMs)}`,
  )

  console.log(
    '\nWatch, ex1 on the embedded broker: from a save (a changed file on disk) to "All checks passed" on screen.',
  )
  const saves = await measureWatchLatency(courseRoot, 'embedded', Math.max(runs, 5) * 2)
  console.log(
    `  warm watch (process, broker and type checker stay up; the next run's program waits on standby): median ${seconds(median(saves))} of ${saves.length} saves (target ≤ ${seconds(watchTargetMs)}, ${windowSaid}) ${meets(median(saves), watchTargetMs)}`,
  )
  console.log(
    '  (each save comes the moment the last verdict is printed, while that standby is still starting: the worst case; a student who reads the verdict first waits less)',
  )
  const cold = await measureColdRegrade(courseRoot, 'embedded', Math.max(runs, 5))
  console.log(
    `  cold, a fresh grade process per save (new broker, fresh tsc; what each save cost before): median ${seconds(median(cold))} of ${cold.length}`,
  )
}

if (!values['skip-batch'] && !values['site-only']) {
  console.log(
    '\nBatch: npm run batch over generated submissions (solutions, starters and mutants of every exercise, each made unique), --broker auto.',
  )
  await benchBatch({
    students: Number(values['batch-students']),
    ...(values['batch-jobs'] ? { jobs: Number(values['batch-jobs']) } : {}),
  })
}

if (!values['skip-site']) {
  console.log('\nSite: JavaScript each page loads before any interaction (search loads only when opened), and what a')
  console.log('Playground adds when a student first starts it (the in-page broker and MQTT.js).')
  const dist = makeSiteDir('bench')
  const startedAt = performance.now()
  await buildSite(dist)
  console.log(`  (built in ${seconds(performance.now() - startedAt)})`)
  const pages = await measureSiteJavaScript(dist)
  const baseline = Math.min(...pages.filter((p) => p.page.startsWith('/exercises/')).map((p) => p.bytes))
  console.log(
    `  ${'page'.padEnd(40)} ${'JS'.padStart(9)} ${'gzip'.padStart(9)}  ${'beyond Starlight'.padEnd(16)}  on first Playground use (gzip)`,
  )
  for (const page of pages) {
    const extra = page.bytes - baseline
    const firstUse = page.onFirstUse ? `+${kb(page.onFirstUse.bytes)} (+${kb(page.onFirstUse.gzipBytes)})` : ''
    console.log(
      `  ${page.page.padEnd(40)} ${kb(page.bytes).padStart(9)} ${kb(page.gzipBytes).padStart(9)}  ${(extra > 1024 ? `+${kb(extra)}` : '').padEnd(16)}  ${firstUse}`,
    )
  }
  removeSiteDir(dist)
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`
}
