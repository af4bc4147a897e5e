import { readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Exercise } from '../../grader/exercises/load-exercises.ts'
import { describeCapability } from '../../grader/broker/broker.ts'
import { mapTaskPoints } from '../../grader/exercises/task-points.ts'
import { brokerConfigCheckId, pseudoCheckIds } from '../../grader/grade/pseudo-checks.ts'
import type { CourseRepository } from '../course/course-repository.ts'

export interface ExercisePage {
  id: string
  title: string
  description: string
  markdown: string
}

export interface SourceFile {
  /** Relative to the exercise folder: `starter/main.ts`. */
  path: string
  content: string
}

/**
 * An exercise's page, written from what the grader itself reads: the README (the task), the spec (checks,
 * points, hints, what broker it needs) and the starter files. Nothing on the page is typed twice.
 */
export function exercisePage(
  exercise: Exercise,
  readme: string,
  starterFiles: readonly SourceFile[],
  repository: CourseRepository,
): ExercisePage {
  const heading = /^#\s+(.+)$/m.exec(readme)
  const title = heading?.[1].trim() ?? `Exercise ${exercise.number}: ${exercise.title}`
  const body = rewriteLinks(readme.replace(/^#\s+.+\n+/m, ''))
  const needs = [...new Set([...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)])]
  const sections = [
    gradeAside(exercise, needs.map(describeCapability), repository),
    body.trim(),
    '## What is checked',
    'Every numbered point of the task is checked. The checks run in this order, each only when the ones before it passed; the last column says which point of the task each one verifies.',
    checksTable(exercise, readme),
    '## The starter code',
    `This is what you start from, in \`exercises/${exercise.folder}/starter/\`.`,
    ...starterFiles.map(codeBlock),
    '## Hints',
    'From a gentle nudge to nearly the answer: open one at a time.',
    ...exercise.hints.map(
      (hint, index) =>
        `<details>\n<summary>Hint ${index + 1}${index === 0 ? ' (gentle)' : index === exercise.hints.length - 1 ? ' (explicit)' : ''}</summary>\n\n${hint}\n\n</details>`,
    ),
  ]
  return {
    id: `exercises/${exercise.folder}`,
    title,
    description: exercise.summary,
    markdown: `${sections.join('\n\n')}\n`,
  }
}

/** Every file of the starter, sorted with the entry first (what a student opens first). */
export function readStarterFiles(exercise: Exercise): SourceFile[] {
  const root = path.join(exercise.dir, 'starter')
  const files: SourceFile[] = []
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name)
      if (statSync(full).isDirectory()) visit(full)
      else files.push({ path: path.relative(exercise.dir, full), content: readFileSync(full, 'utf8') })
    }
  }
  visit(root)
  const entry = exercise.run.entry ? `starter/${exercise.run.entry}` : 'starter/mosquitto.conf'
  return files.sort((a, b) => (a.path === entry ? -1 : b.path === entry ? 1 : a.path.localeCompare(b.path)))
}

function gradeAside(exercise: Exercise, needs: readonly string[], repository: CourseRepository): string {
  const broker = needs.length
    ? `It needs a broker with ${needs.join(', ')}: the local \`mosquitto\` binary or Docker (the grader picks one).`
    : 'It runs on any broker; with nothing installed, the grader uses its embedded one.'
  // Starlight's aside markup: its :::tip directive is only expanded in content files, not in generated pages.
  return [
    '<aside aria-label="Grade it" class="starlight-aside starlight-aside--tip">',
    '<p class="starlight-aside__title" aria-hidden="true">Grade it</p>',
    '<div class="starlight-aside__content">',
    '',
    `\`\`\`sh\nnpm run grade -- ${exercise.id}\n\`\`\``,
    '',
    `${broker} Worth ${exercise.points} points.`,
    '',
    // The repository from package.json (one setting): a student who landed here first can get the code.
    `The code is in [the course's repository](${repository.webUrl}), folder \`exercises/${exercise.folder}/\` (see [Get the code](../../get-the-code/)).${exercise.run.entry ? ` Run your program by hand with the course's own Node (a system Node older than 22.6 cannot run \`.ts\` files): \`npm run node -- exercises/${exercise.folder}/starter/${exercise.run.entry}\`, with the inputs below in its environment.` : ''}`,
    '',
    '</div>',
    '</aside>',
  ].join('\n')
}

/**
 * The checks with the task points they verify (the same map the authoring test enforces), and before them the
 * checks the grader runs first (broker-config) where the task names them.
 */
function checksTable(exercise: Exercise, readme: string): string {
  const { rows: points } = mapTaskPoints(readme, exercise.checks, pseudoCheckIds)
  const pointsOf = (id: string) =>
    points
      .filter((row) => row.checks.some((check) => check.id === id) || row.preChecks.includes(id))
      .map((row) => row.point.number)
      .join(', ')
  const preChecks = [...new Set(points.flatMap((row) => row.preChecks))].filter((id) => id === brokerConfigCheckId)
  const rows = [
    ...preChecks.map(
      (id) => `| \`${id}\` | Mosquitto starts with your configuration (before the checks) | ${pointsOf(id)} | – |`,
    ),
    ...exercise.checks.map(
      (check) => `| \`${check.id}\` | ${escapeCell(check.title)} | ${pointsOf(check.id)} | ${check.points} |`,
    ),
  ]
  return ['| check | what your program must do | task point | points |', '|---|---|---|---|', ...rows].join('\n')
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

/** A fenced code block with a file title, fenced by more backticks than the file itself holds in a row. */
function codeBlock(file: SourceFile): string {
  const longestRun = Math.max(2, ...[...file.content.matchAll(/`+/g)].map((match) => match[0].length))
  const fence = '`'.repeat(longestRun + 1)
  return `${fence}${language(file.path)} title="${file.path}"\n${file.content.trimEnd()}\n${fence}`
}

function language(file: string): string {
  const extension = path.extname(file)
  if (extension === '.ts') return 'ts'
  if (extension === '.py') return 'python'
  if (extension === '.md') return 'md'
  if (extension === '.conf' || path.basename(file) === 'acl') return 'ini'
  return 'txt'
}

/**
 * README links point at files in the repository; on the site they point at pages, by relative links, so that the
 * site works under any base path (MQTT_COURSE_BASE).
 */
export function rewriteLinks(markdown: string): string {
  return markdown
    .replace(
      /\]\((?:\.\.\/)+lessons\/([\w-]+)\.mdx(#[\w-]+)?\)/g,
      (_match, lesson: string, anchor = '') => `](../../lessons/${lesson}/${anchor})`,
    )
    .replace(/\]\((?:\.\.\/)+exercises\/([\w-]+)\/?(?:README\.md)?\)/g, (_match, folder: string) => `](../${folder}/)`)
}
