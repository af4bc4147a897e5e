// zod's v3 API, from the zod 4 package (a subpath zod keeps for good): it loads in 15 ms, where zod 4's own API,
// with its 95 modules and every locale, takes 75 ms of each grading run before the student's program can start.
import { z } from 'zod/v3'
import { capabilities, type BrokerSetup } from '../broker/broker.ts'
import type { Random } from '../runner/random.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'
import {
  type CheckDefinition,
  type CheckInput,
  checkSchema,
  functionSchema,
  idPattern,
} from '../checks/check-definition.ts'
import type { Harness, Inputs } from '../checks/harness.ts'

export type { CheckDefinition, CheckInput } from '../checks/check-definition.ts'

/** What an exercise's broker() gets to decide the broker's setup for one run. */
export interface BrokerContext<I extends Inputs = Inputs> {
  inputs: I
  submissionDir: string
  /** A file of the submission (mosquitto.conf, acl, passwd), or undefined when there is none. */
  readSubmissionFile(name: string): string | undefined
  /** For exercises that require 'tls': the run's CA and certificates (brokerFiles: ca.crt, server.crt, server.key). */
  tls: TlsMaterial | undefined
}

export const exerciseSchema = z
  .object({
    /** `ex1` ... `exN`: the number is the order in the course. */
    id: z.string().regex(/^ex[1-9]\d*$/, 'an exercise id is ex followed by its number: ex5'),
    /** The rest of the folder name: exercises/ex5-last-will has slug last-will. */
    slug: z.string().regex(idPattern),
    title: z.string().min(3),
    /** One sentence for lists and the site. */
    summary: z.string().min(10),
    /** The lesson file this exercise belongs to, without extension. @example '05-last-will' */
    lesson: z.string().regex(/^\d\d-[a-z0-9-]+$/),
    /** Broker capabilities every check needs; `--broker auto` picks a broker that has them. */
    requires: z.array(z.enum(capabilities)).default([]),
    run: z.object({
      /** The program's entry file in starter/ and solution/; omitted for exercises with no program. */
      entry: z.string().optional(),
      /** The randomised environment of one run (MQTT_URL is added by the grader). */
      inputs: functionSchema<(random: Random) => Inputs>('run.inputs'),
      /** The whole exercise's deadline, all checks included. */
      deadlineMs: z.number().int().positive().default(60_000),
      /**
       * Start the program at once, while the broker starts and setUp runs (its connection waits at the tap),
       * so that the first h.program() finds it already running: a faster grade. Only for exercises whose first
       * run is h.program(), not h.startProgram(env).
       */
      startsEarly: z.boolean().default(false),
      /**
       * How many times the checks start a program that passes them (ex3 restarts it to test sessions). Past
       * one, each next run is started ahead, on standby, as soon as the one before connects: Node and MQTT.js
       * are then loaded when the check asks for it.
       */
      programRuns: z.number().int().min(0).default(1),
      /**
       * The input that holds the client id the program must connect with (CLIENT_ID, DEVICE_ID). A program may
       * open other connections too (a background subscriber, say): checks judge the connections with this id.
       */
      clientIdInput: z
        .string()
        .regex(/^[A-Z][A-Z0-9_]*$/)
        .optional(),
    }),
    /** What the broker must enforce for this exercise: users and an ACL, or the student's own mosquitto.conf. */
    broker: functionSchema<(context: BrokerContext) => BrokerSetup>('broker').optional(),
    /** Runs before the first check, before the program starts: subscribe the observer, seed retained messages. */
    setUp: functionSchema<(h: Harness) => Promise<void>>('setUp').optional(),
    /** Exercise-level hints, from gentle to explicit. */
    hints: z.array(z.string().min(10)).min(1),
    checks: z.array(checkSchema).min(1),
  })
  .superRefine((exercise, context) => {
    const seen = new Set<string>()
    for (const [index, check] of exercise.checks.entries()) {
      if (seen.has(check.id))
        context.addIssue({ code: 'custom', path: ['checks', index, 'id'], message: `duplicate check id ${check.id}` })
      for (const need of check.needs ?? []) {
        if (!seen.has(need))
          context.addIssue({
            code: 'custom',
            path: ['checks', index, 'needs'],
            message: `${check.id} needs ${need}, which is not an earlier check`,
          })
      }
      seen.add(check.id)
    }
  })

export type ExerciseSpec = z.infer<typeof exerciseSchema>

export interface ExerciseInput<I extends Inputs>
  extends Omit<z.input<typeof exerciseSchema>, 'run' | 'broker' | 'setUp' | 'checks'> {
  run: Omit<z.input<typeof exerciseSchema>['run'], 'inputs'> & { inputs: (random: Random) => I }
  broker?: (context: BrokerContext<I>) => BrokerSetup
  setUp?: (h: Harness<I>) => Promise<void>
  checks: CheckInput<I>[]
}

/**
 * What every exercises/exN-slug/exercise.ts default-exports. The spec is validated here, so a mistake in an
 * exercise is reported when it loads, with the field's path, rather than in the middle of grading.
 */
export function defineExercise<I extends Inputs>(input: ExerciseInput<I>): ExerciseSpec {
  const parsed = exerciseSchema.safeParse(input)
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ')
    throw new Error(`invalid exercise ${String((input as { id?: unknown }).id ?? '')}: ${issues}`)
  }
  return parsed.data
}

/**
 * What exercises/exN-slug/instructor.ts default-exports: checks the student edition leaves out (hidden tests).
 * They run after the exercise's own checks (before `settles`), each needing the ones before it, and are
 * reported as hidden: Gradescope shows them after the due date.
 */
export function defineInstructorChecks<I extends Inputs>(checks: CheckInput<I>[]): CheckDefinition[] {
  return checks.map((check) => {
    const parsed = checkSchema.safeParse({ ...check, isInstructorOnly: true })
    if (!parsed.success)
      throw new Error(
        `invalid instructor check ${check.id}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      )
    return parsed.data
  })
}

export function exercisePoints(exercise: Pick<ExerciseSpec, 'checks'>): number {
  return exercise.checks.reduce((sum, check) => sum + check.points, 0)
}
