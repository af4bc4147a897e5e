import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { type BatchManifest, readBatchOutput, type StudentRecord } from './batch-manifest.ts'
import { checkOutFolder } from './check-batch-paths.ts'
import { ResultCache } from './result-cache.ts'
import { writeCohortOutputs, writeStudentOutputs } from './write-batch-outputs.ts'

export interface MergeSummary {
  manifest: BatchManifest
  students: StudentRecord[]
  /** What the instructor should be told: students an LMS gradebook left out. */
  notes: string[]
}

/**
 * `npm run batch -- merge <dir>...`: the outputs of `--shard i/n` runs (a CI matrix) put back together into one
 * gradebook and one report, identical to the gradebook of one unsharded run over the same cohort.
 */
export function mergeBatches(shardDirs: readonly string[], outDir: string): MergeSummary {
  const shards = shardDirs.map((dir) => ({ dir, ...readBatchOutput(dir) }))
  const resolvedOut = checkOutFolder(outDir, { shardDirs })
  const [first] = shards
  for (const shard of shards) {
    if (shard.manifest.graderVersion !== first.manifest.graderVersion) {
      throw new GraderError(
        'USAGE',
        `${shard.dir} was graded by grader ${shard.manifest.graderVersion ?? '(unknown, older)'} but ${first.dir} by ${first.manifest.graderVersion ?? '(unknown, older)'}: shards graded by different graders do not merge into one gradebook`,
        {
          hint: 'grade every shard with the same checkout of the course (the same commit), then merge',
        },
      )
    }
  }
  const exerciseIds = (manifest: BatchManifest) => manifest.exercises.map((exercise) => exercise.id).join(',')
  for (const shard of shards) {
    if (exerciseIds(shard.manifest) !== exerciseIds(first.manifest)) {
      throw new GraderError(
        'USAGE',
        `${shard.dir} graded ${exerciseIds(shard.manifest)} but ${first.dir} graded ${exerciseIds(first.manifest)}: shards of one batch grade the same exercises`,
        {
          hint: 'run every shard with the same --exercises (and the same cohort), then merge',
        },
      )
    }
  }
  checkShardsComplete(shards)
  const byStudent = new Map<string, StudentRecord>()
  for (const shard of shards) {
    for (const record of shard.students) {
      const earlier = byStudent.get(record.student)
      if (earlier?.report && !record.report) continue
      byStudent.set(record.student, record)
    }
  }
  const students = [...byStudent.values()].sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0))
  const { shard: _shard, ...rest } = first.manifest
  const manifest: BatchManifest = {
    ...rest,
    students: students.map((record) => ({
      student: record.student,
      ...(record.folder ? { folder: record.folder } : {}),
      ...(record.layout ? { layout: record.layout } : {}),
      ...(record.problem ? { problem: record.problem } : {}),
      isGraded: record.report !== undefined,
    })),
  }
  for (const record of students) writeStudentOutputs(resolvedOut, record)
  // The shards' stored results come along (each verified with its shard's secret, signed with the merged
  // folder's): a batch run later over the merged folder regrades only what changed.
  const cache = new ResultCache(resolvedOut)
  for (const shard of shards) cache.adopt(new ResultCache(path.resolve(shard.dir)))
  const notes = writeCohortOutputs(resolvedOut, manifest, students)
  return { manifest, students, notes }
}

/**
 * The shards of one batch, each once, every one of them, with one seed: a merge of shards 1 and 3 of 3 would be a
 * gradebook with a third of the cohort silently missing (issue 22), two copies of a shard one where a regrade
 * hides behind the other, and shards of different seeds gave each half of the cohort other inputs.
 */
function checkShardsComplete(shards: readonly { dir: string; manifest: BatchManifest }[]): void {
  const unsharded = shards.filter((shard) => !shard.manifest.shard)
  if (unsharded.length > 0 && shards.length > 1) {
    throw new GraderError(
      'USAGE',
      `${unsharded.map((shard) => shard.dir).join(', ')} ${unsharded.length === 1 ? 'was' : 'were'} not graded with --shard: ${unsharded.length === 1 ? 'it holds' : 'each holds'} the whole cohort, and merging ${unsharded.length === 1 ? 'it' : 'them'} with shards would count students twice`,
      {
        hint: 'merge only the --out folders of one sharded batch (--shard 1/n ... n/n); an unsharded batch needs no merge',
      },
    )
  }
  if (unsharded.length > 0) return
  const seeds = [...new Set(shards.map((shard) => shard.manifest.seed))]
  if (seeds.length > 1) {
    throw new GraderError(
      'USAGE',
      `the shards were graded with different seeds: ${seeds
        .map(
          (seed) =>
            `${seed} (${shards
              .filter((shard) => shard.manifest.seed === seed)
              .map((shard) => shard.dir)
              .join(', ')})`,
        )
        .join(', ')}; the cohort's students would not have had the same kind of inputs`,
      {
        hint: `grade every shard with the same --seed, e.g. --seed ${seeds[0]}, then merge`,
      },
    )
  }
  const counts = [...new Set(shards.map((shard) => shard.manifest.shard!.count))]
  if (counts.length > 1) {
    throw new GraderError(
      'USAGE',
      `the shards come from different splits: ${shards.map((shard) => `${shard.dir} is ${shard.manifest.shard!.index}/${shard.manifest.shard!.count}`).join(', ')}`,
      {
        hint: 'merge the shards of one run of --shard i/n, with one n',
      },
    )
  }
  const count = counts[0]
  const seen = new Map<number, string>()
  for (const shard of shards) {
    const { index } = shard.manifest.shard!
    const earlier = seen.get(index)
    if (earlier !== undefined)
      throw new GraderError('USAGE', `shard ${index}/${count} is given twice: ${earlier} and ${shard.dir}`, {
        hint: "give each shard's --out folder once",
      })
    seen.set(index, shard.dir)
  }
  const missing = Array.from({ length: count }, (_, position) => position + 1).filter((index) => !seen.has(index))
  if (missing.length > 0) {
    throw new GraderError(
      'USAGE',
      `shard${missing.length === 1 ? '' : 's'} ${missing.map((index) => `${index}/${count}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: the merged gradebook would leave out ${missing.length === 1 ? 'its' : 'their'} students`,
      {
        hint: `merge the --out folders of all ${count} shards; grade a missing one with npm run batch -- <cohort> --shard ${missing[0]}/${count} --seed ${shards[0].manifest.seed} --out <dir>`,
      },
    )
  }
}
