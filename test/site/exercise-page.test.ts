import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { readTaskPoints } from '../../grader/exercises/task-points.ts'
import { readCourseRepository } from '../../site/course/course-repository.ts'
import { exercisePage, readStarterFiles } from '../../site/exercise-pages/exercise-page.ts'
import { courseRoot } from '../support/run-cli.ts'

const repository = readCourseRepository(courseRoot)

/** The exercise page's "What is checked" table, from the markdown the site renders (no build needed). */
describe('an exercise page', async () => {
  for (const exercise of await loadAllExercises()) {
    it(`${exercise.id}: says what is checked, and which task point each check verifies`, () => {
      const readme = readFileSync(path.join(exercise.dir, 'README.md'), 'utf8')
      const { markdown } = exercisePage(exercise, readme, readStarterFiles(exercise), repository)
      const table = markdown.slice(markdown.indexOf('## What is checked'), markdown.indexOf('## The starter code'))
      expect(table).toContain('| check | what your program must do | task point | points |')
      for (const check of exercise.checks) {
        const row = table.split('\n').find((line) => line.startsWith(`| \`${check.id}\` |`))
        expect(row, `${exercise.id} ${check.id}`).toBeDefined()
        expect(row!.split('|').at(-3)!.trim(), `${exercise.id} ${check.id}: its task points`).toBe(
          check.covers.join(', '),
        )
      }
      // Every point of the task appears in some row: nothing the task asks goes unchecked on the page either.
      const cited = new Set(
        table
          .split('\n')
          .slice(2)
          .flatMap((line) => (line.split('|').at(-3) ?? '').split(',').map((n) => Number(n.trim()))),
      )
      for (const point of readTaskPoints(readme))
        expect(cited, `${exercise.id} point ${point.number}`).toContain(point.number)
    })
  }

  for (const exercise of await loadAllExercises()) {
    it(`${exercise.id}: links the course's repository (package.json) and runs programs with the course's Node`, () => {
      const readme = readFileSync(path.join(exercise.dir, 'README.md'), 'utf8')
      const { markdown } = exercisePage(exercise, readme, readStarterFiles(exercise), repository)
      expect(markdown).toContain(`](${repository.webUrl})`)
      // A system Node older than 22.6 fails on `node file.ts` (ERR_UNKNOWN_FILE_EXTENSION): npm run node is the course's.
      expect(markdown).not.toMatch(/(^|\s)node exercises\//m)
      if (exercise.run.entry)
        expect(markdown).toContain(`npm run node -- exercises/${exercise.folder}/starter/${exercise.run.entry}`)
    })
  }
})

describe("the course's repository", () => {
  it('comes from package.json, as a page and a clone URL', () => {
    expect(repository.webUrl).toMatch(/^https:\/\/[^/]+\/[^/]+\/[^/]+$/)
    expect(repository.cloneUrl).toBe(`${repository.webUrl}.git`)
  })
})
