import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { readTaskPoints } from '../../grader/exercises/task-points.ts'
import { exercisePage, readStarterFiles } from '../../site/exercise-pages/exercise-page.ts'

/** The exercise page's "What is checked" table, from the markdown the site renders (no build needed). */
describe('an exercise page', async () => {
  for (const exercise of await loadAllExercises()) {
    it(`${exercise.id}: says what is checked, and which task point each check verifies`, () => {
      const readme = readFileSync(path.join(exercise.dir, 'README.md'), 'utf8')
      const { markdown } = exercisePage(exercise, readme, readStarterFiles(exercise))
      const table = markdown.slice(markdown.indexOf('## What is checked'), markdown.indexOf('## The starter code'))
      expect(table).toContain('| check | what your program must do | task point | points |')
      for (const check of exercise.checks) {
        const row = table.split('\n').find((line) => line.startsWith(`| \`${check.id}\` |`))
        expect(row, `${exercise.id} ${check.id}`).toBeDefined()
        expect(row!.split('|').at(-3)!.trim(), `${exercise.id} ${check.id}: its task points`).toBe(check.covers.join(', '))
      }
      // Every point of the task appears in some row: nothing the task asks goes unchecked on the page either.
      const cited = new Set(table.split('\n').slice(2).flatMap((line) => (line.split('|').at(-3) ?? '').split(',').map((n) => Number(n.trim()))))
      for (const point of readTaskPoints(readme)) expect(cited, `${exercise.id} point ${point.number}`).toContain(point.number)
    })
  }
})
