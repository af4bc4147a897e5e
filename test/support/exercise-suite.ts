import { describe, expect, it } from 'vitest'
import { BackendChooser } from '../../grader/broker/choose-backend.ts'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { embeddedBackend } from '../../grader/broker/embedded-broker.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { missingCapabilities } from '../../grader/broker/broker.ts'
import { type Exercise, loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { listMutants, listVariants, materializeMutant } from '../../grader/exercises/mutants.ts'
import type { SubmissionSource } from '../../grader/exercises/submission.ts'
import { typesCheckId, gradeExercise } from '../../grader/grade/grade-exercise.ts'
import type { ExerciseResult } from '../../grader/report/result.ts'
import { type TestBroker, describeEachBroker, detectBrokers } from './brokers.ts'

/** Fixed, so failure messages (which quote randomised inputs) are the same on every run and every broker. */
export const testSeed = 20261124

const backends = { embedded: embeddedBackend, mosquitto: mosquittoBackend, container: containerBackend }

export async function gradeWith(
  exercise: Exercise,
  broker: TestBroker,
  source: SubmissionSource,
  command?: string,
): Promise<ExerciseResult> {
  return gradeExercise(exercise, {
    source,
    chooser: new BackendChooser(broker),
    seed: testSeed,
    ...(command ? { command } : {}),
  })
}

/** A readable account of a result for assertion messages: which checks did what. */
export function describeResult(result: ExerciseResult): string {
  if (result.error) return `errored: ${result.error.message}`
  const checks = result.checks.map(
    (check) => `${check.status.padEnd(7)} ${check.id}${check.message ? `: ${check.message.split('\n')[0]}` : ''}`,
  )
  // What the program said, for a failure that is not the expected one (a crash at start-up, say).
  const runs = result.programRuns.map((run) => `[run ${run.run}] ${run.exit ?? 'still running'}\n${run.stderrTail}`)
  return [...checks, ...runs].join('\n')
}

/**
 * The proof every exercise owes on one broker: the solution passes, the starter fails with a first message,
 * and each mutant fails exactly the check it names, with the message pinned (one file for every broker, so
 * the brokers must agree word for word).
 */
export async function defineExerciseSuite(broker: TestBroker): Promise<void> {
  const brokers = (await detectBrokers()).filter((b) => b.kind === broker)
  const exercises = await loadAllExercises()
  describeEachBroker(brokers, () => {
    for (const exercise of exercises) {
      const required = [...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)]
      // An exercise this broker cannot run (ex8 needs Mosquitto's ACL) is not a test here at all: `auto`
      // would never pick this broker for it, and a skipped test in CI would hide a missing broker.
      if (missingCapabilities(required, backends[broker].capabilities).length > 0) continue
      describe(`${exercise.id} ${exercise.slug}`, () => {
        it('passes with the reference solution', async () => {
          const result = await gradeWith(exercise, broker, { kind: 'solution' })
          expect(result.status, describeResult(result)).toBe('passed')
          expect(result.points).toBe(result.maxPoints)
          // run.programRuns says how many runs to start ahead: it must be what a passing program gets.
          expect(result.programRuns?.length ?? 0, 'exercise.run.programRuns').toBe(
            exercise.run.entry ? exercise.run.programRuns : 0,
          )
        })

        it('fails with the starter, scoring 0 (no check passes on work the starter does), and the first failure says why', async () => {
          const result = await gradeWith(exercise, broker, { kind: 'starter' })
          expect(result.status, describeResult(result)).toBe('failed')
          // Issue 22: an untouched starter earned points (ex2 2/10, ex7 1/7), as much as an attempt. A check the
          // starter passes gives points for nothing: the starter leaves that part to the student (a TODO).
          const earning = result.checks
            .filter((check) => check.points > 0)
            .map((check) => `${check.id} (${check.points})`)
          expect(
            earning,
            'checks that give points to the untouched starter: make the starter leave that work to the student',
          ).toEqual([])
          expect(result.points).toBe(0)
          const compiles = result.checks.find((check) => check.id === typesCheckId)
          if (compiles)
            expect(compiles.status, 'the starter must compile: students start from working code').toBe('passed')
          const first = result.checks.find((check) => check.status !== 'passed')!
          expect(first.status, describeResult(result)).toBe('failed')
          expect(first.message?.length).toBeGreaterThan(20)
          expect(first.hint?.length).toBeGreaterThan(10)
        })

        for (const variant of listVariants(exercise.dir)) {
          it(`passes with variant ${variant.name} (${variant.description})`, async () => {
            using made = materializeMutant(exercise.dir, variant)
            const result = await gradeWith(exercise, broker, {
              kind: 'program-dir',
              dir: made.dir,
              label: `variant ${variant.name}`,
            })
            expect(result.status, describeResult(result)).toBe('passed')
          })
        }

        // A mutant wrong only on some brokers (`on embedded`: MQTT 5, which only aedes refuses) is no test elsewhere.
        for (const mutant of listMutants(exercise.dir).filter(
          (candidate) => !candidate.brokers || candidate.brokers.includes(broker),
        )) {
          it(`fails only "${mutant.fails}" with mutant ${mutant.name} (${mutant.mistake})`, async () => {
            using made = materializeMutant(exercise.dir, mutant)
            const result = await gradeWith(exercise, broker, {
              kind: 'program-dir',
              dir: made.dir,
              label: `mutant ${mutant.name}`,
            })
            const failed = result.checks.filter((check) => check.status === 'failed' || check.status === 'errored')
            expect(
              failed.map((check) => check.id),
              describeResult(result),
            ).toEqual([mutant.fails])
            const checks = result.checks.map((check) => check.id)
            const before = result.checks.slice(0, checks.indexOf(mutant.fails))
            expect(
              before.every((check) => check.status === 'passed'),
              describeResult(result),
            ).toBe(true)
            await expect(failed[0].message).toMatchFileSnapshot(
              `../exercises/__messages__/${exercise.id}-${mutant.name}.txt`,
            )
          })
        }
      })
    }
  })
}
