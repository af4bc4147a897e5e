import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { detectBrokers, isEveryBrokerRequired } from '../support/brokers.ts'
import { courseRoot } from '../support/run-cli.ts'
import { copyVariant, tempDir } from './cohort-fixtures.ts'

/**
 * A batch on containers, interrupted (Ctrl-C, or the CI's SIGTERM) while one of its grading processes is creating
 * a container, and while a container runs its checks: the batch exits with the signal's code and no container of
 * its grading processes is left, in either phase. (After SIGKILL, the next grader's start removes them: the
 * interrupt tests.)
 */
const hasContainer =
  isEveryBrokerRequired || (await detectBrokers()).some((broker) => broker.kind === 'container' && broker.isAvailable)

/** The parent of process `pid`, from /proc; undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** Our containers whose owner (the grading process that made them) is `pid`, running or not. */
function containersOwnedBy(pid: number): string[] {
  const out = execFileSync(
    'docker',
    ['ps', '-a', '--filter', `label=org.mqtt-course.owner.pid=${pid}`, '--format', '{{.ID}}'],
    { encoding: 'utf8' },
  )
  return out.split('\n').filter(Boolean)
}

describe.skipIf(!hasContainer)(
  `interrupting a batch on containers${hasContainer ? '' : ' (skipped: no Docker)'}`,
  () => {
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      for (const phase of ['create', 'start'] as const) {
        it(`${signal} while a container is ${phase === 'create' ? 'being created' : 'running'}: none is left, exit ${code}`, async () => {
          const cohort = tempDir('cohort-container-interrupt')
          const out = path.join(tempDir('batch-out'), 'reports')
          for (const student of ['ada', 'ben'])
            copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, student, 'ex1'))
          // Docker's own events, watched from before the batch starts (no race): the container a grading process of
          // this batch (a child of it) creates or starts.
          const events = spawn(
            'docker',
            [
              'events',
              '--filter',
              `event=${phase}`,
              '--filter',
              'label=org.mqtt-course',
              '--format',
              '{{.Actor.ID}} {{index .Actor.Attributes "org.mqtt-course.owner.pid"}}',
            ],
            { stdio: ['ignore', 'pipe', 'ignore'] },
          )
          const batch = spawn(
            process.execPath,
            [
              path.join(courseRoot, 'grader/cli/main.js'),
              'batch',
              cohort,
              '--out',
              out,
              '--exercises',
              'ex1',
              '--broker',
              'container',
              '--jobs',
              '1',
              '--per-job',
              '1',
              '--seed',
              '8',
            ],
            {
              cwd: courseRoot,
              env: process.env,
              stdio: ['ignore', 'ignore', 'ignore'],
            },
          )
          const exited = new Promise<number | null>((resolve) => batch.on('exit', (exitCode) => resolve(exitCode)))
          try {
            const worker = await new Promise<number>((resolve, reject) => {
              let lines = ''
              const timer = setTimeout(
                () => reject(new Error(`no container ${phase} event of the batch within 90 s`)),
                90_000,
              )
              events.stdout.setEncoding('utf8').on('data', (text: string) => {
                lines += text
                for (const line of lines.split('\n')) {
                  const owner = Number(line.split(' ')[1])
                  if (owner && parentOf(owner) === batch.pid) {
                    clearTimeout(timer)
                    resolve(owner)
                  }
                }
              })
            })
            batch.kill(signal)
            expect(await exited).toBe(code)
            expect(containersOwnedBy(worker)).toEqual([])
          } finally {
            events.kill()
            batch.kill('SIGKILL')
          }
        })
      }
    }
  },
)
