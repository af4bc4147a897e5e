import { parseArgs } from 'node:util'
import { GraderError } from '../errors/grader-error.ts'
import { resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { allExercises, checkZipPath, exportGradescope } from '../export/export-gradescope.ts'
import { exportStudentEdition } from '../export/export-student-edition.ts'
import { type GradescopeVisibility, gradescopeVisibilities } from '../report/gradescope-reporter.ts'

export const exportUsage = `Usage: npm run export -- student <dir>
       npm run export -- gradescope <zip> [--exercises ex1,ex3] [--visibility <when>]

student     writes the student edition of the course to <dir> (a new folder): lessons, site, grader, every
            exercise's README and starter, a README for students and .github/workflows/grade.yml (GitHub
            Classroom's "Autograding Tests"). No solutions, no mutants, no instructor files.
gradescope  writes Gradescope's autograder zip: setup.sh and run_autograder at its root, the grader and the
            assignment's exercises beside them (no solutions, no node_modules). Upload it on the assignment's
            "Configure Autograder" page.
  --exercises <ids>    the assignment's exercises (default: all)
  --visibility <when>  when students see the checks: visible (default) | after_due_date | after_published |
                       hidden (Gradescope's test visibility)`

const options = {
  exercises: { type: 'string' },
  visibility: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** `npm run export -- student <dir>` and `npm run export -- gradescope <zip>`: everything checked before writing. */
export async function runExportCommand(args: readonly string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new GraderError('USAGE', (error as Error).message.split('\n')[0], {
      hint: 'run npm run export -- --help for the options',
    })
  }
  if (parsed.values.help) {
    process.stdout.write(`${exportUsage}\n`)
    return 0
  }
  const [edition, target, ...rest] = parsed.positionals
  if (edition === 'student') {
    if (!target || rest.length > 0)
      throw new GraderError('USAGE', 'say where to write the student edition', {
        hint: 'e.g. npm run export -- student ../mqtt-course-student',
      })
    if (parsed.values.exercises !== undefined || parsed.values.visibility !== undefined)
      throw new GraderError('USAGE', '--exercises and --visibility are for the gradescope export', {
        hint: 'e.g. npm run export -- student ../mqtt-course-student',
      })
    const summary = exportStudentEdition(target)
    process.stdout.write(
      `Student edition written to ${target} (${summary.files} files, no solutions or mutants).\nNext: cd ${target} && git init && git add -A && git commit -m "Course" and push it as the assignment's template.\n`,
    )
    return 0
  }
  if (edition === 'gradescope') {
    if (!target || rest.length > 0)
      throw new GraderError('USAGE', 'say where to write the autograder zip', {
        hint: 'e.g. npm run export -- gradescope autograder.zip --exercises ex1',
      })
    checkZipPath(target)
    const visibility = parsed.values.visibility ?? 'visible'
    if (!(gradescopeVisibilities as readonly string[]).includes(visibility)) {
      throw new GraderError(
        'USAGE',
        `--visibility ${visibility}: expected one of ${gradescopeVisibilities.join(', ')}`,
        { hint: 'e.g. --visibility after_due_date' },
      )
    }
    const exercises =
      parsed.values.exercises === undefined
        ? allExercises()
        : [
            ...new Set(
              parsed.values.exercises
                .split(',')
                .map((id) => id.trim())
                .filter(Boolean),
            ),
          ]
            .map((id) => resolveExerciseFolder(id))
            .sort((a, b) => a.number - b.number)
    if (exercises.length === 0)
      throw new GraderError('USAGE', '--exercises names no exercise', { hint: 'e.g. --exercises ex1,ex3' })
    const { entries } = await exportGradescope(target, { exercises, visibility: visibility as GradescopeVisibility })
    process.stdout.write(
      `Gradescope autograder written to ${target} (${entries} files; exercises ${exercises.map((exercise) => exercise.id).join(', ')}; checks ${visibility}).\n` +
        'Next: on the assignment\'s "Configure Autograder" page, upload it (base image: Ubuntu) and build; students upload a clone, a zip or exN-slug/ folders.\n',
    )
    return 0
  }
  throw new GraderError('USAGE', `there is no "${edition ?? ''}" export; the exports are student and gradescope`, {
    hint: 'e.g. npm run export -- student ../mqtt-course-student, or npm run export -- gradescope autograder.zip',
  })
}
