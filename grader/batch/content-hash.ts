import { createHash, type Hash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { courseVersion } from '../grade/course-version.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { courseRoot } from '../course/course-root.ts'
import { ignoredFolders } from '../runner/copy-submission.ts'

export { ignoredFolders }

/** Every regular file under dir, relative, sorted: the same list on every machine (links and FIFOs are never graded). */
export function listFiles(dir: string): string[] {
  const files: string[] = []
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        if (!ignoredFolders.has(entry.name)) walk(child)
      } else if (entry.isFile()) files.push(child)
    }
  }
  walk('')
  return files.sort()
}

/**
 * Feeds `value` as a length and then its bytes: no two different sequences of fields encode alike (with a bare
 * separator, a file named "a" holding "\0b" and one named "a\0" holding "b" would).
 */
function field(hash: Hash, value: string | Buffer): Hash {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  return hash.update(`${bytes.length}:`).update(bytes)
}

function hashTree(hash: Hash, dir: string): void {
  const files = listFiles(dir)
  field(hash, String(files.length))
  for (const file of files) {
    field(hash, file)
    field(hash, readFileSync(path.join(dir, file)))
  }
}

const graderFingerprints = new Map<string, string>()

/**
 * The grader's version as far as one exercise's results go: the course version plus the grader's own source
 * and the exercise's definition. A change to a check invalidates stored results; a new lesson does not.
 */
export function graderFingerprint(exercise: Exercise): string {
  let fingerprint = graderFingerprints.get(exercise.id)
  if (!fingerprint) {
    const hash = field(createHash('sha256'), graderVersion())
    field(hash, readFileSync(path.join(exercise.dir, 'exercise.ts')))
    fingerprint = hash.digest('hex')
    graderFingerprints.set(exercise.id, fingerprint)
  }
  return fingerprint
}

let version: string | undefined

/** The course version and a hash of the grader's source: what `batch merge` compares between shards. */
export function graderVersion(): string {
  if (!version) {
    const hash = field(createHash('sha256'), courseVersion())
    hashTree(hash, path.join(courseRoot, 'grader'))
    version = `${courseVersion()}+${hash.digest('hex').slice(0, 16)}`
  }
  return version
}

/** What a stored result was graded from and under: any change to one of them is another grade. */
export interface GradeKey {
  exercise: Exercise
  /** The broker asked for (`auto`, `mosquitto`, ...). */
  broker: string
  /** This student's seed: their inputs. */
  seed: number
  /** The isolation the programs ran under (bwrap, uid, none): a result graded without a sandbox is not reused with one. */
  isolation: string
  /** The command that runs another language's entry (`python3 main.py`); empty for the TypeScript entry. */
  command?: string
}

/** The key a graded submission × exercise is stored under: every field length-prefixed, then the files. */
export function submissionHash(dir: string, key: GradeKey): string {
  const hash = createHash('sha256')
  for (const value of [
    'mqtt-course result v3',
    key.exercise.id,
    graderFingerprint(key.exercise),
    key.broker,
    String(key.seed),
    key.isolation,
    key.command ?? '',
  ])
    field(hash, value)
  hashTree(hash, dir)
  return hash.digest('hex')
}
