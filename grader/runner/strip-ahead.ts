import { createHash } from 'node:crypto'
import { stripTypeScriptTypes } from 'node:module'
import { mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { compileCacheDir } from '../course/compile-cache.ts'

/**
 * Node runs a student's main.ts by stripping its types first, with a WebAssembly stripper that it starts in
 * every process that meets a .ts file it has not seen: ~60 ms of CPU each time a program starts, and a program
 * starts in a fresh workspace (a new path) every run, so Node's compile cache never has it. This strips the
 * workspace's TypeScript once, here in the grader, with the same stripper and options Node uses, and leaves
 * the result where the program's resolve hook (course-resolve-hook.ts) finds it: Node then runs the same
 * JavaScript it would have produced, without starting the stripper.
 *
 * The hook uses a stripped file only while the file on disk still holds exactly the text that was stripped; a
 * file the stripper refuses (an enum) is left out, so Node refuses it itself, with its own message.
 */

/** The environment variable that points the hook at the manifest; the hook removes it from process.env. */
export const strippedManifestVariable = 'MQTT_COURSE_STRIPPED'

/** What the hook reads: for each file URL, the text that was stripped and Node's output for it. */
export interface StrippedManifest {
  files: Record<string, { source: string; code: string; detectAs?: string }>
}

/** The stripped code of a text, kept by content: re-grading an unchanged file (grade --all, a batch) strips nothing. */
const cacheDir = path.join(compileCacheDir, '..', 'stripped')
const maxFiles = 50
const maxBytes = 1024 * 1024

/**
 * Strips every TypeScript file of `workspaceDir` (not node_modules or dot folders) into `intoDir`, and returns
 * the manifest's path; undefined when there was nothing to strip. `intoDir` must be readable by the program
 * and writable by nobody but the grader.
 */
export function stripAhead(workspaceDir: string, intoDir: string): string | undefined {
  // Node names a program's modules by their real path (on macOS the temporary folder is behind a link).
  const files = findTypeScript(realpathSync(workspaceDir))
  if (files.length === 0) return undefined
  mkdirSync(intoDir, { recursive: true })
  const manifest: StrippedManifest = { files: {} }
  let bytes = 0
  for (const [index, file] of files.entries()) {
    const raw = readFileSync(file)
    bytes += raw.length
    if (index >= maxFiles || bytes > maxBytes) break
    // As Node reads it: UTF-8 without a byte order mark.
    const source = new TextDecoder().decode(raw)
    const stripped = strip(source)
    if (stripped === undefined) continue
    const url = pathToFileURL(file).href
    // Node adds the file's URL as the sourceURL, as stripTypeScriptTypes({ sourceUrl }) does.
    const code = `${stripped}\n\n//# sourceURL=${url}`
    // A .ts file under no package.json "type" runs as what its code is (ES module or CommonJS): the hook
    // lets Node tell from this JavaScript copy, as Node tells from its own stripped copy.
    const detectAs = path.join(intoDir, `${index}.js`)
    if (file.endsWith('.ts')) writeFileSync(detectAs, code)
    manifest.files[url] = { source, code, ...(file.endsWith('.ts') ? { detectAs: pathToFileURL(detectAs).href } : {}) }
  }
  if (Object.keys(manifest.files).length === 0) return undefined
  const manifestFile = path.join(intoDir, 'manifest.json')
  writeFileSync(manifestFile, JSON.stringify(manifest))
  return manifestFile
}

/**
 * Node's strip-only output for `source`, from the cache or the stripper (a WebAssembly module, ~60 ms to start
 * on first use, which a cache hit never needs); undefined when Node would refuse it.
 */
function strip(source: string): string | undefined {
  const key = createHash('sha256').update(`${process.version}\0${source}`).digest('hex')
  const cached = path.join(cacheDir, `${key}.js`)
  try {
    return readFileSync(cached, 'utf8')
  } catch {
    // Not stripped before.
  }
  let code: string
  const emitWarning = process.emitWarning
  try {
    // The stripper announces itself as experimental on first use: not the student's concern.
    process.emitWarning = () => {}
    code = stripTypeScriptTypes(source, { mode: 'strip' })
  } catch {
    return undefined
  } finally {
    process.emitWarning = emitWarning
  }
  try {
    mkdirSync(cacheDir, { recursive: true })
    const temporary = `${cached}.${process.pid}.tmp`
    writeFileSync(temporary, code)
    renameSync(temporary, cached)
  } catch {
    // A read-only install strips again next time.
  }
  return code
}

function findTypeScript(dir: string): string[] {
  const found: string[] = []
  const visit = (folder: string, depth: number) => {
    if (depth > 6 || found.length > maxFiles) return
    let entries
    try {
      entries = readdirSync(folder, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
      const full = path.join(folder, entry.name)
      if (entry.isDirectory()) visit(full, depth + 1)
      else if (entry.isFile() && /\.(m|c)?ts$/.test(entry.name) && !/\.d\.(m|c)?ts$/.test(entry.name)) found.push(full)
    }
  }
  visit(dir, 0)
  return found
}
