/**
 * `npm run bench`: how long grading takes, per broker, measured as a student feels it (the whole `grade`
 * process, from start to exit), and how much JavaScript the site's pages load. Targets live here, not in
 * timed tests: a slow machine fails nothing, it just reads slower numbers.
 *
 *   npm run bench [-- --runs 5] [-- --skip-site]
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { BrokerKind } from '../grader/broker/broker.ts'
import { detectBrokers } from '../test/support/brokers.ts'

const courseRoot = fileURLToPath(new URL('../', import.meta.url))
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'skip-site': { type: 'boolean', default: false } } })
const runs = Number(values.runs)
const exercises = ['ex1', 'ex5']
const targetsMs: Partial<Record<BrokerKind, number>> = { embedded: 500, mosquitto: 800, container: 2000 }

/** Wall time of one whole grading process; throws if the solution does not pass (a broken bench is no bench). */
function timeGrade(exercise: string, broker: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const child = spawn(process.execPath, [path.join(courseRoot, 'grader/cli/main.ts'), 'grade', exercise, '--solution', '--broker', broker, '--json'], {
      cwd: courseRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
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

console.log(`Grading: whole-process wall time of "npm run grade -- <ex> --solution --broker <b>", median of ${runs} runs after one warm-up run.`)
console.log('ex5 includes ~1 s that is MQTT.js itself: its default reconnectPeriod before the client comes back online.\n')
console.log(['broker'.padEnd(10), ...exercises.map((e) => e.padStart(9)), 'median'.padStart(9), 'target'.padStart(9), '  '].join(' '))
for (const broker of await detectBrokers()) {
  if (!broker.isAvailable) {
    console.log(`${broker.kind.padEnd(10)} skipped: ${broker.reason}`)
    continue
  }
  const all: number[] = []
  const perExercise: number[] = []
  for (const exercise of exercises) {
    await timeGrade(exercise, broker.kind) // warm-up: compile caches, type-check cache, container image layers
    const times: number[] = []
    for (let run = 0; run < runs; run++) times.push(await timeGrade(exercise, broker.kind))
    perExercise.push(median(times))
    all.push(...times)
  }
  const target = targetsMs[broker.kind]
  const overall = median(all)
  const verdict = target === undefined ? '' : overall <= target ? 'met' : `not met (ex1 alone: ${perExercise[0] <= target ? 'met' : 'not met'})`
  console.log([broker.kind.padEnd(10), ...perExercise.map((ms) => seconds(ms).padStart(9)), seconds(overall).padStart(9), (target ? `≤ ${seconds(target)}` : '').padStart(9), ` ${verdict}`].join(' '))
}

if (!values['skip-site']) {
  const sizeModule = path.join(courseRoot, 'bench/site-js-size.ts')
  const dist = path.join(courseRoot, 'dist')
  console.log('\nSite: JavaScript each built page loads (lesson pages: Starlight + the components they use).')
  if (!existsSync(sizeModule)) console.log('  skipped: bench/site-js-size.ts is not there yet')
  else if (!existsSync(dist)) console.log('  skipped: no dist/ (run npm run build first)')
  else {
    const { measureSiteJavaScript } = (await import(sizeModule)) as {
      measureSiteJavaScript: (distDir: string) => Promise<Array<{ page: string; bytes: number; gzipBytes: number; scripts: string[] }>>
    }
    const pages = await measureSiteJavaScript(dist)
    console.log(`  ${'page'.padEnd(48)} ${'JS'.padStart(9)} ${'gzip'.padStart(9)}  scripts`)
    for (const page of pages) {
      console.log(`  ${page.page.padEnd(48)} ${`${(page.bytes / 1024).toFixed(1)} kB`.padStart(9)} ${`${(page.gzipBytes / 1024).toFixed(1)} kB`.padStart(9)}  ${page.scripts.length}`)
    }
  }
}
