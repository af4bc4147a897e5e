import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { createRequire } from 'node:module'
import path from 'node:path'
import { probeParentDeath } from '../process/dies-with-parent.ts'
import { ProcessGroup } from '../process/process-group.ts'
import { raceSignal } from '../time/deadline.ts'
import { courseRoot } from '../course/course-root.ts'

export interface TypeDiagnostic {
  /** Relative to the program's folder, as the student sees it. */
  file: string
  line: number
  column: number
  /** "TS2322" */
  code: string
  message: string
}

export interface TypecheckResult {
  isOk: boolean
  diagnostics: TypeDiagnostic[]
  isCached: boolean
  durationMs: number
}

/** How every student program is checked (`watch` keeps a checker up with the same options). */
export const studentCompilerOptions = {
  target: 'es2024',
  lib: ['es2024', 'esnext.disposable'],
  // Every student file is an ES module, wherever it lives: a submission outside the course folder has no
  // package.json saying "type": "module", and nodenext would then check it as CommonJS.
  module: 'preserve',
  moduleResolution: 'bundler',
  strict: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  verbatimModuleSyntax: true,
  erasableSyntaxOnly: true,
  skipLibCheck: true,
  types: ['node'],
  typeRoots: [path.join(courseRoot, 'node_modules/@types')],
  // A submission outside the course folder still finds mqtt's types in the course's node_modules.
  paths: { '*': [path.join(courseRoot, 'node_modules/*'), path.join(courseRoot, 'node_modules/@types/*')] },
}

/** A type checker that keeps the compiler up between programs (WarmTypechecker.check). */
export type Typechecker = (programDir: string, entry: string, signal: AbortSignal) => Promise<TypecheckResult>

/**
 * Type-checks a student's TypeScript while it runs, the way `tsc` would, and reports `file:line:column` with
 * the compiler's message. Results are cached by the content of the program's .ts files, so re-grading an
 * unchanged program costs nothing. On a miss, `warm` checks it when given (a batch, `--all`), else a fresh `tsc`.
 */
export async function typecheckProgram(
  programDir: string,
  entry: string,
  signal: AbortSignal,
  warm?: Typechecker,
): Promise<TypecheckResult> {
  const startedAt = performance.now()
  const compiler = findCompiler()
  const compilerOptions = studentCompilerOptions
  const key = await cacheKey(programDir, entry, compiler.version, compilerOptions)
  const cacheFile = path.join(courseRoot, 'node_modules/.cache/mqtt-course/typecheck', `${key}.json`)
  const cached = await readFile(cacheFile, 'utf8').catch(() => undefined)
  if (cached)
    return {
      ...(JSON.parse(cached) as Pick<TypecheckResult, 'isOk' | 'diagnostics'>),
      isCached: true,
      durationMs: performance.now() - startedAt,
    }
  if (warm) {
    const { isOk, diagnostics } = await warm(programDir, entry, signal)
    await writeCache(cacheFile, { isOk, diagnostics })
    return { isOk, diagnostics, isCached: false, durationMs: performance.now() - startedAt }
  }

  using temporary = new TemporaryFolder('mqtt-course-tsc-')
  const configDir = temporary.path
  {
    const config = path.join(configDir, 'tsconfig.json')
    await Promise.all([
      writeFile(config, JSON.stringify({ compilerOptions, files: [path.resolve(programDir, entry)] })),
      probeParentDeath(),
    ])
    const group = new ProcessGroup({
      command: compiler.command,
      args: [...compiler.args, '-p', config, '--pretty', 'false'],
      cwd: programDir,
      env: process.env,
      diesWithParent: 'auto',
    })
    const exit = await raceSignal(group.exited, signal).finally(() => group.kill())
    if (exit.spawnError) throw exit.spawnError
    const diagnostics = parseDiagnostics(group.stdout.text, programDir)
    const isOk = exit.exitCode === 0
    if (!isOk && diagnostics.length === 0)
      throw new Error(`the TypeScript compiler failed: ${group.stdout.tail(5)} ${group.stderr.tail(5)}`)
    await writeCache(cacheFile, { isOk, diagnostics })
    return { isOk, diagnostics, isCached: false, durationMs: performance.now() - startedAt }
  }
}

async function writeCache(cacheFile: string, verdict: Pick<TypecheckResult, 'isOk' | 'diagnostics'>): Promise<void> {
  const temporary = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    await mkdir(path.dirname(cacheFile), { recursive: true })
    // Written whole, then renamed: two grades checking the same program at once never read half a verdict.
    await writeFile(temporary, JSON.stringify(verdict))
    await rename(temporary, cacheFile)
  } catch {
    // A read-only install (the course checked out by another user): the next grade checks again.
    await rm(temporary, { force: true }).catch(() => {})
  }
}

/** `main.ts:4:7 - error TS2322: Type 'string' is not assignable to type 'number'.` */
export function formatDiagnostic(diagnostic: TypeDiagnostic): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.column} - error ${diagnostic.code}: ${diagnostic.message}`
}

/** Parses `tsc --pretty false` output: `file(line,col): error TSxxxx: message`, continuation lines indented. */
export function parseDiagnostics(output: string, programDir: string): TypeDiagnostic[] {
  const diagnostics: TypeDiagnostic[] = []
  for (const line of output.split('\n')) {
    const match = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line)
    if (match) {
      const file = path.relative(programDir, path.resolve(programDir, match[1])) || match[1]
      diagnostics.push({ file, line: Number(match[2]), column: Number(match[3]), code: match[4], message: match[5] })
    } else if (/^\s+\S/.test(line) && diagnostics.length > 0) {
      diagnostics[diagnostics.length - 1].message += `\n${line.trimEnd()}`
    }
  }
  return diagnostics
}

interface Compiler {
  command: string
  args: string[]
  version: string
}

let compiler: Compiler | undefined

/** The native TypeScript 7 compiler when its platform package is there (no Node start-up), else its JS launcher. */
function findCompiler(): Compiler {
  if (compiler) return compiler
  const require = createRequire(path.join(courseRoot, 'package.json'))
  const version = (require('typescript/package.json') as { version: string }).version
  const platformPackage = `@typescript/typescript-${process.platform}-${process.arch}`
  const native = path.join(
    courseRoot,
    'node_modules',
    platformPackage,
    'lib',
    process.platform === 'win32' ? 'tsc.exe' : 'tsc',
  )
  if (existsSync(native)) compiler = { command: native, args: [], version }
  else
    compiler = { command: process.execPath, args: [path.join(courseRoot, 'node_modules/typescript/bin/tsc')], version }
  return compiler
}

async function cacheKey(programDir: string, entry: string, version: string, options: object): Promise<string> {
  const hash = createHash('sha256').update(version).update(JSON.stringify(options)).update(entry)
  for (const file of await listTypeScriptFiles(programDir)) {
    hash
      .update(file)
      .update('\0')
      .update(await readFile(path.join(programDir, file)))
      .update('\0')
  }
  return hash.digest('hex').slice(0, 32)
}

async function listTypeScriptFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => [])
  const files: string[] = []
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = path.join(prefix, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
      files.push(...(await listTypeScriptFiles(dir, relative)))
    else if (entry.isFile() && /\.(m|c)?tsx?$/.test(entry.name)) files.push(relative)
  }
  return files
}
