import { existsSync, mkdirSync, readdirSync, watch } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { BrokerChoice } from '../../grader/broker/choose-backend.ts'
import { type PoolJob, WorkerPool } from '../../grader/batch/worker-pool.ts'
import { parseTemporaryFolderName } from '../../grader/process/temporary-folder.ts'
import { detectBrokers, isEveryBrokerRequired } from '../support/brokers.ts'
import { descendantsOf, describeProcess, waitForExit } from '../support/process-tree.ts'
import { copyVariant, sandboxSharingLoopback, tempDir, writeHostileProgram } from './cohort-fixtures.ts'

const job = (
  exerciseId: string,
  dir: string,
  deadlineMs: number,
  broker: BrokerChoice = 'embedded',
  sandbox: PoolJob['sandbox'] = 'auto',
): PoolJob => ({ exerciseId, dir, seed: 77, broker, sandbox, deadlineMs })
const hasMosquitto =
  isEveryBrokerRequired || (await detectBrokers()).some((broker) => broker.kind === 'mosquitto' && broker.isAvailable)

/** The temporary folders (in this machine's temporary folder) whose name says process `pid` owns them. */
const foldersOwnedBy = (pid: number) =>
  readdirSync(os.tmpdir()).filter((name) => parseTemporaryFolderName(name)?.owner.pid === pid)

/** Resolves once no folder of `pid` is left, looked at whenever the temporary folder changes; rejects at the deadline. */
function untilNoFoldersOf(pid: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(os.tmpdir())
    const finish = (error?: Error) => {
      clearTimeout(timer)
      watcher.close()
      if (error) reject(error)
      else resolve()
    }
    const timer = setTimeout(
      () => finish(new Error(`still there after ${timeoutMs} ms: ${foldersOwnedBy(pid).join(', ')}`)),
      timeoutMs,
    )
    const check = () => foldersOwnedBy(pid).length === 0 && finish()
    watcher.on('change', check)
    check()
  })
}

/**
 * The pool's grading processes as they start: `next()` resolves with the next one's id, within 30 s; with
 * `isKillingEach` set, each is killed as it starts.
 */
function workerStarts() {
  const started: number[] = []
  const waiting: Array<(pid: number) => void> = []
  const starts = {
    isKillingEach: false,
    onWorkerStarted: (pid: number) => {
      if (starts.isKillingEach) {
        process.kill(pid, 'SIGKILL')
        return
      }
      const resolve = waiting.shift()
      if (resolve) resolve(pid)
      else started.push(pid)
    },
    next: (): Promise<number> => {
      const pid = started.shift()
      if (pid !== undefined) return Promise.resolve(pid)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no grading process started within 30 s')), 30_000)
        waiting.push((started) => {
          clearTimeout(timer)
          resolve(started)
        })
      })
    },
  }
  return starts
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
    const starts = workerStarts()
    pool = new WorkerPool({
      workers: 1,
      perWorker: 2,
      minIdleShare: 0,
      graceMs: 5_000,
      onWorkerStarted: starts.onWorkerStarted,
    })
    const hang = pool.grade(job('ex1', path.join(root, 'hang'), 1_000))
    const first = await starts.next()
    // ex5 cannot finish within a second: it waits for MQTT.js's 1 s reconnect.
    const beside = pool.grade(job('ex5', path.join(root, 'ex5'), 120_000))
    expect(await hang).toEqual({ kind: 'deadline' })
    const outcome = await beside
    expect(outcome.kind).toBe('graded')
    if (outcome.kind !== 'graded') return
    expect(outcome.result.status).toBe('passed')
    expect(outcome.result.points).toBe(outcome.result.maxPoints)
    expect(isAlive(first)).toBe(false)
    // ex5 was graded again on a process started for it.
    expect(await starts.next()).not.toBe(first)
  })

  it('a worker that dies takes no grade with it: what it held is graded on a new one; twice, and it is a grading error', async () => {
    const root = tempDir('pool-crash')
    copyVariant('ex1-hello-mqtt', 'solution', path.join(root, 'ex1'))
    const starts = workerStarts()
    pool = new WorkerPool({ workers: 1, perWorker: 1, minIdleShare: 0, onWorkerStarted: starts.onWorkerStarted })
    const graded = pool.grade(job('ex1', path.join(root, 'ex1'), 120_000))
    const first = await starts.next()
    process.kill(first, 'SIGKILL')
    const second = await starts.next()
    const outcome = await graded
    expect(outcome.kind).toBe('graded')
    if (outcome.kind === 'graded') expect(outcome.result.status).toBe('passed')
    expect(second).not.toBe(first)

    writeHostileProgram(path.join(root, 'hang'), 'hang')
    // Every process the hang is given dies: the one that graded ex1, and each started after it.
    starts.isKillingEach = true
    const doomed = pool.grade(job('ex1', path.join(root, 'hang'), 120_000))
    process.kill(second, 'SIGKILL')
    const failed = await doomed
    expect(failed.kind).toBe('failed')
    if (failed.kind === 'failed')
      expect(failed.why).toMatch(/the grading process was killed by SIGKILL without a result, twice/)
  })

  it.skipIf(!hasMosquitto)(
    'a worker killed with SIGKILL takes its Mosquitto with it, and its folders are removed at once',
    async () => {
      const root = tempDir('pool-killed')
      const server = net.createServer((socket) => socket.destroy())
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
      const running = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the program did not start within 60 s')), 60_000)
        server.once('connection', () => {
          clearTimeout(timer)
          resolve()
        })
      })
      writeHostileProgram(path.join(root, 'hang'), 'hang', {
        announceToPort: (server.address() as net.AddressInfo).port,
      })
      const starts = workerStarts()
      pool = new WorkerPool({ workers: 1, perWorker: 1, minIdleShare: 0, onWorkerStarted: starts.onWorkerStarted })
      // The program announces itself to our port: on the test's own loopback (no network namespace).
      const outcome = pool.grade(job('ex1', path.join(root, 'hang'), 120_000, 'mosquitto', sandboxSharingLoopback))
      const first = await starts.next()
      await running.finally(() => server.close())
      const below = descendantsOf(first)
      expect(below.map(describeProcess).join('\n')).toMatch(/mosquitto -c /)
      expect(foldersOwnedBy(first)).not.toEqual([])
      process.kill(first, 'SIGKILL')
      await waitForExit(below, 10_000)
      // The pool noticed (it starts a worker for the grade again), and removes what the dead one left.
      await starts.next()
      await untilNoFoldersOf(first, 10_000)
      // The hang is being graded again: disposing the pool ends that grade too.
      await pool[Symbol.asyncDispose]()
      pool = undefined
      await outcome
    },
  )

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
