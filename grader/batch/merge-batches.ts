import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { type BatchManifest, readBatchOutput, type StudentRecord } from './batch-manifest.ts'
import { checkOutFolder } from './check-batch-paths.ts'
import { ResultCache } from './result-cache.ts'
import { writeCohortOutputs, writeStudentOutputs } from './write-batch-outputs.ts'

export interface MergeSummary {
  manifest: BatchManifest
  students: StudentRecord[]
  /** Seeds differed between shards: the merged report is still right, but not one run's inputs. */
  seeds: number[]
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
      throw new GraderError('USAGE', `${shard.dir} was graded by grader ${shard.manifest.graderVersion ?? '(unknown, older)'} but ${first.dir} by ${first.manifest.graderVersion ?? '(unknown, older)'}: shards graded by different graders do not merge into one gradebook`, {
        hint: 'grade every shard with the same checkout of the course (the same commit), then merge',
      })
    }
  }
  const exerciseIds = (manifest: BatchManifest) => manifest.exercises.map((exercise) => exercise.id).join(',')
  for (const shard of shards) {
    if (exerciseIds(shard.manifest) !== exerciseIds(first.manifest)) {
      throw new GraderError('USAGE', `${shard.dir} graded ${exerciseIds(shard.manifest)} but ${first.dir} graded ${exerciseIds(first.manifest)}: shards of one batch grade the same exercises`, {
        hint: 'run every shard with the same --exercises (and the same cohort), then merge',
      })
    }
  }
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
  writeCohortOutputs(resolvedOut, manifest, students)
  return { manifest, students, seeds: [...new Set(shards.map((shard) => shard.manifest.seed))] }
}
