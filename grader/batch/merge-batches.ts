import { cpSync, existsSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { type BatchManifest, readBatchOutput, type StudentRecord } from './batch-manifest.ts'
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
  const [first] = shards
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
      ...(record.layout ? { layout: record.layout } : {}),
      ...(record.problem ? { problem: record.problem } : {}),
      isGraded: record.report !== undefined,
    })),
  }
  const resolvedOut = path.resolve(outDir)
  for (const record of students) writeStudentOutputs(resolvedOut, record)
  // The shards' stored results come along: a batch run later over the merged folder regrades only what changed.
  for (const shard of shards) {
    const cache = path.join(shard.dir, '.cache')
    if (existsSync(cache)) cpSync(cache, path.join(resolvedOut, '.cache'), { recursive: true })
  }
  writeCohortOutputs(resolvedOut, manifest, students)
  return { manifest, students, seeds: [...new Set(shards.map((shard) => shard.manifest.seed))] }
}
