import { existsSync, readdirSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isStartedInPlace } from '../process/dies-with-parent.ts'
import { studentCompileCacheDir } from '../course/compile-cache.ts'
import { courseRoot } from '../course/course-root.ts'
import { preloadFolder, preloadPath, preloadUrl } from '../course/program-preloads.ts'
import { hiddenPaths, readOnlyRoot } from './bubblewrap-mounts.ts'
import type { IsolationProbe } from './probe-isolation.ts'
import { dropTo, probeIsolation } from './probe-isolation.ts'
import { cgroupSupport, createProgramCgroup, type ProgramCgroup } from './program-cgroup.ts'
import { seccompFilterFile } from './seccomp-filter-file.ts'
import {
  openFileLimit,
  programMemoryLimitBytes,
  programProcessLimit,
  sandboxInitVariable,
  workspaceLimitBytes,
} from './sandbox-constants.ts'

/** How a wrapped program's memory is capped: a cgroup, or the grader's watchdog over its uid or PID namespace. */
export type MemoryCap =
  | { kind: 'cgroup'; cgroup: ProgramCgroup }
  | { kind: 'watch-uid'; uid: number }
  | { kind: 'watch-pid-namespace' }
  | undefined

export interface SandboxLaunch {
  command: string
  args: readonly string[]
  /** The workspace copy of the submission: the program's working folder. */
  workDir: string
  env: Readonly<Record<string, string>>
  /** Files and folders outside the workspace the program may read (CA_FILE, the stripped TypeScript). */
  readable: readonly string[]
  /** The workspace's own uid and gid (the grader is root). */
  owner: { uid: number; gid: number } | undefined
  /** The loopback ports of the grader's listeners this run may connect to. */
  ports: readonly number[]
  /** A program on standby: the sandbox is set up (copy, ports) when its run begins, not at start. */
  isStandby: boolean
}

export interface LaunchCommand {
  command: string
  args: string[]
  env: Record<string, string>
  reportsChildPid: boolean
  hasChannel: boolean
  seccompFile: string | undefined
  memory: MemoryCap
  /**
   * For a program on standby: what sandbox-init.ts must do when its run begins (standby-bootstrap.ts), given with
   * the run's ports; undefined where there is nothing to set up (no bubblewrap).
   */
  initOnGo: { copyFrom?: string } | undefined
  /** The program's cgroups, joined before anything of it runs (ProcessGroup's joinCgroups). */
  cgroupDirs: readonly string[]
  /** Removes the cgroups once the program is gone. */
  dispose(): void
}

const seccompLoaderPath = fileURLToPath(new URL('./seccomp-loader.py', import.meta.url))
/** Inside bubblewrap, where the submission's copy is bound read-only, to be copied into the tmpfs workspace. */
const submissionMount = '/run/submission'
/** Descriptors the grader opens in the wrapped process: 3 bwrap's info, 4 a standby's go pipe, 5 IPC, 6 seccomp. */
export const channelDescriptor = 5
export const seccompDescriptor = 6

/**
 * bubblewrap around a program (see sandbox.ts for what holds). Root: bwrap keeps root to build the sandbox and
 * the program is dropped to its workspace's uid inside (setpriv). A plain user: bwrap in a user namespace. Then
 * prlimit, then the program.
 */
