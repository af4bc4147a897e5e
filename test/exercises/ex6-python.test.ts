import path from 'node:path'
import { expect, it } from 'vitest'
import { loadExercise, resolveExerciseFolder } from '../../grader/exercises/load-exercises.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'
import { describeResult, gradeWith } from '../support/exercise-suite.ts'
import { listMutants, listVariants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { describeWithPython } from '../support/python-with-paho.ts'

/**
 * The course's original sensor was Python: `--cmd` must grade it by the same checks, on every broker, since
 * checks read only the wire. Needs a python3 that has paho-mqtt (Debian: python3-paho-mqtt).
 */
const exercise = await loadExercise(resolveExerciseFolder('ex6'))
const brokers = await detectBrokers()

describeWithPython('ex6 graded in Python with --cmd', (python) => {
  describeEachBroker(brokers, (broker) => {
    it('passes with the Python reference sensor', async () => {
      const dir = path.join(exercise.dir, 'solution-python')
      const result = await gradeWith(
        exercise,
        broker,
        { kind: 'program-dir', dir, label: 'solution-python' },
        `${python} main.py`,
      )
      expect(result.status, describeResult(result)).toBe('passed')
      expect(result.checks.map((check) => check.id)).not.toContain('types')
    })

    it("passes with the bootcamp's own style: a background subscriber on a second connection, started first", async () => {
      const variant = listVariants(exercise.dir, 'variants-python').find(
        (candidate) => candidate.name === 'background-subscriber',
      )!
      using made = materializeMutant(exercise.dir, variant)
      const result = await gradeWith(
        exercise,
        broker,
        { kind: 'program-dir', dir: made.dir, label: 'python variant' },
        `${python} main.py`,
      )
      expect(result.status, describeResult(result)).toBe('passed')
    })

    it('fails only "publishes-telemetry" with a Python sensor whose seq starts at 0', async () => {
      const mutant = listMutants(exercise.dir, 'mutants-python').find(
        (candidate) => candidate.name === 'seq-starts-at-zero',
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
      ).toEqual(['publishes-telemetry'])
      expect(failed[0].message).toBe(
        'Reading 1 has "seq": 0, but it is reading number 1: seq counts 1, 2, 3 ... without gaps or repeats, so a consumer can tell when one is missing.',
      )
    })
  })
})
