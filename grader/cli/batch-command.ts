import path from 'node:path'
import { formatElapsed } from '../batch/batch-progress.ts'
import { mergeBatches } from '../batch/merge-batches.ts'
import { batchUsage, parseBatchArgs } from '../batch/parse-batch-args.ts'
import { runBatch } from '../batch/run-batch.ts'
import { runSimilarity } from '../similarity/run-similarity.ts'

/**
 * `npm run batch -- <cohort-dir>` and `npm run batch -- merge <dir>...`. Exit 0 once every submission has a
 * result, whatever the scores (grading errors are a column of the gradebook); 2 for bad input; 1 when more than
 * half of the cohort has no exercise found: the submissions are not where the batch looked (gitlinks of nested
 * clones, another layout), and a gradebook of zeros must not pass for grades (issue 21).
 */
export async function runBatchCommand(args: readonly string[]): Promise<number> {
  const command = parseBatchArgs(args)
  if (command.kind === 'help') {
    process.stdout.write(`${batchUsage}\n`)
    return 0
  }
  const startedAt = performance.now()
  if (command.kind === 'similarity') {
    await runSimilarity(command)
    return 0
  }
  if (command.kind === 'merge') {
    const summary = mergeBatches(command.shardDirs, command.outDir)
    process.stdout.write(
      `Merged ${command.shardDirs.length} shard outputs: ${summary.students.length} students → ${path.join(command.outDir, 'gradebook.csv')}, ${path.join(command.outDir, 'index.html')}\n`,
    )
    for (const note of summary.notes) process.stdout.write(`note: ${note}\n`)
    return 0
  }
  const summary = await runBatch(command)
  const graded = summary.students.filter((record) => record.report).length
  const reused = summary.reused > 0 ? `; ${summary.reused} unchanged results reused (--force regrades them)` : ''
  const rejected =
    summary.rejected > 0
      ? `; ${summary.rejected} stored result${summary.rejected === 1 ? '' : 's'} did not verify (not written by this batch) and ${summary.rejected === 1 ? 'was' : 'were'} graded again`
      : ''
  process.stdout.write(
    `Done in ${formatElapsed(performance.now() - startedAt)}: ${graded} students, ${summary.graded} exercise${summary.graded === 1 ? '' : 's'} graded${reused}${rejected}.\n` +
      `  ${path.join(command.outDir, 'gradebook.csv')}\n  ${path.join(command.outDir, 'index.html')}\n`,
  )
  const unreadable = summary.students.filter((record) => record.problem?.startsWith('no exercise found')).length
  if (unreadable * 2 > summary.students.length) {
    process.stderr.write(
      `error: ${unreadable} of ${summary.students.length} submissions have no exercise found: the cohort is not laid out as the batch expects (the gradebook's errors column says what each holds; nested clones committed with git add are empty gitlinks)\n`,
    )
    return 1
  }
  return 0
}
