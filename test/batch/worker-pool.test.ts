import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type PoolJob, WorkerPool } from '../../grader/batch/worker-pool.ts'
import { copyVariant, tempDir, writeHostileProgram } from './cohort-fixtures.ts'

const job = (exerciseId: string, dir: string, deadlineMs: number): PoolJob => ({ exerciseId, dir, seed: 77, broker: 'embedded', sandbox: 'auto', deadlineMs })

/** Resolves with the id of a worker of the pool's that is not in `before` (one started or replaced), within 30 s. */
async function workerOtherThan(pool: WorkerPool, before: readonly number[]): Promise<number> {
  const startedAt = performance.now()
  for (;;) {
    const fresh = pool.workerPids.find((pid) => !before.includes(pid))
    if (fresh !== undefined) return fresh
    if (performance.now() - startedAt > 30_000) throw new Error(`no new worker after ${before.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('WorkerPool: the batch grading processes', () => {
  let pool: WorkerPool | undefined
  afterEach(async () => {
    await pool?.[Symbol.asyncDispose]()
    pool = undefined
  })

  it('a grade past its deadline stops its worker; the grade beside it was not at fault and is graded again, whole', async () => {
    const root = tempDir('pool-deadline')
    writeHostileProgram(path.join(root, 'hang'), 'hang')
    copyVariant('ex5-last-will', 'solution', path.join(root, 'ex5'))
    // One process, two grades at once, no waiting for idle cores: both run on the same worker.
    pool = new WorkerPool({ workers: 1, perWorker: 2, minIdleShare: 0, graceMs: 5_000 })
    const hang = pool.grade(job('ex1', path.join(root, 'hang'), 1_000))
    const first = await workerOtherThan(pool, [])
    // ex5 cannot finish within a second: it waits for MQTT.js's 1 s reconnect.
    const beside = pool.grade(job('ex5', path.join(root, 'ex5'), 120_000))
    expect(await hang).toEqual({ kind: 'deadline' })
    const outcome = await beside
    expect(outcome.kind).toBe('graded')
    if (outcome.kind !== 'graded') return
    expect(outcome.result.status).toBe('passed')
    expect(outcome.result.points).toBe(outcome.result.maxPoints)
    expect(isAlive(first)).toBe(false)
    expect(pool.workerPids).not.toContain(first)
  })

  it('a worker that dies takes no grade with it: what it held is graded on a new one; twice, and it is a grading error', async () => {
    const root = tempDir('pool-crash')
    copyVariant('ex1-hello-mqtt', 'solution', path.join(root, 'ex1'))
    pool = new WorkerPool({ workers: 1, perWorker: 1, minIdleShare: 0 })
    const graded = pool.grade(job('ex1', path.join(root, 'ex1'), 120_000))
    const first = await workerOtherThan(pool, [])
    process.kill(first, 'SIGKILL')
    const outcome = await graded
    expect(outcome.kind).toBe('graded')
    if (outcome.kind === 'graded') expect(outcome.result.status).toBe('passed')
    expect(pool.workerPids).not.toContain(first)

    writeHostileProgram(path.join(root, 'hang'), 'hang')
    const doomed = pool.grade(job('ex1', path.join(root, 'hang'), 120_000))
    const second = await workerOtherThan(pool, [])
    process.kill(second, 'SIGKILL')
    process.kill(await workerOtherThan(pool, [second]), 'SIGKILL')
    const failed = await doomed
    expect(failed.kind).toBe('failed')
    if (failed.kind === 'failed') expect(failed.why).toMatch(/the grading process was killed by SIGKILL without a result, twice/)
  })

  it('shares one warm type checker: a type error is reported as `npm run grade` reports it', async () => {
    const root = tempDir('pool-types')
    const dir = path.join(root, 'ex1')
    copyVariant('ex1-hello-mqtt', 'solution', dir)
    mkdirSync(dir, { recursive: true })
    const { appendFileSync } = await import('node:fs')
    appendFileSync(path.join(dir, 'main.ts'), `\nconst port: number = 'not a number' // ${Math.random()}\n`)
    pool = new WorkerPool({ workers: 1, perWorker: 1, minIdleShare: 0 })
    const outcome = await pool.grade(job('ex1', dir, 120_000))
    expect(outcome.kind).toBe('graded')
    if (outcome.kind !== 'graded') return
    const types = outcome.result.checks.find((check) => check.id === 'types')
    expect(types?.status).toBe('failed')
    expect(types?.message).toMatch(/main\.ts:\d+:\d+ - error TS2322: Type 'string' is not assignable to type 'number'/)
    expect(existsSync(dir)).toBe(true)
  })
})
