import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'
import { preloadUrl } from '../course/program-preloads.ts'

export interface ProgramCommand {
  command: string
  args: string[]
  /** How the report shows it: what a student would type. */
  display: string
}

/**
 * The pinned Node running a TypeScript file directly: Node 24 strips types (about 65 ms to start, against
 * 130 ms for the tsx CLI), and the grader type-checks separately so errors still reach the student.
 */
export function typeScriptCommand(entry: string, cwd: string): ProgramCommand {
  return {
    command: process.execPath,
    args: ['--disable-warning=ExperimentalWarning', '--import', preloadUrl('resolveHook'), entry],
    display: `node ${path.relative(cwd, entry) || entry}`,
  }
}

/**
 * A command given with `--cmd` ("python3 main.py"). Without shell syntax it runs directly, so signals reach the
 * program itself rather than a shell that would die first; with shell syntax, through /bin/sh.
 */
export function customCommand(commandLine: string): ProgramCommand {
  if (/[;&|<>()$`\\*?~{}[\]]/.test(commandLine) || process.platform === 'win32') {
    const shell =
      process.platform === 'win32'
        ? { command: 'cmd.exe', args: ['/d', '/s', '/c', commandLine] }
        : { command: '/bin/sh', args: ['-c', commandLine] }
    return { ...shell, display: commandLine }
  }
  const [command, ...args] = splitWords(commandLine)
  return { command, args, display: commandLine }
}

/** Splits on spaces, keeping 'single' and "double" quoted words together. */
export function splitWords(text: string): string[] {
  const words: string[] = []
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3])
  return words
}

/**
 * Whether `command` (a --cmd's program: python3, ./run.sh) can be started from `cwd`: a name is looked up on
 * PATH, a path must be an executable file. A missing interpreter is the machine's problem, not the student's.
 */
export function canRun(command: string, cwd: string, searchPath = process.env.PATH ?? ''): boolean {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : searchPath
        .split(path.delimiter)
        .filter(Boolean)
        .map((folder) => path.join(folder, command))
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK)
      return statSync(candidate).isFile()
    } catch {
      return false
    }
  })
}
