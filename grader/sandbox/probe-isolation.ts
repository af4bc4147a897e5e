import { execFile, spawnSync } from 'node:child_process'
import { findExecutable, isExecutable } from '../process/find-executable.ts'
import path from 'node:path'
import { readOnlyRoot } from './bubblewrap-mounts.ts'

/**
 * What this machine can do to isolate a program, asked once per process by running the tools for real:
 *
 * - bubblewrap, as root: bwrap itself keeps root's power to make namespaces, and the program is dropped to a
 *   uid of its own inside (setpriv). Works wherever root may make namespaces, AppArmor's restriction of
 *   unprivileged user namespaces (Ubuntu 24.04) notwithstanding.
 * - bubblewrap, as a plain user: in a user namespace of its own.
 * - uid: root without bubblewrap: setpriv drops the program to a uid of its own.
 */
export interface IsolationProbe {
  bubblewrap: {
    works: boolean
    detail: string
    variant: 'root' | 'userns' | undefined
    hasSize: boolean
    hasDisableUserns: boolean
  }
  /** Asked only when needed (bubblewrap does not work, or --sandbox uid): a spawn at every grader start is time. */
  readonly uid: { works: boolean; detail: string }
  setpriv: string | undefined
  prlimit: string | undefined
  /** A system Python: the seccomp filter's loader where there is no bubblewrap (seccomp-loader.py). */
  python: string | undefined
}

let probed: IsolationProbe | undefined
/** The bubblewrap probe run in the background (startIsolationProbe), once it has answered. */
let bubblewrapAnswer: IsolationProbe['bubblewrap'] | undefined
let bubblewrapProbing: Promise<void> | undefined

/**
 * Starts the bubblewrap probe without blocking (a grading command's first step, beside its module loading): a
 * synchronous probe would hold the event loop for a bwrap start (~20 ms, more on a loaded machine). Callers
 * await it before chooseSandbox(); probeIsolation() then uses its answer.
 */
export function startIsolationProbe(): Promise<void> {
  bubblewrapProbing ??= (async () => {
    const tools = { setpriv: findTool('setpriv'), prlimit: findTool('prlimit') }
    bubblewrapAnswer = await probeBubblewrap(process.getuid?.() === 0, tools.setpriv, tools.prlimit, runInBackground)
  })()
  return bubblewrapProbing
}
/** A uid no grade is given (grade-uid.ts starts far above it), for trying setpriv and bwrap out. */
const probeUid = 1_799_999_999

/**
 * One spawn in the usual case (bubblewrap with everything the sandbox uses, the program dropped to a uid where
 * the grader is root): every grading command asks, before it grades anything.
 */
export function probeIsolation(): IsolationProbe {
  if (probed) return probed
  const setpriv = findTool('setpriv')
  const prlimit = findTool('prlimit')
  const isRoot = process.getuid?.() === 0
  let uid: { works: boolean; detail: string } | undefined
  const probeUidMode = () =>
    !isRoot
      ? { works: false, detail: 'the grader is not root' }
      : !setpriv || !prlimit
        ? { works: false, detail: 'setpriv or prlimit (util-linux) is missing' }
        : run(setpriv, [...dropTo(probeUid), '--', '/bin/sh', '-c', 'exit 0'])
  // The system's own, which every uid can run (not a pyenv or virtualenv in someone's home).
  const python = ['/usr/bin/python3', '/usr/local/bin/python3', '/bin/python3'].find((candidate) =>
    isExecutable(candidate),
  )
  probed = {
    bubblewrap: bubblewrapAnswer ?? probeBubblewrapNow(isRoot, setpriv, prlimit),
    get uid() {
      uid ??= probeUidMode()
      return uid
    },
    setpriv,
    prlimit,
    python,
  }
  return probed
}

