import { execFile, spawnSync } from 'node:child_process'

/**
 * How a process the grader starts (Mosquitto, tsc, a student's program or the bwrap around it) is made to die
 * with the grader, even after a `kill -9` that no exit handler sees (issue 19):
 *
 * - `setpriv`: util-linux's `setpriv --pdeathsig KILL` asks the kernel (PR_SET_PDEATHSIG) to SIGKILL the process
 *   the moment its parent dies, then execs it in place: no process in between, no namespaces, nothing the broker
 *   notices. Chosen over bubblewrap's --die-with-parent (the same prctl, plus a PID namespace) because bubblewrap
 *   needs user namespaces, which many CI containers lack, and would hide the generated config and the network
 *   from Mosquitto unless bound in again. Two kernel rules to respect: the signal follows the *thread* that
 *   forked (Node spawns from its main thread, which lives as long as the process), and it is cleared when the
 *   child changes uid (the grader's mosquitto.conf says `user root` when the grader is root, so it never does;
 *   a program dropped to another uid must be given --pdeathsig by the setpriv that drops it, which sets it last).
 *   A short shell between setpriv and the program closes the one race: a grader that died before the prctl.
 * - `watchdog`: where there is no setpriv (macOS, Alpine without util-linux, setpriv older than 2.33): a POSIX
 *   shell leads the process group, runs the program, and reads a pipe only the grader holds open. The kernel
 *   closes it when the grader dies, whatever killed it; the read ends, and the shell kills its whole group.
 */
export type ParentDeath = 'auto' | 'setpriv' | 'watchdog'

export interface DyingCommand {
  command: string
  args: string[]
  /** The child's stdin must be a pipe the grader keeps open and never writes to (the watchdog's lifeline). */
  needsLifeline: boolean
}

/**
 * `$1` is the grader's pid: if it is no longer the parent, the grader died before the parent-death signal was set.
 * Then the cgroups named up to `--` are joined (a sandboxed program's, before anything of it runs), and the
 * command runs in this same process.
 */
const parentCheck =
  'test "$PPID" = "$1" || exit 125; shift; while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; done; shift; exec "$@"'

/** The same joining of cgroups, on its own (under the watchdog, or for a process that need not die with us). */
export const joinCgroupsScript =
  'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; done; shift; exec "$@"'

/**
 * Runs "$@" with /dev/null as its stdin; a background reader waits for the end of the lifeline (stdin) and kills
 * the group. The program's own exit is passed on: its code, or its signal, re-raised on the shell itself. (As
 * a background job of a shell, the program starts with SIGINT ignored; the grader stops programs with SIGTERM.)
 */
const watchdog = [
  // Descriptor 9: 3 and 4 may be the program's own (bwrap's --info-fd, a standby's go pipe).
  'exec 9<&0',
  '"$@" </dev/null 9<&- &',
  'program=$!',
  '{ read -r _ <&9; kill -KILL 0; } &',
  'watcher=$!',
  'exec 9<&-',
  'wait "$program"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'if [ "$status" -gt 128 ]; then kill -s "$(kill -l "$status")" "$$"; fi',
  'exit "$status"',
].join('\n')

/**
 * Whether what this process starts is its own child (setpriv execs in place), so that a program may ask the kernel
 * for the parent-death signal again itself after changing uid (seccomp-loader.py); not under the watchdog shell.
 */
export function isStartedInPlace(): boolean {
  return hasSetprivPdeathsig()
}

/**
 * `command args` wrapped so that it dies with this process; `auto` prefers setpriv where it works. `cgroups`: the
 * folders of cgroups it joins first, in the same shell (one process start fewer than a shell of its own).
 */
export function diesWithParent(
  command: string,
  args: readonly string[],
  how: ParentDeath = 'auto',
  cgroups: readonly string[] = [],
): DyingCommand {
  const mechanism = how === 'auto' ? (hasSetprivPdeathsig() ? 'setpriv' : 'watchdog') : how
  if (mechanism === 'setpriv') {
    return {
      command: 'setpriv',
      args: [
        '--pdeathsig',
        'KILL',
        '--',
        '/bin/sh',
        '-c',
        parentCheck,
        'sh',
        String(process.pid),
        ...cgroups,
        '--',
        command,
        ...args,
      ],
      needsLifeline: false,
    }
  }
  const joined =
    cgroups.length > 0
      ? ['/bin/sh', '-c', joinCgroupsScript, 'sh', ...cgroups, '--', command, ...args]
      : [command, ...args]
  return { command: '/bin/sh', args: ['-c', watchdog, 'sh', ...joined], needsLifeline: true }
}

let hasPdeathsig: boolean | undefined
let probing: Promise<boolean> | undefined
const probeArgs = ['--pdeathsig', 'KILL', '--', 'true']

/**
 * Whether `setpriv --pdeathsig` runs here (Linux with util-linux ≥ 2.33), asked once per process without
 * blocking: callers await it before they start what must die with the grader, so diesWithParent() knows.
 */
export function probeParentDeath(): Promise<boolean> {
  probing ??=
    process.platform === 'linux'
      ? new Promise<boolean>((resolve) => {
          execFile('setpriv', probeArgs, { timeout: 5000 }, (error) => resolve(error === null))
        }).then((works) => (hasPdeathsig = works))
      : Promise.resolve((hasPdeathsig = false))
  return probing
}

/** The probe's answer; asked synchronously (~5 ms) if nobody awaited probeParentDeath() first. */
function hasSetprivPdeathsig(): boolean {
  hasPdeathsig ??=
    process.platform === 'linux' && spawnSync('setpriv', probeArgs, { stdio: 'ignore', timeout: 5000 }).status === 0
  return hasPdeathsig
}
