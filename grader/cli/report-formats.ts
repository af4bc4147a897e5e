import { appendFile } from 'node:fs/promises'
import { encodeClassroomResult, renderClassroom } from '../report/classroom-reporter.ts'
import { renderGithubAnnotations, renderGithubSummary } from '../report/github-reporter.ts'
import { type GradescopeVisibility, renderGradescope } from '../report/gradescope-reporter.ts'
import type { ExerciseResult, GradeReport } from '../report/result.ts'

/** What a platform's reporter gets besides the report. */
export interface ReportContext {
  write(text: string): void
  /** The file a platform's annotation points at for an exercise (report/student-file.ts). */
  fileFor(exercise: ExerciseResult): string | undefined
  visibility: GradescopeVisibility | undefined
}

/** A report for a platform, chosen with `--format <name>`. */
export interface PlatformReporter {
  /** What it does, for `--format`'s help: "<name> (<description>)". */
  description: string
  /** It prints one document on stdout, so the console report stays quiet and --json cannot go with it. */
  isDocument?: boolean
  report(report: GradeReport, context: ReportContext): Promise<void>
}

/**
 * The platforms' reporters, by the name `--format` takes: a new format is one file in report/ and one entry
 * here; `--format`'s choices, its help and its error message come from this map (Vitest's ReportersMap).
 */
export const platformReporters = {
  gradescope: {
    description: 'prints results.json',
    isDocument: true,
    async report(report, { write, visibility }) {
      write(renderGradescope(report, { visibility: visibility ?? 'visible' }))
    },
  },
  classroom: {
    description: "GitHub Classroom's result output",
    async report(report, { write, fileFor }) {
      const result = encodeClassroomResult(renderClassroom(report, fileFor))
      // GitHub Classroom's reporter reads it as this step's `result` output; elsewhere, print it.
      if (process.env.GITHUB_OUTPUT) await appendFile(process.env.GITHUB_OUTPUT, `result=${result}\n`)
      else write(`GitHub Classroom result (set GITHUB_OUTPUT to write it as the step's output): ${result}\n`)
    },
  },
  github: {
    description: 'step summary and annotations',
    async report(report, { write, fileFor }) {
      write(renderGithubAnnotations(report, fileFor))
      if (process.env.GITHUB_STEP_SUMMARY)
        await appendFile(process.env.GITHUB_STEP_SUMMARY, renderGithubSummary(report))
    },
  },
} satisfies Record<string, PlatformReporter>

export type PlatformFormat = keyof typeof platformReporters
export const platformFormats = Object.keys(platformReporters) as PlatformFormat[]

/** `--format`'s help, from the map: each format and what it does, wrapped under the option's column. */
export function describeFormats(options: { indent: string; widthChars: number }): string {
  // The formats that go together: a document (results.json) is the whole of stdout.
  const example = platformFormats.filter((name) => !('isDocument' in platformReporters[name])).join(',')
  const words = [
    ...platformFormats.map((name, index) => {
      const separator = index === platformFormats.length - 1 ? ';' : ','
      return `${name} (${platformReporters[name].description})${separator}`
    }),
    `several with commas: ${example}`,
  ]
    .join(' ')
    .split(' ')
  const lines: string[] = []
  let line = ''
  for (const word of words) {
    if (line && options.indent.length + line.length + 1 + word.length > options.widthChars) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  lines.push(line)
  return lines.join(`\n${options.indent}`)
}
