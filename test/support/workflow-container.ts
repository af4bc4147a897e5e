import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import {
  debianImage,
  docker,
  dockerOk,
  hostCertificateOptions,
  namespaceOptions,
  testLabel,
} from './debian-container.ts'

export interface WorkflowStep {
  name?: string
  id?: string
  uses?: string
  run?: string
  env?: Record<string, string>
  with?: Record<string, unknown>
  if?: string
}

export interface WorkflowJob {
  name?: string
  'runs-on'?: string
  if?: string
  steps: WorkflowStep[]
  needs?: string | string[]
  strategy?: { matrix?: Record<string, unknown[]> }
}

export interface Workflow {
  name?: string
  on: unknown
  env?: Record<string, string>
  permissions?: Record<string, string>
  jobs: Record<string, WorkflowJob>
}

/** A GitHub Actions workflow, parsed with a real YAML parser (what GitHub reads, not what we hope it says). */
export function parseWorkflow(text: string): Workflow {
  return parse(text) as Workflow
}

/**
 * Ubuntu 24.04's runners as far as the sandbox can tell: root may make namespaces (a virtual machine's root),
 * a plain user may not (AppArmor's restriction of unprivileged user namespaces, here a seccomp filter that
 * refuses CLONE_NEWUSER: bubblewrap as `runner` fails as it does there, root's bubblewrap needs no user namespace).
 */
function runnerSeccompProfile(): string {
  const cloneNewUser = 0x10000000
  const refuseNewUser = (name: string) => ({
    names: [name],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: 1,
    args: [{ index: 0, value: cloneNewUser, valueTwo: cloneNewUser, op: 'SCMP_CMP_MASKED_EQ' }],
  })
  const profile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [
      refuseNewUser('unshare'),
      refuseNewUser('clone'),
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  }
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-seccomp-')), 'runner.json')
  writeFileSync(file, JSON.stringify(profile))
  return file
}

export type RunnerKind = 'github-ubuntu-24.04' | 'gitlab-docker-executor'

/**
 * A job's machine, in Docker, from the `runner` Debian image (git, sudo, Node.js and npm, curl; docker/build-debian-image.sh):
 * - github-ubuntu-24.04: jobs run as `runner` with passwordless sudo; root may make namespaces, `runner` may not.
 * - gitlab-docker-executor: jobs run as root in a container with Docker's defaults (no namespaces at all), as
 *   GitLab's Docker executor runs `image: node:24-bookworm`.
 * The host's network (the package registries; tests reach only loopback), and `repository` mounted read-only at
 * /repository, for the job to clone as actions/checkout and GitLab's runner do.
 */
export class JobMachine implements Disposable {
  readonly id: string
  readonly user: string
  /** Where the job's repository is cloned and its steps run: a job of its own gets a folder of its own. */
  workspace: string

  constructor(kind: RunnerKind, repository: string) {
    const image = debianImage('runner')
    // Root's namespaces as namespaceOptions allows them, with our filter instead of none.
    const options =
      kind === 'github-ubuntu-24.04'
        ? namespaceOptions.map((option) =>
            option === 'seccomp=unconfined' ? `seccomp=${runnerSeccompProfile()}` : option,
          )
        : []
    this.user = kind === 'github-ubuntu-24.04' ? 'runner' : 'root'
    this.workspace = kind === 'github-ubuntu-24.04' ? '/home/runner/work/course' : '/builds/course'
    this.id = dockerOk([
      'create',
      '--label',
      testLabel,
      '--network',
      'host',
      ...hostCertificateOptions(),
      ...options,
      '-v',
      `${repository}:/repository:ro`,
      image,
      'sleep',
      'infinity',
    ]).trim()
    dockerOk(['start', this.id])
    // The runner's folder for its own files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY), as on GitHub.
    if (kind === 'github-ubuntu-24.04')
      this.exec(
        'mkdir -p /home/runner/work/_temp && touch /home/runner/work/_temp/output /home/runner/work/_temp/summary.md',
        { cwd: '/' },
      )
  }

  /** The checkout: a clone of the repository (submodules not initialised: a gitlink stays an empty folder). */
  checkout(): void {
    // The mount belongs to the host's root: git's ownership check would stop a `runner` from reading it
    // (actions/checkout, too, adds a safe.directory to the global config before it fetches).
    const result = this.exec(
      `git config --global --add safe.directory '*' && git clone -q /repository ${this.workspace}`,
      { cwd: '/' },
    )
    if (result.status !== 0) throw new Error(`git clone failed: ${result.stderr}`)
  }

  /**
   * A `run:` step as the runner runs it: bash -eo pipefail, in the job's folder, with the step's environment.
   */
  exec(
    script: string,
    options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
  ): { status: number | null; stdout: string; stderr: string } {
    const env = Object.entries(options.env ?? {}).flatMap(([key, value]) => ['-e', `${key}=${value}`])
    return docker(
      [
        'exec',
        '-u',
        this.user,
        '-w',
        options.cwd ?? this.workspace,
        ...env,
        this.id,
        'bash',
        '--noprofile',
        '--norc',
        '-eo',
        'pipefail',
        '-c',
        script,
      ],
      { timeoutMs: options.timeoutMs ?? 20 * 60_000 },
    )
  }

  /** A file of the job's machine, as text ('' when it does not exist). */
  read(file: string): string {
    const result = docker(['exec', this.id, 'cat', file])
    return result.status === 0 ? result.stdout : ''
  }

  [Symbol.dispose](): void {
    docker(['rm', '-f', this.id])
  }
}

/**
 * The `${{ }}` values a test knows (matrix entries, step outputs); anything else is a test error: the step would
 * need GitHub itself.
 */
export function substitute(text: string, expressions: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    const value = expressions[expression]
    if (value === undefined) throw new Error(`a step uses \${{ ${expression} }}, which this test cannot evaluate`)
    return value
  })
}