export function bubblewrapCommand(
  launch: SandboxLaunch,
  probe: IsolationProbe,
  hide: readonly string[],
): LaunchCommand {
  const variant = probe.bubblewrap.variant!
  const setpriv = probe.setpriv!
  const owner = launch.owner
  if (variant !== 'userns' && !owner)
    throw new Error("a root grader runs every program as its workspace's own uid: the launch has none")
  const isTmpfsWorkspace = probe.bubblewrap.hasSize
  const args = [...readOnlyRoot(), '--dev', '/dev', '--proc', '/proc', ...sized('--tmpfs', '/tmp', probe, '1777')]
  const mounted = new Set(['/tmp'])
  const hidden = hiddenPaths(hide)
  for (const folder of hidden.folders) mount(args, mounted, ['--tmpfs', folder])
  for (const file of hidden.files) args.push('--ro-bind', '/dev/null', file)
  const caches = mountCourse(args, mounted, owner?.uid)
  // The pinned Node itself, wherever it lives (under /tmp in some CI clones).
  mount(args, mounted, ['--ro-bind', process.execPath, process.execPath])
  for (const file of launch.readable) mount(args, mounted, ['--ro-bind', file, file])
  if (isTmpfsWorkspace) {
    mount(args, mounted, ['--ro-bind', launch.workDir, submissionMount])
    mount(args, mounted, sized('--tmpfs', launch.workDir, probe, '0777'))
  } else mount(args, mounted, ['--bind', launch.workDir, launch.workDir])
  // What is hidden stays empty: read-only, so that nothing a program writes there looks like the real thing.
  for (const folder of [...hidden.folders, ...(caches ? [caches] : [])]) args.push('--remount-ro', folder)
  args.push('--chdir', launch.workDir)
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--unshare-cgroup-try')
  if (variant !== 'root')
    args.push('--unshare-user', ...(probe.bubblewrap.hasDisableUserns ? ['--disable-userns'] : []), '--cap-drop', 'ALL')
  const seccompFile = seccompFilterFile()
  args.push(
    '--die-with-parent',
    '--new-session',
    '--info-fd',
    '3',
    ...(seccompFile ? ['--seccomp', String(seccompDescriptor)] : []),
    '--clearenv',
  )
  const init = { ...(isTmpfsWorkspace ? { copyFrom: submissionMount } : {}), ports: [...launch.ports] }
  const program = programWithInit(launch, init)
  const env: Record<string, string> = {
    ...launch.env,
    ...program.env,
    TMPDIR: '/tmp',
    NODE_CHANNEL_FD: String(channelDescriptor),
    NODE_CHANNEL_SERIALIZATION_MODE: 'json',
  }
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value)
  const limited = [probe.prlimit!, ...limitArguments(), '--', ...program.argv]
  args.push('--', ...(variant === 'root' ? [setpriv, ...dropTo(owner!.uid, owner!.gid), '--', ...limited] : limited))
  const outer = ['bwrap', ...args]
  const memory = memoryCap(owner?.uid ?? 'pid-namespace')
  return withCgroupJoin(outer, { PATH: launch.env.PATH ?? '/usr/bin:/bin' }, memory, {
    reportsChildPid: true,
    hasChannel: true,
    seccompFile,
    initOnGo: isTmpfsWorkspace ? { copyFrom: submissionMount } : {},
  })
}

/**
 * What of the course a program sees, read-only: node_modules (MQTT.js), the runner's and the sandbox's preloads,
 * package.json, the students' compile cache for its uid and the preloads' stripped copies; the grader's other
 * caches hidden under an empty tmpfs. Returns that tmpfs's folder, to be made read-only once all is mounted.
 */
function mountCourse(args: string[], mounted: Set<string>, uid: number | undefined): string | undefined {
  for (const visible of [
    path.join(courseRoot, 'node_modules'),
    path.join(courseRoot, 'grader', 'runner'),
    path.join(courseRoot, 'grader', 'sandbox'),
    path.join(courseRoot, 'package.json'),
  ]) {
    if (!existsSync(visible)) continue
    mount(args, mounted, ['--ro-bind', visible, visible])
    // A linked node_modules (a copy of the course) is also reachable where it really is: Node resolves links.
    const real = realpathSync(visible)
    if (real !== visible) mount(args, mounted, ['--ro-bind', real, real])
  }
  // The grader's caches (other submissions' stripped code, type-check results) are hidden; the students' compile
  // cache comes back, read-only.
  const cacheFolder = path.join(courseRoot, 'node_modules', '.cache')
  const caches = existsSync(cacheFolder) ? realpathSync(cacheFolder) : undefined
  if (caches) mount(args, mounted, ['--tmpfs', caches])
  // Node keeps a compile cache per uid (`<version tag>-<uid>`): the program's uid gets the one the grader warmed.
  for (const [warmed, forProgram] of compileCacheFor(uid)) mount(args, mounted, ['--ro-bind', warmed, forProgram])
  // The course's preloads, stripped to JavaScript by the grader (program-preloads.ts).
  const preloads = preloadFolder()
  if (preloads) mount(args, mounted, ['--ro-bind', preloads, realpathSync(preloads)])
  return caches
}

/** Root without namespaces: the program dropped to its workspace's uid, in the workspace itself. */
export function uidCommand(launch: SandboxLaunch): LaunchCommand {
  const probe = probeIsolation()
  const owner = launch.owner
  if (!owner) throw new Error("--sandbox uid runs every program as its workspace's own uid: the launch has none")
  const env = { ...launch.env, HOME: launch.workDir, TMPDIR: launch.workDir }
  // The seccomp filter, installed by a few lines of Python where there is no bubblewrap to do it.
  const filter = probe.python ? seccompFilterFile() : undefined
  // It also has the program die with the grader: the parent-death signal set before the uid changed is gone.
  const seccomp = filter
    ? [probe.python!, '-I', '-S', seccompLoaderPath, filter, String(isStartedInPlace() ? process.pid : 0)]
    : []
  const argv = [
    probe.setpriv!,
    ...dropTo(owner.uid, owner.gid),
    '--',
    probe.prlimit!,
    ...limitArguments(),
    '--',
    ...seccomp,
    launch.command,
    ...launch.args,
  ]
  return withCgroupJoin(argv, env, memoryCap(owner.uid), {
    reportsChildPid: false,
    hasChannel: false,
    seccompFile: undefined,
    initOnGo: undefined,
  })
}

