import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { courseRoot } from './run-cli.ts'

/** Every container and image a platform test makes carries this label, with the test process's pid as value. */
export const testLabel = `org.mqtt-course.platform-test=${process.pid}`

export interface DockerRun {
  status: number | null
  stdout: string
  stderr: string
}

export function docker(args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): DockerRun {
  const result = spawnSync('docker', args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.input !== undefined ? { input: options.input } : {}),
  })
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') }
}

/** docker, or an Error with what it said. */
export function dockerOk(args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): string {
  const result = docker(args, options)
  if (result.status !== 0)
    throw new Error(
      `docker ${args.slice(0, 3).join(' ')} failed (${result.status}): ${result.stderr.slice(-3000)}${result.stdout.slice(-3000)}`,
    )
  return result.stdout
}

/**
 * The Debian root the platform tests start from (docker/build-debian-image.sh: mmdebstrap, docker import): built
 * once per machine, kept by its tag.
 */
export function debianImage(kind: 'bare' | 'runner'): string {
  const result = spawnSync(path.join(courseRoot, 'docker/build-debian-image.sh'), [kind], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
  })
  if (result.status !== 0)
    throw new Error(`docker/build-debian-image.sh ${kind} failed: ${result.stderr}${result.stdout}`)
  return kind === 'bare' ? 'mqtt-course/debian-bare:bookworm' : 'mqtt-course/debian-runner:bookworm'
}

/**
 * This machine reaches the package registries through a proxy whose certificate authority it trusts
 * (NODE_EXTRA_CA_CERTS): the containers that install packages get the same file and variable, and nothing else
 * of the host. Empty where no such authority is needed.
 */
export function hostCertificateOptions(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS
  if (!file) return []
  return [
    '-v',
    `${file}:/run/host-ca/ca.crt:ro`,
    '-e',
    'NODE_EXTRA_CA_CERTS=/run/host-ca/ca.crt',
    '-e',
    'GIT_SSL_CAINFO=/run/host-ca/ca.crt',
  ]
}

/**
 * A container in which namespaces can be made by root, as on a virtual machine (GitHub's runners) or a Docker
 * engine that allows it: bubblewrap needs CAP_SYS_ADMIN and CAP_NET_ADMIN (its loopback), and Docker's default
 * seccomp filter, AppArmor profile and masked /proc paths out of the way.
 */
export const namespaceOptions = [
  '--cap-add',
  'SYS_ADMIN',
  '--cap-add',
  'NET_ADMIN',
  '--security-opt',
  'seccomp=unconfined',
  '--security-opt',
  'apparmor=unconfined',
  '--security-opt',
  'systempaths=unconfined',
]

/** Removes the containers and images this test process labelled. */
export function removeLabelled(): void {
  const containers = docker(['ps', '-aq', '--filter', `label=${testLabel}`])
    .stdout.split('\n')
    .filter(Boolean)
  if (containers.length > 0) docker(['rm', '-f', ...containers])
  const images = docker(['images', '-q', '--filter', `label=${testLabel}`])
    .stdout.split('\n')
    .filter(Boolean)
  if (images.length > 0) docker(['rmi', '-f', ...new Set(images)])
}
