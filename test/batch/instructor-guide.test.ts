import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildSite } from '../support/static-site.ts'
import { courseRoot } from '../support/run-cli.ts'
import { tempDir } from './cohort-fixtures.ts'

const guide = path.join(courseRoot, 'site/content/guides/for-instructors.mdx')
const ciFiles = (dir = path.join(courseRoot, 'docker/ci')): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? ciFiles(path.join(dir, entry.name)) : [path.relative(courseRoot, path.join(dir, entry.name))],
  )

/** The text a reader sees: tags dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, decimal: string) => String.fromCodePoint(Number(decimal)))
    .replace(/&amp;/g, '&')
}

describe('the "For instructors" guide', () => {
  let page: string

  beforeAll(async () => {
    const dist = tempDir('guide-site')
    await buildSite(dist)
    page = visibleText(readFileSync(path.join(dist, 'guides/for-instructors/index.html'), 'utf8'))
  }, 300_000)

  it('shows the CI files by importing them from docker/ci/ (the files the tests run), every one of them but the student README', () => {
    const source = readFileSync(guide, 'utf8')
    const imported = [...source.matchAll(/from '(\.\.\/[^']+)\?raw'/g)].map((match) =>
      path.relative(courseRoot, path.resolve(path.dirname(guide), match[1])),
    )
    expect(imported.sort()).toEqual(
      ciFiles()
        .filter((file) => file !== 'docker/ci/student-edition/README.md')
        .sort(),
    )
  })

  it('is on the built site with each file shown in full', () => {
    for (const file of ciFiles().filter((name) => !name.endsWith('README.md'))) {
      const lines = readFileSync(path.join(courseRoot, file), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
      const missing = lines.filter((line) => !page.includes(line))
      expect(missing, file).toEqual([])
    }
    expect(page).toContain('npm run batch -- submissions/ --out reports/')
    expect(page).toContain('A student who edits the grader')
  })

  it('is linked from the README, whose instructor section shows npm run batch first', () => {
    const readme = readFileSync(path.join(courseRoot, 'README.md'), 'utf8')
    const section = /### For instructors\n([\s\S]*?)\n## /.exec(readme)![1]
    expect(section).toContain('site/content/guides/for-instructors.mdx')
    expect(/```sh\n(.*)/.exec(section)![1]).toMatch(/^npm run batch -- /)
  })
})
