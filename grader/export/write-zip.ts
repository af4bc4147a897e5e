import { createWriteStream, lstatSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import yazl from 'yazl'

export interface ZipEntry {
  /** The name in the zip, with forward slashes: `setup.sh`, `grader/cli/main.js`. */
  name: string
  /** A file to read, or the content itself. */
  from: { file: string } | { text: string }
  /** Unix permissions; scripts need 0o755 (Gradescope runs setup.sh with bash, run_autograder directly). */
  mode?: number
}

/**
 * Writes a zip with yazl (the writing half of yauzl, which the grader unpacks submissions with): entries in the
 * order given, Unix modes kept, no folder entries, no timestamps that differ between two runs of the same
 * content (a fixed date), so the same course gives the same zip.
 */
export async function writeZip(zipFile: string, entries: readonly ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile()
  const mtime = new Date(Date.UTC(2020, 0, 1))
  for (const entry of entries) {
    const options = { mtime, mode: 0o100000 | (entry.mode ?? 0o644) }
    if ('file' in entry.from) zip.addFile(entry.from.file, entry.name, options)
    else zip.addBuffer(Buffer.from(entry.from.text), entry.name, options)
  }
  zip.end()
  await pipeline(zip.outputStream, createWriteStream(zipFile))
}

/** Every regular file under `dir` as zip entries under `prefix/`, in code-point order, skipping what `skip` says. */
export function folderEntries(
  dir: string,
  prefix: string,
  skip: (relative: string) => boolean = () => false,
): ZipEntry[] {
  const entries: ZipEntry[] = []
  const walk = (relative: string) => {
    for (const name of readdirSync(path.join(dir, relative)).sort()) {
      const child = relative ? `${relative}/${name}` : name
      if (skip(child)) continue
      const stat = lstatSync(path.join(dir, child))
      if (stat.isDirectory()) walk(child)
      else if (stat.isFile())
        entries.push({
          name: prefix ? `${prefix}/${child}` : child,
          from: { file: path.join(dir, child) },
          mode: stat.mode & 0o111 ? 0o755 : 0o644,
        })
    }
  }
  walk('')
  return entries
}
