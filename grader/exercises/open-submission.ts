import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describeError, isGraderError } from '../errors/grader-error.ts'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { type DetectOptions, type LayoutExercise, type SubmissionLayout, detectLayout } from './detect-layout.ts'
import { unpackZip } from './unpack-zip.ts'

export interface OpenedSubmission extends Disposable {
  layout: SubmissionLayout
  /** Where the layout was found: the submission itself, or where its zip was unpacked. */
  dir: string
  /** The zip the exercises came from, for labels: `alice/submission.zip`. */
  zipName?: string
  /** What was done to read it: "unpacked submission.zip", what a zip left out. */
  notes: string[]
}

/**
 * A submission, ready to grade: its layout, and, where the folder holds a zip and no exercise (an LMS download,
 * a zip uploaded as is), the zip unpacked safely into a temporary folder and looked into. Disposing removes the
 * unpacked copy. A zip that cannot be unpacked (zip-slip, too large, not a zip) is the layout's problem, said.
 */
export async function openSubmission(
  dir: string,
  exercises: readonly LayoutExercise[],
  options: DetectOptions = {},
): Promise<OpenedSubmission> {
  const layout = detectLayout(dir, exercises, options)
  const zips = layout.found.length > 0 ? [] : zipsIn(dir)
  if (zips.length === 0) return { layout, dir, notes: [], [Symbol.dispose]: () => {} }
  const unpacked = new TemporaryFolder('mqtt-course-unzip-')
  const notes: string[] = []
  try {
    for (const zip of zips) {
      // One zip unpacks at the top, as if the student had uploaded its contents; several, each into its name.
      const into = zips.length === 1 ? unpacked.path : path.join(unpacked.path, path.basename(zip, path.extname(zip)))
      const { files, skipped } = await unpackZip(zip, into)
      notes.push(
        `unpacked ${path.basename(zip)} (${files} file${files === 1 ? '' : 's'})${skipped.length > 0 ? `; left out: ${skipped.join(', ')}` : ''}`,
      )
    }
  } catch (error) {
    unpacked.remove()
    const why = isGraderError(error) ? [error.message, error.hint].filter(Boolean).join(': ') : describeError(error)
    return { layout: { ...layout, problem: `no exercise found: ${why}` }, dir, notes, [Symbol.dispose]: () => {} }
  }
  const inZip = detectLayout(unpacked.path, exercises, options)
  const zipName = zips.length === 1 ? path.basename(zips[0]) : undefined
  return {
    layout: inZip,
    dir: unpacked.path,
    ...(zipName ? { zipName } : {}),
    notes,
    [Symbol.dispose]: () => unpacked.remove(),
  }
}

/** The zips at the top of the submission, or of the one folder that wraps it. */
function zipsIn(dir: string): string[] {
  const list = (folder: string) => {
    try {
      return readdirSync(folder, { withFileTypes: true }).filter(
        (entry) => !entry.name.startsWith('.') && entry.name !== '__MACOSX',
      )
    } catch {
      return []
    }
  }
  const top = list(dir)
  const here = top
    .filter((entry) => entry.isFile() && /\.zip$/i.test(entry.name))
    .map((entry) => path.join(dir, entry.name))
  if (here.length > 0) return here.sort()
  if (top.length === 1 && top[0].isDirectory()) return zipsIn(path.join(dir, top[0].name))
  return []
}