/**
 * The program with sandbox-init.ts run first: preloaded into a Node program (or told at go() for one on standby),
 * or run as its own Node process before any other program, which then replaces the shell (exec), with the IPC
 * descriptor closed and the variables that named it gone.
 */
function programWithInit(
  launch: SandboxLaunch,
  init: { copyFrom?: string; ports: number[] },
): { argv: string[]; env: Record<string, string> } {
  const env: Record<string, string> = launch.isStandby ? {} : { [sandboxInitVariable]: JSON.stringify(init) }
  if (launch.command === process.execPath)
    return { argv: [launch.command, '--import', preloadUrl('sandboxInit'), ...launch.args], env }
  const script = `node="$1"; init="$2"; shift 2; "$node" --disable-warning=ExperimentalWarning "$init" || exit 125; unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; exec "$@" ${channelDescriptor}>&-`
  return {
    argv: ['/bin/sh', '-c', script, 'sh', process.execPath, preloadPath('sandboxInit'), launch.command, ...launch.args],
    env,
  }
}

/** prlimit's caps: processes (per uid, or per user namespace), open files, the largest file, no core dumps. */
function limitArguments(): string[] {
  return [`--nproc=${programProcessLimit}`, `--nofile=${openFileLimit}`, `--fsize=${workspaceLimitBytes}`, '--core=0']
}

/**
 * Adds a mount, after the folders above its target that bwrap would otherwise make itself: it makes them 0700,
 * root's, which a program dropped to its own uid could not enter. Mount points already made are left alone.
 */
function mount(args: string[], mounted: Set<string>, operation: string[]): void {
  const target = operation.at(-1)!
  const parents: string[] = []
  for (let parent = path.dirname(target); parent !== '/' && !mounted.has(parent); parent = path.dirname(parent))
    parents.unshift(parent)
  for (const parent of parents) {
    args.push('--perms', '0755', '--dir', parent)
    mounted.add(parent)
  }
  args.push(...operation)
  mounted.add(target)
}

function sized(option: '--tmpfs', target: string, probe: IsolationProbe, perms: string): string[] {
  return probe.bubblewrap.hasSize
    ? ['--size', String(workspaceLimitBytes), '--perms', perms, option, target]
    : [option, target]
}

function memoryCap(watchAs: number | 'pid-namespace'): MemoryCap {
  const support = cgroupSupport()
  if (support.memory || support.pids) {
    const cgroup = createProgramCgroup({ memoryBytes: programMemoryLimitBytes, processes: programProcessLimit })
    if (cgroup && support.memory) return { kind: 'cgroup', cgroup }
    cgroup?.remove()
  }
  return watchAs === 'pid-namespace' ? { kind: 'watch-pid-namespace' } : { kind: 'watch-uid', uid: watchAs }
}

/** The command, with the cgroups its process joins first (the shell ProcessGroup starts it with does, as root). */
function withCgroupJoin(
  argv: string[],
  env: Record<string, string>,
  memory: MemoryCap,
  rest: Pick<LaunchCommand, 'reportsChildPid' | 'hasChannel' | 'seccompFile' | 'initOnGo'>,
): LaunchCommand {
  const cgroup = memory?.kind === 'cgroup' ? memory.cgroup : undefined
  return {
    command: argv[0],
    args: argv.slice(1),
    env,
    memory,
    cgroupDirs: cgroup?.dirs ?? [],
    dispose: () => cgroup?.remove(),
    ...rest,
  }
}

/** [the grader's warmed compile cache folder, where a program of `uid` looks for it], for each one there is. */
function compileCacheFor(uid: number | undefined): [string, string][] {
  const own = process.getuid?.() ?? 0
  let names: string[]
  try {
    names = readdirSync(studentCompileCacheDir).filter((name) => name.endsWith(`-${own}`))
  } catch {
    return []
  }
  const cache = realpathSync(studentCompileCacheDir)
  return names.map((name) => [
    path.join(cache, name),
    path.join(cache, `${name.slice(0, -`-${own}`.length)}-${uid ?? own}`),
  ])
}
