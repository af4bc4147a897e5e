import { describeCapability } from '../broker/broker.ts'
import { GraderError } from '../errors/grader-error.ts'
import { type Exercise, loadAllExercises } from '../exercises/load-exercises.ts'
import { type Progress, readProgress } from '../progress/progress-store.ts'

/** `npm run list`: the exercises in course order, how far the student got in each, and what to do next. */
export async function runListCommand(args: readonly string[] = []): Promise<number> {
  if (args.length > 0)
    throw new GraderError('USAGE', `list takes no arguments; drop "${args.join(' ')}"`, { hint: 'run npm run list' })
  process.stdout.write(await describeProgress())
  return 0
}

/** The list as text: `watch` prints it too when the student presses l. */
export async function describeProgress(): Promise<string> {
  const [exercises, progress] = await Promise.all([loadAllExercises(), readProgress()])
  const width = Math.max(...exercises.map((exercise) => exercise.title.length))
  const lines: string[] = []
  for (const exercise of exercises) {
    const entry = progress.exercises[exercise.slug]
    // Best points as recorded, within what the exercise is worth now (a course update may change its points).
    const best = Math.min(entry?.bestPoints ?? 0, exercise.points)
    const needs = exercise.requires.length ? `  (needs ${exercise.requires.map(describeCapability).join(', ')})` : ''
    const [mark, points] = entry?.passed
      ? ['✓', `${best}/${exercise.points}`]
      : entry?.bestPoints !== undefined
        ? ['✗', `best ${best}/${exercise.points}`]
        : ['·', `${exercise.points} points`]
    lines.push(`  ${mark} ${exercise.id.padEnd(5)} ${exercise.title.padEnd(width)}  ${points.padStart(12)}${needs}`)
  }
  const earned = exercises.reduce(
    (sum, exercise) => sum + Math.min(progress.exercises[exercise.slug]?.bestPoints ?? 0, exercise.points),
    0,
  )
  const total = exercises.reduce((sum, exercise) => sum + exercise.points, 0)
  const passed = exercises.filter((exercise) => progress.exercises[exercise.slug]?.passed).length
  lines.push(
    '',
    `  ${earned}/${total} points, ${passed} of ${exercises.length} exercises passed   (✓ passed  ✗ tried, best so far  · not started)`,
  )
  const next = nextExercise(exercises, progress)
  lines.push(
    next ? `  Next: ${next.id} ${next.title}: npm run watch -- ${next.id}` : '  Every exercise passed: well done.',
  )
  return `${lines.join('\n')}\n`
}

/** The first exercise, in course order, not passed yet. */
export function nextExercise(exercises: readonly Exercise[], progress: Progress): Exercise | undefined {
  return exercises.find((exercise) => !progress.exercises[exercise.slug]?.passed)
}
