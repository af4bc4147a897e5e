// The same defineCollection that astro:content re-exports, from a module the TypeScript checker can see.
import { defineCollection } from 'astro/content/config'
import { type LoaderContext, glob } from 'astro/loaders'
import { docsSchema } from '@astrojs/starlight/schema'
import { exercisePagesLoader } from './exercise-pages/exercise-pages-loader.ts'
import { scopedLoader } from './exercise-pages/scoped-loader.ts'

/**
 * Starlight's one `docs` collection, filled from four places: the site's own pages (site/content: the home page,
 * "Get the code"), the lessons (top-level lessons/, one MDX file each, served at /lessons/<file>/), the guides
 * (site/content/guides/) and the exercise pages, generated from each
 * exercise's README.md and exercise.ts so that they can never drift from what the grader checks.
 */
// Every site/content/<name>.mdx is a page at /<name>/ (index.mdx is the home page).
const home = scopedLoader(
  glob({ base: './site/content', pattern: '*.mdx', generateId: ({ entry }) => entry.replace(/\.mdx$/, '') }),
  (id) => !id.startsWith('lessons/') && !id.startsWith('exercises/') && !id.startsWith('guides/'),
)
const lessons = scopedLoader(
  glob({
    base: './lessons',
    pattern: '[0-9][0-9]-*.mdx',
    generateId: ({ entry }) => `lessons/${entry.replace(/\.mdx$/, '')}`,
  }),
  (id) => id.startsWith('lessons/'),
)
const exercises = scopedLoader(exercisePagesLoader, (id) => id.startsWith('exercises/'))
const guides = scopedLoader(
  glob({
    base: './site/content/guides',
    pattern: '*.mdx',
    generateId: ({ entry }) => `guides/${entry.replace(/\.mdx$/, '')}`,
  }),
  (id) => id.startsWith('guides/'),
)

export const collections = {
  docs: defineCollection({
    loader: {
      name: 'mqtt-course-docs',
      async load(context: LoaderContext) {
        await home.load(context)
        await lessons.load(context)
        await exercises.load(context)
        await guides.load(context)
      },
    },
    schema: docsSchema(),
  }),
}
