import { parseArgs } from 'node:util'
import { GraderError } from '../errors/grader-error.ts'
import { type Exercise, loadAllExercises, loadExercise, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { readProgress, recordHintShown } from '../progress/progress-store.ts'
import { nextExercise } from './list-command.ts'
import { describeParseError } from './parse-grade-args.ts'

/** `npm run hint -- ex5`: the next hint not shown yet (gentle first), remembered; `--all` shows every hint. */
export async function runHintCommand(args: readonly string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options: { all: { type: 'boolean' } }, allowPositionals: true, strict: true })
  } catch (error) {
    throw new GraderError('USAGE', describeParseError(error as Error), {
      hint: 'e.g. npm run hint -- ex3, or npm run hint -- ex3 --all',
    })
  }
  if (parsed.positionals.length > 1)
    throw new GraderError('USAGE', `hints are for one exercise at a time; got "${parsed.positionals.join(' ')}"`, {
      hint: 'e.g. npm run hint -- ex3',
    })
  const [query] = parsed.positionals
  const exercise = query
    ? await loadExercise(resolveExerciseFolder(query))
    : nextExercise(await loadAllExercises(), await readProgress())
  if (!exercise)
    throw new GraderError('USAGE', 'every exercise is passed: say which exercise you want hints for', {
      hint: 'e.g. npm run hint -- ex3',
    })
  process.stdout.write(parsed.values.all ? await allHints(exercise) : await nextHint(exercise))
  return 0
}

/** Every hint of the exercise, gentle first; they all count as shown. */
export async function allHints(exercise: Exercise): Promise<string> {
  await recordHintShown(exercise.slug, exercise.hints.length)
  const lines = [`Hints for ${exercise.id}: ${exercise.title} (gentle first; stop reading when you can go on)`, '']
  for (const [index, hint] of exercise.hints.entries()) lines.push(`${index + 1}. ${hint}`, '')
  return `${lines.join('\n')}`
}

/** The first hint not shown yet, and a note of it; once all are shown, says so and shows them again. */
export async function nextHint(exercise: Exercise): Promise<string> {
  const shown = (await readProgress()).exercises[exercise.slug]?.hintsShown ?? 0
  const count = exercise.hints.length
  if (count === 0) return `${exercise.id} has no hints: its README and lesson say it all.\n`
  if (shown >= count)
    return `You have seen all ${count} hints for ${exercise.id}. Here they are again:\n\n${(await allHints(exercise)).split('\n').slice(2).join('\n')}`
  await recordHintShown(exercise.slug, shown + 1)
  const more =
    shown + 1 < count
      ? `(the same command again for hint ${shown + 2}; --all for every hint)`
      : '(that was the last one)'
  return `Hint ${shown + 1} of ${count} for ${exercise.id}: ${exercise.title}\n\n  ${exercise.hints[shown].replace(/\n/g, '\n  ')}\n\n${more}\n`
}
