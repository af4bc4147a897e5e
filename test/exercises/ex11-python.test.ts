import path from 'node:path'
import { expect, it } from 'vitest'
import { loadExercise, resolveExerciseFolder } from '../../grader/exercises/load-exercises.ts'
import { listMutants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'
import { describeResult, gradeWith } from '../support/exercise-suite.ts'
import { describeWithPython } from '../support/python-with-paho.ts'

/**
 * Another WebSocket client than MQTT.js's: paho-mqtt frames MQTT its own way (its own handshake, masks, frame
 * sizes, TLS through Python's ssl). The tap must hand its packets on all the same, over ws:// and wss://.
 */
const exercise = await loadExercise(resolveExerciseFolder('ex11'))
const brokers = (await detectBrokers()).filter((broker) => broker.kind !== 'embedded')

describeWithPython('ex11 graded in Python with --cmd', (python) => {
  describeEachBroker(brokers, (broker) => {
    it('passes with the Python device (paho-mqtt, transport="websockets")', async () => {
      const dir = path.join(exercise.dir, 'solution-python')
      const result = await gradeWith(
        exercise,
        broker,
        { kind: 'program-dir', dir, label: 'solution-python' },
        `${python} main.py`,
      )
      expect(result.status, describeResult(result)).toBe('passed')
    })

    it('fails only "connects-over-wss" with a Python device that never turns TLS on for wss://, and says so', async () => {
      const mutant = listMutants(exercise.dir, 'mutants-python').find(
        (candidate) => candidate.name === 'no-tls-for-wss',
      )!
      using made = materializeMutant(exercise.dir, mutant)
      const result = await gradeWith(
        exercise,
        broker,
        { kind: 'program-dir', dir: made.dir, label: 'python mutant' },
        `${python} main.py`,
      )
      const failed = result.checks.filter((check) => check.status === 'failed' || check.status === 'errored')
      expect(
        failed.map((check) => check.id),
        describeResult(result),
      ).toEqual(['connects-over-wss'])
      expect(failed[0].message).toBe(
        'Your client sent a plain HTTP WebSocket handshake to the wss:// endpoint without starting TLS first. A wss:// URL means TLS: with MQTT.js pass the URL as it is; with another library turn its TLS on (paho: tls_set(ca_certs=...)).',
      )
    })

    // paho meets the impostors too, with its own way of turning a check off.
    it('fails only "refuses-wrong-name" with a Python device that turns the host-name check off (tls_insecure_set)', async () => {
      const mutant = listMutants(exercise.dir, 'mutants-python').find((candidate) => candidate.name === 'tls-insecure')!
      using made = materializeMutant(exercise.dir, mutant)
      const result = await gradeWith(
        exercise,
        broker,
        { kind: 'program-dir', dir: made.dir, label: 'python mutant' },
        `${python} main.py`,
      )
      const failed = result.checks.filter((check) => check.status === 'failed' || check.status === 'errored')
      expect(
        failed.map((check) => check.id),
        describeResult(result),
      ).toEqual(['refuses-wrong-name'])
      await expect(failed[0].message).toMatchFileSnapshot('__messages__/ex11-python-tls-insecure.txt')
    })
  })
})