/** setpriv's arguments that make `uid` of root: its own gid, no groups, no capabilities, no_new_privs. */
export function dropTo(uid: number, gid = uid): string[] {
  return [
    `--reuid=${uid}`,
    `--regid=${gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--inh-caps=-all',
    '--bounding-set=-all',
  ]
}

type Runner = (command: string, args: string[]) => Promise<{ works: boolean; detail: string }>

/** The same probe, synchronously: where nothing started it in the background. */
function probeBubblewrapNow(
  isRoot: boolean,
  setpriv: string | undefined,
  prlimit: string | undefined,
): IsolationProbe['bubblewrap'] {
  const steps = probeSteps(isRoot, setpriv, prlimit)
  if ('answer' in steps) return steps.answer
  return steps.conclude(run(steps.command, steps.newer), () => run(steps.command, steps.older))
}

async function probeBubblewrap(
  isRoot: boolean,
  setpriv: string | undefined,
  prlimit: string | undefined,
  runner: Runner,
): Promise<IsolationProbe['bubblewrap']> {
  const steps = probeSteps(isRoot, setpriv, prlimit)
  if ('answer' in steps) return steps.answer
  const newer = await runner(steps.command, steps.newer)
  const older =
    newer.works || !/unknown option/i.test(newer.detail) ? undefined : await runner(steps.command, steps.older)
  return steps.conclude(newer, () => older!)
}

interface ProbeSteps {
  command: string
  /** With bubblewrap 0.8's options (--size, --disable-userns); `older` without them. */
  newer: string[]
  older: string[]
  conclude(
    newer: { works: boolean; detail: string },
    older: () => { works: boolean; detail: string },
  ): IsolationProbe['bubblewrap']
}

function probeSteps(
  isRoot: boolean,
  setpriv: string | undefined,
  prlimit: string | undefined,
): ProbeSteps | { answer: IsolationProbe['bubblewrap'] } {
  const none = { variant: undefined, hasSize: false, hasDisableUserns: false }
  if (process.platform !== 'linux')
    return { answer: { works: false, detail: `bubblewrap is Linux-only (this is ${process.platform})`, ...none } }
  if (!prlimit) return { answer: { works: false, detail: 'prlimit (util-linux) is missing', ...none } }
  if (isRoot && !setpriv) return { answer: { works: false, detail: 'setpriv (util-linux) is missing', ...none } }
  const namespaces = [
    ...readOnlyRoot(),
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--die-with-parent',
    '--new-session',
  ]
  // Root that may not make namespaces (a container without CAP_SYS_ADMIN) gets --sandbox uid instead.
  const variant = isRoot ? 'root' : 'userns'
  const inside = isRoot ? [setpriv!, ...dropTo(probeUid), '--', '/bin/sh', '-c', 'exit 0'] : ['/bin/sh', '-c', 'exit 0']
  const attempt = (newer: boolean) => {
    const features = newer ? [...(isRoot ? [] : ['--disable-userns']), '--size', '65536', '--tmpfs', '/tmp'] : []
    return [...namespaces, ...(isRoot ? [] : ['--unshare-user']), ...features, '--', ...inside]
  }
  // bubblewrap 0.8 (Debian 12) has --size and --disable-userns; older ones (Ubuntu 22.04: 0.6) work without them.
  return {
    command: 'bwrap',
    newer: attempt(true),
    older: attempt(false),
    conclude(newer, older) {
      if (newer.works) return { ...newer, variant, hasSize: true, hasDisableUserns: !isRoot }
      if (!/unknown option/i.test(newer.detail)) return { ...newer, ...none }
      const second = older()
      return second.works ? { ...second, variant, hasSize: false, hasDisableUserns: false } : { ...second, ...none }
    },
  }
}

function run(command: string, args: string[]): { works: boolean; detail: string } {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000, encoding: 'utf8' })
  return verdict(command, result.error as NodeJS.ErrnoException | undefined, result.status, result.stderr)
}

function runInBackground(command: string, args: string[]): Promise<{ works: boolean; detail: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5000, encoding: 'utf8' }, (error, _stdout, stderr) => {
      const failure = error as (NodeJS.ErrnoException & { code?: string | number }) | null
      // execFile reports a non-zero exit as an error whose code is the number; a failure to start has a string code.
      const startError = failure && typeof failure.code === 'string' ? failure : undefined
      const status = failure ? (typeof failure.code === 'number' ? failure.code : null) : 0
      resolve(verdict(command, startError, startError ? null : status, stderr))
    })
  })
}

function verdict(
  command: string,
  error: NodeJS.ErrnoException | undefined,
  status: number | null,
  stderr: string,
): { works: boolean; detail: string } {
  const code = error?.code
  if (code === 'ENOENT')
    return {
      works: false,
      detail: `${path.basename(command) === 'bwrap' ? 'bubblewrap' : path.basename(command)} is not installed`,
    }
  if (error) return { works: false, detail: `${path.basename(command)} could not start (${code ?? error.message})` }
  if (status !== 0)
    return {
      works: false,
      detail: `${path.basename(command)} refused to run here: ${stderr.trim().split('\n')[0] || `exit ${status ?? 'by a signal'}`}`,
    }
  return { works: true, detail: `${path.basename(command)} works` }
}

/** util-linux's tools, where a trimmed PATH (a CI step's) may not list them. */
function findTool(name: string): string | undefined {
  return findExecutable(name, ['/usr/bin', '/bin', '/usr/sbin', '/sbin'])
}
