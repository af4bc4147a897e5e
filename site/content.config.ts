// The same defineCollection that astro:content re-exports, from a module the TypeScript checker can see.
import { defineCollection } from 'astro/content/config'
import { type LoaderContext, glob } from 'astro/loaders'
import { docsSchema } from '@astrojs/starlight/schema'
import { exercisePagesLoader } from './exercise-pages/exercise-pages-loader.ts'
import { scopedLoader } from './exercise-pages/scoped-loader.ts'

/**
 * Starlight's one `docs` collection, filled from three places: the home page and the "Get the code" page, the lessons (top-level
 * lessons/, one MDX file each, served at /lessons/<file>/) and the exercise pages, generated from each
 * exercise's README.md and exercise.ts so that they can never drift from what the grader checks.
 */
const sitePages = ['index', 'get-the-code']
const home = scopedLoader(
  glob({ base: './site/content', pattern: `{${sitePages.join(',')}}.mdx`, generateId: ({ entry }) => entry.replace(/\.mdx$/, '') }),
  (id) => sitePages.includes(id),
)
const lessons = scopedLoader(
  glob({ base: './lessons', pattern: '[0-9][0-9]-*.mdx', generateId: ({ entry }) => `lessons/${entry.replace(/\.mdx$/, '')}` }),
  (id) => id.startsWith('lessons/'),
)
const exercises = scopedLoader(exercisePagesLoader, (id) => id.startsWith('exercises/'))

export const collections = {
  docs: defineCollection({
    loader: {
      name: 'mqtt-course-docs',
      async load(context: LoaderContext) {
        await home.load(context)
        await lessons.load(context)
        await exercises.load(context)
      },
    },
    schema: docsSchema(),
  }),
}
