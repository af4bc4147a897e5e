import { execFileSync } from 'node:child_process'
import { expect, it } from 'vitest'
import type { Broker, BrokerBackend } from '../../grader/broker/broker.ts'
import type { BackendChooser } from '../../grader/broker/choose-backend.ts'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { embeddedBackend } from '../../grader/broker/embedded-broker.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { loadExercise, resolveExerciseFolder } from '../../grader/exercises/load-exercises.ts'
import { gradeExercise } from '../../grader/grade/grade-exercise.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'

/**
 * A finished grade is never lost: when the broker cannot be stopped cleanly after the checks (another tool on
 * the machine removed the container first, and Docker answers 409 or 404), the verdict stands and the trouble
 * is a warning. For the container this is the real thing (`docker rm -f` by another tool); the local brokers
 * have no such race, so their stop() fails after stopping for real.
 */
const exercise = await loadExercise(resolveExerciseFolder('ex1'))
const backends = { embedded: embeddedBackend, mosquitto: mosquittoBackend, container: containerBackend }

/** The backend, with a stop() that something else got to first. */
function racedBackend(kind: keyof typeof backends): BrokerBackend {
  const backend = backends[kind]
  return {
    ...backend,
    async start(setup, signal) {
      const broker = await backend.start(setup, signal)
      const stop = async () => {
        if (kind === 'container') {
          // Another tool removes our container (by the label only our code sets) before the grader stops it.
          const ids = execFileSync('docker', ['ps', '-aq', '--filter', 'label=org.mqtt-course.run'], {
            encoding: 'utf8',
          })
            .split('\n')
            .filter(Boolean)
          const ours = ids.filter((id) =>
            execFileSync('docker', ['inspect', '--format', '{{index .Config.Labels "org.mqtt-course.run"}}', id], {
              encoding: 'utf8',
            }).startsWith(`${process.pid}-`),
          )
          execFileSync('docker', ['rm', '-f', ...ours])
          await broker.stop()
        } else {
          await broker.stop()
          throw new Error('removal of the broker already in progress')
        }
      }
      return { ...broker, stop, [Symbol.asyncDispose]: stop } satisfies Broker
    },
  }
}

describeEachBroker(await detectBrokers(), (kind) => {
  it('keeps the verdict when stopping the broker fails after the checks, and says so as a warning', async () => {
    const backend = racedBackend(kind)
    const chooser = { choose: async () => backend } as unknown as BackendChooser
    const result = await gradeExercise(exercise, { source: { kind: 'solution' }, chooser, seed: 1234 })
    expect(result.error).toBeUndefined()
    expect(result.status).toBe('passed')
    expect(result.points).toBe(result.maxPoints)
    if (kind !== 'container')
      expect(result.warnings?.join('\n')).toContain(
        'while cleaning up after grading: removal of the broker already in progress',
      )
  })
})
