import { existsSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'

/**
 * Which command runs a submission's program in `batch`: the entry file decides, per submission and exercise.
 * `main.ts` (the exercise's own entry) runs on the course's pinned Node, type-checked, as `npm run grade` does;
 * `main.py` runs with `python3`; any other language by `--cmd-for EXT=COMMAND`, where `{entry}` in COMMAND is
 * the entry file's name (`--cmd-for go="go run {entry}"`). The result records which one ran (result.json's
 * `program`).
 */
export type LanguageCommands = Readonly<Record<string, string>>

/** What every batch knows without being told: Python, the course's other graded language (ex6, ex11). */
export const defaultLanguageCommands: LanguageCommands = { py: 'python3 {entry}' }

export interface ChosenProgram {
  /** The entry file found: `main.py`. */
  entry: string
  /** The command line that ran it, `python3 main.py`; undefined for the exercise's own TypeScript entry. */
  command?: string
  /** What reports show: "TypeScript (Node 24.21.0)", "py: python3 main.py". */
  description: string
}

/** `--cmd-for py=python3.12 {entry}` values → extension → command; exit 2 for anything else. */
export function parseLanguageCommands(values: readonly string[]): LanguageCommands {
  const commands: Record<string, string> = { ...defaultLanguageCommands }
  for (const value of values) {
    const match = /^\.?([A-Za-z0-9]+)=(.+)$/s.exec(value.trim())
    if (!match || match[2].trim() === '') {
      throw new GraderError('USAGE', `--cmd-for ${value} is not EXT=COMMAND`, {
        hint: 'e.g. --cmd-for py="python3 {entry}" or --cmd-for go="go run {entry}" ({entry} is the entry file, main.<EXT>)',
      })
    }
    const extension = match[1].toLowerCase()
    if (['ts', 'mts', 'cts'].includes(extension)) {
      throw new GraderError(
        'USAGE',
        `--cmd-for ${value}: TypeScript always runs on the course's pinned Node, type-checked`,
        { hint: 'give --cmd-for for other languages only, e.g. --cmd-for py="python3 {entry}"' },
      )
    }
    commands[extension] = match[2].trim()
  }
  return commands
}

/** The other entry files that mark an exercise's folder: `main.ts` → `main.py`, `main.go`, ... */
export function otherEntries(entry: string | undefined, commands: LanguageCommands): string[] {
  if (!entry) return []
  const base = path.basename(entry, path.extname(entry))
  return Object.keys(commands).map((extension) => `${base}.${extension}`)
}

/**
 * The program in `dir`: the exercise's own entry first (a folder with main.ts and a helper main.py is graded as
 * TypeScript), else the first other language's entry in the order the commands were given.
 */
export function chooseProgram(
  dir: string,
  entry: string | undefined,
  commands: LanguageCommands,
): ChosenProgram | undefined {
  if (!entry) return undefined
  if (existsSync(path.join(dir, entry)))
    return { entry, description: `TypeScript (${entry}, pinned Node ${process.version})` }
  for (const other of otherEntries(entry, commands)) {
    if (!existsSync(path.join(dir, other))) continue
    const template = commands[path.extname(other).slice(1)]
    const command = template.includes('{entry}') ? template.replaceAll('{entry}', other) : `${template} ${other}`
    return { entry: other, command, description: `${path.extname(other).slice(1)}: ${command}` }
  }
  return undefined
}
