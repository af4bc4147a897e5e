// The course site: Astro + Starlight, with lessons/ and exercises/ as content collections (see DESIGN.md).
// Minimal until the site is built; `npm run dev`/`build` arrive with it.
import { defineConfig } from 'astro/config'

export default defineConfig({
  srcDir: './site',
})
