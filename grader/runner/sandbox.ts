import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { courseRoot } from './program-command.ts'
import { type MemoryCgroup, createMemoryCgroup, memoryCgroupSupport } from './memory-cgroup.ts'

/** `--sandbox`: `auto` uses bubblewrap where it works, `bwrap` insists on it, `none` runs programs as they are. */
export const sandboxChoices = ['auto', 'bwrap', 'none'] as const
export type SandboxChoice = (typeof sandboxChoices)[number]

/** What a sandbox-less run says once, so a student knows what is and is not contained. */
export const noSandboxNote =
  'student programs run without a sandbox here (bubblewrap is not available): they run in their own process group with a deadline, but can read and write your files. Install bubblewrap (Linux) to contain them.'

export interface Sandbox {
  readonly kind: 'bwrap' | 'none'
  /** Why there is no sandbox, or what it cannot do here (no memory limit): shown once, as a note. */
  readonly note: string | undefined
  /** The memory cap of one program, when one can be set here. */
  readonly memoryLimitBytes: number | undefined
  /**
   * The command line that runs `command` inside the sandbox. `workDir` is the only writable place; `readable`
   * lists files outside the course the program may read (CA_FILE).
   */
  wrap(launch: SandboxLaunch): WrappedCommand
}

export interface SandboxLaunch {
  command: string
  args: readonly string[]
  workDir: string
  env: Readonly<Record<string, string>>
  readable: readonly string[]
}

export interface WrappedCommand {
  command: string
  args: string[]
  /** The environment the spawned process gets: inside bwrap it is cleared and set again with --setenv. */
  env: Record<string, string>
  /** Must be disposed once the program has exited (removes the program's cgroup). */
  cgroup: MemoryCgroup | undefined
  /**
   * Inside bwrap the program runs in a session of its own, in its own PID namespace: a polite signal (SIGTERM)
   * must go to that session, whose leader's pid bwrap writes as JSON ({"child-pid": n}) to file descriptor 3.
   */
  reportsChildPid: boolean
}

/** One program may use this much memory (RSS, its children included) where a cgroup can enforce it. */
export const programMemoryLimitBytes = 512 * 1024 * 1024

let probed: { works: boolean; detail: string } | undefined

/** Whether bubblewrap runs here with what the sandbox needs (a PID namespace): asked once per process. */
function probeBubblewrap(): { works: boolean; detail: string } {
  if (probed) return probed
  if (process.platform !== 'linux') return (probed = { works: false, detail: `bubblewrap is Linux-only (this is ${process.platform})` })
  const result = spawnSync('bwrap', [...readOnlyRoot(), '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--new-session', 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 5000,
    encoding: 'utf8',
  })
  if (result.error) probed = { works: false, detail: `bwrap could not start (${(result.error as NodeJS.ErrnoException).code ?? result.error.message})` }
  else if (result.status !== 0) probed = { works: false, detail: `bwrap refused to run here: ${result.stderr.trim().split('\n')[0] ?? `exit ${result.status}`}` }
  else probed = { works: true, detail: 'bwrap works' }
  return probed
}

/** Picks the sandbox for `choice`; `bwrap` without a working bubblewrap is an environment error (exit 2). */
export function chooseSandbox(choice: SandboxChoice): Sandbox {
  if (choice === 'none') return noSandbox(undefined)
  const probe = probeBubblewrap()
  if (!probe.works) {
    if (choice === 'bwrap') {
      throw new GraderError('SANDBOX_UNAVAILABLE', `--sandbox bwrap needs bubblewrap, and ${probe.detail}`, {
        hint: 'install bubblewrap (sudo apt install bubblewrap) and allow it user namespaces, or run with --sandbox none to grade without a sandbox',
      })
    }
    return noSandbox(noSandboxNote)
  }
  return bubblewrapSandbox()
}

function noSandbox(note: string | undefined): Sandbox {
  return {
    kind: 'none',
    note,
    memoryLimitBytes: undefined,
    wrap: (launch) => ({ command: launch.command, args: [...launch.args], env: { ...launch.env }, cgroup: undefined, reportsChildPid: false }),
  }
}

/**
 * bubblewrap around every program the grader starts. Inside: the file system read-only (see readOnlyRoot); /tmp, the course
 * folder and the home's credential files replaced by empty ones (no solutions, mutants, reports, git history,
 * ssh keys or tokens), with only what a program needs put back read-only (node_modules, the resolve hook); the submission's
 * temporary copy the one writable place; its own PID namespace, so no other process's /proc (the grader's
 * environ, its stdout) is visible and every descendant dies with it; a new session (no TIOCSTI into the
 * terminal); the environment cleared and set to the curated one; a memory cap through a cgroup where one can be
 * made.
 */
