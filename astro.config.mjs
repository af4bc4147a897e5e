// The course site: Astro + Starlight. Lessons (lessons/*.mdx) and exercise pages (generated from
// exercises/*/README.md and exercise.ts) are one content collection, see site/content.config.ts.
import { fileURLToPath } from 'node:url'
import inject from '@rollup/plugin-inject'
import { satteri } from '@astrojs/markdown-satteri'
import starlight from '@astrojs/starlight'
import { defineConfig } from 'astro/config'
import { nodePolyfills } from 'vite-plugin-node-polyfills'
import { guides } from './site/sidebar/guides.ts'
import { learningPath } from './site/sidebar/learning-path.ts'
import { scrollableTables } from './site/markdown/scrollable-tables.ts'

// Where the site is published, set at build time: MQTT_COURSE_SITE=https://example.org MQTT_COURSE_BASE=/mqtt-course/
// npm run build gives a site that works under https://example.org/mqtt-course/ (a project page on a static host).
const site = process.env.MQTT_COURSE_SITE || undefined
const base = process.env.MQTT_COURSE_BASE || '/'
// Astro's cache (node_modules/.astro by default). Builds that run at the same time (test files building the
// site in parallel) each need their own.
const cacheDir = process.env.MQTT_COURSE_ASTRO_CACHE || undefined

/**
 * The polyfill plugin's aliases are global (Vite has no per-environment alias): in `astro dev` they reach the
 * server too, where CommonJS polyfills break it ("exports is not defined"). So they apply to `astro build`
 * only, and in `astro dev` the Playground offers WebSocket brokers only (see lab.ts).
 */
const buildOnly = (plugins) => plugins.map((plugin) => ({ ...plugin, apply: 'build' }))
/** A Vite plugin for the browser build only (Astro's server build renders the pages in Node), like the above. */
const clientOnly = (plugin) => ({
  ...plugin,
  apply: 'build',
  applyToEnvironment: (environment) => environment.name === 'client',
})
const playground = (file) => fileURLToPath(new URL(`./site/components/playground/${file}`, import.meta.url))

export default defineConfig({
  srcDir: './site',
  site,
  base,
  cacheDir,
  // Static files only, relative-friendly: the built site works from any static host, and offline.
  output: 'static',
  trailingSlash: 'always',
  // Sätteri is Astro's Markdown processor; Starlight adds its own plugins to the one configured here.
  markdown: { processor: satteri({ hastPlugins: [() => scrollableTables()] }) },
  integrations: [
    starlight({
      title: 'MQTT, hands on',
      description:
        'A hands-on MQTT course in TypeScript: lessons, exercises, and a grader that runs your client against a real broker.',
      // Lesson, its exercises, next lesson: the sidebar and the Previous/Next links walk the course in order.
      sidebar: [
        { label: 'Start here', link: '/' },
        'get-the-code',
        ...learningPath(fileURLToPath(new URL('.', import.meta.url))),
        guides(fileURLToPath(new URL('.', import.meta.url))),
      ],
      // Long command lines and log lines wrap instead of hiding behind a horizontal scrollbar.
      expressiveCode: { defaultProps: { wrap: true } },
      customCss: ['./site/styles/course.css'],
      components: { Search: './site/components/overrides/Search.astro' },
      lastUpdated: false,
      pagination: true,
    }),
  ],
  vite: {
    // The site imports the course's own modules (the topic matcher, the packet formatter) from outside srcDir.
    server: { fs: { allow: ['.'] } },
    // The util polyfill's `inherits` cannot subclass an ES class (aedes' Client): Node's own semantics instead.
    resolve: { alias: { inherits: playground('inherits.cjs') } },
    plugins: [
      // The Playground's in-page broker is aedes, a Node program: the browser gets Node's events, stream, util,
      // assert and buffer from node-stdlib-browser, for the modules that import them. The Playground loads
      // them on first use only.
      ...buildOnly(
        nodePolyfills({
          include: ['assert', 'buffer', 'events', 'process', 'stream', 'string_decoder', 'util', 'crypto'],
          overrides: {
            stream: 'readable-stream',
            crypto: playground('node-crypto.ts'),
            buffer: 'vite-plugin-node-polyfills/shims/buffer',
            process: 'vite-plugin-node-polyfills/shims/process',
          },
          // Injected below, for the browser build only: the plugin would also inject them into the server build.
          globals: { Buffer: false, global: false, process: false },
        }),
      ),
      // Node's globals, for the modules in the browser build that use them without importing them.
      clientOnly(
        inject({ include: ['**/node_modules/**', '**/grader/**'], Buffer: ['buffer', 'Buffer'], process: 'process' }),
      ),
      // aedes restarts keepalive timers with Node's Timeout#refresh(), which a browser timer id lacks: aedes,
      // and only aedes, gets timers that have it.
      clientOnly(
        inject({
          include: ['**/node_modules/aedes/**'],
          setTimeout: [playground('refreshable-timeout.ts'), 'setTimeout'],
          clearTimeout: [playground('refreshable-timeout.ts'), 'clearTimeout'],
        }),
      ),
    ],
  },
})
