import { copyFile, mkdir, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { API, Diagnostic, Snapshot } from 'typescript/unstable/async'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { raceSignal } from '../time/deadline.ts'
import { type TypeDiagnostic, type TypecheckResult, studentCompilerOptions, typecheckProgram } from './typecheck.ts'

/**
 * A type checker that stays up while `watch` runs: TypeScript 7's own API (`typescript/unstable/async`, shipped
 * with the compiler we pin) keeps the program and node's and MQTT.js's types in memory, so a save is checked
 * in tens of milliseconds instead of the ~200 ms of a fresh `tsc`. Same options, same diagnostics as
 * typecheckProgram(); if the API fails, every later check falls back to it.
 *
 * Each grading run copies the submission to a fresh workspace, and that copy is what must be checked; a new
 * folder each time would be a new project each time (cold again). So the checker keeps one mirror folder of
 * its own, brings it up to date with the folder it is given (a few small files), and checks the mirror: the
 * paths in its diagnostics are relative, the same for both.
 */
export class WarmTypechecker implements AsyncDisposable {
  #api: API | undefined
  #failure: string | undefined
  /** The compiler's own folder: its tsconfigs and the mirror (named for this process, see TemporaryFolder). */
  #folder: TemporaryFolder | undefined
  readonly #opened = new Map<string, string>()
  #snapshot: Snapshot | undefined
  #queue: Promise<unknown> = Promise.resolve()
  readonly #onFallback: (reason: string) => void

  constructor(options: { onFallback?: (reason: string) => void } = {}) {
    this.#onFallback = options.onFallback ?? (() => {})
  }

  /** Has the signature of typecheckProgram, so gradeExercise takes it as its `typecheck` option. */
  readonly check = (programDir: string, entry: string, signal: AbortSignal): Promise<TypecheckResult> => {
    const run = this.#queue.then(() =>
      this.#failure
        ? typecheckProgram(programDir, entry, signal)
        : raceSignal(this.#checkWarm(programDir, entry), signal),
    )
    this.#queue = run.catch(() => undefined)
    return run.catch(async (error: unknown) => {
      if (signal.aborted || this.#failure) throw error
      this.#failure = error instanceof Error ? error.message : String(error)
      this.#onFallback(this.#failure)
      await this.#close()
      return typecheckProgram(programDir, entry, signal)
    })
  }

  async #checkWarm(programDir: string, entry: string): Promise<TypecheckResult> {
    const startedAt = performance.now()
    const configDir = (this.#folder ??= new TemporaryFolder('mqtt-course-watch-tsc-')).path
    // Its own folder as the compiler's working folder: each run's workspace is gone after the run.
    const api = (this.#api ??= new (await import('typescript/unstable/async')).API({ cwd: configDir }))
    const mirror = path.join(configDir, 'program')
    await mirrorFolder(programDir, mirror)
    const entryFile = path.join(mirror, entry)
    let config = this.#opened.get(entryFile)
    const previous = this.#snapshot
    if (!config) {
      config = path.join(configDir, `tsconfig.${this.#opened.size}.json`)
      await writeFile(config, JSON.stringify({ compilerOptions: studentCompilerOptions, files: [entryFile] }))
      this.#opened.set(entryFile, config)
      this.#snapshot = await api.updateSnapshot({ openProjects: [config], fileChanges: { invalidateAll: true } })
    } else {
      // The student may have added or removed files as well as changed them: everything is looked at again,
      // and the compiler's own caches (lib and node_modules types) make that cheap.
      this.#snapshot = await api.updateSnapshot({ fileChanges: { invalidateAll: true } })
    }
    await previous?.dispose()
    const project = this.#snapshot.getProject(config)
    if (!project) throw new Error(`the TypeScript API did not load ${config}`)
    const { program } = project
    const all = (
      await Promise.all([
        program.getConfigFileParsingDiagnostics(),
        program.getProgramDiagnostics(),
        program.getGlobalDiagnostics(),
        program.getSyntacticDiagnostics(),
        program.getSemanticDiagnostics(),
      ])
    ).flat()
    // The compiler may name files by their real path (/private/var/... on macOS, where tmp is a link).
    const roots = [mirror, await realpath(mirror)]
    const diagnostics = await Promise.all(
      all.filter((diagnostic) => diagnostic.category === 1).map((diagnostic) => toTypeDiagnostic(diagnostic, roots)),
    )
    return { isOk: diagnostics.length === 0, diagnostics, isCached: false, durationMs: performance.now() - startedAt }
  }

  async #close(): Promise<void> {
    const api = this.#api
    this.#api = undefined
    this.#snapshot = undefined
    this.#opened.clear()
    await api?.close().catch(() => undefined)
    this.#folder?.remove()
    this.#folder = undefined
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#queue
    await this.#close()
  }
}

/** As `tsc --pretty false` would print it: the file relative to the program, line and column from 1. */
async function toTypeDiagnostic(diagnostic: Diagnostic, roots: readonly string[]): Promise<TypeDiagnostic> {
  const message = [diagnostic.text, ...chain(diagnostic.messageChain, 1)].join('\n')
  const code = `TS${diagnostic.code}`
  if (!diagnostic.fileName) return { file: '', line: 0, column: 0, code, message }
  const text = await readFile(diagnostic.fileName, 'utf8').catch(() => '')
  const before = text.slice(0, diagnostic.pos).split('\n')
  const fileName = diagnostic.fileName
  const file =
    roots.map((root) => path.relative(root, fileName)).find((relative) => !relative.startsWith('..')) || fileName
  return { file, line: before.length, column: before[before.length - 1].length + 1, code, message }
}

function chain(diagnostics: readonly Diagnostic[] | undefined, depth: number): string[] {
  return (diagnostics ?? []).flatMap((diagnostic) => [
    `${'  '.repeat(depth)}${diagnostic.text}`,
    ...chain(diagnostic.messageChain, depth + 1),
  ])
}

/** Makes `to` hold what `from` holds (node_modules and dot folders aside), copying only what changed. */
async function mirrorFolder(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true })
  const [sources, copies] = await Promise.all([
    readdir(from, { withFileTypes: true }),
    readdir(to, { withFileTypes: true }),
  ])
  const wanted = sources.filter(
    (entry) => entry.name !== 'node_modules' && !entry.name.startsWith('.') && (entry.isFile() || entry.isDirectory()),
  )
  const names = new Set(wanted.map((entry) => entry.name))
  await Promise.all(
    copies
      .filter((entry) => !names.has(entry.name))
      .map((entry) => rm(path.join(to, entry.name), { recursive: true, force: true })),
  )
  await Promise.all(
    wanted.map(async (entry) => {
      const [source, copy] = [path.join(from, entry.name), path.join(to, entry.name)]
      if (entry.isDirectory()) return mirrorFolder(source, copy)
      const [sourceText, copyText] = await Promise.all([readFile(source), readFile(copy).catch(() => undefined)])
      if (copyText?.equals(sourceText)) return
      // A folder where a file was (or the other way round) goes first.
      if ((await stat(copy).catch(() => undefined))?.isDirectory()) await rm(copy, { recursive: true })
      await copyFile(source, copy)
    }),
  )
}
