import { readFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod/v3'
import { GraderError } from '../errors/grader-error.ts'
import { type GradeReport, gradeReportSchema } from '../report/result.ts'
import { safeFolderName } from './check-batch-paths.ts'

/**
 * `<out>/batch.json`: what a batch graded, so that `batch merge` can put shards back together and the reports
 * can be written again from the stored results alone.
 */
export const batchManifestSchema = z.object({
  schemaVersion: z.literal(1),
  /** The cohort's seed: each student's own is derived from it and their name (their result.json has it). */
  seed: z.number(),
  broker: z.string(),
  /** The grader that graded (course version + a hash of its source): shards of different graders do not merge. */
  graderVersion: z.string().optional(),
  /** How the programs were isolated (the sandbox's description). */
  isolation: z.string().optional(),
  /** Entries of the cohort folder that are no submission (hidden folders, files), and why. */
  skipped: z.array(z.string()).optional(),
  shard: z.object({ index: z.number(), count: z.number() }).optional(),
  exercises: z.array(z.object({ id: z.string(), slug: z.string(), title: z.string(), maxPoints: z.number() })),
  /** `--roster`: the class in its order, with the LMS ids (roster.ts); merge and the reports order by it. */
  roster: z.array(z.object({ folder: z.string() }).catchall(z.string())).optional(),
  /** `--format` and `--bom`: the gradebooks written beside gradebook.csv. */
  gradebook: z.object({ formats: z.array(z.enum(['canvas', 'moodle'])), hasBom: z.boolean() }).optional(),
  students: z.array(
    z.object({
      student: z.string(),
      /** The student's report folder in --out (unique: see assignReportFolders). */
      folder: z.string().optional(),
      /** The layouts found: "course clone". */
      layout: z.string().optional(),
      /** Set when the submission could not be read at all: "no exercise found: ...". */
      problem: z.string().optional(),
      /** False when the batch was interrupted before this student was graded. */
      isGraded: z.boolean(),
    }),
  ),
})

export type BatchManifest = z.infer<typeof batchManifestSchema>
export type ManifestExercise = BatchManifest['exercises'][number]

/** One student's row: the manifest's entry and, once graded, the report (the `--json` schema). */
export interface StudentRecord {
  student: string
  /** Their report folder in --out; when absent (an older batch.json), the name made safe. */
  folder?: string
  layout?: string
  problem?: string
  report?: GradeReport
  /** With a roster: listed in it, on it without a submission folder, or a folder it does not name. */
  rosterStatus?: 'listed' | 'not submitted' | 'not in roster'
}

export function readBatchOutput(outDir: string): { manifest: BatchManifest; students: StudentRecord[] } {
  const file = path.join(outDir, 'batch.json')
  let manifest: BatchManifest
  try {
    manifest = batchManifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
  } catch (error) {
    throw new GraderError(
      'NO_SUBMISSION',
      `${outDir} is not a batch's output: ${file} ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'}`,
      {
        hint: 'give the --out folders of npm run batch runs, e.g. npm run batch -- merge shard-1/ shard-2/ --out reports/',
      },
    )
  }
  const students = manifest.students.map((entry): StudentRecord => {
    const record: StudentRecord = {
      student: entry.student,
      ...(entry.folder ? { folder: entry.folder } : {}),
      ...(entry.layout ? { layout: entry.layout } : {}),
      ...(entry.problem ? { problem: entry.problem } : {}),
    }
    if (!entry.isGraded) return record
    const report = gradeReportSchema.parse(
      JSON.parse(readFileSync(path.join(outDir, studentFolder(record), 'result.json'), 'utf8')),
    )
    return { ...record, report }
  })
  return { manifest, students }
}

/** A student's folder in --out. */
export function studentFolder(record: Pick<StudentRecord, 'student' | 'folder'>): string {
  return record.folder ?? safeFolderName(record.student)
}
