import os from 'node:os'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { type LaunchCommand, type SandboxLaunch, bubblewrapCommand, uidCommand } from './launch-command.ts'
import {
  openFileLimit,
  programMemoryLimitBytes,
  programProcessLimit,
  workspaceLimitBytes,
} from './sandbox-constants.ts'
import { type IsolationProbe, probeIsolation, startIsolationProbe } from './probe-isolation.ts'
import { cgroupSupport } from './program-cgroup.ts'
import { keepPrivate } from './private-paths.ts'
import { guardBrokers } from './guarded-listener.ts'

/**
 * `--sandbox`: `auto` picks the strongest isolation this machine offers, `bwrap` insists on bubblewrap, `uid` on
 * a uid of its own per grade (the grader must be root), `none` runs programs as they are. `isolated` is auto that
 * never falls back to none: the platforms' recipes (the Gradescope autograder) grade strangers' code with it, and
 * a machine that cannot isolate is an environment error (exit 2), not a forgeable grade (issue 21).
 */
export const sandboxChoices = ['auto', 'isolated', 'bwrap', 'uid', 'none'] as const
export type SandboxChoice = (typeof sandboxChoices)[number]

/**
 * What a program is run in. The same guarantees are kept by different means on different machines:
 *
 * - `bwrap`: bubblewrap, with namespaces of its own (mounts, processes, network, IPC, host name), no capability,
 *   no_new_privs, a seccomp filter, and a uid that is not the grader's: a uid of its own per workspace when the
 *   grader is root, the grader's own (in a user namespace) when it is not. The file system read-only, the course,
 *   the temporary folder, the cohort and the reports hidden; the workspace a size-limited tmpfs; the network only
 *   loopback, with the grader's listeners for this run handed in.
 * - `uid` (root, where namespaces cannot be made: many containers): the program dropped to a uid of its own per
 *   workspace, no capability, no_new_privs, the same limits; files kept from it by their permissions, the grader's
 *   listeners by their owners' uids (guarded-listener.ts).
 * - `none`: the program runs as the grader does, in its own process group, with a deadline and a cleared
 *   environment. A student's own laptop without bubblewrap.
 */
export interface Sandbox {
  readonly kind: 'bwrap' | 'uid' | 'none'
  /** What holds, in a line: the report names the isolation each grade ran under. */
  readonly description: string
  /** Why there is less than bwrap gives (no bubblewrap, no memory cgroup): shown once, as a note. */
  readonly note: string | undefined
  /** The memory cap of one program, where one is enforced. */
  readonly memoryLimitBytes: number | undefined
  /** Each workspace needs a uid of its own (the grader is root): Workspace allocates it. */
  readonly givesWorkspacesOwnUid: boolean
  /** Programs have a network of their own: the grader's listeners they may use are handed in (sandbox-init.ts). */
  readonly hasOwnNetwork: boolean
  /** The command line that runs `launch.command` inside the sandbox. */
  wrap(launch: SandboxLaunch): LaunchCommand
}

export interface SandboxOptions {
  /** Folders no program may see, beyond the course and the temporary folder: a cohort, a report folder. */
  hide?: readonly string[]
}

/** chooseSandbox(), once the bubblewrap probe started in the background (startIsolationProbe) has answered. */
export async function chooseSandboxWhenProbed(choice: SandboxChoice, options: SandboxOptions = {}): Promise<Sandbox> {
  if (choice !== 'none') await startIsolationProbe()
  return chooseSandbox(choice, options)
}

/** Picks the sandbox for `choice`; a choice this machine cannot give is an environment error (exit 2). */
export function chooseSandbox(choice: SandboxChoice, options: SandboxOptions = {}): Sandbox {
  if (choice === 'none') return noSandbox(undefined)
  const probe = probeIsolation()
  if (choice === 'bwrap' && !probe.bubblewrap.works) {
    throw new GraderError('SANDBOX_UNAVAILABLE', `--sandbox bwrap needs bubblewrap, and ${probe.bubblewrap.detail}`, {
      hint:
        isRootNow() && probe.uid.works
          ? 'grade with --sandbox uid (a uid of its own per grade, no namespaces needed), or install bubblewrap (apt-get install bubblewrap)'
          : 'install bubblewrap (sudo apt install bubblewrap) and allow it user namespaces (on Ubuntu 24.04: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0), run the grader as root, or run with --sandbox none to grade without a sandbox',
    })
  }
  if (choice === 'uid' && !probe.uid.works) {
    throw new GraderError(
      'SANDBOX_UNAVAILABLE',
      `--sandbox uid needs the grader to run as root with setpriv and prlimit (util-linux), and ${probe.uid.detail}`,
      {
        hint: 'run the grader as root (sudo, or in its CI container), or use --sandbox bwrap / auto',
      },
    )
  }
  if (choice !== 'uid' && probe.bubblewrap.works) return bubblewrapSandbox(probe, options)
  if (probe.uid.works) return uidSandbox(choice === 'uid' ? 'as --sandbox uid asks' : probe.bubblewrap.detail, options)
  if (choice === 'isolated') {
    throw new GraderError(
      'SANDBOX_UNAVAILABLE',
      `--sandbox isolated needs bubblewrap or a root grader, and ${probe.bubblewrap.detail}; as a plain user, ${probe.uid.detail}`,
      {
        hint: 'run the grader as root (Gradescope and CI containers do), or install bubblewrap (apt-get install bubblewrap) where user namespaces are allowed',
      },
    )
  }
  return noSandbox(noSandboxNote(probe))
}

