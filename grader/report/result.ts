// zod's v3 API, as in define-exercise.ts: a fraction of zod 4's start-up cost, paid on every grading run.
import { z } from 'zod/v3'

/**
 * The one result model. Every reporter (console, JSON, JUnit) reads only this; `--json` prints it as is.
 * Bump `reportSchemaVersion` on any change a consumer could notice.
 */
export const reportSchemaVersion = 2

/** An instructor's manual score (overrides.csv in a batch): what the grader gave, why it was changed, who decided. */
export const overrideSchema = z.object({ gradedPoints: z.number(), reason: z.string(), by: z.string() })

export const checkStatusSchema = z.enum(['passed', 'failed', 'skipped', 'errored'])

export const checkResultSchema = z.object({
  /** Stable id, unique within the exercise: `connects-with-will`. */
  id: z.string(),
  /** The sentence a student reads: "Your program connects with a Last Will on its status topic". */
  title: z.string(),
  status: checkStatusSchema,
  points: z.number(),
  maxPoints: z.number(),
  durationMs: z.number(),
  /** Failed or errored: what went wrong. Skipped: why it did not run. */
  message: z.string().optional(),
  expected: z.string().optional(),
  received: z.string().optional(),
  /** The packets that matter, one formatted line each: `+0.412s  #1 you → broker  PUBLISH ...`. */
  trace: z.array(z.string()).optional(),
  hint: z.string().optional(),
  /** Where the lesson explains it: `lessons/05-last-will.mdx#when-the-broker-sends-the-will`. */
  lesson: z.string().optional(),
  /** An instructor-only check (instructor.ts): students see it after the deadline (Gradescope `after_due_date`). */
  isHidden: z.boolean().optional(),
  /** Set when an instructor overrode this check's points (`points` is then theirs). */
  override: overrideSchema.optional(),
})

export const programRunSchema = z.object({
  run: z.number(),
  command: z.string(),
  /** "exited with code 1", "was stopped by SIGTERM", or undefined while it was still running when killed. */
  exit: z.string().optional(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
})

/**
 * passed: every check passed. failed: a check did not. errored: grading itself could not run (see error).
 * skipped: the chosen broker cannot run this exercise at all (--broker embedded for a Mosquitto exercise); no
 * check ran, which is not a failure.
 */
export const exerciseStatusSchema = z.enum(['passed', 'failed', 'errored', 'skipped'])

export const exerciseResultSchema = z.object({
  id: z.string(),
  slug: z.string(),
  title: z.string(),
  status: exerciseStatusSchema,
  points: z.number(),
  maxPoints: z.number(),
  durationMs: z.number(),
  seed: z.number(),
  /** The broker it ran against: "embedded (aedes 1.2.0)". */
  broker: z.string().optional(),
  /** What was graded: the starter, the reference solution, a submission folder, or a command. */
  source: z.string(),
  /** How the programs were isolated: bwrap, uid (a uid of their own, no namespaces) or none. */
  isolation: z.enum(['bwrap', 'uid', 'none']).optional(),
  /** `batch`: the program graded, chosen by its entry file: `{ entry: 'main.py', command: 'python3 main.py' }`. */
  program: z.object({ entry: z.string(), command: z.string().optional(), description: z.string() }).optional(),
  /** Set when an instructor overrode the exercise's total (`points` is then theirs). */
  override: overrideSchema.optional(),
  /** `batch`: the submission is the starter as handed out (starter-attempt.ts): not an attempt. */
  isUntouchedStarter: z.boolean().optional(),
  checks: z.array(checkResultSchema),
  programRuns: z.array(programRunSchema),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
  /** What the grading run itself noticed without changing the verdict: the trace was capped, say. */
  notes: z.array(z.string()).optional(),
  /** What went wrong after the verdict was final (a broker that would not stop): reported, never a failure. */
  warnings: z.array(z.string()).optional(),
})

export const gradeReportSchema = z.object({
  schemaVersion: z.literal(reportSchemaVersion),
  tool: z.object({ name: z.literal('mqtt-course'), version: z.string() }),
  status: exerciseStatusSchema,
  points: z.number(),
  maxPoints: z.number(),
  seed: z.number(),
  durationMs: z.number(),
  /** About the whole run: no sandbox here, say. */
  notes: z.array(z.string()).optional(),
  /** What held around the programs, in a line (sandbox.ts). */
  isolation: z.string().optional(),
  /** `batch --due`: which commit of the student's repository was graded, and what a late one was worth. */
  git: z
    .object({
      due: z.string(),
      /** The last commit at or before the deadline (absent: none). */
      onTime: z.object({ commit: z.string(), committedAt: z.string(), points: z.number() }).optional(),
      /** With --late, the latest commit when it came after the deadline, graded too. */
      late: z
        .object({
          commit: z.string(),
          committedAt: z.string(),
          gradedPoints: z.number(),
          penaltyPercent: z.number(),
          points: z.number(),
          isAccepted: z.boolean(),
          policy: z.string(),
        })
        .optional(),
      /** Which one the points are: the better of the two. */
      counted: z.enum(['on time', 'late', 'none']),
    })
    .optional(),
  exercises: z.array(exerciseResultSchema),
})

export type CheckResult = z.infer<typeof checkResultSchema>
export type ProgramRunResult = z.infer<typeof programRunSchema>
export type ExerciseStatus = z.infer<typeof exerciseStatusSchema>
export type ExerciseResult = z.infer<typeof exerciseResultSchema>
export type GradeReport = z.infer<typeof gradeReportSchema>

/**
 * 0: every check that ran passed (an exercise the chosen broker cannot run is skipped, and the report says so).
 * 1: a check did not pass. 2: the grader could not grade (usage or environment).
 */
export function exitCodeFor(report: Pick<GradeReport, 'exercises'>): 0 | 1 | 2 {
  if (report.exercises.some((exercise) => exercise.error)) return 2
  if (report.exercises.every((exercise) => exercise.status === 'passed' || exercise.status === 'skipped')) return 0
  return 1
}

export function summarizeExercises(
  exercises: readonly ExerciseResult[],
): Pick<GradeReport, 'status' | 'points' | 'maxPoints'> {
  const has = (status: ExerciseStatus) => exercises.some((e) => e.status === status)
  const status: ExerciseStatus = has('errored')
    ? 'errored'
    : has('failed')
      ? 'failed'
      : has('passed') || exercises.length === 0
        ? 'passed'
        : 'skipped'
  return {
    status,
    points: exercises.reduce((sum, e) => sum + e.points, 0),
    maxPoints: exercises.reduce((sum, e) => sum + e.maxPoints, 0),
  }
}
