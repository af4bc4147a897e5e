// The course site: Astro + Starlight. Lessons (lessons/*.mdx) and exercise pages (generated from
// exercises/*/README.md and exercise.ts) are one content collection, see site/content.config.ts.
import starlight from '@astrojs/starlight'
import { defineConfig } from 'astro/config'

export default defineConfig({
  srcDir: './site',
  // Static files only, relative-friendly: the built site works from any static host, and offline.
  output: 'static',
  trailingSlash: 'always',
  integrations: [
    starlight({
      title: 'MQTT, hands on',
      description: 'A hands-on MQTT course in TypeScript: lessons, exercises, and a grader that runs your client against a real broker.',
      sidebar: [
        { label: 'Start here', link: '/' },
        { label: 'Lessons', items: [{ autogenerate: { directory: 'lessons' } }] },
        { label: 'Exercises', items: [{ autogenerate: { directory: 'exercises' } }] },
        { label: 'Guides', items: [{ autogenerate: { directory: 'guides' } }] },
      ],
      lastUpdated: false,
      pagination: true,
    }),
  ],
  vite: {
    // The site imports the course's own modules (the topic matcher) from outside srcDir.
    server: { fs: { allow: ['.'] } },
  },
})
