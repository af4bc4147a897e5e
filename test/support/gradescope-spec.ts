import { z } from 'zod'

/**
 * Gradescope's results.json, as its autograder specification defines it ("Output format", "Controlling Test Case
 * Visibility", "Test case status": gradescope/autograder_samples docs/specs.md). Strict: a field the
 * specification does not name is an error. The fields our reporter must write are required here; the others the
 * specification allows stay optional.
 */
export const gradescopeVisibility = z.enum(['hidden', 'after_due_date', 'after_published', 'visible'])

export const gradescopeTestSchema = z
  .object({
    score: z.number(),
    max_score: z.number(),
    status: z.enum(['passed', 'failed']),
    name: z.string().min(1),
    name_format: z.string().optional(),
    number: z.string().optional(),
    output: z.string(),
    output_format: z.string().optional(),
    tags: z.array(z.string()).optional(),
    visibility: gradescopeVisibility,
    extra_data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()

export const gradescopeResultsSchema = z
  .object({
    score: z.number(),
    execution_time: z.number().int().nonnegative(),
    output: z.string(),
    output_format: z.string().optional(),
    test_output_format: z.string().optional(),
    test_name_format: z.string().optional(),
    visibility: gradescopeVisibility,
    stdout_visibility: gradescopeVisibility,
    extra_data: z.record(z.string(), z.unknown()).optional(),
    tests: z.array(gradescopeTestSchema),
    leaderboard: z
      .array(
        z
          .object({
            name: z.string(),
            value: z.union([z.number(), z.string()]),
            order: z.enum(['asc', 'desc']).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()

export type GradescopeResultsJson = z.infer<typeof gradescopeResultsSchema>
