import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { listFiles } from '../batch/content-hash.ts'
import { GraderError } from '../errors/grader-error.ts'
import { courseRoot } from '../course/course-root.ts'

/** What a student gets: the course, its grader and its lessons, never the answers or the instructors' tools. */
const copiedTopLevel = [
  '.gitignore',
  '.nvmrc',
  'astro.config.mjs',
  'package-lock.json',
  'tsconfig.json',
  'lessons',
  'site',
  'public',
  'grader',
  'docker/compose.yaml',
  'docker/mosquitto',
  'docker/build-local-mosquitto.sh',
]
/**
 * In each exercise folder, everything but these: solution/, solution-python/, mutants/ (patches of the solution),
 * variants/ (other correct answers), and their -python twins.
 */
const answerFolder = /^(solution|mutants|variants)(-|$)/
/** The instructor-only checks (hidden tests) beside exercise.ts: instructor.ts, or an instructor/ folder. */
const instructorOnlyEntry = /^instructor(\.ts)?$/
/** npm scripts a student uses; the rest (test, bench, batch, export) need the instructor's copy. */
const studentScripts = ['dev', 'build', 'preview', 'grade', 'watch', 'hint', 'list', 'reset', 'broker', 'check', 'node']
const templates = path.join(courseRoot, 'docker/ci/student-edition')

export interface ExportSummary {
  files: number
}

/**
 * `npm run export -- student <dir>`: the student edition, a folder ready to be a repository (or a GitHub
 * Classroom template): lessons, site, grader, each exercise's README, exercise.ts and starter/, a README for
 * students and a workflow that grades on push. package-lock.json is copied as is, so `npm ci` installs exactly
 * what the course is tested with.
 */
export function exportStudentEdition(targetDir: string): ExportSummary {
  const target = path.resolve(targetDir)
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new GraderError('USAGE', `${targetDir} already exists and is not an empty folder`, {
      hint: 'give a new folder, e.g. npm run export -- student ../mqtt-course-student',
    })
  }
  if (!path.relative(courseRoot, target).startsWith('..') && path.relative(courseRoot, target) !== '') {
    const inside = path.relative(courseRoot, target).split(path.sep)[0]
    if (copiedTopLevel.includes(inside) || inside === 'exercises')
      throw new GraderError('USAGE', `${targetDir} is inside the course's ${inside}/, which the edition copies`, {
        hint: 'export next to the course, e.g. ../mqtt-course-student',
      })
  }
  mkdirSync(target, { recursive: true })
  // The instructors' guide shows docker/ci/, which the edition leaves out.
  const instructorOnly = new Set([path.join(courseRoot, 'site/content/guides/for-instructors.mdx')])
  const skip = (source: string) =>
    !['node_modules', '.astro', 'dist', '.cache'].includes(path.basename(source)) && !instructorOnly.has(source)
  for (const entry of copiedTopLevel) {
    const source = path.join(courseRoot, entry)
    if (existsSync(source)) cpSync(source, path.join(target, entry), { recursive: true, filter: skip })
  }
  for (const exercise of readdirSync(path.join(courseRoot, 'exercises')).filter((name) => /^ex\d+-/.test(name))) {
    for (const entry of readdirSync(path.join(courseRoot, 'exercises', exercise))) {
      if (answerFolder.test(entry) || instructorOnlyEntry.test(entry)) continue
      cpSync(path.join(courseRoot, 'exercises', exercise, entry), path.join(target, 'exercises', exercise, entry), {
        recursive: true,
        filter: skip,
      })
    }
  }
  mkdirSync(path.join(target, 'site/content/guides'), { recursive: true })
  // The home page's pointer to that guide goes with it (between the instructors-only markers).
  const home = path.join(target, 'site/content/index.mdx')
  if (existsSync(home))
    writeFileSync(
      home,
      readFileSync(home, 'utf8').replace(
        /\{\/\* instructors only \*\/\}[\s\S]*?\{\/\* end of instructors only \*\/\}\n?/g,
        '',
      ),
    )
  writeFileSync(path.join(target, 'package.json'), studentPackageJson())
  cpSync(path.join(templates, 'README.md'), path.join(target, 'README.md'))
  mkdirSync(path.join(target, '.github/workflows'), { recursive: true })
  cpSync(path.join(templates, 'grade.yml'), path.join(target, '.github/workflows/grade.yml'))
  const files = listFiles(target)
  const leaked = files.filter(
    (file) =>
      file.split('/').some((part) => answerFolder.test(part)) || /^exercises\/[^/]+\/instructor(\.ts$|\/)/.test(file),
  )
  if (leaked.length > 0)
    throw new GraderError('INTERNAL', `the student edition would contain answers: ${leaked.slice(0, 3).join(', ')}`)
  return { files: files.length }
}

function studentPackageJson(): string {
  const manifest = JSON.parse(readFileSync(path.join(courseRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
    [key: string]: unknown
  }
  manifest.scripts = Object.fromEntries(
    Object.entries(manifest.scripts).filter(([name]) => studentScripts.includes(name)),
  )
  return `${JSON.stringify(manifest, null, 2)}\n`
}
