import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { listExerciseFolders, loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { listMutants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { createRandom } from '../../grader/runner/random.ts'
import { pseudoCheckIds } from '../../grader/grade/pseudo-checks.ts'

/**
 * Like rustlings' `dev check`: every exercise has every part, so a student never meets a half-built one.
 * Whether the parts behave (starter fails, solution passes, mutants fail their check) is proven per broker
 * in embedded/mosquitto/container.test.ts.
 */
const exercises = await loadAllExercises()
const readmeSections = ['## Your task', '## Inputs', '## Done when', '## Run it']
const lessonFiles = ['01-mqtt-in-a-nutshell', '02-topics-and-wildcards', '03-qos', '04-retained-messages', '05-last-will', '06-telemetry-and-commands', '07-securing-mosquitto', '08-review', '09-mqtt-5-in-practice']

/** The numbered points of "## Your task", each with its text up to the next point (nested lines included). */
function taskItems(readme: string): Array<{ number: number; text: string }> {
  const section = readme.slice(readme.indexOf('\n## Your task\n'), readme.indexOf('\n## Inputs\n'))
  const items: Array<{ number: number; text: string }> = []
  for (const line of section.split('\n')) {
    const start = /^(\d+)\. (.*)$/.exec(line)
    if (start) items.push({ number: Number(start[1]), text: start[2] })
    else if (items.length > 0 && /^\s+\S/.test(line)) items[items.length - 1].text += ` ${line.trim()}`
    else if (items.length > 0 && line.trim() !== '') break
  }
  return items
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
        for (const check of exercise.checks) expect(readme, `"Done when" should name the check **${check.id}**`).toContain(`**${check.id}**`)
        for (const name of Object.keys(exercise.run.inputs(createRandom(42)))) expect(readme, `"Inputs" should document ${name}`).toContain(`\`${name}\``)
      })

      it('names, for every point of "Your task", the check that verifies it', () => {
        const readme = readFileSync(path.join(exercise.dir, 'README.md'), 'utf8')
        const items = taskItems(readme)
        expect(items.length, '"## Your task" should be a numbered list').toBeGreaterThan(0)
        const ids = new Set([...exercise.checks.map((check) => check.id), ...pseudoCheckIds])
        for (const item of items) {
          const named = [...item.text.matchAll(/\*\*([a-z0-9-]+)\*\*/g)].map((match) => match[1]).filter((id) => ids.has(id))
          expect(named, `task point ${item.number} ("${item.text.slice(0, 60)}...") names no check: add (**check-id**) for the check that verifies it, or take the point out of the task`).not.toEqual([])
        }
        // And no check is left without a task point that asks for what it verifies.
        const asked = new Set(items.flatMap((item) => [...item.text.matchAll(/\*\*([a-z0-9-]+)\*\*/g)].map((match) => match[1])))
        for (const check of exercise.checks) expect(asked, `check ${check.id} verifies something no task point asks for`).toContain(check.id)
      })

      it('has a starter and a solution with its entry file, and TODO comments that teach in the starter', () => {
        for (const folder of ['starter', 'solution']) expect(existsSync(path.join(exercise.dir, folder)), `${folder}/ is missing`).toBe(true)
        if (exercise.run.entry) {
          expect(existsSync(path.join(exercise.dir, 'starter', exercise.run.entry))).toBe(true)
          expect(existsSync(path.join(exercise.dir, 'solution', exercise.run.entry))).toBe(true)
          const starter = readFileSync(path.join(exercise.dir, 'starter', exercise.run.entry), 'utf8')
          expect(starter.match(/\/\/ TODO: \S.{10,}/g)?.length ?? 0, 'the starter needs // TODO: comments that say what to do').toBeGreaterThanOrEqual(2)
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
          expect(ids, `mutant ${mutant.name} must start with "// @fails <check-id>: <mistake>"`).toContain(mutant.fails)
          expect(mutant.mistake.length).toBeGreaterThan(10)
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
})

