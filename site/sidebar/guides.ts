import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { SidebarEntry } from './learning-path.ts'

/**
 * The "Guides" group: every site/content/guides/*.mdx, listed by id. Read from the folder, so the student edition
 * (which leaves the instructors' guide out) gets a sidebar without it, and a new guide needs no edit here.
 * Starlight's `autogenerate` found none of them: the guides come from a loader of ours, not from src/content/docs.
 */
export function guides(courseRoot: string): SidebarEntry {
  const dir = path.join(courseRoot, 'site', 'content', 'guides')
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith('.mdx'))
        .map((file) => file.replace(/\.mdx$/, ''))
    : []
  // The page every student needs first; the instructors' guide after it.
  const order = (name: string) => (name === 'troubleshooting' ? 0 : 1)
  return {
    label: 'Guides',
    items: names.sort((a, b) => order(a) - order(b) || a.localeCompare(b)).map((name) => `guides/${name}`),
  }
}
