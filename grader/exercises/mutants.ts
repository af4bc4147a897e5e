import { readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

/** A known-wrong variant of an exercise's solution, and the check it must fail. */
export interface Mutant {
  /** The folder name: `will-not-retained`. */
  name: string
  dir: string
  /** The id of the check this mutant must fail (and be the only one to fail). */
  fails: string
  /** The mistake, in the author's words. */
  mistake: string
}

/**
 * The mutants of an exercise: folders in mutants/ laid out like starter/, one of whose files starts with a
 * marker naming the check, `// @fails <check-id>: <the mistake>` (or `# @fails ...` in config files).
 */
export function listMutants(exerciseDir: string): Mutant[] {
  const root = path.join(exerciseDir, 'mutants')
  let names: string[]
  try {
    names = readdirSync(root).filter((name) => statSync(path.join(root, name)).isDirectory())
  } catch {
    return []
  }
  return names.sort().map((name) => {
    const dir = path.join(root, name)
    const marker = findMarker(dir)
    return { name, dir, fails: marker?.fails ?? '', mistake: marker?.mistake ?? '' }
  })
}

function findMarker(dir: string): { fails: string; mistake: string } | undefined {
  for (const file of readdirSync(dir).sort()) {
    const full = path.join(dir, file)
    if (!statSync(full).isFile()) continue
    const match = /^(?:\/\/|#)\s*@fails\s+([a-z0-9-]+)\s*:\s*(.+)$/m.exec(readFileSync(full, 'utf8'))
    if (match) return { fails: match[1], mistake: match[2].trim() }
  }
  return undefined
}
