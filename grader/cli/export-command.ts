import { exportStudentEdition } from '../export/export-student-edition.ts'
import { GraderError } from '../errors/grader-error.ts'

export const exportUsage = `Usage: npm run export -- student <dir>

Writes the student edition of the course to <dir> (a new folder): lessons, site, grader, every exercise's
README and starter, a README for students and .github/workflows/grade.yml. No solutions, no mutants, no
instructor files.`

/** `npm run export -- student <dir>`. */
export async function runExportCommand(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${exportUsage}\n`)
    return 0
  }
  const [edition, dir, ...rest] = args
  if (edition !== 'student' || !dir || rest.length > 0) {
    throw new GraderError('USAGE', edition === 'student' ? 'say where to write the student edition' : `there is no "${edition ?? ''}" edition to export; the one edition is student`, {
      hint: 'e.g. npm run export -- student ../mqtt-course-student',
    })
  }
  const summary = exportStudentEdition(dir)
  process.stdout.write(`Student edition written to ${dir} (${summary.files} files, no solutions or mutants).\nNext: cd ${dir} && git init && git add -A && git commit -m "Course" and push it as the assignment's template.\n`)
  return 0
}
