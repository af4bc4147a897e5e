import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { applyPatch, parsePatch } from 'diff'

/**
 * A known-wrong variant of an exercise's solution: a patch against solution/ (mutants/<name>.patch) or against
 * solution-python/ (mutants-python/<name>.patch) whose first line names the check it must fail and the mistake:
 *
 *     @fails will-on-power-loss: the will is not retained, so the retained "online" survives a power loss
 *     --- a/main.ts
 *     +++ b/main.ts
 *     @@ ...
 *
 * Between the check and the colon, optionally: `point 2` (the task point it breaks, required when the check
 * covers several) and `on embedded` (the only brokers where it is wrong: elsewhere it is not run, as with a
 * program that speaks MQTT 5, which only aedes refuses):
 *
 *     @fails connects point 1 on embedded: connects with MQTT 5, which the embedded broker refuses
 *
 * A reviewer reads the mistake in a few lines; a change to the solution that the patch no longer fits fails
 * loudly when the mutant is made, instead of leaving a stale copy behind.
 */
export interface Mutant {
  /** The patch's file name without .patch: `will-not-retained`. */
  name: string
  patchFile: string
  /** The folder the patch applies to: `solution` or `solution-python`. */
  base: string
  /** The id of the check this mutant must fail (and be the only one to fail). */
  fails: string
  /** The mistake, in the author's words. */
  mistake: string
  /** The task points (README "## Your task") it breaks, when it names them; else those its check covers. */
  points: number[]
  /** The brokers on which it is wrong, when it names them (`on embedded`); undefined: every broker. */
  brokers?: string[]
}

const markerPattern =
  /^@fails\s+([a-z0-9-]+)(?:\s+point\s+(\d+(?:\s*,\s*\d+)*))?(?:\s+on\s+([a-z]+(?:\s*,\s*[a-z]+)*))?\s*:\s*(.+)$/
const variantPattern = /^@passes\s*:\s*(.+)$/

/** The mutants of an exercise, in `folder` (mutants/, or mutants-python/ for the Python solution). */
export function listMutants(exerciseDir: string, folder = 'mutants'): Mutant[] {
  return listPatches(exerciseDir, folder).map(({ firstLine, ...patch }) => {
    const marker = markerPattern.exec(firstLine)
    const list = (text: string | undefined) => text?.split(',').map((item) => item.trim()) ?? []
    return {
      ...patch,
      fails: marker?.[1] ?? '',
      mistake: marker?.[4].trim() ?? '',
      points: list(marker?.[2]).map(Number),
      ...(marker?.[3] ? { brokers: list(marker[3]) } : {}),
    }
  })
}

/**
 * Correct programs written differently from the solution (variants/<name>.patch, `@passes: <how>` on the first
 * line): a second connection, another style. Every one must pass, on every broker.
 */
export function listVariants(
  exerciseDir: string,
  folder = 'variants',
): Array<Pick<Mutant, 'name' | 'patchFile' | 'base'> & { description: string }> {
  return listPatches(exerciseDir, folder).map(({ firstLine, ...patch }) => ({
    ...patch,
    description: variantPattern.exec(firstLine)?.[1].trim() ?? '',
  }))
}

function listPatches(
  exerciseDir: string,
  folder: string,
): Array<Pick<Mutant, 'name' | 'patchFile' | 'base'> & { firstLine: string }> {
  const root = path.join(exerciseDir, folder)
  if (!existsSync(root)) return []
  const base = folder.replace(/^(mutants|variants)/, 'solution')
  return readdirSync(root)
    .filter((name) => name.endsWith('.patch'))
    .sort()
    .map((file) => {
      const patchFile = path.join(root, file)
      return {
        name: file.slice(0, -'.patch'.length),
        patchFile,
        base,
        firstLine: readFileSync(patchFile, 'utf8').split('\n', 1)[0],
      }
    })
}

/** A mutant made real: the solution with the patch applied, in a temporary folder removed on dispose. */
export interface MaterializedMutant extends Disposable {
  dir: string
}

/** Copies the solution into a temporary folder and applies the patch there; throws if it does not fit. */
export function materializeMutant(
  exerciseDir: string,
  mutant: Pick<Mutant, 'name' | 'patchFile' | 'base'>,
): MaterializedMutant {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mqtt-course-mutant-${mutant.name}-`))
  const dispose = () => rmSync(dir, { recursive: true, force: true })
  try {
    cpSync(path.join(exerciseDir, mutant.base), dir, { recursive: true })
    for (const filePatch of parsePatch(readFileSync(mutant.patchFile, 'utf8'))) {
      const name = (filePatch.newFileName ?? filePatch.oldFileName ?? '').replace(/^[ab]\//, '')
      if (!name || name === '/dev/null') throw new Error(`${mutant.patchFile}: a file patch without a file name`)
      const target = path.join(dir, name)
      const original = existsSync(target) ? readFileSync(target, 'utf8') : ''
      const patched = applyPatch(original, filePatch)
      if (patched === false)
        throw new Error(
          `${mutant.patchFile} no longer applies to ${mutant.base}/${name}: the solution changed under it; update the patch`,
        )
      writeFileSync(target, patched)
    }
    return { dir, [Symbol.dispose]: dispose }
  } catch (error) {
    dispose()
    throw error
  }
}
