import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Loader } from 'astro/loaders'
import { exercisesRoot, loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { readCourseRepository } from '../course/course-repository.ts'
import { exercisePage, readStarterFiles } from './exercise-page.ts'

/** Turns every exercises/exN-slug/ into a page at /exercises/exN-slug/, rebuilt when any of its files changes. */
export const exercisePagesLoader: Loader = {
  name: 'exercise-pages',
  async load({ store, parseData, renderMarkdown, generateDigest, watcher, logger, config }) {
    const sync = async () => {
      const exercises = await loadAllExercises()
      const repository = readCourseRepository(path.resolve(exercisesRoot, '..'))
      for (const exercise of exercises) {
        const readme = readFileSync(path.join(exercise.dir, 'README.md'), 'utf8')
        const page = exercisePage(exercise, readme, readStarterFiles(exercise), repository)
        const data = await parseData({
          id: page.id,
          data: {
            title: page.title,
            description: page.description,
            sidebar: { order: exercise.number, label: `${exercise.id} · ${exercise.title}` },
          },
        })
        store.set({
          id: page.id,
          data,
          body: page.markdown,
          rendered: await renderMarkdown(page.markdown),
          // The digest covers all that is stored: Astro keeps an entry whose digest has not changed, even when
          // the rendering changed. Bump `rendering` with the markdown options (Expressive Code's in astro.config.mjs).
          // The rendered code blocks name their script and styles by URL, which depends on the base path.
          digest: generateDigest(JSON.stringify({ page, data, version: 3, rendering: 'code-wrap', base: config.base })),
          // Starlight builds the sidebar from file paths: give the page one shaped like its URL.
          filePath: `${page.id}.md`,
        })
      }
      logger.info(`${exercises.length} exercise pages`)
    }
    await sync()
    watcher?.add(exercisesRoot)
    watcher?.on('change', (file: string) => {
      if (file.startsWith(exercisesRoot)) void sync()
    })
  },
}
