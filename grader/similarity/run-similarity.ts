import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { stringify } from 'csv-stringify/sync'
import { findSubmissions } from '../batch/find-submissions.ts'
import type { SimilarityCommand } from '../batch/parse-batch-args.ts'
import { defaultLanguageCommands, otherEntries } from '../batch/program-language.ts'
import { isUntouchedStarter } from '../batch/starter-attempt.ts'
import { layoutExercise } from '../exercises/detect-layout.ts'
import { listExerciseFolders, loadExercise } from '../exercises/load-exercises.ts'
import { openSubmission } from '../exercises/open-submission.ts'
import { type SimilarPair, rankSimilarPairs } from './rank-similar-pairs.ts'

/**
 * `npm run batch -- similarity <cohort>`: per exercise, the pairs of submissions most alike, by Dolos, with the
 * starter discounted and untouched starters left out (they are alike because nobody changed them). A high
 * score is a reason to read both programs, not a verdict.
 */
export async function runSimilarity(
  command: SimilarityCommand,
  stream: NodeJS.WritableStream = process.stdout,
): Promise<SimilarPair[]> {
  const { submissions } = findSubmissions(command.cohortDir)
  const wanted = command.exercises ? new Set(command.exercises) : undefined
  const all: SimilarPair[] = []
  for (const folder of listExerciseFolders().filter((candidate) => !wanted || wanted.has(candidate.id))) {
    const exercise = await loadExercise(folder)
    if (!exercise.run.entry) continue
    const marker = {
      ...layoutExercise(exercise),
      otherEntries: otherEntries(exercise.run.entry, defaultLanguageCommands),
    }
    const found: { student: string; dir: string }[] = []
    const opened = []
    for (const submission of submissions) {
      const open = await openSubmission(submission.dir, [marker], { isBatch: true, allowsTopLevel: false })
      opened.push(open)
      const hit = open.layout.found[0]
      if (hit && !isUntouchedStarter(hit.dir, exercise)) found.push({ student: submission.student, dir: hit.dir })
    }
    try {
      const pairs = rankSimilarPairs(exercise.id, path.join(exercise.dir, 'starter'), found)
      all.push(...pairs)
      stream.write(
        `${exercise.id} ${exercise.title}: ${found.length} submissions compared, ${pairs.length} pairs share code beyond the starter\n`,
      )
      for (const pair of pairs.slice(0, command.top))
        stream.write(
          `  ${(pair.similarity * 100).toFixed(0).padStart(3)}%  ${pair.left} ↔ ${pair.right}  (longest shared run: ${pair.longest} k-grams)\n`,
        )
    } finally {
      for (const open of opened) open[Symbol.dispose]()
    }
  }
  if (command.outDir) {
    mkdirSync(command.outDir, { recursive: true })
    const rows = all.map((pair) => [
      pair.exerciseId,
      pair.left,
      pair.right,
      pair.similarity.toFixed(4),
      String(pair.longest),
    ])
    writeFileSync(
      path.join(command.outDir, 'similarity.csv'),
      stringify([['exercise', 'left', 'right', 'similarity', 'longest'], ...rows], { record_delimiter: 'unix' }),
    )
    stream.write(`Every pair: ${path.join(command.outDir, 'similarity.csv')}\n`)
  }
  stream.write(
    'Similarity is a reason to read both programs side by side, not a verdict: short exercises leave few ways to write them.\n',
  )
  return all
}
