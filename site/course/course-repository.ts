import { readFileSync } from 'node:fs'
import path from 'node:path'

/** Where the course's code lives, from the one place that says it: package.json's `repository`. */
export interface CourseRepository {
  /** The page to open in a browser: `https://github.com/acme/mqtt-course`. */
  webUrl: string
  /** What `git clone` takes: `https://github.com/acme/mqtt-course.git`. */
  cloneUrl: string
}

/**
 * Reads package.json's `repository` (a URL string, or `{ "type": "git", "url": ... }` as npm writes it) and
 * derives the browser page and the clone URL. A missing or unusable value is an error that says what to write:
 * the site's "Get the code" and every exercise page need it.
 */
export function readCourseRepository(courseRoot: string): CourseRepository {
  return courseRepository(JSON.parse(readFileSync(path.join(courseRoot, 'package.json'), 'utf8')))
}

/** The same, from package.json's content (a page imports package.json itself). */
export function courseRepository(packageJson: { repository?: string | { url?: string } }): CourseRepository {
  const declared = typeof packageJson.repository === 'string' ? packageJson.repository : packageJson.repository?.url
  const fix =
    'set it in package.json, e.g. "repository": { "type": "git", "url": "git+https://github.com/<owner>/<name>.git" }'
  if (!declared) throw new Error(`package.json has no "repository": the site links the course's code from it; ${fix}`)
  const webUrl = declared
    .replace(/^git\+/, '')
    .replace(/^git@([^:]+):/, 'https://$1/')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
  if (!/^https:\/\/[^/]+\/.+/.test(webUrl))
    throw new Error(`package.json's "repository" is "${declared}", which is no https or git@ URL; ${fix}`)
  return { webUrl, cloneUrl: `${webUrl}.git` }
}
