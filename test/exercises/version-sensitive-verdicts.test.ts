/**
 * Verdicts that could differ between Mosquitto versions, graded on the local Mosquitto and the container side by
 * side (Debian's binary is 2.0.11; the course's default image is 2.0.22, and CI may run either in the container):
 * - a takeover (ex5, ex10: a goodbye or an answer sent from a second client with the program's own id). Since
 *   2.0.15 the taken-over MQTT 5 connection gets DISCONNECT 0x8E first, and the will rule on takeover depends on
 *   the sessions (lesson 5);
 * - shared subscriptions (ex10), where 2.0.13 stopped sending retained messages and 2.0.12 started refusing No
 *   Local. The grader's requests are never retained, so the verdict must not depend on it: the solution, and
 *   the mutant that gives each copy a group of its own, are graded on both;
 * - the will after a cut WebSocket and the reconnection (ex11).
 * The message of each mutant is the one pinned for every broker (test/exercises/__messages__).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { loadExercise, resolveExerciseFolder } from '../../grader/exercises/load-exercises.ts'
import { listMutants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { identify } from '../claims/broker-identity.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'
import { describeResult, gradeWith } from '../support/exercise-suite.ts'

const cases = [
  { exercise: 'ex5', mutants: ['goodbye-from-client-with-same-id'] },
  { exercise: 'ex10', mutants: ['answers-from-client-with-same-id', 'group-per-instance'] },
  { exercise: 'ex11', mutants: ['will-not-retained'] },
]
const backends = { mosquitto: mosquittoBackend, container: containerBackend }
const brokers = (await detectBrokers()).filter((broker) => broker.kind !== 'embedded')

describeEachBroker(brokers, (kind) => {
  it('says which Mosquitto it is (the verdicts below are pinned for every version)', async () => {
    await using broker = await backends[kind as keyof typeof backends].start({}, AbortSignal.timeout(60_000))
    const identity = await identify(broker)
    console.log(`version-sensitive verdicts on ${identity.label}`)
    expect(identity.product).toBe('mosquitto')
  })

  for (const { exercise: id, mutants } of cases) {
    it(`${id}: the reference solution passes`, async () => {
      const exercise = await loadExercise(resolveExerciseFolder(id))
      const result = await gradeWith(exercise, kind, { kind: 'solution' })
      expect(result.status, describeResult(result)).toBe('passed')
    })
    for (const name of mutants) {
      it(`${id}: mutant ${name} fails only its check, with the pinned message`, async () => {
        const exercise = await loadExercise(resolveExerciseFolder(id))
        const mutant = listMutants(exercise.dir).find((candidate) => candidate.name === name)
        if (!mutant) throw new Error(`${id} has no mutant ${name}: update this test with the exercise`)
        using made = materializeMutant(exercise.dir, mutant)
        const result = await gradeWith(exercise, kind, { kind: 'program-dir', dir: made.dir, label: `mutant ${name}` })
        const failed = result.checks.filter((check) => check.status === 'failed' || check.status === 'errored')
        expect(
          failed.map((check) => check.id),
          describeResult(result),
        ).toEqual([mutant.fails])
        const pinned = readFileSync(path.join(import.meta.dirname, '__messages__', `${id}-${name}.txt`), 'utf8')
        expect(failed[0]!.message).toBe(pinned)
      })
    }
  }
})
