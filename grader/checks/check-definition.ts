import { z } from 'zod/v3'
import { capabilities } from '../broker/broker.ts'
import type { Harness, Inputs } from './harness.ts'

/** Ids of exercises and checks: kebab-case. */
export const idPattern = /^[a-z0-9]+(-[a-z0-9]+)*$/

/** A field that holds a function (zod checks only that it is one; TypeScript checks its type). */
export const functionSchema = <T>(what: string) =>
  z.custom<T>((value) => typeof value === 'function', { message: `${what} must be a function` })

/** One check: a sentence the student understands, its points, a hint, and the function that decides it. */
export const checkSchema = z.object({
  /** Stable, kebab-case, unique in the exercise. @example 'connects-with-will' */
  id: z.string().regex(idPattern, 'a check id is kebab-case: connects-with-will'),
  /** What the student's program must do, as a sentence. @example 'Your program connects with a Last Will' */
  title: z.string().min(10),
  points: z.number().int().min(0),
  /** Shown when the check fails: the next step, not the answer. */
  hint: z.string().min(10),
  /**
   * The points of the README's "## Your task" this check verifies, by number; each of those points names the
   * check in bold. The authoring test fails when a point has no check or a check no point. @example [1, 3]
   */
  covers: z
    .array(z.number().int().positive(), {
      required_error:
        'a check names the task points it verifies (the numbers of the README\'s "## Your task"): covers: [2]',
    })
    .min(1, 'a check covers at least one task point: covers: [2]'),
  /** The heading anchor in the exercise's lesson that explains this. @example 'when-the-broker-sends-the-will' */
  lessonSection: z.string().regex(idPattern).optional(),
  /** Broker capabilities this check needs beyond the exercise's own. */
  requires: z.array(z.enum(capabilities)).default([]),
  /** Checks that must pass before this one runs. Default: every earlier check (checks are cumulative). */
  needs: z.array(z.string()).optional(),
  /** This check's deadline. */
  timeoutMs: z.number().int().positive().default(5000),
  run: functionSchema<(h: Harness) => Promise<void>>('run'),
  /**
   * Kept out of the student edition (exercises/exN-slug/instructor.ts, defineInstructorChecks): `batch` and the
   * Gradescope autograder run it, students see it only after the deadline.
   */
  isInstructorOnly: z.boolean().optional(),
})

export type CheckDefinition = z.infer<typeof checkSchema>

/** How an author writes a check: `run` gets a harness typed with the exercise's inputs. */
export interface CheckInput<I extends Inputs> extends Omit<z.input<typeof checkSchema>, 'run'> {
  run: (h: Harness<I>) => Promise<void>
}
