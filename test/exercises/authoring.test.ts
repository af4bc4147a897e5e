import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { listExerciseFolders, loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { listMutants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { createRandom } from '../../grader/runner/random.ts'
import { pseudoCheckIds } from '../../grader/grade/pseudo-checks.ts'
import { formatTaskPointMap, mapTaskPoints, pointsBrokenBy } from '../../grader/exercises/task-points.ts'

/**
 * Like rustlings' `dev check`: every exercise has every part, so a student never meets a half-built one.
 * Whether the parts behave (starter fails, solution passes, mutants fail their check) is proven per broker
 * in embedded/mosquitto/container.test.ts.
 */
const exercises = await loadAllExercises()
const readmeSections = ['## Your task', '## Inputs', '## Done when', '## Run it']
const lessonFiles = [
  '01-mqtt-in-a-nutshell',
  '02-topics-and-wildcards',
  '03-qos',
  '04-retained-messages',
  '05-last-will',
  '06-telemetry-and-commands',
  '07-securing-mosquitto',
  '08-review',
  '09-mqtt-5-in-practice',
]

const brokerKinds = ['embedded', 'mosquitto', 'container']

/** Every mutant of an exercise, TypeScript and Python alike: each breaks some point of the one task. */
const allMutants = (dir: string) => [...listMutants(dir), ...listMutants(dir, 'mutants-python')]

/** The task-point map of one exercise, with the mutants that break each point. */
function taskPointMap(exercise: (typeof exercises)[number]) {
  const readme = readFileSync(path.join(exercise.dir, 'README.md'), 'utf8')
  // Instructor-only checks (instructor.ts) are hidden tests: the student's README does not name them.
  const { rows, problems } = mapTaskPoints(
    readme,
    exercise.checks.filter((check) => !check.isInstructorOnly),
    pseudoCheckIds,
  )
  const taskPoints = new Set(rows.map((row) => row.point.number))
  for (const check of exercise.checks.filter((candidate) => candidate.isInstructorOnly)) {
    for (const number of check.covers)
      if (!taskPoints.has(number))
        problems.push(
          `instructor-only check ${check.id} covers task point ${number}, which "## Your task" does not have`,
        )
  }
  // A mutant of an instructor-only check breaks the points that check covers.
  const withHidden = rows.map((row) => ({
    ...row,
    checks: [
      ...row.checks,
      ...exercise.checks.filter((check) => check.isInstructorOnly && check.covers.includes(row.point.number)),
    ],
  }))
  const mutantsByPoint = new Map<number, string[]>()
  for (const mutant of allMutants(exercise.dir)) {
    const broken = pointsBrokenBy(mutant, withHidden)
    if (broken.problem) problems.push(broken.problem)
    for (const point of broken.points) mutantsByPoint.set(point, [...(mutantsByPoint.get(point) ?? []), mutant.name])
  }
  return { rows, problems, mutantsByPoint }
}

describe('the exercises', () => {
  it('are numbered ex1, ex2, ... in folders named ex<N>-<slug>, with unique slugs', () => {
    const folders = listExerciseFolders()
    expect(folders.length).toBeGreaterThanOrEqual(2)
    expect(new Set(folders.map((f) => f.slug)).size).toBe(folders.length)
    expect(new Set(folders.map((f) => f.number)).size).toBe(folders.length)
  })

  for (const exercise of exercises) {
    describe(exercise.folder, () => {
      it('has a README.md with the task, the inputs, what done means and how to run it', () => {
        const file = path.join(exercise.dir, 'README.md')
        expect(existsSync(file), 'README.md is missing').toBe(true)
        const readme = readFileSync(file, 'utf8')
        let position = -1
        for (const section of readmeSections) {
          const found = readme.indexOf(`\n${section}\n`)
          expect(found, `README.md needs a "${section}" section, after the previous one`).toBeGreaterThan(position)
          position = found
        }
        expect(readme).toContain(`npm run grade -- ${exercise.id}`)
        for (const check of exercise.checks.filter((candidate) => !candidate.isInstructorOnly))
          expect(readme, `"Done when" should name the check **${check.id}**`).toContain(`**${check.id}**`)
        // A hidden test stays hidden: the student's README does not name it.
        for (const check of exercise.checks.filter((candidate) => candidate.isInstructorOnly))
          expect(readme, `the README names the instructor-only check ${check.id}`).not.toContain(check.id)
        for (const name of Object.keys(exercise.run.inputs(createRandom(42))))
          expect(readme, `"Inputs" should document ${name}`).toContain(`\`${name}\``)
      })

      it('maps every point of "Your task" to the checks that verify it, and every check to its points', () => {
        const { problems } = taskPointMap(exercise)
        expect(
          problems.filter((problem) => !problem.startsWith('mutant ')),
          "the README's task points and the checks' covers must agree",
        ).toEqual([])
      })

      it('has, for every task point, a mutant that breaks it, and for every check a mutant that fails it', () => {
        const { rows, problems, mutantsByPoint } = taskPointMap(exercise)
        expect(
          problems.filter((problem) => problem.startsWith('mutant ')),
          'each mutant must say which task point it breaks',
        ).toEqual([])
        for (const row of rows) {
          expect(
            mutantsByPoint.get(row.point.number) ?? [],
            `task point ${row.point.number} ("${row.point.text.slice(0, 60)}...") has no mutant: write the wrong program a student would write against it (mutants/<name>.patch)`,
          ).not.toEqual([])
        }
        // A check no mutant fails is a check nobody has seen fail: it may be one that cannot.
        const failed = new Set(allMutants(exercise.dir).map((mutant) => mutant.fails))
        for (const check of exercise.checks)
          expect(failed, `no mutant fails ${check.id}: write one that does`).toContain(check.id)
      })

      it('has a starter and a solution with its entry file, and TODO comments that teach in the starter', () => {
        for (const folder of ['starter', 'solution'])
          expect(existsSync(path.join(exercise.dir, folder)), `${folder}/ is missing`).toBe(true)
        if (exercise.run.entry) {
          expect(existsSync(path.join(exercise.dir, 'starter', exercise.run.entry))).toBe(true)
          expect(existsSync(path.join(exercise.dir, 'solution', exercise.run.entry))).toBe(true)
          const starter = readFileSync(path.join(exercise.dir, 'starter', exercise.run.entry), 'utf8')
          expect(
            starter.match(/\/\/ TODO: \S.{10,}/g)?.length ?? 0,
            'the starter needs // TODO: comments that say what to do',
          ).toBeGreaterThanOrEqual(2)
        }
      })

      it('has at least 3 mutants, patches of the solution that still apply, each naming an existing check and the mistake', () => {
        const mutants = listMutants(exercise.dir)
        expect(mutants.length).toBeGreaterThanOrEqual(3)
        for (const mutant of mutants) {
          using made = materializeMutant(exercise.dir, mutant)
          expect(existsSync(made.dir)).toBe(true)
        }
        // A mutant may also fail a precondition: its code does not compile, Mosquitto refuses its config.
        const ids = [...exercise.checks.map((check) => check.id), ...pseudoCheckIds]
        for (const mutant of mutants) {
          expect(
            ids,
            `mutant ${mutant.name} must start with "@fails <check-id> [point <n>] [on <broker>]: <mistake>"`,
          ).toContain(mutant.fails)
          expect(mutant.mistake.length).toBeGreaterThan(10)
          for (const broker of mutant.brokers ?? [])
            expect(brokerKinds, `mutant ${mutant.name}: on ${broker}`).toContain(broker)
        }
      })

      it('has hints (gentle to explicit), and every check has a sentence, a hint and a lesson section', () => {
        expect(exercise.hints.length).toBeGreaterThanOrEqual(2)
        expect(lessonFiles).toContain(exercise.lesson)
        for (const check of exercise.checks) {
          expect(check.title.length, `${check.id}: title`).toBeGreaterThan(15)
          expect(check.hint.length, `${check.id}: hint`).toBeGreaterThan(15)
          expect(check.lessonSection, `${check.id}: lessonSection`).toBeTruthy()
          expect(check.points).toBeGreaterThan(0)
        }
      })

      it('randomises its inputs: two seeds give different values', () => {
        const a = exercise.run.inputs(createRandom(1))
        const b = exercise.run.inputs(createRandom(2))
        expect(a).not.toEqual(b)
        expect(exercise.run.inputs(createRandom(1))).toEqual(a)
      })
    })
  }

  it('prints the task-point map: every point of every task, its checks and the mutants that break it', () => {
    const map = exercises.map((exercise) => {
      const { rows, mutantsByPoint } = taskPointMap(exercise)
      return formatTaskPointMap(`${exercise.id} ${exercise.slug}`, rows, mutantsByPoint)
    })
    console.log(`The task-point map (README "## Your task" -> checks -> mutants):\n${map.join('\n')}`)
    expect(map.join('\n')).not.toContain('checked by NOTHING')
  })
})