function bubblewrapSandbox(): Sandbox {
  const memory = memoryCgroupSupport()
  return {
    kind: 'bwrap',
    note: memory.isSupported ? undefined : `student programs run in bubblewrap without a memory limit: ${memory.reason}`,
    memoryLimitBytes: memory.isSupported ? programMemoryLimitBytes : undefined,
    wrap(launch) {
      const args = [...readOnlyRoot(), '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp']
      const hidden = hiddenPaths()
      for (const folder of hidden.folders) args.push('--tmpfs', folder)
      for (const file of hidden.files) args.push('--ro-bind', '/dev/null', file)
      for (const visible of [path.join(courseRoot, 'node_modules'), path.join(courseRoot, 'grader', 'runner'), path.join(courseRoot, 'package.json')]) {
        if (!existsSync(visible)) continue
        args.push('--ro-bind', visible, visible)
        // A linked node_modules (a copy of the course) is also reachable where it really is: Node resolves links.
        const real = realpathSync(visible)
        if (real !== visible) args.push('--ro-bind', real, real)
      }
      // The pinned Node itself, wherever it lives (under /tmp in some CI clones).
      args.push('--ro-bind', process.execPath, process.execPath)
      for (const file of launch.readable) args.push('--ro-bind', file, file)
      args.push('--bind', launch.workDir, launch.workDir, '--chdir', launch.workDir)
      args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session', '--info-fd', '3', '--clearenv')
      for (const [name, value] of Object.entries(launch.env)) args.push('--setenv', name, value)
      args.push('--', launch.command, ...launch.args)
      const cgroup = memory.isSupported ? createMemoryCgroup(programMemoryLimitBytes) : undefined
      if (!cgroup) return { command: 'bwrap', args, env: { PATH: launch.env.PATH ?? '/usr/bin:/bin' }, cgroup, reportsChildPid: true }
      // Join the cgroup before bwrap starts, so every process of the program is inside it from the first.
      return {
        command: '/bin/sh',
        args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec bwrap "$@"', cgroup.dir, ...args],
        env: { PATH: launch.env.PATH ?? '/usr/bin:/bin' },
        cgroup,
        reportsChildPid: true,
      }
    },
  }
}

/**
 * The top-level folders of the file system, read-only, as bwrap arguments; symbolic links (/bin -> usr/bin)
 * as links. Not /proc, /sys, /dev, /tmp (made fresh), nor /var and /run: Docker and containerd mount and unmount
 * overlays there all the time, and bwrap, remounting every submount read-only, fails when one comes or goes
 * mid-way ("Can't bind mount /oldroot/ on /newroot/"). A program needs neither.
 */
function readOnlyRoot(): string[] {
  const skipped = new Set(['proc', 'sys', 'dev', 'tmp', 'var', 'run', 'lost+found', 'mnt', 'media', 'boot'])
  const args: string[] = []
  for (const name of readdirSync('/').sort()) {
    if (skipped.has(name)) continue
    const entry = path.join('/', name)
    try {
      const stat = lstatSync(entry)
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(entry), entry)
      else if (stat.isDirectory() || stat.isFile()) args.push('--ro-bind', entry, entry)
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return args
}

/**
 * Where credentials live in a home folder: hidden from programs. The rest of the home stays readable (read-only),
 * since a student's interpreter may live there (pyenv, nvm, a virtualenv).
 */
const credentialPaths = ['.ssh', '.aws', '.azure', '.docker', '.kube', '.gnupg', '.config/gh', '.config/gcloud', '.npmrc', '.yarnrc', '.pypirc', '.netrc', '.git-credentials']

/** What a program must not see: the home's credentials, and the course (solutions, mutants, reports, .git). */
function hiddenPaths(): { folders: string[]; files: string[] } {
  const home = os.homedir()
  const inHome = home && home !== '/' ? credentialPaths.map((name) => path.join(home, name)).filter((file) => existsSync(file)) : []
  return {
    folders: [...inHome.filter((file) => statSync(file).isDirectory()), courseRoot.replace(/\/$/, '')],
    files: inHome.filter((file) => !statSync(file).isDirectory()),
  }
}
