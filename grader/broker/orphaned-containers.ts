import { type ProcessOwner, isOwnerGone, thisHost, thisProcess } from '../process/process-owner.ts'
import { deadlineSignal, raceSignal } from '../time/deadline.ts'

/**
 * Containers whose grader is gone. Every container the grader starts carries the course's label and its owner:
 * pid, start time, pid namespace and host (a pid means nothing on another machine or in another container that
 * shares the Docker engine: those are left to their own graders). After a `kill -9` no exit handler stops the
 * container; the next grader that starts removes it, by these labels only, never another tool's container.
 *
 * Testcontainers' own reaper (Ryuk) does the same where it runs (it removes a session's containers ~10 s after
 * its grader's connection drops). It does not run where its image cannot be pulled (offline CI sets
 * TESTCONTAINERS_RYUK_DISABLED=true): there, this is what removes them.
 */
export const courseLabel = 'org.mqtt-course'
const ownerLabelNames = {
  pid: 'org.mqtt-course.owner.pid',
  startTime: 'org.mqtt-course.owner.start',
  pidNamespace: 'org.mqtt-course.owner.pid-namespace',
  host: 'org.mqtt-course.owner.host',
} as const

/** The labels that name this grader process as a container's owner. */
export function ownerLabels(): Record<string, string> {
  const owner = thisProcess()
  return {
    [ownerLabelNames.pid]: String(owner.pid),
    [ownerLabelNames.startTime]: String(owner.startTime),
    [ownerLabelNames.pidNamespace]: owner.pidNamespace ?? '',
    [ownerLabelNames.host]: thisHost(),
  }
}

/** The owner a container's labels name, when it is a process on this machine; undefined otherwise. */
export function ownerOnThisHost(labels: Readonly<Record<string, string>>): ProcessOwner | undefined {
  if (labels[courseLabel] !== 'broker' || labels[ownerLabelNames.host] !== thisHost()) return undefined
  const pid = Number(labels[ownerLabelNames.pid])
  const startTime = Number(labels[ownerLabelNames.startTime])
  if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(startTime)) return undefined
  return { pid, startTime, pidNamespace: labels[ownerLabelNames.pidNamespace] || undefined }
}

/** Removes this course's containers whose owner is gone; resolves with how many. */
export async function removeOrphanedContainers(
  signal: AbortSignal = deadlineSignal(15_000, undefined, 'removing containers whose grader is gone'),
): Promise<number> {
  const { getContainerRuntimeClient } = await import('testcontainers')
  const { dockerode } = (await raceSignal(getContainerRuntimeClient(), signal)).container
  const found = await raceSignal(
    dockerode.listContainers({ all: true, filters: { label: [`${courseLabel}=broker`] } }),
    signal,
  )
  const orphans = found.filter((info) => {
    const owner = ownerOnThisHost(info.Labels ?? {})
    return owner !== undefined && isOwnerGone(owner)
  })
  await raceSignal(
    Promise.all(
      orphans.map((info) =>
        dockerode
          .getContainer(info.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
    ),
    signal,
  )
  return orphans.length
}

let sweeping: Promise<boolean> | undefined

/** removeOrphanedContainers() once per process; resolves with whether Docker answered (never rejects). */
export function sweepOrphanedContainers(): Promise<boolean> {
  sweeping ??= removeOrphanedContainers().then(
    () => true,
    () => false,
  )
  return sweeping
}
