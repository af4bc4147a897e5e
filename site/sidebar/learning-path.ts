import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

/** A Starlight sidebar entry: a page by its id, or a group of them. */
export type SidebarEntry = string | { label: string; items: SidebarEntry[] }

/**
 * The course in the order a student takes it: each lesson, then the exercises that practise it, then the next
 * lesson. Starlight's Previous/Next links follow the sidebar, so they walk the same path. Read from the files
 * (lessons/NN-slug.mdx, exercises/exN-slug/exercise.ts and its `lesson:`), so a new lesson or exercise takes its
 * place without editing this.
 */
export function learningPath(courseRoot: string): SidebarEntry[] {
  const lessons = readdirSync(path.join(courseRoot, 'lessons'))
    .filter((file) => /^\d\d-[\w-]+\.mdx$/.test(file))
    .sort()
    .map((file) => file.replace(/\.mdx$/, ''))
  const exercisesRoot = path.join(courseRoot, 'exercises')
  const exercises = readdirSync(exercisesRoot, { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() &&
        /^ex\d+-/.test(entry.name) &&
        existsSync(path.join(exercisesRoot, entry.name, 'exercise.ts')),
    )
    .map((entry) => ({
      folder: entry.name,
      number: Number(/^ex(\d+)/.exec(entry.name)![1]),
      lesson: /\blesson:\s*'([\w-]+)'/.exec(
        readFileSync(path.join(exercisesRoot, entry.name, 'exercise.ts'), 'utf8'),
      )?.[1],
    }))
    .sort((a, b) => a.number - b.number)
  const path_: SidebarEntry[] = lessons.map((lesson) => {
    const title =
      /^title:\s*(.+)$/m
        .exec(readFileSync(path.join(courseRoot, 'lessons', `${lesson}.mdx`), 'utf8'))?.[1]
        .replace(/^['"]|['"]$/g, '') ?? lesson
    return {
      label: `${Number(lesson.slice(0, 2))}. ${title}`,
      items: [
        `lessons/${lesson}`,
        ...exercises.filter((exercise) => exercise.lesson === lesson).map((exercise) => `exercises/${exercise.folder}`),
      ],
    }
  })
  // An exercise whose lesson does not exist (yet) still gets a page in the sidebar.
  const orphans = exercises.filter((exercise) => !lessons.includes(exercise.lesson ?? ''))
  if (orphans.length > 0)
    path_.push({ label: 'More exercises', items: orphans.map((exercise) => `exercises/${exercise.folder}`) })
  return path_
}