/** What a grade says when there is no sandbox, so a student knows what is and is not contained. */
function noSandboxNote(probe: IsolationProbe): string {
  return `student programs run without a sandbox here (${probe.bubblewrap.detail}): they run in their own process group with a deadline, but can read and write what you can. Install bubblewrap (Linux) to contain them.`
}

function noSandbox(note: string | undefined): Sandbox {
  return {
    kind: 'none',
    description: 'none: the program runs as the grader does (own process group, deadline, cleared environment)',
    note,
    memoryLimitBytes: undefined,
    givesWorkspacesOwnUid: false,
    hasOwnNetwork: false,
    wrap: (launch) => ({
      command: launch.command,
      args: [...launch.args],
      env: { ...launch.env },
      reportsChildPid: false,
      hasChannel: false,
      seccompFile: undefined,
      memory: undefined,
      initOnGo: undefined,
      cgroupDirs: [],
      dispose: () => {},
    }),
  }
}

function bubblewrapSandbox(probe: IsolationProbe, options: SandboxOptions): Sandbox {
  const limits = limitsNote()
  const asRoot = isRootNow()
  return {
    kind: 'bwrap',
    description: `bubblewrap: ${asRoot ? 'a uid of its own per grade' : 'your uid in a user namespace'}, no capabilities, seccomp, its own network with only this grade's listeners, the course and other grades hidden, ${limits.summary}`,
    note: limits.note ? `student programs run in bubblewrap ${limits.note}` : undefined,
    memoryLimitBytes: programMemoryLimitBytes,
    givesWorkspacesOwnUid: asRoot,
    hasOwnNetwork: true,
    wrap: (launch) => bubblewrapCommand(launch, probe, options.hide ?? []),
  }
}

function uidSandbox(why: string, options: SandboxOptions): Sandbox {
  guardBrokers()
  const madePrivate = keepPrivate(options.hide ?? [])
  const limits = limitsNote()
  return {
    kind: 'uid',
    description: `a uid of its own per grade (no bubblewrap: ${why}), no capabilities, no_new_privs, listeners that admit only this grade's uid, ${limits.summary}`,
    note: `student programs run as a uid of their own, without bubblewrap (${why})${limits.note ? `, ${limits.note}` : ''}${madePrivate.length > 0 ? `; took others' access away from ${describePaths(madePrivate)}, so that no program reads them` : ''}`,
    memoryLimitBytes: programMemoryLimitBytes,
    givesWorkspacesOwnUid: true,
    hasOwnNetwork: false,
    wrap: (launch) => uidCommand(launch),
  }
}

/** "the exercises' solution/, mutants/ (22 folders), .git": what keepPrivate changed, briefly. */
function describePaths(paths: readonly string[]): string {
  const inExercises = paths.filter((entry) => entry.startsWith('exercises/'))
  const kinds = [...new Set(inExercises.map((entry) => `${path.basename(entry)}/`))]
  const others = paths.filter((entry) => !entry.startsWith('exercises/'))
  return [
    ...(inExercises.length > 0 ? [`the exercises' ${kinds.join(', ')} (${inExercises.length} folders)`] : []),
    ...others,
  ].join(', ')
}

/** The limits as a report states them, and what is enforced by the watchdog instead of a cgroup. */
function limitsNote(): { summary: string; note: string | undefined } {
  const support = cgroupSupport()
  const summary = `${programMemoryLimitBytes / 2 ** 20} MiB of memory (${support.memory ? 'cgroup' : 'watched by the grader'}), ${programProcessLimit} processes, ${workspaceLimitBytes / 2 ** 20} MiB of disk, ${openFileLimit} open files`
  return {
    summary,
    note: support.memory ? undefined : 'with the memory limit watched by the grader (no writable memory cgroup here)',
  }
}

function isRootNow(): boolean {
  return process.getuid?.() === 0 && os.platform() === 'linux'
}
