/**
 * The course's own code that runs inside every student program (`node --import`): the resolve hook, the
 * sandbox's init and a standby's bootstrap. They are TypeScript, and a program that had to strip them would start
 * Node's type stripper (~50-100 ms a run) whenever the compile cache cannot give their stripped text: a program
 * dropped to a uid of its own cannot read a cache entry Node wrote 0600 for root (a program run earlier without a
 * sandbox, a preload changed since the cache was warmed). So the grader strips them once, as it strips the
 * students' code (strip-ahead.ts), into JavaScript copies in the course's cache, and programs load those: no
 * program ever needs the stripper for the course's code.
 *
 * Each copy keeps its original's `import.meta.url` (the hook finds the course from it) and imports the other
 * copies. A course folder the grader cannot write gets the TypeScript itself, as before.
 */
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const sources = {
  resolveHook: new URL('../runner/course-resolve-hook.ts', import.meta.url).href,
  standbyBootstrap: new URL('../runner/standby-bootstrap.ts', import.meta.url).href,
  sandboxInit: new URL('../sandbox/sandbox-init.ts', import.meta.url).href,
  sandboxConstants: new URL('../sandbox/sandbox-constants.ts', import.meta.url).href,
} as const

export type PreloadName = keyof typeof sources

/** Where the copies are kept, one folder per version of the preloads' text. */
export const preloadCacheRoot = fileURLToPath(
  new URL('../../node_modules/.cache/mqtt-course/preloads/', import.meta.url),
)

let made: { folder: string | undefined; urls: Record<PreloadName, string> } | undefined

/** The URL a program imports `name` from: the stripped copy, or the TypeScript where no copy could be made. */
export function preloadUrl(name: PreloadName): string {
  return preloads().urls[name]
}

/** The file a program runs `name` from (sandbox-init.ts run on its own before a `--cmd` program). */
export function preloadPath(name: PreloadName): string {
  return fileURLToPath(preloadUrl(name))
}

/** The folder of stripped copies (a sandbox makes it visible to its programs); undefined when there is none. */
export function preloadFolder(): string | undefined {
  return preloads().folder
}

/** The TypeScript originals, by name: what the copies are made from (their text decides when to remake them). */
export const preloadSources: Readonly<Record<PreloadName, string>> = sources

function preloads(): { folder: string | undefined; urls: Record<PreloadName, string> } {
  made ??= makeCopies()
  return made
}

function makeCopies(): { folder: string | undefined; urls: Record<PreloadName, string> } {
  const texts = Object.fromEntries(
    Object.entries(sources).map(([name, url]) => [name, readFileSync(fileURLToPath(url), 'utf8')]),
  ) as Record<PreloadName, string>
  // The copies name their originals (import.meta.url): a copy of the course whose node_modules is this one's
  // shares the cache folder, and must not share copies that point into it.
  const version = (Object.keys(sources) as PreloadName[])
    .reduce(
      (hash, name) => hash.update(sources[name]).update('\0').update(texts[name]).update('\0'),
      createHash('sha256').update(process.version),
    )
    .digest('hex')
    .slice(0, 16)
  const folder = path.join(preloadCacheRoot, version)
  const copyOf = (name: PreloadName) => path.join(folder, `${path.basename(fileURLToPath(sources[name]), '.ts')}.js`)
  const urls = Object.fromEntries(
    Object.keys(sources).map((name) => [name, pathToFileURL(copyOf(name as PreloadName)).href]),
  ) as Record<PreloadName, string>
  if (existsSync(folder)) return { folder, urls }
  try {
    const building = `${folder}.${process.pid}.tmp`
    rmSync(building, { recursive: true, force: true })
    mkdirSync(building, { recursive: true, mode: 0o755 })
    for (const name of Object.keys(sources) as PreloadName[]) {
      writeFileSync(path.join(building, path.basename(copyOf(name))), strippedCopy(name, texts[name]), { mode: 0o644 })
    }
    chmodSync(building, 0o755)
    try {
      renameSync(building, folder)
    } catch (error) {
      // Another grader made the same copies first: theirs are identical.
      rmSync(building, { recursive: true, force: true })
      if (!existsSync(folder)) throw error
    }
    return { folder, urls }
  } catch {
    return { folder: undefined, urls: { ...sources } }
  }
}

/** `name`'s JavaScript: types stripped, its own URL kept, its relative imports pointed at the other copies. */
export function strippedCopy(name: PreloadName, text: string): string {
  const source = sources[name]
  const emitWarning = process.emitWarning
  let code: string
  try {
    // The stripper announces itself as experimental on first use: not the student's concern (strip-ahead.ts).
    process.emitWarning = () => {}
    code = stripTypeScriptTypes(text, { mode: 'strip' })
  } finally {
    process.emitWarning = emitWarning
  }
  const withImports = code.replace(
    /(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g,
    (_whole, before: string, quote: string, specifier: string) => {
      const target = new URL(specifier, source).href
      const other = (Object.keys(sources) as PreloadName[]).find((candidate) => sources[candidate] === target)
      if (!other)
        throw new Error(
          `${fileURLToPath(source)} imports ${specifier}, which is not one of the preloads: add it to program-preloads.ts`,
        )
      return `${before}${quote}./${path.basename(fileURLToPath(sources[other]), '.ts')}.js${quote}`
    },
  )
  return withImports.replaceAll('import.meta.url', JSON.stringify(source))
}
