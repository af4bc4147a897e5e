import { GraderError } from '../errors/grader-error.ts'
import { listExerciseFolders, loadAllExercises, loadExercise, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { describeCapability } from '../broker/broker.ts'

/** `npm run list`: the exercises in course order, with what each needs. */
export async function runListCommand(): Promise<number> {
  const exercises = await loadAllExercises()
  for (const exercise of exercises) {
    const needs = exercise.requires.length ? `  (needs ${exercise.requires.map(describeCapability).join(', ')})` : ''
    process.stdout.write(`${exercise.id.padEnd(5)} ${exercise.title.padEnd(42)} ${String(exercise.points).padStart(3)} points${needs}\n`)
  }
  process.stdout.write(`\nGrade one with: npm run grade -- ${exercises[0]?.id ?? 'ex1'}\n`)
  return 0
}

/** `npm run hint -- ex5`: the exercise's hints, gentle first. */
export async function runHintCommand(args: readonly string[]): Promise<number> {
  const query = args[0]
  if (!query) {
    throw new GraderError('USAGE', 'say which exercise you want hints for', { hint: `e.g. npm run hint -- ${listExerciseFolders()[0]?.id ?? 'ex1'}` })
  }
  const exercise = await loadExercise(resolveExerciseFolder(query))
  process.stdout.write(`Hints for ${exercise.id}: ${exercise.title} (gentle first; stop reading when you can go on)\n\n`)
  for (const [index, hint] of exercise.hints.entries()) process.stdout.write(`${index + 1}. ${hint}\n\n`)
  return 0
}
